"""Calling the student's function safely: on copies of the inputs, with its prints (to stdout and stderr) and NumPy
warnings kept aside.

An exception is caught and summed up in three lines (its type, its message and the line of the student's code where
it happened) instead of a traceback wall. A call that runs past ``TIME_LIMIT`` seconds (an endless loop) is stopped
where it is, and reported the same way.

A function compiled by Numba (``@njit``) cannot be stopped: a signal's Python handler never runs inside compiled code.
It is called in a daemon thread instead, compiled again with ``nogil=True`` so that the waiting thread can wake up,
and left running when it does not return in time (``StillRunning``); the process ending ends it. Only the function
checked is run so: a Python function whose loop runs in an ``@njit`` helper it calls is not stopped by the time
limit (nor by Ctrl-C) while the helper runs.
"""

import ast
import contextlib
import io
import linecache
import os
import signal
import sys
import sysconfig
import threading
import time
import traceback
import warnings
import weakref
from dataclasses import dataclass, field

import numpy as np

_THIS_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_MINICNN_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_LIBRARY_FOLDERS = tuple(sorted({os.path.abspath(sysconfig.get_paths()[name]) + os.sep
                                 for name in ("stdlib", "platstdlib", "purelib", "platlib")}))

#: seconds one call of the student's function may run: loops over every entry of these small cases take well under
#: one, so a call past it is an endless loop
TIME_LIMIT = 20.0


#: seconds between the stops once the time limit has passed: a stop caught by the student's ``except:`` (or
#: ``except BaseException``) is followed by the next
STOP_AGAIN_EVERY = 0.01


class TookTooLong(BaseException):
    """Raised inside the student's function when one call runs past ``TIME_LIMIT`` (a BaseException, so that an
    ``except Exception`` in the student's loop does not swallow it). ``caught`` counts the stops before this one
    that an except block of the student's caught (``except:`` or ``except BaseException``), or is 1 at least where
    the function caught them all and returned."""

    def __init__(self, message, caught=0):
        super().__init__(message)
        self.caught = caught
        self.first_stop = None  # where stops were caught: the first, which shows where the loop ran


class StillRunning(TookTooLong):
    """Reported for compiled code (a Numba ``@njit`` function) that runs past ``TIME_LIMIT``: nothing can stop it, so
    the checker stopped waiting for it and it keeps running in a background (daemon) thread."""


