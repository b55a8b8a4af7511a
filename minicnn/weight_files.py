"""Files written whole or not at all, and minicnn's weight files: ``write_atomically`` (and
``write_npz_atomically``) writes beside the file and renames over it once complete (a failure never destroys the
old file); ``read_npz`` reads arrays only, never unpickling anything; ``stored_header`` checks what
``Sequential.save_weights`` writes about the model."""

import errno
import os
import secrets
import stat
import time
import zipfile
from pathlib import Path

import numpy as np

from minicnn import checks
from minicnn.errors import WeightFileError

WEIGHTS_FORMAT = "minicnn-weights-1"
"""The ``__format__`` entry of a weight file that ``Sequential.save_weights`` writes."""

#: minicnn's weight file formats, by name without their version: what each holds, and what reads it
FORMATS = {"minicnn-weights": ("a model's weights", "Sequential.load_weights reads it"),
           "minicnn-siamese": ("the Siamese tracker's network", "minicnn.track.trackers.siamese reads it")}


def check_format(stored, expected, path, where):
    """Raise ``WeightFileError`` naming ``where`` unless the file at ``path`` (its arrays ``stored``) says it is of
    format ``expected``: another version of it, another of minicnn's ``FORMATS`` and no minicnn file are told
    apart."""
    written = str(stored["__format__"]) if "__format__" in stored else None
    if written == expected:
        return
    family, expected_family = (name.rsplit("-", 1)[0] for name in (written or "", expected))
    if family == expected_family:
        why = f"was written in another minicnn weight format, {written!r}; this version reads {expected!r}"
    elif family in FORMATS:
        holds, reader = FORMATS[family]
        why = f"is a {written} file ({holds}: {reader}), not {FORMATS[expected_family][0]}"
    else:
        why = f"is not a minicnn weight file (expected format {expected!r})"
    raise WeightFileError(f"{where}: {os.fspath(path)!r} {why}")


def temporary_beside(path, suffix=".tmp"):
    """A new, empty file in ``path``'s folder, to be written and then renamed onto ``path``: ``(descriptor, path)``.

    It gets the permissions a plain ``open(path, "w")`` would give (0o666 less the umask), or those of ``path`` when
    it exists; ``tempfile.mkstemp`` makes 0o600, which left result files and weights unreadable to anyone else. A
    ``path`` made read-only is refused, as ``open(path, "w")`` refuses it: the rename would replace it all the same."""
    path = Path(path)
    existing = stat.S_IMODE(os.stat(path).st_mode) if path.exists() else None
    if existing is not None and not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, f"{path} is read-only (make it writable to replace it)", str(path))
    while True:
        temporary = path.parent / f".{path.name[:200]}.{secrets.token_hex(4)}{suffix}"  # a name of 255 still fits
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            if existing is not None:
                os.chmod(temporary, existing)
        except BaseException:  # the file would be left behind, unnamed
            os.close(handle)
            os.remove(temporary)
            raise
        return handle, temporary


def write_atomically(path, write, suffix=".tmp"):
    """``write(file)`` into a new binary file beside ``path``, flushed to the disk, then renamed over ``path``: a
    failure (a full disk, Ctrl-C) leaves the old file as it was and no temporary file behind, and a power cut after
    the rename leaves the whole new file. A ``path`` that is a symbolic link is written through, as ``open`` writes:
    the file it points to gets the new contents and the link stays. An OSError names ``path`` where it named no
    file (a full disk)."""
    path = os.path.realpath(path)
    handle, temporary = temporary_beside(path, suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        _replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError) and error.filename is None and error.strerror is not None:
            error.filename = path  # "No space left on device: '…/table.txt'" rather than a file never named
        raise
    _flush_folder(Path(path).parent)


#: whether a file open in another program cannot be replaced (Windows: Excel, an image viewer, an antivirus scanner
#: or OneDrive holding it; the last two for a moment only, so the rename is tried again a few times first)
OPEN_FILES_BLOCK_REPLACING = os.name == "nt"
REPLACE_TRIES = 5
REPLACE_WAIT_SECONDS = 0.2


def _replace(temporary, path):
    """``os.replace(temporary, path)``, tried again a few times where ``OPEN_FILES_BLOCK_REPLACING`` and it was
    refused. A refusal that stands is a PermissionError marked ``replacing = True`` (``minicnn``'s commands say then
    what to close)."""
    tries = REPLACE_TRIES if OPEN_FILES_BLOCK_REPLACING else 1
    for attempt in range(tries):
        try:
            return os.replace(temporary, path)
        except PermissionError as error:
            if attempt == tries - 1:
                error.replacing = True
                raise
            time.sleep(REPLACE_WAIT_SECONDS)


