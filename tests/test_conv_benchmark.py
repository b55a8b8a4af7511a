"""``benchmarks/conv.py``'s verdicts on issue 8's two GPU targets: the lines a GPU session reads to decide whether
the cuda backend is fast enough. The timings themselves are never tested (they live in the benchmark)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import conv  # noqa: E402


def _rows(cuda_ms=None, torch_gpu_ms=None, case=conv.TARGET_CASE):
    row = {"case": case, "kind": "fwd+bwd", "numba_ms": 900.0}
    if cuda_ms is not None:
        row["cuda_ms"] = cuda_ms
    if cuda_ms is not None and torch_gpu_ms is not None:
        row["cuda_vs_torch_gpu"] = cuda_ms / torch_gpu_ms
    return [{"case": case, "kind": "forward", "cuda_ms": 99.0, "cuda_vs_torch_gpu": 99.0}, row]


def test_the_convolution_target_holds_at_three_times_cudnn_and_fails_beyond():
    met, = conv.target_verdicts(_rows(cuda_ms=0.60, torch_gpu_ms=0.20), {}, threads=2)
    assert "3.00×" in met and met.endswith(": met")
    missed, = conv.target_verdicts(_rows(cuda_ms=0.61, torch_gpu_ms=0.20), {}, threads=2)
    assert "3.05×" in missed and missed.endswith(": missed")


def test_without_pytorch_on_the_gpu_the_convolution_is_timed_but_not_judged():
    line, = conv.target_verdicts(_rows(cuda_ms=0.25), {}, threads=2)
    assert "0.250 ms" in line and "not judged" in line and "met" not in line


def test_the_throughput_target_is_judged_only_with_two_numba_threads():
    rates = {"numba": 1000.0, "cuda": 20000.0, "torch": 5000.0}
    met, = conv.target_verdicts([], rates, threads=2)
    assert "20.0×" in met and met.endswith(": met")
    missed, = conv.target_verdicts([], {**rates, "cuda": 19900.0}, threads=2)
    assert missed.endswith(": missed")
    other, = conv.target_verdicts([], rates, threads=16)
    assert "not judged" in other and "16" in other


def test_without_a_cuda_measurement_there_is_no_verdict():
    assert conv.target_verdicts(_rows(), {"numba": 1000.0, "torch": 5000.0}, threads=2) == []
    assert conv.target_verdicts(_rows(cuda_ms=0.1, torch_gpu_ms=0.1, case="32×32×3→32"), {}, threads=2) == []
