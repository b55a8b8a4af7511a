"""Load the BLAS behind Numba's ``np.dot`` (SciPy's OpenBLAS) single-threaded, before anything else loads it.

Numba's kernels run their matrix products as row blocks of single-threaded BLAS calls, in parallel from Numba's own
threads. If that BLAS had threads of its own, they and Numba's would spin against each other on the same cores
(~8 ms lost per hand-over: a small layer 20–60× slower, a tracker at 5 FPS instead of 60). OpenBLAS reads
``OPENBLAS_NUM_THREADS`` once, when it loads, so this module sets it to 1 *only while* ``scipy.linalg.cython_blas``
loads, then restores the variable: NumPy's own BLAS and the user's environment are left as they were.

``import minicnn`` imports this module first of all, because importing other parts of SciPy (``scipy.interpolate``,
``scipy.ndimage``) loads the same library. If that library was loaded before minicnn (``import scipy.ndimage``
first) with several threads, it is made single-threaded through its own ``openblas_set_num_threads`` (two
trainings at once on 2 cores took 17 s each instead of 0.7 s); where that cannot be done, this module warns.
This covers pip's SciPy wheels, which bring their own OpenBLAS; a conda SciPy on MKL is left as it is.
"""

import os
import sys
import warnings

import numpy  # noqa: F401  (NumPy's own BLAS loads first, with the threads the environment gives it)


def loaded_libraries(prefix):
    """The paths of the shared libraries this process has loaded whose file name starts with ``prefix`` (a string,
    or a tuple of them; Linux: read from ``/proc/self/maps``; elsewhere none are known, and
    ``_scipy_openblas_files`` looks in SciPy's folders instead)."""
    try:
        with open("/proc/self/maps") as maps:
            return sorted({line.split()[-1] for line in maps if line.rsplit("/", 1)[-1].startswith(prefix)})
    except OSError:
        return []


def _loaded_libraries_listed():
    """Whether ``loaded_libraries`` can see this process's libraries (Linux's ``/proc/self/maps``)."""
    try:
        with open("/proc/self/maps"):
            return True
    except OSError:
        return False


def scipy_openblas(paths):
    """Those of ``paths`` (shared libraries) that are SciPy's OpenBLAS: ``libscipy_openblas*`` from SciPy 1.14 on
    (``-<hash>.so`` on Linux, ``.dylib`` on macOS), ``libopenblas*`` in SciPy's own folder (``scipy.libs``,
    ``scipy/.dylibs``) for SciPy 1.10 to 1.13 (``libopenblasp-r0-*``) and older Windows wheels. NumPy's own
    (``libscipy_openblas64_*``, ``numpy.libs/libopenblas64_p-*``, ``numpy/.dylibs/...``) is not among them."""
    return [path for path in paths if _is_scipy_openblas(os.path.basename(path), os.path.dirname(path))]


def _is_scipy_openblas(name, folder):
    if name.startswith("libscipy_openblas"):
        return not name.startswith("libscipy_openblas64_")
    in_scipys_folder = os.path.basename(folder) == "scipy.libs" or (
        os.path.basename(folder) == ".dylibs" and os.path.basename(os.path.dirname(folder)) == "scipy")
    return in_scipys_folder and name.startswith("libopenblas")


def _scipy_openblas_files():
    """SciPy's OpenBLAS found among the files of the SciPy installed (``scipy.libs`` beside it on Linux and Windows,
    ``scipy/.dylibs`` on macOS), for systems where the libraries loaded cannot be listed (no ``/proc``)."""
    import importlib.util

    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.origin:
        return []
    package = os.path.dirname(spec.origin)
    folders = [os.path.join(os.path.dirname(package), "scipy.libs"), os.path.join(package, ".dylibs")]
    files = [os.path.join(folder, name) for folder in folders if os.path.isdir(folder) for name in os.listdir(folder)]
    return scipy_openblas(files)


def _single_threaded_if_loaded():
    """Where SciPy's OpenBLAS was loaded before minicnn with several threads, make it single-threaded through its
    own ``openblas_set_num_threads`` (what ``OPENBLAS_NUM_THREADS=1`` at its loading would have done); True where
    it was loaded before with several threads and could not be told."""
    import ctypes

    paths = scipy_openblas(loaded_libraries(("libscipy_openblas", "libopenblas")))
    if not paths and "scipy" in sys.modules and not _loaded_libraries_listed():  # Windows, macOS
        paths = _scipy_openblas_files()
    for path in paths:
        try:
            library = ctypes.CDLL(path)
            get = getattr(library, "scipy_openblas_get_num_threads", None) or library.openblas_get_num_threads
            set_ = getattr(library, "scipy_openblas_set_num_threads", None) or library.openblas_set_num_threads
        except (OSError, AttributeError):
            return True
        if get() > 1:
            set_(1)
            if get() != 1:
                return True
    return False


if _single_threaded_if_loaded():
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
