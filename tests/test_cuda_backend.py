"""The cuda backend inside the framework: ``fit`` of a tiny network matches the NumPy backend, step by step.

Runs under numba's CUDA simulator (tests/conftest.py sets NUMBA_ENABLE_CUDASIM=1 unless MINICNN_REAL_CUDA=1), so
the network is tiny: the simulator runs every GPU thread as Python.
"""

import json
import os
import re
import sys
import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn import backend
from minicnn.errors import BackendError
from networks import LAYERS_BY_HAND, assert_trained_alike, fit_batchnorm_dropout_network, step_through_by_hand
from simulator import skip_without_numba_cuda

pytest.importorskip("numba.cuda")
skip_without_numba_cuda()

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


def _tiny_network():
    return mc.Sequential([
        mc.Conv2D(2, 3, padding="same", activation="relu", input_shape=(5, 5, 1)),
        mc.MaxPooling2D(2, strides=2, padding="same"),
        mc.Flatten(),
        mc.Dense(3, activation="relu"),
        mc.Dense(1, activation="sigmoid"),
    ], seed=0)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((6, 5, 5, 1)).astype(np.float32), (rng.random((6, 1)) > 0.5).astype(np.float32)


@pytest.fixture
def cuda_backend(cuda_simulator_threads):
    previous = mc.get_backend()
    try:
        mc.set_backend("cuda")
    except BackendError as error:  # pragma: no cover - only where neither a GPU nor the simulator is there
        pytest.skip(str(error))
    try:
        yield
    finally:
        mc.set_backend(previous)


def _tiny_classifier():
    """Three classes: tanh features and a softmax output, trained with categorical cross-entropy."""
    return mc.Sequential([
        mc.Conv2D(2, 3, padding="same", activation="tanh", input_shape=(5, 5, 1)),
        mc.AveragePooling2D(2, strides=2, padding="same"),
        mc.Flatten(),
        mc.Dense(3, activation="softmax"),
    ], seed=0)


