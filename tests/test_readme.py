"""README.md's tour runs as written: its Python blocks, in order, train the network, step through backpropagation,
pass the gradient check and switch backends; its tracking snippets run on the sequences its own command makes. (Its
snippet on backpropagation once used x and y it never defined.)"""

import re
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def the_block_with(text):
    found = [block for block in python_blocks() if text in block]
    assert len(found) == 1, f"expected one Python block in README.md with {text!r}, found {len(found)}"
    return found[0]


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path, monkeypatch, capsys):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    import minicnn as mc

    before = mc.get_backend()
    namespace = {}
    try:
        for marker in ("load_faces", "report = mc.gradcheck(", "mc.use_backend("):
            exec(compile(the_block_with(marker), f"README.md ({marker})", "exec"), namespace)
    finally:
        mc.set_backend(before)
    assert namespace["accuracy"] > 0.9, capsys.readouterr().out[-2000:]
    assert namespace["model"].layers[0].grads["kernel"].shape == (3, 3, 1, 32)
    report = namespace["report"]
    assert report.passed and str(report).endswith(f"passed: every relative error is below {report.tolerance:g}")


def test_the_readme_layer_of_your_own_passes_its_check_and_trains(capsys):
    """The block on writing a layer runs as written (after the tour's imports), its gradient check passes, and the
    layer learns in a model."""
    import numpy as np

    import minicnn as mc

    namespace = {"mc": mc, "np": np}
    exec(compile(the_block_with("class Scale(mc.Layer)"), "README.md (Scale)", "exec"), namespace)
    assert capsys.readouterr().out.rstrip().endswith("passed: every relative error is below 1e-06")
    x = np.random.default_rng(1).standard_normal((16, 3))
    model = mc.Sequential([namespace["Scale"](), mc.Dense(1, activation="sigmoid", seed=0)])
    model.compile(optimizer=mc.SGD(0.5), loss="binary_crossentropy")
    model.fit(x, (x[:, :1] > 0).astype(float), epochs=3, verbose=0)
    assert not np.allclose(model.layers[0].params["s"], 1.0)
    assert re.search(r"scale(_\d+)? \(Scale\) +\(None, 3\) +3\n", model.summary(print_fn=None))


def the_command_line(start):
    """The README's command line that begins with ``start``, without its comment, as a list of arguments."""
    lines = [line.split("#")[0].split() for line in README.read_text(encoding="utf-8").splitlines()
             if line.startswith(start)]
    assert len(lines) == 1, f"expected one line in README.md starting with {start!r}, found {len(lines)}"
    return lines[0]


def test_the_readme_tracking_snippets_run_on_the_sequences_its_command_makes(tmp_path, monkeypatch, capsys):
    """The evaluation snippet reads the folder the README's ``make-sequences`` line writes (made shorter here); the
    tracker snippet follows the target of that folder's first sequence from its first frame to its second."""
    pytest.importorskip("cv2")
    from minicnn import cli
    from minicnn.track.boxes import iou
    from minicnn.track.sequences import read_sequences

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    command = the_command_line("minicnn track make-sequences")
    cli.main(command[1:] + ["--count", "2", "--min-frames", "10", "--max-frames", "12", "--quiet"])
    exec(compile(the_block_with("read_sequences"), "README.md (evaluate)", "exec"), {})
    table = capsys.readouterr().out
    assert "OPE on 2 sequences" in table and "\nkcf " in table and "\ncsrt " in table, table
    assert (tmp_path / "results" / "plots" / "success.png").is_file()

    sequence = read_sequences(tmp_path / "my_sequences")[0]
    x, y, w, h = sequence.init_box
    namespace = {"frame": sequence[0], "next_frame": sequence[1], "x": x, "y": y, "w": w, "h": h}
    exec(compile(the_block_with("SiameseTracker"), "README.md (our tracker)", "exec"), namespace)
    assert namespace["ok"] and iou(namespace["box"], sequence.ground_truth[1]) > 0.7, namespace["box"]
    assert iou(namespace["boxes"][0], sequence.init_box) > 0.7, namespace["boxes"]


