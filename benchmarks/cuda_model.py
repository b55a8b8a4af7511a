"""What the cuda backend's kernels should reach on an H100, read from their machine code: a roofline estimate.

    python benchmarks/cuda_model.py       # needs no GPU: pip install -e ".[bench]" brings the CUDA compilers

No GPU has run these kernels yet; this script says what they should do on one, so that the design can be judged
before it is measured (``python benchmarks/conv.py`` on a GPU measures it). For every tiled product that minicnn
launches for the shapes of ``benchmarks/conv.py`` and for one training step of the document's network, it takes
the kernel exactly as the backend would launch it (variant, outputs per thread and grid from ``_plan``), compiles
it for sm_90 (numba-cuda → PTX → ``ptxas`` → SASS, disassembled by ``nvdisasm``) and reads

- from ``ptxas -v``: registers, shared memory and spills per thread, hence how many blocks fit on an SM;
- from the SASS: the instructions one warp issues per step of the reduction (TILE terms: the loads into the shared
  tiles, the barriers, the shared-memory reads and the FMAs of the main loop, inner loops counted times their trip
  count). Both sides of a branch are counted, so this is at most a few instructions pessimistic.

The model: an H100 SM has 4 warp schedulers, each issuing at most one instruction per cycle, and 128 fp32 lanes, so
a scheduler's 32 lanes finish one warp's FFMA per cycle. A kernel whose warps issue ``I`` instructions per step for
``F`` FFMAs reaches at most ``F / I`` of the fp32 peak (the *issue bound*); the time of a product is then the
issue cycles of the busiest scheduler (blocks are spread over 132 SMs, 8 warps a block, 2 per scheduler), or the
time to move its bytes from HBM or L2 if that is longer. Latency is not modelled, only checked in the machine code:
"loads overlap FMAs" says whether a warp issues the next step's global loads before the FMAs of this step (so their
latency passes while it computes); the barriers' waits remain, and with only 2 warps per scheduler (one block on
an SM) little else hides them, so read every time as "at best". Elementwise, pooling and
optimizer kernels are bound by memory: their bytes over the HBM bandwidth. Each launch costs host time: numba-cuda
packs every argument in Python, so a launch costs a fixed part plus a part per array and per scalar argument (a
tuple counts as its elements), plus the allocation of its outputs (``launch_us``; the figures are in ``H100``).

Prints the tables and writes ``cuda_model.json`` and ``cuda_model.md`` into ``--out`` (``benchmarks/results`` unless
told; ``--no-write`` writes nothing).
"""

import argparse
import collections
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import types as pytypes

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from minicnn.cli_options import output_folder  # noqa: E402
from minicnn.track.sequences import atomic_write_text  # noqa: E402

#: the machine modelled: H100 SXM5 (datasheet figures, except where marked assumed)
H100 = {
    "name": "H100 SXM",
    "sms": 132,
    "schedulers_per_sm": 4,
    "clock_ghz": 1.98,  # boost clock; 132 SMs × 128 lanes × 2 FLOP × 1.98 GHz = 66.9 TFLOP/s
    "fp32_lanes_per_sm": 128,
    "hbm_tb_s": 3.35,
    "l2_tb_s": 5.5,  # assumed: not a datasheet figure; the order of magnitude of published measurements
    "registers_per_sm": 65536,
    "shared_bytes_per_sm": 233472,  # 228 KiB, of which each block also reserves 1 KiB
    "threads_per_sm": 2048,
    "blocks_per_sm": 32,
    # host cost of one numba-cuda launch, which packs every argument in Python (ctypes): an empty kernel and the
    # step per 1-D array are numba-cuda's own benchmark (NVIDIA/numba-cuda PR #288, 2025: 6.6 µs with no argument,
    # 10.6 with one float32[:], 14.1 with two); a scalar (each element of a tuple is one) and the allocation of an
    # output (cuda.device_array, through the driver) are assumed
    "launch_empty_us": 6.6,
    "launch_per_array_us": 3.7,
    "launch_per_scalar_us": 1.0,
    "allocation_us": 5.0,
    "host_copy_gb_s": 20.0,  # assumed: a copy from pageable host memory over PCIe 5
}
#: minicnn's own Python around the launches of one training step of the document's network at batch 256: its kernel
#: functions' checks, plans and reshapes, the layers, model, loss and optimizer. Measured, not assumed, with every
#: launch (its configuration included) skipped on the simulator: the fastest round of ``NUMBA_ENABLE_CUDASIM=1 python
#: benchmarks/cuda_profile.py --no-launch --steps 200 --rounds 7`` (1.12, 1.23 and 1.23 ms in three runs on a 2-core
#: machine of this project, 2026-12-07, with the NaN checks of the gradients and weights; 0.91 ms without them that
#: day, 0.99–1.01 ms on 2026-12-06; up to 1.5 ms while the machine was busy). The simulator's array wrappers stand in
#: for numba-cuda's device arrays there; the launches themselves are modelled (``launch_us``).
PYTHON_AROUND_LAUNCHES_US = 1200.0
H100["fp32_peak_tflops"] = H100["sms"] * H100["fp32_lanes_per_sm"] * 2 * H100["clock_ghz"] / 1000
#: a guess, not a measurement: the share of the fp32 peak cuDNN's and cuBLAS's float32 kernels reach on large layers
CUDNN_GUESS = 0.70
#: how many times fewer multiplications Winograd's F(2×2, 3×3) does than the direct sum, for 3×3 kernels: 36 ÷ 16
WINOGRAD_SAVING = 36 / 16
ITEM = 4  # bytes of a float32


# ============================================================================================ reading the machine code
def find_tool(name):
    """The path of a CUDA tool: PyPI's nvidia-cuda-nvcc / nvidia-cuda-nvdisasm (the version that matches PyPI's
    libNVVM), else the PATH, else $CUDA_HOME/bin."""
    try:
        import nvidia
        for root in nvidia.__path__:
            for sub in ("cu13", "cuda_nvcc", "cuda_nvdisasm"):
                path = os.path.join(root, sub, "bin", name)
                if os.path.exists(path):
                    return path
    except ImportError:
        pass
    found = shutil.which(name)
    if found:
        return found
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    if home and os.path.exists(os.path.join(home, "bin", name)):
        return os.path.join(home, "bin", name)
    raise SystemExit(f"cuda_model: {name} not found; install the CUDA compilers with pip install -e \".[bench]\" "
                     f"(nvidia-cuda-nvcc, nvidia-cuda-nvdisasm) or put a CUDA toolkit's bin folder on the PATH")


