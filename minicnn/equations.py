"""The document's equations, literally: plain loops, one function per formula.

This module is the readable reference — a *permanent naive oracle*. Nobody imports it for speed; every fast layer and
kernel is tested against it, and it is tested against worked examples computed by hand. Read each function aloud with
its docstring: the loops are the sums of the formula, in the same order and with the same symbols.
"""

import math

import numpy as np

from minicnn.kernels.padding import check_padding, output_length, padding_amounts


def _pair(value, argument, where):
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in pair):
        raise ValueError(f"{where}: {argument} must be a positive int or a pair of positive ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _array(value, ndim, argument, where, layout):
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != ndim:
        raise ValueError(f"{where}: expected {argument} of shape {layout}, got shape {array.shape}")
    return array


def conv2d(x, w):
    """The convolution sum on one channel: ``y[i, j] = Σ_k Σ_l x[i+k, j+l] · w[k, l]``.

    This is the *cross-correlation* that every deep-learning framework calls "convolution": the kernel is not
    flipped. (The source document prints the index expression of this sum garbled; this is the standard form.)

    Parameters
    ----------
    x : ndarray, shape (H, W)
    w : ndarray, shape (kh, kw)

    Returns
    -------
    y : ndarray, shape (H − kh + 1, W − kw + 1)
    """
    x = _array(x, 2, "x", "conv2d", "(H, W)")
    w = _array(w, 2, "w", "conv2d", "(kh, kw)")
    kh, kw = w.shape
    if kh > x.shape[0] or kw > x.shape[1]:
        raise ValueError(f"conv2d: kernel w of shape {w.shape} is larger than the input x of shape {x.shape}")
    y = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            total = 0.0
            for k in range(kh):
                for l in range(kw):
                    total += x[i + k, j + l] * w[k, l]
            y[i, j] = total
    return y


def _zero_pad(x, pad_h, pad_w, value=0.0):
    """x (N, H, W, C) with ``pad_h = (top, bottom)`` and ``pad_w = (left, right)`` rows/columns of ``value``."""
    n, height, width, channels = x.shape
    padded = np.full((n, height + pad_h[0] + pad_h[1], width + pad_w[0] + pad_w[1], channels), value)
    padded[:, pad_h[0]:pad_h[0] + height, pad_w[0]:pad_w[0] + width, :] = x
    return padded


def conv2d_nhwc(x, kernel, bias=None, stride=1, padding="valid"):
    """The convolution layer: ``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·sh+k, j·sw+l, c] · w[k,l,c,o]``.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
    kernel : ndarray, shape (kh, kw, C_in, C_out)
    bias : ndarray, shape (C_out,), or None
    stride : int or (sh, sw)
    padding : "valid" (no padding) or "same" (zeros, the extra one at the bottom/right)

    Returns
    -------
    y : ndarray, shape (N, H_out, W_out, C_out) with ``H_out = (H + pad_top + pad_bottom − kh) // sh + 1``.
    """
    where = "conv2d_nhwc"
    x = _array(x, 4, "x", where, "(N, H, W, C_in)")
    kernel = _array(kernel, 4, "kernel", where, "(kh, kw, C_in, C_out)")
    sh, sw = _pair(stride, "stride", where)
    padding = check_padding(padding, f"{where}: padding")
    n, height, width, c_in = x.shape
    kh, kw, kernel_c_in, c_out = kernel.shape
    if kernel_c_in != c_in:
        raise ValueError(f"{where}: kernel expects {kernel_c_in} input channels (shape {kernel.shape}), "
                         f"but x has {c_in} (shape {x.shape})")
    b = np.zeros(c_out) if bias is None else _array(bias, 1, "bias", where, f"({c_out},)")
    out_h, out_w = output_length(height, kh, sh, padding), output_length(width, kw, sw, padding)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{where}: kernel of {kh}×{kw} does not fit in x of {height}×{width} with padding='valid'")
    x_pad = _zero_pad(x, padding_amounts(height, kh, sh, padding), padding_amounts(width, kw, sw, padding))
    y = np.zeros((n, out_h, out_w, c_out))
    for image in range(n):
        for i in range(out_h):
            for j in range(out_w):
                for o in range(c_out):
                    total = b[o]
                    for k in range(kh):
                        for l in range(kw):
                            for c in range(c_in):
                                total += x_pad[image, i * sh + k, j * sw + l, c] * kernel[k, l, c, o]
                    y[image, i, j, o] = total
    return y


def max_pool2d(x, pool_size=2, stride=None):
    """Max pooling on one channel: ``y[i, j] = max_{k,l} x[i·s + k, j·s + l]`` over ``pool_size``² windows.

    x (H, W) -> y ((H − p) // s + 1, (W − p) // s + 1); the stride ``s`` defaults to the pool size.
    """
    x = _array(x, 2, "x", "max_pool2d", "(H, W)")
    p = int(pool_size)
    s = p if stride is None else int(stride)
    if p < 1 or s < 1:
        raise ValueError(f"max_pool2d: pool_size and stride must be positive, got {pool_size!r} and {stride!r}")
    if p > min(x.shape):
        raise ValueError(f"max_pool2d: pool_size {p} is larger than x of shape {x.shape}")
    y = np.zeros(((x.shape[0] - p) // s + 1, (x.shape[1] - p) // s + 1))
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            best = -math.inf
            for k in range(p):
                for l in range(p):
                    best = max(best, x[i * s + k, j * s + l])
            y[i, j] = best
    return y


def _pool_nhwc(x, pool_size, strides, padding, where, reduce):
    x = _array(x, 4, "x", where, "(N, H, W, C)")
    ph, pw = _pair(pool_size, "pool_size", where)
    sh, sw = (ph, pw) if strides is None else _pair(strides, "strides", where)
    padding = check_padding(padding, f"{where}: padding")
    n, height, width, channels = x.shape
    out_h, out_w = output_length(height, ph, sh, padding), output_length(width, pw, sw, padding)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{where}: pool_size {ph}×{pw} does not fit in x of {height}×{width} with padding='valid'")
    top, _ = padding_amounts(height, ph, sh, padding)
    left, _ = padding_amounts(width, pw, sw, padding)
    y = np.zeros((n, out_h, out_w, channels))
    for image in range(n):
        for i in range(out_h):
            for j in range(out_w):
                for c in range(channels):
                    window = []
                    for k in range(ph):
                        for l in range(pw):
                            row, col = i * sh + k - top, j * sw + l - left
                            if 0 <= row < height and 0 <= col < width:  # padding never takes part
                                window.append(x[image, row, col, c])
                    y[image, i, j, c] = reduce(window)
    return y


def max_pool2d_nhwc(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling per channel: ``y[n,i,j,c] = max_{k,l} x_pad[n, i·sh+k, j·sw+l, c]``.

    x (N, H, W, C) -> y (N, H_out, W_out, C). With ``same`` padding the padded positions count as −∞: they never win.
    """
    return _pool_nhwc(x, pool_size, strides, padding, "max_pool2d_nhwc", max)


def average_pool2d_nhwc(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling per channel: ``y[n,i,j,c] = (1/|window|) Σ_{k,l} x[n, i·sh+k, j·sw+l, c]``.

    With ``same`` padding, ``|window|`` counts only the real (unpadded) inputs, as Keras does.
    """
    return _pool_nhwc(x, pool_size, strides, padding, "average_pool2d_nhwc", lambda window: sum(window) / len(window))


def affine(W, x, b):
    """The affine layer: ``z = W x + b``, that is ``z_i = Σ_j W_ij · x_j + b_i``.

    W (m, n), x (n,), b (m,) -> z (m,). The ``Dense`` layer stores the transpose, ``kernel`` of shape (n, m), and
    computes ``x @ kernel + bias`` for a batch of rows.
    """
    W = _array(W, 2, "W", "affine", "(m, n)")
    x = _array(x, 1, "x", "affine", f"({W.shape[1]},)")
    b = _array(b, 1, "b", "affine", f"({W.shape[0]},)")
    if x.shape[0] != W.shape[1] or b.shape[0] != W.shape[0]:
        raise ValueError(f"affine: expected x of shape ({W.shape[1]},) and b of shape ({W.shape[0]},) for W of shape "
                         f"{W.shape}, got x {x.shape} and b {b.shape}")
    z = np.zeros(W.shape[0])
    for i in range(W.shape[0]):
        total = b[i]
        for j in range(W.shape[1]):
            total += W[i, j] * x[j]
        z[i] = total
    return z


def sigmoid(z):
    """The sigmoid: ``σ(z) = 1 / (1 + e^{−z})``, element by element, for any shape.

    For z < 0 it computes the equal form ``e^{z} / (1 + e^{z})`` so that ``e^{−z}`` never overflows.
    """
    z = np.asarray(z, dtype=np.float64)
    a = np.zeros(z.shape)
    for index in np.ndindex(*z.shape):
        value = z[index]
        if value >= 0:
            a[index] = 1.0 / (1.0 + math.exp(-value))
        else:
            a[index] = math.exp(value) / (1.0 + math.exp(value))
    return a if z.ndim else float(a)


def _same_length(x, y, where):
    x = _array(x, 1, "x", where, "(N,)")
    y = _array(y, 1, "y", where, "(N,)")
    if x.shape != y.shape:
        raise ValueError(f"{where}: x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    return x, y


def mse_loss(y, y_hat):
    """The mean squared error: ``L = 1/(2N) Σ_n (y_n − ŷ_n)²``.

    The ½ makes the derivative clean. Keras' ``MeanSquaredError`` uses ``1/N`` without the ½, so its value is twice
    this one.
    """
    y, y_hat = _same_length(y, y_hat, "mse_loss")
    total = 0.0
    for n in range(len(y)):
        total += (y[n] - y_hat[n]) ** 2
    return total / (2 * len(y))


def linear_model(x, w, b):
    """The linear model ``ŷ_n = w · x_n + b`` (scalar w and b, a 1-D array x)."""
    x = _array(x, 1, "x", "linear_model", "(N,)")
    y_hat = np.zeros(len(x))
    for n in range(len(x)):
        y_hat[n] = w * x[n] + b
    return y_hat


def mse_gradients(x, y, w, b):
    """The gradients of ``L = 1/(2N) Σ (y − ŷ)²`` for ``ŷ = wx + b``, derived correctly::

        ∂L/∂w = 1/(2N) Σ 2·(y − ŷ)·∂(y − ŷ)/∂w = 1/(2N) Σ 2·(y − ŷ)·(−x) = −(1/N) Σ (y − ŷ)·x
        ∂L/∂b = 1/(2N) Σ 2·(y − ŷ)·(−1)                              = −(1/N) Σ (y − ŷ)

    The source document prints ``∂L/∂w = Σ (y − ŷ)·x`` and ``∂L/∂b = Σ (y − ŷ)``: without the minus sign and without
    ``1/N``. That is the *negative* gradient (times N), so an SGD step along the printed form raises the loss
    (``printed_gradients`` keeps it, to show exactly that).

    Returns ``(dL_dw, dL_db)``.
    """
    x, y = _same_length(x, y, "mse_gradients")
    y_hat = linear_model(x, w, b)
    dL_dw, dL_db = 0.0, 0.0
    for n in range(len(x)):
        dL_dw += -(y[n] - y_hat[n]) * x[n]
        dL_db += -(y[n] - y_hat[n])
    return dL_dw / len(x), dL_db / len(x)


def printed_gradients(x, y, w, b):
    """The document's printed (wrong) gradients: ``(Σ (y − ŷ)·x, Σ (y − ŷ))`` — wrong sign, no ``1/N``."""
    x, y = _same_length(x, y, "printed_gradients")
    y_hat = linear_model(x, w, b)
    printed_w, printed_b = 0.0, 0.0
    for n in range(len(x)):
        printed_w += (y[n] - y_hat[n]) * x[n]
        printed_b += y[n] - y_hat[n]
    return printed_w, printed_b


def sgd_update(w, grad, learning_rate):
    """One step of gradient descent: ``w ← w − α · ∂L/∂w``. Returns the new value; ``w`` itself is not changed."""
    if not isinstance(learning_rate, (int, float)) or learning_rate <= 0:
        raise ValueError(f"sgd_update: learning_rate must be a positive number, got {learning_rate!r}")
    if np.ndim(w) == 0:
        return w - learning_rate * grad
    w = np.asarray(w, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != w.shape:
        raise ValueError(f"sgd_update: expected grad of shape {w.shape} (the shape of w), got {grad.shape}")
    new_w = np.zeros(w.shape)
    for index in np.ndindex(*w.shape):
        new_w[index] = w[index] - learning_rate * grad[index]
    return new_w
