"""Every backend gives the same numbers: the Numba kernels against the NumPy kernels and ``equations.py``, forward
and every gradient, float64 and float32, over geometries drawn by hypothesis; and a training epoch of the demo
network gives the same loss with either backend."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
from minicnn import equations
from minicnn.kernels import cpu, numpy_kernels
from minicnn.models import document_network
from strategies import distinct_input, make_input, window_cases
from tolerances import assert_close, assert_gradcheck

BACKENDS = {"numba": cpu}
DTYPES = [(np.float64, "float64"), (np.float32, "float32")]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@given(case=window_cases(max_size=10, max_channels=5))
def test_conv2d_kernels_agree(name, dtype, tolerance, case):
    kernels = BACKENDS[name]
    rng = np.random.default_rng(case["seed"])
    x = make_input(rng, (case["n"], case["h"], case["w"], case["c_in"]), case["contiguous"], dtype)
    kernel = rng.standard_normal(case["window"] + (case["c_in"], case["c_out"])).astype(dtype)
    bias = rng.standard_normal(case["c_out"]).astype(dtype)
    stride, padding = case["strides"], case["padding"]
    y = kernels.conv2d_forward(x, kernel, bias, stride, padding)
    assert y.dtype == dtype
    assert_close(y, numpy_kernels.conv2d_forward(x, kernel, bias, stride, padding), tolerance, f"{name} forward")
    if dtype == np.float64 and case["n"] * case["h"] * case["w"] <= 60:
        assert_close(y, equations.conv2d_nhwc(x, kernel, bias, stride, padding), tolerance, f"{name} vs equations")
    grad_y = rng.standard_normal(y.shape).astype(dtype)
    for got, expected, what in zip(kernels.conv2d_backward(grad_y, x, kernel, stride, padding),
                                   numpy_kernels.conv2d_backward(grad_y, x, kernel, stride, padding),
                                   ("grad_x", "grad_kernel", "grad_bias")):
        assert got.dtype == dtype
        assert_close(got, expected, tolerance, f"{name} {what} {case}")


def test_larger_layer_than_hypothesis_draws():
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal((3, 9, 7, 8)), rng.standard_normal((3, 3, 8, 6))
    grad_y = rng.standard_normal((3, 5, 4, 6))
    assert_close(cpu.conv2d_forward(x, kernel, None, (2, 2), "same"),
                 numpy_kernels.conv2d_forward(x, kernel, None, (2, 2), "same"), "float64", "BLAS forward")
    for got, expected in zip(cpu.conv2d_backward(grad_y, x, kernel, (2, 2), "same"),
                             numpy_kernels.conv2d_backward(grad_y, x, kernel, (2, 2), "same")):
        assert_close(got, expected, "float64", "BLAS backward")


def test_the_numba_convolutions_reuse_one_work_array_and_return_none_of_it(monkeypatch):
    """The columns of a convolution go into one work array per thread and dtype, kept from call to call (a fresh one
    each call cost 39 % of a training step in page faults): a second call of the same size reuses it, what the
    kernels return never shares its memory (a later call would overwrite it), and one above ``MOST_SCRATCH_BYTES``
    is made for its call alone. Every result stays the NumPy backend's (the tests above)."""
    rng = np.random.default_rng(5)
    x, kernel = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 3, 3, 4))
    grad_y = rng.standard_normal((2, 7, 6, 4))
    y = cpu.conv2d_forward(x, kernel, None, (1, 1), "same")
    kept = cpu._SCRATCH.buffers[np.dtype(np.float64)]
    first = y.copy()
    gradients = cpu.conv2d_backward(grad_y, x, kernel, (1, 1), "same")
    copies = [g.copy() for g in gradients]
    cpu.conv2d_forward(x[::-1].copy(), kernel, None, (1, 1), "same")  # other values in the work array
    assert cpu._SCRATCH.buffers[np.dtype(np.float64)] is kept
    assert np.array_equal(y, first) and all(np.array_equal(g, c) for g, c in zip(gradients, copies))
    assert not any(np.shares_memory(array, kept) for array in (y, *gradients))
    monkeypatch.setattr(cpu, "MOST_SCRATCH_BYTES", kept.nbytes // 2)
    big = np.concatenate([x] * 4)
    expected = numpy_kernels.conv2d_forward(big, kernel, None, (1, 1), "same")
    assert_close(cpu.conv2d_forward(big, kernel, None, (1, 1), "same"), expected, "float64", "above the cap")
    assert cpu._SCRATCH.buffers[np.dtype(np.float64)] is kept  # not replaced by the larger one


@pytest.mark.parametrize("kernels", [numpy_kernels, cpu], ids=["numpy", "numba"])
def test_weight_gradients_alone_skip_the_input_gradient(kernels):
    rng = np.random.default_rng(4)
    x, kernel, grad_y = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 3, 3, 4)), \
        rng.standard_normal((2, 4, 3, 4))
    full = kernels.conv2d_backward(grad_y, x, kernel, (2, 2), "same")
    alone = kernels.conv2d_backward(grad_y, x, kernel, (2, 2), "same", input_gradient=False)
    assert alone[0] is None and full[0].shape == x.shape
    assert np.array_equal(alone[1], full[1]) and np.array_equal(alone[2], full[2])
    x, kernel, grad_z = rng.standard_normal((5, 6)), rng.standard_normal((6, 3)), rng.standard_normal((5, 3))
    full = kernels.dense_backward(grad_z, x, kernel)
    alone = kernels.dense_backward(grad_z, x, kernel, input_gradient=False)
    assert alone[0] is None and full[0].shape == x.shape
    assert np.array_equal(alone[1], full[1]) and np.array_equal(alone[2], full[2])


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@given(case=window_cases(max_window=5, max_size=10, max_channels=4))
def test_pooling_kernels_agree(name, dtype, tolerance, case):
    kernels = BACKENDS[name]
    rng = np.random.default_rng(case["seed"])
    x = distinct_input(rng, (case["n"], case["h"], case["w"], case["c_in"]), case["contiguous"], dtype)
    args = (case["window"], case["strides"], case["padding"])
    y, argmax = kernels.max_pool2d_forward(x, *args)
    expected_y, expected_argmax = numpy_kernels.max_pool2d_forward(x, *args)
    grad_y = rng.standard_normal(y.shape).astype(dtype)
    for kernels_of, pooled in ((kernels, y), (numpy_kernels, expected_y)):  # float32 kept: assert_close compares
        results = {"max": pooled,  # in float64, so it cannot see a kernel that computes in float64
                   "max backward": kernels_of.max_pool2d_backward(grad_y, argmax, x.shape, *args),
                   "average": kernels_of.avg_pool2d_forward(x, *args),
                   "average backward": kernels_of.avg_pool2d_backward(grad_y, x.shape, *args)}
        assert {what: array.dtype for what, array in results.items()} == dict.fromkeys(results, np.dtype(dtype))
    assert_close(y, expected_y, tolerance, f"{name} max pool")
    assert np.array_equal(argmax, expected_argmax)
    assert_close(kernels.max_pool2d_backward(grad_y, argmax, x.shape, *args),
                 numpy_kernels.max_pool2d_backward(grad_y, expected_argmax, x.shape, *args), tolerance,
                 f"{name} max pool backward")
    assert_close(kernels.avg_pool2d_forward(x, *args), numpy_kernels.avg_pool2d_forward(x, *args), tolerance,
                 f"{name} average pool")
    assert_close(kernels.avg_pool2d_backward(grad_y, x.shape, *args),
                 numpy_kernels.avg_pool2d_backward(grad_y, x.shape, *args), tolerance, f"{name} average backward")


