"""The tracking commands end to end: ``minicnn eval`` and ``minicnn track show`` on a small folder, and
``minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h`` on a moving square (with a fake tracker and an OpenCV one)."""

import re
import signal

import numpy as np
import pytest

from minicnn import cli, cli_track
from minicnn.track.sequences import Sequence, write_otb
from minicnn.track.trackers.base import Tracker


@pytest.fixture
def data(tmp_path):
    from skimage import data as photos

    background = photos.coffee()[:120, :160]
    target = photos.astronaut()[60:100, 180:220]
    for name, step, tags in (("slow", 1, ("SV",)), ("fast", 3, ("FM",))):
        frames, boxes = [], []
        for t in range(15):
            frame = background.copy()
            x, y = 20 + step * t, 30 + t
            frame[y : y + 40, x : x + 40] = target
            frames.append(frame)
            boxes.append([x, y, 40, 40])
        write_otb(Sequence(name, frames, np.array(boxes, float), tags), tmp_path / "data")
    return tmp_path / "data"


def test_eval_prints_the_table_and_writes_results_and_plots(data, tmp_path, capsys):
    pytest.importorskip("cv2")
    results = tmp_path / "results"
    cli.main(["eval", "--data", str(data), "--trackers", "kcf,mosse", "--results", str(results), "--quiet"])
    out = capsys.readouterr().out
    assert "OPE on 2 sequences (30 frames)" in out
    assert "Success AUC per attribute" in out and "FM(1)" in out
    rows = [line.split()[0] for line in out.splitlines() if line.startswith(("kcf ", "mosse "))]
    assert sorted(rows[:2]) == ["kcf", "mosse"]
    assert (results / "kcf" / "fast.txt").is_file() and (results / "mosse" / "slow_time.txt").is_file()
    assert (results / "plots" / "success.png").is_file() and (results / "plots" / "precision_FM.png").is_file()


def test_a_box_outside_its_frame_is_warned_of_in_the_files_coordinates(data, tmp_path, capsys):
    """The reader's warnings quote the OTB file's 1-based numbers; the one about a box outside its frame gave the
    0-based ones held in memory: the file's 1000,1000,30,30 read as (999, 999, 30, 30)."""
    truth = data / "slow" / "groundtruth_rect.txt"
    lines = truth.read_text().splitlines()
    lines[4] = "1000,1000,30,30"
    truth.write_text("\n".join(lines) + "\n")
    cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(tmp_path / "results"), "--quiet"])
    assert "warning: slow: frame 5: box (1000, 1000, 30, 30) (x, y counted from 1, as in an OTB file) lies wholly " \
           "outside the 160×120 image" in capsys.readouterr().err


def test_eval_in_processes_says_that_they_shared_the_cores_under_its_table(data, tmp_path, capsys):
    """Each tracker's FPS with --jobs 2 on 2 cores was about half its own speed (CSRT 41.6 against 84.4), and the
    table did not say why."""
    pytest.importorskip("cv2")
    results = tmp_path / "results"
    cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(results), "--quiet", "--jobs", "2"])
    note = "! FPS: 2 processes shared this machine's"
    assert note in capsys.readouterr().out and note in (results / "table.txt").read_text()
    cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(results), "--quiet"])
    assert note not in capsys.readouterr().out


def test_eval_no_resume_runs_every_sequence_again(data, tmp_path):
    """``minicnn eval --no-resume`` runs the sequences again (mutation round: passed on as resume=True, the old
    results were reused; only ``track show --no-resume`` was tested)."""
    pytest.importorskip("cv2")
    arguments = ["eval", "--data", str(data), "--trackers", "mosse", "--results", str(tmp_path / "results"), "--quiet"]
    cli.main(arguments)
    run = tmp_path / "results" / "mosse" / "fast.json"
    written = run.stat().st_mtime_ns
    cli.main(arguments)
    assert run.stat().st_mtime_ns == written  # reused
    cli.main(arguments + ["--no-resume"])
    assert run.stat().st_mtime_ns != written


def test_show_renders_a_gif_and_a_contact_sheet(data, tmp_path, capsys):
    pytest.importorskip("cv2")
    import imageio.v3 as iio

    gif, sheet = tmp_path / "fast.gif", tmp_path / "sheet.png"
    arguments = ["track", "show", "--data", str(data), "--sequence", "fast", "--trackers", "csrt",
                 "--results", str(tmp_path / "results"), "--out", str(gif), "--quiet"]
    cli.main(arguments + ["--sheet", str(sheet)])
    assert iio.imread(gif, index=None).shape[0] == 15
    assert sheet.is_file()
    run = tmp_path / "results" / "csrt" / "fast.txt"
    written = run.stat().st_mtime_ns
    cli.main(arguments)
    assert run.stat().st_mtime_ns == written  # reused
    cli.main(arguments + ["--no-resume"])  # show had no way to run them again (the hint named eval's option)
    assert run.stat().st_mtime_ns != written


@pytest.mark.parametrize("in_the_way, message", [
    ("mosse", "--results: {results}/mosse is a file; expected a folder"),
    ("table.txt/", "--results: {results}/table.txt is a folder, where the command writes a file"),
    ("plots", "--results: {results}/plots is a file, where the evaluation writes a folder"),
])
def test_eval_refuses_a_results_folder_it_could_not_write_before_any_tracker_runs(data, tmp_path, capsys,
                                                                                   in_the_way, message):
    """A file where a tracker's results go, or a folder where table.txt goes, failed in a traceback after every
    tracker had run (from a data-safety audit)."""
    results = tmp_path / "results"
    results.mkdir()
    if in_the_way.endswith("/"):
        (results / in_the_way).mkdir()
    else:
        (results / in_the_way).write_text("mine")
    with pytest.raises(SystemExit):
        cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(results), "--quiet"])
    assert message.format(results=results) in capsys.readouterr().err
    assert sorted(path.name for path in results.iterdir()) == [in_the_way.rstrip("/")]


def test_show_refuses_to_draw_into_the_folder_of_the_frames_it_reads(data, tmp_path, capsys):
    """--out fast/img wrote PNGs among the frames, and the sequence could no longer be read (frame numbers given
    twice): it is refused by name before any work. A video or a folder elsewhere in the sequence's folder harms
    nothing, and is written."""
    before = sorted(path.name for path in (data / "fast" / "img").iterdir())
    with pytest.raises(SystemExit):
        cli.main(["track", "show", "--data", str(data), "--sequence", "fast", "--out", str(data / "fast" / "img"),
                  "--quiet"])
    error = capsys.readouterr().err
    assert "error: --out: " in error and "is the folder the sequence's frames are read from" in error, error
    assert sorted(path.name for path in (data / "fast" / "img").iterdir()) == before
    cli.main(["track", "show", "--data", str(data), "--sequence", "fast", "--out", str(data / "fast" / "drawn"),
              "--quiet"])
    assert len(list((data / "fast" / "drawn").glob("*.png"))) == 15
    assert sorted(path.name for path in (data / "fast" / "img").iterdir()) == before


@pytest.mark.parametrize("argv, message", [
    (["demo", "--epochs", "0"], "minicnn demo: error: argument --epochs: expected a whole number ≥ 1, got 0"),
    (["demo", "--seed", "-1"], "argument --seed: expected a whole number ≥ 0, got -1"),
    (["demo", "--out", "{afile}"], "minicnn demo: error: --out: {afile} is a file; expected a folder"),
    (["eval", "--trackers", ","], "minicnn eval: error: --trackers: expected comma-separated tracker names"),
    (["eval", "--data", "{data}", "--trackers", "kcf,foo"], "--trackers: unknown tracker 'foo'; available: "),
    (["eval", "--jobs", "0"], "argument --jobs: expected a whole number ≥ 1, got 0"),
    (["eval", "--data", "{data}", "--seed", "5"], "--seed: they choose the generated default suite, and --data gives "
                                                  "the sequences instead"),
    (["track", "show", "--data", "{data}", "--sequence", "slow", "--count", "3"], "--count: they choose the generated"),
    (["eval", "--data", "{afile}"], "--data: expected a folder of OTB- or GOT-10k-layout sequences, got '{afile}' "
                                    "(a file)"),
    (["eval", "--data", "{data}", "--trackers", "kcf", "--results", "{afile}"], "--results: {afile} is a file"),
    (["eval", "--data", "{data}", "--trackers", "kcf", "--sequences", "nope"], "--sequences: names: no sequences "
                                                                              "['nope']"),
    (["track", "make-sequences", "--out", "{tmp}/s", "--min-frames", "10", "--max-frames", "5"],
     "--max-frames: expected at least --min-frames (10), got 5"),
    (["track", "make-sequences", "--out", "{tmp}/s", "--min-frames", "1"], "--min-frames: expected a whole number ≥ 2"),
    (["track", "make-sequences", "--out", "{afile}"], "minicnn track make-sequences: error: --out: {afile} is a file"),
    (["track", "show", "--data", "{data}", "--sequence", "nope"], "--sequence: names: no sequences ['nope']"),
    (["track", "show", "--data", "{data}", "--sequence", "slow", "--sheet", "{tmp}/s.xyz"],
     "--sheet: expected an image file name ending in one of"),
    (["track", "show", "--data", "{data}", "--sequence", "slow", "--out", "{tmp}/s.avi"],
     "--out: expected a .gif file, an .mp4 file or a folder"),
    (["track", "show", "--data", "{data}", "--sequence", "slow", "--fps", "0"],
     "argument --fps: expected frames per second above 0 and at most 1000, got '0'"),
    (["train", "siamese", "--pairs", "0"], "argument --pairs: expected a whole number ≥ 1, got 0"),
    (["train", "siamese", "--checkpoint-every", "0"],
     "argument --checkpoint-every: expected a whole number ≥ 1, got 0"),
    (["train", "siamese", "--learning-rate", "nan"], "argument --learning-rate: expected a finite number above 0"),
    (["train", "siamese", "--out", "{afile}"], "minicnn train siamese: error: --out: {afile} is a file"),
    (["train", "siamese", "--out", "{tmp}/run", "--channels", "0,8,16,32,64", "--pairs", "8", "--batch-size", "4",
      "--epochs", "1"], "--channels: expected five comma-separated positive integers, got '0,8,16,32,64'"),
])
def test_command_line_mistakes_are_refused_by_option_before_any_work(argv, message, data, tmp_path, capsys):
    """Each used to end in a Python traceback, some of them after the work was done (an --out that is a file)."""
    afile = tmp_path / "afile"
    afile.write_text("mine")
    fill = lambda text: text.format(afile=afile, data=data, tmp=tmp_path)  # noqa: E731
    with pytest.raises(SystemExit) as stop:
        cli.main([fill(a) for a in argv] + ["--quiet"] * (argv[0] in ("eval", "track", "train", "demo")))
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Traceback" not in err
    assert fill(message) in err, err
    assert afile.read_text() == "mine"


@pytest.mark.parametrize("command", ["demo", "track"])
def test_a_folder_where_a_command_writes_a_file_is_refused_before_the_work(data, tmp_path, capsys, command):
    """minicnn demo trained for minutes, then failed in a traceback when learning_curves.png was a folder; so did
    minicnn track after tracking when trajectory.txt was one (from a data-safety audit)."""
    out = tmp_path / "out"
    in_the_way = out / ("learning_curves.png" if command == "demo" else "trajectory.txt")
    in_the_way.mkdir(parents=True)
    argv = (["demo", "--out", str(out), "--quiet"] if command == "demo" else
            ["track", str(data / "slow" / "img"), "--box", "20,30,40,40", "--tracker", "kcf", "--out", str(out),
             "--quiet"])
    with pytest.raises(SystemExit):
        cli.main(argv)
    assert f"--out: {in_the_way} is a folder, where the command writes a file" in capsys.readouterr().err
    assert sorted(path.name for path in out.iterdir()) == [in_the_way.name]


