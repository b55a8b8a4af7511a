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


def test_checking_a_file_as_another_exercise_says_which_command_checks_it(tmp_path, capsys):
    mine = tmp_path / "mine.py"
    mine.write_text("def conv_forward(x, kernel, bias, stride=1, padding='valid'):\n    return x\n")
    assert cli.main(["exercise", "check", "conv_backward", str(mine)]) == 1
    out = capsys.readouterr().out
    assert f"To check conv_forward, use minicnn exercise check conv_forward {mine} " in out, out


def test_output_read_only_in_part_ends_quietly():
    """``minicnn exercise check … | head -1`` ended in a BrokenPipeError traceback once head had stopped reading.
    With block-buffered output (no PYTHONUNBUFFERED, as in a user's shell) short output was written only by
    Python's flush at exit, outside main: "Exception ignored … BrokenPipeError" and status 120 (a helper's find)."""
    import os
    import subprocess
    import sys

    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    process = subprocess.Popen([sys.executable, "-m", "minicnn", "exercise", "task", "conv_forward"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    process.stdout.close()  # the reader is gone before the first line is written
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in error and "BrokenPipeError" not in error, error


def test_the_starter_written_with_out_is_utf8_checkable_and_never_replaces_a_file(tmp_path, capsys):
    """README's `starter NAME > mine.py` wrote, in Windows PowerShell 5.1, a UTF-16 file that Python cannot run
    ("source code string cannot contain null bytes"; portability audit). --out writes UTF-8 itself, says what to do
    next, and leaves a file that exists as it is: a second run would have replaced the student's work."""
    mine = tmp_path / "mine.py"
    assert cli.main(["exercise", "starter", "sgd_step", "--out", str(mine)]) == 0
    assert capsys.readouterr().out == (f"Wrote {mine}; fill in the body, then: minicnn exercise check sgd_step "
                                       f"{mine}\n")
    written = mine.read_bytes()
    assert written.decode("utf-8").startswith(("def sgd_step", '"""', "import")) and b"\r\n" not in written
    assert cli.main(["exercise", "check", "sgd_step", str(mine)]) == 1  # the starter runs: not written yet
    assert "not written yet" in capsys.readouterr().out
    mine.write_text("my work")
    assert cli.main(["exercise", "starter", "sgd_step", "--out", str(mine)]) == 2
    assert f"--out: {mine} exists, and is left as it is" in capsys.readouterr().err and mine.read_text() == "my work"
    assert cli.main(["exercise", "solution", "sgd_step", "--out", str(tmp_path / "reference.py")]) == 0
    assert "def sgd_step" in (tmp_path / "reference.py").read_text(encoding="utf-8")


def test_a_solution_saved_as_utf16_is_named_with_how_to_save_it_again(tmp_path, capsys):
    """What Windows PowerShell 5.1's `>` writes: the checker said only that it was not valid Python."""
    from minicnn.exercises.catalogue import solution_source

    mine = tmp_path / "mine.py"
    mine.write_bytes(solution_source("sgd_step").encode("utf-16"))
    assert cli.main(["exercise", "check", "sgd_step", str(mine)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"{mine} is saved as UTF-16 text, which Python cannot run" in out
    assert "'minicnn exercise starter sgd_step --out sgd_step.py'" in out


def test_a_solution_that_cannot_be_read_is_named(tmp_path, monkeypatch, capsys):
    """Found in review: the encoding probe's open raised a bare PermissionError out of check()."""
    import builtins

    mine = tmp_path / "mine.py"
    mine.write_text("def sgd_step(w, grad, learning_rate):\n    return w - learning_rate * grad\n")
    real_open = builtins.open

    def denied(file, *args, **kwargs):
        if str(file) == str(mine):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", denied)
    from minicnn import exercises

    result = exercises.check("sgd_step", str(mine))
    assert not result.passed and f"\n{mine} cannot be read: Permission denied." in result.message, result.message


def test_out_names_a_folder_a_missing_folder_and_quotes_a_path_with_spaces(tmp_path, capsys):
    """Found in review: a folder given to --out was told to be deleted, a missing folder gave only 'No such file
    or directory', and the next command to type broke a path with a space in two."""
    assert cli.main(["exercise", "starter", "sgd_step", "--out", str(tmp_path)]) == 2
    assert f"--out: {tmp_path} is a folder; give the name of a new .py file" in capsys.readouterr().err
    assert cli.main(["exercise", "starter", "sgd_step", "--out", str(tmp_path / "nowhere" / "x.py")]) == 2
    assert f"--out: the folder {tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err
    spaced = tmp_path / "my sgd.py"
    assert cli.main(["exercise", "starter", "sgd_step", "--out", str(spaced)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f'minicnn exercise check sgd_step "{spaced}"')
