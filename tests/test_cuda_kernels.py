"""The cuda backend's kernels (``minicnn.kernels.cuda``) against the NumPy reference, output by output and gradient
by gradient, in float64 and float32.

They run on numba's CUDA simulator (``tests/conftest.py`` sets ``NUMBA_ENABLE_CUDASIM=1``), which runs every GPU
thread as Python: the shapes are tiny, and the tiles are shrunk (``tiling(tile=2, work=2)``: 4 threads per block,
4×4 outputs per block) so that these small arrays still span several blocks in both directions, end in partial
tiles and split their reductions over several slices. One test keeps the shipped tile sizes (16×16 threads).
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minicnn as mc
from minicnn.errors import BackendError, ShapeError
from minicnn.kernels import numpy_kernels
from strategies import distinct_input, make_input, window_cases
from simulator import skip_without_numba_cuda
from tolerances import assert_close

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import cuda_model  # noqa: E402  (the ptxas log's figures and how many blocks of them fit an SM)

cuda_kernels = pytest.importorskip("minicnn.kernels.cuda")
pytest.importorskip("numba.cuda")
skip_without_numba_cuda()

DTYPES = [(np.float64, "float64"), (np.float32, "float32")]
#: 4 threads per block, 4×4 outputs per block, and reductions split until ~64 blocks run
SMALL = {"tile": 2, "work": 2, "target_blocks": 64}


@pytest.fixture(scope="module")
def device(cuda_simulator_threads):
    """Skip where numba.cuda cannot run; under the simulator, switch threads often (``tests/simulator.py``)."""
    try:
        cuda_kernels.check_available()
    except BackendError as error:  # pragma: no cover - only without numba-cuda
        pytest.skip(str(error))
    yield


@pytest.fixture
def small_tiles(device):
    with cuda_kernels.tiling(**SMALL):
        yield


def _host(array, dtype):
    """The kernel's result, checked to be a device array of the input's dtype, as a NumPy array."""
    assert cuda_kernels.is_device_array(array), f"expected a device array, got {type(array)}"
    assert array.dtype == dtype
    return cuda_kernels.to_host(array)


def _check_conv(rng, x_shape, kernel_shape, stride, padding, dtype, tolerance, use_bias=True, contiguous=True):
    x = make_input(rng, x_shape, contiguous, dtype)
    kernel = rng.standard_normal(kernel_shape).astype(dtype)
    bias = rng.standard_normal(kernel_shape[3]).astype(dtype) if use_bias else None
    what = f"{x_shape} ⋆ {kernel_shape} stride {stride} {padding} {np.dtype(dtype).name}"
    expected = numpy_kernels.conv2d_forward(x, kernel, bias, stride, padding)
    assert_close(_host(cuda_kernels.conv2d_forward(x, kernel, bias, stride, padding), dtype), expected, tolerance,
                 f"conv forward {what}")
    grad_y = rng.standard_normal(expected.shape).astype(dtype)
    got = cuda_kernels.conv2d_backward(grad_y, x, kernel, stride, padding)
    for name, actual, reference in zip(("grad_x", "grad_kernel", "grad_bias"), got,
                                       numpy_kernels.conv2d_backward(grad_y, x, kernel, stride, padding)):
        assert_close(_host(actual, dtype), reference, tolerance, f"conv {name} {what}")


# ------------------------------------------------------------------------------------------ convolution
CONV_CASES = [
    # (x shape, kernel shape, stride, padding)
    ((2, 5, 6, 3), (3, 2, 3, 5), (1, 1), "same"),    # odd sizes, even kernel width under 'same'
    ((1, 5, 5, 2), (5, 5, 2, 3), (1, 1), "valid"),   # batch 1, kernel as large as the input (one output pixel)
    ((2, 7, 6, 2), (3, 3, 2, 6), (2, 2), "same"),    # stride 2: the gather skips positions no output reads
    ((1, 6, 7, 1), (2, 3, 1, 9), (1, 2), "valid"),   # unequal strides; 9 output channels = 3 column tiles
]


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("x_shape, kernel_shape, stride, padding", CONV_CASES)
def test_conv2d_forward_and_gradients_match_numpy(small_tiles, x_shape, kernel_shape, stride, padding, dtype,
                                                  tolerance):
    _check_conv(np.random.default_rng(0), x_shape, kernel_shape, stride, padding, dtype, tolerance,
                use_bias=kernel_shape[3] != 9)


@settings(deadline=None, max_examples=25)
@given(case=window_cases(max_window=3, max_size=6, max_channels=3), tile=st.sampled_from([(2, 1), (2, 2), (3, 2)]))
def test_conv2d_drawn_geometries_and_tiles_match_numpy(device, case, tile):
    """Hypothesis draws the geometry (batch, sizes, strides, padding, non-contiguous inputs) and the tile shape."""
    rng = np.random.default_rng(case["seed"])
    with cuda_kernels.tiling(tile=tile[0], work=tile[1], target_blocks=32):
        _check_conv(rng, (case["n"], case["h"], case["w"], case["c_in"]), case["window"] + (case["c_in"],
                    case["c_out"]), case["strides"], case["padding"], np.float64, "float64",
                    contiguous=case["contiguous"])


@settings(deadline=None, max_examples=20)
@given(case=window_cases(max_window=3, max_size=6, max_channels=3))
def test_pooling_drawn_geometries_match_numpy(device, case):
    """Max and average pooling, forward and backward, over drawn windows (overlapping where stride < window)."""
    rng = np.random.default_rng(case["seed"])
    shape = (case["n"], case["h"], case["w"], case["c_in"])
    x = distinct_input(rng, shape, case["contiguous"], np.float64)
    pool, stride, padding = case["window"], case["strides"], case["padding"]
    with cuda_kernels.tiling(tile=2, work=2):
        y, argmax = cuda_kernels.max_pool2d_forward(x, pool, stride, padding)
        y_ref, argmax_ref = numpy_kernels.max_pool2d_forward(x, pool, stride, padding)
        assert_close(_host(y, np.float64), y_ref, "float64", "max_pool forward")
        np.testing.assert_array_equal(cuda_kernels.to_host(argmax), argmax_ref)
        grad_y = rng.standard_normal(y_ref.shape)
        assert_close(_host(cuda_kernels.max_pool2d_backward(grad_y, argmax, shape, pool, stride, padding), np.float64),
                     numpy_kernels.max_pool2d_backward(grad_y, argmax_ref, shape, pool, stride, padding), "float64",
                     "max_pool backward")
        assert_close(_host(cuda_kernels.avg_pool2d_forward(x, pool, stride, padding), np.float64),
                     numpy_kernels.avg_pool2d_forward(x, pool, stride, padding), "float64", "avg_pool forward")
        assert_close(_host(cuda_kernels.avg_pool2d_backward(grad_y, shape, pool, stride, padding), np.float64),
                     numpy_kernels.avg_pool2d_backward(grad_y, shape, pool, stride, padding), "float64",
                     "avg_pool backward")


@settings(deadline=None, max_examples=20)
@given(n=st.integers(1, 6), inputs=st.integers(1, 9), outputs=st.integers(1, 9), use_bias=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_dense_drawn_shapes_match_numpy(device, n, inputs, outputs, use_bias, seed):
    rng = np.random.default_rng(seed)
    x, kernel = rng.standard_normal((n, inputs)), rng.standard_normal((inputs, outputs))
    bias = rng.standard_normal(outputs) if use_bias else None
    grad_z = rng.standard_normal((n, outputs))
    with cuda_kernels.tiling(tile=2, work=2, target_blocks=16):
        assert_close(_host(cuda_kernels.dense_forward(x, kernel, bias), np.float64),
                     numpy_kernels.dense_forward(x, kernel, bias), "float64", "dense forward")
        for name, actual, expected in zip(("grad_x", "grad_kernel", "grad_bias"),
                                          cuda_kernels.dense_backward(grad_z, x, kernel),
                                          numpy_kernels.dense_backward(grad_z, x, kernel)):
            assert_close(_host(actual, np.float64), expected, "float64", f"dense {name}")


def test_conv2d_with_the_shipped_tiles(device):
    """The default configuration (16×16 threads, 64×64 outputs per block): one block, no split."""
    _check_conv(np.random.default_rng(1), (2, 4, 5, 3), (3, 3, 3, 4), (1, 1), "same", np.float32, "float32")


def test_thin_products_get_thin_tiles_and_every_plan_covers_its_product():
    """The shipped 16×16 threads compute 64×64 outputs per block, or 32 / 16 wide along a side of at most 32 / 16
    (32 output channels, one output); the grid covers the output and the splits cover the reduction."""
    assert [cuda_kernels._work_for(n) for n in (1, 16, 17, 32, 33, 64, 1000)] == [1, 1, 2, 2, 4, 4, 4]
    for m, n, k in [(262144, 32, 9), (10, 32, 262144), (256, 1, 256), (8192, 64, 288), (1, 1, 1), (40, 3, 1000)]:
        rows_work, cols_work, (row_tiles, col_tiles, splits), k_split = cuda_kernels._plan(m, n, k)
        tile = cuda_kernels.TILE
        assert row_tiles * tile * rows_work >= m > (row_tiles - 1) * tile * rows_work
        assert col_tiles * tile * cols_work >= n > (col_tiles - 1) * tile * cols_work
        assert k_split % tile == 0 and splits * k_split >= k > (splits - 1) * k_split
        assert row_tiles * col_tiles * splits <= max(cuda_kernels.TARGET_BLOCKS, row_tiles * col_tiles)
    assert cuda_kernels._plan(262144, 32, 9)[:2] == (4, 2)   # conv1's forward: 64×32 tiles
    assert cuda_kernels._plan(10, 32, 262144)[:2] == (1, 2)  # conv1's kernel gradient: 16×32 tiles, split


def test_split_reductions_are_deterministic_and_equal_unsplit(device):
    rng = np.random.default_rng(2)
    x, kernel = rng.standard_normal((2, 6, 6, 2)), rng.standard_normal((3, 3, 2, 3))
    grad_y = rng.standard_normal((2, 6, 6, 3))
    results = []
    for target_blocks in (1, 1000, 1000):  # one slice; then as many slices as the reduction allows, twice
        with cuda_kernels.tiling(tile=2, work=2, target_blocks=target_blocks):
            _, grad_kernel, grad_bias = cuda_kernels.conv2d_backward(grad_y, x, kernel, (1, 1), "same")
            results.append((cuda_kernels.to_host(grad_kernel), cuda_kernels.to_host(grad_bias)))
    reference = numpy_kernels.conv2d_backward(grad_y, x, kernel, (1, 1), "same")
    for grad_kernel, grad_bias in results:
        assert_close(grad_kernel, reference[1], "float64", "grad_kernel")
        assert_close(grad_bias, reference[2], "float64", "grad_bias")
    np.testing.assert_array_equal(results[1][0], results[2][0])  # bit for bit: no atomics
    np.testing.assert_array_equal(results[1][1], results[2][1])


def test_device_inputs_are_used_as_they_are_and_mismatches_are_named(small_tiles):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 4, 4, 2)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 2, 2)).astype(np.float32)
    y = cuda_kernels.conv2d_forward(cuda_kernels.to_device(x), cuda_kernels.to_device(kernel), None, (1, 1), "same")
    assert_close(_host(y, np.float32), numpy_kernels.conv2d_forward(x, kernel, None, (1, 1), "same"), "float32")
    with pytest.raises(TypeError, match="kernel: expected a float32 device array, got float64"):
        cuda_kernels.conv2d_forward(x, cuda_kernels.to_device(kernel.astype(np.float64)), None, (1, 1), "same")
    with pytest.raises(ShapeError, match="expects 3 input channels"):
        cuda_kernels.conv2d_forward(x, np.zeros((3, 3, 3, 2), np.float32), None, (1, 1), "same")
    with pytest.raises(ShapeError, match=r"conv2d_backward: expected the gradient of shape \(1, 4, 4, 2\) \(the "
                                         r"forward pass's output\), got \(1, 4, 4, 3\)"):
        cuda_kernels.conv2d_backward(np.zeros((1, 4, 4, 3), np.float32), x, kernel, (1, 1), "same")


# ------------------------------------------------------------------------------------------ pooling
POOL_CASES = [
    # (x shape, pool, stride, padding)
    ((2, 5, 6, 3), (2, 2), (2, 2), "valid"),
    ((1, 5, 7, 2), (3, 3), (2, 1), "same"),   # overlapping windows, unequal strides, batch 1
    ((2, 4, 5, 2), (4, 5), (1, 1), "valid"),  # pool as large as the input
    ((1, 5, 5, 1), (2, 3), (1, 2), "same"),   # even window under 'same': the extra pad goes bottom/right
]


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("x_shape, pool, stride, padding", POOL_CASES)
def test_pooling_forward_and_gradients_match_numpy(small_tiles, x_shape, pool, stride, padding, dtype, tolerance):
    rng = np.random.default_rng(4)
    x = distinct_input(rng, x_shape, True, dtype)
    y, argmax = cuda_kernels.max_pool2d_forward(x, pool, stride, padding)
    y_ref, argmax_ref = numpy_kernels.max_pool2d_forward(x, pool, stride, padding)
    assert_close(_host(y, dtype), y_ref, tolerance, "max_pool forward")
    assert cuda_kernels.is_device_array(argmax) and argmax.dtype == np.int32
    np.testing.assert_array_equal(cuda_kernels.to_host(argmax), argmax_ref)
    grad_y = rng.standard_normal(y_ref.shape).astype(dtype)
    assert_close(_host(cuda_kernels.max_pool2d_backward(grad_y, argmax, x.shape, pool, stride, padding), dtype),
                 numpy_kernels.max_pool2d_backward(grad_y, argmax_ref, x.shape, pool, stride, padding), tolerance,
                 "max_pool backward")
    assert_close(_host(cuda_kernels.avg_pool2d_forward(x, pool, stride, padding), dtype),
                 numpy_kernels.avg_pool2d_forward(x, pool, stride, padding), tolerance, "avg_pool forward")
    assert_close(_host(cuda_kernels.avg_pool2d_backward(grad_y, x.shape, pool, stride, padding), dtype),
                 numpy_kernels.avg_pool2d_backward(grad_y, x.shape, pool, stride, padding), tolerance,
                 "avg_pool backward")


def test_max_pool_takes_the_first_maximum_on_ties(small_tiles):
    x = np.zeros((1, 4, 4, 2))
    x[0, 1, 0, 0] = x[0, 1, 1, 0] = 3.0  # a tie inside the first window
    y, argmax = cuda_kernels.max_pool2d_forward(x, (2, 2), (2, 2), "valid")
    y_ref, argmax_ref = numpy_kernels.max_pool2d_forward(x, (2, 2), (2, 2), "valid")
    np.testing.assert_array_equal(cuda_kernels.to_host(argmax), argmax_ref)
    assert cuda_kernels.to_host(argmax)[0, 0, 0, 0] == 2
    # backward from the host argmax (as saved by a host backend) as well as from the device one
    grad = cuda_kernels.max_pool2d_backward(np.ones(y_ref.shape), argmax_ref, x.shape, (2, 2), (2, 2), "valid")
    np.testing.assert_array_equal(cuda_kernels.to_host(grad),
                                  numpy_kernels.max_pool2d_backward(np.ones(y_ref.shape), argmax_ref, x.shape,
                                                                    (2, 2), (2, 2), "valid"))


# ------------------------------------------------------------------------------------------ dense
DENSE_CASES = [
    # (batch, in, out, bias)
    (3, 7, 5, True),
    (1, 9, 10, False),  # batch 1, no bias, 10 outputs = 3 column tiles
    (6, 2, 1, True),    # one output: the document's last layer
]


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("n, inputs, outputs, use_bias", DENSE_CASES)
def test_dense_forward_and_gradients_match_numpy(small_tiles, n, inputs, outputs, use_bias, dtype, tolerance):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, inputs)).astype(dtype)
    kernel = rng.standard_normal((inputs, outputs)).astype(dtype)
    bias = rng.standard_normal(outputs).astype(dtype) if use_bias else None
    assert_close(_host(cuda_kernels.dense_forward(x, kernel, bias), dtype),
                 numpy_kernels.dense_forward(x, kernel, bias), tolerance, "dense forward")
    grad_z = rng.standard_normal((n, outputs)).astype(dtype)
    for name, actual, expected in zip(("grad_x", "grad_kernel", "grad_bias"),
                                      cuda_kernels.dense_backward(grad_z, x, kernel),
                                      numpy_kernels.dense_backward(grad_z, x, kernel)):
        assert_close(_host(actual, dtype), expected, tolerance, f"dense {name}")


def test_weight_gradients_alone_skip_the_input_gradient(small_tiles):
    rng = np.random.default_rng(8)
    x, kernel = rng.standard_normal((1, 5, 4, 2)), rng.standard_normal((3, 3, 2, 3))
    grad_y = rng.standard_normal((1, 5, 4, 3))
    grad_x, grad_kernel, grad_bias = cuda_kernels.conv2d_backward(grad_y, x, kernel, (1, 1), "same",
                                                                  input_gradient=False)
    reference = numpy_kernels.conv2d_backward(grad_y, x, kernel, (1, 1), "same")
    assert grad_x is None
    assert_close(_host(grad_kernel, np.float64), reference[1], "float64", "conv grad_kernel alone")
    assert_close(_host(grad_bias, np.float64), reference[2], "float64", "conv grad_bias alone")
    x, kernel, grad_z = rng.standard_normal((3, 5)), rng.standard_normal((5, 2)), rng.standard_normal((3, 2))
    grad_x, grad_kernel, grad_bias = cuda_kernels.dense_backward(grad_z, x, kernel, input_gradient=False)
    reference = numpy_kernels.dense_backward(grad_z, x, kernel)
    assert grad_x is None
    assert_close(_host(grad_kernel, np.float64), reference[1], "float64", "dense grad_kernel alone")
    assert_close(_host(grad_bias, np.float64), reference[2], "float64", "dense grad_bias alone")


# ------------------------------------------------------------------------------------------ elementwise
@pytest.mark.parametrize("dtype, tolerance", DTYPES)
def test_activations_match_numpy(small_tiles, dtype, tolerance):
    rng = np.random.default_rng(6)
    z = (rng.standard_normal((3, 4, 5)) * 3).astype(dtype)
    z[0, 0, :3] = [-120.0, 120.0, 0.0]  # far tails (no overflow in e^{−z}) and the kink
    grad = rng.standard_normal(z.shape).astype(dtype)
    for name in ("relu", "sigmoid", "tanh", "softmax"):  # softmax: over the last axis, rows of 5
        forward, backward = getattr(cuda_kernels, f"{name}_forward"), getattr(cuda_kernels, f"{name}_backward")
        a = forward(z)
        a_ref = getattr(numpy_kernels, f"{name}_forward")(z)
        assert_close(_host(a, dtype), a_ref, tolerance, f"{name} forward")
        assert_close(_host(backward(grad, a), dtype), getattr(numpy_kernels, f"{name}_backward")(grad, a_ref),
                     tolerance, f"{name} backward")


def test_max_pooling_takes_the_first_nan_of_a_window_as_numpy_does(small_tiles):
    """Otherwise a NaN behind a max pool would not reach the loss, which is all the device path checks."""
    x = np.array([np.nan, 1, 2, 3, 4, np.nan, 5, 6, -np.inf, -np.inf, np.nan, np.nan, 7, 8, 9, 1], np.float32)
    y, argmax = cuda_kernels.max_pool2d_forward(x.reshape(1, 4, 4, 1), (2, 2), (2, 2), "valid")
    y_ref, argmax_ref = numpy_kernels.max_pool2d_forward(x.reshape(1, 4, 4, 1), (2, 2), (2, 2), "valid")
    np.testing.assert_array_equal(_host(y, np.float32), y_ref)
    np.testing.assert_array_equal(cuda_kernels.to_host(argmax), argmax_ref)


def test_relu_lets_nan_through_as_numpy_does(small_tiles):
    """max(0, NaN) is NaN in NumPy; a kernel that wrote 0 would hide a NaN weight from the loss (and the host
    backends' checks) behind every ReLU. The numba backend's kernel: ``tests/test_backends.py``."""
    z = np.array([np.nan, -np.inf, -1.0, -0.0, 0.0, 2.0, np.inf], np.float32)
    np.testing.assert_array_equal(_host(cuda_kernels.relu_forward(z), np.float32), numpy_kernels.relu_forward(z))
    np.testing.assert_array_equal(_host(cuda_kernels.relu_backward(np.ones_like(z), z), np.float32),
                                  numpy_kernels.relu_backward(np.ones_like(z), z))


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (2, 3, 10), (4,)], ids=["one-class", "rows", "rank-3", "one-row"])
def test_softmax_rows_match_numpy_and_sum_to_one(small_tiles, dtype, tolerance, shape):
    """One thread per row of the last axis, more rows than threads in a block (small tiles: 4 threads); large
    logits (the max is subtracted first) stay finite."""
    rng = np.random.default_rng(16)
    z = (rng.standard_normal(shape) * 4).astype(dtype)
    z.reshape(-1)[0] = 500.0  # e^{500} overflows in float32 and float64 unless the row's max is subtracted
    grad = rng.standard_normal(shape).astype(dtype)
    s = cuda_kernels.softmax_forward(z)
    s_host = _host(s, dtype)
    assert np.all(np.isfinite(s_host))
    assert_close(s_host.sum(axis=-1), np.ones(shape[:-1]), tolerance, "softmax rows sum to 1")
    assert_close(s_host, numpy_kernels.softmax_forward(z), tolerance, "softmax forward")
    assert_close(_host(cuda_kernels.softmax_backward(grad, s), dtype),
                 numpy_kernels.softmax_backward(grad, numpy_kernels.softmax_forward(z)), tolerance, "softmax backward")


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
def test_softmax_shifts_by_the_maximum_of_the_whole_row(small_tiles, dtype, tolerance):
    """A large logit in each column in turn, the last included: a maximum that left out the last column let e^1000
    overflow to infinity (NaN); the rows above hold their largest value first, where any maximum finds it
    (mutation round)."""
    z = np.array([[0.0, 1.0, 1000.0], [1000.0, 1.0, 0.0], [1.0, 1000.0, 0.0]], dtype)
    s = _host(cuda_kernels.softmax_forward(z), dtype)
    assert np.isfinite(s).all(), s
    assert_close(s, np.eye(3, dtype=dtype)[[2, 0, 1]], tolerance, "softmax of large logits")


def test_softmax_of_a_scalar_is_refused(small_tiles):
    with pytest.raises(ShapeError, match="softmax_forward: expected an array with a last axis"):
        cuda_kernels.softmax_forward(np.float32(1.0))


# ------------------------------------------------------------------------------------------ losses
LOSS_CASES = [
    ("mse", lambda: mc.MeanSquaredError()),
    ("bce", lambda: mc.BinaryCrossentropy()),
    ("bce-logits", lambda: mc.BinaryCrossentropy(from_logits=True)),
    ("cce", lambda: mc.CategoricalCrossentropy()),
    ("cce-logits", lambda: mc.CategoricalCrossentropy(from_logits=True)),
    ("sparse-cce", lambda: mc.SparseCategoricalCrossentropy()),
]


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("name, make_loss", LOSS_CASES, ids=[case[0] for case in LOSS_CASES])
def test_loss_kernels_give_the_losses_terms_and_gradient(small_tiles, dtype, tolerance, name, make_loss):
    """Per-sample terms that add up to the host loss, and its gradient; with probabilities at 0 and 1 (clipped),
    logits of ±60, soft labels, and more samples than threads in a block (small tiles: 4 threads)."""
    loss = make_loss()
    rng = np.random.default_rng(17)
    samples, width = 9, 4
    logits = name.endswith("logits") or name == "mse"
    y_pred = (rng.standard_normal((samples, width)) * 3).astype(dtype)
    if not logits:
        y_pred = rng.random((samples, width)).astype(dtype)
        y_pred[0, :2] = [0.0, 1.0]
        if name != "bce":  # the categorical cross-entropies take rows of probabilities that sum to 1
            y_pred[0, 2:] = 0.0
            y_pred[1:] /= y_pred[1:].sum(axis=1, keepdims=True)
    else:
        y_pred[0, :2] = [-60.0, 60.0]
    if name == "sparse-cce":
        y_true = rng.integers(0, width, samples)
    elif name.startswith("cce"):
        y_true = rng.dirichlet(np.ones(width), samples)  # soft labels, each row summing to 1
    else:
        y_true = rng.random((samples, width))
    labels = loss.labels(y_true, y_pred.shape, np.dtype(dtype))
    terms, grad = loss.terms_and_gradient(cuda_kernels, labels, cuda_kernels.to_device(y_pred))
    assert tuple(terms.shape) == (samples,) and tuple(grad.shape) == y_pred.shape
    assert_close(_host(terms, dtype).sum(), loss(y_true, y_pred), tolerance, f"{name} loss")
    assert_close(_host(grad, dtype), loss.gradient(y_true, y_pred), tolerance, f"{name} gradient")


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
def test_loss_kernels_mark_samples_outside_the_losses_domain_with_a_nan_term(small_tiles, dtype, tolerance):
    """On probabilities the predictions stay on the device, so the kernel checks them: a sample with a probability
    more than PROBABILITY_SLACK outside [0, 1], or NaN, or (categorical) a row summing to more than ROW_SUM_SLACK
    away from 1 gets a NaN term; its neighbours' terms, and samples just within the slack, are the host's."""
    from minicnn.losses import PROBABILITY_SLACK, ROW_SUM_SLACK
    inside = [[0.5, 0.5], [1 + PROBABILITY_SLACK / 2, -PROBABILITY_SLACK / 2], [0.5 + ROW_SUM_SLACK / 3, 0.5]]
    outside = [[1 + 2 * PROBABILITY_SLACK, 0.0], [-2 * PROBABILITY_SLACK, 1.0], [np.nan, 0.5]]
    rows_off = [[0.5, 0.5 + 2 * ROW_SUM_SLACK], [0.5, 0.5 - 2 * ROW_SUM_SLACK]]
    y_true = np.array([[1.0, 0.0]] * 8, dtype)
    for loss, bad in [(mc.BinaryCrossentropy(), outside), (mc.CategoricalCrossentropy(), outside + rows_off)]:
        y_pred = np.array(inside + bad, dtype)
        labels = loss.labels(y_true[:len(y_pred)], y_pred.shape, np.dtype(dtype))
        terms = _host(loss.terms_and_gradient(cuda_kernels, labels, cuda_kernels.to_device(y_pred))[0], dtype)
        assert np.isnan(terms[len(inside):]).all(), f"{loss}: {terms}"
        expected = [loss(y_true[:1], row[None]) / len(y_pred) for row in y_pred[:len(inside)]]
        assert_close(terms[:len(inside)], np.array(expected), tolerance, f"{loss}: terms inside the domain")
    logits = np.array(outside[:2] + rows_off, dtype)  # from logits, any finite number will do
    for loss in (mc.BinaryCrossentropy(from_logits=True), mc.CategoricalCrossentropy(from_logits=True)):
        labels = loss.labels(y_true[:len(logits)], logits.shape, np.dtype(dtype))
        terms = _host(loss.terms_and_gradient(cuda_kernels, labels, cuda_kernels.to_device(logits))[0], dtype)
        assert np.isfinite(terms).all(), f"{loss}: {terms}"


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
def test_categorical_crossentropy_from_large_logits_keeps_its_digits(small_tiles, dtype, tolerance):
    """Equal logits v give p = 1/3 however large v is: loss log 3, gradient (1/3 − y). The kernel computed
    z − (max + log Σ), which rounds log Σ away beside a large max (float32: 1.0 at v = 1e7, 0.0 at 1e8)."""
    largest = np.finfo(dtype).max / 2
    y_pred = np.array([[v, v, v] for v in (1e5, 1e7, 1e8, largest)], dtype)
    y_true = np.tile(np.array([[1.0, 0.0, 0.0]], dtype), (len(y_pred), 1))
    loss = mc.CategoricalCrossentropy(from_logits=True)
    labels = loss.labels(y_true, y_pred.shape, np.dtype(dtype))
    terms, grad = loss.terms_and_gradient(cuda_kernels, labels, cuda_kernels.to_device(y_pred))
    assert_close(_host(terms, dtype) * len(y_pred), np.full(len(y_pred), np.log(3)), tolerance, "loss per sample")
    assert_close(_host(grad, dtype) * len(y_pred), np.tile([-2 / 3, 1 / 3, 1 / 3], (len(y_pred), 1)), tolerance,
                 "gradient")


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
def test_categorical_crossentropy_from_logits_whose_last_is_largest(small_tiles, dtype, tolerance):
    """The log-sum-exp shifts by the maximum of the whole row: one that left out the last column overflowed where
    that column is large; the large-logit test above has equal logits, where any column gives the maximum."""
    loss = mc.CategoricalCrossentropy(from_logits=True)
    y_pred = np.array([[0.0, 1.0, 1000.0], [1000.0, 0.0, 1.0]], dtype)
    y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype)
    terms, grad = loss.terms_and_gradient(cuda_kernels, loss.labels(y_true, y_pred.shape, np.dtype(dtype)),
                                          cuda_kernels.to_device(y_pred))
    assert_close(_host(terms, dtype).sum(), loss(y_true, y_pred), tolerance, "loss")
    assert_close(_host(grad, dtype), loss.gradient(y_true, y_pred), tolerance, "gradient")


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
def test_categorical_crossentropy_from_logits_with_labels_not_summing_to_one(small_tiles, dtype, tolerance):
    """``∂L/∂z = (softmax(z)·Σ_k y_k − y) / N``: the loss takes labels in [0, 1] that do not sum to one
    (several classes at once), where the factor Σ_k y_k shows; with one-hot or soft labels it is 1, and a kernel
    that dropped it passed every other test (mutation round)."""
    loss = mc.CategoricalCrossentropy(from_logits=True)
    rng = np.random.default_rng(3)
    y_pred = rng.standard_normal((5, 4)).astype(dtype)
    y_true = rng.random((5, 4)).astype(dtype)  # rows summing to about 2
    terms, grad = loss.terms_and_gradient(cuda_kernels, loss.labels(y_true, y_pred.shape, np.dtype(dtype)),
                                          cuda_kernels.to_device(y_pred))
    assert_close(_host(terms, dtype).sum(), loss(y_true, y_pred), tolerance, "loss")
    assert_close(_host(grad, dtype), loss.gradient(y_true, y_pred), tolerance, "gradient")


def test_loss_kernels_check_their_arguments(small_tiles):
    y_pred = np.zeros((3, 2), np.float32)
    with pytest.raises(ShapeError, match="binary_crossentropy_terms: y_true"):
        cuda_kernels.binary_crossentropy_terms(np.zeros((3, 1), np.float32), y_pred, False, 1e-7, 1e-3)
    with pytest.raises(ShapeError, match="at least one sample"):
        cuda_kernels.mean_squared_error_terms(np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32))
    with pytest.raises(TypeError, match="float32 or float64"):
        cuda_kernels.mean_squared_error_terms(np.zeros((3, 2), np.int64), np.zeros((3, 2), np.int64))


# ------------------------------------------------------------------------------------------ batch norm, dropout
def _check_batch_norm(rng, shape, dtype, tolerance, training):
    """batch_norm_forward, then batch_norm_backward on its results, against the NumPy backend, every result."""
    channels = shape[-1]
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)  # a mean away from 0: the two-pass variance matters
    gamma, beta, moving_mean = (rng.standard_normal(channels).astype(dtype) for _ in range(3))
    moving_variance = (rng.random(channels) + 0.5).astype(dtype)
    arguments = (x, gamma, beta, moving_mean, moving_variance, 0.9, 1e-3, training)
    expected = numpy_kernels.batch_norm_forward(*arguments)
    results = cuda_kernels.batch_norm_forward(*arguments)
    for name, actual, reference in zip(("y", "x_hat", "inv_std", "moving_mean", "moving_variance"), results,
                                       expected):
        assert_close(_host(actual, dtype), reference, tolerance, f"batch_norm_forward {name}, {shape}, {training}")
    grad_y = rng.standard_normal(shape).astype(dtype)
    expected = numpy_kernels.batch_norm_backward(grad_y, expected[1], expected[2], gamma, training)
    results = cuda_kernels.batch_norm_backward(grad_y, results[1], results[2], gamma, training)
    for name, actual, reference in zip(("grad_x", "grad_gamma", "grad_beta"), results, expected):
        assert_close(_host(actual, dtype), reference, tolerance, f"batch_norm_backward {name}, {shape}, {training}")


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (2, 5, 3, 4), (3, 33)], ids=["one", "rows", "images", "wide"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_batch_norm_forward_and_backward_match_numpy(small_tiles, dtype, tolerance, shape, training):
    """Small tiles: the channels span several blocks (2 per block) and the rows several chunks."""
    _check_batch_norm(np.random.default_rng(11), shape, dtype, tolerance, training)


@settings(deadline=None, max_examples=15)
@given(rows=st.integers(1, 40), channels=st.integers(1, 9), tile=st.sampled_from([1, 2, 3]),
       target_blocks=st.sampled_from([1, 5, 64]), seed=st.integers(0, 2 ** 16))
def test_batch_norm_drawn_shapes_and_chunks_match_numpy(device, rows, channels, tile, target_blocks, seed):
    """However the rows are cut into chunks (one chunk, a few, one per row lane) the channel sums are the same."""
    with cuda_kernels.tiling(tile=tile, work=1, target_blocks=target_blocks):
        _check_batch_norm(np.random.default_rng(seed), (rows, channels), np.float64, "float64", True)


def test_batch_norm_moving_averages_are_new_arrays_in_training_and_the_same_in_inference(small_tiles):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    ones, zeros = np.ones(3, np.float32), np.zeros(3, np.float32)
    moving_mean, moving_variance = cuda_kernels.to_device(zeros), cuda_kernels.to_device(ones)
    *_, mean_after, variance_after = cuda_kernels.batch_norm_forward(x, ones, zeros, moving_mean, moving_variance,
                                                                     0.5, 1e-3, True)
    assert_close(cuda_kernels.to_host(moving_mean), zeros, "float32", "moving mean unchanged")
    assert_close(cuda_kernels.to_host(mean_after), 0.5 * x.mean(axis=0), "float32", "moving mean")
    assert_close(cuda_kernels.to_host(variance_after), 0.5 + 0.5 * x.var(axis=0), "float32", "moving variance")
    *_, mean_after, variance_after = cuda_kernels.batch_norm_forward(x, ones, zeros, moving_mean, moving_variance,
                                                                     0.5, 1e-3, False)
    assert mean_after is moving_mean and variance_after is moving_variance


def test_batch_norm_checks_its_arguments(small_tiles):
    x = np.zeros((4, 3), np.float32)
    with pytest.raises(ShapeError, match="batch_norm_forward: gamma: expected shape \\(3,\\), got \\(2,\\)"):
        cuda_kernels.batch_norm_forward(x, np.ones(2, np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32),
                                        np.ones(3, np.float32), 0.9, 1e-3, True)
    with pytest.raises(ShapeError, match="batch_norm_backward: expected grad_y of shape \\(N, ..., C\\)"):
        cuda_kernels.batch_norm_backward(np.zeros(3, np.float32), np.zeros(3, np.float32), np.ones(3, np.float32),
                                         np.ones(3, np.float32), True)
    with pytest.raises(ShapeError, match="at least one value per channel, got \\(0, 3\\)"):
        cuda_kernels.batch_norm_forward(np.zeros((0, 3), np.float32), *[np.ones(3, np.float32)] * 4, 0.9, 1e-3, True)


@pytest.mark.parametrize("shape, key_low, key_high, rate", [((3, 4, 5), 0, 0, 0.5), ((300,), 2 ** 32 - 1, 17, 0.1),
                                                           ((2, 3, 3, 2), 5, 2 ** 31, 0.0)])
def test_dropout_masks_made_on_the_device_match_numpy(small_tiles, shape, key_low, key_high, rate):
    keep = cuda_kernels.dropout_mask(shape, key_low, key_high, rate)
    assert cuda_kernels.is_device_array(keep) and keep.dtype == np.bool_
    np.testing.assert_array_equal(cuda_kernels.to_host(keep), numpy_kernels.dropout_mask(shape, key_low, key_high,
                                                                                          rate))


def test_dropout_bits_past_four_billion_elements_match_numpy(device):
    """The hash takes the index's high word (``i >> 32``), which is 0 in every array a test can launch. So the
    kernel's own Python source is run on the host with a stand-in for ``cuda`` whose grid starts at 2³² − 4, over a
    dict that records what is written, and compared with ``random_bits``' formula there (mutation round: a kernel
    without the high word passed every test)."""
    import types

    from minicnn.kernels.random_bits import keep_threshold, mix32

    start, count = 2 ** 32 - 4, 8

    class GridFromStart:  # cuda.grid(1) and cuda.gridsize(1) of one thread that starts at `start`
        grid = staticmethod(lambda ndim: start)
        gridsize = staticmethod(lambda ndim: 1)

    class Written(dict):  # keep[i] = ... for i up to `start + count`, without 4 GB of memory
        size = start + count

    source = cuda_kernels._dropout_mask.py_func
    on_the_host = types.FunctionType(source.__code__, {**source.__globals__, "cuda": GridFromStart, "_mix32": mix32})
    keep, threshold, key_low, key_high = Written(), keep_threshold(0.5), 12345, 678
    on_the_host(keep, key_low, key_high, threshold)
    index = np.arange(start, start + count, dtype=np.int64)
    expected = mix32(mix32((index & 0xFFFFFFFF) ^ key_low) ^ key_high ^ (index >> 32)) >= threshold
    assert [keep[i] for i in index] == expected.tolist()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("on_device", [True, False], ids=["device-mask", "host-mask"])
@pytest.mark.filterwarnings("ignore:.*invalid value encountered:RuntimeWarning")  # ±inf · 0, on purpose
def test_dropout_masks_match_numpy_exactly(small_tiles, dtype, on_device):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    keep = rng.random(x.shape) >= 0.3
    mask = cuda_kernels.to_device(keep) if on_device else keep
    out = _host(cuda_kernels.apply_dropout_mask(x, mask, 1 / 0.7), dtype)
    np.testing.assert_array_equal(out, numpy_kernels.apply_dropout_mask(x, keep, 1 / 0.7))
    assert np.all(out[~keep] == 0) and np.all(out[keep] != 0)
    x[0, 0, :3], keep[0, 0, :4] = [np.nan, np.inf, -np.inf], [False, False, False, True]  # dropped NaN, ±inf
    out = _host(cuda_kernels.apply_dropout_mask(x, cuda_kernels.to_device(keep) if on_device else keep, 2.0), dtype)
    np.testing.assert_array_equal(out, numpy_kernels.apply_dropout_mask(x, keep, 2.0))  # NaN there, as on the host
    assert np.isnan(out[0, 0, :3]).all()
    with pytest.raises(ShapeError, match="apply_dropout_mask: keep: expected shape \\(3, 4, 5\\), got \\(3, 4\\)"):
        cuda_kernels.apply_dropout_mask(x, keep[..., 0], 2.0)


# ------------------------------------------------------------------------------------------ the NaN check
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_not_finite_flags_each_array_that_holds_nan_or_infinity_as_the_host_does(small_tiles, dtype):
    """The training step's check of its gradients and weights, on the device: each array gets its own flag, for
    NaN, +∞ and −∞ alike, wherever the value sits (the last element of a part-filled last block, the middle of a 2-D
    array); the largest finite numbers and an empty array are finite, and a host array is checked too."""
    largest = np.finfo(dtype).max
    arrays = [np.array([largest, -largest] + [0.0] * 11, dtype), np.r_[np.ones(12), np.nan].astype(dtype),
              np.r_[np.inf, np.zeros(6)].astype(dtype), np.ones((3, 5), dtype), np.zeros(0, dtype),
              np.full(9, largest, dtype)]
    arrays[3][1, 2] = -np.inf
    on_device = [cuda_kernels.to_device(array) for array in arrays[:-1]] + [arrays[-1]]
    expected = [False, True, True, True, False, False]
    assert numpy_kernels.not_finite(arrays) == expected
    assert cuda_kernels.not_finite(on_device) == expected
    assert cuda_kernels.not_finite(on_device[::-1]) == expected[::-1]
    assert cuda_kernels.not_finite([]) == []


# ------------------------------------------------------------------------------------------ optimizers
@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("on_device", [True, False], ids=["device", "host"])
def test_adam_updates_in_place(small_tiles, dtype, tolerance, on_device):
    rng = np.random.default_rng(7)
    param, m, v = (rng.standard_normal((3, 5)).astype(dtype) for _ in range(3))
    v = np.abs(v)
    expected = [array.copy() for array in (param, m, v)]
    arrays = [cuda_kernels.to_device(a) if on_device else a.copy() for a in (param, m, v)]
    for step in (1, 2):
        grad = rng.standard_normal(param.shape).astype(dtype)
        settings_ = (0.01, 0.9, 0.999, 1e-7, 1 - 0.9 ** step, 1 - 0.999 ** step)
        numpy_kernels.adam_update(*expected[:1], grad, *expected[1:], *settings_)
        assert cuda_kernels.adam_update(arrays[0], grad, arrays[1], arrays[2], *settings_) is None
    for name, actual, reference in zip(("param", "m", "v"), arrays, expected):
        assert cuda_kernels.is_device_array(actual) == on_device
        assert_close(cuda_kernels.to_host(actual), reference, tolerance, f"adam {name}")


@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)],
                         ids=["plain", "momentum", "nesterov"])
def test_sgd_updates_in_place(small_tiles, dtype, tolerance, momentum, nesterov):
    rng = np.random.default_rng(8)
    param = rng.standard_normal(7).astype(dtype)
    velocity = None if momentum == 0 else rng.standard_normal(7).astype(dtype)
    expected_param, expected_velocity = param.copy(), None if velocity is None else velocity.copy()
    param_d = cuda_kernels.to_device(param)
    velocity_d = None if velocity is None else cuda_kernels.to_device(velocity)
    for _ in range(2):
        grad = rng.standard_normal(7).astype(dtype)
        numpy_kernels.sgd_update(expected_param, grad, expected_velocity, 0.1, momentum, nesterov)
        cuda_kernels.sgd_update(param_d, cuda_kernels.to_device(grad), velocity_d, 0.1, momentum, nesterov)
    assert_close(cuda_kernels.to_host(param_d), expected_param, tolerance, "sgd param")
    if velocity is not None:
        assert_close(cuda_kernels.to_host(velocity_d), expected_velocity, tolerance, "sgd velocity")


# ------------------------------------------------------------------------------------------ arrays
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_to_device_and_back(device, dtype):
    host = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    on_device = cuda_kernels.to_device(host[:, ::-1])  # non-contiguous input
    assert cuda_kernels.is_device_array(on_device) and not cuda_kernels.is_device_array(host)
    assert cuda_kernels.to_device(on_device) is on_device
    back = cuda_kernels.to_host(on_device)
    assert type(back) is np.ndarray and back.dtype == dtype
    np.testing.assert_array_equal(back, host[:, ::-1])
    assert cuda_kernels.to_host(host) is host
    zeros = cuda_kernels.zeros_like(on_device)
    assert cuda_kernels.is_device_array(zeros) and zeros.shape == host.shape and zeros.dtype == dtype
    np.testing.assert_array_equal(cuda_kernels.to_host(zeros), 0)


def test_tiling_rejects_blocks_the_hardware_would_refuse():
    with pytest.raises(ValueError, match="1024 threads per block"):
        with cuda_kernels.tiling(tile=33):
            pass  # pragma: no cover
    assert cuda_kernels.TILE * cuda_kernels.TILE <= 1024


def test_a_tiling_whose_shared_tiles_a_gpu_lacks_is_refused_in_that_dtype(device):
    """32×32 threads with 4×4 outputs each need 2 · 32 · 132 elements of shared memory: 33,792 bytes in float32,
    which a GPU gives a block, and 67,584 in float64, which ptxas refuses (the simulator would have run it)."""
    x, kernel = np.ones((1, 9, 9, 1)), np.ones((1, 1, 1, 65))  # 81 × 65 outputs: more than 2 · 32 along each side
    with cuda_kernels.tiling(tile=32, work=4):
        with pytest.raises(ValueError, match=r"tiling: tile=32 with 4×4 outputs per thread needs .* 67,584 bytes .* "
                                             r"float64, more than the 49,152"):
            cuda_kernels.conv2d_forward(x, kernel, None, (1, 1), "same")
        assert cuda_kernels._product_kernel("conv_forward", 32, 4, 4, np.dtype(np.float32)) is not None


def test_one_dimensional_launches_keep_to_blocks_that_any_kernel_fits(device, monkeypatch):
    """The 1-D kernels are compiled once for every tile size, without a launch bound: under tiling(tile=32) their
    blocks stay at 256 threads (a block of 1024 would not launch a kernel of more than 64 registers), while the
    products' and channel sums' blocks are the tile's, which their launch bound covers on a GPU."""
    blocks = []
    configure = cuda_kernels._configure
    monkeypatch.setattr(cuda_kernels, "_configure", lambda kernel, grid, block: blocks.append(block) or
                        configure(kernel, grid, block))
    z = np.linspace(-1, 1, 300).astype(np.float32)
    with cuda_kernels.tiling(tile=32):
        out = cuda_kernels.to_host(cuda_kernels.relu_forward(z))
    np.testing.assert_array_equal(out, np.maximum(z, 0))
    assert blocks == [cuda_kernels.ANY_REGISTERS_THREADS] == [256]
    with cuda_kernels.tiling(tile=4):
        cuda_kernels.relu_forward(z)
    assert blocks[-1] == 16
    # fewer elements than a block's threads: the warps that cover them (the simulator ran 256 Python threads for 3)
    for size, threads in [(3, 32), (32, 32), (33, 64), (255, 256), (5000, 256)]:
        values = (np.arange(size) % 3 - 1).astype(np.float32)  # -1, 0, 1, -1, ...
        out = cuda_kernels.to_host(cuda_kernels.relu_forward(values))
        assert blocks[-1] == threads, (size, blocks[-1])
        np.testing.assert_array_equal(out, np.maximum(values, 0))


