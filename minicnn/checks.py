"""Tests that constructor arguments pass before they are stored: numbers that are finite, flags that are booleans."""

import math
import numbers

import numpy as np


def finite_number(value):
    """True for a finite real number: an int, a float or a NumPy scalar such as ``np.float32(0.9)``; False for a
    bool, NaN, infinity and anything else (a string, None)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def flag(value, argument, where):
    """``value`` as a bool, refusing anything else: ``bool("no")`` would silently be True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {argument} must be True or False, got {value!r}")
    return bool(value)
