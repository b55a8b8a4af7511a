"""The Siamese network of the tracker (after SiamFC, Bertinetto et al. 2016), built from minicnn's layers.

One embedding φ (five unpadded convolutions, BatchNorm and ReLU, total stride 4) maps an exemplar crop ``z``
(63×63) to a 6×6×C feature map and a search crop ``x`` (127×127) to 22×22×C. Their cross-correlation is the
document's convolution sum, with the exemplar's features as the kernel::

    r[i, j] = a · Σ_k Σ_l Σ_c φ(x)[i + k, j + l, c] · φ(z)[k, l, c] + b        (a 17×17 response map)

``a`` and ``b`` are two learned scalars (SiamFC's "adjust" layer). Training minimises the logistic loss of every
response cell against a label ``y = +1`` within ``POSITIVE_RADIUS`` cells of the target's centre and ``y = −1``
elsewhere, the two classes weighted equally::

    L = Σ_cells w_y · log(1 + e^{−y·r}),   w_{+1} = 1 / (2·#positives),  w_{−1} = 1 / (2·#negatives)
    ∂L/∂r = −y · w_y · σ(−y·r)

**BatchNorm and the two branches.** Exemplars and searches pass through the embedding in separate batches, so
BatchNorm normalises them with different batch statistics. A single set of moving averages would mix the two and be
wrong for both (a prototype's success fell from 0.67 to 0.2). Here each branch is its own ``Sequential`` whose layers
*share* the trainable weights (the same arrays) but keep *their own* moving averages; for tracking, each branch's
BatchNorm is folded into its convolutions (``fold_batchnorm``), which is also faster.
"""

import copy
import functools
import os
from pathlib import Path

import numpy as np

from minicnn import backend, checks, functional
from minicnn.backend import to_host, use_backend
from minicnn.errors import BackendError, WeightFileError
from minicnn.layers import BatchNormalization, Conv2D, MaxPooling2D, ReLU
from minicnn.model import Sequential, checked_weight_value
from minicnn.weight_files import read_npz as read_weight_arrays
from minicnn.weight_files import check_format, write_npz_atomically
from minicnn.track.boxes import crop_and_resize
from minicnn.track.trackers.base import Tracker, colour_statistics, match_colour_statistics
from minicnn.track.trackers.motion import KalmanBoxFilter

CHANNELS = (32, 48, 64, 96, 96)
"""Output channels of the five convolutions."""

TOTAL_STRIDE = 4
"""Crop pixels per response cell: the 5×5 stride-2 convolution and the stride-2 max-pool."""

POSITIVE_RADIUS = 2.0
"""Response cells within this distance of the target's centre are positives (8 crop pixels)."""

RESPONSE_SCALE = 1e-3
"""Initial ``a``: raw correlations of 6·6·96 products are in the hundreds."""

MIN_SIDE = 4.0
"""The smallest side of the tracker's box, in frame pixels."""

DETECT_MAX_PIXELS = 2**21
"""``detect`` skips a scale whose resized frame would hold more pixels than this (2²¹, about 1450 × 1450: some 400 MB
for the search branch's first layers); a tiny target in a large frame is then not searched for at all."""

WEIGHTS_FORMAT = "minicnn-siamese-1"


def embedding(channels=CHANNELS, seed=None, batchnorm=True, name="embedding"):
    """φ: conv 5×5/2 → BN → ReLU → max-pool 3×3/2 → (conv 3×3 → BN → ReLU) × 3 → conv 3×3, all unpadded.

    Output size for an input of side ``n``: ``((n − 5)//2 + 1 − 3)//2 + 1 − 8`` (63 → 6, 127 → 22).
    """
    if len(channels) != 5 or any(int(c) < 1 for c in channels):
        raise ValueError(f"channels: expected five positive channel counts, got {channels!r}")
    seeds = np.random.SeedSequence(seed).generate_state(5) if seed is not None else [None] * 5
    layers = [Conv2D(channels[0], 5, strides=2, seed=int(seeds[0]) if seed is not None else None)]
    layers += [BatchNormalization()] if batchnorm else []
    layers += [ReLU(), MaxPooling2D(3, strides=2)]
    for index in range(1, 5):
        layers.append(Conv2D(channels[index], 3, seed=int(seeds[index]) if seed is not None else None))
        if index < 4:
            layers += ([BatchNormalization()] if batchnorm else []) + [ReLU()]
    return Sequential(layers, name=name)


def preprocess(crops):
    """Crops in grey levels 0–255, (N, H, W, 3) → the network's input ``(crop − 128) / 64`` as float32."""
    return ((np.asarray(crops, dtype=np.float32) - 128.0) / 64.0).astype(np.float32)


