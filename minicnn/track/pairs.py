"""Training pairs for a Siamese tracker, cut from the photographs bundled with scikit-image and matplotlib.

A pair is what SiamFC learns from: an *exemplar* crop (the target in one frame, ``EXEMPLAR_SIZE`` pixels square,
context included) and a *search* crop of a later frame (``SEARCH_SIZE`` pixels, the same pixel scale), in which the
target has moved, changed a little, and may have look-alikes, an occluder or a moving camera around it. The label is
where the target's centre is in the search crop.

Both crops are rendered directly at crop scale ("crop pixels"), which is all a Siamese tracker ever sees:

* the **target** is a random detailed region of one photograph (any of ``PHOTO_NAMES``, at a random zoom), with a
  rectangular, rounded or elliptical mask and an aspect ratio between 1:2.5 and 2.5:1, sized as SiamFC's context
  rule makes it: a target ``w × h`` has the context side ``s = √((w + p)(h + p))``, ``p = (w + h)/2``, and the
  exemplar crop maps ``s`` to ``EXEMPLAR_SIZE`` pixels;
* the **background** is another photograph, seen through a camera that may pan and zoom between the two frames;
* between the frames the target moves (up to ``MAX_SHIFT`` crop pixels from the search crop's centre), changes scale
  and aspect by a few per cent, its content slides a little, its brightness changes, it may blur;
* **look-alikes** (other regions of the target's photograph, or a recoloured copy of the target) and an
  **occluder** (a region of a third photograph over part of the target) appear with some probability.

Pair ``i`` of seed ``s`` is drawn from ``numpy.random.default_rng([s, i])``: the same pair on every run and on every
machine, so training can stop and resume anywhere.
"""

import functools

import numpy as np

from minicnn.track.boxes import crop_and_resize
from minicnn.track.generator import PHOTO_NAMES, _texture, load_photo

EXEMPLAR_SIZE = 63
"""Side of the exemplar crop, pixels."""

SEARCH_SIZE = 127
"""Side of the search crop, pixels (same pixel scale as the exemplar's)."""

MAX_SHIFT = 28.0
"""Largest offset of the target's centre from the search crop's centre, crop pixels (the response map of a
17-cell, stride-4 network reaches ±32)."""

NOISE_SIGMA = 2.0
"""Gaussian sensor noise, grey levels."""


def target_size_in_crop(aspect, context=0.5, exemplar_size=EXEMPLAR_SIZE):
    """Width and height, in crop pixels, of a target of aspect ratio ``w/h = aspect`` after SiamFC's context crop.

    A target ``w × h`` has context side ``s = √((w + p)(h + p))`` with ``p = context·(w + h)``; the crop maps ``s``
    to ``exemplar_size`` pixels, so the target measures ``exemplar_size · (w, h) / s``.
    """
    width, height = np.sqrt(aspect), 1.0 / np.sqrt(aspect)
    pad = context * (width + height)
    side = np.sqrt((width + pad) * (height + pad))
    return exemplar_size * width / side, exemplar_size * height / side


@functools.lru_cache(maxsize=None)
def _photo(name):
    """A bundled photograph as float32 (cached: cropping converts nothing per call) and its mean colour."""
    photo = load_photo(name).astype(np.float32)
    photo.setflags(write=False)
    return photo, photo.reshape(-1, 3).mean(axis=0)


def _crop(photo_name, box, size):
    """``crop_and_resize`` of a cached photograph, padded with its mean colour."""
    photo, mean = _photo(photo_name)
    return crop_and_resize(photo, box, size, fill=mean)[0]


def _mask(shape, width, height, rng_shape, radius=0.3, feather=1.0):
    """Alpha ``(H, W)`` in [0, 1] of a centred rectangle, rounded rectangle or ellipse of ``width × height`` drawn
    on a grid of ``shape`` pixels."""
    rows, cols = shape
    y = np.arange(rows) + 0.5 - rows / 2
    x = np.arange(cols) + 0.5 - cols / 2
    half_w, half_h = width / 2, height / 2
    if rng_shape == "ellipse":
        distance = (np.sqrt((x[None, :] / half_w) ** 2 + (y[:, None] / half_h) ** 2) - 1) * min(half_w, half_h)
    else:
        r = radius * min(half_w, half_h) if rng_shape == "rounded" else 0.0
        qx = np.abs(x)[None, :] - (half_w - r)
        qy = np.abs(y)[:, None] - (half_h - r)
        outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
        distance = outside + np.minimum(np.maximum(qx, qy), 0) - r
    return np.clip(0.5 - distance / feather, 0.0, 1.0).astype(np.float32)


