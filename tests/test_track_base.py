"""The checks every minicnn tracker shares: frames, boxes, and the init / update life cycle of ``Tracker``."""

import re

import numpy as np
import pytest

from minicnn.track.trackers.base import Tracker, as_rgb_frame, check_box


class StillTracker(Tracker):
    """Answers the first box every time, and records what it was given."""

    name = "still"

    def __init__(self):
        self.seen = []

    def _init(self, frame, box):
        self.seen.append(("init", frame, box))
        self.box = box

    def _update(self, frame):
        self.seen.append(("update", frame))
        return 1, list(self.box)  # not yet a bool and an array: update converts them


def rgb(height=240, width=320):
    return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)


# ----------------------------------------------------------------------------------------------------- frames

def test_an_rgb_uint8_frame_passes_through_without_a_copy():
    frame = rgb()
    assert as_rgb_frame(frame) is frame
    view = frame[::2, ::2]  # not contiguous: still no copy
    assert as_rgb_frame(view) is view


@pytest.mark.parametrize("shape", [(6, 5), (6, 5, 1)])
def test_a_grey_frame_is_repeated_over_three_channels(shape):
    grey = np.arange(30, dtype=np.uint8).reshape(shape)
    result = as_rgb_frame(grey)
    assert result.shape == (6, 5, 3) and result.dtype == np.uint8
    for channel in range(3):
        np.testing.assert_array_equal(result[:, :, channel], grey.reshape(6, 5))


def test_an_rgba_frame_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=re.escape("got an RGBA frame of shape (4, 5, 4); drop the alpha channel "
                                                   "with image[..., :3]")):
        as_rgb_frame(np.zeros((4, 5, 4), np.uint8), argument="image")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16, bool])
def test_another_dtype_is_a_type_error_naming_it(dtype):
    with pytest.raises(TypeError, match=rf"frame: expected uint8 RGB values 0–255, got dtype {np.dtype(dtype)}"):
        as_rgb_frame(np.zeros((4, 5, 3), dtype))


@pytest.mark.parametrize("values, fix", [
    (np.full((2, 2, 3), 0.5), r"; convert the 0–1 float image with \(frame \* 255\)\.round\(\)\.astype\(np\.uint8\)$"),
    (np.full((2, 2, 3), 200.0), r"; its values lie in 0–255: frame\.round\(\)\.astype\(np\.uint8\)$"),
    (np.full((2, 2, 3), 40000, np.uint16), r"; convert the 16-bit image with \(frame // 257\)\.astype\(np\.uint8\)$"),
    (np.full((2, 2, 3), 200, np.uint16), r"; its values lie in 0–255: frame\.astype\(np\.uint8\)$"),
    (np.full((2, 2, 3), 200, np.int64), r"; its values lie in 0–255: frame\.astype\(np\.uint8\)$"),
    (np.ones((2, 2, 3), bool), r"; convert the mask with frame\.astype\(np\.uint8\) \* 255$"),
    (np.full((2, 2, 3), 300.0), r" with values from 300 to 300; scale them into 0–255 first$"),
], ids=["float-0-1", "float-0-255", "uint16", "uint16-holding-8-bit", "int", "bool", "beyond-255"])
def test_the_fix_offered_for_another_dtype_follows_the_values(values, fix):
    """Every dtype was told to multiply by 255, as a 0–1 float image is: a 0–255 float frame then turned 200 into 56
    without an error (trackers audit)."""
    with pytest.raises(TypeError, match=fix):
        as_rgb_frame(values)


@pytest.mark.parametrize("shape", [(4, 5, 2), (4, 5, 3, 1), (7,), (), (0, 5, 3), (4, 0)])
def test_other_shapes_are_value_errors_with_the_shape(shape):
    with pytest.raises(ValueError, match=re.escape(f"got shape {shape}")):
        as_rgb_frame(np.zeros(shape, np.uint8))