def test_the_readme_drift_figures_are_those_benchmarks_backend_drift_measured():
    """README quotes the backends' drift from benchmarks/results/backend_drift.json, each to one significant figure
    (it once said 'at most 2e-7 with SGD' where the file's SGD row with BatchNormalization held 1.4e-4)."""
    import json

    results = README.parent / "benchmarks" / "results" / "backend_drift.json"
    measured = {(row["network"], row["optimizer"]): row["prediction"]
                for row in json.loads(results.read_text(encoding="utf-8"))["rows"]}
    text = " ".join(README.read_text(encoding="utf-8").split())
    paragraph = text[text.index("After 6 epochs on the faces"):text.index("```python", text.index("After 6 epochs"))]
    quoted = {("conv, no BatchNorm", "SGD(0.01, momentum=0.9)"): "2e-7 with SGD",
              ("conv, no BatchNorm", "Adam(0.01)"): "5e-4 there with Adam(0.01)",
              ("conv + bias + BatchNorm", "Adam(0.01)"): "0.09 with Adam(0.01)",
              ("conv (use_bias=False) + BatchNorm", "Adam(0.01)"): "brings Adam's to 2e-3",
              ("conv (use_bias=False) + BatchNorm", "SGD(0.01, momentum=0.9)"): "SGD's is then 1e-4"}
    for key, words in quoted.items():
        assert words in paragraph, f"README no longer says {words!r}"
        figure = float(re.search(r"\d[\d.e-]*", words).group())
        assert float(f"{measured[key]:.0e}") == figure, f"{key}: README says {figure:g}, the file {measured[key]:.1e}"
    # the largest SGD drift of all is the one README names
    assert max(value for (_, optimizer), value in measured.items() if optimizer.startswith("SGD")) == measured[
        "conv (use_bias=False) + BatchNorm", "SGD(0.01, momentum=0.9)"]


def test_the_readme_1080p_update_times_are_those_of_benchmarks_results_track_speed_json():
    """README's milliseconds per update on 1080p frames are the last run of benchmarks/track_speed.py, rounded."""
    import json

    results = README.parent / "benchmarks" / "results" / "track_speed.json"
    measured = json.loads(results.read_text(encoding="utf-8"))["ms_per_update"]["1080x1920"]
    text = " ".join(README.read_text(encoding="utf-8").split())
    quoted = re.search(r"on 1080p frames siamese takes about (\d+) ms, cnn (\d+), hybrid (\d+), OpenCV's CSRT (\d+) "
                       r"and KCF (\d+)", text)
    assert quoted, "README no longer gives the 1080p update times"
    for name, figure in zip(("siamese", "cnn", "hybrid", "csrt", "kcf"), quoted.groups()):
        assert int(figure) == round(measured[name]), f"{name}: README says {figure} ms, the file {measured[name]:.1f}"


def test_the_readme_tracker_table_is_the_run_in_benchmarks_results_track_json():
    """README's success AUCs and FPS ranges are those of benchmarks/results/track.json (the last run of
    benchmarks/track.py --seeds 0,1,2), so that a rerun that changes them shows here."""
    import json

    results = README.parent / "benchmarks" / "results" / "track.json"
    suites = json.loads(results.read_text(encoding="utf-8"))["suites"]
    rows = {"hybrid": "hybrid", "cnn": "cnn", "siamese": "siamese", "siamese-nomotion": "siamese-nomotion",
            "CSRT (OpenCV)": "csrt", "KCF, paper-like (`kcf-nothresh`)": "kcf-nothresh"}
    text = README.read_text(encoding="utf-8")
    for label, tracker in rows.items():
        runs = [suites[f"seed{seed}"]["trackers"][tracker] for seed in range(3)]
        fps = [run["fps"] for run in runs]
        row = (f"| {label} | " + " | ".join(f"{run['auc']:.3f}" for run in runs)
               + f" | {min(fps):,.0f}–{max(fps):,.0f} |")
        assert row in text, f"README's row for {tracker} is not the measured {row}"
