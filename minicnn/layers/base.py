"""``Layer``: the life cycle every layer shares.

``__init__`` validates the arguments; ``build(input_shape)`` creates the weights on first use, when the input's
channel count is known; ``forward(x, training=False)`` computes the output and keeps in ``self`` only what
``backward`` needs; ``backward(grad_out)`` *overwrites* ``self.grads`` (same keys as ``self.params``) and returns the
gradient for the input. Shapes include the batch axis as ``None``, as in Keras: ``(None, 32, 32, 1)``.
"""

import copy
import functools
import inspect
import itertools
import numbers
import re
import warnings

import numpy as np

from minicnn import backend
from minicnn.checks import (all_finite, first_not_finite, flag, interruptions_unwrapped, missing_attribute,
                            of_minicnn, real_array, stacklevel_outside_minicnn)
from minicnn.errors import LAYER_NAMES, BackendError, NonFiniteError, ShapeError, refuse_keras_arguments

_layer_counts = {}


def _snake_case(name):
    """Keras' rule: ``Conv2D`` → ``conv2d``, ``MaxPooling2D`` → ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_name(class_name):
    """Keras-style unique names: ``conv2d``, ``conv2d_1``, ``conv2d_2``, ..."""
    base = _snake_case(class_name)
    count = _layer_counts.setdefault(base, itertools.count())
    index = next(count)
    return base if index == 0 else f"{base}_{index}"


def as_pair(value, argument, owner):
    """An int or a pair of ints as a pair ``(rows, cols)``; both positive."""
    if isinstance(value, (int, np.integer)):
        pair = (value, value)
    else:
        pair = tuple(value) if isinstance(value, (tuple, list)) else None
    if pair is None or len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
                                                  for v in pair):
        raise ValueError(f"{owner}: {argument} must be a positive int or a pair of positive ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def batch_shape_text(shape):
    """A shape with its batch axis, ``(None, 8, 8, 1)``, as messages write it: ``(N, 8, 8, 1)`` (any other size
    not known yet as ``…``)."""
    return "(" + ", ".join(["N"] + ["…" if d is None else str(d) for d in shape[1:]]) + ")"


CHANNELS_FIRST_ADVICE = ("images with their channels first, (N, C, H, W), as PyTorch keeps them? minicnn takes "
                         "them last, (N, H, W, C): x.transpose(0, 2, 3, 1)")
"""What the messages of a layer that takes images say where the images it was given look channels first."""


def looks_channels_first(shape):
    """Whether images of ``shape`` (batch axis included) look channels first, (N, C, H, W), to a layer that takes
    (N, H, W, C) and knows no shape to compare them with: 3 or 4 "rows" (RGB, RGBA) before at least 8 × 8 (a photo
    batch as PyTorch keeps it, (N, 3, 120, 160), read channels last is 160 channels of images 3 pixels tall), or 1
    row before a square of at least 8 × 8 (MNIST's (N, 1, 28, 28)). Images that small with that many channels are
    rarer than the mistake; one row of any other length is a 1-D signal, (N, 1, length, channels)."""
    if len(shape) != 4 or min(shape[2], shape[3]) < 8:
        return False
    return shape[1] in (3, 4) or (shape[1] == 1 and shape[2] == shape[3])


def _float_dtype(dtype, where):
    """``dtype`` as float32 or float64, the two every backend computes in (float16 and longdouble have no kernels)."""
    try:
        dtype = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype!r} ({error})") from None
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype}")
    return dtype


def _sizes(input_shape, where, argument="input_shape"):
    """``input_shape`` (one sample's shape, without the batch axis) as a tuple of positive ints; errors call it
    ``argument``."""
    try:
        sizes = tuple(input_shape)
    except TypeError:
        sizes = None
    if not sizes or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in sizes):
        leave_out = "the Input" if argument == "shape" else "input_shape"
        any_size = f" (for images of any size, leave {leave_out} out: the layer is built at its first call)" if (
            sizes and None in sizes) else ""
        one_size = (f" (a single size? ({input_shape!r},) with its comma: ({input_shape!r}) is just the number)"
                    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool) else "")
        raise ValueError(f"{where}: {argument} must be a tuple of positive ints (one sample's shape, e.g. "
                         f"(32, 32, 1)), got {input_shape!r}{any_size}{one_size}")
    return tuple(int(d) for d in sizes)


class Input:
    """Keras' ``Input(shape=...)``, the first entry of a ``Sequential``: it gives the layer after it its
    ``input_shape`` (one sample's shape, without the batch axis), so that the model is built before it sees data.
    It is not a layer: ``summary`` does not list it, as Keras does not."""

    def __init__(self, shape, name=None, **keras_arguments):
        refuse_keras_arguments("Input", keras_arguments, Input.__init__)
        self.shape = _sizes(shape, "Input", "shape")
        self.name = name

    def __repr__(self):
        return f"Input(shape={self.shape})"


def _constructor_chain(cls):
    """The ``__init__`` functions a call ``cls(...)`` passes its keyword arguments through: its own and those of the
    classes above it, up to ``Layer.__init__``, which takes the rest (a class whose ``__init__`` is
    ``Layer.__init__`` takes only those)."""
    chain = []
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is not None:
            chain.append(init)
            if init is Layer.__init__:
                break
    return chain


def check_layer_contract(layer, where):
    """What a model and ``gradcheck`` need of every layer, refused with the fix where a layer of your own lacks it:
    ``Layer.__init__`` ran (it gives the layer its name, ``params``, ``grads`` and ``state``), and ``params`` and
    ``grads`` are dicts ``{key: array}``."""
    if not all(hasattr(layer, attribute) for attribute in ("name", "params", "grads", "state", "built")):
        raise TypeError(f"{where}: the {type(layer).__name__} has no name, params or grads: its __init__ must call "
                        f"super().__init__(...) before anything else")
    for store in ("params", "grads"):
        if not isinstance(getattr(layer, store), dict):
            raise TypeError(f"{where}: {layer.describe()}.{store} must be a dict {{key: array}} (e.g. "
                            f"self.{store}['kernel'] = ...), got {type(getattr(layer, store)).__name__}")


def check_built(layer, where):
    """After ``layer.build(...)``: ``params`` and ``grads`` are still dicts, and a ``build`` of your own that does not
    call ``super().build(input_shape)`` leaves the layer unbuilt, so it would be built again, its trained weights
    made afresh, at the next call."""
    check_layer_contract(layer, where)
    if not layer.built:
        raise TypeError(f"{where}: {layer.describe()}.build did not call super().build(input_shape), so the layer "
                        f"stays unbuilt and would be built again, its weights made afresh, at the next call")


def build_checked(layer, input_shape, where, others=()):
    """``layer.build(input_shape)``, then what every build must leave (``check_built``), with a warning where a
    build of your own kept an array outside ``params`` and ``state`` (``self.kernel = ...``, where Keras layers keep
    their weights): training left it as it was and ``save_weights`` did not save it, without a word, and gradcheck
    passed (found in review). Views of the layer's own arrays (``self.Wt = self.params["W"].T``) and arrays of the
    ``others`` layers (tied weights) are not warned of. For a layer of yours the gradients as built are kept, for
    the first training step's check that backward set them (``Sequential``)."""
    before = dict(vars(layer))
    layer.build(input_shape)
    check_built(layer, where)
    kept = [array for owner in (layer, *others) for store in ("params", "grads", "state")
            if isinstance(getattr(owner, store, None), dict)  # a later layer's contract is checked at its build
            for array in getattr(owner, store).values() if isinstance(array, np.ndarray)]
    for name, value in vars(layer).items():
        made_here = isinstance(value, np.ndarray) and value.dtype.kind == "f" and value is not before.get(name)
        if made_here and not any(np.may_share_memory(value, array) for array in kept):
            warnings.warn(f"{layer.describe()}: build made self.{name}, an array outside params and state: training "
                          f"leaves it as it is and save_weights does not save it. A weight goes in "
                          f"self.params[{name!r}] (its gradient in self.grads[{name!r}], set by backward); another "
                          f"array to keep with the weights (a running mean) goes in self.state[{name!r}]; a "
                          f"constant that build makes the same every time can stay where it is",
                          stacklevel=stacklevel_outside_minicnn())
    if not of_minicnn(layer):
        layer._grads_as_built = dict(layer.grads)


def gradient_for(layer, key, where):
    """``layer.grads[key]``, the gradient of ``layer.params[key]`` after a backward pass; a ``backward`` of your own
    that stores it under another key, or not at all, is named here rather than in a bare KeyError, or, where build
    made ``grads[key]`` and backward wrote ``grads["w"]`` beside it, rather than a weight that never learns."""
    stray = sorted(set(layer.grads) - set(layer.params))
    if stray:
        raise KeyError(f"{where}: {layer.describe()}.grads holds {stray}, which params lacks (params holds "
                       f"{sorted(layer.params)}): the gradient of params[key] goes in grads[key], under the same key; "
                       f"a misspelled key?")
    if key not in layer.grads:
        raise KeyError(f"{where}: {layer.describe()}.grads has no {key!r} (grads holds {sorted(layer.grads)}, params "
                       f"holds {sorted(layer.params)}): make grads[key] for every key of params in build, and set it "
                       f"in every backward")
    return layer.grads[key]


@functools.lru_cache(maxsize=None)
def _takes_input_gradient(backward):
    """Whether the function ``backward`` has an ``input_gradient`` parameter (asked once per function: a training
    step asks it every step)."""
    return "input_gradient" in inspect.signature(backward).parameters


class Layer:
    """Base class: parameters, gradients, build-on-first-use, forward and backward.

    A layer keeps three dicts of arrays, made in ``build``: ``params``, its weights (trained, and saved by
    ``save_weights``); ``grads``, the gradient of each weight under the same key (set by ``backward``); and
    ``state``, other arrays that go with the weights (BatchNormalization's moving averages: saved, not trained).

    Parameters
    ----------
    name : str, optional
        Unique name shown by ``summary`` and used in error messages; made up from the class name when omitted.
    input_shape : tuple, optional
        The shape of one sample, without the batch axis, e.g. ``(32, 32, 1)``; lets ``Sequential`` build before
        it sees data (as Keras' ``input_shape``).
    dtype : str or numpy dtype, optional
        The dtype of the weights and of the computation; ``float32`` unless given. Inputs are cast to it.
    trainable : bool, default True
        False freezes the layer's weights: training leaves them as they are (transfer learning), and ``summary``
        counts them as non-trainable. Set it before training, or ``compile`` again after changing it (the optimizer
        keeps state for each trainable weight). A frozen ``BatchNormalization`` normalises with its moving averages,
        in training too, as in Keras.
    """

    #: the rank of one input, batch axis included (None: any rank of at least 2), and its axes in words
    input_ndim = None
    input_layout = "(N, ...)"

    #: whether forward and backward go only through backend kernels, so that they run on the arrays of an
    #: accelerator backend (cuda) without a copy to the host; layers that compute with NumPy directly say False
    runs_on_device = False

    def __init__(self, name=None, input_shape=None, dtype=None, trainable=True, **unknown):
        refuse_keras_arguments(type(self).__name__, unknown, *_constructor_chain(type(self)))
        self.name = name if name is not None else _auto_name(type(self).__name__)
        if not isinstance(self.name, str) or not self.name:
            kind = type(self).__name__
            size = isinstance(name, numbers.Number) and not isinstance(name, bool)
            hint = f" (the first argument of {kind} is its name: it takes no size)" if size else ""
            if size and kind == "Linear":  # PyTorch's nn.Linear(10) is a fully connected layer
                hint = " (minicnn's Linear is the identity activation; a fully connected layer is Dense(units))"
            raise TypeError(f"{kind}: name must be a non-empty string, got {name!r}{hint}")
        self.input_shape = None
        if input_shape is not None:
            self.declare_input_shape(input_shape)
        self.dtype = _float_dtype(dtype if dtype is not None else np.float32, self.describe())
        self.trainable = flag(trainable, "trainable", self.describe())
        self.params = {}
        self.grads = {}
        self.state = {}
        self.built = False
        self.built_input_shape = None

    # ------------------------------------------------------------------ life cycle
    def declare_input_shape(self, input_shape):
        """Set ``input_shape``, one sample's shape without the batch axis (the constructor's argument, or an
        ``Input`` in front of the layer), after checking it: positive sizes, as many as the layer's input has."""
        sizes = (None,) + _sizes(input_shape, self.describe())
        if self.input_ndim is not None and len(sizes) != self.input_ndim:
            advice = ""
            if self._lacks_channel_axis(sizes):
                advice = f"; images without their channel axis? {sizes[1:] + (1,)} for grey ones"
            elif self.input_layout == "(N, features)" and len(sizes) > self.input_ndim:
                advice = (f"; {type(self).__name__} takes one row of features per sample: put Flatten(input_shape="
                          f"{sizes[1:]}) before it")
            count = self.input_ndim - 1
            raise ShapeError(f"{self.describe()}: input_shape must give {count} size{'s' if count > 1 else ''} (one "
                             f"sample, without the batch axis), got {input_shape!r}{advice}")
        self.input_shape = sizes

    def describe(self):
        return f"{type(self).__name__} '{self.name}'"

    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis included). Subclasses call ``super().build``."""
        self.built_input_shape = (None,) + tuple(input_shape[1:])
        self.built = True

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (batch axis included); the one place for shape arithmetic."""
        return tuple(input_shape)

    def get_config(self):
        """The constructor arguments, so that ``type(layer)(**layer.get_config())`` makes a twin (without weights)."""
        config = {"name": self.name, "dtype": self.dtype.name}
        if not self.trainable:
            config["trainable"] = False
        if self.input_shape is not None:
            config["input_shape"] = self.input_shape[1:]
        return config

    def forward(self, x, training=False):
        """The layer's output for the batch ``x`` (``training`` True in ``fit``: Dropout drops, BatchNormalization
        uses the batch's statistics). A layer of your own defines it, and keeps what ``backward`` will need."""
        keras = " (Keras' call() is forward here)" if callable(getattr(self, "call", None)) else ""
        raise NotImplementedError(f"{self.describe()} defines no forward(x, training=False){keras}: a layer of yours "
                                  "defines forward, returning its output, and backward(grad_out)")

    def backward(self, grad_out):
        """``∂L/∂x`` from ``grad_out``, ``∂L/∂output`` (of the output's shape); it also sets ``grads[key]``, the
        gradient ``∂L/∂params[key]`` of each weight (set, not added to). A layer of your own defines it."""
        raise NotImplementedError(f"{self.describe()} defines no backward(grad_out): a layer of yours returns "
                                  "∂L/∂x, of its input's shape, and sets grads[key] = ∂L/∂params[key] for each weight")

    def add_weight(self, *args, **kwargs):
        """Keras' way to make a weight; minicnn's is plainer, and this says so."""
        raise NotImplementedError(f"{self.describe()}: minicnn has no add_weight; in build, make each weight an array "
                                  "self.params[key] and its gradient self.grads[key] = np.zeros_like(it) (README's "
                                  "'A layer of your own')")

    def _after_forward(self, kept):
        """``backward`` uses what ``forward`` kept (the attribute named ``kept``); before any forward, say so rather
        than fail with an AttributeError."""
        if not hasattr(self, kept):
            raise RuntimeError(f"{self.describe()}.backward: call forward first (backward uses what forward kept)")

    def weight_gradients(self, grad_out):
        """Fill ``self.grads`` from ``∂L/∂output`` without returning ``∂L/∂input``: all a training step needs from
        the lowest layer that learns, since nothing below it has weights. A ``backward`` that takes
        ``input_gradient`` (``Conv2D``'s and ``Dense``'s) is told False, to skip the input-gradient product
        altogether; any other runs as it is and its result is dropped (a subclass of ``Conv2D`` with a
        ``backward(self, grad_out)`` of its own failed there: found in review)."""
        if _takes_input_gradient(getattr(self.backward, "__func__", self.backward)):
            self.backward(grad_out, input_gradient=False)
        else:
            self.backward(grad_out)

    @interruptions_unwrapped  # Ctrl-C inside a compiled kernel: KeyboardInterrupt, not Numba's SystemError
    def __call__(self, x, training=False):
        return self.forward(x, training=training)

    # ------------------------------------------------------------------ helpers for subclasses
    def _prepare_input(self, x):
        """Check the shape, dtype and finiteness; cast to the layer's dtype; build if needed."""
        if backend.kernels().is_device_array(x):
            return self._prepare_device_input(x)
        x = real_array(x, "x", self.describe())
        self.check_input_shape(x.shape)
        x = x.astype(self.dtype, copy=False)
        if not all_finite(x):
            raise NonFiniteError(f"{self.describe()}: input contains NaN or infinity ({first_not_finite(x)})")
        self._build_once(x.shape)
        self._check_params_as_built()
        return x

    def _check_params_as_built(self):
        """Refuse a weight replaced in ``params`` by an array of another dtype or shape (``params["kernel"] = sobel``
        in float64, on a float32 layer): NumPy computed on in float64, Numba failed in its own words."""
        for key, value in self.params.items():
            built = self.grads.get(key)  # made beside each weight, of its dtype and shape
            if not isinstance(value, np.ndarray) or not isinstance(built, np.ndarray) or built.dtype != self.dtype:
                continue
            if value.dtype != self.dtype or value.shape != built.shape:
                error = ShapeError if value.shape != built.shape else TypeError
                raise error(f"{self.describe()}: params[{key!r}] was replaced by an array of {value.dtype}, shape "
                            f"{value.shape}; the layer computes in {np.dtype(self.dtype)} with a {key} of shape "
                            f"{built.shape}: write the values into it, layer.params[{key!r}][...] = value, or use "
                            f"layer.set_weights([...])")

    def _prepare_device_input(self, x):
        """The checks that need no copy to the host (shape, dtype) for an array on the accelerator.

        Finiteness was checked on the host before the batch was moved (``Sequential`` does it); a NaN produced on
        the device shows up in the loss, which is checked every step, and ``Sequential`` then runs the batch through
        the layers again to name the one that made it. An infinity that a later activation saturates (a sigmoid
        of −inf is 0) leaves the loss finite; it shows in the gradients (∞ · 0 is NaN), which a training step
        checks on the device before the update, naming the layer the same way.
        """
        self.check_runs_on_device()
        self.check_input_shape(tuple(x.shape))
        if x.dtype.kind != "f":
            raise TypeError(f"{self.describe()}: expected an array of floats on the device, got {x.dtype}")
        self._build_once(tuple(x.shape))
        return backend.kernels().astype(x, self.dtype)  # another layer's dtype converted, as on the host

    def check_runs_on_device(self):
        """Refuse, on an accelerator backend, a layer (or the activation it holds) that computes with NumPy rather
        than through the backend's kernels (``runs_on_device`` False): on a GPU, NumPy cannot touch its arrays."""
        activation = getattr(self, "activation", None)
        if activation is not None and not activation.runs_on_device:
            raise BackendError(f"{self.describe()}: its activation {type(activation).__name__} has no kernels for the "
                               f"{backend.get_backend()!r} backend yet; use one of the host backends ('numba', "
                               f"'numpy') for a model that holds it")
        if not self.runs_on_device:
            raise BackendError(f"{self.describe()} has no kernels for the {backend.get_backend()!r} backend yet; "
                               f"use one of the host backends ('numba', 'numpy') for a model that holds it")

    def check_input_shape(self, shape):
        """The output shape for inputs of ``shape`` (batch axis included), after refusing a shape this layer cannot
        take, before anything is built, so that a failed call leaves the layer as it was: the wrong rank; another
        shape than the declared ``input_shape``; once built, another channel count; a window (Conv2D, pooling)
        that does not fit."""
        shape = tuple(shape)
        if self.input_ndim is not None and len(shape) != self.input_ndim:
            expected = self.built_input_shape or self.input_shape
            hint = batch_shape_text(expected) if expected else f"{self.input_layout} (rank {self.input_ndim})"
            raise ShapeError(f"{self.describe()}: expected input of shape {hint}, got {shape}"
                             f"{self._rank_advice(shape, expected)}")
        if len(shape) < 2:
            raise ShapeError(f"{self.describe()}: expected input of shape {self.input_layout}, got {shape} (the batch "
                             "axis comes first)")
        if 0 in shape[1:]:  # images of 0 channels, a vector of 0 features: each backend answered another way
            raise ShapeError(f"{self.describe()}: expected input with at least one entry along every axis after the "
                             f"batch's, got {shape}")
        self._check_sample_shape(shape)
        if self.built:
            self._check_built_shape(shape)
        try:
            return self.compute_output_shape(shape)
        except ShapeError as error:
            if self.input_layout == "(N, H, W, C)" and shape[1] <= 4 < shape[3]:  # (N, C, H, W), as PyTorch has it
                raise ShapeError(f"{error}; {CHANNELS_FIRST_ADVICE}") from None
            raise

    def _lacks_channel_axis(self, shape):
        """Whether ``shape`` (batch axis included) is one axis short of a layer that takes channels last."""
        return self.input_ndim is not None and len(shape) == self.input_ndim - 1 and self.input_layout.endswith("C)")

    def _rank_advice(self, shape, expected):
        """What an input of another rank than ``input_ndim`` most likely is, with its fix: one sample without the
        batch axis (its shape is the declared sample's), one grey image without either (the declared sample's
        height and width), images without their channel axis, images given to a
        layer that takes rows of features (Keras' Dense would take the last axis; here Flatten comes first), or
        one number per sample without its axis of one feature (Keras 3 adds that axis itself)."""
        if expected is not None and shape == tuple(expected[1:]):
            return "; a single sample? x[None] makes it a batch of one"
        if expected is not None and len(expected) == 4 and expected[3] == 1 and shape == tuple(expected[1:3]):
            return "; a single grey image? x[None, ..., None] makes it a batch of one with its channel axis"
        if self._lacks_channel_axis(shape):
            if expected is None and shape[-1] in (1, 3, 4):  # (28, 28, 3): one RGB image, most likely
                return ("; a single image? x[None] makes it a batch of one; or images without their channel axis? "
                        "x[..., None] adds it")
            return "; images without their channel axis? x[..., None] adds it"
        if self.input_layout == "(N, features)" and len(shape) > self.input_ndim:
            return f"; {type(self).__name__} takes one row of features per sample: put Flatten() before it"
        if self.input_layout == "(N, features)" and len(shape) == 1 and (expected is None or expected[-1] == 1):
            return "; one number per sample? x[:, None] makes the column of features, shape (N, 1)"
        return ""

    def _build_once(self, shape):
        """Build for samples of ``shape``'s size on the first call (the shape was checked)."""
        if not self.built:
            build_checked(self, (None,) + tuple(shape[1:]), "forward")
            self._warn_if_channels_first(shape)

    def _check_sample_shape(self, shape):
        """A declared ``input_shape`` is the whole sample's shape, as Keras checks a model's declared input: data of
        another spatial size used to be blamed on a later layer (Flatten), or go through where the sizes round alike
        (9×9 for 8×8 through a 2×2 pooling). Without one, building fixes only the channel count: a fully
        convolutional network (the trackers') takes any spatial size."""
        if self.input_shape is not None and tuple(self.input_shape[1:]) != tuple(shape[1:]):
            one_sample = shape == tuple(self.input_shape[1:])
            advice = "; a single sample? x[None] makes it a batch of one" if one_sample else ""
            if self._channels_first_of(shape, self.input_shape):
                advice = f"; {CHANNELS_FIRST_ADVICE}"
            raise ShapeError(f"{self.describe()}: expected input of shape {batch_shape_text(self.input_shape)} (its "
                             f"input_shape), got {shape}{advice}")

    def _channels_first_of(self, shape, expected):
        """Whether ``shape`` holds images of ``expected``'s (batch axis included; None where a size is free) with
        their channel axis first, for a layer that takes them last."""
        if self.input_layout != "(N, H, W, C)" or len(shape) != 4 or len(expected) != 4:
            return False
        moved = (shape[0], shape[2], shape[3], shape[1])  # (N, C, H, W) read as (N, H, W, C)
        return moved[-1] != shape[-1] and all(want in (None, got) for want, got in zip(expected[1:], moved[1:]))

    def _warn_if_channels_first(self, shape):
        """Once built from data without a declared ``input_shape``: warn where the images ``looks_channels_first``
        (nothing failed: a Conv2D was built for as many channels as the images are wide)."""
        if self.input_layout == "(N, H, W, C)" and self.input_shape is None and looks_channels_first(shape):
            warnings.warn(f"{self.describe()}: data of shape {shape} read as images of {shape[1]}×{shape[2]} "
                          f"pixels with {shape[3]} channels: {CHANNELS_FIRST_ADVICE}", UserWarning,
                          stacklevel=stacklevel_outside_minicnn())

    def _upstream_gradient(self, grad_out, dtype=None):
        """``∂L/∂output`` as given to ``backward``, ready for a kernel: a C-contiguous array in ``dtype`` (the
        layer's unless given; a device array from a layer of another dtype is converted on the device). A list is
        read as an array; anything that is not real numbers (a string, complex numbers) is refused by name, where
        NumPy would fail in its own words or drop the imaginary part."""
        dtype = self.dtype if dtype is None else dtype
        if backend.kernels().is_device_array(grad_out):
            return backend.kernels().astype(grad_out, dtype)
        return np.ascontiguousarray(real_array(grad_out, "grad_out", f"{self.describe()}.backward"), dtype=dtype)

    def _check_built_shape(self, shape):
        """Once built, only the spatial size may change, never the channel count (weights depend on it)."""
        if shape[-1] != self.built_input_shape[-1]:
            count = self.built_input_shape[-1]
            unit = "channel" if len(self.built_input_shape) > 2 else "feature"  # an image's channels, a row's features
            any_size = (None,) * (len(self.built_input_shape) - 1) + (count,)  # built: only the channels are fixed
            advice = f"; {CHANNELS_FIRST_ADVICE}" if self._channels_first_of(shape, any_size) else ""
            raise ShapeError(f"{self.describe()}: expected input of shape {batch_shape_text(self.built_input_shape)} "
                             f"(built for {count} input {unit}{'' if count == 1 else 's'}), got {shape}{advice}")

    def _add_weight(self, key, value):
        self.params[key] = np.ascontiguousarray(value, dtype=self.dtype)
        self.grads[key] = np.zeros_like(self.params[key])

    # ------------------------------------------------------------------ weights
    def count_params(self):
        """Trainable and non-trainable weights together, as Keras' ``Param #``."""
        return int(sum(p.size for p in self.params.values()) + sum(s.size for s in self.state.values()))

    def count_trainable(self):
        """The weights training changes: ``params``, unless the layer is frozen (``trainable=False``)."""
        return int(sum(p.size for p in self.params.values())) if self.trainable else 0

    def weight_items(self):
        """``(key, array)`` for every weight, trainable first, in a fixed order (Keras' ``get_weights`` order)."""
        return list(self.params.items()) + list(self.state.items())

    def get_weights(self):
        """Copies of the layer's weights on the host, trainable first (Conv2D and Dense: kernel, bias), as Keras'
        ``layer.get_weights()``; ``[]`` before the layer is built."""
        return [np.array(backend.to_host(array)) for _, array in self.weight_items()]

    def set_weights(self, weights):
        """Set the layer's weights from a list shaped like ``get_weights()``, every array checked (shape, values)
        before the first is set, as ``Sequential.set_weights`` does for a whole model."""
        from minicnn.model import set_weight_slots  # the model's checks; minicnn.model imports this module first
        if not self.built:
            raise RuntimeError(f"{self.describe()}.set_weights: the layer has no weights before it is built; call it "
                               f"on data, or build(input_shape), first")
        set_weight_slots([(self, key, array) for key, array in self.weight_items()], weights,
                         f"{self.describe()}.set_weights")

    def check_weight(self, key, value, where):
        """Refuse a finite ``value`` for weight ``key`` that the layer cannot compute with (``set_weights`` and
        ``load_weights`` ask before setting anything): none here, any finite number will do."""

    def astype(self, dtype):
        """A deep copy of this layer whose weights and computation use ``dtype`` (e.g. float64 for gradcheck)."""
        twin = copy.deepcopy(self)
        twin.dtype = _float_dtype(dtype, f"{self.describe()}.astype")
        cast = {}  # id of an array as it was → the array cast; the arrays as they were are kept alive in it
        for store in (twin.params, twin.grads, twin.state):
            for key in store:
                cast[id(store[key])] = (store[key], store[key].astype(twin.dtype))
                store[key] = cast[id(store[key])][1]
        for name, value in list(vars(twin).items()):  # a name of yours for a weight, self.W = self.params["W"]
            if id(value) in cast and cast[id(value)][0] is value:
                setattr(twin, name, cast[id(value)][1])
        for attribute in vars(twin).values():
            if isinstance(attribute, Layer):
                attribute.dtype = twin.dtype
        return twin

    def __getattr__(self, name):
        """Only for what the layer lacks: a Keras name (``layer.kernel``, ``layer.weights``) says what to use
        instead (``checks.missing_attribute``)."""
        return missing_attribute(self, name, LAYER_NAMES)

    def __getstate__(self):
        """What a copy takes (``copy.deepcopy``, ``astype``, pickling): the attributes, with the arrays a cuda
        forward left on the GPU (its inputs and outputs kept for backward; the weights, inside ``on_device``) copied
        to the host, since a GPU array cannot be copied as a Python object."""
        return {name: backend.on_host(value) for name, value in vars(self).items()}

    def __repr__(self):
        return f"<{self.describe()}>"
