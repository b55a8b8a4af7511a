"""``Sequential``: summary, training, evaluation, prediction, weights and their files, and what goes wrong."""

import copy
import io
import os
import re
import sys
import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn.errors import ShapeError
from minicnn.metrics import binary_accuracy, get_metric
from minicnn.models import document_network


def toy_data(n=64, seed=0):
    """Bright-centre vs dark-centre 8×8 images: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) > 0.5).astype(np.float32)
    x = rng.normal(0, 0.3, (n, 8, 8, 1)).astype(np.float32)
    x[:, 2:6, 2:6, 0] += np.where(y > 0, 1.0, -1.0)[:, None, None]
    return x, y[:, None]


def toy_model(seed=0):
    return mc.Sequential([
        mc.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
        mc.MaxPooling2D(2),
        mc.Flatten(),
        mc.Dense(8, activation="relu"),
        mc.Dropout(0.1),
        mc.Dense(1, activation="sigmoid"),
    ], seed=seed)


def test_summary_of_the_document_network():
    text = document_network().summary(print_fn=None)
    for expected in ["(None, 32, 32, 32)", "(None, 8, 8, 64)", "(None, 4096)", "1,048,832", "18,496",
                     "Total params: 1,067,905", "Trainable params: 1,067,905", "Non-trainable params: 0"]:
        assert expected in text, expected


def test_the_document_networks_seed_fixes_its_first_weights():
    """``document_network(seed=...)`` must hand its seed to the model: one seed gives the same weights every time,
    another seed other weights (a network that dropped the seed was random on every run; mutation round)."""
    def first_kernel(seed):
        model = document_network(input_shape=(8, 8, 1), seed=seed)
        model.build()
        return model.get_weights()[0]

    np.testing.assert_array_equal(first_kernel(0), first_kernel(0))
    assert not np.array_equal(first_kernel(0), first_kernel(1))


def test_fit_learns_and_reports_history():
    x, y = toy_data()
    model = toy_model()
    model.compile(optimizer=mc.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=16, validation_data=toy_data(32, seed=1), verbose=0, seed=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 8 and history.epoch == list(range(8))
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(*toy_data(32, seed=2))
    assert accuracy >= 0.9 and loss < 0.5


def test_same_seed_same_training():
    x, y = toy_data()
    losses = []
    for _ in range(2):
        model = toy_model(seed=3)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        losses.append(model.fit(x, y, epochs=2, verbose=0, seed=5).history["loss"])
    assert losses[0] == losses[1]
    model = toy_model(seed=4)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert model.fit(x, y, epochs=2, verbose=0, seed=5).history["loss"] != losses[0]


def test_a_seeded_model_stepped_through_layer_by_layer_has_the_seeded_weights():
    """Stepping through a model's layers by hand (as the backprop notebook does) builds each layer on its own; its
    weights are still the model seed's, the same as ``build`` or ``fit`` gives, and not new ones each run."""
    def weights(seed, first_run):
        model = toy_model(seed=seed)
        first_run(model)
        return [value for layer in model.layers for value in layer.params.values()]

    def layer_by_layer(model):
        a = np.zeros((2, 8, 8, 1), np.float32)
        for layer in model.layers:
            a = layer.forward(a)

    built, by_hand = weights(3, lambda model: model.build()), weights(3, layer_by_layer)
    assert len(built) == 6 and all(np.array_equal(a, b) for a, b in zip(built, by_hand))
    assert not np.array_equal(built[0], weights(4, layer_by_layer)[0])  # and the seed matters
    model = toy_model(seed=3)
    twin = model.astype(np.float64)
    twin.add(mc.Dense(2))
    model.add(mc.Dense(2))
    assert model.layers[-1].seed == twin.layers[-1].seed  # a twin's layers do not use up the model's seeds


def test_progress_bar_prints_once_per_epoch_and_verbose_0_is_silent(capsys):
    x, y = toy_data(32)
    model = toy_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "4/4 [" in out and "accuracy:" in out
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_augment_is_applied_to_training_batches():
    """Every training step gets the batch that ``augment`` returned (here mirrored), not the batch it was given."""
    x, y = toy_data(16)
    augmented, trained_on = [], []

    def augment(batch, rng):
        augmented.append(batch[:, :, ::-1])
        return augmented[-1]
    model = toy_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    train_step = model._train_step
    model._train_step = lambda x_batch, y_batch, where: trained_on.append(x_batch) or train_step(x_batch, y_batch,
                                                                                                   where)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, augment=augment)
    assert [batch.shape for batch in augmented] == [(8, 8, 8, 1), (8, 8, 8, 1)]
    assert len(trained_on) == 2 and all(np.array_equal(a, b) for a, b in zip(trained_on, augmented))


def test_augment_draws_from_a_generator_of_its_own_so_the_batches_keep_their_order():
    """augment drew from the generator that shuffles: an augmenter that drew (and changed nothing) reordered the
    batches from the second epoch on, so a seeded ablation with and without augmentation mixed the two effects.
    Its draws are still made from the seed: the same seed, the same draws."""
    x, y = toy_data(16)

    def order_of_batches(augment, seed=5):
        model = toy_model()
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        seen = []
        train_step = model._train_step
        model._train_step = lambda x_batch, y_batch, where: seen.append(x_batch[:, 0, 0, 0].tolist()) or train_step(
            x_batch, y_batch, where)
        model.fit(x, y, epochs=3, batch_size=4, seed=seed() if callable(seed) else seed, verbose=0, augment=augment)
        return seen

    draws = []

    def draws_and_keeps(batch, rng):
        draws.append(rng.random())
        return batch

    assert order_of_batches(None) == order_of_batches(draws_and_keeps)
    def keyed():  # a generator whose seed cannot spawn (found in review: NumPy's TypeError, then another order)
        return np.random.Generator(np.random.Philox(key=5))

    assert order_of_batches(None, keyed) == order_of_batches(draws_and_keeps, keyed)
    draws.clear()
    order_of_batches(draws_and_keeps)
    first = list(draws)
    draws.clear()
    order_of_batches(draws_and_keeps)
    assert draws == first and len(set(first)) == len(first)


def test_predict_in_batches_matches_one_batch():
    x, _ = toy_data(10)
    model = toy_model()
    assert np.allclose(model.predict(x, batch_size=3), model.predict(x, batch_size=10))
    assert model.predict(x).shape == (10, 1)


def test_validation_split_takes_the_last_samples():
    x, y = toy_data(40)
    model = toy_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert "val_loss" in history.history
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x[30:], y[30:]))


@pytest.mark.parametrize("samples, split, validated", [(10, 0.25, 3), (6, 0.05, 1), (40, 0.25, 10), (7, 0.5, 4)])
def test_validation_split_counts_the_validation_samples_as_keras_does(monkeypatch, samples, split, validated):
    """Keras trains on the first ``int(N·(1 − split))`` samples: 0.25 of 10 validates on 3 (rounding 2.5 to the
    nearest even number gave 2), 0.05 of 6 on 1 (it was refused as none)."""
    epochs, seen_in_validation = batches_seen_by_fit(monkeypatch, indexed_samples(samples), epochs=1,
                                                     validation_split=split, seed=0)
    assert sorted(epochs[0]) == list(range(samples - validated))
    assert sorted(int(i) for i in np.concatenate(seen_in_validation)) == list(range(samples - validated, samples))


def sigmoid_of_first_input(learning_rate=0.1):
    """``p = σ(x[:, 0])``: one Dense unit with weights [1, 0, 0] and bias 0, no dropout nor batch normalisation, so
    training and inference give the same outputs, and a model whose every loss can be worked out by hand."""
    model = mc.Sequential([mc.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer=mc.SGD(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    model.set_weights([np.array([[1.0], [0.0], [0.0]]), np.zeros(1)])
    return model


def ten_samples_the_last_two_wrong():
    """x[:, 0] = ±2 with labels that σ(x[:, 0]) gets right for samples 0-7 and wrong for samples 8 and 9: a right
    sample's loss is log(1 + e⁻²) ≈ 0.127, a wrong one's log(1 + e²) = log(1 + e⁻²) + 2. Over all ten the loss is
    log(1 + e⁻²) + 2·2/10 ≈ 0.527 and the accuracy 8/10."""
    first = np.array([2, 2, -2, -2, 2, 2, -2, -2, 2, -2], np.float32)
    x = np.stack([first, np.ones(10, np.float32), -np.ones(10, np.float32)], axis=1)
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0, 0, 1], np.float32)[:, None]
    return x, y, [np.log1p(np.exp(-2.0)) + 0.4, 0.8]


def test_epoch_loss_and_metrics_are_means_over_the_samples():
    """Batches of 4, 4 and 2: the epoch's loss and accuracy weight each batch's mean by its size, which is the mean
    over the ten samples. The mean of the three batch means would count the short last batch (the two wrong
    samples) double: loss (0.127 + 0.127 + 2.127)/3 ≈ 0.794, accuracy 2/3. With a learning rate of 1e-12 the
    weights do not move, so the epoch gives what ``evaluate`` gives before training."""
    x, y, by_hand = ten_samples_the_last_two_wrong()
    model = sigmoid_of_first_input(learning_rate=1e-12)
    before = model.evaluate(x, y)
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    assert before == pytest.approx(by_hand, rel=1e-6)
    assert [history["loss"][0], history["accuracy"][0]] == pytest.approx(before, rel=1e-6)


def test_evaluate_weights_a_short_last_batch_by_its_size():
    """In batches of 3, the last batch holds sample 9 alone; the result is still the mean over the ten samples,
    the same in any batch size, and the same as the loss and metric of ``predict``'s outputs."""
    x, y, by_hand = ten_samples_the_last_two_wrong()
    model = sigmoid_of_first_input()
    y_pred = model.predict(x)
    whole = model.evaluate(x, y, batch_size=10)
    assert whole == pytest.approx(by_hand, rel=1e-6)
    assert whole == pytest.approx([mc.BinaryCrossentropy()(y, y_pred), binary_accuracy(y, y_pred)], rel=1e-6)
    assert model.evaluate(x, y, batch_size=3) == pytest.approx(whole, rel=1e-6)
    assert model.evaluate(x, y, batch_size=4) == pytest.approx(whole, rel=1e-6)


def batches_seen_by_fit(monkeypatch, x, epochs=1, **fit_arguments):
    """Fit a compiled model with a spy in place of its training step; the samples of each epoch in the order
    ``fit`` gave them, read from ``x[:, 0]`` (which holds each sample's index), and the samples it validated on."""
    model = sigmoid_of_first_input()
    batches, validated = [], []
    evaluate = model.evaluate

    def train_step(x_batch, y_batch, where):
        batches.append(x_batch[:, 0])
        return {"loss": 0.0}

    def evaluate_and_record(x_val, y_val, **kwargs):
        validated.append(x_val[:, 0])
        return evaluate(x_val, y_val, **kwargs)

    monkeypatch.setattr(model, "_train_step", train_step)
    monkeypatch.setattr(model, "evaluate", evaluate_and_record)
    model.fit(x, np.zeros((len(x), 1)), batch_size=4, epochs=epochs, verbose=0, **fit_arguments)
    order = np.concatenate(batches).astype(int)
    return order.reshape(epochs, -1).tolist(), [v.astype(int).tolist() for v in validated]


def indexed_samples(n):
    """``n`` samples whose first feature is their index."""
    return np.stack([np.arange(n), np.zeros(n), np.zeros(n)], axis=1)


def test_shuffle_draws_a_new_order_every_epoch_from_the_seed(monkeypatch):
    """``shuffle=False`` keeps the samples in order; ``shuffle=True`` gives every epoch an order of its own, drawn
    from ``seed``: the same seed repeats the run, another seed gives another order."""
    x = indexed_samples(10)
    in_order = list(range(10))
    assert batches_seen_by_fit(monkeypatch, x, epochs=2, shuffle=False)[0] == [in_order, in_order]
    first, second = batches_seen_by_fit(monkeypatch, x, epochs=2, seed=0)[0]
    assert sorted(first) == sorted(second) == in_order            # every sample once per epoch
    assert first != in_order and second != in_order and first != second
    assert batches_seen_by_fit(monkeypatch, x, epochs=2, seed=0)[0] == [first, second]  # the same seed, the same
    assert batches_seen_by_fit(monkeypatch, x, epochs=2, seed=1)[0][0] != first         # another seed, another


def test_a_loop_of_fit_drawing_from_the_same_state_is_warned_of_and_one_generator_goes_on(recwarn):
    """The way to stop early, a loop of fit(epochs=1), given seed=0 (or a new np.random.default_rng(0)) at every call
    shuffled every epoch alike (found in review: README's and the callbacks refusal's advice). The second call that
    shuffles from the same state warns, once per model; one generator given to every call goes on, and calls that
    draw nothing (shuffle=False, epochs=0) or fail before training neither warn nor count (the review's false
    alarms)."""
    from minicnn.errors import ShapeError

    x, y = indexed_samples(12), np.zeros((12, 1))
    model = sigmoid_of_first_input()
    orders = []
    model._train_step = lambda x_batch, y_batch, where: orders.append(x_batch[:, 0].tolist()) or {"loss": 0.0}
    with pytest.raises(ShapeError):
        model.fit(x, np.zeros((12, 2)), verbose=0, seed=0)  # refused before training: draws nothing
    model.fit(x, y, batch_size=12, verbose=0, seed=0, shuffle=False)
    model.fit(x, y, batch_size=12, verbose=0, seed=0, epochs=0)
    model.fit(x, y, batch_size=12, verbose=0, seed=0)
    assert not [w for w in recwarn if "as this model's last fit did" in str(w.message)]
    with pytest.warns(UserWarning, match=r"^sequential.fit: seed=0 again: this call shuffles as this model's last fit "
                                         r"did, so a loop of fit\(epochs=1\) repeats one epoch's order. Make the "
                                         r"generator once, before the loop, rng = np.random.default_rng\(...\), and "
                                         r"give every fit seed=rng"):
        model.fit(x, y, batch_size=12, verbose=0, seed=0)
    assert orders[-1] == orders[-2]
    recwarn.clear()
    model.fit(x, y, batch_size=12, verbose=0, seed=0)  # once per model
    rng = np.random.default_rng(0)
    for _ in range(2):
        model.fit(x, y, batch_size=12, verbose=0, seed=rng)
    assert orders[-1] != orders[-2] and not [w for w in recwarn if "last fit did" in str(w.message)]
    other = sigmoid_of_first_input()
    other._train_step = model._train_step
    other.fit(x, y, batch_size=12, verbose=0, seed=np.random.default_rng(5), augment=lambda batch, rng: batch)
    with pytest.warns(UserWarning, match=r"^sequential.fit: a new generator made as the last one was: this call "
                                         r"shuffles and augments as"):
        other.fit(x, y, batch_size=12, verbose=0, seed=np.random.default_rng(5), augment=lambda batch, rng: batch)
    recwarn.clear()  # the review's false alarms: one sample draws no order; a copy has not been fitted
    single = sigmoid_of_first_input()
    single._train_step = model._train_step
    rng = np.random.default_rng(0)
    for _ in range(2):
        single.fit(x[:1], y[:1], verbose=0, seed=rng)
    fitted = sigmoid_of_first_input()
    fitted.fit(x, y, batch_size=12, verbose=0, seed=0)
    fitted.astype(np.float64).fit(x, y, batch_size=12, verbose=0, seed=0)
    assert not [w for w in recwarn if "last fit did" in str(w.message)]


def test_ctrl_c_inside_a_compiled_kernel_reaches_the_caller_as_keyboard_interrupt(monkeypatch):
    """Numba wraps a KeyboardInterrupt that arrives while a compiled kernel runs in SystemError ("CPUDispatcher(...)
    returned a result with an exception set"): 8 of 18 Ctrl-C during a student's fit escaped except
    KeyboardInterrupt (found in review). fit, evaluate, predict and train_on_batch raise it as itself; another
    SystemError stays one."""
    x, y = indexed_samples(8), np.zeros((8, 1))
    model = sigmoid_of_first_input()
    state = {"cause": KeyboardInterrupt()}

    def kernel_stopped(*args, **kwargs):
        try:
            raise state["cause"]
        except BaseException:
            raise SystemError("CPUDispatcher(<function _matmul>) returned a result with an exception set")

    monkeypatch.setattr(model, "_train_step", kernel_stopped)
    monkeypatch.setattr(model, "_predict_batch", kernel_stopped)
    monkeypatch.setattr(model.layers[0], "forward", kernel_stopped)  # stepping through by hand (the next review)
    monkeypatch.setattr(model.layers[0], "backward", kernel_stopped)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.train_on_batch(x, y),
                 lambda: model.evaluate(x, y), lambda: model.predict(x), lambda: model.forward(x)):
        with pytest.raises(KeyboardInterrupt):
            call()
    monkeypatch.delattr(model.layers[0], "forward")  # the layer's own forward, for backward to follow
    model.forward(x)
    with pytest.raises(KeyboardInterrupt):
        model.backward(np.ones((8, 1)))
    state["cause"] = ValueError("something else")
    with pytest.raises(SystemError, match="returned a result with an exception set"):
        model.predict(x)


