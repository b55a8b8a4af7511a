"""``Sequential``: a stack of layers with Keras' life cycle — ``summary``, ``compile``, ``fit``, ``evaluate``,
``predict`` — plus ``forward``/``backward`` for stepping through backpropagation by hand, and safe weight files
(``weight_files``).

One training step (``train_on_batch``) is the whole story of the document::

    ŷ = forward(x)                      every layer in order
    L = loss(y, ŷ)                      e.g. binary cross-entropy
    g = ∂L/∂ŷ → backward(g)             every layer in reverse fills layer.grads (down to the lowest one
                                        with weights: ∂L/∂x of the data itself is never needed)
    w ← w − α ∂L/∂w                     the optimizer, for every (param, grad) pair
"""

import contextlib
import copy
import functools
import math
import os
import pickle
import warnings

import numpy as np

from minicnn import backend, checks
from minicnn.checks import finite_number
from minicnn.errors import (MODEL_NAMES, NonFiniteError, ShapeError, TrainingDivergedError, WeightFileError,
                            refuse_keras_arguments)
from minicnn.layers.activations import Sigmoid, Softmax
from minicnn.layers.base import Input, Layer, batch_shape_text, build_checked, check_layer_contract, gradient_for
from minicnn.layers.reshape import Flatten
from minicnn.losses import get_loss
from minicnn.metrics import check_metric_names, get_metric, labels_problem
from minicnn.optimizers import get_optimizer
from minicnn.progress import ProgressBar
from minicnn.weight_files import WEIGHTS_FORMAT, check_format, read_npz, stored_header, write_npz_atomically

#: an epoch's training loss this many times the lowest of the epochs before it: ``fit`` warns that it diverges
DIVERGING_FACTOR = 100.0

STORES = ("params", "grads", "state")
"""A layer's dicts of arrays: what ``on_device`` moves to where the backend computes, and back."""


class History:
    """What ``fit`` returns: ``history.history["loss"]``, ``["accuracy"]``, ``["val_loss"]``, ... one value per
    epoch, and ``history.epoch`` (0-based epoch numbers), as in Keras."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def plot(self, axes=None):
        """Learning curves: loss (left) and every metric (right), training and validation, per epoch.

        Parameters
        ----------
        axes : matplotlib Axes, or a sequence or array of them, optional
            Where to draw: one Axes (the loss) for a history without metrics, two (loss, metrics) for one with
            metrics, e.g. ``figure, axes = plt.subplots(1, 2)``. By default a new figure with as many panels.

        Returns
        -------
        matplotlib.figure.Figure
            The figure the curves are in. In a notebook assign it (``figure = history.plot()``) or end the cell
            with ``plt.show()``, else it is shown twice: once as pyplot's open figure, once as the cell's value. A
            script that makes many should close each one, ``plt.close(figure)``, once saved: matplotlib warns
            after 20 open figures.
        """
        from matplotlib.ticker import MaxNLocator

        from minicnn.plots import history_axes

        metric_names = [n for n in self.history if not n.startswith("val_") and n != "loss"]
        axes = history_axes(axes, metric_names)
        epochs = np.arange(1, len(self.epoch) + 1)
        for ax, names in zip(axes, (["loss"], metric_names)):
            fresh = not ax.lines  # axes given with curves on them (runs overlaid): limits to fit every run
            if not fresh:
                ax.set_autoscalex_on(True)  # (a one-epoch run drawn first fixed them to 0.5–1.5)
            for name in names:
                for prefix, style in (("", "-o"), ("val_", "--s")):
                    if prefix + name in self.history:
                        ax.plot(epochs, self.history[prefix + name], style, markersize=3,
                                label=("validation " if prefix else "training ") + name)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs 1, 2, 3: not 1.25, 1.5, ...
            if len(epochs) == 1 and fresh:  # a range around one point holds one whole number: 0.95, 0.96… drawn
                ax.set_xticks([1])
                ax.set_xlim(0.5, 1.5)
            ax.set_ylabel(" / ".join(names))
            ax.set_title("Loss per epoch" if names == ["loss"] else "Metrics per epoch")
            ax.grid(alpha=0.3)
            if ax.lines:
                ax.legend()
            else:  # stopped (Ctrl-C) before an epoch ended: say so, not an empty legend and matplotlib's warning
                ax.text(0.5, 0.5, "no epoch finished", ha="center", va="center", transform=ax.transAxes)
        axes[0].figure.tight_layout()
        return axes[0].figure


def _as_array(value, argument, where):
    array = checks.real_array(value, argument, where)
    if array.ndim == 0:
        raise ShapeError(f"{where}: {argument} must have a batch axis first, got a scalar")
    return array


def check_layer_output(layer, output, samples, expected):
    """A layer's output must hold one row per sample and, where its ``compute_output_shape`` said what it would be
    (``expected``, batch axis None), that shape: one of your own layers that averages over the batch, or changes
    the shape without saying so in ``compute_output_shape``, is named here, not by the layer or loss after it.
    The output must be an array (NumPy's, or the backend's on a device), not a list or a number."""
    if not (hasattr(output, "shape") and hasattr(output, "dtype")):
        raise TypeError(f"{layer.describe()} returned a {type(output).__name__} from forward "
                        f"({checks.short_repr(output)}), where a layer returns an array (np.asarray(...) of it?)")
    shape = tuple(np.shape(output))
    if not shape or shape[0] != samples:
        raise ShapeError(f"{layer.describe()} returned an output of shape {shape} for a batch of {samples}: a layer "
                         f"gives one output per sample, along the first axis (a mean or sum over axis 0?)")
    if expected is not None and shape[1:] != tuple(expected[1:]):
        raise ShapeError(f"{layer.describe()} returned an output of shape {shape}, where its compute_output_shape "
                         f"gives {batch_shape_text(expected)}: a layer that changes the shape must say how in "
                         f"compute_output_shape(input_shape), which build, summary and the layers after it use")


def set_weight_slots(slots, weights, where):
    """Set each ``(layer, key, array)`` of ``slots`` from the list ``weights``, in order, for ``set_weights`` of a
    model or a layer: every array is checked (count, shape, values) and converted before the first is set, so
    nothing is half applied, and errors start with ``where``. A host array is written in place, as Keras assigns
    its variables: the arrays the caller passed are not kept, and a layer's own names for its arrays stay valid.
    Inside ``on_device`` a weight on the device is replaced by a copy of the value there, so that the steps that
    follow need no hidden copies."""
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
        raise TypeError(f"{where}: expected a list of arrays shaped like get_weights(), got {weights!r}")
    weights = list(weights)
    if len(weights) != len(slots):
        raise WeightFileError(f"{where}: expected {len(slots)} arrays (one per weight), got {len(weights)}")
    values = []
    for (layer, key, array), value in zip(slots, weights):
        named = f"{where}: {layer.describe()} {key}"
        try:
            value = np.asarray(value)
        except ValueError:  # a ragged list
            raise ShapeError(f"{named}: expected shape {array.shape}, got rows of uneven lengths") from None
        if value.shape != tuple(array.shape):
            raise ShapeError(f"{named}: expected shape {tuple(array.shape)}, got {value.shape}")
        values.append(checked_weight_value(value, layer.dtype, f"{layer.describe()} {key}", where, layer, key))
    kernels = backend.kernels()
    for (layer, key, _), value in zip(slots, values):
        store = layer.params if key in layer.params else layer.state
        current = store[key]
        if isinstance(current, np.ndarray) and current.dtype == value.dtype and current.flags.writeable:
            current[...] = value  # in place, so a layer that keeps the array under a name of its own (self.W) sees it
        elif kernels.is_device_array(current):  # inside on_device (a training loop of yours): kept on the device
            store[key] = kernels.to_device(value)
        else:
            store[key] = value


def _as_returned(results, return_dict):
    """``results`` (``{"loss": ..., metric: ...}``) as Keras returns them: the dict with ``return_dict``, else the
    loss alone where there are no metrics, or ``[loss, metric, ...]``."""
    if return_dict:
        return results
    return results["loss"] if len(results) == 1 else list(results.values())


def _batch_input_shape(input_shape, where):
    """``input_shape`` as the batch axis (None or a size) then one sample's sizes, each a whole number ≥ 1."""
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = ()
    whole = [isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in shape]
    if isinstance(input_shape, str) or len(shape) < 2 or not (shape[0] is None or whole[0]) or not all(whole[1:]):
        raise ValueError(f"{where}: input_shape must be the batch axis (None) followed by one sample's sizes, e.g. "
                         f"(None, 32, 32, 1), got {input_shape!r}")
    return (None if shape[0] is None else int(shape[0]),) + tuple(int(d) for d in shape[1:])


def _check_verbose(verbose, where):
    """``verbose`` as 0 (silent), 1 (a progress bar) or 2 (its last line only, Keras' one line per epoch); True and
    False are 1 and 0, and Keras' "auto" is 1."""
    if verbose == "auto":
        return 1
    if not isinstance(verbose, (int, np.integer)) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}: verbose must be 0 (silent), 1 (a progress bar) or 2 (its last line only, as "
                         f"Keras' one line per epoch), got {verbose!r}")
    return int(verbose)


NO_NAN_AGAIN = "running the batch through the layers again made none (a layer whose forward draws at random?)"
"""What a NaN's search says where running the batch again (``Sequential._layer_that_made_nan``) made no NaN."""


def _progress_bar(steps, verbose):
    """The progress bar ``verbose`` asks for: none (0), live (1), or its finished line only (2)."""
    return ProgressBar(steps, enabled=bool(verbose), live=verbose == 1)


def _check_finite(array, argument, where, why=""):
    if array.dtype.kind == "f" and not checks.all_finite(array):
        raise NonFiniteError(f"{where}: {argument} contains NaN or infinity ({checks.first_not_finite(array)}){why}")


INPUTS_FAR_FROM_0_TO_1 = 10
"""Inputs of which a hundredth lie beyond ± this are named as a cause where predictions saturate: a network's initial
weights are scaled for inputs near 0–1 (standardised features lie mostly within ±3)."""


KERAS_BATCH_SIZE = 32
"""The batch size of ``fit``, ``evaluate`` and ``predict`` by default, and where ``batch_size=None`` is given (Keras'
default argument, which means 32 there)."""


def _largest_magnitude(x):
    """``max |x|`` over every value of ``x`` (0 for no values)."""
    return max(abs(float(np.min(x))), abs(float(np.max(x)))) if np.size(x) else 0.0  # (no -x: uint8 wraps)


