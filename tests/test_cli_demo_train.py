"""``minicnn demo`` and ``minicnn train siamese``: their options and defaults reach the work, the files they guard are
the files they write, and ``minicnn bench`` without its script fails. (Written from a mutation round over the CLI,
whose mutants these tests kill.)"""

import os

import numpy as np
import pytest

from minicnn import cli


def _recording_demo(monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "demo", lambda **kwargs: calls.append(kwargs) or (0.0, 1.0, 0.0, []))
    return calls


def test_demo_options_and_their_defaults_reach_the_training(tmp_path, monkeypatch):
    """--batch-size or --seed not passed on (the demo trained at batch 32 / seed 0 whatever was asked), and a
    default (--epochs 10, --batch-size 32, --seed 0, --out minicnn_demo) changed from what --help and README say."""
    calls = _recording_demo(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo"]) == 0
    assert calls[-1] == {"epochs": 10, "batch_size": 32, "seed": 0, "out": "minicnn_demo", "verbose": 1,
                         "backend_name": None}
    assert cli.main(["demo", "--epochs", "3", "--batch-size", "4", "--seed", "2", "--out", "elsewhere", "--quiet",
                     "--backend", "numpy"]) == 0
    assert calls[-1] == {"epochs": 3, "batch_size": 4, "seed": 2, "out": "elsewhere", "verbose": 0,
                         "backend_name": "numpy"}


def test_the_demo_seed_chooses_the_data_split(monkeypatch):
    """Demo(seed=...) loading the faces with seed 0 whatever the seed (the docstring: the seed chooses the
    data split, the initial weights and the augmentation)."""
    from minicnn import datasets

    seen = []

    class Stop(Exception):
        pass

    def load_faces(**kwargs):
        seen.append(kwargs)
        raise Stop

    monkeypatch.setattr(datasets, "load_faces", load_faces)
    with pytest.raises(Stop):
        cli.demo(seed=3, backend_name=None)
    assert seen == [{"size": 32, "seed": 3}]


def test_a_folder_where_the_demo_writes_its_feature_maps_is_refused_before_the_work(tmp_path, monkeypatch, capsys):
    """Feature_maps.png left out of the names guarded: a folder there was found only after the training."""
    calls = _recording_demo(monkeypatch)
    out = tmp_path / "out"
    (out / "feature_maps.png").mkdir(parents=True)
    with pytest.raises(SystemExit) as stop:
        cli.main(["demo", "--out", str(out), "--quiet"])
    assert stop.value.code == 2 and calls == []
    assert f"--out: {out / 'feature_maps.png'} is a folder, where the command writes a file" in capsys.readouterr().err


def test_the_demo_draws_a_test_face_into_the_files_it_guards(tmp_path, monkeypatch):
    """Picture of feature maps, titled '... of a test face', drawn for a non-face (argmin of the
    labels: the first non-face); and a plot written under another name than the two README names and the command
    guards (learning_curve.png for learning_curves.png)."""
    from minicnn import datasets, plots

    drawn = []
    real = plots.plot_feature_maps

    def recording(model, image, **kwargs):
        drawn.append(np.array(image))
        return real(model, image, **kwargs)

    monkeypatch.setattr(plots, "plot_feature_maps", recording)
    *_, paths = cli.demo(epochs=1, out=str(tmp_path / "demo"), verbose=0)
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["feature_maps.png", "learning_curves.png"]
    assert [os.path.basename(p) for p in paths] == ["learning_curves.png", "feature_maps.png"]
    data = datasets.load_faces(size=32, seed=0)
    index, = [i for i, image in enumerate(data.x_test) if np.array_equal(image, drawn[0])][:1]
    assert data.y_test[index, 0] == 1


def _recording_training(monkeypatch):
    from minicnn.track.trackers import training

    calls = []
    monkeypatch.setattr(training, "train_siamese", lambda out, **kwargs: calls.append((out, kwargs)))
    return calls


def test_train_siamese_options_and_their_defaults_reach_the_training(tmp_path, monkeypatch, capsys):
    """Option not passed on to train_siamese (--no-resume ignored: the checkpoint resumed anyway; --seed,
    --learning-rate, --quiet dropped) and a default changed from what --help says (12000 pairs, 2 epochs, batch 8,
    1e-3, channels 32,48,64,96,96, out minicnn_siamese); and the closing lines naming another file than siamese.npz."""
    calls = _recording_training(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "siamese"]) == 0
    out, settings = calls[-1]
    assert out == "minicnn_siamese" and settings == {
        "pairs": 12_000, "epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "seed": 0,
        "channels": (32, 48, 64, 96, 96), "checkpoint_every": 200, "progress": True, "resume": True}
    weights = tmp_path / "minicnn_siamese" / "siamese.npz"
    assert capsys.readouterr().out.count(str(weights)) == 4
    assert cli.main(["train", "siamese", "--out", "run", "--pairs", "10", "--epochs", "3", "--batch-size", "5",
                     "--learning-rate", "0.5", "--seed", "7", "--channels", "1,2,3,4,5", "--checkpoint-every", "20",
                     "--no-resume", "--quiet"]) == 0
    assert calls[-1] == ("run", {"pairs": 10, "epochs": 3, "batch_size": 5, "learning_rate": 0.5, "seed": 7,
                                 "channels": (1, 2, 3, 4, 5), "checkpoint_every": 20, "progress": False,
                                 "resume": False})


def test_train_siamese_refuses_six_channels_and_a_folder_at_its_learning_curve(tmp_path, monkeypatch, capsys):
    """--channels of six widths let through (the network has five convolutions) and learning_curve.png left
    out of the files guarded (a folder there failed only after the training)."""
    calls = _recording_training(monkeypatch)
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "siamese", "--out", str(tmp_path / "a"), "--channels", "1,2,3,4,5,6"])
    assert stop.value.code == 2
    assert "--channels: expected five comma-separated positive integers, got '1,2,3,4,5,6'" in capsys.readouterr().err
    (tmp_path / "b" / "learning_curve.png").mkdir(parents=True)
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "siamese", "--out", str(tmp_path / "b")])
    assert stop.value.code == 2 and calls == []
    assert "learning_curve.png is a folder, where the command writes a file" in capsys.readouterr().err


def test_bench_without_its_script_fails(monkeypatch, capsys):
    """``minicnn bench`` from a wheel install (no benchmarks/conv.py) exiting 0 after its error line."""
    import os

    monkeypatch.setattr(os.path, "exists", lambda path: False)
    status = cli.main(["bench"])
    monkeypatch.undo()
    assert status == 1 and "not found; the benchmarks live in the source checkout" in capsys.readouterr().err
