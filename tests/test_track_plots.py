"""Boxes drawn on frames, videos, contact sheets and the OTB success / precision plots (minicnn.track.plots)."""

import imageio.v3 as iio
import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from minicnn.track import plots
from minicnn.track.plots import GROUND_TRUTH_COLOR, TRACKER_COLORS, draw_boxes
from minicnn.track.sequences import Sequence

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

KCF = TRACKER_COLORS[0]
SIAM = TRACKER_COLORS[1]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def painted(image):
    """Boolean mask of the pixels that are not black."""
    return image.any(axis=2)


def rectangle_mask(shape, top, bottom, left, right):
    """Mask of rows top..bottom and columns left..right (inclusive), cut to ``shape``."""
    mask = np.zeros(shape, dtype=bool)
    mask[max(top, 0):bottom + 1, max(left, 0):right + 1] = True
    return mask


def toy_sequence(count=7, height=40, width=60, attributes=("FM", "OCC")):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 80, (height, width, 3), dtype=np.uint8) for _ in range(count)]
    ground_truth = np.array([[10 + 2 * k, 12, 16, 12] for k in range(count)], dtype=np.float64)
    ground_truth[2] = np.nan
    return Sequence("Toy", frames, ground_truth, attributes)


# ------------------------------------------------------------------------------------------------- draw_boxes

def test_draw_boxes_paints_exactly_the_outline_in_the_trackers_colour():
    frame = np.zeros((20, 30, 3), dtype=np.uint8)
    out = draw_boxes(frame, {"KCF": (5, 4, 10, 8)}, thickness=2, labels=False)
    # the box covers rows 4..11 and columns 5..14; a 2-pixel outline inside it
    outer = rectangle_mask((20, 30), 4, 11, 5, 14)
    inner = rectangle_mask((20, 30), 6, 9, 7, 12)
    np.testing.assert_array_equal(painted(out), outer & ~inner)
    assert tuple(out[4, 5]) == KCF            # top-left corner
    assert tuple(out[11, 14]) == KCF          # bottom-right corner
    assert tuple(out[8, 6]) == KCF            # on the left edge, second pixel of thickness
    assert tuple(out[8, 7]) == (0, 0, 0)      # just inside
    assert tuple(out[3, 5]) == (0, 0, 0)      # just above
    assert tuple(out[4, 15]) == (0, 0, 0)     # just right of the box
    assert np.all(out[painted(out)] == KCF)


def test_draw_boxes_returns_a_copy_and_uses_green_for_ground_truth():
    """The frame given is left as it was; the ground truth is green, its label read in any case (as box_colors'
    docstring says: "Ground Truth" drawn in the first tracker's colour passed every test; mutation round), and the
    first tracker takes the first palette colour."""
    frame = np.full((20, 30, 3), 7, dtype=np.uint8)
    before = frame.copy()
    for ground_truth in ("ground truth", "Ground Truth"):
        out = draw_boxes(frame, {ground_truth: (2, 2, 5, 5), "KCF": (20, 10, 5, 5)}, labels=False)
        np.testing.assert_array_equal(frame, before)
        assert out is not frame
        assert tuple(out[2, 2]) == GROUND_TRUTH_COLOR
        assert tuple(out[10, 20]) == KCF          # the first tracker takes the first palette colour


def test_draw_boxes_clips_boxes_that_stick_out():
    frame = np.zeros((20, 30, 3), dtype=np.uint8)
    # rows -5..4, columns -5..4: only the bottom and right edges are in the frame
    out = draw_boxes(frame, {"KCF": (-5, -5, 10, 10)}, thickness=2, labels=False)
    expected = rectangle_mask((20, 30), 3, 4, 0, 4) | rectangle_mask((20, 30), 0, 4, 3, 4)
    np.testing.assert_array_equal(painted(out), expected)
    # rows 15..24, columns 25..34: only the top and left edges are in the frame
    out = draw_boxes(frame, {"KCF": (25, 15, 10, 10)}, thickness=2, labels=False)
    expected = rectangle_mask((20, 30), 15, 16, 25, 29) | rectangle_mask((20, 30), 15, 19, 25, 26)
    np.testing.assert_array_equal(painted(out), expected)
    # wholly outside: nothing drawn, no error
    out = draw_boxes(frame, {"KCF": (100, -50, 5, 5)}, labels=True)
    assert not painted(out).any()


