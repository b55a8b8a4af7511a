"""Reference solution of the max_pool_forward exercise: the equation as plain loops."""

import numpy as np


def max_pool_forward(x, pool_size=2, stride=None):
    """Max pooling per channel: ``y[n,i,j,c] = max_{k,l} x[n, i·s+k, j·s+l, c]``, ``k, l`` in ``0 … p−1``.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C)
        A batch of feature maps, channels last.
    pool_size : int
        ``p``, the side of the square window.
    stride : int or None
        ``s``, how far the window moves between outputs; None means ``s = p`` (windows side by side).

    Returns
    -------
    y : ndarray, shape (N, H_out, W_out, C)

    Notes
    -----
    No padding: ``H_out = (H − p) // s + 1`` and ``W_out = (W − p) // s + 1``.
    """
    p = pool_size
    s = p if stride is None else stride
    N, H, W, C = x.shape
    H_out, W_out = (H - p) // s + 1, (W - p) // s + 1
    y = np.zeros((N, H_out, W_out, C))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for c in range(C):
                    y[n, i, j, c] = x[n, i * s:i * s + p, j * s:j * s + p, c].max()
    return y
