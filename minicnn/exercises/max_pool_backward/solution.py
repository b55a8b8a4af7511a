"""Reference solution of the max_pool_backward exercise: each window's gradient goes to its argmax."""

import numpy as np


def max_pool_backward(grad_y, x, pool_size=2, stride=None):
    """The gradient ``∂L/∂x`` of max pooling ``y[n,i,j,c] = max_{k,l} x[n, i·s+k, j·s+l, c]``.

    Only the largest input of a window changes its output, with slope 1, so::

        ∂L/∂x[n, i·s+k*, j·s+l*, c] += ∂L/∂y[n,i,j,c]     where (k*, l*) = argmax_{k,l} x[n, i·s+k, j·s+l, c]

    and every other input of the window gets nothing from it. Overlapping windows (s < p) add up where one input won
    several windows.

    Parameters
    ----------
    grad_y : ndarray, shape (N, H_out, W_out, C)
        ``∂L/∂y``, the gradient of the loss with respect to the pooled output.
    x : ndarray, shape (N, H, W, C)
        The input of the forward pass.
    pool_size : int
        ``p``, the side of the square window.
    stride : int or None
        ``s``; None means ``s = p``.

    Returns
    -------
    grad_x : ndarray, shape (N, H, W, C)
        ``∂L/∂x``.
    """
    p = pool_size
    s = p if stride is None else stride
    N, H_out, W_out, C = grad_y.shape
    grad_x = np.zeros(x.shape)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for c in range(C):
                    window = x[n, i * s:i * s + p, j * s:j * s + p, c]
                    k, l = np.unravel_index(np.argmax(window), window.shape)
                    grad_x[n, i * s + k, j * s + l, c] += grad_y[n, i, j, c]
    return grad_x
