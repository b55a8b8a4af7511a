"""Every layer: the fast forward against ``equations.py``, and the hand-written backward against ``gradcheck``
(float64), over shapes drawn by hypothesis."""

import inspect
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
from minicnn import equations
from minicnn.errors import ShapeError
from networks import LAYERS_BY_HAND, step_through_by_hand
from strategies import distinct_input, make_input, window_cases
from tolerances import assert_close, assert_gradcheck

CHECKS = 40  # entries checked per array by central differences


def conv_layer(case, activation=None, use_bias=True):
    layer = mc.Conv2D(case["c_out"], case["window"], strides=case["strides"], padding=case["padding"],
                      activation=activation, use_bias=use_bias, dtype="float64", seed=case["seed"])
    layer.build((None, case["h"], case["w"], case["c_in"]))
    if use_bias:
        layer.params["bias"][:] = np.random.default_rng(case["seed"] + 1).standard_normal(case["c_out"])
    return layer


@given(window_cases())
def test_conv2d_forward_matches_equations(case):
    rng = np.random.default_rng(case["seed"])
    x = make_input(rng, (case["n"], case["h"], case["w"], case["c_in"]), case["contiguous"])
    layer = conv_layer(case)
    expected = equations.conv2d_nhwc(x, layer.params["kernel"], layer.params["bias"], case["strides"],
                                     case["padding"])
    assert_close(layer.forward(x), expected, "float64", f"Conv2D {case}")


@given(window_cases(), st.sampled_from([None, "tanh", "sigmoid"]), st.booleans())
def test_conv2d_backward_matches_gradcheck(case, activation, use_bias):
    rng = np.random.default_rng(case["seed"])
    x = make_input(rng, (case["n"], case["h"], case["w"], case["c_in"]), case["contiguous"])
    report = mc.gradcheck(conv_layer(case, activation, use_bias), x, max_checks=CHECKS, seed=case["seed"])
    assert_gradcheck(report, f"Conv2D {case} activation={activation}")


def test_conv2d_float32_matches_float64_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 6, 3))
    layer = mc.Conv2D(4, 3, strides=2, padding="same", seed=0)
    y32 = layer.forward(x.astype(np.float32))
    assert y32.dtype == np.float32
    expected = equations.conv2d_nhwc(x, layer.params["kernel"].astype(np.float64),
                                     layer.params["bias"].astype(np.float64), 2, "same")
    assert_close(y32, expected, "float32", "Conv2D float32")


@pytest.mark.parametrize("layer_class, reference", [
    (mc.MaxPooling2D, equations.max_pool2d_nhwc), (mc.AveragePooling2D, equations.average_pool2d_nhwc)])
@given(case=window_cases(max_window=5))
def test_pooling_forward_matches_equations(layer_class, reference, case):
    rng = np.random.default_rng(case["seed"])
    x = distinct_input(rng, (case["n"], case["h"], case["w"], case["c_in"]), case["contiguous"])
    layer = layer_class(case["window"], strides=case["strides"], padding=case["padding"], dtype="float64")
    expected = reference(x, case["window"], case["strides"], case["padding"])
    assert_close(layer.forward(x), expected, "float64", f"{layer_class.__name__} {case}")


@pytest.mark.parametrize("layer_class", [mc.MaxPooling2D, mc.AveragePooling2D])
@given(case=window_cases(max_window=5))
def test_pooling_backward_matches_gradcheck(layer_class, case):
    rng = np.random.default_rng(case["seed"])
    x = distinct_input(rng, (case["n"], case["h"], case["w"], case["c_in"]), case["contiguous"])
    layer = layer_class(case["window"], strides=case["strides"], padding=case["padding"])
    report = mc.gradcheck(layer, x, max_checks=CHECKS, seed=case["seed"])
    assert_gradcheck(report, f"{layer_class.__name__} {case}")


