"""Exercise conv_backward: the backward pass of a convolution layer.

Fill in the body of conv_backward, then check it:

    minicnn exercise check conv_backward this_file.py

or in a notebook: ``minicnn.exercises.check("conv_backward", conv_backward)``.
"""

import numpy as np


def conv_backward(grad_y, x, kernel, stride=1, padding="valid"):
    """The gradients of the convolution ``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·s+k, j·s+l, c] · w[k,l,c,o]``.

    Parameters
    ----------
    grad_y : ndarray, shape (N, H_out, W_out, C_out)
        ``∂L/∂y``, the gradient of the loss with respect to the layer's output.
    x : ndarray, shape (N, H, W, C_in)
        The layer's input from the forward pass.
    kernel : ndarray, shape (kh, kw, C_in, C_out)
        The weights ``w``.
    stride : int
        ``s``, as in the forward pass.
    padding : {"valid", "same"}
        As in the forward pass: ``"same"`` pads ``x`` with zeros so that ``H_out = ceil(H / s)``, an odd total's
        extra zero at the bottom/right.

    Returns
    -------
    grad_x : ndarray, shape (N, H, W, C_in)
        ``∂L/∂x``.
    grad_kernel : ndarray, shape (kh, kw, C_in, C_out)
        ``∂L/∂w``.
    grad_bias : ndarray, shape (C_out,)
        ``∂L/∂b``.
    """
    raise NotImplementedError("write conv_backward")
