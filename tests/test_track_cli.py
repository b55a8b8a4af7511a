"""The tracking commands end to end: ``minicnn eval`` and ``minicnn track show`` on a small folder."""

import numpy as np
import pytest

from minicnn import cli
from minicnn.track.sequences import Sequence, write_otb


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


def test_show_renders_a_gif_and_a_contact_sheet(data, tmp_path, capsys):
    pytest.importorskip("cv2")
    import imageio.v3 as iio

    gif, sheet = tmp_path / "fast.gif", tmp_path / "sheet.png"
    cli.main(["track", "show", "--data", str(data), "--sequence", "fast", "--trackers", "csrt",
              "--results", str(tmp_path / "results"), "--out", str(gif), "--sheet", str(sheet), "--quiet"])
    assert iio.imread(gif, index=None).shape[0] == 15
    assert sheet.is_file()
    assert (tmp_path / "results" / "csrt" / "fast.txt").is_file()


def test_unknown_sequence_is_named(data):
    with pytest.raises(ValueError, match=r"no sequences \['nope'\]"):
        cli.main(["track", "show", "--data", str(data), "--sequence", "nope", "--quiet"])


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


def test_make_sequences_writes_the_otb_layout(tmp_path, capsys):
    from minicnn.track.sequences import read_sequences

    cli.main(["track", "make-sequences", "--out", str(tmp_path / "seqs"), "--count", "2", "--min-frames", "10",
              "--max-frames", "12", "--quiet"])
    sequences = read_sequences(tmp_path / "seqs")
    assert [s.name for s in sequences] == ["photo-01-plain", "photo-02-plain"]
    assert all(10 <= len(s) <= 12 for s in sequences)
    assert "2 sequences written" in capsys.readouterr().out
