"""Tests that arguments pass before they are used: numbers that are finite, flags that are booleans, seeds that
NumPy takes, gradients of the shape their forward pass gave."""

import difflib
import functools
import inspect
import math
import numbers
import os
import re
import sys

import numpy as np

from minicnn.errors import ShapeError


def finite_number(value):
    """True for a finite real number: an int, a float or a NumPy scalar such as ``np.float32(0.9)``; False for a
    bool, NaN, infinity and anything else (a string, None)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def first_index(mask):
    """The index, as a tuple of ints, of the first True entry of the boolean array ``mask`` (in reading order), for
    an error that says where: ``first_index(~np.isfinite(x))``. ``mask`` must hold a True entry."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def all_finite(array):
    """Whether every value of the float array is finite: its sum is finite (NaN and infinity carry through a sum),
    or, where the sum is not (large finite values can overflow it), every value is. One pass in the usual case."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(array.sum()) or np.isfinite(array).all())


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised as Ctrl-C's KeyboardInterrupt so that its clean-up runs for them too.
    ``exit_status`` is 128 + the signal's number, as a shell reports a process the signal ended (143 for SIGTERM,
    129 for SIGHUP; Ctrl-C's is 130): a batch scheduler or script can tell a kill from a Ctrl-C or an error. Its
    one argument is the signal's number, so that it pickles (a worker process sends its exception back)."""

    def __init__(self, signal_number):
        super().__init__(int(signal_number))

    @property
    def signal_name(self):
        import signal

        return signal.Signals(self.args[0]).name

    @property
    def exit_status(self):
        return 128 + self.args[0]

    def __str__(self):
        return self.signal_name


