"""Watching trackers: boxes drawn on frames, videos and contact sheets, and the OTB success / precision plots.

Boxes are ``(x, y, w, h)`` in 0-based pixel coordinates (floats). Drawn on a frame, a box covers the pixel columns
``round(x) … round(x + w) − 1`` and the rows ``round(y) … round(y + h) − 1``; its outline is drawn inside that area
(``round`` here rounds halves up).
The ground truth is always green; trackers take the colours of ``TRACKER_COLORS`` in the order they are given, so a
tracker keeps its colour in the videos, the contact sheets and the success / precision plots when it is given in
the same place.

Frame numbers shown to people (video captions, contact-sheet titles) are 1-based, like OTB's ``img/0001.jpg``.
"""

import importlib.util
import math
import os
import re
from pathlib import Path

import numpy as np

from minicnn.weight_files import temporary_beside, write_atomically
from minicnn.plots import save_figure
from minicnn.progress import ProgressBar
from minicnn.track.metrics import ERROR_THRESHOLDS, OVERLAP_THRESHOLDS
from minicnn.track.sequences import ATTRIBUTES

GROUND_TRUTH = "ground truth"
"""The label of the ground-truth box in the ``boxes`` mapping of ``draw_boxes``."""

GROUND_TRUTH_COLOR = (0, 255, 0)

TRACKER_COLORS = (
    (230, 25, 75),    # red
    (0, 130, 200),    # blue
    (245, 130, 48),   # orange
    (145, 30, 180),   # purple
    (240, 50, 230),   # magenta
    (0, 128, 128),    # teal
    (170, 110, 40),   # brown
    (70, 240, 240),   # cyan
    (255, 225, 25),   # yellow
    (0, 0, 128),      # navy
)
"""RGB colours (0–255) of the trackers, in order; after the tenth they repeat (plots then switch to dashed lines)."""

VIDEO_SUFFIXES = (".gif", ".mp4")

# A 3×5 pixel font for the frame numbers of videos: "1" marks a lit pixel.
_DIGITS = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
}


# ------------------------------------------------------------------------------------------------------ colours

def _rgb255(color, label):
    """A colour given as a matplotlib name / hex string or as 0–255 RGB numbers → a tuple of three ints."""
    if isinstance(color, str):
        from matplotlib.colors import to_rgb

        return tuple(int(round(255 * channel)) for channel in to_rgb(color))
    values = np.asarray(color, dtype=np.float64)
    if values.shape != (3,) or np.any(values < 0) or np.any(values > 255):
        raise ValueError(
            f"colors[{label!r}]: expected a colour name like 'red' or three numbers 0–255 (R, G, B), got {color!r}"
        )
    return tuple(int(round(channel)) for channel in values)


def box_colors(labels, colors=None):
    """The colour each label is drawn in.

    Parameters
    ----------
    labels : iterable of str
        Box labels in order, e.g. ``["ground truth", "KCF", "SiamFC"]``.
    colors : dict, optional
        label → colour overriding the default, as a matplotlib name (``"red"``, ``"#ff0000"``) or 0–255 RGB.

    Returns
    -------
    dict
        label → ``(r, g, b)`` ints 0–255: green for ``GROUND_TRUTH`` (compared ignoring case), then
        ``TRACKER_COLORS`` in order for the other labels.
    """
    colors = {} if colors is None else dict(colors)
    result = {}
    tracker_index = 0
    for label in labels:
        if label in colors:
            result[label] = _rgb255(colors[label], label)
        elif str(label).lower() == GROUND_TRUTH:
            result[label] = GROUND_TRUTH_COLOR
        else:
            result[label] = TRACKER_COLORS[tracker_index % len(TRACKER_COLORS)]
        if str(label).lower() != GROUND_TRUTH:
            tracker_index += 1
    return result


# ------------------------------------------------------------------------------------------------ boxes on frames

def _check_frame(frame):
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame: expected an RGB image of shape (H, W, 3), got shape {frame.shape}")
    if frame.dtype != np.uint8:
        raise TypeError(
            f"frame: expected dtype uint8 (0–255), got {frame.dtype}; "
            "convert a 0–1 float image with (frame * 255).round().astype(np.uint8)"
        )
    return frame


