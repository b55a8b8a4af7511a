"""The command line's argument types and output checks (``minicnn.cli_options``) at their boundaries. (Written from a
mutation round over the CLI.)"""

import argparse

import pytest

from minicnn.cli_options import frames_per_second, positive_number, whole_number


@pytest.mark.parametrize("text", ["2.5", "1e3", "3.0"])
def test_a_whole_number_is_written_as_one(text):
    """A whole number is read as one: with int(float(text)), --epochs 2.5 silently trained 2 epochs."""
    with pytest.raises(argparse.ArgumentTypeError, match=rf"expected a whole number ≥ 1, got '{text}'"):
        whole_number(1)(text)


@pytest.mark.parametrize("text", ["0", "0.0", "-1e-3"])
def test_a_positive_number_refuses_zero(text):
    """0 accepted as a learning rate 'above 0' (training that never moves)."""
    with pytest.raises(argparse.ArgumentTypeError, match="expected a finite number above 0"):
        positive_number(text)


def test_a_frame_rate_of_1000_is_the_largest_taken():
    """Documented 'at most 1000' turned into 'below 1000', and a larger rate let through."""
    assert frames_per_second("1000") == 1000.0
    with pytest.raises(argparse.ArgumentTypeError):
        frames_per_second("1000.5")


def test_a_folder_that_cannot_be_written_into_is_refused_by_option(tmp_path, capsys):
    """Write probe dropped from output_folder: a folder this user may not write into (for root, /sys:
    os.access says yes there) was found only when the first file was written, after the work."""
    import os

    from minicnn.cli_options import output_folder

    if os.geteuid() == 0:
        folder = "/sys"
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
    parser = argparse.ArgumentParser(prog="minicnn demo")
    with pytest.raises(SystemExit) as stop:
        output_folder(parser, folder, "--out")
    assert stop.value.code == 2 and f"--out: cannot write into the folder {folder}: " in capsys.readouterr().err


def test_output_file_refuses_a_folder_and_makes_the_folder_it_goes_into(tmp_path, capsys):
    """Output_file taking a folder as a file name (--sheet or --out video failed after the work), and not
    making the missing folder its file goes into."""
    from minicnn.cli_options import output_file

    parser = argparse.ArgumentParser(prog="minicnn track show")
    with pytest.raises(SystemExit):
        output_file(parser, tmp_path, "--sheet")
    assert f"--sheet: {tmp_path} is a folder; expected a file name" in capsys.readouterr().err
    assert output_file(parser, tmp_path / "new" / "sheet.png", "--sheet") == tmp_path / "new" / "sheet.png"
    assert (tmp_path / "new").is_dir() and not (tmp_path / "new" / "sheet.png").exists()


def test_a_folder_in_the_way_names_the_option_to_change(tmp_path, capsys):
    """Advice 'give another --out' given for every option (minicnn eval has --results, no --out)."""
    from minicnn.cli_options import files_not_in_the_way

    (tmp_path / "table.txt").mkdir()
    with pytest.raises(SystemExit):
        files_not_in_the_way(argparse.ArgumentParser(prog="minicnn eval"), tmp_path, ("table.txt",), "--results")
    assert capsys.readouterr().err.rstrip().endswith("move it away, or give another --results")
