"""The operations as plain functions on arrays, dispatched through the active backend.

For code that needs the math without a layer (e.g. a tracker's cross-correlation of exemplar and search features).
Arguments are those of the layers, with one difference of spelling: channels-last arrays, ``pool_size`` as an int
or a pair, ``padding`` as ``"valid"`` or ``"same"``, and the step between windows as ``stride`` (an int or a pair),
which the layers spell ``strides``. NumPy arrays in, NumPy arrays out, whichever backend computes (on cuda the
inputs go to the GPU and the results come back).
"""

import numbers

import numpy as np

from minicnn import backend
from minicnn.checks import real_array
from minicnn.errors import ShapeError
from minicnn.kernels.padding import check_padding, spatial_output_size
from minicnn.layers.base import as_pair


def _floating(x, where):
    """``x`` as a C-contiguous array the kernels compute in: float32 stays float32, every other real dtype (ints,
    bools, float16) becomes float64, as NumPy's arithmetic makes it; anything else is refused."""
    x = real_array(x, "x", where)
    return np.ascontiguousarray(x, dtype=np.float32 if x.dtype.kind == "f" and x.dtype.itemsize == 4 else np.float64)


def _like_x(value, argument, x, where):
    """``value`` (the kernel, the bias or a gradient) as a C-contiguous array in the dtype of ``x``."""
    return np.ascontiguousarray(real_array(value, argument, where), dtype=x.dtype)


def _bias(bias, outputs, x, where):
    """``bias`` as an array of ``outputs`` values in the dtype of ``x``, or None."""
    if bias is None:
        return None
    bias = _like_x(bias, "bias", x, where)
    if bias.shape != (outputs,):
        raise ShapeError(f"{where}: expected bias of shape ({outputs},) (one per output channel), got {bias.shape}")
    return bias


def _check_no_empty_axis(where, name, array, first_axis=1):
    """Every axis of ``array`` from ``first_axis`` on holds at least one entry (an empty batch is fine): a kernel
    of height 0, or images of 0 channels, gave each backend another answer, or an error in NumPy's words."""
    if 0 in array.shape[first_axis:]:
        after = " after the batch's" if first_axis == 1 else ""
        raise ShapeError(f"{where}: expected {name} with at least one entry along every axis{after}, got shape "
                         f"{array.shape}")


def _check_window(where, x, window, stride, padding, what):
    if x.ndim != 4:
        raise ShapeError(f"{where}: expected x of shape (N, H, W, C), got {x.shape}")
    spatial_output_size(x.shape[1], x.shape[2], window, stride, padding, where, what)


def _pool_arguments(where, x, pool_size, stride, padding):
    """``(x, pool_size, stride, padding)`` checked and normalised; the stride defaults to the pool size."""
    x = _floating(x, where)
    _check_no_empty_axis(where, "x", x)
    pool_size = as_pair(pool_size, "pool_size", where)
    stride = pool_size if stride is None else as_pair(stride, "stride", where)
    padding = check_padding(padding)
    _check_window(where, x, pool_size, stride, padding, "pool_size")
    return x, pool_size, stride, padding


def conv2d(x, kernel, bias=None, stride=1, padding="valid"):
    """``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·sh+k, j·sw+l, c] · w[k,l,c,o]`` (see ``Conv2D``).

    x (N, H, W, C_in), kernel (kh, kw, C_in, C_out), bias (C_out,) or None -> y (N, H_out, W_out, C_out).
    ``stride`` is ``(sh, sw)`` or one int for both (``Conv2D``'s ``strides``); ``padding`` is ``"valid"`` or ``"same"``.
    """
    x = _floating(x, "conv2d")
    kernel = _like_x(kernel, "kernel", x, "conv2d")
    stride = as_pair(stride, "stride", "conv2d")
    padding = check_padding(padding)
    if kernel.ndim != 4 or x.ndim == 4 and kernel.shape[2] != x.shape[3]:
        raise ShapeError(f"conv2d: expected kernel of shape (kh, kw, {x.shape[-1]}, C_out), got {kernel.shape}")
    _check_no_empty_axis("conv2d", "x", x)
    _check_no_empty_axis("conv2d", "kernel", kernel, first_axis=0)
    _check_window("conv2d", x, kernel.shape[:2], stride, padding, "kernel")
    bias = _bias(bias, kernel.shape[3], x, "conv2d")
    return backend.to_host(backend.kernels().conv2d_forward(x, kernel, bias, stride, padding))


def max_pool2d(x, pool_size=2, stride=None, padding="valid"):
    """``y[n,i,j,c] = max_{k,l} x_pad[n, i·sh+k, j·sw+l, c]`` (``x_pad``: ``x`` for ``valid``, padded with −∞ for
    ``same``; see ``MaxPooling2D``).

    x (N, H, W, C) -> y (N, H_out, W_out, C). ``pool_size`` is ``(ph, pw)`` or one int; ``stride`` is ``(sh, sw)``,
    one int, or None for the pool size (``MaxPooling2D``'s ``strides``); ``padding`` is ``"valid"`` or ``"same"``.
    """
    x, pool_size, stride, padding = _pool_arguments("max_pool2d", x, pool_size, stride, padding)
    return backend.to_host(backend.kernels().max_pool2d_forward(x, pool_size, stride, padding)[0])


