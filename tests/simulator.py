"""Making numba's CUDA simulator fast enough for the test suite, without its one race.

The simulator runs every GPU thread of a block as a Python thread, and a manager thread that busy-waits for all of
them to reach ``syncthreads()``. At Python's default thread switch interval (5 ms) every hand-over of the GIL
between a worker and that spinning manager waits out the interval, so a barrier of 4 threads costs ~20 ms and a
small convolution ~20 s. At 10 µs the same runs ~8–10× faster, but then about one launch in 25 gave wrong
numbers: ``FakeCUDAShared.array`` (numba-cuda 0.30) looks a shared array up and creates it in two steps, so two
threads of a block that start together can each create their own "shared" array and never see each other's
writes. ``thread_safe_shared_arrays`` makes that step atomic (measured: 0 wrong results in 100 repeats of the
shrunk-tile convolution at 10 µs, against 1 in 25 without it); ``fast_thread_switching`` then lowers the interval
for a block of tests.
"""

import contextlib
import sys
import threading
from importlib import metadata

import numpy as np
import pytest

#: the thread switch interval for simulator tests, seconds (Python's default: 0.005)
SWITCH_INTERVAL = 1e-5

_lock = threading.Lock()


def skip_without_numba_cuda():
    """Skip the calling test module (or test) where numba-cuda is not installed: the cuda backend needs it, and
    numba before 0.60 has a ``numba.cuda`` of its own that imports but that the backend refuses. The dev extra
    installs numba-cuda."""
    try:
        metadata.version("numba-cuda")
    except metadata.PackageNotFoundError:
        pytest.skip('numba-cuda is not installed (pip install -e ".[dev]" installs it)', allow_module_level=True)


def thread_safe_shared_arrays():
    """Replace the simulator's ``cuda.shared.array`` with one that finds-or-creates each array under a lock.

    Returns False (and changes nothing) where the simulator no longer has the method this replaces.
    """
    from numba.cuda.simulator import kernelapi
    from numba.cuda import types
    from numba.cuda.np import numpy_support

    numba_type = getattr(types, "Type", None)
    if numba_type is None:  # numba-cuda before its own type system (0.20): numba's
        from numba.core.types import Type as numba_type

    shared = getattr(kernelapi, "FakeCUDAShared", None)
    try:
        probe = shared(0)
        known = all(hasattr(probe, name) for name in ("array", "_allocations", "_dynshared", "_dynshared_size"))
    except Exception:  # another numba-cuda: leave its simulator alone (and the tests at the default interval)
        known = False
    if not known:
        return False
    if getattr(shared.array, "thread_safe", False):
        return True

    def array(self, shape, dtype, alignment=None):
        """As numba-cuda's version: one array per kernel source line and block, whichever thread asks first."""
        if alignment is not None:
            raise RuntimeError("Array alignment is not supported in cudasim")
        if isinstance(dtype, numba_type):
            dtype = numpy_support.as_dtype(dtype)
        if shape == 0:  # dynamic shared memory: one buffer for the whole block
            count = self._dynshared_size // dtype.itemsize
            return np.frombuffer(self._dynshared.data, dtype=dtype, count=count)
        caller = sys._getframe(1)
        where = (caller.f_code.co_filename, caller.f_lineno)
        with _lock:
            found = self._allocations.get(where)
            if found is None:
                found = self._allocations[where] = np.empty(shape, dtype)
        return found

    array.thread_safe = True
    shared.array = array
    return True


@contextlib.contextmanager
def fast_thread_switching():
    """Run a block under the simulator with the short switch interval (only once shared arrays are thread-safe),
    then restore the previous interval."""
    previous = sys.getswitchinterval()
    if thread_safe_shared_arrays():
        sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


#: what a real GPU array (numba-cuda 0.30's DeviceNDArray) has: its public methods and properties, and the
#: attributes its constructor sets (listed, since the simulator replaces the module that defines the class)
_DEVICE_ARRAY_ATTRIBUTES = frozenset({
    "T", "as_cuda_arg", "bind", "copy_to_device", "copy_to_host", "device_ctypes_pointer", "flags", "get_ipc_handle",
    "getitem", "is_c_contiguous", "is_f_contiguous", "nbytes", "ravel", "reshape", "setitem", "split", "squeeze",
    "transpose", "view", "ndim", "shape", "strides", "dtype", "size", "stream", "gpu_data", "alloc_size"})
_OPERATORS = ("__add__", "__sub__", "__mul__", "__floordiv__", "__truediv__", "__mod__", "__pow__", "__lt__", "__le__",
              "__gt__", "__ge__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__neg__", "__abs__")


@contextlib.contextmanager
def device_arrays_as_on_a_gpu():
    """Make the simulator's device arrays refuse what a real GPU array refuses, for a block of tests.

    ``FakeCUDAArray`` wraps a NumPy array and hands it anything it lacks: ``grad * 0.1``, ``grad.max()``,
    ``grad.astype(...)`` and ``copy.deepcopy(grad)`` all work under the simulator, and all fail on a GPU, whose
    arrays (numba-cuda's ``DeviceNDArray``) have no arithmetic, none of NumPy's methods and no way to be deep-copied
    (they convert to NumPy through ``__array__``, a copy to the host). Code that works on the simulator alone
    would fail only on a GPU; here it fails on the simulator too."""
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

    wrapped_getattr = FakeCUDAArray.__getattr__

    def __getattr__(self, name):
        if name.startswith("__array") or (not name.startswith("_") and name not in _DEVICE_ARRAY_ATTRIBUTES):
            raise AttributeError(f"a GPU array (numba-cuda's DeviceNDArray) has no attribute {name!r}")
        return wrapped_getattr(self, name)

    def refuse(operation):
        def refused(self, *args, **kwargs):
            raise TypeError(f"a GPU array (numba-cuda's DeviceNDArray) has no {operation}")
        return refused

    patches = {"__getattr__": __getattr__, "__array__": lambda self, dtype=None, copy=None: (
                   self.copy_to_host() if dtype is None else self.copy_to_host().astype(dtype)),
               "__eq__": object.__eq__, "__ne__": object.__ne__, "__hash__": object.__hash__,
               "__deepcopy__": refuse("deep copy (no default __reduce__ due to non-trivial __cinit__)"),
               **{name: refuse(name) for name in _OPERATORS}}
    saved = {name: FakeCUDAArray.__dict__.get(name) for name in patches}
    for name, value in patches.items():
        setattr(FakeCUDAArray, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(FakeCUDAArray, name)
            else:
                setattr(FakeCUDAArray, name, value)
