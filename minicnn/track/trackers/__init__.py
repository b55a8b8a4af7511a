"""Trackers by name: ``make_tracker("csrt")`` builds a fresh tracker with the ``init`` / ``update`` interface.

minicnn's own trackers (every weight trained by minicnn, see ``minicnn train siamese``) and OpenCV's classic ones
(the ``track`` extra) answer to the same interface and are evaluated side by side by ``minicnn eval``.
"""

import hashlib
import os

from minicnn.backend import known_backends, use_backend
from minicnn.errors import BackendError
from minicnn.track.trackers.opencv import OPENCV_TRACKERS, OpenCVTracker

OUR_TRACKERS = {
    "siamese": "minicnn's SiamFC-like tracker: three scales, Kalman motion model, re-detection after a loss",
    "siamese-nomotion": "the same without the motion model (search around the last position, no coasting)",
    "cnn": "minicnn's MDNet-like tracker: candidates scored by an online classifier on the Siamese features",
    "hybrid": "the Siamese tracker, asking the online classifier when its response has several peaks",
}


def available_trackers():
    """Names that ``make_tracker`` and ``minicnn eval --trackers`` accept, with one line about each."""
    return {**OUR_TRACKERS, **OPENCV_TRACKERS}


def make_tracker(name, backend="numba", weights=None):
    """A new tracker object for ``name`` (see ``available_trackers()``); ``backend`` is where minicnn's own
    trackers run their network, ``weights`` a file of ``minicnn train siamese`` for them (default: the shipped one).
    OpenCV's trackers have neither: they refuse ``weights``."""
    key = str(name).lower()
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"weights: expected the path of a .npz file of minicnn train siamese, got {weights!r}")
    if key in OUR_TRACKERS:
        with use_backend(backend):  # an unknown backend, or cuda without a GPU, is refused now rather than at init
            pass
    elif str(backend).lower() not in known_backends():
        raise BackendError(f"backend: unknown backend {backend!r}; known backends: {', '.join(known_backends())}")
    if weights is not None and key in OPENCV_TRACKERS:
        raise ValueError(f"tracker {name!r}: OpenCV's trackers have no weights; weights= is for "
                         f"{', '.join(OUR_TRACKERS)}")
    if key in ("siamese", "siamese-nomotion"):
        from minicnn.track.trackers.siamese import SiameseTracker

        tracker = SiameseTracker(weights, backend=backend, motion=key == "siamese")
        tracker.name = key
        return tracker
    if key == "cnn":
        from minicnn.track.trackers.cnn import CNNTracker

        return CNNTracker(weights, backend=backend)
    if key == "hybrid":
        from minicnn.track.trackers.hybrid import HybridTracker

        return HybridTracker(weights, backend=backend)
    if key in OPENCV_TRACKERS:
        return OpenCVTracker(key)
    raise ValueError(f"tracker: unknown name {name!r}; available: {', '.join(sorted(available_trackers()))}")


def weights_digest(path):
    """The first 16 hexadecimal digits of the SHA-256 of the weight file ``path``: which network it is."""
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:16]


def weights_suffix(path):
    """What a default results folder's name gets for the weight file ``path``: ``-weights-`` and the first 8 digits
    of its SHA-256, so that runs with other networks are kept beside the shipped network's; "" for None (that one)."""
    return "" if path is None else f"-weights-{weights_digest(path)[:8]}"


def backend_suffix(backend):
    """What a default results folder's name gets for our trackers run on ``backend``: ``-`` and its name, so that
    runs on a GPU are kept beside those on numba (the default: "", as for None)."""
    name = "numba" if backend is None else str(backend).lower()
    return "" if name == "numba" else f"-{name}"


class OurTracker:
    """A factory of one of our trackers with the network of a weights file (None: the shipped one) run on a backend,
    for ``evaluate`` (picklable, for its processes): ``OurTracker("siamese", "my_siamese/siamese.npz",
    backend="cuda")()`` is ``make_tracker("siamese", weights=..., backend="cuda")``.

    ``made_by`` names the tracker, the SHA-256 of the weights file where one is given and the backend where it is
    not numba; ``evaluate`` keeps it with the results, so that results made with other weights (the shipped ones, or
    an earlier training) or on another backend (other frames per second) are not reused for these. The file is read,
    and the tracker built once, now: a file that is not a network of ``minicnn train siamese``, an OpenCV tracker
    (which has no weights) or a backend this machine cannot run is refused before any work. ``build=False`` leaves
    that out, for scoring saved runs made where the backend could run (cuda, on a machine with a GPU)."""

    def __init__(self, name, weights=None, backend="numba", build=True):
        self.name = str(name).lower()
        self.backend = str(backend).lower()
        if build:
            make_tracker(self.name, weights=weights, backend=self.backend)
        self.weights = None if weights is None else os.fspath(weights)
        self.made_by = f"minicnn.track.trackers:{self.name}"
        if self.weights is not None:
            self.made_by += f" with weights sha256:{weights_digest(self.weights)}"
        if self.backend != "numba":
            self.made_by += f" on the {self.backend} backend"

    def __call__(self):
        return make_tracker(self.name, weights=self.weights, backend=self.backend)


__all__ = ["available_trackers", "make_tracker", "OurTracker", "weights_digest", "weights_suffix", "backend_suffix",
           "OPENCV_TRACKERS", "OUR_TRACKERS"]
