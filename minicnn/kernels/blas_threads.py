"""Load the BLAS behind Numba's ``np.dot`` (SciPy's OpenBLAS) single-threaded, before anything else loads it.

Numba's kernels run their matrix products as row blocks of single-threaded BLAS calls, in parallel from Numba's own
threads. If that BLAS had threads of its own, they and Numba's would spin against each other on the same cores
(~8 ms lost per hand-over: a small layer 20–60× slower, a tracker at 5 FPS instead of 60). OpenBLAS reads
``OPENBLAS_NUM_THREADS`` once, when it loads, so this module sets it to 1 *only while* ``scipy.linalg.cython_blas``
loads, then restores the variable: NumPy's own BLAS and the user's environment are left as they were.

``import minicnn`` imports this module first of all, because importing other parts of SciPy (``scipy.interpolate``,
``scipy.ndimage``) loads the same library. If ``scipy.linalg`` was imported before minicnn with several BLAS
threads, set ``OPENBLAS_NUM_THREADS=1`` yourself.
"""

import os

import numpy  # noqa: F401  (NumPy's own BLAS loads first, with the threads the environment gives it)

_previous_threads = os.environ.get("OPENBLAS_NUM_THREADS")
os.environ["OPENBLAS_NUM_THREADS"] = "1"
try:
    import scipy.linalg.cython_blas  # noqa: F401
finally:
    if _previous_threads is None:
        del os.environ["OPENBLAS_NUM_THREADS"]
    else:
        os.environ["OPENBLAS_NUM_THREADS"] = _previous_threads
