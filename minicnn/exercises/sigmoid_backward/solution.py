"""Reference solution of the sigmoid_backward exercise."""


def sigmoid_backward(grad_a, a):
    """The gradient ``∂L/∂z`` of the sigmoid layer ``a = σ(z) = 1 / (1 + e^{−z})``, from its output ``a``.

    ``σ'(z) = σ(z)·(1 − σ(z)) = a·(1 − a)``, so by the chain rule, element by element::

        ∂L/∂z = ∂L/∂a · a · (1 − a)

    Parameters
    ----------
    grad_a : ndarray, any shape
        ``∂L/∂a``, the gradient of the loss with respect to the layer's output.
    a : ndarray, the shape of ``grad_a``
        The layer's output ``a = σ(z)`` from the forward pass (not ``z``).

    Returns
    -------
    grad_z : ndarray, the shape of ``a``
        ``∂L/∂z = ∂L/∂a · a · (1 − a)``.
    """
    return grad_a * a * (1 - a)
