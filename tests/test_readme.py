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
