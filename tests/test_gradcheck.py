"""``gradcheck`` itself: it passes correct code, reports what it checked, and catches mutated backward passes."""

import re
import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn.kernels import numpy_kernels
from minicnn.layers import normalization
from tolerances import assert_gradcheck


def small_network(seed=0):
    return mc.Sequential([
        mc.Conv2D(3, (3, 3), padding="same", activation="tanh", input_shape=(6, 6, 1)),
        mc.MaxPooling2D((2, 2)),
        mc.Conv2D(4, (2, 2), strides=1, padding="valid", activation="sigmoid"),
        mc.BatchNormalization(),
        mc.Flatten(),
        mc.Dense(5, activation="tanh"),
        mc.Dense(1, activation="sigmoid"),
    ], seed=seed)


def test_whole_model_gradients():
    model = small_network()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 6, 1))
    y = np.array([[1.0], [0.0], [1.0]])
    for training in (False, True):
        report = mc.gradcheck(model, x, y, training=training, max_checks=25)
        assert_gradcheck(report, f"model training={training}")
        assert set(report.errors) == {"x"} | {f"{layer.name}.{key}" for layer in model.layers for key in layer.params}


def test_report_lists_each_array_and_its_worst_entry():
    report = mc.gradcheck(mc.Dense(2, seed=0), np.ones((2, 3)))
    text = str(report)
    assert "kernel" in text and "bias" in text and "worst index" in text
    assert [c.checked for c in report.comparisons] == [6, 6, 2]
    assert report.passed is True and text.endswith("passed: every relative error is below 1e-06")


def test_a_wrong_backward_fails_the_report_and_an_assert_on_it(monkeypatch):
    """``passed`` is a truth value, so ``assert report.passed`` fails where it should (as a method it was always
    true); the printed report says which arrays failed and what else than a bug can cause it."""
    real_backward = mc.Dense.backward

    def doubled_input_gradient(self, grad_out, input_gradient=True):
        return 2 * real_backward(self, grad_out, input_gradient)

    monkeypatch.setattr(mc.Dense, "backward", doubled_input_gradient)
    report = mc.gradcheck(mc.Dense(2, seed=0), np.arange(6.0).reshape(2, 3))
    assert report.passed is False
    with pytest.raises(AssertionError):
        assert report.passed
    assert str(report).splitlines()[-2:] == [
        "  x: the hand-written gradient is 2 times the numerical one at every entry checked, which is 2, the batch "
        "size (a mean left out?): a constant factor is wrong or missing",
        "NOT passed: x above 1e-06: a backward pass is wrong (see the line on each above)."]
    assert mc.gradcheck(mc.Dense(2, seed=0), np.arange(6.0).reshape(2, 3), tolerance=0.5).passed  # 1/3 < 0.5

    def reversed_input_gradient(self, grad_out, input_gradient=True):  # nothing in common to name
        return real_backward(self, grad_out, input_gradient)[:, ::-1].copy()

    monkeypatch.setattr(mc.Dense, "backward", reversed_input_gradient)
    report = mc.gradcheck(mc.Dense(2, seed=0), np.arange(6.0).reshape(2, 3))
    assert str(report).splitlines()[-1].startswith("NOT passed: x above 1e-06: a backward pass is wrong. No kink "
                                                   "explains it: ")  # a linear layer: it has none
    assert "a ReLU input within h of 0" in str(report) and "  x: " not in str(report)


def test_entries_on_a_kink_are_counted_not_judged_and_a_wrong_gradient_there_still_fails():
    """A max-pooling window whose two largest inputs tie has no derivative: the slope is 1 on one side and 0 on
    the other, the central difference gives their mean, 0.5, and the hand-written gradient (all of it to the first
    maximum) is one of the two slopes. Both tied entries are counted as kinks and the check passes; a backward
    that sends the gradient to an input that is not a maximum still fails."""
    tied = np.array([[1.0, 1.0], [0.0, 0.0]]).reshape(1, 2, 2, 1)
    report = mc.gradcheck(mc.MaxPooling2D(2), tied, grad_out=np.ones((1, 1, 1, 1)))
    assert report.passed and report.kinks == 2 and report.comparisons[0].kinks == 2, report
    assert "2 entries sat on a kink" in str(report) and "kinks" in str(report).splitlines()[1]

    class WrongPool(mc.MaxPooling2D):
        def backward(self, grad_out):
            super().backward(grad_out)
            return np.array([[0.0, 0.0], [1.0, 0.0]]).reshape(1, 2, 2, 1) * grad_out.sum()

    report = mc.gradcheck(WrongPool(2), tied, grad_out=np.ones((1, 1, 1, 1)))
    assert not report.passed and report.comparisons[0].worst_index == (0, 1, 0, 0), report


def test_an_array_whose_every_entry_sits_on_a_kink_does_not_pass():
    """A ReLU checked at x = 0: every entry sits on the kink, nothing is compared, and the report does not pass but
    says why (mutation round: without ``unjudged`` in ``passed`` it passed on nothing)."""
    report = mc.gradcheck(mc.ReLU(), np.zeros((2, 3)))
    assert report.unjudged == ["x"] and report.kinks == 6 and not report.passed
    assert "NOT passed: every checked entry of x sat on a kink" in str(report)


