"""The one tolerance table of the suite, and the comparison that explains itself when it fails."""

import numpy as np

#: relative tolerances, by what is compared with what
TOLERANCES = {
    # hand-written backward vs central differences, both in float64 (gradcheck's relative error)
    "gradcheck": 1e-6,
    # a fast path vs the readable reference (equations.py), or one backend vs another, in float64
    "float64": 1e-9,
    # the same in float32 (sums of up to a few thousand products)
    "float32": 2e-4,
    # minicnn vs PyTorch on the same float64 weights
    "pytorch": 1e-9,
}


def assert_close(actual, expected, kind, what=""):
    """Assert ``|actual − expected| <= tol·max(1, |expected|_max)`` elementwise, for the tolerance ``kind``.

    On failure the message gives the tolerance, the worst index and both values there.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != expected {expected.shape}"
    tolerance = TOLERANCES[kind]
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    error = np.abs(actual - expected) / scale
    if error.size and not np.all(error <= tolerance):
        worst = np.unravel_index(np.argmax(error), error.shape)
        raise AssertionError(f"{what}: relative error {error[worst]:.3e} > {tolerance:g} ({kind}) at index "
                             f"{tuple(int(i) for i in worst)}: got {actual[worst]!r}, expected {expected[worst]!r}")


def assert_gradcheck(report, what=""):
    """Assert a ``GradcheckReport`` is within the gradcheck tolerance, with no array left unjudged (every entry
    checked on a kink) and no problem found (NaN, a gradient of the wrong shape); the failure prints the whole
    report. (A flat report is allowed: a max pool's gradient is 0 at most entries, and zeros checked against zeros
    still tell.)"""
    tolerance = TOLERANCES["gradcheck"]
    assert report.max_error < tolerance, f"{what}: tolerance {tolerance:g}\n{report}"
    assert not report.unjudged and not report.problems, f"{what}: not judged\n{report}"
