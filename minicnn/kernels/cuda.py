"""The CUDA backend (``set_backend("cuda")``): numba.cuda kernels with the names and signatures of ``numpy_kernels``
and ``cpu``, plus the losses' kernels (``*_terms``: the host backends compute losses with ``minicnn.losses``).
Inputs may be NumPy arrays or numba device arrays; every result is a device array, so that a training step keeps
its weights, activations and gradients on the GPU (``to_host`` brings one back). float32 and float64 both work:
the dtype follows the input ``x`` (or ``param``).

Without a GPU, ``NUMBA_ENABLE_CUDASIM=1`` (set before numba is imported) runs the same kernels on numba's CUDA
simulator, one Python thread per CUDA thread: correct but thousands of times slower, for tests only
(``warn_if_long_on_simulator`` tells ``fit``, ``evaluate`` and ``predict`` when they would seem to hang).

Compilation: a kernel compiles on its first launch for each dtype and tile shape (about a second each), and is kept
on disk (``cache=True``, as the Numba CPU kernels are), so a second run of a program loads it instead;
``MINICNN_CUDA_CACHE=0`` turns the disk cache off, and where no cache folder is writable the kernels are compiled in
memory.

Configuration
-------------
``TILE`` (16) is the one size that matters: a 2-D block has ``TILE × TILE`` threads (256) and the tiled products
step through their reduction ``TILE`` terms at a time; 1-D kernels use ``TILE²`` threads per block. ``WORK`` (4) is
how many outputs each thread of a product computes along each side, so a block computes a ``(TILE·WORK)²`` = 64×64
tile; along a side of at most 32 (or 16) outputs, 2 (or 1) instead, so that a product with 32 output channels or a
single output does not compute a mostly padded tile (``_work_for``, ``_plan``). ``TARGET_BLOCKS`` (264, two per
H100 SM) decides when a product with few output tiles splits its reduction. Shared arrays must have compile-time
shapes on hardware, so every kernel that uses them is built by ``_product_kernel(variant, tile, rows_work,
cols_work, dtype)`` (cached), with the sizes as closure constants. ``tiling(tile=2, work=2, target_blocks=...)``
changes them for a block of code; the tests shrink them so that small arrays span several blocks and split
reductions.

How each kernel maps threads to work
------------------------------------
**One tiled product for every matrix product** (``_product_kernel``): ``C[m, n] = Σ_k A[m, k] · B[k, n]``, written
into ``out[z, m, n]``. Block ``(bx, by, z)`` of ``TILE × TILE`` threads owns the 64×64 output tile of rows
``bx·64 …`` and columns ``by·64 …``; thread ``(tx, ty)`` owns the 4×4 outputs at rows ``ty·WORK + a`` and columns
``tx·WORK + b`` (a, b < WORK), accumulated in registers (along a thin side, a tile 32 or 16 wide: 2 or 1 outputs
per thread that way). The reduction runs in steps of ``TILE``: the block copies a
``TILE × 64`` slice of A and of B from global memory into **shared memory** (each thread copies WORK elements of
each), waits at a barrier, and every thread reads the 2·WORK values it needs for each of the TILE terms from there.
**Fetching ahead**: a thread reads its elements of the *next* slice from global memory into registers (``fetch``)
right after the barrier, before this step's FMAs, and writes them into the shared tiles at the start of the next
step; a global load takes hundreds of cycles, which then pass while the warp computes instead of stalling it.
Why shared memory: each element of A brought from global memory is then used by 64 output columns and each
element of B by 64 output rows, instead of being read once per output (a 64× cut in global traffic; the registers
give another 4× cut in shared-memory traffic: per reduction term a thread reads its 4 values of A and its 4 of B,
for 16 fused multiply-adds). **Shared-memory layout**: the tiles are stored ``[k, row]``, so a thread's 4 values
of one term are neighbours; the tiles are 16-byte aligned and each line is 68 words (64 + 4 of padding, which
keeps every line 16-byte aligned), so the compiler reads the 4 values with one 128-bit load (``LDS.128``: 2
shared reads per term instead of 8). The padding also spreads the strided writes of the copy over the banks (at
most 2 threads of a warp on one bank). Loads are coalesced: consecutive threads read consecutive addresses of
whichever index is contiguous in memory (``variant``'s "threads along rows" flag; B read plainly or transposed).

A is usually not a matrix in memory but a view computed on the fly ("implicit GEMM", no im2col buffer); the
variant's two device helpers give, for a row, a context computed once per thread (``*_rows``), and for a reduction
index (three mixed-radix digits, advanced by TILE with carries instead of divided every step) the element
(``*_at``), zero where a window reads padding. The convolutions read their A operand as a flat array, at the
row's flat index plus an offset that depends only on the reduction index, so the offset is computed once per step
for all of a thread's rows; with strides (1, 1) the input gradient uses a gather without divisions
(``_unit_stride_gather_at``, whose row context already holds the row's flat index). A range test
``0 <= i < n`` is one unsigned comparison (``_in_range``):

============================  ===============  ==================  ===================  =========================
product                       rows m           columns n           reduction k          A[m, k]
============================  ===============  ==================  ===================  =========================
conv forward  y = x ⋆ W + b   N·H_out·W_out    C_out               kh·kw·C_in           x_pad at window m, tap k
conv ∂L/∂x (a gather)         N·H·W            C_in                kh·kw·C_out          ∂L/∂y at the output that
                                                                                        read pixel m through tap
                                                                                        (k, l), else 0
conv ∂L/∂W and ∂L/∂b          kh·kw·C_in + 1   C_out               N·H_out·W_out        x_pad at tap m of window k;
                                                                                        the last row is all ones
dense forward z = x·W + b     N                out                 in                   x[m, k]
dense ∂L/∂x = ∂L/∂z·Wᵀ        N                in                  out                  ∂L/∂z[m, k], B = Wᵀ
dense ∂L/∂W and ∂L/∂b         in + 1           out                 N                    x[k, m]; last row ones
============================  ===============  ==================  ===================  =========================

so the input gradient of the convolution is a *gather* (each input pixel sums over the outputs that read it, with
the kernel's taps rearranged ``(kh·kw·C_out, C_in)`` by ``_taps_first``), the kernel gradient is a reduction per
kernel element tiled like a GEMM over N·H_out·W_out, and the bias gradient is the extra row of ones in that same
product. No thread ever adds into memory another thread writes: no atomics, and the results are deterministic.
With strides above 1 the gather multiplies the zeros of the positions no output reads (a factor ``sh·sw`` of
wasted work, none for the document's stride-1 network).

**Split reduction.** A thin product with a long reduction (the kernel gradients: 288×64 outputs summed over
65,536 pixels) has too few output tiles to fill the GPU, so its reduction is cut into ``z`` slices, each block
writing ``out[z]``; ``_sum_splits`` (one thread per output) adds the slices in order, and the bias.

**Pooling**: one thread per output element (forward: the window's maximum and its flat index ``k·pw + l``, or the
mean over the real inputs) and one thread per input element (backward: a gather over the windows that contain it,
taking ``∂L/∂y`` where that window's argmax is this input, or ``∂L/∂y / count``). No shared memory: every input is
read by at most ``⌈ph/sh⌉·⌈pw/sw⌉`` windows, neighbours in a warp read neighbouring addresses (channels are
innermost) and the L1/L2 caches serve the overlap; these kernels are bound by memory bandwidth. They are built
per dtype (``_pool_kernels``) so that a window count is divided in the input's precision.

**Elementwise** (ReLU, sigmoid, tanh, their gradients, Adam, SGD, zero fill, the NaN check): one thread per
element in a grid-stride loop, ``TILE²`` threads per block; nothing to share. **Softmax** (forward and backward)
normalises along the last axis: one thread per row, which reads its row two or three times (max, exponentials and
sum, quotients); rows are short (the classes of a classifier), so this is a small kernel next to the products.
**Losses** (``*_terms``): one thread per sample writes its row of ``∂L/∂ŷ`` and its share of the loss; the host
adds the N shares (no reduction across threads on the device, so the sum does not depend on the launch).
**Batch normalisation** needs sums over every row of a channel (the ``m = N·H·W`` values of an ``(m, C)`` view):
``_channel_sum_kernel`` gives block ``(bx, z)`` the ``TILE`` channels from ``bx·TILE`` (one per ``threadIdx.x``, so
a warp reads neighbouring addresses of a row) and chunk z of the rows, one row lane per ``threadIdx.y``; the lanes
are added in shared memory, in order, and the chunks by ``_sum_splits``, as a split product's slices are (no
atomics: the same sums on every run). Enough chunks are made for about ``TARGET_BLOCKS`` blocks. Training takes two
passes for the statistics (``Σx``, then ``Σ(x − μ)²``, as NumPy's ``var`` does, which keeps the variance accurate
when the mean is large), one thread per channel for ``μ``, ``1/sqrt(σ² + ε)`` and the moving averages, and one
thread per element for ``x̂`` and ``y``; backward two sums (``Σ ∂L/∂y·x̂``, ``Σ ∂L/∂y``) and one elementwise pass.
**Dropout** makes its keep-mask on the GPU, one thread per element, as a hash of the element's index and two keys
the layer draws from its seed (``random_bits``: counter-based random bits, the same on every backend, with nothing
drawn on the host or copied), then multiplies by it.

Rules for hardware that the simulator does not enforce: shared arrays have constant shapes (closure constants),
blocks have at most 1024 threads (``tiling`` checks), every thread of a block reaches every ``syncthreads()`` (the
loop bounds of the product depend only on the block, loads are guarded by ``if`` but the barriers are not), and
constants are passed in the input's dtype so that float32 kernels do no float64 arithmetic. A block must also fit
an SM: its threads' registers within 65,536 (blocks over 256 threads are compiled with a launch bound, and the 1-D
kernels' blocks stay at 256 threads) and its shared arrays within 48 KiB (``MAX_SHARED_BYTES``; the products check
theirs when they are built). Indices are int64 (numba's default); the integer divisions happen once per thread, not
per term. Where libNVVM and ptxas are installed (no GPU needed; the dev extra brings them),
``tests/test_cuda_kernels.py`` compiles every kernel to sm_90 machine code and checks that the float32 ones hold no
float64 instruction, that none spills registers, and that each fits the blocks it is launched with, at the shipped
tiles and at 32×32 threads.

What the machine code costs: ``python benchmarks/cuda_model.py`` compiles the products through ``ptxas`` and counts
the instructions a warp issues per step. With 4×4 outputs per thread a step of 16 terms is 256 FFMA, 32 shared
loads (128-bit) and 8 global loads, and 432–523 instructions in all (49–59 % FFMA, the most share of the fp32 peak
a full tile can reach; with 8 scalar shared loads a term it was 565–675 and 38–45 %); the shared-memory reads of
the 16 terms are unrolled 8 times (a ``while`` loop: LLVM left a ``range`` loop rolled, which cost 15 more
instructions a term). The estimates for an H100 built on these counts
are in ``benchmarks/results/cuda_model.md``.
"""

