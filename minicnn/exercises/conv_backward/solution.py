"""Reference solution of the conv_backward exercise: the forward loops, each product sending its gradient back."""

import numpy as np


def same_padding(length, window, stride):
    """``(before, after)`` zeros for ``padding="same"`` along one axis.

    ``ceil(length / stride)`` outputs; an odd total puts its extra zero after.
    """
    out = -(-length // stride)
    total = max((out - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


def conv_backward(grad_y, x, kernel, stride=1, padding="valid"):
    """The gradients of the convolution ``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·s+k, j·s+l, c] · w[k,l,c,o]``.

    Each product in the sum links one input to one output, so walking the forward loops::

        ∂L/∂w[k,l,c,o]              += ∂L/∂y[n,i,j,o] · x_pad[n, i·s+k, j·s+l, c]
        ∂L/∂x_pad[n, i·s+k, j·s+l, c] += ∂L/∂y[n,i,j,o] · w[k,l,c,o]
        ∂L/∂b[o]                    += ∂L/∂y[n,i,j,o]

    and ``∂L/∂x`` is ``∂L/∂x_pad`` without the padding. Summed over the whole batch: the weights are shared by every
    image and every position.

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
    N, H, W, C_in = x.shape
    kh, kw, _, C_out = kernel.shape
    _, H_out, W_out, _ = grad_y.shape
    s = stride
    if padding == "same":
        (top, bottom), (left, right) = same_padding(H, kh, s), same_padding(W, kw, s)
    else:
        top = bottom = left = right = 0
    x_pad = np.zeros((N, top + H + bottom, left + W + right, C_in))
    x_pad[:, top:top + H, left:left + W, :] = x

    grad_x_pad = np.zeros_like(x_pad)
    grad_kernel = np.zeros_like(kernel, dtype=np.float64)
    grad_bias = np.zeros(C_out)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for o in range(C_out):
                    g = grad_y[n, i, j, o]
                    grad_bias[o] += g
                    for k in range(kh):
                        for l in range(kw):
                            for c in range(C_in):
                                grad_kernel[k, l, c, o] += g * x_pad[n, i * s + k, j * s + l, c]
                                grad_x_pad[n, i * s + k, j * s + l, c] += g * kernel[k, l, c, o]
    grad_x = grad_x_pad[:, top:top + H, left:left + W, :]
    return grad_x, grad_kernel, grad_bias
