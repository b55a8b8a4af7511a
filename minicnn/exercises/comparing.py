"""Comparing what a solution returned with the expected outputs, and saying where they differ.

Tolerances suit student code in float64: a correct solution written with loops (summing in another order than the
reference) passes by a wide margin, while any real mistake is far outside them.
"""

import itertools
from dataclasses import dataclass

import numpy as np

#: relative and absolute tolerance, as in ``numpy.isclose``: ``|yours − expected| <= ATOL + RTOL·|expected|``
RTOL = 1e-6
ATOL = 1e-8


@dataclass
class OutputCheck:
    """One output compared with its expected value.

    ``got`` is the student's value as a float64 array (None when it could not be read as one); ``problem`` says what
    is wrong, for the student, and is None when the output agrees; ``worst_index`` is where the values differ most;
    ``right_values_in`` is set where the values are right but their form is not: "a dtype that loses them" or
    "another shape" (no classic mistake explains those).
    """

    name: str
    expected: np.ndarray
    got: np.ndarray = None
    problem: str = None
    worst_index: tuple = None
    right_values_in: str = None

    @property
    def agrees(self):
        return self.problem is None


def close(a, b):
    """True when ``a`` and ``b`` have the same shape and agree within the tolerances (NaN matches NaN)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def split_outputs(value, outputs, expected=None):
    """The returned ``value`` as a list with one item per output name, or ``(None, problem)`` when it is not so.

    For one output, a list is read as an array (NumPy reads it so), and so is a tuple that NumPy reads as an array of
    the expected shape (``tuple(g)``, a tuple of rows: ``expected`` holds the expected outputs by name), so that the
    two containers are treated alike. Any other tuple means several values, or a trailing comma (``return g,``)."""
    if len(outputs) == 1:
        if isinstance(value, tuple) and not (expected is not None and _has_the_shape_of(value, expected[outputs[0]])):
            return None, _tuple_for_one_output(value, outputs[0])
        return [value], None
    if not isinstance(value, (tuple, list)) or len(value) != len(outputs):
        what = (f"a {type(value).__name__} of {len(value)} values" if isinstance(value, (tuple, list))
                else "None (did you forget the return statement?)" if value is None
                else f"one {type(value).__name__}")
        return None, (f"your function should return {len(outputs)} values, the tuple ({', '.join(outputs)}); "
                      f"it returned {what}.")
    return list(value), None


def _has_the_shape_of(value, expected):
    """True where NumPy reads ``value`` as an array of ``expected``'s shape."""
    try:
        return np.shape(value) == np.shape(expected)
    except Exception:  # a ragged tuple, something NumPy cannot read
        return False


def _tuple_for_one_output(value, name):
    """What to say about a tuple returned where one array ``name`` is expected."""
    if len(value) == 1:
        return f"your function returned a tuple of 1 value (the comma in return {name}, makes one): drop the comma."
    return f"your function returned a tuple of {len(value)} values; return only the array {name}."