class _TimeLimit:
    """``with _TimeLimit(seconds):`` raises ``TookTooLong`` in the student's code (the code the block calls, outside
    this package) after ``seconds``, and again every ``STOP_AGAIN_EVERY`` seconds until the block ends.

    In the main thread of a platform with timer signals (Linux, macOS) a repeating ``SIGALRM`` timer raises it; a
    timer armed before (the caller's own timeout) is armed again afterwards with the time it had left. Elsewhere
    (Windows has no ``setitimer``; a checker called from another thread) a watchdog thread asks Python to raise it in
    the checked thread (``PyThreadState_SetAsyncExc``), which it does at the thread's next step of Python code.

    A bare ``except:`` (or ``except BaseException:``) that catches a stop would let the loop go on. So each stop, as
    it is made in the checked thread, also sets a trace function there on the student's frames: where such an
    except block (found in the source) caught a stop, it raises the next where that gets out of every such block
    (``_stop_at_the_next_line``); ``finally`` blocks and ``with`` statements that a stop unwinds through are left to
    run. ``last_stop`` keeps the last stop raised: a call that caught them all and returned is reported as stopped
    all the same.

    A stop may be asked for just as the student's code ends; Python then raises it in the next step it takes, in
    this package. ``close()`` (which ``__exit__`` calls) undoes everything and may be called again after it."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.by_signal = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        self.stops = 0
        self.swallowed = 0  # stops an except: block of the student's caught
        self.catch_all_lines = {}  # file name: its lines inside except blocks that catch every exception
        self.stopped_frames = set()  # the student's frames a stop went through
        self.escape_wanted = False  # an except: caught a stop, and raising the next there would be caught too
        self.first_stop = self.last_stop = None
        self.closed = False

    def __enter__(self):
        self.block = sys._getframe(1)  # the frame running the with statement: the student's code runs above it
        self.previous_trace = sys.gettrace()
        if self.by_signal:
            self.previous = signal.signal(signal.SIGALRM, self._stop)
            self.start = time.monotonic()
            self.outer_delay, self.outer_interval = signal.setitimer(signal.ITIMER_REAL, self.seconds,
                                                                     STOP_AGAIN_EVERY)
        else:
            self.thread_id, self.lock, self.running = threading.get_ident(), threading.Lock(), True
            self.ended = threading.Event()
            self.watchdog = threading.Thread(target=self._watch, name="time limit's watchdog", daemon=True)
            self.watchdog.start()
        return self

    def _in_the_students_code(self, frame):
        """True where ``frame`` runs the block's code outside this package: the block's own frame (unless it is this
        package's, as in ``_call_here``), or code called from it through no frame of this package (``close`` calls
        ``signal.signal``, code of the standard library)."""
        if frame is self.block:
            return not _in_this_package(frame)
        while frame is not None and frame is not self.block:
            if _in_this_package(frame):
                return False
            frame = frame.f_back
        return frame is not None

    def _stop(self, signum, frame):
        """The timer signal's handler: runs in the checked thread, between two steps of ``frame``'s code. The stops
        after the first come only outside libraries: one raised as the last unwinds through a library's ``finally``
        or ``__exit__`` would cut that short (``np.errstate`` left set, say)."""
        if self._in_the_students_code(frame) and not (self.stops and _in_a_library(frame)):
            stop = TookTooLong(_stopped_after(self.seconds), caught=self.swallowed)
            self.stops += 1
            self._raised_here(stop, frame)
            raise stop

    def _raised_here(self, stop, frame):
        """Keep ``stop`` as the last one raised, and set the trace function that raises the next at the next line of
        the student's code. Runs in the checked thread (no trace function can be set in another)."""
        if not self._in_the_students_code(frame):
            return  # raised as the student's code ended: nothing is left to stop
        self.last_stop = stop
        self.first_stop = self.first_stop or stop
        self.stopped_frames.add(frame)  # on the watchdog path, the frame that catches it: its trace comes too late
        for students_frame in self._students_frames(frame):
            students_frame.f_trace = self._stop_at_the_next_line
        sys.settrace(self._stop_at_the_next_line)  # last: Python code run after it here would be traced

    def _stop_at_the_next_line(self, frame, event, arg):
        """The trace function a stop sets, on the frames that were on the way when it came (none made after: it
        traces no call). Where a stop passed through a frame and the frame goes on at a line of an ``except:`` block
        (or ``except BaseException``), that block caught it. The next stop is raised at once where it gets out of
        every such block (no ``try`` they guard holds this line or a caller's); else at the first line where it
        does (the ``while`` line of a loop whose ``except:`` called a helper whose own ``except:`` caught it), or,
        if a second stop is caught first, at that block. Lines that a stop unwinds through (``finally`` blocks, a
        ``with`` statement's exit) are left to run. Python unsets a trace function that raises: the next stop sets
        it again."""
        if event == "exception" and issubclass(arg[0], TookTooLong):
            self.stopped_frames.add(frame)
        elif event == "line" and frame in self.stopped_frames and self._in_a_catch_all_block(frame):
            self.stopped_frames.discard(frame)
            self.swallowed += 1
            if self.escape_wanted or self._escapes_every_catch_all(frame):
                self._raise_the_next_stop()
            self.escape_wanted = True
        elif event == "line" and self.escape_wanted and self._escapes_every_catch_all(frame):
            self._raise_the_next_stop()
        return self._stop_at_the_next_line if event != "call" else None

    def _raise_the_next_stop(self):
        self.escape_wanted = False
        self.last_stop = TookTooLong(_stopped_after(self.seconds), caught=self.swallowed)
        self.stops += 1
        raise self.last_stop

    def _catch_alls(self, frame):
        """``_catch_all_lines`` of ``frame``'s file, read once."""
        filename = frame.f_code.co_filename
        if filename not in self.catch_all_lines:
            self.catch_all_lines[filename] = _catch_all_lines(filename)
        return self.catch_all_lines[filename]

    def _in_a_catch_all_block(self, frame):
        """True at a line of the student's code inside an except block that catches every exception."""
        return frame.f_lineno in self._catch_alls(frame)[0] and self._in_the_students_code(frame)

    def _escapes_every_catch_all(self, frame):
        """True where a stop raised at ``frame``'s line would get out of the student's code: neither that line nor
        the line of a student's frame below it (a call) lies in a ``try`` body that an ``except:`` guards."""
        return self._in_the_students_code(frame) and not any(
            students_frame.f_lineno in self._catch_alls(students_frame)[1]
            for students_frame in self._students_frames(frame))

    def _students_frames(self, frame):
        """``frame`` and the frames below it down to the block's, those outside this package and libraries."""
        while frame is not None and not _in_this_package(frame):
            if not _in_a_library(frame):
                yield frame
            frame = None if frame is self.block else frame.f_back

    def _watch(self):
        """The watchdog thread: a stop after ``seconds``, then one every ``STOP_AGAIN_EVERY`` until the block ends."""
        if self.ended.wait(self.seconds):
            return
        self._stop_from_the_watchdog()
        while not self.ended.wait(STOP_AGAIN_EVERY):
            self._stop_from_the_watchdog()

    def _stop_from_the_watchdog(self):
        """Runs in the watchdog thread: raise ``TookTooLong`` in the checked thread, if it is still in the block and
        running the student's code."""
        with self.lock:
            frame = sys._current_frames().get(self.thread_id)
            if (self.running and frame is not None and self._in_the_students_code(frame)
                    and not (self.stops and _in_a_library(frame))):  # as in _stop
                _raise_in_thread(self.thread_id, _took_too_long_after(self.seconds, self.swallowed, self._raised_here))
                self.stops += 1

    def __exit__(self, *exception):
        self.close()
        return False

    def close(self):
        """Stop the stops: the trace function, and the timer (the caller's armed again) or the watchdog."""
        if self.last_stop is not None:  # first: the Python code called below would be traced
            sys.settrace(self.previous_trace)
        if self.closed:
            return
        if self.by_signal:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
            if self.outer_delay > 0:
                left = max(self.outer_delay - (time.monotonic() - self.start), 1e-3)
                signal.setitimer(signal.ITIMER_REAL, left, self.outer_interval)
        else:
            with self.lock:
                self.running = False
                self.ended.set()
        self.closed = True


