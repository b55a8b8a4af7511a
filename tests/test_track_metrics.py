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
    # a result NaN on a frame without annotation stays NaN, and carries NaN into the next (annotated) frame
    gap = gt.copy()
    gap[1] = np.nan
    overlaps, errors, _ = M.otb_frame_errors([gt[0], [np.nan] * 4, [np.nan] * 4, gt[3]], gap)
    np.testing.assert_allclose(overlaps, [1.0, -1.0, np.nan, 1.0])
    np.testing.assert_allclose(errors, [0.0, -1.0, np.nan, 0.0])
    assert M.ope_score([gt[0], [np.nan] * 4, [np.nan] * 4, gt[3]], gap).success[0] == pytest.approx(2 / 4)
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