import contextlib
import functools
import math
import os
import re
import warnings
from importlib import metadata

import numpy as np

from minicnn.errors import BackendError, NoGPUError, ShapeError
from minicnn.checks import check_gradient, stacklevel_outside_minicnn
from minicnn.kernels.padding import output_length, padding_amounts
from minicnn.kernels.random_bits import keep_threshold, mix32

def _stack_rows(arrays, *, dtype=None, casting="same_kind"):
    """``np.vstack`` under the name ``np.row_stack``, which NumPy 2.5 removed and numba-cuda 0.30 still registers
    a kernel version of as it loads (``overload(np.row_stack)``): beside NumPy 2.5 no kernel compiled at all. A
    function of its own, not ``np.vstack`` itself, so that numba-cuda does not register vstack twice."""
    return np.vstack(arrays, dtype=dtype, casting=casting)


if not hasattr(np, "row_stack"):  # before numba-cuda is imported (the GPU machines' image has NumPy 2.5.2)
    np.row_stack = _stack_rows

try:
    import numba
    from numba import cuda
except ImportError as _error:  # numba without its CUDA target: check_available() says so when the backend is chosen
    numba = cuda = None
    _IMPORT_ERROR = _error
else:
    _IMPORT_ERROR = None

#: this backend's arrays live in GPU memory: a model moves its weights there while it trains (``Sequential``)
USES_DEVICE_MEMORY = True

#: threads along each side of a 2-D block (TILE² threads) and the reduction step of the tiled products
TILE = 16
#: outputs per thread along each side of a product tile: a block computes a (TILE·WORK)² tile
WORK = 4
#: a product with fewer output tiles than this splits its reduction, up to this many blocks (2 per H100 SM)
TARGET_BLOCKS = 264
#: ... but each slice of a split reduction keeps at least this many steps of TILE terms
MIN_STEPS_PER_SPLIT = 4
#: a block of at most this many threads launches whatever registers its kernel uses (255 a thread × 256 threads
#: ≤ the 65,536 registers of an SM); larger blocks are compiled with a launch bound (``_compile``)
ANY_REGISTERS_THREADS = 256
#: threads of a warp, the unit a GPU schedules
WARP = 32
#: the shared memory a block may declare statically (``cuda.shared.array``): 48 KiB on every GPU since Kepler;
#: ptxas refuses a kernel that declares more ("uses too much shared data"), the simulator does not
MAX_SHARED_BYTES = 48 * 1024

_PLAIN_RADIX = 1 << 40  # a radix no index reaches: the reduction index of a plain matrix is one digit
_BIAS_ROW = -(1 << 40)  # marks the bias row of the kernel-gradient product (no tap offset is that negative)
_MAX_GRID = 65535  # grid limit along y and z
_FEW_BLOCKS = 128  # numba-cuda warns of "GPU under-utilization" for grids of fewer blocks than this
#: the oldest numba-cuda whose shared arrays take an ``alignment`` (the products' 128-bit shared reads need it)
MIN_NUMBA_CUDA = (0, 20)


@functools.lru_cache(maxsize=None)  # reading the package metadata takes ~0.3 ms, and set_backend asks every time
def _numba_cuda_version():
    """The installed numba-cuda's version string, or None where numba.cuda is numba's own (older) CUDA target."""
    try:
        return metadata.version("numba-cuda")
    except metadata.PackageNotFoundError:
        return None


def check_available():
    """Raise ``BackendError`` unless numba.cuda can run here (a CUDA GPU with its driver, or the simulator)."""
    if cuda is None:
        raise BackendError(f"the 'cuda' backend needs numba's CUDA target, which could not be imported "
                           f"({_IMPORT_ERROR}); install it with pip install \"minicnn[cuda]\" (numba-cuda), or use "
                           f"the 'numba' or 'numpy' backend")
    version = _numba_cuda_version()
    wanted = ".".join(map(str, MIN_NUMBA_CUDA))
    if version is None or tuple(int(part) for part in re.findall(r"\d+", version)[:2]) < MIN_NUMBA_CUDA:
        found = f"numba-cuda {version}" if version else "numba's own CUDA target, without the numba-cuda package"
        raise BackendError(f"the 'cuda' backend needs numba-cuda {wanted} or newer (its kernels ask for aligned "
                           f"shared arrays), found {found}; install it with pip install \"minicnn[cuda]\" (or pip "
                           f"install -U \"numba-cuda>={wanted}\"), or use the 'numba' or 'numpy' backend")
    if not cuda.is_available():
        raise NoGPUError("the 'cuda' backend found no CUDA GPU or driver on this machine "
                         "(numba.cuda.is_available() is False). To run its kernels without a GPU on numba's CUDA "
                         "simulator, set NUMBA_ENABLE_CUDASIM=1 before Python starts (it runs every GPU thread as "
                         "Python: right for tests and small shapes, far too slow to train a real network); "
                         "otherwise use the 'numba' (compiled, CPU) or 'numpy' backend")
    problem = None if is_simulator() else _compile_problem()
    if problem is not None:
        if "numpy" in problem.lower():
            advice = (f"this numba-cuda asks NumPy {np.__version__} for something it no longer has (minicnn "
                      f"supplies np.row_stack, which NumPy 2.5 removed and numba-cuda 0.30 still registers; this is "
                      f"another): pip install \"numpy<2.5\", or a numba-cuda made for this NumPy")
        elif "nvvm" in problem.lower():
            advice = ("libNVVM, the CUDA compiler numba-cuda uses, was not found: pip install \"minicnn[cuda]\" "
                      "brings it from PyPI (numba-cuda[cu13]), or install the CUDA toolkit")
        elif "compute capability" in problem.lower():
            advice = ("CUDA 13, which the cuda extra installs, compiles for GPUs of compute capability 7.5 and newer: "
                      "for an older GPU install CUDA 12's compilers instead (pip install \"numba-cuda[cu12]\")")
        else:
            advice = "pip install \"minicnn[cuda]\" installs versions known to work together"
        raise BackendError(f"the 'cuda' backend found a GPU, but numba-cuda {version} cannot compile a kernel "
                           f"here ({problem}); {advice}; or use the 'numba' or 'numpy' backend")


@functools.lru_cache(maxsize=None)  # one compile a process (about a second): set_backend asks every time
def _compile_problem():
    """None where numba-cuda compiles an empty kernel for this GPU (its compute capability), else the error it
    raised, as text: found when the backend is chosen, not as a traceback from inside numba-cuda at the first
    layer. (A driver too old for the PTX is met only at the first launch.)"""
    try:
        capability = cuda.get_current_device().compute_capability
        cuda.compile_ptx(_empty_kernel, (numba.types.float32[::1],), cc=capability)
    except Exception as error:  # noqa: BLE001 - any failure here is every kernel's failure
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    return None


def _empty_kernel(values):
    """The kernel ``_compile_problem`` compiles: it does nothing."""


def is_simulator():
    """True when numba.cuda is the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``), not a GPU."""
    return numba is not None and bool(numba.config.ENABLE_CUDASIM)


#: multiply-adds a second of the tiled products on numba's CUDA simulator at their fastest: a 64×64 dense product
#: (one full tile) over 256 and 1024 terms ran at 225,000 and 246,000 on this project's 2-core machines (2026-12-06).
#: A network's products are slower there (thin or small ones compute mostly padding; the document's network trained
#: at 9,000–18,000 on 4×4 and 8×8 images), so a time computed with this figure is a lower bound.
SIMULATOR_MULTIPLY_ADDS_PER_SECOND = 250_000
#: work that the simulator needs longer than this for, even at its fastest, gets a warning before it starts
SIMULATOR_PATIENCE_SECONDS = 60


def warn_if_long_on_simulator(multiply_adds, where, work):
    """Warn (``RuntimeWarning``) before ``work`` (e.g. "2 epochs of 1,000 samples") runs on numba's CUDA simulator
    when its ``multiply_adds`` in the products would take more than ``SIMULATOR_PATIENCE_SECONDS`` there even at
    ``SIMULATOR_MULTIPLY_ADDS_PER_SECOND``: the simulator runs every GPU thread as Python, and a real network's
    training would seem to hang. Does nothing on a GPU. ``Sequential.fit``, ``evaluate``, ``predict`` and a
    ``forward`` of its own (a tracker's) call it."""
    seconds = multiply_adds / SIMULATOR_MULTIPLY_ADDS_PER_SECOND
    if is_simulator() and seconds > SIMULATOR_PATIENCE_SECONDS:
        warnings.warn(f"{where}: the 'cuda' backend is running on numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1), "
                      f"which runs every GPU thread as Python: {work} ({multiply_adds:,} multiply-adds in the "
                      f"convolutions and dense layers) would take at least {_rough_duration(seconds)} there. The "
                      f"simulator is for tests and small shapes; use the 'numba' backend, or a machine with a GPU",
                      RuntimeWarning, stacklevel=stacklevel_outside_minicnn())  # the line that called fit, …


def _rough_duration(seconds):
    """``seconds`` in the largest unit that keeps the number above 2: "90 seconds", "45 minutes", "3 days"."""
    for unit, length in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * length:
            return f"{seconds / length:,.0f} {unit}"
    return f"{seconds:.0f} seconds"


@contextlib.contextmanager
def tiling(tile=None, work=None, target_blocks=None):
    """Run a block of code with other tile sizes (``TILE``, ``WORK``, ``TARGET_BLOCKS``), then restore them.

    Tests shrink the tiles so that arrays of a few dozen elements span several blocks and split reductions. On a GPU
    every tile up to 32 (1024 threads) runs: blocks over 256 threads are compiled to use at most 65,536 / tile²
    registers a thread (at 32, 64: the 4×4 products then spill some to memory). A product whose two shared tiles,
    ``tile · (tile·work + 4)`` elements each, exceed 48 KiB in its dtype is refused when it is built (32 with work 4
    fits in float32, not in float64).
    """
    global TILE, WORK, TARGET_BLOCKS
    saved = TILE, WORK, TARGET_BLOCKS
    tile, work = tile or TILE, work or WORK
    if not (isinstance(tile, int) and 1 <= tile and tile * tile <= 1024):
        raise ValueError(f"tiling: tile must be an int with tile² <= 1024 threads per block, got {tile!r}")
    if not (isinstance(work, int) and 1 <= work <= 8):
        raise ValueError(f"tiling: work must be an int in 1..8, got {work!r}")
    TILE, WORK = tile, work
    TARGET_BLOCKS = TARGET_BLOCKS if target_blocks is None else int(target_blocks)
    try:
        yield
    finally:
        TILE, WORK, TARGET_BLOCKS = saved


def _device(function):
    return cuda.jit(device=True)(function) if cuda is not None else function


