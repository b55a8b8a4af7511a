"""Convolution, pooling and training-step timings: the NumPy and Numba backends against PyTorch CPU, in one run.

    python benchmarks/conv.py             # or: minicnn bench
    python benchmarks/conv.py --quick     # fewer repeats
    python benchmarks/conv.py --compile   # also: cold compilation and cache-load times of the Numba kernels
    python benchmarks/conv.py --targets   # only the two cases the GPU targets name (a minute on a GPU)

Where a CUDA GPU is there (``numba.cuda.is_available()`` and not the simulator), a ``cuda`` column times minicnn's
numba.cuda kernels on device arrays (inputs copied there once, a ``cuda.synchronize()`` closing every call), and
where ``torch.cuda`` is available a ``torch gpu`` column times PyTorch on the GPU with TF32 off (full float32, the
same arithmetic as ours) as the reference; the GPU ratio is cuda ÷ torch gpu. Below each convolution row, the GPU
kernels one PyTorch fwd+bwd ran (its profiler) say which algorithm cuDNN chose; whether any is Winograd decides
how much room the 3× target has (``results/cuda_model.md``). Every machine also gets the training
throughput of the document's network at batch 256 (images/s of ``Sequential.train_on_batch``, weights kept on the
device for the cuda backend). Estimates of what the GPU kernels should reach are in ``results/cuda_model.md``.

Every case runs the candidates in turn, in blocks of calls after a warm-up, twice over, and reports the median
(see ``median_times``). PyTorch (when installed) runs with ``torch.set_num_threads`` equal to Numba's
thread count, in its default NCHW layout. GFLOP/s count ``2·N·H_out·W_out·C_out·C_in·kh·kw`` per forward and three
times that for forward+backward (input, kernel and bias gradients). Results: a table on stdout, then
``benchmarks/results/conv.json`` and ``conv.png``.
"""

import argparse
import collections
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import minicnn as mc  # noqa: E402
from minicnn.cli_options import output_folder  # noqa: E402
from minicnn.kernels import cpu, numpy_kernels  # noqa: E402
from minicnn.models import document_network  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is an optional reference
    torch = None

#: (name, (N, H, W, C_in), C_out), all with 3×3 kernels and 'same' padding
CONV_SHAPES = [
    ("doc conv1 32×32×1→32", (32, 32, 32, 1), 32),
    ("doc conv2 16×16×32→64", (32, 16, 16, 32), 64),
    ("32×32×3→32", (32, 32, 32, 3), 32),
    ("28×28×1→32", (32, 28, 28, 1), 32),
    ("tracker 255×255×3→32", (1, 255, 255, 3), 32),
    ("64×64×64→64", (8, 64, 64, 64), 64),
]
BACKENDS = {"numpy": numpy_kernels, "numba": cpu}
THROUGHPUT_BATCH = 256
#: issue 8's targets on a GPU: this case's forward+backward within 3× of PyTorch's (cuDNN, float32), and the
#: training throughput at least 20× the numba backend's with 2 Numba threads
TARGET_CASE = "64×64×64→64"
MAX_CUDA_VS_CUDNN = 3.0
MIN_CUDA_VS_NUMBA = 20.0


def _gpu_kernels():
    """minicnn's cuda kernel module where a real GPU runs it, else None (no numba-cuda, no GPU, or the simulator,
    which would take hours over these shapes)."""
    try:
        from minicnn.errors import BackendError
        from minicnn.kernels import cuda as cuda_kernels
        cuda_kernels.check_available()
    except (ImportError, BackendError):
        return None
    return None if cuda_kernels.is_simulator() else cuda_kernels


CUDA = _gpu_kernels()
TORCH_GPU = torch is not None and torch.cuda.is_available()
if TORCH_GPU:  # full float32 products and convolutions: the arithmetic minicnn's kernels do
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def _cuda_sync():
    from numba import cuda

    cuda.synchronize()