def parse_sass(text):
    """The instructions and labels of ``nvdisasm`` output, in order: ``("label", name)`` or ``("op", opcode,
    branch_target)``, the opcode without predicate or modifiers (``FFMA``, ``LDS``, ``BAR``, ``BRA``, ...)."""
    items = []
    for line in text.splitlines():
        line = line.strip()
        label = re.match(r"^(\.L_x_\d+):", line)
        if label:
            items.append(("label", label.group(1)))
            continue
        instruction = re.match(r"^/\*[0-9a-f]+\*/\s+(.*?)\s*;", line)
        if instruction:
            body = re.sub(r"^@!?U?P\w+\s+", "", instruction.group(1))
            target = re.search(r"\((\.L_x_\d+)\)", body)
            items.append(("op", body.split()[0].split(".")[0], target.group(1) if target else None))
    return items


def _loops(items):
    """``(start, end)`` index pairs of the loops: a branch back to a label above it."""
    where = {}
    loops = []
    for index, item in enumerate(items):
        if item[0] == "label":
            where[item[1]] = index
        elif item[1] == "BRA" and item[2] in where:
            loops.append((where[item[2]], index))
    return loops


def _count(items, start, end, skip=()):
    counts = collections.Counter()
    for index in range(start, end + 1):
        if items[index][0] == "op" and not any(a <= index <= b for a, b in skip):
            counts[items[index][1]] += 1
    return counts


def _main_loop(items):
    """``(start, end)`` of the main loop: the innermost loop that holds the barriers."""
    main = [loop for loop in _loops(items) if _count(items, *loop)["BAR"]]
    if not main:
        raise ValueError("no loop with a barrier in this SASS: not a tiled product")
    return min(main, key=lambda loop: loop[1] - loop[0])


def loads_overlap_fmas(items, fma="FFMA"):
    """True when the main loop fetches the next step while it computes: it first stores into the shared tiles
    (values loaded during the previous step), then issues its global loads ahead of its FMAs (the scheduler may
    slip the last loads among the first FMAs), so the loads' latency passes while the FMAs run. False when a store
    waits on each load before the next one is issued (the latency of every load exposed, unless other warps have
    work)."""
    start, end = _main_loop(items)
    order = [item[1] for item in items[start:end + 1] if item[0] == "op"]
    loads = [index for index, op in enumerate(order) if op == "LDG"]
    stores = [index for index, op in enumerate(order) if op == "STS"]
    fmas = [index for index, op in enumerate(order) if op == fma]
    return bool(loads and stores and fmas) and max(stores) < min(loads) < min(fmas) and max(loads) < max(fmas)


def step_mix(items, fmas_per_step, fma="FFMA"):
    """The instructions a warp issues in one step of the main loop (the loop with the barriers), as a Counter: the
    main loop's own instructions, plus each loop inside it times its trip count, which follows from the FMAs one
    step must do (``fmas_per_step`` = TILE · rows_work · cols_work)."""
    loops = _loops(items)
    main = _main_loop(items)
    inner = [loop for loop in loops if main[0] < loop[0] and loop[1] < main[1]]
    inner = [loop for loop in inner if not any(o != loop and o[0] <= loop[0] and loop[1] <= o[1] for o in inner)]
    mix = _count(items, *main, skip=inner)
    for loop in inner:
        body = _count(items, *loop)
        if not body[fma]:
            raise ValueError(f"a loop without {fma} inside the main loop: its trip count is unknown")
        trips, rest = divmod(fmas_per_step - mix[fma], body[fma])
        if rest or trips < 1:
            raise ValueError(f"inner loop of {body[fma]} {fma} does not divide the {fmas_per_step} per step")
        mix.update({op: count * trips for op, count in body.items()})
    if mix[fma] != fmas_per_step:
        raise ValueError(f"counted {mix[fma]} {fma} per step, expected {fmas_per_step}")
    return mix


def _ptxas_figures(log):
    registers = re.search(r"Used (\d+) registers", log)
    shared = re.search(r"(\d+) bytes smem", log)
    spills = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", log)
    return {"registers": int(registers.group(1)), "shared_bytes": int(shared.group(1)) if shared else 0,
            "spill_bytes": int(spills.group(1)) + int(spills.group(2)) if spills else 0}


#: (variant, rows_work, cols_work): the figures of that kernel, filled by analyse_product
ANALYSES = {}


def analyse_product(variant, rows_work, cols_work):
    """Compile one float32 product kernel for sm_90 and read its resources and its instructions per step."""
    if (variant, rows_work, cols_work) in ANALYSES:
        return ANALYSES[variant, rows_work, cols_work]
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        raise SystemExit("cuda_model: unset NUMBA_ENABLE_CUDASIM; the simulator cannot compile for a GPU")
    import numba.cuda.dispatcher
    from numba import cuda, types

    from minicnn.kernels import cuda as kernels

    # a device function called from a kernel asks the current device for its compute capability: say sm_90
    numba.cuda.dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=(9, 0))
    kernel = kernels._product_kernel(variant, kernels.TILE, rows_work, cols_work, np.dtype(np.float32))
    ptx, _ = cuda.compile_ptx(kernel.py_func, kernels._product_signature(variant, types.float32), cc=(9, 0))
    with tempfile.TemporaryDirectory() as folder:
        source, binary = os.path.join(folder, "k.ptx"), os.path.join(folder, "k.cubin")
        with open(source, "w") as file:
            file.write(ptx)
        done = subprocess.run([find_tool("ptxas"), "-arch=sm_90", "-v", source, "-o", binary], capture_output=True,
                              text=True, check=True)
        figures = _ptxas_figures(done.stdout + done.stderr)
        sass = subprocess.run([find_tool("nvdisasm"), "-c", binary], capture_output=True, text=True,
                              check=True).stdout
    items = parse_sass(sass)
    mix = step_mix(items, kernels.TILE * rows_work * cols_work)
    figures["loads_overlap_fmas"] = loads_overlap_fmas(items)
    figures.update(instructions_per_step=sum(mix.values()), ffma_per_step=mix["FFMA"], lds_per_step=mix["LDS"],
                   ldg_per_step=mix["LDG"], mix=dict(mix.most_common()))
    figures["issue_bound"] = figures["ffma_per_step"] / figures["instructions_per_step"]
    figures["blocks_per_sm"] = resident_blocks(figures["registers"], figures["shared_bytes"],
                                               kernels.TILE * kernels.TILE)
    ANALYSES[variant, rows_work, cols_work] = figures
    return figures


