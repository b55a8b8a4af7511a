"""MDNet's tracker (Nam & Han 2016) on the Siamese tracker's embedding: score candidate boxes with a small classifier
trained online, and refine the best ones with a box regressor.

MDNet's idea is *tracking by detection*: in every frame, draw a few hundred candidate boxes around where the
target should be, score each with a binary classifier "target or background", and take the best. The classifier
learns the target on the first frame and keeps learning from the frames it is confident about. Here the features
of a box come from the Siamese network's embedding φ (``minicnn.track.trackers.siamese``) of one 127×127 search
crop per frame: a box's feature vector is φ sampled at a ``grid × grid`` lattice of points inside the box
(``roi_features``), so all candidates share one forward pass of the network.

Per frame ``t``:

1. predict the target's centre with a constant-velocity Kalman filter (``KalmanBoxFilter``) and embed a search crop
   of side ``s_x = s_z · 127/63`` around it (``s_z`` the context side of the box, as the Siamese tracker);
2. draw ``N`` candidates ``b_i`` (``sample_boxes``), read their features ``f_i`` and scores
   ``p_i = P(target | f_i)`` (``OnlineClassifier``);
3. the five best give the target's box ``b* = mean(b_i)`` and its confidence ``p* = mean(p_i)`` (the best
   candidate and the next best of those overlapping it, IoU > 0.3: MDNet's top five, which cluster anyway when
   the candidates are drawn close together); when ``p* ≥ 0.5`` each of the five is refined by the box regressor
   (``BoxRegressor``) before averaging, the filter is corrected, and training examples are kept: positives
   (IoU ≥ 0.7 with ``b*``) and negatives (IoU ≤ 0.3);
4. the classifier is fine-tuned every ``update_interval`` frames on the remembered examples (MDNet's long-term
   update), and right after a frame with ``p* < 0.5`` (the short-term update, on the latest frames only).

While the target is lost (``p* < 0.5``) the tracker reports the filter's predicted box, and searches wider: a crop
of 191×191 pixels instead of 127×127 at the same scale (the embedding is fully convolutional, so the target looks
the same to it, on a feature map of 38×38 cells), with the candidates' spread grown in proportion and as many
candidates again spread uniformly over all of it. After ``max_coast``
lost frames the filter stops coasting (it restarts, still, where the target was last seen) and every other frame
the search crop visits the next place of a raster scan over the frame, so that a target that reappears elsewhere
(out of view, full occlusion) can be found again; a find there needs ``p* ≥ redetect_threshold`` (0.8).

Illumination: the embedding is not invariant to the brightness of its input, so each frame is first matched to
the first frame's colour statistics, per channel: ``I' = (I − μ)·σ₀/σ + μ₀`` (a global gain and colour cast
cancel; a shadow crossing the target does not).

Differences from MDNet: the features are the Siamese embedding's (no convolutional layers are trained online, and
there are no per-domain branches), so all the candidates of a frame share one forward pass; the classifier is a
two-layer perceptron on those features; the first frame's positives are never forgotten (MDNet's long-term memory
keeps them only for its first 100 frames); a Kalman filter predicts where to search (MDNet searches around the
last box); the raster scan while lost and the illumination matching are additions.
"""

import collections

import numpy as np

from minicnn.backend import to_host, use_backend
from minicnn.checks import flag, number_in, seed as checked_seed, whole_number
from minicnn.layers import Dense
from minicnn.losses import BinaryCrossentropy
from minicnn.model import Sequential
from minicnn.optimizers import Adam
from minicnn.track.boxes import as_boxes, centers, crop_and_resize, from_center, iou
from minicnn.track.trackers.base import Tracker, colour_statistics, match_colour_statistics
from minicnn.track.trackers.motion import KalmanBoxFilter
from minicnn.track.trackers.siamese import TOTAL_STRIDE, SiameseTracker, is_crop_size, preprocess

SEARCH_SIZE = 127
"""Side of a search crop in crop pixels (the Siamese network's search input)."""

FEATURE_STRIDE = 4
"""Crop pixels between neighbouring feature cells: the 5×5/2 convolution times the 3×3/2 max-pool."""

FEATURE_OFFSET = 20.5
"""Crop coordinate of feature cell 0's centre (see ``feature_geometry``): cell ``m`` is centred on ``4·m + 20.5``."""


def map_reach(crop=SEARCH_SIZE):
    """How far from the centre of a ``crop × crop`` search crop its feature cells reach, as a fraction of the
    crop's side: ``(crop/2 − 20.5)/crop``, 0.34 for 127 pixels, 0.39 for 191."""
    return (crop / 2 - FEATURE_OFFSET) / crop


# ------------------------------------------------------------------------------------------------ features of boxes