def test_max_pool_gradient_goes_to_the_argmax_only():
    x = np.array([[1.0, 5.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    layer = mc.MaxPooling2D(2, dtype="float64")
    assert layer.forward(x).item() == 5.0
    grad = layer.backward(np.full((1, 1, 1, 1), 7.0))
    assert grad[0, :, :, 0].tolist() == [[0.0, 7.0], [0.0, 0.0]]


def test_overlapping_max_pool_adds_gradients_of_shared_winner():
    # 1×3 input, windows of 2 with stride 1: the middle value 9 wins both windows and gets both gradients
    x = np.array([1.0, 9.0, 4.0]).reshape(1, 1, 3, 1)
    layer = mc.MaxPooling2D((1, 2), strides=1, dtype="float64")
    assert layer.forward(x).ravel().tolist() == [9.0, 9.0]
    grad = layer.backward(np.array([2.0, 3.0]).reshape(1, 1, 2, 1))
    assert grad.ravel().tolist() == [0.0, 5.0, 0.0]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("make", [
    lambda padding: mc.Conv2D(3, (3, 2), strides=(1, 2), padding=padding, seed=0),
    lambda padding: mc.Conv2D(3, (2, 3), strides=(3, 1), padding=padding, seed=0),
    lambda padding: mc.MaxPooling2D((2, 3), strides=(1, 2), padding=padding),
    lambda padding: mc.AveragePooling2D((3, 2), strides=(2, 1), padding=padding),
], ids=["Conv2D 3x2 strides 1x2", "Conv2D 2x3 strides 3x1", "MaxPooling2D 2x3 strides 1x2",
        "AveragePooling2D 3x2 strides 2x1"])
def test_the_declared_output_shape_is_the_forward_passs_for_unequal_windows_and_strides(make, padding):
    """compute_output_shape (what summary() shows and the next layer is built from) gives the shape of the forward
    pass's output for a window and strides that differ between height and width. Every test of it used square
    windows and equal strides, so reversing the strides or swapping the output's height and width passed (mutation
    round)."""
    layer = make(padding)
    x = np.random.default_rng(0).standard_normal((2, 11, 7, 2)).astype(np.float32)
    y = layer(x)
    assert layer.compute_output_shape((None, 11, 7, 2)) == (None, *y.shape[1:])


@pytest.mark.parametrize("layer_class", [mc.MaxPooling2D, mc.AveragePooling2D], ids=lambda cls: cls.__name__)
def test_a_pooling_layer_has_keras_defaults_a_2_by_2_window_side_by_side(layer_class):
    """Keras' defaults: pool_size=(2, 2), strides=None (meaning pool_size) and padding='valid'. A default pool_size
    of 3 passed every test, all of which gave the window (mutation round)."""
    layer = layer_class()
    assert (layer.pool_size, layer.strides, layer.padding) == ((2, 2), (2, 2), "valid")
    assert layer(np.ones((1, 6, 8, 3), dtype=np.float32)).shape == (1, 3, 4, 3)


@pytest.mark.filterwarnings("ignore:.*a softmax over 1 output")  # the maths holds there too; the warning is for models
@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 5), st.sampled_from([None, "relu", "sigmoid", "tanh",
                                                                                   "softmax"]),
       st.integers(0, 2**32 - 1))
def test_dense_forward_and_backward(n, fan_in, units, activation, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, fan_in))
    layer = mc.Dense(units, activation=activation, dtype="float64", seed=seed)
    layer.build((None, fan_in))
    layer.params["bias"][:] = rng.standard_normal(units)
    if activation in (None, "sigmoid"):
        expected = [equations.affine(layer.params["kernel"].T, row, layer.params["bias"]) for row in x]
        if activation == "sigmoid":
            expected = [equations.sigmoid(z) for z in expected]
        assert_close(layer.forward(x), np.array(expected), "float64", "Dense vs equations.affine")
    if activation == "relu":  # keep pre-activations away from the kink
        z = x @ layer.params["kernel"] + layer.params["bias"]
        layer.params["bias"] += np.where(np.abs(z) < 0.05, 0.1, 0).max(axis=0)
        z = x @ layer.params["kernel"] + layer.params["bias"]
        layer.params["bias"] += np.maximum(0.0, 0.5 - z[0])  # each unit active on a sample: ReLU is flat where none is
        z = x @ layer.params["kernel"] + layer.params["bias"]
        if np.min(np.abs(z)) < 0.01:
            return
    assert_gradcheck(mc.gradcheck(layer, x, seed=seed), f"Dense({units}, {activation})")


@pytest.mark.parametrize("make_layer, input_shape, fan_in, fan_out", [
    (lambda: mc.Dense(200, dtype="float64", seed=0), (None, 300), 300, 200),
    # Keras' convention for a convolution: fan_in = kh·kw·c_in = 72, fan_out = kh·kw·filters = 144
    (lambda: mc.Conv2D(16, 3, dtype="float64", seed=0), (None, 10, 10, 8), 3 * 3 * 8, 3 * 3 * 16),
], ids=["Dense", "Conv2D"])
def test_kernels_start_glorot_uniform(make_layer, input_shape, fan_in, fan_out):
    """Kernels are drawn from U(−limit, limit) with limit = sqrt(6 / (fan_in + fan_out)) (Keras' default): the
    largest |w| of thousands of draws comes close to the limit without passing it, and the standard deviation of
    a uniform distribution is limit/√3. (Dense: sqrt(6/500) ≈ 0.110; Conv2D: sqrt(6/216) ≈ 0.167.)"""
    layer = make_layer()
    layer.build(input_shape)
    w = layer.params["kernel"]
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert 0.95 * limit < np.max(np.abs(w)) <= limit
    assert np.std(w) == pytest.approx(limit / np.sqrt(3), rel=0.05)


def test_conv2d_biases_start_at_zero_and_the_kernel_has_keras_shape():
    """Conv2D's biases start at zero (its docstring, and Keras' default) and its kernel has the shape
    (kh, kw, c_in, filters). No test looked at the bias of a new Conv2D: biases built as 0.01 passed (mutation
    round)."""
    layer = mc.Conv2D(5, (3, 2), seed=0)
    layer(np.ones((1, 6, 6, 4), dtype=np.float32))
    np.testing.assert_array_equal(layer.params["bias"], np.zeros(5))
    assert layer.params["kernel"].shape == (3, 2, 4, 5)