def test_a_refused_command_removes_the_empty_folders_it_made_and_keeps_the_others(data, tmp_path, capsys):
    """``track show`` makes the folder of PNG frames (``--out``) before it checks ``--sheet``; a refused sheet used
    to leave that folder, and the new folders above it, behind, empty."""
    before = tmp_path / "before"
    (before / "kept").mkdir(parents=True)
    (before / "kept" / "mine.txt").write_text("mine")
    for out in (tmp_path / "new" / "deeper" / "frames", before / "frames", before / "kept" / "frames"):
        with pytest.raises(SystemExit) as stop:
            cli.main(["track", "show", "--data", str(data), "--sequence", "slow", "--out", str(out),
                      "--sheet", str(tmp_path / "other" / "s.xyz"), "--quiet"])
        assert stop.value.code == 2 and "--sheet: expected an image file name" in capsys.readouterr().err
        assert not out.exists()
    assert not (tmp_path / "new").exists() and not (tmp_path / "other").exists()
    assert before.is_dir() and (before / "kept" / "mine.txt").read_text() == "mine"
    assert cli.FOLDERS_MADE == []


def test_a_command_that_succeeds_or_fails_after_writing_keeps_its_folder(tmp_path, monkeypatch, capsys):
    """Only empty folders are removed: a run stopped after it wrote something keeps what it wrote."""
    from minicnn.track import generator

    def write_one_then_stop(folder, **options):
        (tmp_path / folder / "photo-01-plain").mkdir()
        raise KeyboardInterrupt

    monkeypatch.setattr(generator, "make_suite", write_one_then_stop)
    out = tmp_path / "suite" / "seqs"
    assert cli.main(["track", "make-sequences", "--out", str(out), "--quiet"]) == 130
    assert capsys.readouterr().err == "minicnn: interrupted\n"
    assert (out / "photo-01-plain").is_dir()
    monkeypatch.undo()
    cli.main(["track", "make-sequences", "--out", str(tmp_path / "made"), "--count", "1", "--min-frames", "2",
              "--max-frames", "2", "--quiet"])
    assert (tmp_path / "made" / "photo-01-plain").is_dir()


def test_eval_refuses_a_sequence_that_cannot_start_or_named_twice_before_any_work(data, tmp_path, capsys):
    """A first box of 0,0,0,0 ended the evaluation in a traceback after the other sequences had run; a sequence
    named twice in --sequences in a traceback too."""
    truth = data / "fast" / "groundtruth_rect.txt"
    truth.write_text("0,0,0,0\n" + "".join(truth.read_text().splitlines(keepends=True)[1:]))
    results = tmp_path / "results"
    no_first_box = f"minicnn eval: error: --data: sequence 'fast' ({data / 'fast'}): the first frame has no box"
    for argv, message in ((["--data", str(data)], no_first_box),
                          (["--data", str(data), "--sequences", "slow,slow"],
                           "--sequences: each sequence once, got slow more than once")):
        with pytest.raises(SystemExit) as stop:
            cli.main(["eval", *argv, "--trackers", "mosse", "--results", str(results), "--quiet"])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and message in err and "Traceback" not in err, err
    assert not results.exists()


@pytest.mark.parametrize("damage, message", [
    (lambda img: (img / "0006.jpg").write_bytes((img / "0006.jpg").read_bytes()[:300]), r"frame .*0006.jpg cannot be "
                                                                                       r"read: "),
    (lambda img: _resized(img / "0007.jpg", (100, 150)), r"sequence 'slow': 0007.jpg is 150×100 but 0001.jpg is "
                                                         r"160×120 \(width×height\); every frame must have the first"),
])
def test_eval_stops_on_a_frame_it_cannot_use_with_one_line_that_names_it(data, tmp_path, capsys, damage, message):
    """A frame that cannot be read ended minicnn eval in a traceback, after every other task; one of another size
    was blamed on every tracker ("kcf crashed at frame 7") and scored as their failure."""
    pytest.importorskip("cv2")
    damage(data / "slow" / "img")
    results = tmp_path / "results"
    with pytest.raises(SystemExit) as stop:
        cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(results), "--quiet"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Traceback" not in err, err
    assert re.search(r"minicnn eval: error: " + message, err), err
    assert re.search(rf"the runs that finished are saved in {re.escape(str(results))}: mend or leave out that "
                     rf"sequence with --sequences, and the same command goes on\)", err), err
    assert not (results / "mosse" / "slow.json").exists()


def _resized(path, shape):
    from PIL import Image

    with Image.open(path) as image:
        image.resize(shape[::-1]).save(path)


def test_ctrl_c_during_eval_says_the_same_command_resumes(data, tmp_path, monkeypatch, capsys):
    from minicnn.track import evaluate

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate, "evaluate", interrupted)
    status = cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(tmp_path / "r"),
                       "--quiet"])
    assert status == 130
    assert capsys.readouterr().err == ("minicnn: interrupted (each run that finished is saved: the same command goes "
                                       "on from there)\n")


def test_eval_without_data_generates_the_default_suite_once(tmp_path, monkeypatch, capsys):
    pytest.importorskip("cv2")
    monkeypatch.setenv("MINICNN_DATA", str(tmp_path / "cache"))
    arguments = ["eval", "--count", "2", "--trackers", "mosse", "--results", str(tmp_path / "results"), "--quiet"]
    cli.main(arguments)
    out = capsys.readouterr().out
    assert "Generating the default tracking suite (2 sequences, seed 0)" in out
    assert "OPE on 2 sequences" in out
    suite = tmp_path / "cache" / "suite-v1-seed0-count2"
    assert (suite / "complete").is_file() and (suite / "photo-01-plain" / "groundtruth_rect.txt").is_file()
    cli.main(arguments)
    assert "Generating" not in capsys.readouterr().out  # generated once, then reused
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv("MINICNN_DATA", str(tmp_path / "a file" / "cache"))  # a folder that cannot be made
    with pytest.raises(SystemExit) as stop:
        cli.main(arguments)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Traceback" not in err, err
    assert (f"error: the default suite's folder (set MINICNN_DATA to another, or give --data): cannot make the "
            f"folder {tmp_path / 'a file' / 'cache'}: ") in err


def test_eval_writes_its_table_and_only_this_evaluations_plots_and_takes_a_trackers_name_in_any_case(data, tmp_path,
                                                                                                        capsys):
    """A researcher found the table only on the screen, and per-attribute plots of an earlier evaluation beside the
    new ones; --trackers KCF ran KCF again into a folder KCF/ beside kcf/."""
    pytest.importorskip("cv2")
    results = tmp_path / "results"
    (results / "plots").mkdir(parents=True)
    for stale in ("success_OCC.png", "precision_OCC.png"):  # the suite of this test has SV and FM only
        (results / "plots" / stale).write_bytes(b"an earlier evaluation's plot")
    (results / "plots" / "my_notes.png").write_bytes(b"mine")
    cli.main(["eval", "--data", str(data), "--trackers", "MOSSE,mosse", "--results", str(results), "--quiet"])
    out = capsys.readouterr().out
    table = (results / "table.txt").read_text()
    assert table.startswith("OPE on 2 sequences (30 frames)") and table.strip() in out
    assert [line.split()[0] for line in table.splitlines()[2:3]] == ["mosse"] and "MOSSE" not in table
    assert sorted(p.name for p in (results / "plots").iterdir()) == [
        "my_notes.png", "precision.png", "precision_FM.png", "precision_SV.png", "success.png", "success_FM.png",
        "success_SV.png"]
    assert sorted(p.name for p in results.iterdir()) == ["mosse", "plots", "table.txt"]


def test_eval_on_a_got10k_test_split_prints_n_a_and_draws_no_plots(data, tmp_path, capsys):
    """The first box alone: AUC and P@20 read 0.02 and 1.0, and empty plots were drawn."""
    pytest.importorskip("cv2")
    from minicnn.track.sequences import read_sequences, write_got10k

    for sequence in read_sequences(data):
        write_got10k(Sequence(sequence.name, list(sequence), sequence.ground_truth[:1]), tmp_path / "test_split")
    results = tmp_path / "results"
    cli.main(["eval", "--data", str(tmp_path / "test_split"), "--trackers", "mosse", "--results", str(results),
              "--quiet"])
    out = capsys.readouterr().out
    assert out.splitlines()[3].split()[:6] == ["mosse"] + ["n/a"] * 5, out
    assert "no plots: nothing to score" in out and not (results / "plots").exists()
    assert (results / "table.txt").is_file() and (results / "mosse" / "fast.txt").is_file()
    assert (results / "got10k_submission" / "mosse.zip").is_file() and str(results / "got10k_submission") in out
    first = (results / "got10k_submission" / "mosse" / "fast" / "fast_001.txt").read_text().splitlines()[0]
    assert first == "20.000,30.000,40.000,40.000"  # the given box, in the ground truth's coordinates


def test_eval_runs_our_trackers_with_the_weights_given_and_does_not_reuse_results_of_other_weights(data, tmp_path,
                                                                                                      capsys):
    """A network from minicnn train siamese could not be evaluated from the command line. The shipped network's
    runs in the same --results folder are not replaced unless --no-resume says so (see
    test_a_resumed_eval_does_not_replace_runs_of_our_trackers_made_with_other_weights_or_on_another_backend)."""
    import json
    import re
    import shutil
    import warnings

    from minicnn.track.trackers.siamese import WEIGHTS_PATH

    mine = tmp_path / "mine.npz"
    shutil.copy(WEIGHTS_PATH, mine)
    results = tmp_path / "results"
    arguments = ["eval", "--data", str(data), "--sequences", "slow", "--results", str(results), "--quiet"]
    cli.main(arguments + ["--trackers", "siamese"])
    shipped = (results / "table.txt").read_text()
    cli.main(arguments + ["--trackers", "siamese", "--weights", str(mine), "--no-resume"])
    made_by = json.loads((results / "siamese" / "slow.json").read_text())["made_by"]
    assert re.fullmatch(r"minicnn.track.trackers:siamese with weights sha256:[0-9a-f]{16}", made_by), made_by
    scores = (results / "table.txt").read_text().splitlines()[2].split()[:7]  # the FPS differs
    assert scores == shipped.splitlines()[2].split()[:7]  # the same network, run again
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same weights again: the results are reused
        cli.main(arguments + ["--trackers", "siamese", "--weights", str(mine)])
    capsys.readouterr()
    for extra, message in ((["--trackers", "kcf", "--weights", str(mine)], "--weights: for our trackers"),
                           (["--trackers", "siamese", "--weights", str(data / "slow" / "groundtruth_rect.txt")],
                            "--weights: ")):
        with pytest.raises(SystemExit) as stop:
            cli.main(arguments + extra)
        err = capsys.readouterr().err
        assert stop.value.code == 2 and message in err and "Traceback" not in err, err


def test_eval_with_weights_keeps_the_shipped_networks_results_and_names_the_network(data, tmp_path, monkeypatch):
    """README's own order, eval with the shipped network, then with --weights, replaced the first run's results in
    the same default folder, and the table did not say which network scored."""
    import hashlib
    import shutil

    from minicnn.track.trackers.siamese import WEIGHTS_PATH

    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.npz"
    shutil.copy(WEIGHTS_PATH, mine)
    digest = hashlib.sha256(mine.read_bytes()).hexdigest()
    arguments = ["eval", "--data", str(data), "--sequences", "slow", "--trackers", "siamese", "--quiet"]
    cli.main(arguments)
    cli.main(arguments + ["--weights", str(mine)])
    shipped = tmp_path / "minicnn_results" / "data"
    retrained = tmp_path / "minicnn_results" / f"data-weights-{digest[:8]}"
    assert (shipped / "siamese" / "slow.json").is_file() and (retrained / "siamese" / "slow.json").is_file()
    assert f"! siamese: the network of {mine} (sha256 {digest[:16]})" in (retrained / "table.txt").read_text()
    assert "network of" not in (shipped / "table.txt").read_text()


