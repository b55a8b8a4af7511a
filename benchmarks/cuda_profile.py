"""Where the host's time goes in a training step on the cuda backend: a profile to run on a GPU machine.

    python benchmarks/cuda_profile.py                  # the document's network, batch 256, 20 steps after 3 warm-ups
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/cuda_profile.py --no-launch   # only the Python around the launches
    python benchmarks/cuda_profile.py --backend numba  # the same step on a host backend

``benchmarks/cuda_model.py`` predicts that a step of the document's network is bound by the host (numba-cuda packs
every kernel argument in Python) rather than by the GPU. This script measures it: it runs ``train_on_batch`` under
``use_backend("cuda")`` inside ``model.on_device()`` (as ``fit`` does), times the steps without and then with a
profiler (a ``cuda.synchronize()`` closes the last), counts the kernel launches per step and profiles the host with
``cProfile``, grouping its time into minicnn's kernel functions (on cuda, the Python around each launch), the rest
of minicnn (layers, model, losses, optimizer), numba-cuda's launch path, numba-cuda's driver layer (allocations,
copies, frees) and the C functions those call. It prints a report and writes it to ``--out`` (default
``benchmarks/results/cuda_profile.txt``).

Without a GPU it runs on numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, small sizes only): the report then
says so, and its times describe the simulator, not a GPU (the test suite runs it that way to check the script).

``--no-launch`` (on the simulator only) launches nothing: every kernel launch returns at once and every output
array is allocated once per shape, zero-filled. The step then costs only the Python around the launches: minicnn's
kernel functions, layers, model, loss and optimizer (and the simulator's array wrappers in place of numba-cuda's),
at the document's real sizes and on any machine. ``cuda_model.py`` adds that time, measured so, to the launches'.

On a GPU with PyTorch, the same number of steps runs once more under PyTorch's profiler, which records the GPU's
kernels and copies: their time per step against the step's says how busy the GPU is (the model: about a fifth).

``--backend numba`` (or ``numpy``) profiles the same step on a host backend, where the kernel functions' group holds
the computation itself: where a CPU step's time goes.
"""

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import minicnn as mc  # noqa: E402
from minicnn.backend import known_backends  # noqa: E402
from minicnn.models import document_network  # noqa: E402

#: how the profile's time is grouped: (group, test on a function's file name), the first that matches
GROUPS = (
    ("minicnn's kernel functions (on cuda: checks, plans, allocations; on a host backend: the computation)",
     lambda path: f"{os.sep}minicnn{os.sep}kernels{os.sep}" in path),
    ("minicnn's layers, model, losses and optimizer", lambda path: f"{os.sep}minicnn{os.sep}" in path),
    ("numba-cuda driver layer (allocations, copies, frees)", lambda path: f"{os.sep}cudadrv{os.sep}" in path),
    ("numba-cuda launches (dispatch, argument packing)", lambda path: f"{os.sep}numba" in path),
    ("C functions (the CUDA driver, ctypes, NumPy)", lambda path: path == "~"),
    ("other Python (NumPy, the standard library)", lambda path: True),
)


def is_launch(filename, function):
    """True for the function called once per kernel launch: ``_Kernel.launch`` on a GPU, ``FakeCUDAKernel.__call__``
    on the simulator, ``skipped_launch`` under ``--no-launch``."""
    return ((filename.endswith(os.path.join("cuda", "dispatcher.py")) and function == "launch") or
            (filename.endswith(os.path.join("simulator", "kernel.py")) and function == "__call__") or
            (os.path.abspath(filename) == os.path.abspath(__file__) and function == "skipped_launch"))


@contextlib.contextmanager
def launches_skipped():
    """On the CUDA simulator, for the duration of a block: a kernel launch, its configuration ``kernel[grid, block]``
    included, returns at once without running a thread, and ``cuda.device_array`` hands out one zero-filled array per
    shape and dtype (no kernel writes it, so the loss stays finite). What is left of a step is the Python around its
    launches; ``cuda_model.py`` models the launches themselves (numba-cuda's configuration, argument packing and
    driver call) from numba-cuda's own benchmark."""
    from numba import cuda
    from numba.cuda.simulator import kernel as simulated

    from minicnn.kernels import cuda as cuda_kernels

    if not cuda_kernels.is_simulator():
        raise RuntimeError("--no-launch runs on numba's CUDA simulator only: set NUMBA_ENABLE_CUDASIM=1")
    run, configure = simulated.FakeCUDAKernel.__call__, simulated.FakeCUDAKernel.__getitem__
    allocate, zeroed = cuda.device_array, {}

    def skipped_configuration(kernel, configuration):
        return kernel

    def skipped_launch(kernel, *args):  # no kernel runs, so no device function is called from one either
        return None

    def device_array(shape, dtype=np.float64, *args, **kwargs):
        key = ((shape,) if isinstance(shape, (int, np.integer)) else tuple(shape), np.dtype(dtype).str)
        if key not in zeroed:
            zeroed[key] = allocate(shape, dtype, *args, **kwargs)
            zeroed[key].copy_to_device(np.zeros(key[0], dtype))
        return zeroed[key]

    simulated.FakeCUDAKernel.__call__, simulated.FakeCUDAKernel.__getitem__ = skipped_launch, skipped_configuration
    cuda.device_array = device_array
    try:
        yield
    finally:
        simulated.FakeCUDAKernel.__call__, simulated.FakeCUDAKernel.__getitem__ = run, configure
        cuda.device_array = allocate