def resident_blocks(registers, shared_bytes, threads, gpu=H100):
    """Blocks of ``threads`` threads an SM holds at once, limited by registers (allocated per warp in units of
    256), shared memory (plus 1 KiB per block), threads and blocks."""
    warps = -(-threads // 32)
    per_warp = -(-registers * 32 // 256) * 256
    by_registers = gpu["registers_per_sm"] // (per_warp * warps)
    by_shared = gpu["shared_bytes_per_sm"] // (shared_bytes + 1024)
    return max(0, min(by_registers, by_shared, gpu["threads_per_sm"] // threads, gpu["blocks_per_sm"]))


# ============================================================================================ the products
Product = collections.namedtuple("Product", "layer what variant m n k a_bytes b_bytes")


def conv_products(layer, shape, c_out, kernel=(3, 3), input_gradient=True):
    """The tiled products of a stride-1 'same' convolution of an input ``shape`` = (N, H, W, C_in)."""
    n, h, w, c_in = shape
    taps = kernel[0] * kernel[1]
    pixels = n * h * w
    x_bytes, y_bytes, w_bytes = pixels * c_in * ITEM, pixels * c_out * ITEM, taps * c_in * c_out * ITEM
    products = [Product(layer, "forward", "conv_forward", pixels, c_out, taps * c_in, x_bytes, w_bytes)]
    if input_gradient:
        products.append(Product(layer, "grad_x", "conv_grad_input_unit_stride", pixels, c_in, taps * c_out, y_bytes,
                                w_bytes))
    products.append(Product(layer, "grad_W+b", "conv_grad_kernel", taps * c_in + 1, c_out, pixels, x_bytes, y_bytes))
    return products


def dense_products(layer, batch, inputs, outputs, input_gradient=True):
    x_bytes, z_bytes, w_bytes = batch * inputs * ITEM, batch * outputs * ITEM, inputs * outputs * ITEM
    products = [Product(layer, "forward", "dense_forward", batch, outputs, inputs, x_bytes, w_bytes)]
    if input_gradient:
        products.append(Product(layer, "grad_x", "dense_grad_input", batch, inputs, outputs, z_bytes, w_bytes))
    products.append(Product(layer, "grad_W+b", "dense_grad_kernel", inputs + 1, outputs, batch, x_bytes, z_bytes))
    return products


def model_product(product, gpu=H100):
    """Time, bound and traffic of one product as ``_product`` launches it (and its ``_sum_splits``, if split)."""
    from minicnn.kernels import cuda as kernels

    rows_work, cols_work, (row_tiles, col_tiles, splits), k_split = kernels._plan(product.m, product.n, product.k)
    tile = kernels.TILE
    code = analyse_product(product.variant, rows_work, cols_work)
    blocks = row_tiles * col_tiles * splits
    steps = k_split // tile  # of the fullest block
    warps_per_block = tile * tile // 32
    busiest_sm = -(-blocks // gpu["sms"])
    issue_cycles = busiest_sm * warps_per_block / gpu["schedulers_per_sm"] * steps * code["instructions_per_step"]
    compute_us = issue_cycles / (gpu["clock_ghz"] * 1000)
    out_bytes = product.m * product.n * splits * ITEM
    dram_bytes = product.a_bytes + product.b_bytes + out_bytes
    l2_bytes = blocks * steps * (tile * rows_work + tile * cols_work) * tile * ITEM + out_bytes
    times = {"compute": compute_us, "HBM": dram_bytes / (gpu["hbm_tb_s"] * 1e6),
             "L2": l2_bytes / (gpu["l2_tb_s"] * 1e6)}
    bound = max(times, key=times.get)
    gpu_us = times[bound]
    launches = [CONV_PRODUCT_LAUNCH if product.variant.startswith("conv") else DENSE_PRODUCT_LAUNCH]
    if splits > 1:  # _sum_splits reads every slice once and writes the result
        gpu_us += (splits + 1) * product.m * product.n * ITEM / (gpu["hbm_tb_s"] * 1e6)
        launches.append(SUM_SPLITS_LAUNCH)
    host_us = sum(launch_us(*launch, gpu=gpu) for launch in launches)
    flops = 2 * product.m * product.n * product.k
    return {
        "layer": product.layer, "product": product.what, "variant": product.variant,
        "m": product.m, "n": product.n, "k": product.k, "tile": f"{tile * rows_work}×{tile * cols_work}",
        "splits": splits, "blocks": blocks, "warps_per_scheduler": min(busiest_sm, code["blocks_per_sm"]) * 2,
        "gflop": flops / 1e9, "dram_mb": dram_bytes / 1e6, "l2_mb": l2_bytes / 1e6,
        "flop_per_dram_byte": flops / dram_bytes, "issue_bound": code["issue_bound"],
        "useful_share": product.m * product.n * product.k / (row_tiles * tile * rows_work * col_tiles * tile *
                                                             cols_work * -(-product.k // tile) * tile),
        "bound": bound, "gpu_us": gpu_us, "peak_share": flops / (gpu_us * 1e-6) / (gpu["fp32_peak_tflops"] * 1e12),
        "launches": len(launches), "host_us": host_us, "with_launch_us": gpu_us + host_us,
    }


def launch_us(arrays, scalars, outputs, gpu=H100):
    """Host time of one launch with ``arrays`` array and ``scalars`` scalar arguments that allocates ``outputs``
    arrays."""
    return (gpu["launch_empty_us"] + arrays * gpu["launch_per_array_us"] + scalars * gpu["launch_per_scalar_us"] +
            outputs * gpu["allocation_us"])


#: (arrays, scalars, outputs) of each launch: a product (a, b, out, bias; use_bias, 13 geometry numbers or 1, the
#: sizes, split and radices) and the sum of its split slices (partial, out, bias; use_bias)
CONV_PRODUCT_LAUNCH = (4, 1 + 13 + 6, 1)
DENSE_PRODUCT_LAUNCH = (4, 1 + 1 + 6, 1)
SUM_SPLITS_LAUNCH = (3, 1, 1)


def memory_kernel(layer, what, nbytes, launches, gpu=H100):
    """A kernel bound by memory bandwidth: its time is its bytes over HBM's bandwidth. ``launches``: the
    (arrays, scalars, outputs) of each launch it takes."""
    return {"layer": layer, "kernel": what, "mb": nbytes / 1e6, "gpu_us": nbytes / (gpu["hbm_tb_s"] * 1e6),
            "launches": len(launches), "host_us": sum(launch_us(*launch, gpu=gpu) for launch in launches)}


#: launches of BatchNormalization on the cuda backend: a channel sum (a, b, centre, partial; m, rows per chunk) and
#: the sum of its chunks; the per-channel statistics (8 arrays; m, momentum, 1 − momentum, ε, 1, training; 4 outputs);
#: x̂ and y (7 arrays, 2 outputs); ∂L/∂x (7 arrays; m, training)
CHANNEL_SUM_LAUNCHES = [(4, 2, 1), SUM_SPLITS_LAUNCH]
BATCH_NORM_FORWARD_LAUNCHES = 2 * CHANNEL_SUM_LAUNCHES + [(8, 6, 4), (7, 0, 2)]
BATCH_NORM_BACKWARD_LAUNCHES = 2 * CHANNEL_SUM_LAUNCHES + [(7, 2, 1)]
#: Dropout: its mask (keep; key_low, key_high, threshold; 1 output), then the multiply (x, keep, out; scale, zero),
#: forward and backward
DROPOUT_LAUNCHES = [(1, 3, 1), (3, 2, 1), (3, 2, 1)]


def batchnorm_dropout_rows(shape, gpu=H100):
    """BatchNormalization in training and Dropout, forward + backward, on an activation of ``shape``: kernels bound
    by memory (the per-channel arrays are negligible). BatchNorm forward reads x three times (Σx, Σ(x − μ)², then
    x̂ and y) and writes x̂ and y; backward reads ∂L/∂y three times and x̂ twice (Σ ∂L/∂y·x̂, Σ ∂L/∂y, ∂L/∂x) and
    writes ∂L/∂x. Dropout writes its one-byte mask (made on the device), then reads x and the mask and writes y, and
    the same for the gradient."""
    size = math.prod(shape)
    name = "×".join(str(d) for d in shape)
    return [memory_kernel(name, "BatchNorm forward (training)", 5 * size * ITEM, BATCH_NORM_FORWARD_LAUNCHES, gpu),
            memory_kernel(name, "BatchNorm backward", 6 * size * ITEM, BATCH_NORM_BACKWARD_LAUNCHES, gpu),
            memory_kernel(name, "Dropout mask, forward + backward", (1 + 2 * (2 * ITEM + 1)) * size, DROPOUT_LAUNCHES,
                          gpu)]


# ============================================================================================ the cases
def benchmark_rows(shapes):
    """Every product of forward + backward (input, kernel and bias gradients) for the shapes of conv.py."""
    rows = []
    for name, shape, c_out in shapes:
        rows += [model_product(p) for p in conv_products(name, shape, c_out)]
    return rows


def training_step(batch, image_size=32, gpu=H100):
    """One ``train_on_batch`` of the document's network (Adam) on the cuda backend: its products, memory-bound
    kernels, launches and host copies, layer by layer from ``document_network``."""
    from minicnn import layers as L
    from minicnn.models import document_network

    model = document_network(input_shape=(image_size, image_size, 1), seed=0)
    shape = (batch, image_size, image_size, 1)
    model.build(shape)
    products, others = [], []
    first_with_weights = True
    for layer in model.layers:
        out_shape = tuple(layer.compute_output_shape(shape))
        size_in, size_out = math.prod(shape), math.prod(out_shape)
        if isinstance(layer, L.Conv2D):
            products += [model_product(p) for p in conv_products(layer.name, shape, layer.filters, layer.kernel_size,
                                                                 input_gradient=not first_with_weights)]
            if not first_with_weights:
                kh, kw = layer.kernel_size
                others.append(memory_kernel(layer.name, "taps_first (kernel rearranged for ∂L/∂x)",
                                            2 * kh * kw * shape[3] * layer.filters * ITEM, [(2, 0, 1)]))
        elif isinstance(layer, L.Dense):
            products += [model_product(p) for p in dense_products(layer.name, batch, shape[1], layer.units,
                                                                  input_gradient=not first_with_weights)]
        elif isinstance(layer, L.MaxPooling2D):  # forward: x in, y and an int32 argmax out; backward: the reverse
            others.append(memory_kernel(layer.name, "max pool forward + backward",  # (x, y, argmax; 6 sizes), then
                                        (size_in + 2 * size_out) * ITEM * 2,  # (grad_y, argmax, grad_x; 7)
                                        [(3, 6, 2), (3, 7, 1)]))
        if getattr(layer, "params", None):
            first_with_weights = False
        activation = getattr(layer, "activation", None)
        if activation is not None:  # forward: z in, a out; backward: grad_a and a in, grad_z out
            others.append(memory_kernel(layer.name, f"{type(activation).__name__} forward + backward",
                                        (2 + 3) * size_out * ITEM, [(2, 2, 1), (3, 1, 1)]))
        shape = out_shape
    weights = [array.size for layer in model.layers for array in getattr(layer, "params", {}).values()]
    others.append(memory_kernel("Adam", f"update of {sum(weights):,} weights (param, grad, m, v in; param, m, v out)",
                                7 * sum(weights) * ITEM, [(4, 8, 0)] * len(weights)))
    # binary cross-entropy on the device: one thread per sample (labels, output in; terms, gradient out)
    others.append(memory_kernel("loss", "binary cross-entropy terms and gradient", 4 * batch * ITEM,
                                [(4, 5, 2)]))
    # the NaN checks (kernels.not_finite): every gradient before the update, every weight after it, one launch each
    # (values, flags; slot)
    others.append(memory_kernel("checks", f"NaN check of the {len(weights)} gradients, then of the {len(weights)} "
                                "weights", 2 * sum(weights) * ITEM, [(2, 1, 0)] * (2 * len(weights))))
    # the batch goes to the device, then the labels; the loss's per-sample terms come back, and each check's flags
    # go there zeroed and come back (~10 µs each, small)
    copy_us = (batch * image_size * image_size * ITEM) / (gpu["host_copy_gb_s"] * 1e3) + (2 + 4) * 10.0
    return products, others, copy_us


def step_totals(products, others, copy_us, batch, gpu=H100, python_us=PYTHON_AROUND_LAUNCHES_US):
    """A step's GPU time, launches and host time (the launches', the copies' and ``python_us`` of minicnn's own
    Python around the launches), and the images per second with host and GPU fully overlapped (best) or not at all
    (worst)."""
    gpu_us = sum(row["gpu_us"] for row in products) + sum(row["gpu_us"] for row in others)
    launches = sum(row["launches"] for row in products) + sum(row["launches"] for row in others)
    launch_host_us = sum(row["host_us"] for row in products) + sum(row["host_us"] for row in others)
    host_us = launch_host_us + copy_us + python_us
    flops = sum(row["gflop"] for row in products) * 1e9
    best, worst = max(gpu_us, host_us), gpu_us + host_us
    return {"batch": batch, "gpu_us": gpu_us, "launches": launches, "launch_host_us": launch_host_us,
            "host_us": host_us, "copy_us": copy_us, "python_us": python_us,
            "step_us_best": best, "step_us_worst": worst, "gflop": flops / 1e9,
            "peak_share": flops / (gpu_us * 1e-6) / (gpu["fp32_peak_tflops"] * 1e12),
            "images_per_s_best": batch / (best * 1e-6), "images_per_s_worst": batch / (worst * 1e-6)}


def case_summary(rows, gpu=H100):
    """Per benchmark case: forward and forward+backward times, and the ratio to a cuDNN that reached CUDNN_GUESS of
    the peak with the direct sum's arithmetic and to one that reached the whole peak (the most any direct or
    implicit-GEMM algorithm can). ``add_winograd_scenarios`` adds Winograd's fewer multiplications."""
    cases = collections.OrderedDict()
    for row in rows:
        case = cases.setdefault(row["layer"], {"forward_us": 0.0, "forward_launch_us": 0.0, "both_us": 0.0,
                                               "both_launch_us": 0.0, "gflop": 0.0})
        if row["product"] == "forward":
            case["forward_us"] += row["gpu_us"]
            case["forward_launch_us"] += row["with_launch_us"]
        case["both_us"] += row["gpu_us"]
        case["both_launch_us"] += row["with_launch_us"]
        case["gflop"] += row["gflop"]
    for case in cases.values():
        cudnn_us = case["gflop"] * 1e3 / (gpu["fp32_peak_tflops"] * CUDNN_GUESS)
        case["peak_share"] = case["gflop"] * 1e3 / case["both_us"] / gpu["fp32_peak_tflops"]
        case["ratio_to_cudnn_guess"] = case["both_us"] / cudnn_us
        case["ratio_to_cudnn_at_peak"] = 1.0 / case["peak_share"]
    return cases


def _measured_numba_rate():
    """The numba backend's training throughput in ``results/conv.json`` (images/s) where it was measured with 2
    Numba threads (the target is 20× the numba backend on 2 cores), else None: the text said ~1,300 after
    conv.json had measured 1,413 (found in review)."""
    try:
        with open(os.path.join(HERE, "results", "conv.json")) as file:
            record = json.load(file)
        rate = float(record["training_throughput"]["images_per_second"]["numba"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return rate if "Numba threads 2," in str(record.get("header", "")) else None


# ====================================================================================== Winograd: the 3× target's risk
def winograd_us(shape, c_out, fused, gpu=H100):
    """The fastest plausible time of each product of a 3×3, stride-1, ``same`` convolution computed with Winograd's
    F(2×2, 3×3) at CUDNN_GUESS of the peak: each 2×2 block of outputs comes from a 4×4 tile of inputs with 16
    multiplications per pair of channels instead of the direct sum's 4·9, done as 16 matrix products
    ``(tiles × C) · (C × C')``.

    ``fused``: the tile transforms happen on chip, so only the arithmetic counts. Not fused: the transforms write
    the 16 transformed matrices of the input tiles (V) and of the products (M) to memory and read them back, at
    L2 bandwidth (they may stay in the 50 MB L2; HBM would be slower), as three phases (transform, 16 products,
    transform back) that do not overlap. Returns ``{"forward": µs, "grad_x": µs, "grad_W+b": µs}``."""
    n, height, width, c_in = shape
    tiles = n * -(-height // 2) * -(-width // 2)
    compute_us = 2 * 16 * tiles * c_in * c_out / (gpu["fp32_peak_tflops"] * CUDNN_GUESS * 1e6)
    if fused:
        return {"forward": compute_us, "grad_x": compute_us, "grad_W+b": compute_us}

    def over_l2(*counts):
        return sum(counts) * ITEM / (gpu["l2_tb_s"] * 1e6)

    x, y = n * height * width * c_in, n * height * width * c_out  # the input, and the output (and ∂L/∂y)
    v_in, v_out = 16 * tiles * c_in, 16 * tiles * c_out  # transformed tiles of x, and of y or ∂L/∂y
    return {
        # x → V (write), 16 products (read V, write M), M → y
        "forward": over_l2(x, v_in) + max(compute_us, over_l2(v_in, v_out)) + over_l2(v_out, y),
        # the same with ∂L/∂y in and ∂L/∂x out
        "grad_x": over_l2(y, v_out) + max(compute_us, over_l2(v_out, v_in)) + over_l2(v_in, x),
        # both x and ∂L/∂y transformed; the 16 products give 16 small C_in × C_out matrices
        "grad_W+b": over_l2(x, v_in) + over_l2(y, v_out) + max(compute_us, over_l2(v_in, v_out)),
    }


def winograd_scenarios(shape, c_out, minicnn_us, direct_us, gpu=H100):
    """Forward+backward of cuDNN under five choices of algorithm, each at CUDNN_GUESS of the peak, and minicnn's
    modelled ``minicnn_us`` divided by each. ``direct_us``: the three products with the direct sum's arithmetic
    (implicit GEMM), by product name."""
    fused = winograd_us(shape, c_out, fused=True, gpu=gpu)
    nonfused = winograd_us(shape, c_out, fused=False, gpu=gpu)
    choices = collections.OrderedDict([
        ("implicit GEMM for all three products", direct_us),
        ("fused Winograd for the forward only (cuDNN's float32 choice on a V100, pytorch/pytorch#13412)",
         {**direct_us, "forward": fused["forward"]}),
        ("Winograd, not fused, for all three", nonfused),
        ("fused Winograd for forward and ∂L/∂x, implicit GEMM for ∂L/∂W",
         {**direct_us, "forward": fused["forward"], "grad_x": fused["grad_x"]}),
        ("fused Winograd for all three", fused),
    ])
    return collections.OrderedDict((name, {"cudnn_us": sum(times.values()), "ratio": minicnn_us / sum(times.values())})
                                   for name, times in choices.items())


def add_winograd_scenarios(cases, rows, shapes, target, gpu=H100):
    """``cases[target]["winograd_scenarios"]``: ``winograd_scenarios`` for the target case, a 3×3 convolution."""
    _, shape, c_out = next(entry for entry in shapes if entry[0] == target)
    direct_us = {row["product"]: row["gflop"] * 1e3 / (gpu["fp32_peak_tflops"] * CUDNN_GUESS)
                 for row in rows if row["layer"] == target}
    cases[target]["winograd_scenarios"] = winograd_scenarios(shape, c_out, cases[target]["both_us"], direct_us, gpu)


# ============================================================================================ tables
def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def product_table(rows):
    header = ["layer · product", "M×N×K", "tile", "z", "blocks", "warps/sched.", "GFLOP", "HBM MB", "L2 MB",
              "FLOP/B HBM", "issue bound", "useful share", "bound", "GPU µs", "% of fp32 peak", "with launch µs"]
    return _table(header, [[f"{r['layer']} · {r['product']}", f"{r['m']}×{r['n']}×{r['k']}", r["tile"], r["splits"],
                            r["blocks"], r["warps_per_scheduler"], f"{r['gflop']:.3f}", f"{r['dram_mb']:.1f}",
                            f"{r['l2_mb']:.1f}", f"{r['flop_per_dram_byte']:.0f}", f"{r['issue_bound']:.0%}",
                            f"{r['useful_share']:.2f}", r["bound"], f"{r['gpu_us']:.1f}", f"{r['peak_share']:.0%}",
                            f"{r['with_launch_us']:.0f}"] for r in rows])


def kernel_table(analyses):
    header = ["variant", "outputs/thread", "registers", "shared B", "spills B", "blocks/SM", "instructions/step",
              "FFMA", "LDS", "LDG", "loads overlap FMAs", "issue bound (FFMA share)"]
    return _table(header, [[variant, f"{rows}×{cols}", a["registers"], a["shared_bytes"], a["spill_bytes"],
                            a["blocks_per_sm"], a["instructions_per_step"], a["ffma_per_step"], a["lds_per_step"],
                            a["ldg_per_step"], "yes" if a["loads_overlap_fmas"] else "no", f"{a['issue_bound']:.0%}"]
                           for (variant, rows, cols), a in sorted(analyses.items())])


MARKDOWN = """# What the cuda backend should reach on an H100: a roofline estimate

**These are estimates from a model, not measurements.** No session of this project has had a GPU: the kernels in
`minicnn/kernels/cuda.py` have run only on numba's CUDA simulator (for correctness) and been compiled for sm_90.
This file is written by `python benchmarks/cuda_model.py` (no GPU needed), which compiles every product kernel the
backend launches for these shapes and reads its machine code; the model is described in that script's docstring.
Measure with `python benchmarks/conv.py` on a GPU machine (its `cuda` and `torch gpu` columns, and the
training-throughput line) and compare.

## Figures used
| quantity | value | source |
|---|---|---|
| fp32 peak (non-tensor FMA) | {peak:.1f} TFLOP/s | {sms} SMs × 128 lanes × 2 FLOP × {clock} GHz boost |
| HBM3 bandwidth | {hbm} TB/s | H100 SXM datasheet |
| L2 bandwidth | {l2} TB/s (assumed) | not a datasheet figure |
| host cost of a launch | {launch_empty} µs + {launch_array} µs per array argument | {launch_source} |
| … per scalar argument, per output allocated | {launch_scalar} µs, {allocation} µs (assumed) | {scalar_note} |
| host → device copy | {copy:.0f} GB/s (assumed) | pageable memory over PCIe 5 |
| cuDNN / cuBLAS float32 | {cudnn:.0%} of peak (a guess) | for the ratio column only; measure it |

## The product kernels, from their SASS (float32, sm_90, ptxas {ptxas_version})
One step = TILE (16) reduction terms; the FMAs per step are 16 × outputs per thread. "issue bound" = FFMA ÷ all
instructions a warp issues per step: no full tile of this kernel can exceed that share of the fp32 peak.

{kernels}

## The benchmark shapes (`CONV_SHAPES` in `benchmarks/conv.py`, 3×3 kernels, `same`, stride 1, float32)
z = slices of the split reduction; warps/sched. = resident warps per scheduler on the busiest SM (2 leaves loads and
barriers exposed); useful share = useful FMAs ÷ those the tiles compute (padding of partial tiles).

{benchmark}

| case | forward µs GPU / +host | fwd+bwd GFLOP | fwd+bwd µs GPU / +host | fwd+bwd % of peak | ÷ cuDNN at {cudnn:.0%} (guess) |
|---|---|---|---|---|---|
{cases}

## The document's network, one training step at batch {batch} (32×32×1 images, Adam)
`Sequential.train_on_batch` under `use_backend("cuda")` inside `model.on_device()`, without metrics: the batch and
its labels go to the device every step, the loss kernel's per-sample terms come back; the first layer's input
gradient is not computed (its input is the data).

{step_products}

Memory-bound kernels (one pass each at {hbm} TB/s):

{step_others}

**Totals.** Products {step_gflop:.1f} GFLOP; GPU time {gpu_us:.0f} µs per step ({step_peak:.0%} of fp32 peak over
the step); {launches} launches cost ~{launch_us:.0f} µs of host time, minicnn's own Python around them
~{python_us:.0f} µs (measured with the launches skipped, `PYTHON_AROUND_LAUNCHES_US`), and the copies
~{copy_us:.0f} µs. Numba launches are asynchronous, so host and GPU overlap except where the step waits for its
output: the step takes between {best:.0f} µs (full overlap) and {worst:.0f} µs (none),
**{rate_worst:,.0f}–{rate_best:,.0f} images/s**. The project's target is 20× the numba CPU backend on 2 cores
({numba_rate}, measured by `benchmarks/conv.py`'s `training_throughput_case`, so
{target_rate}).

## Layers outside the document's network: BatchNormalization (training) and Dropout, forward + backward
Bound by memory (one pass per sum, see `cuda.py`'s docstring); "host µs" is the launches' host time. Dropout's mask
is made on the device (counter-based random bits, `minicnn/kernels/random_bits.py`): nothing is drawn on the host
or copied.

{batchnorm_dropout}

{batchnorm_dropout_reading}

## Reading it
- **Host overhead {host_versus} the GPU work** at this size: {launches} launches cost ~{launch_us:.0f} µs of
  Python against {gpu_us:.0f} µs of GPU time, so the step is bound by the host as long as numba-cuda packs
  arguments in Python, and minicnn's own Python around the launches (checks, plans, reshapes, the layers) adds
  ~{python_us:.0f} µs more, measured: `NUMBA_ENABLE_CUDASIM=1 python benchmarks/cuda_profile.py --no-launch` times
  a step whose launches return at once, on any machine. Fewer launches (one Adam launch for all weights; bias, ReLU
  and pooling fused into the products), fewer scalar arguments (the 13 geometry numbers of a convolution in one
  small device array) and a memory pool (numba's External Memory Manager, e.g. RMM) would cut the first part; CUDA
  graphs would remove the per-launch Python cost altogether. `python benchmarks/cuda_profile.py` on a GPU
  measures where the host's time goes.
- **The 3× target** ({target} forward+backward within 3× of cuDNN float32). No direct or implicit-GEMM
  algorithm beats the fp32 peak: against a cuDNN at 100 % of it, the modelled {target_us:.0f} µs would be
  {target_at_peak:.1f}×, so the target holds even if these kernels run up to {headroom:.1f}× slower than modelled, as
  far as the GPU's own time goes. `conv.py` times each call to the GPU's end, launches included: where their host
  time does not overlap the GPU's, the call is nearer {target_launch_us:.0f} µs, {target_launch_at_peak:.1f}×
  against cuDNN at peak, before minicnn's own Python around each launch (~{python_per_launch:.0f} µs each):
  {launch_verdict}.
  What can break it is an algorithm with fewer multiplications: Winograd's F(2×2, 3×3) does {winograd:.2f}× fewer
  for 3×3 kernels, and cuDNN may choose it in float32. How much of that it keeps depends on where its tile
  transforms happen: a non-fused Winograd writes the transformed input tiles and products (4× the input and the
  output) to memory and reads them back. cuDNN forward+backward at {cudnn:.0%} of peak, and minicnn's modelled
  time divided by it (`winograd_scenarios`; not-fused intermediates at L2 bandwidth, the fastest they could go):
{scenario_lines}

  {scenario_verdict}
  `conv.py` measures whatever PyTorch's default heuristics (`cudnn.benchmark` off) choose, and lists the GPU
  kernels they ran, so a GPU run tells which of these it met.
- **Issue bound.** The products spend their issue slots on FMAs (the share above), shared-memory reads (128-bit,
  one per four values a thread reads: 2 per term with 4×4 outputs per thread) and the address arithmetic of the
  implicit-GEMM loads, in 64-bit integers because numba indexes with int64. Well-written CUDA C SGEMMs reach
  70–80 % of peak with 8×8 outputs per thread and double-buffered shared tiles; from numba.cuda, about 50 % is a
  realistic ceiling.
- **Latency is not in this model.** The products fetch the next step's elements into registers before the FMAs of
  this one (the "loads overlap FMAs" column), so a global load's latency passes while the warp computes; what
  remains exposed is the wait at the two barriers of each step. Two resident blocks per SM (registers:
  {registers} per thread) give 4 warps per scheduler; one block (the products with few blocks) gives 2. Expect
  measured times above these where warps/sched. is 2.
"""


def batchnorm_dropout_reading(rows):
    """Which bounds these layers: the GPU's memory traffic or the host's launches."""
    if all(r["host_us"] > r["gpu_us"] for r in rows):
        launches = len(BATCH_NORM_FORWARD_LAUNCHES) + len(BATCH_NORM_BACKWARD_LAUNCHES)
        return (f"In every row the launches' host time exceeds the GPU time: these layers cost their launches "
                f"(BatchNorm takes {launches}), not their bytes, as the small products of the training step do.")
    return "The large activations are bound by the GPU's memory traffic, the small ones by the launches' host time."


def batchnorm_dropout_table(rows):
    return _table(["activation", "kernel", "MB", "HBM µs", "launches", "host µs"],
                  [[r["layer"], r["kernel"], f"{r['mb']:.1f}", f"{r['gpu_us']:.1f}", r["launches"],
                    f"{r['host_us']:.0f}"] for r in rows])


def markdown(analyses, rows, cases, step_products, step_others, totals, ptxas_version, target, gpu=H100,
             extra_rows=()):
    scenarios = cases[target]["winograd_scenarios"]
    case_lines = "\n".join(
        f"| {name} | {c['forward_us']:.0f} / {c['forward_launch_us']:.0f} | {c['gflop']:.3f} | "
        f"{c['both_us']:.0f} / {c['both_launch_us']:.0f} | {c['peak_share']:.0%} | "
        f"{c['ratio_to_cudnn_guess']:.1f}× |" for name, c in cases.items())
    others = _table(["layer", "kernel", "MB", "HBM µs", "launches"],
                    [[o["layer"], o["kernel"], f"{o['mb']:.1f}", f"{o['gpu_us']:.1f}", o["launches"]]
                     for o in step_others])
    registers = max(a["registers"] for a in analyses.values())
    target_case = cases[target]
    launch_at_peak = target_case["both_launch_us"] / target_case["both_us"] * target_case["ratio_to_cudnn_at_peak"]
    numba_rate = _measured_numba_rate()
    return MARKDOWN.format(
        peak=gpu["fp32_peak_tflops"], sms=gpu["sms"], clock=gpu["clock_ghz"], hbm=gpu["hbm_tb_s"], l2=gpu["l2_tb_s"],
        launch_empty=gpu["launch_empty_us"], launch_array=gpu["launch_per_array_us"],
        launch_scalar=gpu["launch_per_scalar_us"], allocation=gpu["allocation_us"], copy=gpu["host_copy_gb_s"],
        launch_source="numba-cuda's benchmark of empty kernels (NVIDIA/numba-cuda PR #288, 2025)",
        scalar_note="a product takes 4 arrays and 20 scalars (conv) or 8 (dense)",
        host_versus="exceeds" if totals["launch_host_us"] > totals["gpu_us"] else "is close to", cudnn=CUDNN_GUESS,
        ptxas_version=ptxas_version,
        kernels=kernel_table(analyses), benchmark=product_table(rows), cases=case_lines, batch=totals["batch"],
        step_products=product_table(step_products), step_others=others, step_gflop=totals["gflop"],
        gpu_us=totals["gpu_us"], step_peak=totals["peak_share"], launches=totals["launches"],
        launch_us=totals["launch_host_us"], copy_us=totals["copy_us"], python_us=totals["python_us"],
        best=totals["step_us_best"], worst=totals["step_us_worst"], rate_best=totals["images_per_s_best"],
        rate_worst=totals["images_per_s_worst"], registers=registers, target=target,
        target_us=cases[target]["both_us"], target_at_peak=cases[target]["ratio_to_cudnn_at_peak"],
        headroom=3.0 / cases[target]["ratio_to_cudnn_at_peak"], winograd=WINOGRAD_SAVING,
        target_launch_us=cases[target]["both_launch_us"], target_launch_at_peak=launch_at_peak,
        launch_verdict=("an upper bound, as cuDNN's side is counted without PyTorch's own launches, but the\n  "
                        "launches' host time alone could miss the target" if launch_at_peak > 3 else
                        f"within the target, {3 / launch_at_peak:.1f}× to spare"),
        python_per_launch=totals["python_us"] / totals["launches"],
        numba_rate=(f"{numba_rate:,.0f} images/s in results/conv.json" if numba_rate else
                    "not in results/conv.json with 2 Numba threads"),
        target_rate=f"~{20 * numba_rate:,.0f} images/s" if numba_rate else "20× that",
        scenario_lines="\n".join(f"  - {name}: {s['cudnn_us']:.0f} µs, ratio {s['ratio']:.1f}×"
                                  for name, s in scenarios.items()),
        scenario_verdict=scenario_verdict(scenarios), batchnorm_dropout=batchnorm_dropout_table(extra_rows),
        batchnorm_dropout_reading=textwrap.fill(batchnorm_dropout_reading(extra_rows), 116))


def scenario_verdict(scenarios, bound=3.0):
    """One sentence: which of the scenarios would miss the 3× target."""
    missed = [name for name, s in scenarios.items() if s["ratio"] > bound]
    if not missed:
        return f"None of these would miss the target ({bound:g}×)."
    return f"Of these, only {' and '.join(repr(name) for name in missed)} would miss the target ({bound:g}×)."


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=None, help="training-step batch (default: conv.py's, 256)")
    parser.add_argument("--no-write", action="store_true", help="print only; write no file")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for cuda_model.md and cuda_model.json (default: benchmarks/results)")
    args = parser.parse_args(argv)
    if not args.no_write:
        output_folder(parser, args.out, "--out")
    from conv import CONV_SHAPES, TARGET_CASE, THROUGHPUT_BATCH  # noqa: E402 - the shapes benchmarks/conv.py times

    batch = args.batch or THROUGHPUT_BATCH
    rows = benchmark_rows(CONV_SHAPES)
    cases = case_summary(rows)
    add_winograd_scenarios(cases, rows, CONV_SHAPES, TARGET_CASE)
    step_products, step_others, copy_us = training_step(batch)
    totals = step_totals(step_products, step_others, copy_us, batch)
    analyses = dict(ANALYSES)
    version = subprocess.run([find_tool("ptxas"), "--version"], capture_output=True, text=True).stdout
    version = re.search(r"V(\d+\.\d+\.\d+)", version).group(1) if "V" in version else "?"
    target_shape = next(shape for name, shape, _ in CONV_SHAPES if name == TARGET_CASE)
    extra_rows = [row for shape in (target_shape, (batch, 128)) for row in batchnorm_dropout_rows(shape)]
    text = markdown(analyses, rows, cases, step_products, step_others, totals, version, TARGET_CASE,
                    extra_rows=extra_rows)
    print(text)
    if not args.no_write:  # each file whole, or the old one kept
        atomic_write_text(os.path.join(args.out, "cuda_model.md"), text)
        atomic_write_text(os.path.join(args.out, "cuda_model.json"), json.dumps(
            {"gpu": H100, "cudnn_guess": CUDNN_GUESS, "ptxas": version,
             "kernels": [{"variant": v, "rows_work": r, "cols_work": c, **a}
                         for (v, r, c), a in sorted(analyses.items())],
             "benchmark": rows, "cases": cases, "training_step": {
                 "products": step_products, "memory_bound": step_others, "totals": totals},
             "batchnorm_dropout": extra_rows}, indent=1, ensure_ascii=False))
        print(f"\nwrote {os.path.relpath(args.out)}/cuda_model.md and cuda_model.json")


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
