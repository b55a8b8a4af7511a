"""Reference solution of the mse_gradient exercise."""


def mse_gradient(y, y_hat):
    """The gradient ``∂L/∂ŷ`` of the mean squared error ``L = 1/(2N) Σ_n (y_n − ŷ_n)²``.

    Only the term ``n`` of the sum depends on ``ŷ_n``, and by the chain rule::

        ∂L/∂ŷ_n = 1/(2N) · 2·(y_n − ŷ_n) · ∂(y_n − ŷ_n)/∂ŷ_n = 1/(2N) · 2·(y_n − ŷ_n) · (−1) = (ŷ_n − y_n) / N

    Parameters
    ----------
    y : ndarray, shape (N,)
        The targets.
    y_hat : ndarray, shape (N,)
        The predictions ``ŷ``.

    Returns
    -------
    grad_y_hat : ndarray, shape (N,)
        ``∂L/∂ŷ_n = (ŷ_n − y_n) / N`` for each sample ``n``.
    """
    N = len(y)
    return (y_hat - y) / N
