"""OpenCV's trackers behind minicnn's names: which OpenCV class each name builds, the box each is started on (floats
for the legacy ones, rounded for the others), a box OpenCV says it lost, and an OpenCV without the contrib trackers.
(Written from a mutation round over ``minicnn/track/trackers/opencv.py``.)"""

import sys
import types

import numpy as np
import pytest

pytest.importorskip("cv2")

from minicnn.track.trackers import opencv  # noqa: E402


@pytest.mark.parametrize("name, kind", [("kcf", "TrackerKCF"), ("kcf-nothresh", "TrackerKCF"),
                                        ("csrt", "TrackerCSRT"), ("mil", "TrackerMIL"),
                                        ("mosse", "TrackerMOSSE"), ("medianflow", "TrackerMedianFlow")])
def test_each_name_builds_its_own_opencv_tracker(name, kind):
    """Name building another tracker (medianflow running MOSSE, mil running KCF): every tracker still
    follows an easy target, and the table's rows would be another method's under that name."""
    import cv2

    tracker, _ = opencv._create(cv2, name)
    assert type(tracker).__name__ == kind


@pytest.mark.parametrize("name, rect", [("kcf", (12, 15, 20, 18)), ("mil", (12, 15, 20, 18)),
                                        ("mosse", (12.3, 14.6, 20.4, 18.5)),
                                        ("medianflow", (12.3, 14.6, 20.4, 18.5))])
def test_legacy_trackers_start_on_the_box_as_given_and_the_others_on_it_rounded(name, rect, monkeypatch):
    """Box given to OpenCV truncated instead of rounded (a pixel off: 14.6 → 14), and a legacy tracker
    (MOSSE, MedianFlow, which take float boxes) given whole pixels, or floats cut to ints before the conversion."""
    real = opencv._create
    started = []

    class Recording:
        def __init__(self, inner):
            self.inner = inner

        def init(self, frame, box):
            started.append(box)
            return self.inner.init(frame, box)

    def create(cv2, which):
        tracker, legacy = real(cv2, which)
        return Recording(tracker), legacy

    monkeypatch.setattr(opencv, "_create", create)
    frame = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    opencv.OpenCVTracker(name).init(frame, (12.3, 14.6, 20.4, 18.5))
    assert tuple(started[-1]) == pytest.approx(rect) and [type(v) for v in started[-1]] == [type(v) for v in rect]


def test_an_opencv_without_the_legacy_trackers_is_refused_naming_the_package(monkeypatch):
    """Contrib check passing where either part is there: an opencv-python that has TrackerCSRT_create
    but no cv2.legacy failed later, at mosse's first use, in an AttributeError."""
    fake = types.ModuleType("cv2")
    fake.TrackerCSRT_create = lambda: None
    monkeypatch.setitem(sys.modules, "cv2", fake)
    with pytest.raises(ImportError, match="lacks the contrib trackers; install opencv-contrib-python-headless"):
        opencv.import_cv2()


class _Answers:
    """Stands in for OpenCV's tracker object: ``update`` answers ``(ok, rect)`` as given."""

    def __init__(self, ok, rect):
        self.answer = ok, rect

    def update(self, frame):
        return self.answer


def test_a_box_opencv_says_it_lost_counts_as_lost_whatever_its_size():
    """OpenCV's ok ignored: MIL or KCF answering (False, last box) was reported as a box found, and the
    table's lost column stayed at 0."""
    frame = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    tracker = opencv.OpenCVTracker("kcf")
    tracker.init(frame, (10, 10, 20, 20))
    tracker._tracker = _Answers(False, (5, 6, 7, 8))
    ok, box = tracker.update(frame)
    assert ok is False and box.tolist() == [5, 6, 7, 8]


def test_an_unknown_name_is_refused_when_the_tracker_is_made():
    """Name checked only at init (on the first frame, after the frames were read), not at construction."""
    with pytest.raises(ValueError, match=r"name: unknown OpenCV tracker 'kfc'; known: \["):
        opencv.OpenCVTracker("kfc")
