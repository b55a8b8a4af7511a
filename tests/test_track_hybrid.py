"""The hybrid tracker's decision: the Siamese peak stands unless the online classifier, asked only when the
response has several peaks, rejects it and prefers another peak."""

import numpy as np
import pytest

from minicnn.track.boxes import centers
from minicnn.track.trackers.hybrid import HybridTracker
from minicnn.track.trackers.siamese import SiameseNetwork

SIZE = 17
CENTRE = (SIZE - 1) / 2


@pytest.fixture(scope="module")
def tracker(tmp_path_factory):
    """A hybrid tracker on a tiny random network, initialised on a textured square."""
    path = tmp_path_factory.mktemp("hybrid") / "tiny.npz"
    SiameseNetwork(channels=(4, 4, 4, 4, 4), seed=0).save(path)
    rng = np.random.default_rng(0)
    frame = np.clip(128 + rng.normal(0, 20, (96, 128, 3)), 0, 255).astype(np.uint8)
    frame[30:60, 40:70] = rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)
    hybrid = HybridTracker(weights=path, window_influence=0.0)
    hybrid.init(frame, (40, 30, 30, 30))
    return hybrid


class RightHandClassifier:
    """Stands in for the online classifier: a box is the target when its centre lies right of ``threshold``."""

    def __init__(self, threshold, score_of_target=0.95, score_of_other=0.1):
        self.threshold, self.target, self.other = threshold, score_of_target, score_of_other
        self.boxes_seen = []

    def scores(self, features):
        boxes = self.tracker_boxes.pop(0)
        self.boxes_seen.append(boxes)
        return np.where(centers(boxes)[:, 0] > self.threshold, self.target, self.other)


def _two_peaks(left=(8, 4), right=(8, 13), left_height=5.0, right_height=4.8):
    response = np.zeros((SIZE, SIZE), dtype=np.float32)
    response[left] = left_height
    response[right] = right_height
    return response


def _ask(tracker, response, classifier, monkeypatch):
    """Run ``_choose_peak`` with ``classifier``, recording the frame boxes it is asked about."""
    captured = []
    original = tracker._box_features

    def box_features(feature_map, boxes, center, side):
        captured.append(np.asarray(boxes))
        return original(feature_map, boxes, center, side)

    monkeypatch.setattr(tracker, "_box_features", box_features)
    classifier.tracker_boxes = captured
    monkeypatch.setattr(tracker, "classifier", classifier)
    features = np.zeros((22, 22, 4), dtype=np.float32)
    tracker.asked = tracker.switched = 0
    tracker.current_search_size = 127
    return tracker._choose_peak(response, features, tracker.center.copy(), 127.0)


def test_one_peak_keeps_the_siamese_choice_without_asking(tracker, monkeypatch):
    response = np.zeros((SIZE, SIZE), dtype=np.float32)
    response[8, 4] = 5.0
    classifier = RightHandClassifier(threshold=tracker.center[0])
    cells = _ask(tracker, response, classifier, monkeypatch)
    assert cells == pytest.approx([4 - CENTRE, 0.0], abs=0.1)
    assert tracker.asked == 0 and classifier.boxes_seen == []


def test_a_rejected_peak_gives_way_to_the_one_the_classifier_prefers(tracker, monkeypatch):
    classifier = RightHandClassifier(threshold=tracker.center[0])
    cells = _ask(tracker, _two_peaks(), classifier, monkeypatch)
    assert tracker.asked == 1 and tracker.switched == 1
    assert cells == pytest.approx([13 - CENTRE, 0.0], abs=0.1)  # the right-hand peak, not the higher left one
    boxes = classifier.boxes_seen[0]
    assert len(boxes) == 3  # the Siamese choice, then each peak
    np.testing.assert_allclose(boxes[:, 2:], np.broadcast_to(tracker.size, (3, 2)))


def test_an_accepted_siamese_choice_stands(tracker, monkeypatch):
    classifier = RightHandClassifier(threshold=-1e9)  # every box looks like the target
    cells = _ask(tracker, _two_peaks(), classifier, monkeypatch)
    assert tracker.asked == 1 and tracker.switched == 0
    assert cells == pytest.approx([4 - CENTRE, 0.0], abs=0.1)


def test_an_unsure_classifier_does_not_switch(tracker, monkeypatch):
    classifier = RightHandClassifier(threshold=tracker.center[0], score_of_target=0.6)  # below switch_score 0.7
    cells = _ask(tracker, _two_peaks(), classifier, monkeypatch)
    assert tracker.switched == 0
    assert cells == pytest.approx([4 - CENTRE, 0.0], abs=0.1)


def test_a_low_second_peak_is_not_ambiguous(tracker, monkeypatch):
    classifier = RightHandClassifier(threshold=tracker.center[0])
    cells = _ask(tracker, _two_peaks(right_height=3.0), classifier, monkeypatch)  # 3/5 < ambiguity 0.8
    assert tracker.asked == 0
    assert cells == pytest.approx([4 - CENTRE, 0.0], abs=0.1)


def test_ambiguity_outside_its_range_is_refused(tracker):
    with pytest.raises(ValueError, match="ambiguity"):
        HybridTracker(weights=tracker.weights, ambiguity=0)
