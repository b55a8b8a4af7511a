"""Box arithmetic: worked examples, OTB conversion, crops."""

import numpy as np
import pytest

from minicnn.track import boxes as B


def test_iou_by_hand_and_vectorised():
    a = [0.0, 0.0, 10.0, 10.0]
    others = [[5.0, 0.0, 10.0, 10.0], [5.0, 5.0, 10.0, 10.0], [20.0, 0.0, 5.0, 5.0], [0.0, 0.0, 10.0, 10.0]]
    np.testing.assert_allclose(B.iou(a, others), [50 / 150, 25 / 175, 0.0, 1.0])
    np.testing.assert_allclose(B.iou(others, a), B.iou(a, others))  # symmetric
    assert B.iou([0, 0, 0, 0], [0, 0, 0, 0])[0] == 0.0
    assert np.isnan(B.iou([np.nan] * 4, a)[0])


def test_iou_matches_otb_calc_rect_int_on_integer_rectangles():
    # OTB: right = left + w − 1, overlap side = min(right) − max(left) + 1, on 1-based pixels.
    rng = np.random.default_rng(0)
    a = rng.integers(1, 30, (200, 4)).astype(float)
    b = rng.integers(1, 30, (200, 4)).astype(float)
    side = lambda i: np.clip(np.minimum(a[:, i] + a[:, i + 2] - 1, b[:, i] + b[:, i + 2] - 1)
                             - np.maximum(a[:, i], b[:, i]) + 1, 0, None)
    inter = side(0) * side(1)
    otb = inter / (a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter)
    np.testing.assert_allclose(B.iou(B.from_otb(a), B.from_otb(b)), otb)


def test_center_error_and_centers():
    np.testing.assert_allclose(B.centers([2.0, 4.0, 6.0, 8.0]), [[5.0, 8.0]])
    np.testing.assert_allclose(B.center_error([0, 0, 10, 10], [[3, 4, 10, 10], [0, 0, 20, 20]]), [5.0, np.hypot(5, 5)])


def test_otb_conversion_round_trips_and_marks_unannotated_frames():
    rects = np.array([[1, 1, 10, 20], [0, 0, 0, 0], [15, 7, 3, 4]])
    boxes = B.from_otb(rects)
    np.testing.assert_array_equal(boxes[0], [0, 0, 10, 20])
    assert np.all(np.isnan(boxes[1]))
    np.testing.assert_array_equal(B.to_otb(boxes), rects)


def test_clip_boxes_keeps_the_visible_part():
    clipped = B.clip_boxes([[-5.0, 2.0, 10.0, 10.0], [95.0, 45.0, 10.0, 10.0], [200.0, 0.0, 5.0, 5.0]], (50, 100, 3))
    np.testing.assert_allclose(clipped, [[0, 2, 5, 10], [95, 45, 5, 5], [100, 0, 0, 5]])


def test_box_problems_are_reported_per_frame():
    problems = B.box_problems([[0, 0, 5, 5], [0, 0, -1, 5], [np.nan] * 4, [500, 0, 5, 5], [0, np.inf, 1, 1]], (50, 100))
    assert len(problems) == 3
    assert problems[0].startswith("frame 2:") and "non-positive width" in problems[0]
    assert problems[1].startswith("frame 4:") and "outside the 100×50 image" in problems[1]
    assert problems[2].startswith("frame 5:") and "NaN or infinite" in problems[2]
    # frames numbered from first_frame, as read_otb passes it for a video whose ground truth starts later (numbered
    # from 1 whatever first_frame, a bad box's warning named the wrong frame; mutation round)
    problems = B.box_problems([[0, 0, 10, 10], [0, 0, -1, 10]], first_frame=5)
    assert len(problems) == 1 and problems[0].startswith("frame 6:")


def test_crop_of_the_whole_image_at_its_own_size_is_the_image():
    image = np.random.default_rng(1).integers(0, 256, (7, 9, 3)).astype(np.uint8)
    np.testing.assert_allclose(B.resize(image, (7, 9)), image)


def test_crop_samples_bilinearly_and_pads_with_the_mean_colour():
    image = np.arange(16, dtype=np.float64).reshape(4, 4)
    # A 2×2 box starting at (1, 1), resampled to 1×1: the centre of the box, (x, y) = (2, 2) in box coordinates,
    # sits between pixels (1,1),(1,2),(2,1),(2,2): their mean.
    crop = B.crop_and_resize(image, [1.0, 1.0, 2.0, 2.0], (1, 1))
    assert crop[0, 0, 0] == pytest.approx(np.mean([5, 6, 9, 10]))
    outside = B.crop_and_resize(image, [-10.0, -10.0, 4.0, 4.0], (2, 2))
    np.testing.assert_allclose(outside, image.mean())
    # a sample half a pixel past the bottom or right edge is half image, half fill (the bilinear weight of the row
    # or column beyond is not dropped; mutation round)
    flat = np.full((6, 8), 100.0, dtype=np.float32)
    np.testing.assert_allclose(B.crop_and_resize(flat, (0.0, 5.5, 8.0, 1.0), (1, 8), fill=0.0)[0], 50.0)
    np.testing.assert_allclose(B.crop_and_resize(flat, (7.5, 0.0, 1.0, 6.0), (6, 1), fill=0.0)[0], 50.0)
    several = B.crop_and_resize(np.dstack([image] * 3), [[0, 0, 4, 4], [0, 0, 2, 2]], (4, 4))
    assert several.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(several[0, :, :, 1], image)


