"""Run trackers over sequences, keep their boxes in OTB result files, and score them side by side.

A tracker is any object with OpenCV's interface: ``tracker.init(frame, box)`` then ``ok, box = tracker.update(frame)``
per frame (RGB frames, 0-based ``(x, y, w, h)`` boxes). ``evaluate`` runs every (tracker, sequence) pair as one
task, serially, in processes (``jobs``) or on a Dask cluster (``scheduler``), through one executor interface
(``concurrent.futures``). Each finished task writes, under ``results_dir/TRACKER/``:

- ``SEQUENCE.txt``       one box per frame, OTB's 1-based ``x,y,w,h`` (``nan`` where the tracker gave none), each
                         number in full (to the rounding of OTB's ``+ 1``), so that a resumed evaluation scores what
                         a fresh one does;
- ``SEQUENCE_time.txt``  seconds per frame (the first line is ``init``), as GOT-10k's toolkit keeps them;
- ``SEQUENCE.json``      init and update time, frames lost (``ok`` False), the frame where it crashed and why, and
                         the SHA-256 of the other two files.

Each file is written atomically and the ``.json`` last, so a run that stops part-way is resumed by skipping the
sequences whose three files exist and belong together; files that cannot be read, or that come from two different
runs (a save that stopped part-way over an older run's files), are named in a warning and their sequence is run
again. Only the time inside ``init`` and ``update`` counts towards frames per second; the built-in trackers are run
on two frames first, untimed, in each process (``warm_up``), so that compiling our trackers' kernels is not counted.
"""

import concurrent.futures
import contextlib
import hashlib
import inspect
import io
import json
import marshal
import os
import pickle
import re
import sys
import threading
import time
import traceback
import warnings
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from minicnn import backend, processes
from minicnn.checks import short_repr, stacklevel_outside_minicnn
from minicnn.progress import ProgressBar
from minicnn.track import metrics
from minicnn.track.boxes import as_boxes
from minicnn.track.sequences import atomic_write_text
from minicnn.weight_files import write_atomically


class TrackRun:
    """One tracker on one sequence: its boxes, its time, and what went wrong.

    Attributes
    ----------
    tracker, sequence : str
    boxes : ndarray, shape (N, 4)
        The first row is the box the tracker was given; NaN where it gave none (lost, or after a crash).
    init_seconds, update_seconds : float
        Time spent inside ``init`` and inside all the ``update`` calls.
    frame_seconds : ndarray, shape (N,)
        ``init`` time, then each ``update``'s time.
    lost_frames : int
        Frames where ``update`` answered ``ok = False``.
    failed_at : int or None
        0-based index of the frame where the tracker raised, if it did; it is scored as a failure from there on.
    error : str or None
        The exception's text.
    """

    def __init__(self, tracker, sequence, boxes, frame_seconds, lost_frames=0, failed_at=None, error=None):
        self.tracker = tracker
        self.sequence = sequence
        self.boxes = as_boxes(boxes)
        self.frame_seconds = np.asarray(frame_seconds, dtype=np.float64)
        self.lost_frames = int(lost_frames)
        self.failed_at = None if failed_at is None else int(failed_at)
        self.error = error

    @property
    def init_seconds(self):
        return float(self.frame_seconds[0]) if len(self.frame_seconds) else 0.0

    @property
    def update_seconds(self):
        return float(np.sum(self.frame_seconds[1:]))

    @property
    def fps(self):
        """Frames per second over the frames it ran (init and update time only); NaN where it ran none (it crashed
        in init, or could not be built)."""
        return _frames_per_second(len(self.frame_seconds), float(np.sum(self.frame_seconds)))

    def __repr__(self):
        failure = f", failed at frame {self.failed_at + 1}" if self.failed_at is not None else ""
        return f"TrackRun({self.tracker!r} on {self.sequence!r}, {len(self.boxes)} frames, {self.fps:.1f} fps{failure})"


def _frames_per_second(frames, seconds):
    """``frames / seconds``; NaN where no frame was timed (a tracker that crashed in init, or could not be built:
    "inf" would say the opposite), infinity where the clock saw no time pass."""
    if not frames:
        return float("nan")
    return frames / seconds if seconds > 0 else float("inf")


def track_sequence(tracker, sequence, tracker_name=None, on_frame=None):
    """Run ``tracker`` over ``sequence`` (one-pass: initialised once on the first frame's ground truth).

    A tracker that raises in ``init`` or ``update``, or whose ``update`` answers ``ok`` with something that is not
    four numbers, is recorded as failed from that frame on (NaN boxes), and the error text is kept; nothing is
    raised. ``on_frame(index)`` is called after each frame (for progress bars).
    """
    name = tracker_name or getattr(tracker, "name", type(tracker).__name__)
    count = len(sequence)
    boxes = np.full((count, 4), np.nan)
    seconds = []
    lost = 0
    failed_at = None
    error = None
    first_box = check_startable(sequence)
    boxes[0] = first_box
    no_area_said = False
    for index in range(count):
        frame = sequence[index]
        try:
            start = time.perf_counter()
            if index == 0:
                tracker.init(frame, first_box.copy())
                seconds.append(time.perf_counter() - start)
            else:
                answer = tracker.update(frame)
                elapsed = time.perf_counter() - start
                ok, box = _answer_pair(answer)
                if ok:
                    boxes[index] = _answered_box(box)  # a refused box is a crash: its frame's time is not kept
                    if not no_area_said and np.all(np.isfinite(boxes[index])) and np.any(boxes[index, 2:] <= 0):
                        no_area_said = True
                        warnings.warn(f"{name} on {sequence.name}, frame {index + 1}: update answered ok with a box "
                                      f"of no area, {tuple(float(v) for v in boxes[index])} (x, y, w, h); OTB's "
                                      f"toolkit scores such a frame with the last box before it, as if the tracker "
                                      f"stood still (a width or height of x2 − x1 the wrong way round?)",
                                      stacklevel=stacklevel_outside_minicnn())
                else:
                    lost += 1
                seconds.append(elapsed)
        except (Exception, SystemExit) as exception:  # noqa: BLE001 - a tracker's bug (sys.exit too) spares the rest
            failed_at = index
            error = f"{type(exception).__name__}: {exception}"
            error += "\n" + _traceback_inside()
            break
        if on_frame is not None:
            on_frame(index)
    return TrackRun(name, sequence.name, boxes, seconds, lost, failed_at, error)


