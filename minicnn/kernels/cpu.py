"""The Numba backend (``set_backend("numba")``, the default on the CPU): the same functions and signatures as
``numpy_kernels``, compiled with ``@njit(parallel=True, cache=True)``.

How the work is split, and why (measured on this project's 2-core machine; see ``benchmarks/conv.py`` and
``shared/notes/cpu-performance.md``):

- **Convolution = im2col + a parallel matrix product.** A parallel Numba loop copies every receptive field into one
  row of ``cols`` (``(N·H_out·W_out, kh·kw·C_in)``), writing the zero padding in place (no ``np.pad``); then
  ``y = cols · W`` runs as row blocks inside a ``prange``, each block one single-threaded BLAS call (``np.dot``).
  Measured alternatives: direct loops laid out for SIMD reached at most ~35 % of the cores' peak in prototypes,
  and even for one input channel (``kh·kw·C_in = 9``) a loop with the output channels innermost ran 3.6× slower
  than the blocked BLAS product (0.76 vs 0.21 ms for 32768×9 · 9×32), so every product goes through BLAS.
- **Backward** reuses the picture. ``∂L/∂W = colsᵀ·∂L/∂y``: the columns are built already transposed (one row per
  kernel tap), so the product splits over taps with no reduction between threads (multiplying by ``cols[a:b].T``
  instead ran at half speed: Numba's ``np.dot`` is slow on that transposed view). ``∂L/∂cols = ∂L/∂y·Wᵀ`` in row
  blocks, then **col2im as a gather**: each input pixel sums the entries of ``∂L/∂cols`` that came from it, so
  threads never write to the same place (no atomics: the same inputs and thread count give the same bits).
- **Pooling** is direct: one pass over the windows with the channels innermost; max pooling records the winner's
  flat window index (``int32``, first maximum on ties, exactly as the NumPy backend), and both backward passes
  are gathers. 17× faster than the NumPy backend and ~5× faster than PyTorch on 32×32×32×32.
- **Dense** products run as row blocks of single-threaded BLAS as well; ReLU and the Adam update are one parallel
  pass each.
- ``cols`` is large (75 MB for 8×64×64×64 with a 3×3 kernel): one work array per thread and dtype is kept from
  call to call (``_scratch``, up to ``MOST_SCRATCH_BYTES``), since a fresh one each call cost more in page faults
  than the product itself. Filling and multiplying tiles of a few hundred rows that stay in cache would go further.

Ctrl-C: a KeyboardInterrupt that arrives while a compiled kernel runs comes out of Numba as SystemError; every
public function here (``@interruptions_unwrapped``) raises it as itself, so that ``except KeyboardInterrupt``
catches it whichever way the kernel was reached (a model, a layer's ``forward`` called by name, ``functional``).

Threads: Numba's thread count follows ``NUMBA_NUM_THREADS`` (or ``numba.set_num_threads``). The products and the
bias gradient split their rows into one block per thread, so the order of their sums, and so their rounding, follows
the thread count: a run repeats bit for bit on the same count, and another count rounds differently (within float
rounding per step, as the backends differ). The BLAS that
Numba's ``np.dot`` calls (SciPy's OpenBLAS) must be single-threaded, or its threads and Numba's spin against each
other on the same cores (~8 ms lost per hand-over); ``minicnn.kernels.blas_threads`` loads it so, first thing on
``import minicnn``.

Compilation: every kernel is cached on disk (``cache=True``); when no cache folder is writable the kernels still
work, compiled in memory. Numba compiles a kernel again when *its own* file changes, not when a function it calls
from another file does: ``_dropout_mask`` has ``random_bits.mix32`` compiled into it, so after a change to
``random_bits.py`` alone (an edit, a ``git pull``) it keeps the old hash until ``cpu.py`` changes too or the cache
files (``minicnn/kernels/__pycache__/cpu.*.nbi`` and ``.nbc``) are deleted (``cuda.py``'s dropout kernel is
cached the same way).
"""

import threading
import warnings

from minicnn.kernels import blas_threads  # noqa: F401  (the BLAS behind Numba's np.dot, single-threaded)

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import prange  # noqa: E402