def _flush_folder(folder):
    """Flush ``folder``'s entries to the disk (the rename itself), where the system allows opening a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows opens no folders; the rename stands as the system keeps it
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_npz(path, where):
    """Every array of the ``.npz`` file ``path``, never unpickling anything; a file that is not one is a
    WeightFileError saying what it is (NumPy's own message for a text file suggested loading it "unsafely")."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"{where}: expected a file name (a str or pathlib.Path), got {path!r}") from None
    if not os.path.exists(path):
        other = path[:-len(".npz")] if path.endswith(".npz") else path + ".npz"
        beside = (f" (there is {other!r}: a weight file is written under the name given, with or without .npz)"
                  if os.path.isfile(other) else "")
        raise FileNotFoundError(f"{where}: weight file {path!r} does not exist{beside}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{where}: {path!r} is a folder; expected a weight file (.npz) in it, or its path")
    if not zipfile.is_zipfile(path):
        raise WeightFileError(f"{where}: {path!r} is not an .npz weight file (an .npz is a zip archive of arrays; "
                              "this file is not one, or is cut short)")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except ValueError as error:
        if "pickle" in str(error).lower():  # NumPy suggests allow_pickle=True, which would run any code in it
            raise WeightFileError(f"{where}: {path!r} holds Python objects, which minicnn never loads (a weight "
                                  "file holds arrays only)") from None
        raise WeightFileError(f"{where}: {path!r} is not a readable .npz weight file ({error})") from None
    except Exception as error:  # a damaged archive: zipfile's and NumPy's errors
        raise WeightFileError(f"{where}: {path!r} is not a readable .npz weight file ({error})") from None


def _file_path(path, where):
    """``path`` as the name of a file that can be made: a string or path, not a folder, in a folder that exists."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"{where}: expected a file name (a str or pathlib.Path), got {path!r}") from None
    if not path:
        raise ValueError(f"{where}: expected a file name, got an empty string")
    if os.path.isdir(path) or os.path.basename(path) in ("", ".", ".."):  # "results/", "results/.": a folder
        raise IsADirectoryError(f"{where}: {path!r} is {'a folder' if os.path.isdir(path) else 'a folder name'}; "
                                f"expected a file name, such as {os.path.join(path, 'weights.npz')!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isfile(folder):
        raise NotADirectoryError(f"{where}: cannot write {path!r}: {folder!r} is a file, not a folder")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{where}: cannot write {path!r}: the folder {folder!r} does not exist")
    return path


def write_npz_atomically(path, arrays, where="write_npz_atomically"):
    """``np.savez(path, **arrays)`` into a temporary file in the same folder, renamed over ``path`` (the name as
    given: ``np.savez`` would add ``.npz`` to a name without it) only once it is complete: a failure (full disk,
    Ctrl-C) never destroys an existing file. A path that cannot be written (a folder, a folder that does not exist,
    no permission) is refused in words that name ``path``, not the temporary file."""
    path = _file_path(path, where)
    try:
        write_atomically(os.path.abspath(path), lambda file: np.savez(file, **arrays), suffix=".npz")
    except OSError as error:
        named = type(error)(f"{where}: cannot write {path!r}: {error.strerror or error}")
        named.errno = error.errno  # what a caller's except may look at (ENOSPC, EACCES); the message names path
        raise named from None


def stored_header(stored, where):
    """``(layer class names, one sample's shape)`` from a weight file's ``__layers__`` and ``__input_shape__``, as
    ``save_weights`` writes them (names; -1 for the batch axis, then sizes ≥ 1); a damaged header is refused by name
    instead of failing in NumPy's words ("iteration over a 0-d array")."""
    layers, shape = stored["__layers__"], stored["__input_shape__"]
    if layers.ndim != 1 or layers.dtype.kind not in "UO":
        raise WeightFileError(f"{where}: a damaged minicnn weight file: __layers__ must list the layers' class names, "
                              f"got {checks.short_repr(layers)}")
    if shape.ndim != 1 or shape.dtype.kind not in "iu" or len(shape) < 2 or shape[0] != -1 or np.any(shape[1:] < 1):
        raise WeightFileError(f"{where}: a damaged minicnn weight file: __input_shape__ must be -1 (the batch axis) "
                              f"then one sample's sizes ≥ 1, got {checks.short_repr(shape)}")
    return [str(name) for name in layers], tuple(int(size) for size in shape[1:])
