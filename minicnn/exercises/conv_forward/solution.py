"""Reference solution of the conv_forward exercise: the equation as plain loops."""

import numpy as np


def same_padding(length, window, stride):
    """``(before, after)`` zeros for ``padding="same"`` along one axis.

    ``ceil(length / stride)`` outputs; an odd total puts its extra zero after.
    """
    out = -(-length // stride)
    total = max((out - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


def conv_forward(x, kernel, bias, stride=1, padding="valid"):
    """The convolution layer: ``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·s+k, j·s+l, c] · w[k,l,c,o]``.

    A cross-correlation, as in every deep-learning framework: the kernel is not flipped.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
        A batch of images, channels last.
    kernel : ndarray, shape (kh, kw, C_in, C_out)
        The weights ``w``.
    bias : ndarray, shape (C_out,)
        The bias ``b``, one per output channel.
    stride : int
        ``s``: how far the window moves between neighbouring outputs, along rows and along columns.
    padding : {"valid", "same"}
        ``"valid"``: no padding. ``"same"``: zeros around ``x`` so that ``H_out = ceil(H / s)``; an odd total
        puts the extra zero at the bottom (rows) and at the right (columns).

    Returns
    -------
    y : ndarray, shape (N, H_out, W_out, C_out)

    Notes
    -----
    ``H_out = (H + pad_top + pad_bottom − kh) // s + 1``, and ``W_out`` likewise with ``W`` and ``kw``.
    """
    N, H, W, C_in = x.shape
    kh, kw, _, C_out = kernel.shape
    s = stride
    if padding == "same":
        (top, bottom), (left, right) = same_padding(H, kh, s), same_padding(W, kw, s)
    else:
        top = bottom = left = right = 0
    x_pad = np.zeros((N, top + H + bottom, left + W + right, C_in))
    x_pad[:, top:top + H, left:left + W, :] = x

    H_out = (top + H + bottom - kh) // s + 1
    W_out = (left + W + right - kw) // s + 1
    y = np.zeros((N, H_out, W_out, C_out))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for o in range(C_out):
                    total = bias[o]
                    for k in range(kh):
                        for l in range(kw):
                            for c in range(C_in):
                                total += x_pad[n, i * s + k, j * s + l, c] * kernel[k, l, c, o]
                    y[n, i, j, o] = total
    return y