def _unbuilt_run(tracker_name, sequence, exception):
    """The run of a tracker of yours whose factory raised (``__init__`` needs an argument, a file it loads is not
    there): failed at the first frame, as one whose ``init`` raised, the error kept; the other trackers go on."""
    boxes = np.full((len(sequence), 4), np.nan)
    boxes[0] = check_startable(sequence)
    error = (f"{type(exception).__name__}: {exception} (raised while making the tracker: {tracker_name}() could not "
             f"be built)\n{_traceback_inside()}")
    return TrackRun(tracker_name, sequence.name, boxes, [], 0, 0, error)


def _traceback_inside():
    """The traceback of the exception being handled, its innermost frames (where the bug is) kept."""
    return traceback.format_exc(limit=-6)


def check_startable(sequence):
    """The first frame's box of ``sequence``, which a one-pass evaluation starts every tracker from; a ValueError
    naming the sequence (and its folder) where there is none (NaN, or 0,0,0,0 in the file: the target absent) or
    its width or height is not above 0."""
    first_box = sequence.init_box
    if np.all(np.isfinite(first_box)) and first_box[2] > 0 and first_box[3] > 0:
        return first_box
    where = f"sequence {sequence.name!r}" + (f" ({sequence.path})" if sequence.path is not None else "")
    if not np.all(np.isfinite(first_box)):
        raise ValueError(f"{where}: the first frame has no box (NaN, or 0,0,0,0 in its ground-truth file: the "
                         "target absent), and every tracker starts from it; give the first frame its box, or leave "
                         "the sequence out")
    raise ValueError(f"{where}: the first frame's box {tuple(float(v) for v in first_box)} (0-based x, y, w, h) has "
                     "no area, and every tracker starts from it; its width and height must be above 0")


def _answer_pair(answer):
    """``(ok, box)`` from what ``update`` returned, or a TypeError saying it must return that pair (a forgotten
    ``return`` gave "cannot unpack non-iterable NoneType object")."""
    try:
        ok, box = answer
    except (TypeError, ValueError):
        raise TypeError(f"update returned {short_repr(answer)}; expected a pair (ok, box): ok True or False, box four "
                        f"numbers (x, y, w, h)") from None
    return ok, box