def test_context_box_is_siamfc_square():
    box = B.context_box([10.0, 10.0, 20.0, 10.0], context=0.5)
    side = np.sqrt((20 + 15) * (10 + 15))
    np.testing.assert_allclose(box, [[20 - side / 2, 15 - side / 2, side, side]])


def test_bad_shapes_name_the_argument():
    with pytest.raises(ValueError, match="boxes_a: expected boxes"):
        B.iou([1, 2, 3], [1, 2, 3, 4])
    with pytest.raises(ValueError, match="size: expected positive"):
        B.crop_and_resize(np.zeros((4, 4)), [0, 0, 2, 2], (0, 3))


# ---- Edge cases of the conversions and checks, one number each ----


def test_from_otb_marks_only_all_zero_rows_as_unannotated():
    """OTB's marker for "no annotation" is ``0,0,0,0``; a real box at x = 0 (1-based, the left column) is a box, and
    must not be thrown away as missing."""
    np.testing.assert_allclose(B.from_otb([[0.0, 5.0, 10.0, 10.0]]), [[-1.0, 4.0, 10.0, 10.0]])  # x − 1, y − 1


def test_to_otb_rounds_to_the_nearest_pixel_and_writes_zeros_for_any_non_finite_box():
    """Rectangles are rounded, not floored (flooring moves every box up and left); and a box with any NaN or
    infinite number becomes OTB's ``0,0,0,0`` rather than a garbage integer."""
    # (0.6 + 1, 0.4 + 1, 10.4, 9.6) → (1.6, 1.4, 10.4, 9.6) → nearest (2, 1, 10, 10); flooring gives (1, 1, 10, 9).
    np.testing.assert_array_equal(B.to_otb([[0.6, 0.4, 10.4, 9.6]]), [[2, 1, 10, 10]])
    np.testing.assert_array_equal(B.to_otb([[1.0, np.nan, 3.0, 4.0], [np.inf, 1.0, 1.0, 1.0]]), [[0] * 4, [0] * 4])


def test_clip_boxes_cuts_a_box_at_the_top_edge():
    """A box starting 5 px above the image keeps only its lower 5 rows: y = 0, h = 5 (not its full 10)."""
    np.testing.assert_allclose(B.clip_boxes([[2.0, -5.0, 10.0, 10.0]], (50, 100)), [[2.0, 0.0, 10.0, 5.0]])


def test_boxes_just_touching_the_image_from_outside_are_reported():
    """In a 100 wide × 50 high image, a box starting at x = 100, ending at x = 0, or starting at y = 60 has no
    pixel inside: each is a complaint (the last one is inside the width, so it must be checked against the
    height)."""
    for box in ([100.0, 0.0, 5.0, 5.0], [-5.0, 0.0, 5.0, 5.0], [0.0, 60.0, 5.0, 5.0]):
        problems = B.box_problems([box], (50, 100))
        assert len(problems) == 1 and "lies wholly outside the 100×50 image" in problems[0], box


def test_a_box_of_zero_width_is_reported():
    """Width 0 is as wrong as a negative one: it has no pixel to track."""
    problems = B.box_problems([[0.0, 0.0, 0.0, 5.0]])
    assert len(problems) == 1 and "non-positive width or height" in problems[0]


def test_context_box_scales_the_side():
    """``scale`` multiplies the square's side: a 10×10 box with context 0.5 pads by 10 to a 20-px square, and
    scale 2 makes it 40 px (SiamFC's search region is such a scaled exemplar region)."""
    box = B.context_box([0.0, 0.0, 10.0, 10.0], 0.5, scale=2.0)
    # p = 0.5 · (10 + 10) = 10; side = 2 · √(20 · 20) = 40, centred on (5, 5).
    np.testing.assert_allclose(box, [[5.0 - 20.0, 5.0 - 20.0, 40.0, 40.0]])


# ---- keep_inside (minicnn.track.trackers.cnn): moving a box into the frame without resizing it ----


def test_keep_inside_moves_a_tall_box_up_by_its_height():
    """A 10 wide × 20 high box at y = 45 in a 50-high frame must move up to y = 50 − 20 = 30; using its width
    (50 − 10 = 40) would leave half of it below the frame."""
    from minicnn.track.trackers.cnn import keep_inside

    np.testing.assert_allclose(keep_inside([[0.0, 45.0, 10.0, 20.0]], (50, 100)), [[0.0, 30.0, 10.0, 20.0]])
