"""The README's first command: the demo trains the document's network above 90 % test accuracy and writes plots."""

import os
import subprocess
import sys

import pytest

from minicnn import cli


@pytest.mark.slow
def test_demo_reaches_ninety_percent_and_writes_its_plots(tmp_path, capsys):
    loss, accuracy, _, paths = cli.demo(out=str(tmp_path / "demo"), verbose=1)
    out = capsys.readouterr().out
    assert accuracy > 0.9, out
    assert "Test accuracy:" in out and "Epoch 10/10" in out and "Total params: 1,067,905" in out
    for path in paths:
        assert path.endswith(".png") and (tmp_path / "demo" / path.rsplit("/", 1)[-1]).stat().st_size > 10_000
        assert path.rsplit("/", 1)[-1] in out


def test_command_line_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "-m", "minicnn", "demo", "--epochs", "1", "--quiet", "--backend",
                             "numpy", "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Backend: numpy" in result.stdout
    assert "Test accuracy" in result.stdout and "Epoch" not in result.stdout
    result = subprocess.run([sys.executable, "-m", "minicnn", "nonsense"], capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_demo_on_cuda_without_a_gpu_says_so_before_any_work(tmp_path):
    pytest.importorskip("numba.cuda")
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}  # no simulator either
    result = subprocess.run([sys.executable, "-c", "from numba import cuda; print(cuda.is_available())"],
                            capture_output=True, text=True, env=environment, timeout=120)
    if result.stdout.strip() == "True":
        pytest.skip("this machine has a GPU: the cuda backend runs")
    result = subprocess.run([sys.executable, "-m", "minicnn", "demo", "--backend", "cuda", "--out", str(tmp_path)],
                            capture_output=True, text=True, env=environment, timeout=120)
    assert result.returncode == 2
    assert "demo --backend cuda" in result.stderr and "no CUDA GPU" in result.stderr and "'numba'" in result.stderr
    assert "Data:" not in result.stdout and "Traceback" not in result.stderr