def _fill(image, top, bottom, left, right, color):
    """Paint rows ``top … bottom − 1`` and columns ``left … right − 1`` of ``image``, clipped to the image."""
    height, width = image.shape[:2]
    top, bottom = max(top, 0), min(bottom, height)
    left, right = max(left, 0), min(right, width)
    if top < bottom and left < right:
        image[top:bottom, left:right] = color


def _pixel_extent(box):
    """``(top, bottom, left, right)``: the first and last row and column the box covers (inclusive ints),
    or None for a box that cannot be drawn (NaN / infinite values, width or height ≤ 0)."""
    x, y, w, h = (float(value) for value in box)
    if not all(math.isfinite(value) for value in (x, y, w, h)) or w <= 0 or h <= 0:
        return None
    left, top = math.floor(x + 0.5), math.floor(y + 0.5)
    right = max(math.floor(x + w + 0.5) - 1, left)
    bottom = max(math.floor(y + h + 0.5) - 1, top)
    return top, bottom, left, right


def _draw_outline(image, box, color, thickness, tag):
    extent = _pixel_extent(box)
    if extent is None:
        return
    top, bottom, left, right = extent
    _fill(image, top, min(top + thickness, bottom + 1), left, right + 1, color)        # top edge
    _fill(image, max(bottom - thickness + 1, top), bottom + 1, left, right + 1, color)  # bottom edge
    _fill(image, top, bottom + 1, left, min(left + thickness, right + 1), color)        # left edge
    _fill(image, top, bottom + 1, max(right - thickness + 1, left), right + 1, color)   # right edge
    if tag:
        size = 3 * thickness
        tag_top = top - size if top - size >= 0 else top
        _fill(image, tag_top, tag_top + size, left, left + size, color)


def draw_boxes(frame, boxes, colors=None, thickness=2, labels=True):
    """Return a copy of ``frame`` with each box drawn as a rectangle outline.

    Parameters
    ----------
    frame : ndarray, shape (H, W, 3), uint8
        RGB image; it is not changed.
    boxes : dict
        label → box ``(x, y, w, h)``, shape (4,), 0-based pixels. ``"ground truth"`` is drawn green, the other
        labels in ``TRACKER_COLORS`` order (see ``box_colors``). A box with a NaN or infinite value, or with
        ``w ≤ 0`` or ``h ≤ 0``, is skipped (the target is absent, or the tracker gave no box).
    colors : dict, optional
        label → colour overriding the defaults (a matplotlib name or 0–255 RGB).
    thickness : int
        Outline width in pixels, drawn inside the box.
    labels : bool
        Also draw a solid tag, ``3 · thickness`` pixels square, in the box's colour just above its top-left corner
        (inside the box when there is no room above): where a caption would go, so overlapping outlines can be
        told apart. The names are in the legends of ``render_sequence`` and ``contact_sheet``; no text is drawn.

    Returns
    -------
    ndarray, shape (H, W, 3), uint8

    Notes
    -----
    The box covers the columns ``round(x) … round(x + w) − 1`` and rows ``round(y) … round(y + h) − 1``; the parts
    of the outline outside the frame are clipped away, so a box that sticks out shows only its visible edges.
    """
    image = _check_frame(frame).copy()
    if int(thickness) != thickness or thickness < 1:
        raise ValueError(f"thickness: expected a whole number of pixels ≥ 1, got {thickness!r}")
    thickness = int(thickness)
    palette = box_colors(boxes, colors)
    for label, box in boxes.items():
        box = np.asarray(box, dtype=np.float64)
        if box.shape != (4,):
            raise ValueError(f"boxes[{label!r}]: expected one box (x, y, w, h) of shape (4,), got shape {box.shape}")
        _draw_outline(image, box, palette[label], thickness, labels)
    return image


def _draw_number(image, number, scale):
    """Write ``number`` in yellow on a black patch in the top-left corner of ``image`` (in place)."""
    text = str(number)
    patch_height = 7 * scale
    patch_width = (4 * len(text) + 1) * scale
    _fill(image, 0, patch_height, 0, patch_width, (0, 0, 0))
    for position, character in enumerate(text):
        for row, bits in enumerate(_DIGITS[character]):
            for column, bit in enumerate(bits):
                if bit == "1":
                    top = (row + 1) * scale
                    left = (1 + 4 * position + column) * scale
                    _fill(image, top, top + scale, left, left + scale, (255, 255, 0))


# -------------------------------------------------------------------------------------------- sequence + tracks