def _warn_if_scaled_otherwise(x, trained_on, where, argument="x"):
    """Warn where ``x`` given to ``evaluate`` or ``predict`` (or as ``fit``'s validation data) reaches values over
    100 times ``trained_on``, the largest magnitude of the data the model is fitted on (itself within ±2: scaled
    data), and beyond ``INPUTS_FAR_FROM_0_TO_1``: test images left as 8-bit values beside training images divided
    by 255 gave a loss of 7 and chance accuracy without a word (found in review)."""
    if trained_on is None or not 0 < trained_on <= 2:
        return
    largest = _largest_magnitude(x)
    if largest > max(100 * trained_on, INPUTS_FAR_FROM_0_TO_1):
        warnings.warn(f"{where}: {argument} reaches {largest:g}, and this model is trained on values within "
                      f"±{trained_on:.3g} (fit's x): scale {argument} as the training data was (x / 255 for 8-bit "
                      f"images), or its outputs mean nothing", stacklevel=checks.stacklevel_outside_minicnn())


def _warn_if_8_bit_values(x, where, smallest, largest):
    """Warn where ``x`` holds an image's 8-bit values, whole numbers in 0–255 reaching past 127: weights
    initialised for inputs near 0–1 then make outputs hundreds of times too large, a sigmoid's predictions start at
    0 or 1, and the training stalls at chance (the faces as uint8: accuracy 0.5 where x / 255 reaches 0.9). Rows of
    features (x of rank 2) in that range are as often counts or ages: the advice then standardises them too. Images
    of whole numbers past 10 bits (a scientific camera's 12- to 16-bit PNG or TIFF) are warned of likewise, with the
    divisor of the bits their largest value needs (x / 65535 for 12-bit data left the inputs within 0–0.06).
    ``smallest`` and ``largest`` are ``x``'s, found once by ``fit`` for this and for the scale it keeps."""
    if x.ndim > 2 and 0 <= smallest and 1023 < largest <= 65535 and (
            x.dtype.kind in "iu" or np.array_equal(x, np.round(x))):  # past 10 bits: a camera's 12 to 16 bits
        bits = int(np.ceil(np.log2(float(largest) + 1)))
        warnings.warn(f"{where}: x holds whole numbers from {smallest:g} to {largest:g}, as a camera's 12- to 16-bit "
                      f"pixels do; a network's initial weights are scaled for inputs near 0–1, and these saturate its "
                      f"outputs from the first step: x / {2 ** bits - 1} scales them if the camera's pixels have "
                      f"{bits} bits (x / 4095 for 12, x / 65535 for 16: dividing 12-bit values by 65535 leaves them "
                      f"within 0–0.06, and the training stalls all the same)",
                      stacklevel=checks.stacklevel_outside_minicnn())
        return
    if not (0 <= smallest and 127 < largest <= 255):
        return
    if x.dtype.kind == "f" and not np.array_equal(x, np.round(x)):
        return
    if x.ndim > 2:  # images
        kind, scale = "as an image's 8-bit pixels do", "x / 255 scales them (datasets.load_faces gives them scaled)"
    else:  # rows of features: counts, ages, levels as often as pixels
        kind = "as an image's 8-bit pixels or features measured in whole units do"
        scale = ("x / 255 scales 8-bit pixels; features are standardised column by column, (x - x.mean(axis=0)) / "
                 "x.std(axis=0), with the training data's mean and deviation used for the test data too")
    warnings.warn(f"{where}: x holds whole numbers from {smallest:g} to {largest:g}, {kind}; a network's initial "
                  f"weights are scaled for inputs near 0–1, and these saturate its outputs from the first step: "
                  f"{scale}", stacklevel=checks.stacklevel_outside_minicnn())


def _generator_beside(rng):
    """A generator of its own made from ``rng`` without drawing from it: spawned from its seed, or where the seed
    cannot spawn (a bit generator given a key of its own, such as ``Philox(key=5)``) its bit generator jumped far
    ahead (``jumped``, which leaves ``rng`` as it is); from a draw of ``rng`` only where neither can be done."""
    try:
        return rng.spawn(1)[0]
    except TypeError:  # "The underlying SeedSequence does not implement spawning"
        if hasattr(rng.bit_generator, "jumped"):
            return np.random.Generator(rng.bit_generator.jumped())
        return np.random.default_rng(rng.integers(2**63))


def _augment_with(augment, rng, x_batch, _):
    """``augment(x_batch, rng)`` with the generator ``rng`` of its own, whichever ``fit`` passes."""
    return augment(x_batch, rng)


#: the steps an optimizer of yours may take without moving a weight before training warns (one that adds gradients
#: up over a few batches, or warms up from a step of 0, moves them sooner)
UNMOVED_STEPS = 10


def _check_gradients_finite(kernels, pairs, names, layer_that_made_it):
    """Refuse a step whose gradients hold NaN or infinity before the optimizer writes them into the weights: the
    weights stay those of the last good step. They are checked where they are (on an accelerator only a flag per
    gradient comes back). The cause is a product that overflowed in backward, or an infinity inside the network
    that the loss did not see (a sigmoid of −inf is 0; on an accelerator no layer checks its input):
    ``layer_that_made_it()`` names the layer that made one, or None."""
    for (_, grad), name, bad in zip(pairs, names, kernels.not_finite([grad for _, grad in pairs])):
        if bad:
            made = layer_that_made_it()
            cause = f"an infinity the loss did not see: {made}" if made else "a product overflowed in backward"
            raise NonFiniteError(f"the gradient of {name} contains NaN or infinity "
                                 f"({checks.first_not_finite(kernels.to_host(grad))}): {cause}; nothing was updated")


def _check_updated_weights_finite(kernels, pairs, names, optimizer):
    """After the update: a finite gradient times the learning rate can still overflow the weights' dtype (a
    learning rate of 1e30). The step is made by then; the error says so (and ``save_weights`` refuses them)."""
    for (param, _), name, bad in zip(pairs, names, kernels.not_finite([param for param, _ in pairs])):
        if bad:
            raise NonFiniteError(f"the update made {name} NaN or infinite ({type(optimizer).__name__}'s step from "
                                 f"a finite gradient, at learning rate {optimizer.learning_rate:g}, overflowed "
                                 f"{param.dtype})")


def checked_weight_value(value, dtype, name, where, layer=None, key=None, not_numbers=TypeError):
    """``value`` (a weight's array, its shape checked by the caller) converted to ``dtype``, refused by ``name``
    before anything is set where it is not numbers (``not_numbers`` is the error's type), not finite in ``dtype``
    (NaN, infinity, or a number too large for the dtype) or, for weight ``key`` of ``layer``, a value the layer
    cannot compute with (``Layer.check_weight``)."""
    if value.dtype.kind not in "fiu":
        raise not_numbers(f"{where}: {name}: expected numbers, got {value.dtype}")
    with np.errstate(over="ignore"):  # a value too large for the dtype becomes inf, refused just below
        converted = np.array(value, dtype=dtype)
    if not np.all(np.isfinite(converted)):  # a finite value that became infinite did not fit the dtype
        overflowed = np.all(np.isfinite(value))
        why = f" ({np.dtype(dtype)} holds numbers up to {np.finfo(dtype).max:.3g})" if overflowed else ""
        _check_finite(converted, name, where, why)
    if layer is not None:
        layer.check_weight(key, converted, f"{where}: {name}")
    return converted


def _check_fits(array, argument, dtype, where):
    """Refuse finite numbers that the cast to ``dtype`` would make infinite (float64 data beyond float32's 3.4e38):
    named here, rather than as an infinity inside the network."""
    dtype = np.dtype(dtype)
    if array.dtype.kind == "f" and array.dtype.itemsize > dtype.itemsize:
        too_large = np.abs(array) > np.finfo(dtype).max
        if too_large.any():
            index = checks.first_index(too_large)
            raise ValueError(f"{where}: {argument} holds {array[index]:g} at index {index}, beyond {dtype} (the "
                             f"model's dtype), which holds numbers up to {np.finfo(dtype).max:.3g}")


def _absent(layer, layers):
    """Whether ``layer`` (that very object) is not among ``layers``; layers compare by identity here."""
    return not any(layer is other for other in layers)


