"""Reference solution of the dense_backward exercise."""


def dense_backward(grad_z, x, kernel):
    """The gradients of the dense layer ``z = x · W + b``, that is ``z[n, j] = Σ_i x[n, i] · W[i, j] + b[j]``.

    ``z[n, j]`` depends on ``x[n, i]`` through ``W[i, j]``, on ``W[i, j]`` through ``x[n, i]`` (for every row ``n``),
    and on ``b[j]`` with slope 1 (for every row ``n``), so::

        ∂L/∂x[n, i] = Σ_j ∂L/∂z[n, j] · W[i, j]      that is  ∂L/∂x = ∂L/∂z · Wᵀ
        ∂L/∂W[i, j] = Σ_n x[n, i] · ∂L/∂z[n, j]      that is  ∂L/∂W = xᵀ · ∂L/∂z
        ∂L/∂b[j]    = Σ_n ∂L/∂z[n, j]                 the sum over the batch

    Parameters
    ----------
    grad_z : ndarray, shape (N, n_out)
        ``∂L/∂z``, the gradient of the loss with respect to the layer's output.
    x : ndarray, shape (N, n_in)
        The layer's input from the forward pass.
    kernel : ndarray, shape (n_in, n_out)
        The weights ``W``.

    Returns
    -------
    grad_x : ndarray, shape (N, n_in)
        ``∂L/∂x = ∂L/∂z · Wᵀ``.
    grad_kernel : ndarray, shape (n_in, n_out)
        ``∂L/∂W = xᵀ · ∂L/∂z``.
    grad_bias : ndarray, shape (n_out,)
        ``∂L/∂b = Σ_n ∂L/∂z[n]``.
    """
    grad_x = grad_z @ kernel.T
    grad_kernel = x.T @ grad_z
    grad_bias = grad_z.sum(axis=0)
    return grad_x, grad_kernel, grad_bias
