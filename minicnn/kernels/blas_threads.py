"""Load the BLAS behind Numba's ``np.dot`` (SciPy's OpenBLAS) single-threaded, before anything else loads it.

Numba's kernels run their matrix products as row blocks of single-threaded BLAS calls, in parallel from Numba's own
threads. If that BLAS had threads of its own, they and Numba's would spin against each other on the same cores
(~8 ms lost per hand-over: a small layer 20–60× slower, a tracker at 5 FPS instead of 60). OpenBLAS reads
``OPENBLAS_NUM_THREADS`` once, when it loads, so this module sets it to 1 *only while* ``scipy.linalg.cython_blas``
loads, then restores the variable: NumPy's own BLAS and the user's environment are left as they were.

``import minicnn`` imports this module first of all, because importing other parts of SciPy (``scipy.interpolate``,
``scipy.ndimage``) loads the same library. If that library was loaded before minicnn (``import scipy.ndimage``
first), it keeps its threads, and this module warns: import minicnn first, or set ``OPENBLAS_NUM_THREADS=1``.
"""

import os
import warnings

import numpy  # noqa: F401  (NumPy's own BLAS loads first, with the threads the environment gives it)


def loaded_libraries(fragment):
    """The paths of the shared libraries this process has loaded whose name holds ``fragment`` (Linux: read from
    ``/proc/self/maps``; elsewhere none are known)."""
    try:
        with open("/proc/self/maps") as maps:
            return sorted({line.split()[-1] for line in maps if fragment in line.rsplit("/", 1)[-1]})
    except OSError:
        return []


if os.environ.get("OPENBLAS_NUM_THREADS") != "1" and loaded_libraries("libscipy_openblas-"):
    warnings.warn("minicnn: SciPy's OpenBLAS was loaded before minicnn (import scipy, or a package that uses it, came "
                  "first), with threads of its own that spin against Numba's: small layers can be many times "
                  "slower. Import minicnn first, or set OPENBLAS_NUM_THREADS=1 in the environment", RuntimeWarning,
                  stacklevel=3)  # the line that imports minicnn

_previous_threads = os.environ.get("OPENBLAS_NUM_THREADS")
os.environ["OPENBLAS_NUM_THREADS"] = "1"
try:
    import scipy.linalg.cython_blas  # noqa: F401
finally:
    if _previous_threads is None:
        del os.environ["OPENBLAS_NUM_THREADS"]
    else:
        os.environ["OPENBLAS_NUM_THREADS"] = _previous_threads
