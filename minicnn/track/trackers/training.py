"""Training the Siamese tracker's network with minicnn, on pairs cut from the bundled photographs
(``minicnn train siamese``).

The loop is the textbook one, written out: draw a batch of pairs, forward both branches, the balanced logistic
loss on the 17×17 responses, backward by hand, an Adam step. The learning rate falls geometrically from
``learning_rate`` to ``learning_rate / 10`` over the run.

Every ``checkpoint_every`` steps, at the end of every epoch, and when Ctrl-C (or SIGTERM) stops the run, the
weights, Adam's moments, the step counter and the loss history go to ``OUT/checkpoint.npz`` (atomically: a crash
leaves the previous checkpoint whole). Ctrl-C waits for the step under way to finish, a second or so (a second
Ctrl-C does not, and leaves the last checkpoint saved). Run the same command again and training resumes from
there; pair ``i`` is always the same pair, so a resumed run sees the data an uninterrupted one would. The final
weights go to ``OUT/siamese.npz`` and a learning curve to ``OUT/learning_curve.png``.
"""

import json
import os
import time
from pathlib import Path

import numpy as np

from minicnn import checks
from minicnn.checks import finite_number
from minicnn.errors import NonFiniteError, TrainingDivergedError, WeightFileError
from minicnn.optimizers import Adam
from minicnn.plots import save_figure
from minicnn.progress import ProgressBar
from minicnn.track.pairs import make_batch
from minicnn.track.trackers.siamese import (CHANNELS, SiameseNetwork, logistic_loss, preprocess, read_npz,
                                            response_labels)

VALIDATION_SEED_OFFSET = 10_000
"""Validation pairs come from seed ``seed + VALIDATION_SEED_OFFSET``: never a training pair."""


