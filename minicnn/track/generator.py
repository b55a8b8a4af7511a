"""Tracking sequences rendered from real photographs, each built to exercise chosen OTB attributes.

Every sequence is drawn from a seed, so the same seed gives the same frames and the same ground truth, byte for
byte. The photographs are the ones bundled with scikit-image (and matplotlib's portrait of Grace Hopper): nothing
is downloaded.

What one sequence is made of
----------------------------
- a **background**: a random region of one photograph, resized to the frame (a static camera); or, for camera
  motion (CM), a large photograph the camera pans and zooms over;
- a **target**: a detailed random region of another photograph, of random size and aspect, with a soft alpha mask
  (a rectangle, a rounded rectangle or an ellipse), moving on a smooth random path (a random walk of control
  points, interpolated) with a per-frame scale and rotation; for CM the target is instead a fixed region of the
  scene, which moves only because the camera does;
- optionally **distractors** (BC: recoloured, slightly changed copies of the target moving close by, drawn behind
  it), **occluders** (POC / FOC: regions of other photographs passing in front of the target), **motion blur**
  (MB: the average of several renders over the exposure), **illumination** changes (IV: a time-varying gain,
  colour cast, light gradient and a shadow band the target moves through), and sensor noise in every frame.

Every moving target also flexes a little (its width and height change by factors of up to e^±0.2, one up as the
other goes down: +22 % and −18 %, so its aspect ratio by up to ×1.5, ``STRETCH``), its scale drifts by up to
±15 %, and its content slides under its mask by up to 0.2 target sizes (``SLIDE``), as a real object turns and
deforms. Without these nuisances the classic trackers all score above 0.8 on every sequence without a
hard attribute, and a suite where every tracker passes teaches nothing: with them, OpenCV's trackers spread out
much as on OTB-100 (see ``make_suite``).

Coordinates: frame pixel ``(row r, column c)`` covers the square ``[c, c + 1) × [r, r + 1)``, so its centre is
``(c + ½, r + ½)``, the convention of ``minicnn.track.boxes``. A pose (``Pose``) ``(x, y, s, θ, k)`` puts the
target's centre at ``(x, y)``, scaled by ``s``, stretched by ``k`` and turned by ``θ`` radians: a point ``q`` of the
target (in pixels at scale 1, centred on the target) lands at ``(x, y) + R(θ) (s eᵏ q_x, s e⁻ᵏ q_y)`` with
``R(θ) = [[cos θ, −sin θ], [sin θ, cos θ]]``.

Ground truth is the axis-aligned bounding box of the target's outline (where its alpha mask is ½) in the frame,
clipped to the image. Fully occluded frames keep the box of where the target is (as OTB annotates them); frames
where the target is wholly out of view (its clipped box is under one pixel wide or high) are *absent*: NaN rows.
``cover`` gives GOT-10k's visible fraction per frame, 0 (hidden) … 8 (fully visible).

    >>> from minicnn.track.generator import make_sequence, make_suite
    >>> sequence = make_sequence("fm", seed=0, n_frames=30)        # a fast-moving target
    >>> sequence.attributes
    ('FM',)
    >>> folders = make_suite("data/photo-suite", seed=0)          # doctest: +SKIP
"""

import functools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy.interpolate import PchipInterpolator

from minicnn import processes
from minicnn.checks import stop_on_termination

__all__ = [
    "TAGS",
    "SequenceSpec",
    "DEFAULT_SPECS",
    "SUITE_ATTRIBUTES",
    "PHOTO_NAMES",
    "SCENE_PHOTO_NAMES",
    "load_photo",
    "make_sequence",
    "make_suite",
    "suite_specs",
    "cover_label",
]

TAGS = ("IV", "SV", "OCC", "POC", "FOC", "MB", "FM", "IPR", "BC", "LR", "OV", "CM")
"""The attribute tags the generator can exercise, in the order they are listed on a sequence."""


@dataclass(frozen=True)
class SequenceSpec:
    """What one generated sequence should exercise: a folder name and attribute tags from ``TAGS``."""

    name: str
    attributes: tuple = ()


DEFAULT_SPECS = (
    SequenceSpec("photo-01-plain", ()),
    SequenceSpec("photo-02-plain", ()),
    SequenceSpec("photo-03-plain", ()),
    SequenceSpec("photo-04-iv", ("IV",)),
    SequenceSpec("photo-05-sv", ("SV",)),
    SequenceSpec("photo-06-ipr", ("IPR",)),
    SequenceSpec("photo-07-poc", ("OCC", "POC")),
    SequenceSpec("photo-08-foc", ("OCC", "FOC")),
    SequenceSpec("photo-09-fm", ("FM",)),
    SequenceSpec("photo-10-mb", ("MB",)),
    SequenceSpec("photo-11-bc", ("BC",)),
    SequenceSpec("photo-12-lr", ("LR",)),
    SequenceSpec("photo-13-ov", ("OV",)),
    SequenceSpec("photo-14-cm", ("CM",)),
    SequenceSpec("photo-15-cm-sv", ("SV", "CM")),
    SequenceSpec("photo-16-fm-mb", ("MB", "FM")),
    SequenceSpec("photo-17-sv-ipr", ("SV", "IPR")),
    SequenceSpec("photo-18-bc-poc", ("OCC", "POC", "BC")),
    SequenceSpec("photo-19-lr-fm", ("FM", "LR")),
    SequenceSpec("photo-20-iv-ov", ("IV", "OV")),
)
"""The default suite: one or two attributes per sequence, and three plain ones."""

SUITE_ATTRIBUTES = tuple(spec.attributes for spec in DEFAULT_SPECS)
"""The attribute tags of each sequence of the default suite, in order."""

PHOTO_NAMES = (
    "astronaut", "brick", "camera", "cat", "chelsea", "coffee", "coins", "grass", "gravel", "hubble_deep_field",
    "immunohistochemistry", "retina", "rocket", "stereo_motorcycle", "text", "page", "moon", "clock", "colorwheel",
    "grace_hopper",
)
"""Every photograph targets, occluders and backgrounds are cut from (scikit-image's, and matplotlib's
``grace_hopper.jpg``); all ship inside the installed packages."""

SCENE_PHOTO_NAMES = ("retina", "hubble_deep_field", "stereo_motorcycle", "coffee", "astronaut")
"""The large photographs a moving camera (CM) pans and zooms over."""

NOISE_SIGMA = 2.0
"""Standard deviation of the Gaussian sensor noise added to every frame, in grey levels."""

BLUR_SAMPLES = 7
"""Renders averaged over one exposure for motion blur."""

STRETCH = 0.2
"""Largest stretch ``|k|`` of a moving target: ``eᵏ`` wider and ``e⁻ᵏ`` less high, or the other way round (a side
grows by up to 22 % as the other shrinks by up to 18 %, the aspect ratio by up to ``e²ᵏ`` ≈ ×1.5): every target
flexes a little, as real objects turn and deform."""

SLIDE = 0.2
"""How far a target's content slides under its mask, in target sizes ``√(w h)``: every target's surface shifts a
little over the sequence, as a turning object shows other parts of itself."""


# ------------------------------------------------------------------------------------------------- photographs

@functools.lru_cache(maxsize=None)
def load_photo(name):
    """One bundled photograph as ``(H, W, 3)`` uint8 RGB (grey photographs repeated over the three channels).

    Parameters
    ----------
    name : str
        One of ``PHOTO_NAMES``.

    Returns
    -------
    ndarray, uint8, shape (H, W, 3), read-only (the result is cached).
    """
    if name not in PHOTO_NAMES:
        raise ValueError(f"name: unknown photograph {name!r}; choose one of {PHOTO_NAMES}")
    if name == "grace_hopper":
        import matplotlib.cbook
        import matplotlib.image

        image = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))
    else:
        from skimage import data

        image = getattr(data, name)()
        if isinstance(image, tuple):  # stereo_motorcycle: (left, right, disparity)
            image = image[0]
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(image * (255.0 if image.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3])
    image.setflags(write=False)
    return image


def _resize(image, shape):
    """Resample a float image to ``shape = (height, width)`` (bilinear, anti-aliased when shrinking)."""
    from skimage.transform import resize

    shrinking = shape[0] < image.shape[0] or shape[1] < image.shape[1]
    return resize(image, shape, order=1, anti_aliasing=shrinking, preserve_range=True).astype(np.float32)