def _gpu_conv_candidates(x, kernel, bias, grad_y):
    """``(forward, both)`` candidate dicts for the GPU columns; inputs copied to the device once, outside the timing."""
    forward, both = {}, {}
    if CUDA is not None:
        dx, dk, db, dg = (CUDA.to_device(a) for a in (x, kernel, bias, grad_y))

        def cuda_forward():
            CUDA.conv2d_forward(dx, dk, db, (1, 1), "same")
            _cuda_sync()

        def cuda_both():
            CUDA.conv2d_forward(dx, dk, db, (1, 1), "same")
            CUDA.conv2d_backward(dg, dx, dk, (1, 1), "same")
            _cuda_sync()
        forward["cuda"], both["cuda"] = cuda_forward, cuda_both
    if TORCH_GPU:
        gx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).cuda().requires_grad_(True)
        gw = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()).cuda().requires_grad_(True)
        gb = torch.from_numpy(bias).cuda().requires_grad_(True)
        gg = torch.from_numpy(grad_y.transpose(0, 3, 1, 2).copy()).cuda()

        def torch_gpu_forward():
            with torch.no_grad():
                torch.nn.functional.conv2d(gx, gw, gb, padding=1)
            torch.cuda.synchronize()

        def torch_gpu_both():
            gx.grad = gw.grad = gb.grad = None
            torch.nn.functional.conv2d(gx, gw, gb, padding=1).backward(gg)
            torch.cuda.synchronize()
        forward["torch_gpu"], both["torch_gpu"] = torch_gpu_forward, torch_gpu_both
    return forward, both


def median_times(candidates, repeats, warmup=2, passes=2, warm_up=None):
    """``{name: median seconds}`` over ``passes`` passes; in each, every candidate runs ``warmup`` untimed calls
    (after a pause; or ``warm_up(function)`` where given) and then ``repeats // passes`` timed calls in a block.

    Blocks rather than call-by-call interleaving: each library leaves its own threads spinning for a few
    milliseconds after a call (OpenBLAS, OpenMP), and on 2 cores the next library's call would pay for them.
    Two passes in turn still expose every candidate to the same drift in background load.
    """
    times = {name: [] for name in candidates}
    for _ in range(passes):
        for name, function in candidates.items():
            if warm_up is not None:
                warm_up(function)
            else:
                time.sleep(0.2)  # let the previous library's spinning threads go to sleep (OpenBLAS: ~70 ms)
                for _ in range(warmup):
                    function()
            for _ in range(max(1, repeats // passes)):
                start = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def conv_case(shape, c_out, repeats):
    n, h, w, c_in = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    kernel = (rng.standard_normal((3, 3, c_in, c_out)) * 0.1).astype(np.float32)
    bias = np.zeros(c_out, np.float32)
    grad_y = rng.standard_normal((n, h, w, c_out)).astype(np.float32)
    forward, both = {}, {}
    for name, kernels in BACKENDS.items():
        forward[name] = lambda k=kernels: k.conv2d_forward(x, kernel, bias, (1, 1), "same")
        both[name] = lambda k=kernels: (k.conv2d_forward(x, kernel, bias, (1, 1), "same"),
                                        k.conv2d_backward(grad_y, x, kernel, (1, 1), "same"))
    if torch is not None:
        tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_(True)
        tw = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()).requires_grad_(True)
        tb = torch.from_numpy(bias).requires_grad_(True)
        tg = torch.from_numpy(grad_y.transpose(0, 3, 1, 2).copy())

        def torch_forward():
            with torch.no_grad():
                return torch.nn.functional.conv2d(tx, tw, tb, padding=1)

        def torch_both():
            tx.grad = tw.grad = tb.grad = None
            torch.nn.functional.conv2d(tx, tw, tb, padding=1).backward(tg)
        forward["torch"], both["torch"] = torch_forward, torch_both
    gpu_forward, gpu_both = _gpu_conv_candidates(x, kernel, bias, grad_y)
    flops = 2 * n * h * w * c_out * c_in * 9
    forward_times = {**median_times(forward, repeats), **gpu_median_times(gpu_forward, repeats)}
    both_times = {**median_times(both, repeats), **gpu_median_times(gpu_both, repeats)}
    return forward_times, both_times, flops, gpu_kernel_summaries(gpu_both)


#: GPU calls timed at the least, and the untimed work before them: at least GPU_WARMUP calls and GPU_WARM_SECONDS
#: of them, with no sleep between candidates. An idle GPU's clock (345 MHz on the H200 seen, 1980 MHz under load)
#: rises only under work, and --quick's 2 timed calls after 2 untimed ones (after a 0.2 s sleep) would time the
#: clock, not the kernels (found in review); a warm-up counted in calls gave the small shapes a millisecond of it
GPU_REPEATS, GPU_WARMUP, GPU_WARM_SECONDS = 40, 20, 0.2
#: the most untimed calls a warm-up makes (a bound on it, whatever the clock says)
GPU_WARMUP_MOST = 100_000


def gpu_warm_up(function):
    """Call ``function`` at least ``GPU_WARMUP`` times and for at least ``GPU_WARM_SECONDS``, untimed."""
    started, calls = time.perf_counter(), 0
    while calls < GPU_WARMUP_MOST and (calls < GPU_WARMUP or time.perf_counter() - started < GPU_WARM_SECONDS):
        function()
        calls += 1
    return calls


def gpu_median_times(candidates, repeats):
    """``median_times`` of GPU candidates: each warmed up by ``gpu_warm_up``, then timed over at least
    ``GPU_REPEATS`` calls in all."""
    return median_times(candidates, max(repeats, GPU_REPEATS), warm_up=gpu_warm_up)


#: the GPU candidates whose kernels one fwd+bwd is profiled for, and how the benchmark names them
PROFILED = {"torch_gpu": "PyTorch GPU", "cuda": "minicnn cuda"}


def gpu_kernel_summaries(both):
    """``{candidate: profiled_gpu_kernels(its fwd+bwd)}`` for the GPU candidates in ``both``, where PyTorch can
    profile the GPU (it records every kernel of the process, numba-cuda's too): PyTorch's kernels show which
    algorithm cuDNN chose, minicnn's the GPU time of each product, to set against ``cuda_model.md``'s rows."""
    if not TORCH_GPU:
        return {}
    return {name: profiled_gpu_kernels(both[name]) for name in PROFILED if name in both}


def kernel_lines(name, summary):
    """The lines the benchmark prints for ``summary`` of candidate ``name``: its note, then µs and name per kernel
    (``short_kernel_name``: ``minicnn::kernels::cuda::product_conv_forward_4x4``)."""
    return [f"  {PROFILED[name]}, one fwd+bwd: {summary['note']}"] + [
        f"    {us:8.1f} µs  {short_kernel_name(kernel)}" for kernel, us in summary["kernels"]]


def short_kernel_name(name):
    """A kernel's name from the profiler without numba's ABI tags and argument types, which follow its name."""
    return name.split("[abi:")[0]


def profiled_gpu_kernels(function):
    """The GPU kernels that one call of ``function`` runs, through PyTorch's profiler: which algorithm cuDNN chose
    (implicit GEMM, Winograd, FFT) shows in their names. ``summarise_kernels`` of its events, or one line saying
    why the profiler gave none (it never stops the benchmark)."""
    try:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CUDA]) as profiler:
            function()
        return summarise_kernels(profiler.events())
    except Exception as error:  # a profiler that cannot start (no CUPTI, say) must not lose the timings
        return {"kernels": [], "total_us": None, "winograd": None,
                "note": f"no kernel list ({type(error).__name__}: {error})"}


