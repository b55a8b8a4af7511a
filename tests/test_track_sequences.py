"""OTB / GOT-10k readers and writers: layouts, separators, several targets, frame ranges, bad input."""

import numpy as np
import pytest

from minicnn.track.sequences import (
    Sequence,
    read_boxes_file,
    read_got10k,
    read_otb,
    read_sequences,
    write_got10k,
    write_otb,
)


def _toy(n=5, name="toy"):
    frames = [np.full((24, 32, 3), 40 * i, dtype=np.uint8) for i in range(n)]
    gt = np.column_stack([np.arange(n) + 1.0, np.full(n, 2.0), np.full(n, 10.0), np.full(n, 8.0)])
    gt[2] = np.nan
    return Sequence(name, frames, gt, ("FM", "OV"), cover=[8, 8, 0, 4, 8][:n])


def _otb_folder(root, name, lines, n_images, separator=",", first_number=1):
    import imageio.v3 as iio

    folder = root / name
    (folder / "img").mkdir(parents=True)
    for i in range(first_number, first_number + n_images):
        iio.imwrite(folder / "img" / f"{i:04d}.jpg", np.full((12, 16, 3), i % 256, dtype=np.uint8))
    (folder / "groundtruth_rect.txt").write_text("".join(separator.join(map(str, l)) + "\n" for l in lines))
    return folder


def test_otb_round_trip(tmp_path):
    sequence = _toy()
    folder = write_otb(sequence, tmp_path)
    assert (folder / "img" / "0001.jpg").is_file()
    assert (folder / "groundtruth_rect.txt").read_text().splitlines()[:3] == ["2,3,10,8", "3,3,10,8", "0,0,0,0"]
    back = read_otb(folder)
    assert back.name == "toy" and len(back) == 5 and back.attributes == ("FM", "OV")
    np.testing.assert_allclose(back.ground_truth, sequence.ground_truth)
    np.testing.assert_array_equal(back.absent, [False, False, True, False, False])
    np.testing.assert_array_equal(back.cover, [8, 8, 0, 4, 8])
    frame = back[3]
    assert frame.shape == (24, 32, 3) and frame.dtype == np.uint8
    assert abs(int(frame.mean()) - 120) <= 2  # JPEG


def test_got10k_round_trip_keeps_fractional_boxes(tmp_path):
    frames = [np.zeros((10, 10, 3), np.uint8)] * 3
    sequence = Sequence("GOT-10k_Val_000001", frames, [[0.25, 1.5, 3.0, 4.0]] * 3, ("SV",))
    folder = write_got10k(sequence, tmp_path)
    assert (folder / "00000001.jpg").is_file()
    back = read_got10k(folder)
    np.testing.assert_allclose(back.ground_truth, sequence.ground_truth)
    assert back.attributes == ("SV",)


@pytest.mark.parametrize("separator", [",", "\t", " ", ", "])
def test_otb_separators(tmp_path, separator):
    folder = _otb_folder(tmp_path, "Sep", [[1, 2, 3, 4], [5, 6, 7, 8]], 2, separator)
    np.testing.assert_allclose(read_otb(folder).ground_truth, [[0, 1, 3, 4], [4, 5, 7, 8]])


def test_otb_several_targets_and_frame_ranges(tmp_path):
    folder = _otb_folder(tmp_path, "Jogging", [[1, 1, 2, 2]] * 3, 3)
    (folder / "groundtruth_rect.txt").rename(folder / "groundtruth_rect.1.txt")
    (folder / "groundtruth_rect.2.txt").write_text("5,5,2,2\n" * 3)
    with pytest.raises(ValueError, match="several targets"):
        read_otb(folder)
    names = [s.name for s in read_sequences(tmp_path)]
    assert names == ["Jogging.1", "Jogging.2"]
    assert read_otb(folder, target=2).ground_truth[0, 0] == 4.0
    partial = _otb_folder(tmp_path, "Part", [[1, 1, 2, 2]] * 2, 5)
    with pytest.raises(ValueError, match="2 boxes for 5 frames"):
        read_otb(partial)
    sequence = read_otb(partial, start_frame=3, end_frame=4)
    assert [p.name for p in sequence.frames] == ["0003.jpg", "0004.jpg"]
    david = _otb_folder(tmp_path, "David", [[1, 1, 2, 2]] * 471, 770)
    assert read_otb(david).frames[0].name == "0300.jpg"  # OTB-100's annotated range for David


def test_ground_truth_line_that_does_not_parse_names_file_and_line(tmp_path):
    folder = _otb_folder(tmp_path, "Bad", [[1, 1, 2, 2]] * 2, 3)
    (folder / "groundtruth_rect.txt").write_text("1,1,2,2\n1,1,two,2\n1,1,2,2\n")
    with pytest.raises(ValueError, match=r"groundtruth_rect.txt, line 2: expected four numbers"):
        read_otb(folder)


def test_non_positive_boxes_are_reported_per_frame_and_become_missing(tmp_path):
    folder = _otb_folder(tmp_path, "Neg", [[1, 1, 2, 2], [10, 20, -3, 2], [1, 1, 2, 2]], 3)
    # the numbers as the file writes them (OTB's 1-based x and y: they once read (9, 19, -3, 2)), and the file
    with pytest.warns(UserWarning, match=r"sequence 'Neg' \(.*Neg/groundtruth_rect.txt\): 1 bad ground-truth boxes, "
                                         r"treated as missing: frame 2: box \(10, 20, -3, 2\) has a non-positive "
                                         r"width"):
        sequence = read_otb(folder)
    assert np.all(np.isnan(sequence.ground_truth[1]))
    outside = Sequence("o", [np.zeros((10, 10, 3), np.uint8)] * 2, [[1, 1, 2, 2], [50, 1, 2, 2]])
    assert outside.problems() == ["frame 2: box (50, 1, 2, 2) lies wholly outside the 10×10 image"]