def _in_this_package(frame):
    """True where ``frame`` runs the checker's own code: a module of ``minicnn.exercises`` itself, not an exercise's
    folder (a student may edit its starter file in place) nor code typed at a prompt (``<stdin>``)."""
    filename = frame.f_code.co_filename
    return not filename.startswith("<") and os.path.dirname(os.path.abspath(filename)) + os.sep == _THIS_PACKAGE


def _in_a_library(frame):
    """True where ``frame`` runs code of the standard library or of an installed package (NumPy's, ...)."""
    return _is_library_file(os.path.abspath(frame.f_code.co_filename))


def _is_library_file(path):
    """True for an absolute ``path`` in the standard library or an installed package: one of this Python's own
    folders, or any ``site-packages`` or ``dist-packages`` folder (a user's or a system's installs)."""
    parts = path.split(os.sep)
    return path.startswith(_LIBRARY_FOLDERS) or "site-packages" in parts or "dist-packages" in parts


def _catch_all_lines(filename):
    """``(in_blocks, guarded)``: the lines of ``filename``'s except blocks that catch every exception (``except:``,
    ``except BaseException``, alone or in a tuple) and of its ``finally`` blocks that drop it (one that continues,
    breaks or returns), from each ``except`` or ``finally`` line to its block's last, and the lines of the ``try``
    bodies such a block guards; both empty where the source cannot be read."""
    try:
        tree = ast.parse("".join(linecache.getlines(filename)))
    except (SyntaxError, ValueError):
        return frozenset(), frozenset()
    in_blocks, guarded = set(), set()
    for node in ast.walk(tree):
        blocks = [(handler.lineno, handler.end_lineno) for handler in getattr(node, "handlers", ())
                  if _catches_everything(handler.type)]
        finally_block = getattr(node, "finalbody", [])
        if _jumps_out(finally_block):  # a finally block that continues, breaks or returns drops the exception too
            blocks.append((finally_block[0].lineno - 1, finally_block[-1].end_lineno))  # from the finally line
        for first, last in blocks:
            in_blocks.update(range(first, last + 1))
        if blocks:
            guarded.update(range(node.body[0].lineno, node.body[-1].end_lineno + 1))
    return frozenset(in_blocks), frozenset(guarded)


