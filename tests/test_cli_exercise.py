"""``minicnn exercise ...`` is forwarded to the exercises' own command line."""

from minicnn import cli


def test_exercise_list_and_check_through_the_main_command(tmp_path, capsys):
    assert cli.main(["exercise", "list"]) == 0
    assert "conv_forward" in capsys.readouterr().out
    wrong = tmp_path / "mine.py"
    wrong.write_text("def sgd_step(w, grad, learning_rate):\n    return w + learning_rate * grad\n")
    assert cli.main(["exercise", "check", "sgd_step", str(wrong)]) == 1
    assert "sgd_step: not passed yet" in capsys.readouterr().out
    assert cli.main(["exercise", "solution", "sgd_step"]) == 0
    assert "def sgd_step" in capsys.readouterr().out


def test_output_read_only_in_part_ends_quietly():
    """``minicnn exercise check … | head -1`` ended in a BrokenPipeError traceback once head had stopped reading."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "minicnn", "exercise", "task", "conv_forward"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line is written
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in error and "BrokenPipeError" not in error, error