def feature_geometry(layers):
    """Where each cell of a stack of unpadded convolutions and poolings looks in the input: ``(stride, offset)``.

    Cell ``m`` of the output is centred on input coordinate ``offset + stride · m``, in box coordinates (pixel ``i``
    covers ``[i, i + 1)``, so its centre is ``i + ½``). Walking the layers in order from ``j = 1``, ``r = ½``
    (pixel 0's centre), a layer of window ``k`` and stride ``s`` gives::

        r ← r + (k − 1)/2 · j        (the centre of its first window, in input coordinates)
        j ← j · s                    (input pixels per output cell)

    Layers without a window (ReLU, BatchNorm) change neither.

    Parameters
    ----------
    layers : sequence of Layer
        E.g. ``embedding().layers`` of the Siamese network: conv 5×5/2, max-pool 3×3/2, four conv 3×3/1.

    Returns
    -------
    stride : int
    offset : float

    Notes
    -----
    For the Siamese embedding: conv 5×5/2 gives ``r = ½ + 2 = 2.5``, ``j = 2``; max-pool 3×3/2 gives
    ``r = 2.5 + 1·2 = 4.5``, ``j = 4``; each conv 3×3 adds ``1·4``: ``r = 4.5 + 16 = 20.5``. So cell ``m`` is centred
    on crop coordinate ``4·m + 20.5``, the centre of crop pixel ``4·m + 20``; its receptive field is the 41 pixels
    ``4·m … 4·m + 40``. A 127-pixel crop gives 22 cells, centred on 20.5 … 104.5.
    """
    jump, start = 1, 0.5
    for layer in layers:
        window = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        if window is None:
            continue
        if getattr(layer, "padding", "valid") != "valid":
            raise ValueError(f"feature_geometry: {layer.name} has padding {layer.padding!r}; expected 'valid' "
                             "(unpadded) layers only")
        if window[0] != window[1] or layer.strides[0] != layer.strides[1]:
            raise ValueError(f"feature_geometry: {layer.name} has window {window} and strides {layer.strides}; "
                             "expected square ones")
        start += (window[0] - 1) / 2 * jump
        jump *= layer.strides[0]
    return jump, start


def roi_features(feature_maps, boxes, grid=3, map_index=None, stride=FEATURE_STRIDE, offset=FEATURE_OFFSET):
    """The feature vector of each box: the feature map sampled bilinearly at a ``grid × grid`` lattice in the box.

    For a box ``(x, y, w, h)`` in crop coordinates the lattice points are
    ``pₓ(i) = x + (i + ½)·w/G``, ``p_y(j) = y + (j + ½)·h/G`` for ``i, j = 0 … G−1``; a point sits at feature cell
    coordinate ``u = (pₓ − offset)/stride``, ``v = (p_y − offset)/stride`` (see ``feature_geometry``), clamped to the
    map, ``0 ≤ u ≤ W_f − 1``, ``0 ≤ v ≤ H_f − 1``. Bilinear interpolation between the four cells around it::

        f(u, v) = (1 − a)(1 − b)·F[v₀, u₀] + (1 − a)·b·F[v₀, u₀ + 1] + a·(1 − b)·F[v₀ + 1, u₀] + a·b·F[v₀ + 1, u₀ + 1]

    with ``u₀ = ⌊u⌋``, ``b = u − u₀``, ``v₀ = ⌊v⌋``, ``a = v − v₀``.

    Parameters
    ----------
    feature_maps : ndarray, shape (K, H_f, W_f, C) or (H_f, W_f, C)
        Search-branch features φ(x) of 127×127 crops; one map ``(H_f, W_f, C)`` is shared by every box.
    boxes : array, shape (N, 4) or (4,)
        ``(x, y, w, h)`` in crop pixels (a frame box ``p`` maps to ``(p − (c − s/2)) · 127/s`` for a crop of side
        ``s`` centred on ``c``).
    grid : int, default 3
        Lattice points per side ``G``.
    map_index : array of int, shape (N,), optional
        Which of the ``K`` maps each box reads; default: box ``n`` reads map ``n`` (then ``K = N``), or the one map.
    stride, offset : float
        The map's geometry; the defaults are the Siamese embedding's.

    Returns
    -------
    ndarray, shape (N, G·G·C), float32
        Ordered lattice row ``j``, column ``i``, channel ``c``.
    """
    maps = np.asarray(feature_maps)
    boxes = as_boxes(boxes)
    if not isinstance(grid, (int, np.integer)) or isinstance(grid, bool) or grid < 1:
        raise ValueError(f"roi_features: grid must be a positive int, got {grid!r}")
    if maps.ndim == 3:
        maps = maps[None]
        index = np.zeros(len(boxes), dtype=np.int64)
    elif maps.ndim == 4:
        if map_index is None:
            if len(maps) != len(boxes):
                raise ValueError(f"roi_features: {len(maps)} feature maps for {len(boxes)} boxes; give one map per "
                                 "box, one shared map (H_f, W_f, C), or map_index")
            index = np.arange(len(boxes))
        else:
            index = np.asarray(map_index, dtype=np.int64).reshape(-1)
            if index.shape != (len(boxes),) or np.any(index < 0) or np.any(index >= len(maps)):
                raise ValueError(f"roi_features: map_index must hold {len(boxes)} indices in [0, {len(maps)}), got "
                                 f"{np.asarray(map_index)!r}")
    else:
        raise ValueError(f"roi_features: feature_maps: expected shape (K, H_f, W_f, C) or (H_f, W_f, C), got "
                         f"{maps.shape}")
    height, width = maps.shape[1:3]
    fractions = (np.arange(grid) + 0.5) / grid
    u = np.clip((boxes[:, 0:1] + fractions * boxes[:, 2:3] - offset) / stride, 0, width - 1)  # (N, G)
    v = np.clip((boxes[:, 1:2] + fractions * boxes[:, 3:4] - offset) / stride, 0, height - 1)
    u0 = np.minimum(np.floor(u).astype(np.int64), max(width - 2, 0))
    v0 = np.minimum(np.floor(v).astype(np.int64), max(height - 2, 0))
    u1 = np.minimum(u0 + 1, width - 1)
    v1 = np.minimum(v0 + 1, height - 1)
    b = (u - u0).astype(np.float32)[:, None, :, None]  # (N, 1, G, 1): weight of column u₀ + 1
    a = (v - v0).astype(np.float32)[:, :, None, None]  # (N, G, 1, 1): weight of row v₀ + 1
    n = index[:, None, None]
    result = ((1 - a) * (1 - b) * maps[n, v0[:, :, None], u0[:, None, :]]
              + (1 - a) * b * maps[n, v0[:, :, None], u1[:, None, :]]
              + a * (1 - b) * maps[n, v1[:, :, None], u0[:, None, :]]
              + a * b * maps[n, v1[:, :, None], u1[:, None, :]])
    return result.reshape(len(boxes), grid * grid * maps.shape[3]).astype(np.float32, copy=False)