def test_show_with_weights_draws_the_runs_of_eval_with_those_weights(data, tmp_path, monkeypatch, capsys):
    """``track show`` had no ``--weights``: after ``eval --weights`` a student could not draw their own network's
    boxes (``show --trackers siamese`` ran the shipped network)."""
    import shutil

    from minicnn.track.trackers.siamese import WEIGHTS_PATH

    pytest.importorskip("imageio")
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.npz"
    shutil.copy(WEIGHTS_PATH, mine)
    common = ["--data", str(data), "--trackers", "siamese", "--weights", str(mine), "--quiet"]
    cli.main(["eval", "--sequences", "slow"] + common)
    [retrained] = (tmp_path / "minicnn_results").iterdir()
    run = retrained / "siamese" / "slow.json"
    written = run.stat().st_mtime_ns
    cli.main(["track", "show", "--sequence", "slow", "--out", str(tmp_path / "slow.gif")] + common)
    assert (tmp_path / "slow.gif").is_file() and run.stat().st_mtime_ns == written  # eval's run, drawn
    assert [folder.name for folder in (tmp_path / "minicnn_results").iterdir()] == [retrained.name]
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        cli.main(["track", "show", "--data", str(data), "--sequence", "slow", "--weights", str(mine)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--weights: for our trackers" in err and "Traceback" not in err, err


def test_eval_and_show_run_our_trackers_on_the_backend_asked_and_keep_their_results_apart(data, tmp_path, monkeypatch):
    """``minicnn eval`` timed our trackers on numba only (README: "minicnn eval times them on numba"), so a GPU
    could not be compared from the command line. ``--backend`` runs them there, keeps their results beside numba's
    (other frames per second: not reused for numba's, nor numba's for these) and says so under the table; ``track
    show --backend`` draws those runs."""
    import json

    pytest.importorskip("imageio")
    monkeypatch.chdir(tmp_path)
    arguments = ["eval", "--data", str(data), "--sequences", "slow", "--trackers", "siamese", "--quiet"]
    cli.main(arguments)
    cli.main(arguments + ["--backend", "numpy"])
    on_numba, on_numpy = tmp_path / "minicnn_results" / "data", tmp_path / "minicnn_results" / "data-numpy"
    made_by = json.loads((on_numpy / "siamese" / "slow.json").read_text())["made_by"]
    assert made_by == "minicnn.track.trackers:siamese on the numpy backend"
    assert (on_numba / "siamese" / "slow.json").is_file()
    assert "! siamese: the network run on the numpy backend" in (on_numpy / "table.txt").read_text()
    assert "backend" not in (on_numba / "table.txt").read_text()
    run = on_numpy / "siamese" / "slow.json"
    written = run.stat().st_mtime_ns
    cli.main(["track", "show", "--data", str(data), "--sequence", "slow", "--trackers", "siamese", "--backend",
              "numpy", "--out", str(tmp_path / "slow.gif"), "--quiet"])
    assert (tmp_path / "slow.gif").is_file() and run.stat().st_mtime_ns == written  # eval's run, drawn
    numba_run = on_numba / "siamese" / "slow.json"
    written = numba_run.stat().st_mtime_ns
    cli.main(arguments + ["--backend", "numba"])  # the default, named: numba's results, reused
    assert numba_run.stat().st_mtime_ns == written
    assert sorted(folder.name for folder in (tmp_path / "minicnn_results").iterdir()) == ["data", "data-numpy"]


def test_eval_refuses_the_cuda_simulator_and_a_backend_for_opencvs_trackers_before_any_work(data, tmp_path, capsys,
                                                                                          monkeypatch):
    from minicnn.kernels import cuda

    monkeypatch.setattr(cuda, "is_simulator", lambda: True)
    results = tmp_path / "results"
    ours_only = "--backend: for our trackers (siamese, siamese-nomotion, cnn, hybrid), and "
    cases = {("siamese", "cuda"): "--backend cuda: the 'cuda' backend is running on numba's CUDA simulator",
             ("kcf", "numpy"): ours_only + "--trackers names none of them",
             ("kcf", "numba"): ours_only + "--trackers names none of them",  # as minicnn track VIDEO refuses it
             (None, "numpy"): ours_only + "no --trackers names them"}
    for (trackers, backend), message in cases.items():
        for command in (["eval"], ["track", "show", "--sequence", "slow"]):
            expected = message
            if trackers is None and command == ["eval"]:  # eval's default trackers are OpenCV's (the review)
                expected = ours_only + ("the default trackers (kcf, csrt, mil, mosse, medianflow) are OpenCV's: name "
                                        "ours with them, e.g. --trackers siamese,kcf,csrt,mil,mosse,medianflow")
            chosen = [] if trackers is None else ["--trackers", trackers]
            with pytest.raises(SystemExit) as stop:
                cli.main(command + ["--data", str(data), *chosen, "--backend", backend, "--results", str(results),
                                    "--quiet"])
            err = capsys.readouterr().err
            assert stop.value.code == 2 and expected in err and "Traceback" not in err, (command, err)
    assert not results.exists()


def test_without_a_gpu_the_tracking_commands_do_not_send_cuda_to_the_simulator_they_refuse(data, clip, tmp_path,
                                                                                           capsys, monkeypatch):
    """The no-GPU error's way out, NUMBA_ENABLE_CUDASIM=1, led eval, show and track to their refusal of the
    simulator (the review); on a tracking command it names numba instead."""
    from minicnn.errors import NoGPUError
    from minicnn.kernels import cuda

    def no_gpu():
        raise NoGPUError("the 'cuda' backend found no CUDA GPU or driver on this machine (numba.cuda.is_available() "
                         "is False). To run its kernels without a GPU on numba's CUDA simulator, set "
                         "NUMBA_ENABLE_CUDASIM=1 before Python starts")

    monkeypatch.setattr(cuda, "is_simulator", lambda: False)
    monkeypatch.setattr(cuda, "check_available", no_gpu)
    expected = ("--backend cuda: the 'cuda' backend found no CUDA GPU or driver on this machine; run our trackers "
                "with --backend numba (compiled, on the CPU), or on a machine with a GPU")
    saved = " holds 0 of the 1 runs asked for (siamese on 1 sequence); runs made on a machine where the backend runs"
    for command, then in ((["eval", "--data", str(data), "--sequences", "fast", "--trackers", "siamese"], saved),
                          (["track", "show", "--data", str(data), "--sequence", "slow", "--trackers", "siamese"],
                           saved),
                          (["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "siamese"], "")):
        with pytest.raises(SystemExit) as stop:
            cli.main(command + ["--backend", "cuda", "--quiet"])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and expected in err and then in err and "CUDASIM" not in err, (command, err)


def _made_on_a_gpu(run):
    """Make the saved run of ``run`` (its .json) read as made by siamese on the cuda backend."""
    import json

    info = json.loads(run.read_text())
    info["made_by"] = "minicnn.track.trackers:siamese on the cuda backend"
    run.write_text(json.dumps(info))


def test_runs_made_on_a_gpu_are_scored_where_cuda_cannot_run_and_refused_where_some_are_missing(data, tmp_path, capsys,
                                                                                                 monkeypatch):
    """Results made with --backend cuda on a machine with a GPU could not be shown or scored on one without (the
    tracker was built, to refuse the backend, before the runs were looked at). Where every run asked for is saved, no
    tracker is built, on a machine without a GPU as on the CUDA simulator; where one is missing, the command is refused
    before any work, saying how many are there."""
    from minicnn.errors import NoGPUError
    from minicnn.kernels import cuda
    from minicnn.track import trackers

    results = tmp_path / "results"
    arguments = ["--data", str(data), "--trackers", "siamese", "--results", str(results), "--quiet"]
    cli.main(["eval", "--sequences", "slow", "--backend", "numpy"] + arguments)
    _made_on_a_gpu(results / "siamese" / "slow.json")
    written = (results / "siamese" / "slow.json").stat().st_mtime_ns
    table = (results / "table.txt").read_text().splitlines()[2].split()[:7]
    capsys.readouterr()

    def no_gpu():
        raise NoGPUError("the 'cuda' backend found no CUDA GPU or driver on this machine")

    built, make_tracker = [], trackers.make_tracker

    def make(*args, **kwargs):  # with no GPU, building one on cuda raises NoGPUError
        built.append(make_tracker(*args, **kwargs))

    monkeypatch.setattr(trackers, "make_tracker", make)
    for gpu_here in ("simulator", "none"):
        if gpu_here == "none":
            monkeypatch.setattr(cuda, "is_simulator", lambda: False)
            monkeypatch.setattr(cuda, "check_available", no_gpu)
        cli.main(["eval", "--sequences", "slow", "--backend", "cuda"] + arguments)
        out = capsys.readouterr().out
        assert "! siamese: the network run on the cuda backend" in out, out
        assert (results / "table.txt").read_text().splitlines()[2].split()[:7] == table
        cli.main(["track", "show", "--sequence", "slow", "--backend", "cuda", "--out", str(tmp_path / "slow.gif")]
                 + arguments)
        assert (tmp_path / "slow.gif").is_file()
        for missing, command in (("holds 1 of the 2 runs asked for (siamese on 2 sequences)", ["eval"]),
                                 (". --no-resume runs every run again, which needs the backend; without it, the runs "
                                  f"saved in {results} are scored here", ["eval", "--sequences", "slow",
                                                                          "--no-resume"])):
            with pytest.raises(SystemExit) as stop:
                cli.main(command + ["--backend", "cuda"] + arguments)
            err = capsys.readouterr().err
            assert stop.value.code == 2 and missing in err and "Traceback" not in err, err
        assert (results / "siamese" / "slow.json").stat().st_mtime_ns == written
        assert not (results / "siamese" / "fast.json").exists() and built == []


def test_a_resumed_eval_does_not_replace_runs_of_our_trackers_made_with_other_weights_or_on_another_backend(
        data, tmp_path, capsys):
    """A --results folder holding siamese's runs on the numpy backend (or on a GPU, runs this machine cannot make
    again) was evaluated again without --backend: the runs were made again on numba, after a warning, in their place.
    Now the command is refused before any work, saying which options score them; --no-resume replaces them."""
    import json
    import shutil

    from minicnn.track.trackers.siamese import WEIGHTS_PATH

    mine = tmp_path / "mine.npz"
    shutil.copy(WEIGHTS_PATH, mine)
    results = tmp_path / "results"
    arguments = ["--data", str(data), "--sequences", "slow", "--trackers", "siamese", "--results", str(results),
                 "--quiet"]
    cli.main(["eval", "--backend", "numpy"] + arguments)
    run = results / "siamese" / "slow.json"
    written = run.stat().st_mtime_ns
    capsys.readouterr()
    on_numpy = "it holds 1 run (slow) of siamese (the shipped network, on the numpy backend), and this command runs "
    cases = {("eval",): "siamese (the shipped network, on the numba backend), whose runs would replace them. To score "
                        "them, give --backend numpy; to keep both, give another --results folder; to replace them, add "
                        "--no-resume",
             ("eval", "--backend", "numpy", "--weights", str(mine)):
                 "siamese (the network of sha256 7117bee7..., on the numpy backend), whose runs would replace them. To "
                 "score them, give no --weights (the shipped network);",
             ("track", "show", "--out", str(tmp_path / "slow.gif")): "To score them, give --backend numpy;"}
    for command, message in cases.items():
        one = "--sequence" if command[0] == "track" else "--sequences"
        with pytest.raises(SystemExit) as stop:
            cli.main(list(command) + [one if argument == "--sequences" else argument for argument in arguments])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and on_numpy in err and message in err and "Traceback" not in err, (command, err)
        assert run.stat().st_mtime_ns == written and not (tmp_path / "slow.gif").exists()
    cli.main(["eval", "--no-resume"] + arguments)
    assert json.loads(run.read_text())["made_by"] == "minicnn.track.trackers:siamese"


def test_make_sequences_warns_of_sequences_an_earlier_run_left_in_the_folder(tmp_path, capsys):
    """A suite of 4 made again as a suite of 2 kept the other 2: eval --data scored a mixed suite."""
    arguments = ["track", "make-sequences", "--out", str(tmp_path / "s"), "--min-frames", "2", "--max-frames", "2",
                 "--quiet"]
    cli.main(arguments + ["--count", "3"])
    assert "warning" not in capsys.readouterr().err
    cli.main(arguments + ["--count", "1", "--seed", "2"])
    err = capsys.readouterr().err
    assert "also holds 2 sequences this run did not write (photo-02-plain, photo-03-plain), from an earlier run" in err


def test_make_sequences_writes_the_otb_layout(tmp_path, capsys):
    from minicnn.track.sequences import read_sequences

    cli.main(["track", "make-sequences", "--out", str(tmp_path / "seqs"), "--count", "2", "--min-frames", "10",
              "--max-frames", "12", "--quiet"])
    sequences = read_sequences(tmp_path / "seqs")
    assert [s.name for s in sequences] == ["photo-01-plain", "photo-02-plain"]
    assert all(10 <= len(s) <= 12 for s in sequences)
    assert "2 sequences written" in capsys.readouterr().out


# --------------------------------------------------------------------- minicnn track FRAMES_DIR_OR_VIDEO --box

MARK = (255, 0, 255)  # the target's top-left pixel: the fake tracker finds the target by it


def _moving_square(n=20, height=96, width=128, seed=0):
    """A textured 24×24 square moving (3, 1) px per frame over grey noise; returns (frames, 0-based boxes)."""
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    texture[0, 0] = MARK
    frames, boxes = [], []
    for t in range(n):
        frame = rng.integers(60, 120, (height, width, 3), dtype=np.uint8)
        x, y = 10 + 3 * t, 20 + t
        frame[y : y + 24, x : x + 24] = texture
        frames.append(frame)
        boxes.append([x, y, 24, 24])
    return frames, np.array(boxes, dtype=np.float64)


@pytest.fixture(scope="module")
def clip_files(tmp_path_factory):
    """The moving square as a folder of PNG frames (lossless) and as a GIF, written once for the module."""
    import imageio.v3 as iio

    frames, _ = _moving_square()
    root = tmp_path_factory.mktemp("clip")
    folder = root / "frames"
    folder.mkdir()
    for t, frame in enumerate(frames):
        iio.imwrite(folder / f"{t + 1:04d}.png", frame)
    iio.imwrite(root / "clip.gif", np.stack(frames), duration=50, loop=0)
    return root


@pytest.fixture
def clip(clip_files, tmp_path, monkeypatch):
    """A fresh copy of the clip's files for one test (tests may change the folder), and the true boxes. The test runs
    in ``tmp_path``, so the default output folder ``minicnn_track/`` lands there."""
    import shutil

    monkeypatch.chdir(tmp_path)

    shutil.copytree(clip_files / "frames", tmp_path / "frames")
    shutil.copy(clip_files / "clip.gif", tmp_path / "clip.gif")
    return {"folder": tmp_path / "frames", "gif": tmp_path / "clip.gif", "boxes": _moving_square()[1],
            "box": "10,20,24,24"}


class MarkFinder(Tracker):
    """A fake tracker on minicnn's base class: finds the target by its MARK pixel; says lost on the frames in
    ``lost`` and raises at frame ``crash_at`` (0-based)."""

    name = "fake"

    def __init__(self, lost=(), crash_at=None):
        self.lost, self.crash_at = lost, crash_at

    def _init(self, frame, box):
        self.index = 0
        if self.crash_at == 0:
            raise RuntimeError("the fake tracker broke at once")

    def _update(self, frame):
        self.index += 1
        if self.index == self.crash_at:
            raise RuntimeError("the fake tracker broke")
        ys, xs = np.nonzero(np.all(frame == MARK, axis=2))
        return self.index not in self.lost, np.array([xs[0], ys[0], 24, 24], dtype=np.float64)


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """Register the fake tracker as 'fake' (and record the names asked for); returns the options it is built with.
    The test runs in ``tmp_path``, with no tracker warmed up yet (``evaluate.warm_up``)."""
    from minicnn.track import evaluate, trackers

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(evaluate, "WARMED_UP", set())

    options = {"lost": (), "crash_at": None, "asked": [], "backends": []}
    original_make, original_available = trackers.make_tracker, trackers.available_trackers

    def make(name, weights=None, backend="numba"):
        from minicnn.errors import BackendError

        options["asked"].append(name)
        options["backends"].append(backend)
        if backend == "cuda":
            raise BackendError("the 'cuda' backend found no CUDA GPU")
        if name in ("fake", "siamese"):
            return MarkFinder(options["lost"], options["crash_at"])
        if name == "unbuildable":
            raise FileNotFoundError("weight file 'nowhere.npz' does not exist")
        return original_make(name, weights=weights, backend=backend)

    monkeypatch.setattr(trackers, "make_tracker", make)
    monkeypatch.setattr(trackers, "available_trackers",
                        lambda: {**original_available(), "fake": "finds MARK", "unbuildable": "needs weights"})
    return options


def _otb_lines(boxes):
    return [",".join(f"{v:.2f}" for v in (x + 1, y + 1, w, h)) for x, y, w, h in boxes]


def test_track_a_frame_folder_writes_the_trajectory_the_times_and_a_gif(clip, fake, tmp_path, capsys):
    import imageio.v3 as iio

    fake["lost"] = (5, 11)
    out = tmp_path / "out"
    status = cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--out", str(out),
                       "--quiet"])
    assert status == 0
    expected = _otb_lines(clip["boxes"])
    expected[5] = expected[11] = "nan,nan,nan,nan"  # lost frames: no box
    assert (out / "trajectory.txt").read_text().splitlines() == expected
    assert expected[0] == "11.00,21.00,24.00,24.00"  # 1-based, as OTB's result files
    seconds = np.loadtxt(out / "times.txt")
    assert seconds.shape == (20,) and np.all(seconds >= 0)
    video = iio.imread(out / "track.gif", index=None)
    assert video.shape[0] == 20 and video.shape[2] == 128 and video.shape[1] > 96  # frames + the legend strip
    printed = capsys.readouterr().out
    assert "Tracked 20 of 20 frames of frames with fake at" in printed and "FPS" in printed
    assert "no box in 2 frames" in printed
    assert str((out / "trajectory.txt").resolve()) in printed and str((out / "track.gif").resolve()) in printed


def test_first_and_last_frame_track_a_part_of_the_input_from_the_box_on_the_first(clip, fake, tmp_path, capsys):
    """An object that comes in later could not be tracked without cutting the video first: --box was on frame 1.
    The drawn frames are numbered as the input numbers them, and a part gets a folder of its own by default (the
    review: the video said 1 for frame 5, and a second range overwrote the first's files)."""
    import imageio.v3 as iio

    from minicnn.track import plots

    out = tmp_path / "out"
    x, y, w, h = clip["boxes"][4]
    assert cli.main(["track", str(clip["folder"]), "--box", f"{x:g},{y:g},{w:g},{h:g}", "--first-frame", "5",
                     "--last-frame", "12", "--tracker", "fake", "--out", str(out), "--quiet"]) == 0
    assert (out / "trajectory.txt").read_text().splitlines() == _otb_lines(clip["boxes"][4:12])
    assert np.loadtxt(out / "times.txt").shape == (8,) and iio.imread(out / "track.gif", index=None).shape[0] == 8
    printed = capsys.readouterr().out
    assert "Tracked 8 of 8 frames (frames 5–12) of frames with fake" in printed
    assert "x,y,w,h per frame (frames 5–12)" in printed
    assert cli.main(["track", str(clip["folder"]), "--box", f"{x:g},{y:g},{w:g},{h:g}", "--first-frame", "5",
                     "--last-frame", "12", "--tracker", "fake", "--out", str(out), "--out-video", str(out / "drawn"),
                     "--quiet"]) == 0
    part = Sequence("part", _moving_square()[0][4:12], clip["boxes"][4:12])
    caption = {number: next(plots._video_frames(part, {}, [0], None, 2, first_number=number))[:16, :24]
               for number in (1, 5)}
    drawn = iio.imread(out / "drawn" / "0001.png")[:16, :24]
    assert np.array_equal(drawn, caption[5]) and not np.array_equal(drawn, caption[1])  # numbered as the input
    assert cli.main(["track", str(clip["folder"]), "--box", f"{x + 45:g},{y + 15:g},{w:g},{h:g}", "--first-frame",
                     "20", "--tracker", "fake", "--quiet"]) == 0  # the last frame alone, in a folder of its own
    assert (tmp_path / "minicnn_track" / "frames" / "fake-frames20-20" / "trajectory.txt").read_text().splitlines() \
        == _otb_lines(clip["boxes"][19:])
    _, video = cli_track.load_track_input(clip["gif"])  # a video's frames, decoded when used, are cut the same way
    decoded = iio.imread(clip["gif"], index=None)[..., :3]
    part = cli_track.frame_range(video, 5, 12, clip["gif"])
    np.testing.assert_array_equal(np.stack([np.array(frame) for frame in part]), decoded[4:12])


@pytest.mark.parametrize("options, message", [
    (["--first-frame", "21"], "--first-frame: expected one of the 20 frames of {input}, got 21"),
    (["--first-frame", "5", "--last-frame", "4"], "--last-frame: expected at least --first-frame (5), got 4"),
    (["--last-frame", "21"], "--last-frame: expected one of the 20 frames of {input}, got 21"),
    (["--first-frame", "0"], "argument --first-frame: expected a whole number ≥ 1, got 0"),
])
def test_a_frame_range_outside_the_input_is_refused_by_option(clip, fake, capsys, options, message):
    found = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "fake", *options)
    assert found == message.format(input=clip["folder"]), found


def test_the_box_is_drawn_on_the_video_and_lost_frames_have_none(clip, fake, tmp_path):
    import imageio.v3 as iio

    fake["lost"] = (4,)
    pngs = tmp_path / "pngs"
    cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--out",
              str(tmp_path / "out"), "--out-video", str(pngs), "--quiet"])
    files = sorted(pngs.iterdir())
    assert [f.name for f in files[:2]] == ["0001.png", "0002.png"] and len(files) == 20
    red = np.array([230, 25, 75])  # the first tracker colour of plots.TRACKER_COLORS

    def outline_is_red(index):
        x, y = clip["boxes"][index, :2].astype(int)
        image = iio.imread(files[index])
        return np.array_equal(image[y + 12, x], red) and np.array_equal(image[y + 12, x + 23], red)

    assert outline_is_red(3) and outline_is_red(5)
    assert not outline_is_red(4)