from minicnn.kernels.numpy_kernels import (  # noqa: E402,F401  (host-side helpers shared with the NumPy backend)
    apply_dropout_mask,
    batch_norm_backward,
    batch_norm_forward,
    is_device_array,
    not_finite,
    sgd_update,
    sigmoid_backward,
    sigmoid_forward,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
    to_device,
    to_host,
    zeros_like,
)
from minicnn import checks  # noqa: E402
from minicnn.checks import check_gradient, interruptions_unwrapped  # noqa: E402
from minicnn.kernels.padding import output_length, padding_amounts  # noqa: E402
from minicnn.kernels.random_bits import keep_threshold, mix32  # noqa: E402

_CACHE_WARNED = []  # one warning a process: every kernel meets the same folder that cannot be written


def _jit(function, parallel=True):
    """``@njit(parallel=parallel, cache=True)``, or without the disk cache when no cache folder is writable (said
    once, with the way out)."""
    try:
        return numba.njit(parallel=parallel, cache=True)(function)
    except RuntimeError as error:  # numba: "cannot cache function ...: no locator available"
        if not _CACHE_WARNED:
            _CACHE_WARNED.append(function.__name__)
            warnings.warn(f"minicnn: Numba cannot cache its compiled kernels here ({error}), so they are compiled in "
                          f"memory, again in every process (about 20 s); set NUMBA_CACHE_DIR to a folder you can "
                          f"write to keep them", RuntimeWarning, stacklevel=checks.stacklevel_outside_minicnn())
        return numba.njit(parallel=parallel)(function)


# --------------------------------------------------------------------------------------------- matrix products
@_jit
def _matmul(a, b, out, parts):
    """``out = a · b`` in ``parts`` row blocks, one per thread, each one single-threaded BLAS call."""
    rows = a.shape[0]
    step = (rows + parts - 1) // parts
    for part in prange(parts):
        low, high = part * step, min(rows, (part + 1) * step)
        if low < high:
            np.dot(a[low:high], b, out[low:high])
    return out


@_jit
def _add_bias(y, bias):
    for r in prange(y.shape[0]):
        for o in range(y.shape[1]):
            y[r, o] += bias[o]


@_jit
def _column_sums(y, parts):
    """``Σ_r y[r, o]`` for every column, the rows split into ``parts`` (the bias gradient)."""
    rows = y.shape[0]
    step = (rows + parts - 1) // parts
    partial = np.zeros((parts, y.shape[1]), dtype=y.dtype)
    for part in prange(parts):
        for r in range(part * step, min(rows, (part + 1) * step)):
            for o in range(y.shape[1]):
                partial[part, o] += y[r, o]
    return partial.sum(axis=0)


# --------------------------------------------------------------------------------------------- im2col / col2im
@_jit
def _im2col(x, kh, kw, sh, sw, top, left, out_h, out_w, cols):
    """Row ``(n·H_out + i)·W_out + j`` of ``cols`` becomes the window at output (n, i, j), taps in (k, l, c) order."""
    n, height, width, channels = x.shape
    for image_row in prange(n * out_h):
        b, i = image_row // out_h, image_row % out_h
        for j in range(out_w):
            r = image_row * out_w + j
            for k in range(kh):
                hh = i * sh + k - top
                for l in range(kw):
                    ww = j * sw + l - left
                    base = (k * kw + l) * channels
                    if 0 <= hh < height and 0 <= ww < width:
                        for c in range(channels):
                            cols[r, base + c] = x[b, hh, ww, c]
                    else:
                        for c in range(channels):
                            cols[r, base + c] = 0


