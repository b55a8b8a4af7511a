"""``minicnn.cli.main``'s own promises: a full or read-only disk ends in one line and status 1, with the folders it made
removed; output redirected in an encoding without minicnn's characters is made UTF-8; an error that is no interruption
is raised after removing the folders made. (Written from a mutation round over the CLI.)"""

import errno
import os
import sys

import pytest

from minicnn import cli


@pytest.mark.parametrize("number", ["ENOSPC", "EDQUOT", "EFBIG", "EROFS"])
def test_each_disk_full_or_read_only_error_ends_in_one_line_and_removes_the_folders_made(number, tmp_path,
                                                                                         monkeypatch, capsys):
    """Read-only disk (EROFS) or a quota (EDQUOT) dropped from DISK_FULL_OR_READ_ONLY: a traceback naming
    no file, where main promises one line and status 1; and the empty folders made not removed."""
    code = getattr(errno, number)

    def failing(**kwargs):
        raise OSError(code, os.strerror(code), os.fspath(tmp_path / "new" / "run" / "x.png"))

    monkeypatch.setattr(cli, "demo", failing)
    out = tmp_path / "new" / "run"
    assert cli.main(["demo", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minicnn demo: could not write: ") and "x.png" in err and "Traceback" not in err
    assert not (tmp_path / "new").exists()


class _Stream:
    """A redirected stream (not a terminal) of ``encoding``, recording what it is reconfigured to."""

    def __init__(self, encoding):
        self.encoding = encoding

    def isatty(self):
        return False

    def reconfigure(self, encoding):
        self.encoding = encoding


def test_a_stream_of_an_encoding_python_does_not_know_is_made_utf8():
    """LookupError left out of the probe's except: an encoding Python has no codec for ended the command in
    a traceback before it began."""
    stream = _Stream("x-no-such-codec")
    cli.write_utf8_where_redirected([stream])
    assert stream.encoding == "utf-8"


def test_stderr_redirected_in_cp1252_is_made_utf8_too(monkeypatch):
    """Only stdout being reconfigured: minicnn's messages on stderr (→, ≥) failed in a UnicodeEncodeError
    when 2> went to a cp1252 file."""
    out, err = _Stream("cp1252"), _Stream("cp1252")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    cli.write_utf8_where_redirected()
    monkeypatch.undo()
    assert out.encoding == "utf-8" and err.encoding == "utf-8"


def test_a_system_error_that_is_no_interruption_is_raised_and_removes_the_folders_made(tmp_path, monkeypatch):
    """Folders made left behind when a SystemError that is not Ctrl-C inside a Numba kernel ends the
    command (every other failure removes them)."""
    def failing(**kwargs):
        raise SystemError("<built-in function x> returned NULL without setting an exception")

    monkeypatch.setattr(cli, "demo", failing)
    with pytest.raises(SystemError, match="returned NULL"):
        cli.main(["demo", "--out", str(tmp_path / "new" / "run")])
    assert not (tmp_path / "new").exists()