def test_every_and_fps_reach_the_video(clip, fake, tmp_path):
    pngs = tmp_path / "pngs"
    cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--out",
              str(tmp_path / "out"), "--out-video", str(pngs), "--every", "5", "--quiet"])
    assert len(list(pngs.iterdir())) == 4
    assert len((tmp_path / "out" / "trajectory.txt").read_text().splitlines()) == 20  # every frame is tracked


def test_frames_are_taken_in_name_order_with_numbers_compared_as_numbers(clip, fake, tmp_path):
    for path in clip["folder"].iterdir():
        path.rename(path.with_name(f"frame{int(path.stem)}.png"))  # frame1.png … frame20.png: no zero padding
    (clip["folder"] / "notes.txt").write_text("not a frame")
    out = tmp_path / "out"
    cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--out", str(out), "--quiet"])
    assert (out / "trajectory.txt").read_text().splitlines() == _otb_lines(clip["boxes"])


def test_the_default_tracker_is_siamese_and_the_default_folder_is_named_after_the_input(clip, fake, tmp_path,
                                                                                         capsys):
    assert cli.main(["track", str(clip["folder"]), "--box", clip["box"]]) == 0
    assert set(fake["asked"]) == {"siamese"}  # the tracker, and those of its warm-up
    assert (tmp_path / "minicnn_track" / "frames" / "siamese" / "trajectory.txt").is_file()
    assert (tmp_path / "minicnn_track" / "frames" / "siamese" / "track.gif").is_file()
    # Progress bars over tracking and drawing, without --quiet, each saying which it is (an interactive bar, as
    # under Jupyter, may redraw its last line: at least one finished bar per stage).
    out = capsys.readouterr().out
    assert out.count("tracking 20/20 [") >= 1 and out.count("drawing 20/20 [") >= 1