def group_times(stats):
    """``{group: seconds}`` of the profile's own time (``tottime``) per group of ``GROUPS``, and the launches."""
    totals = {name: 0.0 for name, _ in GROUPS}
    launches = 0
    for (filename, _, function), (_, calls, own_time, _, _) in stats.stats.items():
        if is_launch(filename, function):
            launches += calls
        group = next(name for name, matches in GROUPS if matches(filename))
        totals[group] += own_time
    return totals, launches


def document_batch(batch, image_size, seed=0):
    """The document's network (Adam, binary cross-entropy) for ``image_size``² images, and a random batch."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, image_size, image_size, 1)).astype(np.float32)
    y = (rng.random((batch, 1)) > 0.5).astype(np.float32)
    model = document_network(input_shape=(image_size, image_size, 1), seed=seed)
    model.compile(optimizer=mc.Adam(0.001), loss="binary_crossentropy")
    return model, x, y


def profile_steps(model, x, y, steps, warmup, backend="cuda", launch=True, rounds=1):
    """Run ``warmup`` untimed steps of ``model.train_on_batch(x, y)`` (a compiled model), then ``rounds`` rounds of
    ``steps`` timed steps (the fastest round counts) and ``steps`` profiled ones, on ``backend`` (on cuda with the
    weights on the device; with ``launch=False``, on the simulator, no kernel runs: see ``launches_skipped``);
    return the report's figures."""
    from minicnn.kernels import cuda as cuda_kernels

    batch, image_size = x.shape[0], x.shape[1]
    on_cuda = backend == "cuda"

    def timed_steps(count, profiler=None):
        """Seconds for ``count`` steps, on cuda the last one finished on the GPU; under ``profiler`` when given."""
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        for _ in range(count):
            model.train_on_batch(x, y)
        if on_cuda:
            cuda_kernels.cuda.synchronize()
        if profiler is not None:
            profiler.disable()
        return time.perf_counter() - start

    profiler = cProfile.Profile()
    skipping = contextlib.nullcontext() if launch else launches_skipped()
    with skipping, mc.use_backend(backend), model.on_device():
        timed_steps(warmup)  # compilation of every kernel the step launches, and the optimizer's slots
        plain_seconds = min(timed_steps(steps) for _ in range(rounds))  # without the profiler, which slows the host
        seconds = timed_steps(steps, profiler)
        on_gpu = on_cuda and launch and not cuda_kernels.is_simulator()
        gpu = gpu_time_per_step(lambda: timed_steps(steps), steps) if on_gpu else None
    stats = pstats.Stats(profiler)
    groups, launches = group_times(stats)
    return {"backend": backend, "simulator": on_cuda and cuda_kernels.is_simulator(), "launched": launch,
            "rounds": rounds, "batch": batch, "image_size": image_size, "steps": steps,
            "step_ms": seconds / steps * 1e3, "images_per_s": batch * steps / seconds,
            "plain_step_ms": plain_seconds / steps * 1e3, "plain_images_per_s": batch * steps / plain_seconds,
            "launches_per_step": launches / steps,
            "groups_ms_per_step": {name: own / steps * 1e3 for name, own in groups.items()}, "gpu": gpu,
            "stats": stats}


def gpu_time_per_step(run_steps, steps):
    """What the GPU did during ``run_steps()`` (``steps`` training steps), per step: ``{"total_us", "kernels":
    [[name, µs], ...] (the longest), "note"}`` from PyTorch's profiler (``conv.profiled_gpu_kernels``: CUPTI
    records numba-cuda's kernels and copies too), or None without PyTorch on the GPU. Against the step's time it
    says how busy the GPU was, which ``cuda_model.md`` predicts to be a fifth: the step waits for the host."""
    import conv  # benchmarks/conv.py, beside this script; it imports PyTorch

    if not conv.TORCH_GPU:
        return None
    summary = conv.profiled_gpu_kernels(run_steps)
    total = summary["total_us"]
    return {"total_us": None if total is None else total / steps, "note": summary["note"],
            "kernels": [[name, us / steps] for name, us in summary["kernels"]]}


