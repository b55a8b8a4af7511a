"""Real data, bundled: faces vs non-faces for the document's sigmoid network, splits and augmentation; and Keras'
``to_categorical``, one-hot rows for integer labels.

Where the data comes from
-------------------------
scikit-image's bundled LFW subset, ``skimage.data.lfw_subset()``: 200 grey images of 25×25 pixels, values in
[0, 1]. The first 100 are face crops from *Labeled Faces in the Wild*, the last 100 non-face patches extracted from
the background of the same data set's photographs (so some hold parts of a face). The file ships inside the
scikit-image package, so everything here works offline; no download ever happens.

Many non-faces have black out-of-frame corners: 65 of the 100 non-faces have more than 5 % black pixels, against
3 of the 100 faces. A network can score well by learning "black corners = non-face" instead of what a face looks
like; ask students to look at the misclassified test images, or at which pixels the prediction depends on, to find
out which of the two it learnt.

What the preprocessing does
---------------------------
``load_faces`` resizes every image from 25×25 to ``size``×``size`` (bilinear, with anti-aliasing), labels faces 1 and
non-faces 0, splits the 200 images into training, validation and test parts with the same fraction of faces in every
part (``train_val_test_split``), and normalises all three parts with the *training* set's mean μ and standard
deviation σ, ``x̂ = (x − μ) / σ``, so that nothing about the validation or test images leaks into training.

``augment`` is the document's preprocessing step for training batches: a random scaling, cropping, rotation, shift
and horizontal flip per image, all done by one affine warp, so that 120 training images look like many more.

    >>> from minicnn import datasets
    >>> data = datasets.load_faces(size=32, seed=0)
    >>> (x_train, y_train), (x_val, y_val), (x_test, y_test) = data.splits()
    >>> x_train.shape, y_train.shape
    ((120, 32, 32, 1), (120, 1))
    >>> model.fit(x_train, y_train, augment=datasets.augment)          # doctest: +SKIP
"""

import difflib
import functools
import inspect
import numbers
from dataclasses import dataclass

import numpy as np

from minicnn import checks

__all__ = ["FacesData", "load_faces", "train_val_test_split", "augment", "make_augmenter", "to_categorical"]

#: The resized raw images and labels, keyed by ``size``: ``{size: (x float32 (200, size, size, 1), y (200, 1))}``.
_resized_cache = {}

_N_FACES = 100  # lfw_subset(): the first 100 images are faces, the rest non-faces
_N_NON_FACES = 100
_MAX_SIZE = 256  # the photos are 25×25: larger sizes only interpolate, and 200 of them are cached per size