@pytest.mark.parametrize("nan_in", ["W", "x"])
def test_a_gradient_holding_nan_fails_and_is_named(nan_in):
    """A backward that left NaN in ``grads['W']`` passed ("every relative error is below 1e-06"): the report's
    largest error was Python's max over the arrays, which skips a NaN after a number. NaN in ∂L/∂x, the first
    array, failed without a line saying so. Both fail now, the array named, with what NaN in a gradient suggests."""
    class Affine(mc.Layer):
        def build(self, input_shape):
            self.params = {"W": np.random.default_rng(0).standard_normal((input_shape[-1], 2)), "b": np.zeros(2)}
            self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
            self.built = True

        def compute_output_shape(self, input_shape):
            return tuple(input_shape[:-1]) + (2,)

        def forward(self, x, training=False):
            self.x = x
            return x @ self.params["W"] + self.params["b"]

        def backward(self, grad):
            self.grads["W"] = np.full_like(self.params["W"], np.nan) if nan_in == "W" else self.x.T @ grad
            self.grads["b"] = grad.sum(axis=0)
            return np.full_like(self.x, np.nan) if nan_in == "x" else grad @ self.params["W"].T

    report = mc.gradcheck(Affine(), np.random.default_rng(1).standard_normal((4, 3)))
    assert not report.passed and report.errors[nan_in] == np.inf, report
    assert f"{nan_in}: the hand-written gradient is NaN at an entry checked" in str(report)
    assert f"NOT passed: {nan_in} above 1e-06: a backward pass is wrong" in str(report)


def test_a_relu_input_within_h_of_zero_is_a_kink_not_a_failure():
    """The README's case: an input near a ReLU's bend. The slope on the far side mixes two slopes, the one on the
    near side is exact, and the hand-written gradient is that one. At 0.4·h from the bend a step of h/10 no longer
    reaches it, so the entry is measured again there and judged; at 0.04·h it is a kink, counted and not judged. An
    array whose every entry sits on a kink has nothing judged, and does not pass."""
    layer = mc.Dense(1, activation="relu", use_bias=False, seed=0)
    layer.build((None, 1))
    layer.params["kernel"][...] = 1.0
    near = mc.gradcheck(layer, np.array([[-0.4e-5], [0.5]]), grad_out=np.ones((2, 1)), step=1e-5)
    assert near.passed and near.kinks == 0, near
    for distance in (0.07e-5, 0.09e-5):  # crossed by h/10 too, but not by h/100, where the entry is judged
        report = mc.gradcheck(mc.ReLU(), np.array([[1.0, -2.0, -distance, 0.5]]), step=1e-5)
        assert report.passed and report.kinks == 0, report
    on = mc.gradcheck(layer, np.array([[-0.4e-6], [0.5]]), grad_out=np.ones((2, 1)), step=1e-5)
    assert on.passed and on.kinks == 1 and on.comparisons[0].kinks == 1, on
    assert "1 entry sat on a kink" in str(on)
    alone = mc.gradcheck(layer, np.array([[-0.4e-6]]), grad_out=np.ones((1, 1)), step=1e-5)
    assert not alone.passed and alone.unjudged == ["x"], alone
    assert "NOT passed: every checked entry of x sat on a kink, so nothing there was compared" in str(alone)


def test_a_wrong_gradient_on_a_curve_is_not_taken_for_a_kink():
    """A smooth function's one-sided slopes differ by its curvature times h, and a gradient off by 0.1% can lie
    between them: measured again with h/10, a curve's slopes close up (a kink's would not), and the entry is judged
    and fails. The right gradient passes with no kink."""

    class Cube(mc.Layer):
        factor = 1.0

        def forward(self, x, training=False):
            self.x = np.asarray(x)
            return self.x ** 3

        def backward(self, grad_out):
            return 3 * self.x ** 2 * grad_out * self.factor

    x = np.random.default_rng(1).uniform(0.2, 0.9, (4, 3))
    right = mc.gradcheck(Cube(), x, step=1e-3)
    assert right.passed and right.kinks == 0, right
    wrong = Cube()
    wrong.factor = 1.001
    for step in (1e-3, 1e-5):
        report = mc.gradcheck(wrong, x, step=step)
        assert not report.passed and report.kinks == 0, report
        assert "the hand-written gradient is 1.001 times the numerical one at every entry checked" in str(report)


def test_in_float32_rounding_is_never_taken_for_a_kink():
    """In float32 the one-sided slopes differ by rounding alone; the check must fail there, not call it kinks."""
    rng = np.random.default_rng(0)
    report = mc.gradcheck(mc.Conv2D(3, 3, activation="tanh", seed=0), rng.standard_normal((2, 5, 5, 2)),
                          dtype=np.float32, step=1e-5)
    assert not report.passed and report.kinks == 0, report


def test_gradcheck_leaves_the_layer_untouched():
    layer = mc.Dense(2, seed=0)
    layer.build((None, 3))
    before = layer.params["kernel"].copy()
    mc.gradcheck(layer, np.ones((2, 3)))
    assert layer.params["kernel"].dtype == np.float32 and np.array_equal(layer.params["kernel"], before)