def _check_tracks(sequence, tracks):
    """Return ``tracks`` as a dict name → float array of shape (N, 4), N = len(sequence)."""
    count = len(sequence)
    checked = {}
    for name, boxes in tracks.items():
        if str(name).lower() == GROUND_TRUTH:
            raise ValueError(f"tracks: the name {name!r} is reserved for the sequence's ground truth; rename it")
        array = np.asarray(boxes, dtype=np.float64)
        if array.shape != (count, 4):
            raise ValueError(
                f"tracks[{name!r}]: expected one box (x, y, w, h) per frame of sequence {sequence.name!r}, "
                f"shape ({count}, 4), got shape {array.shape}"
            )
        checked[name] = array
    return checked


def _frame_boxes(sequence, tracks, index):
    """The ``boxes`` mapping for ``draw_boxes`` at frame ``index``: ground truth first, then the trackers."""
    boxes = {GROUND_TRUTH: np.asarray(sequence.ground_truth[index], dtype=np.float64)}
    for name, track in tracks.items():
        boxes[name] = track[index]
    return boxes


def _legend_handles(colors):
    from matplotlib.lines import Line2D

    return [Line2D([], [], color=np.array(rgb) / 255, linewidth=3, label=label) for label, rgb in colors.items()]


NO_BOX = " (no box)"


def _lost_trackers(tracks, index):
    """The names of the trackers that gave no box at frame ``index`` (NaN, or a box of no area), in order."""
    return [name for name, boxes in tracks.items() if _pixel_extent(boxes[index]) is None]


def _legend_strip(colors, width, lost=()):
    """A dark ``(h, width, 3)`` uint8 strip naming the colours, rendered once with matplotlib's Agg canvas; the
    trackers in ``lost`` are named "(no box)", their colour faded. Its layout depends on the colours and the width
    alone, with room for every name with "(no box)", so that every strip of a video has one size and one layout
    (the names of lost trackers were cut at widths of 220–660 px: found in review)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    longest = max((len(f"{label}{NO_BOX}") for label in colors), default=0)
    columns = max(1, min(len(colors), width // (40 + 6 * longest)))  # room for the longest name with "(no box)"
    rows = -(-len(colors) // columns)
    height = 8 + 16 * rows
    dpi = 100
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="black")
    canvas = FigureCanvasAgg(figure)
    handles = _legend_handles(colors)
    for handle in handles:
        if handle.get_label() in lost:
            handle.set_label(f"{handle.get_label()}{NO_BOX}")
            handle.set_alpha(0.35)
    figure.legend(handles=handles, loc="center", ncol=columns, frameon=False, fontsize=8,
                  labelcolor="white", handlelength=1.5, columnspacing=1.0, borderaxespad=0.0)
    canvas.draw()
    rendered = np.asarray(canvas.buffer_rgba())[:, :width, :3]
    strip = np.zeros((rendered.shape[0], width, 3), dtype=np.uint8)
    strip[:, :rendered.shape[1]] = rendered
    return strip


def _video_frames(sequence, tracks, indices, colors, thickness, first_number=1):
    """Yield each chosen frame with its boxes, a frame-number caption (``first_number`` on the first) and the legend
    strip below, (H + h, W, 3), which names the trackers that gave no box on that frame (each strip is rendered once
    and kept: a tracker that lost the target stays lost for many frames)."""
    strips = {}
    for index in indices:
        boxes = _frame_boxes(sequence, tracks, index)
        image = draw_boxes(sequence[index], boxes, colors, thickness)
        _draw_number(image, index + first_number, scale=max(2, image.shape[0] // 160))
        key = (image.shape[1], tuple(_lost_trackers(tracks, index)))
        if key not in strips:
            strips[key] = _legend_strip(box_colors(boxes, colors), image.shape[1], lost=key[1])
        yield np.concatenate([image, strips[key]], axis=0)


def _ffmpeg_available():
    """True when the ``imageio-ffmpeg`` package (an ffmpeg binary for imageio) can be imported."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def output_kind(out):
    if out.is_dir() or out.suffix == "":
        return "folder"
    if out.suffix.lower() in VIDEO_SUFFIXES:
        return out.suffix.lower()[1:]
    raise ValueError(
        f"out: unsupported output {str(out)!r} (extension {out.suffix!r}); supported: a .gif file, an .mp4 file "
        "(needs imageio-ffmpeg), or a folder path without an extension (for 0001.png, 0002.png, …)"
    )