def test_the_backend_option_reaches_our_trackers_and_is_refused_for_opencvs(clip, fake, capsys, monkeypatch):
    """minicnn track ran our trackers on numba whatever was asked (MINICNN_BACKEND is the models' backend): a GPU
    could not be used from the command line. A run on another backend than numba is kept in a folder of its own
    (its times are that backend's). cuda on the CUDA simulator is refused before any work: a frame takes minutes."""
    from minicnn.kernels import cuda

    assert cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--backend", "numpy", "--quiet"]) == 0
    assert set(fake["asked"]) == {"siamese"} and set(fake["backends"]) == {"numpy"}
    assert cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--quiet"]) == 0
    assert fake["backends"][-1] == "numba"  # the default
    runs = sorted(folder.name for folder in (clip["folder"].parent / "minicnn_track" / "frames").iterdir())
    assert runs == ["siamese", "siamese-numpy"]
    monkeypatch.setattr(cuda, "is_simulator", lambda: False)
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--backend", "cuda")
    assert message == "--backend cuda: the 'cuda' backend found no CUDA GPU"
    monkeypatch.setattr(cuda, "is_simulator", lambda: True)
    asked = len(fake["asked"])
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--backend", "cuda")
    assert message.startswith("--backend cuda: the 'cuda' backend is running on numba's CUDA simulator")
    assert "would take days" in message and "--backend numba" in message and len(fake["asked"]) == asked
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "kcf", "--backend", "numpy")
    assert message.startswith("--backend: for our trackers (siamese, ") and message.endswith("kcf has none")


def test_the_frames_of_an_otb_sequence_are_named_after_the_sequence_not_its_img_folder(clip, fake, tmp_path):
    """Every OTB sequence keeps its frames in img/: two sequences tracked one after the other both wrote
    minicnn_track/img/, the second over the first."""
    for sequence in ("Basketball", "Boy"):
        (tmp_path / sequence).mkdir()
        clip["folder"].rename(tmp_path / sequence / "img")
        assert cli.main(["track", str(tmp_path / sequence / "img"), "--box", clip["box"], "--tracker", "fake",
                         "--quiet"]) == 0
        (tmp_path / sequence / "img").rename(clip["folder"])
    assert (tmp_path / "minicnn_track" / "Basketball" / "fake" / "trajectory.txt").is_file()
    assert (tmp_path / "minicnn_track" / "Boy" / "fake" / "trajectory.txt").is_file()


def test_track_a_gif_with_an_opencv_tracker(clip, tmp_path, capsys):
    pytest.importorskip("cv2")
    from minicnn.track.boxes import from_otb, iou

    assert cli.main(["track", str(clip["gif"]), "--box", clip["box"], "--tracker", "kcf-nothresh", "--quiet"]) == 0
    out = tmp_path / "minicnn_track" / "clip" / "kcf-nothresh"
    boxes = from_otb(np.loadtxt(out / "trajectory.txt", delimiter=","))
    assert boxes.shape == (20, 4)
    np.testing.assert_array_equal(boxes[0], clip["boxes"][0])
    assert np.all(iou(boxes, clip["boxes"]) > 0.5)
    assert (out / "track.gif").is_file() and len(np.loadtxt(out / "times.txt")) == 20
    assert "with kcf-nothresh at" in capsys.readouterr().out


def test_video_frames_are_made_rgb_and_must_share_one_size(clip, fake, tmp_path, monkeypatch, capsys):
    import imageio.v3 as iio

    frames, boxes = _moving_square(n=4)
    decoded = [frames[0], np.concatenate([frames[1], np.full((96, 128, 1), 255, np.uint8)], axis=2),  # RGBA
               frames[2].astype(np.uint16) * 257, frames[3]]  # a 16-bit decode of the same picture
    monkeypatch.setattr(iio, "imiter", lambda path: iter(decoded))
    out = tmp_path / "out"
    cli.main(["track", str(clip["gif"]), "--box", clip["box"], "--tracker", "fake", "--out", str(out), "--quiet"])
    assert (out / "trajectory.txt").read_text().splitlines() == _otb_lines(boxes)
    decoded[2] = np.zeros((48, 64), np.uint8)  # grey, and smaller
    message = _track_error(capsys, clip["gif"], "--box", clip["box"], "--tracker", "fake")
    assert "frames of different sizes in" in message and "frame 1 is 128×96 but frame 3 is 64×48" in message


def test_a_video_of_16_bit_frames_holding_8_bit_values_is_warned_of_once(clip, fake, tmp_path, monkeypatch):
    import warnings

    import imageio.v3 as iio

    from minicnn.track import sequences

    monkeypatch.setattr(sequences, "DARK_16_BIT_SAID", set())
    frames, _ = _moving_square(n=4)
    monkeypatch.setattr(iio, "imiter", lambda path: iter([frame.astype(np.uint16) for frame in frames]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cli.main(["track", str(clip["gif"]), "--box", clip["box"], "--tracker", "fake", "--out", str(tmp_path / "o"),
                  "--quiet"])
    said = [str(warning.message) for warning in caught if "16-bit" in str(warning.message)]
    assert len(said) == 1 and said[0].startswith("frame 1 of clip.gif is a 16-bit image that reads nearly black: its "
                                                 "values are all at most 255"), said


def test_track_warms_a_built_in_tracker_up_untimed_as_eval_does(clip, fake, tmp_path, monkeypatch):
    """times.txt's first line held the compilation of our trackers' kernels (4.2 s on a first run, then 0.04 s a
    frame: 3.3 FPS said where 24 was right; the review); minicnn eval had been fixed, minicnn track not."""
    import time

    compiled = []

    def compiles_on_first_use(self, frame, box):
        if not compiled:
            time.sleep(0.3)
            compiled.append(True)
        self.index = 0

    monkeypatch.setattr(MarkFinder, "_init", compiles_on_first_use)
    out = tmp_path / "out"
    assert cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--out", str(out),
                     "--quiet"]) == 0
    assert np.loadtxt(out / "times.txt")[0] < 0.3 and compiled


def test_a_gif_too_large_for_memory_is_warned_of_before_any_work_with_an_every_that_fits(clip, fake, tmp_path,
                                                                                      monkeypatch, capsys):
    """A GIF is held in memory until it is written: 300 KB a frame at 640×480, 2.7 GB for five minutes of a phone's
    video drawn whole, which the command found out only once tracking was done."""
    from minicnn.track import plots

    monkeypatch.setattr(plots, "GIF_MEMORY_WARNING", 100_000)  # the 20 frames of 128×96 take 245,760 bytes
    common = ["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--quiet"]
    assert cli.main(common + ["--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert f"warning: {tmp_path / 'a' / 'track.gif'} will hold 20 frames, about 0.2 MB in memory until it is " \
           f"written (a GIF is written whole); --every 3 draws fewer" in err, err
    for options in (["--every", "3"], ["--out-video", str(tmp_path / "frames_drawn")]):
        assert cli.main(common + ["--out", str(tmp_path / "b")] + options) == 0
        assert "in memory until it is written" not in capsys.readouterr().err, options


def test_a_videos_frames_are_decoded_when_used_and_not_held(tmp_path):
    """A video was decoded whole into memory before tracking: 6 MB a frame at 1080p, 11 GB for a minute of a phone's
    video. Its frames are now decoded as they are used, one held at a time, in order or not."""
    import tracemalloc

    import imageio.v3 as iio

    from minicnn.track.sequences import Sequence

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (40, 120, 160, 3), dtype=np.uint8)
    iio.imwrite(tmp_path / "noise.gif", frames, duration=40, loop=0)
    decoded = iio.imread(tmp_path / "noise.gif", index=None)[..., :3]  # as Pillow reads it back (a palette)
    frame_bytes = decoded[0].nbytes
    tracemalloc.start()
    try:
        name, video = cli_track.load_track_input(tmp_path / "noise.gif")
        sequence = Sequence(name, video, np.array([[10, 10, 20, 20]]))
        for index in range(len(sequence)):
            np.testing.assert_array_equal(sequence[index], decoded[index])
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert name == "noise" and len(sequence) == 40
    assert held < 5 * frame_bytes, f"{held / frame_bytes:.1f} frames held"  # all 40 were held before
    for index in (30, 3, 3, 39, 0):  # back and forth: the decoding starts again where it must
        np.testing.assert_array_equal(sequence[index], decoded[index])
    sequence[5][:] = 0  # a frame given is a new array: drawing into it changes nothing that is read next
    np.testing.assert_array_equal(sequence[5], decoded[5])


def test_a_tracker_that_raises_on_the_first_frame_is_not_said_to_run_at_infinite_speed(clip, fake, tmp_path, capsys):
    """'Tracked 0 of 30 frames of grey with cnn at inf FPS': no frame was timed."""
    fake["crash_at"] = 0
    status = cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--out",
                       str(tmp_path / "out"), "--quiet"])
    out = capsys.readouterr().out
    assert status == 1 and "Tracked 0 of 20 frames of frames with fake (it raised on the first frame)" in out, out
    assert "inf" not in out


def test_a_tracker_that_raises_part_way_leaves_nan_rows_and_status_1(clip, fake, tmp_path, capsys):
    fake["crash_at"] = 7
    out = tmp_path / "out"
    status = cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--out", str(out),
                       "--quiet"])
    assert status == 1
    lines = (out / "trajectory.txt").read_text().splitlines()
    assert lines[:7] == _otb_lines(clip["boxes"])[:7] and lines[7:] == ["nan,nan,nan,nan"] * 13
    assert len(np.loadtxt(out / "times.txt")) == 7
    assert "warning: fake raised at frame 8: RuntimeError: the fake tracker broke" in capsys.readouterr().err