@pytest.mark.parametrize("name", BACKENDS)
def test_a_window_of_minus_infinity_alone_takes_its_first_position_as_numpy_does(name):
    """No value beats −∞ in such a window: its argmax stays the first position (0), as NumPy's; a kernel that
    left the argmax array unset (np.empty) sent the gradient to wherever that memory pointed."""
    x = np.full((4, 16, 16, 8), -np.inf, np.float32)
    x[:, ::2] = np.random.default_rng(1).standard_normal((4, 8, 16, 8))  # windows of a number and −∞ ...
    x[:, :, :3] = -np.inf  # ... and windows of −∞ alone
    expected = numpy_kernels.max_pool2d_forward(x, (2, 2), (2, 2), "valid")[1]
    assert np.any(np.isneginf(numpy_kernels.max_pool2d_forward(x, (2, 2), (2, 2), "valid")[0]))
    for _ in range(5):  # fresh memory is often zeroed: several allocations
        np.testing.assert_array_equal(BACKENDS[name].max_pool2d_forward(x, (2, 2), (2, 2), "valid")[1], expected)


@pytest.mark.parametrize("name", BACKENDS)
def test_relu_lets_nan_through_as_numpy_does(name):
    """max(0, NaN) is NaN in NumPy; a kernel that wrote 0 would hide a NaN weight from the next layer's check."""
    z = np.array([np.nan, -np.inf, -1.0, -0.0, 0.0, 2.0, np.inf], np.float32)
    np.testing.assert_array_equal(BACKENDS[name].relu_forward(z), numpy_kernels.relu_forward(z))
    np.testing.assert_array_equal(BACKENDS[name].relu_backward(np.ones_like(z), z),
                                  numpy_kernels.relu_backward(np.ones_like(z), z))