def _jumps_out(statements):
    """True where ``statements`` (a finally block) hold a ``continue``, ``break`` or ``return`` of their own (not
    one inside a loop or function of theirs)."""
    waiting = list(statements)
    while waiting:
        statement = waiting.pop()
        if isinstance(statement, (ast.Continue, ast.Break, ast.Return)):
            return True
        if not isinstance(statement, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef,
                                      ast.ClassDef, ast.Lambda)):
            waiting.extend(child for child in ast.iter_child_nodes(statement) if isinstance(child, ast.stmt))
    return False


def _catches_everything(caught):
    """True for an except clause's type node that catches every exception: none, or ``BaseException`` in it."""
    if caught is None:
        return True
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(getattr(name, "id", getattr(name, "attr", None)) == "BaseException" for name in names)


def _took_too_long_after(seconds, caught=0, raised_here=None):
    """A ``TookTooLong`` class whose instances, made without arguments (as Python makes the exception a watchdog
    raises in another thread, in that thread), say how long the call ran and how many stops it caught before, and
    call ``raised_here(stop, frame)`` with the frame they are raised in."""
    message = _stopped_after(seconds)

    def made_in_the_checked_thread(self):
        TookTooLong.__init__(self, message, caught)
        if raised_here is not None:
            raised_here(self, sys._getframe(1))

    return type("TookTooLong", (TookTooLong,), {"__init__": made_in_the_checked_thread})


def _stopped_after(seconds):
    """What a ``TookTooLong`` says, whether a timer signal or the watchdog raised it."""
    return f"stopped after {seconds:g} s without returning"


def _raise_in_thread(thread_id, exception_class):
    """Ask Python to raise ``exception_class`` in the thread ``thread_id`` at its next step of Python code. (Nothing
    takes one back: asking for None leaves Python 3.11 looking for one at every step for the rest of the process, and
    a trace function set in a timer signal's handler then never returns.)"""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exception_class))


@dataclass
class StudentCall:
    """What one call of the student's function gave back.

    ``value`` is its return value (None when it raised); ``error`` the exception it raised, if any; ``printed`` what
    it printed, to stdout and stderr in the order printed; ``warnings`` the messages of the warnings it raised
    (NumPy's "overflow encountered in exp", ...); ``changed_in_place`` the names of the array arguments whose copy it
    was given it changed.
    """

    value: object = None
    error: BaseException = None
    source_file: str = None
    printed: str = ""
    warnings: list = field(default_factory=list)
    changed_in_place: list = field(default_factory=list)


def copy_arguments(arguments):
    """A copy of ``arguments`` in which every array is a fresh copy, so a solution that writes into its inputs changes
    nothing the checker uses afterwards."""
    return {name: value.copy() if isinstance(value, np.ndarray) else value for name, value in arguments.items()}