def test_validation_split_keeps_the_validation_samples_out_of_training(monkeypatch):
    """``validation_split=0.25`` of 40 samples: the last 10 (before shuffling) are only validated on, the first 30
    only trained on."""
    epochs, validated = batches_seen_by_fit(monkeypatch, indexed_samples(40), epochs=2, validation_split=0.25, seed=0)
    for trained in epochs:
        assert sorted(trained) == list(range(30))
    assert validated == [list(range(30, 40))] * 2


def test_validation_data_overrides_validation_split(monkeypatch):
    """Given both, Keras validates on ``validation_data`` and trains on every sample (mutation round: the split cut
    the last quarter out of training and validated on it instead, and no test noticed)."""
    x_val = indexed_samples(3) + [100, 0, 0]
    epochs, validated = batches_seen_by_fit(monkeypatch, indexed_samples(8), validation_split=0.25,
                                            validation_data=(x_val, np.zeros((3, 1))), shuffle=False)
    assert sorted(epochs[0]) == list(range(8)) and validated == [[100, 101, 102]]


def test_the_bar_shows_the_running_mean_over_the_samples_seen(monkeypatch):
    """Mid-epoch the bar shows the loss summed over the samples seen divided by their number (mutation round: by
    the steps, a loss batch_size times too large, passed): every σ(0) = 0.5 gives ln 2 from the first step on."""
    shown = []

    class Watched(mc.model.ProgressBar):
        def update(self, done, **values):
            shown.append(values)
            return super().update(done, **values)

    monkeypatch.setattr(mc.model, "ProgressBar", Watched)
    history = sigmoid_of_first_input().fit(np.zeros((8, 3)), np.zeros(8), batch_size=4, epochs=1, verbose=0,
                                           shuffle=False)
    assert shown[0]["loss"] == pytest.approx(np.log(2), rel=1e-5)
    assert shown[-1]["loss"] == pytest.approx(history.history["loss"][0])


def test_a_loss_that_is_not_finite_stops_the_step_before_any_update():
    """A NaN loss from finite outputs (a loss of your own; MSE overflowing float32) stops the step before the
    update (mutation round: without the check it updated the weights and returned {"loss": nan})."""
    class Broken(mc.Loss):
        def value(self, y_true, y_pred):
            return float("nan")

        def grad(self, y_true, y_pred):
            return np.ones_like(y_pred) / y_pred.size

    model = sigmoid_of_first_input()
    model.compile(optimizer=mc.SGD(0.1), loss=Broken())
    before = model.get_weights()
    with pytest.raises(FloatingPointError, match="loss is nan"):
        model.train_on_batch(np.ones((2, 3)), np.zeros((2, 1)))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the overflow is the point
def test_fit_says_the_weights_hold_nan_where_one_weight_overflowed():
    """One overflowed kernel, its bias still finite, is a corrupted model: the divergence message says so
    (mutation round: it said the weights were as after the last good step unless every weight was NaN)."""
    model = mc.Sequential([mc.Dense(1, input_shape=(3,))])
    model.compile(optimizer=mc.SGD(1e38), loss="mse")
    model.set_weights([np.array([[1.0], [0.0], [0.0]]), np.zeros(1)])
    x = np.array([[50.0, 0, 0], [-50.0, 0, 0]], dtype=np.float32)  # ∂L/∂kernel = 2500, ∂L/∂bias = 0
    with pytest.raises(mc.TrainingDivergedError, match="the weights hold NaN/inf"):
        model.fit(x, np.zeros(2), batch_size=2, epochs=1, verbose=0, shuffle=False)
    kernel, bias = model.get_weights()
    assert not np.all(np.isfinite(kernel)) and np.all(np.isfinite(bias))


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_more_labels_than_samples_are_refused(method):
    """y with more rows than x (the labels of the whole set beside a slice of x) is refused, not each sample given
    the label of the row at its position (mutation round: only fewer labels were refused)."""
    with pytest.raises(ShapeError, match="x and y must hold the same number of samples, got 4 and 6"):
        getattr(sigmoid_of_first_input(), method)(indexed_samples(4), np.zeros(6), verbose=0)


def test_step_by_step_forward_backward_matches_fit_step():
    x, y = toy_data(8)
    a, b = toy_model(seed=1), toy_model(seed=1)
    for model in (a, b):
        model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
    a.train_on_batch(x, y)
    loss = mc.BinaryCrossentropy()
    y_pred = b.forward(x, training=True)
    b.backward(loss.gradient(y, y_pred))
    for param, grad in b.trainable_pairs():
        param -= 0.1 * grad
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert np.array_equal(wa, wb)


def _recording_input_gradient_flags(monkeypatch):
    """Spy on the active backend's conv2d_backward and dense_backward: the ``input_gradient`` of every call."""
    kernels, flags = mc.backend.kernels(), []
    for name in ("conv2d_backward", "dense_backward"):
        def spy(*args, _original=getattr(kernels, name), _name=name, input_gradient=True):
            flags.append((_name, input_gradient))
            return _original(*args, input_gradient=input_gradient)
        monkeypatch.setattr(kernels, name, spy)
    return flags


def test_training_backward_stops_at_the_lowest_layer_with_weights(monkeypatch):
    x, y = toy_data(8)
    model = mc.Sequential([mc.AveragePooling2D(1, input_shape=(8, 8, 1)), *toy_model(seed=2).layers])
    model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
    loss = mc.BinaryCrossentropy()
    grad_out = loss.gradient(y, model.forward(x, training=False))
    grad_x = model.backward(grad_out)
    assert grad_x.shape == x.shape
    full = [grad.copy() for _, grad in model.trainable_pairs()]

    below = model.layers[0]
    monkeypatch.setattr(below, "backward", lambda grad: pytest.fail("a layer below every weight was backpropagated"))
    flags = _recording_input_gradient_flags(monkeypatch)
    assert model.backward(grad_out, input_gradient=False) is None
    assert flags == [("dense_backward", True), ("dense_backward", True), ("conv2d_backward", False)]
    for (_, grad), expected in zip(model.trainable_pairs(), full):
        assert np.array_equal(grad, expected)


def test_a_training_step_skips_only_the_first_layers_input_gradient(monkeypatch):
    x, y = toy_data(8, seed=3)
    for layers in (toy_model(seed=3).layers, [mc.Flatten(input_shape=(8, 8, 1)), mc.Dense(4, activation="relu"),
                                             mc.Dense(1, activation="sigmoid")]):
        model = mc.Sequential(layers)
        model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
        flags = _recording_input_gradient_flags(monkeypatch)
        model.train_on_batch(x, y)
        assert [flag for _, flag in flags] == [True] * (len(flags) - 1) + [False], flags
        monkeypatch.undo()


def test_backward_of_a_model_without_weights_returns_the_input_gradient_or_none():
    model = mc.Sequential([mc.MaxPooling2D(2, input_shape=(4, 4, 1)), mc.Flatten()])
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    grad_out = np.ones((1, 4), np.float32)
    model.forward(x)
    assert model.backward(grad_out).sum() == 4
    assert model.backward(grad_out, input_gradient=False) is None


