"""Reference solution of the sgd_step exercise."""


def sgd_step(w, grad, learning_rate):
    """One step of gradient descent: ``w ← w − α · ∂L/∂w``, element by element.

    The gradient points to where the loss grows fastest, so the step goes against it; the learning rate ``α``
    scales the step.

    Parameters
    ----------
    w : ndarray, any shape
        The parameter (a kernel, a bias, ...).
    grad : ndarray, the shape of ``w``
        Its gradient ``∂L/∂w``.
    learning_rate : float
        The step size ``α > 0``.

    Returns
    -------
    new_w : ndarray, the shape of ``w``
        ``w − α · ∂L/∂w``, a new array (``w`` is left unchanged).
    """
    return w - learning_rate * grad