def frame_to_crop(boxes, center, side, size=SEARCH_SIZE):
    """Frame boxes → crop boxes for a square crop of ``side`` frame pixels centred on ``center``, resized to
    ``size``: ``p' = (p − (c − s/2)) · size/s`` for the corner, ``w' = w · size/s`` for the sides."""
    boxes = as_boxes(boxes)
    factor = size / float(side)
    origin = np.asarray(center, dtype=np.float64) - float(side) / 2
    return np.concatenate([(boxes[:, :2] - origin) * factor, boxes[:, 2:] * factor], axis=1)


# ------------------------------------------------------------------------------------------------ sampling boxes

def _check_sampler(where, count, translation, scale):
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
        raise ValueError(f"{where}: count must be an int ≥ 0, got {count!r}")
    for name, value in (("translation", translation), ("scale", scale)):
        if not np.isscalar(value) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{where}: {name} must be a finite number ≥ 0, got {value!r}")


def _one_box(box, where):
    boxes = as_boxes(box, f"{where}: box")
    if len(boxes) != 1 or not np.all(np.isfinite(boxes)) or np.any(boxes[0, 2:] <= 0):
        raise ValueError(f"{where}: box: expected one finite box (x, y, w, h) with w, h > 0, got {box!r}")
    return boxes[0]


def keep_inside(boxes, frame_shape):
    """Move boxes into a frame of shape ``(H, W, ...)`` without changing their size (a side longer than the frame
    is first shortened to the frame's): ``x ← clip(x, 0, W − w)``, ``y ← clip(y, 0, H − h)``."""
    boxes = as_boxes(boxes).copy()
    height, width = frame_shape[:2]
    boxes[:, 2] = np.minimum(boxes[:, 2], width)
    boxes[:, 3] = np.minimum(boxes[:, 3], height)
    boxes[:, 0] = np.clip(boxes[:, 0], 0, width - boxes[:, 2])
    boxes[:, 1] = np.clip(boxes[:, 1], 0, height - boxes[:, 3])
    return boxes


def check_examples(where, box, frame_shape, positives, negatives):
    """The first frame must give boxes on the target and boxes off it to learn from: a box covering most of the
    frame (or a frame of a few pixels) leaves no background, and the classifier's own error said only that it got
    "0 negatives"."""
    if len(positives) and len(negatives):
        return
    height, width = frame_shape[:2]
    missing = "on it (IoU ≥ 0.7)" if not len(positives) else "off it (IoU ≤ 0.5: background)"
    text = ", ".join(f"{v:g}" for v in box)
    raise ValueError(f"{where}: no box drawn around the box ({text}) in the {width}×{height} frame lies {missing}, "
                     "so there is nothing to learn the target from; give a box with background around it inside the "
                     "frame, or use the siamese tracker")


def sample_boxes(rng, box, count, translation, scale, frame_shape=None):
    """MDNet's Gaussian sampler: ``count`` boxes around ``box``, aspect ratio kept.

    ``c' = c + δ``, ``δ ~ N(0, (t · (w + h)/2)²)`` per axis, and ``(w', h') = (w, h) · 1.05^σ``, ``σ ~ N(0, s²)``,
    with ``t = translation`` and ``s = scale``.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        The random source (an int seeds a new one).
    box : array, shape (4,)
        ``(x, y, w, h)`` the samples are drawn around.
    count : int
    translation : float
        Standard deviation of the centre's shift, as a fraction of the box's mean side.
    scale : float
        Standard deviation of the size's exponent of 1.05 (``scale = 1``: sizes mostly within ×1.05^±1).
    frame_shape : tuple, optional
        ``(H, W, ...)``: move every box into the frame (``keep_inside``).

    Returns
    -------
    ndarray, shape (count, 4), float64
    """
    _check_sampler("sample_boxes", count, translation, scale)
    box = _one_box(box, "sample_boxes")
    rng = np.random.default_rng(rng)
    shift = rng.normal(0.0, translation * box[2:].mean(), (count, 2))
    factor = 1.05 ** rng.normal(0.0, scale, (count, 1))
    boxes = from_center(centers(box) + shift, box[2:] * factor) if count else np.zeros((0, 4))
    return boxes if frame_shape is None else keep_inside(boxes, frame_shape)