@pytest.mark.filterwarnings("ignore:.*a softmax over 1 output")  # the maths holds there too; the warning is for models
@pytest.mark.parametrize("activation", [mc.ReLU, mc.Sigmoid, mc.Tanh, mc.Softmax, mc.Linear])
@given(shape=st.sampled_from([(1, 1), (3, 4), (2, 3, 3, 2), (1, 5)]), seed=st.integers(0, 2**32 - 1))
def test_activation_backward_matches_gradcheck(activation, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    x = np.where(np.abs(x) < 0.05, 0.5, x)  # away from ReLU's kink
    x.flat[0] = abs(x.flat[0])  # one positive entry at least: ReLU is flat where every entry is negative
    if activation is mc.Softmax and shape[-1] == 1:  # a softmax over one output is 1 whatever its input: flat
        x = np.concatenate([x, -x], axis=-1)
    assert_gradcheck(mc.gradcheck(activation(), x, seed=seed), activation.__name__)


def test_activation_values_by_hand():
    z = np.array([[-1.0, 0.0, 2.0]])
    assert mc.ReLU().forward(z).tolist() == [[0.0, 0.0, 2.0]]
    assert_close(mc.Sigmoid(dtype="float64").forward(z), [[1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-2))]], "float64",
                 "sigmoid")
    softmax = mc.Softmax(dtype="float64").forward(np.array([[0.0, np.log(3.0)]]))
    assert_close(softmax, [[0.25, 0.75]], "float64", "softmax")
    with np.errstate(over="raise"):
        assert mc.Sigmoid(dtype="float64").forward(np.array([[-1000.0, 1000.0]])).tolist() == [[0.0, 1.0]]


