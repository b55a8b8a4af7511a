"""Pictures of a network: first-layer filters and feature maps (learning curves are ``History.plot``)."""

import numbers
import os
from pathlib import Path

import numpy as np

from minicnn.backend import to_host
from minicnn.checks import interruptions_unwrapped
from minicnn.errors import ShapeError
from minicnn.layers.base import batch_shape_text
from minicnn.weight_files import write_atomically


def save_figure(figure, path, **options):
    """Save a matplotlib ``figure`` to ``path`` (``savefig``'s ``options``, such as ``dpi``) atomically: drawn
    into a new file beside ``path``, renamed onto it once complete. A failed save (a full disk, Ctrl-C) leaves
    the old picture as it was; ``savefig`` on ``path`` itself truncates it first."""
    named_a_folder = os.path.basename(os.fspath(path)) in ("", ".", "..")  # "plots/", "plots/.": Path() drops them
    path = Path(path)
    if path.is_dir() or named_a_folder:
        raise IsADirectoryError(f"cannot save a figure as {os.fspath(path)}{os.sep if named_a_folder else ''}: it is "
                                f"a folder; give a file name such as {path / 'figure.png'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save a figure as {path}: the folder {path.parent} does not exist")
    kind = options.pop("format", None) or path.suffix[1:].lower() or "png"
    write_atomically(path, lambda file: figure.savefig(file, format=kind, **options), suffix=path.suffix)
    return path


def _grid(count, columns=8):
    """``(rows, columns)`` of a grid for ``count`` panels, at most ``columns`` wide."""
    columns = min(columns, count)
    return -(-count // columns), columns


def _new_figure(rows, columns, panel, title):
    """A figure of ``rows``×``columns`` panels of ``panel`` inches, axes switched off (a 2-D array of them), laid
    out by matplotlib's constrained layout, which leaves room for the title and for the colour bar added later
    (``tight_layout`` ran before the colour bar and cut its label). At least as wide as the ``title`` needs, so
    that a figure of one or two panels keeps its title whole."""
    import matplotlib.pyplot as plt

    width = max(panel * columns + 1.2, 0.1 * len(title) + 0.6)  # 1.2 in for the colour bar; ~0.1 in per character
    height = (panel + 0.1) * rows + (1.1 if rows == 1 else 0.5)  # one row: the colour bar goes below it
    figure, axes = plt.subplots(rows, columns, figsize=(width, height), squeeze=False, layout="constrained")
    for ax in axes.ravel():
        ax.axis("off")
    figure.suptitle(title)
    return figure, axes


def _colour_bar(figure, image, axes, label):
    """The colour bar of ``image``'s scale beside the panels ``axes`` (2-D), or below them when they make one row:
    a bar as short as one row's panels cannot hold its label."""
    orientation = "horizontal" if axes.shape[0] == 1 else "vertical"
    figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label=label, orientation=orientation)


# ------------------------------------------------------------------------------------------------- feature maps

def _layer_position(model, layer_index):
    """``layer_index`` as a position in ``model.layers``; a negative one counts from the end, as Python's do."""
    if isinstance(layer_index, bool) or not isinstance(layer_index, numbers.Integral):
        raise TypeError(f"plot_feature_maps: layer_index must be an int (a position in model.layers, negative ones "
                        f"from the end), got {layer_index!r}")
    count = len(model.layers)
    try:
        return range(count)[layer_index]
    except IndexError:
        indices = f"indices 0 to {count - 1}, or -{count} to -1" if count else "add some first"
        raise IndexError(f"plot_feature_maps: layer_index={layer_index} is out of range: the model has {count} "
                         f"layer{'' if count == 1 else 's'} ({indices})") from None


def _check_max_maps(max_maps):
    """Refuse a ``max_maps`` that is not a whole number of at least 1."""
    message = f"plot_feature_maps: max_maps must be an int ≥ 1 (how many maps to show), got {max_maps!r}"
    if isinstance(max_maps, bool) or not isinstance(max_maps, numbers.Integral):
        raise TypeError(message)
    if max_maps < 1:
        raise ValueError(message)