def avg_pool2d(x, pool_size=2, stride=None, padding="valid"):
    """``y[n,i,j,c] = (1/|R|) Σ_{(k,l) ∈ R} x[n, i·sh+k−top, j·sw+l−left, c]``, ``R`` the window's positions on
    real inputs (``top = left = 0`` for ``valid``; see ``AveragePooling2D``).

    x (N, H, W, C) -> y (N, H_out, W_out, C). ``pool_size`` is ``(ph, pw)`` or one int; ``stride`` is ``(sh, sw)``,
    one int, or None for the pool size (``AveragePooling2D``'s ``strides``); ``padding`` is ``"valid"`` or ``"same"``.
    """
    x, pool_size, stride, padding = _pool_arguments("avg_pool2d", x, pool_size, stride, padding)
    return backend.to_host(backend.kernels().avg_pool2d_forward(x, pool_size, stride, padding))


def dense(x, kernel, bias=None):
    """``z = x · W + b``: x (N, in), kernel (in, out), bias (out,) or None -> z (N, out)."""
    x = _floating(x, "dense")
    kernel = _like_x(kernel, "kernel", x, "dense")
    if x.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] != x.shape[1]:
        raise ShapeError(f"dense: expected x (N, in) and kernel (in, out) with matching 'in', got {x.shape} and "
                         f"{kernel.shape}")
    _check_no_empty_axis("dense", "kernel", kernel, first_axis=0)
    bias = _bias(bias, kernel.shape[1], x, "dense")
    return backend.to_host(backend.kernels().dense_forward(x, kernel, bias))


def sigmoid(z):
    """``σ(z) = 1 / (1 + e^{−z})``, without overflow for large |z|."""
    z = real_array(z, "z", "sigmoid")
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def relu(z):
    """``max(0, z)``."""
    return np.maximum(real_array(z, "z", "relu"), 0)


def softmax(z, axis=-1):
    """``e^{z_k} / Σ_j e^{z_j}`` along ``axis`` (an int, or a tuple: the sum over several axes, a spatial softmax)."""
    z = real_array(z, "z", "softmax")
    expected = f"an int from {-z.ndim} to {z.ndim - 1} (z has {z.ndim} axes), or a tuple of them"
    for one in axis if isinstance(axis, tuple) else (axis,):
        if not isinstance(one, numbers.Integral) or isinstance(one, bool):
            raise TypeError(f"softmax: axis must be {expected}, got {axis!r}")
        if not -z.ndim <= one < z.ndim:
            raise ValueError(f"softmax: axis must be {expected}, got {axis!r}")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def conv2d_backward(grad_y, x, kernel, stride=1, padding="valid"):
    """The three gradients of ``y = conv2d(x, kernel, bias)`` for an upstream gradient ``∂L/∂y``::

        ∂L/∂x[n,p,q,c]   = Σ_{i,j,o} ∂L/∂y[n,i,j,o] · w[p + top − i·sh, q + left − j·sw, c, o]
        ∂L/∂w[k,l,c,o]   = Σ_{n,i,j} ∂L/∂y[n,i,j,o] · x_pad[n, i·sh+k, j·sw+l, c]
        ∂L/∂b[o]         = Σ_{n,i,j} ∂L/∂y[n,i,j,o]

    (the first over the taps that read ``x[p,q]``; ``top`` and ``left`` are the padding above and left of ``x``,
    0 for ``valid``).

    grad_y (N, H_out, W_out, C_out), x (N, H, W, C_in), kernel (kh, kw, C_in, C_out)
    -> (grad_x like x, grad_kernel like kernel, grad_bias (C_out,)). ``stride`` and ``padding`` as given to
    ``conv2d`` (``stride``, not ``strides``).
    """
    x = _floating(x, "conv2d_backward")
    kernel = _like_x(kernel, "kernel", x, "conv2d_backward")
    grad_y = _like_x(grad_y, "grad_y", x, "conv2d_backward")
    stride = as_pair(stride, "stride", "conv2d_backward")
    padding = check_padding(padding)
    if x.ndim != 4 or kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ShapeError(f"conv2d_backward: expected x (N, H, W, C_in) and kernel (kh, kw, C_in, C_out) with the "
                         f"same C_in, got {x.shape} and {kernel.shape}")
    _check_no_empty_axis("conv2d_backward", "x", x)
    _check_no_empty_axis("conv2d_backward", "kernel", kernel, first_axis=0)
    expected = spatial_output_size(x.shape[1], x.shape[2], kernel.shape[:2], stride, padding, "conv2d_backward",
                                   "kernel")
    if grad_y.shape != (x.shape[0], *expected, kernel.shape[3]):
        raise ShapeError(f"conv2d_backward: expected grad_y of shape {(x.shape[0], *expected, kernel.shape[3])}, "
                         f"got {grad_y.shape}")
    gradients = backend.kernels().conv2d_backward(grad_y, x, kernel, stride, padding)
    return tuple(backend.to_host(array) for array in gradients)