def peak_errors(responses, offsets, stride=4):
    """Distance, in crop pixels, between each response's peak and the target's true centre."""
    size = responses.shape[-1]
    flat = responses.reshape(len(responses), -1).argmax(axis=1)
    peaks = np.stack([flat % size, flat // size], axis=1) - (size - 1) / 2
    return np.hypot(*(peaks * stride - offsets).T)


def validate(network, seed, count=64, batch_size=16):
    """Mean loss and mean peak error (crop pixels) on ``count`` fixed validation pairs."""
    losses, errors = [], []
    for start in range(0, count, batch_size):
        exemplars, searches, offsets = make_batch(seed + VALIDATION_SEED_OFFSET, start, min(batch_size,
                                                                                              count - start))
        responses = network.forward(preprocess(exemplars), preprocess(searches))
        loss, _ = logistic_loss(responses, response_labels(offsets, responses.shape[-1]))
        losses.append(loss)
        errors.append(peak_errors(responses, offsets))
    return float(np.mean(losses)), float(np.mean(np.concatenate(errors)))


def _check_arguments(pairs, epochs, batch_size, learning_rate, seed, checkpoint_every, validation_pairs):
    for name, value, smallest in (("pairs", pairs, 1), ("epochs", epochs, 1), ("batch_size", batch_size, 1),
                                  ("seed", seed, 0), ("checkpoint_every", checkpoint_every, 1),
                                  ("validation_pairs", validation_pairs, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < smallest:
            kind = "a positive integer" if smallest else "a whole number ≥ 0"
            raise ValueError(f"train_siamese: {name} must be {kind}, got {value!r}")
    if batch_size > pairs:
        raise ValueError(f"train_siamese: batch_size ({batch_size}) must not exceed pairs ({pairs})")
    if not finite_number(learning_rate) or learning_rate <= 0:
        raise ValueError(f"train_siamese: learning_rate must be a positive number, got {learning_rate!r}")


def _save_checkpoint(path, network, optimizer, step, history, settings):
    extra = {"__step__": np.array(step), "__history__": np.asarray(history, dtype=np.float64).reshape(-1, 4),
             "__settings__": np.array(json.dumps(settings))}
    extra.update({f"__adam__/{key}": value for key, value in optimizer.state_arrays().items()})
    network.save(path, extra)


def _check_weights_finite(network):
    """Raise FloatingPointError where an update made a weight NaN or infinite (a gradient overflowed): the next
    forward pass would only find it as an input full of NaN somewhere inside the network."""
    for name, value in network.weights().items():
        if not np.all(np.isfinite(value)):
            raise FloatingPointError(f"the update made the weight {name} NaN or infinite (a gradient overflowed)")


def _what_an_interruption_left(checkpoint, saved_step, total_steps, whole):
    """The line said when Ctrl-C (or SIGTERM) stops training: the step that the checkpoint holds."""
    during = "" if whole else " during an update"
    if saved_step == 0:
        return f"Interrupted{during}: no step saved yet"
    if whole:
        return f"Interrupted: step {saved_step} of {total_steps} saved in {checkpoint}"
    return f"Interrupted during an update: {checkpoint} holds step {saved_step} of {total_steps}"


def _diverged(cause, epoch, position, step, checkpoint, history):
    saved = (f"the last checkpoint, {checkpoint}, holds the weights of an earlier step" if checkpoint.exists()
             else "no checkpoint was written yet")
    return TrainingDivergedError(f"train_siamese: training stopped: {cause} at epoch {epoch}, step {position} "
                                 f"(step {step} overall); {saved}. Try a smaller learning_rate",
                                 epoch, position, history)


#: the settings of checkpoints written before they were stored by name, in their order there
_OLD_SETTINGS_ORDER = ("pairs", "epochs", "batch_size", "seed", "learning_rate")


def _stored_settings(value):
    """A checkpoint's settings as a dict: JSON text, or (older checkpoints) numbers in ``_OLD_SETTINGS_ORDER``
    followed by the channels."""
    if value.dtype.kind == "U":
        return json.loads(str(value))
    numbers = [float(v) for v in value]
    return {**dict(zip(_OLD_SETTINGS_ORDER, numbers)), "channels": numbers[len(_OLD_SETTINGS_ORDER):]}


def _load_checkpoint(path, settings, optimizer, total_steps):
    """``(network, step, history)`` from a checkpoint of this run (``settings`` equal to its own), with Adam's
    state loaded into ``optimizer``; anything else is refused by name, with what to do."""
    where = f"{os.fspath(path)!r}"
    advice = "use another --out folder, or start afresh over it with --no-resume (resume=False), which discards it"
    try:
        network, others = SiameseNetwork.load(path)
    except WeightFileError as error:  # cut short by a crash of the machine, say
        raise WeightFileError(f"{error}; {advice}") from None
    missing = [key for key in ("__settings__", "__step__", "__history__", "__adam__/iterations") if key not in others]
    if missing:
        raise WeightFileError(f"{where} is not a checkpoint of train siamese (it has no {', '.join(missing)}: a "
                              f"weight file?); {advice}")
    stored = _stored_settings(others["__settings__"])
    differences = [f"{name.replace('_', ' ')} {stored[name]!r} there, {value!r} asked for"
                   for name, value in settings.items()
                   if name in stored and (list(stored[name]) if name == "channels" else stored[name]) != value]
    if differences:
        raise ValueError(f"{where} is a checkpoint of another run ({'; '.join(differences)}): to go on with it, "
                         f"ask for its settings; else {advice}")
    step, history = others["__step__"], np.asarray(others["__history__"])
    if (step.shape != () or step.dtype.kind not in "iu" or not 0 <= step <= total_steps
            or history.shape != (step, 4)):
        raise WeightFileError(f"{where} is a damaged checkpoint (step {step.tolist()} of {total_steps}, a history "
                              f"of shape {history.shape}); {advice}")
    state = {key[len("__adam__/"):]: value for key, value in others.items() if key.startswith("__adam__/")}
    optimizer.load_state_arrays(state, network.trainable_pairs())
    return network, int(step), [tuple(row) for row in history]


def train_siamese(out="minicnn_siamese", pairs=12_000, epochs=2, batch_size=8, learning_rate=1e-3, seed=0,
                  channels=CHANNELS, checkpoint_every=200, validation_pairs=64, progress=True, resume=True,
                  print_fn=print):
    """Train the Siamese network; returns ``(network, history)``.

    Parameters
    ----------
    out : path
        Folder for ``checkpoint.npz``, ``siamese.npz`` and ``learning_curve.png``.
    pairs, epochs, batch_size : int
        Each epoch goes over pairs ``0 … pairs − 1`` of ``seed`` in a new order, in ``pairs // batch_size`` full
        batches: where ``batch_size`` does not divide ``pairs``, the last few of that epoch's order wait for
        another epoch.
    seed : int ≥ 0
        The pairs and the initial weights.
    checkpoint_every, validation_pairs : int
        Steps between checkpoints (and one at the end of every epoch); validation pairs scored after each epoch.
    learning_rate : float
        Adam's step size at the start; it decays geometrically to a tenth of it.
    channels : five ints
        The embedding's widths (the tests train a tiny network).
    resume : bool
        Continue from ``out/checkpoint.npz`` when it exists (its settings must match).

    ``history`` rows are ``(step, training loss, validation loss, validation peak error in crop pixels)``;
    the validation columns are NaN except at the end of an epoch.
    """
    _check_arguments(pairs, epochs, batch_size, learning_rate, seed, checkpoint_every, validation_pairs)
    fresh = SiameseNetwork(channels, seed=seed)  # checks channels before anything is made on the disk
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"out: {out} is a file; expected a folder for checkpoint.npz, siamese.npz and "
                                 "learning_curve.png (it is made if it does not exist)")
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "checkpoint.npz"
    if not resume:  # discarded now: a run stopped before its first checkpoint must not resume the old one
        checkpoint.unlink(missing_ok=True)
    steps_per_epoch = pairs // batch_size
    total_steps = steps_per_epoch * epochs
    settings = {"pairs": int(pairs), "epochs": int(epochs), "batch_size": int(batch_size), "seed": int(seed),
                "learning_rate": float(learning_rate), "channels": [int(c) for c in channels],
                "validation_pairs": int(validation_pairs)}
    optimizer = Adam(learning_rate)
    history, step = [], 0
    if resume and checkpoint.exists():
        network, step, history = _load_checkpoint(checkpoint, settings, optimizer, total_steps)
        if step == total_steps:
            print_fn(f"The run in {checkpoint} is finished ({total_steps} steps): writing its weights and learning "
                     f"curve again")
        else:
            print_fn(f"Resuming from {checkpoint} at step {step} of {total_steps}")
    else:
        network = fresh
    started = time.perf_counter()
    recent = [row[1] for row in history[-50:]]  # the running mean of the losses, as an uninterrupted run shows it
    finished = False
    saved_step = step  # the step that the checkpoint on the disk holds (0: none)
    whole = True  # False from an update until its row is in the history: weights, Adam, step and history disagree
    try:
        with ProgressBar(total_steps, enabled=progress, first=step) as bar:
            while step < total_steps:
                epoch, position = divmod(step, steps_per_epoch)
                order = np.random.default_rng([seed, epoch]).permutation(pairs)
                indices = order[position * batch_size:(position + 1) * batch_size]
                batch = [make_batch(seed, int(i), 1) for i in indices]
                exemplars = np.concatenate([b[0] for b in batch])
                searches = np.concatenate([b[1] for b in batch])
                offsets = np.concatenate([b[2] for b in batch])
                optimizer.learning_rate = learning_rate * 0.1 ** (step / max(total_steps - 1, 1))
                with checks.interruptions_deferred():  # Ctrl-C waits for the step's row (a second one does not)
                    try:
                        responses = network.forward(preprocess(exemplars), preprocess(searches), training=True)
                        loss, grad = logistic_loss(responses, response_labels(offsets, responses.shape[-1]))
                        if not np.isfinite(loss):
                            raise FloatingPointError(f"the loss became {loss}")
                        network.backward(grad)
                        whole = False
                        optimizer.step(network.trainable_pairs())
                        _check_weights_finite(network)
                    except (FloatingPointError, NonFiniteError) as error:
                        raise _diverged(error, epoch + 1, position + 1, step + 1, checkpoint, history) from error
                    step += 1
                    recent = (recent + [loss])[-50:]
                    row = [step, loss, np.nan, np.nan]
                    end_of_epoch = step % steps_per_epoch == 0
                    if end_of_epoch:
                        row[2], row[3] = validate(network, seed, validation_pairs)
                    history.append(tuple(row))
                    whole = True
                epoch_shown = f"{step // steps_per_epoch + (not end_of_epoch)}/{epochs}"
                bar.update(step, loss=float(np.mean(recent)), epoch=epoch_shown)
                if end_of_epoch or step % checkpoint_every == 0:
                    _save_checkpoint(checkpoint, network, optimizer, step, history, settings)
                    saved_step = step
                if end_of_epoch and progress:
                    if step == total_steps:
                        bar.finish()  # the last line, once, above the last epoch's
                        finished = True
                    bar.end_line()
                    print_fn(f"epoch {step // steps_per_epoch}: validation loss {row[2]:.4f}, peak error "
                             f"{row[3]:.1f} crop px ({time.perf_counter() - started:.0f} s)")
            if not finished:
                bar.finish()
    except (KeyboardInterrupt, SystemError) as stop:  # SystemError: Ctrl-C inside a Numba kernel
        if checks.interruption_in(stop) is None:
            raise
        if whole and step > saved_step:
            _save_checkpoint(checkpoint, network, optimizer, step, history, settings)
            saved_step = step
        print_fn(_what_an_interruption_left(checkpoint, saved_step, total_steps, whole))
        raise
    network.save(out / "siamese.npz")
    plot_learning_curve(history, out / "learning_curve.png")
    return network, np.asarray(history, dtype=np.float64).reshape(-1, 4)


def smoothing_window(steps):
    """How many steps the training loss's running mean covers: 50, or a fifth of a shorter run (at least 1), so
    that a run of 50 steps or fewer still draws a line (a mean of all of them was one point, not drawn)."""
    return max(1, min(50, steps // 5))


def plot_learning_curve(history, path):
    """Training loss (a running mean, ``smoothing_window``) and the per-epoch validation loss and peak error, saved to
    ``path`` (atomically). It draws on a bare ``Figure``, not through pyplot, so a notebook's plotting is left as
    it was."""
    from matplotlib.figure import Figure

    history = np.asarray(history, dtype=np.float64).reshape(-1, 4)
    figure = Figure(figsize=(10, 3.8))
    loss_axes, error_axes = figure.subplots(1, 2)
    steps, losses = history[:, 0], history[:, 1]
    window = smoothing_window(len(losses))
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    loss_axes.plot(steps, losses, color="0.8", lw=0.5, label="training loss (per step)")
    loss_axes.plot(steps[window - 1:], smooth, color="C0", label=f"training loss (mean of {window})")
    epochs = ~np.isnan(history[:, 2])
    loss_axes.plot(steps[epochs], history[epochs, 2], "o-", color="C1", label="validation loss")
    loss_axes.set(xlabel="step", ylabel="balanced logistic loss", title="Siamese network: loss")
    loss_axes.legend()
    error_axes.plot(steps[epochs], history[epochs, 3], "o-", color="C2")
    error_axes.set(xlabel="step", ylabel="peak error (crop pixels)", title="validation: response peak to target")
    figure.tight_layout()
    return save_figure(figure, path, dpi=100)


def read_checkpoint_history(path):
    """The loss history stored in a checkpoint (for plotting a run in progress)."""
    return read_npz(path)["__history__"]
