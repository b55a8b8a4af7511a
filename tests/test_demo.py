"""The README's first command: the demo trains the document's network above 90 % test accuracy and writes plots;
and the pictures it draws (feature maps, filters, learning curves)."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from minicnn import cli
from simulator import skip_without_numba_cuda


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
    skip_without_numba_cuda()
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
    skip_without_numba_cuda()
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


# ------------------------------------------------------------------------------------ the pictures (from an audit)

def pictures():
    """The Agg backend (no window) and pyplot, for the tests of the pictures below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def small_network():
    """The document's network on 8×8 grey images: conv, pool, conv, pool (maps), flatten, dense, dense (not)."""
    from minicnn.models import document_network

    return document_network(input_shape=(8, 8, 1), seed=0)


def grey_image(size=8):
    import numpy as np

    return np.random.default_rng(0).random((size, size, 1)).astype(np.float32)


def drawn_outside(figure):
    """The texts of ``figure`` (titles, colour-bar label) that a saved picture would cut: past its edges."""
    from matplotlib.transforms import Bbox

    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    inside = Bbox.from_bounds(0, 0, *figure.canvas.get_width_height()).expanded(1.001, 1.001)
    texts = [text for ax in figure.axes for text in (ax.title, ax.xaxis.label, ax.yaxis.label) if text.get_text()]
    texts += [figure._suptitle] if figure._suptitle is not None else []
    return [text.get_text() for text in texts if not inside.contains(*text.get_window_extent(renderer).min)
            or not inside.contains(*text.get_window_extent(renderer).max)]


def test_the_readme_tour_keeps_the_learning_curves_figure_so_a_notebook_shows_it_once():
    """As a cell's last line, history.plot() was shown twice: pyplot's open figure, then the returned one."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").splitlines()
    line = "figure = history.plot()                              # learning curves"
    assert line in readme
    assert "history.plot()" not in [text.split("#")[0].strip() for text in readme]
    data_line = next(text for text in readme if text.startswith("data = datasets.load_faces("))
    assert line.index("#") == data_line.index("#")  # the tour's comments in one column


@pytest.mark.parametrize("name", ["History.plot", "plot_filters", "plot_feature_maps"])
def test_each_picture_says_how_to_show_it_once_in_a_notebook_and_to_close_it_in_a_script(name):
    import inspect

    from minicnn import plots
    from minicnn.model import History

    function = {"History.plot": History.plot, "plot_filters": plots.plot_filters,
                "plot_feature_maps": plots.plot_feature_maps}[name]
    doc = " ".join(inspect.getdoc(function).split())
    assert "figure = " in doc and "plt.show()" in doc and "shown twice" in doc
    assert "plt.close(figure)" in doc and "20 open figures" in doc


@pytest.mark.parametrize("layers, layer_index, same_as", [(2, -1, 1), (2, -2, 0), (7, -4, 3), (7, -7, 0)])
def test_feature_maps_take_a_negative_layer_index_as_python_does(layers, layer_index, same_as):
    """layer_index=-1 drew the input image under the last layer's name: layers[:layer_index + 1] was empty."""
    import minicnn as mc

    plt = pictures()
    from minicnn.plots import plot_feature_maps

    model = small_network() if layers == 7 else mc.Sequential([mc.Conv2D(4, 3, input_shape=(8, 8, 1)),
                                                                 mc.MaxPooling2D(2)], seed=0)
    counted = plot_feature_maps(model, grey_image(), layer_index)
    wanted = plot_feature_maps(model, grey_image(), same_as)
    assert counted._suptitle.get_text() == wanted._suptitle.get_text()
    assert model.layers[same_as].name in counted._suptitle.get_text()
    shown = [[image.get_array() for ax in figure.axes for image in ax.images] for figure in (counted, wanted)]
    assert len(shown[0]) == len(shown[1]) and all((a == b).all() for a, b in zip(*shown))
    plt.close("all")