@pytest.mark.parametrize("name", BACKENDS)
def test_max_pooling_takes_the_first_nan_of_a_window_as_numpy_does(name):
    """NumPy's max of a window holding NaN is NaN, at the first NaN; a kernel comparing with ``>`` alone skipped it."""
    x = np.array([np.nan, 1, 2, 3, 4, np.nan, 5, 6, -np.inf, -np.inf, np.nan, np.nan, 7, 8, 9, 1], np.float32)
    x = x.reshape(1, 4, 4, 1)
    y, argmax = BACKENDS[name].max_pool2d_forward(x, (2, 2), (2, 2), "valid")
    y_ref, argmax_ref = numpy_kernels.max_pool2d_forward(x, (2, 2), (2, 2), "valid")
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    assert np.isnan(y_ref.ravel()[[0, 3]]).all() and argmax_ref.ravel().tolist() == [0, 3, 3, 0]


@pytest.mark.parametrize("name", BACKENDS)
def test_max_pooling_sends_the_gradient_to_the_first_of_tied_maxima_as_numpy_does(name):
    """Ties are common (a ReLU's zeros, a flat patch of an image); the docs and NumPy's ``argmax`` pick the first
    maximum of each window, in row-major order, and the gradient goes there alone. ``distinct_input`` keeps the
    hypothesis tests above free of ties, so they would not see a kernel that picked the last one."""
    x = np.array([[1, 1, 3, 3],
                  [1, 1, 1, 2],
                  [0, 5, 2, 1],
                  [5, 5, 2, 1]], np.float32).reshape(1, 4, 4, 1)
    y, argmax = BACKENDS[name].max_pool2d_forward(x, (2, 2), (2, 2), "valid")
    y_ref, argmax_ref = numpy_kernels.max_pool2d_forward(x, (2, 2), (2, 2), "valid")
    # windows, each flat in row-major order: [1 1 1 1] → 0, [3 3 1 2] → 0, [0 5 5 5] → 1, [2 1 2 1] → 0
    assert argmax_ref.ravel().tolist() == [0, 0, 1, 0]
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    grad_y = np.array([10, 20, 30, 40], np.float32).reshape(1, 2, 2, 1)
    grad_x = BACKENDS[name].max_pool2d_backward(grad_y, argmax, x.shape, (2, 2), (2, 2), "valid")
    expected = [[10, 0, 20, 0],
                [0, 0, 0, 0],
                [0, 30, 40, 0],
                [0, 0, 0, 0]]
    np.testing.assert_array_equal(grad_x[0, :, :, 0], expected)
    np.testing.assert_array_equal(grad_x, numpy_kernels.max_pool2d_backward(grad_y, argmax_ref, x.shape, (2, 2),
                                                                            (2, 2), "valid"))


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@given(n=st.integers(1, 40), fan_in=st.integers(1, 70), units=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_dense_relu_and_adam_kernels_agree(name, dtype, tolerance, n, fan_in, units, seed):
    kernels = BACKENDS[name]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, fan_in)).astype(dtype)
    kernel = rng.standard_normal((fan_in, units)).astype(dtype)
    bias = rng.standard_normal(units).astype(dtype)
    z = kernels.dense_forward(x, kernel, bias)
    assert_close(z, numpy_kernels.dense_forward(x, kernel, bias), tolerance, f"{name} dense")
    grad_z = rng.standard_normal(z.shape).astype(dtype)
    for got, expected in zip(kernels.dense_backward(grad_z, x, kernel),
                             numpy_kernels.dense_backward(grad_z, x, kernel)):
        assert_close(got, expected, tolerance, f"{name} dense backward")
    a = kernels.relu_forward(z)
    assert np.array_equal(a, numpy_kernels.relu_forward(z))
    assert np.array_equal(kernels.relu_backward(grad_z, a), numpy_kernels.relu_backward(grad_z, a))
    states = [[kernel.copy(), np.zeros_like(kernel), np.zeros_like(kernel)] for _ in range(2)]
    for module, (param, m, v) in zip((kernels, numpy_kernels), states):
        for t in (1, 2):
            module.adam_update(param, grad_z[:1].sum() * kernel + t, m, v, 0.01, 0.9, 0.999, 1e-7,
                               1 - 0.9 ** t, 1 - 0.999 ** t)
    for got, expected in zip(*states):
        assert_close(got, expected, tolerance, f"{name} adam")


