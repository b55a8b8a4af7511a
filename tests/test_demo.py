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
    # the first run's ~20 s of compiling is said before epoch 1, not left a silent pause inside it
    assert out.index("Loading minicnn's Numba kernels (a first run compiles them") < out.index("Epoch 1/10")
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


def test_demo_on_the_cuda_simulator_is_refused_before_any_work(tmp_path):
    """The simulator runs every GPU thread as Python: the demo's training would take days there, so the demo says
    so at once and names the way out, whether cuda was asked for by ``--backend`` or by ``MINICNN_BACKEND``."""
    pytest.importorskip("numba.cuda")
    environment = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    environment.pop("MINICNN_BACKEND", None)
    asked = {"--backend": (["--backend", "cuda"], environment),
             "MINICNN_BACKEND": ([], {**environment, "MINICNN_BACKEND": "cuda"})}
    for how, (arguments, env) in asked.items():
        result = subprocess.run([sys.executable, "-m", "minicnn", "demo", *arguments, "--out", str(tmp_path)],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 2, (how, result.stdout[-2000:], result.stderr[-2000:])
        prefix = "demo --backend cuda: " if arguments else "demo: "
        assert f"error: {prefix}the 'cuda' backend is running on numba's CUDA simulator" in result.stderr, how
        assert "would take days" in result.stderr and "--backend numba" in result.stderr, how
        assert "Data:" not in result.stdout and "Traceback" not in result.stderr, how
    assert not os.listdir(tmp_path)  # nothing written


def test_feature_maps_and_filters_are_drawn_on_one_colour_scale_with_its_bar():
    """Maps scaled one by one made a map of zeros (a filter that does not respond) look as strong as any other."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from minicnn.models import document_network
    from minicnn.plots import plot_feature_maps, plot_filters

    model = document_network(input_shape=(8, 8, 1), seed=0)
    model.build()
    kernel = model.layers[0].params["kernel"]
    kernel[..., 1] = -np.abs(kernel[..., 1])  # filter 1 cannot respond to a positive image: after ReLU, all zeros
    model.layers[0].params["bias"][1] = 0.0
    image = np.random.default_rng(0).random((8, 8, 1)).astype(np.float32)
    for figure in (plot_feature_maps(model, image), plot_filters(model.layers[0])):
        shown = [ax.images[0] for ax in figure.axes if ax.images and ax.get_title() != "input"]
        assert len(shown) == 32
        assert len({image.get_clim() for image in shown}) == 1
        assert sum(ax.get_label() == "<colorbar>" for ax in figure.axes) == 1
        plt.close(figure)
    maps = plot_feature_maps(model, image)
    map_1 = next(ax for ax in maps.axes if ax.get_title() == "map 1").images[0]
    assert np.all(map_1.get_array() == 0) and map_1.get_clim()[0] == 0 < map_1.get_clim()[1]
    plt.close(maps)