def uniform_boxes(rng, box, count, translation, scale, frame_shape=None):
    """MDNet's uniform sampler, for negatives over a wider area: ``δ ~ U(−t·(w + h)/2, t·(w + h)/2)`` per axis,
    ``σ ~ U(−s, s)``, otherwise as ``sample_boxes``."""
    _check_sampler("uniform_boxes", count, translation, scale)
    box = _one_box(box, "uniform_boxes")
    rng = np.random.default_rng(rng)
    reach = translation * box[2:].mean()
    shift = rng.uniform(-reach, reach, (count, 2))
    factor = 1.05 ** rng.uniform(-scale, scale, (count, 1))
    boxes = from_center(centers(box) + shift, box[2:] * factor) if count else np.zeros((0, 4))
    return boxes if frame_shape is None else keep_inside(boxes, frame_shape)


def pick(boxes, keep, limit):
    """The first ``limit`` of ``boxes`` where ``keep`` holds (the samplers' order is already random)."""
    return boxes[np.flatnonzero(keep)[:limit]]


# ------------------------------------------------------------------------------------------------ the classifier

def _as_features(features, where, dims=None):
    array = np.asarray(features, dtype=np.float32)
    if array.ndim != 2 or (dims is not None and array.shape[1] != dims):
        expected = f"(N, {dims})" if dims is not None else "(N, D)"
        raise ValueError(f"{where}: expected features of shape {expected}, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: features hold NaN or infinity")
    return array


class OnlineClassifier:
    """MDNet's online classifier: ``p = σ(w₂ · relu(W₁ x̂ + b₁) + b₂)``, the probability that features ``x``
    belong to the target, with ``x̂ = (x − μ)/σ`` standardised by the first frame's statistics.

    A minicnn ``Sequential`` of ``Dense(hidden, relu) → Dense(1)`` (the logit ``z``; ``p = σ(z)``) trained with the
    binary cross-entropy ``L = −(1/n) Σ [y log p + (1 − y) log(1 − p)]`` by ``train_on_batch`` and Adam. Every
    step sees ``batch_positives`` positives and ``batch_negatives`` *hard* negatives: the highest-scoring of
    ``hard_pool · batch_negatives`` drawn at random (MDNet's hard-negative mining).

    Parameters
    ----------
    hidden : int, default 64
    learning_rate : float, default 3e-3
        Adam's step size for every training step. On the default suite 3e-4 … 3e-3 track equally well (within the
        noise between seeds), and 1e-2 drifts; the largest of those learns the first frame fastest.
    batch_positives, batch_negatives : int, default 32 and 96 (MDNet's)
    hard_pool : int, default 4
        Negatives scored per negative kept (MDNet: 1024 scored for 96 kept; 4 is cheaper and enough here).
    memory : int, default 30
        Frames whose examples ``remember`` keeps; the first frame's positives are kept as well, always.
    seed : int, default 0
        The initial weights and every batch drawn.
    backend : str, default "numba"
    """

    def __init__(self, hidden=64, learning_rate=3e-3, batch_positives=32, batch_negatives=96, hard_pool=4,
                 memory=30, seed=0, backend="numba"):
        for name, value in (("hidden", hidden), ("batch_positives", batch_positives),
                            ("batch_negatives", batch_negatives), ("hard_pool", hard_pool), ("memory", memory)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"OnlineClassifier: {name} must be a positive int, got {value!r}")
        if not (np.isscalar(learning_rate) and learning_rate > 0):
            raise ValueError(f"OnlineClassifier: learning_rate must be a number > 0, got {learning_rate!r}")
        self.hidden = int(hidden)
        self.learning_rate = float(learning_rate)
        self.batch_positives = int(batch_positives)
        self.batch_negatives = int(batch_negatives)
        self.hard_pool = int(hard_pool)
        self.memory = int(memory)
        self.seed = seed
        self.backend = backend
        self.model = None

    def _require_fitted(self, method):
        if self.model is None:
            raise RuntimeError(f"OnlineClassifier.{method}: call fit_first_frame(positives, negatives) first")

    def fit_first_frame(self, positive_features, negative_features, steps=50):
        """Start: the standardisation ``μ, σ`` from all the examples, new weights, ``steps`` training steps.

        Parameters
        ----------
        positive_features : ndarray, shape (P, D)
            Features of boxes on the target (MDNet: IoU ≥ 0.7 with it).
        negative_features : ndarray, shape (Q, D)
            Features of background boxes (MDNet: IoU ≤ 0.5), including hard ones close to the target.
        steps : int, default 50
        """
        positives = _as_features(positive_features, "OnlineClassifier.fit_first_frame: positive_features")
        negatives = _as_features(negative_features, "OnlineClassifier.fit_first_frame: negative_features",
                                 positives.shape[1])
        if len(positives) == 0 or len(negatives) == 0:
            raise ValueError(f"OnlineClassifier.fit_first_frame: expected at least one positive and one negative, "
                             f"got {len(positives)} and {len(negatives)}")
        examples = np.concatenate([positives, negatives])
        self.mean = examples.mean(axis=0)
        self.std = np.maximum(examples.std(axis=0), 1e-3 * examples.std() + 1e-12).astype(np.float32)
        self.dims = positives.shape[1]
        self.rng = np.random.default_rng(self.seed)
        self.model = Sequential([Dense(self.hidden, activation="relu"), Dense(1)], name="online_classifier",
                                seed=int(self.rng.integers(2**31)))
        self.model.build((None, self.dims))
        self.model.compile(optimizer=Adam(self.learning_rate), loss=BinaryCrossentropy(from_logits=True))
        self.first = (self._standardise(positives), self._standardise(negatives))
        self.frames = collections.deque(maxlen=self.memory)
        self._train(*self.first, steps)

    def _standardise(self, features):
        return ((features - self.mean) / self.std).astype(np.float32)

    def _logits(self, standardised):
        with use_backend(self.backend):
            return to_host(self.model.forward(standardised))[:, 0]

    def scores(self, features):
        """``p = σ(z)`` per row: the probability that each box is the target, shape (K,)."""
        self._require_fitted("scores")
        features = _as_features(features, "OnlineClassifier.scores: features", self.dims)
        z = self._logits(self._standardise(features)).astype(np.float64)
        return np.exp(-np.logaddexp(0.0, -z))

    def remember(self, positive_features, negative_features):
        """Keep one frame's examples; the oldest frame is forgotten once ``memory`` frames are kept."""
        self._require_fitted("remember")
        positives = _as_features(positive_features, "OnlineClassifier.remember: positive_features", self.dims)
        negatives = _as_features(negative_features, "OnlineClassifier.remember: negative_features", self.dims)
        self.frames.append((self._standardise(positives), self._standardise(negatives)))

    def update(self, steps=15, frames=None):
        """Fine-tune for ``steps`` steps on the remembered examples of the last ``frames`` frames (all when None),
        with the first frame's positives; negatives come from the remembered frames (hard ones, see the class)."""
        self._require_fitted("update")
        chosen = list(self.frames)[-frames:] if frames else list(self.frames)
        positives = np.concatenate([self.first[0]] + [p for p, _ in chosen])
        negatives = np.concatenate([n for _, n in chosen] + [self.first[1][:0]])
        negatives = negatives if len(negatives) else self.first[1]
        self._train(positives, negatives, steps)

    def _train(self, positives, negatives, steps):
        """``steps`` Adam steps of binary cross-entropy on balanced batches with hard-negative mining (the weights
        stay on the device between the steps, on an accelerator backend)."""
        with use_backend(self.backend), self.model.on_device():
            for _ in range(int(steps)):
                pos = positives[self.rng.integers(len(positives), size=self.batch_positives)]
                pool = negatives[self.rng.integers(len(negatives), size=self.batch_negatives * self.hard_pool)]
                if self.hard_pool > 1:
                    hardness = -to_host(self.model.forward(pool))[:, 0]
                    pool = pool[np.argsort(hardness, kind="stable")[:self.batch_negatives]]
                x = np.concatenate([pos, pool])
                y = np.concatenate([np.ones(len(pos)), np.zeros(len(pool))]).astype(np.float32)[:, None]
                self.model.train_on_batch(x, y)