def _answered_box(box):
    """The box of an ``update`` that answered ``ok``: four numbers, or a TypeError that ``track_sequence`` records
    as the tracker's failure (scored as one from that frame on) rather than a frame lost in silence, where OTB's
    carry-forward would score a broken tracker as one that stands still."""
    try:
        values = np.array(box, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or values.shape != (4,):
        given = "nothing" if box is None else f"shape {np.shape(values)}" if values is not None else repr(box)
        raise TypeError(f"update answered ok=True with a box of {given}; expected four numbers (x, y, w, h)")
    return values


# ------------------------------------------------------------------------------------------------- result files

def result_paths(results_dir, tracker, sequence):
    folder = Path(results_dir) / tracker
    return folder / f"{sequence}.txt", folder / f"{sequence}_time.txt", folder / f"{sequence}.json"


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


BUILT_IN = "minicnn.track.trackers:"
"""How ``made_from`` starts the name of a tracker built from ``available_trackers``."""


def made_from(tracker_name, factory, sequence):
    """What a run's results were made from, kept in its ``.json`` so that a later evaluation reuses them only for
    the same thing: the tracker (``tracker_made``) and the sequence (its frame count and the SHA-256 of its ground
    truth). Results kept under the same folder, tracker and sequence names could otherwise belong to other data
    (another suite in a folder of the same name) or to another tracker: another class of yours under the same name,
    your tracker before you edited it, one of ours with other weights, a factory of yours named like a built-in
    one."""
    return {**tracker_made(tracker_name, factory), **sequence_made(sequence)}


def tracker_made(tracker_name, factory):
    """``made_by``: ``BUILT_IN`` and the name, a factory's own ``made_by``, or the module and name of a factory of
    yours; for yours also ``code_sha256`` and ``settings_sha256`` (``_code_of``). Worked out in the process that
    evaluates, once per tracker: a worker process may see the factory's module under another name
    (``__mp_main__``)."""
    made = {"made_by": _tracker_made_by(tracker_name, factory)}
    if factory is not None and not hasattr(factory, "made_by"):
        made.update(_code_of(factory))
    return made


def sequence_made(sequence):
    """``frames`` and ``ground_truth_sha256`` of ``sequence``, for ``made_from``."""
    truth = np.ascontiguousarray(sequence.ground_truth, dtype=np.float64)
    return {"frames": len(sequence), "ground_truth_sha256": hashlib.sha256(truth).hexdigest()}


def _tracker_made_by(tracker_name, factory):
    if factory is None:
        return f"{BUILT_IN}{tracker_name}"
    if hasattr(factory, "made_by"):  # a factory that names what it makes (trackers.OurTracker)
        return factory.made_by
    made = getattr(factory, "func", factory)  # functools.partial: the function it calls
    return f"{_module_of(made)}:{getattr(made, '__qualname__', type(made).__qualname__)}"


def _module_of(thing):
    """The module that defines ``thing``; "builtins" for a function written in C without one (OpenCV's
    ``cv2.TrackerKCF_create`` has ``__module__`` None)."""
    return getattr(thing, "__module__", None) or getattr(type(thing), "__module__", None) or "builtins"


def _code_of(factory):
    """A factory of yours as ``made_from`` records it: ``code_sha256``, the SHA-256 of the source of the files that
    define it (a function's; a class's with those of the classes of yours it derives from; a callable object's
    class's: ``_file_source_of``), and ``settings_sha256``, that of the arguments of a ``functools.partial``
    (``_settings_text``). Either is left out where it cannot be had (a factory written in C; arguments with no fixed
    text). Files of yours that those files import are not looked into."""
    made = getattr(factory, "func", factory)
    code = {}
    owner = made if isinstance(made, type) or inspect.isroutine(made) else type(made)
    classes = owner.__mro__ if isinstance(owner, type) else (owner,)
    yours = [part for part in classes if _module_of(part).split(".")[0] not in ("builtins", "minicnn")]
    sources = list(dict.fromkeys(_file_source_of(part) for part in yours))  # a file of a class and its base: once
    if any(sources):
        code["code_sha256"] = _sha256("\n".join(sources))
    earlier = [part for part in yours if _from_an_earlier_import(part)]
    if earlier:  # the run is of code that no file holds now: results never to be reused
        code["code_sha256"] = f"from an earlier import, {os.urandom(8).hex()}"
        module, name = _module_of(earlier[0]), earlier[0].__qualname__
        warnings.warn(f"{module}.{name}: this is the {name} of an earlier import of {module}, which was reloaded "
                      f"since: it keeps its old methods. Import it again after the reload (from {module} import "
                      f"{name}); these results will not be reused", stacklevel=stacklevel_outside_minicnn())
    if made is not factory:
        settings = _settings_text((factory.args, factory.keywords))
        if settings is not None:
            code["settings_sha256"] = _sha256(settings)
    return code


def _settings_text(value):
    """A text for ``value`` that is the same in every process, or None where there is none: sets in sorted order,
    arrays by their bytes, dicts by sorted keys; an object whose repr carries an address (changing from run to run)
    has none, nor has one whose repr NumPy shortens."""
    if isinstance(value, np.ndarray):
        return f"array({value.dtype}, {value.shape}, {hashlib.sha256(np.ascontiguousarray(value)).hexdigest()})"
    if isinstance(value, dict):
        items = [(_settings_text(key), _settings_text(item)) for key, item in value.items()]
        if any(None in pair for pair in items):
            return None
        return "{" + ", ".join(f"{key}: {item}" for key, item in sorted(items)) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        parts = [_settings_text(item) for item in value]
        if None in parts:
            return None
        if isinstance(value, (set, frozenset)):
            parts.sort()
        return f"{type(value).__name__}({', '.join(parts)})"
    text = repr(value)
    return None if re.search(r"0x[0-9a-fA-F]{6,}", text) else text


def _from_an_earlier_import(part):
    """Whether ``part`` (a class or function of yours) is no longer what its module holds under its name: after
    ``from my_trackers import Tracker``, an ``importlib.reload(my_trackers)`` leaves the old class in the notebook's
    name, which runs its old methods while the file, hashed for its results, holds new ones (found in review). False
    where the module holds nothing of that name to compare (a lambda, a class made inside a function), and for a
    notebook's own classes (no file: a cell run again defines the class anew, and its source is what is hashed)."""
    current = sys.modules.get(_module_of(part))
    if getattr(current, "__file__", None) is None:
        return False
    for name in getattr(part, "__qualname__", "").split("."):
        current = getattr(current, name, None)
        if current is None:
            return False
    return current is not part


def _file_source_of(part):
    """The source of the whole file that defines ``part`` (a function or class of yours), so that an edit to a
    helper or a constant beside it counts too (a tracker whose module-level helper was edited was scored on its
    old results: found in review); ``_source_of(part)`` alone where there is no such file (a notebook cell), or
    where the file Python names does not define it (a class made by ``exec``, see ``_source_of``)."""
    name = getattr(part, "__name__", "")
    module = sys.modules.get(_module_of(part))
    try:
        source = inspect.getsource(module)
    except Exception:  # no module, no file (a notebook's __main__), a file since edited into a broken state
        return _source_of(part)
    compiled_from = getattr(getattr(part, "__code__", None), "co_filename", None)  # a function's, a lambda's
    if (compiled_from is not None and compiled_from == getattr(module, "__file__", None)) or re.search(
            rf"^\s*(class|def)\s+{re.escape(name)}\b", source, re.M):
        return source
    return _source_of(part)


def _source_of(part):
    """The source of a function or class; for a class whose file Python cannot find (one defined in a notebook
    cell), the source of its functions; where there is no source, the compiled code; "" for code written in C.

    A class's source that does not define it is not trusted: Python 3.13 reads a class of ``__main__`` from the
    lines of ``__main__``'s file, which is another program's where the class came from ``exec`` (under pytest,
    pytest's own ``__main__.py``), so an edit to the class went unseen."""
    try:
        source = inspect.getsource(part)
    except Exception:  # OSError, TypeError; a SyntaxError where the file was since edited into a broken state
        source = None
    if source is not None and (not isinstance(part, type)
                               or re.search(rf"^\s*class\s+{re.escape(part.__name__)}\b", source, re.M)):
        return source
    if isinstance(part, type):
        return "".join(_source_of(value) for value in vars(part).values() if inspect.isfunction(value))
    function_code = getattr(part, "__code__", None)
    return marshal.dumps(function_code).hex() if function_code is not None else ""


def save_run(run, results_dir, made=None):
    """Write a run's three files (see the module docstring), each atomically, the ``.json`` last; ``made`` (from
    ``made_from``) goes into the ``.json``."""
    boxes_path, time_path, info_path = result_paths(results_dir, run.tracker, run.sequence)
    boxes_path.parent.mkdir(parents=True, exist_ok=True)
    rects = run.boxes + [1.0, 1.0, 0.0, 0.0]  # OTB's 1-based x, y; NaN and infinity stay as the tracker gave them
    boxes_text = "".join(",".join(repr(float(v)) for v in row) + "\n" for row in rects)
    time_text = "".join(f"{float(s)!r}\n" for s in run.frame_seconds)
    info = {
        "tracker": run.tracker,
        "sequence": run.sequence,
        "frames": len(run.boxes),
        "init_seconds": run.init_seconds,
        "update_seconds": run.update_seconds,
        "fps": run.fps,
        "lost_frames": run.lost_frames,
        "failed_at_frame": None if run.failed_at is None else run.failed_at + 1,
        "error": run.error,
        "sha256": {boxes_path.name: _sha256(boxes_text), time_path.name: _sha256(time_text)},
        **(made or {}),
    }
    atomic_write_text(time_path, time_text)
    atomic_write_text(boxes_path, boxes_text)
    atomic_write_text(info_path, json.dumps(info, indent=1) + "\n")


def load_run(results_dir, tracker, sequence, made=None):
    """The saved run of ``tracker`` on ``sequence``, or None if it has not finished, or if its files cannot be
    read, do not belong together, or were made from something else than ``made`` says (a warning then names them
    and says why: the sequence is to be run again)."""
    paths = result_paths(results_dir, tracker, sequence)
    if not all(path.is_file() for path in paths):
        return None
    try:
        return _read_run(tracker, sequence, *paths, made=made)
    except (OSError, ValueError) as error:  # json's and NumPy's parse errors are ValueErrors
        folder = paths[0].parent
        warnings.warn(f"{folder / sequence}.txt, _time.txt, .json: cannot resume from these result files ({error}); "
                      f"the sequence is run again", stacklevel=3)
        return None


def finished_run(results_dir, tracker, sequence, made=None):
    """The run of ``tracker`` on ``sequence`` that ``evaluate`` resumes from ``results_dir``: the saved one where it
    has a box for every frame and was made from what ``made`` (``made_from``) says, else None."""
    saved = load_run(results_dir, tracker, sequence.name, made)
    return saved if saved is not None and len(saved.boxes) == len(sequence) else None


def recorded_made_by(results_dir, tracker, sequence_name):
    """What made the run of ``tracker`` on ``sequence_name`` saved in ``results_dir``: its ``.json``'s ``made_by``
    (``made_from``), or None where there is no such file, it cannot be read or it does not say."""
    try:
        info = json.loads(result_paths(results_dir, tracker, sequence_name)[2].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    made_by = info.get("made_by") if isinstance(info, dict) else None
    return made_by if isinstance(made_by, str) else None


def _read_run(tracker, sequence, boxes_path, time_path, info_path, made=None):
    info = _parsed(info_path, json.loads)
    if not isinstance(info, dict):
        raise ValueError(f"{info_path.name}: expected a JSON object, got {type(info).__name__}")
    # files written before minicnn recorded these are taken as they are; since made_by is recorded, so are a
    # factory's code and arguments wherever it has them, so that one recorded on one side only differs too (a
    # class of yours, then a functools.partial of it with arguments, or the other way round)
    recorded_with_made_by = ("code_sha256", "settings_sha256") if made and "made_by" in info else ()
    made = dict(made or {})
    for key in recorded_with_made_by:
        made.setdefault(key, None)
    for key, value in made.items():
        recorded = info.get(key, None if key in recorded_with_made_by else value)
        if recorded != value:
            raise ValueError(_made_from_else(key, recorded, value))
    recorded = info.get("sha256", {})  # files written before minicnn recorded them are taken as they are
    for path in (boxes_path, time_path):
        if path.name in recorded and _sha256(path.read_text(encoding="utf-8")) != recorded[path.name]:
            raise ValueError(f"{path.name} has changed since {info_path.name} was saved: it is another run's file "
                             "(a save that stopped part-way) or was edited")
    # the tracker's boxes as written, 1-based: a box it gave as (−1, −1, 0, 0) is "0.0,0.0,0.0,0.0" there, which
    # from_otb would read as a ground truth's "no annotation" (NaN), and count as lost
    boxes = as_boxes(_parsed(boxes_path, _boxes_from_text), boxes_path.name) - np.array([1.0, 1.0, 0.0, 0.0])
    seconds = _parsed(time_path, lambda text: np.array([float(value) for value in text.split()]))
    failed = info.get("failed_at_frame")
    frames = info.get("frames", len(boxes))
    frames_run = frames if failed is None else failed - 1  # a crash stops the clock before its frame
    if len(boxes) != frames or len(seconds) != frames_run:
        raise ValueError(f"{len(boxes)} boxes and {len(seconds)} times where {info_path.name} records {frames} "
                         f"frames" + ("" if failed is None else f", the tracker crashing at frame {failed}"))
    return TrackRun(tracker, sequence, boxes, seconds, info.get("lost_frames", 0),
                    None if failed is None else failed - 1, info.get("error"))


def _made_from_else(key, recorded, now):
    if key == "made_by":
        return f"they were made by {recorded}, and the tracker of this name is now {now}"
    if key == "code_sha256":
        return "they were made by the tracker of this name before its code was changed"
    if key == "settings_sha256":
        return "they were made by the tracker of this name with other arguments (those functools.partial gives it)"
    if key == "frames":
        return f"they were made on {recorded} frames, and the sequence now has {now}"
    return "they were made on other data: the sequence's ground truth differs from the one they were made on"


def _boxes_from_text(text):
    if not text.strip():
        raise ValueError("no boxes in the file")
    return np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)


def _parsed(path, parse):
    """``parse(the text of path)``, its errors naming the file."""
    try:
        return parse(path.read_text(encoding="utf-8"))  # as atomic_write_text wrote it
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from None


# ---------------------------------------------------------------------------------------------------- executors

class SerialExecutor(concurrent.futures.Executor):
    """Runs each task at once in this process; the same ``submit`` interface as the parallel executors. Ctrl-C
    (``KeyboardInterrupt``) is not a task's result: it stops ``submit`` itself, so no later task starts."""

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exception:  # handed back through the future
            future.set_exception(exception)
        return future


def make_executor(jobs=1, scheduler=None):
    """An executor for the per-sequence tasks: serial (``jobs=1``), ``jobs`` processes, or a Dask cluster.

    ``scheduler`` is a Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``; it needs the
    optional ``dask`` extra (``pip install "minicnn[dask]"``), and the sequence folders must be readable from every
    worker at the same paths.
    """
    if scheduler is not None:
        client_class = _dask_client_class()
        client = scheduler if isinstance(scheduler, client_class) else client_class(scheduler)
        return client.get_executor(pure=False)
    jobs = int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs: expected a number of processes ≥ 1, got {jobs}")
    if jobs == 1:
        return SerialExecutor()
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs, mp_context=processes.worker_context(),
        initializer=_start_worker, initargs=(jobs, backend.chosen_backend()))