class Sequential:
    """A plain stack of layers, each feeding the next.

    Parameters
    ----------
    layers : list of Layer, optional
    name : str, default "sequential"
    seed : int, optional
        Seeds the initial weights of every layer that was not given its own ``seed`` (same seed, same weights).
        Each such layer gets its seed as it is added, so the weights are the same however the model is first run:
        by ``fit``, ``build`` or layer by layer.
    """

    def __init__(self, layers=None, name="sequential", seed=None):
        self.name = name
        self.seed = checks.seed(seed, "seed", f"Sequential {name!r}")
        self._layer_seeds = np.random.default_rng(seed)  # the k-th layer without a seed of its own gets the k-th
        self.layers = []
        self.loss = None
        self.optimizer = None
        self._trainable_when_stepped = None
        self._optimizer_mark = object()  # left on the optimizer it steps: another model's refuse its state
        self.metrics = []
        self.built = False
        self._declared_input = None
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"{name}: layers must be a list of layers, got {type(layers).__name__}")
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------------ structure
    def add(self, layer):
        """Append a layer to the stack; an ``Input`` first gives the next layer its ``input_shape``."""
        if isinstance(layer, Input):
            if self.layers or self._declared_input is not None:
                raise ValueError(f"Sequential.add: an Input comes first, before any layer, and once; got {layer!r} "
                                 f"after {self.layers[-1].describe() if self.layers else 'another Input'}")
            self._declared_input = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer (Conv2D, Dense, ...), got {type(layer).__name__}")
        check_layer_contract(layer, "Sequential.add")
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(f"Sequential.add: a layer named {layer.name!r} is already in the model; names must be "
                             "unique")
        if getattr(layer, "seed", 0) is None and self.seed is not None:
            layer.seed = int(self._layer_seeds.integers(2**31))
        if not self.layers and self._declared_input is not None:
            if layer.input_shape is not None and tuple(layer.input_shape[1:]) != self._declared_input.shape:
                raise ValueError(f"Sequential.add: {layer.describe()} has input_shape {layer.input_shape[1:]}, but "
                                 f"the Input in front of it has shape {self._declared_input.shape}; give one of them")
            layer.declare_input_shape(self._declared_input.shape)
        self._refuse_a_later_input_shape_that_does_not_fit(layer)
        self.layers.append(layer)
        self.built = False

    def _refuse_a_later_input_shape_that_does_not_fit(self, layer):
        """An ``input_shape`` on a layer after the first, which Keras ignores, is checked by minicnn against what the
        layers before it give: where those are known now (from the first layer's ``input_shape``) and differ, say so
        here, naming where ``input_shape`` belongs, not at the first ``fit`` in the layer's words."""
        if not self.layers or layer.input_shape is None or self.layers[0].input_shape is None:
            return
        shapes = self._output_shapes_for(self.layers[0].input_shape)
        if shapes and tuple(shapes[-1][1:]) != tuple(layer.input_shape[1:]):
            raise ShapeError(f"Sequential.add: {layer.describe()} has input_shape {tuple(layer.input_shape[1:])}, and "
                             f"the layer before it, {self.layers[-1].describe()}, gives {tuple(shapes[-1][1:])}: "
                             f"input_shape belongs on the first layer (Keras ignores it on later ones, minicnn checks "
                             f"it); leave it out here")

    def pop(self):
        """Remove the last layer and return it, as Keras does."""
        if not self.layers:
            raise ValueError(f"{self.name}.pop: the model has no layers")
        self.built = False
        return self.layers.pop()

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` (from 0; -1 is the last), as Keras finds it."""
        if (name is None) == (index is None):
            raise ValueError(f"{self.name}.get_layer: give a name or an index, not "
                             f"{'both' if name is not None else 'neither'}")
        if index is not None:
            if not isinstance(index, (int, np.integer)) or isinstance(index, bool) or not (
                    -len(self.layers) <= index < len(self.layers)):
                raise ValueError(f"{self.name}.get_layer: index must be a whole number in [{-len(self.layers)}, "
                                 f"{len(self.layers)}) (the model has {len(self.layers)} layers), got {index!r}")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{self.name}.get_layer: no layer named {name!r}; the layers are "
                         f"{', '.join(repr(layer.name) for layer in self.layers) or 'none'}")

    @property
    def trainable(self):
        """Whether any layer trains. ``model.trainable = False`` freezes every layer (transfer learning's "freeze
        the base", as in Keras) and ``= True`` unfreezes them all; compile again after either, as Keras asks."""
        return any(layer.trainable for layer in self.layers)

    @trainable.setter
    def trainable(self, value):
        value = checks.flag(value, "trainable", self.name)
        for layer in self.layers:
            layer.trainable = value

    @property
    def output_shape(self):
        """The last layer's output shape, batch axis None (the model is built first where its input is known)."""
        shapes = self.build()
        return shapes[-1] if shapes else None

    @property
    def metrics_names(self):
        """``["loss", metric, ...]``: what ``evaluate`` and ``test_on_batch`` return, in their order (Keras 2's
        list; Keras 3 names the metrics together, ``["loss", "compile_metrics"]``)."""
        self._require_compiled("metrics_names")
        return ["loss"] + [name for name, _ in self.metrics]

    def __getattr__(self, name):
        """Only for what the model lacks: a Keras name says what to use instead (``checks.missing_attribute``)."""
        return checks.missing_attribute(self, name, MODEL_NAMES)

    @property
    def input_shape(self):
        """The input shape with the batch axis as None, from the first layer's ``input_shape`` or the first data (or,
        before any layer, from an ``Input``)."""
        if not self.layers:
            return None if self._declared_input is None else (None,) + self._declared_input.shape
        first = self.layers[0]
        return first.built_input_shape or first.input_shape

    def build(self, input_shape=None):
        """Create every layer's weights for inputs of ``input_shape`` (batch axis included, e.g. (None, 32, 32, 1)).

        Every layer first checks the shape it will be given (its rank, its declared ``input_shape``, a window that
        fits); weights are made only once all of them take it, so a refused shape leaves the model as it was.
        Returns the output shape of each layer.
        """
        if input_shape is not None:
            input_shape = _batch_input_shape(input_shape, f"{self.name}.build")
        return self._build(input_shape)

    def _build(self, input_shape):
        """``build`` for a checked ``input_shape`` (or None: the known one)."""
        if not self.layers:
            raise ValueError(f"{self.name}: the model has no layers; add some before building it")
        shape = tuple(input_shape) if input_shape is not None else self.input_shape
        if shape is None:
            raise ValueError(f"{self.name}: the input shape is unknown; give the first layer input_shape=(H, W, C) "
                             "or call the model on data first")
        declared = self.input_shape
        inputs, shapes = [], []
        for layer in self.layers:
            inputs.append(shape)
            shape = layer.check_input_shape(shape)
            shapes.append(shape)
        for layer, layer_input in zip(self.layers, inputs):
            if not layer.built:
                build_checked(layer, (None,) + tuple(layer_input[1:]), self.name, others=self.layers)
        self.built = True
        if declared is None:
            self._warn_if_channels_first(inputs, shapes)
        return shapes

    def _warn_if_channels_first(self, inputs, shapes):
        """Built from a shape no layer declared: the first layer that takes images (after layers that keep the shape,
        such as Dropout) warns where they look channels first (``Layer._warn_if_channels_first``)."""
        for layer, layer_input, output in zip(self.layers, inputs, shapes):
            if layer.input_layout == "(N, H, W, C)":
                layer._warn_if_channels_first(tuple(layer_input))
                return
            if tuple(output[1:]) != tuple(layer_input[1:]):
                return

    def __repr__(self):
        """One line for a notebook cell that ends in the model: its name, layers and size (``summary`` shows each
        layer's shape and weights)."""
        layers = " → ".join(type(layer).__name__ for layer in self.layers) or "no layers"
        size = f"{self.count_params():,} parameters" if self.built else "not built yet"
        return f"<Sequential {self.name!r}: {layers}; {size}>"

    def summary(self, print_fn=print, **keras_arguments):
        """Print the table of layers, output shapes and parameter counts, as Keras does (and, like Keras, return
        None, which a notebook does not show again); with ``print_fn=None``, return the table as a string."""
        refuse_keras_arguments(f"{self.name}.summary", keras_arguments, self.summary)
        if print_fn is not None and not callable(print_fn):
            raise TypeError(f"{self.name}.summary: print_fn must be a function such as print, or None, got "
                            f"{print_fn!r}")
        shapes = self.build()
        labels = [f"{layer.name} ({type(layer).__name__})" for layer in self.layers]
        name_width = max(28, max(len(label) for label in labels) + 2)
        width = name_width + 26 + 11
        lines = [f'Model: "{self.name}"', "_" * width,
                 f" {'Layer (type)':<{name_width}}{'Output Shape':<26}{'Param #':>10}", "=" * width]
        for i, (layer, label, shape) in enumerate(zip(self.layers, labels, shapes)):
            lines.append(f" {label:<{name_width}}{str(shape):<26}{layer.count_params():>10,}")
            lines.append("=" * width if i == len(self.layers) - 1 else "")
        total = self.count_params()
        trainable = sum(layer.count_trainable() for layer in self.layers)
        lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                  f"Non-trainable params: {total - trainable:,}", "_" * width]
        text = "\n".join(lines)
        if print_fn is None:
            return text
        print_fn(text)
        return None

    def count_params(self):
        """Every weight of every layer, trainable or not (summary's "Total params"); a model not yet built is built
        first where its input shape is known (``input_shape`` on the first layer), as Keras builds it."""
        if not self.built:
            self.build()
        return sum(layer.count_params() for layer in self.layers)

    def compile(self, optimizer="adam", loss=None, metrics=None, **keras_arguments):
        """Choose the optimizer (name or instance), the loss (name or instance) and metrics (e.g. ["accuracy"])."""
        refuse_keras_arguments(f"{self.name}.compile", keras_arguments, self.compile)
        if loss is None:
            raise ValueError(f"{self.name}.compile: loss is required, e.g. loss='binary_crossentropy'")
        chosen_optimizer, chosen_loss = get_optimizer(optimizer), get_loss(loss)  # all checked before any is set
        metrics = [metrics] if isinstance(metrics, str) or callable(metrics) else metrics or []
        if not isinstance(metrics, (list, tuple)):
            raise TypeError(f"{self.name}.compile: metrics must be a list such as ['accuracy'], got {metrics!r}")
        chosen_metrics = [get_metric(metric, chosen_loss) for metric in metrics]
        check_metric_names(chosen_metrics)
        self._check_optimizer_is_ours(chosen_optimizer)
        if not chosen_optimizer.holds_state():
            self._trainable_when_stepped = None  # a fresh optimizer takes whichever layers train at its first step
        self.optimizer, self.loss, self.metrics = chosen_optimizer, chosen_loss, chosen_metrics
        self._warn_if_probabilities_meet_logits()

    def _warn_if_probabilities_meet_logits(self):
        """A loss ``from_logits=True`` after a last layer that ends in a sigmoid or softmax squashes twice: it
        trains, slowly and towards the wrong optimum, without an error (Keras warns about it too)."""
        last = self.layers[-1] if self.layers else None
        activation = last if isinstance(last, (Sigmoid, Softmax)) else getattr(last, "activation", None)
        if getattr(self.loss, "from_logits", False) and isinstance(activation, (Sigmoid, Softmax)):
            where = checks.stacklevel_outside_minicnn()
            warnings.warn(f"{self.name}.compile: {type(self.loss).__name__}(from_logits=True) expects logits, but "
                          f"the last layer, {last.describe()}, ends in a {type(activation).__name__.lower()} that "
                          f"makes probabilities already; drop one of the two", stacklevel=where)

    def astype(self, dtype):
        """A deep copy whose weights and computation use ``dtype`` (float64 for gradient checks); a compiled
        model's twin gets its own optimizer, with the state (momentum, Adam's moments) cast to ``dtype``."""
        twin = copy.copy(self)
        twin.layers = [layer.astype(dtype) for layer in self.layers]
        twin._layer_seeds = copy.deepcopy(self._layer_seeds)  # a layer added to the twin draws from its own copy
        twin._optimizer_mark = object()  # the twin's optimizer is its own: this model's is refused to it
        twin.__dict__.pop("_last_fit_draws_from", None)  # the twin has not been fitted (its first fit warns of nothing)
        twins = {id(layer): twin_layer for layer, twin_layer in zip(self.layers, twin.layers)}
        if self._trained_when_stepped() is not None:  # the twin's layers, where they are this model's layers now
            twin._trainable_when_stepped = [(twins.get(id(layer), layer), trainable)
                                            for layer, trainable in self._trained_when_stepped()]
        if getattr(self, "optimizer", None) is not None:
            twin.optimizer = self.optimizer.astype(dtype)
            if getattr(self.optimizer, "_stepped_for", None) is self._own_mark():
                twin.optimizer._stepped_for = twin._optimizer_mark
        return twin

    # ------------------------------------------------------------------ forward and backward
    @checks.interruptions_unwrapped
    def forward(self, x, training=False):
        """Run ``x`` through every layer in order; ``training=True`` uses batch statistics and dropout.

        A call of its own (a tracker's, frame by frame), not one inside ``fit``, ``evaluate`` or ``predict``, warns
        as they do before a pass that numba's CUDA simulator would take more than a minute for."""
        if not self.layers:
            raise ValueError(f"{self.name}: the model has no layers")
        training = checks.flag(training, "training", f"{self.name}.forward")
        self._output_shape = None  # backward refuses to run on what a failed forward left behind
        self._build_for(x)
        samples = np.shape(x)[0]  # device arrays have a shape but no len()
        self._warn_if_long_on_simulator(x, samples, f"{self.name}.forward",
                                        f"a forward pass of {samples:,} sample{'' if samples == 1 else 's'}")
        if getattr(backend.kernels(), "USES_DEVICE_MEMORY", False):
            for layer in self.layers:  # before any runs: one written with NumPy is refused, not run with hidden copies
                layer.check_runs_on_device()
        sample_shape, built_for = tuple(np.shape(x)[1:]), self.input_shape[1:]
        expected_shapes = self._output_shapes_for(tuple(np.shape(x)))
        self._input_shapes = []
        model_input = x
        for index, layer in enumerate(self.layers):
            self._input_shapes.append(tuple(np.shape(x)))
            try:
                x = layer.forward(x, training=training)
            except ShapeError as error:  # a later layer cannot say that the cause is x
                if index == 0 or sample_shape == built_for:
                    raise
                raise ShapeError(f"{error}. The cause is x: {self.name} was built for samples of shape {built_for}, "
                                 f"and x holds samples of shape {sample_shape}") from error
            except NonFiniteError as error:  # a layer's input: which layer made it (one of yours checks nothing)
                if index == 0:
                    raise
                made = self._layer_that_made_nan(model_input, training) or NO_NAN_AGAIN
                raise NonFiniteError(f"{error}; {made}") from error
            check_layer_output(layer, x, samples, expected_shapes[index] if expected_shapes else None)
        if training:
            self._stores_to_host_after_a_direct_call("state")
        self._output_shape = tuple(x.shape)
        return x

    def _layer_that_made_nan(self, x, training, searched_late=True):
        """Where a NaN or infinity met inside the model came from: run the batch ``x`` through the layers again,
        bringing each output to the host, and name the first layer whose output holds NaN or infinity although its
        input did not (or ``x`` itself); None if none does. On an accelerator backend no layer checks its input; on
        the host a layer of yours may not, so the layer before the one that met it need not have made it. Only
        called once a NaN was met, so the copies cost nothing on a good step. (In training, Dropout repeats the
        masks of the failed pass; the layers' state, BatchNorm's moving averages, is put back as the pass found it.)
        ``searched_late``: on an accelerator, say that the layer is looked for only once the output is not finite
        (False where a gradient's check asks, which names the layer before anything is updated)."""
        kernels = backend.kernels()
        on_device = getattr(kernels, "USES_DEVICE_MEMORY", False)
        searched = (f"; the {backend.get_backend()!r} backend looks for the layer only once the output is not finite"
                    if on_device and searched_late else "")
        if not checks.all_finite(kernels.to_host(x)):
            return f"it was in the model's input already{searched}"
        repeating = [layer for layer in self.layers if hasattr(layer, "repeat_last_draw")]
        for layer in repeating:  # Dropout draws the masks of the failed pass again, not new ones
            layer.repeat_last_draw = True
        states = [dict(layer.state) for layer in self.layers]  # BatchNorm's moving averages move only once
        try:
            for layer in self.layers:
                x = layer.forward(x, training=training)
                output = kernels.to_host(x)
                if not checks.all_finite(output):
                    return (f"{layer.describe()} made it from a finite input (its output's "
                            f"{checks.first_not_finite(output)}){searched}")
            return None
        finally:
            for layer in repeating:
                layer.repeat_last_draw = False
            for layer, state in zip(self.layers, states):
                layer.state.update(state)

    def _input_shape_for(self, x):
        """The declared ``input_shape``, else that of the samples of ``x`` (batch axis None)."""
        return self.input_shape or (None,) + tuple(np.shape(x)[1:])

    def _build_for(self, x):
        """Build the layers for the samples of ``x`` where no ``input_shape`` was given (as Keras does on the first
        call); a first layer that cannot take ``x`` says so and leaves the model unbuilt."""
        if not self.built:
            self._build(self.input_shape or tuple(np.shape(x)))

    def _output_shapes_for(self, input_shape):
        """Each layer's output shape for a batch of ``input_shape``, by its ``compute_output_shape``, worked out once
        for the latest sample shape and list of layers (a step pays one comparison); None where a layer cannot take
        its input, whose own forward then says so."""
        key = (input_shape[1:], tuple(map(id, self.layers)))
        cached_key, cached_shapes = getattr(self, "_output_shapes_cached", (None, None))
        if key == cached_key:
            return cached_shapes
        shapes, shape = [], (None,) + tuple(input_shape[1:])
        try:
            for layer in self.layers:
                shape = layer.compute_output_shape(shape)
                shapes.append(tuple(shape))
        except (ShapeError, ValueError, TypeError, IndexError):
            shapes = None
        self._output_shapes_cached = (key, shapes)
        return shapes

    def _layer_backward(self, index, grad_out):
        """``∂L/∂(input of layer index)`` from ``∂L/∂(its output)``; one of your own layers that returns None or a
        gradient of another shape than its input's is named here, not by the layer below, which would get it."""
        layer = self.layers[index]
        grad_in = layer.backward(grad_out)
        expected = self._input_shapes[index]
        if grad_in is None or tuple(np.shape(grad_in)) != expected:
            given = "None (a forgotten return?)" if grad_in is None else f"shape {tuple(np.shape(grad_in))}"
            raise ShapeError(f"{self.name}.backward: {layer.describe()}.backward returned {given}; expected ∂L/∂(its "
                             f"input), of its input's shape {expected}")
        return grad_in

    def _stores_to_host_after_a_direct_call(self, store):
        """After ``forward``/``backward`` called directly on an accelerator backend (a student stepping through
        backpropagation; not inside ``on_device``, as in ``fit``), each layer's ``store`` ("grads", or "state":
        BatchNorm's moving averages) comes back to the host, where it can be printed and where ``get_weights``,
        ``save_weights`` and ``astype`` read it."""
        kernels = backend.kernels()
        if not getattr(self, "_device_depth", 0) and getattr(kernels, "USES_DEVICE_MEMORY", False):
            self._move_stores(kernels.to_host, (store,))

    __call__ = forward

    @checks.interruptions_unwrapped
    def backward(self, grad_out, input_gradient=True):
        """Backpropagate ``∂L/∂output`` through the layers in reverse; fills every ``layer.grads``; returns ∂L/∂x.

        With ``input_gradient=False`` (what a training step uses) backpropagation ends at the lowest layer that has
        weights to train: it fills that layer's ``grads`` without computing ∂L/∂(its input), skips the layers below
        it (they have nothing to learn, or are frozen) and returns None. The weight gradients are the same either way.
        """
        expected = getattr(self, "_output_shape", None)
        if expected is None:
            raise RuntimeError(f"{self.name}.backward: call forward first (backward uses what forward kept, and no "
                               "forward pass has finished since the last one that failed, if any)")
        if tuple(np.shape(grad_out)) != expected:
            raise ShapeError(f"{self.name}.backward: expected grad_out of the shape of the last forward's output "
                             f"{expected}, got {tuple(np.shape(grad_out))}")
        if input_gradient:
            for index in reversed(range(len(self.layers))):
                grad_out = self._layer_backward(index, grad_out)
            self._stores_to_host_after_a_direct_call("grads")
            return grad_out
        lowest = next((i for i, layer in enumerate(self.layers) if layer.params and layer.trainable), None)
        if lowest is not None:
            for index in reversed(range(lowest + 1, len(self.layers))):
                grad_out = self._layer_backward(index, grad_out)
            self.layers[lowest].weight_gradients(grad_out)
        self._stores_to_host_after_a_direct_call("grads")
        return None

    def trainable_pairs(self):
        """``(param, grad)`` for every trainable weight (of the layers not frozen), in layer order: what the optimizer
        updates."""
        return [(layer.params[key], gradient_for(layer, key, self.name)) for layer, key in self._trainable_weights()]

    def trainable_names(self):
        """The name of each of ``trainable_pairs``' weights, such as ``Dense 'dense' bias``: the optimizer's errors
        say which weight's gradient is wrong (a layer of your own whose ``backward`` gives one of another shape)."""
        return [f"{layer.describe()} {key}" for layer, key in self._trainable_weights()]

    def _trainable_weights(self):
        """``(layer, key)`` for every weight the optimizer updates: the ``params`` of the layers not frozen."""
        return [(layer, key) for layer in self.layers if layer.trainable for key in layer.params]

    def _own_mark(self):
        """The mark this model leaves on the optimizer it steps (made here for a model pickled before it had one)."""
        if "_optimizer_mark" not in self.__dict__:
            self._optimizer_mark = object()
        return self._optimizer_mark

    def _check_optimizer_is_ours(self, optimizer):
        """An optimizer that holds state (momentum, Adam's moments, the step count) from stepping another model's
        weights would go on from it with this model's (of the same shapes, without a word), so it is refused, as
        Keras refuses an optimizer built for other variables. Each step leaves this model's mark on it; a copy of the
        model (``copy.deepcopy``, ``astype``) carries the mark to its copy of the optimizer."""
        mark = getattr(optimizer, "_stepped_for", None)
        if optimizer.holds_state() and mark is not None and mark is not self._own_mark():
            raise RuntimeError(f"{self.name}: this {type(optimizer).__name__} holds state (momentum, Adam's moments) "
                               f"from training another model's weights; give each model its own optimizer "
                               f"(optimizer='adam', or a new mc.{type(optimizer).__name__}(...) per model)")

    def _trained_when_stepped(self):
        """``_trainable_when_stepped``, each layer and whether it trained at the last step, or None before a step. A
        model pickled before minicnn kept the layers there holds one flag per layer of its own: those layers."""
        before = self._trainable_when_stepped
        if before and not isinstance(before[0], tuple):
            before = list(zip(self.layers, before)) if len(before) == len(self.layers) else None
        return before

    def _check_trainable_unchanged(self):
        """An optimizer that holds state (momentum, Adam's moments, the step count) keeps it for each weight that
        trains, in order, from its first step on; freezing or unfreezing a layer with weights after that, or taking
        one out or putting a new one in (``pop`` then ``add``: a new head of the same shapes took the old head's
        moments without a word), would pair one weight with another's state, so it needs a new optimizer
        (``compile`` again), as Keras does. Which layers trained is recorded after each successful step
        (``_trainable_when_stepped``: each layer, and whether it trained); layers without weights do not count."""
        before = self._trained_when_stepped()
        if before is None or not self.optimizer.holds_state():
            return
        trained_then = [layer for layer, trainable in before if trainable and layer.params]
        trained_now = [layer for layer in self.layers if layer.trainable and layer.params]
        if len(trained_then) == len(trained_now) and all(a is b for a, b in zip(trained_then, trained_now)):
            return
        then = [layer for layer, _ in before]
        changes = [f"{layer.describe()} removed" for layer in then if layer.params and _absent(layer, self.layers)]
        changes += [f"{layer.describe()} added" for layer in self.layers if layer.params and _absent(layer, then)]
        changes += [f"{layer.describe()} {'unfrozen' if layer.trainable else 'frozen'}" for layer, trainable in before
                    if layer.params and not _absent(layer, self.layers) and layer.trainable != trainable]
        raise RuntimeError(f"{self.name}: the weights that train changed ({', '.join(changes) or 'their order'}) "
                           f"after training began; compile again with a new optimizer (optimizer='adam', or "
                           f"mc.Adam(...)): this one keeps state (momentum, Adam's moments, the step count) for each "
                           f"weight that trained")

    # ------------------------------------------------------------------ training
    def _require_compiled(self, method):
        if self.loss is None:
            raise RuntimeError(f"{self.name}.{method}: call compile(optimizer=..., loss=...) first")

    def _metric_values(self, y, y_pred):
        """Each metric on a batch, a number. A function of your own may return one value per sample, as Keras'
        metric functions do (``np.mean(np.abs(y_true - y_pred), axis=-1)``): their mean is taken, as Keras takes
        it; anything but numbers is refused by the metric's name. Labels of shape (N,) beside one output a sample,
        (N, 1), come as a column, as the loss takes them: ``y_true - y_pred`` would otherwise make an (N, N) table."""
        if np.ndim(y) == 1 and np.shape(y_pred)[1:] == (1,) and len(y) == len(y_pred):
            y = np.reshape(y, (-1, 1))
        values = {}
        for name, function in self.metrics:
            value = function(y, y_pred)
            try:
                values[name] = float(np.mean(value))
            except (TypeError, ValueError):
                raise TypeError(f"{self.name}: the metric {name!r} returned {checks.short_repr(value)}; expected a "
                                "number, or one number per sample") from None
        return values

    @contextlib.contextmanager
    def on_device(self):
        """Keep every weight where the active backend computes, for the duration of a block.

        For the host backends (numba, numpy) this does nothing. For an accelerator backend (cuda) the weights,
        gradients and statistics move to the device on entry and back to the host on exit (even when the block
        raises), so that ``fit`` copies them once, not once per layer and step. They come back into the host
        arrays they left, as the host backends update those in place: ``kernel = layer.params["kernel"]`` taken
        before ``fit`` holds the trained weights after it on every backend. Nested uses move nothing more.
        """
        kernels = backend.kernels()
        depth = getattr(self, "_device_depth", 0)
        if depth or not getattr(kernels, "USES_DEVICE_MEMORY", False):
            self._device_depth = depth + 1
            try:
                yield
            finally:
                self._device_depth = depth
            return
        if not self.built:
            self.build()
        self._device_depth = 1
        left = {(id(layer), store, key): array for layer in self.layers for store in STORES
                for key, array in getattr(layer, store).items() if isinstance(array, np.ndarray)}
        try:
            self._move_stores(kernels.to_device)
            yield
        finally:
            self._move_stores(kernels.to_host)
            self._write_into_the_host_arrays_left(left)
            self._device_depth = 0

    def _write_into_the_host_arrays_left(self, left):
        """After ``on_device``: each store's array, now back on the host, written into the host array ``left`` held
        for it on entry, where there was one of the same shape and dtype that can be written, and put in its place."""
        for layer in self.layers:
            for store in STORES:
                arrays = getattr(layer, store)
                for key, value in arrays.items():
                    original = left.get((id(layer), store, key))
                    if (original is not None and original is not value and original.shape == value.shape
                            and original.dtype == value.dtype and original.flags.writeable):
                        original[...] = value
                        arrays[key] = original

    def _move_stores(self, move, stores=STORES):
        """``move`` (``to_device`` or ``to_host``) every array of each layer's ``stores``."""
        for layer in self.layers:
            for store in stores:
                arrays = getattr(layer, store)
                for key in arrays:
                    arrays[key] = move(arrays[key])

    def _batch_where_computed(self, kernels, x, where=None):
        """A batch where the backend computes. Host backends take it as it is (the first layer casts and checks
        it). An accelerator backend gets a host batch cast to the first layer's dtype and copied once, checked
        for NaN and infinity first (the layers cannot look at it there) unless ``where`` is None (the caller
        checked the whole data); a device array is taken as it is."""
        if not getattr(kernels, "USES_DEVICE_MEMORY", False) or kernels.is_device_array(x):
            return kernels.to_device(x)
        if where is not None:
            x = _as_array(x, "x", where)
            _check_finite(x, "x", where)
        return kernels.to_device(np.ascontiguousarray(x, dtype=self.layers[0].dtype))

    def _predict_batch(self, x_batch, training=False):
        """Forward one batch of the data that ``predict`` or ``evaluate`` checked, where the backend computes; the
        output comes back to the host (one copy)."""
        kernels = backend.kernels()
        return kernels.to_host(self.forward(self._batch_where_computed(kernels, x_batch), training=training))

    @checks.interruptions_unwrapped
    def train_on_batch(self, x, y, return_dict=True, **keras_arguments):
        """One step: forward, loss, backward, optimizer update. Returns ``{"loss": ..., metric: ...}``; with
        ``return_dict=False`` (Keras' default) the loss alone, or ``[loss, metric, ...]`` with metrics.

        Before any update it raises NonFiniteError where ``x``, the model's output or a gradient holds NaN or
        infinity, and FloatingPointError where the loss is NaN or infinite all the same; after the update,
        NonFiniteError where it overflowed a weight. On an accelerator backend the batch and its labels go to the
        device once, the loss's kernel computes the loss and its gradient there, and only the per-sample loss terms
        come back (and the output, when there are metrics to compute, or to say which of the two errors it is), with
        one flag per gradient and per weight from the NaN checks; everything else stays there.
        """
        refuse_keras_arguments(f"{self.name}.train_on_batch", keras_arguments, self.train_on_batch)
        self._require_compiled("train_on_batch")
        return_dict = checks.flag(return_dict, "return_dict", f"{self.name}.train_on_batch")
        if np.shape(x)[:1] == (0,):
            raise ValueError(f"{self.name}.train_on_batch: x holds no samples (shape {np.shape(x)}); nothing was "
                             "changed")
        self._build_for(x)
        if self.metrics and np.ndim(y) > 0:  # before the step: the metrics are computed after it
            self._check_labels_for_output(y, "y", f"{self.name}.train_on_batch", samples=len(x))
        return _as_returned(self._train_step(x, y, f"{self.name}.train_on_batch"), return_dict)

    def _train_step(self, x, y, where):
        """``train_on_batch``'s step, on a batch the model is built for. On an accelerator backend the batch is
        checked for NaN and infinity before it moves, an error naming ``where``; None where the caller checked it
        already (``fit`` checks the whole data once, not each batch again)."""
        kernels = backend.kernels()
        x = self._batch_where_computed(kernels, x, where)
        with self.on_device():
            states = [dict(layer.state) for layer in self.layers]  # BatchNorm makes new moving averages each step
            self._check_optimizer_is_ours(self.optimizer)
            self._check_trainable_unchanged()
            try:
                output = self.forward(x, training=True)
                loss, grad_out, y_pred = self._loss_and_gradient(kernels, x, y, output)
                if not np.isfinite(loss):
                    raise FloatingPointError(f"loss is {loss}")
                self.backward(grad_out, input_gradient=False)
                pairs, names = self.trainable_pairs(), self.trainable_names()
                _check_gradients_finite(kernels, pairs, names,
                                        lambda: self._layer_that_made_nan(x, training=True, searched_late=False))
                never_set = self._gradients_never_set()
                before = self._weights_before_a_first_step_of_yours(pairs)
                self.optimizer.step(pairs, names)
                self.optimizer._stepped_for = self._own_mark()
                self._trainable_when_stepped = [(layer, layer.trainable) for layer in self.layers]
                _check_updated_weights_finite(kernels, pairs, names, self.optimizer)
            except BaseException:  # a failed step leaves the moving averages as they were, not moved towards NaN
                for layer, state in zip(self.layers, states):
                    layer.state.update(state)
                raise
        if y_pred is not None:  # on the host (on cuda only where metrics asked for it); after the step, so that
            self._warn_if_stuck(y, y_pred, x)  # a warning made an error (-W error) cannot leave the step half done
        self._warn_of_a_first_step_of_yours(never_set, before, pairs)
        return {"loss": loss, **self._metric_values(y, y_pred)}

    def _gradients_never_set(self):
        """At the model's first training step, the weights of your layers whose gradient is still the array of
        zeros that build made (``"name/key"``): a ``backward`` that stored it elsewhere (``self.grad = ...``, a
        misspelt key) left that weight frozen while the others learned, without a word (found in review). Empty
        after the first step, when the arrays as built are let go, and for minicnn's layers, which make a new
        gradient array each step."""
        if getattr(self, "_checked_gradients_set", False):
            return []
        self._checked_gradients_set = True
        never_set = [f"{layer.name}/{key}" for layer in self.layers if layer.trainable
                     for key, grad in layer.grads.items()
                     if grad is getattr(layer, "_grads_as_built", {}).get(key) and isinstance(grad, np.ndarray)
                     and not grad.any()]
        for layer in self.layers:
            layer.__dict__.pop("_grads_as_built", None)
        return never_set

    def _weights_before_a_first_step_of_yours(self, pairs):
        """Copies of the weights before the first step of an optimizer of yours on this model's weights (on the
        host), kept over its first ``UNMOVED_STEPS`` steps: ``param = param - lr * grad`` in its ``step`` makes a
        new array and leaves the weight as it was, and training went on without a word (found in review). An
        optimizer that adds gradients up and steps every few batches, or warms up from a step of 0, moves them
        within those steps."""
        if checks.of_minicnn(self.optimizer) or getattr(self.optimizer, "_stepped_for", None) is self._own_mark():
            return getattr(self, "_weights_not_yet_moved", None)
        if not all(isinstance(param, np.ndarray) for param, _ in pairs):
            return None
        self._weights_not_yet_moved = {"weights": [param.copy() for param, _ in pairs], "steps": 0}
        return self._weights_not_yet_moved

    def _warn_of_a_first_step_of_yours(self, never_set, before, pairs):
        """The warnings of ``_gradients_never_set`` and ``_weights_before_a_first_step_of_yours``, after the step."""
        if never_set:
            warnings.warn(f"{self.name}: after the first backward pass, the gradient of {', '.join(never_set)} is "
                          f"still the zeros that build made: its weight will not learn. Does backward set "
                          f"self.grads[key] (self.grads[key] = ..., under the key of params)? gradcheck(layer, x) "
                          f"checks a layer of yours (where that gradient is truly 0 at this step, ignore this)",
                          stacklevel=checks.stacklevel_outside_minicnn())
        if before is None:
            return
        if len(before["weights"]) != len(pairs) or any(
                old.shape != param.shape or not np.array_equal(old, param)
                for old, (param, _) in zip(before["weights"], pairs)):
            del self._weights_not_yet_moved  # a weight moved (or the weights changed): nothing to say
            return
        before["steps"] += 1
        if before["steps"] >= UNMOVED_STEPS and any(np.any(grad) for _, grad in pairs):
            del self._weights_not_yet_moved
            warnings.warn(f"{self.name}: {type(self.optimizer).__name__}.step changed no weight in its first "
                          f"{UNMOVED_STEPS} steps, though the gradients are not all 0: update each param in place "
                          f"(param -= self.learning_rate * grad, or param[...] = ...); param = param - ... makes a new "
                          f"array and leaves the weight as it was (an optimizer that steps every {UNMOVED_STEPS} "
                          f"batches or more may ignore this)", stacklevel=checks.stacklevel_outside_minicnn())

    def _warn_if_stuck(self, y, y_pred, x):
        """Warn, once per model, where the loss clips predictions on the wrong side of their labels
        (``Loss.stuck``): a cross-entropy on probabilities after a sigmoid or softmax then barely learns from them,
        and a student whose training stalls should be told why, and what learns from them. Where a hundredth of the
        batch ``x`` lies beyond ±``INPUTS_FAR_FROM_0_TO_1`` the inputs are named as a cause before the learning rate
        (features of ages 18–90 saturated a sigmoid at the first step, and the warning blamed the learning rate
        alone); a few outliers of standardised features do not count."""
        if getattr(self, "_warned_stuck", False):
            return
        stuck = self.loss.stuck(y, y_pred)
        if not np.any(stuck):
            return
        self._warned_stuck = True
        name = type(self.loss).__name__
        beyond = float(np.percentile(np.abs(backend.to_host(x)), 99))  # once per model: a copy from a device is cheap
        cause = "A learning rate too large drives predictions there"
        if beyond > INPUTS_FAR_FROM_0_TO_1:
            cause = (f"Inputs far from 0–1 drive predictions there (a hundredth of this batch's values lie beyond "
                     f"±{beyond:.3g}: x / 255 scales 8-bit pixels, (x - x.mean(axis=0)) / x.std(axis=0) standardises "
                     f"features), and so does a learning rate too large")
        where = checks.stacklevel_outside_minicnn()
        warnings.warn(f"{self.name}: {int(np.sum(stuck))} of {len(stuck)} samples of a batch have a prediction within "
                      f"1e-7 of 0 or 1, on the wrong side of their label: {name} on probabilities clips it, and the "
                      f"sigmoid or softmax before it multiplies the gradient by p·(1 − p), so these samples barely "
                      f"move the weights (not at all once float32 rounds p to 0 or 1). {cause}; to learn from them at "
                      f"full strength, leave the activation out of the last layer and use {name}(from_logits=True)",
                      stacklevel=where)

    def _loss_and_gradient(self, kernels, x, y, output):
        """``(loss, ∂L/∂output where the backend computes, the output on the host or None)``.

        A host backend computes both from the output. An accelerator backend (``USES_DEVICE_MEMORY``) moves the
        labels to the device and has the loss's kernel compute per-sample terms and the gradient there; the terms
        come back and are added up, the output only when metrics need it or a term is large enough for a sample to
        be stuck (``Loss.might_be_stuck``). A loss without kernels (one of your own) is computed on the host from
        the output.
        """
        found = None
        if getattr(kernels, "USES_DEVICE_MEMORY", False):
            labels = self.loss.labels(y, output.shape, output.dtype)
            found = self.loss.terms_and_gradient(kernels, kernels.to_device(np.ascontiguousarray(labels)), output)
        if found is None:
            y_pred = kernels.to_host(output)
            self._check_training_output(x, y_pred)
            with np.errstate(over="ignore"):  # an overflowed loss is inf, which the step stops at, saying where
                loss = self.loss(y, y_pred)
                grad = self.loss.gradient(y, y_pred)
            if tuple(np.shape(grad)) != y_pred.shape:
                raise ShapeError(f"{self.name}: {type(self.loss).__name__}.gradient returned shape "
                                 f"{tuple(np.shape(grad))}; expected ∂L/∂ŷ, of the predictions' shape {y_pred.shape}")
            return loss, kernels.to_device(np.ascontiguousarray(grad, dtype=y_pred.dtype)), y_pred
        terms, grad = found
        terms = kernels.to_host(terms)
        loss = float(np.sum(terms, dtype=np.float64))
        if not np.isfinite(loss):
            # the output holds NaN or infinity (then the layer that made it is named), or the kernel found it
            # outside the loss's domain (a NaN term): the host's check says which and where; on the domain's very
            # edge, where the two may round apart, the host's loss stands
            host_output = kernels.to_host(output)
            self._check_training_output(x, host_output)
            loss = self.loss(y, host_output)
        looks_stuck = not getattr(self, "_warned_stuck", False) and self.loss.might_be_stuck(labels, terms)
        return loss, grad, (kernels.to_host(output) if self.metrics or looks_stuck else None)

    def _check_training_output(self, x, host_output):
        """Refuse a training step's output (on the host) that holds NaN or infinity, naming the layer that made it,
        found by running the batch ``x`` again in training mode, rather than leaving the loss to say only that its
        y_pred holds NaN."""
        if not checks.all_finite(host_output):
            _check_finite(host_output, "the output", self.name,
                          "; " + (self._layer_that_made_nan(x, training=True) or NO_NAN_AGAIN))

    def _multiply_adds_per_sample(self, x):
        """The multiply-adds of one sample's forward pass in the layers with a kernel: outputs × the kernel's size
        per output, which is ``H_out·W_out·C_out · kh·kw·C_in`` for a Conv2D and ``units · inputs`` for a Dense
        layer. (A training step's backward pass does twice as many: ∂L/∂x and ∂L/∂W.)"""
        shapes = self.build(self._input_shape_for(x))
        return sum(math.prod(shape[1:]) * math.prod(tuple(layer.params["kernel"].shape)[:-1])
                   for layer, shape in zip(self.layers, shapes) if "kernel" in layer.params)

    def _warn_if_long_on_simulator(self, x, sample_passes, where, work):
        """Warn before ``work`` starts where the backend runs on numba's CUDA simulator and would take long there
        (``kernels.cuda.warn_if_long_on_simulator``); ``sample_passes`` counts forward passes of one sample, a
        training step's forward and backward as 3. Only the outermost call warns (not fit's validation, which runs
        inside its ``on_device`` block)."""
        if getattr(self, "_device_depth", 0) or not self.layers:  # checked first: fit's steps call forward
            return
        warn = getattr(backend.kernels(), "warn_if_long_on_simulator", None)
        if warn is not None:
            warn(self._multiply_adds_per_sample(x) * sample_passes, where, work)

    def _check_data(self, x, y, where, labels=True):
        """``x`` (and ``y`` where ``labels``) as finite numeric arrays holding the same, non-zero number of samples;
        ``x`` within the range of the first layer's dtype, to which it is cast."""
        x = _as_array(x, "x", where)
        _check_finite(x, "x", where)
        if self.layers:
            _check_fits(x, "x", self.layers[0].dtype, where)
        if len(x) == 0:
            raise ValueError(f"{where}: x holds no samples (shape {x.shape})")
        if labels and y is None:
            raise ValueError(f"{where}: y (the labels) is required, got None")
        if y is not None:
            y = _as_array(y, "y", where)
            _check_finite(y, "y", where)
            if len(y) != len(x):
                raise ShapeError(f"{where}: x and y must hold the same number of samples, got {len(x)} and {len(y)}")
        return x, y

    def _diverged(self, epoch, batch, rows, history, cause):
        """The error that stops ``fit`` at ``batch`` of ``epoch``, whose samples were the ``rows`` of ``x``: the
        message names the first few rows (the shuffled order is not one a user can see), the error holds them all."""
        corrupted = any(not np.all(np.isfinite(backend.kernels().to_host(param))) for layer in self.layers
                        for param in layer.params.values())
        state = ("the weights hold NaN/inf (a step made them so): load the last weights saved" if corrupted
                 else "the weights are left as they were after the last good step")
        shown = ", ".join(str(int(row)) for row in rows[:5]) + (", ..." if len(rows) > 5 else "")
        message = (f"training stopped: {cause} at epoch {epoch}, batch {batch} (its samples, in order, are rows "
                   f"{shown} of x: the error's rows holds all {len(rows)}); {state}. Try a smaller learning rate or "
                   f"check the data.")
        return TrainingDivergedError(message, epoch, batch, history, rows=np.asarray(rows))

    @checks.interruptions_unwrapped
    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, validation_data=None, validation_split=0.0, shuffle=True,
            seed=None, augment=None, **keras_arguments):
        """Train for ``epochs`` passes over the data in mini-batches.

        Parameters
        ----------
        x, y : arrays with the same first axis
        batch_size : int, default 32 (None: 32, as in Keras)
        epochs : int, default 1
        verbose : 0 (silent), 1 (a progress bar per epoch) or 2 (one line per epoch)
        validation_data : (x_val, y_val), optional
            Evaluated after each epoch in inference mode; adds ``val_loss`` and ``val_<metric>``.
        validation_split : float in [0, 1)
            Use the last fraction of ``x, y`` (before shuffling) for validation instead, as Keras does: the first
            ``int(N·(1 − validation_split))`` samples train.
        shuffle : bool
            Shuffle the samples every epoch.
        seed : int or numpy.random.Generator, optional
            Drives the shuffling and ``augment``: the same seed gives the same training run.
        augment : callable ``f(x_batch, rng) -> x_batch``, optional
            Applied to every training batch (e.g. ``minicnn.datasets.augment``). Its ``rng`` is a generator of its
            own, made from ``seed``: the batches come in the same order with and without it.

        Returns
        -------
        History
        """
        refuse_keras_arguments(f"{self.name}.fit", keras_arguments, self.fit)
        self._require_compiled("fit")
        x, y = self._check_data(x, y, f"{self.name}.fit")
        smallest, largest = x.min(), x.max()
        _warn_if_8_bit_values(x, f"{self.name}.fit", smallest, largest)
        trained_on = max(abs(float(smallest)), abs(float(largest)))  # for evaluate and predict: data scaled otherwise
        batch_size = KERAS_BATCH_SIZE if batch_size is None else batch_size  # Keras' None: 32
        checks.whole_number(batch_size, "batch_size", f"{self.name}.fit")
        checks.whole_number(epochs, "epochs", f"{self.name}.fit", minimum=0)  # 0 trains nothing, as in Keras
        verbose = _check_verbose(verbose, f"{self.name}.fit")
        shuffle = checks.flag(shuffle, "shuffle", f"{self.name}.fit")
        seed = checks.seed(seed, "seed", f"{self.name}.fit")
        if augment is not None and not callable(augment):
            raise TypeError(f"{self.name}.fit: augment must be a function f(x_batch, rng) -> x_batch, or None, got "
                            f"{augment!r}")
        if not finite_number(validation_split) or not 0 <= validation_split < 1:
            raise ValueError(f"{self.name}.fit: validation_split must be a number in [0, 1), got {validation_split!r}")
        if validation_split and validation_data is None:
            cut = int(len(x) * (1.0 - validation_split))  # Keras' rule: the validation samples round up
            if cut == len(x) or cut == 0:
                raise ValueError(f"{self.name}.fit: validation_split={validation_split} of {len(x)} samples leaves "
                                 f"{'no validation' if cut == len(x) else 'no training'} samples; choose another "
                                 f"split, or pass validation_data")
            x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:])
        if isinstance(validation_data, (tuple, list)) and len(validation_data) == 3 and validation_data[2] is None:
            validation_data = tuple(validation_data[:2])  # Keras' (x_val, y_val, None): no sample weights
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                given = (f"a {type(validation_data).__name__} of {len(validation_data)}"
                         if isinstance(validation_data, (tuple, list)) else
                         f"an array of shape {validation_data.shape}" if isinstance(validation_data, np.ndarray)
                         else f"a {type(validation_data).__name__}" if isinstance(validation_data, dict)
                         else checks.short_repr(validation_data))
                weights = ("; minicnn has no sample weights: give (x_val, y_val)"
                           if isinstance(validation_data, (tuple, list)) and len(validation_data) == 3 else "")
                raise ValueError(f"{self.name}.fit: validation_data must be a pair (x_val, y_val), got {given}"
                                 f"{weights}")
            validation_data = self._check_data(*validation_data, f"{self.name}.fit (validation_data)")
        validation_samples = 0 if validation_data is None else len(validation_data[0])
        work = f"{epochs} epoch{'' if epochs == 1 else 's'} of {len(x):,} samples"
        if validation_samples:
            work += f", each with {validation_samples:,} validation samples"
        self._warn_if_long_on_simulator(x, epochs * (3 * len(x) + validation_samples), f"{self.name}.fit", work)
        self._build_for(x)
        self._check_labels_for_output(y, "y", f"{self.name}.fit")
        if validation_data is not None:
            self._check_validation_data(x, *validation_data, f"{self.name}.fit (validation_data)")
        for _, layer, key, array in self._weight_slots():
            _check_finite(backend.to_host(array), f"{layer.describe()} {key}", f"{self.name}.fit",
                          " before training; no step can repair it (a training that diverged left it, or it was "
                          "written into layer.params directly: set_weights refuses it)")
        rng = np.random.default_rng(seed)
        shuffles = shuffle and len(x) > 1  # one sample's order draws nothing
        if epochs and (augment is not None or shuffles):
            self._warn_if_the_draws_repeat(seed, rng, shuffles, augment is not None)
        if augment is not None:  # draws of its own: the batches come in the same order with and without augment
            augment = functools.partial(_augment_with, augment, _generator_beside(rng))
        if validation_data is not None:  # before training, in fit's words (its evaluate calls do not say it)
            _warn_if_scaled_otherwise(validation_data[0], trained_on, f"{self.name}.fit", "validation_data's x")
        history = self.history = History()  # as in Keras: the epochs done are kept when the run is stopped (Ctrl-C)
        self._trained_on = None
        try:
            with self.on_device():
                self._fit_epochs(x, y, batch_size, epochs, verbose, validation_data, shuffle, rng, augment, history)
        finally:
            self._trained_on = trained_on
        return history

    def _check_validation_data(self, x, x_val, y_val, where):
        """Before any training, validation samples of the training samples' shape and labels that the loss takes
        for the model's output (a mistake there used to show only after the first epoch, its training lost)."""
        try:
            self.layers[0].check_input_shape(x_val.shape)
        except ShapeError as error:
            raise ShapeError(f"{where}: x_val: {error}") from None
        if x_val.shape[1:] != x.shape[1:]:
            raise ShapeError(f"{where}: expected x_val to hold samples of the training samples' shape {x.shape[1:]}, "
                             f"got {x_val.shape[1:]}")
        self._check_labels_for_output(y_val, "y_val", where)

    def _warn_if_the_draws_repeat(self, seed, rng, shuffles, augments):
        """Warn, once per model, where ``fit`` is about to shuffle (and ``augment``) from the random state this
        model's last shuffling ``fit`` started from: a loop of ``fit(epochs=1, seed=0)`` (the way to stop early), or
        of ``fit(epochs=1, seed=np.random.default_rng(0))``, gave every epoch the same order and the same augmented
        batches (found in review). One generator given to every call goes on from where the last left it."""
        state = pickle.dumps(rng.bit_generator.state)  # (a state may hold arrays: compared by its bytes)
        if state == getattr(self, "_last_fit_draws_from", None) and not getattr(self, "_warned_same_draws", False):
            self._warned_same_draws = True
            given = f"seed={seed} again" if isinstance(seed, int) else "a new generator made as the last one was"
            draws = " and ".join(word for word, done in (("shuffles", shuffles), ("augments", augments)) if done)
            repeated = " and ".join(word for word, done in (("order", shuffles), ("augmentations", augments)) if done)
            warnings.warn(f"{self.name}.fit: {given}: this call {draws} as this model's last fit did, so a loop of "
                          f"fit(epochs=1) repeats one epoch's {repeated}. Make the generator once, before the loop, "
                          f"rng = np.random.default_rng(...), and give every fit seed=rng (or leave seed out)",
                          stacklevel=checks.stacklevel_outside_minicnn())
        self._last_fit_draws_from = state

    def _check_labels_for_output(self, labels, argument, where, samples=None):
        """Before any training, labels that the loss takes for the model's output over the whole data: a mistake
        (integer classes for one-hot outputs) showed at the first step, in the shapes of a batch. A loss whose own
        ``__call__`` and ``gradient`` read the labels is left to check them itself, at the first step. Then labels
        of the form each accuracy metric of ``metrics`` takes (``metrics.labels_problem``): one of another form gave
        a wrong number without a word, or failed after the first step had moved the weights. ``samples``: the
        predictions' count where it is not the labels' (``train_on_batch``, whose x and y are not compared before)."""
        predictions_shape = (len(labels) if samples is None else samples,) + tuple(self._build(None)[-1][1:])
        if self.loss.reads_labels_through_labels():
            try:
                self.loss.labels(labels, predictions_shape, self.layers[-1].dtype)
            except ValueError as error:  # ShapeError included
                raise type(error)(f"{where}: {argument}: {error}") from None
        for name, function in self.metrics:
            problem = labels_problem(function, np.shape(labels), predictions_shape)
            if problem is not None:
                raise ShapeError(f"{where}: {argument}: the metric {name!r}: {problem}")

    def _fit_epochs(self, x, y, batch_size, epochs, verbose, validation_data, shuffle, rng, augment, history):
        steps = -(-len(x) // batch_size)
        for epoch in range(epochs):
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            with _progress_bar(steps, verbose) as bar:
                self._fit_epoch(x, y, batch_size, epoch, steps, bar, validation_data, shuffle, rng, augment, history)

    def _fit_epoch(self, x, y, batch_size, epoch, steps, bar, validation_data, shuffle, rng, augment, history):
        """One epoch of ``fit``: its batches in the order ``shuffle`` asks for, each a step, the epoch's mean loss
        and metrics over its samples (and the validation data's) recorded in ``history`` and on ``bar``."""
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        totals, seen = {}, 0
        for step in range(steps):
            index = order[step * batch_size:(step + 1) * batch_size]
            x_batch, y_batch = x[index], y[index]
            if augment is not None:
                augmented = augment(x_batch, rng)
                if np.shape(augmented) != x_batch.shape:
                    raise ValueError(f"{self.name}.fit: augment must return a batch of the shape it was given, "
                                     f"{x_batch.shape}, got {type(augmented).__name__} of shape "
                                     f"{np.shape(augmented)}")
                x_batch = augmented
            try:
                logs = self._train_step(x_batch, y_batch, None if augment is None else f"{self.name}.fit (augment)")
            except (FloatingPointError, NonFiniteError) as error:
                raise self._diverged(epoch + 1, step + 1, index, history, error) from error
            seen += len(index)
            for name, value in logs.items():
                totals[name] = totals.get(name, 0.0) + value * len(index)
            bar.update(step + 1, **{name: total / seen for name, total in totals.items()})
        logs = {name: total / seen for name, total in totals.items()}
        if validation_data is not None:
            values = self.evaluate(*validation_data, batch_size=batch_size, return_dict=True)
            logs.update({f"val_{name}": value for name, value in values.items()})
        history.append(epoch, logs)
        bar.finish(**logs)
        self._warn_if_diverging(history.history["loss"], history.epoch)

    def _warn_if_diverging(self, losses, epochs):
        """Warn, once per model, where an epoch's training loss is over ``DIVERGING_FACTOR`` times the lowest of the
        epochs of this ``fit`` before it: the steps overshoot the minimum and climb away from it, and a student
        whose weights grow towards 1e27 without a NaN should be told why before the run ends."""
        if getattr(self, "_warned_diverging", False) or len(losses) < 2:
            return
        lowest = min(losses[:-1])
        if not (0 < lowest and losses[-1] > DIVERGING_FACTOR * lowest):
            return
        self._warned_diverging = True
        rate = getattr(self.optimizer, "learning_rate", None)
        at = f" ({type(self.optimizer).__name__}'s is {rate:g})" if isinstance(rate, (int, float)) else ""
        lowest_epoch = epochs[losses.index(lowest)] + 1
        warnings.warn(f"{self.name}: the training loss grew from {lowest:.4g} (epoch {lowest_epoch}) to "
                      f"{losses[-1]:.4g} (epoch {epochs[-1] + 1}): the steps overshoot the minimum and climb away "
                      f"from it. A learning rate too large does this{at}: try one 10 times smaller",
                      stacklevel=checks.stacklevel_outside_minicnn())

    @checks.interruptions_unwrapped
    def evaluate(self, x, y, batch_size=32, verbose=0, return_dict=False, **keras_arguments):
        """Loss and metrics in inference mode over the whole data, computed in batches; ``verbose`` 0 (silent, the
        default), 1 (a progress bar) or 2 (its last line).

        Returns the loss alone when no metrics were compiled, else ``[loss, metric, ...]`` (a dict with
        ``return_dict=True``), as Keras does.
        """
        refuse_keras_arguments(f"{self.name}.evaluate", keras_arguments, self.evaluate)
        self._require_compiled("evaluate")
        x, y = self._check_data(x, y, f"{self.name}.evaluate")
        _warn_if_scaled_otherwise(x, getattr(self, "_trained_on", None), f"{self.name}.evaluate")
        batch_size = KERAS_BATCH_SIZE if batch_size is None else batch_size  # Keras' None: 32
        checks.whole_number(batch_size, "batch_size", f"{self.name}.evaluate")
        verbose = _check_verbose(verbose, f"{self.name}.evaluate")
        return_dict = checks.flag(return_dict, "return_dict", f"{self.name}.evaluate")
        self._warn_if_long_on_simulator(x, len(x), f"{self.name}.evaluate", f"evaluating {len(x):,} samples")
        self._build_for(x)
        self._check_labels_for_output(y, "y", f"{self.name}.evaluate")  # the whole data's shape, before any batch
        totals = {}
        with _progress_bar(-(-len(x) // batch_size), verbose) as bar, self.on_device():
            for step, start in enumerate(range(0, len(x), batch_size)):
                x_batch, y_batch = x[start:start + batch_size], y[start:start + batch_size]
                y_pred = self._predict_batch(x_batch)
                self._check_output_finite(x_batch, y_pred, f"{self.name}.evaluate")
                values = {"loss": self.loss(y_batch, y_pred), **self._metric_values(y_batch, y_pred)}
                for name, value in values.items():
                    totals[name] = totals.get(name, 0.0) + value * len(x_batch)
                bar.update(step + 1)
            results = {name: total / len(x) for name, total in totals.items()}
            bar.finish(**results)
        return _as_returned(results, return_dict)

    def test_on_batch(self, x, y, return_dict=False, **keras_arguments):
        """``evaluate`` on one batch (Keras' name): the loss, or ``[loss, metric, ...]``, or a dict."""
        refuse_keras_arguments(f"{self.name}.test_on_batch", keras_arguments, self.test_on_batch)
        return self.evaluate(x, y, batch_size=max(len(np.asarray(x)), 1), return_dict=return_dict)

    def predict_on_batch(self, x):
        """``predict`` on one batch (Keras' name)."""
        return self.predict(x, batch_size=max(len(np.asarray(x)), 1))

    @checks.interruptions_unwrapped
    def predict(self, x, batch_size=32, verbose=0, **keras_arguments):
        """The model's outputs for ``x`` in inference mode, computed in batches of ``batch_size``; ``verbose`` as
        ``evaluate``'s (silent by default)."""
        refuse_keras_arguments(f"{self.name}.predict", keras_arguments, self.predict)
        x, _ = self._check_data(x, None, f"{self.name}.predict", labels=False)
        _warn_if_scaled_otherwise(x, getattr(self, "_trained_on", None), f"{self.name}.predict")
        if np.ndim(batch_size) > 0:  # predict(x, y): labels in the place of batch_size
            raise TypeError(f"{self.name}.predict: its second argument is batch_size, got an array of shape "
                            f"{np.shape(batch_size)}: predict takes x alone; evaluate(x, y) scores against labels")
        batch_size = KERAS_BATCH_SIZE if batch_size is None else batch_size  # Keras' None: 32
        checks.whole_number(batch_size, "batch_size", f"{self.name}.predict")
        verbose = _check_verbose(verbose, f"{self.name}.predict")
        self._warn_if_long_on_simulator(x, len(x), f"{self.name}.predict", f"predicting {len(x):,} samples")
        self._build_for(x)
        outputs = []
        with _progress_bar(-(-len(x) // batch_size), verbose) as bar, self.on_device():
            for step, start in enumerate(range(0, len(x), batch_size)):
                outputs.append(self._predict_batch(x[start:start + batch_size]))
                bar.update(step + 1)
            bar.finish()
        outputs = np.concatenate(outputs) if outputs else np.zeros((0,))
        self._check_output_finite(x, outputs, f"{self.name}.predict")
        return outputs

    def _check_output_finite(self, x, outputs, where):
        """Refuse ``outputs`` (the model's, on the host, for the samples ``x``) that hold NaN or infinity, in an
        error that starts with ``where`` and names the layer that made it: the first such sample goes through the
        layers again (a layer of yours, and every layer on an accelerator backend, does not check its input)."""
        if checks.all_finite(outputs):
            return
        sample = checks.first_index(~np.isfinite(outputs))[0]
        with self.on_device():
            kernels = backend.kernels()
            made = self._layer_that_made_nan(self._batch_where_computed(kernels, x[sample:sample + 1]),
                                             training=False)
        _check_finite(outputs, "the output", where, f"; {made or NO_NAN_AGAIN}")

    # ------------------------------------------------------------------ weights
    def _weight_slots(self):
        """``(layer index, layer, key, array)`` for every weight, in ``get_weights`` order."""
        if not self.built:
            self.build()
        return [(i, layer, key, array) for i, layer in enumerate(self.layers) for key, array in layer.weight_items()]

    def get_weights(self):
        """Copies of every weight, layer by layer (kernel, bias; BatchNorm: gamma, beta, moving mean/variance), on
        the host (also inside ``on_device``)."""
        return [np.array(backend.to_host(array)) for _, _, _, array in self._weight_slots()]

    def set_weights(self, weights):
        """Set every weight from a list shaped like ``get_weights()``; checks count, shapes and values first."""
        self._set_weights(weights, f"{self.name}.set_weights")

    def _set_weights(self, weights, where):
        """``set_weights``, its errors starting with ``where``: every array is checked and converted before the
        first is set, so nothing is half applied. Values must be real numbers that are finite in the layer's dtype
        (NaN would show up far away, as a NaN input of a later layer, or as a loss that diverged)."""
        set_weight_slots([(layer, key, array) for _, layer, key, array in self._weight_slots()], weights, where)

    def save_weights(self, path):
        """Write every weight to an ``.npz`` file, atomically: a temporary file in the same folder is renamed over
        ``path`` only once it is complete, so a failure never destroys an existing file. Weights that hold NaN or
        infinity (a training that diverged) are refused, and an existing file is kept: ``load_weights`` would
        refuse them."""
        slots = self._weight_slots()
        arrays = {f"{i:03d}.{key}": backend.to_host(array) for i, _, key, array in slots}
        for (_, layer, key, _), array in zip(slots, arrays.values()):
            if array.dtype.kind == "f" and not checks.all_finite(array):
                raise NonFiniteError(f"{self.name}.save_weights: {layer.describe()} {key} contains NaN or infinity "
                                     f"(a training that diverged?); nothing was written, and a file already at "
                                     f"{path!r} keeps the weights it holds")
        arrays["__format__"] = np.array(WEIGHTS_FORMAT)
        arrays["__layers__"] = np.array([type(layer).__name__ for layer in self.layers])
        arrays["__input_shape__"] = np.array([-1 if d is None else d for d in self.input_shape])
        write_npz_atomically(path, arrays, f"{self.name}.save_weights")

    def _refuse_weights_laid_out_for_another_input(self, file_sample_shape, path):
        """Weights that fit every array of this model, saved for inputs of another shape, where a layer with
        weights comes after a ``Flatten``: that layer reads its inputs in the order of the input shape it was
        trained for. Weights saved for images of 26×34 loaded into a model for 34×26 (the same count after
        Flatten, every weight in another place) and predicted nothing that means anything (found in review:
        accuracy 0.97 fell to 0.56 without a word). Fully convolutional models, and a Flatten with no weights
        after it, take any image size."""
        own = self.input_shape
        flattens = [index for index, layer in enumerate(self.layers) if isinstance(layer, Flatten)]
        if own is None or not flattens or not any(layer.params for layer in self.layers[flattens[0] + 1:]):
            return
        own_sample = tuple(own[1:])
        if len(own_sample) != len(file_sample_shape) or all(
                mine is None or mine == theirs for mine, theirs in zip(own_sample, file_sample_shape)):
            return
        swapped = (" (height and width swapped? PIL's image.size is (width, height), a NumPy image's shape (height, "
                   "width))" if own_sample[:2] == file_sample_shape[1::-1] and own_sample[0] != own_sample[1] else "")
        raise WeightFileError(f"{self.name}.load_weights: {path!r} was saved from a model for inputs of shape "
                              f"{file_sample_shape}, and this model takes {own_sample}{swapped}: its weights fit, but "
                              f"after Flatten each input comes in another place, so they would load and mean nothing; "
                              f"build the model for inputs of shape {file_sample_shape}")

    def load_weights(self, path, **keras_arguments):
        """Read weights written by ``save_weights``; the architecture must match (clear error if not)."""
        refuse_keras_arguments(f"{self.name}.load_weights", keras_arguments, self.load_weights)
        stored = read_npz(path, f"{self.name}.load_weights")  # checks path first
        path = os.fspath(path)
        check_format(stored, WEIGHTS_FORMAT, path, f"{self.name}.load_weights")
        missing = [key for key in ("__layers__", "__input_shape__") if key not in stored]
        if missing:
            raise WeightFileError(f"{self.name}.load_weights: {path!r} is an incomplete minicnn weight file (no "
                                  f"{', '.join(missing)})")
        file_layers, file_sample_shape = stored_header(stored, f"{self.name}.load_weights: {path!r}")
        model_layers = [type(layer).__name__ for layer in self.layers]
        if file_layers != model_layers:
            raise WeightFileError(f"{self.name}.load_weights: {path!r} holds weights for the layers {file_layers}, "
                                  f"but this model has {model_layers}")
        model, input_shape = self, None
        if not self.built and self.input_shape is None:  # built for the file's input shape once the file fits
            input_shape = (None,) + file_sample_shape
            model = copy.deepcopy(self)
            model.build(input_shape)
        slots = model._weight_slots()
        expected_keys = {f"{i:03d}.{key}" for i, _, key, _ in slots}
        file_keys = {key for key in stored if not key.startswith("__")}
        if expected_keys != file_keys:
            raise WeightFileError(f"{self.name}.load_weights: {path!r} has weights {sorted(file_keys)}, expected "
                                  f"{sorted(expected_keys)}")
        problems = [f"{layer.describe()} {key}: file {stored[f'{i:03d}.{key}'].shape}, model {array.shape}"
                    for i, layer, key, array in slots if stored[f"{i:03d}.{key}"].shape != array.shape]
        if problems:
            raise WeightFileError(f"{self.name}.load_weights: {path!r} does not fit this model's shapes: "
                                  + "; ".join(problems))
        self._refuse_weights_laid_out_for_another_input(file_sample_shape, path)
        model._set_weights([stored[f"{i:03d}.{key}"] for i, _, key, _ in slots],  # checks every value first
                           f"{self.name}.load_weights: {path!r}")
        if model is not self:
            self.build(input_shape)
            self.set_weights(model.get_weights())