def _track_error(capsys, *arguments):
    """Run ``minicnn track ...`` expecting a usage error: returns the message (exit status 2, no traceback)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["track", *map(str, arguments)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "minicnn track: error: " in err
    return err.split("minicnn track: error: ", 1)[1].strip()


def test_a_missing_path_is_named(fake, tmp_path, capsys):
    message = _track_error(capsys, tmp_path / "nowhere", "--box", "1,2,3,4", "--tracker", "fake")
    assert message.startswith("FRAMES_DIR_OR_VIDEO: ") and f"{tmp_path / 'nowhere'} does not exist" in message


def test_an_empty_folder_is_named(fake, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no frames here")
    message = _track_error(capsys, tmp_path / "empty", "--box", "1,2,3,4", "--tracker", "fake")
    assert f"the folder {tmp_path / 'empty'} holds no frames" in message and ".jpg" in message
    assert "OTB sequence" not in message
    (tmp_path / "empty" / "img").mkdir()  # an OTB sequence's folder, given in place of its img/
    message = _track_error(capsys, tmp_path / "empty", "--box", "1,2,3,4", "--tracker", "fake")
    assert message.endswith(f"(an OTB sequence? its frames are in {tmp_path / 'empty' / 'img'})")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # imageio tries its legacy plugins on the bad file
def test_an_unreadable_video_is_named(fake, tmp_path, capsys):
    (tmp_path / "broken.gif").write_bytes(b"not a gif at all")
    message = _track_error(capsys, tmp_path / "broken.gif", "--box", "1,2,3,4", "--tracker", "fake")
    assert f"cannot read {tmp_path / 'broken.gif'} as a video" in message


def test_an_mp4_without_imageio_ffmpeg_says_what_to_install(fake, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_track, "_ffmpeg_available", lambda: False)
    (tmp_path / "clip.mp4").write_bytes(b"not decodable here")
    message = _track_error(capsys, tmp_path / "clip.mp4", "--box", "1,2,3,4", "--tracker", "fake")
    assert "needs the imageio-ffmpeg package" in message and "pip install imageio-ffmpeg" in message


def test_a_single_image_is_not_a_video(clip, fake, capsys):
    message = _track_error(capsys, clip["folder"] / "0001.png", "--box", "1,2,3,4", "--tracker", "fake")
    assert "is a single image; give the folder that holds the frames" in message


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "1,2,3,4,5", ""])
def test_bad_box_text_is_quoted(clip, fake, capsys, text):
    message = _track_error(capsys, clip["folder"], "--box", text, "--tracker", "fake")
    assert message == f"--box: expected four numbers x,y,w,h, got {text!r}"


def test_a_box_may_be_written_with_spaces_as_the_help_says():
    """``--box "10 20 30 40"`` takes commas and/or spaces, as parse_box says (mutation round: split on commas only,
    it was refused as not four numbers, with no test to notice)."""
    assert cli_track.parse_box("10 20 30 40") == [10.0, 20.0, 30.0, 40.0]
    assert cli_track.parse_box("10, 20,30 ,40") == [10.0, 20.0, 30.0, 40.0]


def test_the_summary_counts_the_frames_after_a_crash_as_without_a_box(clip, fake, tmp_path, capsys):
    """"no box in N frames" counts every frame written nan: the one the tracker said it lost and the 13 after its
    crash at frame 7 (mutation round: counted from the lost frames alone it said 1)."""
    fake["crash_at"], fake["lost"] = 7, (3,)
    assert cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "fake", "--out",
                     str(tmp_path / "out"), "--quiet"]) == 1
    assert "no box in 14 frames" in capsys.readouterr().out


def test_a_box_outside_the_first_frame_is_refused(clip, fake, capsys):
    message = _track_error(capsys, clip["folder"], "--box", "400,10,20,20", "--tracker", "fake")
    assert message.startswith("--box (400, 10, 20, 20) lies wholly outside the 128×96 frame")
    message = _track_error(capsys, clip["folder"], "--box", "10,10,0,20", "--tracker", "fake")
    assert message.startswith("--box: expected a width and height > 0")


def test_frames_of_different_sizes_are_named(clip, fake, capsys):
    import imageio.v3 as iio

    iio.imwrite(clip["folder"] / "0007.png", np.zeros((48, 64, 3), np.uint8))
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "fake")
    assert "frames of different sizes: 0001.png is 128×96 but 0007.png is 64×48 (width×height)" in message


def test_an_unknown_tracker_lists_the_known_ones(clip, fake, capsys):
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "nope")
    assert message.startswith("--tracker: unknown tracker 'nope'; available: ") and "fake" in message


def test_a_tracker_that_cannot_be_built_says_why(clip, fake, capsys):
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "unbuildable")
    assert message == "--tracker unbuildable: weight file 'nowhere.npz' does not exist"


def test_weights_of_ones_own_training_reach_the_tracker(clip, tmp_path, capsys):
    from minicnn.track.trackers.siamese import SiameseNetwork

    weights = tmp_path / "mine" / "siamese.npz"
    weights.parent.mkdir()
    SiameseNetwork(channels=(3, 4, 4, 5, 4), seed=0).save(weights)
    out = tmp_path / "out"
    assert cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--weights", str(weights), "--out",
                     str(out), "--quiet"]) == 0
    assert len((out / "trajectory.txt").read_text().splitlines()) == 20
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--weights", tmp_path / "none.npz")
    assert message.startswith("--tracker siamese: ") and "none.npz" in message and "does not exist" in message


def test_runs_of_one_video_with_other_trackers_or_weights_keep_their_own_default_folders(clip, tmp_path):
    """README's two lines, `minicnn track my_video.gif --box ...` and the same with --weights, wrote one folder,
    minicnn_track/my_video, the second run over the first without a word (so did --tracker kcf after siamese)."""
    import hashlib

    from minicnn.track.trackers.siamese import SiameseNetwork

    weights = tmp_path / "siamese.npz"
    SiameseNetwork(channels=(3, 4, 4, 5, 4), seed=0).save(weights)
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:8]
    for extra in ([], ["--weights", str(weights)]):
        assert cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--every", "10", "--quiet"] + extra) == 0
    runs = sorted(path.name for path in (tmp_path / "minicnn_track" / "frames").iterdir())
    assert runs == ["siamese", f"siamese-weights-{digest}"]
    assert all((tmp_path / "minicnn_track" / "frames" / run / "trajectory.txt").is_file() for run in runs)


def test_weights_for_an_opencv_tracker_are_refused(clip, capsys, tmp_path):
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "csrt", "--weights",
                           tmp_path / "x.npz")
    assert "OpenCV's trackers have no weights" in message


def test_an_unsupported_video_name_is_refused_before_tracking(clip, fake, tmp_path, capsys):
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "fake", "--out-video",
                           tmp_path / "track.avi")
    assert message.startswith("--out-video: expected a .gif file, an .mp4 file or a folder")
    assert fake["asked"] == ["fake"] and not (tmp_path / "minicnn_track").exists()


def test_track_help_explains_all_three_uses(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["track", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for part in ("Three uses", "generate OTB-layout tracking sequences", "draw the ground truth and trackers' boxes",
                 "minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h", "minicnn track make-sequences",
                 "minicnn track show", "--tracker NAME", "--out-video PATH", "--every N", "--fps N"):
        assert part in text, part
    from minicnn.cli_track import TRACK_DESCRIPTION, TRACK_USAGE

    written_as_is = (TRACK_USAGE + "\n" + TRACK_DESCRIPTION).splitlines()  # argparse does not wrap them
    assert max(len(line) for line in written_as_is) <= 80, max(written_as_is, key=len)


def test_track_help_gives_the_gif_size_limit_the_video_is_drawn_at(capsys):
    """The help's "at most 640 pixels a side" is a copy of plots.GIF_LONG_SIDE: a limit changed in one place only
    would have the help promise GIFs of a size they are not written at."""
    from minicnn.track import plots

    with pytest.raises(SystemExit):
        cli.main(["track", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the help at the terminal's width
    assert f"a .gif (at most {plots.GIF_LONG_SIDE} pixels a side, held in memory until written" in text, text


def test_track_without_arguments_says_what_is_missing(capsys):
    message = _track_error(capsys)
    assert "FRAMES_DIR_OR_VIDEO" in message and "--box" in message


@pytest.mark.parametrize("command, usage", [("show", "usage: minicnn track show [-h] --sequence SEQUENCE"),
                                            ("make-sequences", "usage: minicnn track make-sequences [-h] --out OUT")])
def test_the_sub_commands_keep_their_own_help(capsys, command, usage):
    with pytest.raises(SystemExit):
        cli.main(["track", command, "--help"])
    assert capsys.readouterr().out.startswith(usage)


def test_the_video_is_never_written_over_the_input(clip, fake, tmp_path, capsys):
    """--out-video naming the frame folder (or the GIF) being tracked replaced the user's frames with drawn ones."""
    folder = tmp_path / "frames"
    before = sorted((p.name, p.read_bytes()) for p in folder.iterdir())
    message = _track_error(capsys, folder, "--box", "10,20,24,24", "--tracker", "fake", "--out-video", folder)
    assert message == (f"--out-video: {str(folder)!r} is the input itself, which writing the video would overwrite; "
                       "give another file or folder")
    assert sorted((p.name, p.read_bytes()) for p in folder.iterdir()) == before


@pytest.mark.parametrize("option, value", [("--every", "0"), ("--fps", "inf"), ("--fps", "0")])
def test_every_and_fps_are_checked_by_name(clip, fake, capsys, option, value):
    """--fps inf (or 1e9) went through and left the GIF's frame duration unset."""
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "fake", option, value)
    assert message.startswith(f"argument {option}: expected ")


def test_a_damaged_frame_and_the_backend_variable_are_named(clip, fake, capsys, monkeypatch):
    (clip["folder"] / "0003.png").write_bytes((clip["folder"] / "0003.png").read_bytes()[:60])  # cut short
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "fake")
    assert message.startswith(f"FRAMES_DIR_OR_VIDEO: frame {clip['folder'] / '0003.png'} cannot be read: ")
    from minicnn import backend
    from minicnn.errors import BackendError

    monkeypatch.setenv("MINICNN_BACKEND", "fast")
    monkeypatch.setitem(backend._active, "name", None)
    with pytest.raises(BackendError, match=r"^the environment variable MINICNN_BACKEND='fast': unknown backend 'fast'"):
        backend.get_backend()


def test_the_minicnn_command_prints_warnings_as_one_line(monkeypatch, capsys):
    """A resumed evaluation's warning came with Python's 'cli.py:130: UserWarning:' and a line of minicnn's source."""
    import sys
    import warnings

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored after the test
    monkeypatch.setattr(sys, "argv", ["minicnn", "exercise", "list"])
    assert cli.main() == 0
    capsys.readouterr()
    line = warnings.formatwarning("result files damaged", UserWarning, "cli.py", 130)
    assert line == "warning: result files damaged\n"


# ------------------------------------------------------------------ from the third mutation round

def test_a_refused_command_keeps_the_folders_an_earlier_command_made(data, tmp_path, capsys):
    """Folders made by a command that succeeded are the user's: a later refused command in the same process (a
    notebook, a script) must not remove them, even when they are empty by then."""
    import shutil

    out = tmp_path / "suite"
    cli.main(["track", "make-sequences", "--out", str(out), "--count", "1", "--min-frames", "2", "--max-frames", "2",
              "--quiet"])
    for sequence in out.iterdir():
        shutil.rmtree(sequence)
    with pytest.raises(SystemExit):
        cli.main(["eval", "--data", str(data), "--trackers", "nope", "--quiet"])
    assert out.is_dir()


def test_ctrl_c_removes_the_empty_folders_the_command_made(data, tmp_path, monkeypatch, capsys):
    from minicnn.track import evaluate

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate, "evaluate", interrupted)
    results = tmp_path / "new" / "results"
    assert cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(results), "--quiet"]) == 130
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("command, resumes", [("train", True), ("eval", True), ("track", False)])
def test_ctrl_c_says_that_train_and_eval_resume(command, resumes, monkeypatch, capsys):
    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_run_command", interrupted)
    assert cli.main([command]) == 130
    assert ("the same command goes on from there" in capsys.readouterr().err) == resumes
    if resumes:  # a run started afresh resumes too, but not with the same command
        assert cli.main([command, "--no-resume"]) == 130
        assert capsys.readouterr().err == (f"minicnn: interrupted ({cli.SAVED_AS_IT_GOES[command]}: the same command "
                                           f"without --no-resume goes on from there)\n")