def _paste(canvas, patch, alpha, center):
    """Blend ``patch`` (h, w, 3) with ``alpha`` (h, w) into ``canvas`` centred at ``center = (x, y)`` (in place)."""
    height, width = alpha.shape
    top = int(round(center[1] - height / 2))
    left = int(round(center[0] - width / 2))
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + height, canvas.shape[0]), min(left + width, canvas.shape[1])
    if r1 <= r0 or c1 <= c0:
        return
    a = alpha[r0 - top : r1 - top, c0 - left : c1 - left, None]
    region = canvas[r0:r1, c0:c1]
    region *= 1 - a
    region += a * patch[r0 - top : r1 - top, c0 - left : c1 - left]


class _Object:
    """Something pasted into crops: a photograph's region, a mask shape, and how photo pixels map to crop pixels."""

    def __init__(self, photo_name, center, zoom, shape):
        self.photo_name = photo_name
        self.center = np.asarray(center, dtype=np.float64)  # in photo pixels
        self.zoom = zoom  # photo pixels per crop pixel
        self.shape = shape
        self.gain = np.ones(3, dtype=np.float32)
        self.offset = 0.0

    def render(self, width, height, slide=(0.0, 0.0)):
        """Colour patch and alpha of the object drawn ``width × height`` crop pixels (with a 2-pixel margin)."""
        cols, rows = int(np.ceil(width)) + 4, int(np.ceil(height)) + 4
        side_x, side_y = cols * self.zoom, rows * self.zoom
        box = (self.center[0] + slide[0] - side_x / 2, self.center[1] + slide[1] - side_y / 2, side_x, side_y)
        patch = _crop(self.photo_name, box, (rows, cols))
        patch = np.clip(patch * self.gain + self.offset, 0, 255)
        return patch, _mask((rows, cols), width, height, self.shape)


def _pick_photo(rng, exclude=()):
    names = [name for name in PHOTO_NAMES if name not in exclude]
    return names[int(rng.integers(len(names)))]


def _random_object(rng, photo_name, width, height, min_texture=10.0, tries=8):
    """A detailed region of a photograph, to be drawn ``width × height`` crop pixels."""
    photo = _photo(photo_name)[0]
    photo_h, photo_w = photo.shape[:2]
    zoom = float(np.exp(rng.uniform(np.log(0.6), np.log(3.0))))
    zoom = min(zoom, 0.9 * photo_w / width, 0.9 * photo_h / height)
    shape = ("rect", "rounded", "ellipse")[int(rng.integers(3))]
    best, best_texture = None, -1.0
    for _ in range(tries):
        half_w, half_h = width * zoom / 2, height * zoom / 2
        center = (rng.uniform(half_w, photo_w - half_w), rng.uniform(half_h, photo_h - half_h))
        x0, y0 = int(center[0] - half_w), int(center[1] - half_h)
        texture = _texture(photo[max(y0, 0) : int(y0 + 2 * half_h) + 1, max(x0, 0) : int(x0 + 2 * half_w) + 1])
        if texture >= min_texture:
            return _Object(photo_name, center, zoom, shape)
        if texture > best_texture:
            best, best_texture = center, texture
    return _Object(photo_name, best, zoom, shape)


def _background(photo_name, size, zoom, origin):
    """A ``size × size`` crop of a photograph whose crop pixel ``(0, 0)`` is photo point ``origin``."""
    return _crop(photo_name, (origin[0], origin[1], size * zoom, size * zoom), (size, size))


