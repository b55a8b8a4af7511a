#!/usr/bin/env bash
# What a session that is lent a GPU should run first, in one go (about 8 minutes at most; GPU_CHECK_SECONDS=480):
#   1. the GPU, the driver and the numba / numba-cuda / NumPy versions; whether the backend's kernels compile here
#      (where not, it stops at once, naming the cause); a first kernel launch, twice: the second process should
#      load the kernel from the disk cache (where the launch fails with the cache, the rest runs with
#      MINICNN_CUDA_CACHE=0)                                                                       -> gpu.txt
#   2. issue 8's two targets alone: benchmarks/conv.py --targets (2 Numba threads), with the GPU kernels of one
#      fwd+bwd from PyTorch's profiler: cuDNN's (which algorithm) and minicnn's (each product's time, to set
#      against benchmarks/results/cuda_model.md)                                    -> targets.log, conv_targets.json
#   3. benchmarks/cuda_profile.py: where the host's time goes in a training step, and the GPU's own time per
#      step (PyTorch's profiler), which the model puts at a fifth of the step  -> cuda_profile.txt, targets.log
#   4. the cuda tests on the real GPU (in parallel where pytest-xdist is installed)             -> tests.log
#   5. the small-shape kernel tests under compute-sanitizer: memcheck (reads and writes outside an array), then
#      racecheck on the tiled products and batch norm's channel sums (shared-memory hazards: a missing
#      barrier), which the simulator cannot catch                                               -> tests.log
#   6. the demo on the GPU (the README's main job), then notebooks 8 and 11, whose GPU paths run nowhere else
#      (cell by cell, without Jupyter: the GPU image has none)                                  -> demo.log
#   7. the whole benchmark, benchmarks/conv.py --quick, with whatever time is left             -> conv.log, conv.json
# Each stage runs under `timeout` (SIGINT first, so that pytest still prints its failures) so that a slow one
# cannot starve the rest, and its end and duration are added to gpu.txt. The 8 files land in $OUT (default
# benchmarks/results/gpu/), the device tool's limit.
#
#     bash benchmarks/gpu_check.sh            # from the repository root, on the GPU machine
#
# It needs numba-cuda with a CUDA toolkit, NumPy, SciPy, scikit-image, matplotlib, pytest and hypothesis (and
# PyTorch with CUDA for the reference column); it installs nothing and runs the checkout through PYTHONPATH, so it
# also works on a machine that cannot reach a package index. It stops at once where no GPU answers. Its exit status
# is the tests' (or, where they pass, the sanitizers').
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/results/gpu}
TOTAL=${GPU_CHECK_SECONDS:-480}
mkdir -p "$OUT"
SCRATCH=$(mktemp -d)  # the benchmark's plots and the demo's outputs: not brought back
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MINICNN_REAL_CUDA=1
unset NUMBA_ENABLE_CUDASIM
PYTHON=${PYTHON:-python3}

# run_stage LOG SECONDS COMMAND...: run COMMAND under timeout (SECONDS, or less where the total runs out), its
# output to the screen and to the file LOG; its status and duration also go to gpu.txt
run_stage() {
    local log=$1 seconds=$2
    shift 2
    local left=$((TOTAL - SECONDS)) summaries=("$log")
    [[ "$log" != "$OUT/gpu.txt" ]] && summaries+=("$OUT/gpu.txt")
    ((seconds > left)) && seconds=$left
    if ((seconds < 15)); then
        echo "gpu_check: no time left for: $*" | tee -a "${summaries[@]}"
        return 124
    fi
    echo "== $* (at most $seconds s)" | tee -a "$log"
    local began=$SECONDS
    timeout -s INT --kill-after=15 "$seconds" "$@" 2>&1 | tee -a "$log"  # Ctrl-C: pytest still prints its failures
    local status=${PIPESTATUS[0]}
    echo "gpu_check: exit $status after $((SECONDS - began)) s: $*" | tee -a "${summaries[@]}"
    return "$status"
}

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$OUT/gpu.txt"
# the kernels need numba-cuda >= 0.20 (shared arrays with an alignment); say which one this machine has
"$PYTHON" -c "from importlib.metadata import version as v; print('numba', v('numba'), 'numba-cuda', v('numba-cuda'), \
'numpy', v('numpy'))" 2>&1 | tee -a "$OUT/gpu.txt"
# where numba-cuda finds the driver, NVVM, NVRTC and libdevice (what a failed compilation is first blamed on)
"$PYTHON" -c "from numba.cuda.cudadrv.libs import test; test()" >>"$OUT/gpu.txt" 2>&1
if ! timeout -s INT --kill-after=15 60 "$PYTHON" -c "from numba import cuda; import sys; \
sys.exit(0 if cuda.is_available() else 1)"; then
    echo "gpu_check: numba.cuda finds no GPU here; nothing to check" | tee -a "$OUT/gpu.txt"
    rm -rf "$SCRATCH"
    exit 2
fi
# a GPU that answers is not enough: numba-cuda must compile a kernel beside this NumPy and this driver (the
# backend's own check, which names the cause); where it cannot, stop now and keep the device time for a rerun
if ! timeout -s INT --kill-after=15 90 "$PYTHON" -c "from minicnn.kernels import cuda; cuda.check_available(); \
print('kernels compile')" 2>&1 | tee -a "$OUT/gpu.txt"; then
    echo "gpu_check: the cuda backend cannot compile its kernels here (above); nothing more to check" \
        | tee -a "$OUT/gpu.txt"
    rm -rf "$SCRATCH"
    exit 2
fi

