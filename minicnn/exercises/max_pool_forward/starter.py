"""Exercise max_pool_forward: the forward pass of max pooling.

Fill in the body of max_pool_forward, then check it:

    minicnn exercise check max_pool_forward this_file.py

or in a notebook: ``minicnn.exercises.check("max_pool_forward", max_pool_forward)``.
"""

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
    raise NotImplementedError("write max_pool_forward")