def test_float32_differences_are_far_less_accurate():
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 2))
    layer = mc.Conv2D(2, 3, seed=0)
    error64 = mc.gradcheck(layer, x).max_error
    error32 = mc.gradcheck(layer, x, dtype=np.float32, step=1e-3).max_error
    assert error64 < 1e-6 < error32


# -------------------------------------------------------------------------------------------- mutants
@pytest.fixture
def numpy_backend():
    """The mutants below patch the NumPy kernels, so these tests run on that backend."""
    with mc.use_backend("numpy"):
        yield


def _x(shape):
    return np.random.default_rng(1).standard_normal(shape)


def test_catches_conv_backward_missing_a_kernel_tap(monkeypatch, numpy_backend):
    original = numpy_kernels.conv2d_backward

    def dropped_tap(grad_y, x, kernel, stride, padding, input_gradient=True):
        grad_x, grad_kernel, grad_bias = original(grad_y, x, kernel, stride, padding, input_gradient)
        grad_kernel = grad_kernel.copy()
        grad_kernel[0, 0] = 0  # forgot the first tap
        return grad_x, grad_kernel, grad_bias
    monkeypatch.setattr(numpy_kernels, "conv2d_backward", dropped_tap)
    assert mc.gradcheck(mc.Conv2D(2, 3, seed=0), _x((2, 5, 5, 1))).errors["kernel"] > 1e-2


def test_catches_conv_bias_gradient_not_summed_over_batch(monkeypatch, numpy_backend):
    original = numpy_kernels.conv2d_backward

    def first_sample_only(grad_y, x, kernel, stride, padding, input_gradient=True):
        grad_x, grad_kernel, _ = original(grad_y, x, kernel, stride, padding, input_gradient)
        return grad_x, grad_kernel, grad_y[0].sum(axis=(0, 1))
    monkeypatch.setattr(numpy_kernels, "conv2d_backward", first_sample_only)
    assert mc.gradcheck(mc.Conv2D(2, 3, seed=0), _x((3, 5, 5, 1))).errors["bias"] > 1e-2


def test_catches_max_pool_gradient_spread_over_window(monkeypatch, numpy_backend):
    def spread(grad_y, argmax, x_shape, pool_size, stride, padding):
        return numpy_kernels.avg_pool2d_backward(grad_y, x_shape, pool_size, stride, padding) * 4
    monkeypatch.setattr(numpy_kernels, "max_pool2d_backward", spread)
    assert mc.gradcheck(mc.MaxPooling2D(2), _x((1, 4, 4, 1))).max_error > 1e-2


def test_catches_batch_norm_backward_without_the_mean_term(monkeypatch):
    def incomplete(self, grad_out):
        axes = tuple(range(grad_out.ndim - 1))
        self.grads["gamma"] = np.sum(grad_out * self._x_hat, axis=axes)
        self.grads["beta"] = np.sum(grad_out, axis=axes)
        return grad_out * self.params["gamma"] * self._inv_std  # as if μ and σ² did not depend on x
    monkeypatch.setattr(normalization.BatchNormalization, "backward", incomplete)
    assert mc.gradcheck(mc.BatchNormalization(), _x((4, 3)), training=True).errors["x"] > 1e-2


def test_catches_sigmoid_backward_with_wrong_derivative(monkeypatch):
    monkeypatch.setattr(mc.Sigmoid, "backward", lambda self, g: g * self._a)  # forgot (1 − σ)
    assert mc.gradcheck(mc.Sigmoid(), _x((2, 3))).max_error > 1e-2


def test_catches_loss_gradient_without_one_over_n(monkeypatch):
    monkeypatch.setattr(mc.MeanSquaredError, "grad", lambda self, y, p: p - y)
    assert mc.gradcheck(mc.MeanSquaredError(), _x((4, 1)), _x((4, 1)) + 1).max_error > 1e-2


def test_rejects_unknown_targets():
    with pytest.raises(TypeError, match="Layer, a Loss or a Sequential"):
        mc.gradcheck(lambda x: x, np.ones(3))


def test_a_loss_that_clips_a_prediction_is_named_as_the_reason_the_check_fails():
    """After training, a sigmoid output can fall below the cross-entropy's ε = 1e-7: the loss is flat there while
    its gradient is the unclipped formula's, so no check can pass. The report says how many samples, and why."""
    y = np.array([[1.0], [0.0], [1.0]])
    confident = np.array([[1e-9], [0.3], [0.6]])           # sample 0: clipped (and wrong)
    report = mc.gradcheck(mc.BinaryCrossentropy(), confident, y)
    assert not report.passed and report.clipped_samples == 1 and report.samples == 3, report
    assert "The loss clips the predictions of 1 of 3 samples" in str(report)
    assert "a backward pass is wrong" not in str(report)  # the built-in loss is right: the clip explains it (review)
    assert str(report).splitlines()[-1].startswith("NOT passed: y_pred above 1e-06: a wrong backward pass, or the "
                                                   "samples at or near the loss's clip named above")
    every = str(mc.gradcheck(mc.BinaryCrossentropy(), np.array([[1 - 1e-9], [1e-9]]), np.array([[0.0], [1.0]])))
    assert "a backward pass is wrong" not in every and "at or near the loss's clip" in every, every  # all clipped
    unclipped = mc.gradcheck(mc.BinaryCrossentropy(), np.array([[0.2], [0.3], [0.6]]), y)
    assert unclipped.passed and unclipped.clipped_samples == 0 and "clips" not in str(unclipped), unclipped
    logits = mc.gradcheck(mc.BinaryCrossentropy(from_logits=True), np.array([[-20.7], [0.3], [0.6]]), y)
    assert logits.passed and logits.clipped_samples == 0, logits
    sparse = mc.SparseCategoricalCrossentropy()
    probabilities = np.array([[1e-9, 1 - 1e-9], [0.5, 0.5]])
    assert list(sparse.clipped([0, 1], probabilities)) == [True, False]
    assert list(sparse.clipped([1, 1], probabilities)) == [False, False]  # a tiny p where the label is 0: not used


