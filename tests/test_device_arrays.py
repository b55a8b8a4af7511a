"""Layers, optimizers and Sequential work on whatever arrays a backend hands them.

A strict stand-in for an accelerator backend wraps every array in ``DeviceArray``, which NumPy cannot touch (any
NumPy operation on it raises). Training on it must give the numbers of the NumPy backend, keep the weights on the
"device" during ``fit``, move a batch there once per step and bring only the output back, and return host arrays
from ``predict``, ``evaluate`` and ``get_weights``.
"""

import sys
import types

import numpy as np
import pytest

import minicnn as mc
from minicnn import backend
from minicnn import model as model_module
from minicnn.errors import BackendError, NonFiniteError, TrainingDivergedError
from minicnn.kernels import numpy_kernels
from minicnn.layers.activations import Activation
from minicnn.models import document_network
from networks import assert_trained_alike, fit_batchnorm_dropout_network


class DeviceArray:
    """An array 'on the device': shape, dtype and reshape, like numba's device arrays, but no NumPy access."""

    def __init__(self, data):
        self.data = data

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def reshape(self, *shape):
        return DeviceArray(self.data.reshape(*shape))

    def __array__(self, *args, **kwargs):
        raise TypeError("a device array was touched by NumPy on the host")


def _fake_device_module(transfers, copies_host_arrays=False):
    """A backend whose arrays are ``DeviceArray``. Its kernels refuse host arrays (a training step must not need
    hidden copies), or, with ``copies_host_arrays``, copy them to the device as the cuda backend's kernels do."""
    module = types.ModuleType("minicnn_fake_device")
    module.USES_DEVICE_MEMORY = True

    def unwrap(value):
        if isinstance(value, DeviceArray):
            return value.data
        if isinstance(value, np.ndarray):
            if copies_host_arrays:
                transfers["to_device"] += 1
                return value
            raise TypeError("a host array was handed to a device kernel")
        return value

    def wrap(value):
        if isinstance(value, tuple):
            return tuple(wrap(v) for v in value)
        return DeviceArray(value) if isinstance(value, np.ndarray) else value

    def kernel(name):
        def run(*args, **options):
            return wrap(getattr(numpy_kernels, name)(*[unwrap(a) for a in args], **options))
        return run

    for name in ("conv2d_forward", "conv2d_backward", "max_pool2d_forward", "max_pool2d_backward",
                 "avg_pool2d_forward", "avg_pool2d_backward", "dense_forward", "dense_backward", "relu_forward",
                 "relu_backward", "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward",
                 "softmax_forward", "softmax_backward", "batch_norm_forward", "batch_norm_backward",
                 "dropout_mask", "apply_dropout_mask", "adam_update", "sgd_update"):
        setattr(module, name, kernel(name))

    def loss_terms(make_loss):
        """A loss kernel from the host formulas: sample n's term is the loss of its row alone over N (every loss
        here is a mean over the samples), the gradient is the loss's own."""
        def run(y_true, y_pred, *options):
            loss, y, p = make_loss(*options), unwrap(y_true), unwrap(y_pred)
            terms = np.array([loss.value(y[n:n + 1], p[n:n + 1]) for n in range(len(p))]) / len(p)
            return DeviceArray(terms.astype(p.dtype)), DeviceArray(loss.grad(y, p).astype(p.dtype))
        return run

    module.mean_squared_error_terms = loss_terms(mc.MeanSquaredError)
    module.binary_crossentropy_terms = loss_terms(
        lambda from_logits, epsilon, slack: mc.BinaryCrossentropy(from_logits))
    module.categorical_crossentropy_terms = loss_terms(
        lambda from_logits, epsilon, slack, row_slack: mc.CategoricalCrossentropy(from_logits))

    def to_device(array):
        if isinstance(array, DeviceArray):
            return array
        transfers["to_device"] += 1
        return DeviceArray(np.array(array))

    def to_host(array):
        if isinstance(array, DeviceArray):
            transfers["to_host"] += 1
            return array.data.copy()
        return np.asarray(array)

    module.to_device, module.to_host = to_device, to_host
    module.is_device_array = lambda array: isinstance(array, DeviceArray)
    module.not_finite = lambda arrays: numpy_kernels.not_finite([unwrap(array) for array in arrays])
    module.zeros_like = lambda array: DeviceArray(np.zeros_like(unwrap(array)))
    module.astype = lambda array, dtype: array if array.dtype == dtype else DeviceArray(unwrap(array).astype(dtype))
    return module