def test_weights_round_trip_through_a_file(tmp_path):
    x, y = toy_data(16)
    model = toy_model(seed=1)
    model.add(mc.BatchNormalization())
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    twin = toy_model(seed=2)
    twin.add(mc.BatchNormalization())
    twin.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), twin.get_weights()))
    assert np.array_equal(model.predict(x), twin.predict(x))
    with np.load(path, allow_pickle=False) as data:  # plain arrays only
        assert "000.kernel" in data.files


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    model = toy_model(seed=1)
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        toy_model(seed=2).save_weights(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["weights.npz"]  # no temporary left behind


def test_load_weights_from_another_architecture(tmp_path):
    path = tmp_path / "w.npz"
    toy_model().save_weights(path)
    other = mc.Sequential([mc.Dense(3, input_shape=(5,))])
    with pytest.raises(mc.WeightFileError, match="holds weights for the layers"):
        other.load_weights(path)
    wider = mc.Sequential([mc.Conv2D(6, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
                           mc.MaxPooling2D(2), mc.Flatten(), mc.Dense(8, activation="relu"), mc.Dropout(0.1),
                           mc.Dense(1, activation="sigmoid")])
    with pytest.raises(mc.WeightFileError, match=r"kernel: file \(3, 3, 1, 4\), model \(3, 3, 1, 6\)"):
        wider.load_weights(path)
    # pooling layers hold no weights, so only the layers' names tell a MaxPooling2D file from an AveragePooling2D
    # model; a check of the layer count alone loaded it (mutation round)
    averaging = mc.Sequential([mc.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
                               mc.AveragePooling2D(2), mc.Flatten(), mc.Dense(8, activation="relu"),
                               mc.Dropout(0.1), mc.Dense(1, activation="sigmoid")])
    with pytest.raises(mc.WeightFileError, match=r"holds weights for the layers \['Conv2D', 'MaxPooling2D', "
                                                 r".*but this model has \['Conv2D', 'AveragePooling2D', "):
        averaging.load_weights(path)
    # widths swapped: each kernel has as many values as the model's, in another shape; every weight that does not
    # fit is named, as the file's fault (a check by size named only the biases, then set_weights refused the
    # first kernel as a ShapeError; mutation round)
    mc.Sequential([mc.Dense(3, input_shape=(5,)), mc.Dense(5)], seed=0).save_weights(tmp_path / "widths.npz")
    swapped = mc.Sequential([mc.Dense(5, input_shape=(3,)), mc.Dense(3)], seed=0)
    with pytest.raises(mc.WeightFileError, match=r"does not fit this model's shapes: Dense 'dense(_\d+)?' kernel: "
                                                 r"file \(5, 3\), model \(3, 5\); Dense 'dense(_\d+)?' bias: "
                                                 r"file \(3,\), model \(5,\); Dense 'dense(_\d+)?' kernel: "):
        swapped.load_weights(tmp_path / "widths.npz")
    # an .npz of someone else's arrays (no __format__) is no minicnn file at all, not an incomplete one
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(mc.WeightFileError, match=r"'.*other\.npz' is not a minicnn weight file \(expected format "
                                                 r"'minicnn-weights-1'\)$"):
        toy_model().load_weights(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(mc.WeightFileError, match=r"'.*junk.npz' is not an .npz weight file \(an .npz is a zip archive "
                                                 r"of arrays; this file is not one, or is cut short\)"):
        toy_model().load_weights(tmp_path / "junk.npz")
    (tmp_path / "broken.npz").write_bytes(path.read_bytes()[:200])  # cut short
    with pytest.raises(mc.WeightFileError, match="or is cut short"):
        toy_model().load_weights(tmp_path / "broken.npz")
    # NumPy's own message for these suggested loading them "unsafely" (allow_pickle=True runs any code in them)
    np.savez(tmp_path / "objects.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(mc.WeightFileError, match=r"holds Python objects, which minicnn never loads") as error:
        toy_model().load_weights(tmp_path / "objects.npz")
    assert "allow_pickle" not in str(error.value)


def test_a_file_with_a_weight_the_model_has_no_place_for_is_refused(tmp_path):
    """A file saved with biases, loaded into the same layers made with ``use_bias=False``, holds a weight the model
    has no place for: it is refused, not loaded in part with the bias dropped (a check that only asked whether the
    model's weights were all in the file loaded it; mutation round)."""
    path = tmp_path / "w.npz"
    mc.Sequential([mc.Dense(3, input_shape=(5,))], seed=0).save_weights(path)
    without_bias = mc.Sequential([mc.Dense(3, use_bias=False, input_shape=(5,))], seed=1)
    before = without_bias.get_weights()
    with pytest.raises(mc.WeightFileError, match=r"has weights \['000\.bias', '000\.kernel'\], expected "
                                                 r"\['000\.kernel'\]$"):
        without_bias.load_weights(path)
    np.testing.assert_array_equal(without_bias.get_weights()[0], before[0])


def test_set_weights_checks_shapes():
    model = toy_model()
    weights = model.get_weights()
    weights[0] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"kernel: expected shape \(3, 3, 1, 4\), got \(2, 2\)"):
        model.set_weights(weights)
    with pytest.raises(ValueError, match="expected 6 arrays"):
        model.set_weights(weights[:2])


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_nan_loss_stops_training_and_says_where():
    x, y = toy_data(32)
    model = toy_model()
    model.compile(optimizer=mc.SGD(1e30), loss="mse")
    with pytest.raises(mc.TrainingDivergedError, match=r"at epoch \d+, batch \d+") as error:
        model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert error.value.epoch >= 1 and error.value.batch >= 1


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_an_update_that_overflows_the_weights_stops_that_step_and_save_weights_keeps_the_last_file(backend_name,
                                                                                                   tmp_path):
    """A finite gradient times a learning rate too large for float32 overflowed the weights without a word: on the
    last step fit returned normally, and save_weights replaced a good checkpoint with one that load_weights
    refuses. (1e300, not 1e39: NumPy 1.x multiplies a float32 gradient by 1e39 in float64, and the step fits.)"""
    x, y = toy_data(16)
    with mc.use_backend(backend_name), np.errstate(over="ignore", invalid="ignore"):
        model = toy_model()
        model.compile(optimizer=mc.SGD(1e300), loss="binary_crossentropy")
        model.save_weights(tmp_path / "good.npz")
        saved = (tmp_path / "good.npz").read_bytes()
        with pytest.raises(mc.TrainingDivergedError, match=r"^training stopped: the update made Conv2D 'conv2d(_\d+)?' "
                                                           r"kernel NaN or infinite \(SGD's step from a finite "
                                                           r"gradient, at learning rate 1e\+300, overflowed float32\) "
                                                           r"at epoch 1, batch 1 .*; the weights hold NaN/inf \(a step "
                                                           r"made them so\): load the last weights saved\."):
            model.fit(x, y, epochs=1, batch_size=16, verbose=0)
        with pytest.raises(mc.NonFiniteError, match=r"^sequential(_\d+)?\.save_weights: Conv2D 'conv2d(_\d+)?' kernel "
                                                    r"contains NaN or infinity \(a training that diverged\?\); "
                                                    r"nothing was written, and a file already at .* keeps the weights"):
            model.save_weights(tmp_path / "good.npz")
        assert (tmp_path / "good.npz").read_bytes() == saved and sorted(tmp_path.iterdir()) == [tmp_path / "good.npz"]
        model.load_weights(tmp_path / "good.npz")  # the way back
        with pytest.raises(mc.NonFiniteError, match=r"^the update made Conv2D 'conv2d(_\d+)?' kernel NaN or infinite"):
            model.train_on_batch(x, y)


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_a_gradient_that_is_not_finite_is_refused_before_the_update(backend_name):
    """A product that overflowed in backward went into the weights, and was seen only a step later ("the weights
    already hold NaN/inf from the previous step"), every weight NaN by then."""
    class Overflowing(mc.Layer):  # a layer of one's own whose backward overflows
        def build(self, input_shape):
            self.params["scale"] = np.ones(1, self.dtype)
            self.grads["scale"] = np.zeros(1, self.dtype)
            super().build(input_shape)

        def forward(self, x, training=False):
            return self._prepare_input(x) * self.params["scale"]

        def backward(self, grad_out):
            self.grads["scale"][...] = np.float32(3e38) * 10
            return grad_out * self.params["scale"]

    x, y = toy_data(16)
    with mc.use_backend(backend_name), np.errstate(over="ignore"):
        model = mc.Sequential([mc.Input(shape=x.shape[1:]), Overflowing(), mc.Flatten(),
                               mc.Dense(1, activation="sigmoid")], seed=0)
        model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
        before = model.get_weights()
        with pytest.raises(mc.TrainingDivergedError, match=r"^training stopped: the gradient of Overflowing "
                                                           r"'overflowing(_\d+)?' scale contains NaN or infinity "
                                                           r"\(first at index \(0,\), value inf\): a product "
                                                           r"overflowed in backward; nothing was updated at epoch 1, "
                                                           r"batch 1 .*; the weights are left as they were after the "
                                                           r"last good step\."):
            model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for weight, old in zip(model.get_weights(), before):
        np.testing.assert_array_equal(weight, old)


def test_ctrl_c_during_fit_keeps_the_epochs_done_in_model_history(monkeypatch):
    """A long run stopped with Ctrl-C lost its learning curve: fit's History was returned only at the end. As in
    Keras, ``model.history`` holds it from the start of fit, so the epochs done are kept; in a terminal the bar's
    unfinished line is ended, so the traceback does not start on it."""
    import minicnn.progress

    monkeypatch.setattr(minicnn.progress, "_interactive", lambda stream: True)
    screen = io.StringIO()
    monkeypatch.setattr(sys, "stdout", screen)
    x, y = toy_data(16)
    model = toy_model()
    model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
    calls = []

    def stopped_in_the_third_epoch(batch, rng):
        calls.append(1)
        if len(calls) == 2 * 2 + 2:  # two batches an epoch: the third epoch's second
            raise KeyboardInterrupt
        return batch

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=10, batch_size=8, augment=stopped_in_the_third_epoch)
    assert model.history.epoch == [0, 1] and len(model.history.history["loss"]) == 2
    assert screen.getvalue().split("Epoch 3/10\n")[1].startswith("\r1/2 [")
    assert screen.getvalue().endswith("\n")
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model.history is history and history.epoch == [0]


def test_fit_refuses_weights_that_are_not_finite_before_training():
    """NaN written into ``layer.params`` (``set_weights`` refuses it), or left by a training that diverged, is named
    before the first step, and nothing changes; the divergence message blamed "the previous step" of a fit that
    had taken none."""
    x, y = toy_data(16)
    for layer_index, key, index, value, named in [(0, "kernel", (1, 2, 0, 3), np.nan, r"Conv2D 'conv2d(_\d+)?' kernel"),
                                                  (-1, "bias", (0,), np.inf, r"Dense 'dense(_\d+)?' bias")]:
        model = toy_model()
        model.compile(optimizer=mc.SGD(0.1), loss="mse")
        model.build()
        model.layers[layer_index].params[key][index] = value
        before = model.get_weights()
        with pytest.raises(mc.NonFiniteError, match=rf"^sequential\.fit: {named} contains NaN or infinity \(first at "
                                                    rf"index \({', '.join(map(str, index))},?\), value {value}\) "
                                                    r"before training; no step can repair it"):
            model.fit(x, y, verbose=0)
        assert model.optimizer.iterations == 0
        for weight, old in zip(model.get_weights(), before):
            np.testing.assert_array_equal(weight, old)


def test_data_beyond_the_models_dtype_is_named_before_the_cast_makes_it_infinite():
    """float64 data of 1e39 is finite, so it passed the NaN check, then became inf in the float32 model, where the
    first layer (or, in fit, a divergence message suggesting a smaller learning rate) blamed an 'input'."""
    x, y = toy_data(8)
    x = x.astype(np.float64)
    x[3, 2, 1, 0] = -1e39
    model = toy_model()
    model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
    for call, where in [(lambda: model.fit(x, y, verbose=0), "fit"), (lambda: model.predict(x), "predict"),
                        (lambda: model.evaluate(x, y), "evaluate")]:
        with pytest.raises(ValueError, match=rf"^sequential(_\d+)?\.{where}: x holds -1e\+39 at index \(3, 2, 1, 0\), "
                                             r"beyond float32 \(the model's dtype\), which holds numbers up to "
                                             r"3\.4e\+38$"):
            call()
    assert model.astype(np.float64).predict(x).shape == (8, 1)  # a float64 model takes it


def test_bad_inputs_name_what_is_wrong():
    model = toy_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = toy_data(8)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 8, 8, 1\), got \(8, 8, 8\)"):
        model.predict(x[..., 0])
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 8, 8, 1\) \(its input_shape\), got "
                                         r"\(8, 8, 8, 3\)"):
        model.predict(np.repeat(x, 3, axis=-1))
    bad = x.copy()
    bad[2, 1, 1, 0] = np.nan
    with pytest.raises(mc.NonFiniteError, match=r"x contains NaN.*\(2, 1, 1, 0\)"):
        model.fit(bad, y, verbose=0)
    with pytest.raises(ValueError, match="same number of samples, got 8 and 7"):
        model.fit(x, y[:7], verbose=0)
    with pytest.raises(ValueError, match=r"y_true of shape \(8, 1\).*got \(8, 2\)"):
        model.fit(x, np.zeros((8, 2)), verbose=0)
    with pytest.raises(ValueError, match=r"^Dense 'dense(_\d+)?': unknown activation 'relux'"):
        mc.Dense(3, activation="relux")
    with pytest.raises(RuntimeError, match="call compile"):
        toy_model().fit(x, y)


def test_load_weights_refuses_a_file_saved_for_another_input_shape_where_a_flatten_lays_the_weights_out(tmp_path):
    """Weights saved for 26×34 images loaded into a model for 34×26 (the same count after Flatten): every prediction
    meaningless, no word (found in review: PIL's image.size is (width, height)). A fully convolutional model takes
    weights saved for another image size."""
    def flattening(shape, seed=0):
        return mc.Sequential([mc.Conv2D(2, 3, input_shape=shape), mc.Flatten(), mc.Dense(1, activation="sigmoid")],
                             seed=seed)

    path = tmp_path / "landscape.npz"
    landscape = flattening((26, 34, 3))
    landscape.build()
    landscape.save_weights(path)
    portrait = flattening((34, 26, 3), seed=1)
    with pytest.raises(mc.WeightFileError, match=r"was saved from a model for inputs of shape \(26, 34, 3\), and "
                                                 r"this model takes \(34, 26, 3\) \(height and width swapped\? "
                                                 r"PIL's image.size is \(width, height\).*its weights fit, but after "
                                                 r"Flatten each input comes in another place.*build the model for "
                                                 r"inputs of shape \(26, 34, 3\)$"):
        portrait.load_weights(path)
    assert not np.array_equal(portrait.layers[-1].params["kernel"], landscape.layers[-1].params["kernel"])
    flattening((26, 34, 3)).load_weights(path)  # the same shape: taken
    rgb, grey = flattening((28, 28, 3)), flattening((28, 28, 1))  # the next review: channels are the kernels' to name
    rgb.build()
    rgb.save_weights(path)
    with pytest.raises(mc.WeightFileError, match=r"does not fit this model's shapes: Conv2D 'conv2d(_\d+)?' kernel: "
                                                 r"file \(3, 3, 3, 2\), model \(3, 3, 1, 2\)"):
        grey.load_weights(path)
    extractor = mc.Sequential([mc.Conv2D(2, 3, input_shape=(28, 28, 3)), mc.Flatten()], seed=0)
    extractor.build()
    extractor.save_weights(path)
    mc.Sequential([mc.Conv2D(2, 3, input_shape=(40, 40, 3)), mc.Flatten()]).load_weights(path)  # no Dense after
    convolutional = mc.Sequential([mc.Conv2D(2, 3, input_shape=(26, 34, 3)), mc.Conv2D(1, 1)], seed=0)
    convolutional.build()
    convolutional.save_weights(path)
    mc.Sequential([mc.Conv2D(2, 3, input_shape=(40, 40, 3)), mc.Conv2D(1, 1)]).load_weights(path)


def test_set_and_load_weights_apply_nothing_when_one_array_is_wrong(tmp_path):
    """Every array is checked and converted before the first is set: a value that is not a number leaves every
    weight as it was. A load that fails leaves a model without input_shape unbuilt, free to be built for other
    data (it used to stay built for the file's input shape)."""
    model = toy_model()
    weights = model.get_weights()
    bad = [w.copy() for w in weights]
    bad[-2] = np.full(bad[-2].shape, "x")
    with pytest.raises(TypeError, match=r"set_weights: Dense 'dense(_\d+)?' kernel: expected numbers, got <U1"):
        model.set_weights(bad)
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)
    path = tmp_path / "w.npz"
    model.save_weights(path)
    unbuilt = mc.Sequential([mc.Conv2D(4, 3, padding="same", activation="relu"), mc.MaxPooling2D(2), mc.Flatten(),
                             mc.Dense(5), mc.Dropout(0.1), mc.Dense(1, activation="sigmoid")])
    with pytest.raises(mc.WeightFileError, match=r"does not fit this model's shapes: Dense 'dense(_\d+)?' kernel"):
        unbuilt.load_weights(path)
    assert not unbuilt.built
    unbuilt.predict(np.zeros((2, 6, 6, 3), np.float32))  # built for its own data
    fits = mc.Sequential([mc.Conv2D(4, 3, padding="same", activation="relu"), mc.MaxPooling2D(2), mc.Flatten(),
                          mc.Dense(8, activation="relu"), mc.Dropout(0.1), mc.Dense(1, activation="sigmoid")])
    fits.load_weights(path)
    for expected, loaded in zip(weights, fits.get_weights()):
        np.testing.assert_array_equal(expected, loaded)
    from minicnn.weight_files import WEIGHTS_FORMAT

    np.savez(tmp_path / "partial.npz", __format__=np.array(WEIGHTS_FORMAT))
    with pytest.raises(mc.WeightFileError, match=r"incomplete minicnn weight file \(no __layers__, __input_shape__\)"):
        fits.load_weights(tmp_path / "partial.npz")


@pytest.mark.parametrize("written, expected", [
    ("minicnn-weights-0", r"was written in another minicnn weight format, 'minicnn-weights-0'; this version reads "
                          r"'minicnn-weights-1'"),
    ("minicnn-siamese-1", r"is a minicnn-siamese-1 file \(the Siamese tracker's network: "
                          r"minicnn\.track\.trackers\.siamese reads it\), not a model's weights"),
])
def test_a_weight_file_of_another_format_says_which(tmp_path, written, expected):
    """A file of another format version, or the Siamese tracker's network file, was called "not a minicnn weight
    file"."""
    model = mc.Sequential([mc.Dense(2, input_shape=(3,))])
    model.build()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    np.savez(path, **{**dict(np.load(path)), "__format__": np.array(written)})
    with pytest.raises(mc.WeightFileError, match=r"load_weights: '.*w\.npz' " + expected):
        model.load_weights(path)


@pytest.mark.parametrize("key, value, expected", [
    ("__layers__", np.array("Dense"), "__layers__ must list the layers' class names, got array('Dense', dtype='<U5')"),
    ("__layers__", np.array([1.5]), "__layers__ must list the layers' class names, got array([1.5])"),
    ("__input_shape__", np.array(3), "__input_shape__ must be -1 (the batch axis) then one sample's sizes ≥ 1, got "
                                     "array(3)"),
    ("__input_shape__", np.array(["a", "b"]), "sizes ≥ 1, got array(['a', 'b'], dtype='<U1')"),
    ("__input_shape__", np.array([-1, 0]), "sizes ≥ 1, got array([-1,  0])"),
    # a sample shape written without its batch axis: it was read as a sample of shape (3,) (mutation round)
    ("__input_shape__", np.array([3, 3]), "__input_shape__ must be -1 (the batch axis) then one sample's sizes ≥ 1, "
                                          "got array([3, 3])"),
], ids=["layers-a-string", "layers-numbers", "shape-a-number", "shape-strings", "shape-zero", "shape-no-batch-axis"])
def test_a_weight_file_with_a_damaged_header_is_refused_by_name(tmp_path, key, value, expected):
    """A file whose __layers__ or __input_shape__ was damaged failed in NumPy's words ("iteration over a 0-d array",
    "invalid literal for int()"), or was built for a sample of shape () and blamed on build."""
    model = mc.Sequential([mc.Dense(2, input_shape=(3,))])
    model.build()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    stored = dict(np.load(path))
    np.savez(path, **{**stored, key: value})
    unbuilt = mc.Sequential([mc.Dense(2)])
    with pytest.raises(mc.WeightFileError, match=r": a damaged minicnn weight file: .*" + re.escape(expected)):
        unbuilt.load_weights(path)
    assert not unbuilt.built