@_jit
def _im2col_transposed(x, kh, kw, sh, sw, top, left, out_h, out_w, cols_t):
    """The transpose of ``_im2col``: row ``(k·kw + l)·C + c`` of ``cols_t`` becomes tap (k, l, c) of every window,
    in the order of the output pixels (so ``colsᵀ · ∂L/∂y`` becomes a plain product split over taps, with no
    reduction between threads)."""
    n, height, width, channels = x.shape
    taps = kh * kw * channels
    for tap in prange(taps):
        k, l, c = tap // (kw * channels), (tap // channels) % kw, tap % channels
        for b in range(n):
            for i in range(out_h):
                hh = i * sh + k - top
                start = (b * out_h + i) * out_w
                if hh < 0 or hh >= height:
                    for j in range(out_w):
                        cols_t[tap, start + j] = 0
                    continue
                for j in range(out_w):
                    ww = j * sw + l - left
                    cols_t[tap, start + j] = x[b, hh, ww, c] if 0 <= ww < width else 0


@_jit
def _col2im(grad_cols, n, height, width, channels, kh, kw, sh, sw, top, left, out_h, out_w):
    """Gather: each input pixel sums the entries of ``∂L/∂cols`` that were copied from it."""
    grad_x = np.zeros((n, height, width, channels), dtype=grad_cols.dtype)
    for image_row in prange(n * height):
        b, r = image_row // height, image_row % height
        for col in range(width):
            for k in range(kh):
                t = r + top - k
                if t < 0 or t % sh != 0 or t // sh >= out_h:
                    continue
                i = t // sh
                for l in range(kw):
                    u = col + left - l
                    if u < 0 or u % sw != 0 or u // sw >= out_w:
                        continue
                    source = (b * out_h + i) * out_w + u // sw
                    base = (k * kw + l) * channels
                    for c in range(channels):
                        grad_x[b, r, col, c] += grad_cols[source, base + c]
    return grad_x


def _geometry(x_shape, window, stride, padding):
    _, height, width, _ = x_shape
    out_h = output_length(height, window[0], stride[0], padding)
    out_w = output_length(width, window[1], stride[1], padding)
    top = padding_amounts(height, window[0], stride[0], padding)[0]
    left = padding_amounts(width, window[1], stride[1], padding)[0]
    return out_h, out_w, top, left


def _parts():
    """How many blocks to split a product into: one per Numba thread (read here: inside a cached kernel it could
    not be)."""
    return numba.get_num_threads()


_SCRATCH = threading.local()
#: the largest work array kept from call to call, per thread and dtype (the document's network at batch 256 needs
#: 75 MB); a larger one is made for its call and freed after it, as every one was
MOST_SCRATCH_BYTES = 256 * 2**20


def _scratch(rows, columns, dtype):
    """A ``(rows, columns)`` work array for a convolution's columns, reused from call to call (one per thread and
    dtype, grown as needed; every entry is written before it is read, and none is returned): a fresh one each call
    cost the system's zeroing of new pages, 39 % of a training step at batch 256 (found in review)."""
    dtype = np.dtype(dtype)
    size = rows * columns
    if size * dtype.itemsize > MOST_SCRATCH_BYTES:
        return np.empty((rows, columns), dtype=dtype)
    buffers = _SCRATCH.__dict__.setdefault("buffers", {})
    buffer = buffers.get(dtype)
    if buffer is None or buffer.size < size:
        buffer = buffers[dtype] = np.empty(size, dtype=dtype)
    return buffer[:size].reshape(rows, columns)


def _contiguous(*arrays):
    return [np.ascontiguousarray(a) for a in arrays]


# --------------------------------------------------------------------------------------------- convolution
@interruptions_unwrapped
def conv2d_forward(x, kernel, bias, stride, padding):
    """``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·sh+k, j·sw+l, c] · w[k,l,c,o]`` (see ``numpy_kernels``)."""
    x, kernel = _contiguous(x, kernel)
    kh, kw, c_in, c_out = kernel.shape
    out_h, out_w, top, left = _geometry(x.shape, (kh, kw), stride, padding)
    cols = _scratch(x.shape[0] * out_h * out_w, kh * kw * c_in, x.dtype)
    _im2col(x, kh, kw, stride[0], stride[1], top, left, out_h, out_w, cols)
    y = np.empty((cols.shape[0], c_out), dtype=x.dtype)
    _matmul(cols, kernel.reshape(kh * kw * c_in, c_out), y, _parts())
    if bias is not None:
        _add_bias(y, np.ascontiguousarray(bias, dtype=x.dtype))
    return y.reshape(x.shape[0], out_h, out_w, c_out)