# ------------------------------------------------------------------------------------------ availability
def test_check_available_names_the_simulator_and_the_other_backends(monkeypatch):
    from numba import cuda

    monkeypatch.setattr(cuda, "is_available", lambda: False)
    with pytest.raises(BackendError) as raised:
        cuda_kernels.check_available()
    message = str(raised.value)
    for part in ("no CUDA GPU", "NUMBA_ENABLE_CUDASIM=1", "'numba'", "'numpy'"):
        assert part in message, f"{part!r} missing from: {message}"


def test_check_available_without_numba_cuda_says_how_to_install(monkeypatch):
    monkeypatch.setattr(cuda_kernels, "cuda", None)
    monkeypatch.setattr(cuda_kernels, "_IMPORT_ERROR", ImportError("No module named 'numba.cuda'"))
    with pytest.raises(BackendError, match=r"minicnn\[cuda\].*'numba' or 'numpy'"):
        cuda_kernels.check_available()


@pytest.mark.parametrize("installed, found", [("0.19.1", "numba-cuda 0.19.1"), (None, "numba's own CUDA target")])
def test_check_available_refuses_a_numba_cuda_too_old_for_the_kernels(monkeypatch, installed, found):
    """numba-cuda before 0.20 (or numba's built-in CUDA target) would fail only at the first launch, with a typing
    error about ``alignment``; choosing the backend says which version is there and which one is needed."""
    from numba import cuda

    monkeypatch.setattr(cuda, "is_available", lambda: True)  # the version is checked first, GPU or not
    monkeypatch.setattr(cuda_kernels, "_numba_cuda_version", lambda: installed)
    with pytest.raises(BackendError) as raised:
        cuda_kernels.check_available()
    message = str(raised.value)
    for part in ("numba-cuda 0.20 or newer", found, "minicnn[cuda]", "'numba' or 'numpy'"):
        assert part in message, f"{part!r} missing from: {message}"
    monkeypatch.setattr(cuda_kernels, "_numba_cuda_version", lambda: "0.20.0")
    cuda_kernels.check_available()  # a new enough numba-cuda with a GPU (made up here): no error