def _fake_device(monkeypatch, copies_host_arrays=False):
    """Register the fake device as backend ``fakedevice``; yield its transfer counts, then restore the backend."""
    counts = {"to_device": 0, "to_host": 0}
    monkeypatch.setitem(sys.modules, "minicnn_fake_device", _fake_device_module(counts, copies_host_arrays))
    monkeypatch.setitem(backend._BACKEND_MODULES, "fakedevice", "minicnn_fake_device")
    previous = backend.get_backend()
    yield counts
    backend.set_backend(previous)


@pytest.fixture
def transfers(monkeypatch):
    yield from _fake_device(monkeypatch)


@pytest.fixture
def copying_device(monkeypatch):
    """The fake device whose kernels take host arrays and copy them, as cuda's do (a layer called on NumPy
    arrays outside ``fit``)."""
    yield from _fake_device(monkeypatch, copies_host_arrays=True)


def _data(n=24, size=12):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, size, size, 1)).astype(np.float32), (rng.random((n, 1)) > 0.5).astype(np.float32)


def _trained(backend_name, optimizer, epochs=2):
    x, y = _data()
    with mc.use_backend(backend_name):
        model = document_network(input_shape=(12, 12, 1), seed=0)
        model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=epochs, batch_size=8, seed=0, verbose=0)
    return model, history


@pytest.mark.parametrize("make_optimizer", [lambda: mc.Adam(0.01), lambda: mc.SGD(0.05, momentum=0.9)],
                         ids=["adam", "sgd-momentum"])
def test_training_on_device_arrays_gives_the_numpy_numbers(transfers, make_optimizer):
    on_host, host_history = _trained("numpy", make_optimizer())
    on_device, device_history = _trained("fakedevice", make_optimizer())
    np.testing.assert_allclose(device_history.history["loss"], host_history.history["loss"], rtol=1e-5)
    for host_weight, device_weight in zip(on_host.get_weights(), on_device.get_weights()):
        assert type(device_weight) is np.ndarray
        np.testing.assert_allclose(device_weight, host_weight, rtol=1e-5, atol=1e-7)


def test_tanh_and_softmax_layers_compute_only_through_kernels(transfers):
    """A classifier whose Tanh and Softmax would fail on the fake device if they touched its arrays with NumPy."""
    x, _ = _data()
    y = np.eye(3, dtype=np.float32)[np.arange(len(x)) % 3]
    results = {}
    for name in ("numpy", "fakedevice"):
        with mc.use_backend(name):
            model = mc.Sequential([mc.Conv2D(2, 3, activation="tanh", input_shape=(12, 12, 1)), mc.Flatten(),
                                   mc.Dense(3), mc.Softmax()], seed=0)
            model.compile(optimizer=mc.Adam(0.01), loss="categorical_crossentropy")
            results[name] = model.fit(x, y, epochs=2, batch_size=8, seed=0, verbose=0).history["loss"]
    np.testing.assert_allclose(results["fakedevice"], results["numpy"], rtol=1e-5)


def test_batchnorm_and_dropout_compute_only_through_kernels(transfers):
    """BatchNormalization (batch statistics in training, moving averages in inference) and Dropout train on the
    fake device with the NumPy backend's numbers: the same masks (drawn on the host from the layer's seed), losses,
    weights and moving averages. The backend makes the mask where its arrays are: nothing more is copied."""
    x, y = _data()
    _, expected = fit_batchnorm_dropout_network("numpy", x, y, filters=3, rate=0.5, batch_size=8, learning_rate=0.01)
    model, results = fit_batchnorm_dropout_network(
        "fakedevice", x, y, filters=3, rate=0.5, batch_size=8, learning_rate=0.01)
    assert_trained_alike(results, expected, rtol=1e-5, atol=1e-7)
    with mc.use_backend("fakedevice"), model.on_device():
        before = dict(transfers)
        model.train_on_batch(x[:8], y[:8])
        assert transfers["to_device"] - before["to_device"] == 2  # the batch and its labels: the mask is made there


