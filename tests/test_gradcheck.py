"""``gradcheck`` itself: it passes correct code, reports what it checked, and catches mutated backward passes."""

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
    assert str(report).splitlines()[-1].startswith("NOT passed: x above 1e-06. Either a backward pass is wrong, or")
    assert "a ReLU input within h of 0" in str(report)
    assert mc.gradcheck(mc.Dense(2, seed=0), np.arange(6.0).reshape(2, 3), tolerance=0.5).passed  # 1/3 < 0.5


def test_a_kink_fails_the_check_without_any_bug():
    """A max-pooling window whose two largest inputs tie has no derivative: the central difference averages the
    slopes on both sides, and the report says this can be the cause."""
    tied = np.array([[1.0, 1.0], [0.0, 0.0]]).reshape(1, 2, 2, 1)
    report = mc.gradcheck(mc.MaxPooling2D(2), tied, grad_out=np.ones((1, 1, 1, 1)))
    assert not report.passed and report.comparisons[0].numerical == pytest.approx(0.5)
    assert "a pooling window whose two largest inputs tie" in str(report)


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