@pytest.mark.parametrize("problem, advice", [
    ("AttributeError: module 'numpy' has no attribute 'row_stack'", 'pip install "numpy<2.5"'),
    ("NvvmSupportError: libNVVM cannot be found", "libNVVM, the CUDA compiler numba-cuda uses, was not found"),
    ("CCSupportError: GPU compute capability 7.0 is not supported(requires >=7.5)",
     'for an older GPU install CUDA 12\'s compilers instead (pip install "numba-cuda[cu12]")'),
    ("TypingError: something else", 'pip install "minicnn[cuda]" installs versions known to work together')])
def test_check_available_refuses_a_gpu_whose_numba_cuda_cannot_compile(monkeypatch, problem, advice):
    """numba-cuda 0.30.4 with NumPy 2.5 (what pip picks on Python 3.13) compiles no kernel at all; the error came from
    inside numba-cuda at the first layer's launch. Choosing the backend on a GPU now compiles an empty kernel
    first and says what is wrong."""
    from numba import cuda

    monkeypatch.setattr(cuda, "is_available", lambda: True)
    monkeypatch.setattr(cuda_kernels, "is_simulator", lambda: False)  # a GPU, made up here
    monkeypatch.setattr(cuda_kernels, "_compile_problem", lambda: problem)
    with pytest.raises(BackendError) as raised:
        cuda_kernels.check_available()
    message = str(raised.value)
    for part in ("found a GPU, but numba-cuda", "cannot compile a kernel here", problem, advice, "'numba' or 'numpy'"):
        assert part in message, f"{part!r} missing from: {message}"
    monkeypatch.setattr(cuda_kernels, "_compile_problem", lambda: None)
    cuda_kernels.check_available()  # it compiles: no error
    monkeypatch.setattr(cuda_kernels, "is_simulator", lambda: True)
    monkeypatch.setattr(cuda_kernels, "_compile_problem", lambda: pytest.fail("the simulator compiles nothing"))
    cuda_kernels.check_available()