def test_ctrl_c_inside_a_numba_kernel_is_an_interruption_too(monkeypatch, capsys):
    """Ctrl-C while a Numba kernel ran or loaded came out as SystemError ("returned a result with an exception
    set"), a 40-line traceback, in two of seven interrupted trainings; 'what finished is saved' was said of a
    training that had saved nothing yet."""
    def interrupted_in_a_kernel(argv):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(<function _matmul>) returned a result with an exception set")

    monkeypatch.setattr(cli, "_run_command", interrupted_in_a_kernel)
    assert cli.main(["train"]) == 130
    assert capsys.readouterr().err == ("minicnn: interrupted (its checkpoint holds the steps finished (up to its "
                                       "last save after a second Ctrl-C during an update): the same command goes on "
                                       "from there)\n")

    def another_system_error(argv):
        raise SystemError("something else")

    monkeypatch.setattr(cli, "_run_command", another_system_error)
    with pytest.raises(SystemError, match="something else"):
        cli.main(["train"])


def test_train_that_cannot_write_its_files_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    """A full disk ended in a traceback after all the training; it is one line naming --out and the cause, exit
    status 1, and the checkpoint stays whole for the same command to go on from. (A folder in the way of a file is
    refused before training.)"""
    import errno
    import os

    from minicnn.track.trackers import siamese as siamese_module

    real_write = siamese_module.write_npz_atomically

    def full_disk_for_the_weights(path, arrays, where):
        if os.fspath(path).endswith("siamese.npz"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path))
        return real_write(path, arrays, where)

    monkeypatch.setattr(siamese_module, "write_npz_atomically", full_disk_for_the_weights)
    out = tmp_path / "run"
    status = cli.main(["train", "siamese", "--out", str(out), "--pairs", "8", "--epochs", "1", "--batch-size", "4",
                       "--channels", "3,4,4,5,6", "--quiet"])
    assert status == 1
    error = capsys.readouterr().err
    assert error.startswith(f"minicnn train siamese: could not write into --out {out}: [Errno 28] "), error
    assert error.endswith("once that is fixed, the same command goes on from the last checkpoint\n")
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz"]


def test_train_siamese_takes_a_batch_of_all_the_pairs_and_refuses_a_folder_where_its_checkpoint_goes(
        tmp_path, monkeypatch, capsys):
    """--batch-size equal to --pairs is one batch an epoch, and is trained; only a larger one is refused. A folder
    standing at OUT/checkpoint.npz, the first file training writes, is refused before any training, as one at
    siamese.npz is, not met at the first checkpoint, 200 steps into the run."""
    from minicnn.track.trackers import training

    given = []
    monkeypatch.setattr(training, "train_siamese", lambda out, **options: given.append(options))
    out = tmp_path / "run"
    cli.main(["train", "siamese", "--out", str(out), "--pairs", "8", "--batch-size", "8", "--quiet"])
    assert len(given) == 1 and given[0]["pairs"] == given[0]["batch_size"] == 8
    assert f"Weights: {(out / 'siamese.npz').resolve()}" in capsys.readouterr().out
    (out / "checkpoint.npz").mkdir()
    with pytest.raises(SystemExit):
        cli.main(["train", "siamese", "--out", str(out), "--pairs", "8", "--batch-size", "4", "--quiet"])
    assert f"error: --out: {out / 'checkpoint.npz'} is a folder, where the command writes a file" in (
        capsys.readouterr().err)
    assert len(given) == 1  # refused before the training


@pytest.mark.parametrize("options, chosen", [([], (0, 20)), (["--seed", "3", "--count", "2"], (3, 2))])
def test_seed_and_count_choose_the_default_suite(options, chosen, monkeypatch, tmp_path, capsys):
    given = []

    def sequences(data, seed, count, names, progress):
        given.append((seed, count))
        raise FileNotFoundError("stopped here")

    monkeypatch.setattr(cli, "_sequences", sequences)
    with pytest.raises(SystemExit):
        cli.main(["eval", "--trackers", "mosse", "--results", str(tmp_path / "r"), "--quiet", *options])
    assert given == [chosen]


def test_tracker_names_are_taken_in_lower_case_and_once():
    import argparse

    assert cli.tracker_names(argparse.ArgumentParser(), "Siamese,SIAMESE,cnn,siamese") == ["siamese", "cnn"]


def test_make_sequences_does_not_warn_of_folders_that_are_not_sequences(tmp_path, capsys):
    (tmp_path / "s" / "notes").mkdir(parents=True)
    cli.main(["track", "make-sequences", "--out", str(tmp_path / "s"), "--count", "1", "--min-frames", "2",
              "--max-frames", "2", "--quiet"])
    assert "warning" not in capsys.readouterr().err


def test_weights_go_to_our_trackers_alone_and_a_missing_file_is_refused_by_option(data, tmp_path, capsys):
    """OpenCV's trackers beside ours keep their names (they have no weights); a weight file that does not exist
    ended in a traceback."""
    import argparse

    from minicnn.track.trackers import OurTracker
    from minicnn.track.trackers.siamese import WEIGHTS_PATH

    specs, cannot_run = cli._our_trackers_as_asked(argparse.ArgumentParser(), {"siamese": None, "kcf": None},
                                                   WEIGHTS_PATH, None)
    assert isinstance(specs["siamese"], OurTracker) and specs["kcf"] is None and cannot_run is None
    with pytest.raises(SystemExit) as stop:
        cli.main(["eval", "--data", str(data), "--trackers", "siamese", "--weights", str(tmp_path / "missing.npz"),
                  "--results", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--weights: SiameseTracker: weight file" in err and "Traceback" not in err


def test_the_frames_of_an_otb_sequence_in_an_upper_case_img_folder_are_named_after_the_sequence(clip, fake, tmp_path):
    (tmp_path / "Boy").mkdir()
    clip["folder"].rename(tmp_path / "Boy" / "IMG")
    assert cli.main(["track", str(tmp_path / "Boy" / "IMG"), "--box", clip["box"], "--tracker", "fake",
                     "--quiet"]) == 0
    assert (tmp_path / "minicnn_track" / "Boy" / "fake" / "trajectory.txt").is_file()


def test_our_tracker_takes_a_trackers_name_in_any_case():
    """Its made_by must match the name the results of the built-in tracker are kept under."""
    from minicnn.track.trackers import OurTracker
    from minicnn.track.trackers.siamese import WEIGHTS_PATH

    factory = OurTracker("SIAMESE", WEIGHTS_PATH)
    assert factory.name == "siamese"
    assert factory.made_by.startswith("minicnn.track.trackers:siamese with weights sha256:")
    assert OurTracker("Siamese", backend="NumPy").made_by == "minicnn.track.trackers:siamese on the numpy backend"
    assert OurTracker("SIAMESE").made_by == "minicnn.track.trackers:siamese"  # numba's results are the built-in's


def test_make_tracker_takes_a_backends_name_in_any_case_for_every_tracker():
    """backend='NumPy' was taken for our trackers and refused for OpenCV's (found in review)."""
    from minicnn.track.trackers import make_tracker

    pytest.importorskip("cv2")
    assert make_tracker("kcf", backend="NumPy") is not None
    assert make_tracker("siamese", backend="NumPy").backend == "numpy"


_MY_TRACKERS = '''
class Still:
    """Never moves."""

    def init(self, frame, box):
        self.box = tuple(box)

    def update(self, frame):
        return True, self.box
'''


def test_eval_takes_a_tracker_of_yours_as_module_colon_name(data, tmp_path, monkeypatch, capsys):
    """A tracker of your own could be evaluated from Python only: --trackers my_trackers:Still gave "unknown
    tracker 'my_trackers:still'"."""
    pytest.importorskip("cv2")
    work = tmp_path / "work"
    work.mkdir()
    (work / "my_trackers_for_eval.py").write_text(_MY_TRACKERS)
    (work / "other_trackers_for_eval.py").write_text(_MY_TRACKERS)  # a second version of Still
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))
    results = tmp_path / "results"
    assert cli.main(["eval", "--data", str(data), "--trackers", "mosse,my_trackers_for_eval:Still", "--results",
                     str(results), "--quiet"]) in (0, None)
    table = capsys.readouterr().out
    assert re.search(r"^Still +0\.\d{3}", table, re.MULTILINE), table
    assert sorted(p.name for p in (results / "Still").glob("*.json")) == ["fast.json", "slow.json"]
    for spec, message in (("nowhere_module:Still", r"--trackers: 'nowhere_module:Still': no module 'nowhere_module' "
                                                   r"\(a file nowhere_module.py in the current folder"),
                          ("my_trackers_for_eval:Missing", r"my_trackers_for_eval has no class or function 'Missing'; "
                                                           r"it defines Still"),
                          # a file's name, and a Windows path (its drive's colon first): it said "no module
                          # 'my_trackers_for_eval.py' (a file my_trackers_for_eval.py.py ...)" (portability audit)
                          ("my_trackers_for_eval:Still:x", r"'my_trackers_for_eval:Still:x': a tracker of yours is "
                                                           r"written MODULE:NAME"),
                          ("my_trackers_for_eval.py:Still", r"give the module's name, not its file: "
                                                            r"my_trackers_for_eval:Still, run from the folder that "
                                                            r"holds my_trackers_for_eval\.py$"),
                          ("C:\\Users\\José\\my_trackers.py:Still", r"not its file: my_trackers:Still, run from the "
                                                                  r"folder that holds my_trackers\.py "
                                                                  r"\(C:\\Users\\José\)$"),
                          ("my_trackers_for_eval:Still,kcf2", r"unknown tracker 'kcf2'; available: .*, or one of yours "
                                                              r"as MODULE:NAME"),
                          ("my_trackers_for_eval:Still,other_trackers_for_eval:Still",  # one was dropped in silence
                           r"--trackers: 'my_trackers_for_eval:Still' and 'other_trackers_for_eval:Still' are both "
                           r"named 'Still', the name their results and row are kept under")):
        with pytest.raises(SystemExit) as stop:
            cli.main(["eval", "--data", str(data), "--trackers", spec, "--results", str(results), "--quiet"])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and re.search(message, err), err


def test_output_redirected_in_an_encoding_without_minicnns_characters_is_written_in_utf8(monkeypatch):
    """On Windows, output to a file is cp1252, which lacks ∂, Σ and →: ``minicnn exercise starter conv_forward >
    mine.py`` ended in a UnicodeEncodeError and left mine.py empty (and ``minicnn bench`` at its first row)."""
    import io
    import sys
    import warnings

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # the command sets its own: restored
    redirected = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", redirected)
    monkeypatch.setattr(sys, "argv", ["minicnn", "exercise", "starter", "conv_forward"])
    assert cli.main() in (0, None)
    redirected.flush()
    written = redirected.buffer.getvalue().decode("utf-8")
    assert "def conv_forward" in written and "Σ" in written
    terminal = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    terminal.isatty = lambda: True
    cli.write_utf8_where_redirected([terminal, None])  # None: a closed stdout (>&-, pythonw) is left alone (review)
    assert terminal.encoding == "cp1252"  # a terminal keeps its own


def test_minicnn_version(capsys):
    import minicnn

    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"minicnn {minicnn.__version__}\n"


