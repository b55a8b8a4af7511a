"""The Siamese network: labels, loss, hand-written backward through the cross-correlation, shared weights with
per-branch BatchNorm (the two-branch trap), folding, weight files, training pairs and the training loop."""

import numpy as np
import pytest

from minicnn.errors import WeightFileError
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
    with pytest.raises(WeightFileError, match="not a readable"):
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


def test_training_resumes_where_it_stopped_and_ends_as_an_uninterrupted_run(tmp_path, monkeypatch):
    settings = dict(pairs=8, epochs=2, batch_size=4, channels=TINY, checkpoint_every=1, validation_pairs=4,
                    progress=False, print_fn=lambda *a: None)
    straight, history = train_siamese(tmp_path / "straight", **settings)
    assert history.shape == (4, 4) and np.isfinite(history[:, 1]).all()
    assert np.isfinite(history[[1, 3], 2]).all() and np.isnan(history[[0, 2], 2]).all()
    assert (tmp_path / "straight" / "siamese.npz").exists() and (tmp_path / "straight" / "learning_curve.png").exists()

    from minicnn.optimizers import Adam

    real_step = Adam.step
    calls = {"n": 0}

    def interrupted_step(self, pairs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_step(self, pairs)

    monkeypatch.setattr(Adam, "step", interrupted_step)
    with pytest.raises(KeyboardInterrupt):
        train_siamese(tmp_path / "resumed", **settings)
    monkeypatch.setattr(Adam, "step", real_step)
    messages = []
    resumed, _ = train_siamese(tmp_path / "resumed", **{**settings, "print_fn": messages.append})
    assert messages and "step 2 of 4" in messages[0]
    for key, value in straight.weights().items():
        assert np.array_equal(resumed.weights()[key], value), key
    with pytest.raises(ValueError, match="checkpoint of another run"):
        train_siamese(tmp_path / "resumed", **{**settings, "epochs": 3})


def test_training_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="batch_size"):
        train_siamese(tmp_path, pairs=4, batch_size=8)
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        train_siamese(tmp_path, epochs=0)


def test_a_nan_loss_stops_training_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(siamese.SiameseNetwork, "forward",
                        lambda self, z, x, training=False: np.full((len(z), 17, 17), np.nan))
    with pytest.raises(FloatingPointError, match="epoch 1, step 1"):
        train_siamese(tmp_path, pairs=4, batch_size=4, channels=TINY, progress=False)