def test_the_argument_name_is_used_in_messages():
    with pytest.raises(ValueError, match=r"^first_frame: "):
        as_rgb_frame(np.zeros((4, 5, 2), np.uint8), argument="first_frame")


# ------------------------------------------------------------------------------------------------------ boxes

def test_a_good_box_comes_back_as_a_new_float64_array():
    given = [10, 20, 30, 40]
    box = check_box(given, (240, 320, 3))
    assert box.dtype == np.float64 and box.shape == (4,)
    np.testing.assert_array_equal(box, [10.0, 20.0, 30.0, 40.0])
    array = np.array([1.5, 2.5, 3.0, 4.0])
    assert check_box(array, (240, 320)) is not array


@pytest.mark.parametrize("box", [(-19, 5, 20, 20), (5, -19, 20, 20), (319.5, 239.5, 1, 1), (0, 0, 1, 1)])
def test_a_box_overlapping_the_frame_by_a_little_is_accepted(box):
    check_box(box, (240, 320, 3))


@pytest.mark.parametrize("box", [(400, 10, 20, 20), (320, 10, 20, 20), (10, 240, 5, 5), (-20, 10, 20, 20),
                                 (10, -5, 3, 5)])
def test_a_box_wholly_outside_the_frame_is_refused_naming_its_size(box):
    text = "(" + ", ".join(str(v) for v in box) + ")"
    with pytest.raises(ValueError, match=re.escape(f"box {text} lies wholly outside the 320×240 frame")):
        check_box(box, (240, 320, 3))


@pytest.mark.parametrize("box", [(1, 2, 0, 5), (1, 2, 5, -1)])
def test_a_box_without_area_is_refused(box):
    with pytest.raises(ValueError, match=r"^box: expected a width and height > 0"):
        check_box(box, (240, 320, 3))


@pytest.mark.parametrize("box", [(1, np.nan, 5, 5), (1, 2, np.inf, 5)])
def test_a_box_with_nan_or_infinity_is_refused(box):
    with pytest.raises(ValueError, match=r"^box: expected finite numbers, got .*NaN or infinity"):
        check_box(box, (240, 320, 3))


@pytest.mark.parametrize("box", [(1, 2, 3), (1, 2, 3, 4, 5), [[1, 2, 3, 4]], 7])
def test_a_box_of_the_wrong_shape_is_refused(box):
    with pytest.raises(ValueError, match=r"^start: expected one box of four numbers \(x, y, w, h\), shape \(4,\)"):
        check_box(box, (240, 320, 3), argument="start")


@pytest.mark.parametrize("box", [("a", 2, 3, 4), None, {"x": 1}])
def test_a_box_that_is_not_numbers_is_refused(box):
    with pytest.raises(ValueError, match=r"^box: expected (one box of )?four numbers"):
        check_box(box, (240, 320, 3))


# ---------------------------------------------------------------------------------------------------- Tracker

def test_init_checks_and_converts_then_calls_init_of_the_subclass():
    tracker = StillTracker()
    grey = np.full((24, 32), 7, np.uint8)
    tracker.init(grey, (1, 2, 3, 4))
    kind, frame, box = tracker.seen[0]
    assert kind == "init" and frame.shape == (24, 32, 3) and frame.dtype == np.uint8
    assert box.dtype == np.float64 and box.tolist() == [1, 2, 3, 4]
    assert tracker.frame_size == (24, 32)


def test_update_returns_a_bool_and_a_float64_box():
    tracker = StillTracker()
    tracker.init(rgb(24, 32), (1, 2, 3, 4))
    ok, box = tracker.update(np.zeros((24, 32), np.uint8))
    assert ok is True
    assert isinstance(box, np.ndarray) and box.dtype == np.float64 and box.tolist() == [1, 2, 3, 4]
    assert tracker.seen[-1][1].shape == (24, 32, 3)


def test_update_before_init_fails_clearly():
    with pytest.raises(RuntimeError, match=re.escape("still: call init(frame, box) on the first frame before "
                                                     "update(frame)")):
        StillTracker().update(rgb())