@pytest.mark.parametrize("training", [True, False])
@given(shape=st.sampled_from([(4, 3), (2, 3, 3, 2), (1, 2, 2, 1), (3, 1)]), seed=st.integers(0, 2**32 - 1))
def test_batch_normalization_backward_matches_gradcheck(training, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2 + 1
    layer = mc.BatchNormalization(dtype="float64")
    layer.build((None,) + shape[1:])
    layer.params["gamma"][:] = rng.uniform(0.5, 2, shape[-1])
    layer.params["beta"][:] = rng.standard_normal(shape[-1])
    layer.state["moving_mean"][:] = rng.standard_normal(shape[-1])
    layer.state["moving_variance"][:] = rng.uniform(0.5, 2, shape[-1])
    assert_gradcheck(mc.gradcheck(layer, x, training=training, seed=seed), f"BatchNormalization {shape}")


def test_batch_normalization_statistics():
    """By hand, with an ε large enough to see (0.5) and a momentum that tells the old average from the batch's
    (0.9: 0.5 would give the same numbers with the two weights swapped)."""
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    layer = mc.BatchNormalization(momentum=0.9, epsilon=0.5, dtype="float64")
    y = layer.forward(x, training=True)
    # the batch: mean 2 and 20, biased variance 1 and 100; y = (x − mean) / √(variance + ε)
    assert_close(y, [[-1 / np.sqrt(1.5), -10 / np.sqrt(100.5)], [1 / np.sqrt(1.5), 10 / np.sqrt(100.5)]], "float64",
                 "batch-normalised")
    # moving averages: 0.9·initial + 0.1·batch, from mean 0 and variance 1
    assert_close(layer.state["moving_mean"], [0.2, 2.0], "float64", "moving_mean")
    assert_close(layer.state["moving_variance"], [1.0, 10.9], "float64", "moving_variance")
    # inference uses the moving averages, not the batch: (x − 0.2) / √1.5 and (x − 2) / √11.4
    assert_close(layer.forward(x), [[0.8 / np.sqrt(1.5), 8 / np.sqrt(11.4)], [2.8 / np.sqrt(1.5), 28 / np.sqrt(11.4)]],
                 "float64", "inference")


def test_dropout_training_and_inference():
    x = np.ones((200, 50))
    layer = mc.Dropout(0.25, seed=3)
    assert np.array_equal(layer.forward(x), x)
    y = layer.forward(x, training=True)
    kept = y != 0
    assert 0.70 < kept.mean() < 0.80
    assert np.allclose(y[kept], 1 / 0.75)
    grad = layer.backward(np.full(x.shape, 2.0))
    assert np.array_equal(grad != 0, kept) and np.allclose(grad[kept], 2 / 0.75)
    again = mc.Dropout(0.25, seed=3).forward(x, training=True)
    assert np.array_equal(again, y)
    assert_gradcheck(mc.gradcheck(mc.Dropout(0.5, seed=1), np.random.default_rng(0).standard_normal((3, 4)),
                                  training=True), "Dropout")


def test_dropout_draws_a_new_mask_every_training_pass_and_a_seed_repeats_them():
    """A layer that made its generator afresh each pass, or drew its keys once, dropped the same inputs on every
    step, and every other test passed (mutation round)."""
    x = np.ones((4, 50), np.float32)
    layer = mc.Dropout(0.5, seed=3)
    first, second = layer.forward(x, training=True), layer.forward(x, training=True)
    assert not np.array_equal(first == 0, second == 0)
    again = mc.Dropout(0.5, seed=3)
    np.testing.assert_array_equal(again.forward(x, training=True), first)
    np.testing.assert_array_equal(again.forward(x, training=True), second)


@pytest.mark.parametrize("make_layer, expected_side", [
    (lambda padding: mc.Conv2D(1, 3, padding=padding), 7),
    (lambda padding: mc.MaxPooling2D(2, padding=padding), 4),
    (lambda padding: mc.AveragePooling2D(2, padding=padding), 4),
])
def test_padding_is_read_in_any_case(make_layer, expected_side):
    """``padding="SAME"`` is "same", as Keras reads it; a check that stopped lower-casing it made such a layer
    pad as "valid" (a 7×7 input gave 5×5) without a word (mutation round)."""
    x = np.random.default_rng(0).standard_normal((1, 7, 7, 1)).astype(np.float32)
    for padding in ("SAME", "Same"):
        assert make_layer(padding).forward(x).shape[1:3] == (expected_side, expected_side), padding
    assert make_layer("VALID").forward(x).shape[1:3] == make_layer("valid").forward(x).shape[1:3]
    np.testing.assert_array_equal(mc.functional.conv2d(x, np.ones((3, 3, 1, 1), np.float32), padding="SAME"),
                                  mc.functional.conv2d(x, np.ones((3, 3, 1, 1), np.float32), padding="same"))


def test_flatten_round_trip_keeps_keras_order():
    x = np.arange(24.0).reshape(2, 2, 3, 2)
    layer = mc.Flatten()
    y = layer.forward(x)
    assert y.shape == (2, 12) and y[0].tolist() == list(range(12))  # (H, W, C) row-major
    assert np.array_equal(layer.backward(y), x)


@pytest.mark.parametrize("make_layer, shape", LAYERS_BY_HAND)
@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_a_layer_stepped_through_by_hand_says_what_is_wrong(make_layer, shape, backend_name):
    """A student calling ``layer.backward`` by hand: before any forward it used to be an AttributeError naming a
    private attribute; a gradient of another shape was broadcast (Sigmoid, BatchNorm) or failed bare (Flatten).
    (The cuda backend: tests/test_cuda_backend.py.)"""
    with mc.use_backend(backend_name):
        step_through_by_hand(make_layer(), shape)


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
@pytest.mark.parametrize("make, x_shape, grad_shape", [
    (lambda: mc.Dense(3, seed=0), (2, 4), (3, 2)),                 # (N, units) transposed
    (lambda: mc.Conv2D(2, 3, seed=0), (1, 6, 8, 1), (1, 6, 4, 2)),  # (N, H, W, C) with H and W swapped
    (lambda: mc.MaxPooling2D(2), (1, 4, 8, 2), (1, 4, 2, 2)),
], ids=["Dense", "Conv2D", "MaxPooling2D"])
def test_a_gradient_of_the_right_size_but_another_shape_is_refused(backend_name, make, x_shape, grad_shape):
    """The upstream gradient's shape, not only its size, must be the forward pass's output's. Comparing sizes
    passed every test, whose wrong gradients all had another size: a transposed gradient then went into the
    kernels, which read it in the wrong order (mutation round)."""
    with mc.use_backend(backend_name):
        layer = make()
        y = layer(np.ones(x_shape, dtype=np.float32))
        assert y.shape != grad_shape and y.size == int(np.prod(grad_shape))
        with pytest.raises(ShapeError, match=r"expected the gradient of shape .*\(the forward pass's output\), got"):
            layer.backward(np.ones(grad_shape, dtype=np.float32))


@pytest.mark.parametrize("make_layer, shape", [
    (lambda: mc.Conv2D(3, 2, seed=0), (2, 5, 4, 2)), (lambda: mc.Dense(3, seed=0), (2, 4)),
    (lambda: mc.BatchNormalization(), (3, 2))])
def test_backward_overwrites_gradients(make_layer, shape):
    layer = make_layer()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = layer.forward(x, training=True)
    upstream = np.ones_like(y)
    layer.backward(upstream)
    first = {key: value.copy() for key, value in layer.grads.items()}
    layer.backward(upstream)
    for key, value in layer.grads.items():
        assert np.array_equal(value, first[key]), key


@pytest.mark.parametrize("activation, slope", [("relu", lambda z: z > 0), ("linear", np.ones_like)],
                         ids=["relu", "linear"])
@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_an_activation_inside_a_float64_layer_passes_its_gradient_back_in_float64(backend_name, activation, slope):
    """The activation a Dense holds is made in float32 (the default); its backward must compute in the dtype its
    forward computed in, else ∂L/∂x of a float64 layer would be rounded to float32 on the way. (Linear, which only
    passes the gradient on, lost the dtype with every test passing; mutation round.)"""
    rng = np.random.default_rng(0)
    x, upstream = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    with mc.use_backend(backend_name):
        layer = mc.Dense(3, activation=activation, dtype="float64", seed=0)
        y = layer.forward(x)
        grad_x = layer.backward(upstream)
    kernel = layer.params["kernel"]
    expected = (upstream * slope(x @ kernel + layer.params["bias"])) @ kernel.T
    assert y.dtype == grad_x.dtype == np.float64
    np.testing.assert_allclose(grad_x, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shared", [lambda: mc.Tanh(), lambda: mc.Activation("tanh")], ids=["Tanh", "Activation"])
@pytest.mark.parametrize("widths", [(4, 4), (6, 3)], ids=["equal widths", "unequal widths"])
def test_one_activation_instance_given_to_several_layers_trains_as_the_named_one(shared, widths):
    """An activation keeps its last output for backward: one instance given to two layers handed the first layer's
    backward the second layer's output (wrong gradients with equal widths, a shape error with others). Each layer
    now holds its own copy, and trains as with activation="tanh" (Keras' activations keep nothing either)."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 1))
    trained = []
    for activation in (shared(), "tanh"):
        model = mc.Sequential([mc.Input(shape=(4,)), mc.Dense(widths[0], activation=activation),
                               mc.Dense(widths[1], activation=activation), mc.Dense(1)], seed=0)
        model.compile(optimizer=mc.SGD(0.1), loss="mse")
        model.train_on_batch(x, y)
        trained.append(model.get_weights())
    for with_instance, with_name in zip(*trained):
        np.testing.assert_array_equal(with_instance, with_name)


def test_layers_keep_their_dtype():
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 1))
    for layer in (mc.Conv2D(2, 3), mc.MaxPooling2D(), mc.AveragePooling2D(), mc.BatchNormalization()):
        assert layer.forward(x).dtype == np.float32
    layer = mc.Conv2D(2, 3, dtype="float64")
    assert layer.forward(x).dtype == np.float64 and layer.params["kernel"].dtype == np.float64
    # astype converts every weight, BatchNormalization's moving averages too (they stayed float32; mutation round)
    normalization = mc.BatchNormalization()
    normalization.build((None, 3))
    twin = normalization.astype("float64")
    assert {value.dtype for value in [*twin.params.values(), *twin.state.values()]} == {np.dtype(np.float64)}


def test_get_config_round_trips():
    """``type(layer)(**layer.get_config())`` is a twin: every setting given (none of them a default) is the twin's
    too, checked on the twin's attributes (comparing two configs would miss a setting the config leaves out)."""
    layers_and_settings = [
        (mc.Conv2D(8, (3, 5), strides=2, padding="same", activation="relu", use_bias=False, dtype="float64",
                   input_shape=(9, 9, 2)),
         {"filters": 8, "kernel_size": (3, 5), "strides": (2, 2), "padding": "same", "use_bias": False,
          "dtype": np.float64, "input_shape": (None, 9, 9, 2)}),
        (mc.MaxPooling2D(3, strides=1, padding="same"), {"pool_size": (3, 3), "strides": (1, 1), "padding": "same"}),
        (mc.AveragePooling2D(2, strides=3), {"pool_size": (2, 2), "strides": (3, 3)}),
        (mc.Dense(4, "softmax", use_bias=False, trainable=False), {"units": 4, "use_bias": False, "trainable": False}),
        (mc.BatchNormalization(momentum=0.9, epsilon=1e-5), {"momentum": 0.9, "epsilon": 1e-5}),
        (mc.Dropout(0.3), {"rate": 0.3}),
        (mc.Flatten(trainable=False), {"trainable": False}),
    ]
    for layer, settings in layers_and_settings:
        config = layer.get_config()
        twin = type(layer)(**{**config, "name": config["name"] + "_twin"})
        assert {key: getattr(twin, key) for key in settings} == settings, type(layer).__name__
        assert type(getattr(twin, "activation", None)) is type(getattr(layer, "activation", None))


def test_batch_normalization_refuses_an_input_without_a_channel_axis_before_it_builds():
    layer = mc.BatchNormalization()
    with pytest.raises(ShapeError, match=r"expected input of shape \(N, \.\.\., C\), got \(4,\)"):
        layer.forward(np.ones(4, np.float32))
    assert not layer.built
    assert layer.forward(np.ones((4, 3), np.float32)).shape == (4, 3)


# ------------------------------------------------------------------ a failed call leaves the layer as it was

def test_a_layer_whose_first_call_is_refused_stays_unbuilt_for_the_next():
    """A kernel that does not fit used to leave Conv2D built for 3 channels; a rank-1 input left Flatten built for
    it; the corrected call was then refused in turn."""
    conv = mc.Conv2D(2, 5)
    with pytest.raises(ShapeError, match=r"kernel \(5, 5\) does not fit in an input of 3×3"):
        conv(np.ones((1, 3, 3, 3)))
    assert not conv.built and not conv.params
    assert conv(np.ones((1, 8, 8, 1))).shape == (1, 4, 4, 2)
    flatten = mc.Flatten()
    with pytest.raises(ShapeError, match=r"expected input of shape \(N, \.\.\.\), got \(3,\) \(the batch axis comes "
                                         r"first\)"):
        flatten(np.ones(3))
    assert flatten(np.ones((2, 3))).shape == (2, 3)


@pytest.mark.parametrize("activation", [mc.ReLU, mc.Sigmoid, mc.Tanh, mc.Softmax])
def test_an_activation_layer_takes_any_width_it_has_no_weights(activation):
    layer = activation()
    layer(np.ones((2, 3)))
    assert layer(np.ones((2, 5))).shape == (2, 5)
    assert layer(np.ones((2, 4, 4, 7))).shape == (2, 4, 4, 7)


@pytest.mark.parametrize("layer_class", [mc.MaxPooling2D, mc.AveragePooling2D], ids=lambda cls: cls.__name__)
def test_a_pooling_layer_takes_any_channel_count_it_has_no_weights(layer_class):
    """Pooling has no weights, so one layer pools 3 channels and then 5; with the channel check of the layers with
    weights left in place, the second call was refused (mutation round)."""
    layer = layer_class(2)
    assert layer(np.ones((2, 4, 4, 3), dtype=np.float32)).shape == (2, 2, 2, 3)
    assert layer(np.ones((1, 6, 4, 5), dtype=np.float32)).shape == (1, 3, 2, 5)


@pytest.mark.parametrize("layer_class", [mc.MaxPooling2D, mc.AveragePooling2D], ids=lambda cls: cls.__name__)
def test_a_pool_larger_than_the_input_is_named_pool_size(layer_class):
    """A pool that does not fit the input is refused in the pooling layer's own words, naming its argument
    pool_size; an error naming Conv2D's kernel passed every test (mutation round)."""
    with pytest.raises(ShapeError, match=r"pool_size \(5, 5\) does not fit in an input of 3×4 with padding='valid'; "
                                         r"use a smaller pool_size or padding='same'"):
        layer_class(5)(np.ones((1, 3, 4, 2), dtype=np.float32))


@pytest.mark.parametrize("make, built, given, message", [
    (lambda: mc.Conv2D(2, 3, seed=0), (None, 6, 6, 1), (2, 6, 6, 3),
     r"^Conv2D '\w+': expected input of shape \(N, 6, 6, 1\) \(built for 1 input channel\), got \(2, 6, 6, 3\)$"),
    (lambda: mc.Dense(2, seed=0), (None, 4), (2, 5),
     r"^Dense '\w+': expected input of shape \(N, 4\) \(built for 4 input features\), got \(2, 5\)$"),
], ids=["Conv2D", "Dense"])
def test_a_layer_with_weights_refuses_another_channel_count_than_it_was_built_for(make, built, given, message):
    """A Conv2D or Dense built for one channel count (its kernel's size) and given another says so by name before
    any kernel runs; without the check the kernels failed in NumPy's or Numba's words (mutation round)."""
    layer = make()
    layer.build(built)
    with pytest.raises(ShapeError, match=message):
        layer.forward(np.ones(given, np.float32))


@pytest.mark.parametrize("make", [lambda: mc.Conv2D(2, 3, seed="abc"), lambda: mc.Dense(2, seed=1.5),
                                  lambda: mc.Dropout(0.5, seed=-1)])
def test_a_layers_seed_is_checked_when_the_layer_is_made(make):
    """A seed of 'abc' used to be taken, and refused in NumPy's words at the first forward pass."""
    with pytest.raises((TypeError, ValueError), match=r"'[a-z_0-9]+': seed must be a whole number ≥ 0, a "
                                                      r"numpy.random.Generator or None, got"):
        make()


def test_a_layers_seed_may_be_a_generator_or_a_numpy_integer():
    first = mc.Dense(3, seed=np.random.default_rng(4))(np.ones((1, 2)))
    again = mc.Dense(3, seed=np.int64(4))(np.ones((1, 2)))
    np.testing.assert_array_equal(first, again)
    # ... and another seed gives other weights (a Dense that used one seed for all passed every test; mutation round)
    assert not np.array_equal(first, mc.Dense(3, seed=5)(np.ones((1, 2))))


@pytest.mark.parametrize("make, argument", [
    (lambda: mc.Conv2D(2, 0), "kernel_size"), (lambda: mc.Conv2D(2, 3, strides=0), "strides"),
    (lambda: mc.MaxPooling2D(0), "pool_size"), (lambda: mc.AveragePooling2D(2, strides=(1, 0)), "strides")])
def test_a_window_or_stride_of_zero_is_refused_when_the_layer_is_made(make, argument):
    """Taken, a size of 0 failed only at the first call, as a ZeroDivisionError (mutation round)."""
    with pytest.raises(ValueError, match=rf"'[a-z_0-9]+': {argument} must be a positive int or a pair of positive "
                                         rf"ints, got"):
        make()


@pytest.mark.parametrize("filters", [0, -2, True, 2.5, "8", np.int64(0)])
def test_conv2d_refuses_a_filter_count_that_is_not_a_positive_int_by_name(filters):
    """Conv2D's ``filters`` must be a positive int, and the error shows the value given. Without a test,
    Conv2D(0, 3) made a layer with no output channel, Conv2D(True, 3) one with one channel, and a message showing
    the kernel_size instead passed (mutation round)."""
    with pytest.raises(ValueError, match=rf"^Conv2D 'conv2d[_0-9]*': filters must be a positive int, "
                                         rf"got {re.escape(repr(filters))}$"):
        mc.Conv2D(filters, 3)


@pytest.mark.parametrize("units", [0, -2, True, 2.5, "8", np.int64(0)])
def test_dense_refuses_a_unit_count_that_is_not_a_positive_int_by_name(units):
    """Dense's ``units`` as Conv2D's ``filters``: a positive int, the error showing the value given (it had no test
    either); a NumPy integer is taken, as a Python int."""
    with pytest.raises(ValueError, match=rf"^Dense 'dense[_0-9]*': units must be a positive int, "
                                         rf"got {re.escape(repr(units))}$"):
        mc.Dense(units)
    assert type(mc.Dense(np.int64(3)).units) is int and mc.Dense(np.int64(3)).units == 3


def test_conv2d_takes_a_numpy_integer_filter_count():
    """A NumPy integer is a filter count like any int, kept as a Python int: the check above refuses bools and
    non-positive counts, not NumPy's integers (mutation round)."""
    layer = mc.Conv2D(np.int64(4), 3, seed=0)
    assert layer.filters == 4 and type(layer.filters) is int
    assert layer(np.ones((1, 5, 5, 2), dtype=np.float32)).shape == (1, 3, 3, 4)


@pytest.mark.parametrize("layer", [mc.BatchNormalization, lambda: mc.Dropout(0.5)])
def test_training_must_be_true_or_false(layer):
    """bool('False') is True: BatchNorm updated its moving averages and Dropout dropped inputs in inference."""
    with pytest.raises(TypeError, match=r"\.forward: training must be True or False, got 'False'"):
        layer()(np.ones((2, 3)), training="False")


@pytest.mark.parametrize("make", [lambda: mc.Dense(1, activation="softmax"),
                                  lambda: mc.Conv2D(1, 3, activation="softmax"), lambda: mc.Softmax()(np.ones((2, 1)))])
def test_a_softmax_over_one_output_warns_that_it_is_always_one(make):
    """Dense(1, activation='softmax') with binary_crossentropy trained to a constant loss, silently."""
    with pytest.warns(UserWarning, match="a softmax over 1 output is always 1.0, so nothing can be learned through "
                                         "it; for one output .* use activation='sigmoid'"):
        make()


def test_the_channel_axis_advice_is_given_only_for_images_one_axis_short():
    """The advice "x[..., None] adds it" is right for images of rank 3 given to a layer of rank 4; a rank-2 batch
    given to Conv2D, or a vector given to Dense (whose layout does not end in C), would be sent the wrong way by it."""
    advice = "images without their channel axis"
    with pytest.raises(ShapeError, match=advice):
        mc.Conv2D(2, 3)(np.ones((2, 8, 8)))
    for layer, x in ((mc.Conv2D(2, 3), np.ones((2, 8))), (mc.MaxPooling2D(2), np.ones((2, 8))),
                     (mc.Dense(2), np.ones(4))):
        with pytest.raises(ShapeError, match=r"expected input of shape \(N, ") as refused:
            layer(x)
        assert advice not in str(refused.value)


@pytest.mark.parametrize("shape, channels_first", [((2, 4, 8, 8), True), ((2, 3, 8, 4), False)])
def test_the_channels_first_hint_takes_four_channels_first_and_a_last_axis_of_four_as_channels(shape, channels_first):
    """(N, 4, H, W) is an RGBA batch in PyTorch's order and gets the hint; (N, 3, 8, 4) may be RGBA images of 3×8 in
    minicnn's own order, and a 5×5 kernel that does not fit them is only that."""
    with pytest.raises(ShapeError, match=r"kernel \(5, 5\) does not fit") as refused:
        mc.Conv2D(2, 5)(np.ones(shape))
    assert ("images with their channels first" in str(refused.value)) == channels_first


def test_images_given_channels_first_are_named_so_against_a_declared_or_built_shape():
    """MNIST as PyTorch keeps it, (N, 1, 28, 28), given to a Conv2D declared or built for (N, 28, 28, 1), was refused
    with the two shapes only; a student coming from PyTorch could not tell what to do."""
    advice = "images with their channels first, (N, C, H, W), as PyTorch keeps them? minicnn takes them last"
    declared = mc.Conv2D(2, 3, input_shape=(28, 28, 1))
    with pytest.raises(ShapeError, match=r"\(its input_shape\), got \(5, 1, 28, 28\); images with their") as refused:
        declared(np.ones((5, 1, 28, 28)))
    assert "x.transpose(0, 2, 3, 1)" in str(refused.value)
    built = mc.Conv2D(2, 3)
    built(np.ones((5, 28, 28, 3)))
    with pytest.raises(ShapeError, match=r"built for 3 input channels\), got \(5, 3, 40, 40\); images with") as refused:
        built(np.ones((5, 3, 40, 40)))  # the spatial size is free once built: the channels are compared
    for layer, shape in ((declared, (5, 28, 28, 3)), (declared, (5, 1, 28, 29)), (built, (5, 28, 28, 4))):
        with pytest.raises(ShapeError) as refused:
            layer(np.ones(shape))
        assert advice not in str(refused.value), shape


@pytest.mark.parametrize("shape, warned", [((2, 1, 28, 28), True), ((2, 3, 32, 32), True), ((2, 3, 120, 160), True),
                                           ((2, 4, 8, 8), True), ((2, 28, 28, 1), False), ((2, 1, 100, 16), False),
                                           ((2, 1, 16, 20), False), ((2, 3, 4, 4), False), ((2, 3, 5, 5), False)])
def test_a_layer_built_from_images_that_look_channels_first_warns(shape, warned):
    """Without an input_shape nothing fails: (N, 1, 28, 28) builds a Conv2D for 28 channels of images 1 pixel tall.
    3 or 4 rows before at least 8 × 8 are warned of (a photo batch, (N, 3, 120, 160), was not at first), and 1 row
    before a square of at least 8 × 8; one row of another length (a 1-D signal, (N, 1, length, channels)) is not,
    nor are images smaller than 8 × 8."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = mc.Conv2D(2, 1)
        layer(np.ones(shape))
        layer(np.ones(shape))  # built: once
    said = [str(w.message) for w in caught if "channels first" in str(w.message)]
    assert len(said) == int(warned), said
    if warned:
        assert said[0].startswith(f"Conv2D '{layer.name}': data of shape {shape} read as images of "
                                  f"{shape[1]}×{shape[2]} pixels with {shape[3]} channels: images with their channels "
                                  f"first")
        assert caught[0].filename == __file__  # the line that called the layer


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_a_weight_replaced_by_another_dtype_or_shape_is_refused_alike_on_both_backends(backend_name):
    """``conv.params["kernel"] = sobel`` (float64, on a float32 layer): NumPy computed on in float64, Numba failed
    with 60 lines of its typing errors."""
    x = np.random.default_rng(0).random((2, 6, 6, 1)).astype(np.float32)
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], float)[:, :, None, None]
    with mc.use_backend(backend_name):
        conv = mc.Conv2D(1, 3, use_bias=False)
        conv.forward(x)
        conv.params["kernel"] = sobel
        with pytest.raises(TypeError, match=r"params\['kernel'\] was replaced by an array of float64, shape "
                                            r"\(3, 3, 1, 1\); the layer computes in float32 with a kernel of shape "
                                            r"\(3, 3, 1, 1\): write the values into it, "
                                            r"layer.params\['kernel'\]\[...\] = value"):
            conv.forward(x)
        conv.params["kernel"] = np.zeros((3, 3, 1, 2), np.float32)
        with pytest.raises(mc.ShapeError, match=r"shape \(3, 3, 1, 2\); the layer computes in float32 with a kernel "
                                                r"of shape \(3, 3, 1, 1\)"):
            conv.forward(x)
        conv.params["kernel"] = np.zeros((3, 3, 1, 1), np.float32)
        conv.params["kernel"][...] = sobel  # written into: fine
        assert conv.forward(x).dtype == np.float32


# ---------------------------------------------------------------------------------------------------------------------
# What help() shows, and a bare Activation()
# ---------------------------------------------------------------------------------------------------------------------

PUBLIC_LAYERS_WITH_KEYWORDS_LINE = [mc.Conv2D, mc.Dense, mc.MaxPooling2D, mc.AveragePooling2D, mc.Activation,
                                    mc.Linear, mc.ReLU, mc.Sigmoid, mc.Tanh, mc.Softmax, mc.Flatten, mc.Dropout,
                                    mc.BatchNormalization]


def test_every_public_layer_is_in_the_keywords_line_list():
    """Every layer class minicnn exports (Input is no layer) shows the keywords line in help()."""
    public = {getattr(mc, name) for name in mc.__all__ if isinstance(getattr(mc, name), type)
              and issubclass(getattr(mc, name), mc.Layer) and getattr(mc, name) is not mc.Layer}
    assert public == set(PUBLIC_LAYERS_WITH_KEYWORDS_LINE), public ^ set(PUBLIC_LAYERS_WITH_KEYWORDS_LINE)


@pytest.mark.parametrize("layer_class", PUBLIC_LAYERS_WITH_KEYWORDS_LINE, ids=lambda cls: cls.__name__)
def test_help_of_a_layer_lists_the_keywords_every_layer_takes(layer_class):
    """``help(mc.Conv2D)`` showed ``**kwargs`` and never said that it takes ``input_shape`` (README's first example
    uses it), ``name``, ``dtype`` or ``trainable``: the keywords of ``Layer.__init__``, listed in one line, the same
    in every layer."""
    import inspect

    keywords = [name for name, parameter in inspect.signature(mc.Layer.__init__).parameters.items()
                if name != "self" and parameter.kind is not parameter.VAR_KEYWORD]
    assert sorted(keywords) == ["dtype", "input_shape", "name", "trainable"]
    docstring = " ".join(layer_class.__doc__.split())
    line = ("Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch "
            "axis, e.g. ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes "
            "the weights).")
    assert line in docstring


@pytest.mark.parametrize("layer_class", [mc.MaxPooling2D, mc.AveragePooling2D], ids=lambda cls: cls.__name__)
def test_help_of_a_pooling_layer_shows_its_equation_and_its_arguments(layer_class):
    """``pool_size``, ``strides`` (defaulting to ``pool_size``) and ``padding`` were documented only on the private
    ``_Pooling2D``, which ``help(mc.MaxPooling2D)`` does not show."""
    docstring = inspect.cleandoc(layer_class.__doc__)  # Python 3.13 strips a docstring's indent itself
    assert "y[n,i,j,c] = " in docstring
    for entry in ('pool_size : int or (int, int), default 2', 'strides : int, (int, int) or None, default None',
                  'padding : "valid" or "same", default "valid"'):
        assert f"\n{entry}\n" in docstring
    assert "None means ``pool_size``" in docstring


def test_a_bare_activation_is_refused_when_made_and_one_of_your_own_still_works():
    """``mc.Activation()`` (no name, not a subclass) was made without complaint and failed only at its first use,
    with a NotImplementedError; it now says at once what to give. An activation of your own (a subclass defining
    ``apply`` and ``backward``) is made, used and given to a ``Dense`` as before."""
    message = (r"^Activation: expected activation, the name of the activation to apply, e\.g\. Activation\('relu'\) "
               r"\(one of \['linear', 'relu', 'sigmoid', 'softmax', 'tanh'\]\), or a subclass of Activation that "
               r"defines apply and backward; got no activation")
    for make in (lambda: mc.Activation(), lambda: mc.Activation(name="bare"), lambda: mc.Activation(None),
                 lambda: mc.Dense(2, activation=mc.Activation)):
        with pytest.raises(TypeError, match=message):
            make()

    class Squared(mc.Activation):
        def apply(self, z):
            self._z = z
            return z * z

        def backward(self, grad_out):
            return 2 * self._z * grad_out

    z = np.array([[1.0, -2.0, 3.0]])
    squared = Squared(dtype="float64")
    assert squared(z).tolist() == [[1.0, 4.0, 9.0]]
    assert squared.backward(np.ones_like(z)).tolist() == [[2.0, -4.0, 6.0]]
    dense = mc.Dense(2, activation=Squared, dtype="float64", seed=0)
    np.testing.assert_allclose(dense(z), (z @ dense.params["kernel"]) ** 2)
    assert mc.Activation("relu")(z).tolist() == [[1.0, 0.0, 3.0]]