# a first launch, in two processes: the first compiles conv2d_forward and caches it on disk, the second loads it
cat >"$SCRATCH/first_launch.py" <<'PYTHON'
import time
start = time.perf_counter()
import numpy as np
from minicnn.kernels import cuda as k
y = k.conv2d_forward(np.ones((2, 9, 9, 3), np.float32), np.ones((3, 3, 3, 4), np.float32), None, (1, 1), "same")
assert float(k.to_host(y)[1, 4, 4, 3]) == 27.0, k.to_host(y)[1, :, :, 3]
print(f"first conv2d_forward in this process: {time.perf_counter() - start:.2f} s, imports included")
PYTHON
run_stage "$OUT/gpu.txt" 60 "$PYTHON" "$SCRATCH/first_launch.py"
first=$?
if ((first != 0)); then
    export MINICNN_CUDA_CACHE=0
    echo "gpu_check: the first launch ended with exit $first; once more without the kernel cache" \
        "(MINICNN_CUDA_CACHE=0), which the rest keeps off" | tee -a "$OUT/gpu.txt"
fi
run_stage "$OUT/gpu.txt" 60 "$PYTHON" "$SCRATCH/first_launch.py"

# 2 Numba (and PyTorch CPU) threads, as on the machines the CPU figures come from: the throughput target is 20×
# the numba backend on 2 cores
run_stage "$OUT/targets.log" 150 env NUMBA_NUM_THREADS=2 "$PYTHON" benchmarks/conv.py --targets --quick --out "$SCRATCH"
cp "$SCRATCH/conv_targets.json" "$OUT/" 2>/dev/null

# where a step's time goes, which the model's claims rest on: before the tests, which compile many kernels
run_stage "$OUT/targets.log" 60 "$PYTHON" benchmarks/cuda_profile.py --out "$OUT/cuda_profile.txt"

parallel=()
"$PYTHON" -c "import xdist" 2>/dev/null && parallel=(-n 8)  # the kernels compile in 8 processes at once
run_stage "$OUT/tests.log" 200 "$PYTHON" -m pytest -q -p no:cacheprovider "${parallel[@]}" tests/test_cuda_kernels.py \
    tests/test_cuda_backend.py
tests=$?

# compute-sanitizer is on the GPU image (CUDA toolkit); each tool reruns the small-tile tests in one process
SANITIZER=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n 1)
sanitized=0
if [[ -z "$SANITIZER" ]]; then
    echo "gpu_check: no compute-sanitizer found; memcheck and racecheck not run" | tee -a "$OUT/gpu.txt"
else
    logged=$(cat "$OUT/tests.log" 2>/dev/null | wc -l)
    run_stage "$OUT/tests.log" 90 "$SANITIZER" --tool memcheck --error-exitcode 3 --print-limit 20 \
        "$PYTHON" -m pytest -q -x -p no:cacheprovider tests/test_cuda_kernels.py \
        -k "(match_numpy and not drawn) or in_place or loss_kernels_give or softmax_rows or deterministic or ties"
    sanitized=$?
    # on gVisor machines (the nvidia-h200 kind, 2026-11) compute-sanitizer refuses the GPU: that is no finding
    if tail -n +$((logged + 1)) "$OUT/tests.log" | grep -q "Device not supported"; then
        echo "gpu_check: compute-sanitizer refused this GPU (\"Device not supported\", as on gVisor machines);" \
            "memcheck and racecheck NOT run: their verdict is still open" | tee -a "$OUT/gpu.txt"
        sanitized=0
    else
        run_stage "$OUT/tests.log" 90 "$SANITIZER" --tool racecheck --error-exitcode 3 --print-limit 20 \
            "$PYTHON" -m pytest -q -x -p no:cacheprovider tests/test_cuda_kernels.py \
            -k "conv2d_forward_and_gradients or dense_forward_and_gradients or batch_norm_forward_and or deterministic"
        raced=$?
        ((sanitized == 0)) && sanitized=$raced
    fi
fi

run_stage "$OUT/demo.log" 60 "$PYTHON" -m minicnn demo --backend cuda --quiet --out "$SCRATCH/demo"

cat >"$SCRATCH/run_cells.py" <<'PYTHON'
"""Run a notebook's code cells in order in one namespace, from the notebook's folder, figures drawn and closed."""
import json, os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.show = lambda *args, **kwargs: plt.close("all")
path = os.path.abspath(sys.argv[1])
os.chdir(os.path.dirname(path))
cells = [cell for cell in json.load(open(path))["cells"] if cell["cell_type"] == "code"]
namespace = {"__name__": "__main__"}
for number, cell in enumerate(cells, 1):
    exec(compile("".join(cell["source"]), f"{os.path.basename(path)}, code cell {number}", "exec"), namespace)
simulated = " on numba's CUDA SIMULATOR, not the GPU" if namespace.get("simulated") else ""
print(f"{os.path.basename(path)}: all {len(cells)} code cells ran{simulated}")
PYTHON
for notebook in notebooks/08_kernels_numpy_numba.ipynb notebooks/11_convolution_on_a_gpu.ipynb; do
    run_stage "$OUT/demo.log" 60 "$PYTHON" "$SCRATCH/run_cells.py" "$notebook"
done

run_stage "$OUT/conv.log" 300 env NUMBA_NUM_THREADS=2 "$PYTHON" benchmarks/conv.py --quick --out "$SCRATCH"
cp "$SCRATCH/conv.json" "$OUT/" 2>/dev/null
rm -rf "$SCRATCH"
((tests == 0)) && exit "$sanitized"
exit "$tests"