def _temporary_beside(path):
    """A new empty file in ``path``'s folder with the same suffix, to be renamed onto ``path`` when complete."""
    handle, temporary = temporary_beside(path, suffix=path.suffix)
    os.close(handle)
    return temporary


GIF_LONG_SIDE = 640
"""The longest side of a GIF's frames: larger frames are scaled down to it. A GIF holds every frame in memory until it
is written (Pillow's writer compares each frame with the one before): 100 frames of 1080p took 1.3 GB, a 30-second
phone clip would take 10 GB. An .mp4 or a folder of PNGs keeps the full size, and holds one frame at a time."""


GIF_MEMORY_WARNING = 1_000_000_000
"""Bytes of frames a GIF would hold in memory while it is written, past which ``minicnn track`` warns before any
work and says what to give instead."""


def gif_bytes(frame_shape, count):
    """About the memory ``count`` frames of ``frame_shape`` take while a GIF of them is written: a byte a pixel of
    each frame scaled to ``GIF_LONG_SIDE`` (the palette images Pillow keeps until it writes the file)."""
    height, width = frame_shape[:2]
    scale = min(1.0, GIF_LONG_SIDE / max(height, width))
    return round(height * scale) * round(width * scale) * count


def _gif_sized(frame):
    """``frame`` scaled down (its aspect kept) to a longest side of ``GIF_LONG_SIDE``, or as it is where it fits."""
    longest = max(frame.shape[:2])
    if longest <= GIF_LONG_SIDE:
        return frame
    from PIL import Image

    height, width = (max(1, round(side * GIF_LONG_SIDE / longest)) for side in frame.shape[:2])
    return np.asarray(Image.fromarray(frame).resize((width, height), Image.BILINEAR))


def _write_gif(frames, path, fps, bar):
    """The frames as a looping GIF, each handed to Pillow as it is drawn, already in the 256-colour palette a GIF
    holds (Pillow's own conversion, ``ADAPTIVE``): Pillow keeps every frame until it writes the file, and a palette
    image is a third of an RGB one (imageio's writer kept the RGB frames as well: 876 MB for 300 frames of 640×480,
    now about a third)."""
    from PIL import Image

    def palette_images():
        for done, frame in enumerate(frames, start=1):
            yield Image.fromarray(_gif_sized(frame)).convert("P", palette=Image.Palette.ADAPTIVE)
            bar.update(done)

    images = palette_images()
    first = next(images)
    with open(path, "wb") as file:  # closed on Ctrl-C too (Pillow closes a file it opened only on an Exception)
        first.save(file, format="GIF", save_all=True, append_images=images, duration=1000.0 / fps, loop=0)


def _even(frame):
    """Pad ``frame`` with black to an even height and width (H.264 in yuv420p needs even sizes)."""
    height, width = frame.shape[:2]
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)))


def _write_mp4(frames, path, fps, bar):
    import imageio.v2 as imageio

    writer = imageio.get_writer(path, format="FFMPEG", mode="I", fps=fps, codec="libx264", macro_block_size=1)
    try:
        for done, frame in enumerate(frames, start=1):
            writer.append_data(_even(frame))
            bar.update(done)
    finally:
        writer.close()


def _write_folder(frames, folder, count, bar):
    """Each frame as ``0001.png``, ``0002.png``, … into ``folder``, each written whole beside its name and renamed
    (an interruption leaves an older file of that name as it was, never a PNG cut short)."""
    import imageio.v3 as iio

    folder.mkdir(parents=True, exist_ok=True)
    digits = max(4, len(str(count)))
    for done, frame in enumerate(frames, start=1):
        write_atomically(folder / f"{done:0{digits}d}.png", lambda file: iio.imwrite(file, frame, extension=".png"),
                         suffix=".png")
        bar.update(done)