def test_data_and_batch_sizes_that_leave_nothing_to_compute_are_refused():
    model = toy_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x, y = toy_data(6)
    for call, message in [
            (lambda: model.predict(x, batch_size=-1), r"predict: batch_size must be a positive int, got -1"),
            (lambda: model.evaluate(x, y, batch_size=2.5), r"evaluate: batch_size must be a positive int, got 2.5"),
            (lambda: model.fit(x, y, validation_split=0.95, verbose=0),
             r"validation_split=0.95 of 6 samples leaves no training samples"),
            (lambda: model.fit(x, y, validation_split=1e-20, verbose=0),
             r"validation_split=1e-20 of 6 samples leaves no validation samples"),
            (lambda: model.fit(x, y, validation_split="0.2", verbose=0),
             r"validation_split must be a number in \[0, 1\), got '0.2'"),
            (lambda: model.fit(x[:0], y[:0], verbose=0), r"fit: x holds no samples \(shape \(0, 8, 8, 1\)\)"),
            (lambda: model.predict(x[:0]), r"predict: x holds no samples"),
            (lambda: model.evaluate(x, None), r"evaluate: y \(the labels\) is required, got None")]:
        with pytest.raises(ValueError, match=message):
            call()


def test_batch_size_none_is_kerass_32_in_fit_evaluate_and_predict():
    """Keras' default argument batch_size=None (32 there) was refused: "must be a positive int, got None"."""
    model = toy_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x, y = toy_data(40)
    model.fit(x, y, batch_size=None, verbose=0, shuffle=False)
    with_none = model.evaluate(x, y, batch_size=None), model.predict(x, batch_size=None)
    model.fit(x, y, batch_size=32, verbose=0, shuffle=False)
    twin = toy_model()
    twin.compile(optimizer="sgd", loss="binary_crossentropy")
    twin.fit(x, y, batch_size=32, verbose=0, shuffle=False)
    twin.fit(x, y, batch_size=32, verbose=0, shuffle=False)
    assert np.array_equal(model.predict(x), twin.predict(x))  # two epochs of batches of 32 on both
    assert with_none[1].shape == (40, 1) and np.isfinite(with_none[0])


def test_evaluate_and_predict_warn_of_data_scaled_otherwise_than_fits(recwarn):
    """Trained on x / 255, then evaluated on the 8-bit test images: a loss of 7 and chance accuracy, no word (found in
    review). Data within 100 times the training data's range, and a model never fitted here, are not warned of;
    fit's validation data is, once, before training, in fit's words (it was named evaluate, after an epoch)."""
    model = toy_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x, y = toy_data(8)
    images = np.round(np.abs(x) / np.abs(x).max() * 255).astype(np.uint8)
    fresh = toy_model()
    fresh.predict(images)  # never fitted: no scale to compare with
    model.fit(images / 255, y, verbose=0)
    model.predict(images / 255 * 3)
    assert not [w for w in recwarn if "trained on values within" in str(w.message)]
    for call, where in ((lambda: model.evaluate(images, y), "evaluate"), (lambda: model.predict(images), "predict")):
        with pytest.warns(UserWarning, match=rf"^sequential.{where}: x reaches 255, and this model is trained on "
                                             r"values within ±1 \(fit's x\): scale x as the training data was "
                                             r"\(x / 255 for 8-bit images\)"):
            call()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(images / 255, y, validation_data=(images, y), epochs=2, verbose=0)
    said = [str(w.message) for w in caught if "reaches 255" in str(w.message)]
    assert len(said) == 1 and said[0].startswith("sequential.fit: validation_data's x reaches 255, and this model is "
                                                 "trained on values within ±1"), said  # before training, once


def test_layers_compute_in_float32_or_float64_and_check_their_input_shape():
    """float16 and longdouble have no kernels on numba or cuda (they failed there with no layer named), and an
    integer twin truncated every weight to 0: each is refused where it is asked for."""
    for dtype in (np.float16, np.longdouble, np.int32, bool):
        if np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.float64)):
            continue  # longdouble is float64 on some platforms
        with pytest.raises(TypeError, match=r"Dense 'dense(_\d+)?': dtype must be float32 or float64, got"):
            mc.Dense(2, dtype=dtype)
        with pytest.raises(TypeError, match=r"\.astype: dtype must be float32 or float64, got"):
            toy_model().astype(dtype)
    for input_shape, message in [((5, 5), r"Conv2D 'conv2d(_\d+)?': input_shape must give 3 sizes"),
                                 ((-3, 5, 1), r"input_shape must be a tuple of positive ints .* got \(-3, 5, 1\)"),
                                 ((5.7, 5, 1), r"input_shape must be a tuple of positive ints"),
                                 # a size of 0 is refused when the layer is made, not at build (mutation round)
                                 ((8, 0, 1), r"input_shape must be a tuple of positive ints .* got \(8, 0, 1\)"),
                                 (5, r"input_shape must be a tuple of positive ints .* got 5")]:
        with pytest.raises(ValueError, match=message):
            mc.Conv2D(2, 3, input_shape=input_shape)


def test_hyperparameters_are_finite_numbers_of_any_real_type_and_flags_are_booleans():
    """NaN and infinity passed every range check (a NaN learning rate then read as a diverged training), while
    NumPy scalars in range were refused; ``bool("no")`` silently turned use_bias="no" into True."""
    for call, message in [(lambda: mc.SGD(np.nan), r"SGD: learning_rate must be a positive number, got nan"),
                          (lambda: mc.Adam(epsilon=np.inf), r"Adam: epsilon must be a positive number, got inf"),
                          (lambda: mc.BatchNormalization(epsilon=np.nan), r"epsilon must be a positive number"),
                          (lambda: mc.SGD(0.1, momentum=True),
                           r"SGD: momentum must be a number in \[0, 1\), got True"),
                          # a weight of the old average above 1 (mutation round: [0, 100] passed every test)
                          (lambda: mc.BatchNormalization(momentum=1.5),
                           r"BatchNormalization 'batch_normalization(_\d+)?': momentum must be a number in "
                           r"\[0, 1\], got 1\.5")]:
        with pytest.raises(ValueError, match=message):
            call()
    assert mc.Dropout(np.float32(0.5)).rate == 0.5 and mc.SGD(np.float64(0.1)).learning_rate == 0.1
    assert mc.BatchNormalization(momentum=np.float32(0.5)).momentum == 0.5
    for call, message in [(lambda: mc.Dense(2, use_bias="no"), r"Dense 'dense(_\d+)?': use_bias must be True or "
                                                                r"False, got 'no'"),
                          (lambda: mc.Conv2D(2, 3, use_bias=0), r"use_bias must be True or False, got 0"),
                          (lambda: mc.BinaryCrossentropy(from_logits="no"), r"BinaryCrossentropy: from_logits must"),
                          (lambda: mc.SGD(0.1, nesterov="yes"), r"SGD: nesterov must be True or False, got 'yes'")]:
        with pytest.raises(TypeError, match=message):
            call()
    assert mc.Dense(2, use_bias=np.bool_(False)).use_bias is False


def test_model_arguments_that_used_to_fail_deep_inside_name_what_is_wrong():
    with pytest.raises(TypeError, match=r"sequential: layers must be a list of layers, got Dense"):
        mc.Sequential(mc.Dense(2))
    model = toy_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics="accuracy")  # one name: a list of one
    x, y = toy_data(8)
    assert set(model.fit(x, y, epochs=1, verbose=0).history) == {"loss", "accuracy"}
    for augment in (lambda batch, rng: None, lambda batch, rng: batch[:, :4]):
        with pytest.raises(ValueError, match=r"fit: augment must return a batch of the shape it was given, "
                                             r"\(8, 8, 8, 1\), got"):
            model.fit(x, y, batch_size=8, verbose=0, augment=augment)
    fresh = toy_model()
    with pytest.raises(RuntimeError, match=r"sequential.backward: call forward first"):
        fresh.backward(np.zeros((8, 1), np.float32))
    fresh.forward(x)
    with pytest.raises(ValueError, match=r"backward: expected grad_out of the shape of the last forward's output "
                                         r"\(8, 1\), got \(7, 1\)"):
        fresh.backward(np.zeros((7, 1), np.float32))


def test_data_of_another_size_is_blamed_on_x():
    """A declared ``input_shape`` is checked whole, as Keras does: a 9×9 image for an 8×8 model went
    through unnoticed (the pooling rounds 9 down as it does 8), and a 10×10 one was blamed on Flatten. A model
    built from its first data is told the cause when a later layer refuses; one without Flatten takes any size."""
    model = toy_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x, y = toy_data(4)
    for size in (9, 10):
        other = np.zeros((4, size, size, 1), np.float32)
        message = re.escape(f"Conv2D '{model.layers[0].name}': expected input of shape (N, 8, 8, 1) (its input_shape), "
                            f"got (4, {size}, {size}, 1)")
        for call in (lambda: model.predict(other), lambda: model.evaluate(other, y), lambda: model.forward(other),
                     lambda: model.fit(other, y, verbose=0), lambda: model.train_on_batch(other, y),
                     lambda: model.fit(x, y, validation_data=(other, y), verbose=0)):
            with pytest.raises(ShapeError, match=message):
                call()
    undeclared = mc.Sequential([mc.Conv2D(2, 3), mc.MaxPooling2D(2), mc.Flatten(), mc.Dense(1)], seed=0)
    undeclared.predict(x)
    with pytest.raises(ShapeError, match=re.escape(
            f"expected input of shape (N, 3, 3, 2), got (4, 4, 4, 2); the layers after Flatten were built for that "
            f"size. The cause is x: {undeclared.name} was built for samples of shape (8, 8, 1), and x holds samples of "
            f"shape (10, 10, 1)")):
        undeclared.predict(np.zeros((4, 10, 10, 1), np.float32))
    fully_convolutional = mc.Sequential([mc.Conv2D(2, 3), mc.MaxPooling2D(2)], seed=0)
    assert fully_convolutional.predict(x).shape == (4, 3, 3, 2)
    assert fully_convolutional.predict(np.zeros((1, 12, 10, 1), np.float32)).shape == (1, 5, 4, 2)


# ------------------------------------------------------------------ bad input from a student, refused and harmless

def undeclared_model(seed=0):
    """``toy_model`` without an input_shape: the model builds itself for the first data it sees."""
    return mc.Sequential([mc.Conv2D(4, 3, activation="relu"), mc.MaxPooling2D(2), mc.Flatten(),
                          mc.Dense(1, activation="sigmoid")], seed=seed)


@pytest.mark.parametrize("wrong, message", [
    (lambda x: x[..., 0], r"expected input of shape \(N, H, W, C\) \(rank 4\), got \(64, 8, 8\); images without "
                          r"their channel axis\? x\[\.\.\., None\] adds it"),
    (lambda x: x.transpose(0, 3, 1, 2), r"kernel \(3, 3\) does not fit in an input of 1×8 .*; images with their "
                                        r"channels first, \(N, C, H, W\), as PyTorch keeps them\? minicnn takes them "
                                        r"last, \(N, H, W, C\): x.transpose\(0, 2, 3, 1\)"),
    (lambda x: x[..., None], r"expected input of shape \(N, H, W, C\) \(rank 4\), got \(64, 8, 8, 1, 1\)"),
])
def test_a_first_call_with_data_of_the_wrong_shape_is_refused_and_leaves_the_model_unbuilt(wrong, message):
    """MNIST-like data without its channel axis used to fail in 'not enough values to unpack' and leave the first
    layer built for it, so that the corrected data failed the same way ever after."""
    x, y = toy_data()
    model = undeclared_model()
    model.compile(loss="binary_crossentropy")
    with pytest.raises(ShapeError, match=message):
        model.fit(wrong(x), y, verbose=0)
    assert not model.built and model.input_shape is None and not model.layers[0].params
    history = model.fit(x, y, epochs=2, verbose=0)
    assert model.input_shape == (None, 8, 8, 1) and np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("input_shape", [(None, 8, 8), "abc", (None, 8, 8, 1.5), (None, 8.0, 8, 1), (None, 8, 8, 0),
                                         (None,), None])
def test_build_refuses_an_input_shape_that_is_not_the_batch_axis_then_positive_sizes(input_shape):
    model = undeclared_model()
    with pytest.raises(ValueError, match=r"sequential.build: input_shape must be|expected input of shape|is unknown"):
        model.build(input_shape)
    assert not model.built and not any(layer.built for layer in model.layers)
    assert model.build((None, 8, 8, 1))[-1] == (None, 1)


def test_a_window_that_does_not_fit_a_later_layer_leaves_every_layer_unbuilt():
    model = mc.Sequential([mc.Conv2D(2, 3), mc.MaxPooling2D(4), mc.Flatten(), mc.Dense(1)])
    with pytest.raises(ShapeError, match="MaxPooling2D"):
        model.build((None, 5, 5, 1))  # 3×3 after the convolution: no 4×4 window fits
    assert not any(layer.built for layer in model.layers)


