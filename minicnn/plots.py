"""Pictures of a network: first-layer filters and feature maps (learning curves are ``History.plot``)."""

from pathlib import Path

import numpy as np

from minicnn.backend import to_host
from minicnn.weight_files import write_atomically


def save_figure(figure, path, **options):
    """Save a matplotlib ``figure`` to ``path`` (``savefig``'s ``options``, such as ``dpi``) atomically: drawn
    into a new file beside ``path``, renamed onto it once complete. A failed save (a full disk, Ctrl-C) leaves
    the old picture as it was; ``savefig`` on ``path`` itself truncates it first."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save a figure as {path}: it is a folder; give a file name such as "
                                f"{path / 'figure.png'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save a figure as {path}: the folder {path.parent} does not exist")
    kind = options.pop("format", None) or path.suffix[1:].lower() or "png"
    write_atomically(path, lambda file: figure.savefig(file, format=kind, **options), suffix=path.suffix)
    return path


def _grid(count, columns=8):
    columns = min(columns, count)
    return -(-count // columns), columns


def plot_feature_maps(model, image, layer_index=0, max_maps=32, title=None):
    """Show ``image`` and the feature maps of ``model.layers[layer_index]`` for it (one panel per channel), every
    map on one shared colour scale with its colour bar, so that strong and weak maps (a map of zeros: a filter that
    does not respond) can be told apart.

    image : ndarray, shape (H, W, C) — one sample, without the batch axis. Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(image)[None]
    for layer in model.layers[:layer_index + 1]:
        x = layer.forward(x)
    maps = to_host(x)[0]  # from the GPU, on the cuda backend
    count = min(max_maps, maps.shape[-1])
    rows, columns = _grid(count + 1)
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.7 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    axes[0, 0].imshow(np.asarray(image)[..., 0], cmap="gray")
    axes[0, 0].set_title("input", fontsize=8)
    low, high = float(maps[..., :count].min()), float(maps[..., :count].max())
    for k in range(count):
        ax = axes.ravel()[k + 1]
        shown = ax.imshow(maps[..., k], cmap="viridis", vmin=low, vmax=high if high > low else low + 1.0)
        ax.set_title(f"map {k}", fontsize=8)
    layer = model.layers[layer_index]
    figure.suptitle(title or f"Feature maps of {layer.name} ({maps.shape[0]}×{maps.shape[1]} px each)")
    figure.tight_layout()
    figure.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, label="activation (one scale for every map)")
    return figure


def plot_filters(layer, title=None):
    """Show each output channel's kernel of a ``Conv2D`` (the first input channel), on one shared colour scale."""
    import matplotlib.pyplot as plt

    kernel = layer.params["kernel"][:, :, 0, :]
    rows, columns = _grid(kernel.shape[-1])
    limit = float(np.abs(kernel).max()) or 1.0
    figure, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.4 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for k in range(kernel.shape[-1]):
        image = axes.ravel()[k].imshow(kernel[:, :, k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes.ravel()[k].set_title(f"filter {k}", fontsize=8)
    figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    figure.suptitle(title or f"Filters of {layer.name} ({kernel.shape[0]}×{kernel.shape[1]})")
    return figure