def _corrupt_dense_kernel_gradient(monkeypatch, corrupt):
    real_backward = mc.Dense.backward

    def backward(self, grad_out, input_gradient=True):
        grad_x = real_backward(self, grad_out, input_gradient)
        self.grads["kernel"] = corrupt(self.grads["kernel"].copy())
        return grad_x

    monkeypatch.setattr(mc.Dense, "backward", backward)


def test_a_small_error_in_a_small_entry_is_caught(monkeypatch):
    """The floors that keep rounding from failing entries near zero must not hide a real error: one kernel entry
    whose gradient is 1 % of the largest, off by one part in 100,000, fails the check."""
    x = np.array([[1.0, 0.01, 2.0], [-1.5, 0.01, 0.5]])       # input column 1 is small: so is kernel row 1's gradient
    grad_out = np.array([[1.0, -0.5], [0.25, 2.0]])

    def off(kernel_gradient):
        kernel_gradient[1, 0] *= 1 + 1e-5
        return kernel_gradient

    assert mc.gradcheck(mc.Dense(2, seed=0), x, grad_out=grad_out).passed
    _corrupt_dense_kernel_gradient(monkeypatch, off)
    report = mc.gradcheck(mc.Dense(2, seed=0), x, grad_out=grad_out)
    kernel = report.comparisons[1]
    assert not report.passed and kernel.max_error > 1e-6 and kernel.worst_index == (1, 0), report


def test_entries_are_sampled_from_the_whole_array(monkeypatch):
    """With ``max_checks``, the entries checked are drawn from the whole array, not the first ones: an error in
    the second half of a kernel is found."""
    def second_half_doubled(kernel_gradient):
        kernel_gradient[50:] *= 2
        return kernel_gradient

    _corrupt_dense_kernel_gradient(monkeypatch, second_half_doubled)
    rng = np.random.default_rng(0)
    report = mc.gradcheck(mc.Dense(1, seed=0), rng.standard_normal((3, 100)), max_checks=20, seed=0)
    assert not report.passed and report.comparisons[1].worst_index[0] >= 50, report


def test_the_upstream_gradient_tells_positions_apart(monkeypatch):
    """A layer is checked through ``Σ y·G`` with a random ``G``: a backward that returns the right numbers in the
    wrong places (Flatten's gradient reversed) fails. With G all ones it would pass, as the sum ignores order."""
    real_backward = mc.Flatten.backward

    def reversed_order(self, grad_out):
        return real_backward(self, grad_out[:, ::-1])

    monkeypatch.setattr(mc.Flatten, "backward", reversed_order)
    report = mc.gradcheck(mc.Flatten(), np.arange(12.0).reshape(1, 2, 3, 2))
    assert not report.passed, report


# -------------------------------------------------------------------------------------------- bad arguments
def test_an_upstream_gradient_of_another_shape_than_the_output_is_refused_by_name():
    x = np.ones((3, 2))
    with pytest.raises(mc.ShapeError, match=r"gradcheck: grad_out must have the shape of the layer's output, "
                                            r"\(3, 2\), got \(3, 5\)"):
        mc.gradcheck(mc.Dense(2), x, grad_out=np.ones((3, 5)))
    with pytest.raises(mc.NonFiniteError, match="gradcheck: grad_out contains NaN or infinity"):
        mc.gradcheck(mc.Dense(2), x, grad_out=np.full((3, 2), np.nan))


@pytest.mark.parametrize("argument", ["step", "tolerance"])
@pytest.mark.parametrize("value", [0, -1e-5, np.nan, np.inf, "1e-5", None, True])
def test_step_and_tolerance_must_be_finite_positive_numbers(argument, value):
    """``step=0`` divided by zero (a report of NaN and many warnings), a string failed in a ufunc, NaN was blamed
    on the layer's input; ``tolerance=0`` could never pass."""
    with pytest.raises((TypeError, ValueError), match=rf"gradcheck: {argument} must be a finite number > 0, "
                                                      rf"got {re.escape(repr(value))}"):
        mc.gradcheck(mc.Dense(2), np.ones((3, 2)), **{argument: value})


@pytest.mark.parametrize("value", [0, -1, 2.5, "3", True])
def test_max_checks_must_be_none_or_a_whole_number_of_at_least_one(value):
    with pytest.raises((TypeError, ValueError), match=rf"gradcheck: max_checks must be None or a whole number ≥ 1, "
                                                      rf"got {re.escape(repr(value))}"):
        mc.gradcheck(mc.Dense(2), np.ones((3, 2)), max_checks=value)
    assert mc.gradcheck(mc.Dense(2), np.ones((3, 2)), max_checks=np.int64(1)).comparisons[0].checked == 1