def summarise_kernels(events, most=8):
    """``{"kernels": [[name, µs], ...] (the ``most`` longest, summed by name), "total_us": all of them, "winograd":
    bool, "note": str}`` from profiler events: the device events (kernels, copies) with their durations."""
    totals = collections.Counter()
    for event in events:
        if str(event.device_type) != "DeviceType.CPU":
            totals[event.name] += event.time_range.elapsed_us()
    kernels = [[name, round(us, 1)] for name, us in totals.most_common(most)]
    winograd = any("winograd" in name.lower() for name in totals)
    note = (f"{len(totals)} kinds of GPU kernel, {sum(totals.values()):.0f} µs in all; Winograd among them: "
            f"{'yes' if winograd else 'no'}") if totals else "the profiler recorded no GPU kernel"
    return {"kernels": kernels, "total_us": sum(totals.values()), "winograd": winograd, "note": note}


def pool_case(repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 32, 32, 32)).astype(np.float32)
    grad_y = rng.standard_normal((32, 16, 16, 32)).astype(np.float32)
    both = {}
    for name, kernels in BACKENDS.items():
        def run(k=kernels):
            _, argmax = k.max_pool2d_forward(x, (2, 2), (2, 2), "valid")
            return k.max_pool2d_backward(grad_y, argmax, x.shape, (2, 2), (2, 2), "valid")
        both[name] = run
    if torch is not None:
        tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_(True)
        tg = torch.from_numpy(grad_y.transpose(0, 3, 1, 2).copy())

        def torch_both():
            tx.grad = None
            torch.nn.functional.max_pool2d(tx, 2).backward(tg)
        both["torch"] = torch_both
    if CUDA is not None:
        dx, dg = CUDA.to_device(x), CUDA.to_device(grad_y)

        def cuda_both():
            _, argmax = CUDA.max_pool2d_forward(dx, (2, 2), (2, 2), "valid")
            CUDA.max_pool2d_backward(dg, argmax, x.shape, (2, 2), (2, 2), "valid")
            _cuda_sync()
        both["cuda"] = cuda_both
    if TORCH_GPU:
        gx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).cuda().requires_grad_(True)
        gg = torch.from_numpy(grad_y.transpose(0, 3, 1, 2).copy()).cuda()

        def torch_gpu_both():
            gx.grad = None
            torch.nn.functional.max_pool2d(gx, 2).backward(gg)
            torch.cuda.synchronize()
        both["torch_gpu"] = torch_gpu_both
    gpu = {name: both.pop(name) for name in ("cuda", "torch_gpu") if name in both}
    return {**median_times(both, repeats), **gpu_median_times(gpu, repeats)}


