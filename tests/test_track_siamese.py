"""The Siamese network: labels, loss, hand-written backward through the cross-correlation, shared weights with
per-branch BatchNorm (the two-branch trap), folding, weight files, training pairs and the training loop."""

import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

import minicnn as mc
from minicnn.errors import TrainingDivergedError, WeightFileError
from minicnn.track.pairs import EXEMPLAR_SIZE, MAX_SHIFT, SEARCH_SIZE, make_batch, target_size_in_crop
from minicnn.track.trackers import siamese
from minicnn.track.trackers.siamese import (SiameseNetwork, fold_batchnorm, logistic_loss, preprocess,
                                            response_cell_centres, response_labels)
from minicnn.track.trackers.training import train_siamese

TINY = (3, 4, 4, 5, 4)


def test_response_labels_worked_example():
    # Target 8 crop pixels right of the centre = 2 cells: positives are the cells within 2 cells of (10, 8).
    labels = response_labels([[8.0, 0.0]], size=17, radius=2.0)[0]
    assert labels[8, 10] == 1 and labels[8, 12] == 1 and labels[8, 8] == 1 and labels[10, 10] == 1
    assert labels[8, 13] == -1 and labels[8, 7] == -1 and labels[10, 12] == -1  # √8 > 2
    assert (labels == 1).sum() == 13


def test_response_cells_sit_where_the_labels_say():
    centres = response_cell_centres(17)
    assert centres[8] == pytest.approx(SEARCH_SIZE / 2)
    assert np.diff(centres) == pytest.approx(np.full(16, 4.0))


def test_logistic_loss_value_and_gradient():
    rng = np.random.default_rng(0)
    response = rng.normal(0, 2, (2, 5, 5))
    labels = np.where(rng.random((2, 5, 5)) < 0.3, 1.0, -1.0)
    loss, grad = logistic_loss(response, labels)
    # By hand for one map: mean over classes of the mean log(1 + e^{-y r}) of that class.
    by_hand = np.mean([0.5 * np.mean(np.log1p(np.exp(-response[n][labels[n] > 0])))
                       + 0.5 * np.mean(np.log1p(np.exp(response[n][labels[n] < 0]))) for n in range(2)])
    assert loss == pytest.approx(by_hand, rel=1e-12)
    step = 1e-6
    for index in [(0, 0, 0), (1, 2, 3), (0, 4, 4)]:
        shifted = response.copy()
        shifted[index] += step
        numeric = (logistic_loss(shifted, labels)[0] - loss) / step
        assert grad[index] == pytest.approx(numeric, rel=1e-4, abs=1e-9)


def _float64(network):
    for branch in (network.exemplar_branch, network.search_branch):
        branch.layers = [layer.astype(np.float64) for layer in branch.layers]
    for exemplar_layer, search_layer in zip(network.exemplar_branch.layers, network.search_branch.layers):
        search_layer.params = exemplar_layer.params
    network.adjust = {key: value.astype(np.float64) + 0.3 for key, value in network.adjust.items()}
    return network


def test_backward_through_both_branches_matches_numerical_gradients():
    network = _float64(SiameseNetwork(TINY, seed=1))
    exemplars, searches, offsets = make_batch(0, 0, 2)
    exemplars, searches = preprocess(exemplars).astype(np.float64), preprocess(searches).astype(np.float64)
    labels = response_labels(offsets)

    def loss():
        return logistic_loss(network.forward(exemplars, searches, training=True), labels)

    value, grad = loss()
    network.backward(grad)
    pairs = network.trainable_pairs()
    assert len(pairs) == 2 * 5 + 2 * 4 + 2  # kernels and biases, BatchNorm gammas and betas, the adjust scalars
    rng = np.random.default_rng(0)
    for param, analytic in pairs:
        for flat in rng.choice(param.size, size=min(2, param.size), replace=False):
            index = np.unravel_index(flat, param.shape)
            original = param[index]
            param[index] = original + 1e-5
            plus = loss()[0]
            param[index] = original - 1e-5
            minus = loss()[0]
            param[index] = original
            numeric = (plus - minus) / 2e-5
            assert analytic[index] == pytest.approx(numeric, rel=1e-4, abs=1e-8), (param.shape, index)


def test_branches_share_weights_but_keep_their_own_batchnorm_statistics():
    network = SiameseNetwork(TINY, seed=0)
    for exemplar_layer, search_layer in zip(network.exemplar_branch.layers, network.search_branch.layers):
        for key in exemplar_layer.params:
            assert search_layer.params[key] is exemplar_layer.params[key]
    exemplars, searches, _ = make_batch(0, 0, 4)
    for _ in range(20):
        network.forward(preprocess(exemplars), preprocess(searches), training=True)
    exemplar_bn = network.exemplar_branch.layers[1].state["moving_mean"]
    search_bn = network.search_branch.layers[1].state["moving_mean"]
    assert not np.allclose(exemplar_bn, search_bn, rtol=0.05)


def test_the_batchnorm_trap_is_real_and_folding_per_branch_avoids_it():
    network = SiameseNetwork(TINY, seed=0)
    exemplars, searches, _ = make_batch(0, 0, 4)
    x = preprocess(searches)
    for _ in range(30):
        network.forward(preprocess(exemplars), x, training=True)
    right = network.search_branch.forward(x)
    # One set of statistics for both branches (the exemplar's here) gives other search features: the trap.
    wrong_branch = fold_batchnorm(network.exemplar_branch)
    assert np.abs(wrong_branch.forward(x) - right).max() > 0.05 * np.abs(right).max()
    exemplar_folded, search_folded = network.inference_branches()
    assert np.allclose(search_folded.forward(x), right, atol=1e-4 * np.abs(right).max())
    assert np.allclose(exemplar_folded.forward(preprocess(exemplars)),
                       network.exemplar_branch.forward(preprocess(exemplars)), atol=1e-4)
    assert not any(type(layer).__name__ == "BatchNormalization" for layer in search_folded.layers)


def test_weight_file_round_trip_and_errors(tmp_path):
    network = SiameseNetwork(TINY, seed=3)
    network.adjust["bias"][:] = 0.25
    path = tmp_path / "net.npz"
    network.save(path)
    loaded, others = SiameseNetwork.load(path)
    assert others == {}
    for key, value in network.weights().items():
        assert np.array_equal(loaded.weights()[key], value), key
    with pytest.raises(FileNotFoundError, match="does not exist"):
        SiameseNetwork.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(WeightFileError, match="SiameseNetwork.load: .* is not an .npz weight file"):
        SiameseNetwork.load(tmp_path / "junk.npz")
    other = SiameseNetwork((3, 4, 4, 5, 6), seed=0)
    with pytest.raises(WeightFileError, match="shape"):
        other.set_weights({**network.weights(), "__format__": 0}, source="net.npz")