def render_sequence(sequence, tracks, out, every=1, fps=20, progress=True, colors=None, thickness=2,
                    first_number=1):
    """Draw the ground truth and each tracker's boxes on the frames of ``sequence`` and write them to ``out``.

    Each written frame has the frame number (from ``first_number``: a part of a video cut from its frame 90 is
    numbered from 90, as the video numbers it; yellow, top-left) and, below the image, a strip naming the
    colours, where a tracker that gave no box on that frame (lost: NaN, or a box of no area) is "(no box)".

    Parameters
    ----------
    sequence : Sequence
        ``len(sequence)`` frames, ``sequence[i]`` → ``(H, W, 3)`` uint8 RGB, ``sequence.ground_truth`` of shape
        ``(N, 4)`` (NaN rows where the target is absent), ``sequence.name``.
    tracks : dict
        tracker name → boxes ``(x, y, w, h)``, shape ``(N, 4)``, one per frame; NaN rows are not drawn.
    out : str or Path
        ``something.gif`` (Pillow; frames scaled down to a longest side of ``GIF_LONG_SIDE``, 640, since a GIF is
        held in memory until written), ``something.mp4`` (needs ``pip install imageio-ffmpeg``), or a folder (a path
        without an extension, or an existing folder) that gets ``0001.png``, ``0002.png``, … numbered in writing
        order; a file of one of those names is replaced, other files in the folder are left alone. Every file is
        written beside its name first and renamed into place, so a failure leaves an older file intact.
    every : int
        Draw every ``every``-th frame (frames 0, every, 2·every, …).
    fps : float
        Frames per second of the .gif / .mp4.
    progress : bool
        Show a progress bar (``minicnn.progress.ProgressBar``).
    colors : dict, optional
        label → colour overriding the defaults (see ``box_colors``).
    thickness : int
        Outline width in pixels.
    first_number : int
        The number drawn on the sequence's first frame.

    Returns
    -------
    Path
        The file or folder written.
    """
    out = Path(out)
    kind = output_kind(out)
    if kind == "mp4" and not _ffmpeg_available():
        raise RuntimeError(
            f"out: writing {str(out)!r} as .mp4 needs the imageio-ffmpeg package, which is not installed; "
            "run `pip install imageio-ffmpeg`, or write a .gif or a folder of PNGs instead"
        )
    if int(every) != every or every < 1:
        raise ValueError(f"every: expected a whole number ≥ 1 (draw every n-th frame), got {every!r}")
    if not fps > 0:
        raise ValueError(f"fps: expected a number of frames per second > 0, got {fps!r}")
    tracks = _check_tracks(sequence, tracks)
    indices = range(0, len(sequence), int(every))
    frames = _video_frames(sequence, tracks, indices, colors, thickness, first_number)
    with ProgressBar(len(indices), unit="frame", enabled=progress, label="drawing") as bar:
        if kind == "folder":
            _write_folder(frames, out, len(indices), bar)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            temporary = _temporary_beside(out)
            try:
                (_write_gif if kind == "gif" else _write_mp4)(frames, temporary, fps, bar)
                os.replace(temporary, out)
            finally:
                temporary.unlink(missing_ok=True)
        bar.finish()
    return out


def _evenly_spaced(count, n_frames):
    """``n_frames`` frame indices spread from the first to the last frame (fewer when the sequence is shorter)."""
    return np.unique(np.round(np.linspace(0, count - 1, min(n_frames, count))).astype(int))


def _attribute_text(attributes):
    if not attributes:
        return "no attributes"
    return "attributes: " + ", ".join(attributes)