class TorchDocumentNetwork(torch.nn.Module if torch is not None else object):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, padding=1)
        self.dense1 = torch.nn.Linear(4096, 256)
        self.dense2 = torch.nn.Linear(256, 1)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return torch.sigmoid(self.dense2(torch.relu(self.dense1(x.flatten(1)))))


def training_step_case(repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 32, 32, 1)).astype(np.float32)
    y = (rng.random((32, 1)) > 0.5).astype(np.float32)
    steps = {}
    for name in BACKENDS:
        model = document_network(seed=0)
        model.compile(optimizer=mc.Adam(0.001), loss="binary_crossentropy")

        def step(model=model, name=name):
            with mc.use_backend(name):
                model.train_on_batch(x, y)
        steps[name] = step
    if torch is not None:
        net = TorchDocumentNetwork()
        optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
        tx, ty = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y)

        def torch_step():
            optimizer.zero_grad()
            torch.nn.functional.binary_cross_entropy(net(tx), ty).backward()
            optimizer.step()
        steps["torch"] = torch_step
    return median_times(steps, repeats, warmup=3)


def training_throughput_case(repeats, batch=THROUGHPUT_BATCH, image_size=32):
    """Images per second of the document's network (32×32×1, Adam, binary cross-entropy) at ``batch``: minicnn's
    ``Sequential.train_on_batch`` on the Numba backend and, where a GPU is there, on the cuda backend (weights kept
    on the device with ``model.on_device()``; each step still copies the batch there and the output back, as
    ``fit`` does); PyTorch CPU and GPU as references. ``{name: images/s}``, the median of ``repeats`` blocks."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, image_size, image_size, 1)).astype(np.float32)
    y = (rng.random((batch, 1)) > 0.5).astype(np.float32)
    candidates = {}  # name: (context manager factory, step)

    def minicnn_candidate(backend_name, sync=None):
        model = document_network(input_shape=(image_size, image_size, 1), seed=0)
        model.compile(optimizer=mc.Adam(0.001), loss="binary_crossentropy")

        def context():
            stack = contextlib.ExitStack()
            stack.enter_context(mc.use_backend(backend_name))
            stack.enter_context(model.on_device())
            return stack

        def step():
            model.train_on_batch(x, y)
            if sync is not None:
                sync()
        return context, step

    candidates["numba"] = minicnn_candidate("numba")
    if CUDA is not None:
        candidates["cuda"] = minicnn_candidate("cuda", _cuda_sync)
    if torch is not None and image_size == 32:  # TorchDocumentNetwork is built for 32×32 inputs
        for name, device in (("torch", "cpu"), ("torch_gpu", "cuda")):
            if device == "cuda" and not TORCH_GPU:
                continue
            net = TorchDocumentNetwork().to(device)
            optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
            tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).to(device)
            ty = torch.from_numpy(y).to(device)

            def torch_step(net=net, optimizer=optimizer, tx=tx, ty=ty, device=device):
                optimizer.zero_grad()
                torch.nn.functional.binary_cross_entropy(net(tx), ty).backward()
                optimizer.step()
                if device == "cuda":
                    torch.cuda.synchronize()
            candidates[name] = (contextlib.nullcontext, torch_step)
    rates = {}
    for name, (context, step) in candidates.items():
        with context():
            for _ in range(3):
                step()  # warm-up: compilation, allocation, cuDNN's algorithm choice
            if name in ("cuda", "torch_gpu"):
                gpu_warm_up(step)  # and the GPU's clock (see GPU_WARM_SECONDS)
            times = []
            for _ in range(max(3, repeats // 3)):
                start = time.perf_counter()
                step()
                times.append(time.perf_counter() - start)
        rates[name] = batch / float(np.median(times))
    return rates


def demo_epoch_case(repeats):
    """One epoch of the demo's training (120 faces, batch 32), with and without its augmentation."""
    from minicnn import datasets

    data = datasets.load_faces(size=32, seed=0)
    results = {}
    for augment in (None, datasets.augment):
        epochs = {}
        for name in BACKENDS:
            model = document_network(seed=0)
            model.compile(optimizer=mc.Adam(0.001), loss="binary_crossentropy")

            def epoch(model=model, name=name, augment=augment):
                with mc.use_backend(name), warnings.catch_warnings():  # the same draws every call, on purpose
                    warnings.filterwarnings("ignore", message=r".*as this model's last fit did")
                    model.fit(data.x_train, data.y_train, epochs=1, batch_size=32, verbose=0, seed=0,
                              augment=augment)
            epochs[name] = epoch
        results["with augmentation" if augment else "network only"] = median_times(epochs, repeats, warmup=1)
    return results