def _compile(function, threads=None):
    """``cuda.jit(function, cache=True)``; without the disk cache where ``MINICNN_CUDA_CACHE=0`` or no cache folder is
    writable. ``threads``: the block size the kernel is always launched with; above ``ANY_REGISTERS_THREADS`` it
    becomes the kernel's launch bound (``launch_bounds``), so that ptxas keeps each thread's registers within
    ``65,536 / threads`` (spilling if it must) and the launch cannot fail with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES.
    Smaller blocks get no bound: they launch with any register count, and a bound of 256 made ptxas trade registers
    for instructions (the shipped 4×4 products: 78–125 registers instead of 78–128, and 0–13 % more instructions a
    reduction step, by ``benchmarks/cuda_model.py``'s count)."""
    options = {}
    if threads is not None and threads > ANY_REGISTERS_THREADS and not is_simulator():
        options["launch_bounds"] = threads  # the simulator's jit takes no launch_bounds (and needs none)
    if os.environ.get("MINICNN_CUDA_CACHE", "1") == "0":
        return cuda.jit(function, **options)
    try:
        return cuda.jit(function, cache=True, **options)
    except RuntimeError as error:  # numba: "cannot cache function ...: no locator available"
        warnings.warn(f"minicnn: numba-cuda cannot cache {function.__name__} ({error}); compiling in memory",
                      RuntimeWarning, stacklevel=2)
        return cuda.jit(function, **options)


def _kernel(function):
    return _compile(function) if cuda is not None else function


def _named(function, name):
    """``function`` renamed ``name`` (``__name__`` and ``__qualname__``, which numba puts in the kernel's symbol and
    its cache file's name): a GPU profiler then says which of the kernels that one closure makes ran
    (``product_conv_forward_4x4``, not ``_product_kernel.<locals>.product``)."""
    function.__name__ = function.__qualname__ = name
    return function


# ============================================================================================ device helpers
@_device
def _split3(k, r1, r2):
    """The digits ``(d0, d1, d2)`` of ``k = (d0·r1 + d1)·r2 + d2``."""
    q = k // r2
    return q // r1, q - (q // r1) * r1, k - q * r2


@_device
def _advance3(d0, d1, d2, s0, s1, s2, r1, r2):
    """Add the digits ``(s0, s1, s2)`` to ``(d0, d1, d2)`` with carries (no division)."""
    d2 += s2
    if d2 >= r2:
        d2 -= r2
        d1 += 1
    d1 += s1
    if d1 >= r1:
        d1 -= r1
        d0 += 1
    return d0 + s0, d1, d2


@_device
def _nhwc_position(index, height, width, channels):
    """The position ``(b, i, j, c)`` of the element at flat ``index`` of a C-ordered ``(N, height, width,
    channels)`` array: ``index = ((b·height + i)·width + j)·channels + c``."""
    c = index % channels
    t = index // channels
    j = t % width
    t = t // width
    return t // height, t % height, j, c


@_device
def _in_range(value, length):
    """``0 <= value < length`` in one comparison: as unsigned integers a negative value is larger than any length.
    (The cast to int64 first makes the simulator's Python integers wrap the way the GPU's do.)"""
    return numba.uint64(numba.int64(value)) < numba.uint64(length)


# The A operands of the products. ``geo`` of a convolution is
# (N, H, W, C_in, kh, kw, sh, sw, top, left, H_out, W_out, C_out).
@_device
def _window_rows(geo, m):
    """Conv forward, row m = output pixel (n, i, j): the top-left corner (row, col) of its window in x (negative
    in the padding) and the flat index of ``x[n, row, col, 0]`` (outside x there, but never read)."""
    j = m % geo[11]
    t = m // geo[11]
    n = t // geo[10]
    row = (t % geo[10]) * geo[6] - geo[8]
    col = j * geo[7] - geo[9]
    return ((n * geo[1] + row) * geo[2] + col) * geo[3], row, col


@_device
def _window_at(x, geo, corner, row, col, k, l, c, zero, one):
    """``x_pad[n, row + k, col + l, c]``: tap (k, l, c) of the window whose corner is (row, col); x is flat."""
    if _in_range(row + k, geo[1]) and _in_range(col + l, geo[2]):
        return x[numba.uint64(corner + (k * geo[2] + l) * geo[3] + c)]
    return zero