def make_pair(rng, exemplar_size=EXEMPLAR_SIZE, search_size=SEARCH_SIZE, max_shift=MAX_SHIFT):
    """One training pair.

    Returns
    -------
    exemplar : ndarray, float32, shape (exemplar_size, exemplar_size, 3), grey levels 0–255
        The target centred, with SiamFC's context.
    search : ndarray, float32, shape (search_size, search_size, 3)
        A later frame around the target's previous position.
    offset : ndarray, float64, shape (2,)
        ``(dx, dy)`` of the target's centre from the search crop's centre, crop pixels.
    """
    aspect = float(np.exp(rng.uniform(np.log(1 / 2.5), np.log(2.5))))
    width, height = target_size_in_crop(aspect, exemplar_size=exemplar_size)
    target_photo = _pick_photo(rng)
    target = _random_object(rng, target_photo, width, height)
    background_photo = _pick_photo(rng, exclude=(target_photo,))
    background = _photo(background_photo)[0]
    bg_zoom = float(np.exp(rng.uniform(np.log(0.5), np.log(2.5))))
    bg_zoom = min(bg_zoom, 0.8 * min(background.shape[:2]) / search_size)
    span = np.array(background.shape[1::-1]) - search_size * bg_zoom
    bg_origin = rng.uniform(0, 1, 2) * np.maximum(span, 1)

    # Frame 1: the exemplar, the target centred.
    half_gap = (search_size - exemplar_size) / 2
    exemplar = _background(background_photo, exemplar_size, bg_zoom, bg_origin + half_gap * bg_zoom)
    patch, alpha = target.render(width, height)
    _paste(exemplar, patch, alpha, (exemplar_size / 2, exemplar_size / 2))

    # Frame 2: the camera may pan and zoom, the target moves and changes a little.
    pan = rng.normal(0, 6, 2) if rng.random() < 0.4 else np.zeros(2)
    zoom_change = float(np.exp(rng.normal(0, 0.05))) if rng.random() < 0.3 else 1.0
    search = _background(background_photo, search_size, bg_zoom * zoom_change, bg_origin + pan * bg_zoom)
    offset = rng.uniform(-max_shift, max_shift, 2) * (rng.random() ** 0.5)
    scale = float(np.exp(rng.normal(0, 0.06)))
    stretch = float(np.exp(rng.normal(0, 0.06)))
    width2, height2 = width * scale * stretch, height * scale / stretch
    slide = rng.normal(0, 0.08, 2) * np.sqrt(width * height) * target.zoom
    center = np.array([search_size / 2, search_size / 2]) + offset

    if rng.random() < 0.5:  # look-alikes: other regions of the target's photograph, or a recoloured copy
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.5:
                look_alike = _random_object(rng, target_photo, width2, height2, min_texture=0.0)
                look_alike.shape = target.shape
            else:
                look_alike = _Object(target.photo_name, target.center, target.zoom, target.shape)
                look_alike.gain = rng.uniform(0.75, 1.25, 3).astype(np.float32)
            where = rng.uniform(0, search_size, 2)
            if np.linalg.norm(where - center) < 0.8 * np.hypot(width2, height2):
                continue
            patch, alpha = look_alike.render(width2, height2)
            _paste(search, patch, alpha, where)

    target.gain = np.full(3, rng.uniform(0.8, 1.2), dtype=np.float32)
    target.offset = float(rng.normal(0, 8))
    patch, alpha = target.render(width2, height2, slide)
    if rng.random() < 0.15:  # motion blur along a random direction
        step = rng.normal(0, 2.0, 2)
        shifted = [np.roll(patch, (int(round(k * step[1])), int(round(k * step[0]))), axis=(0, 1))
                   for k in range(-2, 3)]
        patch = np.mean(shifted, axis=0)
    _paste(search, patch, alpha, center)

    if rng.random() < 0.2:  # an occluder over part of the target
        occluder_photo = _pick_photo(rng, exclude=(target_photo,))
        occluder_w, occluder_h = width2 * rng.uniform(0.4, 1.0), height2 * rng.uniform(0.4, 1.0)
        occluder = _random_object(rng, occluder_photo, occluder_w, occluder_h, min_texture=0.0)
        where = center + rng.uniform(-0.6, 0.6, 2) * (width2, height2)
        patch, alpha = occluder.render(occluder_w, occluder_h)
        _paste(search, patch, alpha, where)

    if rng.random() < 0.1:  # a grey camera
        exemplar[:] = exemplar.mean(axis=2, keepdims=True)
        search[:] = search.mean(axis=2, keepdims=True)
    exemplar += rng.normal(0, NOISE_SIGMA, exemplar.shape).astype(np.float32)
    search += rng.normal(0, NOISE_SIGMA, search.shape).astype(np.float32)
    return np.clip(exemplar, 0, 255), np.clip(search, 0, 255), offset


def make_batch(seed, start, count, **kwargs):
    """Pairs ``start … start + count − 1`` of ``seed``, stacked: exemplars (N, 63, 63, 3), searches (N, 127, 127, 3),
    offsets (N, 2). Pair ``i`` always comes from ``numpy.random.default_rng([seed, i])``."""
    exemplars, searches, offsets = [], [], []
    for index in range(start, start + count):
        exemplar, search, offset = make_pair(np.random.default_rng([seed, index]), **kwargs)
        exemplars.append(exemplar)
        searches.append(search)
        offsets.append(offset)
    return np.stack(exemplars), np.stack(searches), np.stack(offsets)