def test_train_on_batch_and_forward_refuse_an_empty_batch_and_keep_the_moving_averages():
    """A loop that ran past the data's end gave train_on_batch an empty batch: 'loss is nan', and BatchNorm's
    moving averages were NaN from then on."""
    model = mc.Sequential([mc.Dense(3, input_shape=(4,)), mc.BatchNormalization(), mc.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy")
    x, y = np.ones((10, 4)), np.ones((10, 1))
    model.train_on_batch(x[:4], y[:4])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"train_on_batch: x holds no samples \(shape \(0, 4\)\)"):
        model.train_on_batch(x[10:14], y[10:14])
    with pytest.raises(ShapeError, match="the batch statistics need at least one sample"):
        model.forward(x[10:], training=True)
    for kept, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(kept, now)


@pytest.mark.parametrize("backend_name", ["numpy", "numba", "cuda"])
@pytest.mark.parametrize("where_nan", ["before", "after"])
def test_a_failed_step_leaves_batchnorms_moving_averages_as_they_were(backend_name, where_nan):
    """A step that fails (here a NaN weight before or after the BatchNormalization) changes nothing: the moving
    averages were updated by the forward pass before the error (on cuda they became NaN; on every backend where the
    NaN came after the BatchNormalization), so that a caught error left them moved towards a batch never trained
    on. fit's steps are the same step."""
    try:
        previous = mc.get_backend()
        mc.set_backend(backend_name)
    except mc.BackendError as error:  # pragma: no cover - only where that backend cannot run
        pytest.skip(str(error))
    try:
        model = mc.Sequential([mc.Dense(4, input_shape=(3,)), mc.BatchNormalization(),
                               mc.Dense(1, activation="sigmoid")], seed=0)
        model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
        x, y = np.random.default_rng(1).standard_normal((4, 3)), np.array([[0.0], [1.0], [1.0], [0.0]])
        model.train_on_batch(x, y)
        layer, key, index = (model.layers[0], "kernel", (0, 1)) if where_nan == "before" else \
            (model.layers[2], "bias", (0,))
        layer.params[key][index] = np.nan
        before = model.get_weights()
        named = {("before", "host"): r"^BatchNormalization '[^']+': input contains NaN",
                 ("after", "host"): rf"; {model.layers[2].describe()} made it from a finite input",
                 ("before", "cuda"): rf"; {model.layers[0].describe()} made it from a finite input",
                 ("after", "cuda"): rf"; {model.layers[2].describe()} made it from a finite input"}
        with pytest.raises(mc.NonFiniteError, match=named[where_nan, "cuda" if backend_name == "cuda" else "host"]):
            model.train_on_batch(x, y)
        for kept, now in zip(before, model.get_weights()):
            np.testing.assert_array_equal(kept, now)
    finally:
        mc.set_backend(previous)


def test_backward_after_a_failed_forward_refuses_instead_of_using_the_earlier_batch():
    model = toy_model()
    x, _ = toy_data(8)
    model.forward(x)
    with pytest.raises(ShapeError):
        model.forward(x[:, :5])
    with pytest.raises(RuntimeError, match="call forward first"):
        model.backward(np.ones((8, 1), np.float32))


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e40])
def test_set_weights_and_load_weights_refuse_values_that_are_not_finite_in_the_layers_dtype(value, tmp_path):
    """NaN weights used to be taken silently and show up later as a NaN output, or as 'a gradient overflowed'."""
    model = toy_model()
    good = model.get_weights()
    bad = [w.astype(np.float64) for w in good]
    bad[0][0, 0, 0, 1] = value
    with pytest.raises(mc.errors.NonFiniteError, match=r"set_weights: Conv2D '[^']+' kernel contains NaN or "
                                                         r"infinity \(first at index \(0, 0, 0, 1\)"):
        model.set_weights(bad)
    model.save_weights(tmp_path / "good.npz")
    stored = dict(np.load(tmp_path / "good.npz"))
    np.savez(tmp_path / "bad.npz", **{**stored, "000.kernel": bad[0]})
    with pytest.raises(mc.errors.NonFiniteError, match=r"load_weights: '.*bad.npz': Conv2D '[^']+' kernel"):
        model.load_weights(tmp_path / "bad.npz")
    for kept, now in zip(good, model.get_weights()):
        np.testing.assert_array_equal(kept, now)


def test_set_weights_and_load_weights_refuse_a_negative_moving_variance(tmp_path):
    """A variance below 0 made every prediction NaN on the host backends, and the CUDA simulator fail in a
    'math domain error'; nothing is set."""
    model = mc.Sequential([mc.Dense(4, input_shape=(3,)), mc.BatchNormalization(), mc.Dense(1)], seed=0)
    good = model.get_weights()
    bad = [w.copy() for w in good]
    bad[5][2] = -0.5  # kernel, bias, gamma, beta, moving_mean, moving_variance
    with pytest.raises(ValueError, match=r"^sequential(_\d+)?\.set_weights: BatchNormalization '[^']+' "
                                         r"moving_variance: expected variances ≥ 0, got -0\.5 at index \(2,\)$"):
        model.set_weights(bad)
    model.save_weights(tmp_path / "good.npz")
    stored = dict(np.load(tmp_path / "good.npz"))
    np.savez(tmp_path / "bad.npz", **{**stored, "001.moving_variance": bad[5]})
    with pytest.raises(ValueError, match=r"load_weights: '.*bad.npz': BatchNormalization '[^']+' moving_variance: "
                                         r"expected variances ≥ 0"):
        model.load_weights(tmp_path / "bad.npz")
    for kept, now in zip(good, model.get_weights()):
        np.testing.assert_array_equal(kept, now)
    bad[5][2] = 0.0  # a channel that never varied
    model.set_weights(bad)


@pytest.mark.parametrize("weights, error, message", [
    (None, TypeError, r"expected a list of arrays shaped like get_weights\(\), got None"),
    ("strings", TypeError, r"kernel: expected numbers, got <U"),
    ("complex", TypeError, r"kernel: expected numbers, got complex"),
    ("ragged", ShapeError, r"kernel: expected shape \(3, 3, 1, 4\), got rows of uneven lengths"),
])
def test_set_weights_names_the_weight_that_is_not_an_array_of_real_numbers(weights, error, message):
    model = toy_model()
    good = model.get_weights()
    made = {"strings": [good[0].astype(str)] + good[1:], "complex": [good[0] * 1j] + good[1:],
            "ragged": [[[1.0, 2.0], [3.0]]] + good[1:]}
    with pytest.raises(error, match=message):
        model.set_weights(made.get(weights, weights))


@pytest.mark.parametrize("path, error, message", [
    ("{tmp}/missing/w.npz", FileNotFoundError, r"save_weights: cannot write '{tmp}/missing/w.npz': the folder "
                                               r"'{tmp}/missing' does not exist"),
    ("{tmp}", IsADirectoryError, r"save_weights: '{tmp}' is a folder; expected a file name, such as '{tmp}/weights"),
    ("", ValueError, r"save_weights: expected a file name, got an empty string"),
    (None, TypeError, r"save_weights: expected a file name \(a str or pathlib.Path\), got None"),
])
def test_save_weights_names_the_users_path_not_its_temporary_file(path, error, message, tmp_path):
    model = toy_model()
    fill = lambda text: text.format(tmp=tmp_path) if isinstance(text, str) else text  # noqa: E731
    with pytest.raises(error, match=fill(message)):
        model.save_weights(fill(path))
    assert os.listdir(tmp_path) == []  # no temporary file left behind


def test_validation_data_that_does_not_fit_is_refused_before_the_first_epoch(capsys):
    """Labels of the wrong shape for the output used to be found only after a whole epoch of training."""
    x, y = toy_data()
    model = toy_model()
    model.compile(loss="binary_crossentropy")
    before = model.get_weights()
    with pytest.raises(ShapeError, match=r"fit \(validation_data\): y_val: "):
        model.fit(x, y, validation_data=(x[:8], np.ones((8, 3))), verbose=0)
    with pytest.raises(ShapeError, match=r"fit \(validation_data\): x_val: Conv2D .*got \(8, 8, 8, 2\)"):
        model.fit(x, y, validation_data=(np.ones((8, 8, 8, 2)), y[:8]), verbose=0)
    for kept, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(kept, now)


def test_a_failed_compile_changes_nothing():
    model = toy_model()
    model.compile(optimizer="sgd", loss="mse")
    chosen = (model.optimizer, model.loss, model.metrics)
    for arguments, error in (({"optimizer": "adam", "loss": "nope"}, ValueError),
                             ({"optimizer": "adam", "loss": "binary_crossentropy", "metrics": ["f1"]}, ValueError),
                             ({"loss": "mse", "metrics": [["accuracy"]]}, TypeError),
                             ({"loss": "mse", "metrics": 5}, TypeError)):
        with pytest.raises(error):
            model.compile(**arguments)
        assert (model.optimizer, model.loss, model.metrics) == chosen


@pytest.mark.parametrize("arguments, error, message", [
    ({"shuffle": "no"}, TypeError, "fit: shuffle must be True or False, got 'no'"),
    ({"verbose": "quiet"}, ValueError, r"fit: verbose must be 0 \(silent\), 1 \(a progress bar\) or 2 \(its last line "
                                       r"only, as Keras' one line per epoch\), got 'quiet'"),
    ({"seed": "abc"}, TypeError, "fit: seed must be a whole number ≥ 0, a numpy.random.Generator or None, got 'abc'"),
    ({"seed": -1}, ValueError, "fit: seed must be a whole number ≥ 0"),
    ({"augment": 5}, TypeError, r"fit: augment must be a function f\(x_batch, rng\) -> x_batch, or None, got 5"),
])
def test_fit_refuses_on_off_switches_seeds_and_augmenters_of_the_wrong_kind(arguments, error, message, capsys):
    """bool('no') is True: shuffle='no' shuffled, verbose='quiet' printed, and a bad seed failed in NumPy's words."""
    x, y = toy_data(8)
    model = toy_model()
    model.compile(loss="binary_crossentropy")
    with pytest.raises(error, match=message):
        model.fit(x, y, **arguments)
    assert capsys.readouterr().out == ""


def test_on_off_switches_and_seeds_of_the_model_and_its_layers_are_checked():
    x, _ = toy_data(4)
    with pytest.raises(TypeError, match="forward: training must be True or False, got 'False'"):
        toy_model().forward(x, training="False")
    with pytest.raises(TypeError, match=r"Sequential 'sequential': seed must be a whole number ≥ 0"):
        mc.Sequential(seed="abc")
    with pytest.raises(TypeError, match="evaluate: return_dict must be True or False"):
        model = toy_model()
        model.compile(loss="binary_crossentropy")
        model.evaluate(x, np.ones((4, 1)), return_dict="yes")
    with pytest.raises(TypeError, match=r"summary: print_fn must be a function such as print, or None, got 5"):
        toy_model().summary(print_fn=5)


# ------------------------------------------------------------------ from the third mutation round

@pytest.mark.parametrize("input_shape", [(None,), (0, 8, 8, 1), ("n", 8, 8, 1), (None, 8, 8, True)])
def test_build_names_its_own_argument_for_a_batch_axis_or_a_size_that_is_not_one(input_shape):
    """(None,) has no sample axes, a batch of 0 or 'n' is no batch size, and True is no size (it is 1 to NumPy):
    each is refused by build itself, not left to the first layer's words or taken as 1."""
    model = undeclared_model()
    with pytest.raises(ValueError, match=r"^sequential.build: input_shape must be the batch axis \(None\) followed by "
                                         r"one sample's sizes"):
        model.build(input_shape)
    assert not model.built


def test_build_keeps_a_batch_size_given_in_the_input_shape():
    assert undeclared_model().build((4, 8, 8, 1))[-1] == (4, 1)
    assert undeclared_model().build((None, 8, 8, 1))[-1] == (None, 1)


def test_the_first_call_builds_for_data_of_any_batch_size_an_empty_one_included():
    """The data's shape is not an input_shape argument: a first forward pass on an empty batch builds the model and
    gives an empty output, as the layers do."""
    model = mc.Sequential([mc.Conv2D(2, 3), mc.MaxPooling2D(2)], seed=0)
    assert model.forward(np.zeros((0, 8, 8, 1), np.float32)).shape == (0, 3, 3, 2)
    assert model.input_shape == (None, 8, 8, 1)


def test_building_again_keeps_the_trained_weights():
    """summary() and build() on a built model must not draw the weights again (each layer's seed would give back
    its initial weights, undoing the training)."""
    x, y = toy_data(16)
    model = toy_model()
    model.compile(optimizer=mc.SGD(0.5), loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    trained = model.get_weights()
    model.summary(print_fn=None)
    model.build((None, 8, 8, 1))
    for kept, now in zip(trained, model.get_weights()):
        np.testing.assert_array_equal(kept, now)


@pytest.mark.parametrize("verbose", [2, np.int64(1), 0])
def test_fit_and_evaluate_take_keras_verbose_levels(verbose, capsys):
    x, y = toy_data(8)
    model = toy_model()
    model.compile(loss="binary_crossentropy")
    model.fit(x, y, verbose=verbose)
    model.evaluate(x, y, verbose=verbose)
    out = capsys.readouterr().out
    assert ("Epoch 1/1" in out and out.count("1/1 [") == 2) if verbose else out == "", out


@pytest.mark.parametrize("verbose", [1.0, 3, "1"])
def test_fit_and_evaluate_refuse_a_verbose_that_is_not_a_level(verbose, capsys):
    """verbose=1.0 equals 1 but is no level; evaluate printed a bar for verbose=3."""
    x, y = toy_data(8)
    model = toy_model()
    model.compile(loss="binary_crossentropy")
    for method in (model.fit, model.evaluate, lambda x, y, verbose: model.predict(x, verbose=verbose)):
        with pytest.raises(ValueError, match=r"\.(fit|evaluate|predict): verbose must be 0 \(silent\), 1 \(a progress "
                                             r"bar\) or 2"):
            method(x, y, verbose=verbose)
    assert capsys.readouterr().out == ""


def test_verbose_2_writes_one_line_per_epoch_and_true_and_auto_are_1(capsys):
    """Keras' levels: 2 is one line per epoch (it was taken as 1 while the error said only 0 or 1 existed), True is
    1 and "auto" is 1; predict takes verbose too (Keras code passes verbose=0 to keep it quiet)."""
    x, y = toy_data(8)
    model = toy_model()
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" [")[0] for line in lines] == ["Epoch 1/2", "4/4", "Epoch 2/2", "4/4"], lines
    assert all("\r" not in line for line in lines) and "accuracy: " in lines[-1]
    model.evaluate(x, y, verbose=2)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out.count("\n") == 1
    for verbose in (True, "auto"):
        model.fit(x, y, epochs=1, batch_size=8, verbose=verbose)
        assert capsys.readouterr().out.startswith("Epoch 1/1\n1/1 [")


def test_save_weights_names_the_users_path_when_its_temporary_file_cannot_be_made(tmp_path, monkeypatch):
    """A folder without write permission failed in the temporary file's name, which the user never gave."""
    def refused(path, suffix):
        raise PermissionError(13, "Permission denied", path + ".tmp123" + suffix)

    monkeypatch.setattr("minicnn.weight_files.temporary_beside", refused)
    path = str(tmp_path / "w.npz")
    with pytest.raises(PermissionError, match=rf"^sequential.save_weights: cannot write '{re.escape(path)}': "
                                              r"Permission denied$"):
        toy_model().save_weights(path)


