"""README.md's tour runs as written: its Python blocks, in order, train the network, step through backpropagation,
pass the gradient check and switch backends. (Its snippet on backpropagation once used x and y it never defined.)"""

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
        for marker in ("load_faces", "mc.gradcheck(", "mc.use_backend("):
            exec(compile(the_block_with(marker), f"README.md ({marker})", "exec"), namespace)
    finally:
        mc.set_backend(before)
    assert namespace["accuracy"] > 0.9, capsys.readouterr().out[-2000:]
    assert namespace["model"].layers[0].grads["kernel"].shape == (3, 3, 1, 32)
    report = namespace["report"]
    assert report.passed and str(report).endswith(f"passed: every relative error is below {report.tolerance:g}")