def test_a_sequence_that_cannot_be_read_is_blamed_on_data_and_left_out_by_sequences(data, tmp_path, capsys):
    """A video whose ground truth cannot be read stopped `eval --sequences OTHER` too, and the error blamed
    --sequences (datasets audit)."""
    import shutil

    pytest.importorskip("cv2")
    suite = tmp_path / "suite"
    shutil.copytree(data, suite)
    (suite / "slow" / "groundtruth_rect.txt").write_text("1,1,2,2\nbroken\n")
    with pytest.raises(SystemExit) as stop:
        cli.main(["eval", "--data", str(suite), "--trackers", "mosse", "--sequences", "slow", "--quiet",
                  "--results", str(tmp_path / "r")])
    assert stop.value.code == 2 and "error: --data: " in capsys.readouterr().err
    cli.main(["eval", "--data", str(suite), "--trackers", "mosse", "--sequences", "fast", "--quiet",
              "--results", str(tmp_path / "r")])
    assert "OPE on 1 sequence" in capsys.readouterr().out


def test_track_runs_a_tracker_of_yours_on_your_video(clip, tmp_path, monkeypatch, capsys):
    """eval and track show took MODULE:NAME, minicnn track refused it ("unknown tracker"; trackers audit)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "my_trackers_for_track.py").write_text(_MY_TRACKERS + '''

class NeedsArgument(Still):
    def __init__(self, threshold):
        self.threshold = threshold
''')
    assert cli.main(["track", str(clip["folder"]), "--box", clip["box"], "--tracker", "my_trackers_for_track:Still",
                     "--quiet"]) == 0
    trajectory = tmp_path / "minicnn_track" / "frames" / "still" / "trajectory.txt"
    assert len(set(trajectory.read_text().splitlines())) == 1  # Still never moves
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker",
                           "my_trackers_for_track:NeedsArgument")
    assert message.startswith("--tracker my_trackers_for_track:NeedsArgument: NeedsArgument() could not be built: "
                              "TypeError: ")
    message = _track_error(capsys, clip["folder"], "--box", clip["box"], "--tracker", "my_trackers_for_track:Still",
                           "--weights", "w.npz")
    assert message.startswith("--weights: for our trackers (")


def test_a_terminated_make_sequences_leaves_no_half_written_folders(tmp_path):
    """SIGTERM (kill, a batch scheduler's limit) ended make-sequences at once: its workers left hidden .partial
    folders that no later run removed; it now stops as Ctrl-C does, cleaning up (files audit), with the exit status a
    shell gives a process SIGTERM ended (143; it was Ctrl-C's 130, so a scheduler could not tell a kill)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "suite"
    command = [sys.executable, "-m", "minicnn", "track", "make-sequences", "--out", str(out), "--count", "6",
               "--min-frames", "80", "--max-frames", "90", "--quiet"]
    process = subprocess.Popen(command, cwd=tmp_path, start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(out.glob(".*.partial")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)  # until a sequence is being written
    assert process.poll() is None, "finished before it could be stopped"
    os.killpg(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143 and "minicnn: interrupted by SIGTERM" in err, err
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert hidden == [".minicnn-suite-unfinished"], hidden  # no half-written folder; the part suite says it is one


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on Windows")
def test_sighup_stops_a_command_as_sigterm_and_ctrl_c_do():
    """SIGHUP (the terminal closed, an ssh session dropped) ends a command as SIGTERM does: as Ctrl-C, a
    KeyboardInterrupt whose clean-up removes half-written folders; by default it ended the process at once. The
    interruption says which signal it was, and the exit status a shell gives for it (128 + its number)."""
    import os
    import pickle
    import time

    from minicnn import checks

    before = {name: signal.getsignal(getattr(signal, name)) for name in ("SIGTERM", "SIGHUP")}
    try:
        checks.stop_on_termination()
        for name in ("SIGTERM", "SIGHUP"):
            with pytest.raises(KeyboardInterrupt) as raised:
                os.kill(os.getpid(), getattr(signal, name))
                for _ in range(100):  # the handler runs at the next step of Python's main thread
                    time.sleep(0.01)
            assert isinstance(raised.value, checks.Terminated), name
            assert (raised.value.signal_name, raised.value.exit_status) == (name, 128 + getattr(signal, name))
            copy = pickle.loads(pickle.dumps(raised.value))  # as a worker process sends it back
            assert (type(copy), copy.signal_name, copy.exit_status, str(copy)) == (checks.Terminated, name,
                                                                                    128 + getattr(signal, name), name)
    finally:
        for name, handler in before.items():
            signal.signal(getattr(signal, name), handler)


@pytest.mark.parametrize("stop, status, said", [
    (KeyboardInterrupt(), 130, "minicnn: interrupted (each run that finished is saved"),
    ("SIGTERM", 143, "minicnn: interrupted by SIGTERM (each run that finished is saved"),
    ("SIGHUP", 129, "minicnn: interrupted by SIGHUP (each run that finished is saved"),
])
@pytest.mark.parametrize("inside_numba", [False, True])
def test_an_interrupted_command_exits_as_a_shell_reports_its_signal(monkeypatch, capsys, stop, status, said,
                                                                  inside_numba):
    """Ctrl-C gives 130, SIGTERM 143, SIGHUP 129 (128 + the signal's number), also where Numba wrapped the
    interruption in a SystemError; the line on stderr names the signal that was not Ctrl-C."""
    from minicnn import checks, cli

    if isinstance(stop, str):
        if not hasattr(signal, stop):
            pytest.skip(f"no {stop} on this platform (Windows has no SIGHUP)")
        stop = checks.Terminated(getattr(signal, stop))

    def stopped(argv):
        if not inside_numba:
            raise stop
        try:
            raise stop
        except KeyboardInterrupt as error:
            raise SystemError("<numba kernel> returned a result with an exception set") from error

    monkeypatch.setattr(cli, "_run_command", stopped)
    assert cli.main(["eval"]) == status
    assert capsys.readouterr().err.startswith(said)


def test_a_full_disk_ends_a_command_in_one_line_naming_the_file(data, tmp_path, monkeypatch, capsys):
    """A full disk ended eval (after its table), track and make-sequences in a traceback naming no file (files
    audit); it is one line now, exit status 1, and the output folders made for the command, left empty, go again."""
    import errno
    import os

    from minicnn.track import sequences as sequences_module

    pytest.importorskip("cv2")

    def full(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path))

    monkeypatch.setattr(sequences_module, "atomic_write_text", full)  # table.txt, after the runs
    status = cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(tmp_path / "r"),
                       "--quiet"])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err, err
    assert err.startswith("minicnn eval: could not write: [Errno 28] No space left on device: "), err
    out = tmp_path / "made" / "run"  # its trajectory.txt is its first file: the folders stay empty
    status = cli.main(["track", str(data / "fast" / "img"), "--box", "20,30,40,40", "--tracker", "mosse", "--out",
                       str(out), "--quiet"])
    err = capsys.readouterr().err
    assert status == 1 and err.startswith("minicnn track: could not write: [Errno 28] No space left on device: "), err
    assert not (tmp_path / "made").exists()  # the empty folders made for the failed command are removed


def test_a_file_held_open_by_another_program_is_named_with_what_to_do(data, tmp_path, monkeypatch, capsys):
    """On Windows a file open in Excel or an image viewer cannot be replaced: os.replace raises PermissionError
    ("Access is denied"), and minicnn track ended in a traceback after all its tracking (portability audit,
    simulated). One line now says what to close; the old file is as it was, no temporary file is left, and where a
    lock lasts a moment (an antivirus, OneDrive) the rename is tried again before giving up."""
    import os

    from minicnn import weight_files

    out = tmp_path / "run"
    out.mkdir()
    (out / "trajectory.txt").write_text("the old run\n")
    replace, tries = os.replace, []

    def held_open(source, target, *args, **kwargs):
        if os.path.basename(target) == "trajectory.txt":
            tries.append(target)
            raise PermissionError(13, "Access is denied", os.fspath(source), None, os.fspath(target))
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", held_open)
    monkeypatch.setattr(weight_files, "OPEN_FILES_BLOCK_REPLACING", True)  # as on Windows
    monkeypatch.setattr(weight_files, "REPLACE_WAIT_SECONDS", 0.01)
    status = cli.main(["track", str(data / "fast" / "img"), "--box", "20,30,40,40", "--tracker", "mosse", "--out",
                       str(out), "--quiet"])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err, err
    assert err.startswith("minicnn track: [Errno 13] Access is denied: ") and "is it open in another program (Excel" \
        in err, err
    assert len(tries) == weight_files.REPLACE_TRIES
    assert (out / "trajectory.txt").read_text() == "the old run\n"
    assert not [path for path in out.iterdir() if path.name.startswith(".")]

    def held_for_a_moment(source, target, *args, **kwargs):  # refused twice, then let through
        if len(tries) < weight_files.REPLACE_TRIES + 2:
            return held_open(source, target)
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", held_for_a_moment)
    assert cli.main(["track", str(data / "fast" / "img"), "--box", "20,30,40,40", "--tracker", "mosse", "--out",
                     str(out), "--quiet"]) == 0
    assert (out / "trajectory.txt").read_text() != "the old run\n"


def test_a_file_that_may_not_be_read_is_not_blamed_on_another_program(data, tmp_path, monkeypatch, capsys):
    """Only a file that could not be replaced is one another program may hold open: an input this user may not
    read was given that advice too (found in review)."""
    from minicnn.track import sequences as sequences_module

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(sequences_module, "read_text", denied)
    status = cli.main(["eval", "--data", str(data), "--trackers", "mosse", "--results", str(tmp_path / "r"),
                       "--quiet"])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err, err
    assert err.startswith("minicnn eval: [Errno 13] Permission denied: ") and err.rstrip().endswith(
        ": this user may not read or write it"), err


def test_eval_with_data_given_as_dot_dot_names_the_results_folder_after_the_data_folder(data, monkeypatch):
    """minicnn eval --data .. wrote its results into the working folder (Path("..").name is "..", and
    minicnn_results/.. is the working folder itself), inside the data folder, where later runs warned of a folder
    skipped (found in review); --data . wrote into minicnn_results itself."""
    pytest.importorskip("cv2")
    work = data / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.warns(UserWarning, match=r"1 folder skipped.*: work$"):  # the working folder, inside the data
        cli.main(["eval", "--data", "..", "--trackers", "mosse", "--sequences", "slow", "--quiet"])
    assert (work / "minicnn_results" / "data" / "mosse" / "slow.json").is_file()
    assert sorted(path.name for path in work.iterdir()) == ["minicnn_results"]
    monkeypatch.chdir(data)
    with pytest.warns(UserWarning, match=r"1 folder skipped.*: work$"):
        cli.main(["eval", "--data", ".", "--trackers", "mosse", "--sequences", "slow", "--quiet"])
    assert (data / "minicnn_results" / "data" / "mosse" / "slow.json").is_file()
    monkeypatch.chdir(work)  # a link keeps its own name (results made before under that name are found)
    (work / "linked").symlink_to(data)
    with pytest.warns(UserWarning, match=r"folders? skipped"):
        cli.main(["eval", "--data", "linked", "--trackers", "mosse", "--sequences", "slow", "--quiet"])
    assert (work / "minicnn_results" / "linked" / "mosse" / "slow.json").is_file()


def test_minicnn_track_leaves_out_macos_hidden_files_of_a_frame_folder(tmp_path):
    """``._0001.png`` (macOS's resource forks) are not frames for ``minicnn track FOLDER`` either (mutation round: no
    test failed where it was changed)."""
    from PIL import Image

    for i in range(1, 4):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / f"{i:04d}.png")
        (tmp_path / f"._{i:04d}.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    assert [path.name for path in cli_track._folder_frames(tmp_path)] == ["0001.png", "0002.png", "0003.png"]