def test_draw_boxes_skips_nan_boxes_and_keeps_the_colour_order():
    frame = np.zeros((20, 30, 3), dtype=np.uint8)
    boxes = {"ground truth": (np.nan,) * 4, "KCF": (np.nan, 1, 2, 3), "SiamFC": (10, 5, 6, 6)}
    out = draw_boxes(frame, boxes, thickness=1, labels=False)
    np.testing.assert_array_equal(painted(out), rectangle_mask((20, 30), 5, 10, 10, 15)
                                  & ~rectangle_mask((20, 30), 6, 9, 11, 14))
    assert np.all(out[painted(out)] == SIAM)


def test_draw_boxes_label_tag_sits_above_the_top_left_corner():
    frame = np.zeros((20, 30, 3), dtype=np.uint8)
    out = draw_boxes(frame, {"KCF": (5, 10, 10, 8)}, thickness=1, labels=True)
    tag = rectangle_mask((20, 30), 7, 9, 5, 7)
    assert np.all(out[tag] == KCF)
    assert tuple(out[9, 8]) == (0, 0, 0)


def test_colors_override_the_default_colours_by_name_or_rgb():
    """``colors`` gives a box's colour by a matplotlib name or as RGB, the ground truth's too; draw_boxes ignoring
    it passed every test (mutation round)."""
    frame = np.zeros((20, 30, 3), dtype=np.uint8)
    out = draw_boxes(frame, {"ground truth": (2, 2, 5, 5), "KCF": (20, 10, 5, 5)},
                     colors={"ground truth": "white", "KCF": (10, 20, 30)}, labels=False)
    assert tuple(out[2, 2]) == (255, 255, 255)
    assert tuple(out[10, 20]) == (10, 20, 30)


def test_a_fractional_box_covers_the_rounded_pixels_halves_up():
    """A box covers columns round(x) … round(x + w) − 1 and rows round(y) … round(y + h) − 1, halves rounded up (the
    module's docstring). Every test drew whole-number boxes, so cutting x and y with int() passed (mutation
    round)."""
    frame = np.zeros((20, 30, 3), dtype=np.uint8)
    out = draw_boxes(frame, {"KCF": (4.6, 3.5, 10.0, 8.0)}, thickness=1, labels=False)
    # columns round(4.6) = 5 … round(14.6) − 1 = 14; rows round(3.5) = 4 … round(11.5) − 1 = 11
    expected = rectangle_mask((20, 30), 4, 11, 5, 14) & ~rectangle_mask((20, 30), 5, 10, 6, 13)
    np.testing.assert_array_equal(painted(out), expected)


def test_draw_boxes_rejects_bad_boxes_and_frames():
    frame = np.zeros((20, 30, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"boxes\['KCF'\].*shape \(4,\).*\(2, 4\)"):
        draw_boxes(frame, {"KCF": np.zeros((2, 4))})
    with pytest.raises(TypeError, match="uint8"):
        draw_boxes(frame.astype(np.float32), {"KCF": (1, 1, 2, 2)})
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        draw_boxes(frame[..., 0], {"KCF": (1, 1, 2, 2)})


# ------------------------------------------------------------------------------------------- OTB plots

def legend_labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def legend_colors(legend):
    """``{label: (r, g, b)}`` of a matplotlib legend's entries, in 0..255 as the palette gives them."""
    return {text.get_text(): tuple(np.round(np.asarray(to_rgb(handle.get_color())) * 255).astype(int))
            for text, handle in zip(legend.get_texts(), legend.legend_handles)}


def test_plot_success_legend_shows_auc_sorted_best_first():
    curves = {
        "A": np.linspace(0.6, 0.0, 21),        # AUC 0.300
        "B": np.linspace(1.0, 0.2, 21),        # AUC 0.600
        "C": np.full(21, 0.45),                # AUC 0.450
    }
    ax = plots.plot_success(curves)
    assert legend_labels(ax) == ["B [0.600]", "C [0.450]", "A [0.300]"]
    assert ax.get_xlabel() == "Overlap threshold"
    assert ax.get_ylabel() == "Success rate"
    assert ax.get_title() == "Success plot of OPE"
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim() == (0.0, 1.0)
    assert len(ax.get_lines()) == 3


def test_plot_precision_legend_shows_precision_at_20_px_sorted_best_first():
    t = np.arange(51)
    curves = {
        "late": np.where(t >= 21, 1.0, 0.5),   # P@20 0.5, but the larger mean
        "early": np.where(t >= 20, 0.8, 0.0),  # P@20 0.8
    }
    ax = plots.plot_precision(curves, title="mine")
    assert legend_labels(ax) == ["early [0.800]", "late [0.500]"]
    assert ax.get_xlabel() == "Location error threshold (px)"
    assert ax.get_ylabel() == "Precision"
    assert ax.get_title() == "mine"
    assert ax.get_xlim() == (0.0, 50.0)


def test_plot_precision_interpolates_when_20_px_is_not_a_threshold():
    ax = plots.plot_precision({"A": [0.0, 0.2, 0.6, 1.0]}, thresholds=[0, 10, 30, 50])
    assert legend_labels(ax) == ["A [0.400]"]


def test_plot_curves_reject_a_curve_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"curves\['KCF'\].*\(21,\).*\(20,\)"):
        plots.plot_success({"KCF": np.zeros(20)})