def response_labels(offsets, size=17, radius=POSITIVE_RADIUS, stride=TOTAL_STRIDE):
    """Labels ``y`` (N, size, size) in {+1, −1}: +1 where a cell's centre lies within ``radius`` cells of the
    target's centre, given as ``offsets`` (N, 2) = ``(dx, dy)`` crop pixels from the search crop's centre."""
    offsets = np.asarray(offsets, dtype=np.float64).reshape(-1, 2)
    cells = np.arange(size) - (size - 1) / 2
    dx = cells[None, None, :] - offsets[:, 0, None, None] / stride
    dy = cells[None, :, None] - offsets[:, 1, None, None] / stride
    return np.where(np.hypot(dx, dy) <= radius, 1.0, -1.0)


def logistic_loss(response, labels):
    """Balanced logistic loss and its gradient (see the module docstring). response, labels: (N, H, W)."""
    response = np.asarray(response, dtype=np.float64)
    positive = labels > 0
    count_positive = np.maximum(positive.sum(axis=(1, 2), keepdims=True), 1)
    count_negative = np.maximum((~positive).sum(axis=(1, 2), keepdims=True), 1)
    weights = np.where(positive, 0.5 / count_positive, 0.5 / count_negative) / len(response)
    margin = -labels * response
    loss = float(np.sum(weights * np.logaddexp(0.0, margin)))
    grad = -labels * weights * functional.sigmoid(margin)
    return loss, grad


