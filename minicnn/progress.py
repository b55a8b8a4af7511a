"""A text progress bar for long work (training epochs, tracking runs), in the style of Keras' ``fit`` output.

In a terminal or a notebook the bar redraws itself in place; when output goes to a file or a CI log only the
finished line is printed, so logs stay short.
"""

import sys
import time


def _interactive(stream):
    if "ipykernel" in sys.modules:
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _format(value):
    return f"{value:.4f}" if isinstance(value, float) else str(value)


class ProgressBar:
    """``bar = ProgressBar(total)``; ``bar.update(done, loss=0.5)`` after each step; ``bar.finish(val_loss=0.4)``.

    Shows ``done/total [=====>....] elapsed  time/step - name: value ...``.
    """

    def __init__(self, total, width=30, stream=None, unit="step", enabled=True):
        self.total = max(int(total), 1)
        self.width = width
        self.stream = stream if stream is not None else sys.stdout
        self.unit = unit
        self.enabled = enabled
        self.interactive = _interactive(self.stream)
        self.start = time.perf_counter()
        self.done = 0
        self.values = {}

    def _line(self):
        filled = int(self.width * self.done / self.total)
        arrow = ">" if self.done < self.total else "="
        bar = "=" * max(filled - 1, 0) + (arrow if filled else "") + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(self.done, 1)
        speed = f"{per_step * 1000:.0f}ms/{self.unit}" if per_step < 1 else f"{per_step:.1f}s/{self.unit}"
        values = "".join(f" - {name}: {_format(value)}" for name, value in self.values.items())
        digits = len(str(self.total))
        return f"{self.done:{digits}d}/{self.total} [{bar}] {elapsed:.1f}s {speed}{values}"

    def update(self, done, **values):
        self.done = done
        self.values.update(values)
        if self.enabled and self.interactive:
            self.stream.write("\r" + self._line())
            self.stream.flush()

    def finish(self, **values):
        self.done = self.total
        self.values.update(values)
        if self.enabled:
            self.stream.write(("\r" if self.interactive else "") + self._line() + "\n")
            self.stream.flush()
