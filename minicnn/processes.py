"""How minicnn starts worker processes: forked where that is safe, else fresh (``evaluate(jobs=...)``); forked or
none at all (``make_suite``, whose workers run no Numba kernel)."""

import multiprocessing
import sys


def worker_start_method():
    """How worker processes start: forked from this one where the platform can ("fork": they see a tracker defined
    in a notebook), unless this process has started Numba's OpenMP threads (a model trained, a tracker run here),
    which a forked process cannot use (GNU OpenMP stops it: "fork() called from a process already using GNU
    OpenMP", and Python 3.12 warns that forking a process with threads may deadlock), or the CUDA driver
    (numba-cuda refuses a fork after it: "CUDA initialized before forking"); then, and where there is no fork, from
    a fresh process ("forkserver", else "spawn"). Never forked on macOS, whose system libraries (NumPy's BLAS there,
    Accelerate) may run threads a forked process cannot use: Python starts processes afresh there by default."""
    import numba

    try:
        openmp_started = numba.threading_layer() == "omp"
    except ValueError:  # "Threading layer is not initialized": no parallel kernel has run in this process
        openmp_started = False
    cuda_driver = getattr(sys.modules.get("numba.cuda.cudadrv.driver"), "driver", None)
    cuda_started = getattr(cuda_driver, "pid", None) is not None  # set once cuInit succeeded in this process
    if can_fork() and not openmp_started and not cuda_started:
        return "fork"
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def can_fork():
    """Whether this platform forks worker processes that run no Numba kernel and no CUDA (``make_suite``'s): where
    there is fork, except on macOS (see ``worker_start_method``)."""
    return "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"


def worker_context():
    """The ``multiprocessing`` context for ``worker_start_method``, for a ``ProcessPoolExecutor``'s ``mp_context``."""
    return multiprocessing.get_context(worker_start_method())