def test_the_compile_problem_is_the_first_line_of_what_numba_cuda_raised(monkeypatch):
    from numba import cuda

    def refuses(*args, **kwargs):
        raise AttributeError("module 'numpy' has no attribute 'row_stack'\n(a second line)")

    monkeypatch.setattr(cuda, "compile_ptx", refuses, raising=False)
    device = type("Device", (), {"compute_capability": (7, 0)})()
    monkeypatch.setattr(cuda, "get_current_device", lambda: device, raising=False)
    cuda_kernels._compile_problem.cache_clear()
    try:
        assert cuda_kernels._compile_problem() == "AttributeError: module 'numpy' has no attribute 'row_stack'"
        compiled_for = []
        monkeypatch.setattr(cuda, "compile_ptx", lambda *args, cc=None, **kwargs: compiled_for.append(cc))
        assert cuda_kernels._compile_problem() == "AttributeError: module 'numpy' has no attribute 'row_stack'"
        cuda_kernels._compile_problem.cache_clear()
        assert cuda_kernels._compile_problem() is None and compiled_for == [(7, 0)]  # for this GPU, not a default
    finally:
        cuda_kernels._compile_problem.cache_clear()


def _environment_without_simulator():
    return {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}


def test_importing_without_a_gpu_or_the_simulator_does_not_crash():
    script = textwrap.dedent("""
        from minicnn.errors import BackendError
        import minicnn.kernels.cuda as k
        from numba import cuda
        try:
            k.check_available()
        except BackendError as error:
            assert not cuda.is_available() and "NUMBA_ENABLE_CUDASIM=1" in str(error)
            print("unavailable")
        else:
            print("available")
    """)
    done = subprocess.run([sys.executable, "-c", script], env=_environment_without_simulator(), capture_output=True,
                          text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("unavailable", "available")


PTX_SCRIPT = """
import re, subprocess, sys, tempfile, types as pytypes
import numpy as np
from numba import cuda, types
try:
    cuda.compile_ptx(lambda a: None, (types.float32[::1],), cc=(9, 0))
except Exception as error:
    if "nvvm" not in (type(error).__name__ + str(error)).lower():  # numba-cuda broken here (NumPy 2.5 and 0.30.4)
        raise
    # no libNVVM (the CUDA toolkit, or pip's nvidia-nvvm + nvidia-cuda-nvrtc)
    print("SKIP", type(error).__name__, str(error).splitlines()[0] if str(error) else "")
    sys.exit(0)
import numba.cuda.dispatcher
# a device function called from a kernel asks the current device for its compute capability: say sm_90
numba.cuda.dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=(9, 0))
sys.path.insert(0, "benchmarks")
import cuda_model
from minicnn.kernels import cuda as k
try:
    ptxas = cuda_model.find_tool("ptxas")
except SystemExit as error:
    ptxas = None
    print("NO-PTXAS", error)
I, B = types.int64, types.boolean
A = lambda dt, nd: types.Array(dt, nd, "C")
ONE_D = min(k.TILE * k.TILE, k.ANY_REGISTERS_THREADS)  # the block of every 1-D launch (_launch)
for np_dtype, dt in [(np.float32, types.float32), (np.float64, types.float64)][int(sys.argv[1])::2]:
    v = A(dt, 1)
    dtype = np.dtype(np_dtype)
    # every variant with the full 4×4 outputs per thread; in float32 also a thin tile (32 columns) and the thinnest;
    # then blocks of 32×32 threads, as tiling(tile=32) makes them, with as many outputs as their shared tiles allow
    works = [(k.TILE, k.WORK, k.WORK)] + ([(k.TILE, k.WORK, 2), (k.TILE, 1, 1)] if dt == types.float32 else [])
    works += [(32, 4, 4)] if dt == types.float32 else [(32, 2, 2)]
    jobs = [(f"product_{name} {rows}x{cols} tile{tile}", k._product_kernel(name, tile, rows, cols, dtype),
             k._product_signature(name, dt), tile * tile) for name in k._VARIANTS for tile, rows, cols in works]
    max_forward, avg_forward, backward = k._pool_kernels(dtype)
    jobs += [(name, kernel, signature, ONE_D) for name, kernel, signature in [
             ("sum_splits", k._sum_splits, (A(dt, 3), A(dt, 2), v, B)),
             ("taps_first", k._taps_first, (A(dt, 4), A(dt, 2))),
             ("max_pool", max_forward, (A(dt, 4), A(dt, 4), A(types.int32, 4)) + (I,) * 6),
             ("avg_pool", avg_forward, (A(dt, 4), A(dt, 4)) + (I,) * 6),
             ("pool_backward", backward, (A(dt, 4), A(types.int32, 4), B, A(dt, 4)) + (I,) * 6),
             ("relu_forward", k._relu_forward, (v, v, dt)), ("relu_backward", k._relu_backward, (v, v, v, dt)),
             ("sigmoid_forward", k._sigmoid_forward, (v, v, dt, dt)),
             ("sigmoid_backward", k._sigmoid_backward, (v, v, v, dt)),
             ("tanh_forward", k._tanh_forward, (v, v)), ("tanh_backward", k._tanh_backward, (v, v, v, dt)),
             ("softmax_forward", k._softmax_forward, (v, v, I, dt)),
             ("softmax_backward", k._softmax_backward, (v, v, v, I, dt)),
             ("mse_terms", k._mean_squared_error_terms, (v, v, v, v, I, dt, dt, dt)),
             ("bce_terms", k._binary_crossentropy_terms, (v, v, v, v, I, dt, B) + (dt,) * 4),
             ("cce_terms", k._categorical_crossentropy_terms, (v, v, v, v, I, dt, B) + (dt,) * 5),
             ("bn_statistics", k._batch_norm_statistics, (v,) * 8 + (dt,) * 5 + (B,)),
             ("bn_normalise", k._batch_norm_normalise, (v,) * 7),
             ("bn_input_gradient", k._batch_norm_input_gradient, (v,) * 7 + (dt, B)),
             ("masked_scale", k._masked_scale, (v, A(types.boolean, 1), dt, dt, v)),
             ("dropout_mask", k._dropout_mask, (A(types.boolean, 1), I, I, I)),
             ("adam", k._adam_update, (v,) * 4 + (dt,) * 8), ("sgd", k._sgd_update, (v, v, dt)),
             ("sgd_momentum", k._sgd_momentum_update, (v, v, v, dt, dt, B)), ("fill", k._fill, (v, dt)),
             ("flag_not_finite", k._flag_not_finite, (v, A(types.int32, 1), I))]]
    if dt == types.float64:  # a cast between the two dtypes computes in float64 (and may, in the float32 list)
        jobs += [("cast_from_float32", k._cast, (A(types.float32, 1), v), ONE_D),
                 ("cast_to_float32", k._cast, (v, A(types.float32, 1)), ONE_D)]
    jobs += [(f"channel_sums_{term} tile{tile}", k._channel_sum_kernel(term, tile, dtype),
              (A(dt, 2), A(dt, 2), v, dt, A(dt, 2), I), tile * tile)
             for term in ("value", "squared_deviation", "product") for tile in (k.TILE, 32)]
    print("JOBS", len(jobs))
    for name, kernel, signature, threads in jobs:
        name = f"{name}/{dtype}".replace(" ", "/")
        bounds = kernel.targetoptions.get("launch_bounds")
        ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=(9, 0), launch_bounds=bounds)
        shipped = "tile32" not in name
        if dt == types.float32 and re.search(r"\\.f64\\b", ptx):
            print("FLOAT64", name)
        if ".local" in ptx and shipped:
            print("LOCAL-MEMORY", name)
        if f"/{k.WORK}x{k.WORK}/tile{k.TILE}/" in name and dt == types.float32 and "ld.shared.v4.f32" not in ptx:
            print("SCALAR-SHARED-READS", name)
        if ptxas is None:
            continue
        with tempfile.TemporaryDirectory() as folder:
            with open(folder + "/k.ptx", "w") as file:
                file.write(ptx)
            done = subprocess.run([ptxas, "-arch=sm_90", "-v", folder + "/k.ptx", "-o", folder + "/k.cubin"],
                                  capture_output=True, text=True)
        if "Unsupported .version" in done.stdout + done.stderr:  # a ptxas older than the libNVVM that wrote the PTX
            print("NO-PTXAS", ptxas, "is older than the PTX:", (done.stdout + done.stderr).strip().splitlines()[0])
            ptxas = None
            continue
        if done.returncode:
            print("PTXAS-ERROR", name, (done.stdout + done.stderr).strip().splitlines()[0][-200:])
            continue
        figures = cuda_model._ptxas_figures(done.stdout + done.stderr)
        print("RESOURCES", name, threads, bounds, figures["registers"], figures["shared_bytes"],
              figures["spill_bytes"], "shipped" if shipped else "large")
print("OK")
"""


def _compile_every_kernel():
    """Run ``PTX_SCRIPT`` for float32 and float64 in two processes at once (the compilations are independent and
    take ~25 s each); its output lines, or a skip where libNVVM is missing."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = [subprocess.Popen([sys.executable, "-c", PTX_SCRIPT, str(half)], env=_environment_without_simulator(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root) for half in (0, 1)]
    try:
        outputs = [run.communicate(timeout=300) for run in runs]
    finally:
        for run in runs:
            run.kill()
    lines = []
    for run, (stdout, stderr) in zip(runs, outputs):
        assert run.returncode == 0, stderr[-3000:]
        if stdout.startswith("SKIP"):
            pytest.skip(f"libNVVM not found ({stdout.strip()})")
        assert stdout.strip().splitlines()[-1] == "OK", stdout
        lines += stdout.strip().splitlines()[:-1]
    return lines


@pytest.mark.slow
def test_every_kernel_compiles_and_fits_the_blocks_it_is_launched_with():
    """The simulator accepts what hardware rejects (runtime shared-array shapes, float64 literals, blocks whose
    registers or shared memory a GPU does not have). Where libNVVM is installed this compiles every kernel to sm_90
    PTX and checks that the float32 ones contain no float64 instruction, that the shipped ones keep their
    per-thread arrays in registers, and that the full-tile products read shared memory 128 bits at a time (4 floats
    per load; the 16-byte alignment of the tiles allows it). Where ptxas is installed too (the dev extra brings
    both; no GPU is needed) it assembles each kernel and checks that a GPU can run the block it is launched with:
    registers × threads within the SM's 65,536 and shared memory within 48 KiB, for the shipped tiles and for blocks
    of 32×32 threads (``tiling(tile=32)``, compiled with a launch bound), and that the shipped ones spill nothing."""
    lines = _compile_every_kernel()
    flagged = [line for line in lines if line.split()[0] in ("FLOAT64", "LOCAL-MEMORY", "SCALAR-SHARED-READS",
                                                               "PTXAS-ERROR")]
    assert not flagged, "\n".join(flagged)
    missing = [line for line in lines if line.startswith("NO-PTXAS")]
    if missing:
        pytest.skip(f"no ptxas for this PTX; the PTX is checked, its machine code not ({missing[0]})")
    resources = [line.split()[1:] for line in lines if line.startswith("RESOURCES")]
    jobs = sum(int(line.split()[1]) for line in lines if line.startswith("JOBS"))
    assert len(resources) == jobs > 90, f"expected {jobs} kernels assembled, got {len(resources)}"
    for name, threads, bounds, registers, shared, spills, kind in resources:
        threads, registers, shared, spills = int(threads), int(registers), int(shared), int(spills)
        assert cuda_model.resident_blocks(registers, shared, threads) >= 1, \
            f"{name}: {registers} registers × {threads} threads and {shared:,} bytes of shared memory do not fit an SM"
        assert shared <= cuda_kernels.MAX_SHARED_BYTES, name
        assert bounds == (str(threads) if threads > cuda_kernels.ANY_REGISTERS_THREADS else "None"), name
        if kind == "shipped":
            assert spills == 0, f"{name}: {spills} bytes of spills"
    large = [row for row in resources if row[-1] == "large"]
    assert len(large) == 2 * 7 + 2 * 3 and {row[1] for row in large} == {"1024"}


def test_every_barrier_is_reached_by_every_thread_of_its_block():
    """A ``cuda.syncthreads()`` inside an ``if`` is skipped by the threads the condition leaves out: on a GPU the
    block may hang or race. Neither the simulator (its barrier waits only for the threads still running) nor ptxas
    notices, so the module docstring's rule (loads are guarded by ``if``, barriers are not) is checked in the source:
    no barrier under an ``if`` (mutation round: a barrier moved under ``if c < channels`` passed every test)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(cuda_kernels))
    barriers, guarded = [], []

    def visit(node, under_if):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call) and getattr(child.func, "attr", None) == "syncthreads":
                (guarded if under_if else barriers).append(child.lineno)
            visit(child, under_if or isinstance(child, (ast.If, ast.IfExp)))

    visit(tree, False)
    assert not guarded, f"cuda.syncthreads() under an if, at lines {guarded} of minicnn/kernels/cuda.py"
    assert len(barriers) >= 3, barriers  # the product's two and the channel sums'