def _start_worker(jobs, backend_name):
    """In each of ``jobs`` worker processes: the backend chosen in the evaluating process (``set_backend``; a
    worker started afresh would otherwise take the default, and a tracker of yours built on minicnn's layers would
    run, and be timed, elsewhere), and Numba's threads for its share of the cores, so that the workers' kernels do
    not run ``jobs`` times as many threads as there are cores, all waiting on each other."""
    import numba

    if backend_name is not None:
        backend.set_backend(backend_name)
    numba.set_num_threads(max(1, numba.config.NUMBA_NUM_THREADS // jobs))


def _dask_client_class():
    try:
        from distributed import Client
    except ImportError as error:
        raise ImportError(
            "--scheduler needs Dask: pip install \"minicnn[dask]\" (it installs dask[distributed])"
        ) from error
    return Client


WARMED_UP = set()
"""The built-in trackers (what made them: ``_tracker_made_by``) that ``warm_up`` has run in this process."""
_WARMING_UP = threading.Lock()
"""Held while ``warm_up`` runs: a Dask worker runs tasks in threads, and a second task of the tracker must wait
for the warm-up, untimed, rather than start its timed ``init`` and wait for the compilation there."""


def warm_up(tracker_name, factory, sequence):
    """Build one of the built-in trackers (ours, with their weights and backend, and OpenCV's) and track the first
    two frames of ``sequence`` with it, untimed, once per process and tracker: our trackers' kernels compile on
    first use (about 20 s on Numba's first run, a second from its disk cache; on cuda also the GPU's context and
    each kernel's module), which counted in the frames per second of the first sequence they ran. Trackers of yours
    are left alone (one may do anything in ``init``), and a tracker that fails here is too: its timed run fails the
    same way and says how."""
    from minicnn.track.trackers import OurTracker, make_tracker

    if not (factory is None or isinstance(factory, OurTracker)):
        return
    made_by = _tracker_made_by(tracker_name, factory)
    with _WARMING_UP:
        if made_by in WARMED_UP:
            return
        try:
            tracker = make_tracker(tracker_name) if factory is None else factory()
            tracker.init(sequence[0], check_startable(sequence).copy())
            if len(sequence) > 1:
                tracker.update(sequence[1])
        except Exception:  # noqa: BLE001 - the timed run meets it again and keeps it with the run
            pass
        WARMED_UP.add(made_by)


def _run_task(tracker_name, factory, sequence, results_dir, made=None, on_frame=None):
    """One (tracker, sequence) task: build a fresh tracker (a built-in one warmed up first: ``warm_up``), run it,
    save it with ``made`` (``made_from``, worked out by the process that evaluates); returns the run."""
    warm_up(tracker_name, factory, sequence)
    if factory is None:
        from minicnn.track.trackers import make_tracker

        tracker = make_tracker(tracker_name)
        run = track_sequence(tracker, sequence, tracker_name, on_frame=on_frame)
    else:
        try:
            tracker = factory()
        except Exception as exception:  # noqa: BLE001 - as a tracker's bug in init: its runs fail, the others go on
            run = _unbuilt_run(tracker_name, sequence, exception)
        else:
            run = track_sequence(tracker, sequence, tracker_name, on_frame=on_frame)
    if results_dir is not None:
        save_run(run, results_dir, made)
    return run


# --------------------------------------------------------------------------------------------------- evaluation

class Evaluation:
    """Every tracker's runs on a set of sequences, with the OTB and GOT-10k scores.

    Attributes
    ----------
    trackers : list of str
    sequences : list of Sequence
    runs : dict mapping (tracker, sequence name) → TrackRun
    """

    def __init__(self, trackers, sequences, runs):
        self.trackers = list(trackers)
        self.sequences = list(sequences)
        self.runs = dict(runs)
        self._sequence_scores = {}
        self._frame_shapes = {}

    def sequence_scores(self, tracker):
        """The OPE score of ``tracker`` on each sequence, in order (computed once per tracker: the table and the
        per-attribute plots ask for them many times)."""
        if tracker not in self._sequence_scores:
            self._sequence_scores[tracker] = [
                metrics.ope_score(self.runs[tracker, s.name].boxes, s.ground_truth,
                                  self.runs[tracker, s.name].failed_at, getattr(s, "nan_in_annotation", None))
                for s in self.sequences
            ]
        return self._sequence_scores[tracker]

    def score(self, tracker):
        """The suite's OPE score (mean of the per-sequence curves)."""
        return metrics.mean_score(self.sequence_scores(tracker))

    @property
    def test_split(self):
        """Whether this looks like a GOT-10k test split: sequences of several frames whose ground truth is the first
        box alone (nothing scored), not sequences of one frame."""
        return not self.scored and any(len(s) > 1 for s in self.sequences)

    def got10k(self, tracker):
        """The GOT-10k score (pooled frames; visibility from ``cover``, else from the ground truth; boxes bounded
        by each sequence's frame size, as the toolkit bounds them by its ``resolution``). None where no frame after
        the first has a visible target to score: a GOT-10k test split (its ground truth is the first box alone; the
        evaluation server scores it) or sequences of one frame."""
        overlaps = []
        for s in self.sequences:
            visible = None if s.cover is None else s.cover > 0
            if visible is not None:
                visible &= np.all(np.isfinite(s.ground_truth), axis=1)
            overlaps.append(metrics.got10k_overlaps(self.runs[tracker, s.name].boxes, s.ground_truth, visible,
                                                    self._frame_shape(s)))
        if not any(len(o) for o in overlaps):
            return None
        return metrics.got10k_score(overlaps)

    @property
    def scored(self):
        """False where no frame after the first has a ground-truth box to score (a GOT-10k test split gives the
        first box alone): the table then reads n/a, and there is nothing to plot."""
        return self.got10k(self.trackers[0]) is not None

    def _frame_shape(self, sequence):
        """A sequence's frame shape, read once (from its first frame, an image file to decode)."""
        if sequence.name not in self._frame_shapes:
            self._frame_shapes[sequence.name] = sequence.frame_shape
        return self._frame_shapes[sequence.name]

    def fps(self, tracker):
        """Frames per second over the whole suite: all frames / all init and update time."""
        runs = [self.runs[tracker, s.name] for s in self.sequences]
        seconds = sum(float(np.sum(r.frame_seconds)) for r in runs)
        return _frames_per_second(sum(len(r.frame_seconds) for r in runs), seconds)

    def lost_share(self, tracker):
        """The share of frames after the first where ``tracker`` gave no box (it answered ``ok`` False, or had
        crashed). Where it answered lost, OTB's AUC, P@20 and NormP score the frame with the tracker's last box and
        GOT-10k's AO and SR score it 0: a tracker that gives up early can rank high on the first and low on the
        second; the frames after a crash score as failures in every column."""
        runs = [self.runs[tracker, s.name] for s in self.sequences]
        after_first = sum(len(run.boxes) - 1 for run in runs)
        empty = sum(int(np.sum(~np.all(np.isfinite(run.boxes[1:]), axis=1))) for run in runs)
        return empty / after_first if after_first else 0.0

    def failures(self, tracker):
        """The runs of ``tracker`` that crashed."""
        return [self.runs[tracker, s.name] for s in self.sequences if self.runs[tracker, s.name].failed_at is not None]

    def ranked(self):
        """Tracker names, best success AUC first."""
        return sorted(self.trackers, key=lambda t: -self.score(t).auc)

    def by_attribute(self, tracker):
        """Tag → (OPEScore, number of sequences) for ``tracker``."""
        return metrics.by_attribute(self.sequence_scores(tracker), [s.attributes for s in self.sequences])

    def table(self, fps=True):
        """The summary table as text: one row per tracker, best AUC first, then AUC per attribute.

        ``fps=False`` leaves out the speed column (which differs from run to run), e.g. to compare two runs."""
        name = max([14] + [len(tracker) + 1 for tracker in self.trackers])  # the first column fits every name
        lines = [
            f"OPE on {len(self.sequences)} sequences ({sum(len(s) for s in self.sequences)} frames)",
            f"{'tracker':<{name}}{'AUC':>7}{'P@20':>7}{'NormP':>7}{'AO':>7}{'SR0.5':>7}{'lost':>7}"
            + (f"{'FPS':>10}" if fps else "") + f"{'crashed':>9}",
        ]
        scored = self.scored
        for tracker in self.ranked():
            score, got = self.score(tracker), self.got10k(tracker)
            lines.append(
                f"{tracker:<{name}}"
                + (f"{score.auc:>7.3f}{score.precision_20:>7.3f}{score.normalized_precision_score:>7.3f}" if scored
                   else f"{'n/a':>7}" * 3)
                + (f"{got.ao:>7.3f}{got.sr50:>7.3f}" if got else f"{'n/a':>7}" * 2)
                + f"{self.lost_share(tracker):>7.1%}"
                + (f" {_fps_text(self.fps(tracker)):>9}" if fps else "")
                + f"{len(self.failures(tracker)):>9d}"
            )
        tags = sorted({tag for s in self.sequences for tag in s.attributes})
        if tags:
            counts = {tag: sum(tag in s.attributes for s in self.sequences) for tag in tags}
            lines.append("")
            lines.append("Success AUC per attribute (number of sequences)")
            lines.append(f"{'tracker':<{name}}" + "".join(f"{f'{tag}({counts[tag]})':>9}" for tag in tags))
            for tracker in self.ranked():
                per_tag = self.by_attribute(tracker)
                lines.append(f"{tracker:<{name}}" + "".join(f"{per_tag[tag][0].auc:>9.3f}" for tag in tags))
        if not scored and not self.test_split:
            lines.append("! every sequence has a single frame: there is nothing after the first to score")
        elif not scored:
            lines.append("! no frame after the first has a ground-truth box (a GOT-10k test split?): there is nothing "
                         "to score here; the boxes are in the result files (OTB's 1-based x,y,w,h), and "
                         "save_got10k_submission writes them as GOT-10k's evaluation server takes them")
        if any(self.lost_share(tracker) for tracker in self.trackers):
            lines.append("! lost: frames after the first without a box; where the tracker said it lost the target, "
                         "AUC, P@20 and NormP score them with its last box, as OTB does, AO and SR0.5 as 0, as GOT-10k "
                         "does; the frames after a crash score as failures in every column (its .json records the "
                         "crash; the .txt alone does not)")
        for tracker in self.ranked():
            for run in self.failures(tracker):
                first_line = (run.error or "").splitlines()[0] if run.error else ""
                lines.append(f"! {tracker} crashed on {run.sequence} at frame {run.failed_at + 1}: {first_line}")
        return "\n".join(lines)

    def save_plots(self, out_dir, per_attribute=True):
        """Success and precision plots (one curve per tracker, labelled with its AUC / P@20), as the OTB papers
        draw them; with ``per_attribute`` also one pair per attribute tag. Returns the paths written."""
        from minicnn.track.plots import save_ope_plots

        success = {t: self.score(t).success for t in self.trackers}
        precision = {t: self.score(t).precision for t in self.trackers}
        attributes, counts = None, {"": len(self.sequences)}
        if per_attribute:
            tags = sorted({tag for s in self.sequences for tag in s.attributes})
            attributes = {}
            per_tracker = {t: self.by_attribute(t) for t in self.trackers}
            for tag in tags:
                per = {t: per_tracker[t][tag][0] for t in self.trackers}
                attributes[tag] = ({t: per[t].success for t in per}, {t: per[t].precision for t in per})
                counts[tag] = per_tracker[self.trackers[0]][tag][1]
        return save_ope_plots(success, precision, out_dir, attributes=attributes, counts=counts)


def save_got10k_submission(evaluation, out_dir):
    """Write each tracker's runs as the GOT-10k toolkit records them for its evaluation server, and zip them.

    For each tracker, ``out_dir/TRACKER/SEQUENCE/SEQUENCE_001.txt`` holds one box per frame, ``x,y,w,h`` with three
    decimals, in the coordinates of the sequence's ``groundtruth.txt`` (the toolkit's, which minicnn reads as they
    are). ``SEQUENCE_time.txt`` holds the seconds per frame, with eight. ``out_dir/TRACKER.zip`` holds that folder,
    as the toolkit's ``report`` packs it: this evaluation's sequences only (not whatever else the folder holds from
    an earlier run), written beside the zip and renamed over it once complete, so that an interruption leaves an
    older zip whole. A frame without a box (the tracker lost the target, or had crashed) is
    written ``0,0,0,0``, which scores as a failure there as it does here: the toolkit's own trackers always answer a
    box, and a ``nan`` would be the server's to interpret. One run per sequence: every tracker here runs once
    (the toolkit repeats only trackers that are not deterministic). Returns the zip files.
    """
    import zipfile

    out_dir = Path(out_dir)
    archives = []
    for tracker in evaluation.trackers:
        folder = out_dir / tracker
        records = []
        for sequence in evaluation.sequences:
            run = evaluation.runs[tracker, sequence.name]
            boxes = np.where(np.all(np.isfinite(run.boxes), axis=1, keepdims=True), run.boxes, 0.0)
            seconds = np.zeros(len(run.boxes))
            seconds[:len(run.frame_seconds)] = run.frame_seconds  # a crash stopped the clock: 0 after it
            record = folder / sequence.name / f"{sequence.name}_001.txt"
            record.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(record, "".join(",".join(f"{v:.3f}" for v in box) + "\n" for box in boxes))
            atomic_write_text(record.with_name(f"{sequence.name}_time.txt"),
                              "".join(f"{t:.8f}\n" for t in seconds))
            records += [record, record.with_name(f"{sequence.name}_time.txt")]

        def pack(file, records=records, folder=folder):
            with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
                for record in records:
                    if record.name.endswith("_001.txt"):  # each sequence's folder first, as make_archive packs it
                        archive.write(record.parent, record.parent.relative_to(folder).as_posix())
                    archive.write(record, record.relative_to(folder).as_posix())
        archive = out_dir / f"{tracker}.zip"
        write_atomically(archive, pack, suffix=".zip")
        archives.append(archive)
    return archives


def _fps_text(fps):
    """Frames per second for the table: one decimal, none from 10,000 on (a column of 9 characters); "n/a" where no
    frame was timed."""
    if np.isnan(fps):
        return "n/a"
    return f"{fps:.1f}" if fps < 10_000 else f"{fps:,.0f}"


def _tracker_specs(trackers):
    """``{name: factory}`` (None: the built-in tracker of that name). A name is a folder of the results, so it must
    be one folder's name: "../mine" wrote outside the results folder, "mine/v1" into a folder of its own."""
    if isinstance(trackers, str):
        trackers = [t for t in trackers.split(",") if t]
    if isinstance(trackers, dict):
        specs = dict(trackers)
    else:
        specs = {}
        for tracker in trackers:
            if not isinstance(tracker, str):
                raise TypeError(f"trackers: expected names or a dict name → factory, got {tracker!r}")
            specs[tracker] = None
    if not specs:
        raise ValueError("trackers: expected at least one tracker")
    for name, factory in specs.items():
        if factory is not None and not callable(factory):
            raise TypeError(f"trackers: {name!r}: expected a class or function that makes a tracker, got "
                            f"{type(factory).__name__} object: pass the class, not an instance (each sequence gets a "
                            f"fresh tracker)")
    for name in specs:
        if not isinstance(name, str) or not name.strip() or name in (".", "..") or any(c in name for c in "/\\:"):
            raise ValueError(f"trackers: a tracker's name names its folder of results, so it must be a name without "
                             f"/, \\ or :, and not . or .., got {name!r}")
    return specs


def _check_picklable(specs):
    """Factories go to ``jobs`` processes by pickle: one that cannot (a lambda, a function defined inside another)
    is named before any work, rather than as a PicklingError from inside the executor. Workers that start from a
    fresh process (``processes.worker_start_method``) import what the pickle names: a factory defined in a ``__main__``
    that is no file (a notebook's cell, ``python -c``) is named too."""
    fresh_workers = processes.worker_start_method() != "fork"
    main_is_a_file = getattr(sys.modules.get("__main__"), "__file__", None) is not None
    for name, factory in specs.items():
        try:
            pickled = pickle.dumps(factory)
        except Exception as error:  # PicklingError, AttributeError ("Can't pickle local object"), TypeError
            raise ValueError(f"trackers: the factory of {name!r} ({factory!r}) cannot be sent to other processes "
                             f"(jobs > 1): {error}. Define it at the top level of a module "
                             f"(a class, or a def), or evaluate with jobs=1") from None
        if fresh_workers and not main_is_a_file and b"__main__" in pickled:  # the pickle refers to __main__
            raise ValueError(f"trackers: the factory of {name!r} ({factory!r}) is defined in this session's __main__ "
                             f"(a notebook's cell, python -c), which the worker processes (jobs > 1) cannot import: "
                             f"they start afresh (this session has run minicnn's Numba kernels, or minicnn does not "
                             f"fork them on this platform: Windows, macOS). Define it in a module file "
                             f"(my_trackers.py) and import it from there, or evaluate with jobs=1")


def evaluate(trackers, sequences, results_dir=None, jobs=1, scheduler=None, progress=True, resume=True):
    """Run every tracker on every sequence and return an ``Evaluation``.

    Parameters
    ----------
    trackers : list of str, comma-separated str, or dict mapping name → factory
        Names from ``minicnn.track.trackers.available_trackers()``, or your own: a factory is called with no
        arguments in the worker to build a fresh tracker (it must be picklable for ``jobs > 1`` or Dask).
    sequences : list of Sequence
    results_dir : path, optional
        Where the result files go; with ``resume`` the sequences already finished there are loaded, not rerun.
        Without it nothing is written (and nothing resumed).
    jobs : int
        Processes to run tasks in (1: in this process).
    scheduler : str or distributed.Client, optional
        A Dask scheduler to send the same tasks to instead.
    progress : bool
        A progress bar over frames, with the count of runs done (a run is a tracker on a sequence), after a line
        that says how many runs were resumed.
    resume : bool
        Load the runs finished in ``results_dir`` instead of running them again. With False every run is done
        again, and the old runs' records of completion (their ``.json``) are removed before any starts, so that a
        run stopped part-way, then resumed, never takes an old run's files for this one's.
    """
    specs = _tracker_specs(trackers)
    sequences = list(sequences)
    if not sequences:
        raise ValueError("sequences: expected at least one sequence")
    names = [s.name for s in sequences]
    if len(set(names)) != len(names):
        raise ValueError(f"sequences: names must be unique, got {names}")
    for sequence in sequences:  # before any work: a sequence that cannot start used to stop the evaluation midway
        check_startable(sequence)
    if jobs != 1 and scheduler is None:  # (Dask pickles with cloudpickle, which takes lambdas too)
        _check_picklable(specs)
    runs = {}
    pending = []
    made = {}  # (tracker, sequence name) → made_from, worked out here once, for resuming and for saving
    if results_dir is not None:
        for folder in [Path(results_dir)] + [Path(results_dir) / tracker for tracker in specs]:
            if folder.exists() and not folder.is_dir():  # named now, not after the first sequence has run
                raise NotADirectoryError(f"results_dir: {folder} is a file, where the result files go; move it away, "
                                         "or give another folder")
        by_tracker = {tracker: tracker_made(tracker, factory) for tracker, factory in specs.items()}
        by_sequence = {sequence.name: sequence_made(sequence) for sequence in sequences}
        made = {(tracker, name): {**by_tracker[tracker], **by_sequence[name]}
                for tracker in specs for name in by_sequence}
    for tracker in specs:
        for sequence in sequences:
            saved = None
            if resume and results_dir is not None:
                saved = finished_run(results_dir, tracker, sequence, made[tracker, sequence.name])
            if saved is not None:
                runs[tracker, sequence.name] = saved
            else:
                pending.append((tracker, sequence))
    if not resume and results_dir is not None:  # the old runs are to be replaced: if this one stops part-way, a
        for tracker, sequence in pending:      # later resume must not take their files for this run's
            result_paths(results_dir, tracker, sequence.name)[2].unlink(missing_ok=True)
    if progress and runs:
        print(f"resumed {len(runs)} of {len(runs) + len(pending)} runs from the result files in {results_dir} "
              f"(resume=False runs them again; on the command line, --no-resume)")
    total_frames = sum(len(s) for _, s in pending)
    bar = ProgressBar(total_frames, unit="frame", enabled=progress and bool(pending))
    state = {"frames": 0, "tasks": 0}

    def frame_done(_index):
        state["frames"] += 1
        if state["frames"] % 25 == 0:
            bar.update(state["frames"], runs=f"{state['tasks']}/{len(pending)}")

    with contextlib.ExitStack() as stack:
        stack.enter_context(bar)  # Ctrl-C: what is printed next starts on a line of its own
        if isinstance(scheduler, (str, os.PathLike)):
            scheduler = stack.enter_context(_dask_client_class()(str(scheduler)))
        executor = make_executor(jobs, scheduler)
        _run_all(executor, pending, specs, results_dir, made, runs, bar, frame_done, state, jobs)
        if pending:
            bar.finish(runs=f"{len(pending)}/{len(pending)}")
    return Evaluation(list(specs), sequences, runs)


def _run_all(executor, pending, specs, results_dir, made, runs, bar, frame_done, state, jobs):
    """Run the ``pending`` tasks on ``executor`` (``jobs`` processes, unless serial or Dask), filling ``runs``. An
    error that is not the tracker's (a frame that cannot be read) or Ctrl-C stops the evaluation: serially before the
    next task, in processes once the tasks already running have finished (the queued ones are cancelled); what
    finished is saved."""
    if isinstance(executor, SerialExecutor):
        for tracker, sequence in pending:
            state["tasks"] += 1
            future = executor.submit(_run_task, tracker, specs[tracker], sequence, results_dir,
                                     made.get((tracker, sequence.name)), on_frame=frame_done)
            runs[tracker, sequence.name] = future.result()
        return
    stopped, futures = True, {}
    try:
        for tracker, sequence in pending:
            future = executor.submit(_run_task, tracker, specs[tracker], sequence, results_dir,
                                     made.get((tracker, sequence.name)))
            futures[future] = (tracker, sequence)
        for future in concurrent.futures.as_completed(futures):
            tracker, sequence = futures[future]
            try:
                runs[tracker, sequence.name] = future.result()
            except BrokenProcessPool as error:
                raise BrokenProcessPool(_broken_pool_message(futures, runs, jobs)) from error
            state["tasks"] += 1
            state["frames"] += len(sequence)
            bar.update(state["frames"], runs=f"{state['tasks']}/{len(pending)}")
        stopped = False
    finally:
        if stopped:  # Dask's executor has no cancel_futures
            for future in futures:
                future.cancel()
        executor.shutdown(wait=True)


def _broken_pool_message(futures, runs, workers):
    """What to say when a worker process stopped abruptly: every task not finished fails with it, so the one that
    stopped it is among the first ``workers`` of them in the order they were given (the pool runs them in turn)."""
    unfinished = [f"{tracker} on {sequence.name}" for tracker, sequence in futures.values()
                  if (tracker, sequence.name) not in runs]
    suspects = ", ".join(unfinished[:workers])
    return (f"a worker process (jobs > 1) stopped abruptly, while one of these ran: {suspects}; anything it printed "
            f"is above. A script that evaluates in processes needs its work under `if __name__ == \"__main__\":` "
            f"where the workers start afresh (they import it); jobs=1 runs the trackers in this process, where a "
            f"tracker that stops the interpreter shows where")


def default_data_dir():
    """Where ``minicnn eval`` keeps the generated default suite: ``$MINICNN_DATA`` or ``~/.cache/minicnn``."""
    return Path(os.environ.get("MINICNN_DATA", Path.home() / ".cache" / "minicnn"))