def test_plots_refuse_an_empty_mapping_of_curves():
    """plot_success({}) and plot_precision({}) say that a curve is needed; without the check they drew empty axes
    with an empty legend, without a word (mutation round)."""
    with pytest.raises(ValueError, match=r"curves: expected at least one tracker's curve, got none"):
        plots.plot_success({})
    with pytest.raises(ValueError, match=r"curves: expected at least one tracker's curve, got none"):
        plots.plot_precision({})


def test_plot_colours_follow_the_input_order_and_the_score_is_the_mean():
    """A tracker keeps its colour (TRACKER_COLORS by its place in the input) in videos, sheets and plots, whatever
    its rank; colouring by rank passed every test. The success score is the mean of the curve's points (OTB's
    AUC): every test's curve was symmetric, so the median passed too (mutation round)."""
    curves = {"first": np.r_[np.ones(5), np.zeros(16)],  # mean 5/21 = 0.238, median 0
              "second": np.full(21, 0.5)}                 # 0.500
    ax = plots.plot_success(curves)
    assert legend_colors(ax.get_legend()) == {"second [0.500]": SIAM, "first [0.238]": KCF}
    assert legend_labels(ax) == ["second [0.500]", "first [0.238]"]


def test_save_ope_plots_writes_the_files(tmp_path):
    success = {"A": np.linspace(1, 0, 21), "B": np.linspace(0.8, 0, 21)}
    precision = {"A": np.linspace(0, 1, 51), "B": np.linspace(0, 0.9, 51)}
    paths = plots.save_ope_plots(success, precision, tmp_path / "plots", prefix="otb_",
                                 attributes={"OCC": (success, precision)})
    names = [path.name for path in paths]
    assert names == ["otb_success.png", "otb_precision.png", "otb_success_OCC.png", "otb_precision_OCC.png"]
    for path in paths:
        assert iio.imread(path).ndim == 3
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(names)  # no temporary files left


def test_ope_plot_titles_give_the_number_of_sequences_as_otb_does(tmp_path, monkeypatch):
    titles = {}

    def record_title(draw, path):
        axes = plt.figure().add_subplot()
        draw(axes)
        titles[path.name] = axes.get_title()
        plt.close("all")
        return path

    monkeypatch.setattr(plots, "_save_axes_plot", record_title)
    success = {"A": np.linspace(1, 0, 21)}
    precision = {"A": np.linspace(0, 1, 51)}
    plots.save_ope_plots(success, precision, tmp_path, attributes={"OCC": (success, precision)},
                         counts={"": 20, "OCC": 1})
    assert titles == {"success.png": "Success plot of OPE\n20 sequences",
                      "precision.png": "Precision plot of OPE\n20 sequences",
                      "success_OCC.png": "Success plot of OPE\nocclusion (partial or full), 1 sequence",
                      "precision_OCC.png": "Precision plot of OPE\nocclusion (partial or full), 1 sequence"}


# ------------------------------------------------------------------------------------- videos, contact sheet

def tracks_for(sequence):
    """KCF one pixel right of and below the ground truth, SiamFC one pixel left of and above it (same size)."""
    shift = np.array([1.0, 1.0, 0.0, 0.0])
    return {"KCF": sequence.ground_truth + shift, "SiamFC": sequence.ground_truth - shift}


def test_render_sequence_writes_a_gif_with_one_frame_per_step(tmp_path, capsys):
    sequence = toy_sequence(count=7)
    path = plots.render_sequence(sequence, tracks_for(sequence), tmp_path / "toy.gif", every=2, fps=10)
    assert path == tmp_path / "toy.gif"
    video = iio.imread(path)
    assert video.shape[0] == 4                              # frames 0, 2, 4, 6
    assert video.shape[1] > 40 and video.shape[2] == 60     # the frame plus the legend strip below
    assert "4/4" in capsys.readouterr().out                 # the progress bar
    assert [p.name for p in tmp_path.iterdir()] == ["toy.gif"]