CACHE_SCRIPT = """
import hashlib
import numpy as np
from numba.cuda.dispatcher import CUDADispatcher
from numba.cuda.serialize import dumps
from minicnn.kernels import cuda as k
kernels = {name: value for name, value in vars(k).items()
           if isinstance(value, CUDADispatcher) and not value.targetoptions.get("device")}
for dtype in (np.float32, np.float64):
    for variant in k._VARIANTS:
        for rows, cols in ((k.WORK, k.WORK), (k.WORK, 2), (1, 1)):
            kernels[f"{variant} {rows}x{cols} {np.dtype(dtype)}"] = k._product_kernel(variant, k.TILE, rows, cols,
                                                                                     np.dtype(dtype))
    for name, kernel in zip(("max", "avg", "backward"), k._pool_kernels(np.dtype(dtype))):
        kernels[f"pool {name} {np.dtype(dtype)}"] = kernel
    for term in ("value", "squared_deviation", "product"):
        kernels[f"channel sums {term} {np.dtype(dtype)}"] = k._channel_sum_kernel(term, k.TILE, np.dtype(dtype))
for name, kernel in sorted(kernels.items()):
    function = kernel.py_func
    cells = tuple(cell.cell_contents for cell in function.__closure__ or ())
    print(name, type(kernel._cache).__name__, hashlib.sha256(dumps(cells)).hexdigest())
"""


