"""``benchmarks/gpu_check.sh``, the one script a session lent a GPU runs: its shell is valid and its sanitizer stages
select the kernel tests they are meant to run (a renamed test would otherwise drop out of memcheck or racecheck
silently, and nobody would know until a GPU session read an empty log)."""

import os
import re
import subprocess
import sys

from simulator import skip_without_numba_cuda

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_check.sh")


def test_the_script_is_valid_bash():
    done = subprocess.run(["bash", "-n", SCRIPT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _selected(expression):
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "tests/test_cuda_kernels.py", "-k", expression], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_memcheck_and_racecheck_select_the_kernel_tests_they_name():
    skip_without_numba_cuda()  # else the cuda tests are not collected
    with open(SCRIPT) as file:
        memcheck, racecheck = re.findall(r'-k "([^"]+)"', file.read())
    wanted = {
        memcheck: ["conv2d_forward_and_gradients_match_numpy", "pooling_forward_and_gradients_match_numpy",
                   "dense_forward_and_gradients_match_numpy", "batch_norm_forward_and_backward_match_numpy",
                   "dropout_masks_made_on_the_device_match_numpy", "dropout_masks_match_numpy_exactly",
                   "adam_updates_in_place", "loss_kernels_give", "softmax_rows", "ties"],
        racecheck: ["conv2d_forward_and_gradients", "dense_forward_and_gradients", "batch_norm_forward_and_backward",
                    "deterministic"],
    }
    for expression, names in wanted.items():
        selected = _selected(expression)
        for name in names:
            assert any(name in test for test in selected), f"-k {expression!r} does not select {name}"
        assert not any("drawn" in test for test in selected)  # the hypothesis tests are too slow under a sanitizer


def _dry_run(tmp_path, sanitizer_script):
    """Run gpu_check.sh with stand-ins for the GPU's tools: a ``python3`` that succeeds at everything (and so finds
    a GPU), an ``nvidia-smi`` and a ``compute-sanitizer`` running ``sanitizer_script``. Returns the exit status and
    the files the script wrote."""
    tools = tmp_path / "bin"
    tools.mkdir()
    stand_ins = {"python3": 'echo "python3 $*"', "nvidia-smi": 'echo "a GPU"', "compute-sanitizer": sanitizer_script}
    for name, body in stand_ins.items():
        (tools / name).write_text(f"#!/bin/sh\n{body}\n")
        (tools / name).chmod(0o755)
    out = tmp_path / "out"
    environment = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "PYTHON": "python3",
                   "OUT": str(out)}
    done = subprocess.run(["bash", SCRIPT], capture_output=True, text=True, env=environment, timeout=120)
    return done.returncode, {path.name: path.read_text() for path in out.iterdir()}


def test_a_dry_run_goes_through_every_stage_and_returns_the_sanitizers_verdict(tmp_path):
    status, files = _dry_run(tmp_path, 'case "$2" in racecheck) echo "a race"; exit 3;; esac; echo "$*"')
    assert status == 3, files  # the tests passed; racecheck's finding decides
    summary = files["gpu.txt"]
    for stage in ("first_launch.py", "conv.py --targets", "tests/test_cuda_backend.py", "--tool memcheck",
                  "--tool racecheck", "cuda_profile.py", "minicnn demo --backend cuda", "11_convolution_on_a_gpu",
                  "conv.py --quick"):
        assert f"{stage}" in summary, f"stage {stage!r} did not run:\n{summary}"
    assert "a race" in files["tests.log"] and "refused" not in summary


def test_a_sanitizer_that_refuses_the_gpu_is_reported_as_not_run_not_as_a_finding(tmp_path):
    status, files = _dry_run(tmp_path, 'echo "========= Error: Device not supported"; exit 1')
    assert status == 0, files
    assert "compute-sanitizer refused this GPU" in files["gpu.txt"] and "NOT run" in files["gpu.txt"]
    assert "--tool memcheck" in files["tests.log"] and "--tool racecheck" not in files["tests.log"]