def test_set_weights_inside_on_device_keeps_the_weights_on_the_device(transfers):
    """A training loop of one's own that keeps the model on the device (``with model.on_device():``) and restores
    earlier weights there: the weights it sets go to the device (the strict kernels would refuse a host array), and
    the model trains from them as the NumPy backend does from the same weights."""
    x, y = _data(8)
    trained = {}
    for name in ("numpy", "fakedevice"):
        with mc.use_backend(name):
            model = document_network(input_shape=(12, 12, 1), seed=0)
            model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
            restored = [w + 0.01 for w in model.get_weights()]
            with model.on_device():
                model.set_weights(restored)
                if name == "fakedevice":
                    assert all(isinstance(p, DeviceArray) for p, _ in model.trainable_pairs())
                model.train_on_batch(x, y)
            trained[name] = model.get_weights()
    for device_weight, host_weight in zip(trained["fakedevice"], trained["numpy"]):
        np.testing.assert_allclose(device_weight, host_weight, rtol=1e-5, atol=1e-7)


def test_fit_on_the_device_trains_the_host_arrays_the_weights_were_in(transfers):
    """On the host backends the optimizer updates each weight's array in place, so an array taken before ``fit``
    holds the trained weights after it; on a device backend the weights come back into those arrays too (they came
    back as new arrays, and the one taken before kept the initial weights)."""
    x, y = _data(8)
    kept = {}
    for name in ("numpy", "fakedevice"):
        with mc.use_backend(name):
            model = document_network(input_shape=(12, 12, 1), seed=0)
            model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
            model.build()
            taken = [array for layer in model.layers for array in layer.params.values()]
            initial = [array.copy() for array in taken]
            model.fit(x, y, epochs=2, batch_size=4, seed=0, verbose=0)
            now = [array for layer in model.layers for array in layer.params.values()]
            assert all(a is b for a, b in zip(taken, now)), name
            assert not any(np.array_equal(a, b) for a, b in zip(taken, initial)), name
            kept[name] = taken
    for device_weight, host_weight in zip(kept["fakedevice"], kept["numpy"]):
        np.testing.assert_allclose(device_weight, host_weight, rtol=1e-5, atol=1e-7)


class _QuarterSquares(mc.losses.Loss):
    """A loss of your own, ``1/(4·size) Σ (y − ŷ)²``: it has no device kernels, so it is computed on the host."""

    def value(self, y_true, y_pred):
        return 0.25 * np.mean((y_true - y_pred) ** 2)

    def grad(self, y_true, y_pred):
        return 0.5 * (y_pred - y_true) / y_pred.size


def test_a_loss_without_kernels_is_computed_on_the_host(transfers):
    x, y = _data(8)
    results = {}
    for name in ("numpy", "fakedevice"):
        with mc.use_backend(name):
            model = document_network(input_shape=(12, 12, 1), seed=0)
            model.compile(optimizer=mc.SGD(0.1), loss=_QuarterSquares())
            with model.on_device():
                before = dict(transfers)
                results[name] = [model.train_on_batch(x, y)["loss"] for _ in range(2)]
                if name == "fakedevice":  # per step: the output comes back, the gradient goes to the device
                    assert transfers["to_host"] - before["to_host"] == 2
    np.testing.assert_allclose(results["fakedevice"], results["numpy"], rtol=1e-6)


def test_a_nan_output_on_the_device_stops_fit_with_the_step_that_made_it(transfers):
    """The output stays on the device, so a NaN shows up in the loss the device computed from it; the output then
    comes to the host, and the batch goes through the layers again, each output coming to the host, to name the
    layer that made the NaN from a finite input (here the sigmoid of the last Dense)."""
    x, y = _data(8)
    device = sys.modules["minicnn_fake_device"]
    device.sigmoid_forward = lambda z: DeviceArray(np.full(z.shape, np.nan, np.float32))
    with mc.use_backend("fakedevice"):
        model = document_network(input_shape=(12, 12, 1), seed=0)
        model.compile(optimizer=mc.Adam(0.01), loss="binary_crossentropy")
        with pytest.raises(TrainingDivergedError, match=r"training stopped: document_network: the output contains "
                                                        r"NaN or infinity \(first at index \(0, 0\), value nan\); "
                                                        r"Dense 'dense(_\d+)?' made it from a finite input \(its "
                                                        r"output's first at index \(0, 0\), value nan\); the "
                                                        r"'fakedevice' backend looks for the layer only once the "
                                                        r"output is not finite at epoch 1, batch 1"):
            model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())  # no update was made from the NaN