@interruptions_unwrapped
def conv2d_backward(grad_y, x, kernel, stride, padding, input_gradient=True):
    """``(∂L/∂x, ∂L/∂w, ∂L/∂b)`` of the convolution sum (see ``numpy_kernels``); ∂L/∂x is None when
    ``input_gradient`` is False."""
    grad_y, x, kernel = _contiguous(grad_y, x, kernel)
    kh, kw, c_in, c_out = kernel.shape
    n, height, width, _ = x.shape
    out_h, out_w, top, left = _geometry(x.shape, (kh, kw), stride, padding)
    check_gradient("conv2d_backward", grad_y, (n, out_h, out_w, c_out))
    grad_y2 = grad_y.reshape(-1, c_out)
    cols_t = _scratch(kh * kw * c_in, n * out_h * out_w, x.dtype)
    _im2col_transposed(x, kh, kw, stride[0], stride[1], top, left, out_h, out_w, cols_t)
    grad_kernel = np.empty((kh * kw * c_in, c_out), dtype=x.dtype)
    _matmul(cols_t, grad_y2, grad_kernel, _parts())
    grad_kernel = grad_kernel.reshape(kernel.shape)
    grad_bias = _column_sums(grad_y2, _parts())
    if not input_gradient:
        return None, grad_kernel, grad_bias
    grad_cols = _scratch(grad_y2.shape[0], kh * kw * c_in, x.dtype)  # cols_t's memory: no longer read
    _matmul(grad_y2, kernel.reshape(kh * kw * c_in, c_out).T, grad_cols, _parts())
    grad_x = _col2im(grad_cols, n, height, width, c_in, kh, kw, stride[0], stride[1], top, left, out_h, out_w)
    return grad_x, grad_kernel, grad_bias


# --------------------------------------------------------------------------------------------- pooling
@_jit
def _max_pool_forward(x, ph, pw, sh, sw, top, left, out_h, out_w):
    n, height, width, channels = x.shape
    y = np.empty((n, out_h, out_w, channels), dtype=x.dtype)
    argmax = np.zeros((n, out_h, out_w, channels), dtype=np.int32)
    for image_row in prange(n * out_h):
        b, i = image_row // out_h, image_row % out_h
        for j in range(out_w):
            for c in range(channels):
                y[b, i, j, c] = -np.inf
            for k in range(ph):
                hh = i * sh + k - top
                if hh < 0 or hh >= height:
                    continue
                for l in range(pw):
                    ww = j * sw + l - left
                    if ww < 0 or ww >= width:
                        continue
                    for c in range(channels):
                        value = x[b, hh, ww, c]
                        best = y[b, i, j, c]
                        if value > best or (value != value and best == best):  # the first NaN wins, as in NumPy
                            y[b, i, j, c] = value
                            argmax[b, i, j, c] = k * pw + l
    return y, argmax


@_jit
def _pool_backward(grad_y, argmax, use_argmax, height, width, ph, pw, sh, sw, top, left):
    """Gather for both poolings: max sends ``∂L/∂y`` to the recorded winner, average shares it by window size."""
    n, out_h, out_w, channels = grad_y.shape
    grad_x = np.zeros((n, height, width, channels), dtype=grad_y.dtype)
    for image_row in prange(n * height):
        b, r = image_row // height, image_row % height
        for col in range(width):
            for k in range(ph):
                t = r + top - k
                if t < 0 or t % sh != 0 or t // sh >= out_h:
                    continue
                i = t // sh
                rows = min(i * sh - top + ph, height) - max(i * sh - top, 0)
                for l in range(pw):
                    u = col + left - l
                    if u < 0 or u % sw != 0 or u // sw >= out_w:
                        continue
                    j = u // sw
                    if use_argmax:
                        for c in range(channels):
                            if argmax[b, i, j, c] == k * pw + l:
                                grad_x[b, r, col, c] += grad_y[b, i, j, c]
                    else:
                        count = rows * (min(j * sw - left + pw, width) - max(j * sw - left, 0))
                        for c in range(channels):
                            grad_x[b, r, col, c] += grad_y[b, i, j, c] / count
    return grad_x