def _fit(backend_name, optimizer, classifier=False):
    x, y = _data()
    if classifier:
        y = np.eye(3, dtype=np.float32)[np.arange(len(x)) % 3]
    with mc.use_backend(backend_name):
        model = _tiny_classifier() if classifier else _tiny_network()
        model.compile(optimizer=optimizer, loss="categorical_crossentropy" if classifier else "binary_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, y, epochs=2, batch_size=6, seed=0, verbose=0)
        predictions = model.predict(x)
    return model, history, predictions


@pytest.mark.slow
@pytest.mark.parametrize("make_optimizer", [lambda: mc.Adam(0.05), lambda: mc.SGD(0.1, momentum=0.9)],
                         ids=["adam", "sgd-momentum"])
def test_fit_on_cuda_matches_numpy(cuda_backend, make_optimizer):
    """With 4×4 threads per block (16 Python threads in the simulator instead of 256: 1.8 s instead of 12 s per
    fit); tests/test_cuda_kernels.py checks the shipped tile sizes."""
    from minicnn.kernels import cuda as cuda_kernels

    reference, reference_history, reference_predictions = _fit("numpy", make_optimizer())
    with cuda_kernels.tiling(tile=4, work=2):
        model, history, predictions = _fit("cuda", make_optimizer())
    np.testing.assert_allclose(history.history["loss"], reference_history.history["loss"], rtol=1e-4)
    assert type(predictions) is np.ndarray
    np.testing.assert_allclose(predictions, reference_predictions, rtol=1e-4, atol=1e-6)
    for weight, expected in zip(model.get_weights(), reference.get_weights()):
        assert type(weight) is np.ndarray  # get_weights gives host arrays after training on the device
        np.testing.assert_allclose(weight, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_a_tanh_softmax_classifier_fits_on_cuda_as_on_numpy(cuda_backend):
    """Tanh and Softmax run as cuda kernels too (with average pooling and categorical cross-entropy)."""
    from minicnn.kernels import cuda as cuda_kernels

    _, reference_history, reference_predictions = _fit("numpy", mc.Adam(0.05), classifier=True)
    with cuda_kernels.tiling(tile=4, work=2):
        _, history, predictions = _fit("cuda", mc.Adam(0.05), classifier=True)
    np.testing.assert_allclose(history.history["loss"], reference_history.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(predictions, reference_predictions, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.slow
def test_batchnorm_and_dropout_fit_on_cuda_as_on_numpy(cuda_backend):
    """BatchNormalization after a convolution and Dropout before the output train on the GPU with the NumPy
    backend's losses, weights and moving averages (the dropout masks come from the layer's seed on both)."""
    from minicnn.kernels import cuda as cuda_kernels

    x, y = _data()
    _, expected = fit_batchnorm_dropout_network("numpy", x, y, filters=2, rate=0.4, batch_size=3, learning_rate=0.05)
    with cuda_kernels.tiling(tile=4, work=2):
        _, results = fit_batchnorm_dropout_network("cuda", x, y, filters=2, rate=0.4, batch_size=3,
                                                   learning_rate=0.05)
    assert_trained_alike(results, expected, rtol=1e-4, atol=1e-6)


def test_float64_data_and_a_step_through_on_cuda_give_numpy_s_numbers_and_host_arrays(cuda_backend):
    """The real kernels behind ``tests/test_device_arrays.py``'s model-level checks: float64 data for a float32
    network is cast before it moves (the kernels refuse a device array of another dtype), a NaN in a batch is
    refused on the host, and ``forward``/``backward`` called by hand leave host arrays in ``layer.grads``."""
    from minicnn.errors import NonFiniteError
    from minicnn.kernels import cuda as cuda_kernels

    x, y = _data()
    results = {}
    for name in ("numpy", "cuda"):
        with mc.use_backend(name), cuda_kernels.tiling(tile=4, work=2):
            model = _tiny_network()
            model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
            loss = model.train_on_batch(x.astype(np.float64), y)["loss"]
            model.backward(model.loss.gradient(y, backend.to_host(model.forward(x.astype(np.float64)))))
            results[name] = loss, model.predict(x.astype(np.float64)), [layer.grads for layer in model.layers]
            with pytest.raises(NonFiniteError, match=r"contains NaN or infinity \(first at index"):
                model.train_on_batch(np.where(x > 2, np.nan, x), y)
    assert results["cuda"][0] == pytest.approx(results["numpy"][0], rel=1e-5)
    np.testing.assert_allclose(results["cuda"][1], results["numpy"][1], rtol=1e-5)
    for device, host in zip(results["cuda"][2], results["numpy"][2]):
        assert {type(array) for array in device.values()} <= {np.ndarray}
        for key in host:
            np.testing.assert_allclose(device[key], host[key], rtol=1e-4, atol=1e-6)


def test_cuda_is_listed_where_it_runs(cuda_backend):
    assert "cuda" in mc.available_backends()
    assert mc.get_backend() == "cuda"


def test_without_a_gpu_set_backend_says_so_and_names_the_others(monkeypatch):
    from numba import cuda

    monkeypatch.setattr(cuda, "is_available", lambda: False)
    before = mc.get_backend()
    with pytest.raises(BackendError, match=r"no CUDA GPU.*'numba'.*'numpy'|'numba'.*'numpy'.*no CUDA"):
        mc.set_backend("cuda")
    assert mc.get_backend() == before
    assert "cuda" not in mc.available_backends()
    assert "cuda" in backend.known_backends()


def _simulator_warnings(records):
    return [str(record.message) for record in records if "CUDA simulator" in str(record.message)]


def test_fit_evaluate_predict_and_forward_warn_before_work_that_would_take_long_on_the_simulator(cuda_backend,
                                                                                                 monkeypatch):
    """The warning comes before the work, with its multiply-adds counted by hand (conv: 5·5·2 outputs × 3·3·1 taps,
    then dense 18 → 3 and 3 → 1), a training sample's forward and backward as 3 passes; a minute's patience spares
    the tiny network; fit's own forward passes (and evaluate's, predict's) say nothing more; on a GPU nothing is
    said."""
    from minicnn.kernels import cuda as cuda_kernels
    from minicnn.models import document_network

    assert document_network()._multiply_adds_per_sample(np.zeros((1, 32, 32, 1))) == (
        32 * 32 * 32 * 9 + 16 * 16 * 64 * (9 * 32) + 8 * 8 * 64 * 256 + 256)
    x, y = _data()
    model = _tiny_network()
    model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
    per_sample = 5 * 5 * 2 * 9 + 18 * 3 + 3 * 1
    assert model._multiply_adds_per_sample(x) == per_sample
    with cuda_kernels.tiling(tile=4, work=2), pytest.warns() as records:
        model.fit(x[:2], y[:2], epochs=1, batch_size=2, verbose=0)
        warnings.warn("a warning for pytest.warns to record: the check is that no other one names the simulator")
    assert _simulator_warnings(records) == []

    monkeypatch.setattr(cuda_kernels, "SIMULATOR_PATIENCE_SECONDS", 0)
    on_simulator = cuda_kernels.is_simulator()
    calls = [("fit", lambda: model.fit(x, y, epochs=2, batch_size=6, validation_data=(x[:2], y[:2]), verbose=0),
              "2 epochs of 6 samples, each with 2 validation samples", 2 * (3 * 6 + 2)),
             ("evaluate", lambda: model.evaluate(x, y, batch_size=6), "evaluating 6 samples", 6),
             ("predict", lambda: model.predict(x, batch_size=6), "predicting 6 samples", 6),
             ("forward", lambda: model.forward(x), "a forward pass of 6 samples", 6),
             ("forward", lambda: model(x[:1]), "a forward pass of 1 sample", 1)]
    for method, call, work, passes in calls:
        with cuda_kernels.tiling(tile=4, work=2), pytest.warns() as records:
            result = call()
            warnings.warn("a warning for pytest.warns to record, on a GPU too")
        messages = _simulator_warnings(records)
        assert result is not None  # warned, then did the work: a History, a loss, predictions, an output
        if not on_simulator:
            assert messages == []
            continue
        assert len(messages) == 1, messages
        assert [record.filename for record in records if "CUDA simulator" in str(record.message)] == [__file__]
        assert messages[0].startswith(f"sequential.{method}: the 'cuda' backend is running on numba's CUDA simulator")
        assert f"{work} ({per_sample * passes:,} multiply-adds" in messages[0]
        assert "would take at least 0 seconds there" in messages[0] and "use the 'numba' backend" in messages[0]


def test_a_tracker_on_the_simulator_is_warned_before_its_first_frame(cuda_backend, monkeypatch):
    """Trackers call their networks' ``forward`` frame by frame, outside fit/evaluate/predict: the Siamese tracker's
    search of 3 crops of 127×127 is 332,247,168 multiply-adds (22 minutes a frame on the simulator). With the
    warning turned into an error, nothing runs after it: the exemplar's pass at ``init`` is refused at once (its
    13 million would take 54 s, within a minute's patience, hence no patience here)."""
    from minicnn.kernels import cuda as cuda_kernels
    from minicnn.track.trackers import make_tracker

    tracker = make_tracker("siamese", backend="cuda")
    searches = np.zeros((3, 127, 127, 3), np.float32)
    # outputs × taps of the five convolutions (127 → 62 → pool 30 → 28 → 26 → 24 → 22), counted by hand
    per_crop = (62 * 62 * 32 * 5 * 5 * 3 + 28 * 28 * 48 * 9 * 32 + 26 * 26 * 64 * 9 * 48 + 24 * 24 * 96 * 9 * 64 +
                22 * 22 * 96 * 9 * 96)
    assert tracker.search_net._multiply_adds_per_sample(searches) * 3 == 3 * per_crop == 332_247_168
    if not cuda_kernels.is_simulator():
        pytest.skip("on a GPU the tracker runs; the warning is the simulator's")
    frame = np.random.default_rng(0).integers(0, 255, (96, 128, 3)).astype(np.uint8)
    before = mc.get_backend()
    monkeypatch.setattr(cuda_kernels, "SIMULATOR_PATIENCE_SECONDS", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning, match=r"^exemplar_branch_folded\.forward: the 'cuda' backend is running on "
                                                 r"numba's CUDA simulator .* a forward pass of 1 sample \("):
            tracker.init(frame, (40, 30, 20, 24))
    assert mc.get_backend() == before  # use_backend restored the backend the test began with


def _launched_types(argument):
    """How a launch argument reaches numba-cuda: ``array[<dtype>]`` for a device array, else its Python type."""
    from minicnn.kernels import cuda as cuda_kernels

    if cuda_kernels.is_device_array(argument):
        return f"array[{np.dtype(argument.dtype)}]"
    if isinstance(argument, tuple):
        return "(" + ", ".join(sorted({_launched_types(item) for item in argument})) + ")"
    return type(argument).__name__


@pytest.mark.slow
def test_float32_training_launches_every_kernel_with_float32_arguments_only(cuda_backend, monkeypatch):
    """numba-cuda compiles a kernel for the types of the arguments it is launched with: a Python float or a float64
    array among them would make a float32 kernel compute in float64 (on a GPU, 1/64 of the float32 rate) without
    a word. The compile test checks the kernels for the signatures they are meant to get; this checks what the
    layers, losses and optimizers actually launch, in float32 training with every layer, loss and optimizer kind:
    float32 arrays and scalars, the int32 argmax, the boolean masks and flags, and Python ints (int64) for sizes."""
    from minicnn.kernels import cuda as cuda_kernels

    launched = {}
    configure = cuda_kernels._configure

    def recording(kernel, grid, block):
        launch = configure(kernel, grid, block)

        def call(*arguments):
            launched.setdefault(kernel.py_func.__name__, set()).add(tuple(map(_launched_types, arguments)))
            return launch(*arguments)
        return call

    monkeypatch.setattr(cuda_kernels, "_configure", recording)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 6, 1)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    trainings = [(mc.Adam(1e-3), "categorical_crossentropy"), (mc.SGD(0.1, momentum=0.9, nesterov=True), "mse"),
                 (mc.SGD(0.1), "binary_crossentropy")]
    for optimizer, loss in trainings:
        model = mc.Sequential([
            mc.Conv2D(2, 3, padding="same", activation="relu", input_shape=(6, 6, 1)), mc.BatchNormalization(),
            mc.MaxPooling2D(2), mc.Conv2D(2, 2, activation="tanh"), mc.AveragePooling2D(2, padding="same"),
            mc.Flatten(), mc.Dropout(0.3, seed=1), mc.Dense(3, activation="sigmoid"), mc.Dense(2, activation="softmax"),
        ], seed=0)
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        with cuda_kernels.tiling(tile=2, work=2):
            model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    allowed = {"array[float32]", "array[int32]", "array[bool]", "float32", "bool", "int", "(int)"}
    assert len(launched) >= 30, sorted(launched)  # every layer's, loss's and optimizer's kernels ran
    others = {name: kinds for name, signatures in launched.items() for kinds in signatures if set(kinds) - allowed}
    assert not others, others


def test_a_rough_duration_keeps_its_number_above_two():
    from minicnn.kernels.cuda import _rough_duration

    assert [_rough_duration(s) for s in (0.4, 119, 120, 7199, 7200, 172799, 172800, 16.2 * 86400)] == [
        "0 seconds", "119 seconds", "2 minutes", "120 minutes", "2 hours", "48 hours", "2 days", "16 days"]


@pytest.mark.slow
def test_the_host_profile_of_a_training_step_counts_its_launches(cuda_backend):
    """``benchmarks/cuda_profile.py``, the script a GPU session runs to see where the host's time goes, on the tiny
    network: every step launches the same kernels (after the warm-up step, which also creates Adam's slots), and
    the report names the groups and the launches."""
    from minicnn.kernels import cuda as cuda_kernels

    sys.path.insert(0, BENCHMARKS)
    import cuda_profile

    x, y = _data()
    model = _tiny_network()
    model.compile(optimizer=mc.Adam(0.05), loss="binary_crossentropy")
    with cuda_kernels.tiling(tile=4, work=2):
        one = cuda_profile.profile_steps(model, x, y, steps=1, warmup=1)
        two = cuda_profile.profile_steps(model, x, y, steps=2, warmup=0)
    # conv (forward, kernel gradient: the first layer needs no input gradient), 2 dense layers (forward, kernel
    # and input gradients), 3 ReLU/sigmoid forward and backward, max pool forward and backward, Adam on 6 weights,
    # the loss: 2 + 6 + 6 + 2 + 6 + 1 = 23, and a sum of split slices for each product whose reduction was split
    assert one["launches_per_step"] == two["launches_per_step"] >= 23
    assert one["simulator"] == cuda_kernels.is_simulator() and one["batch"] == 6 and one["image_size"] == 5
    assert sum(one["groups_ms_per_step"].values()) > 0 and one["plain_step_ms"] > 0
    kernel_functions, framework = list(one["groups_ms_per_step"].values())[:2]
    assert kernel_functions > 0 and framework > 0  # cuda.py's own functions are told apart from the layers'
    text = cuda_profile.report(one, top=5)
    assert f"kernel launches per step: {one['launches_per_step']:.1f}" in text
    assert all(name in text for name, _ in cuda_profile.GROUPS)


def test_the_profile_on_a_gpu_reports_the_gpu_time_per_step_beside_the_model(monkeypatch):
    """On a GPU with PyTorch, cuda_profile adds what PyTorch's profiler saw the GPU do, per step; here the profiler
    is a stand-in (no GPU), so the arithmetic and the report's lines are what is checked."""
    sys.path.insert(0, BENCHMARKS)
    import conv
    import cuda_profile

    name = "minicnn::kernels::cuda::product_conv_forward_4x4[abi:v1,cw51](Array<float, 1, C, mutable, aligned>)"
    ran = []
    monkeypatch.setattr(conv, "profiled_gpu_kernels", lambda run: ran.append(run()) or {
        "kernels": [[name, 300.0], ["Memcpy HtoD (Pageable -> Device)", 60.0]], "total_us": 900.0,
        "winograd": False, "note": "2 kinds of GPU kernel, 900 µs in all"})
    monkeypatch.setattr(conv, "TORCH_GPU", False)
    assert cuda_profile.gpu_time_per_step(lambda: "steps", 3) is None and ran == []
    monkeypatch.setattr(conv, "TORCH_GPU", True)
    gpu = cuda_profile.gpu_time_per_step(lambda: "steps", 3)
    assert ran == ["steps"] and gpu["total_us"] == 300.0 and gpu["kernels"][0] == [name, 100.0]
    lines = cuda_profile.gpu_lines({"gpu": gpu, "plain_step_ms": 1.2}, modelled_us=463.0)
    assert lines[1] == ("GPU time per step (PyTorch's profiler): 300 µs of kernels and copies, 25% of the step; "
                        "cuda_model.md models 463 µs at batch 256; the longest, per step:")
    assert lines[2:] == ["      100.0 µs  minicnn::kernels::cuda::product_conv_forward_4x4",
                         "       20.0 µs  Memcpy HtoD (Pageable -> Device)"]
    unmeasured = {"gpu": {"total_us": None, "kernels": [], "note": "no kernel list (RuntimeError: no CUPTI)"}}
    assert cuda_profile.gpu_lines(unmeasured) == ["", "GPU time per step: not measured (no kernel list "
                                                  "(RuntimeError: no CUPTI))"]
    assert cuda_profile.gpu_lines({"gpu": None}) == []
    with open(os.path.join(BENCHMARKS, "results", "cuda_model.json")) as file:
        assert cuda_profile.modelled_gpu_us() == json.load(file)["training_step"]["totals"]["gpu_us"] > 0
    assert cuda_profile.modelled_gpu_us(os.path.join(BENCHMARKS, "no such file.json")) is None


def test_the_host_profile_can_skip_every_launch_on_the_simulator(cuda_backend, tmp_path):
    """``cuda_profile.py --no-launch``: the step's launches are counted but none runs (the weights come back as they
    went), the report says so, and afterwards the simulator launches and allocates as before."""
    from minicnn.kernels import cuda as cuda_kernels

    if not cuda_kernels.is_simulator():
        pytest.skip("--no-launch stands in for the simulator's launches; on a real GPU the launches run")
    sys.path.insert(0, BENCHMARKS)
    import cuda_profile
    from numba import cuda
    from numba.cuda.simulator import kernel as simulated

    x, y = _data()
    model = _tiny_network()
    model.compile(optimizer=mc.Adam(0.05), loss="binary_crossentropy")
    model.build(x.shape)
    before = [w.copy() for w in model.get_weights()]
    allocate, launch = cuda.device_array, (simulated.FakeCUDAKernel.__call__, simulated.FakeCUDAKernel.__getitem__)
    figures = cuda_profile.profile_steps(model, x, y, steps=2, warmup=1, launch=False, rounds=2)
    assert figures["launches_per_step"] >= 23 and not figures["launched"]  # as many as in the test above
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert "LAUNCHES SKIPPED (--no-launch)" in cuda_profile.report(figures, top=5)
    assert cuda.device_array is allocate
    assert (simulated.FakeCUDAKernel.__call__, simulated.FakeCUDAKernel.__getitem__) == launch
    np.testing.assert_array_equal(cuda_kernels.to_host(cuda_kernels.relu_forward(np.array([-1.0, 2.0]))), [0, 2])
    with pytest.raises(SystemExit) as stopped:  # only the simulator can skip its launches
        cuda_profile.main(["--no-launch", "--backend", "numba", "--out", str(tmp_path / "profile.txt")])
    assert stopped.value.code == 2 and mc.get_backend() == "cuda"  # refused before anything changed


def test_the_host_profile_runs_on_a_host_backend_without_launches(tmp_path, capsys):
    """``cuda_profile.py --backend numba`` profiles the same step where the kernels are the host's own: no launches,
    the kernel functions' computation and the framework's Python told apart, the report written to ``--out``."""
    sys.path.insert(0, BENCHMARKS)
    import cuda_profile

    x, y = _data()
    model = _tiny_network()
    model.compile(optimizer=mc.Adam(0.05), loss="binary_crossentropy")
    before = backend.get_backend()
    figures = cuda_profile.profile_steps(model, x, y, steps=2, warmup=1, backend="numba")
    assert backend.get_backend() == before
    assert figures["backend"] == "numba" and not figures["simulator"] and figures["launches_per_step"] == 0
    kernel_functions, framework = list(figures["groups_ms_per_step"].values())[:2]
    assert kernel_functions > 0 and framework > 0
    out = tmp_path / "profile.txt"
    with mc.use_backend(before):  # main() sets the backend it profiles; this puts the suite's back
        cuda_profile.main(["--backend", "numba", "--batch", "1", "--image-size", "8", "--steps", "1", "--warmup", "1",
                           "--out", str(out)])
    text = out.read_text()
    assert text.startswith("numba training step: batch 1, 8×8 images, 1 profiled steps")
    assert "a host backend (numba): no kernel launches" in text and text in capsys.readouterr().out


@pytest.mark.slow
def test_the_cuda_backward_passes_gradcheck_in_float64(cuda_backend):
    """Central differences against the cuda kernels' own backward (float64 kernels) through a small model: a tanh
    convolution, max pooling, a dense layer and softmax cross-entropy (two entries of every array: ~5 s)."""
    from minicnn.gradcheck import gradcheck
    from minicnn.kernels import cuda as cuda_kernels

    x = np.random.default_rng(8).standard_normal((2, 4, 4, 2))
    model = mc.Sequential([mc.Conv2D(2, 3, padding="same", activation="tanh", input_shape=(4, 4, 2)),
                           mc.MaxPooling2D(2), mc.Flatten(), mc.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    with cuda_kernels.tiling(tile=4, work=2):
        report = gradcheck(model, x, np.eye(3)[[0, 2]], max_checks=2)
    assert report.max_error < 1e-6, report


@pytest.mark.slow
def test_batchnorm_and_dropout_pass_gradcheck_on_cuda_in_training(cuda_backend):
    """Batch statistics (μ and σ² depend on every input) and a dropout mask, on the GPU kernels in float64: the
    gradients of the cuda backward against central differences, each evaluation with the same mask."""
    from minicnn.gradcheck import gradcheck
    from minicnn.kernels import cuda as cuda_kernels

    x = np.random.default_rng(9).standard_normal((3, 4, 4, 2))
    model = mc.Sequential([mc.Conv2D(2, 3, use_bias=False, input_shape=(4, 4, 2)), mc.BatchNormalization(),
                           mc.Tanh(), mc.Flatten(), mc.Dropout(0.3, seed=2), mc.Dense(3, activation="softmax")],
                          seed=0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    with cuda_kernels.tiling(tile=4, work=2):
        report = gradcheck(model, x, np.eye(3)[[0, 2, 1]], training=True, max_checks=2)
    assert report.max_error < 1e-6, report


@pytest.mark.parametrize("make_layer, shape", LAYERS_BY_HAND)
def test_a_layer_stepped_through_by_hand_says_what_is_wrong_on_cuda(cuda_backend, make_layer, shape):
    """The host backends' errors, word for word: the cuda kernels used to blame the kept array for a wrong gradient
    (``sigmoid_backward: a: expected shape (2, 4, 3, 4)``)."""
    step_through_by_hand(make_layer(), shape)


def test_frozen_layers_stay_frozen_on_cuda_as_on_numpy():
    """``trainable=False`` on a convolution and a BatchNormalization: on both backends their weights and moving
    averages come out of training as they went in, and the head's training agrees."""
    from minicnn.kernels import cuda as cuda_kernels

    x, y = _data()
    trained = {}
    for name in ("numpy", "cuda"):
        with mc.use_backend(name), cuda_kernels.tiling(tile=4, work=2):
            model = mc.Sequential([mc.Conv2D(2, 3, input_shape=(5, 5, 1), trainable=False),
                                   mc.BatchNormalization(trainable=False), mc.Flatten(),
                                   mc.Dense(1, activation="sigmoid")], seed=0)
            model.compile(optimizer=mc.Adam(0.01), loss="binary_crossentropy")
            before = model.get_weights()
            losses = model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history["loss"]
            after = model.get_weights()
        assert [np.array_equal(a, b) for a, b in zip(before, after)] == [True] * 6 + [False] * 2, name
        trained[name] = losses, after
    np.testing.assert_allclose(trained["cuda"][0], trained["numpy"][0], rtol=1e-5)
    for cuda_weight, numpy_weight in zip(trained["cuda"][1], trained["numpy"][1]):
        np.testing.assert_allclose(cuda_weight, numpy_weight, rtol=1e-5, atol=1e-6)


def test_a_model_whose_layers_compute_in_different_dtypes_trains_on_cuda_as_on_numpy():
    """A float64 convolution among float32 layers: the host backends cast each layer's input (and gradient) to the
    layer's dtype; the cuda backend refused the float64 output as the next layer's input."""
    from minicnn.kernels import cuda as cuda_kernels

    x, y = _data()
    trained = {}
    for name in ("numpy", "cuda"):
        with mc.use_backend(name), cuda_kernels.tiling(tile=4, work=2):
            model = mc.Sequential([mc.Conv2D(2, 3, input_shape=(5, 5, 1), dtype="float64"), mc.Flatten(),
                                   mc.Dense(1, activation="sigmoid")], seed=0)
            model.compile(optimizer="sgd", loss="binary_crossentropy")
            losses = model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history["loss"]
            trained[name] = losses, model.get_weights(), model.predict(x)
    assert [w.dtype for w in trained["cuda"][1]] == [np.float64, np.float64, np.float32, np.float32]
    assert trained["cuda"][2].dtype == np.float32
    np.testing.assert_allclose(trained["cuda"][0], trained["numpy"][0], rtol=1e-5)
    for cuda_array, numpy_array in zip(trained["cuda"][1] + [trained["cuda"][2]],
                                       trained["numpy"][1] + [trained["numpy"][2]]):
        np.testing.assert_allclose(cuda_array, numpy_array, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_the_layer_that_made_an_infinity_is_found_under_the_masks_of_the_failed_pass():
    """On cuda the failed batch runs through the layers again to name the layer that made the infinity. Dropout
    drew new masks for that run, so where the failed pass had kept the one input (seed 12 keeps it at rate 0.9, its
    next draw drops it) the run found nothing: "no layer made it again". It now repeats the failed pass's masks,
    and the generator moves on by one draw, as after a failed step on the host."""
    x, y = np.full((1, 1), 1e20, np.float32), np.zeros((1, 1), np.float32)
    with mc.use_backend("cuda"):
        model = mc.Sequential([mc.Dropout(0.9, seed=12, input_shape=(1,)), mc.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.set_weights([np.full((1, 1), 1e19), np.zeros(1)])
        with pytest.raises(mc.TrainingDivergedError, match=r"Dense 'dense(_\d+)?' made it from a finite input"):
            model.fit(x, y, epochs=1, batch_size=1, shuffle=False, verbose=0)
    reference = mc.Dropout(0.9, seed=12)
    with mc.use_backend("numpy"):
        reference.draw_keep((1, 1))
        assert model.layers[0].repeat_last_draw is False
        assert np.array_equal(np.asarray(model.layers[0].draw_keep((1, 1))), reference.draw_keep((1, 1)))


def _hiding_network(first_kernel):
    """``x → ReLU(x·W₁) → σ(·W₂)`` with W₂ = −1, so that an infinity made by the first Dense layer reaches the
    sigmoid as −∞ and the output as 0: a loss of 0 on the label 0, which sees nothing."""
    model = mc.Sequential([mc.Input(shape=(2,)), mc.Dense(2, activation="relu"), mc.Dense(1, activation="sigmoid")],
                          seed=0)
    model.set_weights([np.full((2, 2), first_kernel, np.float32), np.zeros(2, np.float32),
                       np.full((2, 1), -1, np.float32), np.zeros(1, np.float32)])
    return model


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # ∞ · 0, on purpose
def test_an_infinity_the_loss_does_not_see_is_refused_before_the_update_on_cuda(cuda_backend):
    """On cuda no layer checks its input, and a gradient was not checked before the update: an infinity hidden from
    the loss by a sigmoid went on into the last layer's kernel gradient (∞ · 0 = NaN), the update made that kernel
    NaN, and fit stopped only at the next step, the weights lost. The gradients are checked on the device now, before
    the update, as on the host: the error names the layer that made the infinity, and the weights are as before."""
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    model = _hiding_network(3e38)  # x·W₁ = 6e38: beyond float32
    model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
    before = model.get_weights()
    first, last = (re.escape(f"Dense '{layer.name}'") for layer in model.layers)
    with pytest.raises(mc.TrainingDivergedError, match=(
            rf"^training stopped: the gradient of {last} kernel contains NaN or infinity \(first at index \(0, 0\), "
            rf"value nan\): an infinity the loss did not see: {first} made it from a finite input \(its output's "
            rf"first at index \(0, 0\), value inf\); nothing was updated at epoch 1, batch 1 .*the weights are left as "
            rf"they were after the last good step")):
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    for weight, old in zip(model.get_weights(), before):
        np.testing.assert_array_equal(weight, old)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # in the simulator's threads, which
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # np.errstate (per thread) misses
def test_an_update_that_overflows_the_weights_stops_that_step_on_cuda(cuda_backend, tmp_path):
    """A finite gradient times a learning rate too large for float32: on cuda the weights were not checked after
    the update, so fit returned normally with infinite weights. The step is refused there now, as on the host, and
    save_weights then keeps the last good file."""
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    model = _hiding_network(0.5)
    model.compile(optimizer=mc.SGD(1e300), loss="binary_crossentropy")
    model.save_weights(tmp_path / "good.npz")
    saved = (tmp_path / "good.npz").read_bytes()
    first = re.escape(f"Dense '{model.layers[0].name}'")
    with np.errstate(over="ignore"), pytest.raises(mc.TrainingDivergedError, match=(
            rf"^training stopped: the update made {first} kernel NaN or infinite \(SGD's step from a finite "
            rf"gradient, at learning rate 1e\+300, overflowed float32\) at epoch 1, batch 1 ")):
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    with pytest.raises(mc.NonFiniteError, match=r"save_weights: .* contains NaN or infinity"):
        model.save_weights(tmp_path / "good.npz")
    assert (tmp_path / "good.npz").read_bytes() == saved


def test_keras_activation_layers_train_on_cuda_as_on_numpy():
    from minicnn.kernels import cuda as cuda_kernels

    x, y = _data()
    losses = {}
    for name in ("numpy", "cuda"):
        with mc.use_backend(name), cuda_kernels.tiling(tile=4, work=2):  # small tiles: the simulator runs them faster
            model = mc.Sequential([mc.Conv2D(2, 3, input_shape=(5, 5, 1)), mc.Activation("relu"), mc.Flatten(),
                                   mc.Dense(1), mc.Activation("sigmoid")], seed=0)
            model.compile(optimizer="sgd", loss="binary_crossentropy")
            losses[name] = model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(losses["cuda"], losses["numpy"], rtol=1e-5)


def test_a_layer_of_your_own_written_with_numpy_is_refused_before_any_work_on_cuda(cuda_backend):
    """README's ``Scale`` computes with NumPy (``np.asarray(x)``, ``s * grad``): on the simulator it ran, copying
    every step's arrays to the host and back, and on a GPU its backward would have failed inside NumPy. The model
    refuses it by name, as README says, before any layer runs; the weights are as they were."""
    import pathlib

    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    block = next(block for block in readme.split("```python")[1:] if "class Scale(mc.Layer)" in block)
    namespace = {"mc": mc, "np": np}
    exec(block.split("```")[0].split("print(mc.gradcheck")[0], namespace)
    model = mc.Sequential([mc.Dense(3, input_shape=(4,), seed=0), namespace["Scale"](), mc.Dense(1, seed=1)])
    model.compile(optimizer=mc.SGD(0.1), loss="mse")
    before = model.get_weights()
    x, y = np.ones((2, 4), np.float32), np.ones((2, 1), np.float32)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.predict(x), lambda: model.forward(x)):
        with pytest.raises(BackendError, match=r"^Scale 'scale(_\d+)?' has no kernels for the 'cuda' backend yet; use "
                                               r"one of the host backends \('numba', 'numpy'\)"):
            call()
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert model.layers[0].params["kernel"].__class__ is np.ndarray


def _device_arrays_in(value, seen=None):
    """The names of the device arrays held anywhere in ``value``'s attributes, dicts and lists (layers, activations,
    optimizers): on a GPU, ``copy.deepcopy`` cannot copy them (the simulator's stand-ins it can)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if hasattr(value, "copy_to_host"):
        return [type(value).__name__]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else \
        vars(value).items() if hasattr(value, "__dict__") and not isinstance(value, type) else []
    return [f"{key}.{found}" for key, item in items for found in _device_arrays_in(item, seen)]


def test_a_model_trained_on_cuda_can_be_copied_and_cast_for_a_gradient_check(cuda_backend):
    """After fit on cuda the layers keep what their last forward left on the GPU (inputs and outputs for backward)
    and the optimizer its state: copy.deepcopy of a real GPU array fails (the simulator's refuse it too, under
    ``cuda_simulator_threads``), and model.astype("float64") (what gradcheck does) deep-copies every layer. A copy
    takes host arrays, inside on_device too, and the copy predicts as the model does."""
    import copy

    from minicnn.kernels import cuda as cuda_kernels

    x, y = _data()
    model = _tiny_network()
    model.compile(optimizer=mc.Adam(0.01), loss="binary_crossentropy")
    with cuda_kernels.tiling(tile=4, work=2):
        model.fit(x, y, epochs=1, batch_size=3, verbose=0)
        assert _device_arrays_in(model.layers) and _device_arrays_in(model.optimizer)  # what copies must not take
        twin = copy.deepcopy(model)
        float64 = model.astype("float64")
        with model.on_device():
            inside = copy.deepcopy(model)
        expected = model.predict(x)
        for copied in (twin, float64, inside):
            assert _device_arrays_in(copied.layers) == [] and _device_arrays_in(copied.optimizer) == []
            np.testing.assert_allclose(copied.predict(x), expected, rtol=1e-5)
        twin.fit(x, y, epochs=1, batch_size=3, verbose=0)  # the state moves to the GPU again at the copy's next step
    assert _device_arrays_in(twin.optimizer)


@pytest.mark.parametrize("loss, last, labels", [
    ("binary_crossentropy", "sigmoid", np.array([[0.0], [1.0]], np.float32)),
    ("sparse_categorical_crossentropy", "softmax", np.array([0, 1])),
], ids=["binary", "sparse categorical"])
def test_predictions_stuck_on_the_wrong_side_are_warned_of_on_cuda_without_metrics(cuda_backend, loss, last, labels):
    """The warning needs the output on the host, which cuda brought back only for metrics: without them it was
    never given. The per-sample terms, which come back every step, now say when the output may hold a stuck
    sample, and only then does it come back."""
    import warnings

    x = np.full((2, 3), 50.0, np.float32)
    units = 1 if last == "sigmoid" else 2
    model = mc.Sequential([mc.Dense(units, activation=last, input_shape=(3,))])
    model.compile(optimizer=mc.SGD(0.1), loss=loss)
    kernel = np.ones((3, units)) if units == 1 else np.array([[-1.0, 1.0]] * 3)  # the first sample's p ≈ 1 or 0
    model.set_weights([kernel, np.zeros(units)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.train_on_batch(x, labels)
    assert [str(w.message).split(": ", 1)[1][:60] for w in caught] == [
        "1 of 2 samples of a batch have a prediction within 1e-7 of 0"]