@dataclass
class FacesData:
    """The faces-vs-non-faces data set returned by ``load_faces``.

    Attributes
    ----------
    x_train, x_val, x_test : ndarray, float32, shape (N, size, size, 1)
        Channels-last grey images, normalised with ``mean`` and ``std`` when ``load_faces(normalize=True)``.
    y_train, y_val, y_test : ndarray, float32, shape (N, 1)
        1 = face, 0 = non-face (the sigmoid network's target).
    mean, std : float
        The training set's pixel mean μ and standard deviation σ used for ``x̂ = (x − μ) / σ`` on all three splits
        (0.0 and 1.0 when the data were not normalised).
    class_names : tuple of str
        ``class_names[label]`` names a label: ``("non-face", "face")``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float
    class_names: tuple = ("non-face", "face")

    def __repr__(self):
        """The parts' shapes, not their values (the dataclass's own repr printed every pixel: 1,116 lines)."""
        parts = ", ".join(f"{name}={getattr(self, name).shape}" for name in
                          ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"))
        return f"FacesData({parts}, mean={self.mean:.4g}, std={self.std:.4g}, class_names={self.class_names})"

    def splits(self):
        """The three parts as pairs, to unpack in one line.

        Returns
        -------
        ((x_train, y_train), (x_val, y_val), (x_test, y_test))
        """
        return (self.x_train, self.y_train), (self.x_val, self.y_val), (self.x_test, self.y_test)


# ------------------------------------------------------------------------------------------------------ the labels

def to_categorical(labels, num_classes=None):
    """One-hot rows for integer class labels, as Keras' ``to_categorical``: row ``n`` holds 1 at column
    ``labels[n]`` and 0 elsewhere, in float32. ``labels`` of shape (N,) or (N, 1); ``num_classes`` defaults to the
    largest label + 1."""
    labels = checks.real_array(labels, "labels", "to_categorical")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"to_categorical: expected labels of shape (N,) or (N, 1), got {labels.shape}")
    if labels.size and (not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)) or labels.min() < 0):
        raise ValueError(f"to_categorical: expected whole-number class labels ≥ 0, got values from {labels.min()} to "
                         f"{labels.max()}")
    needed = int(labels.max()) + 1 if labels.size else 0
    if needed * len(labels) > 2 ** 31:  # more entries than a course's labels could want: not class indices
        raise ValueError(f"to_categorical: the largest label, {labels.max():g}, asks for {needed:,} one-hot columns "
                         f"for each of {len(labels):,} labels; expected class indices 0, 1, 2, ...")
    if num_classes is None:
        num_classes = needed
    elif not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool) or num_classes < needed:
        raise ValueError(f"to_categorical: num_classes must be a whole number ≥ {needed} (the largest label + 1), "
                         f"got {num_classes!r}")
    rows = np.zeros((len(labels), int(num_classes)), dtype=np.float32)
    rows[np.arange(len(labels)), labels.astype(np.intp)] = 1
    return rows


# ---------------------------------------------------------------------------------------------------------- splits

def _check_split(split):
    """``split`` as three floats (train, validation, test), or a ValueError saying what was expected."""
    try:
        parts = tuple(float(p) for p in split)
    except (TypeError, ValueError):
        parts = ()
    if len(parts) != 3 or not all(np.isfinite(parts)) or min(parts) < 0 or abs(sum(parts) - 1) > 1e-9:
        raise ValueError(f"split must be three non-negative fractions (train, validation, test) summing to 1, "
                         f"e.g. (0.6, 0.2, 0.2); got {split!r}")
    return parts


def _part_sizes(count, fractions):
    """How many of ``count`` samples go to training, validation and test: ``round(fraction · count)`` for the
    first two (never more than there are), the rest to test."""
    first = int(round(fractions[0] * count))
    second = min(first + int(round(fractions[1] * count)), count)
    return first, second - first, count - second


def _leaves_a_part_empty(sizes, fractions):
    """Whether ``sizes`` (``_part_sizes``) give a part of positive fraction no sample."""
    return any(fraction > 0 and size == 0 for size, fraction in zip(sizes, fractions))


def _check_stratifiable(y, values, labels, fractions):
    """Stratifying needs labels that are classes, each with enough samples to give every part of positive
    fraction at least one; otherwise a label of one sample goes wholly to training, and labels that are all
    distinct (continuous values, NaN) put every sample there. Refuse, saying which label, and how to split."""
    hint = "pass stratify=False to shuffle all samples together"
    if y.dtype.kind in "fc":
        if not np.isfinite(y).all():
            raise ValueError(f"train_val_test_split: cannot stratify: y holds NaN or infinity (missing or broken "
                             f"labels); {hint}")
        if (y != np.round(y)).any():
            example = y[y != np.round(y)][0]
            raise ValueError(f"train_val_test_split: cannot stratify: y holds continuous labels (such as "
                             f"{example:.6g}), not class numbers, so each value would be a class of its own; {hint}")
    for label, count in enumerate(np.bincount(labels).tolist()):
        sizes = _part_sizes(count, fractions)
        if _leaves_a_part_empty(sizes, fractions):
            value = values[label].tolist()
            name = value[0] if len(value) == 1 else value
            raise ValueError(f"train_val_test_split: cannot stratify: label {name!r} has {count} "
                             f"sample{'' if count == 1 else 's'}, too few to put one in every part of split "
                             f"{fractions}: they would go {sizes} to training, validation, test; {hint}, or gather "
                             f"more samples of that label")


def train_val_test_split(x, y, split=(0.6, 0.2, 0.2), seed=0, stratify=True):
    """Split samples into training, validation and test parts, reproducibly.

    Every sample lands in exactly one part. With ``stratify`` the samples of each label are shuffled and cut
    separately, so every part holds (up to rounding) the same fraction of each label as the whole; a part's size
    per label is ``round(fraction · count)``, the test part takes the rest.

    Parameters
    ----------
    x : array_like, shape (N, ...)
        The samples, e.g. images ``(N, H, W, C)``.
    y : array_like, shape (N,) or (N, K)
        The labels: class numbers, ``(N, 1)`` binary targets, or one-hot rows (each distinct row is one label).
    split : three floats, default (0.6, 0.2, 0.2)
        Fractions for training, validation and test; non-negative, summing to 1.
    seed : int ≥ 0, numpy.random.Generator or None, default 0
        Fixes the shuffle: the same seed gives the same split, a different seed a different one; None gives a
        different split every call.
    stratify : bool, default True
        Keep the label fractions equal across the parts; ``False`` shuffles all samples together. Stratifying
        needs class labels (whole numbers, strings, one-hot rows; not continuous values or NaN), each with enough
        samples that every part of positive fraction gets at least one.

    Returns
    -------
    ((x_train, y_train), (x_val, y_val), (x_test, y_test))
        New arrays (copies), each part in shuffled order.

    Raises
    ------
    ValueError
        ``split`` is not three non-negative fractions summing to 1, ``x`` and ``y`` differ in length, or
        ``stratify`` with labels that cannot be stratified (see above).
    TypeError
        ``stratify`` is not a bool, or ``seed`` not a seed.
    """
    fractions = _check_split(split)
    stratify = checks.flag(stratify, "stratify", "train_val_test_split")
    rng = np.random.default_rng(checks.seed(seed, "seed", "train_val_test_split"))
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of samples (len(x) == len(y)), got "
                         f"{len(x) if x.ndim else 'a scalar'} and {len(y) if y.ndim else 'a scalar'}")
    if stratify and len(y):
        values, labels = np.unique(y.reshape(len(y), -1), axis=0, return_inverse=True)
        labels = labels.reshape(-1)
        _check_stratifiable(y, values, labels, fractions)
    else:
        labels = np.zeros(len(y), dtype=np.int64)
    parts = [[], [], []]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        train, validation, _ = _part_sizes(len(members), fractions)
        chunks = members[:train], members[train:train + validation], members[train + validation:]
        for part, chunk in zip(parts, chunks):
            part.extend(chunk.tolist())
    parts = [rng.permutation(np.array(part, dtype=np.int64)) for part in parts]
    return tuple((x[part], y[part]) for part in parts)


# ------------------------------------------------------------------------------------------------------ the faces

def _resized_faces(size):
    """The 200 LFW-subset images resized to ``size``×``size`` and their labels, cached per size."""
    if size not in _resized_cache:
        from skimage import data, transform

        images = data.lfw_subset()
        resized = np.stack([transform.resize(image, (size, size), order=1, anti_aliasing=True)
                            for image in images])
        labels = (np.arange(len(images)) < _N_FACES).astype(np.float32)
        _resized_cache[size] = (resized[..., None].astype(np.float32), labels[:, None])
    return _resized_cache[size]


def _check_faces_split(split, fractions):
    """Refuse, in ``load_faces``'s words, a ``split`` that leaves a part of positive fraction without a face or
    without a non-face (stratifying cuts each class of 100 separately)."""
    for count in sorted({_N_FACES, _N_NON_FACES}):
        sizes = _part_sizes(count, fractions)
        if _leaves_a_part_empty(sizes, fractions):
            raise ValueError(f"load_faces: split={split!r} cannot be stratified: of the {count} faces (and as many "
                             f"non-faces) it would put {sizes} in training, validation, test; choose fractions that "
                             f"leave every part at least one face and one non-face, such as (0.98, 0.01, 0.01), "
                             f"or 0 for a part you do not want")


def load_faces(size=32, split=(0.6, 0.2, 0.2), seed=0, normalize=True):
    """Faces (label 1) vs non-faces (label 0): scikit-image's bundled LFW subset, 200 images, offline.

    Parameters
    ----------
    size : int, default 32
        Images are resized from 25×25 to ``size``×``size`` (bilinear, anti-aliased); from 8 to 256.
    split : three floats, default (0.6, 0.2, 0.2)
        Fractions for training, validation and test (120, 40, 40 images by default). Stratified: each part holds
        the same fraction of faces, so each part of positive fraction must get at least one face and one non-face
        (of 100 each). See ``train_val_test_split``.
    seed : int ≥ 0, numpy.random.Generator or None, default 0
        Fixes the split: the same seed gives the same split, a different seed a different one; None gives a
        different split every call.
    normalize : bool, default True
        Apply ``x̂ = (x − μ) / σ`` to all three parts, with μ and σ the mean and standard deviation of the
        *training* pixels only. ``False`` keeps the raw values in [0, 1].

    Returns
    -------
    FacesData
        ``x_*`` float32 ``(N, size, size, 1)``, ``y_*`` float32 ``(N, 1)``, ``mean``, ``std``, ``class_names``;
        ``.splits()`` gives ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``.

    Raises
    ------
    TypeError
        ``size`` is not an int, ``seed`` not a seed, or ``normalize`` not a bool.
    ValueError
        ``size`` below 8 or above 256, a negative ``seed``, a bad ``split`` (one that leaves a part of positive
        fraction without a face or a non-face), or ``normalize=True`` with an empty training part.

    Notes
    -----
    The resized images are cached per ``size`` in this module, so a second call only re-splits; the arrays
    returned are always fresh copies, never the cache itself.
    """
    if isinstance(size, bool) or not isinstance(size, numbers.Integral):
        raise TypeError(f"load_faces: size must be an int (pixels per side), got {size!r} "
                        f"of type {type(size).__name__}")
    if size < 8:
        raise ValueError(f"load_faces: size must be an int of at least 8 (pixels per side), got {size!r}")
    if size > _MAX_SIZE:
        raise ValueError(f"load_faces: size must be at most {_MAX_SIZE} (pixels per side): the photos are 25×25, so a "
                         f"larger size only interpolates; got {size!r}")
    fractions = _check_split(split)
    _check_faces_split(split, fractions)
    seed = checks.seed(seed, "seed", "load_faces")
    normalize = checks.flag(normalize, "normalize", "load_faces")
    x, y = _resized_faces(int(size))
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = train_val_test_split(x, y, fractions, seed)
    if normalize:
        if len(x_train) == 0:
            raise ValueError(f"load_faces: normalize=True needs training images to compute the mean and std from, "
                             f"but split={split!r} leaves the training part empty; give it a positive fraction "
                             f"or pass normalize=False")
        mean, std = float(x_train.mean(dtype=np.float64)), float(x_train.std(dtype=np.float64))
    else:
        mean, std = 0.0, 1.0

    def normalise(part):
        return ((part - np.float32(mean)) / np.float32(std)).astype(np.float32)

    return FacesData(normalise(x_train), y_train, normalise(x_val), y_val, normalise(x_test), y_test, mean, std)


# --------------------------------------------------------------------------------------------------- augmentation

def _check_augment_params(scale=(0.9, 1.1), rotation=10.0, shift=0.1, flip=True, crop=1.0):
    """Validate ``augment``'s settings; return them as ``(scale_low, scale_high, rotation, shift, p_flip, crop)``."""
    try:
        low, high = (float(s) for s in scale)
    except (TypeError, ValueError):
        low = high = float("nan")
    if not 0 < low <= high < float("inf"):
        raise ValueError(f"augment: scale must be a range (low, high) with 0 < low <= high, e.g. (0.9, 1.1); "
                         f"got {scale!r}")
    for name, value in (("rotation", rotation), ("shift", shift)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < float("inf"):
            raise ValueError(f"augment: {name} must be a non-negative number (the largest "
                             f"{'angle in degrees' if name == 'rotation' else 'fraction of the image size'}), "
                             f"got {value!r}")
    if isinstance(flip, (bool, np.bool_)):
        p_flip = 0.5 if flip else 0.0
    elif isinstance(flip, numbers.Real) and 0 <= flip <= 1:
        p_flip = float(flip)
    else:
        raise ValueError(f"augment: flip must be a probability in [0, 1] or a bool (True = 0.5), got {flip!r}")
    if isinstance(crop, bool) or not isinstance(crop, numbers.Real) or not 0 < crop <= 1:
        raise ValueError(f"augment: crop must be the smallest crop side as a fraction of the image side, in (0, 1] "
                         f"(1 = no extra crop), got {crop!r}")
    return low, high, float(rotation), float(shift), p_flip, float(crop)


def _as_generator(rng, where):
    """``rng`` as a Generator: a Generator as it is, a whole number ≥ 0 seeds a new one."""
    if isinstance(rng, np.random.Generator):
        return rng
    if not isinstance(rng, numbers.Integral) or isinstance(rng, bool):
        raise TypeError(f"{where}: rng must be a numpy.random.Generator or an int seed ≥ 0, got {rng!r}")
    if rng < 0:
        raise ValueError(f"{where}: rng must be a numpy.random.Generator or an int seed ≥ 0, got {rng!r}")
    return np.random.default_rng(int(rng))


def augment(images, rng, scale=(0.9, 1.1), rotation=10.0, shift=0.1, flip=True, crop=1.0):
    """The document's preprocessing: random scaling, cropping, rotation, shift and flip, one affine warp per image.

    For each image independently, draw a crop fraction ``s ~ U[crop, 1]`` and a crop centre, a flip ``f`` (−1 with
    probability ``flip``, else +1), a scale ``a ~ U[scale]``, an angle ``θ ~ U[−rotation, rotation]`` (degrees) and a
    shift ``t ~ U[−shift, shift]·(W, H)`` pixels. With ``c`` the image centre and ``d`` the crop centre's offset from
    it, an input pixel ``p`` goes to

        p' = c + t + R(θ) · a · diag(f, 1) · (p − c − d) / s

    and the output is read back with bilinear interpolation, borders filled by reflection.

    *Cropping* is scaling up and cutting back to the original size, i.e. a random-resized crop: a scale factor
    ``a > 1`` zooms in about the centre and the parts pushed outside the frame are cut off; ``crop < 1`` adds an
    explicit crop, a window of side ``s·H × s·W`` at a random place *inside* the image, stretched back to ``H × W``.

    Parameters
    ----------
    images : array_like, shape (N, H, W, C)
        A channels-last batch; any number of channels. Not modified.
    rng : numpy.random.Generator or int
        The random source (the training loop passes its own Generator); an int seeds a new one. Equal seeds give
        equal results.
    scale : (float, float), default (0.9, 1.1)
        Range of the zoom factor ``a``; ``(1, 1)`` switches scaling off.
    rotation : float, default 10.0
        Largest rotation in degrees, either way; 0 switches it off.
    shift : float, default 0.1
        Largest shift as a fraction of the image's width (x) and height (y); 0 switches it off.
    flip : bool or float, default True
        Probability of a left-right mirror: ``True`` = 0.5, ``False`` = 0, or any probability in [0, 1]
        (``1.0`` always flips).
    crop : float, default 1.0
        Smallest crop side as a fraction of the image side, in (0, 1]; 1 = no extra crop.

    Returns
    -------
    ndarray, float32, shape (N, H, W, C)
        A new array; with every augmentation off it equals ``images``.

    Raises
    ------
    ValueError
        ``images`` not 4-D (N, H, W, C), or a setting out of range.
    TypeError
        ``rng`` neither a Generator nor an int.
    """
    from skimage import transform

    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"augment: expected images of shape (N, H, W, C) (channels last; a grey batch is "
                         f"(N, H, W, 1)), got shape {images.shape}")
    low, high, rotation, shift, p_flip, crop = _check_augment_params(scale, rotation, shift, flip, crop)
    rng = _as_generator(rng, "augment")
    n, height, width, _ = images.shape
    size = np.array([width, height], dtype=np.float64)  # (x, y) order, as skimage's transforms use
    centre = (size - 1) / 2
    out = np.empty(images.shape, dtype=np.float32)
    for k in range(n):
        s = rng.uniform(crop, 1.0)
        d = rng.uniform(-0.5, 0.5, 2) * (1 - s) * (size - 1)  # the window's pixel centres stay inside
        f = -1.0 if rng.random() < p_flip else 1.0
        a = rng.uniform(low, high)
        theta = np.deg2rad(rng.uniform(-rotation, rotation))
        t = rng.uniform(-shift, shift, 2) * size
        cos, sin = np.cos(theta), np.sin(theta)
        linear = np.array([[cos, -sin], [sin, cos]]) @ np.diag([a * f / s, a / s])
        matrix = np.eye(3)
        matrix[:2, :2] = linear
        matrix[:2, 2] = centre + t - linear @ (centre + d)
        forward = transform.AffineTransform(matrix=matrix)
        out[k] = transform.warp(images[k].astype(np.float64), forward.inverse, order=1, mode="reflect",
                                preserve_range=True).reshape(images.shape[1:])
    return out


