"""``benchmarks/gpu_check.sh``, the one script a session lent a GPU runs: its shell is valid and its sanitizer stages
select the kernel tests they are meant to run (a renamed test would otherwise drop out of memcheck or racecheck
silently, and nobody would know until a GPU session read an empty log)."""

import os
import re
import subprocess
import sys

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
