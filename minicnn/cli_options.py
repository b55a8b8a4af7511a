"""Argument types and output paths shared by the ``minicnn`` commands: whole numbers and rates that argparse
checks, and output folders and files made ready (and refused by name) before any work starts; so is the cuda
backend where it is numba's CUDA simulator, on which a command's work would take days."""

import argparse
import tempfile


def whole_number(minimum):
    """An argparse ``type``: a whole number ≥ ``minimum`` (argparse names the option in its error)."""
    def whole(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {minimum}, got {value}")
        return value

    return whole


def _number(text):
    try:
        return float(text)
    except ValueError:
        return float("nan")  # refused below, with the text as given


def positive_number(text):
    """An argparse ``type``: a finite number above 0."""
    value = _number(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text!r}")
    return value


def frames_per_second(text):
    """An argparse ``type``: a frame rate above 0 and at most 1000 (a frame a millisecond: the videos' frame times
    are whole milliseconds, and an infinite rate left the GIF's unset)."""
    value = _number(text)
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"expected frames per second above 0 and at most 1000, got {text!r}")
    return value


def output_folder(parser, path, option):
    """``path`` as a folder that exists and can be written into, made now, before any work, so that a bad
    ``--out`` is refused by name instead of failing in a traceback after the work is done."""
    from pathlib import Path

    path = Path(path)
    if path.exists() and not path.is_dir():
        parser.error(f"{option}: {path} is a file; expected a folder (it is made if it does not exist)")
    missing = _missing_folders(path.absolute())
    FOLDERS_MADE.extend(missing)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"{option}: cannot make the folder {path}: {error.strerror or error}")
    try:
        with tempfile.TemporaryFile(dir=path):  # os.access says yes to root where writing still fails (/sys)
            pass
    except OSError as error:
        parser.error(f"{option}: cannot write into the folder {path}: {error.strerror or error}")
    return path


FOLDERS_MADE = []
"""The folders ``output_folder`` made for the command now running; ``main`` removes those still empty if the command
fails, so that a refused or failed command leaves nothing behind."""


def _missing_folders(path):
    """``path`` and those of its parent folders that do not exist yet, deepest first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def remove_empty_folders_made():
    """Remove the folders this command made that are still empty (a folder with anything in it stays)."""
    for folder in sorted(FOLDERS_MADE, key=lambda folder: len(folder.parts), reverse=True):  # deepest first
        try:
            folder.rmdir()
        except OSError:  # not empty, or already gone
            pass
    FOLDERS_MADE.clear()


def output_file(parser, path, option):
    """``path`` as a file whose folder exists (made now) and can be written into, and that is not a folder."""
    from pathlib import Path

    path = Path(path)
    if path.is_dir():
        parser.error(f"{option}: {path} is a folder; expected a file name")
    output_folder(parser, path.parent, option)
    return path


def video_output(parser, path, option):
    """``path`` of a video made ready as ``output_folder`` or ``output_file``, by what it names: a folder of PNG frames
    or a .gif or .mp4 file."""
    from minicnn.track.plots import output_kind

    if output_kind(path) == "folder":
        return output_folder(parser, path, option)
    return output_file(parser, path, option)


def files_not_in_the_way(parser, folder, names, option):
    """Refuse, before any work, a folder standing where the command will write the file ``folder/name`` (for each of
    ``names``): the write would fail only once the work is done."""
    from pathlib import Path

    for name in names:
        if (Path(folder) / name).is_dir():
            parser.error(f"{option}: {Path(folder) / name} is a folder, where the command writes a file; move it away, "
                         f"or give another {option}")


def refuse_the_simulator(backend_name, how_long, instead):
    """Raise ``BackendError`` when ``backend_name`` is cuda and numba.cuda is its CUDA simulator, which runs every
    GPU thread as Python: a command's work (the demo's training, tracking a sequence) would take days there.
    ``how_long`` says how long, ``instead`` what to run instead."""
    if str(backend_name).lower() != "cuda":
        return
    from minicnn.kernels import cuda

    if cuda.is_simulator():
        from minicnn.errors import BackendError

        raise BackendError(f"the 'cuda' backend is running on numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1), which "
                           f"runs every GPU thread as Python: {how_long}. The simulator is for the tests and small "
                           f"shapes (notebook 11); {instead}, or on a machine with a GPU")


def tracking_backend_problem(error):
    """What a ``BackendError`` raised for our trackers' backend says on a tracking command: without a GPU, not the
    way to the CUDA simulator that ``refuse_tracking_on_the_simulator`` then refuses."""
    from minicnn.errors import NoGPUError

    if isinstance(error, NoGPUError):
        return ("the 'cuda' backend found no CUDA GPU or driver on this machine; run our trackers with --backend "
                "numba (compiled, on the CPU), or on a machine with a GPU")
    return str(error)


def refuse_tracking_on_the_simulator(backend_name):
    """``refuse_the_simulator`` for our trackers' network on ``backend_name`` (``minicnn eval``, ``track``)."""
    refuse_the_simulator(backend_name, "tracking one frame takes tens of minutes there (the network over the "
                         "search image), so a sequence would take days",
                         "run our trackers with --backend numba")
