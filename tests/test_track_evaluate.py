"""The evaluation runner: result files, resuming, crashes, timing of init/update only, parallel and Dask runs."""

import functools
import json
import os
import re
import threading
import time
import warnings
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest

from minicnn import processes
from minicnn.track import evaluate as E
from minicnn.track.sequences import Sequence


def _moving_square(name, n=12, attributes=("FM",), seed=0):
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    texture = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    frames, boxes = [], []
    for t in range(n):
        frame = background.copy()
        x, y = 5 + 3 * t, 10 + t
        frame[y : y + 12, x : x + 12] = texture
        frames.append(frame)
        boxes.append([x, y, 12, 12])
    return Sequence(name, frames, np.array(boxes, dtype=np.float64), attributes)


class OffsetTracker:
    """Answers the true box shifted by ``offset`` (it reads the ground truth it was built with)."""

    def __init__(self, boxes, offset=0.0, crash_at=None, lose_at=None):
        self.boxes = boxes
        self.offset = offset
        self.crash_at = crash_at
        self.lose_at = lose_at
        self.frame = 0

    def init(self, frame, box):
        self.frame = 0

    def update(self, frame):
        self.frame += 1
        if self.frame == self.crash_at:
            raise RuntimeError("deliberate crash")
        if self.frame == self.lose_at:
            return False, (0, 0, 0, 0)
        return True, self.boxes[self.frame] + [self.offset, 0, 0, 0]


def offset_factory(boxes_by_name, offset=0.0, **kwargs):
    return _Dispatch(boxes_by_name, offset, kwargs)


class _Dispatch:
    """A tracker that picks the sequence's true boxes by the first frame's content (picklable for processes)."""

    def __init__(self, boxes_by_name, offset, kwargs):
        self.boxes_by_name = boxes_by_name
        self.offset = offset
        self.kwargs = kwargs
        self.inner = None

    def init(self, frame, box):
        key = min(self.boxes_by_name, key=lambda k: np.abs(self.boxes_by_name[k][0] - box).sum())
        self.inner = OffsetTracker(self.boxes_by_name[key], self.offset, **self.kwargs.get(key, {}))
        self.inner.init(frame, box)

    def update(self, frame):
        return self.inner.update(frame)


@pytest.fixture
def suite():
    return [_moving_square("one", 12, ("FM",), 0), _moving_square("two", 9, ("FM", "OCC"), 1)]


def test_perfect_and_offset_trackers_score_as_computed_by_hand(tmp_path, suite):
    boxes = {s.name: s.ground_truth for s in suite}
    suite[1].ground_truth[:, 1] += 30.0
    boxes["two"] = suite[1].ground_truth
    trackers = {
        "perfect": functools.partial(offset_factory, boxes, 0.0),
        "offset": functools.partial(offset_factory, boxes, 6.0),
    }
    evaluation = E.evaluate(trackers, suite, tmp_path, progress=False)
    assert evaluation.score("perfect").auc == pytest.approx(20 / 21)
    # 12×12 boxes shifted by 6: IoU = 72 / 216 = 1/3 after the given first frame.
    per_sequence = evaluation.sequence_scores("offset")
    assert per_sequence[0].success[6] == 1.0 and per_sequence[0].success[7] == pytest.approx(1 / 12)
    table = evaluation.table()
    assert table.splitlines()[2].startswith("perfect") and "OCC(1)" in table
    text = (tmp_path / "offset" / "one.txt").read_text().splitlines()
    assert text[1] == ",".join(repr(float(v)) for v in suite[0].ground_truth[1] + [1 + 6, 1, 0, 0])
    assert len((tmp_path / "offset" / "one_time.txt").read_text().splitlines()) == 12
    info = json.loads((tmp_path / "offset" / "one.json").read_text())
    assert info["frames"] == 12 and info["failed_at_frame"] is None


def test_resume_skips_finished_sequences(tmp_path, suite):
    boxes = {s.name: s.ground_truth for s in suite}
    built = []

    def counting_factory():
        built.append(1)
        return offset_factory(boxes)

    E.evaluate({"perfect": counting_factory}, suite, tmp_path, progress=False)
    (tmp_path / "perfect" / "two.txt").unlink()  # as if the run had stopped before finishing "two"
    built.clear()
    again = E.evaluate({"perfect": counting_factory}, suite, tmp_path, progress=False)
    assert len(built) == 1
    assert again.score("perfect").auc == pytest.approx(20 / 21)
    E.evaluate({"perfect": counting_factory}, suite, tmp_path, progress=False, resume=False)
    assert len(built) == 3


def test_a_rerun_stopped_part_way_then_resumed_never_takes_the_old_runs_files(tmp_path, suite):
    """resume=False (minicnn eval --no-resume) stopped by Ctrl-C during its second sequence, then resumed as the
    command says: the first sequence came from the new run and the second from the old one, without a word, after a
    change the tracker's record does not see (its settings here; a class it builds, an OpenCV upgrade). The old
    runs' records of completion go before the rerun starts, so the resumed evaluation runs the second one again."""
    boxes = {s.name: s.ground_truth for s in suite}
    state = {"offset": 0.0, "built": 0, "stop_at": None}

    def factory():  # one factory throughout: its record is the same in every evaluation below
        state["built"] += 1
        if state["built"] == state["stop_at"]:
            raise KeyboardInterrupt
        return offset_factory(boxes, state["offset"])

    E.evaluate({"t": factory}, suite, tmp_path, progress=False)
    state.update(offset=6.0, built=0, stop_at=2)
    with pytest.raises(KeyboardInterrupt):
        E.evaluate({"t": factory}, suite, tmp_path, progress=False, resume=False)
    state.update(stop_at=None)
    resumed = E.evaluate({"t": factory}, suite, tmp_path, progress=False)
    fresh = E.evaluate({"t": factory}, suite, progress=False)
    for sequence in suite:
        np.testing.assert_array_equal(resumed.runs["t", sequence.name].boxes, fresh.runs["t", sequence.name].boxes)


def test_a_file_where_the_results_go_is_named_before_any_sequence_runs(tmp_path, suite):
    boxes = {s.name: s.ground_truth for s in suite}
    factory = Counting(lambda: offset_factory(boxes))
    (tmp_path / "t").write_text("mine")
    with pytest.raises(NotADirectoryError, match=r"^results_dir: .*t is a file, where the result files go"):
        E.evaluate({"t": factory}, suite, tmp_path, progress=False)
    assert factory.built == 0 and (tmp_path / "t").read_text() == "mine"


def test_saved_results_of_a_sequence_of_another_length_are_run_again(tmp_path, suite):
    """A sequence's folder edited since the last run (frames added or removed) keeps its name: the saved boxes, one
    per old frame, are not reused for it, as scoring them against the new ground truth would fail or mislead."""
    boxes = {s.name: s.ground_truth for s in suite}
    factory = Counting(lambda: offset_factory(boxes))
    E.evaluate({"perfect": factory}, suite, tmp_path, progress=False)
    shorter = _moving_square("one", 10, ("FM",), 0)  # "one" had 12 frames
    boxes["one"] = shorter.ground_truth
    factory.built = 0
    with pytest.warns(UserWarning, match="they were made on 12 frames, and the sequence now has 10"):
        again = E.evaluate({"perfect": factory}, [shorter], tmp_path, progress=False)
    assert factory.built == 1 and len(again.runs["perfect", "one"].boxes) == 10
    assert again.score("perfect").auc == pytest.approx(20 / 21)


def test_results_made_on_other_data_under_the_same_names_are_run_again(tmp_path, suite):
    """Two suites of the same sequence names in folders of the same name share minicnn eval's default results
    folder: the second suite's tracker was scored on the first suite's boxes (AUC 0.02 instead of 0.74), silently.
    The ground truth's SHA-256 in each result's .json now tells them apart."""
    boxes = {s.name: s.ground_truth for s in suite}
    factory = Counting(lambda: offset_factory(boxes))
    E.evaluate({"perfect": factory}, suite, tmp_path, progress=False)
    other = [_moving_square("one", 12, ("FM",), 0), suite[1]]
    other[0].ground_truth[:, 0] += 20.0  # the same name and length, another target
    other[0].frames = [np.roll(frame, 20, axis=1) for frame in other[0].frames]
    boxes.update({s.name: s.ground_truth for s in other})
    factory.built = 0
    with pytest.warns(UserWarning, match=r"one.txt, _time.txt, .json: cannot resume from these result files \(they "
                                         r"were made on other data: the sequence's ground truth differs"):
        again = E.evaluate({"perfect": factory}, other, tmp_path, progress=False)
    assert factory.built == 1  # "one" again; "two" is the same sequence and keeps its results
    assert again.score("perfect").auc == pytest.approx(20 / 21)


def test_results_of_a_built_in_tracker_are_not_reused_for_a_tracker_of_yours_of_the_same_name(tmp_path, suite):
    pytest.importorskip("cv2")
    boxes = {s.name: s.ground_truth for s in suite}
    E.evaluate(["mosse"], suite[:1], tmp_path, progress=False)
    with pytest.warns(UserWarning, match=r"they were made by minicnn.track.trackers:mosse, and the tracker of this "
                                         r"name is now test_track_evaluate:offset_factory"):
        mine = E.evaluate({"mosse": functools.partial(offset_factory, boxes)}, suite[:1], tmp_path, progress=False)
    assert mine.score("mosse").auc == pytest.approx(20 / 21)
    with pytest.warns(UserWarning, match=r"made by test_track_evaluate:offset_factory, and the tracker of this name "
                                         r"is now minicnn.track.trackers:mosse"):
        E.evaluate(["mosse"], suite[:1], tmp_path, progress=False)


def test_a_run_whose_tracker_answered_ok_without_a_box_resumes(tmp_path, suite, recwarn):
    """The frame whose box was refused kept its time, so that the saved run had one time too many and was called
    damaged, and run again, on every later evaluation."""

    class NoBox:
        def init(self, frame, box):
            pass

        def update(self, frame):
            return True, None

    factory = Counting(NoBox)
    first = E.evaluate({"nobox": factory}, suite, tmp_path, progress=False)
    assert first.runs["nobox", "one"].failed_at == 1 and len(first.runs["nobox", "one"].frame_seconds) == 1
    factory.built = 0
    again = E.evaluate({"nobox": factory}, suite, tmp_path, progress=False)
    assert factory.built == 0 and not recwarn.list
    assert again.runs["nobox", "two"].failed_at == 1


