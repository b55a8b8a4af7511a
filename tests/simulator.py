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

import numpy as np

#: the thread switch interval for simulator tests, seconds (Python's default: 0.005)
SWITCH_INTERVAL = 1e-5

_lock = threading.Lock()


def thread_safe_shared_arrays():
    """Replace the simulator's ``cuda.shared.array`` with one that finds-or-creates each array under a lock.

    Returns False (and changes nothing) where the simulator no longer has the method this replaces.
    """
    from numba.cuda.simulator import kernelapi
    from numba.cuda import types
    from numba.cuda.np import numpy_support

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
        if isinstance(dtype, types.Type):
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