class SiameseNetwork:
    """Two branches of one embedding (shared weights, per-branch BatchNorm statistics) and the scaled
    cross-correlation.

    Parameters
    ----------
    channels : five ints, default ``CHANNELS``
    seed : int, optional
        Initial weights.
    """

    def __init__(self, channels=CHANNELS, seed=None):
        self.channels = tuple(int(c) for c in channels)
        self.exemplar_branch = embedding(self.channels, seed, name="exemplar_branch")
        self.search_branch = embedding(self.channels, seed, name="search_branch")
        self.exemplar_branch.build((None, 63, 63, 3))
        self.search_branch.build((None, 127, 127, 3))
        for exemplar_layer, search_layer in zip(self.exemplar_branch.layers, self.search_branch.layers):
            search_layer.params = exemplar_layer.params  # the same arrays: one set of trainable weights
        self.adjust = {"scale": np.array([RESPONSE_SCALE], dtype=np.float32),
                       "bias": np.zeros(1, dtype=np.float32)}
        self.adjust_grads = {key: np.zeros_like(value) for key, value in self.adjust.items()}

    # ------------------------------------------------------------------ forward and backward
    def forward(self, exemplars, searches, training=False):
        """Responses (N, 17, 17) for preprocessed exemplar crops (N, 63, 63, 3) and search crops (N, 127, 127, 3).

        Runs on the host backends only: the cross-correlation of each pair and the backward pass work on host
        arrays. The trained weights track on any backend (``SiameseTracker(weights, backend="cuda")``).
        """
        if getattr(backend.kernels(), "USES_DEVICE_MEMORY", False):
            raise BackendError(f"{type(self).__name__} trains on the host backends ('numba', 'numpy'), not on "
                               f"{backend.get_backend()!r}: the cross-correlation of each pair and the backward "
                               f"pass work on host arrays. Train under use_backend('numba') (or "
                               f"MINICNN_BACKEND=numba); the trained weights then track on any backend, "
                               f"SiameseTracker(weights, backend={backend.get_backend()!r}) included")
        self._z = self.exemplar_branch.forward(exemplars, training=training)
        self._x = self.search_branch.forward(searches, training=training)
        raw = np.concatenate([functional.conv2d(self._x[n : n + 1], self._z[n][..., None])
                              for n in range(len(self._z))])[..., 0]
        self._raw = raw
        return self.adjust["scale"][0] * raw + self.adjust["bias"][0]

    def backward(self, grad_response):
        """Fill the gradients of every weight (summed over the two branches) from ∂L/∂r (N, 17, 17)."""
        grad_response = np.asarray(grad_response, dtype=np.float32)
        self.adjust_grads["scale"] = np.array([np.sum(grad_response * self._raw)], dtype=np.float32)
        self.adjust_grads["bias"] = np.array([np.sum(grad_response)], dtype=np.float32)
        grad_raw = (self.adjust["scale"][0] * grad_response)[..., None]
        grad_x = np.empty_like(self._x)
        grad_z = np.empty_like(self._z)
        for n in range(len(self._z)):
            gx, gk, _ = functional.conv2d_backward(grad_raw[n : n + 1], self._x[n : n + 1], self._z[n][..., None])
            grad_x[n] = gx[0]
            grad_z[n] = gk[..., 0]
        self.search_branch.backward(grad_x, input_gradient=False)
        self.exemplar_branch.backward(grad_z, input_gradient=False)

    def trainable_pairs(self):
        """``(weight, ∂L/∂weight)`` with each shared weight once and its gradient summed over both branches."""
        pairs = []
        for exemplar_layer, search_layer in zip(self.exemplar_branch.layers, self.search_branch.layers):
            for key, param in exemplar_layer.params.items():
                pairs.append((param, exemplar_layer.grads[key] + search_layer.grads[key]))
        pairs += [(self.adjust[key], self.adjust_grads[key]) for key in ("scale", "bias")]
        return pairs

    # ------------------------------------------------------------------ weights
    def _weight_slots(self):
        """``(name, layer, key, array)`` for every array of ``weights()``; no layer for the adjust scalars."""
        slots = []
        for index, layer in enumerate(self.exemplar_branch.layers):
            slots += [(f"shared/{index:02d}.{key}", layer, key, value) for key, value in layer.params.items()]
        for branch in (self.exemplar_branch, self.search_branch):
            for index, layer in enumerate(branch.layers):
                slots += [(f"{branch.name}/{index:02d}.{key}", layer, key, value) for key, value in layer.state.items()]
        return slots + [(f"adjust/{key}", None, key, value) for key, value in self.adjust.items()]

    def weights(self):
        """Every array by name: shared weights, each branch's BatchNorm statistics, the adjust scalars."""
        return {name: value for name, _, _, value in self._weight_slots()}

    def set_weights(self, arrays, source="weights"):
        """Set every array from a dict shaped like ``weights()``; names, shapes and values (finite numbers that
        the layer can take: no negative variance) are checked first."""
        expected = self.weights()
        missing = sorted(set(expected) - set(arrays))
        extra = sorted(set(arrays) - set(expected) - {"__format__", "__channels__"})
        if missing or extra:
            raise WeightFileError(f"{source}: does not match a Siamese network with channels {self.channels} "
                                  f"(missing {missing[:4]}{'…' if len(missing) > 4 else ''}, "
                                  f"unexpected {extra[:4]}{'…' if len(extra) > 4 else ''})")
        for key, value in expected.items():
            if np.shape(arrays[key]) != value.shape:
                raise WeightFileError(f"{source}: {key} has shape {np.shape(arrays[key])}, expected {value.shape}")
        for name, layer, key, value in self._weight_slots():
            checked_weight_value(np.asarray(arrays[name]), value.dtype, name, source, layer, key,
                                 not_numbers=WeightFileError)
        for key, value in expected.items():
            value[...] = arrays[key]  # in place: the branches share these arrays

    def save(self, path, extra=None):
        """Write the weights (and ``extra`` arrays, e.g. optimizer state) to ``.npz`` atomically."""
        arrays = dict(self.weights())
        arrays["__format__"] = np.array(WEIGHTS_FORMAT)
        arrays["__channels__"] = np.array(self.channels)
        arrays.update(extra or {})
        write_npz_atomically(path, arrays, "SiameseNetwork.save")

    @classmethod
    def load(cls, path):
        """A network with the weights of a file written by ``save``; returns ``(network, other arrays)``."""
        arrays = read_npz(path)
        check_format(arrays, WEIGHTS_FORMAT, path, "SiameseNetwork.load")
        channels = arrays.get("__channels__")
        if channels is None or np.shape(channels) != (5,) or channels.dtype.kind not in "iu" or np.any(channels < 1):
            raise WeightFileError(f"SiameseNetwork.load: {os.fspath(path)!r} is a damaged minicnn-siamese file: its "
                                  f"__channels__ (five positive channel counts) is "
                                  f"{'missing' if channels is None else checks.short_repr(channels)}")
        network = cls(channels=tuple(int(c) for c in channels))
        own = {key: value for key, value in arrays.items()
               if key in network.weights() or key in ("__format__", "__channels__")}
        network.set_weights(own, source=repr(os.fspath(path)))
        others = {key: value for key, value in arrays.items() if key not in own}
        return network, others

    def inference_branches(self):
        """The exemplar and search embeddings for tracking: BatchNorm folded into the convolutions, per branch."""
        return fold_batchnorm(self.exemplar_branch), fold_batchnorm(self.search_branch)