def test_a_sequence_that_cannot_start_is_refused_before_any_other_runs(tmp_path, suite):
    """A first box of 0,0,0,0 (read as NaN: the target absent) in the second sequence used to stop the evaluation
    with a traceback after the first sequence had run."""
    suite[1].ground_truth[0] = np.nan
    boxes = {s.name: s.ground_truth for s in suite}
    with pytest.raises(ValueError, match=r"sequence 'two': the first frame has no box \(NaN, or 0,0,0,0 in its "
                                         r"ground-truth file: the target absent\)"):
        E.evaluate({"perfect": functools.partial(offset_factory, boxes)}, suite, tmp_path, progress=False)
    assert not (tmp_path / "perfect").exists()


def test_a_first_box_without_width_or_height_cannot_start_a_tracker():
    """The first frame's box is what the tracker learns the target from: one of zero width or height is refused by
    name, before the tracker is built, instead of starting a tracker on nothing."""
    for bad in ([5.0, 10.0, 0.0, 12.0], [5.0, 10.0, 12.0, 0.0], [5.0, 10.0, -3.0, 12.0]):
        sequence = _moving_square("flat", 4)
        sequence.ground_truth[0] = bad
        with pytest.raises(ValueError, match=r"'flat': the first frame's box .* has no area, and every tracker starts "
                                             r"from it"):
            E.track_sequence(OffsetTracker(sequence.ground_truth), sequence)


def test_a_crashing_tracker_fails_from_that_frame_and_the_run_goes_on(tmp_path, suite):
    boxes = {s.name: s.ground_truth for s in suite}
    suite[1].ground_truth[:, 1] += 30.0
    factory = functools.partial(offset_factory, boxes, 0.0, one={"crash_at": 6}, two={"lose_at": 3})
    evaluation = E.evaluate({"fragile": factory}, suite, tmp_path, progress=False)
    crashed = evaluation.runs["fragile", "one"]
    assert crashed.failed_at == 6 and "deliberate crash" in crashed.error
    assert np.isnan(crashed.boxes[6:]).all()
    scores = evaluation.sequence_scores("fragile")
    assert scores[0].success[10] == pytest.approx(6 / 12)  # frames 7..12 fail
    assert evaluation.runs["fragile", "two"].lost_frames == 1
    # The lost frame carries the previous box, as OTB does: the target moved by (3, 1), IoU = 99/189 ≈ 0.52,
    # so that frame fails the nine thresholds 0.55 … 0.95.
    assert scores[1].auc == pytest.approx((11 + 9 * 8 / 9) / 21)
    assert "fragile crashed on one at frame 7: RuntimeError: deliberate crash" in evaluation.table()
    reloaded = E.load_run(tmp_path, "fragile", "one")
    assert reloaded.failed_at == 6 and np.isnan(reloaded.boxes[6:]).all()


def test_only_init_and_update_time_counts(monkeypatch, suite):
    clock = {"now": 0.0}
    monkeypatch.setattr(E.time, "perf_counter", lambda: clock["now"])

    class SlowFrames(Sequence):
        def __getitem__(self, index):
            clock["now"] += 100.0  # reading a frame is slow, and must not count
            return super().__getitem__(index)

    class OneSecondTracker:
        def init(self, frame, box):
            clock["now"] += 2.0

        def update(self, frame):
            clock["now"] += 1.0
            return True, (0, 0, 5, 5)

    sequence = SlowFrames("slow", suite[0].frames, suite[0].ground_truth)
    run = E.track_sequence(OneSecondTracker(), sequence)
    np.testing.assert_array_equal(run.frame_seconds, [2.0] + [1.0] * 11)
    assert run.fps == pytest.approx(12 / 13)