def test_every_backend_offers_every_function_of_the_numpy_backend():
    """A layer calls ``kernels().<name>`` whatever the backend, so a name missing from one backend would fail only
    when a model with that layer runs there."""
    import inspect

    from minicnn.kernels import cuda

    names = [name for name, value in vars(numpy_kernels).items() if inspect.isfunction(value)
             and not name.startswith("_") and value.__module__ == numpy_kernels.__name__]
    assert {"conv2d_forward", "batch_norm_forward", "apply_dropout_mask", "to_host"} <= set(names)
    for module in (cpu, cuda):
        missing = [name for name in names if not callable(getattr(module, name, None))]
        assert not missing, f"{module.__name__} lacks {missing}"


@pytest.mark.parametrize("name", BACKENDS)
def test_layers_pass_gradcheck_on_every_backend(name):
    rng = np.random.default_rng(0)
    with mc.use_backend(name):
        for layer, shape in ((mc.Conv2D(3, (3, 2), strides=(2, 1), padding="same", activation="tanh", seed=0),
                              (2, 7, 6, 2)),
                             (mc.Conv2D(4, 3, seed=1), (1, 5, 5, 12)),
                             (mc.Dense(3, activation="sigmoid", seed=0), (4, 40))):
            assert_gradcheck(mc.gradcheck(layer, rng.standard_normal(shape), max_checks=30), f"{name} {layer}")
        for layer in (mc.MaxPooling2D(3, strides=2, padding="same"), mc.AveragePooling2D(2, strides=1)):
            x = distinct_input(rng, (2, 6, 5, 2), True)
            assert_gradcheck(mc.gradcheck(layer, x), f"{name} {layer}")
        for shape in ((5, 3), (2, 3, 4, 2)):  # batch statistics: μ and σ² depend on every input
            layer = mc.BatchNormalization()
            assert_gradcheck(mc.gradcheck(layer, rng.standard_normal(shape), training=True), f"{name} {layer}")


