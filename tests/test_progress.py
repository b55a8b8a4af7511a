"""The progress bar: the time left while work runs, and a line a minute in a log (a file or CI output), where the
bar used to print nothing until the work was done."""

import io

import pytest

from minicnn.progress import ProgressBar, _duration


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_log_gets_a_line_a_minute_and_the_finished_line():
    log, clock = io.StringIO(), Clock()
    bar = ProgressBar(100, stream=log, unit="frame", clock=clock)
    for done in range(1, 100):
        clock.now += 1.5  # 150 s of work in all: lines at 60 s and 120 s
        bar.update(done)
    bar.finish()
    lines = log.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith(" 40/100 [===========>") and "] 60.0s 1.5s/frame ETA 1m30s" in lines[0]
    assert lines[1].startswith(" 80/100") and "ETA 30s" in lines[1]
    assert lines[2].startswith("100/100 [==============================] 148.5s") and "ETA" not in lines[2]


def test_short_work_prints_only_its_finished_line_and_a_disabled_bar_nothing():
    log, clock = io.StringIO(), Clock()
    bar = ProgressBar(10, stream=log, clock=clock)
    for done in range(1, 10):
        clock.now += 1.0
        bar.update(done, loss=0.5)
    bar.finish()
    assert log.getvalue().count("\n") == 1 and log.getvalue().startswith("10/10 [") and "loss: 0.5000" in log.getvalue()
    quiet = io.StringIO()
    bar = ProgressBar(10, stream=quiet, enabled=False, clock=clock)
    clock.now += 600
    bar.update(5)
    bar.finish()
    assert quiet.getvalue() == ""


def test_a_bar_for_no_work_prints_its_finished_line():
    """A bar for empty work (0 frames, 0 steps) prints its finished line, where a total of 0 divided by zero
    (mutation round); it said "1/1", one step done of none to do. In a terminal too, and before it finishes."""
    log, clock = io.StringIO(), Clock()
    bar = ProgressBar(0, stream=log, clock=clock)
    bar.update(0)
    bar.finish()
    assert log.getvalue().startswith("0/0 [==============================] 0.0s"), log.getvalue()
    terminal = Terminal()
    bar = ProgressBar(0, stream=terminal, clock=clock, unit="frame")
    bar.update(0)
    assert terminal.getvalue() == "\r0/0 [==============================] 0.0s 0ms/frame"


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as sys.stdout does in one."""

    def isatty(self):
        return True


@pytest.mark.parametrize("done, line", [(1, "1/4 [======>.......................] 2.0s 2.0s/step ETA 6s"),
                                        (0, "0/4 [..............................] 2.0s 2.0s/step")])
def test_a_terminal_redraws_the_line_in_place_with_the_time_left_once_a_step_is_done(done, line):
    """No time left is guessed before the first step."""
    screen, clock = Terminal(), Clock()
    bar = ProgressBar(4, stream=screen, clock=clock)
    clock.now += 2.0
    bar.update(done)
    assert screen.getvalue() == "\r" + line


def test_a_resumed_run_times_only_the_steps_it_took():
    """A run resumed at step 4 of 8 that took 2 s for steps 5 and 6 reads 1 s a step (not 2 s over 6 steps), with
    2 s left; no time left is guessed before its first step."""
    screen, clock = Terminal(), Clock()
    bar = ProgressBar(8, stream=screen, clock=clock, first=4)
    clock.now += 2.0
    bar.update(4)
    assert screen.getvalue().endswith("\r4/8 [" + "=" * 14 + ">" + "." * 15 + "] 2.0s 2.0s/step")
    bar.update(6)
    assert screen.getvalue().endswith("\r6/8 [" + "=" * 21 + ">" + "." * 8 + "] 2.0s 1.0s/step ETA 2s")


def test_durations_read_as_seconds_minutes_or_hours():
    assert [_duration(s) for s in (0.4, 59, 61, 3599, 3600, 7620)] == ["0s", "59s", "1m01s", "59m59s", "1h00m",
                                                                        "2h07m"]


def test_durations_round_to_the_second_and_a_minute_reads_as_minutes():
    assert [_duration(s) for s in (59.4, 59.6, 60, 3599.6)] == ["59s", "1m00s", "1m00s", "1h00m"]


def test_in_a_notebook_only_its_own_output_is_interactive(monkeypatch):
    """A log file written beside a notebook gets lines, not a bar redrawn with carriage returns."""
    import sys
    import types

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert ProgressBar(3, stream=sys.stdout).interactive
    assert not ProgressBar(3, stream=io.StringIO()).interactive


def _as_shown(written):
    """What a terminal shows after ``written``: ``\\r`` returns to the line's start and what follows overwrites."""
    lines, line, column = [], [], 0
    for character in written:
        if character == "\r":
            column = 0
        elif character == "\n":
            lines.append("".join(line))
            line, column = [], 0
        else:
            line[column:column + 1] = [character]
            column += 1
    return lines + (["".join(line)] if line else [])  # blanks written over old text show as blanks