def _texture(region, size=32):
    """How much detail a region has: the mean absolute grey-level difference between neighbouring pixels of a
    ``size × size`` thumbnail of it (about 2–7 for sky, blank paper or a smooth gradient, 15–40 for detail)."""
    thumbnail = _resize(np.asarray(region, dtype=np.float32), (size, size)).mean(axis=2)
    return float(np.mean(np.abs(np.diff(thumbnail, axis=0))) + np.mean(np.abs(np.diff(thumbnail, axis=1))))


MIN_TEXTURE = 10.0
"""Least ``_texture`` a target region should have (tried a dozen times, else the most detailed one drawn)."""


def _random_region(rng, photo, width, height, min_texture=MIN_TEXTURE, tries=12):
    """A random integer region ``(x, y, width, height)`` of ``photo`` with some detail, and its ``_texture``.

    Draws up to ``tries`` positions and keeps the first whose ``_texture`` reaches ``min_texture``; otherwise the
    most detailed one drawn.
    """
    photo_h, photo_w = photo.shape[:2]
    width, height = int(min(width, photo_w)), int(min(height, photo_h))
    best, best_texture = None, -1.0
    for _ in range(tries):
        x = int(rng.integers(0, photo_w - width + 1))
        y = int(rng.integers(0, photo_h - height + 1))
        if min_texture <= 0:
            return (x, y, width, height), 0.0
        texture = _texture(photo[y : y + height, x : x + width])
        if texture >= min_texture:
            return (x, y, width, height), texture
        if texture > best_texture:
            best, best_texture = (x, y, width, height), texture
    return best, best_texture


# ------------------------------------------------------------------------------------------------ smooth curves

def _reflect(value, low, high):
    """Fold ``value`` back into ``[low, high]`` as a ball bouncing between two walls would."""
    if high <= low:
        return 0.5 * (low + high)
    period = 2.0 * (high - low)
    offset = (value - low) % period
    return low + (period - offset if offset > high - low else offset)


def _knot_times(n_frames, spacing):
    """Frame times of control points, ``spacing`` apart, from 0 to at least ``n_frames − 1``."""
    spacing = max(float(spacing), 1.0)
    count = max(int(np.ceil((n_frames - 1) / spacing)), 1) + 1
    return np.arange(count) * spacing


def _through_knots(times, values, n_frames):
    """Monotone cubic (PCHIP) interpolation through control points, at frames ``0 … n_frames − 1``.

    PCHIP never overshoots its control points, so a curve whose control points lie in ``[low, high]`` stays there.
    """
    values = np.asarray(values, dtype=np.float64)
    return PchipInterpolator(times, values, axis=0)(np.arange(n_frames, dtype=np.float64))


def smooth_curve(rng, n_frames, spacing, start, step, low, high):
    """A smooth random curve: control points every ``spacing`` frames, each a random step from the last.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_frames : int
    spacing : float
        Frames between control points: small for quick changes.
    start : float
        The value at frame 0.
    step : float
        Largest step between neighbouring control points (uniform in ``[−step, step]``).
    low, high : float
        Control points are reflected into this range, so the curve stays inside it.

    Returns
    -------
    ndarray, shape (n_frames,)
    """
    times = _knot_times(n_frames, spacing)
    values = [start]
    for _ in times[1:]:
        values.append(_reflect(values[-1] + rng.uniform(-step, step), low, high))
    return _through_knots(times, values, n_frames)


def smooth_path(rng, n_frames, spacing, start, speed, low, high):
    """A smooth random 2-D path in frame pixels: a random walk of control points, interpolated.

    Control points are ``spacing`` frames apart; each is a step of length ``speed · spacing · U(0.6, 1.4)`` in a
    random direction from the previous one, reflected into the box ``low ≤ (x, y) ≤ high``; the first two are
    the same, so the path starts at rest (a tracker's first frames are calm).

    Parameters
    ----------
    rng : numpy.random.Generator
    n_frames : int
    spacing : float
    start : (float, float)
        Position at frame 0.
    speed : float
        Typical speed, pixels per frame.
    low, high : (float, float)
        The box the path stays in.

    Returns
    -------
    ndarray, shape (n_frames, 2): the ``(x, y)`` per frame.
    """
    times = _knot_times(n_frames, spacing)
    points = [np.asarray(start, dtype=np.float64)] * min(2, len(times))
    for _ in times[len(points) :]:
        angle = rng.uniform(0.0, 2.0 * np.pi)
        length = speed * spacing * rng.uniform(0.6, 1.4)
        moved = points[-1] + length * np.array([np.cos(angle), np.sin(angle)])
        points.append(np.array([_reflect(moved[i], low[i], high[i]) for i in range(2)]))
    return _through_knots(times, np.array(points), n_frames)


def event_window(n_frames, start, ramp, hold):
    """A smooth bump over frames: 0, rising over ``ramp`` frames from ``start`` to 1, 1 for ``hold`` frames, falling.

    Returns
    -------
    ndarray, shape (n_frames,), values in [0, 1] (a raised-cosine ramp on each side).
    """
    t = np.arange(n_frames, dtype=np.float64)
    ramp = max(float(ramp), 1e-6)
    rise = np.clip((t - start) / ramp, 0.0, 1.0)
    fall = np.clip((start + ramp + hold + ramp - t) / ramp, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))


# ------------------------------------------------------------------------------------------------------ cutouts

@dataclass
class Cutout:
    """An image to paste into frames: a photograph's region with an alpha mask, at several resolutions.

    The mask covers ``grid_width × grid_height`` frame pixels at scale 1, centred on the target's centre; its shape
    (where alpha = ½) is ``outline``. The colour image reaches ``margin`` pixels further on every side, so that the
    content can slide under the mask (a turning object shows other parts of its surface). ``alpha[0]`` and
    ``colour[0]`` are full resolution (alpha with a one-pixel transparent border); each further level halves the
    resolution, for drawing the target small without aliasing.
    """

    colour: list
    alpha: list
    grid_width: float
    grid_height: float
    margin: float
    resolution: tuple  # cutout pixels per frame pixel at scale 1, (across, down), at level 0
    outline: np.ndarray

    def pixels_per_unit(self, level=0):
        """Cutout pixels per frame pixel at scale 1, across (x) and down (y), at a pyramid level."""
        return self.resolution[0] / 2**level, self.resolution[1] / 2**level


def _shape_distance(shape, x, y, half_width, half_height, radius):
    """Signed distance (negative inside) from points ``(x, y)`` to a centred rectangle, rounded rectangle or
    ellipse of the given half sizes, in the same units."""
    if shape == "ellipse":
        norm = np.sqrt((x / half_width) ** 2 + (y / half_height) ** 2)
        return (norm - 1.0) * min(half_width, half_height)
    radius = min(radius, half_width, half_height) if shape == "rounded" else 0.0
    qx = np.abs(x) - (half_width - radius)
    qy = np.abs(y) - (half_height - radius)
    outside = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
    return outside + np.minimum(np.maximum(qx, qy), 0.0) - radius


