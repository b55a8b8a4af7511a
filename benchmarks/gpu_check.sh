#!/usr/bin/env bash
# What a session that is lent a GPU should run first, in one go: the cuda tests on the real GPU, then the
# benchmark's cuda and PyTorch-GPU columns and the training throughput. Everything it prints also goes to
# $OUT (default benchmarks/results/gpu/): gpu.txt, tests.log, demo.log (and the demo's two plots in demo/),
# conv.log, conv.json and cuda_profile.txt.
#
#     bash benchmarks/gpu_check.sh            # from the repository root, on the GPU machine
#
# It needs numba-cuda with a CUDA toolkit, NumPy, SciPy, scikit-image, matplotlib, pytest and hypothesis (and
# PyTorch with CUDA for the reference column); it installs nothing and runs the checkout through PYTHONPATH, so it
# also works on a machine that cannot reach a package index. It stops at once where no GPU answers.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/results/gpu}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MINICNN_REAL_CUDA=1
unset NUMBA_ENABLE_CUDASIM
PYTHON=${PYTHON:-python3}

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$OUT/gpu.txt"
# the kernels need numba-cuda >= 0.20 (shared arrays with an alignment); say which one this machine has
"$PYTHON" -c "from importlib.metadata import version as v; print('numba', v('numba'), 'numba-cuda', v('numba-cuda'), \
'numpy', v('numpy'))" 2>&1 | tee -a "$OUT/gpu.txt"
if ! "$PYTHON" -c "from numba import cuda; import sys; sys.exit(0 if cuda.is_available() else 1)"; then
    echo "gpu_check: numba.cuda finds no GPU here; nothing to check" | tee -a "$OUT/gpu.txt"
    exit 2
fi

echo "== cuda tests on the GPU" | tee "$OUT/tests.log"
"$PYTHON" -m pytest -q -p no:cacheprovider tests/test_cuda_kernels.py tests/test_cuda_backend.py 2>&1 \
    | tee -a "$OUT/tests.log"
tests=${PIPESTATUS[0]}

echo "== the demo on the GPU (the README's main job)" | tee "$OUT/demo.log"
"$PYTHON" -m minicnn demo --backend cuda --quiet --out "$OUT/demo" 2>&1 | tee -a "$OUT/demo.log"

# 2 Numba (and PyTorch CPU) threads, as on the machines the CPU figures come from: the throughput target is 20×
# the numba backend on 2 cores
echo "== NUMBA_NUM_THREADS=2 benchmarks/conv.py --quick" | tee "$OUT/conv.log"
NUMBA_NUM_THREADS=2 "$PYTHON" benchmarks/conv.py --quick 2>&1 | tee -a "$OUT/conv.log"
cp benchmarks/results/conv.json "$OUT/conv.json" 2>/dev/null

echo "== benchmarks/cuda_profile.py (where the host's time goes in a training step)"
"$PYTHON" benchmarks/cuda_profile.py --out "$OUT/cuda_profile.txt" 2>&1 | tail -n 20
exit "$tests"