def interruption_in(error):
    """The KeyboardInterrupt (Ctrl-C, or a ``Terminated``) that ``error`` is or has in its chain of causes, or None
    (Numba raises SystemError for a KeyboardInterrupt that arrives while a compiled kernel runs or loads)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def interruptions_unwrapped(method):
    """``method`` with a KeyboardInterrupt that Numba wrapped in SystemError ("CPUDispatcher(...) returned a result
    with an exception set": Ctrl-C while a compiled kernel ran) raised as itself, so that ``except
    KeyboardInterrupt:`` catches it (it missed 8 of 18 Ctrl-C during a student's ``fit``: found in review)."""
    @functools.wraps(method)
    def unwrapped(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except SystemError as error:
            interruption = interruption_in(error)
            if interruption is None:
                raise
            raise interruption from None

    return unwrapped


def of_minicnn(thing):
    """Whether ``thing`` is an object of a class of minicnn's (not of a class of yours, nor a subclass of yours)."""
    return type(thing).__module__.split(".")[0] == "minicnn"


def missing_attribute(instance, name, keras_names):
    """What a class's ``__getattr__`` does for ``name``, an attribute ``instance`` lacks: a Keras name (a key of
    ``keras_names``) says what to use instead. Python also comes to ``__getattr__`` when a descriptor of the class (a
    property of a layer of yours, a ``cached_property``) raised AttributeError: it runs again, to raise the error
    that names what is really missing."""
    descriptor = inspect.getattr_static(type(instance), name, None)
    if hasattr(descriptor, "__get__"):
        return descriptor.__get__(instance, type(instance))
    kind = type(instance).__name__
    if name in keras_names:
        raise AttributeError(f"{kind!r} object has no attribute {name!r} (a Keras one): {keras_names[name]}")
    raise AttributeError(f"{kind!r} object has no attribute {name!r}")


def _raise_terminated(signal_number, frame):
    raise Terminated(signal_number)


def stop_on_termination():
    """Make SIGTERM and SIGHUP (``kill``, a batch scheduler's time limit, a closed terminal) stop this process as
    Ctrl-C does, raising KeyboardInterrupt (``Terminated``), so that what cleans up after Ctrl-C (half-written
    folders removed, "interrupted" said) runs for them too; they ended it at once, leaving hidden .partial folders
    behind."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _raise_terminated)


class interruptions_deferred:
    """``with interruptions_deferred():`` holds Ctrl-C (and SIGTERM, SIGHUP) back until the block ends, then raises
    it as it would have been raised: for steps that must finish together or not at all (an update of the weights,
    the optimizer's moments and the step counter that a checkpoint saves as one). A second one stops the block at
    once. Signal handlers live on the main thread: elsewhere, and for a signal this process ignores or leaves to the
    system, it changes nothing."""

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __enter__(self):
        import signal
        import threading

        self.received, self.previous = None, {}
        if threading.current_thread() is not threading.main_thread():
            return self
        for name in self.NAMES:
            number = getattr(signal, name, None)
            handler = None if number is None else signal.getsignal(number)
            if callable(handler):  # Python's own (Ctrl-C's KeyboardInterrupt, stop_on_termination's), not SIG_IGN
                self.previous[number] = handler
                signal.signal(number, self._hold)
        return self

    def _hold(self, number, frame):
        if self.received is not None:  # the second: at once, as the handler before would have
            self.previous[number](number, frame)
        self.received = (number, frame)

    def __exit__(self, kind, error, traceback):
        import signal

        for number, handler in self.previous.items():
            signal.signal(number, handler)
        if self.received is not None and kind is None:
            number, frame = self.received
            self.previous[number](number, frame)
        return False


def known_name(text, names):
    """The one of ``names`` (lower-case, words joined by ``_``) that ``text`` spells: in any case, and as a class name
    too (``"BinaryCrossentropy"`` is ``binary_crossentropy``, as Keras reads it); None for none of them."""
    if not isinstance(text, str):
        return None
    for candidate in (text.lower(), re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).lower()):
        if candidate in names:
            return candidate
    return None


def did_you_mean(text, names):
    """``" (did you mean 'binary_crossentropy'?)"`` for the name of ``names`` closest to ``text``; "" for none."""
    if not isinstance(text, str):
        return ""
    close = difflib.get_close_matches(text.lower(), list(names), n=1, cutoff=0.8)  # relux → relu, not gelu → relu
    return f" (did you mean {close[0]!r}?)" if close else ""


def first_not_finite(array):
    """Where the array holds NaN or infinity, in words for an error: ``"first at index (0, 3), value nan"``."""
    index = first_index(~np.isfinite(array))
    return f"first at index {index}, value {array[index]}"


def flag(value, argument, where):
    """``value`` as a bool, refusing anything else: ``bool("no")`` would silently be True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {argument} must be True or False, got {value!r}")
    return bool(value)


def check_gradient(where, grad, expected):
    """The upstream gradient of a backward kernel must have the shape of the forward pass's output, with the same
    words on every backend: NumPy would otherwise broadcast it or fail with a bare error, the numba kernels'
    parallel loops, which index by it without bounds checks, read past ``argmax`` or lost the error, and the cuda
    kernels blamed the array the forward pass kept."""
    if tuple(grad.shape) != tuple(expected):
        raise ShapeError(f"{where}: expected the gradient of shape {tuple(expected)} (the forward pass's output), "
                         f"got {tuple(grad.shape)}")


def real_array(value, argument, where, note=""):
    """``value`` as a NumPy array of real numbers (floats, ints or bools; a list is fine), refusing anything else by
    name: strings, complex numbers, objects and ragged lists, which NumPy would reject in its own words, silently
    cut to their real part, or carry into the arithmetic. ``note`` follows the argument's name in the error, e.g.
    ``" (the model's output)"``."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # a ragged list
        raise TypeError(f"{where}: expected {argument} of real numbers{note}, got a {type(value).__name__} that "
                        f"NumPy cannot read as one array ({error}){_ragged_advice(value)}") from None
    if array.dtype.kind not in "fiub":
        labels = argument in ("y", "y_true", "y_val", "labels")  # (file names as x are not class names)
        texts = array.dtype.kind in "US" or (array.dtype.kind == "O" and array.size and isinstance(
            array.flat[0], str))  # pandas' column of names is an object array
        names = ("; class names? classes, numbers = np.unique(labels, return_inverse=True) numbers them (classes[i] "
                 "names class i back)" if labels and texts else "")
        raise TypeError(f"{where}: expected {argument} of real numbers{note}, got {what_was_given(value, array)}"
                        f"{names}")
    return array


def _ragged_advice(value):
    """Where the items of a list NumPy cannot stack have different shapes (a student's own photos), what to do."""
    try:
        shapes = list(dict.fromkeys(np.shape(item) for item in value))
    except (TypeError, ValueError):
        return ""
    if len(shapes) < 2 or not all(len(shape) >= 2 for shape in shapes):
        return ""
    return (f"; its items have {len(shapes)} different shapes, such as {shapes[0]} and {shapes[1]}: images of "
            f"different sizes or channel counts? give them one size (skimage.transform.resize) and one channel count "
            f"(skimage.color.rgb2gray, or image[..., :3] to drop an alpha channel) first")


def what_was_given(value, array):
    """How an error names ``value``, which became ``array``: by its dtype if it was an array, else as written."""
    return f"dtype {array.dtype}" if isinstance(value, np.ndarray) else short_repr(value)


def short_repr(value, limit=60):
    """``repr(value)``, cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def number_in(value, argument, where, allowed, expected):
    """Refuse ``value`` unless it is a finite real number for which ``allowed(value)`` holds, naming ``argument``
    and ``where`` and saying it must be a number ``expected`` (e.g. "in [0, 1]")."""
    if not finite_number(value) or not allowed(value):
        raise ValueError(f"{where}: {argument} must be a number {expected}, got {value!r}")


def whole_number(value, argument, where, minimum=1):
    """Refuse ``value`` unless it is an int (a NumPy one too, not a bool) of at least ``minimum``, naming
    ``argument`` and ``where``."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int ≥ {minimum}"
        raise ValueError(f"{where}: {argument} must be {kind}, got {value!r}")


def seed(value, argument, where):
    """``value`` as a seed for ``numpy.random.default_rng``: None (fresh randomness each run), a whole number ≥ 0, or
    a ``numpy.random.Generator`` (used as it is). Anything else is refused here, by name, instead of in NumPy's words
    at the first random draw."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    expected = "a whole number ≥ 0, a numpy.random.Generator or None"
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{where}: {argument} must be {expected}, got {value!r}")
    if value < 0:
        raise ValueError(f"{where}: {argument} must be {expected}, got {value!r}")
    return int(value)


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


_IMPORT_MODULE = os.path.join("importlib", "__init__.py")


def _bootstrap(frame):
    """A frame of ``importlib._bootstrap``, which ``warnings.warn`` skips without counting it."""
    return "importlib" in frame.f_code.co_filename and "_bootstrap" in frame.f_code.co_filename


def _not_yours(frame):
    """A frame of minicnn, or of ``importlib.import_module`` (a module a backend loads on first use)."""
    filename = frame.f_code.co_filename
    return filename.startswith(_PACKAGE) or filename.endswith(_IMPORT_MODULE) or _bootstrap(frame)


def stacklevel_outside_minicnn():
    """The ``stacklevel`` at which ``warnings.warn``, called by the caller of this function, names the first line
    outside minicnn (the user's ``fit``, whichever of minicnn's functions and imports lie between), counting the
    frames as ``warnings.warn`` does."""
    frame, level = sys._getframe(1), 1
    while frame is not None and _not_yours(frame):
        frame = frame.f_back
        while frame is not None and _bootstrap(frame):
            frame = frame.f_back
        level += 1
    return level

