"""``benchmarks/conv.py``'s arithmetic, on fake cases and a fake clock: each ratio the right way up, GFLOP/s of what
ran, where --targets writes, the median of the timings, images per second, and the 3× target met at exactly 3×.
(Written from a mutation round over the benchmark.)"""

import json
import os
import sys
import types

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import conv  # noqa: E402


def test_the_convolution_target_is_met_at_exactly_three_times():
    """'at most 3×' judged as 'below 3×' (0.60 / 0.20 is 2.9999999999999996 in floats, so the existing test
    never sits on the boundary)."""
    row = {"case": conv.TARGET_CASE, "kind": "fwd+bwd", "cuda_ms": 0.75, "cuda_vs_torch_gpu": 0.75 / 0.25}
    assert row["cuda_vs_torch_gpu"] == 3.0
    line, = conv.target_verdicts([row], {}, threads=2)
    assert line.endswith(": met")


FORWARD = {"numpy": 0.008, "numba": 0.002, "torch": 0.001, "cuda": 0.0005, "torch_gpu": 0.00025}


def _fake_cases(monkeypatch, flops=1e9):
    ran = []
    both = {name: 2 * seconds for name, seconds in FORWARD.items()}
    monkeypatch.setattr(conv, "conv_case", lambda shape, c_out, repeats: ran.append("conv") or (
        dict(FORWARD), dict(both), flops, {}))
    monkeypatch.setattr(conv, "pool_case", lambda repeats: ran.append("pool") or {"numpy": 2.0, "numba": 1.0})
    monkeypatch.setattr(conv, "training_step_case", lambda repeats: ran.append("step") or {"numpy": 2.0, "numba": 1.0})
    monkeypatch.setattr(conv, "demo_epoch_case", lambda repeats: ran.append("epoch") or {})
    monkeypatch.setattr(conv, "training_throughput_case", lambda repeats: {"numba": 1000.0, "cuda": 20000.0})
    return ran


def test_the_rows_hold_each_ratio_the_right_way_up_and_the_gflops_of_what_ran(tmp_path, monkeypatch, capsys):
    """Ratio written upside down (numba ÷ torch, numpy ÷ numba, cuda ÷ torch gpu), GFLOP/s divided by
    another backend's time, forward+backward counted as two forwards instead of three, and --targets writing over
    conv.json or timing the other cases."""
    ran = _fake_cases(monkeypatch)
    result = conv.main(["--targets", "--out", str(tmp_path)])
    assert ran == ["conv"]  # only the target case, and no pooling, training step or epoch
    assert (tmp_path / "conv_targets.json").exists() and not (tmp_path / "conv.json").exists()
    forward, both = result["rows"]
    assert forward["kind"] == "forward" and both["kind"] == "fwd+bwd"
    assert forward["numba_vs_torch"] == pytest.approx(2.0) and forward["numpy_vs_torch"] == pytest.approx(8.0)
    assert forward["numpy_vs_numba"] == pytest.approx(4.0) and forward["cuda_vs_torch_gpu"] == pytest.approx(2.0)
    assert forward["numba_gflops"] == pytest.approx(500.0) and forward["cuda_gflops"] == pytest.approx(2000.0)
    assert both["numba_gflops"] == pytest.approx(3e9 / 0.004 / 1e9)
    assert json.loads((tmp_path / "conv_targets.json").read_text())["rows"][0]["numba_ms"] == pytest.approx(2.0)
    ran.clear()
    conv.main(["--quick", "--out", str(tmp_path)])
    assert ran == ["conv"] * len(conv.CONV_SHAPES) + ["pool", "step", "epoch"] and (tmp_path / "conv.json").exists()


def test_a_convolutions_flops_count_a_multiply_and_an_add(monkeypatch):
    """GFLOP/s counted from N·H·W·C_out·C_in·9 without the factor 2 the docstring gives."""
    monkeypatch.setattr(conv, "median_times", lambda candidates, repeats, **kwargs: {name: 1.0 for name in candidates})
    _, _, flops, _ = conv.conv_case((1, 4, 5, 2), 3, repeats=1)
    assert flops == 2 * 1 * 4 * 5 * 3 * 2 * 9


def _fake_clock(monkeypatch, durations):
    clock = {"now": 0.0}
    monkeypatch.setattr(conv, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"],
                                                            sleep=lambda seconds: None))

    def call():
        clock["now"] += durations.pop(0)
    return call


def test_median_times_takes_the_median_of_the_timed_calls(monkeypatch):
    """Minimum (or a mean) reported where the docstring and the table say median."""
    call = _fake_clock(monkeypatch, [100.0, 1.0, 2.0, 9.0])  # one warm-up, then three timed calls
    assert conv.median_times({"a": call}, repeats=3, warmup=1, passes=1) == {"a": 2.0}