def test_a_shorter_line_redrawn_in_a_terminal_leaves_nothing_of_the_longer_one_behind():
    """The finished line has no ETA, so it is shorter than the one before it: its end was left on the screen
    (``... loss: 0.9746 0.9747``)."""
    screen, clock = Terminal(), Clock()
    bar = ProgressBar(3, stream=screen, clock=clock)
    for done in (1, 2):
        clock.now += 100.0
        bar.update(done, loss=1.23456)
    clock.now += 100.0
    bar.finish(loss=0.5)
    shown = [line.rstrip() for line in _as_shown(screen.getvalue())]
    assert shown == ["3/3 [==============================] 300.0s 100.0s/step - loss: 0.5000"]


def test_the_time_left_leaves_out_a_slow_first_step():
    """The first step of a first run compiles Numba's kernels (about 20 s): counted in, it made the demo say
    "ETA 56s" for three steps that took half a second each."""
    screen, clock = Terminal(), Clock()
    bar = ProgressBar(10, stream=screen, clock=clock)
    clock.now += 20.0
    bar.update(1)
    assert screen.getvalue().endswith("ETA 3m00s")  # one step seen: the only time there is
    for done in (2, 3):
        clock.now += 1.0
        bar.update(done)
    assert screen.getvalue().rstrip().endswith("] 22.0s 7.3s/step ETA 7s")


def test_a_bar_shown_once_work_has_run_a_while_times_it_from_its_start():
    """gradcheck shows its bar after 3 s: it read '35/49 [...] 0.0s 0ms/entry ETA 0s', timed from the bar's
    appearance, not from the work's start."""
    screen, clock = Terminal(), Clock()
    started = clock.now
    clock.now += 3.5
    bar = ProgressBar(49, stream=screen, clock=clock, unit="entry", started=started)
    bar.update(35)
    assert screen.getvalue().startswith("\r35/49 [") and screen.getvalue().endswith("] 3.5s 100ms/entry ETA 1s")


def test_a_line_interrupted_after_its_last_step_is_ended_too():
    """fit's bar has its last step before the validation pass: Ctrl-C during that pass left the traceback on the
    bar's line, since only a line short of its total was ended."""
    screen, clock = Terminal(), Clock()
    with pytest.raises(KeyboardInterrupt):
        with ProgressBar(2, stream=screen, clock=clock) as bar:
            bar.update(2, loss=0.5)
            raise KeyboardInterrupt
    assert screen.getvalue().endswith("\n")
    finished = Terminal()
    with ProgressBar(2, stream=finished, clock=clock) as bar:
        bar.update(2)
        bar.finish()
    assert finished.getvalue().count("\n") == 1  # finish ends its line once


def test_a_line_longer_than_the_terminal_is_fitted_to_its_width(monkeypatch):
    """A line wider than the terminal wraps, and ``\\r`` then goes back only to the start of its last row: an
    80-column terminal scrolled a new row at every step (``train siamese``'s lines are 100 characters long)."""
    import sys

    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)  # imported by the notebook tests: not a notebook here
    monkeypatch.setenv("COLUMNS", "60")
    screen, clock = Terminal(), Clock()
    bar = ProgressBar(3000, stream=screen, clock=clock)
    for done in (1, 2, 1500):
        clock.now += 0.6
        bar.update(done, loss=0.69381, epoch="1/2")
    clock.now += 0.6
    bar.finish(loss=0.5)
    drawn = [line for line in screen.getvalue().replace("\n", "\r").split("\r") if line]
    assert len(drawn) == 4 and all(len(line.rstrip()) <= 59 for line in drawn[:3]), drawn
    assert drawn[2].startswith("1500/3000 [====>.....] ") and "ETA" in drawn[2]  # the bar shrinks first
    # the finished line, never redrawn, is written whole: an epoch's val_loss was cut off (found in review)
    assert drawn[3].rstrip().endswith(" - loss: 0.5000 - epoch: 1/2") and len(drawn[3].rstrip()) > 59
    monkeypatch.setenv("COLUMNS", "200")
    wide = Terminal()
    ProgressBar(3000, stream=wide, clock=clock).update(1500, loss=0.69381, epoch="1/2")
    assert wide.getvalue().startswith("\r1500/3000 [==============>...............] ")  # room: the bar as it was


def test_a_line_ended_for_a_message_is_not_ended_again_when_the_bar_closes():
    """end_line ends the bar's line so that a message printed mid-run (a warning) starts on a line of its own; the
    bar closed right after (the work stopped there) does not end the line again, which would leave a blank line
    under the message."""
    screen, clock = Terminal(), Clock()
    with ProgressBar(4, stream=screen, clock=clock) as bar:
        clock.now += 1.0
        bar.update(1)
        bar.end_line()
        screen.write("warning: a message\n")
    assert screen.getvalue() == "\r1/4 [======>.......................] 1.0s 1.0s/step ETA 3s\nwarning: a message\n"