def call_student(function, arguments, parameters):
    """Call ``function`` with ``arguments`` (a dict) passed positionally in the order of ``parameters``."""
    printed = io.StringIO()
    copies = copy_arguments(arguments)
    values = [copies[name] for name in parameters]
    call = StudentCall(source_file=_source_file(function))
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed), \
            contextlib.redirect_stderr(printed):
        warnings.simplefilter("always")
        run = _call_compiled if is_compiled(function) else _call_here
        call.value, call.error = run(function, values)
    call.printed = printed.getvalue()
    call.warnings = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    call.changed_in_place = changed_arguments(arguments, copies, parameters)
    return call


def changed_arguments(arguments, copies, parameters):
    """The names, in the order of ``parameters``, of the arrays of ``arguments`` whose ``copies`` now differ."""
    return [name for name in parameters if isinstance(arguments[name], np.ndarray)
            and not np.array_equal(arguments[name], copies[name], equal_nan=arguments[name].dtype.kind in "fc")]


def is_compiled(function):
    """True for a function compiled by Numba (a ``Dispatcher``, which keeps the Python function as ``py_func``)."""
    return callable(getattr(function, "py_func", None)) and hasattr(function, "targetoptions")


def _call_here(function, values):
    """``(value, error)`` of ``function(*values)``, stopped after ``TIME_LIMIT`` seconds (``_TimeLimit``)."""
    limit = _TimeLimit(TIME_LIMIT)
    try:
        with limit:
            value = function(*values)
    except KeyboardInterrupt:  # the student stopping the checker
        raise
    except BaseException as error:  # any mistake in the student's code is reported, also exit() (SystemExit)
        if isinstance(error, TookTooLong) and error.caught and limit.first_stop is not error:
            error.first_stop = limit.first_stop
        return None, error
    finally:
        limit.close()  # again, where a stop the watchdog asked for as the call ended cut __exit__ short
    if limit.last_stop is not None:  # it caught every stop and returned: what loops it left half done made the value
        limit.last_stop.caught = max(limit.swallowed, 1)
        if limit.first_stop is not limit.last_stop:
            limit.last_stop.first_stop = limit.first_stop
        return None, limit.last_stop
    return value, None


def _call_compiled(function, values):
    """``(value, error)`` of the compiled ``function(*values)``, run in a daemon thread and waited for at most
    ``TIME_LIMIT`` seconds; past it the error is ``StillRunning`` and the thread is left running."""
    outcome = {}

    def run():
        try:
            outcome["value"] = _releasing_the_gil(function)(*values)
        except BaseException as error:  # as in _call_here, also exit() (SystemExit)
            outcome["error"] = error

    thread = threading.Thread(target=run, name=f"student's {getattr(function, '__name__', 'function')}", daemon=True)
    thread.start()
    thread.join(TIME_LIMIT)  # Ctrl-C (KeyboardInterrupt) still stops the wait
    if thread.is_alive():
        return None, StillRunning(f"still running after {TIME_LIMIT:g} s; compiled code cannot be stopped")
    return outcome.get("value"), outcome.get("error")


#: each Numba function checked, compiled again with nogil=True (see ``_releasing_the_gil``)
_NOGIL_VERSIONS = weakref.WeakKeyDictionary()


def _releasing_the_gil(dispatcher):
    """``dispatcher``'s Python function compiled again with the same options and ``nogil=True``: compiled code holds
    Python's lock (the GIL) unless told not to, and a thread that holds it forever leaves no other thread a chance to
    run, the one waiting for it included. Where it cannot be compiled so, ``dispatcher`` itself is returned."""
    options = dispatcher.targetoptions
    if options.get("nogil") or dispatcher.py_func is None:
        return dispatcher
    if dispatcher not in _NOGIL_VERSIONS:
        try:
            import numba

            signatures = [] if getattr(dispatcher, "_can_compile", True) else list(dispatcher.nopython_signatures)
            _NOGIL_VERSIONS[dispatcher] = numba.jit(signatures or None, **dict(options, nogil=True))(
                dispatcher.py_func)
        except Exception:  # options or signatures this version of Numba does not take back
            _NOGIL_VERSIONS[dispatcher] = None
    return _NOGIL_VERSIONS[dispatcher] or dispatcher


