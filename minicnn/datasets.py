"""Real data, bundled: faces vs non-faces for the document's sigmoid network, splits and augmentation.

The images come from scikit-image's bundled LFW subset (``skimage.data.lfw_subset()``): 100 face crops from
Labeled Faces in the Wild and 100 random non-face patches from other photographs, 25×25 grey. They ship inside
scikit-image, so everything here works offline. ``load_faces`` resizes them (bilinear, anti-aliased), splits them
with the same fraction of faces in every part, and normalises all parts with the training set's mean and standard
deviation. ``augment`` is the document's preprocessing step: random scaling, cropping, rotation, plus flips and
shifts, so that the small set trains well.
"""

from dataclasses import dataclass

import numpy as np

_resized_cache = {}


@dataclass
class FacesData:
    """The three splits (x: float32 ``(N, size, size, 1)``, y: float32 ``(N, 1)``, 1 = face), the training
    statistics used to normalise them, and the class names."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float
    class_names: tuple = ("non-face", "face")

    def splits(self):
        """``(x_train, y_train), (x_val, y_val), (x_test, y_test)``."""
        return (self.x_train, self.y_train), (self.x_val, self.y_val), (self.x_test, self.y_test)


def _check_split(split):
    try:
        parts = tuple(float(p) for p in split)
    except TypeError:
        parts = ()
    if len(parts) != 3 or min(parts) < 0 or abs(sum(parts) - 1) > 1e-9:
        raise ValueError(f"split must be three non-negative fractions (train, validation, test) summing to 1, "
                         f"got {split!r}")
    return parts


def train_val_test_split(x, y, split=(0.6, 0.2, 0.2), seed=0, stratify=True):
    """Split ``x, y`` into training, validation and test parts by ``seed``.

    With ``stratify`` every part gets the same fraction of each label (rounded), as far as the counts allow.
    Returns ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``.
    """
    fractions = _check_split(split)
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of samples, got {len(x)} and {len(y)}")
    rng = np.random.default_rng(seed)
    labels = y.reshape(len(y), -1)[:, 0] if stratify and len(y) else np.zeros(len(y))
    parts = [[], [], []]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        first = int(round(fractions[0] * len(members)))
        second = first + int(round(fractions[1] * len(members)))
        for part, chunk in zip(parts, (members[:first], members[first:second], members[second:])):
            part.extend(chunk.tolist())
    parts = [rng.permutation(np.array(part, dtype=np.int64)) for part in parts]
    return tuple((x[part], y[part]) for part in parts)


def _resized_faces(size):
    if size not in _resized_cache:
        from skimage import data, transform

        images = data.lfw_subset()
        resized = np.stack([transform.resize(image, (size, size), order=1, anti_aliasing=True) for image in images])
        labels = np.r_[np.ones(100), np.zeros(len(images) - 100)]
        _resized_cache[size] = (resized[..., None].astype(np.float32), labels[:, None].astype(np.float32))
    return _resized_cache[size]


def load_faces(size=32, split=(0.6, 0.2, 0.2), seed=0, normalize=True):
    """Faces (label 1) vs non-faces (label 0) from scikit-image's bundled LFW subset, 200 images in all.

    Parameters
    ----------
    size : int, default 32
        Images are resized from 25×25 to ``size``×``size`` (bilinear, anti-aliased).
    split : three fractions, default (0.6, 0.2, 0.2)
        Training, validation and test; stratified, fixed by ``seed``.
    seed : int
    normalize : bool
        Subtract the training set's mean and divide by its standard deviation (all three splits, the same numbers).

    Returns
    -------
    FacesData
    """
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 8:
        raise ValueError(f"load_faces: size must be an int of at least 8 (pixels), got {size!r}")
    x, y = _resized_faces(int(size))
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = train_val_test_split(x, y, split, seed)
    mean, std = (float(x_train.mean()), float(x_train.std())) if normalize else (0.0, 1.0)
    scale = np.float32(1.0 / std)

    def normalise(part):
        return ((part - np.float32(mean)) * scale).astype(np.float32)
    return FacesData(normalise(x_train), y_train, normalise(x_val), y_val, normalise(x_test), y_test, mean, std)


def augment(images, rng, scale=(0.9, 1.1), rotation=10.0, shift=0.1, flip=0.5):
    """The document's preprocessing: a random affine transform per image of an NHWC batch.

    Each image is scaled by a factor drawn from ``scale`` about its centre (above 1 this is a random-resized *crop*:
    the enlarged image is cut back to the original size), rotated by up to ±``rotation`` degrees, shifted by up to
    ``shift``·size pixels in each direction, and mirrored left-right with probability ``flip`` (``True`` means
    0.5). Borders are filled by reflection; bilinear interpolation.

    Parameters
    ----------
    images : ndarray, shape (N, H, W, C)
    rng : numpy.random.Generator or int seed

    Returns
    -------
    A new float32 array of the same shape; ``images`` is not modified.
    """
    from skimage import transform

    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"augment: expected images of shape (N, H, W, C), got {images.shape}")
    if len(scale) != 2 or not 0 < scale[0] <= scale[1]:
        raise ValueError(f"augment: scale must be a range (low, high) with 0 < low <= high, got {scale!r}")
    flip = 0.5 if flip is True else float(flip)
    if not 0 <= flip <= 1:
        raise ValueError(f"augment: flip must be a probability in [0, 1] or a bool, got {flip!r}")
    rng = np.random.default_rng(rng)
    n, height, width, _ = images.shape
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    out = np.empty(images.shape, dtype=np.float32)
    for k in range(n):
        factor = rng.uniform(*scale)
        angle = np.deg2rad(rng.uniform(-rotation, rotation))
        offset = rng.uniform(-shift, shift, 2) * (width, height)
        mirrored = rng.random() < flip
        image = images[k, :, ::-1] if mirrored else images[k]
        if factor == 1 and angle == 0 and not offset.any():
            out[k] = image
            continue
        about_centre = (transform.AffineTransform(translation=-centre)
                        + transform.AffineTransform(scale=factor, rotation=angle)
                        + transform.AffineTransform(translation=centre + offset))
        out[k] = transform.warp(image.astype(np.float64), about_centre.inverse, order=1, mode="reflect",
                                preserve_range=True)
    return out