def test_feature_maps_of_a_convolution_take_an_image_of_another_size_than_the_model_was_built_for():
    """The new checks of the layer asked for worked out every layer's output, to the Dense built for 8×8 images, and
    refused a 16×16 image that the convolutions take (review)."""
    plt = pictures()
    from minicnn.plots import plot_feature_maps

    import minicnn as mc

    model = mc.Sequential([mc.Conv2D(4, 3), mc.MaxPooling2D(2), mc.Flatten(), mc.Dense(2)], seed=0)
    model.predict(grey_image(8)[None])  # built for 8×8 images by its first use; no input_shape declared
    figure = plot_feature_maps(model, grey_image(16), layer_index=0)
    assert "14×14 px each" in figure._suptitle.get_text()  # valid padding: 16 − 3 + 1
    plt.close("all")


def test_feature_maps_show_a_colour_input_in_colour_and_refuse_a_batch_of_one_in_words_of_one_image():
    """An RGB image was drawn as its red channel in grey titled "input"; x[:1] was refused as an input of shape
    (None, 1, 16, 16, 1), a shape nobody gave (found in review)."""
    plt = pictures()
    from minicnn.errors import ShapeError
    from minicnn.plots import plot_feature_maps

    import minicnn as mc

    colour = np.random.default_rng(0).random((8, 8, 3))
    model = mc.Sequential([mc.Conv2D(2, 3, input_shape=(8, 8, 3))], seed=0)
    figure = plot_feature_maps(model, colour)
    shown = np.asarray(figure.axes[0].images[0].get_array())
    assert shown.shape == (8, 8, 3) and figure.axes[0].get_title() == "input"
    np.testing.assert_allclose(shown, (colour - colour.min()) / (colour.max() - colour.min()))
    grey = mc.Sequential([mc.Conv2D(2, 3, input_shape=(8, 8, 1))], seed=0)
    with pytest.raises(ShapeError, match=r"without the batch axis, got a batch of 1, shape \(1, 8, 8, 1\): give "
                                         r"x\[0\], not x\[:1\]$"):
        plot_feature_maps(grey, grey_image(8)[None])
    with pytest.raises(ShapeError, match=r"a grey image without its channel axis\? image\[\.\.\., None\] adds it$"):
        plot_feature_maps(grey, grey_image(8)[..., 0])
    with pytest.raises(ShapeError, match=r"got a batch of 5, shape \(5, 8, 8, 1\): give one of them, x\[k\]$"):
        plot_feature_maps(grey, np.repeat(grey_image(8)[None], 5, axis=0))
    with pytest.raises(ShapeError, match=r"this model takes images of 3 channels, \(H, W, 3\)$"):
        plot_feature_maps(model, grey_image(8)[..., 0])
    plt.close("all")


@pytest.mark.parametrize("layer_index", [7, -8, 100])
def test_feature_maps_refuse_a_layer_index_past_the_model_saying_how_many_layers_it_has(layer_index):
    from minicnn.plots import plot_feature_maps

    pictures()
    with pytest.raises(IndexError, match=rf"^plot_feature_maps: layer_index={layer_index} is out of range: the model "
                                         rf"has 7 layers \(indices 0 to 6, or -7 to -1\)$"):
        plot_feature_maps(small_network(), grey_image(), layer_index)


@pytest.mark.parametrize("layer_index", [4, 5, -1])
def test_feature_maps_of_a_layer_that_gives_no_maps_are_refused_naming_it_and_the_layers_that_do(layer_index):
    """Flatten and Dense layers gave 'TypeError: Invalid shape () for image data'."""
    from minicnn.plots import plot_feature_maps

    pictures()
    model = small_network()
    layer = model.layers[layer_index]
    shape = {4: "(N, 256)", 5: "(N, 256)", -1: "(N, 1)"}[layer_index]
    with pytest.raises(ValueError) as refused:
        plot_feature_maps(model, grey_image(), layer_index)
    assert str(refused.value) == (f"plot_feature_maps: layer {layer_index}, {layer.describe()}, gives outputs of "
                                  f"shape {shape}, not feature maps (N, H, W, C); the layers that give maps are "
                                  f"0, 1, 2, 3")