@pytest.mark.slow
def test_one_epoch_of_the_demo_network_is_the_same_on_every_backend():
    from minicnn import datasets

    data = datasets.load_faces(size=32, seed=0)
    losses = {}
    for name in ["numpy", *BACKENDS]:
        with mc.use_backend(name):
            model = document_network(seed=0)
            model.compile(optimizer=mc.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
            history = model.fit(data.x_train, data.y_train, epochs=1, batch_size=32, seed=0, verbose=0,
                                augment=datasets.augment)
            losses[name] = (history.history["loss"][0], model.evaluate(data.x_val, data.y_val)[0])
    for name in BACKENDS:
        assert_close(losses[name], losses["numpy"], "float32", f"{name} loss after one epoch")


@pytest.mark.parametrize("kernels", [numpy_kernels, cpu], ids=["numpy", "numba"])
def test_backward_kernels_refuse_a_gradient_of_another_shape(kernels):
    """The numba kernels' parallel loops index by the gradient without bounds checks: a wrong one read past
    ``argmax`` or the activations, or ``prange`` lost NumPy's error (a SystemError); NumPy broadcast it or failed
    bare. Both backends now say the same."""
    from minicnn.errors import ShapeError

    x, kernel = np.ones((2, 5, 5, 1), np.float32), np.ones((3, 3, 1, 2), np.float32)
    _, argmax = kernels.max_pool2d_forward(x, (2, 2), (2, 2), "valid")
    grad = lambda *shape: np.ones(shape, np.float32)  # noqa: E731
    calls = {
        "conv2d_backward": lambda: kernels.conv2d_backward(grad(2, 3, 3, 3), x, kernel, (1, 1), "valid"),
        "max_pool2d_backward": lambda: kernels.max_pool2d_backward(grad(2, 3, 3, 1), argmax, x.shape, (2, 2), (2, 2),
                                                                   "valid"),
        "avg_pool2d_backward": lambda: kernels.avg_pool2d_backward(grad(1, 2, 2, 1), x.shape, (2, 2), (2, 2), "valid"),
        "dense_backward": lambda: kernels.dense_backward(grad(3, 2), grad(2, 4), grad(4, 2)),
        "relu_backward": lambda: kernels.relu_backward(grad(3), grad(5)),
        "sigmoid_backward": lambda: kernels.sigmoid_backward(grad(2, 3), grad(2, 1)),
        "tanh_backward": lambda: kernels.tanh_backward(grad(3), grad(2, 3)),
        "softmax_backward": lambda: kernels.softmax_backward(grad(2, 1), grad(2, 3)),
        "batch_norm_backward": lambda: kernels.batch_norm_backward(grad(4, 2), grad(4, 3), grad(3), grad(3), True),
    }
    for name, call in calls.items():
        with pytest.raises(ShapeError, match=rf"^{name}: expected the gradient of shape .* \(the forward pass's "
                                             rf"output\), got"):
            call()


@pytest.mark.parametrize("name", ["NumPy", "NUMPY", "numpy"])
def test_a_backend_name_is_read_in_any_case_and_reported_in_lower_case(name):
    """set_backend reads the name in any case (MINICNN_BACKEND=NumPy works) and get_backend reports it in lower
    case. No test gave another case: refusing 'NumPy' as an unknown backend passed, and so did reporting 'NumPy',
    which the comparisons with "numpy" in the trackers and the CLI do not match (mutation round)."""
    with mc.use_backend(name):
        assert mc.get_backend() == "numpy"


def test_without_a_choice_or_the_variable_the_backend_is_numba(monkeypatch):
    """The compiled kernels are the default (README, DESIGN) when no backend was chosen and MINICNN_BACKEND is not
    set; nothing tested it, and a default of "numpy", ten times slower in a classroom, passed (mutation round).
    monkeypatch gives the backend module its state back after the test."""
    from minicnn import backend

    monkeypatch.delenv("MINICNN_BACKEND", raising=False)
    monkeypatch.setitem(backend._active, "name", None)
    monkeypatch.setitem(backend._active, "module", None)
    assert mc.get_backend() == "numba"
    assert backend.kernels().__name__ == "minicnn.kernels.cpu"
