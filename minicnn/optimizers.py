"""Optimizers: they see only ``(param, grad)`` pairs and update each ``param`` array in place.

``optimizer.step(pairs)`` takes the same list, in the same order, on every call; state (momentum, Adam's moments)
is kept per position in that list. Every pair is checked before any parameter changes; ``step(pairs, names)``
names each pair in those errors (``Sequential`` passes its layers' weight names).
"""

import copy
import inspect

import numpy as np

from minicnn import backend
from minicnn.checks import finite_number, flag
from minicnn.errors import NO_SCHEDULES, ShapeError, missing_name, refuse_keras_arguments


def __getattr__(name):
    """A Keras name this module lacks (``schedules``, ``RMSprop``) says what to use instead."""
    raise missing_name("minicnn.optimizers", name)


class Optimizer:
    """Base class. ``learning_rate`` is the step size α."""

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.iterations = 0
        self._slots = None

    @property
    def learning_rate(self):
        """α, the step size; it may be changed between steps (``optimizer.learning_rate = 1e-4``), and is checked."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value):  # Keras takes a schedule here
            raise TypeError(f"{type(self).__name__}: learning_rate must be a positive number, got {value!r}: "
                            f"{NO_SCHEDULES}")
        if not finite_number(value) or value <= 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be a positive number, got {value!r}")
        self._learning_rate = float(value)

    @property
    def lr(self):
        """Keras' old name, refused by name: ``optimizer.lr = 0.0`` would otherwise set an attribute nothing reads
        (an optimizer of your own keeps its step size as ``learning_rate`` too)."""
        raise AttributeError(f"{type(self).__name__}: the attribute is learning_rate (lr is Keras' old name)")

    @lr.setter
    def lr(self, value):
        raise AttributeError(f"{type(self).__name__}: the attribute is learning_rate (lr is Keras' old name): "
                             f"optimizer.learning_rate = {value!r} changes the step size")

    def holds_state(self):
        """Whether the optimizer keeps state for its parameters, one slot per pair in order (momentum, Adam's
        moments), made at its first step: then it must be given the same parameters at every step."""
        return self._slots is not None

    def _slots_for(self, pairs, names):
        """Per-parameter state arrays (zeros on the first call), checked against the parameters' shapes.

        They live where the active backend computes; after a switch of backend they are moved there.
        """
        shapes = [tuple(param.shape) for param, _ in pairs]
        kernels = backend.kernels()
        if self._slots is None:
            self._slots = [{name: kernels.zeros_like(param) for name in names} for param, _ in pairs]
            self._shapes = shapes
            self._slot_backend = backend.get_backend()
        elif self._slot_backend != backend.get_backend():
            self._slots = [{name: kernels.to_device(array) for name, array in slot.items()}
                           for slot in self._host_slots()]
            self._slot_backend = backend.get_backend()
        if shapes != self._shapes:
            raise ValueError(f"{type(self).__name__}: step() was given parameters of shapes {shapes}, but it holds "
                             f"state for shapes {self._shapes}; use a new optimizer for another model")
        return self._slots

    def _host_slots(self):
        """The state arrays as NumPy arrays, from wherever the backend that made them keeps them."""
        if self._slots is None:
            return []
        previous = backend._load(self._slot_backend)
        return [{name: previous.to_host(array) for name, array in slot.items()} for slot in self._slots]

    def _checked_pairs(self, pairs, names=None):
        """``pairs`` as a list, every ``(param, grad)`` checked before any parameter is updated: a bad pair leaves
        every parameter (and the state) as it was.

        ``param`` must be a writable array of floats that the backend updates in place: a NumPy array (on the cuda
        backend, also a device array). A list would be left unchanged, an int array filled with garbage. ``grad``
        must be an array of floats of ``param``'s shape: NumPy would broadcast a gradient of shape (1,) over the
        whole parameter, and the numba and cuda kernels, which index the gradient by the parameter's size without
        bounds checks, would read past its end. Only types, shapes and dtypes are compared, no pass over the
        values: this runs at every training step. An error names a pair by its position in the list and, where
        ``names`` gives one string per pair, by its name: ``pair 3 (Dense 'dense' bias)``.
        """
        where = f"{type(self).__name__}.step"
        kernels = backend.kernels()
        on_device = getattr(kernels, "USES_DEVICE_MEMORY", False)
        arrays_updated_in_place = "a NumPy array or a device array" if on_device else "a NumPy array"
        pairs = list(pairs)
        if names is not None and (not isinstance(names, (list, tuple)) or len(names) != len(pairs)
                                  or not all(isinstance(name, str) for name in names)):
            raise TypeError(f"{where}: names must be None or one string per pair ({len(pairs)}), got {names!r}")
        for index, pair in enumerate(pairs):
            which = f"pair {index}" if names is None else f"pair {index} ({names[index]})"
            if not isinstance(pair, (tuple, list)):
                raise TypeError(f"{where}: {which}: expected a (param, grad) pair, got {type(pair).__name__}")
            if len(pair) != 2:
                raise TypeError(f"{where}: {which}: expected a (param, grad) pair, got {len(pair)} items")
            param, grad = pair
            if not (isinstance(param, np.ndarray) or kernels.is_device_array(param)):
                raise TypeError(f"{where}: {which}: expected the parameter as {arrays_updated_in_place} of "
                                f"floats (it is updated in place), got {type(param).__name__}")
            if np.dtype(param.dtype).kind != "f":
                raise TypeError(f"{where}: {which}: expected the parameter as an array of floats, got dtype "
                                f"{param.dtype}")
            if isinstance(param, np.ndarray) and not param.flags.writeable:
                raise ValueError(f"{where}: {which}: the parameter is a read-only array; it is updated in place")
            if not (hasattr(grad, "shape") and hasattr(grad, "dtype")):
                raise TypeError(f"{where}: {which}: expected the gradient as an array of floats of shape "
                                f"{tuple(param.shape)} (its parameter's), got {type(grad).__name__}")
            if np.dtype(grad.dtype).kind != "f":
                raise TypeError(f"{where}: {which}: expected the gradient as an array of floats, got dtype "
                                f"{grad.dtype}")
            if tuple(grad.shape) != tuple(param.shape):
                raise ShapeError(f"{where}: {which}: expected the gradient of shape {tuple(param.shape)} (its "
                                 f"parameter's), got {tuple(grad.shape)}")
        return pairs

    def step(self, pairs, names=None):
        """Update each ``param`` in place from its ``grad``. ``names`` (one string per pair, or None) name the pairs
        in errors; an optimizer of your own takes the argument too, since ``Sequential`` passes it."""
        raise NotImplementedError

    def astype(self, dtype):
        """A copy of this optimizer, its step count and state included, for the same parameters in ``dtype``
        (``Sequential.astype``): the state comes to the host, cast, and moves to where the next ``step`` runs."""
        twin = copy.copy(self)
        if self._slots is not None:
            twin._slots = [{name: array.astype(dtype) for name, array in slot.items()} for slot in self._host_slots()]
            twin._slot_backend = "numpy"  # host arrays, as the numpy backend keeps them
        return twin

    def __getstate__(self):
        """What a copy takes (``copy.deepcopy`` of a compiled model, pickling): the attributes, with state kept on a
        GPU copied to the host (a GPU array cannot be copied as a Python object); it moves to where the next
        ``step`` runs."""
        state = dict(vars(self))
        if getattr(self, "_slots", None) is not None:
            made_by = backend._load(self._slot_backend)
            if getattr(made_by, "USES_DEVICE_MEMORY", False):
                state["_slots"], state["_slot_backend"] = self._host_slots(), "numpy"
        return state

    def state_arrays(self):
        """The optimizer's state as named host arrays (for a checkpoint): ``"iterations"`` and one array per
        slot, ``"003.m"`` for the ``m`` of the fourth parameter."""
        arrays = {"iterations": np.array(self.iterations)}
        for index, slot in enumerate(self._host_slots()):
            for name, value in slot.items():
                arrays[f"{index:03d}.{name}"] = value
        return arrays

    def load_state_arrays(self, arrays, pairs):
        """Restore what ``state_arrays`` returned, for the parameters ``pairs`` (checked against the slots)."""
        pairs = list(pairs)
        iterations = int(arrays["iterations"])  # set once the slots are taken: a refused load changes nothing
        slots = {}
        for key, value in arrays.items():
            if key != "iterations":
                index, name = key.split(".")
                slots.setdefault(int(index), {})[name] = np.asarray(value)
        if not slots:
            self._slots, self.iterations = None, iterations
            return
        if sorted(slots) != list(range(len(pairs))):
            raise ValueError(f"{type(self).__name__}: the saved state holds {len(slots)} parameters' slots, the "
                             f"model has {len(pairs)} parameters")
        for index, (param, _) in enumerate(pairs):
            for name, value in slots[index].items():
                if value.shape != param.shape:
                    raise ValueError(f"{type(self).__name__}: saved slot {name!r} of parameter {index} has shape "
                                     f"{value.shape}, the parameter {param.shape}")
        kernels = backend.kernels()
        self._slots = [{name: kernels.to_device(value) for name, value in slots[i].items()} for i in sorted(slots)]
        self._shapes = [tuple(param.shape) for param, _ in pairs]
        self._slot_backend = backend.get_backend()
        self.iterations = iterations

    def get_config(self):
        return {"learning_rate": self.learning_rate}

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class SGD(Optimizer):
    """Stochastic gradient descent, the document's update ``w ← w − α ∂L/∂w``.

    With ``momentum`` μ > 0 (Keras' form): ``v ← μ·v − α·∂L/∂w``, ``w ← w + v``; with ``nesterov=True`` the step
    looks ahead: ``w ← w + μ·v − α·∂L/∂w``. (PyTorch writes the same update as ``b ← μ·b + g``, ``w ← w − α·b``.)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **keras_arguments):
        refuse_keras_arguments("SGD", keras_arguments, SGD.__init__)
        super().__init__(learning_rate)
        if not finite_number(momentum) or not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be a number in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = flag(nesterov, "nesterov", "SGD")

    def step(self, pairs, names=None):
        pairs = self._checked_pairs(pairs, names)
        kernels = backend.kernels()
        if self.momentum == 0:
            self.iterations += 1
            for param, grad in pairs:
                kernels.sgd_update(param, grad, None, self.learning_rate, 0.0, False)
            return
        slots = self._slots_for(pairs, ("velocity",))  # before the count: a refused step is not a step
        self.iterations += 1
        for (param, grad), slot in zip(pairs, slots):
            kernels.sgd_update(param, grad, slot["velocity"], self.learning_rate, self.momentum, self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), Algorithm 1 of the paper. At step t, for each parameter w with gradient g::

        m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
        m̂ = m / (1 − β₁ᵗ)              v̂ = v / (1 − β₂ᵗ)
        w ← w − α · m̂ / (sqrt(v̂) + ε)

    Epsilon convention: ε is added to ``sqrt(v̂)``, as in the paper and in PyTorch (default there 1e-8). Keras adds
    its ε to ``sqrt(v)`` instead (the paper's "ε-hat" form), which equals this rule with ``ε / sqrt(1 − β₂ᵗ)`` in
    place of ε (divide its numerator and denominator by ``sqrt(1 − β₂ᵗ)``); the default value here is Keras' 1e-7.
    Keras' ε in this rule's terms is therefore largest at the start (31.6 ε at t = 1 with β₂ = 0.999, 10 ε at
    t = 10, 3.2 ε at t = 100) and tends to ε as t grows; the two steps differ only where ``sqrt(v̂)`` is not far
    above that, for gradients of about 1e-5 and less.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **keras_arguments):
        refuse_keras_arguments("Adam", keras_arguments, Adam.__init__)
        super().__init__(learning_rate)
        for name, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not finite_number(value) or not 0 <= value < 1:
                raise ValueError(f"Adam: {name} must be a number in [0, 1), got {value!r}")
        if not finite_number(epsilon) or epsilon <= 0:
            raise ValueError(f"Adam: epsilon must be a positive number, got {epsilon!r}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def step(self, pairs, names=None):
        pairs = self._checked_pairs(pairs, names)
        slots = self._slots_for(pairs, ("m", "v"))
        self.iterations += 1
        t = self.iterations
        correction_1 = 1 - self.beta_1 ** t
        correction_2 = 1 - self.beta_2 ** t
        for (param, grad), slot in zip(pairs, slots):
            backend.kernels().adam_update(param, grad, slot["m"], slot["v"], self.learning_rate, self.beta_1,
                                          self.beta_2, self.epsilon, correction_1, correction_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def _checked_optimizer_of_yours(optimizer):
    """An optimizer of your own, refused at compile, by name, where it would fail at the first step in Python's
    words: an ``__init__`` that does not call ``super().__init__(learning_rate)`` (no step count, no state), or a
    ``step`` that does not take ``(pairs, names)`` as ``Sequential`` calls it."""
    kind = type(optimizer).__name__
    if not all(hasattr(optimizer, attribute) for attribute in ("_slots", "iterations", "_learning_rate")):
        raise TypeError(f"optimizer: {kind}.__init__ does not call super().__init__(learning_rate), which sets the "
                        "step size, the step count and the state an optimizer keeps")
    try:
        inspect.signature(optimizer.step).bind([], [])
    except TypeError:
        raise TypeError(f"optimizer: {kind}.step{inspect.signature(optimizer.step)} cannot be called as "
                        "step(pairs, names), as Sequential calls it: pairs is a list of (param, grad), names one "
                        "string per pair for errors (def step(self, pairs, names=None))") from None
    return optimizer


def get_optimizer(optimizer):
    """An optimizer from a Keras name (``"adam"``, default settings), a class (``SGD``, default settings) or an
    instance."""
    if isinstance(optimizer, Optimizer):
        return _checked_optimizer_of_yours(optimizer)
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        return _checked_optimizer_of_yours(optimizer())
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"optimizer: unknown optimizer {optimizer!r}; choose one of {sorted(OPTIMIZERS)} or pass an "
                     "Optimizer (such as SGD(learning_rate=0.1))")