def test_a_step_moves_the_batch_once_and_brings_back_only_the_loss(transfers):
    x, y = _data(8)
    with mc.use_backend("fakedevice"):
        model = document_network(input_shape=(12, 12, 1), seed=0)
        model.compile(optimizer=mc.Adam(0.01), loss="binary_crossentropy")
        with model.on_device():
            assert all(isinstance(p, DeviceArray) for p, _ in model.trainable_pairs())
            model.train_on_batch(x, y)  # the optimizer creates its state on the device here
            before = dict(transfers)
            for _ in range(3):
                model.train_on_batch(x, y)
            # per step: the batch and its labels go to the device, the loss's per-sample terms come back
            assert transfers["to_device"] - before["to_device"] == 3 * 2
            assert transfers["to_host"] - before["to_host"] == 3 * 1
            model.compile(optimizer=model.optimizer, loss="binary_crossentropy", metrics=["accuracy"])
            before = dict(transfers)
            model.train_on_batch(x, y)  # the metrics need the output: it comes back too
            assert transfers["to_host"] - before["to_host"] == 2
        assert all(type(p) is np.ndarray for p, _ in model.trainable_pairs())


def test_predict_and_evaluate_return_host_arrays_equal_to_numpy(transfers):
    x, y = _data()
    with mc.use_backend("numpy"):
        model = document_network(input_shape=(12, 12, 1), seed=0)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        expected = model.predict(x, batch_size=10)
        expected_loss = model.evaluate(x, y)
    with mc.use_backend("fakedevice"):
        predicted = model.predict(x, batch_size=10)
        loss = model.evaluate(x, y)
    assert type(predicted) is np.ndarray
    np.testing.assert_allclose(predicted, expected, rtol=1e-6)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-6)


def test_optimizer_state_follows_a_change_of_backend(transfers):
    x, y = _data()
    model, _ = _trained("numpy", mc.Adam(0.01), epochs=1)
    with mc.use_backend("fakedevice"):  # (seed 1: the first epoch's order again would be warned of)
        model.fit(x, y, epochs=1, batch_size=8, seed=1, verbose=0)
    # a twin trained the same way on the host throughout
    twin, _ = _trained("numpy", mc.Adam(0.01), epochs=1)
    with mc.use_backend("numpy"):
        twin.fit(x, y, epochs=1, batch_size=8, seed=1, verbose=0)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


class _Squared(Activation):
    """A user's own activation, computed with NumPy: it has no device kernels (``runs_on_device`` stays False)."""

    def apply(self, z):
        self._z = z
        return np.square(z)

    def backward(self, grad_out):
        return 2 * self._z * grad_out


class _Doubled(mc.Layer):
    """A user's own layer, ``y = 2x``, computed with NumPy: it has no device kernels."""

    def _check_built_shape(self, shape):
        pass

    def forward(self, x, training=False):
        return 2 * self._prepare_input(x)

    def backward(self, grad_out):
        return 2 * grad_out


@pytest.mark.parametrize("layers", [
    lambda: [mc.Conv2D(2, 3, input_shape=(6, 6, 1)), _Doubled(), mc.Flatten(), mc.Dense(1)],
    lambda: [mc.Conv2D(2, 3, activation=_Squared(), input_shape=(6, 6, 1)), mc.Flatten(), mc.Dense(1)],
], ids=["own-layer", "own-activation"])
def test_a_layer_without_device_kernels_says_so(transfers, layers):
    model = mc.Sequential(layers(), seed=0)
    model.compile(optimizer="sgd", loss="mse")
    with mc.use_backend("fakedevice"), pytest.raises(BackendError, match="has no kernels for the 'fakedevice'"):
        model.predict(np.zeros((2, 6, 6, 1), np.float32))