@pytest.mark.parametrize("make, x, expected", [
    (lambda: mc.Dense(2), np.ones((2, 3, 4)), r"\(N, features\) \(rank 2\), got \(2, 3, 4\)"),
    (lambda: mc.Dense(2), np.ones(3), r"\(N, features\) \(rank 2\), got \(3,\)"),
    (lambda: mc.Conv2D(2, 3), np.ones((1, 5, 5)), r"\(N, H, W, C\) \(rank 4\), got \(1, 5, 5\)"),
    (lambda: mc.MaxPooling2D(2), np.ones((1, 4, 4)), r"\(N, H, W, C\) \(rank 4\), got \(1, 4, 4\)"),
    (lambda: mc.BatchNormalization(), np.ones(3), r"\(N, \.\.\., C\), got \(3,\) \(the batch axis comes first\)"),
    (lambda: mc.Dense(2, input_shape=(4,)), np.ones((3, 2)), r"\(N, 4\) \(its input_shape\), got \(3, 2\)"),
    (lambda: mc.Conv2D(2, 5), np.ones((1, 3, 3, 1)), r"kernel \(5, 5\) does not fit in an input of 3×3"),
])
def test_an_input_of_the_wrong_shape_is_refused_before_the_layer_is_built(make, x, expected):
    """gradcheck builds an unbuilt layer for x's shape before the layer's own first call would check it: a rank-3
    x built a Dense for it and was then refused as "expected (N, 3, 4), got (2, 3, 4)"; a 1-D x failed inside
    the initialiser. x is checked first, by name, and the layer stays unbuilt."""
    layer = make()
    with pytest.raises(mc.ShapeError, match=rf"gradcheck: x: {layer.describe()}: (expected input of shape )?"
                                            rf"{expected}"):
        mc.gradcheck(layer, x)
    assert not layer.built
    model = mc.Sequential([make()])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(mc.ShapeError, match=r"gradcheck: x: "):
        mc.gradcheck(model, x, np.ones((len(x), 2)))


@pytest.mark.parametrize("dtype", [int, np.float16, "foo"])
def test_dtype_must_be_float32_or_float64(dtype):
    """An integer dtype failed inside NumPy ("not inexact"); float16 "passed" a loss whose differences it cannot
    resolve (every slope 0)."""
    cases = ((mc.MeanSquaredError(), np.ones((4, 1)), np.zeros((4, 1))), (mc.Dense(2), np.ones((3, 2)), None))
    for target, x, y in cases:
        with pytest.raises(TypeError, match="gradcheck: dtype must be float32 or float64, got"):
            mc.gradcheck(target, x, y, dtype=dtype)


def test_training_must_be_a_flag_and_seed_a_whole_number():
    with pytest.raises(TypeError, match="gradcheck: training must be True or False, got 'no'"):
        mc.gradcheck(mc.Dense(2), np.ones((3, 2)), training="no")
    with pytest.raises(TypeError, match="gradcheck: seed must be a whole number ≥ 0.* got 'a'"):
        mc.gradcheck(mc.Dense(2), np.ones((3, 2)), seed="a")
    with pytest.raises(ValueError, match="gradcheck: seed must be a whole number ≥ 0.* got -1"):
        mc.gradcheck(mc.Dense(2), np.ones((3, 2)), seed=-1)


def test_an_argument_the_target_does_not_use_is_refused_not_ignored():
    """gradcheck(layer, x, y) checked the layer with a random upstream gradient and no word about y."""
    x = np.ones((3, 2))
    for target, arguments, message in (
            (mc.Dense(2), {"y": np.ones((3, 2))}, r"y given for a Dense, which does not use it: a layer is checked "
                                                  r"on grad_out"),
            (mc.Dense(2), {"loss": "mse"}, "loss given for a Dense"),
            (mc.MeanSquaredError(), {"y": x, "grad_out": x}, "grad_out given for a MeanSquaredError"),
            (mc.Sequential([mc.Dense(2)]), {"y": x, "loss": "mse", "grad_out": x}, "grad_out given for a Sequential")):
        with pytest.raises(TypeError, match=message):
            mc.gradcheck(target, x, **arguments)
    with pytest.raises(ValueError, match="gradcheck: a loss is checked on labels; give y"):
        mc.gradcheck(mc.MeanSquaredError(), x)
    with pytest.raises(ValueError, match="gradcheck: a model is checked on labels; give y"):
        mc.gradcheck(mc.Sequential([mc.Dense(2)]), x, loss="mse")


@pytest.mark.parametrize("step", [True, "1e-5"])
def test_a_step_that_is_not_a_number_is_a_type_error(step):
    """True is 1 to Python but no step; a number given as text is no number."""
    with pytest.raises(TypeError, match=rf"^gradcheck: step must be a finite number > 0, got {re.escape(repr(step))}$"):
        mc.gradcheck(mc.Dense(2), np.ones((1, 3)), step=step)