def test_the_gif_holds_the_drawn_frames_in_its_palette_as_imageios_writer_wrote_them(tmp_path):
    """The GIF is written with Pillow from palette frames (a third of the memory of imageio's writer, which kept the
    RGB frames too): the same pictures, timing and looping as before."""
    from PIL import Image

    sequence = toy_sequence(count=6)
    path = plots.render_sequence(sequence, tracks_for(sequence), tmp_path / "toy.gif", fps=10, progress=False)
    drawn = list(plots._video_frames(sequence, plots._check_tracks(sequence, tracks_for(sequence)), range(6), None, 2))
    with iio.imopen(tmp_path / "reference.gif", "w", plugin="pillow", extension=".gif") as file:
        for frame in drawn:
            file.write(frame, duration=1000.0 / 10, loop=0)
    np.testing.assert_array_equal(iio.imread(path, index=None), iio.imread(tmp_path / "reference.gif", index=None))
    with Image.open(path) as gif:
        assert gif.n_frames == 6 and gif.info["duration"] == 100 and gif.info["loop"] == 0


def test_render_sequence_writes_a_folder_of_pngs_with_the_boxes(tmp_path):
    sequence = toy_sequence(count=5)
    folder = plots.render_sequence(sequence, tracks_for(sequence), tmp_path / "frames", every=2, progress=False)
    assert sorted(p.name for p in folder.iterdir()) == ["0001.png", "0002.png", "0003.png"]
    last = iio.imread(folder / "0003.png")                  # frame index 4
    x, y, w, h = sequence.ground_truth[4].astype(int)      # columns 18..33, rows 12..23
    assert tuple(last[y + h - 1, x]) == GROUND_TRUTH_COLOR  # bottom-left corner of the ground truth
    assert tuple(last[y + h, x + w]) == KCF                 # bottom-right corner of KCF, one pixel further
    assert tuple(last[y - 1, x - 1]) == SIAM                # top-left corner of SiamFC, one pixel before
    np.testing.assert_array_equal(last[35:40, 40:45], sequence[4][35:40, 40:45])  # untouched background


def test_render_sequence_mp4_without_imageio_ffmpeg_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(plots, "_ffmpeg_available", lambda: False)
    sequence = toy_sequence()
    with pytest.raises(RuntimeError, match=r"pip install imageio-ffmpeg.*\.gif"):
        plots.render_sequence(sequence, {}, tmp_path / "toy.mp4", progress=False)
    assert not any(tmp_path.iterdir())


def test_render_sequence_rejects_unknown_extensions_and_bad_tracks(tmp_path):
    sequence = toy_sequence(count=7)
    with pytest.raises(ValueError, match=r"\.avi.*\.gif.*\.mp4.*folder"):
        plots.render_sequence(sequence, {}, tmp_path / "toy.avi", progress=False)
    with pytest.raises(ValueError, match=r"tracks\['KCF'\].*'Toy'.*\(7, 4\).*\(6, 4\)"):
        plots.render_sequence(sequence, {"KCF": np.zeros((6, 4))}, tmp_path / "toy.gif", progress=False)


def test_contact_sheet_shows_the_requested_frames_with_one_legend():
    sequence = toy_sequence(count=10)
    figure = plots.contact_sheet(sequence, tracks_for(sequence), n_frames=4, columns=3)
    image_axes = [ax for ax in figure.axes if ax.images]
    assert len(image_axes) == 4 == len(figure.axes)
    assert [ax.get_title() for ax in image_axes] == ["frame 1", "frame 4", "frame 7", "frame 10"]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["ground truth", "KCF", "SiamFC"]
    assert "Toy" in figure._suptitle.get_text() and "FM, OCC" in figure._suptitle.get_text()