def test_update_after_a_failed_init_fails_clearly():
    tracker = StillTracker()
    tracker.init(rgb(24, 32), (1, 2, 3, 4))
    with pytest.raises(ValueError, match="lies wholly outside"):
        tracker.init(rgb(24, 32), (100, 2, 3, 4))
    with pytest.raises(RuntimeError, match="before update"):
        tracker.update(rgb(24, 32))


def test_init_refuses_a_bad_frame_or_box_before_the_subclass_sees_them():
    tracker = StillTracker()
    with pytest.raises(TypeError, match="got dtype float32"):
        tracker.init(np.zeros((24, 32, 3), np.float32), (1, 2, 3, 4))
    with pytest.raises(ValueError, match=re.escape("box (400, 10, 20, 20) lies wholly outside the 320×240 frame")):
        tracker.init(rgb(), (400, 10, 20, 20))
    assert tracker.seen == []


def test_update_refuses_a_frame_of_another_size():
    tracker = StillTracker()
    tracker.init(rgb(240, 320), (1, 2, 3, 4))
    with pytest.raises(ValueError, match=re.escape("frame: expected a 240×320 frame like the first one, got "
                                                   "120×160")):
        tracker.update(rgb(120, 160))
    with pytest.raises(ValueError, match="drop the alpha channel"):
        tracker.update(np.zeros((240, 320, 4), np.uint8))
    assert [entry[0] for entry in tracker.seen] == ["init"]


def test_init_again_restarts_on_a_new_size():
    tracker = StillTracker()
    tracker.init(rgb(240, 320), (1, 2, 3, 4))
    tracker.init(rgb(120, 160), (1, 2, 3, 4))
    assert tracker.update(rgb(120, 160))[0] is True


class BrokenTracker(Tracker):
    name = "broken"

    def __init__(self, answer):
        self.answer = answer

    def _init(self, frame, box):
        pass

    def _update(self, frame):
        return self.answer


@pytest.mark.parametrize("answer, problem", [((True, [1, 2, 3]), r"box of shape \(4,\), got shape \(3,\)"),
                                             (None, "got None"),
                                             ((True, 1, 2), r"got \(True, 1, 2\)")])
def test_a_subclass_answering_the_wrong_thing_is_told_so(answer, problem):
    tracker = BrokenTracker(answer)
    tracker.init(rgb(24, 32), (1, 2, 3, 4))
    with pytest.raises(TypeError, match=r"BrokenTracker._update must return \(ok, box\).*" + problem):
        tracker.update(rgb(24, 32))


def test_a_lost_target_may_answer_nan():
    tracker = BrokenTracker((False, [np.nan] * 4))
    tracker.init(rgb(24, 32), (1, 2, 3, 4))
    ok, box = tracker.update(rgb(24, 32))
    assert ok is False and np.all(np.isnan(box))


def test_a_subclass_without_the_methods_is_told_which_to_write():
    class Empty(Tracker):
        pass

    with pytest.raises(NotImplementedError, match=r"Empty must implement _init\(frame, box\)"):
        Empty().init(rgb(24, 32), (1, 2, 3, 4))


def test_repr_names_the_class_and_tracker():
    assert repr(StillTracker()) == "StillTracker(name='still')"


def test_matching_colour_statistics_cancels_a_global_gain_and_colour_cast():
    from minicnn.track.trackers.base import colour_statistics, match_colour_statistics

    rng = np.random.default_rng(0)
    reference_frame = rng.uniform(30, 220, (20, 30, 3)).astype(np.float32)
    gain, cast = np.array([0.5, 0.7, 1.3], np.float32), np.array([10, -20, 5], np.float32)
    darker = reference_frame * gain + cast
    matched = match_colour_statistics(darker, colour_statistics(reference_frame))
    assert matched.dtype == np.float32
    np.testing.assert_allclose(matched, reference_frame, atol=0.05)
    mean, std = colour_statistics(matched)
    np.testing.assert_allclose(mean, reference_frame.mean(axis=(0, 1)), rtol=1e-4)


