"""Tracking metrics against cases worked out by hand, and the toolkits' conventions stated in metrics.py."""

import numpy as np
import pytest

from minicnn.track import metrics as M


def _track(n, box=(10.0, 20.0, 10.0, 10.0)):
    return np.tile(np.array(box, dtype=np.float64), (n, 1))


def test_ground_truth_against_itself_gives_the_known_ceiling_of_20_over_21():
    gt = _track(5)
    score = M.ope_score(gt, gt)
    # IoU = 1 everywhere: 1 > τ for the twenty thresholds below 1, but not 1 > 1.
    np.testing.assert_array_equal(score.success, [1.0] * 20 + [0.0])
    assert score.auc == pytest.approx(20 / 21)
    np.testing.assert_array_equal(score.precision, np.ones(51))
    assert score.precision_20 == 1.0
    assert score.normalized_precision_score == 1.0


def test_constant_offset_by_hand():
    gt = _track(4)
    result = gt + [5.0, 0.0, 0.0, 0.0]
    overlaps, errors, normalized = M.otb_frame_errors(result, gt)
    # Frame 1 is replaced by the ground truth; after it, 10×10 boxes shifted by 5: intersection 50, union 150.
    np.testing.assert_allclose(overlaps, [1.0, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(errors, [0.0, 5.0, 5.0, 5.0])
    np.testing.assert_allclose(normalized, [0.0, 0.5, 0.5, 0.5])
    score = M.ope_score(result, gt)
    # τ = 0 … 0.30 (7 thresholds): all 4 frames; τ = 0.35 … 0.95 (13): only frame 1; τ = 1: none.
    expected_success = np.array([1.0] * 7 + [0.25] * 13 + [0.0])
    np.testing.assert_allclose(score.success, expected_success)
    assert score.auc == pytest.approx((7 + 13 * 0.25) / 21)
    np.testing.assert_allclose(score.precision[:5], 0.25)
    np.testing.assert_allclose(score.precision[5:], 1.0)
    assert score.precision_20 == 1.0


def test_empty_overlap_succeeds_at_no_threshold_not_even_zero():
    gt = _track(3)
    result = gt + [100.0, 100.0, 0.0, 0.0]
    score = M.ope_score(result, gt)
    # Only frame 1 (given) succeeds: IoU 0 is not > 0.
    np.testing.assert_allclose(score.success, [1 / 3] * 20 + [0.0])
    assert score.precision_20 == pytest.approx(1 / 3)


def test_invalid_results_are_replaced_by_the_previous_frames_box():
    gt = _track(4)
    result = gt.copy()
    result[1] += [5.0, 0.0, 0.0, 0.0]
    result[2] = np.nan
    result[3] = [0.0, 0.0, 0.0, 10.0]  # zero width
    overlaps, _, _ = M.otb_frame_errors(result, gt)
    np.testing.assert_allclose(overlaps, [1.0, 1 / 3, 1 / 3, 1 / 3])


def test_frames_without_valid_ground_truth_follow_otb_fail_for_success_pass_for_precision():
    gt = _track(4)
    gt[2] = np.nan
    gt[3] = [-1.0, 20.0, 10.0, 10.0]  # x = 0 in OTB's 1-based terms: not > 0, so not valid
    result = _track(4) + [100.0, 0.0, 0.0, 0.0]
    overlaps, errors, _ = M.otb_frame_errors(result, gt)
    np.testing.assert_allclose(overlaps, [1.0, 0.0, -1.0, -1.0])
    np.testing.assert_allclose(errors, [0.0, 100.0, -1.0, -1.0])
    score = M.ope_score(result, gt)
    assert score.success[0] == pytest.approx(1 / 4)  # invalid frames stay in the denominator as failures
    assert score.precision[0] == pytest.approx(3 / 4)  # ... but −1 ≤ 0 counts them as hits


def test_success_uses_strictly_greater_and_precision_less_or_equal():
    np.testing.assert_allclose(M.success_curve([0.5, 0.5], [0.5]), [0.0])
    np.testing.assert_allclose(M.precision_curve([20.0, 21.0], [20.0]), [0.5])


def test_suite_mean_weighs_each_sequence_equally_and_attributes_select():
    gt_long, gt_short = _track(10), _track(2)
    perfect = M.ope_score(gt_long, gt_long)
    lost = M.ope_score(gt_short + [100.0, 0.0, 0.0, 0.0], gt_short)
    suite = M.mean_score([perfect, lost])
    np.testing.assert_allclose(suite.success, (perfect.success + lost.success) / 2)
    per_tag = M.by_attribute([perfect, lost], [("FM",), ("FM", "OCC")])
    assert per_tag["OCC"][1] == 1 and per_tag["OCC"][0].auc == pytest.approx(lost.auc)
    assert per_tag["FM"][1] == 2 and per_tag["FM"][0].auc == pytest.approx(suite.auc)


def test_got10k_skips_the_first_frame_and_invisible_frames_and_pools_frames():
    gt = _track(4)
    result = gt.copy()
    result[0] += [100.0, 0.0, 0.0, 0.0]  # skipped: the tracker was given frame 1
    result[1] += [5.0, 0.0, 0.0, 0.0]  # IoU 1/3
    result[3] = np.nan  # scores 0
    visible = np.array([True, True, False, True])
    overlaps = M.got10k_overlaps(result, gt, visible)
    np.testing.assert_allclose(overlaps, [1 / 3, 0.0])
    second = M.got10k_overlaps(_track(3), _track(3))
    score = M.got10k_score([overlaps, second])
    assert score.ao == pytest.approx((1 / 3 + 0 + 1 + 1) / 4)
    assert score.sr50 == pytest.approx(2 / 4)
    assert score.sr75 == pytest.approx(2 / 4)


def test_got10k_bounds_boxes_as_the_toolkit_does_moving_before_cropping():
    """The toolkit's ``rect_iou(..., bound=(W, H))``: ``x ← clip(x, 0, W)``, then ``w ← clip(w, 0, W − x)``. A box
    starting 20 px left of a 120×100 image moves to x = 0 and keeps its width: IoU 2/3 with this ground truth,
    where the unbounded boxes give 1/4 and the part inside the image (what minicnn used to score) 1/3."""
    gt = np.array([[0.0, 0.0, 20.0, 20.0], [10.0, 10.0, 20.0, 20.0]])
    result = np.array([[0.0, 0.0, 20.0, 20.0], [-10.0, 10.0, 30.0, 20.0]])
    assert M.got10k_overlaps(result, gt)[0] == pytest.approx(1 / 4)
    assert M.got10k_overlaps(result, gt, frame_shape=(100, 120, 3))[0] == pytest.approx(2 / 3)
    np.testing.assert_array_equal(M.bound_to_image([[-10.0, 10.0, 30.0, 20.0], [110.0, 95.0, 30.0, 20.0],
                                                    [130.0, -5.0, 10.0, 10.0]], (100, 120, 3)),
                                  [[0.0, 10.0, 30.0, 20.0], [110.0, 95.0, 10.0, 5.0], [120.0, 0.0, 0.0, 10.0]])


def test_mismatched_lengths_name_the_argument():
    with pytest.raises(ValueError, match="boxes: expected one box per ground-truth frame"):
        M.ope_score(_track(3), _track(4))


def test_a_crashed_tracker_scores_zero_from_the_crash_on():
    gt = _track(4)
    result = gt.copy()
    result[2:] = np.nan
    overlaps, errors, _ = M.otb_frame_errors(result, gt, failed_from=2)
    np.testing.assert_allclose(overlaps, [1.0, 1.0, 0.0, 0.0])
    assert np.isinf(errors[2:]).all()
    carried, _, _ = M.otb_frame_errors(result, gt)  # the toolkit's rule alone would carry frame 2's box forward
    np.testing.assert_allclose(carried, [1.0, 1.0, 1.0, 1.0])


def test_the_carry_forward_follows_matlabs_if_on_a_vector():
    """OTB's ``if (isnan(r) | r(3)<=0 | r(4)<=0) & (~isnan(r_anno))`` is true only when all four entries are, and
    runs before the first frame is set to the ground truth: transcribed by hand for three cases."""
    gt = _track(4)
    given = gt[0] + [3.0, 0.0, 0.0, 0.0]  # the tracker's own first box, which frame 1's ground truth replaces
    # a result NaN on a frame annotated NaN stays NaN, and carries NaN into the next (annotated) frame
    gap = gt.copy()
    gap[1] = np.nan
    written_nan = np.isnan(gap).any(axis=1)
    overlaps, errors, _ = M.otb_frame_errors([gt[0], [np.nan] * 4, [np.nan] * 4, gt[3]], gap, None, written_nan)
    np.testing.assert_allclose(overlaps, [1.0, -1.0, np.nan, 1.0])
    np.testing.assert_allclose(errors, [0.0, -1.0, np.nan, 0.0])
    assert M.ope_score([gt[0], [np.nan] * 4, [np.nan] * 4, gt[3]], gap, None, written_nan).success[0] == \
        pytest.approx(2 / 4)
    # a result only partly NaN is kept, and fails
    partly = [gt[0], [10.0, np.nan, 10.0, 10.0], gt[2], gt[3]]
    np.testing.assert_allclose(M.otb_frame_errors(partly, gt)[0], [1.0, np.nan, 1.0, 1.0])
    # frame 2 carries forward the tracker's own first box, not the ground truth that replaces it
    overlaps, errors, _ = M.otb_frame_errors([given, [np.nan] * 4, gt[2], gt[3]], gt)
    np.testing.assert_allclose(overlaps, [1.0, 70 / 130, 1.0, 1.0])
    np.testing.assert_allclose(errors, [0.0, 3.0, 0.0, 0.0])


def test_normalized_precision_is_the_curve_at_a_fifth_of_the_box_as_the_toolkits_report_it():
    """A constant offset of a tenth of the box: every frame within 0.20 box sizes, so P_norm = 1 as the LaSOT
    toolkit and pysot report it (the curve's mean, which minicnn used to report, is 0.853 here)."""
    gt = _track(4)
    score = M.ope_score(gt + [1.0, 0.0, 0.0, 0.0], gt)
    assert M.NORMALIZED_THRESHOLDS[20] == pytest.approx(0.2)
    np.testing.assert_allclose(score.normalized_precision, [1 / 4] * 10 + [1.0] * 41)
    assert score.normalized_precision_score == 1.0
    assert score.normalized_precision_auc == pytest.approx((10 / 4 + 41) / 51)  # the other convention, by name


# ---- Cases that pin each convention to one number (10×10 ground truth at (10, 20) unless said otherwise) ----


def test_centre_error_uses_the_centre_of_boxes_of_any_size():
    """OTB's centre is x + (w − 1) / 2. A box twice as wide as the ground truth must be measured from its own centre:
    getting the half-size wrong only shows when the two boxes differ in size."""
    gt = _track(3)
    _, errors, _ = M.otb_frame_errors([gt[0], [12.0, 20.0, 20.0, 10.0], gt[2]], gt)
    # centres: ground truth 10 + 9/2 = 14.5, the wide box 12 + 19/2 = 21.5 → 7 px (y centres agree at 24.5).
    np.testing.assert_allclose(errors, [0.0, 7.0, 0.0])


def test_a_result_of_zero_height_is_replaced_by_the_previous_box():
    """A box with h = 0 is no answer, as one with w = 0 is: it takes the previous frame's box (IoU 1/3 here), where
    scoring it as given would drop the frame to IoU 0."""
    gt = _track(3)
    overlaps, _, _ = M.otb_frame_errors([gt[0], gt[1] + [5.0, 0.0, 0.0, 0.0], [10.0, 20.0, 10.0, 0.0]], gt)
    # frame 2 is 5 px off: intersection 50, union 150; frame 3 repeats it.
    np.testing.assert_allclose(overlaps, [1.0, 1 / 3, 1 / 3])


def test_a_partly_nan_annotation_stops_the_carry_forward():
    """OTB carries a box forward only where the annotation has no NaN at all (``~isnan(r_anno)`` on a vector): a
    frame whose annotation is partly NaN keeps the tracker's NaN, and so does the next frame that copies it."""
    gt = _track(4)
    gt[2] = [10.0, np.nan, 10.0, 10.0]
    overlaps, _, _ = M.otb_frame_errors([gt[0], gt[1], [np.nan] * 4, [np.nan] * 4], gt, None,
                                        np.isnan(gt).any(axis=1))
    # frame 3: no valid annotation → −1 (carrying frame 2's box would not change that);
    # frame 4: copies frame 3's NaN → NaN (carrying frame 2's box forward would score 1).
    assert overlaps[2] == -1.0 and np.isnan(overlaps[3])


def test_frames_without_valid_ground_truth_get_minus_one_in_the_normalized_error_too():
    """Like the pixel error, the normalised error is −1 on frames with no valid annotation, so precision counts them
    as hits (OTB's convention); +∞ there would fail them and lower P_norm."""
    gt = _track(4)
    gt[2] = np.nan
    gt[3] = [-1.0, 20.0, 10.0, 10.0]  # x = 0 in OTB's 1-based terms: not valid
    result = _track(4) + [100.0, 0.0, 0.0, 0.0]
    _, _, normalized = M.otb_frame_errors(result, gt)
    np.testing.assert_allclose(normalized, [0.0, 10.0, -1.0, -1.0])  # 100 px / 10 px wide = 10 widths
    assert M.ope_score(result, gt).normalized_precision[0] == pytest.approx(3 / 4)  # frames 1, 3 and 4 are ≤ 0


def test_the_normalized_error_divides_x_by_the_width_and_y_by_the_height():
    """On a 20 wide × 10 high box, 2 px to the right is a tenth of the width; dividing by the height instead would
    report a fifth, and fail the frame at the 0.2 threshold sooner."""
    gt = _track(3, (10.0, 20.0, 20.0, 10.0))
    _, _, normalized = M.otb_frame_errors(gt + [2.0, 0.0, 0.0, 0.0], gt)
    np.testing.assert_allclose(normalized, [0.0, 0.1, 0.1])  # 2 / 20


def test_the_normalized_error_is_in_units_of_the_ground_truths_box_not_the_trackers():
    """LaSOT's normalised precision divides the centre offset by the ground truth's width and height; every other
    test gave the tracker a box of the truth's size, so dividing by the tracker's own went unseen (mutation round):
    a tracker answering huge boxes would have shrunk its own error."""
    truth = np.array([[10.0, 10.0, 20.0, 40.0]] * 2)
    boxes = np.array([[10.0, 10.0, 20.0, 40.0], [14.0, 10.0, 40.0, 40.0]])  # centre 4 + (40 − 20)/2 = 14 px right
    _, errors, normalized = M.otb_frame_errors(boxes, truth)
    assert errors[1] == 14.0 and normalized[1] == pytest.approx(14.0 / 20.0)  # 0.35 divided by the tracker's 40


def test_centre_errors_are_euclidean_distances():
    """A shift of (3, 4) is 5 px away (and half a 10-px box), not 7 as the sum of the two offsets would say."""
    gt = _track(3)
    result = gt + [3.0, 4.0, 0.0, 0.0]
    _, errors, normalized = M.otb_frame_errors(result, gt)
    np.testing.assert_allclose(errors, [0.0, 5.0, 5.0])  # √(3² + 4²)
    np.testing.assert_allclose(normalized, [0.0, 0.5, 0.5])  # √(0.3² + 0.4²)
    assert M.ope_score(result, gt).precision[5] == 1.0  # all within 5 px (7 px would fail frames 2 and 3)


def test_a_crash_in_init_keeps_the_first_frame_as_given():
    """Frame 1 is the box the tracker was handed, so it scores 1 even when ``init`` itself crashed
    (``failed_from=0``); the frames after it fail."""
    gt = _track(3)
    overlaps, _, _ = M.otb_frame_errors(np.vstack([gt[0], np.full((2, 4), np.nan)]), gt, failed_from=0)
    np.testing.assert_allclose(overlaps, [1.0, 0.0, 0.0])


def test_after_a_crash_unannotated_frames_stay_minus_one_and_the_normalized_error_fails():
    """A crash fails the frames after it that have a ground-truth box (IoU 0, errors +∞ in pixels *and* in box
    sizes); a frame with no annotation keeps OTB's −1, a hit for precision, as it would without the crash."""
    gt = _track(4)
    gt[3] = np.nan
    result = gt.copy()
    result[2:] = np.nan
    overlaps, errors, normalized = M.otb_frame_errors(result, gt, failed_from=2)
    np.testing.assert_allclose(overlaps, [1.0, 1.0, 0.0, -1.0])
    assert errors[3] == -1.0 and np.isinf(normalized[2]) and normalized[3] == -1.0
    assert M.ope_score(result, gt, failed_from=2).precision[0] == pytest.approx(3 / 4)  # frames 1, 2 and 4
    crashed = np.vstack([_track(2), np.full((2, 4), np.nan)])
    assert M.ope_score(crashed, _track(4), failed_from=2).normalized_precision_score == 0.5  # frames 1 and 2 of 4


def test_precision_at_20_reads_the_curve_at_exactly_20_pixels():
    """P@20 counts errors ≤ 20 px: 20 px passes and 21 px fails (reading the 19 or 21 px point would flip one)."""
    gt = _track(3)
    assert M.ope_score(gt + [20.0, 0.0, 0.0, 0.0], gt).precision_20 == 1.0
    assert M.ope_score(gt + [21.0, 0.0, 0.0, 0.0], gt).precision_20 == pytest.approx(1 / 3)  # frame 1 alone


def test_normalized_precision_reads_the_curve_at_exactly_a_fifth_of_the_box():
    """P_norm counts normalised errors ≤ 0.20: on a 10-px box 1.95 px (0.195) passes and 2.05 px (0.205) fails,
    which the 0.21 or 0.10 point of the curve would get wrong."""
    gt = _track(3)
    assert M.ope_score(gt + [1.95, 0.0, 0.0, 0.0], gt).normalized_precision_score == 1.0
    assert M.ope_score(gt + [2.05, 0.0, 0.0, 0.0], gt).normalized_precision_score == pytest.approx(1 / 3)


def test_the_suite_curves_are_the_mean_of_every_sequences_curves():
    """Success, precision and normalised precision of a suite all average the three sequences: a median, or the
    first sequence's curve alone, would hide the lost sequence."""
    gt = _track(3)
    exact = M.ope_score(gt, gt)  # success[0] 1, P@20 1, P_norm 1
    lost = M.ope_score(gt + [100.0, 0.0, 0.0, 0.0], gt)  # frame 1 only: 1/3, 1/3, 1/3
    near = M.ope_score(gt + [2.05, 0.0, 0.0, 0.0], gt)  # IoU > 0, within 20 px, but 0.205 > 0.2: 1, 1, 1/3
    suite = M.mean_score([exact, lost, near])
    assert suite.success[0] == pytest.approx((1 + 1 / 3 + 1) / 3)  # 7/9; the median would be 1
    assert suite.precision_20 == pytest.approx((1 + 1 / 3 + 1) / 3)  # 7/9
    assert suite.normalized_precision_score == pytest.approx((1 + 1 / 3 + 1 / 3) / 3)  # 5/9


def test_got10k_success_rates_are_strictly_greater_and_the_curve_has_101_points():
    """SR0.5 and SR0.75 count overlaps *above* the threshold, as the toolkit does: an overlap of exactly 0.5 or
    0.75 does not count. The success curve is sampled at 0, 0.01, ..., 1 (101 points), so point 50 is SR0.5."""
    overlaps = M.iou([0.0, 0.0, 10.0, 10.0], [[0.0, 0.0, 10.0, 5.0], [0.0, 0.0, 10.0, 7.5]])
    np.testing.assert_allclose(overlaps, [0.5, 0.75])  # 50 / 100 and 75 / 100
    score = M.GOT10kScore(overlaps)
    assert score.sr50 == 0.5 and score.sr75 == 0.0  # only 0.75 > 0.5; nothing > 0.75
    assert len(score.success) == 101 and score.success[50] == score.sr50


def test_got10k_bounds_the_ground_truth_to_the_image_as_well_as_the_result():
    """The toolkit bounds both boxes by the frame size: a tracker answering exactly the ground truth that crosses
    the left edge scores 1, where bounding the result alone would score it 0.5."""
    gt = np.array([[-10.0, 10.0, 30.0, 20.0]] * 2)
    # both become (0, 10, 30, 20); only the result would give 20·20 / (600 + 600 − 400) = 0.5
    assert M.got10k_overlaps(gt.copy(), gt, frame_shape=(100, 120, 3))[0] == 1.0


def test_got10k_without_cover_skips_ground_truth_that_is_partly_nan():
    """Without ``cover``, a frame is visible when all four numbers of its box are finite; a box with one NaN is no
    box, and scoring it would add a frame the toolkit leaves out."""
    gt = _track(3)
    gt[2, 1] = np.nan
    assert len(M.got10k_overlaps(_track(3), gt)) == 1  # frame 1 is never scored; frame 3 is not visible


def test_a_lost_tracker_is_carried_across_a_frame_annotated_0000_but_not_across_one_annotated_nan(tmp_path):
    """OTB writes a frame without annotation as 0,0,0,0, which MATLAB's ``~isnan(r_anno)`` does not stop: the
    tracker's last box is carried across it. minicnn read 0,0,0,0 as NaN and stopped there, so a tracker lost from
    frame 3 of 6 scored AUC 0.3175 and P@20 0.5 where the toolkit gives 0.7937 (100/126) and 1.0; a file that
    writes NaN (UAV123's convention) does stop it, with those lower numbers."""
    import imageio.v3 as iio

    from minicnn.track.evaluate import evaluate
    from minicnn.track.sequences import read_otb

    def sequence_with_frame_3_written(text):
        folder = tmp_path / text.replace(",", "_")
        (folder / "img").mkdir(parents=True)
        for i in range(1, 7):
            iio.imwrite(folder / "img" / f"{i:04d}.png", np.zeros((60, 80, 3), np.uint8))
        rows = ["11,21,30,20"] * 6
        rows[2] = text
        (folder / "groundtruth_rect.txt").write_text("\n".join(rows) + "\n")
        return read_otb(folder)

    class LostFromFrame3:
        def init(self, frame, box):
            self.box, self.frame = box, 1

        def update(self, frame):
            self.frame += 1
            return self.frame < 3, self.box

    for written, auc, precision in (("0,0,0,0", 100 / 126, 1.0), ("NaN,NaN,NaN,NaN", 40 / 126, 0.5)):
        sequence = sequence_with_frame_3_written(written)
        assert np.isnan(sequence.ground_truth[2]).all()
        score = evaluate({"lost": LostFromFrame3}, [sequence], progress=False).score("lost")
        assert score.auc == pytest.approx(auc) and score.precision_20 == pytest.approx(precision), written
    lost_from_3 = np.array([[10.0, 20.0, 30.0, 20.0]] * 2 + [[np.nan] * 4] * 4)
    in_memory = M.ope_score(lost_from_3, sequence.ground_truth)  # a NaN row is written 0,0,0,0 (write_otb)
    assert in_memory.auc == pytest.approx(100 / 126)


def test_thresholds_are_the_toolkits_floats_so_an_iou_of_exactly_0_65_counts_as_otb_counts_it():
    """np.linspace(0, 1, 21) gave 0.65 where MATLAB's 0:0.05:1 gives 1 − 7·0.05 = 0.6499999999999999, so a frame of
    IoU exactly 0.65 (a 13×10 box inside a 20×10 ground truth: 130/200) failed at τ = 0.65 in minicnn and succeeded
    in the OTB toolkit (found in review); LaSOT's (0:50)/100 differed from linspace at 0.35, 0.41 and 0.47."""
    assert M.OVERLAP_THRESHOLDS[13] == 1 - 7 * 0.05 == 0.6499999999999999
    assert M.OVERLAP_THRESHOLDS[:11].tolist() == [k * 0.05 for k in range(10)] + [0.5]
    assert M.OVERLAP_THRESHOLDS[-1] == 1.0 and len(M.OVERLAP_THRESHOLDS) == 21
    assert M.NORMALIZED_THRESHOLDS.tolist() == [k / 100 for k in range(51)]
    assert M.matlab_colon(0, 1, 5).tolist() == [0, 1, 2, 3, 4, 5]  # an odd count: no middle element
    np.testing.assert_allclose(M.matlab_colon(0, 0.3, 1), [0, 0.3, 0.6, 0.9], rtol=0, atol=1e-15)  # not to 1
    assert M.matlab_colon(1, 1, 0).size == 0
    with pytest.raises(ValueError, match=r"^step: expected a number > 0, got 0$"):
        M.matlab_colon(0, 0, 1)
    gt, box = np.array([[0.0, 0.0, 20.0, 10.0]] * 2), np.array([[0.0, 0.0, 20.0, 10.0], [0.0, 0.0, 13.0, 10.0]])
    success = M.ope_score(box, gt).success
    assert success[13] == 1.0 and success[14] == 0.5  # frame 2 (IoU 0.65) counts at 0.6499…, not at 0.7


def test_matlab_colon_beyond_the_otb_thresholds():
    """MATLAB's ``a:step:b`` for other steps than OTB's: one value, the last at b, the middle from both ends
    (mutation round: no test failed where it was changed)."""
    assert M.matlab_colon(2, 1, 2).tolist() == [2.0]
    assert M.matlab_colon(0, 0.1, 0.3).tolist()[-1] == 0.3 and len(M.matlab_colon(0, 0.1, 0.3)) == 4
    values = M.matlab_colon(0, 0.1, 0.6)
    assert len(values) == 7 and values[3] == 0.3 and values[-1] == 0.6
    assert len(M.matlab_colon(0, 0.6, 1)) == 2
