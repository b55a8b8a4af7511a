"""Visual object tracking on top of minicnn: boxes, sequences (OTB / GOT-10k), metrics, evaluation, trackers.

minicnn's own trackers are importable from here: ``from minicnn.track import SiameseTracker, CNNTracker,
HybridTracker, detect, make_tracker``.
"""

_LAZY = {
    "SiameseTracker": "minicnn.track.trackers.siamese",
    "detect": "minicnn.track.trackers.siamese",
    "CNNTracker": "minicnn.track.trackers.cnn",
    "HybridTracker": "minicnn.track.trackers.hybrid",
    "KalmanBoxFilter": "minicnn.track.trackers.motion",
    "make_tracker": "minicnn.track.trackers",
    "available_trackers": "minicnn.track.trackers",
}


def __getattr__(name):
    """Import the trackers on first use, so that ``import minicnn.track`` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'minicnn.track' has no attribute {name!r}")


__all__ = list(_LAZY)