def test_parallel_processes_give_the_serial_table(tmp_path, suite):
    boxes = {s.name: s.ground_truth for s in suite}
    suite[1].ground_truth[:, 1] += 30.0
    trackers = {"offset": functools.partial(offset_factory, boxes, 4.0)}
    serial = E.evaluate(trackers, suite, None, jobs=1, progress=False)
    parallel = E.evaluate(trackers, suite, tmp_path, jobs=2, progress=False)
    assert parallel.table(fps=False) == serial.table(fps=False)


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_serial_table(tmp_path, suite):
    distributed = pytest.importorskip("distributed")
    boxes = {s.name: s.ground_truth for s in suite}
    suite[1].ground_truth[:, 1] += 30.0
    trackers = {"offset": functools.partial(offset_factory, boxes, 4.0)}
    serial = E.evaluate(trackers, suite, None, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = E.evaluate(trackers, suite, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert on_dask.table(fps=False) == serial.table(fps=False)
    assert (tmp_path / "offset" / "two.txt").is_file()


def test_bad_arguments_are_named(suite):
    with pytest.raises(ValueError, match="jobs: expected a number of processes"):
        E.evaluate(["kcf"], suite, jobs=0, progress=False)
    with pytest.raises(ValueError, match="sequences: names must be unique"):
        E.evaluate(["kcf"], [suite[0], suite[0]], progress=False)
    with pytest.raises(ValueError, match="tracker: unknown name 'nope'"):
        E.evaluate(["nope"], suite, progress=False)


class ScriptedTracker:
    """Answers ``answers[t]`` on frame t."""

    def __init__(self, answers):
        self.answers = answers
        self.frame = 0

    def init(self, frame, box):
        self.frame = 0

    def update(self, frame):
        self.frame += 1
        return True, self.answers[self.frame]


def test_got10k_scores_bound_boxes_by_each_sequences_frame_size(suite):
    """AO of a box crossing the left edge of a 120×100 frame, as the GOT-10k toolkit bounds it by the sequence's
    ``resolution`` (2/3; minicnn's table used to score the unbounded boxes, 1/4)."""
    frames = [np.zeros((100, 120, 3), np.uint8)] * 3
    edge = Sequence("edge", frames, np.array([[10.0, 10.0, 20.0, 20.0]] * 3))
    leftward = functools.partial(ScriptedTracker, [None] + [(-10.0, 10.0, 30.0, 20.0)] * 2)
    evaluation = E.evaluate({"leftward": leftward}, [edge], progress=False)
    assert evaluation.got10k("leftward").ao == pytest.approx(2 / 3)
    assert evaluation.table().splitlines()[2].split()[4] == "0.667"


class Counting:
    """A factory of yours that counts the trackers it builds: to ``made_from`` the same tracker whatever it wraps
    (a wrapper is yours to keep the same), so that a test can see which sequences a second evaluation ran."""

    def __init__(self, factory):
        self.factory = factory
        self.built = 0

    def __call__(self):
        self.built += 1
        return self.factory()


@pytest.mark.filterwarnings("ignore:.*update answered ok with a box of no area")  # scripted on purpose
def test_a_resumed_evaluation_scores_exactly_what_the_fresh_one_did(tmp_path):
    """Result files kept 2 decimals and turned any row holding infinity into NaN: a box 50.004 wide over a target
    100 wide (IoU 0.50004, a success at 0.5) read back as 50.00 (IoU 0.5, a failure), and an infinite box (IoU 0, as
    OTB scores it) read back as NaN, which OTB replaces by the previous frame's box; a box (−1, −1, 0, 0), written
    0,0,0,0, read back as NaN, and resuming raised the share of frames lost."""
    frames = [np.zeros((100, 120, 3), np.uint8)] * 4
    ground_truth = np.array([[5.0, 0.0, 100.0, 100.0]] * 4)
    answers = [None, (5.0, 0.0, 50.004, 100.0), (np.inf, 0.0, 100.0, 100.0), (5.1, 0.3, 99.7, 100.2)]
    frames, ground_truth = frames + frames[:1], np.concatenate([ground_truth, ground_truth[:1]])
    answers.append((-1.0, -1.0, 0.0, 0.0))  # written "0.0,0.0,0.0,0.0": read back as NaN, it was counted lost
    sequence = Sequence("edge", frames, ground_truth)
    factory = Counting(functools.partial(ScriptedTracker, answers))
    fresh = E.evaluate({"scripted": factory}, [sequence], tmp_path, progress=False)
    resumed = E.evaluate({"scripted": factory}, [sequence], tmp_path, progress=False)
    assert factory.built == 1
    fresh_score, resumed_score = fresh.sequence_scores("scripted")[0], resumed.sequence_scores("scripted")[0]
    assert fresh_score.success[10] == pytest.approx(4 / 5)  # the 50.004-wide box passes τ = 0.5 (and frame 5
    # carries frame 4's box, its width being 0)
    for curve in ("success", "precision", "normalized_precision"):
        np.testing.assert_array_equal(getattr(resumed_score, curve), getattr(fresh_score, curve), err_msg=curve)
    # OTB's 1-based x, y: x + 1 − 1 is x to the last bit only where x's bits fit, and 0.3 + 1 − 1 is not 0.3
    np.testing.assert_allclose(resumed.runs["scripted", "edge"].boxes, fresh.runs["scripted", "edge"].boxes,
                               rtol=1e-15, atol=1e-15)
    assert resumed.table() == fresh.table()
    assert resumed.lost_share("scripted") == fresh.lost_share("scripted") == 1 / 4  # the infinite box alone


def test_a_save_that_stopped_part_way_over_older_results_is_run_again(tmp_path, monkeypatch, suite):
    """A rerun whose save failed before the ``.json`` (disk full) left its boxes beside the older run's ``.json``:
    resuming took them for one run, here an old crash's NaN boxes with a new run's "no crash", scored as boxes
    carried forward. The ``.json`` records the SHA-256 of the other two files. (A rerun with ``resume=False``
    removes the old ``.json`` before it starts; one that runs again because a file of the old run is missing does
    not.)"""
    boxes = {s.name: s.ground_truth for s in suite}
    one = suite[:1]
    settings = {"offset": 0.0, "one": {"lose_at": 2}}  # the tracker's settings, changed from run to run below

    def factory():
        return offset_factory(boxes, settings["offset"], one=settings["one"])

    E.evaluate({"t": factory}, one, tmp_path, progress=False)
    write = E.atomic_write_text

    def disk_full_at_the_json(path, text):
        if path.suffix == ".json":
            raise OSError(28, "No space left on device")
        write(path, text)

    monkeypatch.setattr(E, "atomic_write_text", disk_full_at_the_json)
    settings.update(offset=6.0, one={})
    (tmp_path / "t" / "one_time.txt").unlink()  # the old run is incomplete: it is run again
    with pytest.raises(OSError, match="No space left"):
        E.evaluate({"t": factory}, one, tmp_path, progress=False)
    monkeypatch.undo()
    settings.update(offset=0.0)
    with pytest.warns(UserWarning, match=r"one.txt, _time.txt, .json: cannot resume from these result files \(one.txt "
                                         r"has changed since one.json was saved: it is another run's file"):
        again = E.evaluate({"t": factory}, one, tmp_path, progress=False)
    assert again.runs["t", "one"].lost_frames == 0 and again.score("t").auc == pytest.approx(20 / 21)
    resumed = Counting(factory)
    with pytest.warns(UserWarning, match=r"the tracker of this name is now test_track_evaluate:Counting"):
        E.evaluate({"t": resumed}, one, tmp_path, progress=False)
    assert resumed.built == 1  # a wrapper is another tracker to made_from
    E.evaluate({"t": resumed}, one, tmp_path, progress=False)
    assert resumed.built == 1  # now whole again, and made by the same factory: resumed


@pytest.mark.parametrize("damage, reason", [
    (lambda folder: (folder / "one.txt").write_text("15.0,12.0\n"), r"one.txt has changed since one.json"),
    (lambda folder: (folder / "one.json").write_text('{"tracker": '), r"one.json: Expecting value"),
    (lambda folder: _without_checksums(folder, "one.txt", ""), r"one.txt: no boxes in the file"),
    (lambda folder: _without_checksums(folder, "one_time.txt", "x\n"), r"one_time.txt: could not convert string"),
    (lambda folder: _without_checksums(folder, "one_time.txt", "0.1\n"), r"12 boxes and 1 times where one.json "
                                                                           r"records 12 frames"),
])
def test_damaged_result_files_are_named_and_their_sequence_run_again(tmp_path, suite, damage, reason):
    boxes = {s.name: s.ground_truth for s in suite}
    perfect = functools.partial(offset_factory, boxes, 0.0)
    E.evaluate({"t": perfect}, suite[:1], tmp_path, progress=False)
    damage(tmp_path / "t")
    with pytest.warns(UserWarning, match=r"one.txt, _time.txt, .json: cannot resume from these result files \("
                                         + reason):
        again = E.evaluate({"t": perfect}, suite[:1], tmp_path, progress=False)
    assert again.score("t").auc == pytest.approx(20 / 21)


def _without_checksums(folder, name, text):
    """Write ``text`` into ``name`` and drop the checksums from the ``.json``, as files from before they were
    recorded: the damage must be found by reading the files."""
    (folder / name).write_text(text)
    info = json.loads((folder / "one.json").read_text())
    del info["sha256"]
    (folder / "one.json").write_text(json.dumps(info))


@pytest.mark.parametrize("answer, given", [
    ((1.0, 2.0, 3.0, 4.0, 5.0), "shape (5,)"), ((1.0, 2.0, 3.0), "shape (3,)"), (None, "nothing"),
    (np.ones((2, 2)), "shape (2, 2)"), (np.ones((4, 1)), "shape (4, 1)"), ("left", "'left'")])
def test_a_tracker_answering_ok_without_a_box_fails_there_instead_of_standing_still(suite, answer, given):
    """These were counted as lost frames, and OTB's carry-forward then scored the broken tracker as one whose target
    never moves (a perfect score on a still target); reshaped, a 2×2 or 4×1 array was taken as a box."""
    sequence = suite[0]
    answers = [None, sequence.ground_truth[1], answer] + [sequence.ground_truth[2]] * (len(sequence) - 3)
    run = E.track_sequence(ScriptedTracker(answers), sequence, "broken")
    assert run.failed_at == 2 and run.lost_frames == 0
    assert run.error.startswith(f"TypeError: update answered ok=True with a box of {given}; expected four numbers "
                                "(x, y, w, h)")
    lost = E.track_sequence(OffsetTracker(sequence.ground_truth, lose_at=2), sequence, "lost")
    assert lost.failed_at is None and lost.lost_frames == 1  # ok=False is a lost frame, whatever the box


def test_a_suite_with_only_the_first_box_gets_a_table_saying_what_cannot_be_scored(suite):
    """A GOT-10k test split gives the first frame's box alone (the server scores the rest): ``minicnn eval`` on one
    ended in a traceback ("overlaps: no visible frames to score") after running every tracker."""
    first_only = [Sequence(s.name, s.frames, s.ground_truth[:1]) for s in suite]
    boxes = {s.name: s.ground_truth for s in suite}
    evaluation = E.evaluate({"t": functools.partial(offset_factory, boxes)}, first_only, progress=False)
    assert evaluation.got10k("t") is None
    row = evaluation.table().splitlines()[2].split()
    assert row[0] == "t" and row[1:6] == ["n/a"] * 5  # AUC and P@20 once read 0.02 and 1.0 here
    assert not evaluation.scored
    assert "! no frame after the first has a ground-truth box (a GOT-10k test split?)" in evaluation.table()
    assert evaluation.test_split
    whole = E.evaluate({"t": functools.partial(offset_factory, boxes)}, suite, progress=False)
    assert whole.got10k("t").ao == pytest.approx(1.0) and "n/a" not in whole.table()


def test_sequences_of_one_frame_are_not_taken_for_a_got10k_test_split(suite):
    """OTB sequences of one frame were told "a GOT-10k test split?" (and minicnn eval wrote a submission zip)."""
    single = [Sequence(s.name, s.frames[:1], s.ground_truth[:1]) for s in suite]
    evaluation = E.evaluate({"still": StandStill}, single, progress=False)
    assert not evaluation.scored and not evaluation.test_split
    table = evaluation.table()
    assert "every sequence has a single frame: there is nothing after the first to score" in table
    assert "GOT-10k" not in table


def test_the_got10k_submission_is_written_as_the_toolkit_records_runs(tmp_path):
    """TRACKER/SEQ/SEQ_001.txt (x,y,w,h, 3 decimals, the ground truth's coordinates) and SEQ_time.txt (8 decimals),
    zipped per tracker; a frame without a box is 0,0,0,0 (a failure on the server as here), and a crashed run's
    frames after the crash take 0 s."""
    import zipfile

    a, b = Sequence("a", _FRAMES, _TRUTH), Sequence("b", _FRAMES, _TRUTH.copy())
    lost = _SHIFTED_10.copy()
    lost[2] = np.nan
    crashed = E.TrackRun("t", "b", np.vstack([_TRUTH[:3], np.full((1, 4), np.nan)]), [0.5, 0.25, 0.125], failed_at=3)
    evaluation = E.Evaluation(["t"], [a, b], {("t", "a"): E.TrackRun("t", "a", lost, [1.0] * 4, lost_frames=1),
                                              ("t", "b"): crashed})
    archives = E.save_got10k_submission(evaluation, tmp_path / "sub")
    assert archives == [tmp_path / "sub" / "t.zip"]
    assert (tmp_path / "sub" / "t" / "a" / "a_001.txt").read_text().splitlines() == [
        "30.000,20.000,40.000,40.000", "30.000,20.000,40.000,40.000", "0.000,0.000,0.000,0.000",
        "30.000,20.000,40.000,40.000"]
    assert (tmp_path / "sub" / "t" / "b" / "b_time.txt").read_text().splitlines() == [
        "0.50000000", "0.25000000", "0.12500000", "0.00000000"]
    assert (tmp_path / "sub" / "t" / "b" / "b_001.txt").read_text().splitlines()[3] == "0.000,0.000,0.000,0.000"
    with zipfile.ZipFile(archives[0]) as archive:
        assert sorted(archive.namelist()) == ["a/", "a/a_001.txt", "a/a_time.txt", "b/", "b/b_001.txt",
                                              "b/b_time.txt"]


def test_the_got10k_zip_holds_this_evaluation_only_and_an_interruption_keeps_the_old_one(tmp_path, monkeypatch):
    """The zip was made in place from the whole folder: Ctrl-C while zipping left a valid-looking zip without the
    results, and a later evaluation of fewer sequences still packed the earlier ones (from a data-safety audit)."""
    import zipfile

    a, b = Sequence("a", _FRAMES, _TRUTH), Sequence("b", _FRAMES, _TRUTH.copy())
    runs = {("t", name): E.TrackRun("t", name, _TRUTH, [1.0] * 4) for name in ("a", "b")}
    E.save_got10k_submission(E.Evaluation(["t"], [a, b], runs), tmp_path)
    zipped = (tmp_path / "t.zip").read_bytes()
    write = zipfile.ZipFile.write

    def interrupted(archive, filename, arcname=None, *args, **kwargs):
        if str(arcname).endswith("_time.txt"):
            raise KeyboardInterrupt
        return write(archive, filename, arcname, *args, **kwargs)
    monkeypatch.setattr(zipfile.ZipFile, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        E.save_got10k_submission(E.Evaluation(["t"], [a], {("t", "a"): runs["t", "a"]}), tmp_path)
    assert (tmp_path / "t.zip").read_bytes() == zipped and sorted(path.name for path in tmp_path.iterdir()) == [
        "t", "t.zip"]
    monkeypatch.setattr(zipfile.ZipFile, "write", write)
    E.save_got10k_submission(E.Evaluation(["t"], [a], {("t", "a"): runs["t", "a"]}), tmp_path)
    with zipfile.ZipFile(tmp_path / "t.zip") as archive:
        assert sorted(archive.namelist()) == ["a/", "a/a_001.txt", "a/a_time.txt"]


# ---- The suite's scores and the table, on a 120×100 frame with a 40×40 target: every number worked by hand ----
#
# Success AUC is the mean over the 21 thresholds 0, 0.05, ..., 1 of the share of frames with IoU > threshold, so
# frames of IoU u count (number of thresholds below u) / 21. OTB replaces frame 1 by the given box (IoU 1: 20/21),
# so a 4-frame run with IoU u after it scores (20 + 3·k) / 84 for k thresholds below u.

_FRAMES = [np.zeros((100, 120, 3), np.uint8)] * 4
_TRUTH = np.array([[20.0, 20.0, 40.0, 40.0]] * 4)
_SHIFTED_10 = _TRUTH + [10.0, 0.0, 0.0, 0.0]  # IoU 30·40 / (2·1600 − 1200) = 0.6, centre error 10 = 0.25 widths
_SHIFTED_21 = _TRUTH + [21.0, 0.0, 0.0, 0.0]  # IoU 19·40 / (3200 − 760) = 0.311, centre error 21 px
_DOUBLE_SIZE = np.array([[0.0, 0.0, 80.0, 80.0]] * 4)  # same centre (39.5, 39.5), IoU 1600 / 6400 = 0.25


def _run(tracker, sequence, boxes, seconds=(1.0,) * 4, failed_at=None):
    return E.TrackRun(tracker, sequence.name, boxes, seconds, failed_at=failed_at)


def _three_trackers_on_two_sequences():
    """"shifted" is 10 px off on "a" and exact on "b"; "far" is 21 px off on both; "big" is twice the size on both.
    Only "b" is tagged OCC."""
    a = Sequence("a", _FRAMES, _TRUTH, ("FM",))
    b = Sequence("b", _FRAMES, _TRUTH.copy(), ("FM", "OCC"))
    runs = {("shifted", "a"): _run("shifted", a, _SHIFTED_10), ("shifted", "b"): _run("shifted", b, _TRUTH),
            ("far", "a"): _run("far", a, _SHIFTED_21), ("far", "b"): _run("far", b, _SHIFTED_21),
            ("big", "a"): _run("big", a, _DOUBLE_SIZE), ("big", "b"): _run("big", b, _DOUBLE_SIZE)}
    return E.Evaluation(["shifted", "far", "big"], [a, b], runs)


def test_the_suite_score_is_the_mean_over_all_sequences_not_the_first_one():
    """The suite's AUC averages every sequence; a score read off the first sequence alone would report the shifted
    tracker's worst sequence as the whole suite's result."""
    evaluation = _three_trackers_on_two_sequences()
    # "a": IoU 0.6 beats the 12 thresholds 0 ... 0.55 → (20 + 36) / 84 = 14/21; "b": exact → 20/21; mean 17/21.
    assert evaluation.score("shifted").auc == pytest.approx(17 / 21)


def test_attribute_scores_use_the_sequences_that_carry_the_tag():
    """OCC is on sequence "b" only, FM on both; tags paired with the wrong sequences would credit the occlusion
    column with another sequence's result."""
    per_tag = _three_trackers_on_two_sequences().by_attribute("shifted")
    assert per_tag["OCC"][1] == 1 and per_tag["OCC"][0].auc == pytest.approx(20 / 21)  # "b" alone: exact boxes
    assert per_tag["FM"][1] == 2 and per_tag["FM"][0].auc == pytest.approx(17 / 21)  # both: (14/21 + 20/21) / 2


def test_trackers_are_ranked_by_success_auc_not_by_precision():
    """"far" (IoU 0.31, 21 px off) is ranked above "big" (IoU 0.25, centre exact) though "big" has the better P@20:
    the OTB table is ordered by AUC, and ordering by P@20 would put a box twice too big above a near miss."""
    evaluation = _three_trackers_on_two_sequences()
    # far: IoU 0.311 beats 0 ... 0.3 → (20 + 3·7) / 84 = 41/84; P@20 = 1/4 (frame 1 only; 21 px > 20 after it).
    # big: IoU 0.25 beats 0 ... 0.2 → (20 + 3·5) / 84 = 35/84; P@20 = 1 (centres agree).
    assert evaluation.score("far").auc == pytest.approx(41 / 84) and evaluation.score("far").precision_20 == 0.25
    assert evaluation.score("big").auc == pytest.approx(35 / 84) and evaluation.score("big").precision_20 == 1.0
    assert evaluation.ranked() == ["shifted", "far", "big"]


def test_each_table_column_holds_its_own_score():
    """The row reads AUC, P@20, NormP, AO, SR0.5, lost, crashed; and the attribute rows read AUC. A column showing
    another score (NormP under P@20, SR0.75 under SR0.5, P@20 under an attribute) would go unnoticed in a printed
    table."""
    lines = _three_trackers_on_two_sequences().table(fps=False).splitlines()
    assert lines[0] == "OPE on 2 sequences (8 frames)"
    # shifted: AUC 17/21 = 0.810; P@20 = 1 (10 px and 0 px); NormP = (1/4 + 1) / 2 = 0.625, as 0.25 widths > 0.2
    # fails frames 2-4 of "a"; GOT-10k pools frames 2-4 of both: three at 0.6, three at 1 → AO 0.8, SR0.5 = 1
    # (SR0.75 would be 0.5).
    assert lines[2].split() == ["shifted", "0.810", "1.000", "0.625", "0.800", "1.000", "0.0%", "0"]
    assert lines[7].split() == ["tracker", "FM(2)", "OCC(1)"]
    # FM: both sequences, AUC 17/21 = 0.810 (P@20 would be 1.000); OCC: "b" alone, 20/21 = 0.952.
    assert lines[8].split() == ["shifted", "0.810", "0.952"]


def test_the_table_shows_the_frames_a_tracker_gave_no_box_for_which_auc_scores_with_its_last_box():
    """A tracker that answers "lost" from frame 2 on scored the AUC of one that stands still (OTB's carry-forward)
    and 0 in AO; the table did not say why the two columns disagree."""
    a, b = Sequence("a", _FRAMES, _TRUTH), Sequence("b", _FRAMES, _TRUTH.copy())
    gives_up = _TRUTH.copy()
    gives_up[1:] = np.nan  # 3 frames of "a" after the first without a box
    crashed = E.TrackRun("t", "b", np.vstack([_TRUTH[:3], np.full((1, 4), np.nan)]), [0.1] * 3, failed_at=3)
    evaluation = E.Evaluation(["t"], [a, b], {("t", "a"): E.TrackRun("t", "a", gives_up, [0.1] * 4, lost_frames=3),
                                              ("t", "b"): crashed})
    assert evaluation.lost_share("t") == pytest.approx(4 / 6)  # 3 + 1 of the 3 + 3 frames after the first
    lines = evaluation.table(fps=False).splitlines()
    assert lines[1].split()[6] == "lost" and lines[2].split()[6] == "66.7%"
    assert any(line.startswith("! lost: frames after the first without a box") for line in lines)
    assert "! lost" not in _three_trackers_on_two_sequences().table()


def test_the_tables_note_says_that_frames_after_a_crash_are_scored_as_failures():
    """The note said that every frame without a box scored with the tracker's last box; those after a crash score
    as failures (in every column), which the OTB result file alone does not say."""
    crashed = E.TrackRun("t", "b", np.vstack([_TRUTH[:2], np.full((2, 4), np.nan)]), [0.1] * 2, failed_at=2)
    evaluation = E.Evaluation(["t"], [Sequence("b", _FRAMES, _TRUTH.copy())], {("t", "b"): crashed})
    table = evaluation.table(fps=False)
    assert table.splitlines()[2].split()[1] == "0.476"  # frames 3 and 4 failures: 2 of 4 frames over 20 of 21 τ
    assert ("the frames after a crash score as failures in every column (its .json records the crash; the .txt "
            "alone does not)") in table


def test_a_very_fast_trackers_fps_keeps_a_space_before_it():
    """120,422 FPS ran into the SR0.5 column: '1.0000.0%120422.0'."""
    fast = E.TrackRun("t", "a", _TRUTH, [0.25e-5] * 4)
    evaluation = E.Evaluation(["t"], [Sequence("a", _FRAMES, _TRUTH)], {("t", "a"): fast})
    row = evaluation.table().splitlines()[2].split()
    assert row[7] == "400,000" and row[8] == "0", row  # 4 frames in 10 µs


def test_suite_fps_is_all_frames_run_over_all_seconds():
    """A run that crashed after 2 frames counts the 2 frames it ran, not the 4 boxes saved; and the suite's speed is
    total frames over total seconds, not a mean of per-run speeds that a short fast run would dominate."""
    a, b = Sequence("a", _FRAMES, _TRUTH), Sequence("b", _FRAMES, _TRUTH.copy())
    crashed = E.TrackRun("t", "a", np.vstack([_TRUTH[:2], np.full((2, 4), np.nan)]), [1.0, 1.0], failed_at=2)
    fast = E.TrackRun("t", "b", _TRUTH, [0.1] * 4)
    evaluation = E.Evaluation(["t"], [a, b], {("t", "a"): crashed, ("t", "b"): fast})
    # (2 + 4) frames / (2 + 0.4) s = 2.5 fps; counting boxes would give 8 / 2.4, the mean of 1 and 10 fps 5.5.
    assert evaluation.fps("t") == pytest.approx(2.5)


def test_init_seconds_are_the_first_frames_and_update_seconds_the_rest():
    """Init time is the first entry of ``frame_seconds`` and update time the sum of the others; mixing them up
    reports a slow init as slow tracking."""
    run = E.TrackRun("t", "a", _TRUTH, [2.0, 1.0, 1.0, 0.5])
    assert run.init_seconds == 2.0 and run.update_seconds == 2.5  # 1 + 1 + 0.5


def test_got10k_skips_frames_with_zero_cover_and_frames_without_a_box_even_with_cover():
    """With ``cover``, a frame is scored when its cover is above 0 *and* it has a finite box: scoring a cover-0 frame
    (target fully hidden) or a NaN box would count frames the toolkit leaves out."""
    truth = _TRUTH.copy()
    truth[2] = np.nan  # cover says visible, but no box
    hidden = Sequence("c", _FRAMES, truth, cover=[8, 0, 8, 8])
    answers = _TRUTH + [[0, 0, 0, 0], [100, 0, 0, 0], [100, 0, 0, 0], [0, 0, 0, 0]]  # wrong on frames 2 and 3 only
    evaluation = E.Evaluation(["t"], [hidden], {("t", "c"): E.TrackRun("t", "c", answers, [1.0] * 4)})
    got = evaluation.got10k("t")
    # Frame 1 is the given box and never scored; 2 has cover 0; 3 has no box: frame 4 alone, IoU 1.
    assert len(got.overlaps) == 1 and got.ao == 1.0


def test_one_sequence_with_the_first_box_alone_does_not_blank_the_suites_got10k_score():
    """A sequence annotated on its first frame only has nothing to score, but the others still do: the table must
    show their AO rather than n/a."""
    scored, first_only = Sequence("a", _FRAMES, _TRUTH), Sequence("d", _FRAMES, _TRUTH[:1])
    runs = {("t", "a"): _run("t", scored, _TRUTH), ("t", "d"): _run("t", first_only, _TRUTH)}
    got = E.Evaluation(["t"], [scored, first_only], runs).got10k("t")
    assert got is not None and got.ao == 1.0 and len(got.overlaps) == 3  # frames 2-4 of "a", exact


def test_results_saved_before_made_by_was_recorded_are_reused(tmp_path, suite):
    """A .json without made_by, frames or ground_truth_sha256 (minicnn before they were kept) is taken as it is."""
    run = E.track_sequence(offset_factory({s.name: s.ground_truth for s in suite}), suite[0], "t")
    E.save_run(run, tmp_path)
    loaded = E.load_run(tmp_path, "t", suite[0].name, E.made_from("t", None, suite[0]))
    assert loaded is not None and len(loaded.boxes) == len(suite[0])


def test_a_box_with_one_nan_counts_as_lost_and_is_written_as_0_0_0_0_for_got10k(tmp_path):
    """update may answer ok=True with (nan, 20, 40, 40): that frame has no box, in the lost column and in the
    submission (where 'nan' would be the server's to interpret)."""
    a, boxes = Sequence("a", _FRAMES, _TRUTH), _TRUTH.copy()
    boxes[2, 0] = np.nan
    evaluation = E.Evaluation(["t"], [a], {("t", "a"): _run("t", a, boxes)})
    assert evaluation.lost_share("t") == pytest.approx(1 / 3)  # 1 of the 3 frames after the first
    E.save_got10k_submission(evaluation, tmp_path)
    assert (tmp_path / "t" / "a" / "a_001.txt").read_text().splitlines()[2] == "0.000,0.000,0.000,0.000"


def test_sequences_of_one_frame_lose_nothing():
    """No frame after the first: a lost share of 0, not a division by zero."""
    one = Sequence("one", _FRAMES[:1], _TRUTH[:1])
    evaluation = E.Evaluation(["t"], [one], {("t", "one"): _run("t", one, _TRUTH[:1], seconds=[1.0])})
    assert evaluation.lost_share("t") == 0.0


def test_fps_reads_with_thousands_separators_from_10000_on():
    assert E._fps_text(9999.94) == "9999.9"
    assert E._fps_text(10_000.0) == "10,000"
    assert E._fps_text(123_456.7) == "123,457"


def test_per_attribute_plots_are_titled_with_the_sequences_that_carry_the_tag(tmp_path, monkeypatch):
    """OCC is on one of the two sequences: its plot says 1 sequence, the FM and suite plots 2."""
    from minicnn.track import plots

    given = {}
    monkeypatch.setattr(plots, "save_ope_plots", lambda *args, counts=None, **kwargs: given.update(counts) or [])
    _three_trackers_on_two_sequences().save_plots(tmp_path)
    assert given == {"": 2, "FM": 2, "OCC": 1}


class StandStill:
    """Never moves: answers the first box in every frame."""

    def init(self, frame, box):
        self.box = tuple(box)

    def update(self, frame):
        return True, self.box


def test_results_of_another_tracker_of_yours_under_the_same_name_are_run_again(tmp_path, suite, capsys):
    """Results under a name were reused for any factory of yours given that name: your own tracker, replaced by
    another class (or edited, or given other arguments), kept the old tracker's scores, without a word."""
    boxes = {s.name: s.ground_truth for s in suite}
    first = E.evaluate({"mine": functools.partial(offset_factory, boxes, 0.0)}, suite, tmp_path)
    assert first.score("mine").auc == pytest.approx(20 / 21) and "resumed" not in capsys.readouterr().out
    with pytest.warns(UserWarning, match=r"they were made by the tracker of this name with other arguments"):
        moved = E.evaluate({"mine": functools.partial(offset_factory, boxes, 30.0)}, suite[:1], tmp_path,
                           progress=False)
    assert moved.score("mine").auc < 0.5
    with pytest.warns(UserWarning, match=r"they were made by test_track_evaluate:offset_factory, and the tracker of "
                                         r"this name is now test_track_evaluate:StandStill"):
        E.evaluate({"mine": StandStill}, suite[1:], tmp_path, progress=False)
    with pytest.warns(UserWarning, match=r"made by test_track_evaluate:StandStill, and the tracker of this name is "
                                         r"now test_track_evaluate:offset_factory"):
        E.evaluate({"mine": functools.partial(offset_factory, boxes, 30.0)}, suite, tmp_path, progress=True)
    assert (f"resumed 1 of 2 runs from the result files in {tmp_path} (resume=False runs them again; on the command "
            f"line, --no-resume)") in capsys.readouterr().out


class Shifted(StandStill):
    """Moves its box right by 1 + ``shift`` px every frame."""

    def __init__(self, shift=0.0):
        self.shift = shift

    def update(self, frame):
        self.box = (self.box[0] + 1 + self.shift,) + self.box[1:]
        return True, self.box


@pytest.mark.parametrize("first, then", [(Shifted, functools.partial(Shifted, shift=30.0)),
                                         (functools.partial(Shifted, shift=30.0), Shifted)],
                         ids=["plain-then-partial", "partial-then-plain"])
def test_a_tracker_of_yours_and_a_partial_of_it_with_arguments_do_not_share_results(tmp_path, suite, first, then):
    """The arguments of a functools.partial were compared only where both runs had them: a class of yours, then the
    same class with arguments (or the other way round), resumed the other's results, AUC and all (a mutation round's
    find). A recorded setting on one side only now differs too, and the sequences are run again."""
    E.evaluate({"mine": first}, suite[:1], tmp_path, progress=False)
    with pytest.warns(UserWarning, match="made by the tracker of this name with other arguments"):
        resumed = E.evaluate({"mine": then}, suite[:1], tmp_path, progress=False)
    fresh = E.evaluate({"mine": then}, suite[:1], None, progress=False)
    assert resumed.score("mine").auc == fresh.score("mine").auc


def test_a_partials_keywords_in_another_order_are_the_same_settings():
    """``partial(f, a=1, b=2)`` and ``partial(f, b=2, a=1)`` make the same tracker and reuse each other's results, as
    ``_settings_text`` promises (mutation round: hashed in the order given, the second ran everything again)."""
    assert E._code_of(functools.partial(offset_factory, {}, offset=1.0, crash_at=2))["settings_sha256"] == \
        E._code_of(functools.partial(offset_factory, {}, crash_at=2, offset=1.0))["settings_sha256"]
    assert E._settings_text({"b": 1, "a": 2}) == E._settings_text({"a": 2, "b": 1})


def test_a_resumed_run_keeps_the_frames_its_tracker_said_it_lost(tmp_path, suite):
    """The .json records lost_frames, and a resumed run reads them back (mutation round: read as 0, the table's
    'lost' column changed on a rerun)."""
    boxes = {s.name: s.ground_truth for s in suite}
    factory = functools.partial(offset_factory, boxes, 0.0, one={"lose_at": 3})
    fresh = E.evaluate({"t": factory}, suite[:1], tmp_path, progress=False)
    resumed = E.evaluate({"t": factory}, suite[:1], tmp_path, progress=False)
    assert fresh.runs["t", "one"].lost_frames == resumed.runs["t", "one"].lost_frames == 1


@pytest.mark.parametrize("saved, asked", [(5, 7), (7, 6)])
def test_result_files_without_a_record_of_what_made_them_are_not_reused_for_a_sequence_of_another_length(tmp_path,
                                                                                                    saved, asked):
    """Files saved before minicnn recorded made_by, frames and checksums are taken as they are, but not for a
    sequence of another length (the suite made again with more frames, or fewer): scored against it, 5 boxes met 7
    frames (mutation rounds: the length check could go, and then be loosened to one frame fewer)."""
    E.evaluate({"still": StandStill}, [_moving_square("one", saved)], tmp_path, progress=False)
    info_path = tmp_path / "still" / "one.json"
    info = json.loads(info_path.read_text())
    for key in ("made_by", "code_sha256", "frames", "ground_truth_sha256", "sha256"):
        info.pop(key, None)
    info_path.write_text(json.dumps(info))
    evaluation = E.evaluate({"still": StandStill}, [_moving_square("one", asked)], tmp_path, progress=False)
    assert len(evaluation.runs["still", "one"].boxes) == asked


def test_the_trackers_keep_the_order_they_were_given_in(suite):
    """``Evaluation.trackers`` is the order given: the plots' legends, and the table's among equal scores (mutation
    round: sorted by name, "zeta, alpha" became "alpha, zeta")."""
    class AlsoStandStill(StandStill):
        pass

    evaluation = E.evaluate({"zeta": StandStill, "alpha": AlsoStandStill}, suite[:1], progress=False)
    assert evaluation.trackers == ["zeta", "alpha"]
    assert [line.split()[0] for line in evaluation.table(fps=False).splitlines()[2:4]] == ["zeta", "alpha"]


@pytest.mark.parametrize("with_file", [True, False])
def test_results_of_your_tracker_before_you_edited_it_are_run_again(tmp_path, suite, with_file, monkeypatch):
    """A tracker of yours, fixed and evaluated again into the same folder, was scored on its old results. Its
    source is kept as a SHA-256 with the results: a class in a file, or one defined in a notebook cell (Python has
    no file for it, so its methods' source, or their compiled code, stands for it)."""
    import importlib
    import sys

    source = '''
class Tracker:
    def init(self, frame, box):
        self.box = tuple(box)

    def update(self, frame):
        return True, self.box
'''
    edited = source.replace("self.box = tuple(box)", "self.box = tuple(box)[:2] + (1.0, 1.0)")

    def define(text):
        if with_file:
            (tmp_path / "my_tracker.py").write_text(text)
            monkeypatch.syspath_prepend(str(tmp_path))
            sys.modules.pop("my_tracker", None)
            importlib.invalidate_caches()
            return importlib.import_module("my_tracker").Tracker
        namespace = {"__name__": "__main__"}
        exec(compile(text, "<cell>", "exec"), namespace)  # a notebook cell: no file to read the source from
        return namespace["Tracker"]

    results = tmp_path / "results"
    kept = E.evaluate({"mine": define(source)}, suite, results, progress=False)
    E.evaluate({"mine": define(source)}, suite, results, progress=False)  # the same code again: resumed, no warning
    with pytest.warns(UserWarning, match=r"they were made by the tracker of this name before its code was changed"):
        fixed = E.evaluate({"mine": define(edited)}, suite, results, progress=False)
    assert fixed.score("mine").auc < kept.score("mine").auc


@pytest.mark.parametrize("factory", ["Tracker", "make"])
def test_results_of_your_tracker_are_run_again_after_an_edit_beside_it_in_its_file(tmp_path, suite, monkeypatch,
                                                                                  factory):
    """Only the class's own lines were hashed: a student who tuned a constant or a helper function beside it in
    my_trackers.py was scored on the old results, the table unchanged (found in review). The whole file counts now,
    for a class and for a lambda that makes one (the next review), and a file of another tracker's does not."""
    import importlib
    import sys

    source = """
SIZE = 1.0


def shrunk(box):
    return tuple(box)[:2] + (SIZE, SIZE)


class Tracker:
    def init(self, frame, box):
        self.box = tuple(box)

    def update(self, frame):
        return True, self.box


make = lambda: Tracker()  # noqa: E731
"""
    monkeypatch.syspath_prepend(str(tmp_path))

    def define(text, module="my_trackers"):
        (tmp_path / f"{module}.py").write_text(text)
        sys.modules.pop(module, None)
        importlib.invalidate_caches()
        return getattr(importlib.import_module(module), factory)

    results = tmp_path / "results"
    kept = E.evaluate({"mine": define(source)}, suite, results, progress=False)
    define(source + "\nOTHER = 2\n", module="another_file")  # another file's edit: resumed, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        E.evaluate({"mine": define(source)}, suite, results, progress=False)
    uses_helper = source.replace("self.box = tuple(box)", "self.box = shrunk(box)")
    with pytest.warns(UserWarning, match=r"before its code was changed"):
        E.evaluate({"mine": define(uses_helper)}, suite, results, progress=False)
    with pytest.warns(UserWarning, match=r"before its code was changed"):  # the helper's constant alone changed
        tuned = E.evaluate({"mine": define(uses_helper.replace("SIZE = 1.0", "SIZE = 2.0"))}, suite, results,
                           progress=False)
    assert tuned.score("mine").auc < kept.score("mine").auc
    assert tuned.runs["mine", suite[0].name].boxes[1][2] == 2.0


def test_a_tracker_of_an_earlier_import_is_warned_of_and_its_results_never_reused(tmp_path, suite, monkeypatch):
    """A notebook ran ``from tuned_trackers import Tracker``, the student tuned a method in the file and reloaded the
    module: the name still held the old class, which ran the old method, and its results were recorded under the
    edited file's hash, for a fresh process to reuse (found in review). That run now warns, and its results are
    never reused."""
    import importlib
    import sys

    source = "SHIFT = 0.0\n\n\nclass Tracker:\n    def init(self, frame, box):\n        self.box = tuple(box)\n\n" \
             "    def update(self, frame):\n        return True, (self.box[0] + SHIFT,) + self.box[1:]\n"
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "tuned_trackers.py"
    path.write_text(source)
    sys.modules.pop("tuned_trackers", None)
    importlib.invalidate_caches()
    module = importlib.import_module("tuned_trackers")
    Tracker = module.Tracker  # from tuned_trackers import Tracker
    assert not E._from_an_earlier_import(Tracker)
    path.write_text(source.replace("self.box[0] + SHIFT", "self.box[0] + SHIFT + 45.0"))  # a method tuned
    module = importlib.reload(module)
    results = tmp_path / "results"
    with pytest.warns(UserWarning, match=r"^tuned_trackers\.Tracker: this is the Tracker of an earlier import of "
                                         r"tuned_trackers, which was reloaded since: it keeps its old methods\. "
                                         r"Import it again after the reload \(from tuned_trackers import Tracker\)"):
        stale = E.evaluate({"mine": Tracker}, suite[:1], results, progress=False)
    assert stale.runs["mine", suite[0].name].boxes[1][0] == suite[0].ground_truth[0][0]  # the old code ran
    with pytest.warns(UserWarning, match=r"before its code was changed"):  # not reused for the file as it is now
        fresh = E.evaluate({"mine": module.Tracker}, suite[:1], results, progress=False)
    assert fresh.runs["mine", suite[0].name].boxes[1][0] == suite[0].ground_truth[0][0] + 45.0
    assert not E._from_an_earlier_import(module.Tracker) and not E._from_an_earlier_import(lambda: module.Tracker())
    cell = {"__name__": "__main__"}  # a notebook cell run twice: its classes are hashed by their own source
    exec(compile("class Tracker:\n    pass\n", "<cell>", "exec"), cell)
    monkeypatch.setattr(sys.modules["__main__"], "Tracker", type("Tracker", (), {}), raising=False)
    monkeypatch.delattr(sys.modules["__main__"], "__file__", raising=False)
    assert not E._from_an_earlier_import(cell["Tracker"])


def test_a_class_source_that_does_not_define_the_class_is_not_trusted(monkeypatch):
    """Python 3.13's inspect.getsource reads a class of __main__ from __main__'s file by line number: for a class
    made by exec (pytest's __main__.py is that file there) it returned unrelated lines, the same before and after
    an edit, and the edited tracker was scored on its old results."""
    import inspect

    def made(text):
        namespace = {"__name__": "__main__"}
        exec(compile(text, "<cell>", "exec"), namespace)
        return namespace["Tracker"]

    before = made("class Tracker:\n    def update(self, frame):\n        return True, (0, 0, 1, 1)\n")
    after = made("class Tracker:\n    def update(self, frame):\n        return True, (0, 0, 2, 2)\n")
    def as_on_python_3_13(part, answer="import sys\nsys.exit(main())\n"):  # another program's lines
        if isinstance(part, type):
            return answer
        raise OSError("could not get source code")  # a function made by exec: no file

    monkeypatch.setattr(inspect, "getsource", as_on_python_3_13)
    assert E._source_of(before) != E._source_of(after)
    monkeypatch.setattr(inspect, "getsource",
                        lambda part: as_on_python_3_13(part, "@decorated\nclass Tracker:\n    pass\n"))
    assert E._source_of(before) == "@decorated\nclass Tracker:\n    pass\n"  # a source that defines it is kept


class InterruptedAt:
    """Stands still, and is interrupted (Ctrl-C) in its ``update`` on the sequence whose first frame's mean is
    ``mean``; every tracker built leaves a file in ``folder``, so that processes can be counted too."""

    def __init__(self, folder, interrupt_first_mean, seconds_per_frame=0.0):
        self.folder, self.mean, self.seconds_per_frame = folder, interrupt_first_mean, seconds_per_frame
        marker = Path(folder) / f"built-{os.getpid()}-{time.perf_counter_ns()}"
        marker.write_text("")

    def init(self, frame, box):
        self.box, self.interrupt = tuple(box), float(frame.mean()) == self.mean

    def update(self, frame):
        if self.interrupt:
            raise KeyboardInterrupt
        time.sleep(self.seconds_per_frame)
        return True, self.box


def test_ctrl_c_stops_an_evaluation_before_its_next_task_and_keeps_what_finished(tmp_path):
    """The serial executor took Ctrl-C for the task's result and went on with every later task (on OTB-100, Ctrl-C
    did not stop an evaluation); what finished before it stays saved and is resumed."""
    suite = [_moving_square(name, 6, ("FM",), seed) for seed, name in enumerate(["a", "b", "c", "d"])]
    built = tmp_path / "built"
    built.mkdir()
    factory = functools.partial(InterruptedAt, str(built), float(suite[1][0].mean()))
    with pytest.raises(KeyboardInterrupt):
        E.evaluate({"still": factory}, suite, tmp_path / "results", progress=False)
    assert len(list(built.iterdir())) == 2  # "a" and "b": "c" and "d" never started
    assert sorted(path.name for path in (tmp_path / "results" / "still").glob("*.json")) == ["a.json"]


def test_ctrl_c_in_processes_cancels_the_tasks_not_yet_started(tmp_path):
    """ProcessPoolExecutor's shutdown(wait=True) ran every queued task after Ctrl-C."""
    suite = [_moving_square(f"s{i}", 6, ("FM",), i) for i in range(12)]
    built = tmp_path / "built"
    built.mkdir()
    factory = functools.partial(InterruptedAt, str(built), float(suite[0][0].mean()), seconds_per_frame=0.2)
    with pytest.raises(KeyboardInterrupt):
        E.evaluate({"still": factory}, suite, tmp_path / "results", jobs=2, progress=False)
    # the interrupted task, the one beside it, those the pool had queued (3) and those that took its free places
    assert len(list(built.iterdir())) <= 7


class Vandal(StandStill):
    """Blacks out every frame it is given."""

    def update(self, frame):
        frame[:] = 0
        return super().update(frame)


def test_a_tracker_that_draws_into_its_frames_changes_nothing_the_next_tracker_reads(suite):
    """A sequence held in memory (notebook 9's make_sequence) handed out its own arrays: a tracker drawing into its
    frame zeroed the sequence itself, and every later tracker tracked black frames."""
    before = [frame.copy() for frame in suite[0].frames]
    E.evaluate({"vandal": Vandal, "still": StandStill}, suite[:1], progress=False)
    assert all(np.array_equal(frame, kept) for frame, kept in zip(suite[0].frames, before))


@pytest.mark.parametrize("name", ["../escaped", "mine/v1", "..", "", "C:mine", 3])
def test_a_trackers_name_must_be_a_folder_name(tmp_path, suite, name):
    """A tracker's name is the folder its results go to: "../escaped" wrote outside the results folder."""
    with pytest.raises(ValueError, match=r"trackers: a tracker's name names its folder of results, so it must be a "
                                         r"name without /, \\ or :, and not . or .., got "):
        E.evaluate({name: StandStill}, suite, tmp_path / "results", progress=False)
    assert not tmp_path.joinpath("escaped").exists() and not (tmp_path / "results").exists()


def test_a_factory_that_cannot_go_to_other_processes_is_named_before_any_work(tmp_path, suite):
    """A lambda with jobs=2 failed with a PicklingError from inside the executor."""
    with pytest.raises(ValueError, match=r"trackers: the factory of 'mine' \(<function .*<lambda>.*\) cannot be sent "
                                         r"to other processes \(jobs > 1\): .*Define it at the "
                                         r"top level of a module"):
        E.evaluate({"mine": lambda: StandStill()}, suite, tmp_path / "results", jobs=2, progress=False)
    assert not (tmp_path / "results").exists()


def test_the_table_widens_its_first_column_for_long_tracker_names(suite):
    """Names longer than 14 characters pushed the rows' numbers out from under their headings."""
    long_name = "my-siamese-tracker-v2"
    evaluation = E.evaluate({long_name: StandStill, "still": StandStill}, suite, progress=False)
    lines = evaluation.table(fps=False).splitlines()
    heading = lines[1]
    for line in lines[2:4]:
        assert line.index(line.split()[1]) + len(line.split()[1]) == heading.index("AUC") + len("AUC"), lines


def test_a_factory_written_in_c_or_a_bound_method_is_recorded_without_a_traceback(tmp_path, suite):
    """OpenCV's factories have __module__ None, and made_from failed on it ("'NoneType' object has no attribute
    'split'") as soon as a results folder was given."""
    cv2 = pytest.importorskip("cv2")
    for factory in (cv2.TrackerMIL_create, functools.partial(cv2.TrackerMIL.create, cv2.TrackerMIL_Params())):
        made = E.made_from("mil-mine", factory, suite[0])
        assert made["made_by"] in ("builtins:TrackerMIL_create", "builtins:TrackerMIL.create")
        assert "code_sha256" not in made
    evaluation = E.evaluate({"mil-mine": cv2.TrackerMIL_create}, suite[:1], tmp_path, progress=False)
    assert 0 <= evaluation.score("mil-mine").auc <= 1


def test_a_partials_arguments_are_recorded_by_a_text_the_same_in_every_process():
    """A set's repr follows hash randomisation, an OpenCV object's repr carries its address without " at ", and a
    large array's repr is shortened: each made the recorded arguments differ from run to run (reruns every time),
    or two arrays look alike (stale results reused)."""
    text = E._settings_text
    assert text(({"hog", "color", "gray"}, {})) == text(({"gray", "hog", "color"}, {}))
    big, other = np.zeros(5000), np.zeros(5000)
    other[2500] = 1.0
    assert repr(big) == repr(other) and text(((big,), {})) != text(((other,), {}))
    assert text(((object(),), {})) is None
    assert text(((1, 2.5, "a", None), {"b": [1, 2]})) == "tuple(tuple(1, 2.5, 'a', None), {'b': list(1, 2)})"


def test_what_made_a_run_is_worked_out_once_per_tracker_in_the_evaluating_process(tmp_path, suite, monkeypatch):
    """A worker process may import the factory's module under another name (__mp_main__ under spawn or forkserver),
    so what made a run is worked out in the evaluating process, once per tracker, and handed to the tasks."""
    calls = []
    real = E.tracker_made

    def counting(tracker, factory):
        calls.append(tracker)
        return real(tracker, factory)

    monkeypatch.setattr(E, "tracker_made", counting)
    E.evaluate({"still": StandStill, "vandal": Vandal}, suite, tmp_path, progress=False)
    assert sorted(calls) == ["still", "vandal"]
    info = json.loads((tmp_path / "still" / "one.json").read_text())
    assert info["made_by"] == "test_track_evaluate:StandStill" and "code_sha256" in info


_AFTER_A_KERNEL = '''
import numpy as np
import minicnn.functional as F
from minicnn.track import evaluate as E
from minicnn.track.sequences import Sequence


class ConvolvingStill:
    """Stands still, and convolves each frame with minicnn's Numba kernel, as our trackers do."""

    def init(self, frame, box):
        self.box = tuple(box)

    def update(self, frame):
        F.conv2d(frame[None, :8, :8, :1].astype(np.float32), np.ones((3, 3, 1, 2), np.float32))
        return True, self.box


def main():
    F.conv2d(np.ones((1, 8, 8, 1), np.float32), np.ones((3, 3, 1, 2), np.float32))  # the notebook trained a model
    frames = [np.full((24, 24, 3), i, np.uint8) for i in range(4)]
    suite = [Sequence(name, frames, np.tile([[4.0, 4.0, 8.0, 8.0]], (4, 1))) for name in ("a", "b")]
    try:
        evaluation = E.evaluate({"still": ConvolvingStill}, suite, jobs=2, progress=False)
    except ValueError as error:
        print("refused:", error)
    else:
        print(evaluation.table(fps=False))
'''


@pytest.mark.parametrize("as_a_file", [True, False])
def test_processes_start_after_this_process_ran_a_numba_kernel(tmp_path, as_a_file):
    """A notebook that had trained a model (Numba's GNU OpenMP threads started), then evaluated with jobs=2, lost
    every worker: "fork() called from a process already using GNU OpenMP, this is unsafe", then BrokenProcessPool.
    The workers now start from a fresh process; a tracker defined where they cannot import it (a notebook's cell,
    here ``python -c``) is named before any work."""
    import subprocess
    import sys

    if as_a_file:
        script = tmp_path / "run_after_a_kernel.py"
        script.write_text(_AFTER_A_KERNEL + "\n\nif __name__ == '__main__':\n    main()\n")
        command = [sys.executable, str(script)]
    else:
        command = [sys.executable, "-c", _AFTER_A_KERNEL + "\nmain()\n"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    if as_a_file:
        assert "still" in done.stdout and "refused" not in done.stdout, done.stdout
    else:
        refused = ("refused: trackers: the factory of 'still' (<class '__main__.ConvolvingStill'>) is defined in this "
                   "session's __main__ (a notebook's cell, python -c)")
        assert done.stdout.startswith(refused), done.stdout


class CountsNumbaThreads(StandStill):
    """Reports, as its box's width, how many threads Numba gives a kernel in the process it runs in."""

    def update(self, frame):
        import numba

        return True, (0.0, 0.0, float(numba.get_num_threads()), 1.0)


def test_each_worker_process_takes_its_share_of_numbas_threads(suite):
    """With jobs=2 each worker's kernels ran on every core, two processes' threads waiting on each other (siamese
    on 2 sequences: 26 s with --jobs 1, 35 s with --jobs 2, measured on a loaded machine)."""
    import numba

    evaluation = E.evaluate({"threads": CountsNumbaThreads}, suite[:2], jobs=2, progress=False)
    widths = {float(run.boxes[-1, 2]) for run in evaluation.runs.values()}
    assert widths == {float(max(1, numba.config.NUMBA_NUM_THREADS // 2))}


class ReportsItsBackend(StandStill):
    """Reports, as its box's width, the position in ``known_backends()`` of the backend active where it runs."""

    def update(self, frame):
        from minicnn import backend

        return True, (0.0, 0.0, float(backend.known_backends().index(backend.get_backend())), 1.0)


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_worker_processes_run_on_the_backend_chosen_in_this_one(suite, monkeypatch, start_method):
    """A worker started afresh (forkserver: after this process ran a Numba kernel) took the default backend, not
    the one set_backend chose: a tracker of yours built on minicnn's layers ran, and was timed, elsewhere."""
    import multiprocessing

    from minicnn import backend

    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {start_method} on this platform")
    monkeypatch.setattr(processes, "worker_start_method", lambda: start_method)
    with backend.use_backend("numpy"):
        evaluation = E.evaluate({"backend": ReportsItsBackend}, suite[:2], jobs=2, progress=False)
    widths = {float(run.boxes[-1, 2]) for run in evaluation.runs.values()}
    assert widths == {float(backend.known_backends().index("numpy"))}


def test_processes_are_not_forked_once_this_one_started_the_cuda_driver(monkeypatch):
    """numba-cuda refuses a child forked after cuInit ("CUDA initialized before forking"): a session that had used
    the cuda backend, but no Numba CPU kernel, forked its workers."""
    import multiprocessing
    import sys
    import types

    import numba

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")

    def no_threads_yet():
        raise ValueError("Threading layer is not initialized")

    monkeypatch.setattr(numba, "threading_layer", no_threads_yet)  # no Numba CPU kernel has run
    started = types.SimpleNamespace(driver=types.SimpleNamespace(pid=12345))
    monkeypatch.setitem(sys.modules, "numba.cuda.cudadrv.driver", started)
    assert processes.worker_start_method() in ("forkserver", "spawn")
    started.driver.pid = None  # the module imported, the driver not initialised
    assert processes.worker_start_method() == "fork"


def test_processes_are_not_forked_on_macos(monkeypatch):
    """Python starts processes afresh on macOS by default since 3.8: its system libraries (Accelerate, NumPy's BLAS
    there) may run threads a forked child cannot use. minicnn forked there all the same (portability audit)."""
    import multiprocessing
    import sys

    import numba

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")

    def no_threads_yet():
        raise ValueError("Threading layer is not initialized")

    monkeypatch.setattr(numba, "threading_layer", no_threads_yet)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert processes.worker_start_method() in ("forkserver", "spawn")
    monkeypatch.setattr(sys, "platform", "linux")
    assert processes.worker_start_method() == "fork"


class StopsItsProcess(StandStill):
    """Ends the process it runs in, as a tracker whose C library crashes does."""

    def update(self, frame):
        os._exit(3)


class StopsItsProcessOn(StandStill):
    """Ends the process it runs in on the sequence whose first frame has the mean brightness ``mean`` only, after
    the others have started."""

    def __init__(self, mean):
        self.mean = mean

    def init(self, frame, box):
        if frame.mean() == self.mean:
            os._exit(3)
        time.sleep(0.5)  # the first sequence still runs when the second stops its process
        return super().init(frame, box)


def test_a_worker_process_that_stops_is_named_with_what_to_do(suite):
    """BrokenProcessPool said only "A process in the process pool was terminated abruptly"; then it named the first
    task not finished, which need not be the one that stopped the process: every task that may have is named (the
    first sequence, when a worker starting from a fork server took it alone, may have finished first)."""
    second = float(suite[1][0].mean())
    assert float(suite[0][0].mean()) != second
    names = [sequence.name for sequence in suite[:3]]
    with pytest.raises(BrokenProcessPool,
                       match=rf"a worker process \(jobs > 1\) stopped abruptly, while one of these ran: (stops on "
                             rf"{names[0]}, )?stops on {names[1]}; anything it printed is above\. A script that "
                             rf"evaluates in processes needs its work under `if __name__ == \"__main__\":`"):
        E.evaluate({"stops": functools.partial(StopsItsProcessOn, second)}, suite[:3], jobs=2, progress=False)


class NeedsAnArgument(StandStill):
    def __init__(self, threshold):
        self.threshold = threshold


class FailsDeepInside(StandStill):
    """update → _search → _score → _features, which raises: the bug is in the innermost frame."""

    def update(self, frame):
        return self._search(frame)

    def _search(self, frame):
        return self._score(frame)

    def _score(self, frame):
        return self._features(frame)

    def _features(self, frame):
        raise ZeroDivisionError("the innermost line")


class ExitsTheProgram(StandStill):
    def update(self, frame):
        import sys

        sys.exit(3)


def test_a_tracker_of_yours_that_cannot_be_built_or_exits_fails_its_runs_and_the_others_go_on(tmp_path, suite):
    """A factory that raised (an __init__ needing an argument) stopped the whole evaluation in a traceback after the
    other trackers had run; sys.exit() in update ended it in silence; an instance given for a class failed late in
    "'StandStill' object is not callable"; and the saved traceback kept the outermost 3 frames, not the line that
    failed (trackers audit)."""
    evaluation = E.evaluate({"still": StandStill, "needs": NeedsAnArgument, "deep": FailsDeepInside,
                             "exits": ExitsTheProgram}, suite[:1], tmp_path, progress=False)
    name = suite[0].name
    assert evaluation.runs["still", name].failed_at is None
    needs = evaluation.runs["needs", name]
    assert needs.failed_at == 0 and needs.error.startswith("TypeError: ") and "could not be built" in needs.error
    deep = evaluation.runs["deep", name]
    assert deep.failed_at == 1 and "in _features" in deep.error and "the innermost line" in deep.error
    assert evaluation.runs["exits", name].error.startswith("SystemExit: 3")
    row = next(line for line in evaluation.table().splitlines() if line.startswith("needs "))
    assert row.split()[-2:] == ["n/a", "1"], row  # no frame timed: its FPS said "inf"
    with pytest.raises(TypeError, match=r"^trackers: 'mine': expected a class or function that makes a tracker, got "
                                        r"StandStill object: pass the class, not an instance"):
        E.evaluate({"mine": StandStill()}, suite[:1], tmp_path, progress=False)


class ForgetsToReturn(StandStill):
    def update(self, frame):
        self.box  # noqa: B018 - the return forgotten


class SwapsItsCorners(StandStill):
    def update(self, frame):
        x, y, w, h = self.box
        return True, (x, y, -w, h)  # x1 − x2 for the width


def test_an_answer_that_is_no_pair_is_named_and_a_box_of_no_area_is_warned_of(tmp_path, suite):
    """A forgotten return failed with "cannot unpack non-iterable NoneType object"; ok=True with a box of negative
    width scored as a tracker standing still, with full marks, and nothing said (trackers audit)."""
    with pytest.warns(UserWarning, match=r"^swapped on .*, frame 2: update answered ok with a box of no area, "
                                         r"\(.*\) \(x, y, w, h\); OTB's toolkit scores such a frame with the last box"):
        evaluation = E.evaluate({"forgets": ForgetsToReturn, "swapped": SwapsItsCorners}, suite[:1], tmp_path,
                                progress=False)
    forgets = evaluation.runs["forgets", suite[0].name]
    assert forgets.failed_at == 1 and forgets.error.startswith("TypeError: update returned None; expected a pair "
                                                               "(ok, box)")


class AnswersNoWidth(StandStill):
    def update(self, frame):
        x, y, w, h = self.box
        return True, (x, y, 0, h)


def test_a_box_of_width_zero_is_warned_of_once_per_run_however_many_frames_answer_it():
    """A width of exactly 0 is a box of no area as a negative one is (OTB's toolkit carries the last box forward);
    the warning is given at the first such frame only, not once for each of the eleven."""
    import warnings

    sequence = _moving_square("flat", 12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = E.track_sequence(AnswersNoWidth(), sequence, "thin")
    said = [str(w.message) for w in caught if "box of no area" in str(w.message)]
    assert len(said) == 1 and said[0].startswith("thin on flat, frame 2: update answered ok with a box of no area, "
                                                 "(5.0, 10.0, 0.0, 12.0) (x, y, w, h)"), said
    assert run.failed_at is None and np.all(run.boxes[1:, 2] == 0)


class AnswersThree(StandStill):
    def update(self, frame):
        return True, self.box, 1.0  # a score as a third value, as some trackers return


def test_an_answer_of_three_values_is_named_as_no_pair():
    """An update returning (ok, box, score) failed with Python's "too many values to unpack (expected 2)", which does
    not say what update must return."""
    run = E.track_sequence(AnswersThree(), _moving_square("three", 4), "three")
    assert run.failed_at == 1 and re.match(r"TypeError: update returned \(True, \(.*; expected a pair \(ok, box\): "
                                           r"ok True or False", run.error), run.error


def test_the_run_of_a_tracker_that_could_not_be_built_starts_from_the_first_box_and_has_no_speed(tmp_path, suite):
    """A tracker whose factory raised is recorded as one that failed in init: its first frame holds the first ground
    truth box, as every run's does, in the saved trajectory too; with no frame timed its speed is NaN, not "inf"
    (infinitely fast), in its repr and its .json."""
    evaluation = E.evaluate({"needs": NeedsAnArgument}, suite[:1], tmp_path, progress=False)
    run = evaluation.runs["needs", suite[0].name]
    np.testing.assert_array_equal(run.boxes[0], suite[0].ground_truth[0])
    assert np.isnan(run.boxes[1:]).all()
    boxes_path, _, info_path = E.result_paths(tmp_path, "needs", suite[0].name)
    assert boxes_path.read_text().splitlines()[0] == "6.0,11.0,12.0,12.0"  # 1-based x, y
    assert np.isnan(run.fps) and "nan fps" in repr(run) and "inf" not in repr(run)
    assert np.isnan(json.loads(info_path.read_text())["fps"])


class _CompilesOnFirstInit:
    """A built-in tracker's stand-in whose first ``init`` in the process takes ``compile_seconds`` longer, as our
    trackers' kernels compile on first use (under a lock, as Numba compiles: another thread's init waits for it);
    counts the trackers built and the frames tracked."""

    built = inits = 0
    compiled = False
    compile_seconds = 0.3
    compiling = threading.Lock()

    def __init__(self):
        type(self).built += 1

    def init(self, frame, box):
        type(self).inits += 1
        with self.compiling:
            if not type(self).compiled:
                time.sleep(self.compile_seconds)
                type(self).compiled = True
        self.box = tuple(box)

    def update(self, frame):
        return True, self.box


def test_a_built_in_trackers_first_use_in_a_process_is_not_timed(monkeypatch):
    """minicnn eval counted the compilation of our trackers' kernels (about 20 s on Numba's first run, the context
    and modules on cuda) in the first sequence's init time, so its FPS column depended on what had run before in
    the process. A built-in tracker now runs two frames untimed first, once per process; yours are not run twice."""
    from minicnn.track import trackers

    class Fake(_CompilesOnFirstInit):
        pass

    monkeypatch.setattr(E, "WARMED_UP", set())
    monkeypatch.setattr(trackers, "make_tracker", lambda name, backend="numba", weights=None: Fake())
    sequences = [_moving_square("a", n=4), _moving_square("b", n=4, seed=1)]
    evaluation = E.evaluate(["siamese"], sequences, progress=False)
    init_seconds = [evaluation.runs["siamese", name].frame_seconds[0] for name in ("a", "b")]
    assert max(init_seconds) < Fake.compile_seconds, init_seconds
    assert Fake.built == 3 and Fake.inits == 3  # one warm-up in this process, then one tracker per sequence

    class Yours(_CompilesOnFirstInit):
        pass

    evaluation = E.evaluate({"yours": Yours}, sequences, progress=False)
    assert evaluation.runs["yours", "a"].frame_seconds[0] >= Yours.compile_seconds  # its first init, timed
    assert Yours.built == 2 and Yours.inits == 2


def test_a_tracker_that_fails_in_its_warm_up_is_run_and_its_failure_kept(monkeypatch):
    from minicnn.track import trackers

    class Failing:
        def init(self, frame, box):
            raise RuntimeError("no kernels here")

    monkeypatch.setattr(E, "WARMED_UP", set())
    monkeypatch.setattr(trackers, "make_tracker", lambda name, backend="numba", weights=None: Failing())
    evaluation = E.evaluate(["siamese"], [_moving_square("a", n=3)], progress=False)
    run = evaluation.runs["siamese", "a"]
    assert run.failed_at == 0 and "no kernels here" in run.error


def test_tasks_in_threads_wait_for_the_warm_up_untimed(monkeypatch):
    """A Dask worker runs tasks in threads: the second task of a tracker saw it marked warm while the first was
    still warming it up, and waited for the compilation inside its timed init (4 s in the review's run)."""
    import threading

    from minicnn.track import trackers

    class Fake(_CompilesOnFirstInit):
        pass

    monkeypatch.setattr(E, "WARMED_UP", set())
    monkeypatch.setattr(trackers, "make_tracker", lambda name, backend="numba", weights=None: Fake())
    runs, start = {}, threading.Barrier(2)

    def task(name):
        start.wait()
        runs[name] = E._run_task("siamese", None, _moving_square(name, n=3), None)

    threads = [threading.Thread(target=task, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    init_seconds = {name: run.frame_seconds[0] for name, run in runs.items()}
    assert max(init_seconds.values()) < Fake.compile_seconds, init_seconds
    assert Fake.built == 3  # one warm-up for both


def test_the_progress_bar_counts_runs_of_a_tracker_on_a_sequence(suite, capsys):
    """Two trackers on two sequences: the bar said "sequences: 4/4" under a header of 2 sequences (found in review);
    it counts runs."""
    E.evaluate({"still": StandStill, "again": StandStill}, suite, progress=True)
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "runs: 4/4" in shown and "sequences: 4/4" not in shown, shown


@pytest.mark.parametrize("text", ['{"made_by": "minicnn siamf', '["made_by"]', '{"made_by": 3}'])
def test_a_record_that_cannot_be_read_names_no_maker(tmp_path, text):
    """A ``.json`` cut short, a JSON list or a number as ``made_by`` is "no record", not an error at resume before
    any work (mutation round: no test failed where it was changed)."""
    info = E.result_paths(tmp_path, "siamfc", "Walker")[2]
    info.parent.mkdir(parents=True, exist_ok=True)
    info.write_text(text)
    assert E.recorded_made_by(tmp_path, "siamfc", "Walker") is None
