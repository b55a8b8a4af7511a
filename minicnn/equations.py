"""The document's equations, literally: plain loops, one function per formula.

This module is the readable reference — a *permanent naive oracle*. Nobody imports it for speed: it is slow on purpose
and stays slow. The layers, the loss, the SGD step and the NumPy and Numba kernels, forward and backward, are tested
against it (``tests/test_equations.py``, ``tests/test_layers.py``, ``tests/test_backends.py``; the CUDA kernels
against the NumPy ones); it is tested against worked examples computed by hand, and its gradients against central
differences of its own forward sums.

Read each function aloud with its docstring: the loops are the sums of the formula, in the same order and with the same
symbols. NumPy is used only to create and hold arrays, never for the arithmetic. Every function computes in float64 and
returns float64.

Shapes follow the rest of minicnn: images are channels-last ``(N, H, W, C)``, a convolution kernel is
``(kh, kw, C_in, C_out)``, as in Keras.

The step between windows has two spellings here, kept as they are so that code written against them keeps working:
the convolutions (``conv2d_nhwc``, ``conv2d_nhwc_backward``) and the one-channel ``max_pool2d`` take ``stride``; the
channels-last poolings (``max_pool2d_nhwc``, ``average_pool2d_nhwc`` and their backward) take ``strides``, as the
layers do. Each function's docstring names its own.
"""

import math
import numbers

import numpy as np

from minicnn.checks import real_array
from minicnn.errors import ShapeError
from minicnn.kernels.padding import check_padding, output_length, padding_amounts

# ---------------------------------------------------------------------------------------------------------------------
# Argument checks: each error names the function, the argument, what was expected and what was given.
# ---------------------------------------------------------------------------------------------------------------------


def _array(value, ndim, argument, where, layout):
    """``value`` as a float64 array of ``ndim`` dimensions (None: any number of them), or a clear error.

    Only real numbers pass: floats, ints and bools (``False → 0.0``, ``True → 1.0``), as one number, a list or an
    array. None, strings, complex numbers and other objects are refused by ``checks.real_array``: converting them to
    float64 would turn None into NaN, read ``"3"`` as 3.0, and drop the imaginary part of a complex number.
    """
    array = real_array(value, argument, where, note=f" of shape {layout}")
    if ndim is not None and array.ndim != ndim:
        raise ShapeError(f"{where}: expected {argument} of shape {layout}, got shape {array.shape}")
    return array.astype(np.float64, copy=False)


def _scalar(value, argument, where):
    """``value`` as a float, or a clear error if it is not a single real number (an int or a float, a NumPy one or
    an array of no dimensions too; not a bool, a string or a complex number)."""
    one_real_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    one_real_array = isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu"
    if not (one_real_number or one_real_array):
        raise TypeError(f"{where}: expected {argument} to be a single real number, got {type(value).__name__} "
                        f"{value!r}")
    return float(value)


def _positive_int(value, argument, where):
    """``value`` as an int >= 1, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{where}: {argument} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{where}: {argument} must be a positive int (1 or more), got {value!r}")
    return int(value)


def _pair(value, argument, where):
    """An int ``s`` or a pair ``(s_h, s_w)`` as a pair of positive ints, or a clear error."""
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, (tuple, list, np.ndarray)):
        raise TypeError(f"{where}: {argument} must be a positive int or a pair (rows, columns) of positive ints, "
                        f"got {type(value).__name__} {value!r}")
    if np.ndim(value) != 1 or len(value) != 2:
        raise ValueError(f"{where}: {argument} must be a positive int or a pair (rows, columns) of positive ints, "
                         f"got {value!r}")
    return _positive_int(value[0], argument, where), _positive_int(value[1], argument, where)


def _pad(x, pad_h, pad_w, value):
    """x (N, H, W, C) with ``pad_h = (top, bottom)`` rows and ``pad_w = (left, right)`` columns of ``value`` added."""
    n, height, width, channels = x.shape
    x_pad = np.full((n, pad_h[0] + height + pad_h[1], pad_w[0] + width + pad_w[1], channels), value)
    for image in range(n):
        for row in range(height):
            for col in range(width):
                for c in range(channels):
                    x_pad[image, pad_h[0] + row, pad_w[0] + col, c] = x[image, row, col, c]
    return x_pad


def _window_output_size(height, width, window, strides, padding, where, what):
    """``(H_out, W_out)`` from ``padding.output_length``, or a clear error when a ``valid`` window does not fit."""
    out_h = output_length(height, window[0], strides[0], padding)
    out_w = output_length(width, window[1], strides[1], padding)
    if out_h < 1 or out_w < 1:
        raise ShapeError(f"{where}: {what} of {window[0]}×{window[1]} is larger than the input x of {height}×{width} "
                         f"with padding='valid'; use a smaller {what} or padding='same'")
    return out_h, out_w


def _convolution_arguments(x, kernel, stride, padding, where):
    """A convolution's arguments checked: ``(x, kernel, (sh, sw), padding, (H_out, W_out))``."""
    x = _array(x, 4, "x", where, "(N, H, W, C_in)")
    kernel = _array(kernel, 4, "kernel", where, "(kh, kw, C_in, C_out)")
    strides = _pair(stride, "stride", where)
    padding = check_padding(padding, f"{where}: padding")
    if kernel.shape[2] != x.shape[3]:
        raise ShapeError(f"{where}: kernel of shape {kernel.shape} expects {kernel.shape[2]} input channels, but x of "
                         f"shape {x.shape} has {x.shape[3]}; kernel must have shape (kh, kw, {x.shape[3]}, C_out)")
    out = _window_output_size(x.shape[1], x.shape[2], kernel.shape[:2], strides, padding, where, "kernel")
    return x, kernel, strides, padding, out