COMPILE_SCRIPT = """
import time, numpy as np
start = time.perf_counter()
from minicnn.kernels import cpu
from minicnn.models import document_network
import minicnn as mc
for dtype in (np.float32, np.float64):
    x = np.ones((2, 6, 6, 3), dtype)
    k = np.ones((3, 3, 3, 40), dtype)
    y = cpu.conv2d_forward(x, k, np.ones(40, dtype), (1, 1), "same")
    cpu.conv2d_backward(y, x, k, (1, 1), "same")
    cpu.conv2d_backward(np.ones((2, 6, 6, 2), dtype), x, np.ones((3, 3, 3, 2), dtype), (1, 1), "same")
    p, a = cpu.max_pool2d_forward(x, (2, 2), (2, 2), "valid")
    cpu.max_pool2d_backward(p, a, x.shape, (2, 2), (2, 2), "valid")
    cpu.avg_pool2d_backward(cpu.avg_pool2d_forward(x, (2, 2), (2, 2), "valid"), x.shape, (2, 2), (2, 2), "valid")
    z = cpu.dense_forward(np.ones((3, 40), dtype), np.ones((40, 5), dtype), np.ones(5, dtype))
    cpu.dense_backward(z, np.ones((3, 40), dtype), np.ones((40, 5), dtype))
    cpu.relu_backward(z, cpu.relu_forward(z))
    w = np.ones(4, dtype)
    cpu.adam_update(w, w, w.copy(), w.copy(), 0.1, 0.9, 0.999, 1e-7, 0.1, 0.001)
print(time.perf_counter() - start)
"""


