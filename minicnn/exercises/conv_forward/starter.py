"""Exercise conv_forward: the forward pass of a convolution layer (NHWC, stride, valid and same padding).

Fill in the body of conv_forward, then check it:

    minicnn exercise check conv_forward this_file.py

or in a notebook: ``minicnn.exercises.check("conv_forward", conv_forward)``.
"""

import numpy as np


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
    raise NotImplementedError("write conv_forward")