def test_validation_data_of_another_sample_size_or_labels_outside_0_1_are_refused_before_the_first_epoch():
    """A model without input_shape takes x_val of 10×10 in its convolution, and its Dense failed only after an
    epoch; labels 0/255 for the validation were refused then too, not prefixed with y_val."""
    x, y = toy_data(16)
    model = undeclared_model()
    model.compile(loss="binary_crossentropy")
    with pytest.raises(ShapeError, match=r"fit \(validation_data\): expected x_val to hold samples of the training "
                                         r"samples' shape \(8, 8, 1\), got \(10, 10, 1\)"):
        model.fit(x, y, validation_data=(np.ones((8, 10, 10, 1), np.float32), y[:8]), verbose=0)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"fit \(validation_data\): y_val: BinaryCrossentropy: expected y_true in "
                                         r"\[0, 1\]"):
        model.fit(x, y, validation_data=(x[:8], 255 * y[:8]), verbose=0)
    for kept, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(kept, now)


def test_set_weights_takes_unsigned_integers_and_refuses_booleans_and_strings():
    model = toy_model()
    good = model.get_weights()
    model.set_weights([np.ones(good[0].shape, np.uint8)] + good[1:])
    np.testing.assert_array_equal(model.get_weights()[0], 1.0)
    with pytest.raises(TypeError, match=r"set_weights: Conv2D '[^']+' kernel: expected numbers, got bool"):
        model.set_weights([np.ones(good[0].shape, bool)] + good[1:])
    with pytest.raises(TypeError, match=r"set_weights: expected a list of arrays shaped like get_weights\(\), got "
                                        r"'abcdef'"):
        model.set_weights("abcdef")


@pytest.mark.parametrize("value, overflow", [(1e40, True), (np.nan, False), (np.inf, False)])
def test_set_weights_says_the_dtype_holds_smaller_numbers_only_where_a_finite_value_overflowed(value, overflow):
    model = toy_model()
    weights = [w.astype(np.float64) for w in model.get_weights()]
    weights[0][0, 0, 0, 0] = value
    with pytest.raises(mc.errors.NonFiniteError) as refused:
        model.set_weights(weights)
    assert ("float32 holds numbers up to 3.4e+38" in str(refused.value)) == overflow


def test_compile_takes_one_metric_function_and_refuses_metrics_that_are_not_a_list():
    model = toy_model()
    model.compile(loss="binary_crossentropy", metrics=binary_accuracy)
    assert [name for name, _ in model.metrics] == ["binary_accuracy"]
    for metrics in ({"accuracy"}, 5):
        with pytest.raises(TypeError, match=r"compile: metrics must be a list such as \['accuracy'\], got"):
            model.compile(loss="binary_crossentropy", metrics=metrics)


def test_forward_names_itself_for_a_training_flag_that_is_not_a_bool():
    x, _ = toy_data(4)
    with pytest.raises(TypeError, match=r"^sequential.forward: training must be True or False, got 'False'"):
        toy_model().forward(x, training="False")


def test_a_model_seed_may_be_a_generator_but_not_a_bool():
    """True is an int to NumPy, and was taken as the seed 1."""
    rng_model = mc.Sequential([mc.Dense(2, input_shape=(3,))], seed=np.random.default_rng(7))
    assert rng_model.predict(np.ones((1, 3))).shape == (1, 2)
    with pytest.raises(TypeError, match=r"Sequential 'sequential': seed must be a whole number ≥ 0, a "
                                        r"numpy.random.Generator or None, got True"):
        mc.Sequential(seed=True)


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_a_frozen_layer_keeps_its_weights_and_is_counted_as_non_trainable(backend_name):
    """``trainable=False`` (Keras' freeze for transfer learning) was an attribute nothing read: the layer trained on
    and summary counted it as trainable."""
    x, y = toy_data(16)
    with mc.use_backend(backend_name):
        model = mc.Sequential([mc.Conv2D(2, 3, input_shape=(8, 8, 1), trainable=False, name="base"),
                               mc.BatchNormalization(name="norm"), mc.Flatten(), mc.Dense(1, activation="sigmoid")],
                              seed=0)
        model.layers[1].trainable = False
        model.compile(optimizer=mc.SGD(0.5), loss="binary_crossentropy")
        before = [value.copy() for value in model.get_weights()]  # the convolution's 2, BatchNorm's 4, the head's 2
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    after = model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before[:6], after[:6]))  # moving averages included
    assert not np.array_equal(before[6], after[6])  # the head trained
    text = model.summary(print_fn=None)
    assert "Total params: 101" in text and "Trainable params: 73" in text and "Non-trainable params: 28" in text
    assert model.layers[0].get_config()["trainable"] is False and "trainable" not in model.layers[3].get_config()


def test_changing_trainable_after_training_began_needs_a_compile():
    x, y = toy_data(8)
    model = toy_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].trainable = False
    refused = (rf"the weights that train changed \({re.escape(model.layers[0].describe())} frozen\) after training "
               r"began; compile again with a new optimizer")
    with pytest.raises(RuntimeError, match=refused):
        model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(RuntimeError, match=refused):  # the same optimizer, its state for the old weights
        model.compile(optimizer=model.optimizer, loss="binary_crossentropy")
        model.fit(x, y, epochs=1, verbose=0)
    before = model.layers[0].params["kernel"].copy()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert np.array_equal(model.layers[0].params["kernel"], before)
    model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")  # plain SGD holds no state: any change is fine
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].trainable = True
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(model.layers[0].params["kernel"], before)
    with pytest.raises(TypeError, match=r"trainable must be True or False, got 'no'"):
        mc.Dense(2, trainable="no")


@pytest.mark.filterwarnings("ignore:.*samples of a batch have a prediction within 1e-7")  # repeated fits
def test_a_new_head_after_pop_and_add_needs_a_compile_where_the_optimizer_holds_state():
    """After fit with Adam, pop() then add() of a Dense of the same shapes trained the new head on the old head's
    moments and step count without a word (found in review: its kernel 0.017 off the step after a compile). Keras
    refuses an optimizer built for other variables; so does minicnn, at the next step, until compile. A layer
    without weights (Dropout) changes no optimizer state and is taken."""
    x, y = toy_data(8)
    model = toy_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    old_head = model.pop()
    model.add(mc.Dense(1, activation="sigmoid", seed=1, name="new_head"))
    refused = (rf"the weights that train changed \({re.escape(old_head.describe())} removed, Dense 'new_head' added\) "
               r"after training began; compile again with a new optimizer")
    for step in (lambda: model.fit(x, y, epochs=1, verbose=0), lambda: model.train_on_batch(x, y)):
        with pytest.raises(RuntimeError, match=refused):
            step()
    assert model.optimizer.iterations == 1
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.train_on_batch(x, y)
    assert model.optimizer.iterations == 1
    model.add(mc.Dropout(0.1))
    model.train_on_batch(x, y)  # no weights, no state: taken
    copy = model.astype(np.float64)  # a copy's layers are its own, and it goes on from its copy of the state
    copy.train_on_batch(x, y)
    assert copy.optimizer.iterations == 3


def test_a_model_pickled_when_the_record_held_one_flag_per_layer_trains_copies_and_still_refuses_a_freeze():
    """The record of what trained was one flag per layer before it held the layers: a model pickled then failed in
    fit, astype and gradcheck with "cannot unpack non-iterable bool object" (found in review)."""
    import pickle

    x, y = toy_data(8)
    model = toy_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model._trainable_when_stepped = [layer.trainable for layer in model.layers]  # as it was pickled then
    old = pickle.loads(pickle.dumps(model))
    old.fit(x, y, epochs=1, verbose=0)
    old.astype(np.float64).train_on_batch(x, y)
    old._trainable_when_stepped = [layer.trainable for layer in old.layers]
    old.layers[0].trainable = False
    with pytest.raises(RuntimeError, match=r"the weights that train changed \(Conv2D '.*' frozen\)"):
        old.fit(x, y, epochs=1, verbose=0)


def test_one_optimizer_instance_trains_one_model():
    """``opt = mc.Adam(0.01)`` once, then a model per seed compiled with it: the second model took the first one's
    moments and step count (weights of the same shapes) and trained differently, without a word. Keras refuses an
    optimizer built for other variables; so does minicnn, at compile or at the first step, where it names what to
    do. The model that trained it, a copy of that model, and a twin for gradient checks go on with it."""
    x, y = toy_data(8)
    shared = mc.Adam(0.01)
    first, second = toy_model(), toy_model()
    first.compile(optimizer=shared, loss="binary_crossentropy")
    second.compile(optimizer=shared, loss="binary_crossentropy")  # compiled before the first model stepped it
    first.fit(x, y, epochs=1, verbose=0)
    refused = r"holds state \(momentum, Adam's moments\) from training another model's weights; give each model " \
              r"its own optimizer"
    with pytest.raises(RuntimeError, match=refused):
        second.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(RuntimeError, match=refused):
        toy_model().compile(optimizer=shared, loss="binary_crossentropy")
    first.compile(optimizer=shared, loss="binary_crossentropy")  # its own optimizer, compiled again: goes on
    first.fit(x, y, epochs=1, verbose=0)
    copied = copy.deepcopy(first)
    copied.fit(x, y, epochs=1, verbose=0)
    twin = first.astype("float64")
    twin.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(RuntimeError, match=refused):  # the twin's optimizer is the twin's
        first.compile(optimizer=twin.optimizer, loss="binary_crossentropy")
    second.compile(optimizer=mc.Adam(0.01), loss="binary_crossentropy")
    second.fit(x, y, epochs=1, verbose=0)
    plain = mc.SGD(0.1)  # no state: nothing carries over, and any model may use it
    for model in (toy_model(), toy_model()):
        model.compile(optimizer=plain, loss="binary_crossentropy")
        model.fit(x, y, epochs=1, verbose=0)


def test_accuracy_beside_mse_follows_the_predictions_shape_and_keeps_its_name():
    """Beside a loss that does not say which accuracy (MSE), Keras picks it by the output's width; minicnn compared
    every output with 0.5, so ten softmax outputs that all missed the class scored 0.8. ``metrics=["acc"]`` is
    stored under "acc", as Keras names it."""
    one_hot = np.eye(10)[[0, 1, 2, 3]]
    wrong = np.full((4, 10), 0.05)
    wrong[:, 5] = 0.55
    name, accuracy = get_metric("accuracy", mc.MeanSquaredError())
    assert name == "accuracy" and accuracy(one_hot, wrong) == 0.0 and accuracy(one_hot, one_hot) == 1.0
    assert accuracy(np.array([0, 5, 5, 1]), wrong) == 0.5  # integer labels
    assert accuracy(np.array([[0], [5], [5], [1]]), wrong) == 0.5  # integer labels as a column (N, 1)
    assert accuracy(np.array([[1.0], [0.0]]), np.array([[0.9], [0.8]])) == 0.5  # one output: a yes/no answer
    # ... both right here; read as classes among one (the argmax, always 0) it scored 0.5 (mutation round)
    assert accuracy(np.array([[1.0], [0.0]]), np.array([[0.9], [0.2]])) == 1.0
    model = toy_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc"])
    x, y = toy_data(8)
    assert list(model.fit(x, y, epochs=1, verbose=0, validation_split=0.25).history) == [
        "loss", "acc", "val_loss", "val_acc"]


def test_summary_prints_and_returns_none_and_count_params_builds_first(capsys):
    """A notebook showed the table twice, printed and then as the cell's value; count_params() was 0 until
    something built the model, although input_shape was known."""
    model = mc.Sequential([mc.Dense(3, input_shape=(4,)), mc.Dense(1)])
    assert model.count_params() == 19 and model.built
    assert model.summary() is None and "Total params: 19" in capsys.readouterr().out
    assert "Total params: 19" in model.summary(print_fn=None)


def test_summary_counts_a_batchnorms_moving_statistics_as_non_trainable():
    """Keras counts BatchNormalization's moving mean and variance (2·C) as non-trainable (mutation round: they
    could be counted as trainable)."""
    model = mc.Sequential([mc.Dense(4, input_shape=(3,)), mc.BatchNormalization()])
    text = model.summary(print_fn=None)
    assert "Total params: 32" in text and "Trainable params: 24" in text and "Non-trainable params: 8" in text


def test_writers_refuse_a_read_only_file_and_leave_no_temporary_file(tmp_path, monkeypatch):
    """Every writer renames a new file over the old one, which replaced a file the user had made read-only (as root
    or not: renaming needs only the folder); now it is refused as open(path, 'w') refuses it. A failure between
    making the temporary file and returning it (chmod, Ctrl-C) left it behind. Text files and figures are flushed
    to the disk before the rename, as weights were (from a data-safety audit)."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minicnn.plots import save_figure
    from minicnn.track.sequences import atomic_write_text

    model = toy_model()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    before = path.read_bytes()
    access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(path) else access(p, mode))
    with pytest.raises(PermissionError, match=rf"^sequential\.save_weights: cannot write '{re.escape(str(path))}': "
                                              rf".*is read-only \(make it writable to replace it\)"):
        model.save_weights(path)
    assert path.read_bytes() == before
    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(np, "savez", lambda file, **arrays: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(OSError, match=r"^sequential\.save_weights: cannot write .*: No space left$") as full:
        model.save_weights(path)
    assert full.value.errno == 28 and path.read_bytes() == before  # what a caller's except may look at
    monkeypatch.undo()
    monkeypatch.setattr(os, "chmod", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        model.save_weights(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]

    synced = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda descriptor: synced.append(descriptor) or fsync(descriptor))
    atomic_write_text(tmp_path / "result.txt", "1,2,3,4\n")
    figure = plt.figure()
    save_figure(figure, tmp_path / "curve.png")
    assert len(synced) == 2 * 2 and (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"  # file, then folder
    # the suffix names the format, as savefig reads it: PNG bytes under .pdf and .svg passed (mutation round)
    save_figure(figure, tmp_path / "curve.pdf")
    save_figure(figure, tmp_path / "curve.svg")
    assert (tmp_path / "curve.pdf").read_bytes()[:4] == b"%PDF" and b"<svg" in (tmp_path / "curve.svg").read_bytes()
    with pytest.raises(FileNotFoundError, match=r"^cannot save a figure as .*curve\.png: the folder .*nope does not "
                                                r"exist$"):
        save_figure(figure, tmp_path / "nope" / "curve.png")
    with pytest.raises(IsADirectoryError, match=r"^cannot save a figure as .*: it is a folder; give a file name"):
        save_figure(figure, tmp_path)
    plt.close(figure)


def test_weight_file_paths_of_the_wrong_kind_are_named(tmp_path):
    """load_weights(3) failed in os.fspath's words, a folder was "not an .npz weight file", and a path through a
    file said that folder "does not exist" (from a data-safety audit)."""
    model = toy_model()
    with pytest.raises(TypeError, match=r"^sequential\.load_weights: expected a file name \(a str or pathlib\.Path\), "
                                        r"got 3$"):
        model.load_weights(3)
    with pytest.raises(IsADirectoryError, match=r"^sequential\.load_weights: '.*' is a folder; expected a weight file"):
        model.load_weights(tmp_path)
    (tmp_path / "w.npz").write_text("not a folder")
    with pytest.raises(NotADirectoryError, match=r"^sequential\.save_weights: cannot write '.*w\.npz/x': '.*w\.npz' "
                                                 r"is a file, not a folder$"):
        model.save_weights(tmp_path / "w.npz" / "x")


def test_a_path_ending_in_a_slash_names_a_folder_and_is_refused_for_weights_and_figures(tmp_path):
    """save_weights("results/") wrote a file named results (the slash dropped by os.path.abspath), which the same
    load_weights("results/") could not read and which blocked results/weights.npz; save_figure("plots/") the same
    (found in review)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minicnn.plots import save_figure

    model = toy_model()
    model.build()
    with pytest.raises(IsADirectoryError, match=r"is a folder name"):  # "results/." names the folder too (review)
        model.save_weights(str(tmp_path / "results") + "/.")
    folder = str(tmp_path / "results") + "/"
    with pytest.raises(IsADirectoryError, match=r"^sequential\.save_weights: '.*results/' is a folder name; expected "
                                                r"a file name, such as '.*results/weights\.npz'$"):
        model.save_weights(folder)
    figure = plt.figure()
    with pytest.raises(IsADirectoryError, match=r"^cannot save a figure as .*plots/: it is a folder"):
        save_figure(figure, str(tmp_path / "plots") + "/")
    plt.close(figure)
    assert sorted(tmp_path.iterdir()) == []