def test_a_contact_sheet_names_the_trackers_that_gave_no_box_on_a_frame():
    """A tracker that lost the target (NaN from then on) vanished from the sheet with nothing said, which looked like
    a drawing bug (found in review)."""
    sequence = toy_sequence(count=10)
    tracks = tracks_for(sequence)
    tracks["KCF"] = np.array(tracks["KCF"], dtype=float)
    tracks["KCF"][5:] = np.nan
    tracks["SiamFC"] = np.array(tracks["SiamFC"], dtype=float)
    tracks["SiamFC"][9] = [3.0, 4.0, 0.0, 5.0]  # a box of no area is not drawn either
    figure = plots.contact_sheet(sequence, tracks, n_frames=4, columns=3)
    assert [ax.get_title() for ax in figure.axes] == ["frame 1", "frame 4", "frame 7 (no box: KCF)",
                                                      "frame 10 (no box: KCF, SiamFC)"]


def test_each_frame_of_a_contact_sheet_shows_its_own_boxes_and_the_legend_the_colours_given():
    """Each frame of a contact sheet shows that frame's boxes, and the legend the colours given in ``colors``. A
    sheet that drew the first frame's boxes on every frame passed every test, which only read the titles and the
    legend's names; so did a legend in the default colours when ``colors`` changed them (mutation round)."""
    sequence = toy_sequence(count=10)
    tracks = tracks_for(sequence)
    figure = plots.contact_sheet(sequence, tracks, n_frames=4, columns=2, colors={"SiamFC": "white"})
    for ax, index in zip(figure.axes, [0, 3, 6, 9]):
        boxes = {"ground truth": sequence.ground_truth[index],
                 **{name: track[index] for name, track in tracks.items()}}
        expected = draw_boxes(sequence[index], boxes, colors={"SiamFC": "white"})
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), expected)
    assert legend_colors(figure.legends[0]) == {"ground truth": GROUND_TRUTH_COLOR, "KCF": KCF,
                                                "SiamFC": (255, 255, 255)}


def test_video_frames_are_numbered_from_1_and_the_legend_strip_takes_the_colours_given(tmp_path, monkeypatch):
    """Frame numbers shown to people are 1-based (the module's docstring), and the legend strip below each frame
    shows the colours given in ``colors``. Writing the 0-based index passed every test, and so did a strip in the
    default colours (mutation round)."""
    numbers, strips = [], []
    draw_number, legend_strip = plots._draw_number, plots._legend_strip
    monkeypatch.setattr(plots, "_draw_number", lambda image, number, scale: numbers.append(number)
                        or draw_number(image, number, scale))
    monkeypatch.setattr(plots, "_legend_strip", lambda colors, width, lost=(): strips.append(dict(colors))
                        or legend_strip(colors, width, lost))
    sequence = toy_sequence(count=5)
    plots.render_sequence(sequence, tracks_for(sequence), tmp_path / "frames", every=2, progress=False,
                          colors={"KCF": "white"})
    assert numbers == [1, 3, 5]
    # frame 3 has no boxes (the toy's ground truth is NaN there): a strip of its own, naming them "(no box)"
    assert strips == [{"ground truth": GROUND_TRUTH_COLOR, "KCF": (255, 255, 255), "SiamFC": SIAM}] * 2


def test_a_videos_legend_strip_names_the_trackers_that_gave_no_box_on_each_frame(tmp_path, monkeypatch):
    """A tracker that lost the target vanished from the video with nothing said (the contact sheet names it): the
    strip below each frame now calls it "(no box)" where it gave none, one strip rendered per set of lost trackers,
    every strip of one height."""
    sequence = toy_sequence(count=6)
    tracks = tracks_for(sequence)
    tracks["KCF"] = np.array(tracks["KCF"], dtype=float)
    tracks["KCF"][2] = [20.0, 10.0, 16.0, 12.0]  # the toy's ground truth is NaN at frame 2, the tracks with it
    tracks["KCF"][3:] = np.nan
    tracks["SiamFC"] = np.array(tracks["SiamFC"], dtype=float)
    tracks["SiamFC"][2] = [12.0, 10.0, 16.0, 12.0]
    tracks["SiamFC"][5] = [3.0, 4.0, 0.0, 5.0]  # a box of no area is not drawn either
    rendered, legend_strip = [], plots._legend_strip
    monkeypatch.setattr(plots, "_legend_strip", lambda colors, width, lost=(): rendered.append(tuple(lost))
                        or legend_strip(colors, width, lost))
    drawn = list(plots._video_frames(sequence, plots._check_tracks(sequence, tracks), range(6), None, 2))
    assert rendered == [(), ("KCF",), ("KCF", "SiamFC")]
    height = sequence[0].shape[0]
    strips = [frame[height:] for frame in drawn]
    assert len({strip.shape for strip in strips}) == 1
    assert all(np.array_equal(strips[0], strips[i]) for i in (1, 2))
    assert not np.array_equal(strips[2], strips[3]) and np.array_equal(strips[3], strips[4])
    assert not np.array_equal(strips[4], strips[5])
    made, legend_handles = [], plots._legend_handles
    monkeypatch.setattr(plots, "_legend_handles", lambda colors: made.append(legend_handles(colors)) or made[-1])
    plots._legend_strip({"ground truth": GROUND_TRUTH_COLOR, "KCF": KCF, "SiamFC": SIAM}, 200, lost=("KCF",))
    assert [handle.get_label() for handle in made[0]] == ["ground truth", "KCF (no box)", "SiamFC"]