@_jit
def _avg_pool_forward(x, ph, pw, sh, sw, top, left, out_h, out_w):
    n, height, width, channels = x.shape
    y = np.zeros((n, out_h, out_w, channels), dtype=x.dtype)
    for image_row in prange(n * out_h):
        b, i = image_row // out_h, image_row % out_h
        row_low, row_high = max(i * sh - top, 0), min(i * sh - top + ph, height)
        for j in range(out_w):
            col_low, col_high = max(j * sw - left, 0), min(j * sw - left + pw, width)
            for hh in range(row_low, row_high):
                for ww in range(col_low, col_high):
                    for c in range(channels):
                        y[b, i, j, c] += x[b, hh, ww, c]
            count = (row_high - row_low) * (col_high - col_low)
            for c in range(channels):
                y[b, i, j, c] /= count
    return y


@interruptions_unwrapped
def max_pool2d_forward(x, pool_size, stride, padding):
    """``y = max`` over each window, and the winner's flat window index (see ``numpy_kernels``)."""
    x = np.ascontiguousarray(x)
    out_h, out_w, top, left = _geometry(x.shape, pool_size, stride, padding)
    return _max_pool_forward(x, pool_size[0], pool_size[1], stride[0], stride[1], top, left, out_h, out_w)


@interruptions_unwrapped
def max_pool2d_backward(grad_y, argmax, x_shape, pool_size, stride, padding):
    """Each ``∂L/∂y`` goes to its window's winner (see ``numpy_kernels``)."""
    out_h, out_w, top, left = _geometry(x_shape, pool_size, stride, padding)
    check_gradient("max_pool2d_backward", grad_y, (x_shape[0], out_h, out_w, x_shape[3]))
    check_gradient("max_pool2d_backward (argmax)", argmax, grad_y.shape)
    grad_y, argmax = _contiguous(grad_y, argmax)
    return _pool_backward(grad_y, argmax, True, x_shape[1], x_shape[2], pool_size[0], pool_size[1], stride[0],
                          stride[1], top, left)


@interruptions_unwrapped
def avg_pool2d_forward(x, pool_size, stride, padding):
    """The mean over the real inputs of each window (see ``numpy_kernels``)."""
    x = np.ascontiguousarray(x)
    out_h, out_w, top, left = _geometry(x.shape, pool_size, stride, padding)
    return _avg_pool_forward(x, pool_size[0], pool_size[1], stride[0], stride[1], top, left, out_h, out_w)


@interruptions_unwrapped
def avg_pool2d_backward(grad_y, x_shape, pool_size, stride, padding):
    """Each ``∂L/∂y`` shared equally by its window's real inputs (see ``numpy_kernels``)."""
    out_h, out_w, top, left = _geometry(x_shape, pool_size, stride, padding)
    check_gradient("avg_pool2d_backward", grad_y, (x_shape[0], out_h, out_w, x_shape[3]))
    grad_y = np.ascontiguousarray(grad_y)
    no_argmax = np.zeros((1, 1, 1, 1), dtype=np.int32)
    return _pool_backward(grad_y, no_argmax, False, x_shape[1], x_shape[2], pool_size[0], pool_size[1], stride[0],
                          stride[1], top, left)


# --------------------------------------------------------------------------------------------- dense
@interruptions_unwrapped
def dense_forward(x, kernel, bias):
    """``z = x · W + b`` (see ``numpy_kernels``)."""
    x, kernel = _contiguous(x, kernel)
    z = np.empty((x.shape[0], kernel.shape[1]), dtype=x.dtype)
    _matmul(x, kernel, z, _parts())
    if bias is not None:
        _add_bias(z, np.ascontiguousarray(bias, dtype=x.dtype))
    return z