def _source_file(function):
    code = getattr(function, "__code__", None) or getattr(getattr(function, "__call__", None), "__code__", None)
    return os.path.abspath(code.co_filename) if code is not None else None


def describe_exception(error, source_file=None):
    """``TypeName: message`` and the line where it happened: the innermost line of the student's own code (see
    ``_is_students_file``), which may be in a helper of another file or notebook cell; where it is, the line of
    ``source_file`` (the checked function's) that called into it is shown as well, so the student sees both the
    bug and the way to it. Without any frame of the student's, the last line outside this package is shown."""
    lines = [f"    {type(error).__name__}: {text_of(error)}"]
    frames = traceback.extract_tb(error.__traceback__)
    frame = _student_frame(frames, source_file)
    if frame is not None:
        lines.extend(_line_of(frame, "at"))
        caller = _calling_frame(frames, frame, source_file)
        if caller is not None:
            lines.extend(_line_of(caller, "called from"))
    return "\n".join(lines)


def _line_of(frame, how):
    """The two lines that show where ``frame`` was: ``how`` ("at" or "called from") with its line number, file and
    function, then the code of that line (when the source can be read)."""
    code = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
    lines = [f"    {how} line {frame.lineno} of {frame.filename}, in {frame.name}:"]
    if code:
        lines.append(f"        {code}")
    return lines


def text_of(error):
    """``str(error)``, or a note where the student's exception class cannot show its message."""
    try:
        return str(error)
    except Exception as failure:  # an exception class of the student's whose __str__ fails
        return f"(its message cannot be shown: {type(failure).__name__} in its __str__)"


def _student_frame(frames, source_file):
    """The innermost of ``frames`` (a traceback's, outermost first) that runs the student's own code, else the last
    outside this package (an error raised by the call itself has none), else None."""
    theirs = [f for f in frames if _is_students_file(f.filename, source_file)]
    if theirs:
        return theirs[-1]
    outside = [f for f in frames if not os.path.abspath(f.filename).startswith(_THIS_PACKAGE)]
    return outside[-1] if outside else None


def _calling_frame(frames, innermost, source_file):
    """The last frame of ``source_file`` (the checked function's file) before ``innermost``, where ``innermost`` is
    in another file: the line of the checked function that called the helper that failed. None otherwise."""
    if source_file is None or os.path.abspath(innermost.filename) == source_file:
        return None
    position = [index for index, f in enumerate(frames) if f is innermost][0]
    callers = [f for f in frames[:position] if os.path.abspath(f.filename) == source_file]
    return callers[-1] if callers else None


#: names Python gives code that has no file, written by no student: frozen modules (importing), NumPy's dispatch
_NOT_STUDENTS_PSEUDO_FILES = ("<frozen ", "<__array_function__ internals>")


def _is_students_file(filename, source_file=None):
    """True where ``filename`` holds code the student wrote: the checked function's own file (``source_file``, even
    an exercise's starter edited in place), or any other file that is neither the standard library, nor an
    installed package (site-packages), nor minicnn's own code; a notebook cell or code typed at a prompt
    (``<stdin>``) counts as the student's."""
    if filename.startswith("<"):
        return not filename.startswith(_NOT_STUDENTS_PSEUDO_FILES)
    path = os.path.abspath(filename)
    if path == source_file:
        return True
    return not (path.startswith(_MINICNN_PACKAGE) or _is_library_file(path))


def raised_by_the_call_itself(error):
    """True when ``error`` came from calling the student's function, before its first line ran (no frame outside
    this package): a function that takes another number of arguments."""
    return all(os.path.abspath(f.filename).startswith(_THIS_PACKAGE) for f in traceback.extract_tb(error.__traceback__))