def _shape_outline(shape, half_width, half_height, radius, count=96):
    """Points on the shape's boundary, ``(P, 2)``, centred; their bounding box is the shape's."""
    if shape == "ellipse":
        t = np.linspace(0.0, 2.0 * np.pi, count, endpoint=False)
        return np.column_stack([half_width * np.cos(t), half_height * np.sin(t)])
    radius = min(radius, half_width, half_height) if shape == "rounded" else 0.0
    t = np.linspace(0.0, 0.5 * np.pi, max(count // 4, 2))
    points = []
    for sx, sy in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
        cx, cy = sx * (half_width - radius), sy * (half_height - radius)
        points.append(np.column_stack([cx + sx * radius * np.cos(t), cy + sy * radius * np.sin(t)]))
    return np.concatenate(points)


def _halve(image):
    """Half the resolution by 2 × 2 means (an odd last row or column is averaged with itself)."""
    if image.shape[0] % 2:
        image = np.concatenate([image, image[-1:]], axis=0)
    if image.shape[1] % 2:
        image = np.concatenate([image, image[:, -1:]], axis=1)
    return 0.25 * (image[0::2, 0::2] + image[1::2, 0::2] + image[0::2, 1::2] + image[1::2, 1::2])


def _pyramid(image, levels=4):
    """The image and up to ``levels − 1`` halvings of it (stopping before a side gets under 4 pixels)."""
    result = [image]
    while len(result) < levels and min(result[-1].shape[:2]) >= 8:
        result.append(_halve(result[-1]))
    return result


def make_cutout(rgb, width, height, shape="rect", feather=1.0, radius=0.0, resolution=1.0, margin=0.0):
    """Build a ``Cutout`` of size ``width × height`` (frame pixels at scale 1) from an RGB image of its content.

    Parameters
    ----------
    rgb : ndarray, shape (h, w, 3)
        The content, any size; it is resampled onto the cutout's grid (``resolution`` cutout pixels per frame
        pixel), which reaches ``feather + margin`` pixels beyond the shape on every side.
    width, height : float
        The shape's size at scale 1: its bounding box when unrotated.
    shape : {"rect", "rounded", "ellipse"}
    feather : float
        Width of the soft edge, frame pixels: alpha falls from 1 to 0 across it, ½ on the outline.
    radius : float
        Corner radius of a rounded rectangle.
    resolution : float
        Cutout pixels per frame pixel at scale 1 (above 1 for a target that grows).
    margin : float
        Extra content around the mask, frame pixels at scale 1, for the content to slide under it.
    """
    if shape not in ("rect", "rounded", "ellipse"):
        raise ValueError(f"shape: expected 'rect', 'rounded' or 'ellipse', got {shape!r}")
    feather = max(float(feather), 0.25)
    grid_width, grid_height = width + 2.0 * feather, height + 2.0 * feather
    pixels_w = max(int(round(grid_width * resolution)), 2)
    pixels_h = max(int(round(grid_height * resolution)), 2)
    per_x, per_y = pixels_w / grid_width, pixels_h / grid_height
    colour_shape = (int(round(pixels_h + 2 * margin * per_y)), int(round(pixels_w + 2 * margin * per_x)))
    colour = _resize(np.asarray(rgb, dtype=np.float32), colour_shape)
    x = (np.arange(pixels_w) + 0.5) / per_x - grid_width / 2.0
    y = (np.arange(pixels_h) + 0.5) / per_y - grid_height / 2.0
    distance = _shape_distance(shape, x[None, :], y[:, None], width / 2.0, height / 2.0, radius)
    alpha = np.clip(0.5 - distance / feather, 0.0, 1.0).astype(np.float32)[:, :, None]
    alpha_levels = [np.pad(level, ((1, 1), (1, 1), (0, 0))) for level in _pyramid(alpha)]
    colour_levels = _pyramid(colour, len(alpha_levels))
    outline = _shape_outline(shape, width / 2.0, height / 2.0, radius)
    return Cutout(colour_levels, alpha_levels, grid_width, grid_height, margin, (per_x, per_y), outline)


def _recoloured(cutout, rng):
    """A look-alike of a cutout: its colours mixed a little towards a channel permutation, and a brightness
    change."""
    permutation = rng.permutation(3)
    while np.all(permutation == np.arange(3)):
        permutation = rng.permutation(3)
    mix = rng.uniform(0.0, 0.15)
    matrix = ((1.0 - mix) * np.eye(3) + mix * np.eye(3)[permutation]) * rng.uniform(0.85, 1.15)
    colour = [np.clip(level @ matrix.T.astype(np.float32), 0.0, 255.0) for level in cutout.colour]
    return Cutout(colour, cutout.alpha, cutout.grid_width, cutout.grid_height, cutout.margin, cutout.resolution,
                  cutout.outline)


# ------------------------------------------------------------------------------------------------------ layers

class Pose(NamedTuple):
    """Where a cutout is in one frame: centre ``(x, y)``, scale, angle (radians), stretch ``k`` and the content's
    slide ``(content_x, content_y)`` under the mask (frame pixels at scale 1)."""

    x: float
    y: float
    scale: float
    angle: float
    stretch: float = 0.0
    content_x: float = 0.0
    content_y: float = 0.0


@dataclass
class Layer:
    """A cutout and its pose per frame, each pose value an array (N,) (see ``Pose``).

    The stretch changes the aspect ratio at constant area: the cutout's own x axis is scaled by ``s · eᵏ`` and its
    y axis by ``s · e⁻ᵏ`` (an object turning slightly out of the image plane, or flexing). ``exposure`` (frames)
    > 0 blurs the layer along its motion; ``drawn = False`` for a CM target, which is part of the background.
    """

    cutout: Cutout
    x: np.ndarray
    y: np.ndarray
    scale: np.ndarray
    angle: np.ndarray
    exposure: float = 0.0
    drawn: bool = True
    stretch: np.ndarray = None
    content_x: np.ndarray = None
    content_y: np.ndarray = None

    def __post_init__(self):
        for name in ("stretch", "content_x", "content_y"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(len(self.x)))

    def pose(self, t):
        """The ``Pose`` at a (possibly fractional) frame time ``t``, interpolated linearly between frames."""
        frames = np.arange(len(self.x), dtype=np.float64)
        values = (self.x, self.y, self.scale, self.angle, self.stretch, self.content_x, self.content_y)
        return Pose(*(float(np.interp(t, frames, v)) for v in values))


def _transform(points, x, y, scale, angle, stretch=0.0):
    """Points of a cutout ``(P, 2)`` (centred, scale 1) → frame coordinates for one pose or N poses.

    ``p = (x, y) + R(θ) (s eᵏ q_x, s e⁻ᵏ q_y)``; with arrays of N poses the result has shape ``(N, P, 2)``.
    """
    x, y, scale, angle, stretch = (
        np.asarray(v, dtype=np.float64)[..., None] for v in np.broadcast_arrays(x, y, scale, angle, stretch)
    )
    cos, sin = np.cos(angle), np.sin(angle)
    qx, qy = scale * np.exp(stretch) * points[:, 0], scale * np.exp(-stretch) * points[:, 1]
    return np.stack([x + cos * qx - sin * qy, y + sin * qx + cos * qy], axis=-1)


def outline_boxes(layer):
    """Bounding boxes ``(x, y, w, h)`` of a layer's outline in every frame, unclipped, shape (N, 4)."""
    points = _transform(layer.cutout.outline, layer.x, layer.y, layer.scale, layer.angle, layer.stretch)
    low, high = points.min(axis=1), points.max(axis=1)
    return np.concatenate([low, high - low], axis=1)


def _grid_corners(cutout):
    half_w, half_h = cutout.grid_width / 2.0, cutout.grid_height / 2.0
    return np.array([[-half_w, -half_h], [half_w, -half_h], [half_w, half_h], [-half_w, half_h]])


def _region_of_poses(cutout, poses):
    """Integer pixel region ``(x0, y0, x1, y1)`` holding the cutout's whole grid at every given pose (unclipped)."""
    corners = np.concatenate([_transform(_grid_corners(cutout), *pose[:5]) for pose in poses])
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    return int(x0), int(y0), int(x1), int(y1)


def _clip_region(region, frame_shape):
    x0, y0, x1, y1 = region
    height, width = frame_shape
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


def sample_bilinear(image, rows, cols):
    """Bilinear samples of ``image`` at fractional pixel indices (pixel ``(i, j)``'s centre is ``(i, j)``).

    Parameters
    ----------
    image : ndarray, shape (H, W, C), float32
    rows, cols : ndarrays broadcastable to one shape S
        Positions outside the image are clamped to its border pixels (pad the image to control what lies
        outside).

    Returns
    -------
    ndarray, shape S + (C,)
    """
    height, width = image.shape[:2]
    rows = np.clip(rows, 0.0, height - 1.0)
    cols = np.clip(cols, 0.0, width - 1.0)
    r0 = np.minimum(np.floor(rows).astype(np.intp), max(height - 2, 0))
    c0 = np.minimum(np.floor(cols).astype(np.intp), max(width - 2, 0))
    r1, c1 = np.minimum(r0 + 1, height - 1), np.minimum(c0 + 1, width - 1)
    fr = (rows - r0).astype(np.float32)[..., None]
    fc = (cols - c0).astype(np.float32)[..., None]
    top = image[r0, c0] * (1.0 - fc) + image[r0, c1] * fc
    bottom = image[r1, c0] * (1.0 - fc) + image[r1, c1] * fc
    return top * (1.0 - fr) + bottom * fr


def render_cutout(cutout, pose, region, colour=True):
    """Premultiplied RGBA (or only alpha) of a cutout at one pose over an integer pixel region of the frame.

    Each frame pixel centre ``p`` is mapped back into the cutout, ``q = R(−θ) (p − (x, y)) / (s eᵏ, s e⁻ᵏ)``; the
    mask is sampled bilinearly at ``q``, the colour at ``q`` plus the content's slide, both from the pyramid
    level whose resolution is closest above one cutout pixel per frame pixel.

    Parameters
    ----------
    cutout : Cutout
    pose : Pose
    region : (x0, y0, x1, y1)
        Frame columns ``x0 … x1 − 1`` and rows ``y0 … y1 − 1``.
    colour : bool, default True
        False: return only the alpha.

    Returns
    -------
    ndarray, float32, shape (y1 − y0, x1 − x0, 4), or (y1 − y0, x1 − x0, 1) for alpha only
    """
    x0, y0, x1, y1 = region
    dx = (np.arange(x0, x1, dtype=np.float64) + 0.5 - pose.x)[None, :]
    dy = (np.arange(y0, y1, dtype=np.float64) + 0.5 - pose.y)[:, None]
    cos, sin = np.cos(pose.angle), np.sin(pose.angle)
    scale_x, scale_y = pose.scale * np.exp(pose.stretch), pose.scale * np.exp(-pose.stretch)
    u = (cos * dx + sin * dy) / scale_x + cutout.grid_width / 2.0  # from the mask grid's left edge
    v = (-sin * dx + cos * dy) / scale_y + cutout.grid_height / 2.0
    shrink = cutout.pixels_per_unit(0)[0] / min(scale_x, scale_y)
    level = int(np.clip(np.floor(np.log2(max(shrink, 1.0))), 0, len(cutout.alpha) - 1))
    per_x, per_y = cutout.pixels_per_unit(level)
    # +1: the alpha's transparent border; −0.5: pixel centres at integer indices
    alpha = sample_bilinear(cutout.alpha[level], v * per_y + 0.5, u * per_x + 0.5)
    if not colour:
        return alpha
    content_u = u + cutout.margin + pose.content_x
    content_v = v + cutout.margin + pose.content_y
    rgb = sample_bilinear(cutout.colour[level], content_v * per_y - 0.5, content_u * per_x - 0.5)
    return np.concatenate([rgb * alpha, alpha], axis=2)


def _exposure_times(t, exposure, n_frames):
    """Times averaged for one frame: ``t`` alone, or ``BLUR_SAMPLES`` spread over ``[t − e/2, t + e/2]``."""
    if exposure <= 0:
        return [float(t)]
    times = np.linspace(t - exposure / 2.0, t + exposure / 2.0, BLUR_SAMPLES)
    return list(np.clip(times, 0.0, n_frames - 1.0))


def draw_layer(frame, layer, t):
    """Composite a layer over ``frame`` (float32, (H, W, 3)) in place at frame ``t``: ``I ← I (1 − α) + c α``.

    With an exposure the layer is rendered at several times over the exposure and the renders are averaged,
    which blurs it along its motion (and makes its edges semi-transparent, as a real blurred object's are).
    """
    poses = [layer.pose(time) for time in _exposure_times(t, layer.exposure, len(layer.x))]
    x0, y0, x1, y1 = _clip_region(_region_of_poses(layer.cutout, poses), frame.shape[:2])
    if x1 <= x0 or y1 <= y0:
        return
    rgba = np.zeros((y1 - y0, x1 - x0, 4), dtype=np.float32)
    for pose in poses:
        rgba += render_cutout(layer.cutout, pose, (x0, y0, x1, y1))
    rgba /= len(poses)
    patch = frame[y0:y1, x0:x1]
    patch *= 1.0 - rgba[:, :, 3:]
    patch += rgba[:, :, :3]


def visible_fraction(target, occluders, t, frame_shape):
    """The fraction of the target's alpha that is inside the frame and not hidden by occluders, at frame ``t``.

    Computed on the frame's pixel grid over the target's whole (unclipped) region:
    ``Σ α_target · [inside] · Π (1 − α_occluder) / Σ α_target``.
    """
    pose = target.pose(t)
    region = _region_of_poses(target.cutout, [pose])
    alpha = render_cutout(target.cutout, pose, region, colour=False)[:, :, 0]
    total = float(alpha.sum())
    if total <= 0:
        return 0.0
    x0, y0, x1, y1 = region
    height, width = frame_shape
    inside = ((np.arange(y0, y1) >= 0) & (np.arange(y0, y1) < height))[:, None] & (
        (np.arange(x0, x1) >= 0) & (np.arange(x0, x1) < width)
    )[None, :]
    seen = alpha * inside
    for occluder in occluders:
        seen = seen * (1.0 - render_cutout(occluder.cutout, occluder.pose(t), region, colour=False)[:, :, 0])
    return float(seen.sum()) / total


def cover_label(fraction):
    """GOT-10k's cover level of a visible fraction: 0 hidden, 1 (0, 15 %), 2 [15, 30 %), … 7 [90, 100 %), 8 all.

    Fractions within 0.1 % of 0 or 1 count as hidden or fully visible (edges are soft).
    """
    if fraction <= 0.001:
        return 0
    if fraction >= 0.999:
        return 8
    return int(min(1 + np.floor(fraction / 0.15), 7))


# ----------------------------------------------------------------------------------------------------- the plan

@dataclass
class Camera:
    """A camera over a large scene photograph: view centre ``(x, y)`` in scene pixels and ``zoom`` (scene pixels
    per frame pixel) per frame."""

    scene: np.ndarray
    x: np.ndarray
    y: np.ndarray
    zoom: np.ndarray
    exposure: float = 0.0


@dataclass
class Plan:
    """Every random choice of one sequence, drawn before any frame is rendered."""

    frame_shape: tuple
    target: Layer
    background: np.ndarray = None  # float32 (H, W, 3) for a static camera
    camera: Camera = None
    distractors: list = field(default_factory=list)
    occluders: list = field(default_factory=list)
    light: "Light" = None
    noise_seed: int = 0


def _unit(frame_shape):
    """Frame pixels per pixel of the default 240-high frame: speeds and sizes scale with it."""
    return min(frame_shape) / 240.0


def _target_size(rng, attributes, frame_shape):
    """Width and height of the target at scale 1, frame pixels: area a random fraction of the frame
    (LR: under 350 px), aspect ratio between 1:2 and 2:1."""
    height, width = frame_shape
    if "LR" in attributes:
        area = rng.uniform(140.0, 330.0)
    elif "SV" in attributes:
        area = np.exp(rng.uniform(np.log(0.010), np.log(0.022))) * height * width
    else:
        area = np.exp(rng.uniform(np.log(0.012), np.log(0.045))) * height * width
    aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
    target_w, target_h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    limit = 0.45 * min(height, width)
    shrink = min(1.0, limit / max(target_w, target_h))
    return max(target_w * shrink, 3.0), max(target_h * shrink, 3.0)


def _scale_curve(rng, attributes, n_frames):
    """Scale per frame, 1 at frame 0: SV swings between about ×0.5 and ×1.9 (area ×14); LR stays under ×1.05;
    otherwise within ±15 %."""
    if "SV" in attributes:
        times = _knot_times(n_frames, max(n_frames / rng.uniform(2.5, 4.0), 2.0))
        grow = rng.random() < 0.5
        values = [0.0]
        for _ in times[1:]:
            values.append(np.log(rng.uniform(1.6, 1.9)) if grow else np.log(rng.uniform(0.5, 0.62)))
            grow = not grow
        return np.exp(_through_knots(times, values, n_frames))
    if "LR" in attributes:
        return np.exp(smooth_curve(rng, n_frames, 30.0, 0.0, 0.04, -0.1, 0.045))
    return np.exp(smooth_curve(rng, n_frames, 30.0, 0.0, 0.12, -0.14, 0.14))


def _angle_curve(rng, attributes, n_frames):
    """In-plane rotation per frame, radians, 0 at frame 0: IPR turns by 30–70° between control points 15–30
    frames apart; otherwise a wobble within ±3°."""
    if "IPR" in attributes:
        times = _knot_times(n_frames, rng.uniform(15.0, 30.0))
        values = [0.0]
        for _ in times[1:]:
            values.append(values[-1] + rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.2))
        return _through_knots(times, values, n_frames)
    return smooth_curve(rng, n_frames, 30.0, 0.0, 0.04, -0.05, 0.05)


def _motion(rng, attributes, unit, size):
    """Typical speed (pixels per frame) and control-point spacing (frames) of the target's path.

    FM: 0.25–0.5 target sizes ``√(w h)`` per frame, at least 7 pixels (at the default frame size), changing
    direction every 3–6 frames; MB: 10–16 pixels per frame; otherwise 1–3.
    """
    if "FM" in attributes:
        return max(rng.uniform(0.25, 0.5) * size, 7.0 * unit), rng.uniform(3.0, 6.0)
    if "MB" in attributes:
        return rng.uniform(10.0, 16.0) * unit, rng.uniform(6.0, 12.0)
    return rng.uniform(1.0, 3.0) * unit, rng.uniform(20.0, 40.0)


def _half_extents(cutout, scale, angle, stretch=0.0):
    """Half width and half height of the outline's bounding box per frame, arrays (N,)."""
    points = _transform(cutout.outline, 0.0, 0.0, scale, angle, stretch)
    return np.abs(points[..., 0]).max(axis=1), np.abs(points[..., 1]).max(axis=1)


def _target_path(rng, attributes, n_frames, frame_shape, half_w, half_h):
    """The target centre per frame, ``(N, 2)``, keeping the whole target inside the frame (OV aside)."""
    height, width = frame_shape
    speed, spacing = _motion(rng, attributes, _unit(frame_shape), 2.0 * np.sqrt(half_w[0] * half_h[0]))
    low = np.array([half_w.max() + 1.0, half_h.max() + 1.0])
    high = np.array([width - half_w.max() - 1.0, height - half_h.max() - 1.0])
    high = np.maximum(high, low)
    start = rng.uniform(low, high)
    return smooth_path(rng, n_frames, spacing, start, speed, low, high)


def _out_of_view(rng, n_frames, frame_shape, path, half_w, half_h):
    """Pull the path over a frame edge for a while (OV), returning the new path.

    Six times in ten the target leaves the frame wholly for 10–25 % of the frames and comes back elsewhere along
    the same edge; otherwise it goes 50–90 % out and returns.
    """
    height, width = frame_shape
    start = rng.uniform(0.2, 0.45) * n_frames
    ramp = max(rng.uniform(0.05, 0.1) * n_frames, 1.0)
    hold = rng.uniform(0.1, 0.25) * n_frames
    weight = event_window(n_frames, start, ramp, hold)
    axis = int(rng.integers(0, 2))  # 0: leave left or right, 1: top or bottom
    half = (half_w if axis == 0 else half_h).max()
    other_half = (half_h if axis == 0 else half_w).max()
    size, other_size = (width, height) if axis == 0 else (height, width)
    wholly = rng.random() < 0.6
    depth = half + 4.0 if wholly else rng.uniform(0.5, 0.9) * 2 * half - half  # centre beyond the edge by this
    edge_centre = -depth if rng.random() < 0.5 else size + depth
    # Along the edge: from where it left to a random place (wholly out) or where it is (partly out).
    t = np.arange(n_frames, dtype=np.float64)
    progress = np.clip((t - start - ramp) / max(hold, 1.0), 0.0, 1.0)
    along_edge = path[:, 1 - axis]
    if wholly:
        exit_at = np.interp(start + ramp, t, along_edge)
        back_at = rng.uniform(other_half, max(other_size - other_half, other_half))
        sweep = exit_at + (back_at - exit_at) * (0.5 - 0.5 * np.cos(np.pi * progress))
        along_edge = np.where(t < start + ramp, along_edge, sweep)
    moved = path.copy()
    moved[:, axis] = (1.0 - weight) * path[:, axis] + weight * edge_centre
    moved[:, 1 - axis] = (1.0 - weight) * path[:, 1 - axis] + weight * along_edge
    return moved


def _plan_target(rng, attributes, n_frames, frame_shape, photo_names):
    """The target: a random region of one of ``photo_names`` with a random mask shape, on a smooth random path.

    The photographs are tried in turn until one has a region with some detail (``MIN_TEXTURE``).
    """
    target_w, target_h = _target_size(rng, attributes, frame_shape)
    scale = _scale_curve(rng, attributes, n_frames)
    angle = _angle_curve(rng, attributes, n_frames)
    resolution = max(1.0, float(scale.max()))
    shape = str(rng.choice(["rect", "rounded", "ellipse"]))
    feather = rng.uniform(0.8, 2.5) if shape != "rect" else rng.uniform(0.5, 1.2)
    radius = rng.uniform(0.15, 0.4) * min(target_w, target_h)
    # The photo region: from as big as the cutout's pixels to several times bigger (more shrunk for LR).
    stretch = rng.uniform(3.0, 8.0) if "LR" in attributes else rng.uniform(0.7, 3.0)
    margin = SLIDE * np.sqrt(target_w * target_h)
    best = None
    for photo_name in photo_names[:4]:
        photo = load_photo(photo_name)
        pixels = stretch * resolution * (np.array([target_w, target_h]) + 2.0 * margin)
        pixels = np.maximum(pixels * min(1.0, 0.9 * min(photo.shape[:2]) / max(pixels)), 4)
        (x, y, w, h), texture = _random_region(rng, photo, pixels[0], pixels[1], tries=6)
        if best is None or texture > best[0]:
            best = (texture, photo[y : y + h, x : x + w])
        if texture >= MIN_TEXTURE:
            break
    cutout = make_cutout(best[1], target_w, target_h, shape, feather, radius, resolution, margin)
    stretch = smooth_curve(rng, n_frames, rng.uniform(15.0, 30.0), 0.0, STRETCH, -STRETCH, STRETCH)
    slide = [smooth_curve(rng, n_frames, rng.uniform(20.0, 40.0), 0.0, margin, -margin, margin) for _ in range(2)]
    half_w, half_h = _half_extents(cutout, scale, angle, stretch)
    path = _target_path(rng, attributes, n_frames, frame_shape, half_w, half_h)
    if "OV" in attributes:
        path = _out_of_view(rng, n_frames, frame_shape, path, half_w, half_h)
    exposure = 1.0 if "MB" in attributes else 0.0
    return Layer(cutout, path[:, 0], path[:, 1], scale, angle, exposure, stretch=stretch, content_x=slide[0],
                 content_y=slide[1])


def _plan_camera(rng, attributes, n_frames, frame_shape, photo_name):
    """CM: a camera panning and zooming over a large photograph, and a fixed region of it as the target.

    The camera's zoom (scene pixels per frame pixel) follows a smooth curve (swinging by about ×2 for SV); the
    target's place in the frame follows a smooth random path (fast for FM); the camera's centre is whatever puts
    the scene region there. The target's centre in the scene is a detailed spot from which that path can keep the
    camera's view inside the photograph; the photograph is upscaled first if the view could not fit.
    """
    height, width = frame_shape
    target_w, target_h = _target_size(rng, attributes, frame_shape)
    start_zoom = rng.uniform(0.8, 1.2)
    if "SV" in attributes:
        relative = 1.0 / _scale_curve(rng, attributes, n_frames)
    else:
        relative = np.exp(smooth_curve(rng, n_frames, 20.0, 0.0, 0.25, -0.25, 0.25))
    zoom = start_zoom * relative
    scale = start_zoom / zoom
    most = zoom.max()
    photo = load_photo(photo_name).astype(np.float32)
    factor = max(1.0, 1.8 * width * most / photo.shape[1], 1.8 * height * most / photo.shape[0])
    if factor > 1.0:
        photo = _resize(photo, (int(np.ceil(photo.shape[0] * factor)), int(np.ceil(photo.shape[1] * factor))))
    # Where the target may sit in the frame: inside it, and where the view stays in the photograph
    # (scene x = T_x + (column − place_x) · zoom must lie in [0, photo width] for every column).
    half = np.array([target_w, target_h]) * scale.max() / 2.0 + 1.0
    frame_size = np.array([width, height], dtype=np.float64)
    photo_size = np.array([photo.shape[1], photo.shape[0]], dtype=np.float64)
    scene_size = np.array([target_w, target_h]) * start_zoom
    best = None
    for _ in range(40):
        centre = rng.uniform(scene_size / 2.0, photo_size - scene_size / 2.0)
        low = np.maximum(half, frame_size - (photo_size - centre) / most)
        high = np.minimum(frame_size - half, centre / most)
        if np.any(high - low < 0.25 * frame_size):
            continue
        x0, y0 = (centre - scene_size / 2.0).astype(int)
        texture = _texture(photo[y0 : y0 + int(scene_size[1]) + 1, x0 : x0 + int(scene_size[0]) + 1])
        if best is None or texture > best[0]:
            best = (texture, centre, low, high)
        if texture >= MIN_TEXTURE:
            break
    if best is None:  # no room to pan: the target stays near the frame's centre
        centre, low, high = photo_size / 2.0, frame_size / 2.0, frame_size / 2.0
    else:
        _, centre, low, high = best
    speed, spacing = _motion(rng, attributes, _unit(frame_shape), np.sqrt(target_w * target_h))
    speed = max(speed, rng.uniform(6.0, 12.0) * _unit(frame_shape))  # the camera always pans
    place = smooth_path(rng, n_frames, spacing, rng.uniform(low, high), speed, low, high)
    camera_x = centre[0] + (width / 2.0 - place[:, 0]) * zoom
    camera_y = centre[1] + (height / 2.0 - place[:, 1]) * zoom
    exposure = rng.uniform(0.8, 1.0) if "MB" in attributes else 0.0
    camera = Camera(photo, camera_x, camera_y, zoom, exposure)
    cutout = make_cutout(np.zeros((2, 2, 3), np.float32), target_w, target_h, "rect", feather=0.25)
    target = Layer(cutout, place[:, 0], place[:, 1], scale, np.zeros(n_frames), drawn=False)
    return camera, target


def _plan_background(rng, frame_shape, photo_name):
    """A static background: a random region of the photograph with the frame's aspect ratio, resized to it."""
    photo = load_photo(photo_name)
    height, width = frame_shape
    fit = min(photo.shape[0] / height, photo.shape[1] / width)
    size = rng.uniform(0.5, 1.0) * fit
    (x, y, w, h), _ = _random_region(rng, photo, width * size, height * size, min_texture=0.0, tries=1)
    region = photo[y : y + h, x : x + w].astype(np.float32)
    if rng.random() < 0.5:
        region = region[:, ::-1]
    return _resize(region, frame_shape)


def _plan_distractors(rng, target, n_frames):
    """BC: three recoloured copies of the target, slightly rescaled and turned, circling near it."""
    diagonal = np.hypot(target.cutout.grid_width, target.cutout.grid_height)
    distractors = []
    for _ in range(3):
        radius = smooth_curve(rng, n_frames, 15.0, rng.uniform(0.7, 1.1), 0.8, 0.3, 1.1) * diagonal * target.scale
        bearing = smooth_curve(rng, n_frames, 20.0, rng.uniform(0, 2 * np.pi), 1.5, -50.0, 50.0)
        distractors.append(
            Layer(
                _recoloured(target.cutout, rng),
                target.x + radius * np.cos(bearing),
                target.y + radius * np.sin(bearing),
                target.scale * rng.uniform(0.85, 1.15),
                target.angle + rng.uniform(-0.3, 0.3),
                target.exposure,
                stretch=target.stretch[::-1].copy(),
                content_x=target.content_y.copy(),
                content_y=target.content_x.copy(),
            )
        )
    return distractors


def _plan_occluder(rng, target, n_frames, full, photo_name, when=(0.3, 0.6)):
    """An occluder passing over the target: a region of another photograph moving relative to the target.

    It approaches along a random axis, starting at a random fraction ``when`` of the sequence, stops (FOC: centred
    on the target and bigger than it, for 6–15 % of the frames; POC: covering 50–85 % of it across that axis, for
    8–18 %), then moves on (FOC) or back (POC).
    """
    photo = load_photo(photo_name)
    start = rng.uniform(*when) * n_frames
    ramp = max(rng.uniform(0.05, 0.1) * n_frames, 1.0)
    hold = (rng.uniform(0.06, 0.15) if full else rng.uniform(0.08, 0.18)) * n_frames
    window = (np.arange(n_frames) >= start) & (np.arange(n_frames) <= start + 2 * ramp + hold)
    window[int(min(start + ramp, n_frames - 1))] = True
    half_w, half_h = _half_extents(target.cutout, target.scale, target.angle, target.stretch)
    target_w, target_h = half_w[window].max(), half_h[window].max()
    axis = int(rng.integers(0, 2))
    along, across = (target_w, target_h) if axis == 0 else (target_h, target_w)
    if full:
        size_along, size_across = along * rng.uniform(1.2, 1.6) + 4.0, across * rng.uniform(1.2, 1.5) + 4.0
        shape = str(rng.choice(["rect", "rounded"]))
        stop = 0.0
    else:
        size_along, size_across = along * rng.uniform(0.7, 1.3) + 2.0, across * rng.uniform(1.2, 1.6) + 2.0
        shape = str(rng.choice(["rect", "rounded", "ellipse"]))
        covered = rng.uniform(0.5, 0.85)
        stop = size_along + along - 2.0 * covered * along
    # Relative to the target it moves at a constant speed, from far away to the stop in ``ramp`` frames.
    speed = (size_along + along + 4.0 - stop) / ramp
    t = np.arange(n_frames, dtype=np.float64)
    before = np.maximum(start + ramp - t, 0.0)
    after = np.maximum(t - start - ramp - hold, 0.0)
    side = rng.choice([-1.0, 1.0])
    if full:  # FOC moves on across the target
        offset = side * (speed * before - speed * after)
    else:  # POC goes back the way it came
        offset = side * (stop + speed * before + speed * after)
    occluder_w, occluder_h = (2 * size_along, 2 * size_across) if axis == 0 else (2 * size_across, 2 * size_along)
    pixels = np.array([occluder_w, occluder_h]) * rng.uniform(1.0, 2.0)
    pixels = pixels * min(1.0, 0.9 * min(photo.shape[:2]) / max(pixels))
    (x, y, w, h), _ = _random_region(rng, photo, pixels[0], pixels[1])
    radius = rng.uniform(0.1, 0.3) * min(occluder_w, occluder_h)
    cutout = make_cutout(photo[y : y + h, x : x + w], occluder_w, occluder_h, shape, rng.uniform(0.8, 2.0), radius)
    dx, dy = (offset, np.zeros(n_frames)) if axis == 0 else (np.zeros(n_frames), offset)
    return Layer(cutout, target.x + dx, target.y + dy, np.ones(n_frames), np.zeros(n_frames), target.exposure)


@dataclass
class Light:
    """Illumination per frame, multiplying every pixel:
    ``gain[t] · (1 + g[t] · (X cos φ[t] + Y sin φ[t])) · (1 − depth · band(d))``.

    ``X, Y ∈ [−1, 1]`` across and down the frame. The shadow is a soft straight band, its normal at angle
    ``shadow_angle``, centred ``shadow_offset[t]`` pixels from the frame centre along the normal.
    """

    gain: np.ndarray  # (N, 3) per-channel gain
    gradient: np.ndarray  # (N,) strength of the light gradient
    gradient_angle: np.ndarray  # (N,) its direction, radians
    shadow_offset: np.ndarray = None  # (N,) pixels; None: no shadow
    shadow_angle: float = 0.0
    shadow_half_width: float = 0.0
    shadow_softness: float = 1.0
    shadow_depth: float = 0.0


def _plan_light(rng, attributes, target, frame_shape):
    """Illumination (a ``Light``): constant without IV.

    IV: the overall gain swings between about ×0.25 and ×1.6 over 8–20 frames, with a colour cast of up to ±15 %,
    a gradient darkening one side of the frame by up to 60 %, and a shadow band (50–80 % darker) that the target
    moves in and out of.
    """
    n_frames = len(target.x)
    if "IV" not in attributes:
        return Light(np.ones((n_frames, 3)), np.zeros(n_frames), np.zeros(n_frames))
    spacing = rng.uniform(8.0, 20.0)
    level = np.exp(smooth_curve(rng, n_frames, spacing, 0.0, 1.0, np.log(0.25), np.log(1.6)))
    cast = np.exp(np.stack([smooth_curve(rng, n_frames, 30.0, 0.0, 0.1, -0.15, 0.15) for _ in range(3)], axis=1))
    gradient = smooth_curve(rng, n_frames, spacing, 0.0, 0.4, 0.0, 0.6)
    direction = smooth_curve(rng, n_frames, 30.0, rng.uniform(0, 2 * np.pi), 1.0, -50.0, 50.0)
    height, width = frame_shape
    angle = rng.uniform(0, 2 * np.pi)
    size = np.hypot(target.cutout.grid_width, target.cutout.grid_height) * target.scale.mean()
    half_width = rng.uniform(0.6, 1.5) * size
    # The band's centre relative to the target, along the normal: it slides across the target and back.
    relative = smooth_curve(rng, n_frames, spacing, rng.uniform(-3.0, 3.0), 2.5, -3.0, 3.0) * half_width
    along_normal = (target.x - width / 2.0) * np.cos(angle) + (target.y - height / 2.0) * np.sin(angle)
    return Light(level[:, None] * cast, gradient, direction, along_normal + relative, angle, half_width,
                 rng.uniform(0.1, 0.4) * half_width, rng.uniform(0.5, 0.8))


def _choose_photos(rng, attributes):
    """The background (or scene) photograph, and the others in random order (for the target and occluders)."""
    background = str(rng.choice(SCENE_PHOTO_NAMES if "CM" in attributes else PHOTO_NAMES))
    others = [str(name) for name in rng.permutation([name for name in PHOTO_NAMES if name != background])]
    return background, others


def plan_sequence(attributes, rng, n_frames, frame_shape):
    """Draw every random choice of one sequence (photos, paths, occluders, light) into a ``Plan``."""
    background_photo, other_photos = _choose_photos(rng, attributes)
    if "CM" in attributes:
        camera, target = _plan_camera(rng, attributes, n_frames, frame_shape, background_photo)
        plan = Plan(frame_shape, target, camera=camera)
    else:
        target = _plan_target(rng, attributes, n_frames, frame_shape, other_photos)
        plan = Plan(frame_shape, target, background=_plan_background(rng, frame_shape, background_photo))
    if "BC" in attributes:
        plan.distractors = _plan_distractors(rng, target, n_frames)
    if "FOC" in attributes:
        plan.occluders.append(_plan_occluder(rng, target, n_frames, True, str(rng.choice(other_photos[4:]))))
    if "POC" in attributes:
        for when in ((0.15, 0.4), (0.55, 0.75)):
            occluder_photo = str(rng.choice(other_photos[4:]))
            plan.occluders.append(_plan_occluder(rng, target, n_frames, False, occluder_photo, when))
    plan.light = _plan_light(rng, attributes, target, frame_shape)
    plan.noise_seed = int(rng.integers(0, 2**63 - 1))
    return plan


# --------------------------------------------------------------------------------------------------- rendering

def render_camera(camera, t, frame_shape):
    """The camera's view of its scene at frame ``t`` (averaged over the exposure), float32 (H, W, 3).

    Frame pixel centre ``(c + ½, r + ½)`` sees scene point ``(x + (c + ½ − W/2) · zoom, y + (r + ½ − H/2) · zoom)``.
    """
    height, width = frame_shape
    frames = np.arange(len(camera.x), dtype=np.float64)
    times = _exposure_times(t, camera.exposure, len(camera.x))
    view = np.zeros((height, width, 3), dtype=np.float32)
    for time in times:
        x, y, zoom = (float(np.interp(time, frames, v)) for v in (camera.x, camera.y, camera.zoom))
        cols = x + (np.arange(width) + 0.5 - width / 2.0) * zoom - 0.5
        rows = y + (np.arange(height) + 0.5 - height / 2.0) * zoom - 0.5
        view += sample_bilinear(camera.scene, rows[:, None], cols[None, :])
    return view / len(times)


def light_field(light, t, frame_shape):
    """The multiplicative light of a ``Light`` at frame ``t``: float32 (H, W, 3), or (3,) when uniform."""
    height, width = frame_shape
    gain = light.gain[t].astype(np.float32)
    if light.gradient[t] == 0 and light.shadow_offset is None:
        return gain
    across = (np.arange(width) + 0.5 - width / 2.0)[None, :]
    down = (np.arange(height) + 0.5 - height / 2.0)[:, None]
    angle = light.gradient_angle[t]
    field = 1.0 + light.gradient[t] * (across * np.cos(angle) / (width / 2.0) + down * np.sin(angle) / (height / 2.0))
    if light.shadow_offset is not None:
        distance = across * np.cos(light.shadow_angle) + down * np.sin(light.shadow_angle) - light.shadow_offset[t]
        inside = np.clip((light.shadow_half_width - np.abs(distance)) / light.shadow_softness + 0.5, 0.0, 1.0)
        field = field * (1.0 - light.shadow_depth * inside)
    return np.maximum(field, 0.0).astype(np.float32)[:, :, None] * gain


def render_sequence(plan):
    """Render a plan's frames; returns ``(frames, cover)``: a list of (H, W, 3) uint8 RGB and cover levels (N,)."""
    n_frames = len(plan.target.x)
    noise = np.random.default_rng(plan.noise_seed)
    frames, cover = [], np.zeros(n_frames, dtype=np.int64)
    for t in range(n_frames):
        if plan.camera is not None:
            frame = render_camera(plan.camera, t, plan.frame_shape)
        else:
            frame = plan.background.copy()
        for layer in plan.distractors:
            draw_layer(frame, layer, t)
        if plan.target.drawn:
            draw_layer(frame, plan.target, t)
        for layer in plan.occluders:
            draw_layer(frame, layer, t)
        cover[t] = cover_label(visible_fraction(plan.target, plan.occluders, t, plan.frame_shape))
        frame *= light_field(plan.light, t, plan.frame_shape)
        frame += noise.standard_normal(frame.shape, dtype=np.float32) * NOISE_SIGMA
        frames.append(np.clip(np.rint(frame), 0, 255).astype(np.uint8))
    return frames, cover


def ground_truth_boxes(target, frame_shape):
    """The target's boxes: its outline's bounding box clipped to the frame, NaN where under 1 px wide or high.

    Returns
    -------
    boxes : ndarray, shape (N, 4), 0-based ``(x, y, w, h)``
    absent : bool ndarray, shape (N,)
    """
    height, width = frame_shape
    boxes = outline_boxes(target)
    x0 = np.clip(boxes[:, 0], 0.0, width)
    y0 = np.clip(boxes[:, 1], 0.0, height)
    x1 = np.clip(boxes[:, 0] + boxes[:, 2], 0.0, width)
    y1 = np.clip(boxes[:, 1] + boxes[:, 3], 0.0, height)
    clipped = np.column_stack([x0, y0, x1 - x0, y1 - y0])
    absent = (clipped[:, 2] < 1.0) | (clipped[:, 3] < 1.0)
    clipped[absent] = np.nan
    return clipped, absent


# ---------------------------------------------------------------------------------------------- the public API

def _parse_tags(text_or_tags, argument):
    if isinstance(text_or_tags, str):
        parts = text_or_tags.replace(",", "-").replace("+", "-").replace(" ", "-").split("-")
    else:
        parts = list(text_or_tags)
    tags = []
    for part in parts:
        if not isinstance(part, str):
            raise TypeError(f"{argument}: attribute tags must be strings, got {part!r}")
        tag = part.strip().upper()
        if tag in ("", "PLAIN", "PHOTO") or tag.isdigit():
            continue
        if tag not in TAGS:
            raise ValueError(f"{argument}: unknown attribute tag {part!r}; known tags: {', '.join(TAGS)} (or 'plain')")
        tags.append(tag)
    if "OCC" in tags and "POC" not in tags and "FOC" not in tags:
        tags.append("POC")
    if "POC" in tags or "FOC" in tags:
        tags.append("OCC")
    return tuple(tag for tag in TAGS if tag in tags)


def _as_spec(spec_or_attributes):
    """A ``SequenceSpec`` from a spec, a default spec's name, a tag string (``"fm"``, ``"sv-ipr"``, ``"plain"``)
    or a sequence of tags."""
    if isinstance(spec_or_attributes, SequenceSpec):
        return SequenceSpec(spec_or_attributes.name, _parse_tags(spec_or_attributes.attributes, "spec.attributes"))
    if isinstance(spec_or_attributes, str):
        for spec in DEFAULT_SPECS:
            if spec.name == spec_or_attributes:
                return spec
    try:
        tags = _parse_tags(spec_or_attributes, "spec_or_attributes")
    except TypeError:
        raise TypeError(
            "spec_or_attributes: expected a SequenceSpec, a default spec's name such as 'photo-09-fm', a tag "
            f"string such as 'fm' or 'sv-ipr', or a list of tags; got {spec_or_attributes!r}"
        ) from None
    return SequenceSpec("photo-" + ("-".join(tag.lower() for tag in tags) or "plain"), tags)


def _check_frame_size(frame_size):
    try:
        height, width = (int(v) for v in frame_size)
    except (TypeError, ValueError):
        height = width = 0
    if height < 24 or width < 24:
        raise ValueError(f"frame_size: expected (height, width), each at least 24 pixels, got {frame_size!r}")
    return height, width


def _check_n_frames(n_frames, argument="n_frames"):
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 2:
        raise ValueError(f"{argument}: expected an integer number of frames, at least 2, got {n_frames!r}")
    return int(n_frames)


def make_sequence(spec_or_attributes, seed, n_frames=150, frame_size=(240, 320)):
    """Render one tracking sequence from photographs, in memory.

    Parameters
    ----------
    spec_or_attributes : SequenceSpec, str or sequence of str
        What to exercise: a ``SequenceSpec``, the name of one of ``DEFAULT_SPECS`` (``"photo-09-fm"``), a tag
        string (``"fm"``, ``"sv-ipr"``, ``"plain"``) or tags (``("SV", "IPR")``). ``OCC`` alone means partial
        occlusion; POC and FOC imply OCC.
    seed : int, sequence of int, numpy.random.SeedSequence or numpy.random.Generator
        Fixes every random choice: the same seed gives identical frames and ground truth.
    n_frames : int, default 150
    frame_size : (int, int), default (240, 320)
        Frame height and width.

    Returns
    -------
    minicnn.track.sequences.Sequence
        Frames ``(H, W, 3)`` uint8 RGB; ground truth ``(N, 4)`` 0-based ``(x, y, w, h)`` with NaN rows where the
        target is wholly out of view; ``absent`` (bool) and ``cover`` (0…8) per frame; the attribute tags.
    """
    from minicnn.track.sequences import Sequence

    spec = _as_spec(spec_or_attributes)
    n_frames = _check_n_frames(n_frames)
    frame_shape = _check_frame_size(frame_size)
    rng = np.random.default_rng(seed)
    plan = plan_sequence(spec.attributes, rng, n_frames, frame_shape)
    frames, cover = render_sequence(plan)
    boxes, absent = ground_truth_boxes(plan.target, frame_shape)
    cover[absent] = 0
    return Sequence(spec.name, frames, boxes, spec.attributes, absent=absent, cover=cover)


def suite_specs(count=len(DEFAULT_SPECS)):
    """The specs of a suite of ``count`` sequences: ``DEFAULT_SPECS`` in order, repeated (renumbered) if longer."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count: expected a positive number of sequences, got {count!r}")
    specs = []
    for index in range(int(count)):
        base = DEFAULT_SPECS[index % len(DEFAULT_SPECS)]
        suffix = base.name.split("-", 2)[2]
        specs.append(SequenceSpec(f"photo-{index + 1:02d}-{suffix}", base.attributes))
    return specs


def _suite_lengths(n_frames, count, seed):
    if isinstance(n_frames, (int, np.integer)) and not isinstance(n_frames, bool):
        return [_check_n_frames(n_frames)] * count
    try:
        low, high = (_check_n_frames(v, "n_frames") for v in n_frames)
    except TypeError:
        low = high = None
    if low is None or high < low:
        raise ValueError(f"n_frames: expected a number of frames or a range (low, high), got {n_frames!r}")
    return [int(v) for v in np.random.default_rng(seed).integers(low, high + 1, size=count)]


def _write_one(spec, seed, n_frames, frame_size, out_dir):
    from minicnn.track.sequences import write_otb

    return write_otb(make_sequence(spec, seed, n_frames, frame_size), out_dir)


def make_suite(out_dir, seed=0, count=20, n_frames=(100, 200), frame_size=(240, 320), progress=True):
    """Render a suite of sequences and write each in the OTB layout under ``out_dir``.

    Sequence ``i`` (from 0) is ``make_sequence(suite_specs(count)[i], seed=(seed, i), n_frames=n_i, frame_size)``;
    its length ``n_i`` is drawn from ``n_frames`` (inclusive range) with ``seed``. Sequences are rendered in
    parallel processes; the result depends only on the arguments.

    Parameters
    ----------
    out_dir : path
        Created if missing; each sequence goes to ``out_dir/photo-NN-tags/`` (``img/0001.jpg…``,
        ``groundtruth_rect.txt``, ``attributes.txt``, ``absence.label``, ``cover.label``).
    seed : int
    count : int, default 20
        Number of sequences: the default specs in order, repeated when more.
    n_frames : int or (int, int), default (100, 200)
    frame_size : (int, int), default (240, 320)
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    list of pathlib.Path: the sequence folders, in suite order.

    Notes
    -----
    The sequences are written by worker processes forked from this one (they run no Numba kernel, so Numba's
    threads here do not matter), else, where the platform does not fork safely (Windows, macOS), one after another
    in this process: a fresh worker imports the script that started it, which, without
    ``if __name__ == "__main__":``, would run it again in every worker. The default suite takes about 11 s on two
    cores (about 20 s in this process alone). OpenCV's classic trackers on it (OTB success AUC, mean over the
    default suites of seeds 0, 1 and 2; OTB-100's published values in brackets): CSRT 0.59 [0.59], KCF with
    ``detect_thresh = 0`` 0.53 [0.48], MedianFlow 0.49, MIL 0.43-0.45 (it draws at random: runs differ), MOSSE 0.31,
    KCF with OpenCV's default threshold 0.31 (``python benchmarks/track.py --seeds 0,1,2``). The attributes separate
    them as on OTB: KCF and MOSSE fail on FM and MB (0.08-0.11), which CSRT survives (0.63, 0.68); MedianFlow leads
    on SV and CM (rigid, slow flow) and fails on FM, MB and IV; all but CSRT fall on LR, and every tracker scores
    below its overall AUC on OV.
    """
    from minicnn.progress import ProgressBar

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    specs = suite_specs(count)
    lengths = _suite_lengths(n_frames, len(specs), int(seed))
    frame_size = _check_frame_size(frame_size)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(spec, (int(seed), index), lengths[index], frame_size, out_dir) for index, spec in enumerate(specs)]
    workers = min(len(jobs), os.cpu_count() or 1) if processes.can_fork() else 1
    folders = [None] * len(jobs)
    from minicnn.track.sequences import UNFINISHED_SUITE

    unfinished = out_dir / UNFINISHED_SUITE  # until every sequence is written: read_sequences warns of a part suite
    unfinished.write_text(f"make_suite(seed={int(seed)}, count={len(specs)}) has not finished writing this folder\n")
    with ProgressBar(len(jobs), unit="seq", enabled=progress) as bar:
        if workers <= 1:
            for index, job in enumerate(jobs):
                folders[index] = Path(_write_one(*job))
                bar.update(index + 1)
        else:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=stop_on_termination)  # a kill cleans up
            try:
                futures = [pool.submit(_write_one, *job) for job in jobs]
                for index, future in enumerate(futures):
                    folders[index] = Path(future.result())
                    bar.update(index + 1)
            finally:  # Ctrl-C or a failure: the sequences not started are not (each one is written whole or not at all)
                pool.shutdown(wait=True, cancel_futures=True)
        bar.finish()
    unfinished.unlink()
    return folders