def _output_shapes(model, image, position):
    """The layers' output shapes (batch axis None) for one ``image``, as ``build`` and ``summary`` work them out: up
    to ``position`` at least, and beyond it as far as the layers take the image (convolutions take any size; a
    Dense built for another size stops the list there)."""
    shape, shapes = (None,) + tuple(image.shape), []
    for index, layer in enumerate(model.layers):
        try:
            shape = tuple(layer.check_input_shape(shape))
        except ShapeError:
            if index > position:
                break
            raise
        shapes.append(shape)
    return shapes


def _check_gives_maps(model, image, position, layer_index):
    """Refuse a layer whose output is not maps (N, H, W, C), such as Flatten or Dense: name it, its output shape,
    and the layers that do give maps."""
    shapes = _output_shapes(model, image, position)
    if len(shapes[position]) == 4:
        return
    with_maps = [str(k) for k, shape in enumerate(shapes) if len(shape) == 4]
    which = "no layer of this model gives maps"
    if with_maps:
        which = f"the layers that give maps are {', '.join(with_maps)}"
    raise ValueError(f"plot_feature_maps: layer {layer_index}, {model.layers[position].describe()}, gives outputs of "
                     f"shape {batch_shape_text(shapes[position])}, not feature maps (N, H, W, C); {which}")


def _check_one_image(model, image):
    """``plot_feature_maps`` takes one image (H, W, C): a batch, (N, H, W, C), was refused as ``(None, N, H, W, C)``,
    a shape nobody gave (found in review), and a grey image without its channel axis as one of another rank."""
    if image.ndim == 4:
        which = "x[0], not x[:1]" if image.shape[0] == 1 else "one of them, x[k]"
        raise ShapeError(f"plot_feature_maps: image must be one image (H, W, C), without the batch axis, got a batch "
                         f"of {image.shape[0]}, shape {image.shape}: give {which}")
    if image.ndim == 2:
        channels = model.input_shape[-1] if model.input_shape is not None else None
        fix = ("a grey image without its channel axis? image[..., None] adds it" if channels in (None, 1) else
               f"this model takes images of {channels} channels, (H, W, {channels})")
        raise ShapeError(f"plot_feature_maps: image must be one image (H, W, C), got shape {image.shape}: {fix}")


def _show_input(ax, image):
    """The input panel: a colour image in colour (its values stretched to 0–1), else its first channel in grey,
    titled to say which (an RGB image was drawn as its red channel in grey, titled "input": found in review)."""
    channels = image.shape[-1]
    if channels == 3:
        low, high = float(image.min()), float(image.max())
        ax.imshow((image - low) / (high - low) if high > low else np.zeros(image.shape))
        ax.set_title("input", fontsize=8)
        return
    ax.imshow(image[..., 0], cmap="gray")
    ax.set_title("input" if channels == 1 else f"input, channel 0 of {channels}", fontsize=8)


def _maps_title(layer, maps, count):
    """The default title: the layer, the maps' size, and how many of them are shown when not all are."""
    shown = f", first {count} of {maps.shape[-1]}" if count < maps.shape[-1] else ""
    return f"Feature maps of {layer.name} ({maps.shape[0]}×{maps.shape[1]} px each{shown})"


@interruptions_unwrapped  # Ctrl-C inside a layer's compiled kernel: KeyboardInterrupt, not Numba's SystemError
def plot_feature_maps(model, image, layer_index=0, max_maps=32, title=None):
    """Show ``image`` and the feature maps of ``model.layers[layer_index]`` for it (one panel per channel), every
    map on one shared colour scale with its colour bar, so that strong and weak maps (a map of zeros: a filter that
    does not respond) can be told apart.

    image : ndarray, shape (H, W, C) — one sample, without the batch axis.
    layer_index : int, default 0 — a layer whose output is maps (N, H, W, C): Conv2D, pooling, not Flatten or
        Dense; negative indices count from the end, as in Python (-1 is the last layer).
    max_maps : int ≥ 1, default 32 — at most this many maps are shown, the first ones (the title says so).

    Returns the matplotlib figure. In a notebook assign it (``figure = plot_feature_maps(...)``) or end the cell
    with ``plt.show()``, else it is shown twice: once as pyplot's open figure, once as the cell's value. A script
    that makes many should close each one, ``plt.close(figure)``, once saved: matplotlib warns after 20 open figures.
    """
    _check_max_maps(max_maps)
    position = _layer_position(model, layer_index)
    image = np.asarray(image)
    _check_one_image(model, image)
    _check_gives_maps(model, image, position, layer_index)
    x = image[None]
    for layer in model.layers[:position + 1]:
        x = layer.forward(x)
    maps = to_host(x)[0]  # from the GPU, on the cuda backend
    count = min(max_maps, maps.shape[-1])
    figure, grid = _new_figure(*_grid(count + 1), 1.6, title or _maps_title(model.layers[position], maps, count))
    axes = grid.ravel()
    _show_input(axes[0], image)
    low, high = float(maps[..., :count].min()), float(maps[..., :count].max())
    for k in range(count):
        shown = axes[k + 1].imshow(maps[..., k], cmap="viridis", vmin=low, vmax=high if high > low else low + 1.0)
        axes[k + 1].set_title(f"map {k}", fontsize=8)
    _colour_bar(figure, shown, grid, "activation (one scale for every map)")
    return figure


