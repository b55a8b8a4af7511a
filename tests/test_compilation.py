"""The Numba kernels keep working when no cache folder can be written (e.g. a read-only install)."""

import os
import subprocess
import sys
import textwrap

import numba
import pytest

from minicnn.kernels.blas_threads import scipy_openblas

#: the tests that take every cache folder away do it through NUMBA_CACHE_LOCATOR_CLASSES, which numba 0.59 (the
#: declared floor) does not read; minicnn's own code runs there all the same
NEEDS_LOCATOR_VARIABLE = pytest.mark.skipif(tuple(int(part) for part in numba.__version__.split(".")[:2]) < (0, 60),
                                            reason="NUMBA_CACHE_LOCATOR_CLASSES came with numba 0.60")

SCRIPT = textwrap.dedent("""
    import warnings
    import numpy as np
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from minicnn.kernels import cpu, numpy_kernels
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3))
    k = np.random.default_rng(1).standard_normal((3, 3, 3, 4))
    same = np.allclose(cpu.conv2d_forward(x, k, None, (1, 1), "same"),
                       numpy_kernels.conv2d_forward(x, k, None, (1, 1), "same"))
    told = [str(w.message) for w in caught if "cannot cache" in str(w.message)]
    print(same, len(told), all("set NUMBA_CACHE_DIR to a folder you can write" in text for text in told))
""")

LOCATOR = textwrap.dedent("""
    class NowhereToCache:
        '''A Numba cache locator that finds no writable place, like a read-only install with no home folder.'''
        @classmethod
        def from_function(cls, py_func, source_path):
            return None
""")


@NEEDS_LOCATOR_VARIABLE
def test_kernels_work_without_any_writable_cache(tmp_path):
    (tmp_path / "nowhere.py").write_text(LOCATOR)
    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "nowhere.NowhereToCache",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    same, warnings_count, with_the_way_out = result.stdout.split()
    assert same == "True"
    # the user is told once (it was 14 warnings, one a kernel, each in two lines), with the way out
    assert warnings_count == "1" and with_the_way_out == "True"


THREADS_SCRIPT = textwrap.dedent("""
    import os
    import numpy as np
    from threadpoolctl import threadpool_info
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    from minicnn.kernels import cpu
    cpu.dense_forward(np.ones((4, 40), np.float32), np.ones((40, 3), np.float32), None)
    after = os.environ.get("OPENBLAS_NUM_THREADS")
    libraries = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"}
    print(before == after, libraries)
""")


def test_numbas_blas_is_single_threaded_and_the_environment_untouched():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    result = subprocess.run([sys.executable, "-c", THREADS_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    unchanged, libraries = result.stdout.split(" ", 1)
    assert unchanged == "True"
    libraries = eval(libraries)  # a dict printed by the script above
    scipy_blas = [libraries[path] for path in scipy_openblas(libraries)]
    assert scipy_blas == [1], libraries  # the BLAS behind Numba's np.dot


THROUGH_FIT = textwrap.dedent("""
    import warnings
    import numpy as np
    import minicnn as mc
    model = mc.Sequential([mc.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), epochs=1, verbose=0)
    print([(w.filename, w.lineno) for w in caught if "cannot cache" in str(w.message)])
""")


@NEEDS_LOCATOR_VARIABLE
def test_the_cache_warning_names_the_users_line_when_fit_loads_the_kernels(tmp_path):
    """The numba backend's kernels load on first use, through importlib.import_module: the warning named a line of
    importlib (warnings.warn skips importlib._bootstrap's frames, which the count of minicnn's frames included)."""
    (tmp_path / "nowhere.py").write_text(LOCATOR)
    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "nowhere.NowhereToCache",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", THROUGH_FIT], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('<string>', 9)]", result.stdout