@interruptions_unwrapped
def dense_backward(grad_z, x, kernel, input_gradient=True):
    """``(∂L/∂x, ∂L/∂W, ∂L/∂b)`` = ``(∂L/∂z·Wᵀ, xᵀ·∂L/∂z, Σ_n ∂L/∂z)``; ∂L/∂W is split over input features; ∂L/∂x is
    None when ``input_gradient`` is False."""
    grad_z, x, kernel = _contiguous(grad_z, x, kernel)
    check_gradient("dense_backward", grad_z, (x.shape[0], kernel.shape[1]))
    grad_x = None
    if input_gradient:
        grad_x = np.empty(x.shape, dtype=grad_z.dtype)
        _matmul(grad_z, kernel.T, grad_x, _parts())
    grad_kernel = np.empty(kernel.shape, dtype=grad_z.dtype)
    _matmul(np.ascontiguousarray(x.T), grad_z, grad_kernel, _parts())
    return grad_x, grad_kernel, _column_sums(grad_z, _parts())


# --------------------------------------------------------------------------------------------- elementwise
@_jit
def _relu_forward(z, a):
    for i in prange(z.size):
        a[i] = 0 if z[i] <= 0 else z[i]  # NaN stays NaN, as in np.maximum, for the next layer's check to see


@_jit
def _relu_backward(grad_a, a, grad_z):
    for i in prange(a.size):
        grad_z[i] = grad_a[i] if a[i] > 0 else 0


@interruptions_unwrapped
def relu_forward(z):
    """``a = max(0, z)``."""
    z = np.ascontiguousarray(z)
    a = np.empty_like(z)
    _relu_forward(z.reshape(-1), a.reshape(-1))
    return a


@interruptions_unwrapped
def relu_backward(grad_a, a):
    """``∂L/∂z = ∂L/∂a`` where ``a > 0``, else 0."""
    grad_a, a = _contiguous(grad_a, a)
    check_gradient("relu_backward", grad_a, a.shape)
    grad_z = np.empty_like(grad_a)
    _relu_backward(grad_a.reshape(-1), a.reshape(-1), grad_z.reshape(-1))
    return grad_z


_mix32 = _jit(mix32, parallel=False)


@_jit
def _dropout_mask(keep, key_low, key_high, threshold):
    for i in prange(keep.size):
        keep[i] = _mix32(_mix32((i & 0xFFFFFFFF) ^ key_low) ^ key_high ^ (i >> 32)) >= threshold


@interruptions_unwrapped
def dropout_mask(shape, key_low, key_high, rate):
    """Dropout's keep-mask, element by element in parallel: the bits of ``numpy_kernels.dropout_mask``."""
    keep = np.empty(tuple(shape), dtype=np.bool_)
    _dropout_mask(keep.reshape(-1), int(key_low), int(key_high), keep_threshold(rate))
    return keep


@_jit
def _adam_update(param, grad, m, v, learning_rate, beta_1, beta_2, epsilon, correction_1, correction_2):
    for i in prange(param.size):
        m[i] = beta_1 * m[i] + (1 - beta_1) * grad[i]
        v[i] = beta_2 * v[i] + (1 - beta_2) * grad[i] * grad[i]
        param[i] -= learning_rate * (m[i] / correction_1) / (np.sqrt(v[i] / correction_2) + epsilon)


@interruptions_unwrapped
def adam_update(param, grad, m, v, learning_rate, beta_1, beta_2, epsilon, correction_1, correction_2):
    """One Adam step in place, in one pass (see ``numpy_kernels.adam_update``). An array that is not C-contiguous
    (a transposed view, and the state ``zeros_like`` made for it) is updated through a C-contiguous copy, written
    back."""
    arrays = [np.ascontiguousarray(array) for array in (param, m, v)]  # the array itself where it is C-contiguous
    dtype = param.dtype.type
    _adam_update(arrays[0].reshape(-1), np.ascontiguousarray(grad, dtype=param.dtype).reshape(-1),
                 arrays[1].reshape(-1), arrays[2].reshape(-1), dtype(learning_rate), dtype(beta_1), dtype(beta_2),
                 dtype(epsilon), dtype(correction_1), dtype(correction_2))
    for array, updated in zip((param, m, v), arrays):
        if updated is not array:
            array[...] = updated
