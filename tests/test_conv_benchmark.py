"""``benchmarks/conv.py``'s verdicts on issue 8's two GPU targets: the lines a GPU session reads to decide whether
the cuda backend is fast enough. The timings themselves are never tested (they live in the benchmark)."""

import os
import re
import sys

import pytest

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


def _event(name, device, microseconds):
    from types import SimpleNamespace

    return SimpleNamespace(name=name, device_type=f"DeviceType.{device}",
                           time_range=SimpleNamespace(elapsed_us=lambda: microseconds))


def test_the_kernels_pytorch_ran_are_summed_by_name_and_winograd_is_flagged():
    """Which algorithm cuDNN chose decides the 3× target (cuda_model.md): the benchmark lists the GPU kernels of
    PyTorch's fwd+bwd, longest first, and says whether any is a Winograd kernel; CPU events are left out."""
    events = [_event("aten::conv2d", "CPU", 500.0), _event("sm90_xmma_fprop_implicit_gemm_f32f32", "CUDA", 40.0),
              _event("cudnn::winograd_nonfused::winogradForwardData4x4", "CUDA", 10.0),
              _event("sm90_xmma_fprop_implicit_gemm_f32f32", "CUDA", 15.0), _event("Memset (Device)", "CUDA", 1.0)]
    summary = conv.summarise_kernels(events)
    assert summary["kernels"] == [["sm90_xmma_fprop_implicit_gemm_f32f32", 55.0],
                                  ["cudnn::winograd_nonfused::winogradForwardData4x4", 10.0], ["Memset (Device)", 1.0]]
    assert summary["winograd"] is True and "3 kinds of GPU kernel, 66 µs in all; Winograd among them: yes" in \
        summary["note"]
    assert summary["total_us"] == 66.0
    plain = conv.summarise_kernels(events[:2])
    assert plain["winograd"] is False and plain["note"].endswith("Winograd among them: no")
    assert conv.summarise_kernels(events[:1])["note"] == "the profiler recorded no GPU kernel"


@pytest.mark.filterwarnings("ignore:CUDA is not available")
def test_a_failing_profile_leaves_a_note_instead_of_stopping_the_benchmark():
    """Here the profiler itself refuses (no CUDA, or no PyTorch); on a GPU the call could fail: either way the
    benchmark keeps its timings and the row says why it has no kernel list."""
    def broken():
        raise RuntimeError("CUPTI could not be loaded")

    summary = conv.profiled_gpu_kernels(broken)
    assert summary["kernels"] == [] and summary["winograd"] is None and summary["total_us"] is None
    assert re.fullmatch(r"no kernel list \(\w+(Error|Exception): .+\)", summary["note"]), summary["note"]


def test_one_fwd_and_bwd_of_each_gpu_candidate_is_profiled_and_printed_kernel_by_kernel(monkeypatch):
    """PyTorch's kernels tell which algorithm cuDNN chose; minicnn's give each product's GPU time, for a GPU session
    to set against cuda_model.md. Without PyTorch on a GPU (no profiler of the GPU) nothing is profiled."""
    profiled = []

    def fake_profile(function):
        profiled.append(function())
        symbol = f"minicnn::{function()}_kernel[abi:v1,cw51](Array<float, 1, C, mutable, aligned>)"
        return {"kernels": [[symbol, 12.34]], "total_us": 12.34, "winograd": False, "note": "1 kind of GPU kernel"}

    monkeypatch.setattr(conv, "profiled_gpu_kernels", fake_profile)
    both = {"numba": lambda: "numba", "torch_gpu": lambda: "torch_gpu", "cuda": lambda: "cuda"}
    monkeypatch.setattr(conv, "TORCH_GPU", False)
    assert conv.gpu_kernel_summaries(both) == {} and profiled == []
    monkeypatch.setattr(conv, "TORCH_GPU", True)
    summaries = conv.gpu_kernel_summaries(both)
    assert list(summaries) == ["torch_gpu", "cuda"] and sorted(profiled) == ["cuda", "torch_gpu"]
    assert list(conv.gpu_kernel_summaries({"torch_gpu": both["torch_gpu"]})) == ["torch_gpu"]
    assert conv.kernel_lines("cuda", summaries["cuda"]) == ["  minicnn cuda, one fwd+bwd: 1 kind of GPU kernel",
                                                            "        12.3 µs  minicnn::cuda_kernel"]
    assert conv.kernel_lines("torch_gpu", summaries["torch_gpu"])[0].startswith("  PyTorch GPU, one fwd+bwd: ")


def test_minicnn_bench_shows_and_checks_the_benchmarks_own_options(capsys):
    """``minicnn bench`` passes its options to ``benchmarks/conv.py``: its ``--help`` is the benchmark's, under the
    command's name, and a wrong option is refused there, before any timing."""
    from minicnn import cli

    for arguments in (["bench", "--help"], ["bench", "--no-such-option"]):
        with pytest.raises(SystemExit) as stopped:
            cli.main(arguments)
        assert stopped.value.code == (0 if "--help" in arguments else 2)
    out, err = capsys.readouterr()
    assert out.startswith("usage: minicnn bench [-h] [--quick] [--compile] [--targets]"), out
    assert "--targets" in out and "fewer repeats" in out
    assert "minicnn bench: error: unrecognized arguments: --no-such-option" in err and "minicnn conv" not in out


def test_an_out_folder_that_cannot_be_written_is_refused_before_any_timing(tmp_path, capsys):
    """``minicnn bench --out afile`` timed everything (minutes without --quick), then failed in a traceback."""
    (tmp_path / "afile").write_text("")
    with pytest.raises(SystemExit) as stop:
        conv.main(["--quick", "--out", str(tmp_path / "afile")], prog="minicnn bench")
    captured = capsys.readouterr()
    assert stop.value.code == 2 and "--out: " in captured.err and "is a file" in captured.err
    assert "minicnn conv benchmark" not in captured.out  # nothing was timed


@pytest.mark.parametrize("script", ["track", "tracking", "backend_drift", "contention", "cuda_model"])
def test_the_benchmarks_refuse_an_out_folder_they_cannot_write_before_any_work(script, tmp_path, capsys):
    """benchmarks/track.py and tracking.py found an --out that is a file only after all their tracking (minutes,
    then a traceback, and no json written; files audit); backend_drift.py, contention.py and cuda_model.py had no
    --out, and running README's command for them always wrote over the committed results."""
    import importlib

    module = importlib.import_module(script)
    (tmp_path / "afile").write_text("")
    with pytest.raises(SystemExit) as stop:
        module.main(["--out", str(tmp_path / "afile")])
    assert stop.value.code == 2 and "--out: " in capsys.readouterr().err
