"""Exercise max_pool_backward: the backward pass of max pooling.

Fill in the body of max_pool_backward, then check it:

    minicnn exercise check max_pool_backward this_file.py

or in a notebook: ``minicnn.exercises.check("max_pool_backward", max_pool_backward)``.
"""

import numpy as np


def max_pool_backward(grad_y, x, pool_size=2, stride=None):
    """The gradient ``∂L/∂x`` of max pooling ``y[n,i,j,c] = max_{k,l} x[n, i·s+k, j·s+l, c]``.

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
    raise NotImplementedError("write max_pool_backward")
