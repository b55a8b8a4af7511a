"""The checks every minicnn tracker shares, and the base class that runs them: OpenCV's ``init`` / ``update``.

A tracker subclasses ``Tracker`` and writes two methods, ``_init(frame, box)`` and ``_update(frame) -> (ok, box)``.
The public ``init`` and ``update`` check their arguments first, so a subclass can rely on:

- ``frame``: ``(H, W, 3)`` uint8 RGB (a grey frame has been repeated over the three channels), every frame the size
  of the first one;
- ``box``: ``(4,)`` float64 ``(x, y, w, h)`` in 0-based pixels, finite, ``w > 0``, ``h > 0``, overlapping the frame.

Sizes in messages: a frame's size is written ``H×W`` (its array shape), and a box's frame ``W×H`` as in
``minicnn.track.boxes.box_problems``; each message says which order it uses.
"""

import math

import numpy as np


def _shape_text(shape):
    return str(tuple(int(n) for n in shape))


def _box_text(box):
    return "(" + ", ".join(f"{v:g}" for v in box) + ")"


def as_rgb_frame(frame, argument="frame"):
    """Check that ``frame`` is an RGB uint8 image and return it as ``(H, W, 3)`` uint8.

    Parameters
    ----------
    frame : array_like, shape (H, W, 3), (H, W, 1) or (H, W), dtype uint8
        An RGB frame, or a grey one.
    argument : str
        The name used in error messages.

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
        An ``(H, W, 3)`` uint8 array is returned as it is (the same object, no copy). A grey frame ``(H, W)`` or
        ``(H, W, 1)`` is converted to a new RGB array by repeating its one channel three times,
        ``rgb[i, j, c] = grey[i, j]`` for ``c = 0, 1, 2``, so trackers that read colour see a grey picture.

    Raises
    ------
    ValueError
        An RGBA frame ``(H, W, 4)`` (drop the alpha channel with ``frame[..., :3]``), an empty frame, or any other
        shape.
    TypeError
        A dtype other than uint8 (e.g. a float image in 0–1: convert it with
        ``(frame * 255).round().astype(np.uint8)``).
    """
    frame = np.asarray(frame)
    channels = frame.shape[2] if frame.ndim == 3 else None
    if frame.ndim == 3 and channels == 4:
        raise ValueError(
            f"{argument}: expected an RGB frame (H, W, 3), got an RGBA frame of shape {_shape_text(frame.shape)}; "
            f"drop the alpha channel with {argument}[..., :3]"
        )
    if not (frame.ndim == 2 or (frame.ndim == 3 and channels in (1, 3))):
        raise ValueError(
            f"{argument}: expected an RGB frame of shape (H, W, 3) (or a grey one, (H, W) or (H, W, 1)), "
            f"got shape {_shape_text(frame.shape)}"
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"{argument}: expected a frame with at least one pixel, got shape {_shape_text(frame.shape)}")
    if frame.dtype != np.uint8:
        raise TypeError(f"{argument}: expected uint8 RGB values 0–255, got dtype {frame.dtype}"
                        f"{_conversion_hint(frame, argument)}")
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if channels == 1:
        return np.repeat(frame, 3, axis=2)
    return frame


def _conversion_hint(frame, argument):
    """How to make ``frame`` uint8, by its dtype and values: the one rule for a 0–1 float image, applied to a
    0–255 one, turned 200 into 56 without an error."""
    kind = frame.dtype.kind
    if kind == "b":
        return f"; convert the mask with {argument}.astype(np.uint8) * 255"
    if frame.dtype == np.uint16 and frame.size and frame.max() > 255:  # values of 0–255: 8-bit ones, as below
        return f"; convert the 16-bit image with ({argument} // 257).astype(np.uint8)"
    if kind not in "iuf" or not np.all(np.isfinite(frame)):
        return ""
    largest, smallest = float(frame.max()), float(frame.min())
    if smallest < 0 or largest > 255:
        return f" with values from {smallest:g} to {largest:g}; scale them into 0–255 first"
    if kind == "f" and largest <= 1:
        return f"; convert the 0–1 float image with ({argument} * 255).round().astype(np.uint8)"
    return f"; its values lie in 0–255: {argument}.round().astype(np.uint8)" if kind == "f" else (
        f"; its values lie in 0–255: {argument}.astype(np.uint8)")