def test_matching_a_flat_frame_gives_the_reference_mean():
    from minicnn.track.trackers.base import match_colour_statistics

    matched = match_colour_statistics(np.full((4, 5, 3), 77, np.uint8), (np.array([1.0, 2, 3]), np.ones(3)))
    np.testing.assert_allclose(matched, np.broadcast_to([1.0, 2, 3], (4, 5, 3)))


def test_colour_statistics_take_every_pixel_up_to_640x480_and_every_kth_row_and_column_above():
    """On a 1080p frame the statistics took most of a Siamese update (186 of 243 ms): above 640×480 pixels they come
    from every k-th row and column, k = ⌈√(H·W / 307200)⌉, within 1 % of the whole frame's on a photograph. Up to
    640×480, the default suite's frames included, they are the whole frame's, so tracking there is unchanged."""
    from skimage import data
    from skimage.transform import resize

    from minicnn.track.trackers.base import colour_statistics

    def whole(image, step=1):
        image = np.asarray(image[::step, ::step], dtype=np.float32)
        return image.mean(axis=(0, 1)), image.std(axis=(0, 1)) + np.float32(1e-3)

    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    for got, expected in zip(colour_statistics(frame), whole(frame)):
        np.testing.assert_array_equal(got, expected)
    for got, expected in zip(colour_statistics(np.vstack([frame, frame[:1]])), whole(np.vstack([frame, frame[:1]]),
                                                                                    2)):
        np.testing.assert_array_equal(got, expected)  # 481×640: every second
    photo = (resize(data.astronaut(), (1080, 1920), order=1) * 255).astype(np.uint8)
    for got, sampled, full in zip(colour_statistics(photo), whole(photo, 3), whole(photo)):
        np.testing.assert_array_equal(got, sampled)
        np.testing.assert_allclose(got, full, rtol=0.01)


@pytest.mark.parametrize("reference_dtype", [np.float32, np.float64])
def test_matching_a_uint8_frame_by_its_table_gives_the_per_pixel_formula_bit_for_bit(reference_dtype):
    """A uint8 frame is matched through a table of its 256 levels (half the time at 1080p): the same float32
    arithmetic as the formula worked out per pixel, so the trackers' numbers are unchanged bit for bit."""
    from minicnn.track.trackers.base import colour_statistics, match_colour_statistics

    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    reference = tuple(np.asarray(v, reference_dtype) for v in ([90.5, 120.25, 60.0], [40.0, 55.5, 31.0]))
    mean, std = colour_statistics(frame)
    expected = ((frame.astype(np.float32) - mean) * (reference[1] / std) + reference[0]).astype(np.float32)
    matched = match_colour_statistics(frame, reference)
    assert matched.dtype == np.float32 and matched.shape == frame.shape
    np.testing.assert_array_equal(matched, expected)
    np.testing.assert_array_equal(match_colour_statistics(frame.astype(np.float32), reference), expected)


def test_make_tracker_checks_its_backend_and_weights_when_asked():
    """make_tracker("kcf", backend="bogus") was accepted; weights=123 was a TypeError from pathlib; an unknown
    backend for our trackers failed only at init, on the first frame."""
    from minicnn.errors import BackendError
    from minicnn.track.trackers import make_tracker

    with pytest.raises(BackendError, match=r"backend: unknown backend 'bogus'; known backends: numba, numpy, cuda"):
        make_tracker("kcf", backend="bogus")
    with pytest.raises(BackendError, match=r"unknown backend 'bogus'"):
        make_tracker("siamese", backend="bogus")
    with pytest.raises(TypeError, match=r"weights: expected the path of a .npz file of minicnn train siamese, got 123"):
        make_tracker("cnn", weights=123)