def test_a_long_check_shows_its_progress_and_a_huge_one_warns_first(monkeypatch, capsys):
    """``gradcheck(model, x, y)`` of a whole network compares every entry, two forward passes each: about a
    million for the document's network, for hours, in silence. A check running past ``SHOW_PROGRESS_AFTER``
    seconds shows a bar over its entries, and one of more than ``LARGE_CHECK`` entries warns first with the way to
    a quicker one (here both limits are made small); a quick check prints nothing."""
    import importlib

    module = importlib.import_module("minicnn.gradcheck")  # minicnn.gradcheck, the name, is the function
    x = np.random.default_rng(0).standard_normal((4, 5))
    assert mc.gradcheck(mc.Dense(3, seed=0), x).passed
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(module, "SHOW_PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(module, "LARGE_CHECK", 10)
    with pytest.warns(UserWarning, match=r"^gradcheck: 38 entries to check, each by two forward passes; for a "
                                         r"quicker check of a random sample, pass max_checks=20"):
        assert mc.gradcheck(mc.Dense(3, seed=0), x).passed  # x 20, kernel 15, bias 3
    assert re.search(r"^38/38 \[=+\] .*/entry$", capsys.readouterr().out.strip().splitlines()[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mc.gradcheck(mc.Dense(3, seed=0), x, max_checks=2)  # a sample: no warning


def test_the_report_points_at_a_judged_entry_and_hints_only_what_the_numbers_show():
    """From a student's audit: the worst index was a kink's (0.1257 vs 0.06287 beside an error of 0), a factor that
    rounds to 1 was printed as "1 times … a constant factor is wrong", a backward that never sets its gradient got
    no hint, and "at every entry checked" was said of half of them (a mask left out)."""
    x = np.zeros((1, 4, 4, 1))
    x[0, 0, :2, 0] = 1  # ties in the pooling windows: kinks
    report = mc.gradcheck(mc.MaxPooling2D(2), x)
    assert report.passed and re.search(r"\(0, 1, 0, 0\): 0 vs 0\n", str(report)), report

    saturated = mc.Sequential([mc.Input(shape=(1,)), mc.Dense(1, activation="sigmoid")], seed=0).astype(np.float64)
    saturated.build()
    saturated.set_weights([np.array([[16.0]]), np.array([0.0])])  # 1 − p = 1.1e-7: rounding, not a wrong factor
    report = mc.gradcheck(saturated, np.array([[1.0], [0.5], [-0.3]]), np.array([[0.0], [1.0], [0.0]]),
                          loss="binary_crossentropy")
    assert "1 times" not in str(report)

    class Forgetful(mc.Layer):
        def build(self, input_shape):
            self.params["s"] = np.ones(input_shape[-1], dtype=self.dtype)
            self.grads["s"] = np.zeros_like(self.params["s"])
            super().build(input_shape)

        def forward(self, x, training=False):
            self.x = np.asarray(x)
            return self.x * self.params["s"]

        def backward(self, grad_out):
            return self.params["s"] * grad_out  # grads["s"] never set

    report = mc.gradcheck(Forgetful(), np.random.default_rng(0).standard_normal((4, 3)))
    assert "the hand-written gradient is 0 at every entry checked, where the numerical one is not: does backward " \
           "set this gradient" in str(report)

    class MaskLeftOut(mc.Layer):
        def forward(self, x, training=False):
            self.keep = (np.arange(np.size(x)).reshape(np.shape(x)) % 2).astype(float)
            return np.asarray(x) * self.keep * 2.0

        def backward(self, grad_out):
            return grad_out  # forgets the mask and the 2

    report = mc.gradcheck(MaskLeftOut(), np.random.default_rng(1).standard_normal((4, 4)))
    assert re.search(r"the hand-written gradient is 0\.5 times the numerical one at the 8 of 16 entries checked "
                     r"where neither is 0 \(at 8 others one of them is 0: a mask left out\?\)", str(report)), report


def test_a_model_check_names_a_layer_that_changes_its_input_and_a_layer_check_what_a_model_refuses():
    """A layer of one's own that doubled its input in place, mid-model, overwrote the sigmoid output the Dense
    before it keeps for backward: the check failed the Dense ("a backward pass is wrong"). And a layer check passed
    layers a model refuses: one that averages over the batch, one that changes the shape without saying how."""
    class Double(mc.Layer):
        def forward(self, x, training=False):
            x *= 2.0
            return x

        def backward(self, grad_out):
            return 2.0 * grad_out

    model = mc.Sequential([mc.Input(shape=(3,)), mc.Dense(3, activation="sigmoid"), Double(), mc.Dense(1)], seed=0)
    rng = np.random.default_rng(0)
    report = mc.gradcheck(model, rng.standard_normal((4, 3)), rng.standard_normal((4, 1)), loss="mse")
    assert re.search(r"the forward of Double 'double(_\d+)?' changed its input in place", str(report)), report

    class BatchMean(mc.Layer):
        def forward(self, x, training=False):
            self.n = len(x)
            return np.asarray(x).mean(axis=0, keepdims=True)

        def backward(self, grad_out):
            return np.repeat(grad_out, self.n, axis=0) / self.n

    class Squares(mc.Layer):
        def forward(self, x, training=False):
            self.x = np.asarray(x)
            return np.concatenate([self.x, self.x ** 2], axis=-1)

        def backward(self, grad_out):
            width = self.x.shape[-1]
            return grad_out[:, :width] + 2 * self.x * grad_out[:, width:]

    x = rng.standard_normal((4, 3))
    assert "(a mean or sum over axis 0?) (a model refuses this layer)" in str(mc.gradcheck(BatchMean(), x))
    assert "where its compute_output_shape gives (N, 3)" in str(mc.gradcheck(Squares(), x))


def test_a_model_at_an_exact_fit_is_said_to_be_flat_not_wrong():
    """At a perfect fit every gradient is 0 within rounding: 0 vs 7e-15 read as a relative error of 1, and the
    check said a backward pass was wrong (from a student's audit). Such an array is flat: nothing is judged, and the
    report says to check away from the fit, where the check judges as before. A NaN is never flat (found in
    review: Python's max(0.0, nan) is 0.0)."""
    model = mc.Sequential([mc.Input(shape=(3,)), mc.Dense(4, activation="tanh"), mc.Dense(2)], seed=0)
    model = model.astype(np.float64)
    x = np.random.default_rng(0).standard_normal((5, 3))
    fitted = model.predict(x)
    report = mc.gradcheck(model, x, fitted, loss="mse")
    assert not report.passed and "is within rounding of 0 (below 1e-10, both hand-written and numerical): the " \
        "function is flat there (a model at an exact fit, say), so nothing was compared" in str(report), report
    assert "a backward pass is wrong" not in str(report)
    assert mc.gradcheck(model, x, fitted + 0.5, loss="mse").passed

    class Root(mc.Layer):
        def forward(self, x, training=False):
            return np.sqrt(np.asarray(x))

        def backward(self, grad_out):
            return 0 * grad_out  # wrong, and the numerical slope at 0 is NaN

    with np.errstate(invalid="ignore"):
        assert not mc.gradcheck(Root(), np.zeros((2, 2))).passed


def test_the_verdict_says_when_the_differences_come_from_rounding_or_from_the_forward_itself():
    """From a student's audit: a float32 check, a random forward and a prediction near the clip each ended with
    "Either a backward pass is wrong, or … a kink", with kinks and hints that meant nothing."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    float32 = str(mc.gradcheck(mc.Dense(3, seed=0), x, dtype=np.float32, step=1e-5))
    assert "in float32, where rounding alone moves a difference quotient by about ε·|f|/h (ε = 1.2e-7): a wrong " \
        "backward pass and rounding look alike here; check in float64" in float32, float32

    class Noisy(mc.Layer):
        def forward(self, x, training=False):
            return np.asarray(x) + 1e-3 * np.random.default_rng().standard_normal(np.shape(x))

        def backward(self, grad_out):
            return grad_out

    noisy = str(mc.gradcheck(Noisy(), x))
    assert "a random draw?" in noisy and "cannot be read until that is mended" in noisy
    assert "a backward pass is wrong" not in noisy and "sat on a kink" not in noisy, noisy

    saturated = mc.Sequential([mc.Input(shape=(1,)), mc.Dense(1, activation="sigmoid")], seed=0).astype(np.float64)
    saturated.build()
    saturated.set_weights([np.array([[12.0]]), np.array([0.0])])  # 1 − σ(12) = 6e-6: near the clip, not on it
    report = str(mc.gradcheck(saturated, np.array([[1.0], [0.1], [-0.3]]), np.array([[0.0], [1.0], [0.0]]),
                              loss="binary_crossentropy"))
    assert "1 of 3 samples have a probability within 1e-4 of 0 or 1: the loss's log magnifies rounding" in report
    confident = str(mc.gradcheck(saturated, np.array([[1.0], [0.1], [-0.3]]), np.array([[1.0], [1.0], [0.0]]),
                                 loss="binary_crossentropy"))
    assert "within 1e-4 of 0 or 1" not in confident  # p ≈ 1 where y = 1: log p magnifies nothing (found in review)
    loss_check = str(mc.gradcheck(mc.BinaryCrossentropy(), np.array([[1 - 6e-6], [0.3], [0.6]]),
                                  np.array([[0.0], [1.0], [0.0]])))
    assert "1 of 3 samples have a probability within 1e-4 of 0 or 1" in loss_check


def test_a_layer_returning_a_list_is_named_as_a_model_would():
    """gradcheck turned the output into an array before checking it, so a list passed (found in review)."""
    class Listed(mc.Layer):
        def forward(self, x, training=False):
            return (2 * np.asarray(x)).tolist()

        def backward(self, grad_out):
            return 2 * grad_out

    report = mc.gradcheck(Listed(), np.random.default_rng(0).standard_normal((3, 2)))
    assert not report.passed and "returned a list from forward" in str(report), report


def test_a_backward_error_also_names_what_was_wrong_with_the_forward_before_it():
    """A layer that averages over the batch, with a backward to match: the backward's shape error was raised
    before the report, so the cause (the forward's output, which a model refuses) went unsaid (found in review)."""
    class BatchMean(mc.Layer):
        def forward(self, x, training=False):
            return np.asarray(x).mean(axis=0, keepdims=True)

        def backward(self, grad_out):
            return grad_out  # of the output's shape (1, 3), not the input's

    with pytest.raises(mc.errors.ShapeError, match=r"expected the input's shape \(4, 3\)\. Before that, the forward "
                                                   r"pass: .*returned an output of shape \(1, 3\) for a batch of 4"):
        mc.gradcheck(BatchMean(), np.random.default_rng(0).standard_normal((4, 3)))


def test_the_tests_helper_fails_a_report_that_judged_nothing():
    """``tolerances.assert_gradcheck`` asserted only the largest error: a ReLU checked at its kink only (every entry
    unjudged, the largest error 0) passed it, though gradcheck itself says NOT passed."""
    report = mc.gradcheck(mc.ReLU(dtype="float64"), np.zeros((2, 3)))
    assert report.max_error == 0 and report.unjudged == ["x"] and not report.passed
    with pytest.raises(AssertionError, match="relu at 0: not judged"):
        assert_gradcheck(report, "relu at 0")


def test_where_several_kinks_meet_the_verdict_says_a_right_gradient_can_fail_too():
    """Notebook 5's network failed at an input in a flat patch of background, where several pooling ties meet, and
    the report said "a backward pass is wrong" while the notebook said none was. Overlapping 2×2 windows on a flat
    3×3 image all hold x[1, 1]: backward sends it the gradient of the one window where it comes first (G = 1), its
    right slope is the sum of all four (−2), its left slope 0, so a right gradient lies outside both slopes. Noise
    far below the data's scale breaks the ties, and the same layer passes."""
    pool = mc.MaxPooling2D(2, strides=1)
    flat = np.ones((1, 3, 3, 1))
    upstream = np.array([-1.0, -1.0, -1.0, 1.0]).reshape(1, 2, 2, 1)
    report = mc.gradcheck(pool, flat, grad_out=upstream)
    verdict = str(report).splitlines()[-1]
    assert not report.passed and report.comparisons[0].worst_index == (0, 1, 1, 0)
    assert verdict.startswith("NOT passed: x above 1e-06: a backward pass is wrong, or several kinks meet where it "
                              "was checked. At 1 failing entry the one-sided slopes"), verdict
    assert verdict.endswith("Check at a point away from the bends (add noise far below the data's scale to x) to "
                            "tell which."), verdict
    noisy = flat + 1e-3 * np.random.default_rng(0).standard_normal(flat.shape)
    assert mc.gradcheck(pool, noisy, grad_out=upstream).passed


def test_a_wrong_gradient_away_from_the_bends_keeps_the_plain_verdict_beside_one_on_a_bend():
    """The softer verdict only where every failing entry sits on a bend: on an image flat but for one window
    without ties, the right pooling gets it (two entries where ties meet), a backward that mirrors its gradient
    left to right fails away from the ties too, and is told a backward pass is wrong."""

    class MirroredPool(mc.MaxPooling2D):
        def backward(self, grad_out):
            return super().backward(grad_out)[:, :, ::-1].copy()

    x = np.ones((1, 4, 4, 1))
    x[0, 2:, 2:, 0] = [[1.3, 1.9], [1.5, 1.7]]
    upstream = np.array([-1.0, -1.0, 0.5, -1.0, 1.0, 0.7, 0.2, 0.4, 1.1]).reshape(1, 3, 3, 1)
    right = str(mc.gradcheck(mc.MaxPooling2D(2, strides=1), x, grad_out=upstream)).splitlines()[-1]
    assert right.startswith("NOT passed: x above 1e-06: a backward pass is wrong, or several kinks meet where it was "
                            "checked. At 2 failing entries"), right
    wrong = str(mc.gradcheck(MirroredPool(2, strides=1), x, grad_out=upstream)).splitlines()[-1]
    assert wrong.startswith("NOT passed: x above 1e-06: a backward pass is wrong. No kink explains it"), wrong


class _WrongCube(mc.layers.activations.Activation):
    """``z³`` with a wrong derivative, ``3z`` for ``3z²``: smooth, so no kink explains a failure."""

    def apply(self, z):
        self._z = z
        return z ** 3

    def backward(self, grad_out):
        return grad_out * 3 * self._z


def test_a_wrong_gradient_of_a_smooth_layer_keeps_the_plain_verdict():
    """The one-sided slopes are taken a tenth of the step apart: at the full step a smooth layer's wrong gradient
    was said to lie between them, and the verdict blamed kinks (mutation round: no test failed where it was changed)."""
    x = np.random.default_rng(0).uniform(0.5, 2.0, size=(2, 3))
    assert str(mc.gradcheck(_WrongCube(), x)).splitlines()[-1].startswith(
        "NOT passed: x above 1e-06: a backward pass is wrong. No kink explains it")


def test_one_array_wrong_away_from_the_bends_keeps_the_plain_verdict_beside_kinks():
    """Every failing array must sit on bends for the "several kinks meet" verdict; one wrong Dense kernel after a
    pooling with ties keeps the plain one (mutation round: no test failed where it was changed)."""

    class WrongDense(mc.Dense):
        def backward(self, grad_out):
            grad_x = super().backward(grad_out)
            self.grads["kernel"] = self.grads["kernel"] + 1.0
            return grad_x

    model = mc.Sequential([mc.MaxPooling2D(2, strides=1, input_shape=(3, 3, 1)), mc.Flatten(), WrongDense(1)], seed=0)
    model.compile("sgd", "mse")
    verdict = str(mc.gradcheck(model, np.ones((1, 3, 3, 1)), np.array([[0.3]]))).splitlines()[-1]
    assert "several kinks meet" not in verdict and "a backward pass is wrong. No kink explains it" in verdict