def compare_output(name, value, expected):
    """Compare the student's ``value`` for output ``name`` with ``expected``."""
    expected = np.asarray(expected, dtype=np.float64)
    check = OutputCheck(name=name, expected=expected)
    if value is None:
        check.problem = (f"{name} is None: did you forget the return statement, or to return {name}? A function "
                         f"that changes an argument in place must still return the result.")
        return check
    try:
        raw = np.asarray(value)
    except Exception as error:  # a torch Tensor that requires grad, an int too large for any dtype, ...
        check.problem = (f"{name} is a {type(value).__name__} that cannot be read as an array of numbers: "
                         f"{type(error).__name__}: {error}")
        return check
    if raw.dtype.kind == "c":
        check.problem = (f"{name} holds complex numbers (dtype {raw.dtype}); expected real ones. A square root or a "
                         f"fractional power of a negative number makes them.")
        return check
    try:
        check.got = raw.astype(np.float64)
    except (TypeError, ValueError):
        check.problem = f"{name} is a {type(value).__name__}, not an array of numbers."
        return check
    if check.got.shape != expected.shape:
        check.problem = f"{name} has shape {check.got.shape}; expected shape {expected.shape}."
        _say_where_the_values_are_right(check)
        return check
    if raw.dtype.kind in "iub" or raw.dtype == np.float16:
        # whole-number inputs would let these pass, though 0.4 becomes 0 (or 0.39990234 in float16)
        # float16 numbers are floats too: for them the advice names float64
        kind, loss, make = {"b": ("booleans", "fractions are cut off", "floats"),
                            "f": ("float16 numbers", "only about 3 significant digits are kept", "float64")}.get(
            raw.dtype.kind, ("integers", "fractions are cut off", "floats"))
        check.right_values_in = "a dtype that loses them" if close(check.got, expected) else None
        right = (": its values are right on this case, whose numbers are whole, but on others"
                 if check.right_values_in else ", so")
        not_float16 = ", not float16," if raw.dtype == np.float16 else ","
        check.problem = (f"{name} holds {kind} (dtype {raw.dtype}){right} {loss}: create it as {make}, e.g. "
                         f"np.zeros(shape){not_float16} and compute in float64, the dtype of the inputs.")
        return check
    excess = np.abs(check.got - expected) - (ATOL + RTOL * np.abs(expected))
    excess = np.where(np.isnan(excess), np.inf, excess)
    if check.got.size == 0 or not np.any(excess > 0):
        return check
    check.worst_index = tuple(int(i) for i in np.unravel_index(np.argmax(excess), excess.shape))
    wrong = int(np.count_nonzero(excess > 0))
    where = f"{name}[{', '.join(map(str, check.worst_index))}]" if check.got.ndim else name
    check.problem = (f"{name}: {wrong} of {check.got.size} values differ. The worst is {where}: "
                     f"expected {number(expected[check.worst_index])}, yours {number(check.got[check.worst_index])}.")
    largest = _largest_relative_difference(check.got, expected)
    with np.errstate(invalid="ignore"):  # NaN where the output holds NaN, or infinity beside infinity
        largest_size = float(np.max(np.abs(check.got - expected)))
    if raw.dtype == np.float32:
        check.problem += f" Your {name} is {raw.dtype}; compute in float64, the dtype of the inputs."
    elif largest < 1e-4:
        check.problem += (f" The differences are tiny (at most {largest:.1g} of the value): rounding, as from "
                          f"computing in float32 somewhere; compute in float64.")
    elif largest_size < 1e-5:
        check.problem += (f" The differences are tiny in size (at most {largest_size:.1g}) "
                          f"though not beside the values near 0: a small number added or a clip somewhere, such as "
                          f"np.clip(p, 1e-7, 1 - 1e-7) or log(p + 1e-7)? The formula has neither.")
    return check


def _say_where_the_values_are_right(check):
    """Add to ``check.problem`` that the values are right where ``check.got`` holds the expected values with its axes
    in another order (a channels-first image), or with extra or missing axes of size 1 (from keepdims=True); where the
    sizes differ otherwise, values that reshape right say nothing (NCHW values reshaped to NHWC are not right)."""
    got, expected = check.got, check.expected
    order = axes_order(got, expected)
    if order is not None:
        check.right_values_in = "another shape"
        check.problem += (f" Its values are right, but its axes are in another order: yours is the expected "
                          f"{check.name} transposed by {order}")
        if order == CHANNELS_FIRST and "kernel" not in check.name:  # a 4-D output other than a kernel is an image
            check.problem += (", channels first (N, C, H, W), as in PyTorch? minicnn's images are NHWC: (N, H, W, C), "
                              "channels last.")
        else:
            check.problem += "."
    elif got.size == expected.size > 0 and _without_ones(got.shape) == _without_ones(expected.shape) \
            and close(got.reshape(expected.shape), expected):
        check.right_values_in = "another shape"
        check.problem += (f" Its values are right: return them in shape {expected.shape} (an extra or missing "
                          f"axis, as from keepdims=True or [None, :]?).")


#: the order of axes of an NHWC image written channels first: (N, C, H, W)
CHANNELS_FIRST = (0, 3, 1, 2)


def axes_order(got, expected):
    """The order of axes ``order`` for which ``got`` is ``expected.transpose(order)`` (None where there is none, or
    where the shapes are the same); an image's channels first is tried first."""
    if got.ndim != expected.ndim or got.shape == expected.shape or sorted(got.shape) != sorted(expected.shape):
        return None
    orders = itertools.permutations(range(expected.ndim))
    if expected.ndim == 4:
        orders = itertools.chain([CHANNELS_FIRST], orders)
    return next((order for order in orders if expected.transpose(order).shape == got.shape
                 and close(got, expected.transpose(order))), None)


def _without_ones(shape):
    return tuple(size for size in shape if size != 1)


def _largest_relative_difference(got, expected):
    with np.errstate(all="ignore"):
        relative = np.abs(got - expected) / np.maximum(np.abs(expected), ATOL)
    return float(np.nanmax(relative)) if np.all(np.isfinite(got)) else np.inf


def number(value):
    """A float written compactly: 7 for 7.0, 0.3333333333 for 1/3, nan, inf."""
    return f"{float(value):.10g}"