# ------------------------------------------------------------------------------------------------ box regression

def regression_targets(boxes, truth):
    """What the box regressor learns: ``(Δx/w, Δy/h, log(g_w/w), log(g_h/h))`` from each box to the true box ``g``,
    ``Δ`` the difference of centres (R-CNN's parameterisation), shape (N, 4)."""
    boxes = as_boxes(boxes)
    truth = as_boxes(truth, "truth")
    delta = centers(truth) - centers(boxes)
    return np.concatenate([delta / boxes[:, 2:], np.log(truth[:, 2:] / boxes[:, 2:])], axis=1)


def apply_regression(boxes, targets):
    """The inverse of ``regression_targets``: ``c' = c + (w·t₀, h·t₁)``, ``(w', h') = (w·e^{t₂}, h·e^{t₃})``."""
    boxes = as_boxes(boxes)
    targets = np.asarray(targets, dtype=np.float64).reshape(-1, 4)
    center = centers(boxes) + targets[:, :2] * boxes[:, 2:]
    return from_center(center, boxes[:, 2:] * np.exp(targets[:, 2:]))


class BoxRegressor:
    """MDNet's bounding-box regression: ridge regression from a box's features to the correction that moves it
    onto the target.

    With standardised features ``x̂ = (x − μ)/σ`` (``X̂``, N × D) and centred targets ``T − t̄`` (N × 4, see
    ``regression_targets``), the weights minimise ``‖X̂ W − (T − t̄)‖² + λ‖W‖²``, in closed form::

        W = (X̂ᵀ X̂ + λ I)⁻¹ X̂ᵀ (T − t̄),      prediction  t = x̂ W + t̄

    When there are fewer examples than features (N < D) the same ``W`` is computed as
    ``X̂ᵀ (X̂ X̂ᵀ + λ I)⁻¹ (T − t̄)``, an N × N system instead of D × D (the push-through identity).

    Parameters
    ----------
    alpha : float, default 1000
        ``λ`` in standardised units (MDNet's value, which it uses on raw features). With a few hundred examples and
        D ≈ 900 features (more features than examples) the fit needs strong regularisation. On the default suite
        λ = 100, 1000, 10000 gave a mean AUC of 0.559, 0.570, 0.533 (two tracker seeds each).
    """

    def __init__(self, alpha=1000.0):
        if not (np.isscalar(alpha) and np.isfinite(alpha) and alpha > 0):
            raise ValueError(f"BoxRegressor: alpha must be a finite number > 0, got {alpha!r}")
        self.alpha = float(alpha)
        self.weights = None

    def fit(self, features, boxes, truth):
        """Learn from the features (N, D) of boxes (N, 4) around the known box ``truth`` (4,)."""
        features = _as_features(features, "BoxRegressor.fit: features").astype(np.float64)
        boxes = as_boxes(boxes)
        if len(boxes) != len(features) or len(boxes) < 2:
            raise ValueError(f"BoxRegressor.fit: expected as many boxes as feature rows (at least 2), got "
                             f"{len(boxes)} boxes and {len(features)} rows")
        targets = regression_targets(boxes, truth)
        self.mean = features.mean(axis=0)
        self.std = np.maximum(features.std(axis=0), 1e-6)
        self.target_mean = targets.mean(axis=0)
        low, high = targets.min(axis=0), targets.max(axis=0)
        self.target_range = low - (high - low), high + (high - low)
        x = (features - self.mean) / self.std
        centred = targets - self.target_mean
        if len(x) < x.shape[1]:  # fewer examples than features: the same W as W = Xᵀ (X Xᵀ + λI)⁻¹ T, cheaper
            self.weights = x.T @ np.linalg.solve(x @ x.T + self.alpha * np.eye(len(x)), centred)
        else:
            self.weights = np.linalg.solve(x.T @ x + self.alpha * np.eye(x.shape[1]), x.T @ centred)
        return self

    def predict(self, features, boxes):
        """Refined boxes (N, 4): each box moved by its predicted correction (``apply_regression``), each of the four
        numbers kept within the range of those it was fitted on, widened by that range's width on either side."""
        if self.weights is None:
            raise RuntimeError("BoxRegressor.predict: call fit(features, boxes, truth) first")
        features = _as_features(features, "BoxRegressor.predict: features", len(self.mean)).astype(np.float64)
        boxes = as_boxes(boxes)
        if len(boxes) != len(features):
            raise ValueError(f"BoxRegressor.predict: {len(features)} feature rows for {len(boxes)} boxes")
        targets = ((features - self.mean) / self.std) @ self.weights + self.target_mean
        # no correction far beyond those it learnt from: features unlike the first frame's, standardised by a tiny σ,
        # asked for e^1000 times the box (then NaN)
        return apply_regression(boxes, np.clip(targets, *self.target_range))


