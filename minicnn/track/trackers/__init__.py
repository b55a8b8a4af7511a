"""Trackers by name: ``make_tracker("csrt")`` builds a fresh tracker with the ``init`` / ``update`` interface."""

from minicnn.track.trackers.opencv import OPENCV_TRACKERS, OpenCVTracker


def available_trackers():
    """Names that ``make_tracker`` and ``minicnn eval --trackers`` accept, with one line about each."""
    return dict(OPENCV_TRACKERS)


def make_tracker(name):
    """A new tracker object for ``name`` (see ``available_trackers()``)."""
    key = str(name).lower()
    if key in OPENCV_TRACKERS:
        return OpenCVTracker(key)
    raise ValueError(f"tracker: unknown name {name!r}; available: {', '.join(sorted(available_trackers()))}")