def contact_sheet(sequence, tracks, n_frames=6, columns=3, ax_size=3.0, colors=None, thickness=2):
    """A grid of evenly spaced frames of ``sequence`` with the ground truth and each tracker's box drawn.

    Parameters
    ----------
    sequence : Sequence
        As in ``render_sequence``.
    tracks : dict
        tracker name → boxes ``(x, y, w, h)``, shape ``(N, 4)``.
    n_frames : int
        Number of frames shown, from the first to the last (all of them when the sequence is shorter).
    columns : int
        Frames per row.
    ax_size : float
        Width of one frame in inches.
    colors : dict, optional
        label → colour overriding the defaults (see ``box_colors``).
    thickness : int
        Outline width in pixels.

    Returns
    -------
    matplotlib.figure.Figure
        One image axes per frame, titled ``frame k`` (1-based) and the trackers that gave no box there (lost: NaN,
        or a box of no area), a legend naming the colours below, and the sequence's name and attributes as the
        title.
    """
    import matplotlib.pyplot as plt

    if int(n_frames) != n_frames or n_frames < 1:
        raise ValueError(f"n_frames: expected a whole number ≥ 1, got {n_frames!r}")
    if int(columns) != columns or columns < 1:
        raise ValueError(f"columns: expected a whole number ≥ 1, got {columns!r}")
    if len(sequence) == 0:
        raise ValueError(f"sequence {sequence.name!r} has no frames to show")
    tracks = _check_tracks(sequence, tracks)
    indices = _evenly_spaced(len(sequence), int(n_frames))
    columns = min(int(columns), len(indices))
    rows = -(-len(indices) // columns)
    first = np.asarray(sequence[int(indices[0])])
    aspect = first.shape[0] / first.shape[1]
    figure = plt.figure(figsize=(columns * ax_size, rows * ax_size * aspect + 1.2), layout="constrained")
    for position, index in enumerate(indices):
        ax = figure.add_subplot(rows, columns, position + 1)
        ax.imshow(draw_boxes(sequence[int(index)], _frame_boxes(sequence, tracks, index), colors, thickness))
        lost = _lost_trackers(tracks, index)
        ax.set_title(f"frame {index + 1}" + (f" (no box: {', '.join(lost)})" if lost else ""), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    legend_colors = box_colors(_frame_boxes(sequence, tracks, 0), colors)
    figure.legend(handles=_legend_handles(legend_colors), loc="outside lower center",
                  ncol=min(len(legend_colors), 2 * columns), frameon=False)
    figure.suptitle(f"{sequence.name} ({_attribute_text(sequence.attributes)})")
    return figure


# ---------------------------------------------------------------------------------------- OTB success / precision

def _check_curves(curves, thresholds, argument):
    """Return ``(thresholds, {name: curve})`` as float arrays, each curve of the same length as ``thresholds``."""
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if thresholds.ndim != 1:
        raise ValueError(f"thresholds: expected a 1-D array, got shape {thresholds.shape}")
    if not curves:
        raise ValueError(f"{argument}: expected at least one tracker's curve, got none")
    checked = {}
    for name, curve in curves.items():
        curve = np.asarray(curve, dtype=np.float64)
        if curve.shape != thresholds.shape:
            raise ValueError(
                f"{argument}[{name!r}]: expected one value per threshold, shape {thresholds.shape}, "
                f"got shape {curve.shape}"
            )
        checked[name] = curve
    return thresholds, checked


def _plot_ranked(ax, thresholds, curves, scores):
    """One line per tracker, legend entries ``name [score]`` best first; colours follow the input order."""
    styles = {}
    for position, name in enumerate(curves):
        rgb = np.array(TRACKER_COLORS[position % len(TRACKER_COLORS)]) / 255
        dashed = (position // len(TRACKER_COLORS)) % 2 == 1
        styles[name] = dict(color=rgb, linestyle="--" if dashed else "-")
    ranked = sorted(curves, key=lambda name: scores[name], reverse=True)
    for name in ranked:  # not clipped at the axes, so a curve along 1.0 keeps its full width
        ax.plot(thresholds, curves[name], linewidth=2, label=f"{name} [{scores[name]:.3f}]", clip_on=False,
                **styles[name])
    ax.grid(True, alpha=0.4)
    ax.set_ylim(0, 1)


def _new_axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(5.5, 4.5))[1]


def plot_success(curves, thresholds=None, ax=None, title="Success plot of OPE"):
    """OTB's success plot: the fraction of frames whose overlap (IoU) exceeds each threshold, one line per tracker.

    Parameters
    ----------
    curves : dict
        tracker name → success rates, shape (T,), one per overlap threshold.
    thresholds : array, shape (T,), optional
        Overlap thresholds; default OTB's ``0:0.05:1`` (``metrics.OVERLAP_THRESHOLDS``).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    title : str

    Returns
    -------
    matplotlib.axes.Axes
        Legend entries ``KCF [0.483]`` sorted best first, the number being the AUC = mean of the curve's points
        (OTB's score, which approximates the area under it, and the mean overlap, for the default evenly spaced
        thresholds: a sequence tracked at overlap 1 throughout scores 0.952, 20 of the 21 points).
    """
    thresholds, curves = _check_curves(curves, OVERLAP_THRESHOLDS if thresholds is None else thresholds, "curves")
    scores = {name: float(np.mean(curve)) for name, curve in curves.items()}
    ax = _new_axes(ax)
    _plot_ranked(ax, thresholds, curves, scores)
    ax.set_xlim(0, 1)
    ax.set_xlabel("Overlap threshold")
    ax.set_ylabel("Success rate")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return ax


def precision_at_20(curve, thresholds):
    """The precision at 20 px: the curve's value at threshold 20 (interpolated when 20 is not a threshold)."""
    exact = np.flatnonzero(thresholds == 20)
    if exact.size:
        return float(curve[exact[0]])
    return float(np.interp(20.0, thresholds, curve))


def plot_precision(curves, thresholds=None, ax=None, title="Precision plot of OPE"):
    """OTB's precision plot: the fraction of frames whose centre error is within each threshold, one line per tracker.

    Parameters
    ----------
    curves : dict
        tracker name → precision, shape (T,), one per location-error threshold.
    thresholds : array, shape (T,), optional
        Centre-error thresholds in pixels, increasing; default ``np.arange(0, 51)`` (``metrics.ERROR_THRESHOLDS``).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    title : str

    Returns
    -------
    matplotlib.axes.Axes
        Legend entries ``KCF [0.696]`` sorted best first, the number being the precision at 20 px.
    """
    thresholds, curves = _check_curves(curves, ERROR_THRESHOLDS if thresholds is None else thresholds, "curves")
    scores = {name: precision_at_20(curve, thresholds) for name, curve in curves.items()}
    ax = _new_axes(ax)
    _plot_ranked(ax, thresholds, curves, scores)
    ax.set_xlim(0, 50)
    ax.set_xlabel("Location error threshold (px)")
    ax.set_ylabel("Precision")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def _save_axes_plot(draw, path):
    """Draw with ``draw(ax)`` on a fresh Agg figure (no pyplot, no window) and save it to ``path`` atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.5, 4.5), dpi=120)
    FigureCanvasAgg(figure)
    draw(figure.add_subplot())
    figure.tight_layout()
    return save_figure(figure, path, format="png")


def save_ope_plots(success_curves, precision_curves, out_dir, prefix="", attributes=None, counts=None):
    """Write OTB's success and precision plots as PNG files. Per-attribute plots of an earlier call for a tag this
    call does not draw (``success_OCC.png`` from another suite) are removed, so that the folder shows one evaluation.

    Parameters
    ----------
    success_curves : dict
        tracker name → success rates, shape (21,), over OTB's thresholds ``0:0.05:1``
        (``metrics.OVERLAP_THRESHOLDS``).
    precision_curves : dict
        tracker name → precision, shape (51,), over ``np.arange(0, 51)`` px.
    out_dir : str or Path
        Folder for the files; created when missing.
    prefix : str
        Put before each file name, e.g. ``"otb100_"`` → ``otb100_success.png``.
    attributes : dict, optional
        attribute tag (``"OCC"``) → ``(success_curves, precision_curves)`` over the sequences with that tag; adds
        ``success_OCC.png`` and ``precision_OCC.png`` for each.
    counts : dict, optional
        The number of sequences behind each plot, shown in its title as OTB does: ``""`` for the whole suite, and
        each tag of ``attributes``.

    Returns
    -------
    list of Path
        The files written: ``success.png``, ``precision.png``, then the per-attribute pairs.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = counts or {}
    plots = [("", _count_text(counts.get("")), success_curves, precision_curves)]
    for tag, (success, precision) in (attributes or {}).items():
        plots.append((f"_{tag}", ATTRIBUTES.get(tag, tag) + _count_text(counts.get(tag), ", "), success, precision))
    paths = []
    for suffix, subtitle, success, precision in plots:
        second_line = f"\n{subtitle}" if subtitle else ""
        paths.append(_save_axes_plot(
            lambda ax: plot_success(success, ax=ax, title=f"Success plot of OPE{second_line}"),
            out_dir / f"{prefix}success{suffix}.png",
        ))
        paths.append(_save_axes_plot(
            lambda ax: plot_precision(precision, ax=ax, title=f"Precision plot of OPE{second_line}"),
            out_dir / f"{prefix}precision{suffix}.png",
        ))
    per_attribute = re.compile(rf"{re.escape(prefix)}(success|precision)_[A-Z0-9]+\.png")
    for stale in sorted(set(out_dir.iterdir()) - set(paths)):
        if per_attribute.fullmatch(stale.name) and stale.is_file():
            stale.unlink()
    return paths


def _count_text(count, before=""):
    return "" if count is None else f"{before}{count} sequence{'' if count == 1 else 's'}"