def compile_case():
    """Seconds to import and run every kernel (float32 and float64): cold (empty cache), then from the cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        times = []
        for _ in range(2):
            output = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT], env=env, capture_output=True,
                                    text=True, check=True, cwd=os.path.dirname(HERE)).stdout
            times.append(float(output.strip().splitlines()[-1]))
    return {"cold": times[0], "cached": times[1]}


def blas_description():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return "; ".join(f"{i.get('internal_api')} {os.path.basename(i.get('filepath', ''))} "
                     f"architecture={i.get('architecture')} threads={i.get('num_threads')}" for i in threadpool_info())


def main(argv=None, prog=None):
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--compile", action="store_true", help="also time cold compilation and cache loading")
    parser.add_argument("--targets", action="store_true",
                        help=f"only the two GPU targets: the {TARGET_CASE} convolution (forward+backward within 3× of "
                             "cuDNN) and the training throughput (20× the numba backend's); writes conv_targets.json")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for conv.json and the plot (default: benchmarks/results)")
    args = parser.parse_args(argv)
    output_folder(parser, args.out, "--out")  # before the minutes of timing, not after them
    repeats = 5 if args.quick else 15

    import numba

    threads = numba.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    env_note = ", ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                           "OPENBLAS_NUM_THREADS") if k in os.environ) or "none"
    header = (f"minicnn conv benchmark — {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Numba threads {threads}, PyTorch {torch.__version__ if torch else 'absent'}\n"
              f"OpenBLAS environment: {env_note}\nBLAS: {blas_description()}\nGPU: {gpu_description()}")
    print(header)
    cpu.conv2d_backward(*[np.ones(s, np.float32) for s in ((1, 4, 4, 2), (1, 4, 4, 1), (3, 3, 1, 2))], (1, 1),
                        "same")  # compile (or load) before timing

    rows = []

    def add(case, kind, times, flops=None):
        row = {"case": case, "kind": kind, **{f"{k}_ms": v * 1e3 for k, v in times.items()}}
        if flops:
            row["numba_gflops"] = flops / times["numba"] / 1e9
        if flops and "cuda" in times:
            row["cuda_gflops"] = flops / times["cuda"] / 1e9
        if "torch" in times:
            row["numba_vs_torch"] = times["numba"] / times["torch"]
            row["numpy_vs_torch"] = times["numpy"] / times["torch"]
        if "cuda" in times and "torch_gpu" in times:
            row["cuda_vs_torch_gpu"] = times["cuda"] / times["torch_gpu"]
        row["numpy_vs_numba"] = times["numpy"] / times["numba"]
        rows.append(row)
        print(format_row(row), flush=True)

    print(format_header())
    for name, shape, c_out in CONV_SHAPES:
        if args.targets and name != TARGET_CASE:
            continue
        forward, both, flops, kernel_summaries = conv_case(shape, c_out, repeats)
        add(name, "forward", forward, flops)
        add(name, "fwd+bwd", both, 3 * flops)
        for candidate, summary in kernel_summaries.items():
            rows[-1][f"{candidate}_kernels"] = summary
            print("\n".join(kernel_lines(candidate, summary)), flush=True)
    if not args.targets:
        add("max-pool 2×2, 32×32×32×32", "fwd+bwd", pool_case(repeats))
        add("doc network, batch 32", "train step", training_step_case(repeats))
        for label, times in demo_epoch_case(max(3, repeats // 3)).items():
            add(f"demo epoch ({label})", "epoch", times)
    throughput = training_throughput_case(repeats)
    print(f"\ntraining throughput, document network, batch {THROUGHPUT_BATCH} (images/s, higher is faster): " +
          ", ".join(f"{name} {rate:,.0f}" for name, rate in throughput.items()), flush=True)
    verdicts = target_verdicts(rows, throughput, threads)
    for line in verdicts:
        print(line, flush=True)
    result = {"header": header, "rows": rows, "targets": verdicts,
              "training_throughput": {"batch": THROUGHPUT_BATCH, "images_per_second": throughput}}
    if args.compile:
        result["compile"] = compile_case()
        print(f"\nNumba kernels, float32 + float64: cold {result['compile']['cold']:.1f} s, "
              f"from the cache {result['compile']['cached']:.2f} s (import and first calls included)")
    stem = os.path.join(args.out, "conv_targets" if args.targets else "conv")
    with open(stem + ".json", "w") as file:
        json.dump(result, file, indent=2)
    if plot(rows, stem + ".png"):
        print(f"\nwrote {stem}.json and {os.path.basename(stem)}.png")
    else:
        earlier = f" ({os.path.basename(stem)}.png there is an earlier run's)" if os.path.exists(stem + ".png") else ""
        print(f"\nwrote {stem}.json; no plot{earlier}: it shows each time against PyTorch's, and PyTorch is not "
              f"installed here (pip install -e \".[bench]\" installs it)")
    return result


def target_verdicts(rows, throughput, threads):
    """Issue 8's two GPU targets, one line each: the measured ratio, the target, and "met", "missed" or why it is
    not judged. No line for a target without a cuda measurement (no GPU)."""
    lines = []
    both = next((row for row in rows if row["case"] == TARGET_CASE and row["kind"] == "fwd+bwd"), None)
    if both is not None and "cuda_ms" in both:
        if "cuda_vs_torch_gpu" in both:
            ratio = both["cuda_vs_torch_gpu"]
            verdict = "met" if ratio <= MAX_CUDA_VS_CUDNN else "missed"
            lines.append(f"target: {TARGET_CASE} fwd+bwd, cuda ÷ PyTorch GPU (cuDNN, float32) = {ratio:.2f}× "
                         f"(at most {MAX_CUDA_VS_CUDNN:g}×): {verdict}")
        else:
            lines.append(f"target: {TARGET_CASE} fwd+bwd, cuda {both['cuda_ms']:.3f} ms: not judged, no PyTorch "
                         "with CUDA to compare with")
    if "cuda" in throughput and "numba" in throughput:
        ratio = throughput["cuda"] / throughput["numba"]
        if threads == 2:
            verdict = "met" if ratio >= MIN_CUDA_VS_NUMBA else "missed"
        else:
            verdict = f"not judged, the target names 2 Numba threads (NUMBA_NUM_THREADS=2), this run had {threads}"
        lines.append(f"target: training throughput at batch {THROUGHPUT_BATCH}, cuda ÷ numba = {ratio:.1f}× "
                     f"(at least {MIN_CUDA_VS_NUMBA:g}×): {verdict}")
    return lines


def gpu_description():
    parts = []
    if CUDA is not None:
        from numba import cuda

        name = cuda.get_current_device().name
        parts.append(f"numba.cuda on {name.decode() if isinstance(name, bytes) else name}")
    else:
        parts.append(_gpu_kernels_reason())
    if TORCH_GPU:
        parts.append(f"PyTorch on {torch.cuda.get_device_name()} (TF32 off)")
    return "; ".join(parts) or "none"


def _gpu_kernels_reason():
    try:
        from minicnn.kernels import cuda as cuda_kernels
    except ImportError:
        return "no numba-cuda: cuda column skipped"
    if cuda_kernels.is_simulator():
        return "NUMBA_ENABLE_CUDASIM=1 (the simulator): cuda column skipped"
    return "no CUDA GPU: cuda column skipped"


def _gpu_columns():
    return CUDA is not None or TORCH_GPU


def format_header():
    gpu = f"{'cuda ms':>10}{'tgpu ms':>10}{'cuda GF/s':>11}{'cuda/tgpu':>11}" if _gpu_columns() else ""
    return (f"{'case':<34}{'kind':<11}{'numpy ms':>10}{'numba ms':>10}{'torch ms':>10}{'numba GF/s':>11}"
            f"{'numba/torch':>12}{'numpy/numba':>12}{gpu}")


def format_row(row):
    def cell(key, fmt, width):
        return f"{row[key]:{width}{fmt}}" if key in row else f"{'—':>{width}}"
    gpu = (f"{cell('cuda_ms', '.3f', 10)}{cell('torch_gpu_ms', '.3f', 10)}{cell('cuda_gflops', '.0f', 11)}"
           f"{cell('cuda_vs_torch_gpu', '.2f', 11)}") if _gpu_columns() else ""
    return (f"{row['case']:<34}{row['kind']:<11}{cell('numpy_ms', '.2f', 10)}{cell('numba_ms', '.2f', 10)}"
            f"{cell('torch_ms', '.2f', 10)}{cell('numba_gflops', '.0f', 11)}{cell('numba_vs_torch', '.2f', 12)}"
            f"{cell('numpy_vs_numba', '.1f', 12)}{gpu}")


def plot(rows, path):
    """Each backend's time against PyTorch's, a bar per row; False (no file written) where no row has PyTorch's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [row for row in rows if "numba_vs_torch" in row]
    if not rows:
        return False
    labels = [f"{row['case']}\n{row['kind']}" for row in rows]
    positions = np.arange(len(rows))
    figure, ax = plt.subplots(figsize=(12, 5))
    ax.bar(positions - 0.2, [row["numpy_vs_torch"] for row in rows], 0.4, label="NumPy backend")
    ax.bar(positions + 0.2, [row["numba_vs_torch"] for row in rows], 0.4, label="Numba backend")
    ax.axhline(1.0, color="black", linewidth=1, label="PyTorch CPU")
    ax.set_yscale("log")
    ax.set_ylabel("time ÷ PyTorch's time (lower is faster)")
    ax.set_title("minicnn kernels against PyTorch CPU (float32, NHWC vs NCHW, same threads)")
    ax.set_xticks(positions, labels, rotation=60, ha="right", fontsize=7)
    ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


if __name__ == "__main__":
    main()