def _pooling_arguments(x, pool_size, strides, padding, where):
    """A pooling's arguments checked: ``(x, (ph, pw), (sh, sw), padding, (H_out, W_out))``, the strides the pool
    size where None (windows side by side)."""
    x = _array(x, 4, "x", where, "(N, H, W, C)")
    ph, pw = _pair(pool_size, "pool_size", where)
    sh, sw = (ph, pw) if strides is None else _pair(strides, "strides", where)
    padding = check_padding(padding, f"{where}: padding")
    out = _window_output_size(x.shape[1], x.shape[2], (ph, pw), (sh, sw), padding, where, "pool_size")
    return x, (ph, pw), (sh, sw), padding, out


# ---------------------------------------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------------------------------------


def conv2d(x, w):
    """The convolution sum on one channel: ``y[i, j] = Σ_k Σ_l x[i+k, j+l] · w[k, l]``.

    This is the *cross-correlation* that every deep-learning framework calls "convolution": the kernel is slid over
    the image as it is, not flipped. (The source document prints the index expression of this sum garbled; this is the
    standard form.)

    Parameters
    ----------
    x : ndarray, shape (H, W)
        The image.
    w : ndarray, shape (kh, kw)
        The kernel; it must fit inside the image (``kh <= H``, ``kw <= W``).

    Returns
    -------
    y : ndarray, shape (H − kh + 1, W − kw + 1)
        One value per position of the kernel that lies wholly inside the image ("valid").

    Notes
    -----
    ``k`` runs over the kernel's rows ``0 … kh−1`` and ``l`` over its columns ``0 … kw−1``.
    """
    x = _array(x, 2, "x", "conv2d", "(H, W)")
    w = _array(w, 2, "w", "conv2d", "(kh, kw)")
    H, W = x.shape
    kh, kw = w.shape
    if kh > H or kw > W:
        raise ShapeError(f"conv2d: kernel w of shape {w.shape} is larger than the input x of shape {x.shape}; "
                         f"the kernel must fit inside the image")
    y = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            total = 0.0
            for k in range(kh):
                for l in range(kw):
                    total += x[i + k, j + l] * w[k, l]
            y[i, j] = total
    return y