def fold_batchnorm(model):
    """A copy of ``model`` without BatchNormalization layers, giving the same outputs in inference.

    A convolution ``z = w * x + b`` followed by BatchNorm in inference,
    ``y = γ (z − μ) / √(σ² + ε) + β``, is one convolution with ``w' = w · γ/√(σ² + ε)`` (per output channel) and
    ``b' = (b − μ) · γ/√(σ² + ε) + β``.
    """
    layers = []
    for layer in model.layers:
        if isinstance(layer, BatchNormalization):
            previous = layers[-1]
            if not isinstance(previous, Conv2D) or previous.activation is not None:
                raise ValueError(f"fold_batchnorm: {layer.describe()} does not follow a convolution without "
                                 f"activation")
            factor = layer.params["gamma"] / np.sqrt(layer.state["moving_variance"] + layer.epsilon)
            bias = previous.params.get("bias", np.zeros_like(factor))
            previous.params["kernel"] = (previous.params["kernel"] * factor).astype(previous.dtype)
            previous.params["bias"] = ((bias - layer.state["moving_mean"]) * factor
                                       + layer.params["beta"]).astype(previous.dtype)
            continue
        twin = copy.deepcopy(layer)
        if isinstance(twin, Conv2D) and "bias" not in twin.params:
            twin.params["bias"] = np.zeros(twin.filters, dtype=twin.dtype)
        layers.append(twin)
    return Sequential(layers, name=f"{model.name}_folded")


def read_npz(path):
    """Every array of a weight file (``minicnn.model.read_npz``: nothing is unpickled; a clear error for a file that
    is not one)."""
    return read_weight_arrays(path, "SiameseNetwork.load")


# ------------------------------------------------------------------------------------------------ the tracker

WEIGHTS_PATH = Path(__file__).with_name("weights") / "siamese.npz"
"""The weights trained by ``minicnn train siamese`` that ship inside the package."""