def test_the_training_throughput_is_images_per_second(monkeypatch):
    """Seconds per image reported where the line says images/s (higher is faster)."""
    clock = {"now": 0.0}

    def perf_counter():
        clock["now"] += 0.25  # every reading a quarter second on: each timed step takes 0.25 s
        return clock["now"]

    monkeypatch.setattr(conv, "time", types.SimpleNamespace(perf_counter=perf_counter, sleep=lambda seconds: None))
    monkeypatch.setattr(conv, "torch", None)
    rates = conv.training_throughput_case(repeats=3, batch=2, image_size=8)
    assert rates == {"numba": pytest.approx(2 / 0.25)}


def test_winograd_is_flagged_in_any_case_of_the_kernels_name():
    """Flag reading only lower-case names: cuDNN's kernels are also named '...Winograd...'
    (generateWinogradTilesKernel), and the benchmark then said 'Winograd among them: no'."""
    events = [types.SimpleNamespace(name="cudnn::generateWinogradTilesKernel", device_type="DeviceType.CUDA",
                                    time_range=types.SimpleNamespace(elapsed_us=lambda: 3.0))]
    summary = conv.summarise_kernels(events)
    assert summary["winograd"] is True and summary["note"].endswith("Winograd among them: yes")


def test_without_pytorch_the_benchmark_says_it_wrote_no_plot_and_names_an_earlier_one(tmp_path, monkeypatch, capsys):
    """Without PyTorch, minicnn bench said "wrote conv.json and conv.png" and wrote no plot (every bar is a ratio to
    PyTorch's time), so the conv.png beside it was an earlier run's, unannounced (found in review)."""
    no_torch = {name: seconds for name, seconds in FORWARD.items() if name not in ("torch", "torch_gpu")}
    monkeypatch.setattr(conv, "conv_case", lambda shape, c_out, repeats: (
        dict(no_torch), {name: 2 * seconds for name, seconds in no_torch.items()}, 1e9, {}))
    for name in ("pool_case", "training_step_case"):
        monkeypatch.setattr(conv, name, lambda repeats: {"numpy": 2.0, "numba": 1.0})
    monkeypatch.setattr(conv, "demo_epoch_case", lambda repeats: {})
    monkeypatch.setattr(conv, "training_throughput_case", lambda repeats: {"numba": 1000.0})
    conv.main(["--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert not (tmp_path / "conv.png").exists() and (tmp_path / "conv.json").exists()
    assert "no plot: it shows each time against PyTorch's, and PyTorch is not installed here" in out, out
    assert "conv.png" not in out
    (tmp_path / "conv.png").write_bytes(b"an earlier run's plot")
    conv.main(["--quick", "--out", str(tmp_path)])
    assert "no plot (conv.png there is an earlier run's)" in capsys.readouterr().out
    _fake_cases(monkeypatch)  # with PyTorch's times
    conv.main(["--quick", "--out", str(tmp_path)])
    assert f"wrote {tmp_path / 'conv'}.json and conv.png" in capsys.readouterr().out
    assert (tmp_path / "conv.png").read_bytes().startswith(b"\x89PNG")


def test_gpu_candidates_are_warmed_up_for_long_enough_for_the_clock_to_rise(monkeypatch):
    """--quick timed 2 GPU calls of about a millisecond after 2 untimed ones, after a 0.2 s sleep: an idle GPU's
    clock (345 against 1980 MHz) had not risen; a warm-up counted in calls gave small shapes a millisecond (found in
    review). Each pass warms a candidate up for GPU_WARM_SECONDS (at least GPU_WARMUP calls), then times
    GPU_REPEATS // 2 calls; a clock that never moves cannot keep the warm-up going for ever."""
    clock = {"now": 0.0}
    monkeypatch.setattr(conv, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"],
                                                            sleep=lambda seconds: None))
    calls = []

    def one_millisecond():
        calls.append(1)
        clock["now"] += 0.001

    assert conv.gpu_median_times({"cuda": one_millisecond}, repeats=5) == {"cuda": pytest.approx(0.001)}
    warm = round(conv.GPU_WARM_SECONDS / 0.001)
    assert len(calls) == 2 * (max(warm, conv.GPU_WARMUP) + conv.GPU_REPEATS // 2)
    assert conv.GPU_REPEATS >= 20 and conv.GPU_WARM_SECONDS >= 0.1 and conv.gpu_median_times({}, 5) == {}
    calls.clear()
    monkeypatch.setattr(conv, "GPU_WARMUP_MOST", 50)
    clock_still = types.SimpleNamespace(perf_counter=lambda: 0.0, sleep=lambda seconds: None)
    monkeypatch.setattr(conv, "time", clock_still)
    assert conv.gpu_warm_up(lambda: calls.append(1)) == 50