@_device
def _pixel_rows(geo, m):
    """Conv input gradient, row m = input pixel (n, h, w): the flat index of ``∂L/∂y[n, 0, 0, 0]`` and the pixel's
    padded coordinates (h + top, w + left)."""
    w = m % geo[2]
    t = m // geo[2]
    return (t // geo[1]) * geo[10] * geo[11] * geo[12], t % geo[1] + geo[8], w + geo[9]


@_device
def _gather_at(grad_y, geo, image, hp, wp, k, l, o, zero, one):
    """``∂L/∂y[n, i, j, o]`` for the output (i, j) whose window reads padded pixel (hp, wp) through tap (k, l), or 0
    when no output does (``i·sh + k = hp`` has no solution in range); grad_y is flat, ``image`` the flat index of
    its ``[n, 0, 0, 0]``."""
    t = hp - k
    u = wp - l
    if t < 0 or u < 0:
        return zero
    sh = geo[6]
    sw = geo[7]
    i = t
    j = u
    if sh != 1:
        if t % sh != 0:
            return zero
        i = t // sh
    if sw != 1:
        if u % sw != 0:
            return zero
        j = u // sw
    if i >= geo[10] or j >= geo[11]:
        return zero
    return grad_y[numba.uint64(image + (i * geo[11] + j) * geo[12] + o)]


@_device
def _unit_stride_pixel_rows(geo, m):
    """``_pixel_rows`` for strides (1, 1): the flat index of ``∂L/∂y[n, h + top, w + left, 0]`` (the output that
    reads the pixel through tap (0, 0); outside ∂L/∂y at the borders, but only read where in range) and the
    pixel's padded coordinates."""
    image, hp, wp = _pixel_rows(geo, m)
    return image + (hp * geo[11] + wp) * geo[12], hp, wp


@_device
def _unit_stride_gather_at(grad_y, geo, base, hp, wp, k, l, o, zero, one):
    """``_gather_at`` for strides (1, 1), where the output that reads padded pixel (hp, wp) through tap (k, l) is
    simply (hp − k, wp − l): no division, and its flat index is the row's ``base`` minus a part that depends only on
    the tap, the same for every row of a thread."""
    if _in_range(hp - k, geo[10]) and _in_range(wp - l, geo[11]):
        return grad_y[numba.uint64(base - (k * geo[11] + l) * geo[12] + o)]
    return zero


@_device
def _tap_rows(geo, t):
    """Conv kernel gradient, row t = kernel tap (k, l, c): the tap's offsets from a window's corner, in rows
    (k − top) and columns (l − left), and its flat offset in x ``((k − top)·W + l − left)·C_in + c``. The row after
    the last tap is the bias row, marked by ``_BIAS_ROW``."""
    c_in = geo[3]
    if t >= geo[4] * geo[5] * c_in:
        return _BIAS_ROW, 0, 0
    q = t // c_in
    down = q // geo[5] - geo[8]
    right = q % geo[5] - geo[9]
    return down, right, (down * geo[2] + right) * c_in + t % c_in


@_device
def _tap_at(x, geo, down, right, tap, n, i, j, zero, one):
    """``x_pad[n, i·sh + k, j·sw + l, c]``: the tap of output pixel (n, i, j)'s window; x is flat; 1 in the bias
    row."""
    if down == _BIAS_ROW:
        return one
    row = i * geo[6]
    col = j * geo[7]
    if _in_range(row + down, geo[1]) and _in_range(col + right, geo[2]):
        return x[numba.uint64(((n * geo[1] + row) * geo[2] + col) * geo[3] + tap)]
    return zero


@_device
def _plain_rows(geo, m):
    """A plain matrix: the row is its own context."""
    return m, 0, 0


@_device
def _plain_at(a, geo, m, unused_1, unused_2, unused_3, unused_4, k, zero, one):
    """``a[m, k]``."""
    return a[m, k]


@_device
def _transposed_at(a, geo, m, unused_1, unused_2, unused_3, unused_4, k, zero, one):
    """``a[k, m]`` (A = aᵀ), and 1 in the extra row ``m = geo[0]`` (the bias row)."""
    if m == geo[0]:
        return one
    return a[k, m]


# ============================================================================================ the tiled product
#: variant: (row contexts, element of A, A loaded with consecutive threads along its rows, B read transposed)
_VARIANTS = {
    "conv_forward": (_window_rows, _window_at, False, False),
    "conv_grad_input": (_pixel_rows, _gather_at, False, False),
    "conv_grad_input_unit_stride": (_unit_stride_pixel_rows, _unit_stride_gather_at, False, False),
    "conv_grad_kernel": (_tap_rows, _tap_at, True, False),
    "dense_forward": (_plain_rows, _plain_at, False, False),
    "dense_grad_input": (_plain_rows, _plain_at, False, True),
    "dense_grad_kernel": (_plain_rows, _transposed_at, True, False),
}


@functools.lru_cache(maxsize=None)
def _product_kernel(variant, tile, rows_work, cols_work, dtype):
    """The tiled product ``out[z, m, n] = Σ_{k in slice z} A[m, k]·B[k, n] (+ bias[n])`` for one variant, tile size,
    outputs per thread (``rows_work × cols_work``) and dtype, with every shared-array shape a compile-time constant
    (see the module docstring)."""
    rows_of, element_at, a_along_rows, b_transposed = _VARIANTS[variant]
    T = tile
    WM = rows_work
    WN = cols_work
    BM = tile * rows_work  # rows of a block's output tile
    BN = tile * cols_work  # columns of a block's output tile
    A_LINE = BM + 4  # four words of padding per tile line: see "Shared-memory layout" in the module docstring
    B_LINE = BN + 4
    ALIGN = None if is_simulator() else 16  # the simulator rejects an alignment (and needs none)
    item = numba.from_dtype(np.dtype(dtype))
    zero = np.dtype(dtype).type(0)
    one = np.dtype(dtype).type(1)
    shared_bytes = T * (A_LINE + B_LINE) * np.dtype(dtype).itemsize
    if shared_bytes > MAX_SHARED_BYTES:
        raise ValueError(f"tiling: tile={tile} with {rows_work}×{cols_work} outputs per thread needs two shared tiles "
                         f"of {shared_bytes:,} bytes in all in {np.dtype(dtype)}, more than the {MAX_SHARED_BYTES:,} "
                         f"a GPU gives a block; choose a smaller tile or work")

    def product(a_src, b_src, out, bias, use_bias, geo, m_total, n_total, k_total, k_split, r1, r2):
        a_tile = cuda.shared.array((T, A_LINE), item, alignment=ALIGN)  # a_tile[k, r] = A[m0 + r, k0 + k]
        b_tile = cuda.shared.array((T, B_LINE), item, alignment=ALIGN)  # b_tile[k, c] = B[k0 + k, n0 + c]
        acc = cuda.local.array((WM, WN), item)
        a_reg = cuda.local.array(WM, item)
        b_reg = cuda.local.array(WN, item)
        a_next = cuda.local.array(WM, item)  # the next step's elements of A and B that this thread copies
        b_next = cuda.local.array(WN, item)
        context = cuda.local.array((WM, 3), numba.int64)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        m0 = cuda.blockIdx.x * BM
        n0 = cuda.blockIdx.y * BN
        z = cuda.blockIdx.z
        if a_along_rows:  # which rows of the A tile this thread copies, and which reduction index
            r_lane = tx
            k_lane = ty
        else:
            r_lane = ty
            k_lane = tx
        for a in range(WM):
            c0, c1, c2 = rows_of(geo, m0 + r_lane + a * T)
            context[a, 0] = c0
            context[a, 1] = c1
            context[a, 2] = c2
            for b in range(WN):
                acc[a, b] = zero
        k_begin = z * k_split
        k_end = min(k_total, k_begin + k_split)

        def fetch(k0, d0, d1, d2):
            """Read from global memory the elements this thread copies for the step at k0 (d: digits of
            k0 + k_lane) into a_next and b_next; zero past the ends."""
            k_ok = k0 + k_lane < k_end
            for a in range(WM):
                value = zero
                if k_ok and m0 + r_lane + a * T < m_total:
                    value = element_at(a_src, geo, context[a, 0], context[a, 1], context[a, 2], d0, d1, d2,
                                       zero, one)
                a_next[a] = value
            for b in range(WN):
                value = zero
                if b_transposed:  # B[k, n] = b_src[n, k]: consecutive threads along k
                    n = n0 + ty + b * T
                    if k0 + tx < k_end and n < n_total:
                        value = b_src[n, k0 + tx]
                else:
                    n = n0 + tx + b * T
                    if k0 + ty < k_end and n < n_total:
                        value = b_src[k0 + ty, n]
                b_next[b] = value

        d0, d1, d2 = _split3(k_begin + k_lane, r1, r2)
        s0, s1, s2 = _split3(T, r1, r2)
        fetch(k_begin, d0, d1, d2)
        for k0 in range(k_begin, k_end, T):  # the same trip count for every thread of the block
            for a in range(WM):
                a_tile[k_lane, r_lane + a * T] = a_next[a]
            for b in range(WN):
                if b_transposed:
                    b_tile[tx, ty + b * T] = b_next[b]
                else:
                    b_tile[ty, tx + b * T] = b_next[b]
            cuda.syncthreads()
            d0, d1, d2 = _advance3(d0, d1, d2, s0, s1, s2, r1, r2)
            fetch(k0 + T, d0, d1, d2)  # in flight while the FMAs below run: its latency is hidden
            kk = 0
            while kk < T:  # not range(T): see "What the machine code costs" above
                for a in range(WM):
                    a_reg[a] = a_tile[kk, ty * WM + a]
                for b in range(WN):
                    b_reg[b] = b_tile[kk, tx * WN + b]
                for a in range(WM):
                    for b in range(WN):
                        acc[a, b] += a_reg[a] * b_reg[b]
                kk += 1
            cuda.syncthreads()
        for a in range(WM):
            m = m0 + ty * WM + a
            if m < m_total:
                for b in range(WN):
                    n = n0 + tx * WN + b
                    if n < n_total:
                        value = acc[a, b]
                        if use_bias:
                            value += bias[n]
                        out[z, m, n] = value

    return _compile(_named(product, f"product_{variant}_{rows_work}x{cols_work}"), threads=tile * tile)


def _product_signature(variant, item):
    """The argument types of a ``_product_kernel`` launch for numba type ``item`` (float32 or float64): what
    compiling it ahead of a launch (``cuda.compile_ptx``, without a GPU) needs. The convolutions read A flat."""
    from numba import types

    conv = variant.startswith("conv")
    matrix = lambda ndim: types.Array(item, ndim, "C")  # noqa: E731
    return ((matrix(1 if conv else 2), matrix(2), matrix(3), matrix(1), types.boolean,
             types.UniTuple(types.int64, 13 if conv else 1)) + (types.int64,) * 6)


@_kernel
def _sum_splits(partial, out, bias, use_bias):
    """``out[m, n] = Σ_z partial[z, m, n] (+ bias[n])``, the slices added in order; one thread per output."""
    splits, rows, cols = partial.shape
    for index in range(cuda.grid(1), rows * cols, cuda.gridsize(1)):
        m = index // cols
        n = index - m * cols
        total = partial[0, m, n]
        for z in range(1, splits):
            total += partial[z, m, n]
        if use_bias:
            total += bias[n]
        out[m, n] = total


def _work_for(length):
    """Outputs per thread along a side of length ``length``: WORK, or the smallest power of two below it whose tile
    (TILE × work) still covers the side, so that a thin product (32 output channels, one output) does not compute a
    mostly padded 64-wide tile."""
    work = 1
    while work < WORK and TILE * work < length:
        work *= 2
    return min(work, WORK)


def _plan(m_total, n_total, k_total):
    """How ``_product`` runs an (m_total × k_total) · (k_total × n_total) product: outputs per thread along rows and
    columns, the grid ``(row_tiles, col_tiles, splits)`` and the reduction terms per split (a multiple of TILE)."""
    rows_work, cols_work = _work_for(m_total), _work_for(n_total)
    row_tiles, col_tiles = -(-m_total // (TILE * rows_work)), -(-n_total // (TILE * cols_work))
    steps = -(-k_total // TILE)
    splits = 1
    if row_tiles * col_tiles < TARGET_BLOCKS:  # at most TARGET_BLOCKS blocks: one more would start a second wave
        splits = max(1, min(TARGET_BLOCKS // (row_tiles * col_tiles), steps // MIN_STEPS_PER_SPLIT, _MAX_GRID))
    steps_per_split = -(-steps // splits)
    splits = -(-steps // steps_per_split)
    return rows_work, cols_work, (row_tiles, col_tiles, splits), steps_per_split * TILE


def _product(variant, a_src, b_src, m_total, n_total, k_total, geo, radices=(_PLAIN_RADIX, _PLAIN_RADIX), bias=None):
    """Run one tiled product and return ``C`` (``(m_total, n_total)``, a device array), splitting the reduction
    over ``blockIdx.z`` when the output has too few tiles to fill the GPU."""
    dtype = np.dtype(b_src.dtype)
    result_shape = (m_total, n_total)
    if m_total == 0 or n_total == 0 or k_total == 0:
        return zeros(result_shape, dtype)
    rows_work, cols_work, grid, k_split = _plan(m_total, n_total, k_total)
    if grid[1] > _MAX_GRID:
        raise ValueError(f"cuda backend: a product with {n_total} columns exceeds the grid ({_MAX_GRID} tiles)")
    splits = grid[2]
    out = cuda.device_array((splits, m_total, n_total), dtype)
    bias_arg = _dummy(dtype) if bias is None else bias
    kernel = _product_kernel(variant, TILE, rows_work, cols_work, dtype)
    _configure(kernel, grid, (TILE, TILE))(a_src, b_src, out, bias_arg, bias is not None and splits == 1, geo, m_total,
                                           n_total, k_total, k_split, radices[0], radices[1])
    if splits == 1:
        return out.reshape(result_shape)
    result = cuda.device_array(result_shape, dtype)
    _launch(_sum_splits, m_total * n_total, out, result, bias_arg, bias is not None)
    return result


# ============================================================================================ convolution
@_kernel
def _taps_first(kernel, out):
    """``out[(k·kw + l)·C_out + o, c] = w[k, l, c, o]``: the kernel as B of the input-gradient gather."""
    kh, kw, c_in, c_out = kernel.shape
    for index in range(cuda.grid(1), kernel.size, cuda.gridsize(1)):
        c = index % c_in
        q = index // c_in  # (k·kw + l)·C_out + o
        o = q % c_out
        kl = q // c_out
        out[q, c] = kernel[kl // kw, kl % kw, c, o]


def _conv_geometry(x_shape, kernel_shape, stride, padding, where):
    n, height, width, c_in = x_shape
    kh, kw, kernel_c_in, c_out = kernel_shape
    if kernel_c_in != c_in:
        raise ShapeError(f"{where}: kernel of shape {tuple(kernel_shape)} expects {kernel_c_in} input channels, "
                         f"x of shape {tuple(x_shape)} has {c_in}")
    out_h = output_length(height, kh, stride[0], padding)
    out_w = output_length(width, kw, stride[1], padding)
    if out_h < 1 or out_w < 1:
        raise ShapeError(f"{where}: kernel {(kh, kw)} does not fit in an input of {height}×{width} with "
                         f"padding={padding!r}")
    top = padding_amounts(height, kh, stride[0], padding)[0]
    left = padding_amounts(width, kw, stride[1], padding)[0]
    return (n, height, width, c_in, kh, kw, int(stride[0]), int(stride[1]), top, left, out_h, out_w, c_out)


def conv2d_forward(x, kernel, bias, stride, padding):
    """``y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·sh+k, j·sw+l, c] · w[k,l,c,o]`` as one implicit-GEMM tiled
    product (see ``numpy_kernels.conv2d_forward`` for the shapes).

    Returns
    -------
    y : device array, shape (N, H_out, W_out, C_out), the dtype of x
    """
    dtype = _dtype_of(x, "conv2d_forward: x")
    x = _operand(x, dtype, "conv2d_forward: x", ndim=4)
    kernel = _operand(kernel, dtype, "conv2d_forward: kernel", ndim=4)
    geo = _conv_geometry(x.shape, kernel.shape, stride, padding, "conv2d_forward")
    n, _, _, c_in, kh, kw, _, _, _, _, out_h, out_w, c_out = geo
    if bias is not None:
        bias = _operand(bias, dtype, "conv2d_forward: bias", shape=(c_out,))
    y = _product("conv_forward", x.reshape(-1), kernel.reshape(kh * kw * c_in, c_out), n * out_h * out_w, c_out,
                 kh * kw * c_in, geo, (kw, c_in), bias)
    return y.reshape(n, out_h, out_w, c_out)


def conv2d_backward(grad_y, x, kernel, stride, padding, input_gradient=True):
    """``(∂L/∂x, ∂L/∂w, ∂L/∂b)`` of the convolution sum (equations in ``numpy_kernels.conv2d_backward``).

    ``∂L/∂x`` is a gather (each input pixel sums over the outputs that read it), skipped (None) when
    ``input_gradient`` is False; ``∂L/∂w`` and ``∂L/∂b`` are one tiled product over the N·H_out·W_out output
    pixels, the bias being its row of ones.
    """
    dtype = _dtype_of(x, "conv2d_backward: x")
    x = _operand(x, dtype, "conv2d_backward: x", ndim=4)
    kernel = _operand(kernel, dtype, "conv2d_backward: kernel", ndim=4)
    geo = _conv_geometry(x.shape, kernel.shape, stride, padding, "conv2d_backward")
    n, height, width, c_in, kh, kw, _, _, _, _, out_h, out_w, c_out = geo
    check_gradient("conv2d_backward", grad_y, (n, out_h, out_w, c_out))
    grad_y = _operand(grad_y, dtype, "conv2d_backward: grad_y")
    grad_x = None
    if input_gradient:
        taps_first = cuda.device_array((kh * kw * c_out, c_in), dtype)
        _launch(_taps_first, kernel.size, kernel, taps_first)
        variant = "conv_grad_input_unit_stride" if geo[6] == geo[7] == 1 else "conv_grad_input"
        grad_x = _product(variant, grad_y.reshape(-1), taps_first, n * height * width, c_in, kh * kw * c_out, geo,
                          (kw, c_out)).reshape(x.shape)
    taps = kh * kw * c_in
    both = _product("conv_grad_kernel", x.reshape(-1), grad_y.reshape(n * out_h * out_w, c_out), taps + 1, c_out,
                    n * out_h * out_w, geo, (out_h, out_w))
    return grad_x, both[:taps].reshape(kernel.shape), both[taps]


# ============================================================================================ pooling
@functools.lru_cache(maxsize=None)
def _pool_kernels(dtype):
    """The three pooling kernels for one dtype (its zero, −∞ and the cast of a window count are constants)."""
    item = numba.from_dtype(dtype)
    zero = dtype.type(0)
    lowest = dtype.type(-np.inf)

    def max_forward(x, y, argmax, ph, pw, sh, sw, top, left):
        """One thread per output: the window's maximum and the flat index ``k·pw + l`` of its first occurrence."""
        _, height, width, channels = x.shape
        _, out_h, out_w, _ = y.shape
        for index in range(cuda.grid(1), y.size, cuda.gridsize(1)):
            b, i, j, c = _nhwc_position(index, out_h, out_w, channels)
            best = lowest
            where = 0
            for k in range(ph):
                hh = i * sh - top + k
                if hh >= 0 and hh < height:
                    for l in range(pw):
                        ww = j * sw - left + l
                        if ww >= 0 and ww < width:
                            value = x[b, hh, ww, c]
                            if value > best or (value != value and best == best):  # the first NaN wins, as NumPy's
                                best = value
                                where = k * pw + l
            y[b, i, j, c] = best
            argmax[b, i, j, c] = where

    def avg_forward(x, y, ph, pw, sh, sw, top, left):
        """One thread per output: the mean over the real (unpadded) inputs of its window."""
        _, height, width, channels = x.shape
        _, out_h, out_w, _ = y.shape
        for index in range(cuda.grid(1), y.size, cuda.gridsize(1)):
            b, i, j, c = _nhwc_position(index, out_h, out_w, channels)
            row_low = max(i * sh - top, 0)
            row_high = min(i * sh - top + ph, height)
            col_low = max(j * sw - left, 0)
            col_high = min(j * sw - left + pw, width)
            total = zero
            for hh in range(row_low, row_high):
                for ww in range(col_low, col_high):
                    total += x[b, hh, ww, c]
            y[b, i, j, c] = total / item((row_high - row_low) * (col_high - col_low))

    def backward(grad_y, argmax, use_argmax, grad_x, ph, pw, sh, sw, top, left):
        """One thread per input element: a gather over the windows that contain it. Max pooling takes ``∂L/∂y``
        from each window whose recorded winner is this input; average pooling ``∂L/∂y / count`` from each."""
        _, height, width, channels = grad_x.shape
        _, out_h, out_w, _ = grad_y.shape
        for index in range(cuda.grid(1), grad_x.size, cuda.gridsize(1)):
            b, r, col, c = _nhwc_position(index, height, width, channels)
            total = zero
            for k in range(ph):
                t_row = r + top - k
                if t_row >= 0 and t_row % sh == 0 and t_row // sh < out_h:
                    i = t_row // sh
                    rows = min(i * sh - top + ph, height) - max(i * sh - top, 0)
                    for l in range(pw):
                        u = col + left - l
                        if u >= 0 and u % sw == 0 and u // sw < out_w:
                            j = u // sw
                            if use_argmax:
                                if argmax[b, i, j, c] == k * pw + l:
                                    total += grad_y[b, i, j, c]
                            else:
                                count = rows * (min(j * sw - left + pw, width) - max(j * sw - left, 0))
                                total += grad_y[b, i, j, c] / item(count)
            grad_x[b, r, col, c] = total

    return (_compile(_named(max_forward, "max_pool_forward")), _compile(_named(avg_forward, "avg_pool_forward")),
            _compile(_named(backward, "pool_backward")))


def _pool_geometry(x_shape, pool_size, stride, padding, where):
    if len(x_shape) != 4:
        raise ShapeError(f"{where}: expected x of shape (N, H, W, C), got {tuple(x_shape)}")
    _, height, width, _ = x_shape
    out_h = output_length(height, pool_size[0], stride[0], padding)
    out_w = output_length(width, pool_size[1], stride[1], padding)
    if out_h < 1 or out_w < 1:
        raise ShapeError(f"{where}: pool {tuple(pool_size)} does not fit in an input of {height}×{width} with "
                         f"padding={padding!r}")
    top = padding_amounts(height, pool_size[0], stride[0], padding)[0]
    left = padding_amounts(width, pool_size[1], stride[1], padding)[0]
    return out_h, out_w, top, left


def max_pool2d_forward(x, pool_size, stride, padding):
    """``y = max`` over each window, and ``argmax`` (int32 device array): the winner's flat window index ``k·pw + l``,
    the first on ties, as in ``numpy_kernels.max_pool2d_forward``."""
    dtype = _dtype_of(x, "max_pool2d_forward: x")
    x = _operand(x, dtype, "max_pool2d_forward: x", ndim=4)
    out_h, out_w, top, left = _pool_geometry(x.shape, pool_size, stride, padding, "max_pool2d_forward")
    shape = (x.shape[0], out_h, out_w, x.shape[3])
    y, argmax = cuda.device_array(shape, dtype), cuda.device_array(shape, np.int32)
    _launch(_pool_kernels(dtype)[0], y.size, x, y, argmax, pool_size[0], pool_size[1], stride[0], stride[1], top,
            left)
    return y, argmax


def max_pool2d_backward(grad_y, argmax, x_shape, pool_size, stride, padding):
    """Each ``∂L/∂y`` goes to its window's winner; overlapping windows add up (a gather per input element)."""
    dtype = _dtype_of(grad_y, "max_pool2d_backward: grad_y")
    out_h, out_w, top, left = _pool_geometry(x_shape, pool_size, stride, padding, "max_pool2d_backward")
    shape = (x_shape[0], out_h, out_w, x_shape[3])
    check_gradient("max_pool2d_backward", grad_y, shape)
    grad_y = _operand(grad_y, dtype, "max_pool2d_backward: grad_y")
    argmax = _operand(argmax, np.dtype(np.int32), "max_pool2d_backward: argmax", shape=shape)
    grad_x = cuda.device_array(tuple(x_shape), dtype)
    _launch(_pool_kernels(dtype)[2], grad_x.size, grad_y, argmax, True, grad_x, pool_size[0], pool_size[1],
            stride[0], stride[1], top, left)
    return grad_x


def avg_pool2d_forward(x, pool_size, stride, padding):
    """The mean over the real inputs of each window (padded zeros not counted, Keras' rule)."""
    dtype = _dtype_of(x, "avg_pool2d_forward: x")
    x = _operand(x, dtype, "avg_pool2d_forward: x", ndim=4)
    out_h, out_w, top, left = _pool_geometry(x.shape, pool_size, stride, padding, "avg_pool2d_forward")
    y = cuda.device_array((x.shape[0], out_h, out_w, x.shape[3]), dtype)
    _launch(_pool_kernels(dtype)[1], y.size, x, y, pool_size[0], pool_size[1], stride[0], stride[1], top, left)
    return y


def avg_pool2d_backward(grad_y, x_shape, pool_size, stride, padding):
    """Each input receives ``∂L/∂y / |window|`` from every window that covers it (a gather per input element)."""
    dtype = _dtype_of(grad_y, "avg_pool2d_backward: grad_y")
    out_h, out_w, top, left = _pool_geometry(x_shape, pool_size, stride, padding, "avg_pool2d_backward")
    check_gradient("avg_pool2d_backward", grad_y, (x_shape[0], out_h, out_w, x_shape[3]))
    grad_y = _operand(grad_y, dtype, "avg_pool2d_backward: grad_y")
    grad_x = cuda.device_array(tuple(x_shape), dtype)
    _launch(_pool_kernels(dtype)[2], grad_x.size, grad_y, _dummy(np.dtype(np.int32), ndim=4), False, grad_x,
            pool_size[0], pool_size[1], stride[0], stride[1], top, left)
    return grad_x


# ============================================================================================ dense
def dense_forward(x, kernel, bias):
    """``z = x · W + b``: x (N, in), kernel (in, out), bias (out,) or None -> z (N, out), one tiled product."""
    dtype = _dtype_of(x, "dense_forward: x")
    x = _operand(x, dtype, "dense_forward: x", ndim=2)
    kernel = _operand(kernel, dtype, "dense_forward: kernel", shape=(x.shape[1], None))
    if bias is not None:
        bias = _operand(bias, dtype, "dense_forward: bias", shape=(kernel.shape[1],))
    return _product("dense_forward", x, kernel, x.shape[0], kernel.shape[1], x.shape[1], (0,), bias=bias)


def dense_backward(grad_z, x, kernel, input_gradient=True):
    """``(∂L/∂x, ∂L/∂W, ∂L/∂b)`` = ``(∂L/∂z·Wᵀ, xᵀ·∂L/∂z, Σ_n ∂L/∂z)``; the last two are one product whose
    extra row of ones gives the bias gradient; ∂L/∂x is None (not computed) when ``input_gradient`` is False."""
    dtype = _dtype_of(x, "dense_backward: x")
    x = _operand(x, dtype, "dense_backward: x", ndim=2)
    n, inputs = x.shape
    kernel = _operand(kernel, dtype, "dense_backward: kernel", shape=(inputs, None))
    outputs = kernel.shape[1]
    check_gradient("dense_backward", grad_z, (n, outputs))
    grad_z = _operand(grad_z, dtype, "dense_backward: grad_z")
    grad_x = _product("dense_grad_input", grad_z, kernel, n, inputs, outputs, (0,)) if input_gradient else None
    both = _product("dense_grad_kernel", x, grad_z, inputs + 1, outputs, n, (inputs,))
    return grad_x, both[:inputs], both[inputs]


# ============================================================================================ elementwise
@_kernel
def _relu_forward(z, a, zero):
    for i in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        a[i] = zero if z[i] <= zero else z[i]  # NaN stays NaN, as in np.maximum: the loss then shows it


@_kernel
def _relu_backward(grad_a, a, grad_z, zero):
    for i in range(cuda.grid(1), a.size, cuda.gridsize(1)):
        grad_z[i] = grad_a[i] if a[i] > zero else zero


@_kernel
def _sigmoid_forward(z, a, zero, one):
    for i in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        value = z[i]
        e = math.exp(-abs(value))  # never overflows
        a[i] = one / (one + e) if value >= zero else e / (one + e)


@_kernel
def _sigmoid_backward(grad_a, a, grad_z, one):
    for i in range(cuda.grid(1), a.size, cuda.gridsize(1)):
        grad_z[i] = grad_a[i] * a[i] * (one - a[i])


@_kernel
def _tanh_forward(z, a):
    for i in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        a[i] = math.tanh(z[i])


@_kernel
def _tanh_backward(grad_a, a, grad_z, one):
    for i in range(cuda.grid(1), a.size, cuda.gridsize(1)):
        grad_z[i] = grad_a[i] * (one - a[i] * a[i])


@_kernel
def _softmax_forward(z, s, width, zero):
    """One thread per row of ``width`` values (the last axis, contiguous): the row's max, then its exponentials
    and their sum, then the quotients. The sum is compensated (Kahan's: ``lost`` carries the low-order bits each
    addition drops), since one thread adds the whole row in turn: with a plain float32 sum, 20,000 classes of normal
    logits summed to 1 ± 1.2e-6 (4e-8 compensated, as NumPy's pairwise sum), and up to 1.7e-5 on other rows."""
    for row in range(cuda.grid(1), z.size // width, cuda.gridsize(1)):
        start = row * width
        largest = z[start]
        for k in range(start + 1, start + width):
            largest = max(largest, z[k])
        total, lost = zero, zero
        for k in range(start, start + width):
            e = math.exp(z[k] - largest)
            s[k] = e
            corrected = e - lost
            added = total + corrected
            lost = (added - total) - corrected
            total = added
        for k in range(start, start + width):
            s[k] /= total


@_kernel
def _softmax_backward(grad_s, s, grad_z, width, zero):
    """One thread per row: the row's ``Σ_j ∂L/∂s_j · s_j`` (compensated, as the forward's sum), then
    ``∂L/∂z_k = s_k · (∂L/∂s_k − that sum)``."""
    for row in range(cuda.grid(1), s.size // width, cuda.gridsize(1)):
        start = row * width
        dot, lost = zero, zero
        for k in range(start, start + width):
            corrected = grad_s[k] * s[k] - lost
            added = dot + corrected
            lost = (added - dot) - corrected
            dot = added
        for k in range(start, start + width):
            grad_z[k] = s[k] * (grad_s[k] - dot)


def _same_shape_operands(where, inputs, first_name, other_name):
    """``(dtype, first, flat, out)``: the inputs as device arrays of the first one's dtype and shape, flattened,
    and a new ``out`` of that shape. The dtype error names the first input ``first_name`` (or ``z`` when it is the
    only one); a mismatched other input is named ``other_name``."""
    dtype = _dtype_of(inputs[0], f"{where}: {first_name if len(inputs) > 1 else 'z'}")
    first = _operand(inputs[0], dtype, f"{where}: input")
    flat = [first.reshape(-1)] + [_operand(other, dtype, f"{where}: {other_name}", shape=tuple(first.shape)).reshape(-1)
                                  for other in inputs[1:]]
    return dtype, first, flat, cuda.device_array(first.shape, dtype)


def _elementwise(kernel, where, inputs, constants):
    """Run an elementwise kernel ``kernel(*inputs, out, *constants)`` over flattened arrays of one shape; the
    constants are passed in the inputs' dtype. Returns ``out``, a new device array."""
    dtype, first, flat, out = _same_shape_operands(where, inputs, "grad_a", "a")
    _launch(kernel, first.size, *flat, out.reshape(-1), *[dtype.type(c) for c in constants])
    return out


def relu_forward(z):
    """``a = max(0, z)``."""
    return _elementwise(_relu_forward, "relu_forward", (z,), (0,))


def relu_backward(grad_a, a):
    """``∂L/∂z = ∂L/∂a`` where ``a > 0``, else 0."""
    check_gradient("relu_backward", grad_a, a.shape)
    return _elementwise(_relu_backward, "relu_backward", (grad_a, a), (0,))


def sigmoid_forward(z):
    """``a = σ(z) = 1 / (1 + e^{−z})``, as ``1/(1+e^{−|z|})`` or ``e^{−|z|}/(1+e^{−|z|})`` by the sign of z."""
    return _elementwise(_sigmoid_forward, "sigmoid_forward", (z,), (0, 1))


def sigmoid_backward(grad_a, a):
    """``∂L/∂z = ∂L/∂a · a(1 − a)``."""
    check_gradient("sigmoid_backward", grad_a, a.shape)
    return _elementwise(_sigmoid_backward, "sigmoid_backward", (grad_a, a), (1,))


def tanh_forward(z):
    """``a = tanh(z)``."""
    return _elementwise(_tanh_forward, "tanh_forward", (z,), ())


def tanh_backward(grad_a, a):
    """``∂L/∂z = ∂L/∂a · (1 − a²)``."""
    check_gradient("tanh_backward", grad_a, a.shape)
    return _elementwise(_tanh_backward, "tanh_backward", (grad_a, a), (1,))


def _row_launch(kernel, where, inputs):
    """Run ``kernel(*inputs, out, width, zero)``, one thread per row of the last axis (of length ``width``), over
    flattened arrays of one shape; returns ``out``, a new device array."""
    if len(np.shape(inputs[0])) == 0:
        raise ShapeError(f"{where}: expected an array with a last axis to normalise over, got a scalar")
    dtype, first, flat, out = _same_shape_operands(where, inputs, "grad_s", "s")
    width = tuple(first.shape)[-1]  # (the simulator's shapes take no negative index)
    if width:
        _launch(kernel, first.size // width, *flat, out.reshape(-1), width, dtype.type(0))
    return out


def softmax_forward(z):
    """``s_k = e^{z_k − max_j z_j} / Σ_i e^{z_i − max_j z_j}`` along the last axis."""
    return _row_launch(_softmax_forward, "softmax_forward", (z,))


def softmax_backward(grad_s, s):
    """``∂L/∂z_k = s_k · (∂L/∂s_k − Σ_j ∂L/∂s_j · s_j)`` along the last axis."""
    check_gradient("softmax_backward", grad_s, s.shape)
    return _row_launch(_softmax_backward, "softmax_backward", (grad_s, s))


# ============================================================================================ batch norm, dropout
@functools.lru_cache(maxsize=None)
def _channel_sum_kernel(term, tile, dtype):
    """``partial[z, c] = Σ_{rows r of chunk z} t(r, c)`` over an ``(rows, channels)`` array, for the term
    ``t = a[r, c]`` (``term="value"``), ``(a[r, c] − centre[c]/m)²`` (``"squared_deviation"``: centre holds the
    channel sums, so ``centre/m`` is the mean) or ``a[r, c]·b[r, c]`` (``"product"``).

    Block ``(bx, z)`` of ``tile × tile`` threads: thread ``(tx, ty)`` adds the rows ``ty, ty + tile, …`` of chunk z
    for channel ``bx·tile + tx`` (neighbouring threads read neighbouring channels of a row: coalesced), then the
    block adds its ``tile`` row lanes in shared memory, in order.
    """
    T = tile
    item = numba.from_dtype(np.dtype(dtype))
    zero = np.dtype(dtype).type(0)
    SQUARED = term == "squared_deviation"
    PRODUCT = term == "product"

    def channel_sums(a, b, centre, m, partial, rows_per_chunk):
        lanes = cuda.shared.array((T, T), item)
        rows, channels = a.shape
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        c = cuda.blockIdx.x * T + tx
        z = cuda.blockIdx.y
        total = zero
        if c < channels:
            mean = centre[c] / m if SQUARED else zero
            for r in range(z * rows_per_chunk + ty, min(rows, (z + 1) * rows_per_chunk), T):
                if SQUARED:
                    deviation = a[r, c] - mean
                    total += deviation * deviation
                elif PRODUCT:
                    total += a[r, c] * b[r, c]
                else:
                    total += a[r, c]
        lanes[ty, tx] = total
        cuda.syncthreads()
        if ty == 0 and c < channels:
            for lane in range(1, T):
                total += lanes[lane, tx]
            partial[z, c] = total

    return _compile(_named(channel_sums, f"channel_sums_{term}"), threads=tile * tile)


def _channel_sums(term, a, b=None, centre=None):
    """Σ over the rows of an ``(m, C)`` device array of ``term`` (see ``_channel_sum_kernel``), one value per channel:
    a device array of shape (C,). The rows are cut into chunks so that about ``TARGET_BLOCKS`` blocks run; the
    chunks' partial sums are then added in order (``_sum_splits``), so the result does not depend on timing."""
    dtype = np.dtype(a.dtype)
    rows, channels = a.shape
    channel_blocks = -(-channels // TILE)
    chunks = max(1, min(-(-rows // TILE), TARGET_BLOCKS // channel_blocks, _MAX_GRID))
    rows_per_chunk = -(-rows // chunks)
    chunks = -(-rows // rows_per_chunk)
    partial = cuda.device_array((chunks, 1, channels), dtype)
    kernel = _channel_sum_kernel(term, TILE, dtype)
    _configure(kernel, (channel_blocks, chunks), (TILE, TILE))(
        a, a if b is None else b, _dummy(dtype) if centre is None else centre, dtype.type(rows),
        partial.reshape((chunks, channels)), rows_per_chunk)
    sums = cuda.device_array((1, channels), dtype)
    _launch(_sum_splits, channels, partial, sums, _dummy(dtype), False)
    return sums.reshape(channels)


@_kernel
def _batch_norm_statistics(sums, squares, moving_mean, moving_variance, mean, inv_std, new_mean, new_variance,
                           m, momentum, one_minus_momentum, epsilon, one, training):
    """One thread per channel: ``μ = Σx/m`` and ``σ² = Σ(x − μ)²/m`` in training (and the moving averages
    ``momentum·old + (1 − momentum)·new``), the moving averages in inference; then ``1/sqrt(σ² + ε)``."""
    for c in range(cuda.grid(1), mean.size, cuda.gridsize(1)):
        if training:
            mu = sums[c] / m
            variance = squares[c] / m
            new_mean[c] = momentum * moving_mean[c] + one_minus_momentum * mu
            new_variance[c] = momentum * moving_variance[c] + one_minus_momentum * variance
        else:
            mu = moving_mean[c]
            variance = moving_variance[c]
        mean[c] = mu
        inv_std[c] = one / math.sqrt(variance + epsilon)


@_kernel
def _batch_norm_normalise(x, mean, inv_std, gamma, beta, x_hat, y):
    """One thread per element: ``x̂ = (x − μ)·inv_std``, ``y = γ·x̂ + β`` (its channel is the flat index mod C)."""
    channels = mean.size
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        c = i % channels
        normalised = (x[i] - mean[c]) * inv_std[c]
        x_hat[i] = normalised
        y[i] = gamma[c] * normalised + beta[c]


@_kernel
def _batch_norm_input_gradient(grad_y, x_hat, gamma, inv_std, grad_gamma, grad_beta, grad_x, m, training):
    """One thread per element: ``∂L/∂x = γ·inv_std/m · (m·∂L/∂y − ∂L/∂β − x̂·∂L/∂γ)`` in training, else
    ``∂L/∂y·γ·inv_std``."""
    channels = gamma.size
    for i in range(cuda.grid(1), grad_y.size, cuda.gridsize(1)):
        c = i % channels
        scale = gamma[c] * inv_std[c]
        if training:
            grad_x[i] = scale / m * (m * grad_y[i] - grad_beta[c] - x_hat[i] * grad_gamma[c])
        else:
            grad_x[i] = grad_y[i] * scale


def _channel_operands(where, name, x, per_channel):
    """``(dtype, x, rows, per_channel arrays)``: x (called ``name``) as a device array viewed ``(m, C)``, the others
    as device arrays of shape (C,)."""
    dtype = _dtype_of(x, f"{where}: {name}")
    x = _operand(x, dtype, f"{where}: {name}")
    if len(x.shape) < 2 or x.size == 0:
        raise ShapeError(f"{where}: expected {name} of shape (N, ..., C) with at least one value per channel, got "
                         f"{tuple(x.shape)}")
    channels = x.shape[len(x.shape) - 1]
    rows = x.reshape((x.size // channels, channels))
    return dtype, x, rows, [_operand(array, dtype, f"{where}: {label}", shape=(channels,))
                            for label, array in per_channel]


def batch_norm_forward(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon, training):
    """Batch normalisation over every axis but the last (equations in ``numpy_kernels.batch_norm_forward``):
    ``(y, x_hat, inv_std, moving_mean, moving_variance)``, device arrays; the moving averages are new arrays in
    training and the ones given in inference. Two passes over x for the statistics (the sums, then the squared
    deviations from the mean, as NumPy's ``var``), then one that writes x̂ and y."""
    dtype, x, rows, (gamma, beta, moving_mean, moving_variance) = _channel_operands(
        "batch_norm_forward", "x", x, (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                                  ("moving_variance", moving_variance)))
    m, channels = rows.shape
    mean, inv_std = cuda.device_array(channels, dtype), cuda.device_array(channels, dtype)
    if training:
        sums = _channel_sums("value", rows)
        squares = _channel_sums("squared_deviation", rows, centre=sums)
        new_mean, new_variance = cuda.device_array(channels, dtype), cuda.device_array(channels, dtype)
    else:  # the statistics kernel reads the moving averages and writes no new ones
        sums = squares = _dummy(dtype)
        new_mean, new_variance = moving_mean, moving_variance
    _launch(_batch_norm_statistics, channels, sums, squares, moving_mean, moving_variance, mean, inv_std, new_mean,
            new_variance, *[dtype.type(c) for c in (m, momentum, 1 - momentum, epsilon, 1)], bool(training))
    x_hat, y = cuda.device_array(x.shape, dtype), cuda.device_array(x.shape, dtype)
    _launch(_batch_norm_normalise, x.size, x.reshape(-1), mean, inv_std, gamma, beta, x_hat.reshape(-1),
            y.reshape(-1))
    return y, x_hat, inv_std, new_mean, new_variance


def batch_norm_backward(grad_y, x_hat, inv_std, gamma, training):
    """``(∂L/∂x, ∂L/∂γ, ∂L/∂β)`` of ``batch_norm_forward`` (equations in ``numpy_kernels.batch_norm_backward``):
    the two channel sums, then one pass for ∂L/∂x."""
    check_gradient("batch_norm_backward", grad_y, x_hat.shape)
    dtype, grad_y, rows, (inv_std, gamma) = _channel_operands("batch_norm_backward", "grad_y", grad_y,
                                                              (("inv_std", inv_std), ("gamma", gamma)))
    x_hat = _operand(x_hat, dtype, "batch_norm_backward: x_hat", shape=tuple(grad_y.shape))
    grad_gamma = _channel_sums("product", rows, x_hat.reshape(rows.shape))
    grad_beta = _channel_sums("value", rows)
    grad_x = cuda.device_array(grad_y.shape, dtype)
    _launch(_batch_norm_input_gradient, grad_y.size, grad_y.reshape(-1), x_hat.reshape(-1), gamma, inv_std,
            grad_gamma, grad_beta, grad_x.reshape(-1), dtype.type(rows.shape[0]), bool(training))
    return grad_x, grad_gamma, grad_beta


_mix32 = _device(mix32)


@_kernel
def _dropout_mask(keep, key_low, key_high, threshold):
    """One thread per element: its keep bit, a hash of its flat index and the keys (``random_bits``)."""
    for i in range(cuda.grid(1), keep.size, cuda.gridsize(1)):
        keep[i] = _mix32(_mix32((i & 0xFFFFFFFF) ^ key_low) ^ key_high ^ (i >> 32)) >= threshold


def dropout_mask(shape, key_low, key_high, rate):
    """Dropout's keep-mask made on the GPU (a boolean device array): the bits of ``numpy_kernels.dropout_mask``,
    so nothing is drawn on the host or copied."""
    keep = cuda.device_array(tuple(shape), np.bool_)
    _launch(_dropout_mask, keep.size, keep.reshape(-1), int(key_low), int(key_high), keep_threshold(rate))
    return keep


@_kernel
def _masked_scale(x, keep, scale, zero, out):
    """``x · (keep · scale)``, a product also where ``keep`` is False, so that NaN and infinity stay NaN there as
    on the host (writing 0 would hide a NaN from the next layer's check)."""
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = x[i] * (scale if keep[i] else zero)


def apply_dropout_mask(x, keep, scale):
    """``x · keep · scale``: x where ``keep`` (booleans, the same shape) is True, times ``scale``, else 0 (NaN for
    NaN or infinity, as on the host)."""
    dtype = _dtype_of(x, "apply_dropout_mask: x")
    x = _operand(x, dtype, "apply_dropout_mask: x")
    keep = _operand(keep, np.dtype(np.bool_), "apply_dropout_mask: keep", shape=tuple(x.shape))
    out = cuda.device_array(x.shape, dtype)
    _launch(_masked_scale, x.size, x.reshape(-1), keep.reshape(-1), dtype.type(scale), dtype.type(0), out.reshape(-1))
    return out


# ============================================================================================ losses
# One thread per sample (a row of ``width`` predictions): it writes the row's ∂L/∂ŷ and its share of the loss,
# ``terms[n]``; the host adds the N terms up (the loss and the per-sample terms are the only numbers that come back).
@_kernel
def _mean_squared_error_terms(y_true, y_pred, terms, grad, width, scale, half, zero):
    """``terms[n] = ½·scale·Σ_k (ŷ − y)²`` and ``∂L/∂ŷ = scale·(ŷ − y)``, scale = 1/(number of predictions)."""
    for row in range(cuda.grid(1), terms.size, cuda.gridsize(1)):
        total = zero
        for k in range(row * width, row * width + width):
            difference = y_pred[k] - y_true[k]
            total += difference * difference
            grad[k] = scale * difference
        terms[row] = half * scale * total


@_kernel
def _binary_crossentropy_terms(y_true, y_pred, terms, grad, width, scale, from_logits, epsilon, slack, zero, one):
    """Probabilities p clipped to [ε, 1 − ε]: ``−scale·Σ_k [y·log p + (1 − y)·log(1 − p)]``,
    ``∂L/∂p = scale·(p − y)/(p(1 − p))``; a sample's term is NaN where one of its p lies more than ``slack``
    outside [0, 1] (or is NaN), for the host to name. Logits z: ``scale·Σ_k [max(z, 0) − z·y + log(1 + e^{−|z|})]``,
    ``∂L/∂z = scale·(σ(z) − y)``."""
    for row in range(cuda.grid(1), terms.size, cuda.gridsize(1)):
        total = zero
        outside = False
        for k in range(row * width, row * width + width):
            y = y_true[k]
            if from_logits:
                z = y_pred[k]
                e = math.exp(-abs(z))
                total += max(z, zero) - z * y + math.log1p(e)
                sigmoid = one / (one + e) if z >= zero else e / (one + e)
                grad[k] = scale * (sigmoid - y)
            else:
                p = y_pred[k]
                outside = outside or not -slack <= p <= one + slack
                p = min(max(p, epsilon), one - epsilon)
                total -= y * math.log(p) + (one - y) * math.log(one - p)
                grad[k] = scale * (p - y) / (p * (one - p))
        if outside:
            terms[row] = math.nan
        else:
            terms[row] = scale * total


@_kernel
def _categorical_crossentropy_terms(y_true, y_pred, terms, grad, width, scale, from_logits, epsilon, slack, row_slack,
                                    zero, one):
    """scale = 1/N. Probabilities p clipped to [ε, 1]: ``−scale·Σ_k y·log p``, ``∂L/∂p = −scale·y/p``; a sample's
    term is NaN where one of its p lies more than ``slack`` outside [0, 1] (or is NaN) or its row sums to more
    than ``row_slack`` away from 1, for the host to name. Logits z: ``log p_k = z_k − log Σ_j e^{z_j}`` (the row's
    max m taken out first: ``(z_k − m) − log Σ_j e^{z_j − m}``, as the host computes it; ``z_k − (m + log Σ)`` would
    lose the sum to rounding beside large logits), ``∂L/∂z = scale·(softmax(z)·Σ_k y − y)``."""
    for row in range(cuda.grid(1), terms.size, cuda.gridsize(1)):
        start = row * width
        total = zero
        outside = False
        if from_logits:
            largest = y_pred[start]
            for k in range(start + 1, start + width):
                largest = max(largest, y_pred[k])
            exponentials = zero
            label_sum = zero
            for k in range(start, start + width):
                exponentials += math.exp(y_pred[k] - largest)
                label_sum += y_true[k]
            log_sum = math.log(exponentials)  # of the shifted logits: z − max − log_sum keeps log_sum's digits
            for k in range(start, start + width):
                log_p = (y_pred[k] - largest) - log_sum
                total -= y_true[k] * log_p
                grad[k] = scale * (math.exp(log_p) * label_sum - y_true[k])
        else:
            row_sum = zero
            for k in range(start, start + width):
                p = y_pred[k]
                row_sum += p
                outside = outside or not -slack <= p <= one + slack
                p = min(max(p, epsilon), one)
                total -= y_true[k] * math.log(p)
                grad[k] = -scale * y_true[k] / p
            outside = outside or not one - row_slack <= row_sum <= one + row_slack
        if outside:
            terms[row] = math.nan
        else:
            terms[row] = scale * total


def _loss_launch(kernel, where, y_true, y_pred, scale_by_samples, constants):
    """Run a loss kernel ``kernel(y_true, y_pred, terms, grad, width, scale, *constants)`` over the samples (the
    first axis) and return ``(terms, grad)``: device arrays of shapes (N,) and that of ``y_pred``. ``scale`` is
    1/N when ``scale_by_samples``, else 1/(number of predictions)."""
    dtype = _dtype_of(y_pred, f"{where}: y_pred")
    y_pred = _operand(y_pred, dtype, f"{where}: y_pred")
    shape = tuple(y_pred.shape)
    if len(shape) == 0 or shape[0] == 0 or y_pred.size == 0:
        raise ShapeError(f"{where}: expected predictions with at least one sample and one value, got shape {shape}")
    y_true = _operand(y_true, dtype, f"{where}: y_true", shape=shape)
    samples = shape[0]
    terms, grad = cuda.device_array(samples, dtype), cuda.device_array(shape, dtype)
    scale = 1 / samples if scale_by_samples else 1 / y_pred.size
    _launch(kernel, samples, y_true.reshape(-1), y_pred.reshape(-1), terms, grad.reshape(-1), y_pred.size // samples,
            dtype.type(scale), *[c if isinstance(c, bool) else dtype.type(c) for c in constants])
    return terms, grad


def mean_squared_error_terms(y_true, y_pred):
    """Per-sample terms of ``L = 1/(2·size) Σ (y − ŷ)²`` (they add up to L) and ``∂L/∂ŷ = (ŷ − y)/size``."""
    return _loss_launch(_mean_squared_error_terms, "mean_squared_error_terms", y_true, y_pred, False, (0.5, 0))


def binary_crossentropy_terms(y_true, y_pred, from_logits, epsilon, slack):
    """Per-sample terms and gradient of the binary cross-entropy (formulas in ``losses.BinaryCrossentropy``); on
    probabilities, a sample's term is NaN where one lies more than ``slack`` outside [0, 1]."""
    return _loss_launch(_binary_crossentropy_terms, "binary_crossentropy_terms", y_true, y_pred, False,
                        (bool(from_logits), epsilon, slack, 0, 1))


def categorical_crossentropy_terms(y_true, y_pred, from_logits, epsilon, slack, row_slack):
    """Per-sample terms and gradient of the categorical cross-entropy (``losses.CategoricalCrossentropy``); on
    probabilities, a sample's term is NaN where one lies more than ``slack`` outside [0, 1] or its row sums to more
    than ``row_slack`` away from 1."""
    return _loss_launch(_categorical_crossentropy_terms, "categorical_crossentropy_terms", y_true, y_pred, True,
                        (bool(from_logits), epsilon, slack, row_slack, 0, 1))


# ============================================================================================ optimizers
@_kernel
def _adam_update(param, grad, m, v, learning_rate, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon,
                 correction_1, correction_2):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = grad[i]
        m[i] = beta_1 * m[i] + one_minus_beta_1 * g
        v[i] = beta_2 * v[i] + one_minus_beta_2 * g * g
        param[i] -= learning_rate * (m[i] / correction_1) / (math.sqrt(v[i] / correction_2) + epsilon)


@_kernel
def _sgd_update(param, grad, learning_rate):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        param[i] -= learning_rate * grad[i]


@_kernel
def _sgd_momentum_update(param, grad, velocity, learning_rate, momentum, nesterov):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = grad[i]
        step = momentum * velocity[i] - learning_rate * g
        velocity[i] = step
        if nesterov:
            param[i] += momentum * step - learning_rate * g
        else:
            param[i] += step


@contextlib.contextmanager
def _in_place(arrays, where):
    """Device views of arrays updated in place; host arrays (C-contiguous or not) are copied there and back
    afterwards."""
    dtype = _dtype_of(arrays[0], f"{where}: param")
    shape = tuple(arrays[0].shape)
    views = []
    for array in arrays:
        if is_device_array(array):
            views.append(_operand(array, dtype, f"{where}: state", shape=shape))
        elif isinstance(array, np.ndarray) and array.dtype == dtype and array.shape == shape:
            views.append(to_device(np.ascontiguousarray(array)))
        else:
            raise ValueError(f"{where}: arrays updated in place must be {dtype} arrays of shape {shape}")
    yield [view.reshape(-1) for view in views]
    for array, view in zip(arrays, views):
        if not is_device_array(array):
            array[...] = view.copy_to_host()


def adam_update(param, grad, m, v, learning_rate, beta_1, beta_2, epsilon, correction_1, correction_2):
    """One Adam step in place on ``param``, ``m`` and ``v`` (equations in ``numpy_kernels.adam_update``)."""
    with _in_place((param, m, v), "adam_update") as (param_d, m_d, v_d):
        dtype = np.dtype(param_d.dtype)
        grad_d = _operand(grad, dtype, "adam_update: grad", shape=tuple(param.shape)).reshape(-1)
        constants = [dtype.type(c) for c in (learning_rate, beta_1, 1 - beta_1, beta_2, 1 - beta_2, epsilon,
                                             correction_1, correction_2)]
        _launch(_adam_update, param_d.size, param_d, grad_d, m_d, v_d, *constants)


def sgd_update(param, grad, velocity, learning_rate, momentum, nesterov):
    """One SGD step in place (Keras' form): ``w ← w − α·g``; with momentum μ ``v ← μ·v − α·g``, then ``w ← w + v``
    (or ``w ← w + μ·v − α·g`` with Nesterov). ``velocity`` is None when μ = 0."""
    plain = velocity is None or momentum == 0
    with _in_place((param,) if plain else (param, velocity), "sgd_update") as views:
        dtype = np.dtype(views[0].dtype)
        grad_d = _operand(grad, dtype, "sgd_update: grad", shape=tuple(param.shape)).reshape(-1)
        if plain:
            _launch(_sgd_update, views[0].size, views[0], grad_d, dtype.type(learning_rate))
        else:
            _launch(_sgd_momentum_update, views[0].size, views[0], grad_d, views[1], dtype.type(learning_rate),
                    dtype.type(momentum), bool(nesterov))


# ============================================================================================ arrays
@_kernel
def _fill(array, value):
    for i in range(cuda.grid(1), array.size, cuda.gridsize(1)):
        array[i] = value


@_kernel
def _cast(source, out):
    for i in range(cuda.grid(1), source.size, cuda.gridsize(1)):
        out[i] = source[i]


def astype(array, dtype):
    """The device array ``array`` in ``dtype``: itself where it has that dtype, else a copy converted on the GPU
    (NumPy's ``astype``), for a model whose layers compute in different dtypes (a float64 layer among float32 ones,
    whose input the host backends cast the same way)."""
    dtype = np.dtype(dtype)
    if np.dtype(array.dtype) == dtype:
        return array
    out = cuda.device_array(array.shape, dtype)
    _launch(_cast, array.size, array.reshape(-1), out.reshape(-1))
    return out


@_kernel
def _flag_not_finite(values, flags, slot):
    for i in range(cuda.grid(1), values.size, cuda.gridsize(1)):
        if not math.isfinite(values[i]):
            flags[slot] = 1  # every thread that finds one writes the same 1: no atomic needed


def not_finite(arrays):
    """For each array, whether it holds NaN or infinity, checked on the device: one launch per array sets its flag
    in a small int32 array there, and only the flags come back (4 bytes an array), not the arrays. A training step
    checks its gradients before the update and its weights after it, as the host backends do."""
    if not arrays:
        return []
    flags = cuda.to_device(np.zeros(len(arrays), np.int32))
    for slot, array in enumerate(arrays):
        what = f"not_finite: arrays[{slot}]"
        values = _operand(array, _dtype_of(array, what), what)
        _launch(_flag_not_finite, values.size, values.reshape(-1), flags, slot)
    return [bool(flag) for flag in flags.copy_to_host()]


def is_device_array(array):
    """True for numba device arrays (GPU memory, or the simulator's stand-in)."""
    return cuda is not None and cuda.devicearray.is_cuda_ndarray(array)


def to_device(array):
    """A device array with the values of ``array`` (copied to the GPU); a device array is returned unchanged."""
    if is_device_array(array):
        return array
    return cuda.to_device(np.ascontiguousarray(array))


def to_host(array):
    """The array as a NumPy array on the host (copied from the GPU); a NumPy array passes through."""
    if is_device_array(array):
        return array.copy_to_host()
    return np.asarray(array)


def zeros(shape, dtype):
    """A device array of zeros."""
    array = cuda.device_array(tuple(shape), np.dtype(dtype))
    if array.size:
        _launch(_fill, array.size, array.reshape(-1), np.dtype(dtype).type(0))
    return array


def zeros_like(array):
    """Zeros of the same shape and dtype, on the device."""
    return zeros(array.shape, array.dtype)


def _launch(kernel, size, *args):
    """A 1-D grid-stride kernel over ``size`` elements, ``TILE²`` threads per block, at most
    ``ANY_REGISTERS_THREADS``: these kernels are compiled once for every tile size, so without a launch bound, and
    a larger block of one that uses more than 64 registers (``categorical_crossentropy_terms`` in float64 uses 72)
    would not launch. Fewer than ``size`` elements take the whole warps that cover them: a GPU runs whole warps
    anyway, and the simulator, which runs each thread of a block as a Python thread, started 256 for a bias of 3."""
    if size == 0:
        return
    threads = min(TILE * TILE, ANY_REGISTERS_THREADS, WARP * -(-size // WARP))
    _configure(kernel, min(-(-size // threads), 1 << 20), threads)(*args)


def _configure(kernel, grid, block):
    """``kernel[grid, block]``, without numba-cuda's low-occupancy warning for a grid of fewer than 128 blocks: a
    small layer (the last dense layer, a bias, the loss) makes a small grid by nature, and the warning, shown again
    for every new grid size, would tell a user of minicnn nothing to act on."""
    blocks = math.prod(grid) if isinstance(grid, tuple) else grid
    if blocks >= _FEW_BLOCKS:
        return kernel[grid, block]
    with warnings.catch_warnings():  # a few µs, paid only by these small launches
        warnings.filterwarnings("ignore", message=r".*Grid size \d+ will likely result in GPU under-utilization")
        return kernel[grid, block]


@functools.lru_cache(maxsize=None)
def _dummy(dtype, ndim=1):
    """A one-element device array for an argument a kernel does not read (no bias, no argmax)."""
    return cuda.device_array((1,) * ndim, np.dtype(dtype))


def _dtype_of(array, what):
    dtype = np.dtype(array.dtype if hasattr(array, "dtype") else np.asarray(array).dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{what}: the cuda backend computes in float32 or float64, got dtype {dtype}")
    return dtype


def _operand(array, dtype, what, ndim=None, shape=None):
    """``array`` as a C-contiguous device array of ``dtype`` (host arrays are converted and copied; device arrays
    must already match, since converting them would be a hidden copy), its shape checked (None matches any)."""
    if is_device_array(array):
        if np.dtype(array.dtype) != dtype:
            raise TypeError(f"{what}: expected a {dtype} device array, got {array.dtype}")
        if not array.is_c_contiguous():
            raise ValueError(f"{what}: device arrays must be C-contiguous")
    else:
        array = cuda.to_device(np.ascontiguousarray(array, dtype=dtype))
    if ndim is not None and len(array.shape) != ndim:
        raise ShapeError(f"{what}: expected an array of rank {ndim}, got shape {tuple(array.shape)}")
    if shape is not None and (len(shape) != len(array.shape) or
                              any(s is not None and s != a for s, a in zip(shape, array.shape))):
        expected = "(" + ", ".join("…" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ShapeError(f"{what}: expected shape {expected}, got {tuple(array.shape)}")
    return array