# ------------------------------------------------------------------------------------------ outside fit
def test_functional_operations_give_numpy_arrays_on_a_device_backend(copying_device):
    from minicnn import functional

    rng = np.random.default_rng(3)
    x, kernel = rng.standard_normal((2, 6, 6, 3)).astype(np.float32), rng.standard_normal((3, 3, 3, 4)).astype(
        np.float32)
    with mc.use_backend("numpy"):
        expected = functional.conv2d(x, kernel, padding="same"), functional.max_pool2d(x), functional.avg_pool2d(x)
        expected_grads = functional.conv2d_backward(np.ones((2, 4, 4, 4), np.float32), x, kernel)
    with mc.use_backend("fakedevice"):
        results = functional.conv2d(x, kernel, padding="same"), functional.max_pool2d(x), functional.avg_pool2d(x)
        grads = functional.conv2d_backward(np.ones((2, 4, 4, 4), np.float32), x, kernel)
    for result, reference in zip(results + grads, expected + expected_grads):
        assert type(result) is np.ndarray
        np.testing.assert_allclose(result, reference, rtol=1e-6)
    assert copying_device["to_host"] >= 6


def test_feature_maps_plot_on_a_device_backend(copying_device):
    import matplotlib

    matplotlib.use("Agg")
    from minicnn.plots import plot_feature_maps

    model = document_network(input_shape=(12, 12, 1), seed=0)
    with mc.use_backend("fakedevice"):
        figure = plot_feature_maps(model, np.random.default_rng(0).random((12, 12, 1)).astype(np.float32))
    assert len(figure.axes) >= 33  # the input and 32 maps
    import matplotlib.pyplot as plt

    plt.close(figure)


@pytest.mark.parametrize("name", ["siamese", "hybrid", "cnn"])
def test_trackers_follow_a_box_on_a_device_backend(copying_device, name):
    """The trackers' features come back to the host where NumPy needs them: the same boxes as on NumPy."""
    from minicnn.track.trackers import make_tracker

    frame = (np.random.default_rng(4).random((160, 160, 3)) * 255).astype(np.uint8)
    boxes = {}
    for backend_name in ("numpy", "fakedevice"):
        tracker = make_tracker(name, backend=backend_name)
        tracker.init(frame, (60, 60, 40, 40))
        boxes[backend_name] = [tracker.update(frame)[1] for _ in range(2)]
    np.testing.assert_allclose(boxes["fakedevice"], boxes["numpy"], rtol=1e-5, atol=1e-4)
    assert copying_device["to_host"] > 0


def test_the_siamese_network_says_it_trains_on_the_host_backends(copying_device):
    """Its training works on host arrays: on a device backend it stops at once with a message saying where to
    train, instead of failing deep inside NumPy (its weights still track there: the test above)."""
    from minicnn.track.trackers.siamese import SiameseNetwork

    network = SiameseNetwork((2, 2, 2, 2, 2), seed=0)
    exemplars, searches = np.zeros((1, 63, 63, 3), np.float32), np.zeros((1, 127, 127, 3), np.float32)
    with mc.use_backend("fakedevice"), pytest.raises(
            BackendError, match=r"trains on the host backends \('numba', 'numpy'\), not on 'fakedevice'.*"
                                r"use_backend\('numba'\)"):
        network.forward(exemplars, searches, training=True)
    assert copying_device["to_device"] == 0  # stopped before any work
    with mc.use_backend("numpy"):
        assert network.forward(exemplars, searches).shape == (1, 17, 17)