def test_missing_frame_names_the_path(tmp_path):
    folder = write_otb(_toy(), tmp_path)
    sequence = read_otb(folder)
    (folder / "img" / "0004.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="0004.jpg"):
        sequence[3]


def test_a_failed_write_leaves_the_old_sequence_intact(tmp_path):
    folder = write_otb(_toy(), tmp_path)
    before = (folder / "groundtruth_rect.txt").read_text()
    broken = _toy()
    broken.frames[4] = np.zeros((5, 5), np.float64)
    with pytest.raises(ValueError, match="frame 5 is 5×5 but frame 1 is 32×24"):
        write_otb(broken, tmp_path)
    assert (folder / "groundtruth_rect.txt").read_text() == before
    assert len(list((folder / "img").iterdir())) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy"]


def test_sequence_checks_its_arguments():
    with pytest.raises(ValueError, match="3 frames but 2 ground-truth boxes"):
        Sequence("s", [np.zeros((2, 2, 3), np.uint8)] * 3, [[0, 0, 1, 1]] * 2)
    with pytest.raises(ValueError, match="unknown attribute tags"):
        Sequence("s", [np.zeros((2, 2, 3), np.uint8)], [[0, 0, 1, 1]], ("XYZ",))
    only_first = Sequence("s", [np.zeros((2, 2, 3), np.uint8)] * 3, [[0, 0, 1, 1]])
    assert np.isnan(only_first.ground_truth[1:]).all()


def test_read_sequences_finds_both_layouts_and_selects_names(tmp_path):
    write_otb(_toy(name="a"), tmp_path)
    write_got10k(_toy(name="b"), tmp_path)
    assert [s.name for s in read_sequences(tmp_path)] == ["a", "b"]
    assert [s.name for s in read_sequences(tmp_path, names=["b"])] == ["b"]
    with pytest.raises(ValueError, match="no sequences \\['c'\\]"):
        read_sequences(tmp_path, names=["c"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_sequences(tmp_path / "nowhere")


def test_folders_that_are_not_sequences_are_named_in_a_warning(tmp_path, recwarn):
    """A sequence whose img/ was renamed, or whose groundtruth_rect.txt has a typo, dropped out of the suite
    without a word: 'OPE on 1 sequences'."""
    write_otb(_toy(name="a"), tmp_path)
    write_otb(_toy(name="b"), tmp_path)
    (tmp_path / "b" / "img").rename(tmp_path / "b" / "imgs")
    (tmp_path / ".ipynb_checkpoints").mkdir()  # hidden folders are nobody's sequence
    with pytest.warns(UserWarning, match=r": 1 folder skipped, neither an OTB sequence \(img/ \+ "
                                         r"groundtruth_rect.txt\) nor a GOT-10k one \(groundtruth.txt\): b$"):
        assert [s.name for s in read_sequences(tmp_path)] == ["a"]
    (tmp_path / "b" / "imgs").rename(tmp_path / "b" / "img")
    recwarn.clear()
    assert [s.name for s in read_sequences(tmp_path)] == ["a", "b"] and not recwarn.list


def test_a_gap_in_the_frame_numbers_is_refused_and_unpadded_names_sort_by_number(tmp_path):
    """0001, 0002, 0004, 0005 beside five boxes minus one used to pair the boxes after the gap with the wrong
    frames; 1.jpg … 10.jpg sorted as 1, 10, 2, …"""
    folder = _otb_folder(tmp_path, "Gap", [[1, 1, 2, 2]] * 4, 5)
    (folder / "img" / "0003.jpg").unlink()
    with pytest.raises(ValueError, match=r"Gap/img: frame number 3 missing among 0001.jpg … 0005.jpg; the boxes are "
                                         r"one per frame"):
        read_otb(folder)
    unpadded = _otb_folder(tmp_path, "Unpadded", [[i, 1, 2, 2] for i in range(1, 12)], 11)
    for path in sorted((unpadded / "img").iterdir()):
        path.rename(path.with_name(f"{int(path.stem)}.jpg"))
    sequence = read_otb(unpadded)
    assert [p.name for p in sequence.frames] == [f"{i}.jpg" for i in range(1, 12)]
    assert sequence[9][0, 0, 0] in range(8, 13)  # frame 10 was written with the value 10 (JPEG may shift it)


def test_frames_named_with_a_prefix_sort_by_number_and_a_gap_among_them_is_refused(tmp_path):
    """frame_1.jpg … frame_12.jpg were read as frame_1, frame_10, frame_11, frame_12, frame_2, …: every box after
    the first was paired with another frame (CSRT's AUC 0.90 fell to 0.41), silently."""
    named = _otb_folder(tmp_path, "Named", [[i, 1, 2, 2] for i in range(1, 13)], 12)
    for path in sorted((named / "img").iterdir()):
        path.rename(path.with_name(f"frame_{int(path.stem)}.jpg"))
    sequence = read_otb(named)
    assert [p.name for p in sequence.frames] == [f"frame_{i}.jpg" for i in range(1, 13)]
    (named / "img" / "frame_7.jpg").unlink()
    with pytest.raises(ValueError, match=r"Named/img: frame number 7 missing among frame_1.jpg … frame_12.jpg"):
        read_otb(named)
    mixed = _otb_folder(tmp_path, "Mixed", [[1, 1, 2, 2]] * 3, 3)
    for path, name in zip(sorted((mixed / "img").iterdir()), ["a2.jpg", "a10.jpg", "b1.jpg"]):
        path.rename(path.with_name(name))
    assert [p.name for p in read_otb(mixed).frames] == ["a2.jpg", "a10.jpg", "b1.jpg"]


def test_ground_truth_files_with_a_byte_order_mark_or_a_blank_line_in_the_middle(tmp_path):
    folder = _otb_folder(tmp_path, "Bom", [[1, 1, 2, 2]] * 3, 3)
    (folder / "groundtruth_rect.txt").write_bytes(b"\xef\xbb\xbf1,1,2,2\n1,1,2,2\n1,1,2,2\n\n\n")
    np.testing.assert_array_equal(read_otb(folder).ground_truth, [[0, 0, 2, 2]] * 3)
    (folder / "groundtruth_rect.txt").write_text("1,1,2,2\n\n1,1,2,2\n1,1,2,2\n")
    with pytest.raises(ValueError, match=r"groundtruth_rect.txt, line 2: a blank line before more boxes; every frame "
                                         r"needs its line"):
        read_otb(folder)
    (folder / "groundtruth_rect.txt").write_text("1,1,2,2\n1,1,2,2\n1,1,2,2\n")
    (folder / "absence.label").write_text("0\nx\n0\n")
    with pytest.raises(ValueError, match=r"absence.label: expected one whole number per line"):
        read_otb(folder)


def test_writing_a_sequence_again_keeps_the_files_it_does_not_write(tmp_path):
    """A rerun of ``minicnn track make-sequences`` replaced each sequence folder whole, deleting a user's notes."""
    folder = write_otb(_toy(5), tmp_path)
    (folder / "notes.txt").write_text("mine")
    (folder / "extra").mkdir()
    (folder / "extra" / "results.csv").write_text("1,2")
    again = write_otb(_toy(3), tmp_path)
    assert (again / "notes.txt").read_text() == "mine" and (again / "extra" / "results.csv").read_text() == "1,2"
    assert sorted(p.name for p in (again / "img").iterdir()) == ["0001.jpg", "0002.jpg", "0003.jpg"]
    assert len(read_otb(again)) == 3


def test_writing_a_sequence_again_keeps_your_pictures_and_refuses_a_file_in_its_place(tmp_path):
    """Every image file counted as a frame, so a rerun deleted a contact sheet beside the frames and the PNGs of a
    video drawn into the sequence; only numbered images in the frame folder are frames now. A plain file with the
    sequence's name was deleted without a word; it is refused by name."""
    folder = write_otb(_toy(5), tmp_path)
    (folder / "sheet.png").write_bytes(b"sheet")
    (folder / "vis").mkdir()
    (folder / "vis" / "0001.png").write_bytes(b"frame of a video of yours")
    again = write_otb(_toy(3), tmp_path)
    assert (again / "sheet.png").read_bytes() == b"sheet" and (again / "vis" / "0001.png").exists()
    assert sorted(p.name for p in (again / "img").iterdir()) == ["0001.jpg", "0002.jpg", "0003.jpg"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / _toy(3).name).write_text("notes")
    with pytest.raises(FileExistsError, match=r"is a file, where the sequence 'toy' goes; move it away"):
        write_otb(_toy(3), tmp_path / "other")
    assert (tmp_path / "other" / _toy(3).name).read_text() == "notes"


@pytest.mark.parametrize("first, then", [("otb", "got10k"), ("got10k", "otb")])
def test_writing_a_sequence_again_in_the_other_layout_reads_as_the_new_one(tmp_path, first, then):
    """The old layout's frames and files were carried over as the user's (OTB's img/ and groundtruth_rect.txt into
    a GOT-10k folder): the folder then read as the old sequence, or not at all (found in review)."""
    from minicnn.track.sequences import read_sequence, write_got10k

    writers = {"otb": write_otb, "got10k": write_got10k}
    folder = writers[first](_toy(3), tmp_path)
    (folder / "notes.txt").write_text("mine")
    writers[then](_toy(5), tmp_path)
    [sequence] = read_sequence(folder)
    assert len(sequence) == 5 and (folder / "notes.txt").read_text() == "mine"
    names = {path.name for path in folder.iterdir()}
    assert ("img" in names) == (then == "otb") and ("groundtruth_rect.txt" in names) == (then == "otb")


@pytest.mark.parametrize("failing_call", [1, 2, 3])
def test_a_rewrite_that_fails_part_way_loses_none_of_your_files(tmp_path, monkeypatch, capsys, failing_call):
    """The user's files were moved into the new folder first, and a failure (or Ctrl-C) at any later rename removed
    that folder with them. Now the old folder is replaced whole first: a failure moving it aside (1) or moving the
    new one in (2) leaves the old one as it was; one while the files move over (3) leaves the rest in the old
    folder, which the error names."""
    import os

    folder = write_otb(_toy(4), tmp_path)
    (folder / "notes.txt").write_text("mine")
    (folder / "results").mkdir()
    (folder / "results" / "kcf.txt").write_text("1,2,3,4")
    calls, replace = [], os.replace

    def failing_replace(source, target):
        calls.append(source)
        if len(calls) == failing_call:
            raise KeyboardInterrupt
        return replace(source, target)
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt) as stopped:
        write_otb(_toy(3), tmp_path)
    monkeypatch.setattr(os, "replace", replace)
    kept = {path.name: path for path in tmp_path.rglob("*") if path.is_file() and path.suffix == ".txt"}
    assert kept["notes.txt"].read_text() == "mine" and kept["kcf.txt"].read_text() == "1,2,3,4"
    assert not list(tmp_path.glob(".*.partial"))
    if failing_call < 3:
        assert len(read_otb(folder)) == 4 and not list(tmp_path.glob(".*.old"))
    else:
        assert len(read_otb(folder)) == 3
        left_in = kept["notes.txt"].parent  # not moved yet: in the old folder, which the note names
        notes = getattr(stopped.value, "__notes__", None)  # Python 3.11 and later; 3.10 prints the note
        said = notes if notes is not None else [capsys.readouterr().err]
        assert left_in != folder and any(f"are in {left_in}" in note for note in said)


def test_files_written_atomically_get_the_usual_permissions(tmp_path):
    """The temporary files and folders renamed into place came from tempfile (0o600, 0o700): result files, weights
    and sequences were unreadable to everyone else, and rewriting a 0o644 file made it 0o600."""
    import os
    import stat

    from minicnn.weight_files import write_npz_atomically
    from minicnn.track.sequences import atomic_write_text

    mode = lambda path: stat.S_IMODE(os.stat(path).st_mode)  # noqa: E731
    previous = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "result.txt", "1\n")
        write_npz_atomically(tmp_path / "weights.npz", {"w": np.zeros(2)})
        folder = write_otb(_toy(3), tmp_path)
        assert (mode(tmp_path / "result.txt"), mode(tmp_path / "weights.npz"), mode(folder)) == (0o644, 0o644, 0o755)
        os.chmod(tmp_path / "result.txt", 0o640)
        atomic_write_text(tmp_path / "result.txt", "2\n")  # a rewrite keeps the file's own permissions
        assert mode(tmp_path / "result.txt") == 0o640 and (tmp_path / "result.txt").read_text() == "2\n"
    finally:
        os.umask(previous)


def test_tiff_frames_are_read_as_minicnn_track_reads_them_and_an_empty_img_folder_is_named(tmp_path):
    """An OTB folder of .tif frames failed with 'frame range 1..0 does not fit the 0 images in img/', which did not
    say that the .tif files were passed over (minicnn track took them)."""
    import imageio.v3 as iio

    from minicnn import cli_track
    from minicnn.track.sequences import IMAGE_SUFFIXES

    assert cli_track.FRAME_SUFFIXES == IMAGE_SUFFIXES
    folder = write_otb(_toy(name="tif"), tmp_path)
    for jpg in sorted((folder / "img").iterdir()):
        iio.imwrite(jpg.with_suffix(".tif"), iio.imread(jpg))
        jpg.unlink()
    sequence = read_otb(folder)
    assert len(sequence) == 5 and sequence[4].shape == (24, 32, 3)
    for tif in (folder / "img").iterdir():
        tif.unlink()
    with pytest.raises(FileNotFoundError, match=r"img: no frames in the folder \(files ending in .jpg, .jpeg, .png, "
                                                r".bmp, .tif, .tiff\)"):
        read_otb(folder)


def test_a_bad_got10k_box_is_named_with_its_ground_truth_file(tmp_path):
    """As the OTB reader names groundtruth_rect.txt, the GOT-10k reader names groundtruth.txt, not only the folder."""
    folder = write_got10k(_toy(name="g"), tmp_path)
    lines = (folder / "groundtruth.txt").read_text().splitlines()
    lines[1] = "1,2,-3,8"
    (folder / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"sequence 'g' \(.*g/groundtruth.txt\): 1 bad ground-truth boxes"):
        read_got10k(folder)


def _got10k_with_lines(root, lines, name="g"):
    """A GOT-10k folder of ``_toy``'s frames whose groundtruth.txt holds ``lines`` (and no absence labels)."""
    folder = write_got10k(_toy(name=name), root)
    (folder / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    (folder / "absence.label").unlink()
    return folder


def test_a_got10k_file_that_writes_nan_marks_those_frames_as_nan_in_the_annotation(tmp_path):
    """OTB's rules carry a lost tracker's box across a frame annotated 0,0,0,0 but not across one annotated NaN;
    read_got10k says which frames its file writes as NaN (mutation round: None, every NaN taken as 0,0,0,0)."""
    folder = _got10k_with_lines(tmp_path, ["3,4,10,8", "4,4,10,8", "nan,nan,nan,nan", "6,4,10,8", "7,4,10,8"])
    assert read_got10k(folder).nan_in_annotation.tolist() == [False, False, True, False, False]


def test_a_got10k_box_without_width_is_missing_ground_truth(tmp_path):
    """A box of width 0 is warned of as "treated as missing", and is NaN (mutation round: kept, GOT-10k's AO
    scored the frame as every tracker's failure)."""
    folder = _got10k_with_lines(tmp_path, ["3,4,10,8", "4,4,0,8", "5,4,10,8", "6,4,10,8", "7,4,10,8"])
    with pytest.warns(UserWarning, match="treated as missing"):
        sequence = read_got10k(folder)
    assert np.all(np.isnan(sequence.ground_truth[1])) and not np.isnan(sequence.ground_truth[[0, 2]]).any()


def test_write_got10k_writes_a_frame_without_a_box_as_0000_and_reads_it_back_so(tmp_path):
    """The toolkit's 0,0,0,0 for a frame without a box (mutation round: written as NaN, it read back as NaN in the
    annotation, which changes how OTB's rules score a lost tracker on the round-tripped sequence)."""
    folder = write_got10k(_toy(name="g"), tmp_path)  # _toy's frame 2 has no box
    assert (folder / "groundtruth.txt").read_text().splitlines()[2] == "0,0,0,0"
    assert not read_got10k(folder).nan_in_annotation.any()


def test_writing_a_got10k_sequence_again_with_fewer_frames_keeps_none_of_the_old_frames(tmp_path):
    """The frames at the top of a GOT-10k folder are the writer's own: carried over as files of yours, a 3-frame
    sequence written over a 5-frame one held 5 frames for 3 boxes and could not be read (mutation round)."""
    write_got10k(_toy(5, name="g"), tmp_path)
    folder = write_got10k(_toy(3, name="g"), tmp_path)
    assert sorted(p.name for p in folder.glob("*.jpg")) == ["00000001.jpg", "00000002.jpg", "00000003.jpg"]
    assert len(read_got10k(folder)) == 3


def test_a_got10k_splits_list_gives_the_order_and_the_sequences(tmp_path):
    """GOT-10k's list.txt names a split's sequences in their order: read, a folder not listed is left out and the
    order is the list's, not the names' (mutation round: list.txt could be ignored)."""
    for name in ("a", "b", "c"):
        write_got10k(_toy(name=name), tmp_path / "split")
    (tmp_path / "split" / "list.txt").write_text("c\na\n")
    assert [s.name for s in read_sequences(tmp_path / "split")] == ["c", "a"]


def test_a_folder_without_any_sequence_is_refused_without_the_skipped_folders_warning(tmp_path, recwarn):
    """The error says there are no sequences; a warning naming every folder as skipped would say it twice."""
    (tmp_path / "notes").mkdir()
    with pytest.raises(FileNotFoundError, match="no OTB or GOT-10k sequence folders found"):
        read_sequences(tmp_path)
    assert not recwarn.list


def test_boxes_at_x_or_y_zero_in_an_otb_file_are_named_in_a_warning(tmp_path):
    """A 0-based file read as OTB's puts a target at the left edge at x = 0, which OTB's toolkit (and minicnn)
    scores as a frame without annotation: a whole sequence went unscored (AUC 0, P@20 1) without a word."""
    folder = _otb_folder(tmp_path, "Edge", [[0, 41, 24, 20], [1, 41, 24, 20], [3, 0, 24, 20], [0, 0, 0, 0]], 4)
    with pytest.warns(UserWarning, match=r"sequence 'Edge' \(.*groundtruth_rect.txt\): 2 of 4 boxes have x or y ≤ 0 "
                                         r"\(frame 1, 3\)\. OTB's files are 1-based and its toolkit scores such "
                                         r"frames as without annotation"):
        read_otb(folder)


def test_an_unknown_attribute_tag_names_the_file_it_is_in(tmp_path):
    folder = _otb_folder(tmp_path, "Tagged", [[1, 1, 2, 2]] * 2, 2)
    (folder / "attributes.txt").write_text("IV, XYZ\n")
    with pytest.raises(ValueError, match=r"Tagged/attributes.txt: unknown attribute tags \['XYZ'\]; known: "):
        read_otb(folder)


def test_a_folder_of_yours_named_like_a_partly_annotated_otb_video_is_read_whole(tmp_path):
    """OTB-100's David is annotated on frames 300 to 770 only, a range keyed on the folder's name: a folder of your
    own called David, with one box per image, was refused ("frame range 300..770 does not fit the 12 images"), and
    the advice to give start_frame/end_frame could not be followed through read_sequences or the command line."""
    folder = _otb_folder(tmp_path, "David", [[i, 1, 2, 2] for i in range(1, 13)], 12)
    sequence = read_otb(folder)
    assert len(sequence) == 12 and sequence.frames[0].name == "0001.jpg"
    assert [s.name for s in read_sequences(tmp_path)] == ["David"]
    (folder / "groundtruth_rect.txt").write_text("1,1,2,2\n" * 5)  # neither the range's length nor the images'
    with pytest.raises(ValueError, match=r"frame range 300\.\.770 does not fit the 12 images in img/"):
        read_otb(folder)


def test_16_bit_and_float_frames_keep_their_brightness(tmp_path):
    """A 16-bit grey PNG (how 16-bit grey is saved) was clipped at 255: 99.9 % of its pixels white, and the tracker
    ran on an almost white picture without a word; a float image in 0–1 turned almost black."""
    import imageio.v3 as iio

    from minicnn.track.sequences import SequenceError, as_8_bit, read_frame

    ramp = np.linspace(0, 1, 32 * 24).reshape(24, 32)
    iio.imwrite(tmp_path / "deep.png", np.round(ramp * 65535).astype(np.uint16))
    iio.imwrite(tmp_path / "float.tif", ramp.astype(np.float32))
    expected = np.repeat(np.round(ramp * 255).astype(np.uint8)[:, :, None], 3, axis=2)
    for name in ("deep.png", "float.tif"):
        frame = read_frame(tmp_path / name)
        assert frame.dtype == np.uint8 and np.abs(frame.astype(int) - expected).max() <= 1, name
    assert np.array_equal(as_8_bit(np.array([[0, 128, 255]], np.int32), "x"), [[0, 128, 255]])
    assert np.array_equal(as_8_bit(np.array([[0.0, 127.6, 255.0]]), "x"), [[0, 128, 255]])
    assert np.array_equal(as_8_bit(np.array([[False, True]]), "x"), [[0, 255]])
    with pytest.raises(SequenceError, match=r"^frame x: values from -3 to 70000 \(int64\); expected 8-bit values "
                                            r"\(0–255\), uint16 \(0–65535\) or floats in 0–1 or 0–255"):
        as_8_bit(np.array([[-3, 70000]]), "frame x")
    with pytest.raises(SequenceError, match=r"values from 0 to 300 \(int32\)"):  # int32: 8-bit or 16-bit? Not by
        as_8_bit(np.array([[0, 300]], np.int32), "frame y")                        # its own values
    with pytest.warns(UserWarning, match=r"^z is a 16-bit image that reads nearly black: its values are all at most "
                                         r"200 \(of 65535\)"):
        assert np.array_equal(as_8_bit(np.array([[0, 200]], np.uint16), "z"), [[0, 1]])  # a dark frame stays dark


def test_16_bit_frames_holding_8_bit_values_are_warned_of_once_per_folder(tmp_path, monkeypatch):
    """A program that saved 8-bit values in 16-bit PNGs gave frames that read nearly black (200 of 65535 is 1 of
    255), and the tracker lost its target at once without a word. Once per folder, naming the first such frame; the
    advice allows for a frame that is only dark (a fade-in: the review) and offers nothing that would spoil it."""
    import warnings

    import imageio.v3 as iio

    from minicnn.track import sequences

    monkeypatch.setattr(sequences, "DARK_16_BIT_SAID", set())
    rng = np.random.default_rng(0)
    for folder, high in (("eight", 255), ("sixteen", 65535)):
        (tmp_path / folder).mkdir()
        for index in range(3):
            iio.imwrite(tmp_path / folder / f"{index + 1:04d}.png", rng.integers(1, high + 1, (8, 10), np.uint16))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = [sequences.read_frame(path) for name in ("eight", "sixteen")
                  for path in sorted((tmp_path / name).iterdir())]
    said = [str(warning.message) for warning in caught]
    first = tmp_path / "eight" / "0001.png"
    assert len(said) == 1 and said[0].startswith(f"frame {first} is a 16-bit image that reads nearly black: its values "
                                                 f"are all at most "), said
    assert said[0].endswith("save them as 8-bit images; if this frame is only dark, nothing is wrong")
    assert "astype" not in said[0] and caught[0].filename == __file__
    assert max(int(frame.max()) for frame in frames[:3]) <= 1  # read as they are: 16-bit values


def test_otb_100s_quirky_videos_are_read_as_its_toolkit_reads_them(tmp_path):
    """From an audit against the real layouts: BlurCar1/3/4 keep their frames numbered from 0247 (0003, 0018), one
    image per box, and were refused ("frame range 247..988 does not fit the 742 images"), which stopped the whole
    OTB-100 folder; Human4's empty groundtruth_rect.1.txt did the same; Tiger1's boxes start at frame 1 while the
    toolkit tracks it from frame 6 (pytracking's initOmit), and it was scored from frame 1."""
    import warnings

    blurcar = _otb_folder(tmp_path, "BlurCar1", [[i, 1, 2, 2] for i in range(1, 743)], 742, first_number=247)
    sequence = read_otb(blurcar)
    assert len(sequence) == 742 and sequence.frames[0].name == "0247.jpg" and sequence.frames[-1].name == "0988.jpg"
    assert sequence.ground_truth[0, 0] == 0.0  # the first line's box (0-based), with the first frame
    david = _otb_folder(tmp_path, "David", [[i, 1, 2, 2] for i in range(1, 472)], 471, first_number=300)
    assert read_otb(david).frames[0].name == "0300.jpg"  # a folder trimmed to the annotated frames reads too
    tiger = _otb_folder(tmp_path, "Tiger1", [[i, 1, 2, 2] for i in range(1, 355)], 354)
    sequence = read_otb(tiger)
    assert len(sequence) == 349 and sequence.frames[0].name == "0006.jpg"
    assert sequence.ground_truth[0, 0] == 5.0  # line 6's x, 6, made 0-based: the box of frame 6
    human = _otb_folder(tmp_path, "Human4", [[1, 1, 2, 2]] * 3, 3)
    (human / "groundtruth_rect.txt").rename(human / "groundtruth_rect.2.txt")
    (human / "groundtruth_rect.1.txt").write_text("")
    with pytest.warns(UserWarning, match=r"groundtruth_rect\.1\.txt: an empty ground-truth file, left out"):
        names = [s.name for s in read_sequences(tmp_path)]
    assert names == ["BlurCar1", "David", "Human4.2", "Tiger1"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_sequences(tmp_path)
    empty = [w for w in caught if "an empty ground-truth file" in str(w.message)]
    assert len(empty) == 1 and empty[0].filename == __file__  # once, at the caller's line (found in review)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        renumbered = _otb_folder(tmp_path / "yours", "BlurCar3", [[1, 1, 2, 2]] * 5, 5)  # a folder of yours
        assert len(read_otb(renumbered)) == 5
        # of yours, named like an OTB-100 video with a later start, one box per image: every frame (found in review)
        own_david = _otb_folder(tmp_path / "yours", "David", [[i, 1, 2, 2] for i in range(1, 771)], 770)
        sequence = read_otb(own_david)
        assert len(sequence) == 770 and sequence.frames[0].name == "0001.jpg"


def test_a_range_given_to_read_otb_is_positions_in_img(tmp_path):
    """start_frame/end_frame are 1-based positions in img/ (the docstring): numbered from 0000, the folder's first
    five frames are 0000..0004, not the files numbered 1..5 (found in review)."""
    import imageio.v3 as iio

    folder = tmp_path / "Zero"
    (folder / "img").mkdir(parents=True)
    for i in range(10):
        iio.imwrite(folder / "img" / f"frame_{i:04d}.jpg", np.zeros((8, 8, 3), np.uint8))
    (folder / "groundtruth_rect.txt").write_text("1,1,2,2\n" * 5)
    assert [p.name for p in read_otb(folder, start_frame=1, end_frame=5).frames] == [
        f"frame_{i:04d}.jpg" for i in range(5)]
    assert [p.name for p in read_otb(folder, start_frame=6).frames][0] == "frame_0005.jpg"


def test_names_read_only_the_sequences_asked_for(tmp_path):
    """One unreadable video stopped read_sequences(names=[...]) of others: every folder was read before the names
    were applied, so the broken one could not be left out by leaving out its name (datasets audit)."""
    _otb_folder(tmp_path, "Good", [[1, 1, 2, 2]] * 3, 3)
    jogging = _otb_folder(tmp_path, "Jogging", [[1, 1, 2, 2]] * 3, 3)
    (jogging / "groundtruth_rect.txt").rename(jogging / "groundtruth_rect.1.txt")
    (jogging / "groundtruth_rect.2.txt").write_text("1,1,2,2\n" * 3)
    broken = _otb_folder(tmp_path, "Broken", [[1, 1, 2, 2]] * 3, 3)
    (broken / "groundtruth_rect.txt").write_text("1,1,2,2\n1,1,two,2\n1,1,2,2\n")
    with pytest.raises(ValueError, match=r"Broken/groundtruth_rect\.txt, line 2"):
        read_sequences(tmp_path)
    assert [s.name for s in read_sequences(tmp_path, names=["Jogging.2", "Good"])] == ["Jogging.2", "Good"]
    with pytest.raises(ValueError, match=r"^names: no sequences \['Jogging'\] in .*; available: \['Broken', 'Good', "
                                         r"'Jogging\.1', 'Jogging\.2'\]$"):
        read_sequences(tmp_path, names=["Jogging"])
    with pytest.raises(ValueError, match=r"Broken/groundtruth_rect\.txt, line 2"):
        read_sequences(tmp_path, names=["Broken"])
    (jogging / "groundtruth_rect.1.txt").write_text("1,1,2,2\nbroken\n1,1,2,2\n")  # one target broken
    assert [s.name for s in read_sequences(tmp_path, names=["Jogging.2"])] == ["Jogging.2"]


def test_lasot_and_vot_folders_are_told_how_to_read_them(tmp_path):
    """LaSOT and VOT folders were told "no frames in the folder" while their frames sat in img/ or color/, and a
    polygon line only "expected four numbers" (datasets audit)."""
    lasot = tmp_path / "LaSOT" / "airplane" / "airplane-1"
    (lasot / "img").mkdir(parents=True)
    (lasot / "groundtruth.txt").write_text("1,1,2,2\n")
    with pytest.raises(FileNotFoundError, match=r"LaSOT: .*; .*airplane holds sequence folders: give it as the data "
                                                r"folder \(LaSOT keeps its sequences one level deeper, by category\)$"):
        read_sequences(tmp_path / "LaSOT")
    with pytest.raises(FileNotFoundError, match=r"its frames are in img/: a LaSOT sequence\? Its boxes are 1-based, "
                                                r"as OTB's: rename groundtruth\.txt to groundtruth_rect\.txt"):
        read_sequences(tmp_path / "LaSOT" / "airplane")
    vot = tmp_path / "VOT" / "ants1"
    (vot / "color").mkdir(parents=True)
    (vot / "groundtruth.txt").write_text("1,1,5,1,5,4,1,4\n")
    with pytest.raises(FileNotFoundError, match=r"its frames are in color/: a VOT sequence\?"):
        read_sequences(tmp_path / "VOT")
    (vot / "img").mkdir()
    (vot / "groundtruth_rect.txt").write_text("1,1,5,1,5,4,1,4\n")
    with pytest.raises(ValueError, match=r"line 1: expected four numbers x,y,w,h, got '1,1,5,1,5,4,1,4' \(eight "
                                         r"numbers: a polygon, as VOT writes them"):
        read_boxes_file(vot / "groundtruth_rect.txt")


def test_a_file_written_atomically_through_a_symbolic_link_keeps_the_link_and_a_full_disk_names_the_file(
        tmp_path, monkeypatch):
    """Saving onto a link (best.npz -> shared/run7/best.npz) replaced the link with a plain file and left the shared
    copy stale; a full disk raised "No space left on device" naming no file (files audit)."""
    import errno
    import os

    from minicnn.track.sequences import atomic_write_text
    from minicnn.weight_files import write_atomically

    (tmp_path / "shared").mkdir()
    atomic_write_text(tmp_path / "shared" / "best.txt", "old\n")
    (tmp_path / "best.txt").symlink_to(tmp_path / "shared" / "best.txt")
    atomic_write_text(tmp_path / "best.txt", "new\n")
    assert (tmp_path / "best.txt").is_symlink() and (tmp_path / "shared" / "best.txt").read_text() == "new\n"

    def full(file):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError, match=r"No space left on device: '.*shared/best\.txt'$"):
        write_atomically(tmp_path / "best.txt", full)
    assert (tmp_path / "shared" / "best.txt").read_text() == "new\n"
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["best.txt"]  # no temporary file left


def test_a_suite_whose_making_was_interrupted_is_warned_of_when_read(tmp_path, monkeypatch):
    """A make-sequences stopped part-way left 8 of 20 sequences, which eval --data scored as a whole suite without a
    word (CLI audit); the folder says it is unfinished until the last sequence is written."""
    import warnings

    from minicnn.track import generator

    calls = []
    real_write = generator._write_one

    def stopped_at_the_second(*job):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(*job)

    monkeypatch.setattr(generator.os, "cpu_count", lambda: 1)  # one process: the stop reaches this one
    monkeypatch.setattr(generator, "_write_one", stopped_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        generator.make_suite(tmp_path / "suite", count=3, n_frames=(3, 3), progress=False)
    with pytest.warns(UserWarning, match=r"suite: the make-sequences that wrote this folder did not finish "
                                         r"\(interrupted\?\): it holds part of the suite"):
        assert len(read_sequences(tmp_path / "suite")) == 1
    monkeypatch.setattr(generator, "_write_one", real_write)
    generator.make_suite(tmp_path / "suite", count=3, n_frames=(3, 3), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_sequences(tmp_path / "suite")) == 3


def test_a_partly_annotated_otb_video_numbered_from_0000_is_read_by_number_else_by_position(tmp_path):
    """David is annotated on frames 300..770. Numbered 0000..0770, its folder holds that range by the numbers in the
    names, and frame 300 is 0300.jpg (by position it would be 0299.jpg, a frame early, every box one frame late);
    numbered 0000..0769 the numbers stop short of 770, and the 300th..770th images by position are read."""
    boxes = [[i, 1, 2, 2] for i in range(1, 472)]
    by_number = _otb_folder(tmp_path / "a", "David", boxes, 771, first_number=0)
    sequence = read_otb(by_number)
    assert len(sequence) == 471
    assert sequence.frames[0].name == "0300.jpg" and sequence.frames[-1].name == "0770.jpg"
    by_position = _otb_folder(tmp_path / "b", "David", boxes, 770, first_number=0)
    sequence = read_otb(by_position)
    assert len(sequence) == 471
    assert sequence.frames[0].name == "0299.jpg" and sequence.frames[-1].name == "0769.jpg"


def test_an_end_frame_alone_given_for_a_video_with_a_toolkit_range_reads_positions_from_the_first(tmp_path):
    """Tiger1's toolkit range is 6..354 with its first five boxes left out; end_frame=100 alone is the caller's
    range (1..100, positions in img/), not the toolkit's, which would refuse this folder of 100 boxes or drop the
    boxes the caller's file starts with."""
    folder = _otb_folder(tmp_path, "Tiger1", [[i, 1, 2, 2] for i in range(1, 101)], 120)
    sequence = read_otb(folder, end_frame=100)
    assert len(sequence) == 100
    assert sequence.frames[0].name == "0001.jpg" and sequence.frames[-1].name == "0100.jpg"
    assert sequence.ground_truth[0, 0] == 0.0  # line 1's box, made 0-based: nothing left out


def test_tiger1_with_more_boxes_than_its_frames_and_the_left_out_ones_names_the_files_count(tmp_path):
    """Tiger1 leaves out its first five boxes only where the file holds exactly those and one per frame tracked; a
    file with more is refused with the number of boxes it holds (360), not a count after five were dropped."""
    folder = _otb_folder(tmp_path, "Tiger1", [[i, 1, 2, 2] for i in range(1, 361)], 354)
    with pytest.raises(ValueError, match=r"groundtruth_rect\.txt: 360 boxes for 349 frames "
                                         r"\(6\.\.354, 0006\.jpg … 0354\.jpg\)"):
        read_otb(folder)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_files_saved_by_windows_editors_are_read_as_they_were_written(tmp_path, encoding):
    """Notepad saves UTF-8 with a byte-order mark, and Windows PowerShell 5.1's `>` writes UTF-16: attributes.txt
    with a BOM was refused as the unknown tag '\\ufeff', absence.label as "could not convert '\\ufeff0'", a GOT-10k
    list.txt named a folder whose name started with the invisible mark, and a UTF-16 ground truth stopped
    `minicnn eval --data` with a decoding error that named no file (portability audit). Each reads as written."""
    otb = write_otb(_toy(), tmp_path / "otb")
    for name in ("groundtruth_rect.txt", "attributes.txt", "absence.label", "cover.label"):
        text = (otb / name).read_text(encoding="utf-8").replace("\n", "\r\n")
        (otb / name).write_bytes(text.encode(encoding))
    back = read_otb(otb)
    assert back.attributes == ("FM", "OV") and back.cover.tolist() == [8, 8, 0, 4, 8]
    np.testing.assert_allclose(back.ground_truth, _toy().ground_truth)
    got = tmp_path / "got"
    folder = write_got10k(_toy(name="GOT-10k_Val_000001"), got)
    (folder / "meta_info.ini").write_bytes((folder / "meta_info.ini").read_text(encoding="utf-8").encode(encoding))
    (got / "list.txt").write_bytes(f"{folder.name}\r\n".encode(encoding))
    [sequence] = read_sequences(got)
    assert sequence.name == "GOT-10k_Val_000001" and sequence.attributes == ("FM", "OV")


def test_a_file_in_another_encoding_is_named_with_what_to_do(tmp_path):
    folder = write_otb(_toy(), tmp_path)
    (folder / "attributes.txt").write_bytes("FM, OV, é".encode("latin-1"))
    with pytest.raises(ValueError, match=r"attributes\.txt: not UTF-8 text \(byte 8, b'\\xe9': unexpected end of "
                                         r"data\); save it as UTF-8"):
        read_otb(folder)
    (folder / "attributes.txt").write_bytes("FM, OV\n".encode("utf-16")[:-1])  # cut short: an odd byte count
    with pytest.raises(ValueError, match=r"attributes\.txt: not the UTF-16 text its byte-order mark announces "
                                         r"\(byte \d+, .*truncated data\)"):
        read_otb(folder)


def test_a_16_bit_colour_png_holding_8_bit_values_is_warned_of_too(tmp_path, monkeypatch):
    """Pillow reads a 16-bit colour PNG (as cv2.imwrite saves uint16 RGB) through its high bytes: 8-bit values in
    it came out as 0, an all-black frame, before the 16-bit check could see them (the review: MOSSE's AUC 0.046)."""
    import zlib

    from minicnn.track import sequences

    monkeypatch.setattr(sequences, "DARK_16_BIT_SAID", set())
    values = np.random.default_rng(0).integers(1, 256, (6, 5, 3)).astype(">u2")  # PNG keeps 16 bits big-endian

    def chunk(kind, data):
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    rows = b"".join(b"\x00" + row.tobytes() for row in values)  # filter 0 before each row
    header = (5).to_bytes(4, "big") + (6).to_bytes(4, "big") + bytes([16, 2, 0, 0, 0])  # 16-bit RGB
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    (tmp_path / "0001.png").write_bytes(png)
    with pytest.warns(UserWarning, match=r"is a 16-bit image that reads nearly black: a 16-bit colour PNG is read "
                                         r"through its high bytes"):
        frame = sequences.read_frame(tmp_path / "0001.png")
    assert frame.shape == (6, 5, 3) and frame.max() == 0


def test_hidden_files_beside_the_frames_are_not_frames_and_a_count_mismatch_names_the_files(tmp_path):
    """macOS leaves ._0001.jpg beside 0001.jpg on drives that cannot hold its metadata: they were counted as
    frames, and the error advised start_frame/end_frame, which the command line does not have (found in review)."""
    folder = _otb_folder(tmp_path, "Mac", [[1, 1, 2, 2]] * 3, 3)
    for image in list((folder / "img").iterdir()):
        (folder / "img" / f"._{image.name}").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    assert [p.name for p in read_otb(folder).frames] == ["0001.jpg", "0002.jpg", "0003.jpg"]
    (folder / "img" / "0004.jpg").write_bytes((folder / "img" / "0003.jpg").read_bytes())
    with pytest.raises(ValueError, match=r"3 boxes for 4 frames \(1\.\.4, 0001\.jpg … 0004\.jpg\); the annotation has "
                                         r"one box per frame: remove the images that are not frames, or where it "
                                         r"covers only part of the video, give read_otb its start_frame and end_frame"):
        read_otb(folder)


def test_a_sequence_folder_given_as_dot_or_through_a_link_keeps_its_own_name(tmp_path, monkeypatch):
    """read_otb(".") named the sequence "" (its result files .txt, .json: hidden), and ".." named it ".." (found in
    review); a symbolic link keeps its own name, not its target's."""
    from minicnn.track.sequences import read_sequences

    folder = _otb_folder(tmp_path, "Walker", [[1, 1, 2, 2]] * 2, 2)
    monkeypatch.chdir(folder)
    assert read_otb(".").name == "Walker" and [s.name for s in read_sequences(".")] == ["Walker"]
    monkeypatch.chdir(folder / "img")
    assert read_otb("..").name == "Walker"
    (tmp_path / "linked").symlink_to(folder)
    assert read_otb(tmp_path / "linked").name == "linked"


def test_a_got10k_count_mismatch_names_its_first_and_last_frames_and_what_to_do(tmp_path):
    """The GOT-10k reader's mismatch named no files, and neither reader said how to go on from the command line."""
    folder = write_got10k(_toy(name="g"), tmp_path)
    frames = sorted(path for path in folder.iterdir() if path.suffix == ".jpg")
    (folder / "extra.jpg").write_bytes(frames[0].read_bytes())
    with pytest.raises(ValueError, match=rf"groundtruth\.txt: {len(frames)} boxes for {len(frames) + 1} frames "
                                         rf"\({frames[0].name} … extra\.jpg\); expected one per frame or one: remove "
                                         r"the images that are not frames \(minicnn eval --sequences can leave the "
                                         r"sequence out\)"):
        read_got10k(folder)


def _frame_file(path, image_format=None):
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path, format=image_format)


def test_frames_with_upper_case_suffixes_are_frames(tmp_path):
    """A camera's ``0001.JPG`` files are frames (mutation round: no test failed where it was changed)."""
    from minicnn.track.sequences import read_otb

    (tmp_path / "Cam" / "img").mkdir(parents=True)
    for i in (1, 2):
        _frame_file(tmp_path / "Cam" / "img" / f"{i:04d}.JPG", "JPEG")
    (tmp_path / "Cam" / "groundtruth_rect.txt").write_text("1,1,2,2\n" * 2)
    assert len(read_otb(tmp_path / "Cam").frames) == 2


def test_a_got10k_folder_given_as_dot_keeps_its_name(tmp_path, monkeypatch):
    """``read_got10k(".")`` named the sequence "" (its results hidden files), and ``read_sequences(".", names=...)``
    refused the folder's own name; OTB's reader had the fix alone (mutation round: no test failed where it was
    changed)."""
    from minicnn.track.sequences import read_got10k, read_sequences

    folder = tmp_path / "GOT-10k_Val_000001"
    folder.mkdir()
    for i in (1, 2, 3):
        _frame_file(folder / f"{i:08d}.jpg")
    (folder / "groundtruth.txt").write_text("1,1,2,2\n" * 3)
    monkeypatch.chdir(folder)
    assert read_got10k(".").name == "GOT-10k_Val_000001"
    assert [s.name for s in read_sequences(".", names=["GOT-10k_Val_000001"])] == ["GOT-10k_Val_000001"]