def _check_setting_names(settings):
    """Refuse a name that is not one of ``augment``'s settings, suggesting the closest valid one."""
    valid = list(inspect.signature(_check_augment_params).parameters)
    for name in settings:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"make_augmenter: unknown setting {name!r}{hint}; the settings are {', '.join(valid)}")


def make_augmenter(seed=None, **kwargs):
    """``augment`` with its settings fixed: a callable ``f(x_batch, rng=None)`` for ``model.fit(augment=f)``.

    What it adds over ``functools.partial(augment, **kwargs)``: the settings are checked *now*, so a typo fails
    before training starts rather than at the first batch, and with a ``seed`` the augmenter can run without a
    Generator of its own (useful outside ``fit``, e.g. to look at augmented images).

    Parameters
    ----------
    seed : int ≥ 0 or numpy.random.Generator, optional
        Seeds the augmenter's own Generator, used only when it is called without ``rng`` (None: it has none, and
        must be given ``rng``).
    **kwargs
        ``scale``, ``rotation``, ``shift``, ``flip``, ``crop``: see ``augment``.

    Returns
    -------
    callable ``f(x_batch, rng=None) -> ndarray``
        ``fit`` calls ``f(x_batch, rng)`` with its own Generator; that ``rng`` wins over ``seed``.

    Examples
    --------
    >>> f = make_augmenter(rotation=20.0, flip=False)
    >>> model.fit(x_train, y_train, augment=f, seed=0)              # doctest: +SKIP
    """
    _check_setting_names(kwargs)
    _check_augment_params(**kwargs)  # bad values raise ValueError here, before training
    seed = checks.seed(seed, "seed", "make_augmenter")
    own = None if seed is None else np.random.default_rng(seed)
    bound = functools.partial(augment, **kwargs)

    def augmenter(images, rng=None):
        if rng is None:
            if own is None:
                raise TypeError("make_augmenter: the augmenter was called without rng and has no seed of its own; "
                                "pass rng (a numpy.random.Generator or int) or build it with make_augmenter(seed=...)")
            rng = own
        return bound(images, rng)

    augmenter.keywords = dict(kwargs)
    return augmenter