def test_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    network = SiameseNetwork(TINY, seed=3)
    path = tmp_path / "net.npz"
    network.save(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        SiameseNetwork(TINY, seed=4).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


def test_pairs_are_reproducible_and_labelled_where_the_target_is():
    exemplars, searches, offsets = make_batch(5, 10, 3)
    again = make_batch(5, 10, 3)
    assert np.array_equal(exemplars, again[0]) and np.array_equal(searches, again[1])
    assert exemplars.shape == (3, EXEMPLAR_SIZE, EXEMPLAR_SIZE, 3) and searches.shape == (3, SEARCH_SIZE,
                                                                                           SEARCH_SIZE, 3)
    assert np.all(np.abs(offsets) <= MAX_SHIFT)
    assert np.array_equal(make_batch(5, 11, 1)[0][0], exemplars[1])  # pair i is pair i, in any batch
    assert not np.array_equal(exemplars[0], exemplars[1])
    width, height = target_size_in_crop(1.0)
    assert width == pytest.approx(EXEMPLAR_SIZE / 2)  # a square target fills half the exemplar's side
    assert target_size_in_crop(2.0)[0] > target_size_in_crop(2.0)[1]


@pytest.fixture(scope="module")
def forty_pairs():
    exemplars, searches, offsets = make_batch(3, 0, 40)
    return exemplars.mean(axis=-1).astype(np.float32), searches.mean(axis=-1).astype(np.float32), offsets


def test_the_target_is_found_in_the_search_crop_at_its_labelled_offset(forty_pairs):
    """The middle of the exemplar's target, template-matched in the search crop, lies within 5 pixels of the crop's
    centre plus the label's offset in most pairs (60 %; 5 % with the target moved the wrong way) (mutation round)."""
    cv2 = pytest.importorskip("cv2")
    errors = []
    for exemplar, search, offset in zip(*forty_pairs):
        core = exemplar[22:41, 22:41]  # inside even the smallest target (a square one spans 16 ... 47)
        score = cv2.matchTemplate(search, core, cv2.TM_CCOEFF_NORMED)
        row, col = np.unravel_index(np.argmax(score), score.shape)
        found = np.array([col, row]) + 9.5  # the matched window's centre
        errors.append(np.hypot(*(found - (SEARCH_SIZE / 2 + offset))))
    assert np.mean(np.array(errors) < 5.0) > 0.4, np.round(errors, 1)


def test_the_exemplar_shows_the_background_of_the_search_crops_middle(forty_pairs):
    """The exemplar's border (background only), template-matched in the search crop, sits over the crop's middle
    (median 5 pixels off: pans and zooms), not over its top-left corner (42 pixels) (mutation round)."""
    cv2 = pytest.importorskip("cv2")
    border = np.ones((EXEMPLAR_SIZE, EXEMPLAR_SIZE), np.float32)
    border[8:55, 8:55] = 0
    shifts = []
    for exemplar, search, _ in zip(*forty_pairs):
        score = cv2.matchTemplate(search, exemplar, cv2.TM_SQDIFF, mask=border)
        row, col = np.unravel_index(np.argmin(score), score.shape)
        middle = (SEARCH_SIZE - EXEMPLAR_SIZE) / 2
        shifts.append(np.hypot(col - middle, row - middle))
    assert np.median(shifts) < 15.0, np.round(shifts, 1)


@pytest.mark.parametrize("aspect", [0.4, 1.0, 2.0, 2.5])
def test_the_target_fills_the_exemplar_as_siamfcs_context_rule_says(aspect):
    """With p = (w + h) / 2, √((w + p)(h + p)) is the exemplar's side, at the asked aspect ratio (mutation round)."""
    width, height = target_size_in_crop(aspect)
    pad = 0.5 * (width + height)
    assert np.sqrt((width + pad) * (height + pad)) == pytest.approx(EXEMPLAR_SIZE)
    assert width / height == pytest.approx(aspect)


def test_the_targets_aspect_ratio_changes_between_the_two_frames(monkeypatch):
    """The second frame's target is stretched in width and squeezed in height (aspect · e^N(0, 0.12)), not scaled
    alike in both (mutation round)."""
    from minicnn.track import pairs

    sizes = []
    render = pairs._Object.render
    monkeypatch.setattr(pairs._Object, "render", lambda self, width, height, *rest: sizes.append(
        (self, width, height)) or render(self, width, height, *rest))
    changes = []
    for index in range(40):
        sizes.clear()
        pairs.make_pair(np.random.default_rng([0, index]))
        target = sizes[0][0]
        (_, w1, h1), *_, (_, w2, h2) = [size for size in sizes if size[0] is target]
        changes.append(np.log((w2 / h2) / (w1 / h1)))
    assert np.std(changes) > 0.05


def _interrupted_at_the_third_step(monkeypatch, folder, settings):
    """``train_siamese(folder, **settings)`` stopped by Ctrl-C at its third optimizer step, as a student would."""
    from minicnn.optimizers import Adam

    real_step, calls = Adam.step, []

    def interrupted_step(self, pairs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_step(self, pairs)

    monkeypatch.setattr(Adam, "step", interrupted_step)
    with pytest.raises(KeyboardInterrupt):
        train_siamese(folder, **settings)
    monkeypatch.setattr(Adam, "step", real_step)


def test_training_resumes_where_it_stopped_and_ends_as_an_uninterrupted_run(tmp_path, monkeypatch):
    settings = dict(pairs=8, epochs=2, batch_size=4, channels=TINY, checkpoint_every=1, validation_pairs=4,
                    progress=False, print_fn=lambda *a: None)
    straight, history = train_siamese(tmp_path / "straight", **settings)
    assert history.shape == (4, 4) and np.isfinite(history[:, 1]).all()
    assert np.isfinite(history[[1, 3], 2]).all() and np.isnan(history[[0, 2], 2]).all()
    assert (tmp_path / "straight" / "siamese.npz").exists() and (tmp_path / "straight" / "learning_curve.png").exists()
    _interrupted_at_the_third_step(monkeypatch, tmp_path / "resumed", settings)
    messages = []
    resumed, _ = train_siamese(tmp_path / "resumed", **{**settings, "print_fn": messages.append})
    assert messages and "step 2 of 4" in messages[0]
    for key, value in straight.weights().items():
        assert np.array_equal(resumed.weights()[key], value), key
    with pytest.raises(ValueError, match="checkpoint of another run"):
        train_siamese(tmp_path / "resumed", **{**settings, "epochs": 3})


def _interrupted_in(monkeypatch, owner, name, call, error=KeyboardInterrupt):
    """Ctrl-C raised from ``owner.name`` at its ``call``-th call in training (not validation's forward passes)."""
    real, calls = getattr(owner, name), []

    def interrupted(*args, **kwargs):
        if kwargs.get("training", True):
            calls.append(1)
        if len(calls) == call:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, interrupted)


def _caused_by(interruption):
    """What Numba raises for Ctrl-C while a compiled kernel runs: a SystemError in whose context it is."""
    error = SystemError("CPUDispatcher(<function _matmul>) returned a result with an exception set")
    error.__context__ = interruption
    return error


@pytest.mark.parametrize("error", [KeyboardInterrupt, "numba"], ids=["python", "in-a-numba-kernel"])
def test_ctrl_c_between_updates_saves_the_steps_finished_and_the_run_goes_on_from_there(tmp_path, monkeypatch,
                                                                                         error):
    """Ctrl-C lost every step since the last checkpoint (200 steps, two minutes of the 30-minute run): the steps
    finished are saved when it comes between two updates, here in the third step's forward pass, before the first
    checkpoint; the run resumed from them ends with the weights and history of an uninterrupted run."""
    settings = dict(pairs=12, epochs=1, batch_size=4, channels=TINY, checkpoint_every=100, validation_pairs=4,
                    progress=False, print_fn=lambda *a: None)
    straight, history = train_siamese(tmp_path / "straight", **settings)
    messages = []
    _interrupted_in(monkeypatch, SiameseNetwork, "forward", 3,
                    _caused_by(KeyboardInterrupt()) if error == "numba" else error)
    with pytest.raises(KeyboardInterrupt if error != "numba" else SystemError):
        train_siamese(tmp_path / "resumed", **{**settings, "print_fn": messages.append})
    checkpoint = tmp_path / "resumed" / "checkpoint.npz"
    assert messages == [f"Interrupted: step 2 of 3 saved in {checkpoint}"]
    monkeypatch.undo()
    messages.clear()
    resumed, resumed_history = train_siamese(tmp_path / "resumed", **{**settings, "print_fn": messages.append})
    assert messages == [f"Resuming from {checkpoint} at step 2 of 3"]
    np.testing.assert_array_equal(resumed_history, history)
    for key, value in straight.weights().items():
        assert np.array_equal(resumed.weights()[key], value), key


def test_ctrl_c_sent_during_an_update_waits_for_the_step_and_saves_it(tmp_path, monkeypatch):
    """A Ctrl-C that landed after the optimizer moved the weights, before the step was counted, kept the last
    checkpoint (up to 199 steps back). The signal now waits for the step's row: that step is saved, and the run
    resumed from it ends as an uninterrupted one."""
    import signal

    from minicnn.track.trackers import training

    settings = dict(pairs=16, epochs=1, batch_size=4, channels=TINY, checkpoint_every=100, validation_pairs=4,
                    progress=False)
    straight, history = train_siamese(tmp_path / "straight", **settings, print_fn=lambda *a: None)
    real, calls = training._check_weights_finite, []

    def ctrl_c_in_the_second_update(network):
        calls.append(1)
        if len(calls) == 2:
            signal.raise_signal(signal.SIGINT)  # Python runs the handler before the next line
        return real(network)

    monkeypatch.setattr(training, "_check_weights_finite", ctrl_c_in_the_second_update)
    messages = []
    with pytest.raises(KeyboardInterrupt):
        train_siamese(tmp_path / "resumed", **settings, print_fn=messages.append)
    checkpoint = tmp_path / "resumed" / "checkpoint.npz"
    assert messages == [f"Interrupted: step 2 of 4 saved in {checkpoint}"] and len(calls) == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # as it was
    monkeypatch.undo()
    resumed, resumed_history = train_siamese(tmp_path / "resumed", **settings, print_fn=lambda *a: None)
    np.testing.assert_array_equal(resumed_history, history)
    for key, value in straight.weights().items():
        assert np.array_equal(resumed.weights()[key], value), key


def test_interruptions_deferred_holds_one_ctrl_c_until_the_block_ends_and_lets_a_second_through():
    import signal
    import threading

    from minicnn import checks

    done = []
    with pytest.raises(KeyboardInterrupt):
        with checks.interruptions_deferred():
            signal.raise_signal(signal.SIGINT)
            done.append("after the first")
    assert done == ["after the first"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        with checks.interruptions_deferred():
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            done.append("after the second")
    assert "after the second" not in done and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(ValueError, match="its own"):  # the block's own error, not the Ctrl-C it held
        with checks.interruptions_deferred():
            signal.raise_signal(signal.SIGINT)
            raise ValueError("its own")
    handlers = []
    thread = threading.Thread(target=lambda: handlers.append(checks.interruptions_deferred().__enter__().previous))
    thread.start()
    thread.join()
    assert handlers == [{}]  # another thread sets no handler (only the main thread may)


def test_a_second_ctrl_c_during_an_update_keeps_the_last_checkpoint_saved(tmp_path, monkeypatch):
    """A second Ctrl-C stops the update at once (the first one waits for it), after the optimizer moved the weights,
    before the step was counted: saving then would store the next step's weights as this step's. The last
    checkpoint stays, or none where none was saved yet. (Raised here, as the second one's handler raises it.)"""
    from minicnn.track.trackers import training

    settings = dict(pairs=12, epochs=1, batch_size=4, channels=TINY, validation_pairs=4, progress=False)
    messages = []
    _interrupted_in(monkeypatch, training, "_check_weights_finite", 3)
    with pytest.raises(KeyboardInterrupt):
        train_siamese(tmp_path / "first", **settings, checkpoint_every=100, print_fn=messages.append)
    assert messages == ["Interrupted during an update: no step saved yet"]
    assert not (tmp_path / "first" / "checkpoint.npz").exists()
    monkeypatch.undo()
    straight, history = train_siamese(tmp_path / "straight", **settings, checkpoint_every=1,
                                      print_fn=lambda *a: None)
    _interrupted_in(monkeypatch, training, "_check_weights_finite", 3)
    messages.clear()
    with pytest.raises(KeyboardInterrupt):
        train_siamese(tmp_path / "second", **settings, checkpoint_every=1, print_fn=messages.append)
    checkpoint = tmp_path / "second" / "checkpoint.npz"
    assert messages == [f"Interrupted during an update: {checkpoint} holds step 2 of 3"]
    monkeypatch.undo()
    resumed, resumed_history = train_siamese(tmp_path / "second", **settings, checkpoint_every=1,
                                             print_fn=lambda *a: None)
    np.testing.assert_array_equal(resumed_history, history)
    for key, value in straight.weights().items():
        assert np.array_equal(resumed.weights()[key], value), key


def test_the_learning_rate_falls_geometrically_to_a_tenth_at_the_last_step(tmp_path, monkeypatch):
    """Step k of n uses lr · 0.1^(k / (n - 1)): the last step trains at exactly a tenth (mutation round)."""
    from minicnn.optimizers import Adam

    rates = []
    step = Adam.step
    monkeypatch.setattr(Adam, "step", lambda self, pairs: rates.append(self.learning_rate) or step(self, pairs))
    train_siamese(tmp_path / "run", pairs=4, epochs=1, batch_size=1, learning_rate=1e-3, channels=TINY,
                  validation_pairs=1, progress=False, print_fn=lambda *a: None)
    assert rates == pytest.approx([1e-3 * 0.1 ** (k / 3) for k in range(4)], rel=1e-12)


def test_peak_errors_measure_x_along_the_columns_and_y_along_the_rows():
    """A peak 4 cells right of the centre is 16 crop pixels along x (mutation round: x and y were swapped)."""
    from minicnn.track.trackers.training import peak_errors

    response = np.zeros((1, 17, 17))
    response[0, 8, 12] = 1.0
    assert peak_errors(response, np.array([[16.0, 0.0]])) == pytest.approx([0.0])
    assert peak_errors(response, np.array([[0.0, 16.0]])) == pytest.approx([np.hypot(16, 16)])


def test_validation_scores_validation_pairs_pairs_of_its_own_seed(tmp_path, monkeypatch):
    """validation_pairs=3 validates on 3 pairs from seed + VALIDATION_SEED_OFFSET (mutation round: the default
    count was used), and training draws its own pairs from the seed itself."""
    from minicnn.track.trackers import training

    drawn = []
    make_batch = training.make_batch
    monkeypatch.setattr(training, "make_batch", lambda seed, start, count: drawn.append((seed, start, count)) or
                        make_batch(seed, start, count))
    train_siamese(tmp_path / "run", pairs=2, epochs=1, batch_size=2, channels=TINY, validation_pairs=3, seed=5,
                  progress=False, print_fn=lambda *a: None)
    validation = 5 + training.VALIDATION_SEED_OFFSET
    assert sum(count for seed, _, count in drawn if seed == validation) == 3
    assert sorted(i for seed, start, count in drawn if seed == 5 for i in range(start, start + count)) == [0, 1]


def test_a_resumed_run_shows_the_running_mean_loss_an_uninterrupted_run_shows(tmp_path, monkeypatch):
    """The progress bar's loss is the mean of the last 50 steps; a resumed run takes the steps before the
    interruption from the checkpoint's history (mutation round: it started the mean afresh)."""
    from minicnn.track.trackers import training

    shown = []
    update = training.ProgressBar.update
    monkeypatch.setattr(training.ProgressBar, "update", lambda self, value, **fields: shown.append(
        (value, fields.get("loss"))) or update(self, value, **fields))
    settings = dict(pairs=4, epochs=1, batch_size=1, channels=TINY, checkpoint_every=1, validation_pairs=1,
                    progress=False, print_fn=lambda *a: None)
    train_siamese(tmp_path / "straight", **settings)
    straight = dict(shown)
    _interrupted_at_the_third_step(monkeypatch, tmp_path / "resumed", settings)
    shown.clear()
    train_siamese(tmp_path / "resumed", **settings)
    assert shown
    for value, loss in shown:
        assert loss == pytest.approx(straight[value], rel=1e-6), value


def _tiny_run(tmp_path, name="run", **changes):
    settings = dict(pairs=8, epochs=1, batch_size=4, channels=TINY, checkpoint_every=1, validation_pairs=4,
                    progress=False, print_fn=lambda *a: None)
    return train_siamese(tmp_path / name, **{**settings, **changes})


def test_a_checkpoint_of_another_run_is_named_by_the_settings_that_differ(tmp_path):
    """The message named ten numbers against ten; it now names what differs. Settings are stored as they are:
    as float64, seeds 2**53 and 2**53 + 1 were one seed, and the second run resumed the first."""
    _tiny_run(tmp_path, seed=2 ** 53)
    with pytest.raises(ValueError, match=r"checkpoint of another run \(seed 9007199254740992 there, "
                                         r"9007199254740993 asked for\): to go on with it, ask for its settings; else "
                                         r"use another --out folder, or start afresh over it with --no-resume"):
        _tiny_run(tmp_path, seed=2 ** 53 + 1)
    with pytest.raises(ValueError, match=r"\(epochs 1 there, 2 asked for; batch size 4 there, 2 asked for; "
                                         r"validation pairs 4 there, 8 asked for\)"):
        _tiny_run(tmp_path, seed=2 ** 53, epochs=2, batch_size=2, validation_pairs=8)
    messages = []
    _tiny_run(tmp_path, seed=2 ** 53, print_fn=messages.append)
    assert messages == [f"The run in {tmp_path / 'run' / 'checkpoint.npz'} is finished (2 steps): writing its weights "
                        f"and learning curve again"]


def test_a_checkpoint_written_by_the_older_format_still_resumes(tmp_path):
    """Checkpoints before the settings were stored by name held them as float64 numbers, channels last."""
    from minicnn.track.trackers import training

    network, history = _tiny_run(tmp_path)
    path = tmp_path / "run" / "checkpoint.npz"
    stored = dict(np.load(path))
    np.savez(path, **{**stored, "__settings__": np.array([8, 1, 4, 0, 1e-3, *TINY], dtype=np.float64)})
    assert training._stored_settings(np.load(path)["__settings__"]) == {
        "pairs": 8.0, "epochs": 1.0, "batch_size": 4.0, "seed": 0.0, "learning_rate": 1e-3, "channels": list(TINY)}
    again, _ = _tiny_run(tmp_path)
    for key, value in network.weights().items():
        assert np.array_equal(again.weights()[key], value), key
    with pytest.raises(ValueError, match=r"\(pairs 8\.0 there, 12 asked for\)"):
        _tiny_run(tmp_path, pairs=12)


@pytest.mark.parametrize("damage, error, message", [
    ("weights only", WeightFileError, r"is not a checkpoint of train siamese \(it has no __settings__, __step__, "
                                      r"__history__, __adam__/iterations: a weight file\?\); use another --out"),
    ("step past the end", WeightFileError, r"is a damaged checkpoint \(step 100 of 2, a history of shape "
                                           r"\(2, 4\)\); use another --out folder"),
    ("history too short", WeightFileError, r"is a damaged checkpoint \(step 2 of 2, a history of shape "
                                           r"\(1, 4\)\)"),
    ("NaN weight", mc.NonFiniteError, r"checkpoint\.npz': shared/00\.kernel contains NaN or infinity \(first at "
                                      r"index \(0, 0, 0, 0\), value nan\)"),
    ("negative variance", ValueError, r"checkpoint\.npz': search_branch/01\.moving_variance: expected variances "
                                      r"≥ 0, got -1\.0 at index \(0,\)"),
    ("cut short", WeightFileError, r"checkpoint\.npz' is not an \.npz weight file \(.*cut short\); use another "
                                   r"--out folder, or start afresh over it with --no-resume"),
])
def test_a_damaged_checkpoint_is_refused_by_name_before_any_training(tmp_path, damage, error, message):
    """A weight file, a step or history that does not fit the run (a bare KeyError, or 'Resuming at step 100 of
    8' and exit 0), a NaN weight or a negative variance (trained on, blamed on the learning rate, or written into
    siamese.npz with exit 0): each is refused before any step, naming the file and the array, and left as it was."""
    _tiny_run(tmp_path)
    path = tmp_path / "run" / "checkpoint.npz"
    stored = dict(np.load(path))
    if damage == "weights only":
        stored = dict(np.load(tmp_path / "run" / "siamese.npz"))
    elif damage == "step past the end":
        stored["__step__"] = np.array(100)
    elif damage == "history too short":
        stored["__history__"] = stored["__history__"][:1]
    elif damage == "NaN weight":
        stored["shared/00.kernel"][0, 0, 0, 0] = np.nan
    elif damage == "negative variance":
        stored["search_branch/01.moving_variance"][0] = -1.0
    np.savez(path, **stored)
    if damage == "cut short":  # a crash of the machine mid-write, where the disk kept half the file
        path.write_bytes(path.read_bytes()[:200])
    before = path.read_bytes()
    with pytest.raises(error, match=message):
        _tiny_run(tmp_path)
    assert path.read_bytes() == before


def test_every_pair_is_drawn_when_the_batch_size_does_not_divide_them(tmp_path, monkeypatch):
    """Pairs 0 … 6 with batches of 4: each epoch trains on 4 of them, drawn from all 7 in a new order (only pairs
    0 … 3 were ever drawn)."""
    from minicnn.track.trackers import training

    drawn = []
    make_batch = training.make_batch

    def recording(seed, index, count):
        if seed == 0:  # not the validation pairs' seed
            drawn.append(index)
        return make_batch(seed, index, count)

    monkeypatch.setattr(training, "make_batch", recording)
    _tiny_run(tmp_path, pairs=7, epochs=4)
    assert len(drawn) == 16 and set(drawn) == set(range(7))


def test_training_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="batch_size"):
        train_siamese(tmp_path, pairs=4, batch_size=8)
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        train_siamese(tmp_path, epochs=0)
    for name, value, kind in [("seed", -1, "a whole number ≥ 0"), ("seed", None, "a whole number ≥ 0"),
                              ("seed", 1.5, "a whole number ≥ 0"), ("seed", True, "a whole number ≥ 0"),
                              ("checkpoint_every", 0, "a positive integer"),
                              ("validation_pairs", 0, "a positive integer")]:
        with pytest.raises(ValueError, match=rf"^train_siamese: {name} must be {kind}, got {value!r}$"):
            train_siamese(tmp_path / "never", **{name: value})
    with pytest.raises(ValueError):  # the channels are checked before the folder is made (it was left behind)
        train_siamese(tmp_path / "never", channels=(4, 4, 4, 4, 0))
    assert not (tmp_path / "never").exists()
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(NotADirectoryError, match=r"^out: .*afile is a file; expected a folder for checkpoint\.npz"):
        train_siamese(tmp_path / "afile", pairs=8, batch_size=4, channels=TINY)
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_fresh_start_stopped_before_its_first_checkpoint_does_not_resume_the_old_run(tmp_path, monkeypatch):
    """resume=False (--no-resume) discards the old checkpoint when it starts: stopped before writing its own, the
    next resume went on from the old run's checkpoint, as if it were this one's (from a data-safety audit)."""
    from minicnn.optimizers import Adam

    _tiny_run(tmp_path, checkpoint_every=1)
    real_step = Adam.step

    def interrupted(self, pairs):
        raise KeyboardInterrupt
    monkeypatch.setattr(Adam, "step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _tiny_run(tmp_path, resume=False)
    monkeypatch.setattr(Adam, "step", real_step)
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


@pytest.mark.filterwarnings("ignore:invalid value encountered in logaddexp:RuntimeWarning")  # the NaN planted here
def test_a_nan_loss_stops_training_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(siamese.SiameseNetwork, "forward",
                        lambda self, z, x, training=False: np.full((len(z), 17, 17), np.nan))
    with pytest.raises(TrainingDivergedError, match="the loss became nan at epoch 1, step 1 .*learning_rate"):
        train_siamese(tmp_path, pairs=4, batch_size=4, channels=TINY, progress=False)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow planted here
def test_a_learning_rate_far_too_large_stops_training_and_says_to_lower_it(tmp_path):
    """Adam's first steps move every weight by about the learning rate: at 1e30 the weights are finite after the
    first step and the next forward pass overflows inside the network. The message names the step, says no
    checkpoint holds those weights, and names the way out; through the command line it is one line, no traceback."""
    with pytest.raises(TrainingDivergedError) as stopped:
        train_siamese(tmp_path / "lr", pairs=8, batch_size=4, channels=TINY, learning_rate=1e30, progress=False)
    message = str(stopped.value)
    assert "training stopped:" in message and "at epoch 1, step 2 (step 2 overall)" in message, message
    assert "no checkpoint was written yet" in message and message.endswith("Try a smaller learning_rate")
    assert stopped.value.epoch == 1 and stopped.value.batch == 2
    result = subprocess.run([sys.executable, "-m", "minicnn", "train", "siamese", "--out", str(tmp_path / "cli"),
                             "--pairs", "8", "--batch-size", "4", "--channels", ",".join(map(str, TINY)),
                             "--learning-rate", "1e30", "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "training stopped:" in result.stderr and "Try a smaller learning_rate" in result.stderr


def test_an_update_that_makes_a_weight_infinite_stops_training_at_that_step(tmp_path, monkeypatch):
    """An overflowing gradient can make a weight infinite in the update itself: training stops at that step and
    names the weight, instead of failing one step later as NaN met deep inside the network."""
    from minicnn.optimizers import Adam

    real_step = Adam.step

    def overflowing_step(self, pairs):
        real_step(self, pairs)
        pairs[0][0][...] = np.inf

    monkeypatch.setattr(Adam, "step", overflowing_step)
    with pytest.raises(TrainingDivergedError, match=r"the update made the weight \S+\.kernel NaN or infinite "
                                                    r"\(a gradient overflowed\) at epoch 1, step 1 "):
        train_siamese(tmp_path, pairs=4, batch_size=4, channels=TINY, progress=False)


# ------------------------------------------------------------------------------------------------ the trackers

@pytest.fixture(scope="module")
def plain_sequence():
    from minicnn.track.generator import make_sequence

    return make_sequence("plain", seed=1, n_frames=30)


def test_the_shipped_weights_load_and_the_tracker_recovers_a_known_shift(plain_sequence):
    from minicnn.track.trackers.siamese import SiameseTracker

    frame, box = plain_sequence[0], plain_sequence.init_box
    for dx, dy in ((0, 0), (9, -5), (-14, 11)):
        tracker = SiameseTracker()
        tracker.init(frame, box)
        ok, found = tracker.update(np.roll(frame, (dy, dx), axis=(0, 1)))
        assert ok
        assert found[:2] - box[:2] == pytest.approx([dx, dy], abs=1.5)
        assert found[2:] == pytest.approx(box[2:], rel=0.05)


def test_our_trackers_follow_a_generated_sequence(plain_sequence):
    from minicnn.track.evaluate import track_sequence
    from minicnn.track.trackers import make_tracker

    for name in ("siamese", "siamese-nomotion", "hybrid", "cnn"):
        run = track_sequence(make_tracker(name), plain_sequence)
        assert run.error is None, run.error
        overlaps = __import__("minicnn.track.boxes", fromlist=["iou"]).iou(run.boxes, plain_sequence.ground_truth)
        assert np.nanmean(overlaps) > 0.5, (name, np.nanmean(overlaps))


def test_a_global_change_of_light_does_not_move_the_normalised_tracker(plain_sequence):
    from minicnn.track.trackers.siamese import SiameseTracker

    frame, box = plain_sequence[0], plain_sequence.init_box
    darker = np.clip(plain_sequence[1].astype(np.float64) * [0.5, 0.6, 0.45] + 10, 0, 255).astype(np.uint8)
    answers = {}
    for normalise in (True, False):
        boxes = []
        for next_frame in (plain_sequence[1], darker):
            tracker = SiameseTracker(normalise=normalise)
            tracker.init(frame, box)
            boxes.append((tracker.update(next_frame)[1], tracker.confidence))
        answers[normalise] = boxes
    (same_light, same_confidence), (dark, dark_confidence) = answers[True]
    np.testing.assert_allclose(dark, same_light, atol=1.0)
    assert dark_confidence == pytest.approx(same_confidence, abs=0.05)
    # without the matching the network sees the change: its confidence moves more
    (_, plain_confidence), (_, plain_dark_confidence) = answers[False]
    assert abs(plain_dark_confidence - plain_confidence) > abs(dark_confidence - same_confidence)


def test_numpy_and_numba_backends_track_alike(plain_sequence):
    from minicnn.track.trackers.siamese import SiameseTracker

    results = []
    for backend in ("numba", "numpy"):
        tracker = SiameseTracker(backend=backend)
        tracker.init(plain_sequence[0], plain_sequence.init_box)
        results.append([tracker.update(plain_sequence[i])[1] for i in range(1, 6)])
    assert np.allclose(results[0], results[1], atol=0.05)


def test_detect_finds_the_target_and_redetection_follows_a_jump(plain_sequence):
    from minicnn.track.boxes import iou
    from minicnn.track.trackers.siamese import SiameseTracker, detect

    frame, box = plain_sequence[0], plain_sequence.init_box
    tracker = SiameseTracker()
    tracker.init(frame, box)
    found, scores = detect(frame, tracker)
    assert len(found) >= 1 and scores[0] > 0.8 and np.all(np.diff(scores) <= 0)
    assert iou(found[0], box)[0] > 0.5
    # The target jumps far outside the search region: the tracker coasts, then finds it over the whole frame.
    shift = (-int(box[1]) + 150, -int(box[0]) + 230)  # (rows, columns): move it to about (230, 150)
    jumped = np.roll(frame, shift, axis=(0, 1))
    truth = box + [shift[1], shift[0], 0, 0]
    boxes = [tracker.update(jumped)[1] for _ in range(tracker.redetect_after + 1)]
    assert iou(boxes[0], truth)[0] < 0.3 and iou(boxes[-1], truth)[0] > 0.5


def test_tracker_errors_say_what_was_expected(tmp_path, plain_sequence):
    from minicnn.track.trackers.siamese import SiameseTracker

    with pytest.raises(FileNotFoundError, match="minicnn train siamese"):
        SiameseTracker(weights=tmp_path / "none.npz")
    (tmp_path / "other.npz").write_bytes(b"")
    np.savez(tmp_path / "other.npz", kernel=np.zeros(3))
    with pytest.raises(WeightFileError, match=r"other\.npz' is not a minicnn weight file \(expected format "
                                              r"'minicnn-siamese-1'\)"):
        SiameseTracker(weights=tmp_path / "other.npz")
    import minicnn as mc

    model = mc.Sequential([mc.Dense(2, input_shape=(3,))])
    model.build()
    model.save_weights(tmp_path / "model.npz")
    with pytest.raises(WeightFileError, match=r"model\.npz' is a minicnn-weights-1 file \(a model's weights: "
                                              r"Sequential\.load_weights reads it\), not the Siamese tracker's"):
        SiameseTracker(weights=tmp_path / "model.npz")
    with pytest.raises(ValueError, match="backend must be one of"):
        SiameseTracker(backend="tpu")
    assert SiameseTracker(backend="NumPy").backend == "numpy"  # as set_backend takes it (it was refused)
    tracker = SiameseTracker()
    frame = plain_sequence[0]
    with pytest.raises(ValueError, match="outside"):
        tracker.init(frame, (5000, 10, 20, 20))
    with pytest.raises(ValueError, match="width and height"):
        tracker.init(frame, (10, 10, 0, 20))
    with pytest.raises(ValueError, match="alpha"):
        tracker.init(np.dstack([frame, frame[..., :1]]), plain_sequence.init_box)
    tracker.init(frame.mean(axis=2).astype(np.uint8), plain_sequence.init_box)  # grey: accepted, converted
    with pytest.raises(ValueError, match="like the first one"):
        tracker.update(frame[:100])


def test_response_upsampling_keeps_cell_centres_aligned():
    from minicnn.track.trackers.siamese import _upsample_taps, upsample

    factor = 16
    cells = np.arange(17, dtype=np.float32)
    ramp = cells[:, None] + 10 * cells[None, :]  # value = row + 10·column at cell centres
    up = upsample(ramp, _upsample_taps(17, factor))
    position = np.clip((np.arange(17 * factor) + 0.5) / factor - 0.5, 0, 16)
    assert up.shape == (272, 272)
    assert np.allclose(up, position[:, None] + 10 * position[None, :], atol=1e-4)


# --------------------------------------------------- the tracker's decisions, with the network's response scripted

def _noise_frame():
    rng = np.random.default_rng(0)
    return np.clip(128 + rng.normal(0, 20, (200, 240, 3)), 0, 255).astype(np.uint8)


class _ScriptedResponses:
    """Stands in for ``tracker.responses``: one dict per update, {scale index: (dx cells, dy cells, logit)} on a base
    logit of -5 (or ``"base"``); keeps the side of each map it was asked for (17 cells for 127 pixels, 33 for 191)."""

    def __init__(self, tracker, updates):
        self.updates, self.sides = list(updates), []
        tracker.responses = self

    def __call__(self, features, exemplar_features=None):
        n = features.shape[1] - 5
        self.sides.append(n)
        peaks = dict(self.updates.pop(0))
        response = np.full((len(features), n, n), peaks.pop("base", -5.0), dtype=np.float32)
        for k, (dx, dy, logit) in peaks.items():
            response[k, n // 2 + dy, n // 2 + dx] = logit
        return response


def _scripted_tracker(weights, updates, box=(100.0, 80.0, 40.0, 40.0), **options):
    from minicnn.track.trackers.siamese import SiameseTracker

    options = {"motion": False, "window_influence": 0.0, "normalise": False, **options}
    tracker = SiameseTracker(weights=weights, **options)
    tracker.init(_noise_frame(), box)
    return tracker, _ScriptedResponses(tracker, updates)


def _centre(box):
    return box[:2] + box[2:] / 2


def _cell_in_pixels(tracker, size, k=1):
    """Frame pixels per response cell of the search crop at scale ``k`` around a target of ``size``."""
    return siamese.TOTAL_STRIDE * tracker._context_side(size) * 127 / 63 * tracker.scales[k] / 127


@pytest.mark.parametrize("k", [0, 1, 2])
def test_a_peak_off_centre_moves_the_box_by_that_many_cells_of_its_own_scale(tiny_weights, k):
    """A peak (6, -4) cells from the centre of scale k's map moves the target by 6 and -4 cells of scale k's crop,
    not of the middle scale's (mutation round)."""
    tracker, _ = _scripted_tracker(tiny_weights, [{k: (6, -4, 5.0)}])
    step = _cell_in_pixels(tracker, tracker.size.copy(), k)
    start = tracker.center.copy()
    ok, box = tracker.update(_noise_frame())
    assert _centre(box) == pytest.approx(start + np.array([6, -4]) * step, abs=step / 16)  # upsampled: 1/32 cell


def test_equal_peaks_at_every_scale_keep_the_size(tiny_weights):
    """The scale penalty falls on the changed scales, so a tie goes to the unchanged one (mutation round)."""
    tracker, _ = _scripted_tracker(tiny_weights, [{0: (0, 0, 5.0), 1: (0, 0, 5.0), 2: (0, 0, 5.0)}])
    ok, box = tracker.update(_noise_frame())
    assert box[2:] == pytest.approx([40.0, 40.0], rel=1e-12)


def test_the_size_moves_towards_the_best_scale_by_scale_lr_and_compounds(tiny_weights):
    """A peak at the larger scale grows the box by (1 - scale_lr) + scale_lr · 1.0375 each frame, from the current
    size, not the first one (mutation round)."""
    tracker, _ = _scripted_tracker(tiny_weights, [{2: (0, 0, 5.0)}] * 2)
    factor = (1 - 0.59) + 0.59 * 1.0375
    ok, box = tracker.update(_noise_frame())
    assert box[2:] == pytest.approx(40.0 * np.array([factor, factor]), rel=1e-9)
    ok, box = tracker.update(_noise_frame())
    assert box[2:] == pytest.approx(40.0 * np.array([factor, factor]) ** 2, rel=1e-9)


def test_a_target_right_of_the_frames_height_is_followed_there(tiny_weights):
    """The centre is clipped to the frame's width in x and height in y: a target at x = 215 in a 240 x 200 frame stays
    at 215 (mutation round)."""
    tracker, _ = _scripted_tracker(tiny_weights, [{1: (0, 0, 5.0)}], box=(200.0, 80.0, 30.0, 30.0))
    ok, box = tracker.update(_noise_frame())
    assert _centre(box)[0] == pytest.approx(215.0, abs=0.5)


def test_the_motion_model_learns_the_motion_and_a_lost_target_coasts_along_it(tiny_weights):
    """The filter is updated with each found box, and once the target is lost the search follows the filter's
    prediction whatever velocity_weight is (mutation round)."""
    tracker, _ = _scripted_tracker(tiny_weights, [{1: (2, 0, 5.0)}] * 4 + [{1: (0, 0, -5.0)}] * 2,
                                   motion=True, redetect_after=100)
    centres = [_centre(tracker.update(_noise_frame())[1]) for _ in range(4)]
    assert _centre(tracker.filter.box) == pytest.approx(centres[-1], abs=2.0)
    assert tracker.filter.velocity[0] > 2.0
    tracker.update(_noise_frame())  # the first lost frame stays where the target was last seen
    ok, coasted = tracker.update(_noise_frame())
    assert tracker.frames_lost == 2
    assert _centre(coasted)[0] > centres[-1][0] + 2.0


def test_after_a_lost_frame_the_search_crop_is_wider(tiny_weights):
    """A lost frame makes the next search use lost_search_size (191 pixels: a 33-cell map) (mutation round)."""
    tracker, script = _scripted_tracker(tiny_weights, [{1: (0, 0, -5.0)}, {1: (0, 0, 5.0)}],
                                        motion=True, redetect_after=100)
    tracker.update(_noise_frame())
    tracker.update(_noise_frame())
    assert script.sides == [17, 33]


@pytest.mark.parametrize("base, peak", [(-9.0, -1.0), (5.0, 6.0)])
def test_the_window_weighs_the_response_above_its_minimum(tiny_weights, base, peak):
    """The cosine window is blended with r - min r: a peak three cells out on an all-negative response, or on a high
    flat one, still wins; blended with r itself it was pulled to the centre (mutation round)."""
    tracker, _ = _scripted_tracker(tiny_weights, [{"base": base, 1: (3, 0, peak)}], window_influence=0.3)
    step = _cell_in_pixels(tracker, tracker.size.copy())
    start = tracker.center.copy()
    ok, box = tracker.update(_noise_frame())
    assert _centre(box)[0] == pytest.approx(start[0] + 3 * step, abs=step / 4)


def test_the_exemplar_is_cut_around_a_narrow_boxs_centre(tiny_weights, monkeypatch):
    """A 30 x 90 box at (10, 20) has its centre at (25, 65), y from its height (mutation round)."""
    tracker, _ = _scripted_tracker(tiny_weights, [])
    centres = []
    crops = tracker._crops
    monkeypatch.setattr(tracker, "_crops", lambda frame, center, sides, size: centres.append(center) or crops(
        frame, center, sides, size))
    tracker.exemplar_features(_noise_frame().astype(np.float32), np.array([10.0, 20.0, 30.0, 90.0]))
    assert centres[0] == pytest.approx([25.0, 65.0])


@pytest.mark.parametrize("k", [0, 2])
def test_a_detection_at_another_search_scale_has_the_size_divided_by_it(tiny_weights, k, monkeypatch):
    """detect() looks at the frame resized by q: a find there is a target of size / q (mutation round)."""
    from minicnn.track.trackers.siamese import detect

    tracker, _ = _scripted_tracker(tiny_weights, [])
    scales = (1 / 1.1, 1.0, 1.1)
    calls = []

    def responses(features, exemplar_features=None):
        rows, cols = features.shape[1] - 5, features.shape[2] - 5
        response = np.full((1, rows, cols), -5.0, dtype=np.float32)
        response[0, rows // 2, cols // 2] = 5.0 if len(calls) == k else -5.0
        calls.append(features.shape)
        return response

    monkeypatch.setattr(tracker, "responses", responses)
    boxes, scores = detect(_noise_frame(), tracker, max_boxes=1, scales=scales)
    assert len(boxes) == 1
    assert boxes[0, 2:] == pytest.approx(tracker.size / scales[k], rel=1e-9)


def test_the_train_command_writes_weights_a_checkpoint_and_a_learning_curve(tmp_path, capsys):
    from minicnn.cli import main

    out = tmp_path / "run"
    main(["train", "siamese", "--out", str(out), "--pairs", "8", "--epochs", "1", "--batch-size", "4",
          "--channels", "3,4,4,5,4", "--quiet"])
    assert {p.name for p in out.iterdir()} == {"checkpoint.npz", "siamese.npz", "learning_curve.png"}
    assert "siamese.npz" in capsys.readouterr().out
    network, _ = SiameseNetwork.load(out / "siamese.npz")
    assert network.channels == (3, 4, 4, 5, 4)
    with pytest.raises(SystemExit) as stop:
        main(["train", "siamese", "--out", str(out), "--channels", "1,2"])
    assert stop.value.code == 2
    assert "--channels: expected five comma-separated positive integers" in capsys.readouterr().err
    for extra, message in ((["--channels", "0,0,0,0,0"], "--channels: expected five comma-separated positive "
                                                           "integers, got '0,0,0,0,0'"),
                           (["--pairs", "4", "--batch-size", "8"],
                            "--batch-size: expected at most --pairs (4), got 8")):
        with pytest.raises(SystemExit) as stop:  # they named train_siamese's arguments, not the options
            main(["train", "siamese", "--out", str(out)] + extra)
        assert stop.value.code == 2 and message in capsys.readouterr().err


def test_detect_keeps_the_resized_frame_within_its_bounds(monkeypatch):
    """A 0.5-pixel box made detect() resize the frame 63 times (16 GB, then MemoryError); a box as large as the frame
    resized it to 31 pixels, too small for the network (a ShapeError from inside it)."""
    from minicnn.track import boxes as box_module
    from minicnn.track.trackers.siamese import DETECT_MAX_PIXELS, MIN_SIDE, SiameseTracker, detect

    sizes = []
    resize = box_module.resize
    monkeypatch.setattr(box_module, "resize", lambda image, size: sizes.append(size) or resize(image, size))
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    tiny = SiameseTracker()
    tiny.init(frame, (30, 30, 0.5, 0.5))
    assert np.all(tiny.size == MIN_SIDE)
    for _ in range(tiny.redetect_after + 2):  # the target is gone: coast, then look over the whole frame
        ok, box = tiny.update(np.full_like(frame, 128))
        assert np.all(np.isfinite(box)) and np.all(box[2:] >= MIN_SIDE)
    large = rng.integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
    tiny.init(large, (500, 500, 4, 4))
    assert detect(large, tiny)[0].shape == (0, 4)  # every scale would need ~60 M pixels: skipped
    whole = SiameseTracker()
    whole.init(frame, (0, 0, 80, 64))
    assert detect(frame, whole)[0].shape == (0, 4)  # every scale would be under 63 pixels: skipped
    assert sizes and all(h * w <= DETECT_MAX_PIXELS and min(h, w) >= 63 for h, w in sizes)


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_a_failed_learning_curve_save_keeps_the_old_picture(tmp_path, monkeypatch, interruption):
    """savefig on the path itself truncated the old PNG before writing: Ctrl-C or a full disk half-way through left
    half a picture. The figure now goes to a file beside it, renamed into place once complete (the demo's plots,
    ``minicnn track show --sheet`` and the evaluation's plots share ``minicnn.plots.save_figure``)."""
    from matplotlib.figure import Figure

    from minicnn.track.trackers.training import plot_learning_curve

    history = [(step, 1.0 / step, np.nan, np.nan) for step in range(1, 5)] + [(5, 0.2, 0.3, 4.0)]
    path = plot_learning_curve(history, tmp_path / "learning_curve.png")
    old = path.read_bytes()
    savefig = Figure.savefig

    def half_then_fail(figure, target, **options):  # target: the file beside the picture, open for writing
        savefig(figure, target, **options)
        target.truncate(target.tell() // 2)
        raise interruption("interrupted half-way")

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    with pytest.raises(interruption):
        plot_learning_curve(history[:3], path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["learning_curve.png"]


def test_the_learning_curve_is_saved_without_touching_the_notebooks_plotting(tmp_path):
    """Library code must not switch matplotlib's backend: in a notebook that silently stopped every later figure
    from showing (notebook 10's training cell drew nothing). Nor does it leave a pyplot figure open."""
    import matplotlib
    import matplotlib.pyplot as plt

    from minicnn.track.trackers.training import plot_learning_curve

    before = matplotlib.get_backend()
    try:
        matplotlib.use("svg")
        open_figures = plt.get_fignums()
        history = [(step, 1.0 / step, np.nan, np.nan) for step in range(1, 5)] + [(5, 0.2, 0.3, 4.0)]
        path = plot_learning_curve(history, tmp_path / "curve.png")
        assert matplotlib.get_backend() == "svg" and plt.get_fignums() == open_figures
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        matplotlib.use(before)


def test_a_network_trained_again_into_the_same_file_is_read_again(tmp_path):
    """The loaded networks were cached by path alone: a tracker built after a network was trained again into the
    same file kept the old one (and evaluate stored its boxes under the new file's hash)."""
    from minicnn.track.trackers.siamese import load_inference_network

    path = tmp_path / "siamese.npz"
    SiameseNetwork((3, 4, 4, 4, 4), seed=0).save(path)
    first = load_inference_network(path)
    assert load_inference_network(path) is first  # shared while the file is the same
    SiameseNetwork((3, 8, 8, 8, 8), seed=1).save(path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))  # a later time, surely
    again = load_inference_network(path)
    kernels = [layer.params["kernel"].shape for layer in again[0].layers if "kernel" in layer.params]
    assert again is not first and kernels[-1][-1] == 8, kernels


@pytest.mark.parametrize("argument, value, error", [
    ("motion", "yes", TypeError), ("motion", 1, TypeError), ("normalise", "no", TypeError),
    ("scale_step", 0, ValueError), ("scale_step", -1.0375, ValueError), ("scale_step", 0.9, ValueError),
    ("scale_step", 1.0, ValueError), ("scale_step", float("nan"), ValueError), ("scale_step", "1.05", ValueError),
    ("scale_penalty", 0, ValueError), ("scale_penalty", -1.0, ValueError), ("scale_penalty", 1.5, ValueError),
    ("scale_lr", -0.1, ValueError), ("scale_lr", 2.0, ValueError),
    ("window_influence", 1.5, ValueError), ("window_influence", -0.5, ValueError),
    ("window_influence", "0.3", ValueError), ("window_influence", True, ValueError),
    ("response_up", 0, ValueError), ("response_up", -2, ValueError), ("response_up", 2.5, ValueError),
    ("response_up", True, ValueError),
    ("lost_threshold", -0.1, ValueError), ("lost_threshold", 2, ValueError),
    ("trust_threshold", -1, ValueError), ("trust_threshold", 1.5, ValueError),
    ("redetect_after", 0, ValueError), ("redetect_after", -1, ValueError), ("redetect_after", 2.5, ValueError),
    ("redetect_threshold", -1, ValueError), ("redetect_threshold", 1.5, ValueError),
    ("velocity_weight", 5, ValueError), ("velocity_weight", -0.1, ValueError),
    ("search_size", 0, ValueError), ("search_size", 128, ValueError),
    ("lost_search_size", 0, ValueError), ("lost_search_size", 190, ValueError), ("lost_search_size", 62, ValueError),
    ("lost_search_size", -5, ValueError), ("lost_search_size", 191.0, ValueError),
    ("context", -1, ValueError), ("context", -0.3, ValueError), ("context", float("inf"), ValueError),
])
def test_the_trackers_bad_arguments_are_refused_by_name_at_construction(argument, value, error):
    """Each of these was accepted, and then failed mid-video (``response_up=0``: 'zero-size array'; a bad
    ``lost_search_size`` only once the target was lost) or tracked worse without a word (``window_influence=1.5``:
    mean IoU 0.85 → 0.20 on a plain sequence)."""
    from minicnn.track.trackers.siamese import SiameseTracker

    with pytest.raises(error, match=rf"^SiameseTracker: {argument} must be .*, got {re.escape(repr(value))}$"):
        SiameseTracker(**{argument: value})


def test_the_trackers_defaults_and_other_good_arguments_are_accepted():
    from minicnn.track.trackers.siamese import SiameseTracker

    SiameseTracker()
    tracker = SiameseTracker(motion=np.bool_(False), scale_step=1.1, scale_penalty=1, scale_lr=0,
                             window_influence=np.float32(1.0), response_up=np.int64(1), lost_threshold=0,
                             trust_threshold=1, redetect_after=1, redetect_threshold=0.0, velocity_weight=1,
                             search_size=159, lost_search_size=np.int32(255), context=0, normalise=False)
    assert tracker.motion is False and tracker.normalise is False
    assert tracker.response_up == 1 and type(tracker.response_up) is int
    assert tracker.lost_search_size == 255 and type(tracker.lost_search_size) is int
    assert tracker.window_influence == 1.0 and type(tracker.window_influence) is float
    np.testing.assert_allclose(tracker.scales, [1 / 1.1, 1.0, 1.1])


def test_a_short_training_still_draws_its_smoothed_loss(tmp_path, monkeypatch):
    """A run of 50 steps or fewer averaged all its losses into one point, which the line did not draw: the legend
    said 'training loss (mean of 25)' beside nothing."""
    from matplotlib.axes import Axes

    from minicnn.track.trackers.training import plot_learning_curve

    drawn = []
    plot = Axes.plot

    def recording(axes, *args, **kwargs):
        drawn.append((kwargs.get("label"), len(args[0])))
        return plot(axes, *args, **kwargs)

    monkeypatch.setattr(Axes, "plot", recording)
    history = [(step, 1.0 / step, np.nan, np.nan) for step in range(1, 26)]
    plot_learning_curve(history, tmp_path / "learning_curve.png")
    assert ("training loss (mean of 5)", 21) in drawn, drawn


@pytest.mark.parametrize("terminal", [True, False])
def test_training_output_has_no_blank_lines_in_a_log_and_no_repeated_last_line_in_a_terminal(tmp_path, monkeypatch,
                                                                                               terminal):
    """In a log each 'epoch N:' line followed a blank line; in a terminal the last progress line was drawn again
    under the last epoch's line."""
    import io
    import sys

    import minicnn.progress

    monkeypatch.setattr(minicnn.progress, "_interactive", lambda stream: terminal)
    screen = io.StringIO()
    monkeypatch.setattr(sys, "stdout", screen)
    train_siamese(tmp_path / "run", pairs=8, epochs=2, batch_size=4, channels=TINY, validation_pairs=4)
    lines = screen.getvalue().split("\n")
    assert lines[-1] == "" and "" not in lines[:-1], lines
    last_epoch = max(i for i, line in enumerate(lines) if line.startswith("epoch 2: validation loss"))
    assert not any("4/4 [" in line for line in lines[last_epoch + 1:]), lines
    assert sum(line.split("\r")[-1].startswith("4/4 [") for line in lines) == 1, lines  # the last line, shown once


def test_a_weight_file_without_its_channels_and_a_folder_in_the_way_of_training_are_named(tmp_path, capsys):
    """A Siamese file without __channels__ ended in KeyError: '__channels__'; a folder standing at siamese.npz was
    found only after the whole training, with advice that could not be followed (files audit)."""
    from minicnn.cli import main

    network = SiameseNetwork(channels=TINY, seed=0)
    network.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz") as stored:
        arrays = {key: stored[key] for key in stored.files if key != "__channels__"}
    np.savez(tmp_path / "damaged.npz", **arrays)
    with pytest.raises(WeightFileError, match=r"damaged\.npz' is a damaged minicnn-siamese file: its __channels__ "
                                              r"\(five positive channel counts\) is missing$"):
        SiameseNetwork.load(tmp_path / "damaged.npz")
    (tmp_path / "run" / "siamese.npz").mkdir(parents=True)
    with pytest.raises(SystemExit) as stop:
        main(["train", "siamese", "--out", str(tmp_path / "run"), "--pairs", "8", "--batch-size", "4", "--quiet"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "siamese.npz is a folder, where the command writes a file" in err


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on Windows")
def test_interruptions_deferred_leaves_an_ignored_signal_ignored():
    """Under nohup SIGHUP is ignored: the block keeps it so, and a SIGHUP then does nothing (a handler that is not a
    function was called, a TypeError) (mutation round: no test failed where it was changed)."""
    from minicnn import checks

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with checks.interruptions_deferred():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGHUP)
    finally:
        signal.signal(signal.SIGHUP, before)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on Windows (and SIGTERM ends it)")
def test_interruptions_deferred_holds_sigterm_until_the_block_ends():
    """SIGTERM (a scheduler's time limit) waits for the step as Ctrl-C does, then stops (mutation round: no test
    failed where it was changed)."""
    from minicnn import checks

    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    checks.stop_on_termination()  # handles both: both are put back (the review: SIGHUP's was left installed)
    done = []
    try:
        with pytest.raises(checks.Terminated):
            with checks.interruptions_deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("after")
        assert done == ["after"]
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