@pytest.mark.parametrize("width", [220, 320, 480, 660, 1280])
def test_a_legend_strip_has_room_for_every_name_with_no_box_and_one_height_per_video(width):
    """The columns came from the width alone: with five trackers, "(no box)" made the legend wider than the strip,
    which cut names at both edges at widths of 220-660 px (found in review). Nothing is drawn at the strip's left
    and right edges now, and a strip's height does not depend on which trackers are lost."""
    colors = {"ground truth": GROUND_TRUTH_COLOR, "siamese": SIAM, "siamese-nomotion": KCF, "cnn": (255, 255, 0),
              "hybrid": (200, 0, 200), "csrt": (0, 200, 200), "kcf": (255, 128, 0)}
    plain = plots._legend_strip(colors, width)
    lost = plots._legend_strip(colors, width, lost=("kcf", "siamese-nomotion", "cnn"))
    assert plain.shape == lost.shape
    for strip in (plain, lost):
        assert not strip[:, :2].any() and not strip[:, -2:].any()


@pytest.mark.parametrize("name", ["ground truth", "Ground Truth"])
def test_a_track_may_not_take_the_ground_truths_name(tmp_path, name):
    """A track named as the ground truth (in any case) would replace its box in every frame: render_sequence and
    contact_sheet refuse it. The refusal had no test (mutation round)."""
    sequence = toy_sequence(count=3)
    with pytest.raises(ValueError, match=rf"tracks: the name '{name}' is reserved for the sequence's ground truth"):
        plots.render_sequence(sequence, {name: sequence.ground_truth}, tmp_path / "toy.gif", progress=False)
    with pytest.raises(ValueError, match="is reserved"):
        plots.contact_sheet(sequence, {name: sequence.ground_truth})


def test_only_per_attribute_plots_of_this_prefix_are_removed_as_stale(tmp_path, monkeypatch):
    """A per-attribute plot of an earlier evaluation (tags are capitals and digits, such as LR2) goes; the files of
    another prefix, and PNGs that are not per-attribute plots (the user's success_final.png), stay."""
    monkeypatch.setattr(plots, "_save_axes_plot", lambda draw, path: path.write_bytes(b"plot") and path)
    earlier = ["kcf_success_LR2.png", "kcf_precision_OCC.png"]
    kept = ["success_OCC.png", "otb_success_OCC.png", "kcf_success_final.png", "kcf_notes.png"]
    for name in earlier + kept:
        (tmp_path / name).write_bytes(b"earlier")
    success, precision = {"A": np.linspace(1, 0, 21)}, {"A": np.linspace(0, 1, 51)}
    plots.save_ope_plots(success, precision, tmp_path, prefix="kcf_", attributes={"FM": (success, precision)})
    written = ["kcf_success.png", "kcf_precision.png", "kcf_success_FM.png", "kcf_precision_FM.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written + kept)


def test_a_gif_of_large_frames_is_scaled_down_and_a_folder_keeps_them_whole(tmp_path):
    """A GIF is held in memory until written: 100 frames of 1080p took 1.3 GB (a phone clip, 10 GB). Its frames are
    scaled to a longest side of 640; PNG frames keep the full size (trackers audit)."""
    frames = [np.full((300, 1280, 3), 60 * i, np.uint8) for i in range(2)]
    sequence = Sequence("wide", frames, np.array([[100.0, 100.0, 50.0, 40.0]] * 2))
    gif = plots.render_sequence(sequence, {}, tmp_path / "wide.gif", progress=False)
    shape = iio.imread(gif).shape
    assert shape[0] == 2 and shape[2] == plots.GIF_LONG_SIDE and shape[1] < 300  # aspect kept: 300·640/1280 + legend
    folder = plots.render_sequence(sequence, {}, tmp_path / "frames", progress=False)
    assert iio.imread(folder / "0001.png").shape[1] == 1280
