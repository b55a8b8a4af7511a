"""SciPy's OpenBLAS (the BLAS behind Numba's np.dot) must be single-threaded whatever minicnn module is imported
first: its threads spin against Numba's and made the trackers and training several times slower."""

import json
import subprocess
import sys

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

PROBE = """
import json, sys
import minicnn.cli                     # imports SciPy's interpolation (through the sequence generator) early
from minicnn.track import generator   # noqa
from threadpoolctl import threadpool_info
print(json.dumps({info["filepath"]: info["num_threads"] for info in threadpool_info()
                  if info.get("internal_api") == "openblas"}))
"""


def test_scipy_blas_is_single_threaded_after_import_minicnn():
    environment = {"OPENBLAS_NUM_THREADS": "2"}
    import os

    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                            env={**os.environ, **environment})
    threads = json.loads(result.stdout.strip().splitlines()[-1])
    scipy_blas = [count for path, count in threads.items() if "scipy" in path and "64_" not in path
                  and "numpy" not in path]
    assert scipy_blas, threads
    assert scipy_blas == [1] * len(scipy_blas), threads
    # The variable is restored for everything else: NumPy's own BLAS keeps the threads the environment asked for.
    numpy_blas = [count for path, count in threads.items() if "64_" in path or "numpy" in path]
    assert numpy_blas and all(count == 2 for count in numpy_blas), threads


WAITING = """
import os
import minicnn.cli   # the command line's entry point, as `minicnn demo` starts
print(os.environ.get("GOMP_SPINCOUNT"))
"""


@pytest.mark.parametrize("yours, spins", [({}, "1000"), ({"GOMP_SPINCOUNT": "5"}, "5"),
                                          ({"OMP_WAIT_POLICY": "active"}, "None")])
def test_numbas_openmp_threads_spin_briefly_unless_you_say_otherwise(yours, spins):
    """GNU OpenMP's threads spun 300,000 times between kernels: two notebooks training at once on 2 cores took 3 to
    6 times as long as with 1,000 spins (``python benchmarks/contention.py``). Yours, set before, holds."""
    import os

    environment = {key: value for key, value in os.environ.items()
                   if key not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    result = subprocess.run([sys.executable, "-c", WAITING], capture_output=True, text=True, check=True,
                            env={**environment, **yours})
    assert result.stdout.strip().splitlines()[-1] == spins