def modelled_gpu_us(path=os.path.join(HERE, "results", "cuda_model.json")):
    """The GPU time of a step of the document's network at batch 256 in ``cuda_model.json``, or None."""
    try:
        with open(path) as file:
            return json.load(file)["training_step"]["totals"]["gpu_us"]
    except (OSError, KeyError, ValueError):
        return None


def report(figures, top=25):
    """The report as text: the timing, the grouped host time per step and the functions with the most own time."""
    lines = [f"{figures['backend']} training step: batch {figures['batch']}, "
             f"{figures['image_size']}×{figures['image_size']} images, {figures['steps']} profiled steps"]
    if not figures["launched"]:
        lines.append("LAUNCHES SKIPPED (--no-launch): no kernel ran; the times are the Python around the launches")
    elif figures["simulator"]:
        lines.append("ON THE CUDA SIMULATOR: these times describe the simulator, not a GPU")
    lines += [f"step: {figures['plain_step_ms']:.3f} ms ({figures['plain_images_per_s']:,.0f} images/s) without the "
              f"profiler (the fastest of {figures['rounds']} rounds); {figures['step_ms']:.3f} ms "
              f"({figures['images_per_s']:,.0f} images/s) under cProfile, "
              "which slows the host",
              f"kernel launches per step: {figures['launches_per_step']:.1f}" if figures["backend"] == "cuda" else
              f"a host backend ({figures['backend']}): no kernel launches; its kernels run in the profiled Python", "",
              "host time per step, by group (cProfile's own time):"]
    for name, ms in figures["groups_ms_per_step"].items():
        lines.append(f"  {ms:9.3f} ms  {name}")
    lines += gpu_lines(figures)
    text = io.StringIO()
    figures["stats"].stream = text
    figures["stats"].sort_stats("tottime").print_stats(top)
    lines += ["", f"the {top} functions with the most own time over all profiled steps:", text.getvalue().strip()]
    return "\n".join(lines) + "\n"


def gpu_lines(figures, modelled_us=None):
    """The report's lines on the GPU's own time per step (none where it was not measured)."""
    import conv  # benchmarks/conv.py, for short_kernel_name

    gpu = figures.get("gpu")
    if gpu is None:
        return []
    if gpu["total_us"] is None:
        return ["", f"GPU time per step: not measured ({gpu['note']})"]
    modelled_us = modelled_gpu_us() if modelled_us is None else modelled_us
    model = f"; cuda_model.md models {modelled_us:.0f} µs at batch 256" if modelled_us else ""
    busy = gpu["total_us"] / (figures["plain_step_ms"] * 1e3)
    lines = ["", f"GPU time per step (PyTorch's profiler): {gpu['total_us']:.0f} µs of kernels and copies, "
             f"{busy:.0%} of the step{model}; the longest, per step:"]
    return lines + [f"  {us:9.1f} µs  {conv.short_kernel_name(name)}" for name, us in gpu["kernels"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of --steps steps; the fastest counts")
    parser.add_argument("--backend", choices=known_backends(), default="cuda",
                        help="cuda (default), or a host backend to profile the framework's own Python on any machine")
    parser.add_argument("--no-launch", action="store_true",
                        help="on the CUDA simulator: launch nothing, to time only the Python around the launches")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "cuda_profile.txt"))
    args = parser.parse_args(argv)
    for name in ("batch", "image_size", "steps", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    from minicnn.kernels import cuda as cuda_kernels

    if args.no_launch and not (args.backend == "cuda" and cuda_kernels.is_simulator()):
        parser.error("--no-launch: only the cuda backend on numba's CUDA simulator can skip its launches; set "
                     f"NUMBA_ENABLE_CUDASIM=1 (got --backend {args.backend}, "
                     f"{'simulator' if cuda_kernels.is_simulator() else 'no simulator'})")
    mc.set_backend(args.backend)  # says clearly when cuda has neither a GPU nor the simulator
    text = report(profile_steps(*document_batch(args.batch, args.image_size), args.steps, args.warmup, args.backend,
                                launch=not args.no_launch, rounds=args.rounds))
    print(text, end="")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    from minicnn.track.sequences import atomic_write_text  # whole, or the old file kept

    atomic_write_text(args.out, text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