def load_inference_network(path=WEIGHTS_PATH):
    """``(exemplar embedding, search embedding, (a, b))`` from a weight file, BatchNorm folded per branch; cached,
    so every tracker of a process shares one copy (the tracker never changes it). The cache knows the file by its
    path, size and time of change: a network trained again into the same file is read again (it was kept)."""
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except OSError:  # SiameseNetwork.load names a missing file, with what to do
        return _load_inference_network(path, None)
    return _load_inference_network(path, (stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _load_inference_network(path, version):
    """``load_inference_network`` of the file ``path`` as it is at ``version`` (its size and time of change)."""
    network, _ = SiameseNetwork.load(path)
    exemplar, search = network.inference_branches()
    return exemplar, search, (float(network.adjust["scale"][0]), float(network.adjust["bias"][0]))


def _upsample_taps(size, factor):
    """Linear upsampling of ``size`` cells by ``factor``, keeping cell centres aligned: upsampled pixel ``u`` sits
    at cell coordinate ``p = (u + ½)/factor − ½`` (clamped to the cells) and takes ``1 − t`` of cell ``⌊p⌋`` and
    ``t = p − ⌊p⌋`` of the next. Returns ``(low, t)``, each ``(size·factor,)``."""
    positions = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
    low = np.minimum(np.floor(positions).astype(np.int64), size - 2)
    return low, (positions - low).astype(np.float32)


def upsample(response, taps):
    """A 2-D response upsampled with ``taps = _upsample_taps(...)``, rows then columns (elementwise, no BLAS)."""
    low, t = taps
    rows = (1 - t)[:, None] * response[low] + t[:, None] * response[low + 1]
    return (1 - t)[None, :] * rows[:, low] + t[None, :] * rows[:, low + 1]


def is_crop_size(value, minimum=63):
    """Whether ``value`` is a search crop's side that the network's cells tile: an int of at least ``minimum``,
    ``63 + k·TOTAL_STRIDE`` (the exemplar's 63 pixels, then whole steps of the total stride)."""
    return (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum
            and (value - 63) % TOTAL_STRIDE == 0)


class SiameseTracker(Tracker):
    """SiamFC's tracker on minicnn's network: correlate the first frame's exemplar with search regions at three
    scales, take the peak of the response (with a cosine window against big jumps), update position and scale.

    Per frame, around the predicted centre, at scales ``q ∈ {1/step, 1, step}``:

    1. crop the search region (side ``q·s_x``, ``s_x = s_z · 127/63``, ``s_z`` the context side of the box) to
       127×127 and embed it: ``φ(x_q)`` (22×22×C);
    2. respond: ``r_q = a · (φ(x_q) ⋆ φ(z)) + b``, the convolution sum with the exemplar's features as kernel,
       through ``minicnn.functional.conv2d``; ``σ(r)`` is the network's probability that the target is there;
    3. pick the scale with the highest peak (the other scales' peaks multiplied by ``scale_penalty``), upsample its
       response ``response_up`` times, normalise it to sum 1 and blend in a Hann window:
       ``r' = (1 − λ)·r + λ·w``, ``λ = window_influence``;
    4. move by the peak's offset from the centre (response cells × 4 crop pixels × ``q·s_x/127`` frame pixels),
       and scale the box by ``(1 − β) + β·q``, ``β = scale_lr``.

    With ``motion=True`` a constant-velocity Kalman filter (``KalmanBoxFilter``) predicts where to search, and when
    the peak probability falls below ``lost_threshold`` or the new position is implausible for the filter, the
    tracker coasts on the prediction instead of jumping (occlusion, a look-alike). After ``redetect_after`` such
    frames it looks for the target over the whole frame (``detect``) and jumps to a detection whose probability
    reaches ``redetect_threshold`` (a target that left the view and came back).

    With ``normalise=True`` every frame is first matched to the first frame's colour statistics, per channel,
    ``I' = (I − μ)·σ₀/σ + μ₀`` (``match_colour_statistics``, then clipped to 0–255): the embedding is not invariant
    to brightness, and a global change of light would otherwise lower every response. On the default suites of
    seeds 0, 1 and 2 it raised the Siamese tracker's success AUC from 0.571, 0.580, 0.545 to 0.573, 0.619, 0.554
    (the illumination-change sequences: 0.26 → 0.60 on seed 1).

    Parameters
    ----------
    weights : path, optional
        A file written by ``minicnn train siamese``; default: the weights shipped with minicnn.
    backend : {"numba", "numpy", "cuda"}, default "numba"
        Where the network runs.
    motion : bool, default True
        Use the Kalman motion model (``siamese-nomotion`` is the tracker without it). The parameters from
        ``lost_threshold`` to ``velocity_weight``, and ``lost_search_size``, act only with it.
    scale_step : float, default 1.0375
        The ratio between neighbouring search scales, ``q ∈ {1/step, 1, step}``; > 1 (a step below 1 gives the same
        scales in reverse order, and 1 three copies of one crop: to keep the box's size, set ``scale_lr`` to 0).
    scale_penalty : float, default 0.9745
        The peak probabilities of the scales other than 1 are multiplied by it before the best scale is picked,
        against needless changes of size; in (0, 1], 1 for no penalty.
    scale_lr : float, default 0.59
        ``β``: how far the box's size follows the best scale, ``(1 − β) + β·q``; in [0, 1], 0 keeps the first
        frame's size.
    window_influence : float, default 0.3
        ``λ``, the Hann window's weight in the blended response (step 3, against big jumps); in [0, 1], 0 for no
        window, 1 for the window alone (the response is then ignored).
    response_up : int, default 16
        How many times the response is upsampled before its peak is taken (the peak's position to 4/``response_up``
        crop pixels); an int ≥ 1, 1 for no upsampling.
    lost_threshold : float, default 0.25
        A frame whose peak probability ``σ(r)`` is below it counts as lost: the tracker coasts on the motion model's
        prediction; a probability in [0, 1] (0: never lost).
    trust_threshold : float, default 0.6
        Below this peak probability a position the motion model finds implausible counts as lost as well; a
        probability in [0, 1].
    redetect_after : int, default 3
        The lost frames in a row (the current one included) after which the whole frame is searched (``detect``);
        an int ≥ 1, 1 for the first lost frame.
    redetect_threshold : float, default 0.8
        The probability a detection needs for the tracker to jump to it; a probability in [0, 1].
    velocity_weight : float, default 0.0
        How far the search centre moves from the last position towards the motion model's prediction while the
        target is tracked, in [0, 1] (0: the last position, 1: the prediction). While lost it follows the prediction
        from the second lost frame on: the first was searched, and is reported, where a tracked target would be.
    search_size : int, default 127
        The search crop's side in crop pixels: 63 + a multiple of 4 (the total stride), so that the response's cells
        are centred on the crop; 127 as trained, larger for a wider search at the same scale (the response then has
        ``(search_size − 63)/4 + 1`` cells a side).
    lost_search_size : int, default 191
        The search crop's side after a lost frame, under the same rule as ``search_size``.
    context : float, default 0.5
        The context margin of the crops: a box ``w × h`` is cropped with side ``s_z = √((w + p)(h + p))``,
        ``p = context·(w + h)``; a number ≥ 0 (below 0 a narrow box's crop would have no side).
    normalise : bool, default True
        Match each frame's colour statistics to the first frame's (see above).
    """

    name = "siamese"

    def __init__(self, weights=None, backend="numba", motion=True, scale_step=1.0375, scale_penalty=0.9745,
                 scale_lr=0.59, window_influence=0.3, response_up=16, lost_threshold=0.25, trust_threshold=0.6,
                 redetect_after=3, redetect_threshold=0.8, velocity_weight=0.0, search_size=127, lost_search_size=191,
                 context=0.5, normalise=True):
        from minicnn import backend as backends
        from minicnn.checks import flag, number_in, whole_number

        where = type(self).__name__
        if not isinstance(backend, str) or backend.lower() not in backends.known_backends():
            raise ValueError(f"{where}: backend must be one of {backends.known_backends()}, got {backend!r}")
        backend = backend.lower()  # as set_backend takes it
        for argument, value in (("search_size", search_size), ("lost_search_size", lost_search_size)):
            if not is_crop_size(value):
                raise ValueError(f"{where}: {argument} must be 63 + a multiple of {TOTAL_STRIDE} (127 as trained, "
                                 f"159 or 191 for a wider search), got {value!r}")
        whole_number(response_up, "response_up", where)
        whole_number(redetect_after, "redetect_after", where)
        for argument, value, allowed, expected in (
                ("scale_step", scale_step, lambda v: v > 1, "> 1 (the ratio between neighbouring search scales)"),
                ("scale_penalty", scale_penalty, lambda v: 0 < v <= 1, "in (0, 1]"),
                ("scale_lr", scale_lr, lambda v: 0 <= v <= 1, "in [0, 1]"),
                ("window_influence", window_influence, lambda v: 0 <= v <= 1, "in [0, 1]"),
                ("lost_threshold", lost_threshold, lambda v: 0 <= v <= 1, "in [0, 1] (a probability)"),
                ("trust_threshold", trust_threshold, lambda v: 0 <= v <= 1, "in [0, 1] (a probability)"),
                ("redetect_threshold", redetect_threshold, lambda v: 0 <= v <= 1, "in [0, 1] (a probability)"),
                ("velocity_weight", velocity_weight, lambda v: 0 <= v <= 1, "in [0, 1]"),
                ("context", context, lambda v: v >= 0, "≥ 0 (a margin of context around the box)")):
            number_in(value, argument, where, allowed, expected)
        self.backend = backend
        self.weights = WEIGHTS_PATH if weights is None else Path(weights)
        if not self.weights.exists():
            raise FileNotFoundError(f"{type(self).__name__}: weight file {os.fspath(self.weights)!r} does not exist; "
                                    f"train one with `minicnn train siamese` or leave weights unset for the "
                                    f"shipped one")
        self.exemplar_net, self.search_net, (self.response_scale, self.response_bias) = \
            load_inference_network(self.weights)
        self.motion = flag(motion, "motion", where)
        self.scales = float(scale_step) ** np.array([-1.0, 0.0, 1.0])
        self.scale_penalty = float(scale_penalty)
        self.scale_lr = float(scale_lr)
        self.window_influence = float(window_influence)
        self.lost_threshold = float(lost_threshold)
        self.trust_threshold = float(trust_threshold)
        self.velocity_weight = float(velocity_weight)
        self.search_size = int(search_size)
        self.redetect_after = int(redetect_after)
        self.redetect_threshold = float(redetect_threshold)
        self.context = float(context)
        self.lost_search_size = int(lost_search_size)
        self.response_up = int(response_up)
        self.normalise = flag(normalise, "normalise", where)
        self._windows = {}
        self.confidence = 1.0

    # ------------------------------------------------------------------ crops and features
    def _context_side(self, size):
        pad = self.context * (size[0] + size[1])
        return float(np.sqrt((size[0] + pad) * (size[1] + pad)))

    def _crops(self, frame, center, sides, out_size):
        boxes = np.stack([center[0] - sides / 2, center[1] - sides / 2, sides, sides], axis=1)
        return crop_and_resize(frame, boxes, out_size, fill=self._mean_colour)

    def exemplar_features(self, frame, box):
        """φ(z) (6, 6, C) of the exemplar crop around ``box`` (frame: float32 (H, W, 3))."""
        center = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
        crop = self._crops(frame, center, np.array([self._context_side(box[2:])]), 63)
        with use_backend(self.backend):
            return to_host(self.exemplar_net.forward(preprocess(crop)))[0]

    def search_features(self, frame, center, sides):
        """φ(x) (K, 22, 22, C) of search crops of the given sides around ``center``."""
        with use_backend(self.backend):
            return to_host(self.search_net.forward(preprocess(self._crops(frame, center, np.asarray(sides),
                                                                          self.current_search_size))))

    def responses(self, search_features, exemplar_features=None):
        """``r = a·(φ(x) ⋆ φ(z)) + b`` (K, 17, 17), logits of 'the target is here'."""
        kernel = (self._kernel if exemplar_features is None else exemplar_features)[..., None]
        with use_backend(self.backend):
            raw = functional.conv2d(search_features, kernel)[..., 0]
        return self.response_scale * raw + self.response_bias

    # ------------------------------------------------------------------ the tracker interface
    def _init(self, frame, box):
        frame = frame.astype(np.float32)
        self._reference = colour_statistics(frame) if self.normalise else None
        self._mean_colour = frame.reshape(-1, 3).mean(axis=0)
        self.center = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
        # at least MIN_SIDE pixels, as every update keeps it: a 0.5-pixel box made detect() resize the frame 63 times
        self.size = np.maximum(np.array(box[2:], dtype=np.float64), MIN_SIDE)
        self._first_size = self.size.copy()
        self._kernel = self.exemplar_features(frame, box)
        self.filter = KalmanBoxFilter(box) if self.motion else None
        self.confidence = 1.0
        self.frames_lost = 0
        self.current_search_size = self.search_size

    def _prepare(self, frame):
        """A frame as float32 grey levels, matched to the first frame's colour statistics when ``normalise``."""
        if self._reference is None:
            return frame.astype(np.float32)
        matched = match_colour_statistics(frame, self._reference)
        return np.clip(matched, 0, 255, out=matched)

    def _update(self, frame):
        frame = self._prepare(frame)
        center = self.center
        if self.filter is not None:
            predicted = self.filter.predict()
            predicted_center = predicted[:2] + predicted[2:] / 2
            weight = self.velocity_weight if self.frames_lost == 0 else 1.0  # coasting follows the filter
            center = center + weight * (predicted_center - center)
        self.current_search_size = self.search_size if self.frames_lost == 0 else self.lost_search_size
        sides = self._context_side(self.size) * self.current_search_size / 63 * self.scales
        features = self.search_features(frame, center, sides)
        responses = self.responses(features)
        probabilities = functional.sigmoid(responses.reshape(len(sides), -1).max(axis=1))
        best = int(np.argmax(np.where(self.scales == 1.0, probabilities, probabilities * self.scale_penalty)))
        self.confidence = float(probabilities[best])
        cells = self._choose_peak(responses[best], features[best], center, sides[best])
        new_center = center + cells * TOTAL_STRIDE * sides[best] / self.current_search_size
        factor = (1 - self.scale_lr) + self.scale_lr * self.scales[best]
        new_size = np.clip(self.size * factor, 0.2 * self._first_size, 5 * self._first_size)
        new_size = np.maximum(new_size, MIN_SIDE)
        height, width = frame.shape[:2]
        new_center = np.clip(new_center, 0, [width, height])
        box = np.concatenate([new_center - new_size / 2, new_size])
        lost = self.confidence < self.lost_threshold
        implausible = self.confidence < self.trust_threshold and not self.filter.is_plausible(box) \
            if self.filter is not None else False
        if self.filter is not None and (lost or implausible):
            self.frames_lost += 1
            found = self._redetect(frame) if self.frames_lost >= self.redetect_after else None
            if found is None:  # coast: the prediction's position, the old size
                self.center = center
                return True, np.concatenate([center - self.size / 2, self.size])
            box = found
            new_center, new_size = box[:2] + box[2:] / 2, box[2:]
            self.filter = KalmanBoxFilter(box)
        elif self.filter is not None:
            self.filter.update(box)
        self.frames_lost = 0
        self.center, self.size = new_center, new_size
        return True, box

    def _window(self, size):
        """The upsampling taps and the normalised Hann window of a ``size × size`` response (cached per size)."""
        if size not in self._windows:
            hann = np.hanning(size * self.response_up)
            window = np.outer(hann, hann)
            self._windows[size] = (_upsample_taps(size, self.response_up), (window / window.sum()).astype(np.float32))
        return self._windows[size]

    def window_blend(self, response):
        """The response upsampled ``response_up`` times, shifted to 0, normalised to sum 1 and blended with the Hann
        window: ``r' = (1 − λ)·r + λ·w``."""
        taps, window = self._window(len(response))
        upsampled = upsample(response.astype(np.float32), taps)
        upsampled -= upsampled.min()
        upsampled /= max(float(upsampled.sum()), 1e-12)
        return (1 - self.window_influence) * upsampled + self.window_influence * window

    def upsampled_to_cells(self, row, col, size=17):
        """Offset ``(dx, dy)`` in response cells from the centre, of upsampled pixel ``(row, col)`` of a ``size``-cell
        response."""
        return (np.array([col, row]) + 0.5) / self.response_up - 0.5 - (size - 1) / 2

    def _choose_peak(self, response, features, center, side):
        """Where the target is, as an offset ``(dx, dy)`` in response cells from the search crop's centre: the
        maximum of the window-blended response. (The hybrid tracker asks its classifier here.)"""
        blended = self.window_blend(response)
        return self.upsampled_to_cells(*np.unravel_index(int(np.argmax(blended)), blended.shape), len(response))

    def _redetect(self, frame):
        """After ``redetect_after`` lost frames: the best detection over the whole frame above
        ``redetect_threshold``, or None."""
        boxes, scores = detect(frame.astype(np.uint8), self, max_boxes=1, min_score=self.redetect_threshold)
        return boxes[0] if len(boxes) else None


def response_cell_centres(count, stride=TOTAL_STRIDE, input_size=127):
    """Input-pixel coordinate (continuous: pixel ``k`` spans ``[k, k + 1)``) that response cell ``i`` is centred
    on: ``c_i = stride·(i − (count − 1)/2) + input_size/2`` for a search input of ``input_size`` pixels whose
    response has ``count`` cells (for a 127-pixel crop, cell 8 of 17 sits on the crop's centre, 63.5)."""
    return stride * (np.arange(count) - (count - 1) / 2) + input_size / 2


def detect(frame, tracker, max_boxes=5, min_score=0.5, nms_iou=0.3, scales=(1 / 1.1, 1.0, 1.1)):
    """Find the tracker's target anywhere in ``frame``: the document's *target detection* step.

    The search branch is fully convolutional, so it embeds the whole frame at once. The frame is resized by
    ``f = 63 / s_z`` (``s_z`` the context side of the tracker's current box, times each of ``scales``), so that the
    target would appear at the exemplar's scale; the response ``r = a·(φ(frame) ⋆ φ(z)) + b`` is then one logit per
    4×4-pixel window of the resized frame. Windows whose probability ``σ(r)`` is a local maximum above
    ``min_score`` become boxes of the tracker's size (divided by the scale), and non-maximum suppression keeps the
    best ``max_boxes``. A scale is skipped where the resized frame would be smaller than the exemplar's 63-pixel crop
    (a target about as large as the frame) or larger than ``DETECT_MAX_PIXELS`` (a tiny target in a large frame).

    Parameters
    ----------
    frame : ndarray, (H, W, 3) uint8 RGB (or grey)
    tracker : SiameseTracker
        An initialised tracker: its exemplar features and box size say what to look for.

    Returns
    -------
    boxes : ndarray, (K, 4) ``(x, y, w, h)`` frame pixels, best first
    scores : ndarray, (K,) probabilities ``σ(r)``
    """
    from scipy.ndimage import maximum_filter

    from minicnn.track.boxes import non_max_suppression, resize
    from minicnn.track.trackers.base import as_rgb_frame

    if getattr(tracker, "_kernel", None) is None:
        raise ValueError("tracker: expected an initialised SiameseTracker (call tracker.init(frame, box) first)")
    frame = as_rgb_frame(frame).astype(np.float32)
    height, width = frame.shape[:2]
    all_boxes, all_scores = [], []
    for scale in scales:
        factor = 63 / tracker._context_side(tracker.size) * scale
        size = (int(round(height * factor)), int(round(width * factor)))
        if min(size) < 63 or size[0] * size[1] > DETECT_MAX_PIXELS:
            continue  # a frame smaller than the exemplar's crop has no 6×6 window to match; a huge one, no memory
        resized = resize(frame, size)
        with use_backend(tracker.backend):
            features = to_host(tracker.search_net.forward(preprocess(resized[None])))
        logits = tracker.responses(features)[0]
        probability = functional.sigmoid(logits)
        peaks = (probability == maximum_filter(probability, size=3)) & (probability >= min_score)
        rows, cols = np.nonzero(peaks)
        ys = response_cell_centres(logits.shape[0], input_size=size[0])[rows] / (size[0] / height)
        xs = response_cell_centres(logits.shape[1], input_size=size[1])[cols] / (size[1] / width)
        box_size = tracker.size / scale
        all_boxes.append(np.stack([xs - box_size[0] / 2, ys - box_size[1] / 2, np.full_like(xs, box_size[0]),
                                   np.full_like(ys, box_size[1])], axis=1))
        all_scores.append(probability[rows, cols])
    if not all_boxes or not sum(len(s) for s in all_scores):
        return np.zeros((0, 4)), np.zeros(0)
    boxes, scores = np.concatenate(all_boxes), np.concatenate(all_scores)
    keep = non_max_suppression(boxes, scores, nms_iou, max_boxes)
    return boxes[keep], scores[keep]