# ------------------------------------------------------------------------------------------------ the tracker

class CNNTracker(Tracker):
    """MDNet-style tracking by detection on the Siamese embedding (see the module docstring for the steps).

    Parameters
    ----------
    weights : path, optional
        The Siamese network's weights (``SiameseTracker``'s default when None).
    backend : {"numba", "numpy", "cuda"}, default "numba"
    seed : int, default 0
        Every random choice: the same seed gives the same boxes.
    candidates : int, default 256
        Boxes scored per frame (MDNet's 256).
    translation : float, default 0.3
        Spread of the candidates' centres, as a fraction of the target's mean side (``sample_boxes``); MDNet's
        0.6 · N(0, ½²).
    scale : float, default 3.0
        Spread of the candidates' sizes: the standard deviation of their exponent of 1.05 (``sample_boxes``).
    top : int, default 5
        Best candidates averaged into the result.
    lost_threshold : float, default 0.5
        The target is lost when the top candidates' mean probability is below it.
    lost_search_size : int, default 191
        After a lost frame: the search crop's size in crop pixels (127 otherwise), at the same scale, so it covers
        191/127 times the side and its feature map is 38×38 cells instead of 22×22.
    update_interval : int, default 10
        Frames between long-term updates of the classifier.
    first_steps, update_steps : int, default 50 and 15
        Training steps on the first frame and per update.
    short_frames : int, default 10
        Frames a short-term update learns from.
    grid : int, default 3
        Lattice points per side of a box's features (``roi_features``).
    hidden : int, default 64
        The classifier's hidden units (``OnlineClassifier``).
    memory : int, default 30
        Frames whose examples the classifier keeps (``OnlineClassifier``).
    learning_rate : float, default 3e-3
        The classifier's step size (``OnlineClassifier``).
    regression : bool, default True
        Refine confident results with ``BoxRegressor``.
    context : float, default 0.5
        The Siamese tracker's context margin (the crop's side), a number ≥ 0 (``SiameseTracker``).
    max_coast : int, default 5
        Lost frames after which the motion model stops coasting and the raster scan starts.
    redetect_threshold : float, default 0.8
        The confidence a scan's crop (away from where the target was) needs to take the target there: more than
        ``lost_threshold``, since a look-alike far away is likelier than the target jumping there.
    normalise : bool, default True
        Match every frame's colour statistics to the first frame's (see the module docstring).

    Attributes
    ----------
    confidence : float
        The last frame's top-candidate probability ``p*``.
    lost : bool
        Whether the last frame fell below ``lost_threshold`` (``update`` still returns ``ok = True`` with the
        predicted box, as the Siamese tracker does while coasting).
    """

    name = "cnn"

    def __init__(self, weights=None, backend="numba", seed=0, candidates=256, translation=0.3, scale=3.0, top=5,
                 lost_threshold=0.5, lost_search_size=191, update_interval=10, first_steps=50, update_steps=15,
                 short_frames=10, grid=3, hidden=64, memory=30, learning_rate=3e-3, regression=True, context=0.5,
                 max_coast=5, redetect_threshold=0.8, normalise=True):
        for name, value in (("candidates", candidates), ("top", top), ("update_interval", update_interval),
                            ("grid", grid), ("short_frames", short_frames), ("first_steps", first_steps),
                            ("hidden", hidden), ("memory", memory)):
            whole_number(value, name, "CNNTracker")
        whole_number(update_steps, "update_steps", "CNNTracker", minimum=0)
        whole_number(max_coast, "max_coast", "CNNTracker", minimum=0)
        if top > candidates:
            raise ValueError(f"CNNTracker: top ({top}) must not exceed candidates ({candidates})")
        if not is_crop_size(lost_search_size, minimum=SEARCH_SIZE):
            raise ValueError(f"CNNTracker: lost_search_size must be {SEARCH_SIZE} or more, 63 + a multiple of "
                             f"{TOTAL_STRIDE} (crop pixels: 191 by default), got {lost_search_size!r}")
        for name, value in (("lost_threshold", lost_threshold), ("redetect_threshold", redetect_threshold)):
            number_in(value, name, "CNNTracker", lambda v: 0 <= v <= 1, "in [0, 1] (a probability)")
        number_in(learning_rate, "learning_rate", "CNNTracker", lambda v: v > 0, "> 0")
        regression = flag(regression, "regression", "CNNTracker")
        normalise = flag(normalise, "normalise", "CNNTracker")
        _check_sampler("CNNTracker", candidates, translation, scale)
        self.extractor = SiameseTracker(weights, backend, motion=False, context=context)
        self.backend = self.extractor.backend
        self.seed = checked_seed(seed, "seed", "CNNTracker")  # a bad one failed at init, in NumPy's words
        self.candidates = int(candidates)
        self.translation = float(translation)
        self.scale = float(scale)
        self.top = int(top)
        self.lost_threshold = float(lost_threshold)
        self.lost_search_size = int(lost_search_size)
        self.update_interval = int(update_interval)
        self.first_steps = int(first_steps)
        self.update_steps = int(update_steps)
        self.short_frames = int(short_frames)
        self.grid = int(grid)
        self.hidden = int(hidden)
        self.memory = int(memory)
        self.learning_rate = float(learning_rate)
        self.regression = bool(regression)
        self.max_coast = int(max_coast)
        self.redetect_threshold = float(redetect_threshold)
        self.normalise = bool(normalise)
        self.confidence = 1.0
        self.lost = False

    # ------------------------------------------------------------------ features of frame boxes
    def _search_side(self, size, crop=SEARCH_SIZE):
        """Frame pixels of a ``crop``-pixel search crop for a target of ``size``: ``s_z · crop/63``."""
        return self.extractor._context_side(size) * crop / 63

    def _embed(self, image, center, sides, crop=SEARCH_SIZE):
        """φ(x) (K, H_f, W_f, C) of square crops of ``sides`` around ``center``, resized to ``crop`` pixels (22×22
        cells for 127, 38×38 for 191): ``SiameseTracker.search_features``, after matching the frame's colour
        statistics to the first frame's, ``I' = (I − μ)·σ₀/σ + μ₀`` per channel, when ``normalise``."""
        sides = np.asarray(sides, dtype=np.float64)
        boxes = np.stack([center[0] - sides / 2, center[1] - sides / 2, sides, sides], axis=1)
        if self.normalise:
            if self._reference is None:
                self._reference = colour_statistics(image)
            image = match_colour_statistics(image, self._reference)
        crops = preprocess(crop_and_resize(image, boxes, crop, fill=self._mean_colour))
        with use_backend(self.backend):
            return to_host(self.extractor.search_net.forward(crops))

    def _features(self, feature_maps, boxes, center, sides, map_index=None, crop=SEARCH_SIZE):
        """RoI features of frame boxes in the crops of ``sides`` around ``center`` (box ``n`` in crop
        ``map_index[n]``)."""
        boxes = as_boxes(boxes)
        index = np.zeros(len(boxes), dtype=np.int64) if map_index is None else np.asarray(map_index)
        crop_boxes = np.concatenate([frame_to_crop(boxes[index == k], center, side, crop)
                                     for k, side in enumerate(sides)])
        order = np.concatenate([np.flatnonzero(index == k) for k in range(len(sides))])
        features = np.empty((len(boxes), feature_maps.shape[-1] * self.grid**2), dtype=np.float32)
        features[order] = roi_features(feature_maps, crop_boxes, self.grid, map_index=index[order])
        return features

    def _examples(self, box, frame_shape, positives, negatives, spread, iou_negative):
        """Positive boxes (IoU ≥ 0.7 with ``box``) and negatives (IoU ≤ ``iou_negative``): half of the negatives
        close to the target (hard ones), half uniform over ``spread`` mean sides."""
        rng = self.rng
        box = keep_inside(box, frame_shape)[0]  # the samples are kept inside the frame, so is the box they are about
        pos = sample_boxes(rng, box, 4 * positives, 0.1, 3.0, frame_shape)
        pos = pick(pos, iou(pos, box) >= 0.7, positives)
        near = uniform_boxes(rng, box, 4 * negatives, 1.0, 5.0, frame_shape)
        far = uniform_boxes(rng, box, 2 * negatives, spread, 5.0, frame_shape)
        neg = np.concatenate([pick(near, iou(near, box) <= iou_negative, negatives // 2),
                              pick(far, iou(far, box) <= iou_negative, negatives - negatives // 2)])
        return pos, neg

    # ------------------------------------------------------------------ the tracker interface
    def _init(self, frame, box):
        self.rng = np.random.default_rng(self.seed)
        image = frame.astype(np.float32)
        self._mean_colour = image.reshape(-1, 3).mean(axis=0)
        self._reference = None
        self.center = centers(box)[0]
        self.size = box[2:].copy()
        self._first_size = self.size.copy()
        side = self._search_side(self.size)
        sides = side * np.array([1.0, 1.08])
        maps = self._embed(image, self.center, sides)
        # Examples in two crops of slightly different scales, so that they sample the map at different phases.
        positives, negatives, pos_index, neg_index = [], [], [], []
        for k, crop_side in enumerate(sides):
            reach = map_reach() * crop_side / box[2:].mean()
            pos, neg = self._examples(box, image.shape, 70, 300, reach, 0.5)
            positives.append(pos)
            negatives.append(neg)
            pos_index.append(np.full(len(pos), k))
            neg_index.append(np.full(len(neg), k))
        check_examples(self.name, box, image.shape, np.concatenate(positives), np.concatenate(negatives))
        pos_features = self._features(maps, np.concatenate(positives), self.center, sides, np.concatenate(pos_index))
        neg_features = self._features(maps, np.concatenate(negatives), self.center, sides, np.concatenate(neg_index))
        self.classifier = OnlineClassifier(self.hidden, self.learning_rate, memory=self.memory,
                                           seed=int(self.rng.integers(2**31)), backend=self.backend)
        self.classifier.fit_first_frame(pos_features, neg_features, steps=self.first_steps)
        if self.regression:
            inside = keep_inside(box, image.shape)[0]  # as the examples: the samples are kept inside the frame
            samples = sample_boxes(self.rng, inside, 1000, 0.3, 5.0, image.shape)
            samples = pick(samples, iou(samples, inside) >= 0.6, 400)
            self.regressor = BoxRegressor().fit(self._features(maps[:1], samples, self.center, sides[:1]), samples,
                                                inside)
        self.filter = KalmanBoxFilter(box)
        self.frame_index = 0
        self.frames_lost = 0
        self._scan_index = 0
        self.confidence = 1.0
        self.lost = False

    def _scan_center(self, side, frame_shape, crop=SEARCH_SIZE):
        """The next place of a raster scan over the frame, in steps of the area a crop of ``side`` covers."""
        height, width = frame_shape[:2]
        step = 2 * map_reach(crop) * side
        columns, rows = max(1, int(np.ceil(width / step))), max(1, int(np.ceil(height / step)))
        place = self._scan_index % (columns * rows)
        self._scan_index += 1
        return np.array([(place % columns + 0.5) * width / columns, (place // columns + 0.5) * height / rows])

    def _update(self, frame):
        self.frame_index += 1
        image = frame.astype(np.float32)
        center = centers(self.filter.predict())[0]
        crop = self.lost_search_size if self.lost else SEARCH_SIZE
        side = self._search_side(self.size, crop)
        # The candidates' spread grows with the area the feature map covers (in frame pixels, ∝ reach · crop).
        spread = self.translation * map_reach(crop) * crop / (map_reach() * SEARCH_SIZE)
        scanning = self.frames_lost >= self.max_coast and self.frames_lost % 2 == 0
        if scanning:  # re-detection: every other frame, look elsewhere
            center = self._scan_center(side, image.shape, crop)
        maps = self._embed(image, center, [side], crop)
        guess = from_center(center, self.size)[0]
        candidates = sample_boxes(self.rng, guess, self.candidates, spread, self.scale, image.shape)
        if self.lost:  # and candidates over the whole area the crop covers
            reach = map_reach(crop) * side / self.size.mean()
            candidates = np.concatenate([candidates, uniform_boxes(self.rng, guess, self.candidates, reach,
                                                                   self.scale, image.shape)])
        features = self._features(maps, candidates, center, [side], crop=crop)
        scores = self.classifier.scores(features)
        # The best candidate and the next best of those overlapping it (MDNet: the top five, which cluster when
        # the candidates are drawn close together).
        order = np.argsort(-scores, kind="stable")
        near = order[iou(candidates[order], candidates[order[0]]) > 0.3]
        best = near[:self.top]
        self.confidence = float(scores[best].mean())
        if self.confidence < (self.redetect_threshold if scanning else self.lost_threshold):
            if not self.lost:  # the short-term update, once per loss
                self.classifier.update(self.update_steps, frames=self.short_frames)
            self.lost = True
            self.frames_lost += 1
            if self.frames_lost == self.max_coast:  # stop coasting: wait where the target was last seen
                self.filter = KalmanBoxFilter(from_center(self.center, self.size)[0])
            return True, keep_inside(from_center(centers(self.filter.box), self.size), image.shape)[0]
        chosen = candidates[best]
        if self.regression:
            chosen = self.regressor.predict(features[best], chosen)
        box = chosen.mean(axis=0)
        size = np.clip(box[2:], np.maximum(0.2 * self._first_size, 4.0), 5 * self._first_size)
        box = keep_inside(from_center(centers(box), size), image.shape)[0]
        self.center, self.size = centers(box)[0], box[2:].copy()
        if self.lost:  # found again: start the motion model afresh here
            self.filter = KalmanBoxFilter(box)
        else:
            self.filter.update(box)
        self.lost = False
        self.frames_lost = 0
        reach = map_reach(crop) * side / box[2:].mean()
        pos, neg = self._examples(box, image.shape, 50, 200, reach, 0.3)
        self.classifier.remember(self._features(maps, pos, center, [side], crop=crop),
                                 self._features(maps, neg, center, [side], crop=crop))
        if self.frame_index % self.update_interval == 0:
            self.classifier.update(self.update_steps)
        return True, box