def test_a_weight_file_with_a_long_name_is_written(tmp_path):
    """The temporary file beside it added 14 characters to the name: a file name of 242 to 255 characters, which
    the system takes, was refused as too long (from a data-safety audit)."""
    path = tmp_path / ("w" * 251 + ".npz")
    toy_model().save_weights(path)
    assert path.is_file() and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_weight_file_is_written_beside_itself_then_renamed(tmp_path, monkeypatch):
    """The temporary file is made in the weight file's own folder, so that the rename cannot cross file systems
    (one made in the system's temporary folder passed every test; mutation round)."""
    renamed, replace = [], os.replace

    def recorded_replace(source, target):
        renamed.append((os.path.dirname(source), os.path.dirname(target)))
        return replace(source, target)

    monkeypatch.setattr(os, "replace", recorded_replace)
    (tmp_path / "run").mkdir()
    toy_model().save_weights(tmp_path / "run" / "w.npz")
    folder = os.path.realpath(tmp_path / "run")
    assert renamed == [(folder, folder)], renamed


def test_a_models_repr_names_its_layers_and_size():
    """A notebook cell ending in ``model`` showed <minicnn.model.Sequential object at 0x7f...>."""
    model = mc.Sequential([mc.Dense(3, activation="relu", input_shape=(4,)), mc.Dense(1)], name="tiny")
    assert repr(model) == "<Sequential 'tiny': Dense → Dense; not built yet>"
    model.build()
    assert repr(model) == "<Sequential 'tiny': Dense → Dense; 19 parameters>"  # 4·3 + 3 + 3·1 + 1


def test_a_weight_file_saved_without_npz_and_loaded_with_it_is_pointed_at(tmp_path):
    """save_weights("weights") writes 'weights' (np.savez would have added .npz); load_weights("weights.npz") said
    only that it does not exist."""
    model = toy_model()
    model.save_weights(tmp_path / "weights")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["weights"]
    with pytest.raises(FileNotFoundError, match=r"weight file '.*weights\.npz' does not exist \(there is "
                                                r"'.*weights': a weight file is written under the name given, "
                                                r"with or without \.npz\)$"):
        toy_model().load_weights(tmp_path / "weights.npz")
    toy_model().load_weights(tmp_path / "weights")


def test_predict_given_labels_says_it_takes_x_alone():
    """model.predict(x_test, y_test) said "batch_size must be a positive int, got array([[0.], ...])"."""
    x, y = toy_data(4)
    with pytest.raises(TypeError, match=r"^sequential(_\d+)?\.predict: its second argument is batch_size, got an "
                                        r"array of shape \(4, 1\): predict takes x alone; evaluate\(x, y\) scores "
                                        r"against labels$"):
        toy_model().predict(x, y)
    with pytest.raises(TypeError, match=r"^sequential(_\d+)?\.predict: its second argument is batch_size, got an "
                                        r"array of shape \(4,\): predict takes x alone"):
        toy_model().predict(x, y[:, 0])  # labels as a flat vector, as often as a column


@pytest.mark.filterwarnings("ignore:.*samples of a batch have a prediction within 1e-7")  # what 8-bit values do
def test_fit_warns_of_inputs_that_hold_8_bit_pixel_values():
    """The faces as uint8 (0–255) trained at chance (accuracy 0.5 after 5 epochs, 0.93 with x / 255), and the only
    warning, of predictions stuck at 0 or 1, blamed the learning rate."""
    import warnings

    x, y = toy_data(16)
    pixels = np.round(np.abs(x) / np.abs(x).max() * 250).astype(np.uint8)
    for given in (pixels, pixels.astype(np.float32)):
        model = toy_model()
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        with pytest.warns(UserWarning, match=r"^sequential(_\d+)?\.fit: x holds whole numbers from 0 to 250, as an "
                                             r"image's 8-bit pixels do; .* x / 255 scales them"):
            model.fit(given, y, epochs=1, verbose=0)
    for given in (pixels / 255, np.minimum(pixels, 100), pixels + 0.5):  # scaled, small counts, not whole numbers
        model = toy_model()
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            warnings.filterwarnings("ignore", message=".*samples of a batch have a prediction within 1e-7")
            model.fit(given, y, epochs=1, verbose=0)


@pytest.mark.filterwarnings("ignore:.*samples of a batch have a prediction within 1e-7")
def test_fit_warns_of_images_that_hold_12_to_16_bit_pixel_values_with_the_divisor_of_their_bits():
    """A student's 16-bit PNGs as uint16 (0–65535) trained silently (with BatchNormalization) or with advice for
    8-bit pixels only (found in review); the first advice, x / 65535 for all, left 12-bit data within 0–0.06 and the
    training at chance (found in the next review)."""
    x, y = toy_data(16)
    for top, dtype, divisor in ((60000, np.uint16, 65535), (4000, np.uint16, 4095), (4000, np.float32, 4095),
                                (4000, np.int32, 4095)):
        pixels = np.round(np.abs(x) / np.abs(x).max() * top).astype(dtype)
        model = toy_model()
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        with pytest.warns(UserWarning, match=rf"^sequential(_\d+)?\.fit: x holds whole numbers from \d+ to {top}, as "
                                             rf"a camera's 12- to 16-bit pixels do; .* x / {divisor} scales them if "
                                             rf"the camera's pixels have {int(np.log2(divisor + 1))} bits"):
            model.fit(pixels, y, epochs=1, verbose=0)