def conv2d_nhwc(x, kernel, bias=None, stride=1, padding="valid"):
    """The convolution layer: ``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·sh+k, j·sw+l, c] · w[k,l,c,o]``.

    Every output channel ``o`` has its own ``kh × kw × C_in`` kernel, which looks at all input channels ``c`` at once,
    and its own bias ``b[o]``. Like ``conv2d``, this is a cross-correlation (no kernel flip).

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
        A batch of images, channels last.
    kernel : ndarray, shape (kh, kw, C_in, C_out)
        The weights ``w``, in Keras' layout.
    bias : ndarray, shape (C_out,), or None
        The bias ``b``; None means zero.
    stride : int or (sh, sw)
        How far the window moves between neighbouring outputs, along rows and columns. Spelled ``stride`` here (the
        ``Conv2D`` layer's ``strides``).
    padding : {"valid", "same"}
        ``"valid"``: no padding, only windows that fit. ``"same"``: zeros around ``x`` so that
        ``H_out = ceil(H / sh)``; when the padding is odd the extra zero goes at the bottom/right, as in Keras
        (amounts from ``minicnn.kernels.padding.padding_amounts``).

    Returns
    -------
    y : ndarray, shape (N, H_out, W_out, C_out)

    Notes
    -----
    The output size is ``H_out = (H + pad_top + pad_bottom − kh) // sh + 1`` (and the same for ``W_out`` with ``sw``);
    for ``"valid"`` the pads are 0, for ``"same"`` they make ``H_out = ceil(H / sh)``.
    """
    where = "conv2d_nhwc"
    x, kernel, (sh, sw), padding, (H_out, W_out) = _convolution_arguments(x, kernel, stride, padding, where)
    N, H, W, C_in = x.shape
    kh, kw, _, C_out = kernel.shape
    if bias is None:
        b = np.zeros(C_out)
    else:
        b = _array(bias, 1, "bias", where, f"({C_out},)")
        if b.shape[0] != C_out:
            raise ShapeError(f"{where}: expected bias of shape ({C_out},), one per output channel of the kernel, "
                             f"got shape {b.shape}")
    x_pad = _pad(x, padding_amounts(H, kh, sh, padding), padding_amounts(W, kw, sw, padding), 0.0)
    y = np.zeros((N, H_out, W_out, C_out))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for o in range(C_out):
                    total = b[o]
                    for k in range(kh):
                        for l in range(kw):
                            for c in range(C_in):
                                total += x_pad[n, i * sh + k, j * sw + l, c] * kernel[k, l, c, o]
                    y[n, i, j, o] = total
    return y


# ---------------------------------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------------------------------


