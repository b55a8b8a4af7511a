"""Calling the student's function safely: on copies of the inputs, with its prints (to stdout and stderr) and NumPy
warnings kept aside.

An exception is caught and summed up in three lines (its type, its message and the line of the student's code where
it happened) instead of a traceback wall. A call that runs past ``TIME_LIMIT`` seconds (an endless loop) is stopped
where it is, and reported the same way.
"""

import contextlib
import io
import linecache
import os
import signal
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

_THIS_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

#: seconds one call of the student's function may run: loops over every entry of these small cases take well under
#: one, so a call past it is an endless loop
TIME_LIMIT = 20.0


class TookTooLong(BaseException):
    """Raised inside the student's function when one call runs past ``TIME_LIMIT`` (a BaseException, so that an
    ``except Exception`` in the student's loop does not swallow it)."""


class _TimeLimit:
    """``with _TimeLimit(seconds):`` raises ``TookTooLong`` where the student's code is after ``seconds``, where the
    platform allows it (a timer signal, in the main thread); elsewhere the call is not limited. A timer armed before
    (the caller's own timeout) is armed again afterwards with the time it had left. (A loop whose bare ``except:``
    swallows every exception swallows this one too, and Ctrl-C's: Python offers no way to stop it from inside.)"""

    def __init__(self, seconds):
        self.seconds = seconds
        self.active = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._stop)
            self.start = time.monotonic()
            self.outer_delay, self.outer_interval = signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def _stop(self, signum, frame):
        raise TookTooLong(f"stopped after {self.seconds:g} s without returning")

    def __exit__(self, *exception):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
            if self.outer_delay > 0:
                left = max(self.outer_delay - (time.monotonic() - self.start), 1e-3)
                signal.setitimer(signal.ITIMER_REAL, left, self.outer_interval)
        return False


@dataclass
class StudentCall:
    """What one call of the student's function gave back.

    ``value`` is its return value (None when it raised); ``error`` the exception it raised, if any; ``printed`` what
    it printed, to stdout and stderr in the order printed; ``warnings`` the messages of the warnings it raised
    (NumPy's "overflow encountered in exp", ...).
    """

    value: object = None
    error: BaseException = None
    source_file: str = None
    printed: str = ""
    warnings: list = field(default_factory=list)


def copy_arguments(arguments):
    """A copy of ``arguments`` in which every array is a fresh copy, so a solution that writes into its inputs changes
    nothing the checker uses afterwards."""
    return {name: value.copy() if isinstance(value, np.ndarray) else value for name, value in arguments.items()}


def call_student(function, arguments, parameters):
    """Call ``function`` with ``arguments`` (a dict) passed positionally in the order of ``parameters``."""
    printed = io.StringIO()
    copies = copy_arguments(arguments)
    call = StudentCall(source_file=_source_file(function))
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed), \
            contextlib.redirect_stderr(printed):
        warnings.simplefilter("always")
        try:
            with _TimeLimit(TIME_LIMIT):
                call.value = function(*(copies[name] for name in parameters))
        except KeyboardInterrupt:  # the student stopping the checker
            raise
        except BaseException as error:  # any mistake in the student's code is reported, also exit() (SystemExit)
            call.error = error
    call.printed = printed.getvalue()
    call.warnings = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return call


def _source_file(function):
    code = getattr(function, "__code__", None) or getattr(getattr(function, "__call__", None), "__code__", None)
    return os.path.abspath(code.co_filename) if code is not None else None


def describe_exception(error, source_file=None):
    """``TypeName: message`` and the line where it happened: in ``source_file`` (the student's) when it is on the
    way, else the last line outside this package."""
    lines = [f"    {type(error).__name__}: {_text_of(error)}"]
    frame = _student_frame(error, source_file)
    if frame is not None:
        code = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
        lines.append(f"    at line {frame.lineno} of {frame.filename}, in {frame.name}:")
        if code:
            lines.append(f"        {code}")
    return "\n".join(lines)


def _text_of(error):
    try:
        return str(error)
    except Exception as failure:  # an exception class of the student's whose __str__ fails
        return f"(its message cannot be shown: {type(failure).__name__} in its __str__)"


def _student_frame(error, source_file):
    frames = traceback.extract_tb(error.__traceback__)
    if source_file is not None:
        theirs = [f for f in frames if os.path.abspath(f.filename) == source_file]
        if theirs:
            return theirs[-1]
    outside = [f for f in frames if not os.path.abspath(f.filename).startswith(_THIS_PACKAGE)]
    return outside[-1] if outside else None


def raised_by_the_call_itself(error):
    """True when ``error`` came from calling the student's function, before its first line ran (no frame outside
    this package): a function that takes another number of arguments."""
    return all(os.path.abspath(f.filename).startswith(_THIS_PACKAGE) for f in traceback.extract_tb(error.__traceback__))