@pytest.mark.slow
def test_every_kernel_is_cached_on_disk_under_a_key_that_a_second_run_finds():
    """Compiling takes about a second a kernel on a GPU, so they are cached on disk (no GPU needed to check). A
    kernel's cache key hashes its closure (the tile sizes, dtype constants and device functions of the product
    and pooling kernels): it must pickle, and to the same bytes in another process, or every run would compile
    again. ``MINICNN_CUDA_CACHE=0`` turns the cache off."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def run(**environment):
        done = subprocess.run([sys.executable, "-c", CACHE_SCRIPT], env={**_environment_without_simulator(),
                              **environment}, capture_output=True, text=True, cwd=root, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.splitlines()

    first, second = run(), run()
    assert len(first) > 40 and first == second
    uncached = [line for line in first if line.split()[-2] != "CUDACache"]
    assert not uncached, uncached
    assert len({line.split()[-1] for line in first if " 4x4 " in line}) == 2 * len(cuda_kernels._VARIANTS)
    assert all(line.split()[-2] == "NullCache" for line in run(MINICNN_CUDA_CACHE="0"))


def test_small_grids_launch_without_numba_cudas_low_occupancy_warning():
    """A tiny layer launches a grid of a few blocks; numba-cuda would warn "Grid size 1 will likely result in GPU
    under-utilization" for each new size, noise in a student's demo. The launches configure their grids through
    ``_configure``, which silences that warning alone (configuring a launch needs no GPU; the simulator never
    warns, so this runs without it)."""
    script = textwrap.dedent("""
        import warnings
        from minicnn.kernels import cuda as k
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as plain:
            k._fill[1, 256]
        with warnings.catch_warnings(record=True) as configured:
            k._configure(k._fill, 1, 256)
            k._configure(k._fill, (2, 3, 1), (16, 16))
            k._configure(k._fill, 4096, 256)
        print(sum("under-utilization" in str(w.message) for w in plain),
              sum("under-utilization" in str(w.message) for w in configured))
    """)
    done = subprocess.run([sys.executable, "-c", script], env=_environment_without_simulator(), capture_output=True,
                          text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["1", "0"], done.stdout


# ------------------------------------------------------------------------------------------ the simulator itself
def test_simulated_threads_of_a_block_get_one_shared_array(device, monkeypatch):
    """The fix in tests/simulator.py that lets these tests switch threads every 10 µs: two threads asking at once
    for the shared array of one source line must get the same array (the unpatched simulator could create two)."""
    import threading

    import numba

    if not numba.config.ENABLE_CUDASIM:
        pytest.skip("only the simulator emulates shared memory in Python")
    from numba.cuda.simulator.kernelapi import FakeCUDAShared

    empty = np.empty

    def slow_empty(*args, **kwargs):  # widen the window between looking the array up and storing it
        import time

        time.sleep(0.01)
        return empty(*args, **kwargs)

    monkeypatch.setattr(np, "empty", slow_empty)
    shared, got, start = FakeCUDAShared(0), [], threading.Barrier(2)

    def thread():
        start.wait()
        got.append(shared.array((4,), np.float32))

    threads = [threading.Thread(target=thread) for _ in range(2)]
    for each in threads:
        each.start()
    for each in threads:
        each.join()
    assert len(got) == 2 and got[0] is got[1]


def test_device_arrays_refuse_what_a_gpu_s_refuse(device):
    """Under the simulator (``cuda_simulator_threads``), a device array refuses what numba-cuda's DeviceNDArray
    lacks, so that code relying on the simulator's NumPy stand-in fails here, not first on a GPU; what a GPU array
    has (its shape, a copy to the host, NumPy's conversion through ``__array__``) still works."""
    import copy

    if not cuda_kernels.is_simulator():
        pytest.skip("checks the simulator's stand-in for a GPU array; a GPU's own arrays are the real thing")
    array = cuda_kernels.to_device(np.arange(6.0).reshape(2, 3))
    for refused, error in ((lambda: array * 2, TypeError), (lambda: 2 * array, TypeError),
                           (lambda: array - array, TypeError), (lambda: array.max(), AttributeError),
                           (lambda: array.astype(np.float32), AttributeError),
                           (lambda: copy.deepcopy(array), TypeError)):
        with pytest.raises(error, match="DeviceNDArray"):
            refused()
    assert array.shape == (2, 3) and array.dtype == np.float64 and array.size == 6
    np.testing.assert_array_equal(np.asarray(array), array.copy_to_host())
    assert array != cuda_kernels.to_device(np.arange(6.0).reshape(2, 3))  # identity, as a GPU array compares


def test_a_device_array_that_is_not_contiguous_is_refused_by_name(device):
    """A strided view of a device array (``whole[:, ::2]``) is refused with a message; under the simulator the
    kernels would compute on it without complaint, while on a GPU ``reshape(-1)`` of it raises from inside
    numba-cuda, naming nothing of ours (mutation round: without the check every test passed)."""
    from numba import cuda

    strided = cuda.to_device(np.ones((4, 6), np.float32))[:, ::2]
    assert not strided.is_c_contiguous()
    with pytest.raises(ValueError, match="device arrays must be C-contiguous"):
        cuda_kernels.relu_forward(strided)
    with pytest.raises(ValueError, match="device arrays must be C-contiguous"):
        cuda_kernels.sgd_update(strided, np.ones((4, 3), np.float32), None, 0.1, 0.0, False)


def test_softmax_over_a_wide_row_keeps_float32_accuracy(device):
    """One thread adds a whole row's exponentials in turn: with a plain float32 sum these 20,000 probabilities
    summed to 1 ± 1.2e-6 and each was off by up to 1.5e-6 (NumPy's pairwise sum: 4e-8 and 4e-7); the compensated
    sum keeps them near NumPy's, forward and backward."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((1, 20_000)).astype(np.float32)
    exact = np.exp(z.astype(np.float64) - z.max())
    exact /= exact.sum()
    s = _host(cuda_kernels.softmax_forward(cuda_kernels.to_device(z)), np.float32)
    assert np.max(np.abs(s - exact) / exact) < 1e-6 and abs(s.sum(dtype=np.float64) - 1) < 2e-7
    grad_s = rng.standard_normal(z.shape).astype(np.float32)
    grad_z = _host(cuda_kernels.softmax_backward(cuda_kernels.to_device(grad_s), cuda_kernels.to_device(s)),
                   np.float32)
    exact_grad = exact * (grad_s - np.sum(grad_s * exact))
    assert np.max(np.abs(grad_z - exact_grad)) < 1e-6 * np.max(np.abs(exact_grad))
    # ∂L/∂s near 1 everywhere: the dot Σ ∂L/∂s·s is near 1 and ∂L/∂z = s·(∂L/∂s − dot) keeps only its error (the
    # random ∂L/∂s above gives a dot of 0.005, where any sum passes): 0.6–1e-5 of the largest ∂L/∂z compensated,
    # 1.4–2.9e-3 with the compensation's sign flipped (mutation round)
    grad_s = (1 + 1e-3 * rng.standard_normal(z.shape)).astype(np.float32)
    grad_z = _host(cuda_kernels.softmax_backward(cuda_kernels.to_device(grad_s), cuda_kernels.to_device(s)),
                   np.float32)
    exact_grad = exact * (grad_s - np.sum(grad_s * exact))
    assert np.max(np.abs(grad_z - exact_grad)) < 1e-4 * np.max(np.abs(exact_grad))


NUMPY_2_5_SCRIPT = """
import sys, types as pytypes
import numpy as np
if hasattr(np, "row_stack"):  # NumPy 2.5, as on the GPU machines' image: no row_stack
    del np.row_stack
    np.__all__ = [name for name in np.__all__ if name != "row_stack"]
import numba
from minicnn.kernels import cuda as k
from numba import cuda
import numba.cuda.dispatcher
numba.cuda.dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=(9, 0))
try:
    cuda.compile_ptx(k._empty_kernel, (numba.types.float32[::1],), cc=(9, 0))
except Exception as error:
    if "nvvm" in (type(error).__name__ + str(error)).lower():
        print("SKIP", type(error).__name__)
        sys.exit(0)
    raise
kernel = k._product_kernel("conv_forward", 16, 4, 4, np.dtype(np.float32))
cuda.compile_ptx(kernel.py_func, k._product_signature("conv_forward", numba.float32), cc=(9, 0))
print("OK")
"""


def test_the_kernels_compile_beside_numpy_2_5_which_has_no_row_stack():
    """numba-cuda 0.30 registers a kernel version of np.row_stack as it loads; NumPy 2.5 removed it, and the GPU
    machines' image has NumPy 2.5.2: no kernel compiled there, and the one GPU session would have been spent on a
    traceback (found in review). minicnn.kernels.cuda puts a row_stack of its own in NumPy's place first."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", NUMPY_2_5_SCRIPT], env=_environment_without_simulator(),
                          capture_output=True, text=True, cwd=root, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    if done.stdout.startswith("SKIP"):
        pytest.skip(f"libNVVM not found ({done.stdout.strip()})")
    assert done.stdout.strip() == "OK", done.stdout