def max_pool2d(x, pool_size=2, stride=None):
    """Max pooling on one channel: ``y[i, j] = max_{k,l} x[i·s + k, j·s + l]``.

    ``k`` and ``l`` run over ``0 … p−1``: each output is the largest value in a ``p × p`` window of the image (NaN
    where the window holds one, as NumPy's ``max`` gives).

    Parameters
    ----------
    x : ndarray, shape (H, W)
    pool_size : int
        The window side ``p``; it must fit inside the image.
    stride : int or None
        The step ``s`` between windows; None means ``s = p`` (windows side by side, no overlap). A stride smaller than
        ``p`` gives overlapping windows. Spelled ``stride`` here (``max_pool2d_nhwc`` and the layers: ``strides``).

    Returns
    -------
    y : ndarray, shape ((H − p) // s + 1, (W − p) // s + 1)
    """
    x = _array(x, 2, "x", "max_pool2d", "(H, W)")
    p = _positive_int(pool_size, "pool_size", "max_pool2d")
    s = p if stride is None else _positive_int(stride, "stride", "max_pool2d")
    H, W = x.shape
    if p > H or p > W:
        raise ShapeError(f"max_pool2d: pool_size {p} is larger than the input x of shape {x.shape}; "
                         f"the window must fit inside the image")
    H_out, W_out = (H - p) // s + 1, (W - p) // s + 1
    y = np.zeros((H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            largest = -math.inf
            for k in range(p):
                for l in range(p):
                    value = x[i * s + k, j * s + l]
                    if value > largest or math.isnan(value):  # a NaN wins and stays, as in NumPy's max
                        largest = value
            y[i, j] = largest
    return y


def max_pool2d_nhwc(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling per channel: ``y[n,i,j,c] = max_{k,l} x_pad[n, i·sh+k, j·sw+l, c]``.

    ``k`` runs over ``0 … ph−1`` and ``l`` over ``0 … pw−1``. Each channel is pooled on its own; a window that holds
    NaN gives NaN, as NumPy's ``max`` and every backend do.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C)
    pool_size : int or (ph, pw)
    strides : int, (sh, sw) or None
        None means the pool size (windows side by side). Spelled ``strides``, as the pooling layers spell it.
    padding : {"valid", "same"}
        ``"same"`` pads with −∞ (amounts from ``padding_amounts``, the extra one at the bottom/right), so a padded
        position never wins the max: every window holds at least one real input.

    Returns
    -------
    y : ndarray, shape (N, H_out, W_out, C)

    Notes
    -----
    ``H_out = (H + pad_top + pad_bottom − ph) // sh + 1``, which is ``ceil(H / sh)`` for ``"same"``.
    """
    where = "max_pool2d_nhwc"
    x, (ph, pw), (sh, sw), padding, (H_out, W_out) = _pooling_arguments(x, pool_size, strides, padding, where)
    N, H, W, C = x.shape
    x_pad = _pad(x, padding_amounts(H, ph, sh, padding), padding_amounts(W, pw, sw, padding), -math.inf)
    y = np.zeros((N, H_out, W_out, C))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for c in range(C):
                    largest = -math.inf
                    for k in range(ph):
                        for l in range(pw):
                            value = x_pad[n, i * sh + k, j * sw + l, c]
                            if value > largest or math.isnan(value):  # a NaN wins and stays, as in NumPy's max
                                largest = value
                    y[n, i, j, c] = largest
    return y


def average_pool2d_nhwc(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling per channel: ``y[n,i,j,c] = (1/|R|) Σ_{(k,l) ∈ R} x[n, i·sh+k−top, j·sw+l−left, c]``.

    ``R`` is the set of window positions ``(k, l)``, ``0 <= k < ph``, ``0 <= l < pw``, that fall on a real input
    (not on padding), and ``|R|`` is how many there are. With ``"valid"`` padding ``top = left = 0`` and
    ``|R| = ph·pw``: the plain mean of the window. With ``"same"`` padding a window at the border averages only its
    real inputs, as Keras does (the padding is not counted as zeros).

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C)
    pool_size : int or (ph, pw)
    strides : int, (sh, sw) or None
        None means the pool size (windows side by side). Spelled ``strides``, as the pooling layers spell it.
    padding : {"valid", "same"}
        ``top`` and ``left`` are the padding added before the rows and columns (``padding_amounts``).

    Returns
    -------
    y : ndarray, shape (N, H_out, W_out, C)

    Notes
    -----
    ``H_out = (H + pad_top + pad_bottom − ph) // sh + 1``, which is ``ceil(H / sh)`` for ``"same"``.
    """
    where = "average_pool2d_nhwc"
    x, (ph, pw), (sh, sw), padding, (H_out, W_out) = _pooling_arguments(x, pool_size, strides, padding, where)
    N, H, W, C = x.shape
    top, _ = padding_amounts(H, ph, sh, padding)
    left, _ = padding_amounts(W, pw, sw, padding)
    y = np.zeros((N, H_out, W_out, C))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for c in range(C):
                    total, count = 0.0, 0
                    for k in range(ph):
                        for l in range(pw):
                            row, col = i * sh + k - top, j * sw + l - left
                            if 0 <= row < H and 0 <= col < W:
                                total += x[n, row, col, c]
                                count += 1
                    y[n, i, j, c] = total / count
    return y


# ---------------------------------------------------------------------------------------------------------------------
# The dense layer and the sigmoid
# ---------------------------------------------------------------------------------------------------------------------


def affine(W, x, b):
    """The affine map of a dense layer: ``z = W x + b``, that is ``z_i = Σ_j W_ij · x_j + b_i``.

    Parameters
    ----------
    W : ndarray, shape (m, n)
        The weights: row ``i`` holds the weights of output ``i``.
    x : ndarray, shape (n,)
        One input vector.
    b : ndarray, shape (m,)
        The biases.

    Returns
    -------
    z : ndarray, shape (m,)

    Notes
    -----
    The ``Dense`` layer (like Keras') stores the transpose, ``kernel`` of shape ``(n, m)``, and computes
    ``x @ kernel + bias`` on a batch of rows ``x`` of shape ``(N, n)``; so ``affine(kernel.T, x[r], bias)`` is row
    ``r`` of the layer's output.
    """
    W = _array(W, 2, "W", "affine", "(m, n)")
    m, n = W.shape
    x = _array(x, 1, "x", "affine", f"({n},)")
    b = _array(b, 1, "b", "affine", f"({m},)")
    if x.shape[0] != n:
        raise ShapeError(f"affine: W of shape {W.shape} expects x of shape ({n},), got shape {x.shape}")
    if b.shape[0] != m:
        raise ShapeError(f"affine: W of shape {W.shape} expects b of shape ({m},), got shape {b.shape}")
    z = np.zeros(m)
    for i in range(m):
        total = b[i]
        for j in range(n):
            total += W[i, j] * x[j]
        z[i] = total
    return z


def sigmoid(z):
    """The sigmoid: ``σ(z) = 1 / (1 + e^{−z})``, element by element.

    Parameters
    ----------
    z : float or ndarray of any shape

    Returns
    -------
    σ(z) : float (for a scalar ``z``) or ndarray of the same shape as ``z``, values in [0, 1]

    Notes
    -----
    For ``z < 0``, ``e^{−z}`` overflows once ``−z`` passes about 709. There the function uses the equal form
    ``σ(z) = e^{z} / (1 + e^{z})`` (multiply the top and bottom by ``e^{z}``), whose exponential is at most 1. The two
    forms together satisfy ``σ(−z) = 1 − σ(z)``.
    """
    z = _array(z, None, "z", "sigmoid", "(any shape)")
    s = np.zeros(z.shape)
    for index in np.ndindex(*z.shape):
        if z[index] >= 0:
            s[index] = 1.0 / (1.0 + math.exp(-z[index]))
        else:
            s[index] = math.exp(z[index]) / (1.0 + math.exp(z[index]))
    return s if z.ndim else float(s)


# ---------------------------------------------------------------------------------------------------------------------
# Backpropagation through the layers: the gradients each layer's backward pass hands on
# ---------------------------------------------------------------------------------------------------------------------


def _gradient_of_output(grad, expected, argument, where):
    """``grad`` (∂L/∂ of a layer's output) as a float64 array of the output's shape ``expected``, or a clear error."""
    grad = _array(grad, len(expected), argument, where, str(expected))
    if grad.shape != tuple(expected):
        raise ShapeError(f"{where}: expected {argument} of shape {tuple(expected)} (the output's), got shape "
                         f"{grad.shape}")
    return grad


def conv2d_nhwc_backward(x, kernel, grad_y, stride=1, padding="valid"):
    """The convolution layer's gradients, from ``g = ∂L/∂y`` back to its kernel, bias and input.

    Each output is ``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·sh+k, j·sw+l, c] · w[k,l,c,o]``, and the derivative
    of a product by one factor is the other factor, so the chain rule gives::

        ∂L/∂w[k,l,c,o] = Σ_n Σ_i Σ_j x_pad[n, i·sh+k, j·sw+l, c] · g[n,i,j,o]
        ∂L/∂b[o]       = Σ_n Σ_i Σ_j g[n,i,j,o]
        ∂L/∂x_pad[n, i·sh+k, j·sw+l, c] += w[k,l,c,o] · g[n,i,j,o]      for every n, i, j, o, k, l, c

    An input that several windows cover (a stride smaller than the kernel) collects one term from each: that is the
    ``+=``. ``∂L/∂x`` is ``∂L/∂x_pad`` without the padding's rows and columns (a padded zero is not an input).

    Parameters
    ----------
    x, kernel, stride, padding
        As given to ``conv2d_nhwc`` (``stride``, not ``strides``).
    grad_y : ndarray, shape (N, H_out, W_out, C_out)
        ``∂L/∂y``, of the output's shape.

    Returns
    -------
    (grad_x, grad_kernel, grad_bias) : ndarrays of the shapes of ``x``, ``kernel`` and the bias ``(C_out,)``
    """
    where = "conv2d_nhwc_backward"
    x, kernel, (sh, sw), padding, (H_out, W_out) = _convolution_arguments(x, kernel, stride, padding, where)
    N, H, W, C_in = x.shape
    kh, kw, _, C_out = kernel.shape
    g = _gradient_of_output(grad_y, (N, H_out, W_out, C_out), "grad_y", where)
    pad_h, pad_w = padding_amounts(H, kh, sh, padding), padding_amounts(W, kw, sw, padding)
    x_pad = _pad(x, pad_h, pad_w, 0.0)
    top, left = pad_h[0], pad_w[0]
    grad_kernel, grad_bias, grad_x_pad = np.zeros(kernel.shape), np.zeros(C_out), np.zeros(x_pad.shape)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for o in range(C_out):
                    grad_bias[o] += g[n, i, j, o]
                    for k in range(kh):
                        for l in range(kw):
                            for c in range(C_in):
                                grad_kernel[k, l, c, o] += x_pad[n, i * sh + k, j * sw + l, c] * g[n, i, j, o]
                                grad_x_pad[n, i * sh + k, j * sw + l, c] += kernel[k, l, c, o] * g[n, i, j, o]
    grad_x = np.zeros(x.shape)
    for n in range(N):
        for row in range(H):
            for col in range(W):
                for c in range(C_in):
                    grad_x[n, row, col, c] = grad_x_pad[n, top + row, left + col, c]
    return grad_x, grad_kernel, grad_bias


def max_pool2d_nhwc_backward(x, grad_y, pool_size=2, strides=None, padding="valid"):
    """Max pooling's gradient: each output's ``g = ∂L/∂y`` goes to the input that won its window, nothing to the rest.

    ``y[n,i,j,c]`` is one of its window's inputs, the largest; the others do not change it. So::

        ∂L/∂x[n, r, s, c] = Σ over the windows (i, j) that (r, s) won of g[n,i,j,c]

    Where a window holds its largest value more than once, the first of them wins, reading the window row by row
    (``k``, then ``l``), as ``np.argmax`` and every backend do; a NaN wins over any number, the first one found.
    Overlapping windows (a stride smaller than the pool) can send an input several terms: they add up. Padding
    never wins: only the window's real inputs are compared.

    Parameters
    ----------
    x, pool_size, strides, padding
        As given to ``max_pool2d_nhwc`` (``strides``, as the layers spell it).
    grad_y : ndarray, shape (N, H_out, W_out, C)

    Returns
    -------
    grad_x : ndarray, the shape of ``x``
    """
    where = "max_pool2d_nhwc_backward"
    x, (ph, pw), (sh, sw), padding, (H_out, W_out) = _pooling_arguments(x, pool_size, strides, padding, where)
    N, H, W, C = x.shape
    g = _gradient_of_output(grad_y, (N, H_out, W_out, C), "grad_y", where)
    (top, _), (left, _) = padding_amounts(H, ph, sh, padding), padding_amounts(W, pw, sw, padding)
    grad_x = np.zeros(x.shape)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for c in range(C):
                    largest, winner = -math.inf, None
                    for k in range(ph):
                        for l in range(pw):
                            row, col = i * sh + k - top, j * sw + l - left
                            if not (0 <= row < H and 0 <= col < W) or math.isnan(largest):
                                continue  # padding never wins; a NaN, once found, stays the winner
                            value = x[n, row, col, c]
                            if winner is None or value > largest or math.isnan(value):
                                largest, winner = value, (row, col)
                    row, col = winner
                    grad_x[n, row, col, c] += g[n, i, j, c]
    return grad_x


def average_pool2d_nhwc_backward(x, grad_y, pool_size=2, strides=None, padding="valid"):
    """Average pooling's gradient: each output's ``g = ∂L/∂y`` is shared equally by the real inputs of its window.

    ``y[n,i,j,c] = (1/|R|) Σ_{(k,l) ∈ R} x[n, i·sh+k−top, j·sw+l−left, c]`` changes by ``1/|R|`` per unit of each
    input in its window, so::

        ∂L/∂x[n, i·sh+k−top, j·sw+l−left, c] += g[n,i,j,c] / |R|      for every (k, l) ∈ R

    with ``R`` and ``|R|`` as in ``average_pool2d_nhwc`` (only real inputs, not padding).

    Parameters
    ----------
    x, pool_size, strides, padding
        As given to ``average_pool2d_nhwc`` (``x`` for its shape; ``strides``, as the layers spell it).
    grad_y : ndarray, shape (N, H_out, W_out, C)

    Returns
    -------
    grad_x : ndarray, the shape of ``x``
    """
    where = "average_pool2d_nhwc_backward"
    x, (ph, pw), (sh, sw), padding, (H_out, W_out) = _pooling_arguments(x, pool_size, strides, padding, where)
    N, H, W, C = x.shape
    g = _gradient_of_output(grad_y, (N, H_out, W_out, C), "grad_y", where)
    (top, _), (left, _) = padding_amounts(H, ph, sh, padding), padding_amounts(W, pw, sw, padding)
    grad_x = np.zeros(x.shape)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                for c in range(C):
                    inside = [(i * sh + k - top, j * sw + l - left) for k in range(ph) for l in range(pw)
                              if 0 <= i * sh + k - top < H and 0 <= j * sw + l - left < W]
                    for row, col in inside:
                        grad_x[n, row, col, c] += g[n, i, j, c] / len(inside)
    return grad_x


def affine_backward(W, x, grad_z):
    """The gradients of ``z = W x + b`` (``z_i = Σ_j W_ij · x_j + b_i``), from ``g = ∂L/∂z``::

        ∂L/∂W_ij = g_i · x_j        ∂L/∂b_i = g_i        ∂L/∂x_j = Σ_i W_ij · g_i

    For a batch of rows (the ``Dense`` layer, ``kernel = Wᵀ``) the weight and bias gradients are the sums of each
    row's: ``∂L/∂kernel = xᵀ · g`` and ``∂L/∂bias = Σ_n g[n]``, and ``∂L/∂x = g · kernelᵀ``, row by row.

    Parameters
    ----------
    W : ndarray, shape (m, n)
    x : ndarray, shape (n,)
    grad_z : ndarray, shape (m,)

    Returns
    -------
    (grad_W, grad_b, grad_x) : ndarrays of shapes (m, n), (m,), (n,)
    """
    W = _array(W, 2, "W", "affine_backward", "(m, n)")
    m, n = W.shape
    x = _array(x, 1, "x", "affine_backward", f"({n},)")
    if x.shape[0] != n:
        raise ShapeError(f"affine_backward: W of shape {W.shape} expects x of shape ({n},), got shape {x.shape}")
    g = _gradient_of_output(grad_z, (m,), "grad_z", "affine_backward")
    grad_W, grad_b, grad_x = np.zeros((m, n)), np.zeros(m), np.zeros(n)
    for i in range(m):
        grad_b[i] = g[i]
        for j in range(n):
            grad_W[i, j] = g[i] * x[j]
            grad_x[j] += W[i, j] * g[i]
    return grad_W, grad_b, grad_x


def sigmoid_backward(z, grad_a):
    """The sigmoid's gradient: ``∂L/∂z = ∂L/∂a · σ(z) · (1 − σ(z))``, element by element.

    From ``σ(z) = 1/(1 + e^{−z})``: ``σ'(z) = e^{−z}/(1 + e^{−z})² = σ(z) · (1 − σ(z))``.

    Parameters
    ----------
    z : float or ndarray of any shape
        The sigmoid's input.
    grad_a : float or ndarray, the shape of ``z``
        ``∂L/∂a`` for ``a = σ(z)``.

    Returns
    -------
    grad_z : float (for a scalar ``z``) or ndarray of the shape of ``z``
    """
    z = _array(z, None, "z", "sigmoid_backward", "(any shape)")
    g = _gradient_of_output(grad_a, z.shape, "grad_a", "sigmoid_backward")
    a = np.asarray(sigmoid(z))  # an array also for one number (sigmoid gives a float for it)
    grad_z = np.zeros(z.shape)
    for index in np.ndindex(*z.shape):
        grad_z[index] = g[index] * a[index] * (1.0 - a[index])
    return grad_z if z.ndim else float(grad_z)


# ---------------------------------------------------------------------------------------------------------------------
# The linear model, its loss, its gradients and one step of gradient descent
# ---------------------------------------------------------------------------------------------------------------------


def _same_length(a, b, names, where):
    """Two 1-D float arrays of the same, non-zero length, or a clear error naming them."""
    a = _array(a, 1, names[0], where, "(N,)")
    b = _array(b, 1, names[1], where, "(N,)")
    if a.shape != b.shape:
        raise ShapeError(f"{where}: {names[0]} and {names[1]} must have the same length N (one value per sample), "
                         f"got {a.shape[0]} and {b.shape[0]}")
    if a.shape[0] == 0:
        raise ShapeError(f"{where}: {names[0]} and {names[1]} must hold at least one sample, got empty arrays")
    return a, b


def mse_loss(y, y_hat):
    """The mean squared error: ``L = 1/(2N) Σ_n (y_n − ŷ_n)²``.

    Parameters
    ----------
    y : ndarray, shape (N,)
        The targets.
    y_hat : ndarray, shape (N,)
        The predictions ``ŷ``.

    Returns
    -------
    L : float

    Notes
    -----
    The ½ makes the derivative clean: ``∂/∂ŷ_n (y_n − ŷ_n)²/2 = −(y_n − ŷ_n)``. Keras' ``MeanSquaredError`` uses
    ``1/N`` without the ½, so this value is half of Keras'.
    """
    y, y_hat = _same_length(y, y_hat, ("y", "y_hat"), "mse_loss")
    N = y.shape[0]
    total = 0.0
    for n in range(N):
        total += (y[n] - y_hat[n]) ** 2
    return total / (2 * N)


def linear_model(x, w, b):
    """The linear model: ``ŷ_n = w · x_n + b``.

    Parameters
    ----------
    x : ndarray, shape (N,)
        The inputs, one number per sample.
    w : float
        The weight (a single number).
    b : float
        The bias (a single number).

    Returns
    -------
    y_hat : ndarray, shape (N,)
    """
    x = _array(x, 1, "x", "linear_model", "(N,)")
    w = _scalar(w, "w", "linear_model")
    b = _scalar(b, "b", "linear_model")
    y_hat = np.zeros(x.shape[0])
    for n in range(x.shape[0]):
        y_hat[n] = w * x[n] + b
    return y_hat


def mse_gradients(x, y, w, b):
    """The gradients of ``L = 1/(2N) Σ_n (y_n − ŷ_n)²`` for the linear model ``ŷ_n = w·x_n + b``.

    By the chain rule, with ``∂ŷ_n/∂w = x_n`` and ``∂ŷ_n/∂b = 1``::

        ∂L/∂w = 1/(2N) Σ_n 2·(y_n − ŷ_n) · ∂(y_n − ŷ_n)/∂w
              = 1/(2N) Σ_n 2·(y_n − ŷ_n) · (−x_n)             = −(1/N) Σ_n (y_n − ŷ_n)·x_n
        ∂L/∂b = 1/(2N) Σ_n 2·(y_n − ŷ_n) · (−1)               = −(1/N) Σ_n (y_n − ŷ_n)

    The source document prints ``∂L/∂w = Σ (y − ŷ)·x`` and ``∂L/∂b = Σ (y − ŷ)``: without the minus sign and without
    ``1/N``. That is N times the *negative* gradient, so a step along the printed form *raises* the loss
    (``printed_gradients`` keeps the printed form, so that notebooks and tests can show exactly that).

    Parameters
    ----------
    x : ndarray, shape (N,)
    y : ndarray, shape (N,)
        The targets.
    w, b : float
        The current weight and bias.

    Returns
    -------
    (dL_dw, dL_db) : tuple of two floats
    """
    x, y = _same_length(x, y, ("x", "y"), "mse_gradients")
    y_hat = linear_model(x, w, b)
    N = x.shape[0]
    sum_w, sum_b = 0.0, 0.0
    for n in range(N):
        sum_w += (y[n] - y_hat[n]) * x[n]
        sum_b += y[n] - y_hat[n]
    dL_dw = -(1.0 / N) * sum_w
    dL_db = -(1.0 / N) * sum_b
    return dL_dw, dL_db


def printed_gradients(x, y, w, b):
    """The gradients as the source document prints them: ``(Σ_n (y_n − ŷ_n)·x_n, Σ_n (y_n − ŷ_n))``.

    **Wrong**: the minus sign and the ``1/N`` are missing (see ``mse_gradients`` for the derivation). Kept so that
    notebooks and tests can show that a step along it raises the loss.

    Parameters
    ----------
    x, y : ndarray, shape (N,)
    w, b : float

    Returns
    -------
    (printed_dw, printed_db) : tuple of two floats
    """
    x, y = _same_length(x, y, ("x", "y"), "printed_gradients")
    y_hat = linear_model(x, w, b)
    printed_dw, printed_db = 0.0, 0.0
    for n in range(x.shape[0]):
        printed_dw += (y[n] - y_hat[n]) * x[n]
        printed_db += y[n] - y_hat[n]
    return printed_dw, printed_db


def sgd_update(w, grad, learning_rate):
    """One step of gradient descent: ``w ← w − α · ∂L/∂w``, element by element.

    Parameters
    ----------
    w : float or ndarray
        The parameter; it is not modified.
    grad : float or ndarray, the shape of ``w``
        The gradient ``∂L/∂w``.
    learning_rate : float
        The step size ``α > 0``.

    Returns
    -------
    new_w : float (for a scalar ``w``) or a new ndarray of the shape of ``w``
    """
    where = "sgd_update"
    alpha = _scalar(learning_rate, "learning_rate", where)
    if not alpha > 0:
        raise ValueError(f"{where}: learning_rate must be a positive number, got {learning_rate!r}")
    w_array = _array(w, None, "w", where, "(any shape)")
    if w_array.ndim == 0:  # one number in, one number out
        return _scalar(w, "w", where) - alpha * _scalar(grad, "grad", where)
    w = w_array
    grad = _array(grad, None, "grad", where, f"{w.shape} (the shape of w)")
    if grad.shape != w.shape:
        raise ShapeError(f"{where}: expected grad of shape {w.shape} (the shape of w), got shape {grad.shape}")
    new_w = np.zeros(w.shape)
    for index in np.ndindex(*w.shape):
        new_w[index] = w[index] - alpha * grad[index]
    return new_w
