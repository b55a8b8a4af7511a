"""How long Numba's OpenMP threads spin before they sleep, when the user has not said: 1,000 spins.

Between two parallel kernels GNU OpenMP keeps its worker threads spinning, by default for 300,000 spins, so that the
next kernel starts at once. That pays on an idle machine and costs dearly on a busy one: a spinning thread holds a
core that another process (a second notebook, a classmate's kernel on the same JupyterHub) needs, and a kernel
then waits for threads that are not running. libgomp itself drops to 1,000 spins when it sees more threads than
cores, but it cannot see other processes. Measured on 2 cores (``python benchmarks/contention.py``): README's tour,
10 epochs, took 4.2 s in each of two processes at once with libgomp's default against 1.3 s with 1,000 spins, 12.7
against 2.1 s in each of three, and 1.1 s alone with either.

libgomp reads ``GOMP_SPINCOUNT`` once, when it is loaded: by Numba at the first parallel kernel, so this module sets
it when ``import minicnn`` runs, unless ``GOMP_SPINCOUNT`` or ``OMP_WAIT_POLICY`` is set already (then yours holds).
It stays in the environment, so processes started from this one wait the same way. A libgomp loaded before minicnn
(``import torch`` first: PyTorch brings its own, which Numba then uses) has read the default already; this module
then warns: import minicnn first, or set ``GOMP_SPINCOUNT=1000`` in the environment.
"""

import os
import warnings

from minicnn.kernels.blas_threads import loaded_libraries

SPINS = "1000"

if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = SPINS
    already = loaded_libraries("libgomp.so")  # the shared one Numba uses (a wheel's renamed private copy is not)
    if already:
        warnings.warn(f"minicnn: GNU OpenMP ({already[0]}) was loaded before minicnn (import torch, or a package that "
                      f"uses it, came first), with its threads spinning 300,000 times between kernels: on a busy "
                      f"machine minicnn's kernels can be many times slower. Import minicnn first, or set "
                      f"GOMP_SPINCOUNT={SPINS} in the environment", RuntimeWarning,
                      stacklevel=3)  # the line that imports minicnn
