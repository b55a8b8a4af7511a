"""SciPy's OpenBLAS (the BLAS behind Numba's np.dot) must be single-threaded whatever minicnn module is imported
first: its threads spin against Numba's and made the trackers and training several times slower."""

import json
import subprocess
import sys

import pytest

from minicnn.kernels.blas_threads import scipy_openblas

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


def test_scipys_blas_loaded_before_minicnn_is_made_single_threaded_all_the_same():
    """``import scipy.ndimage`` before minicnn loaded SciPy's OpenBLAS with 2 threads, and two trainings at once on 2
    cores took 17 s each instead of 0.7 s; the library is told through its own openblas_set_num_threads now."""
    import os

    environment = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    probe = PROBE.replace("import minicnn.cli ", "import scipy.ndimage\nimport minicnn.cli ")
    result = subprocess.run([sys.executable, "-W", "always", "-c", probe], capture_output=True, text=True,
                            check=True, env={**environment, "OMP_NUM_THREADS": "2"})
    threads = json.loads(result.stdout.strip().splitlines()[-1])
    assert [threads[path] for path in scipy_openblas(threads)] == [1], threads
    assert "minicnn:" not in result.stderr


def test_scipys_openblas_is_found_by_the_names_of_old_and_new_scipy_wheels():
    """SciPy 1.10 to 1.13 ship libopenblasp-r0-*.so in scipy.libs (libscipy_openblas- came with 1.14): with the
    declared floor, SciPy 1.10, a SciPy loaded before minicnn kept its threads, without a warning. NumPy's is left."""
    from minicnn.kernels.blas_threads import scipy_openblas

    paths = ["/env/scipy.libs/libopenblasp-r0-23e5df77.3.21.dev.so",
             "/env/numpy.libs/libopenblas64_p-r0-7a851222.3.23.so",
             "/env/scipy_openblas32/lib/libscipy_openblas-6cdc3b4a.so",
             "/env/numpy.libs/libscipy_openblas64_-32a4b2a6.so",
             "/env/other.libs/libopenblasp-r0-0000.so",
             "/env/scipy/.dylibs/libscipy_openblas.dylib",  # macOS: no hash in the name (found in review)
             "/env/numpy/.dylibs/libscipy_openblas64_.dylib",
             "/env/scipy/.dylibs/libopenblas.0.dylib",
             "/env/numpy/.dylibs/libopenblas64_.0.dylib"]
    assert scipy_openblas(paths) == [paths[0], paths[2], paths[5], paths[7]]


def test_a_library_loaded_before_minicnn_that_keeps_spinning_threads_is_warned_of():
    """``import torch`` before minicnn loaded its libgomp before minicnn could set how its threads wait: two
    trainings at once on 2 cores took 13 s each instead of 0.7 s, without a word. Imported after minicnn, or with
    the variable set by you, nothing is said."""
    import importlib.util
    import os
    import re

    first, yours = "torch", "GOMP_SPINCOUNT"
    warned = (r"GNU OpenMP \(.*libgomp.*\) was loaded before minicnn \(import torch, or a package that uses it, came "
              r"first\).* Import minicnn first, or set GOMP_SPINCOUNT=1000 in the environment")
    if importlib.util.find_spec(first) is None:  # not imported here: this process's own libraries stay as they are
        pytest.skip(f"{first} is not installed")
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")}

    def warnings_of(code, extra=None):
        result = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True,
                                check=True, env={**environment, **(extra or {})})
        return result.stderr

    assert re.search(r"<string>:1: RuntimeWarning: minicnn: " + warned, warnings_of(f"import {first}; import minicnn"))
    assert "minicnn:" not in warnings_of(f"import minicnn; import {first}")
    assert "minicnn:" not in warnings_of(f"import {first}; import minicnn", {yours: "1000"})


def test_scipys_blas_loaded_before_minicnn_is_found_where_the_loaded_libraries_cannot_be_listed():
    """Windows and macOS have no /proc/self/maps: there SciPy imported before minicnn (`from scipy import signal`,
    natural in a convolution course) kept its OpenBLAS threads, and our trackers ran 4 to 7 times slower, without a
    word (portability audit, /proc hidden). SciPy's own folders are searched for its OpenBLAS there."""
    import os

    environment = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    probe = PROBE.replace("import minicnn.cli ", "import scipy.ndimage\nimport builtins\nreal_open = builtins.open\n"
                          "def no_proc(file, *args, **kwargs):\n"
                          "    if str(file).startswith('/proc/'):\n"
                          "        raise FileNotFoundError(2, 'No such file or directory', str(file))\n"
                          "    return real_open(file, *args, **kwargs)\n"
                          "builtins.open = no_proc\n"
                          "import minicnn.cli\n"
                          "builtins.open = real_open\n"
                          "import minicnn.cli ")
    result = subprocess.run([sys.executable, "-W", "always", "-c", probe], capture_output=True, text=True,
                            check=True, env={**environment, "OMP_NUM_THREADS": "2"})
    threads = json.loads(result.stdout.strip().splitlines()[-1])
    assert [threads[path] for path in scipy_openblas(threads)] == [1], threads
    assert "minicnn:" not in result.stderr
