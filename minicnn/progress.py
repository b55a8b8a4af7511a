"""A text progress bar for long work (training epochs, tracking runs), in the style of Keras' ``fit`` output.

In a terminal or a notebook the bar redraws itself in place, with the time left; when output goes to a file or a CI
log, a line is printed once a minute on long work and when it is finished, so logs stay short and a long run's log
still says how far it got.
"""

import shutil
import sys
import time


def _interactive(stream):
    """A terminal, or a notebook's own output (which redraws a line after ``\\r`` but is no tty)."""
    if "ipykernel" in sys.modules and stream in (sys.stdout, sys.stderr):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _terminal_columns(stream):
    """The width of the terminal ``stream`` writes to (``COLUMNS`` where set), or None for anything else (a
    notebook redraws a long line in place; a file keeps it whole)."""
    if "ipykernel" in sys.modules or not _interactive(stream):
        return None
    return shutil.get_terminal_size().columns


LOG_EVERY_SECONDS = 60.0
"""Where output is not a terminal, how often a line is printed before the finished one."""


def _duration(seconds):
    """``42s``, ``3m05s``, ``2h07m``: short enough for a progress line."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _format(value):
    return f"{value:.4f}" if isinstance(value, float) else str(value)


class ProgressBar:
    """``with ProgressBar(total) as bar:``, ``bar.update(done, loss=0.5)`` after each step, ``bar.finish(val_loss=0.4)``
    at the end.

    Shows ``done/total [=====>....] elapsed time/step ETA left - name: value ...`` (no ETA once finished);
    with ``live=False``, only the finished line.
    ``clock`` gives the time in seconds (tests pass their own); ``started``, the ``clock`` time the work began, where
    the bar is shown once it has run a while (default: now); ``label``, what the work is, shown first on the line.
    """

    def __init__(self, total, width=30, stream=None, unit="step", enabled=True, clock=time.perf_counter, first=0,
                 live=True, started=None, label=""):
        self.total = max(int(total), 0)  # 0: nothing to do, shown finished at once ("0/0", the bar full)
        self.live = live  # False: only finish writes its line (Keras' verbose=2, one line per epoch)
        self.first = first  # steps done before this bar (a resumed run): the time per step counts those after
        self.width = width
        self.stream = stream if stream is not None else sys.stdout
        self.unit = unit
        self.label = label  # what the work is, first on the line, where two bars follow each other ("tracking")
        self.enabled = enabled
        self.interactive = _interactive(self.stream)
        self.clock = clock
        self.start = self.last_logged = clock() if started is None else started  # when the work began
        self.done = 0
        self.values = {}
        self.shown = 0  # characters of the line on the screen: a shorter line redrawn over it blanks the rest
        self.first_step = None  # (time, steps done) at the first update after ``first``: the steps after it say
        # how long the rest will take better than an average that holds a slow first step (Numba compiling)

    def _redraw(self, whole=False):
        """``\r`` and the line over the line shown, its end blanked where the one shown was longer. In a terminal
        a line to be redrawn fits its width (a shorter bar, then the end cut off): a line that wraps cannot be
        redrawn, and an 80-column terminal scrolled a new row at every step. The finished line (``whole``) is never
        redrawn, so it is written whole, all its values kept, wrapping where it must."""
        line = self._line()
        columns = _terminal_columns(self.stream)
        if columns is not None and len(line) >= columns and not whole:
            line = self._line(max(self.width - (len(line) - columns + 1), 10))[:columns - 1]
        self.stream.write("\r" + line + " " * max(self.shown - len(line), 0))
        self.shown = len(line)

    def _line(self, width=None):
        width = self.width if width is None else width
        filled = int(width * self.done / self.total) if self.total else width
        arrow = ">" if self.done < self.total else "="
        bar = "=" * max(filled - 1, 0) + (arrow if filled else "") + "." * (width - filled)
        elapsed = self.clock() - self.start
        per_step = elapsed / max(self.done - self.first, 1)
        speed = f"{per_step * 1000:.0f}ms/{self.unit}" if per_step < 1 else f"{per_step:.1f}s/{self.unit}"
        if self.first_step is not None and self.done > self.first_step[1]:
            seen_at, steps_seen = self.first_step
            per_step_left = (self.clock() - seen_at) / (self.done - steps_seen)
        else:
            per_step_left = per_step
        started = self.first < self.done < self.total
        left = f" ETA {_duration(per_step_left * (self.total - self.done))}" if started else ""
        values = "".join(f" - {name}: {_format(value)}" for name, value in self.values.items())
        digits = len(str(self.total))
        label = f"{self.label} " if self.label else ""
        return f"{label}{self.done:{digits}d}/{self.total} [{bar}] {elapsed:.1f}s {speed}{left}{values}"

    def update(self, done, **values):
        if self.first_step is None and done > self.first:
            self.first_step = (self.clock(), done)
        self.done = done
        self.values.update(values)
        if not self.enabled or not self.live:
            return
        if self.interactive:
            self._redraw()
            self.stream.flush()
        elif self.clock() - self.last_logged >= LOG_EVERY_SECONDS:
            self.last_logged = self.clock()
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        """``with ProgressBar(...) as bar:``: a line redrawn in a terminal and left unfinished (Ctrl-C, an error) is
        ended, so what is printed next (a traceback) starts on a line of its own."""
        self.end_line()  # finish() ends its line; an interruption after the last update (validation) does not
        return False

    def end_line(self):
        """End the line drawn in a terminal, so that a message printed now starts on a line of its own (and the next
        update draws a new line under it); nothing where no line is drawn (a log gets whole lines only)."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = 0

    def finish(self, **values):
        self.done = self.total
        self.values.update(values)
        if not self.enabled:
            return
        if self.interactive and self.live:
            self._redraw(whole=True)
        else:
            self.stream.write(self._line())
        self.stream.write("\n")
        self.stream.flush()
        self.shown = 0
