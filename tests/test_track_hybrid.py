"""The hybrid tracker's decision: the Siamese peak stands unless the online classifier, asked only when the
response has several peaks, rejects it and prefers another peak."""

import re

import numpy as np
import pytest

from minicnn.track.boxes import centers
from minicnn.track.trackers.hybrid import HybridTracker
from minicnn.track.trackers.siamese import SiameseNetwork, SiameseTracker

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


def test_the_siamese_choice_is_asked_about_where_it_is_in_the_frame(tracker, monkeypatch):
    """The classifier is asked first about the Siamese choice's own place: its offset in cells times the stride
    (4 crop pixels) in frame pixels, then about each peak (mutation round)."""
    classifier = RightHandClassifier(threshold=tracker.center[0])
    _ask(tracker, _two_peaks(), classifier, monkeypatch)
    # a side of 127 frame pixels for a 127-pixel crop: one response cell is 4 frame pixels
    asked_about = centers(classifier.boxes_seen[0])
    assert asked_about[0] == pytest.approx(tracker.center + [(4 - CENTRE) * 4, 0.0], abs=0.5)  # the choice
    assert asked_about[1:] == pytest.approx(tracker.center + np.array([[(4 - CENTRE) * 4, 0.0],
                                                                       [(13 - CENTRE) * 4, 0.0]]), abs=1e-9)


def test_a_rejected_siamese_choice_gives_way_to_the_best_rival_not_the_last(tracker, monkeypatch):
    """Of several rival peaks the one the classifier scores highest wins, not simply the last one asked about
    (mutation round)."""
    response = np.zeros((SIZE, SIZE), dtype=np.float32)
    response[8, 4], response[8, 11], response[8, 15] = 5.0, 4.9, 4.8

    class FixedScores:
        """The Siamese choice 0.4 (rejected), then the peaks from left to right: 0.1, 0.35, 0.2."""

        def scores(self, features):
            boxes = self.tracker_boxes.pop(0)
            return np.array([0.4, 0.1, 0.35, 0.2])[:len(boxes)]

    monkeypatch.setattr(tracker, "switch_score", 0.3)
    cells = _ask(tracker, response, FixedScores(), monkeypatch)
    assert tracker.asked == 1 and tracker.switched == 1
    assert cells == pytest.approx([11 - CENTRE, 0.0], abs=0.1)


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


def test_peaks_are_measured_above_the_responses_minimum(tracker, monkeypatch):
    """A second peak is high enough to ask about when it reaches ``ambiguity`` of the highest, both measured from
    the response's minimum: a response lifted by a constant is the same response (mutation round)."""
    background = _two_peaks(left_height=1.0, right_height=1.0) == 0
    # logits -5 around, 5 on the left, 3 on the right: 8 of 10 above the minimum, ambiguous at 0.8
    response = _two_peaks(left_height=5.0, right_height=3.0) - 5.0 * background
    _ask(tracker, response, RightHandClassifier(threshold=tracker.center[0]), monkeypatch)
    assert tracker.asked == 1
    lifted = _two_peaks(left_height=5.0, right_height=3.0) + 20.0  # 20 around, 25 and 23: 3 of 5 above it
    cells = _ask(tracker, lifted, RightHandClassifier(threshold=tracker.center[0]), monkeypatch)
    assert tracker.asked == 0
    assert cells == pytest.approx([4 - CENTRE, 0.0], abs=0.1)


@pytest.mark.parametrize("ambiguous, learnt", [(False, 1), (True, 0)])
def test_only_a_sure_and_unambiguous_frame_is_learnt_from(tracker, monkeypatch, ambiguous, learnt):
    """A confident frame is remembered as the classifier's examples (every other frame), but not when the
    response had several peaks: then the box may be on a look-alike (mutation round)."""
    remembered = []
    monkeypatch.setattr(tracker.classifier, "remember", lambda *examples: remembered.append(examples))
    monkeypatch.setattr(tracker.classifier, "update", lambda *args, **kwargs: None)
    for name in ("confidence", "_ambiguous", "frames_lost", "_last_search", "frame_index"):
        monkeypatch.setattr(tracker, name, getattr(tracker, name, None), raising=False)  # restored afterwards

    def siamese_step(self, frame):
        self.confidence, self._ambiguous, self.frames_lost = 0.95, ambiguous, 0
        self._last_search = (np.zeros((22, 22, 4), np.float32), self.center.copy(), 127.0)
        return True, np.concatenate([self.center - self.size / 2, self.size])

    monkeypatch.setattr(SiameseTracker, "_update", siamese_step)
    tracker.frame_index = 0
    frame = np.zeros((96, 128, 3), np.uint8)
    for _ in range(2):
        tracker._update(frame)
    assert len(remembered) == learnt


def test_ambiguity_outside_its_range_is_refused(tracker):
    with pytest.raises(ValueError, match="ambiguity"):
        HybridTracker(weights=tracker.weights, ambiguity=0)


@pytest.mark.parametrize("argument, value, error", [
    ("ambiguity", 0, ValueError), ("ambiguity", 1.5, ValueError), ("ambiguity", float("nan"), ValueError),
    ("ambiguity", "0.8", ValueError),
    ("update_interval", 0, ValueError), ("update_interval", -1, ValueError), ("update_interval", 2.5, ValueError),
    ("seed", -1, ValueError), ("seed", 1.5, TypeError), ("seed", "0", TypeError),
    ("grid", 0, ValueError), ("grid", 2.0, ValueError),
    ("positives", 0, ValueError), ("positives", -4, ValueError),
    ("negatives", 0, ValueError), ("negatives", True, ValueError),
    ("first_steps", 0, ValueError), ("first_steps", -1, ValueError),
    ("update_steps", -5, ValueError), ("update_steps", 1.5, ValueError),
    ("switch_score", -1, ValueError), ("switch_score", 1.5, ValueError), ("switch_score", None, ValueError),
    ("normalise", "yes", TypeError),
    ("window_influence", 2.0, ValueError), ("response_up", 0, ValueError),  # the Siamese tracker's, by this name
])
def test_bad_arguments_are_refused_by_name_at_construction(tracker, argument, value, error):
    """These were accepted, and then failed later (``update_interval=0``: ZeroDivisionError at frame 1; ``grid=0``
    or ``positives=0`` at ``init``, in other words) or changed the tracker silently (``update_interval=-1``: an
    update every frame)."""
    with pytest.raises(error, match=rf"^HybridTracker: {argument} must be .*, got {re.escape(repr(value))}$"):
        HybridTracker(weights=tracker.weights, **{argument: value})


def test_the_defaults_and_other_good_arguments_are_accepted(tracker):
    HybridTracker(weights=tracker.weights)
    hybrid = HybridTracker(weights=tracker.weights, ambiguity=1, update_interval=np.int64(1), seed=None, grid=1,
                           positives=1, negatives=1, first_steps=1, update_steps=0, switch_score=np.float32(0.5),
                           normalise=True, window_influence=0.0, lost_search_size=255)
    assert hybrid.update_interval == 1 and type(hybrid.update_interval) is int
    assert hybrid.seed is None and hybrid.switch_score == 0.5 and hybrid.lost_search_size == 255
    assert HybridTracker(weights=tracker.weights, seed=np.int64(7), switch_score=0).seed == 7