def check_box(box, frame_shape, argument="box"):
    """Check a target box against the frame it is drawn on and return it as ``(4,)`` float64.

    Parameters
    ----------
    box : array_like, shape (4,)
        ``(x, y, w, h)`` in 0-based pixels: the top-left corner and the size.
    frame_shape : tuple
        The frame's shape ``(H, W, ...)``.
    argument : str
        The name used in error messages.

    Returns
    -------
    ndarray, shape (4,), float64
        A new array (changing it does not change ``box``).

    Raises
    ------
    ValueError
        When ``box`` is not four numbers, holds NaN or infinity, has ``w ≤ 0`` or ``h ≤ 0``, or lies wholly outside
        the frame: it must overlap it, ``x < W``, ``y < H``, ``x + w > 0`` and ``y + h > 0``.
    """
    try:
        values = np.array(box, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{argument}: expected four numbers (x, y, w, h), got {box!r}") from None
    if values.shape != (4,):
        raise ValueError(
            f"{argument}: expected one box of four numbers (x, y, w, h), shape (4,), got shape "
            f"{_shape_text(values.shape)}: {box!r}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{argument}: expected finite numbers, got {_box_text(values)} (NaN or infinity)")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise ValueError(
            f"{argument}: expected a width and height > 0, got {_box_text(values)} (w = {w:g}, h = {h:g})"
        )
    height, width = int(frame_shape[0]), int(frame_shape[1])
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise ValueError(
            f"{argument} {_box_text(values)} lies wholly outside the {width}×{height} frame (width×height); "
            f"expected a box overlapping it: x < {width}, y < {height}, x + w > 0, y + h > 0"
        )
    return values


STATISTICS_PIXELS = 640 * 480
"""A frame of more pixels has its colour statistics taken from every k-th row and column, about this many pixels:
the mean and deviation of a photograph barely change, and on a 1080p frame they took most of a tracker's update."""


def colour_statistics(image):
    """Per-channel mean ``μ`` and standard deviation ``σ`` of an ``(H, W, 3)`` image, each ``(3,)`` float32
    (``σ`` raised by 10⁻³ so that a flat image can be divided by it). On an image of more than
    ``STATISTICS_PIXELS`` pixels, of every k-th row and column, ``k = ⌈√(H·W / STATISTICS_PIXELS)⌉`` (3 at 1080p)."""
    image = np.asarray(image)
    step = math.ceil(math.sqrt(image.shape[0] * image.shape[1] / STATISTICS_PIXELS))
    image = np.asarray(image[::step, ::step], dtype=np.float32)
    return image.mean(axis=(0, 1)), image.std(axis=(0, 1)) + np.float32(1e-3)


def match_colour_statistics(image, reference):
    """``image`` with the colour statistics ``reference = (μ₀, σ₀)`` (see ``colour_statistics``), per channel::

        I' = (I − μ)·σ₀/σ + μ₀

    ``μ, σ`` are the image's own. A global change of brightness, contrast or colour cast (``I = g·I₀ + c`` per
    channel) cancels exactly; a shadow crossing part of the frame does not. Returns float32 ``(H, W, 3)``,
    unclipped. A uint8 image takes one of 256 levels per channel, so the formula is worked out for those
    (a table, the same float32 arithmetic) and looked up: half the time of computing it per pixel on a 1080p frame.
    """
    image = np.asarray(image)
    mean, std = colour_statistics(image)

    def matched(values):  # float32 values, per channel along the last axis
        return ((values - mean) * (reference[1] / std) + reference[0]).astype(np.float32, copy=False)

    if image.dtype == np.uint8:
        return matched(np.arange(256, dtype=np.float32)[:, None])[image, np.arange(3)]
    return matched(image.astype(np.float32, copy=False))


class Tracker:
    """Base class of minicnn's trackers: OpenCV's interface, with the argument checks done once for all.

    Use it as ``tracker.init(frame, box)`` on the first frame, then ``ok, box = tracker.update(frame)`` on each
    following frame. A subclass implements

    - ``_init(frame, box)``: start on the target; ``frame`` is ``(H, W, 3)`` uint8 RGB, ``box`` ``(4,)`` float64;
    - ``_update(frame) -> (ok, box)``: find the target; ``ok`` False when it is lost (``box`` is then its best
      guess, or NaN).

    and sets the class attribute ``name`` (the name ``make_tracker`` knows it by).

    Attributes
    ----------
    name : str
    frame_size : tuple of int or None
        ``(H, W)`` of the first frame, once ``init`` has run.
    """

    name = "tracker"
    _frame_size = None

    @property
    def frame_size(self):
        return self._frame_size

    def init(self, frame, box):
        """Start tracking the target at ``box`` in ``frame``.

        Parameters
        ----------
        frame : ndarray, shape (H, W, 3) uint8 RGB, or grey (H, W) / (H, W, 1) uint8
            See ``as_rgb_frame``.
        box : array_like, shape (4,)
            ``(x, y, w, h)`` in 0-based pixels; see ``check_box``.
        """
        self._frame_size = None  # a failed init leaves the tracker uninitialised
        frame = as_rgb_frame(frame, "frame")
        box = check_box(box, frame.shape, "box")
        self._init(frame, box)
        self._frame_size = frame.shape[:2]

    def update(self, frame):
        """Find the target in the next frame.

        Parameters
        ----------
        frame : ndarray, shape (H, W, 3) uint8 RGB, or grey
            The same size as the first frame.

        Returns
        -------
        ok : bool
            False when the tracker has lost the target.
        box : ndarray, shape (4,), float64
            ``(x, y, w, h)`` in 0-based pixels.
        """
        if self._frame_size is None:
            raise RuntimeError(f"{self.name}: call init(frame, box) on the first frame before update(frame)")
        frame = as_rgb_frame(frame, "frame")
        if frame.shape[:2] != self._frame_size:
            expected = "×".join(str(n) for n in self._frame_size)
            given = "×".join(str(n) for n in frame.shape[:2])
            raise ValueError(
                f"frame: expected a {expected} frame like the first one, got {given} (height×width); "
                "every frame of a video must have the first frame's size"
            )
        result = self._update(frame)
        try:
            ok, box = result
            box = np.asarray(box, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{type(self).__name__}._update must return (ok, box) with box = (x, y, w, h), got {result!r}"
            ) from None
        if box.shape != (4,):
            raise TypeError(
                f"{type(self).__name__}._update must return (ok, box) with box of shape (4,), got shape "
                f"{_shape_text(box.shape)}"
            )
        return bool(ok), box

    def _init(self, frame, box):
        raise NotImplementedError(f"{type(self).__name__} must implement _init(frame, box)")

    def _update(self, frame):
        raise NotImplementedError(f"{type(self).__name__} must implement _update(frame) -> (ok, box)")

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"