@pytest.mark.filterwarnings("ignore:.*samples of a batch have a prediction within 1e-7")
def test_rows_of_whole_number_features_in_0_to_255_are_told_to_standardise_them_too():
    """Counts or levels in 0–255 as features got only "x / 255 scales them (datasets.load_faces gives them
    scaled)", advice for pixels; images keep it."""
    features = np.random.default_rng(0).integers(0, 250, (16, 3)).astype(np.float32)
    model = mc.Sequential([mc.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.warns(UserWarning, match=r"as an image's 8-bit pixels or features measured in whole units do; .* "
                                         r"x / 255 scales 8-bit pixels; features are standardised column by column, "
                                         r"\(x - x.mean\(axis=0\)\) / x.std\(axis=0\)"):
        model.fit(features, np.ones((16, 1), np.float32), epochs=1, verbose=0)


def test_a_training_stopped_by_one_sample_names_the_rows_of_x_its_batch_held():
    """One corrupt image (finite, 3e38) stopped training with "samples 0-7 of the shuffled epoch", positions in a
    permutation the user never sees: the rows of x are named, and the error holds them all. The layer named is the
    one that made the infinity, not only the one that received it."""
    x, y = toy_data(16)
    x[11] = 3e38
    model = toy_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(mc.TrainingDivergedError, match=r"^training stopped: MaxPooling2D 'max_pooling2d(_\d+)?': input "
                                                       r"contains NaN or infinity \(first at index \(\d, .*\); Conv2D "
                                                       r"'conv2d(_\d+)?' made it from a finite input \(its output's "
                                                       r"first at index \(\d, .*\) at epoch 1, batch "
                                                       r"\d \(its samples, in order, are rows \d+, \d+, \d+, \d+, \d+, "
                                                       r"\.\.\. of x: the error's rows holds all 8\)") as stopped:
        with np.errstate(over="ignore", invalid="ignore"):
            model.fit(x, y, epochs=1, batch_size=8, seed=3, verbose=0)
    rows = stopped.value.rows
    assert len(rows) == 8 and 11 in rows and len(set(rows.tolist())) == 8
    order = np.random.default_rng(3).permutation(16)
    assert rows.tolist() in (order[:8].tolist(), order[8:].tolist())


class Scale(mc.Layer):
    """README's layer of one's own, reduced: y = 2x, and it checks nothing of its input."""

    def forward(self, x, training=False):
        self.x = np.asarray(x)
        return self.x * 2.0

    def backward(self, grad_out):
        return 2.0 * grad_out


def test_a_nan_that_a_layer_of_ones_own_passed_on_is_traced_to_where_it_was_made():
    """A NaN in x passed on by a first layer of one's own (README's Scale checks nothing) was blamed on that layer,
    "Scale 'scale' made it from a finite input" (found in review): the batch is run again to find the maker."""

    model = mc.Sequential([Scale(name="scale"), mc.Dense(1, name="dense")])
    x = np.ones((3, 2))
    x[1, 0] = np.nan
    with pytest.raises(mc.NonFiniteError, match=r"^Dense 'dense': input contains NaN or infinity .*; it was in the "
                                                 r"model's input already$"):
        model(x)
    overflowing = mc.Sequential([mc.Dense(2, name="big"), Scale(name="scale"), mc.ReLU(name="relu")])
    overflowing.build((None, 2))
    overflowing.layers[0].params["kernel"][...] = 3e38
    with np.errstate(over="ignore"), pytest.raises(mc.NonFiniteError, match=r"; Dense 'big' made it from a finite "
                                                                           r"input \(its output's first"):
        overflowing(np.ones((1, 2), np.float32))


def test_a_nan_search_names_a_last_layer_of_ones_own_and_leaves_the_moving_averages_as_one_pass_left_them():
    """On the host a NaN reaching the output was blamed on the last layer ("every layer's input was finite"), also
    where a layer of one's own before had passed it on; the search ran the batch again, moving BatchNorm's moving
    averages a second time in a direct model.forward(training=True) (found in review)."""

    model = mc.Sequential([mc.Dense(2, name="big"), Scale(name="scale")])
    model.build((None, 2))
    model.layers[0].params["kernel"][...] = 3e38
    with np.errstate(over="ignore"), pytest.raises(mc.NonFiniteError, match=r"output contains NaN or infinity .*; "
                                                                           r"Dense 'big' made it from a finite input"):
        model.predict(np.ones((1, 2), np.float32))
    model.compile(optimizer="sgd", loss="mse")  # in training, the loss said only "y_pred contains NaN"
    with np.errstate(over="ignore"), pytest.raises(mc.TrainingDivergedError, match=r"the output contains NaN or "
                                                                                  r"infinity .*; Dense 'big' made it"):
        model.fit(np.ones((2, 2), np.float32), np.ones((2, 2)), verbose=0)

    class Log(mc.Layer):
        def forward(self, x, training=False):
            return np.log(self._prepare_input(x) - 10.0)

    normalised = mc.Sequential([mc.BatchNormalization(momentum=0.5, name="bn"), Log(name="log"), mc.Dense(1)])
    normalised.build((None, 2))
    with np.errstate(invalid="ignore"), pytest.raises(mc.NonFiniteError, match=r"Log 'log' made it"):
        normalised.forward(np.array([[1.0, 2.0], [1.0, 3.0]]), training=True)
    np.testing.assert_allclose(normalised.layers[0].state["moving_mean"], [0.5, 1.25])  # one update of 0.5


@pytest.mark.filterwarnings("ignore:.*samples of a batch have a prediction within 1e-7")  # what 8-bit values do
def test_the_8_bit_warning_takes_in_255_itself_and_leaves_out_256():
    """255 is the top of an image's 8-bit values, reached by nearly every photo (the faces as uint8): a bound that
    left 255 out would miss exactly the data the warning is for; 256 is no 8-bit value and gets no warning."""
    import warnings

    x, y = toy_data(16)
    top = np.round(np.abs(x) / np.abs(x).max() * 255)
    assert top.max() == 255
    for given in (top.astype(np.uint8), top.astype(np.float32)):
        model = toy_model()
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        with pytest.warns(UserWarning, match=r"^sequential(_\d+)?\.fit: x holds whole numbers from 0 to 255, as an "
                                             r"image's 8-bit pixels do"):
            model.fit(given, y, epochs=1, verbose=0)
    model = toy_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message=".*samples of a batch have a prediction within 1e-7")
        model.fit(np.where(top == 255, 256, top).astype(np.float32), y, epochs=1, verbose=0)


def test_an_infinity_in_a_later_sample_of_the_output_is_traced_through_that_sample():
    """The search for the layer that made an infinity runs one sample again: the first that holds it (row 3 here).
    The batch's first sample is finite all through: run again, it would make none, and the error would blame a
    random draw instead of the overflowing Dense."""
    model = mc.Sequential([mc.Dense(2, name="big"), Scale(name="scale")])  # Scale checks nothing of its input
    model.build((None, 2))
    model.layers[0].params["kernel"][...] = 10.0
    x = np.ones((5, 2), np.float32)
    x[3] = 1e38  # finite in float32; times 10, twice, it is not
    model.compile(optimizer="sgd", loss="mse")
    with np.errstate(over="ignore"):
        for where, run in (("predict", lambda: model.predict(x)), ("evaluate", lambda: model.evaluate(x, x))):
            with pytest.raises(mc.NonFiniteError, match=rf"^sequential(_\d+)?\.{where}: the output contains NaN or "
                                                        r"infinity \(first at index \(3, 0\), value inf\); Dense 'big' "
                                                        r"made it from a finite input"):
                run()


def test_a_nan_search_in_training_repeats_the_dropout_masks_of_the_failed_pass_on_the_host():
    """Dropout (seed 12, rate 0.9) keeps the one input on its first draw and drops it on the next: the search for
    the layer that made the infinity must run under the failed pass's masks, or the input is dropped, the Dense
    makes 0, and the error blames no layer ("running the batch through the layers again made none")."""
    x, y = np.full((1, 1), 1e20, np.float32), np.zeros((1, 1), np.float32)
    model = mc.Sequential([mc.Dropout(0.9, seed=12, input_shape=(1,)), mc.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.set_weights([np.full((1, 1), 1e19), np.zeros(1)])
    with np.errstate(over="ignore"), pytest.raises(mc.TrainingDivergedError, match=r"; Dense 'dense(_\d+)?' made it "
                                                                                  r"from a finite input"):
        model.fit(x, y, epochs=1, batch_size=1, shuffle=False, verbose=0)
    assert model.layers[0].repeat_last_draw is False


def _linear_regression_fit(learning_rate, epochs, model=None):
    """A Dense(1) layer fitted to y = x·(1, −2, 0.5) with SGD, no shuffling; the model and its history."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    if model is None:
        model = mc.Sequential([mc.Input((3,)), mc.Dense(1, dtype="float64", seed=0)])
        model.compile(optimizer=mc.SGD(learning_rate), loss="mse")
    return model, model.fit(x, y, epochs=epochs, verbose=0, shuffle=False)


def test_fit_warns_once_where_the_training_loss_climbs_away_from_its_minimum():
    """A learning rate too large made the loss of a linear model grow epoch after epoch (to 1e27 at a learning rate
    of 1e4) with no word, until a NaN, if one came: fit now says so when an epoch's loss is over 100 times the lowest
    before it, naming both epochs and the learning rate, once per model."""
    import warnings

    with pytest.warns(UserWarning) as caught:
        model, history = _linear_regression_fit(2.0, 6)
    losses = history.history["loss"]
    warned = [str(w.message) for w in caught if "overshoot" in str(w.message)]
    first = next(epoch for epoch, loss in enumerate(losses) if loss > 100 * min(losses[:epoch] or [np.inf]))
    assert warned == [f"sequential: the training loss grew from {min(losses[:first]):.4g} (epoch "
                      f"{losses.index(min(losses[:first])) + 1}) to {losses[first]:.4g} (epoch {first + 1}): the "
                      f"steps overshoot the minimum and climb away from it. A learning rate too large does this "
                      f"(SGD's is 2): try one 10 times smaller"], warned
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per model: no second warning, though the loss climbs on
        _, again = _linear_regression_fit(None, 5, model)
    assert again.history["loss"][-1] > 100 * again.history["loss"][0]


@pytest.mark.parametrize("learning_rate", [0.5, 1.0])
def test_fit_does_not_warn_of_a_loss_that_falls_or_stays_within_100_times_its_lowest(learning_rate):
    """At 0.5 the loss falls every epoch; at 1.0 it oscillates around its start without climbing 100-fold."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, history = _linear_regression_fit(learning_rate, 6)
    losses = history.history["loss"]
    assert all(loss <= 100 * min(losses[:epoch]) for epoch, loss in enumerate(losses) if epoch), losses


def test_a_loss_that_overflows_stops_training_without_numpy_s_overflow_warning():
    """At a learning rate of 1e4 the loss overflowed float64: NumPy's "overflow encountered in square", pointing at
    minicnn's losses.py, came before fit's own error, which says where training stopped and what to try."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fit's warning that the loss climbs
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(mc.TrainingDivergedError, match=r"loss is inf at epoch \d+, batch \d+ .* Try a smaller "
                                                           r"learning rate"):
            _linear_regression_fit(1e4, 60)  # float64 overflows at epoch 20


def test_a_model_built_from_images_that_look_channels_first_warns_once_and_trains():
    """A Sequential without input_shape fitted on (N, 3, 32, 32), CIFAR as PyTorch keeps it, trained without a word
    on 32-channel images 3 pixels tall; declared shapes and channels-last data are not warned of."""
    import warnings

    def model(**declared):
        built = mc.Sequential([mc.Conv2D(2, 3, padding="same", **declared), mc.Flatten(), mc.Dense(1)])
        built.compile(optimizer="sgd", loss="mse")
        return built

    y = np.zeros((4, 1), np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first_first = model()
        first_first.fit(np.ones((4, 3, 32, 32), np.float32), y, epochs=2, verbose=0)
        first_first.predict(np.ones((4, 3, 32, 32), np.float32))
        model().fit(np.ones((4, 32, 32, 3), np.float32), y, epochs=1, verbose=0)
        model(input_shape=(32, 32, 3)).fit(np.ones((4, 32, 32, 3), np.float32), y, epochs=1, verbose=0)
    said = [w for w in caught if "channels first" in str(w.message)]
    assert len(said) == 1 and said[0].filename == __file__, [str(w.message) for w in caught]
    assert "data of shape (4, 3, 32, 32) read as images of 3×32 pixels with 32 channels" in str(said[0].message)
    assert first_first.layers[0].params["kernel"].shape == (3, 3, 32, 2)  # built as the data said, as Keras does


@pytest.mark.parametrize("first", [lambda: [], lambda: [mc.Dropout(0.1)], lambda: [mc.BatchNormalization()],
                                   lambda: [mc.ReLU()]], ids=["conv", "dropout", "batch-norm", "relu"])
@pytest.mark.parametrize("how", ["predict", "build"])
def test_the_channels_first_warning_comes_from_the_first_layer_that_takes_images(first, how):
    """A model that starts with Dropout or BatchNormalization, or is built by build((None, 1, 28, 28)), said
    nothing (the review's cases); the layers before the first that takes images keep the shape."""
    import warnings

    first = first()  # new layers for each test: a layer built once keeps its shape
    model = mc.Sequential(first + [mc.Conv2D(2, 3, padding="same"), mc.Flatten(), mc.Dense(1)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if how == "build":
            model.build((None, 1, 28, 28))
        else:
            model.predict(np.ones((2, 1, 28, 28), np.float32))
    said = [str(w.message) for w in caught if "channels first" in str(w.message)]
    assert len(said) == 1 and said[0].startswith(f"Conv2D '{model.layers[len(first)].name}': data of shape"), said


def test_images_of_different_sizes_and_labels_as_names_are_told_what_to_do():
    """A student's own photos of different sizes, passed as a list, got NumPy's "inhomogeneous shape" only; labels
    as class names got "expected y of real numbers, got dtype <U3" only (found in review)."""
    model = mc.Sequential([mc.Flatten(input_shape=(4, 4, 3)), mc.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(TypeError, match=r"its items have 2 different shapes, such as \(4, 4, 3\) and \(5, 4, 3\): "
                                        r"images of different sizes or channel counts\? give them one size "
                                        r"\(skimage\.transform\.resize\)"):
        model.fit([np.zeros((4, 4, 3)), np.zeros((5, 4, 3))], [0, 1], verbose=0)
    with pytest.raises(TypeError, match=r"expected y of real numbers, got dtype <U3; class names\? classes, numbers = "
                                        r"np\.unique\(labels, return_inverse=True\) numbers them"):
        model.fit(np.zeros((2, 4, 4, 3)), np.array(["cat", "dog"]), verbose=0)
    with pytest.raises(TypeError, match=r"got a list that NumPy cannot read as one array \(.*\)$"):  # no such advice
        model.fit([[0.0, 1.0], [2.0]], [0, 1], verbose=0)
    with pytest.raises(TypeError, match=r"expected y of real numbers, got dtype object; class names\?"):  # pandas'
        model.fit(np.zeros((2, 4, 4, 3)), np.array(["cat", "dog"], dtype=object), verbose=0)
    with pytest.raises(TypeError, match=r"expected x of real numbers, got \['a\.png', 'b\.png'\]$"):  # not names
        model.fit(["a.png", "b.png"], [0, 1], verbose=0)


def test_validation_data_that_is_not_a_pair_says_what_it_got_and_weights_say_what_to_do_instead():
    """validation_data=(x, y, w), Keras' triple with sample weights, or x alone, got "must be a pair" without what
    was given; class_weight was refused without an alternative (found in review)."""
    model = mc.Sequential([mc.Dense(1, input_shape=(2,), activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    x, y = np.zeros((4, 2)), np.zeros((4, 1))
    triple = r"got a tuple of 3; minicnn has no sample weights: give \(x_val, y_val\)$"
    for given, said in (((x, y, np.ones(4)), triple), (x, r"got an array of shape \(4, 2\)$")):
        with pytest.raises(ValueError, match=r"^sequential\.fit: validation_data must be a pair \(x_val, y_val\), "
                                             + said):
            model.fit(x, y, validation_data=given, verbose=0)
    with pytest.raises(TypeError, match=r"for rare classes, repeat their samples in x and y \(np\.repeat\)"):
        model.fit(x, y, class_weight={0: 1, 1: 3}, verbose=0)
    with pytest.raises(ValueError, match=r"must be a pair \(x_val, y_val\), got a dict$"):
        model.fit(x, y, validation_data={"x": x, "y": y}, verbose=0)
    assert len(model.fit(x, y, validation_data=(x, y, None), verbose=0).history["val_loss"]) == 1  # Keras takes it


def test_ctrl_c_inside_a_kernel_of_a_layer_called_alone_or_of_feature_maps_is_keyboard_interrupt(monkeypatch):
    """After fit and the model's own calls, a layer called alone (layer(x)) and plot_feature_maps still let Numba's
    SystemError through (found in review)."""
    from minicnn.plots import plot_feature_maps

    layer = mc.Conv2D(2, 3, input_shape=(8, 8, 1), seed=0)
    model = mc.Sequential([layer])

    def kernel_stopped(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(<function _conv>) returned a result with an exception set")

    monkeypatch.setattr(layer, "forward", kernel_stopped)
    for call in (lambda: layer(np.zeros((1, 8, 8, 1))), lambda: plot_feature_maps(model, np.zeros((8, 8, 1)))):
        with pytest.raises(KeyboardInterrupt):
            call()



def test_ctrl_c_inside_a_numba_kernel_is_keyboard_interrupt_however_the_kernel_was_reached(monkeypatch):
    """Numba's SystemError for a Ctrl-C inside a compiled kernel reached ``except KeyboardInterrupt`` from a model's
    methods, a layer called as ``layer(x)`` and ``plot_feature_maps``, but not from a layer's ``forward`` called by
    name, nor from ``minicnn.functional`` (stop 35's left-alone item): the numba backend's functions raise it as
    itself now."""
    import minicnn.functional as F
    from minicnn.kernels import cpu

    def product_stopped(*args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(<function _matmul>) returned a result with an exception set")

    monkeypatch.setattr(cpu, "_matmul", product_stopped)
    conv, dense = mc.Conv2D(2, 3, input_shape=(8, 8, 1), seed=0), mc.Dense(2, input_shape=(4,), seed=0)
    images, rows = np.zeros((1, 8, 8, 1), np.float32), np.zeros((1, 4), np.float32)
    with mc.use_backend("numba"):
        for call in (lambda: conv.forward(images), lambda: dense.forward(rows),
                     lambda: F.conv2d(images, np.zeros((3, 3, 1, 2), np.float32)),
                     lambda: F.dense(rows, np.zeros((4, 2), np.float32))):
            with pytest.raises(KeyboardInterrupt):
                call()

def _sigmoid_unit():
    model = mc.Sequential([mc.Dense(1, activation="sigmoid", input_shape=(3,))], seed=0)
    model.compile("sgd", "binary_crossentropy")
    return model


UNIT_X = np.random.default_rng(1).uniform(size=(16, 3))
UNIT_Y = np.random.default_rng(1).integers(0, 2, (16, 1)).astype(float)


def test_two_fits_without_a_seed_warn_of_no_repeated_draws():
    """Fits without a seed draw from fresh entropy: none is warned of as repeating the last one's draws (the
    warning compared the seed, None both times, instead of the generator's state) (mutation round: no test failed
    where it was changed)."""
    model = _sigmoid_unit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(UNIT_X, UNIT_Y, verbose=0)
        model.fit(UNIT_X, UNIT_Y, verbose=0)


def test_a_loop_of_augmenting_fits_without_shuffling_is_warned_of_in_its_own_words():
    """``shuffle=False`` with ``augment`` repeats the augmentations, not an order: warned of, and said so (the
    warning said "shuffles and augments" and "order" for a call that does not shuffle) (mutation round: no test
    failed where it was changed)."""
    model = _sigmoid_unit()
    augment = lambda batch, rng: batch + rng.normal(scale=0.01, size=batch.shape)  # noqa: E731
    model.fit(UNIT_X, UNIT_Y, verbose=0, shuffle=False, augment=augment, seed=0)
    with pytest.warns(UserWarning, match=r"seed=0 again: this call augments as this model's last fit did, so a loop "
                                         r"of fit\(epochs=1\) repeats one epoch's augmentations\. "):
        model.fit(UNIT_X, UNIT_Y, verbose=0, shuffle=False, augment=augment, seed=0)


def test_a_layer_unfrozen_after_training_began_is_named():
    """The refusal of a changed set of trained weights names the layer that was unfrozen, not only one added or
    removed (mutation round: no test failed where it was changed)."""
    model = mc.Sequential([mc.Dense(4, activation="relu", input_shape=(3,)), mc.Dense(1, activation="sigmoid")],
                          seed=0)
    model.layers[0].trainable = False
    model.compile("adam", "binary_crossentropy")
    model.fit(UNIT_X, UNIT_Y, verbose=0, seed=0)
    model.layers[0].trainable = True
    with pytest.raises(RuntimeError, match=r"the weights that train changed \(Dense '.*' unfrozen\)"):
        model.fit(UNIT_X, UNIT_Y, verbose=0, seed=1)


def test_weights_saved_for_flat_vectors_load_for_images_of_the_same_values(tmp_path):
    """After Flatten, (784,) and (28, 28) samples lay out the same values: their weights load into each other; the
    refusal is for another order of the same count (26×34 against 34×26) (mutation round: no test failed where it was
    changed)."""
    flat = mc.Sequential([mc.Flatten(input_shape=(784,)), mc.Dense(10)], seed=0)
    flat.build()
    flat.save_weights(tmp_path / "w.npz")
    images = mc.Sequential([mc.Flatten(input_shape=(28, 28)), mc.Dense(10)], seed=1)
    images.load_weights(tmp_path / "w.npz")
    assert all(np.array_equal(a, b) for a, b in zip(images.get_weights(), flat.get_weights()))


def _scale_warnings(train_x, test_x):
    model = _sigmoid_unit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(train_x, UNIT_Y, verbose=0, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.predict(test_x)
    return [str(w.message) for w in caught if "reaches" in str(w.message)]


def test_the_scale_warning_reads_magnitudes_and_keeps_its_floor():
    """Negative data counts by its magnitude; data trained within ±1.5 is not "0–1"; a model trained on unscaled
    data has no opinion; and the floor of 10 keeps small training values from warning of moderate ones (mutation
    round: no test failed where it was changed)."""
    assert _scale_warnings(-UNIT_X, -UNIT_X * 255)
    assert not _scale_warnings(UNIT_X * 0.02, UNIT_X * 5)
    assert not _scale_warnings(UNIT_X - 1.5, UNIT_X * 100)
    assert not _scale_warnings(UNIT_X * 50, UNIT_X * 6000)