def test_gradcheck_checks_a_device_backend_s_gradients(copying_device):
    from minicnn.gradcheck import gradcheck

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 5, 5, 2))
    layer = mc.Conv2D(3, 3, padding="same", activation="tanh", input_shape=(5, 5, 2), seed=0)
    model = mc.Sequential([mc.Conv2D(2, 3, activation="relu", input_shape=(5, 5, 2)), mc.Flatten(),
                           mc.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    y = np.eye(3)[[0, 2]]
    with mc.use_backend("fakedevice"):
        reports = gradcheck(layer, x, max_checks=8), gradcheck(model, x, y, max_checks=8)
    for report in reports:
        assert report.max_error < 1e-6, report
    assert copying_device["to_host"] > 0


def _tiny_classifier(dtype=np.float32):
    model = mc.Sequential([mc.Conv2D(2, 3, activation="relu", input_shape=(5, 5, 1)), mc.Flatten(),
                           mc.Dense(1, activation="sigmoid")], seed=0)
    return model if dtype == np.float32 else model.astype(dtype)


@pytest.mark.parametrize("model_dtype, data", [
    (np.float32, lambda x: x.astype(np.float64)), (np.float32, lambda x: (x > 0).astype(np.uint8)),
    (np.float32, lambda x: x > 0), (np.float32, lambda x: x.tolist()), (np.float64, lambda x: x)],
    ids=["float64-data", "uint8-data", "bool-data", "nested-lists", "float32-data-float64-model"])
def test_data_of_another_dtype_is_cast_before_it_goes_to_the_device(transfers, model_dtype, data):
    """The host backends' first layer casts its input to the model's dtype; on a device backend the batch is cast
    before it moves (a device array of another dtype is refused by the layers), with the same numbers."""
    x, y = _data(6, size=5)
    results = {}
    for name in ("numpy", "fakedevice"):
        with mc.use_backend(name):
            model = _tiny_classifier(model_dtype)
            model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
            history = model.fit(data(x), y, epochs=1, batch_size=4, seed=0, verbose=0,
                                augment=lambda batch, rng: batch.astype(np.float64))
            results[name] = (history.history["loss"], model.train_on_batch(data(x), y)["loss"],
                             model.evaluate(data(x), y, return_dict=True)["loss"], model.predict(data(x)))
    for device, host in zip(results["fakedevice"], results["numpy"]):
        np.testing.assert_allclose(device, host, rtol=1e-6)
    assert results["fakedevice"][-1].dtype == model_dtype


def test_train_on_batch_builds_a_model_given_no_input_shape(transfers):
    x, y = _data(4, size=5)
    losses = {}
    for name in ("numpy", "fakedevice"):
        with mc.use_backend(name):
            model = mc.Sequential([mc.Conv2D(2, 3), mc.Flatten(), mc.Dense(1, activation="sigmoid")], seed=0)
            model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
            losses[name] = model.train_on_batch(x, y)["loss"]
    assert losses["fakedevice"] == pytest.approx(losses["numpy"], rel=1e-6)


def test_nan_in_a_batch_is_refused_before_it_goes_to_the_device(transfers):
    """The layers cannot look at a batch on the device, so ``train_on_batch`` checks it on the host: nothing moves
    and no weight changes. An ``augment`` that makes a NaN stops ``fit`` at that step."""
    x, y = _data(4, size=5)
    x[1, 2, 3, 0] = np.nan
    with mc.use_backend("fakedevice"):
        model = _tiny_classifier()
        model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
        before = model.get_weights()
        moved = dict(transfers)
        with pytest.raises(NonFiniteError, match=r"sequential\.train_on_batch: x contains NaN or infinity \(first "
                                                 r"at index \(1, 2, 3, 0\), value nan\)"):
            model.train_on_batch(x, y)
        assert transfers["to_device"] == moved["to_device"]
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        with pytest.raises(TrainingDivergedError, match=r"fit \(augment\): x contains NaN .* at epoch 1, batch 1"):
            model.fit(np.nan_to_num(x), y, batch_size=4, verbose=0, augment=lambda batch, rng: batch * np.nan)


def test_fit_checks_its_data_for_nan_once_not_again_batch_by_batch(monkeypatch, transfers):
    """``fit`` checks the whole of x (and y) before training; each batch going to the device is checked again only
    where ``augment`` made it (a host pass over every batch is time the device waits: ~60 µs for 256 images of
    32×32 here). ``train_on_batch``, given data of the user's, checks each batch."""
    checked = []
    check_finite = model_module._check_finite

    def counting(array, argument, where, why=""):
        checked.append((argument, where, len(array)))
        return check_finite(array, argument, where, why)

    monkeypatch.setattr(model_module, "_check_finite", counting)
    x, y = _data(12, size=5)
    with mc.use_backend("fakedevice"):
        model = _tiny_classifier()
        model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
        model.fit(x, y, batch_size=4, epochs=2, verbose=0)
        assert [entry for entry in checked if entry[0] == "x"] == [("x", "sequential.fit", 12)]
        checked.clear()
        model.fit(x, y, batch_size=4, verbose=0, augment=lambda batch, rng: batch + 1)
        assert [entry[1:] for entry in checked if entry[0] == "x"] == [("sequential.fit", 12)] + [
            ("sequential.fit (augment)", 4)] * 3
        checked.clear()
        model.train_on_batch(x[:4], y[:4])
        assert [entry[1:] for entry in checked if entry[0] == "x"] == [("sequential.train_on_batch", 4)]


@pytest.mark.parametrize("method", ["predict", "evaluate"])
def test_a_weight_that_is_not_finite_shows_in_the_predictions(transfers, method):
    """On the host each layer checks its input; on a device only the output is checked, and once it is not finite
    the first such sample goes through the layers again to name the layer that made it: a NaN weight stops
    ``predict`` and ``evaluate`` with the same kind of error, naming the same layer (evaluate said only
    "BinaryCrossentropy: y_pred contains NaN or infinity" on a device)."""
    x, y = _data(3, size=5)
    for name, message in (("numpy", r"Flatten 'flatten(_\d+)?': input contains NaN"),
                          ("fakedevice", rf"^sequential\.{method}: the output contains NaN or infinity .*; Conv2D "
                                         r"'conv2d(_\d+)?' made it from a finite input \(its output's first at index "
                                         r"\(0, ")):
        with mc.use_backend(name):
            model = _tiny_classifier()
            model.compile(optimizer="sgd", loss="binary_crossentropy")
            model.build()
            model.layers[0].params["kernel"][0, 0, 0, 0] = np.nan
            with pytest.raises(NonFiniteError, match=message):
                model.predict(x) if method == "predict" else model.evaluate(x, y)


@pytest.mark.parametrize("method", ["predict", "evaluate"])
def test_a_last_layer_that_makes_nan_is_caught_by_predict_on_every_backend(transfers, method):
    """No layer follows the last one to check its output: a NaN weight there gave NaN predictions without a word on
    the host backends, while a device backend (which checks the output) refused them; ``evaluate`` names the layer
    too (the loss's own check said only "y_pred contains NaN")."""
    x, y = _data(3, size=5)
    for name, why in (("numpy", r"Dense 'dense(_\d+)?' made it from a finite input \(its output's first"),
                      ("numba", r"Dense 'dense(_\d+)?' made it from a finite input \(its output's first"),
                      ("fakedevice", r"Dense 'dense(_\d+)?' made it from a finite input")):
        with mc.use_backend(name):
            model = _tiny_classifier()
            model.compile(optimizer="sgd", loss="binary_crossentropy")
            model.build()
            model.layers[-1].params["kernel"][0, 0] = np.nan
            with pytest.raises(NonFiniteError, match=rf"^sequential\.{method}: the output contains NaN or infinity "
                                                     rf"\(first at index \(0, 0\), value nan\); {why}"):
                model.predict(x) if method == "predict" else model.evaluate(x, y)


def test_stepping_through_backpropagation_leaves_host_arrays_in_the_layers(copying_device, tmp_path):
    """The README's "Step through backpropagation" on a device backend: forward and backward called directly leave
    ``layer.grads`` and BatchNorm's moving averages as host arrays (to print, and for ``get_weights``,
    ``save_weights`` and ``gradcheck``, which a real GPU's arrays would fail: they have no ``copy``/``astype``);
    inference reads the moving averages and leaves them as they are."""
    from minicnn.gradcheck import gradcheck

    x, y = _data(2, size=5)
    with mc.use_backend("fakedevice"):
        model = mc.Sequential([mc.Conv2D(2, 3, activation="relu", input_shape=(5, 5, 1)), mc.BatchNormalization(),
                               mc.Flatten(), mc.Dense(1, activation="sigmoid")], seed=0)
        model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
        y_pred = model.forward(x, training=True)
        model.backward(model.loss.gradient(y, backend.to_host(y_pred)))
        stores = [store for layer in model.layers for store in (layer.params, layer.grads, layer.state)]
        assert {type(array) for store in stores for array in store.values()} == {np.ndarray}
        moving = dict(model.layers[1].state)
        model.forward(x)
        assert all(model.layers[1].state[key] is array for key, array in moving.items())
        weights = model.get_weights()
        model.save_weights(tmp_path / "stepped.npz")
        assert gradcheck(model, x, y, max_checks=4).max_error < 1e-2
        with model.on_device():
            inside = model.get_weights()
    assert [type(array) for array in inside] == [np.ndarray] * len(weights)
    for array, expected in zip(inside, weights):
        np.testing.assert_array_equal(array, expected)


def test_a_twin_of_another_dtype_gets_its_own_optimizer_state(transfers):
    """``astype`` copies the optimizer with the model: the twin trains on from the same moments, cast to its dtype,
    and the original's state is left as it was."""
    x, y = _data(4, size=5)
    with mc.use_backend("fakedevice"):
        model = _tiny_classifier()
        model.compile(optimizer=mc.Adam(0.01), loss="binary_crossentropy")
        model.train_on_batch(x, y)
        twin = model.astype(np.float64)
        state = model.optimizer.state_arrays()
        twin.train_on_batch(x, y)
    twin_state = twin.optimizer.state_arrays()
    assert twin.optimizer is not model.optimizer and twin_state["iterations"] == state["iterations"] + 1
    assert {twin_state[key].dtype for key in twin_state if key != "iterations"} == {np.dtype(np.float64)}
    for key, value in model.optimizer.state_arrays().items():
        np.testing.assert_array_equal(value, state[key])
        assert key == "iterations" or value.dtype == np.float32


class _DoubledSquares(mc.MeanSquaredError):
    """A loss of your own built on a built-in one: twice the document's MSE. Its parent's kernel computes another
    loss, so it is computed on the host."""

    def value(self, y_true, y_pred):
        return 2 * super().value(y_true, y_pred)

    def grad(self, y_true, y_pred):
        return 2 * super().grad(y_true, y_pred)


class _RenamedSquares(mc.MeanSquaredError):
    """A subclass that changes no formula: the kernel still computes it."""

    name = "renamed_squares"


def test_a_built_in_loss_with_formulas_of_your_own_is_computed_on_the_host(transfers):
    x, y = _data(8)
    losses, copies = {}, {}
    for loss in (_DoubledSquares, _RenamedSquares, mc.MeanSquaredError):
        for name in ("numpy", "fakedevice"):
            with mc.use_backend(name):
                model = document_network(input_shape=(12, 12, 1), seed=0)
                model.compile(optimizer=mc.SGD(0.1), loss=loss())
                with model.on_device():
                    before = dict(transfers)
                    losses[loss, name] = model.train_on_batch(x, y)["loss"]
                    copies[loss, name] = (transfers["to_host"] - before["to_host"],
                                          transfers["to_device"] - before["to_device"])
        assert losses[loss, "fakedevice"] == pytest.approx(losses[loss, "numpy"], rel=1e-6)
    assert losses[_DoubledSquares, "numpy"] == pytest.approx(2 * losses[mc.MeanSquaredError, "numpy"], rel=1e-6)
    # one copy back either way (the output for the host formulas, the terms from a kernel); the host formulas also
    # send their gradient to the device: one copy more than the kernel, which computes it there
    assert [copies[loss, "fakedevice"] for loss in (_DoubledSquares, _RenamedSquares, mc.MeanSquaredError)] == [
        (1, 3), (1, 2), (1, 2)]


def test_the_online_classifier_keeps_its_weights_on_the_device_between_its_steps(copying_device):
    """The cnn tracker's fine-tuning (OnlineClassifier.update) is a loop of train_on_batch: on a device backend the
    weights move to the device once, and each step moves its batch (the pool of negatives it ranks, then the batch
    and its labels), where every step moved every weight there and back, outside on_device."""
    rng = np.random.default_rng(0)
    from minicnn.track.trackers.cnn import OnlineClassifier

    classifier = OnlineClassifier(hidden=8, batch_positives=4, batch_negatives=4, hard_pool=2, seed=0,
                                  backend="fakedevice")
    classifier.fit_first_frame(rng.normal(size=(20, 6)).astype(np.float32),
                               rng.normal(size=(40, 6)).astype(np.float32) + 3, steps=2)
    classifier.remember(rng.normal(size=(5, 6)).astype(np.float32), rng.normal(size=(10, 6)).astype(np.float32))
    weights_grads_and_statistics = sum(len(layer.params) + len(layer.grads) + len(layer.state)
                                       for layer in classifier.model.layers)
    before = dict(copying_device)
    classifier.update(steps=3)
    assert copying_device["to_device"] - before["to_device"] == weights_grads_and_statistics + 3 * 3