def test_feature_maps_of_a_model_without_maps_are_refused_saying_so():
    import numpy as np

    import minicnn as mc
    from minicnn.plots import plot_feature_maps

    pictures()
    model = mc.Sequential([mc.Dense(4, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"^plot_feature_maps: layer 0, Dense '.*', gives outputs of shape \(N, 4\), "
                                         r"not feature maps \(N, H, W, C\); no layer of this model gives maps$"):
        plot_feature_maps(model, np.zeros(3, np.float32), 0)


@pytest.mark.parametrize("max_maps, error", [(0, ValueError), (-1, ValueError), (2.5, TypeError),
                                             (True, TypeError), ("8", TypeError)])
def test_feature_maps_refuse_a_max_maps_that_is_not_a_whole_number_of_at_least_one(max_maps, error):
    """max_maps=0 crashed inside NumPy: 'zero-size array to reduction operation minimum'."""
    from minicnn.plots import plot_feature_maps

    pictures()
    with pytest.raises(error, match=rf"^plot_feature_maps: max_maps must be an int ≥ 1 \(how many maps to show\), "
                                    rf"got {re.escape(repr(max_maps))}$"):
        plot_feature_maps(small_network(), grey_image(), max_maps=max_maps)


@pytest.mark.parametrize("which", ["MaxPooling2D", "Dense", "unbuilt Conv2D", "Sequential"])
def test_plot_filters_refuses_what_is_not_a_built_conv2d_layer(which):
    """A pooling or dense layer, an unbuilt Conv2D or a whole model gave KeyError 'kernel' or AttributeError."""
    import minicnn as mc
    from minicnn.plots import plot_filters

    pictures()
    model = small_network()
    model.build()
    given = {"MaxPooling2D": model.layers[1], "Dense": model.layers[5], "unbuilt Conv2D": mc.Conv2D(8, 3),
             "Sequential": model}[which]
    if which == "unbuilt Conv2D":
        expected = (rf"^plot_filters: {re.escape(given.describe())} is not built yet, so it has no filters; build or "
                    rf"fit the model first$")
    else:
        named = given.describe() if which != "Sequential" else f"a Sequential model '{model.name}'"
        expected = (rf"^plot_filters: expected a built Conv2D layer, such as model\.layers\[0\], got "
                    rf"{re.escape(named)}$")
    with pytest.raises(TypeError if which != "unbuilt Conv2D" else ValueError, match=expected):
        plot_filters(given)


def test_titles_say_when_only_some_channels_or_maps_are_shown():
    """The second convolution's filters have 32 input channels, of which only channel 0 is drawn; its 64 maps were
    cut to the first 32 without a word."""
    plt = pictures()
    from minicnn.plots import plot_feature_maps, plot_filters

    model = small_network()
    model.build()
    first, second = model.layers[0], model.layers[2]
    assert plot_filters(first)._suptitle.get_text() == f"Filters of {first.name} (3×3)"
    assert plot_filters(second)._suptitle.get_text() == f"Filters of {second.name} (3×3, input channel 0 of 32)"
    assert plot_feature_maps(model, grey_image(), 0)._suptitle.get_text() == (f"Feature maps of {first.name} "
                                                                             f"(8×8 px each)")
    assert plot_feature_maps(model, grey_image(), 2)._suptitle.get_text() == (f"Feature maps of {second.name} "
                                                                             f"(4×4 px each, first 32 of 64)")
    assert plot_feature_maps(model, grey_image(), 2, max_maps=64)._suptitle.get_text() == (
        f"Feature maps of {second.name} (4×4 px each)")
    plt.close("all")


def test_the_colour_scale_is_that_of_the_filters_or_maps_drawn_not_of_those_left_out():
    """plot_filters draws input channel 0, as its title says, and scales the colours to those weights; with
    max_maps below the channel count, the maps drawn share the scale of the maps drawn. Drawing the last input
    channel, or a scale set by larger weights or maps not shown (which washed out every panel), passed every test
    (mutation round)."""
    import minicnn as mc

    plt = pictures()
    from minicnn.plots import plot_feature_maps, plot_filters

    layer = mc.Conv2D(2, 3, seed=0)
    layer.build((None, 6, 6, 3))
    layer.params["kernel"][:, :, 1:, :] *= 10  # input channels 1 and 2, not drawn, hold the largest weights
    figure = plot_filters(layer)
    shown = [ax.images[0] for ax in figure.axes if ax.images]
    assert len(shown) == 2
    for k, image in enumerate(shown):
        np.testing.assert_array_equal(image.get_array(), layer.params["kernel"][:, :, 0, k])
    limit = float(np.abs(layer.params["kernel"][:, :, 0, :]).max())
    assert shown[0].get_clim() == (-limit, limit)
    model = mc.Sequential([mc.Conv2D(4, 3, padding="same", input_shape=(6, 6, 1))], seed=0)
    model.build()
    model.layers[0].params["kernel"][..., 3] *= 100  # map 3, not drawn, far stronger than the others
    maps = model.predict(grey_image(6)[None])[0]
    figure = plot_feature_maps(model, grey_image(6), max_maps=2)
    shown = [ax.images[0] for ax in figure.axes if ax.images and ax.get_title() != "input"]
    assert len(shown) == 2 and shown[0].get_clim() == (float(maps[..., :2].min()), float(maps[..., :2].max()))
    plt.close("all")


@pytest.mark.parametrize("count", [1, 2, 3, 7, 8, 32])
def test_a_saved_picture_of_few_panels_keeps_its_title_and_colour_bar_label(count):
    """With 1 to 7 maps or filters, tight_layout ran before the colour bar was added: savefig cut its label, and with
    1 or 2 panels the title too."""
    import minicnn as mc

    plt = pictures()
    from minicnn.plots import plot_feature_maps, plot_filters

    model = mc.Sequential([mc.Conv2D(count, 3, padding="same", input_shape=(8, 8, 1))], seed=0)
    model.build()
    for figure, panels in ((plot_feature_maps(model, grey_image(), 0), count + 1),  # the input, then the maps
                           (plot_filters(model.layers[0]), count)):
        assert drawn_outside(figure) == []
        # the grid is at most 8 panels wide and no wider than the panels drawn (a grid 8 wide for any count, 6 of
        # its 8 panels blank for 1 map, passed every test; mutation round)
        columns = min(panels, 8)
        rows = -(-panels // columns)  # the last row perhaps part blank
        assert sum(ax.get_label() != "<colorbar>" for ax in figure.axes) == rows * columns
        plt.close(figure)


def history(epochs=3, metrics=True):
    """A History of ``epochs`` epochs: loss and val_loss, and accuracy and val_accuracy with ``metrics``."""
    from minicnn.model import History

    result = History()
    for epoch in range(epochs):
        logs = {"loss": 1 / (epoch + 1), "val_loss": 1.2 / (epoch + 1)}
        result.append(epoch, {**logs, "accuracy": 0.5 + epoch / 10} if metrics else logs)
    return result


def test_learning_curves_take_a_single_axes_for_a_history_without_metrics():
    """history.plot(axes=ax) raised TypeError: 'Axes' object is not iterable."""
    plt = pictures()
    figure, ax = plt.subplots()
    assert history(metrics=False).plot(axes=ax) is figure
    assert [line.get_label() for line in ax.lines] == ["training loss", "validation loss"]
    figure, axes = plt.subplots(1, 2)
    assert history().plot(axes=axes) is figure and [len(ax.lines) for ax in axes] == [2, 1]
    plt.close("all")


@pytest.mark.parametrize("shape, metrics, needed, given", [
    ((), True, "2 Axes (loss, metrics)", "one Axes"), ((1,), True, "2 Axes (loss, metrics)", "1 Axes")])
def test_learning_curves_say_how_many_axes_they_need(shape, metrics, needed, given):
    """One Axes for a history with metrics silently dropped the metrics."""
    plt = pictures()
    _, axes = plt.subplots(*shape, squeeze=False) if shape else plt.subplots()
    axes = axes.reshape(shape) if shape else axes
    has = r"metrics \(accuracy\)" if metrics else "no metrics"
    with pytest.raises(ValueError, match=rf"^History\.plot: axes must be {re.escape(needed)}, as this history has "
                                         rf"{has}; got {given} \(e\.g\. figure, axes = plt\.subplots\("):
        history(metrics=metrics).plot(axes=axes)
    plt.close("all")


@pytest.mark.parametrize("shape, metrics, drawn", [((2, 2), True, [2, 1, 0, 0]), ((1, 3), True, [2, 1, 0]),
                                                   ((2,), False, [2, 0])])
def test_learning_curves_draw_on_the_first_axes_of_more(shape, metrics, drawn):
    """More Axes than needed (a figure of three panels): the curves go on the first, row by row, as zip put them
    before the count was checked; a 2×2 grid raised AttributeError (review)."""
    plt = pictures()
    figure, axes = plt.subplots(*shape)
    history(metrics=metrics).plot(axes=axes)
    assert [len(ax.lines) for ax in np.ravel(axes)] == drawn
    plt.close(figure)


@pytest.mark.parametrize("epochs", [1, 2, 3])
def test_learning_curves_of_few_epochs_number_the_epochs_with_whole_numbers(epochs):
    """Three epochs were ticked 1.00, 1.25, 1.50, ...; one epoch 0.945, 0.960, ... (found in review: minicnn demo
    --epochs 1 drew it)."""
    plt = pictures()
    figure = history(epochs=epochs).plot()
    figure.canvas.draw()
    for ax in figure.axes:
        ticks = [tick for tick in ax.get_xticks() if ax.get_xlim()[0] <= tick <= ax.get_xlim()[1]]
        assert ticks and all(float(tick).is_integer() for tick in ticks), ticks
    plt.close(figure)


def test_learning_curves_overlaid_on_shared_axes_keep_every_run_in_view():
    """Runs overlaid on the axes given: a one-epoch history set the limits to 0.5–1.5 and cut off a five-epoch run
    drawn before it, or kept them when drawn first (found in review)."""
    plt = pictures()
    for first, second in ((5, 1), (1, 5)):
        figure, axes = plt.subplots(1, 2)
        history(epochs=first).plot(axes=axes)
        history(epochs=second).plot(axes=axes)
        figure.canvas.draw()
        for ax in axes:
            low, high = ax.get_xlim()
            assert low <= 1 and high >= 5, (first, second, ax.get_xlim())
            ticks = [tick for tick in ax.get_xticks() if low <= tick <= high]
            assert all(float(tick).is_integer() for tick in ticks), ticks
        plt.close(figure)


def test_learning_curves_of_no_epoch_say_so_without_an_empty_legend(recwarn):
    """Ctrl-C in the first epoch leaves a History of no epochs: its plot drew empty legends, with matplotlib's
    warning "No artists with labels found to put in legend" (found in review)."""
    plt = pictures()
    figure = history(epochs=0).plot()
    assert all(ax.get_legend() is None for ax in figure.axes)
    assert [text.get_text() for text in figure.axes[0].texts] == ["no epoch finished"]
    assert not [w for w in recwarn if "No artists" in str(w.message)]
    plt.close(figure)


def test_learning_curves_document_their_axes_parameter():
    import inspect

    from minicnn.model import History

    doc = inspect.getdoc(History.plot)
    assert "axes : " in doc and "one Axes" in doc