# ------------------------------------------------------------------------------------------------------ filters

def _check_filters_layer(layer):
    """Refuse what is not a built Conv2D layer: a pooling or dense layer, a whole model, an unbuilt Conv2D."""
    from minicnn.layers.conv import Conv2D

    if not isinstance(layer, Conv2D):
        named = layer.describe() if hasattr(layer, "describe") else repr(layer)
        if hasattr(layer, "layers"):
            named = f"a {type(layer).__name__} model {getattr(layer, 'name', '')!r}"
        raise TypeError(f"plot_filters: expected a built Conv2D layer, such as model.layers[0], got {named}")
    if "kernel" not in layer.params:
        raise ValueError(f"plot_filters: {layer.describe()} is not built yet, so it has no filters; build or fit the "
                         f"model first")


def plot_filters(layer, title=None):
    """Show each output channel's kernel of a built ``Conv2D`` layer (e.g. ``model.layers[0]``), its first input
    channel only (the title says so when there are more), on one shared colour scale.

    Returns the matplotlib figure. In a notebook assign it (``figure = plot_filters(...)``) or end the cell with
    ``plt.show()``, else it is shown twice: once as pyplot's open figure, once as the cell's value. A script that
    makes many should close each one, ``plt.close(figure)``, once saved: matplotlib warns after 20 open figures.
    """
    _check_filters_layer(layer)
    weights = to_host(layer.params["kernel"])
    kernel = weights[:, :, 0, :]
    channels = f", input channel 0 of {weights.shape[2]}" if weights.shape[2] > 1 else ""
    figure, grid = _new_figure(*_grid(kernel.shape[-1]), 1.3,
                               title or f"Filters of {layer.name} ({kernel.shape[0]}×{kernel.shape[1]}{channels})")
    axes = grid.ravel()
    limit = float(np.abs(kernel).max()) or 1.0
    for k in range(kernel.shape[-1]):
        image = axes[k].imshow(kernel[:, :, k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[k].set_title(f"filter {k}", fontsize=8)
    _colour_bar(figure, image, grid, "weight")
    return figure


# ---------------------------------------------------------------------------------------------- learning curves

def history_axes(axes, metric_names):
    """The Axes ``History.plot`` draws on, as a list: the first of ``axes`` as given (one Axes, or a sequence or
    array of them, read row by row), as many as it needs, 1 (the loss) or, with ``metric_names``, 2 (loss,
    metrics), refused when fewer; by default those of a new figure."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    needed = 2 if metric_names else 1
    if axes is None:
        _, axes = plt.subplots(1, needed, figsize=(5 * needed, 3.6), squeeze=False)
        return list(axes[0])
    given = [axes] if isinstance(axes, Axes) else list(np.ravel(np.array(axes, dtype=object)))
    if len(given) >= needed and all(isinstance(ax, Axes) for ax in given):
        return given[:needed]
    wanted = "2 Axes (loss, metrics)" if metric_names else "1 Axes (loss)"
    has = f"metrics ({', '.join(metric_names)})" if metric_names else "no metrics"
    if isinstance(axes, Axes):
        got = "one Axes"
    elif all(isinstance(ax, Axes) for ax in given):
        got = f"{len(given)} Axes"
    else:
        got = repr(axes)
    example = "plt.subplots(1, 2)" if metric_names else "plt.subplots()"
    raise ValueError(f"History.plot: axes must be {wanted}, as this history has {has}; got {got} (e.g. "
                     f"figure, axes = {example})")
