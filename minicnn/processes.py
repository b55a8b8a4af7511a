"""How minicnn starts worker processes (``evaluate(jobs=...)``; ``make_suite`` forks them or uses none): forked where
that is safe, else fresh."""

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

    methods = multiprocessing.get_all_start_methods()
    try:
        openmp_started = numba.threading_layer() == "omp"
    except ValueError:  # "Threading layer is not initialized": no parallel kernel has run in this process
        openmp_started = False
    cuda_driver = getattr(sys.modules.get("numba.cuda.cudadrv.driver"), "driver", None)
    cuda_started = getattr(cuda_driver, "pid", None) is not None  # set once cuInit succeeded in this process
    if "fork" in methods and sys.platform != "darwin" and not openmp_started and not cuda_started:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def worker_context():
    """The ``multiprocessing`` context for ``worker_start_method``, for a ``ProcessPoolExecutor``'s ``mp_context``."""
    return multiprocessing.get_context(worker_start_method())
