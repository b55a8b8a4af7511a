"""Tracking sequences: a ``Sequence`` object, and readers and writers for the OTB-100 and GOT-10k folder layouts.

OTB-100 layout (one folder per video)::

    Basketball/img/0001.jpg, 0002.jpg, ...
    Basketball/groundtruth_rect.txt          1-based x,y,w,h per line; separators ',', tab or space
    Jogging/groundtruth_rect.1.txt, .2.txt   one file per target when a video has several
    Basketball/attributes.txt                (minicnn's addition) the OTB attribute tags, e.g. "IV, OCC"

GOT-10k layout (one folder per video)::

    GOT-10k_Val_000001/00000001.jpg, ...
    GOT-10k_Val_000001/groundtruth.txt       0-based x,y,w,h per line, comma-separated (test set: first line only)
    GOT-10k_Val_000001/absence.label         1 where the target is absent
    GOT-10k_Val_000001/cover.label           visible fraction 0 (hidden) … 8 (fully visible)
    GOT-10k_Val_000001/meta_info.ini         object class, motion class, ... (and minicnn's ``attributes:``)

Inside minicnn a sequence's ground truth is ``(N, 4)`` 0-based float boxes, with NaN rows for frames that have no
valid box (target absent, or not annotated).
"""

import codecs
import os
import re
import secrets
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np

from minicnn.checks import stacklevel_outside_minicnn
from minicnn.weight_files import write_atomically
from minicnn.track.boxes import as_boxes, box_problems, from_otb, to_otb

ATTRIBUTES = {
    "IV": "illumination variation",
    "SV": "scale variation",
    "OCC": "occlusion (partial or full)",
    "POC": "partial occlusion",
    "FOC": "full occlusion",
    "DEF": "deformation",
    "MB": "motion blur",
    "FM": "fast motion",
    "IPR": "in-plane rotation",
    "OPR": "out-of-plane rotation",
    "OV": "out-of-view",
    "BC": "background clutter",
    "LR": "low resolution",
    "CM": "camera motion",
}
"""Attribute tags: OTB-100's eleven, plus LaSOT's partial/full occlusion and camera motion."""

OTB_FRAME_RANGES = {
    "David": (300, 770),
    "Football1": (1, 74),
    "Freeman3": (1, 460),
    "Freeman4": (1, 283),
    "Diving": (1, 215),
    "BlurCar1": (247, 988),
    "BlurCar3": (3, 359),
    "BlurCar4": (18, 397),
    "Tiger1": (6, 354),
}
"""OTB-100 videos whose annotation covers only part of ``img/`` (first and last frame, 1-based, inclusive),
as listed in the OTB toolkit's sequence configuration. The frames are found by the numbers in their names, as the
toolkit names them (BlurCar1's ``img/`` starts at 0247.jpg), else by position."""

OTB_INIT_OMIT = {"Tiger1": 5}
"""OTB-100 videos whose ground truth starts at frame 1 while the toolkit tracks them from a later one (its, and
pytracking's, ``initOmit``): that many boxes are left out, with their frames."""

UNFINISHED_SUITE = ".minicnn-suite-unfinished"
"""The file ``generator.make_suite`` keeps in its folder while it writes; one left there says the folder holds part
of a suite (an interrupted run), and ``read_sequences`` warns of it."""

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
"""The files a sequence's frames may be (``minicnn track`` takes a folder of the same)."""


class SequenceError(ValueError):
    """A sequence's data cannot be tracked: a frame that cannot be read, or one of another size than the first. It
    is the data's fault, not a tracker's, so ``evaluate`` stops on it (keeping what finished) rather than scoring
    every tracker as failing from that frame."""


DARK_16_BIT_SAID = set()
"""The folders and videos whose 16-bit frames ``as_8_bit`` has warned of (once each)."""


def as_8_bit(image, where, source=None):
    """``image`` (as a file gave it) as uint8, its brightness kept, by its dtype: uint8 as it is, uint16 (a 16-bit
    PNG or TIFF) divided by 257 (65535 → 255), True as 255; other whole numbers only where all are in 0–255 (a
    frame's own values must not decide its scale: a dark 16-bit frame would read as a bright 8-bit one); floats in
    0–1 times 255, in 0–255 rounded. Other values cannot say what white is, and are refused naming ``where``.

    A 16-bit image whose values are all in 1–255 is read as it is, nearly black: it is warned of, once per ``source``
    (its folder or video), naming ``where``, as such values are most often 8-bit ones that a program saved in a
    16-bit file (a frame that is only dark reads so too)."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * np.uint8(255)
    low, high = (image.min(), image.max()) if image.size else (0, 0)
    if image.dtype.kind == "f" and np.isfinite(low) and np.isfinite(high) and low >= 0:
        if high <= 1:
            return np.round(image * 255.0).astype(np.uint8)
        if high <= 255:
            return np.round(image).astype(np.uint8)
    if image.dtype == np.uint16:
        if 0 < high <= 255:
            _warn_dark_16_bit(source or where, where, f"its values are all at most {high} (of 65535)")
        return np.round(image / 257.0).astype(np.uint8)
    if image.dtype.kind in "ui" and low >= 0 and high <= 255:
        return image.astype(np.uint8)
    raise SequenceError(f"{where}: values from {low:g} to {high:g} ({image.dtype}); expected 8-bit values (0–255), "
                        f"uint16 (0–65535) or floats in 0–1 or 0–255")


def _warn_dark_16_bit(source, where, why):
    """Warn, once per ``source``, that the 16-bit image ``where`` reads nearly black (``why``)."""
    if source in DARK_16_BIT_SAID:
        return
    DARK_16_BIT_SAID.add(source)
    warnings.warn(f"{where} is a 16-bit image that reads nearly black: {why}. If the frames hold 8-bit "
                  f"values (0–255) in 16-bit files, as some programs save them, the trackers see black frames: save "
                  f"them as 8-bit images; if this frame is only dark, nothing is wrong",
                  UserWarning, stacklevel=stacklevel_outside_minicnn())


def _png_bit_depth(path):
    """The bit depth a PNG file's header gives (8, 16, ...), None for another file."""
    with open(path, "rb") as file:
        header = file.read(26)
    return header[24] if header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR" else None


def read_frame(path):
    """Read one frame as ``(H, W, 3)`` uint8 RGB (grey images are repeated over 3 channels, alpha is dropped;
    16-bit and float images are scaled to 0–255 by ``as_8_bit``)."""
    import imageio.v3 as iio

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"frame {path} does not exist")
    try:
        image = np.asarray(iio.imread(path))
    except (OSError, ValueError, SyntaxError) as error:  # Pillow: a truncated or damaged image
        raise SequenceError(f"frame {path} cannot be read: {error}") from None
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.dtype == np.uint8 and image.size and image.max() == 0 and _png_bit_depth(path) == 16:
        _warn_dark_16_bit(path.parent, f"frame {path}", "a 16-bit colour PNG is read through its high bytes "
                          "(Pillow's), and every one of this frame's is 0, so all its values are at most 255")
    return as_8_bit(image[:, :, :3], f"frame {path}", source=path.parent)


class Sequence:
    """One video with the target's ground-truth boxes.

    Parameters
    ----------
    name : str
    frames : list of paths, or list / array of ``(H, W, 3)`` uint8 frames
        Paths are read lazily, one frame at a time, when indexed.
    ground_truth : array, shape (N, 4)
        0-based ``(x, y, w, h)`` per frame; NaN rows where the frame has no valid box. A GOT-10k test sequence gives
        only the first box; the other rows are NaN.
    attributes : sequence of str
        Tags from ``ATTRIBUTES`` (e.g. ``("FM", "OCC")``).
    absent : bool array, shape (N,), optional
        True where the target is not in view. Default: the NaN rows of ``ground_truth``.
    cover : int array, shape (N,), optional
        GOT-10k's visible fraction, 0 (hidden) … 8 (fully visible).
    path : Path, optional
        The folder it was read from.
    nan_in_annotation : bool array, shape (N,), optional
        True where the annotation file writes NaN (UAV123's way of marking an absent target) rather than numbers
        (OTB's ``0,0,0,0``): OTB's toolkit carries a lost tracker's last box across the second, not the first (see
        ``metrics.otb_frame_errors``). Default: nowhere, as ``write_otb`` writes a NaN row as ``0,0,0,0``.
    """

    def __init__(self, name, frames, ground_truth, attributes=(), absent=None, cover=None, path=None,
                 nan_in_annotation=None):
        self.name = str(name)
        self.frames = list(frames)
        gt = as_boxes(ground_truth, f"sequence {name!r} ground_truth")
        if len(gt) == 1 and len(self.frames) > 1:
            gt = np.concatenate([gt, np.full((len(self.frames) - 1, 4), np.nan)])
        if len(gt) != len(self.frames):
            raise ValueError(
                f"sequence {name!r}: {len(self.frames)} frames but {len(gt)} ground-truth boxes; "
                "expected one box per frame (or only the first)"
            )
        self.ground_truth = gt
        unknown = [tag for tag in attributes if tag not in ATTRIBUTES]
        if unknown:
            raise ValueError(f"sequence {name!r}: unknown attribute tags {unknown}; known: {sorted(ATTRIBUTES)}")
        self.attributes = tuple(attributes)
        missing = np.all(np.isnan(gt), axis=1)
        self.absent = missing.copy() if absent is None else np.asarray(absent, dtype=bool)
        self.cover = None if cover is None else np.asarray(cover, dtype=np.int64)
        for label, values in (("absent", self.absent), ("cover", self.cover)):
            if values is not None and values.shape != (len(self.frames),):
                raise ValueError(f"sequence {name!r}: {label} must have {len(self.frames)} entries, got {values.shape}")
        self.path = None if path is None else Path(path)
        self.nan_in_annotation = (np.zeros(len(self.frames), dtype=bool) if nan_in_annotation is None
                                  else np.asarray(nan_in_annotation, dtype=bool))
        if self.nan_in_annotation.shape != (len(self.frames),):
            raise ValueError(f"sequence {name!r}: nan_in_annotation must have {len(self.frames)} entries, got "
                             f"{self.nan_in_annotation.shape}")
        self._first_shape = None

    def __len__(self):
        return len(self.frames)

    def __getitem__(self, index):
        """Frame ``index`` as a new array: a tracker that draws into its frame changes nothing that the next tracker
        reads. Every frame must have the first one's size (a ``SequenceError`` names both otherwise)."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        frame = self._read(index)
        if index in (0, -len(self)):
            self._first_shape = (id(self.frames[0]), frame.shape)
            return frame
        known = getattr(self, "_first_shape", None)
        if known is None or known[0] != id(self.frames[0]):  # read once, again if the frames were replaced
            self._first_shape = known = (id(self.frames[0]), self._read(0).shape)
        first_shape = known[1]
        if frame.shape[:2] != first_shape[:2]:
            raise SequenceError(f"sequence {self.name!r}: {self._frame_name(index)} is {_size_text(frame.shape)} but "
                                f"{self._frame_name(0)} is {_size_text(first_shape)} (width×height); every "
                                f"frame must have the first one's size")
        return frame

    def _read(self, index):
        frame = self.frames[index]
        if isinstance(frame, (str, os.PathLike)):
            return read_frame(frame)
        return np.array(frame)

    def _frame_name(self, index):
        frame = self.frames[index]
        return Path(frame).name if isinstance(frame, (str, os.PathLike)) else f"frame {index % len(self) + 1}"

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __repr__(self):
        tags = ", ".join(self.attributes) or "none"
        return f"Sequence({self.name!r}, {len(self)} frames, attributes: {tags})"

    @property
    def init_box(self):
        """The first frame's box, the one a tracker is given."""
        return self.ground_truth[0].copy()

    @property
    def frame_shape(self):
        """``(H, W, 3)`` of the first frame."""
        return self[0].shape

    #: where x and y count from in the ground-truth file the sequence was read from (OTB's: 1), for ``problems``
    file_origin = 0

    def problems(self):
        """Per-frame complaints about the ground truth (non-positive sizes, boxes wholly outside the image), with
        the numbers as the ground-truth file it was read from writes them."""
        return box_problems(self.ground_truth, self.frame_shape, origin=self.file_origin)


def _size_text(shape):
    return f"{shape[1]}×{shape[0]}"


# ----------------------------------------------------------------------------------------------- text file helpers

_SEPARATORS = re.compile(r"[,\s]+")


def read_text(path):
    """The text of the file ``path``: UTF-8, a byte-order mark some editors write left out, or UTF-16 where a
    byte-order mark says so (what Windows PowerShell 5.1's ``>`` writes); a ValueError naming the file where it is
    neither. (Read with Windows' own encoding, a UTF-8 byte-order mark became three letters of an attribute.)"""
    data = Path(path).read_bytes()
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as error:
        kind = "the UTF-16 text its byte-order mark announces" if utf16 else "UTF-8 text"
        raise ValueError(f"{path}: not {kind} (byte {error.start}, {data[error.start:error.start + 1]!r}: "
                         f"{error.reason}); save it as UTF-8") from None


def read_boxes_file(path):
    """Read one box per line, values separated by commas, tabs or spaces; returns ``(N, 4)`` float64.

    A line that does not hold four numbers, or a blank line before more boxes, raises ``ValueError`` naming the file
    and the line number; blank lines at the end are fine.
    """
    path = Path(path)
    rows = []
    blank = None
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        text = line.strip()
        if not text:
            blank = blank or number
            continue
        if blank is not None:
            raise ValueError(f"{path}, line {blank}: a blank line before more boxes; every frame needs its line "
                             "(NaN,NaN,NaN,NaN or 0,0,0,0 where the frame has no box), else every later box "
                             "would belong to the frame before it")
        fields = [f for f in _SEPARATORS.split(text) if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            values = None
        if values is None or len(values) != 4:
            polygon = (" (eight numbers: a polygon, as VOT writes them; minicnn reads x,y,w,h boxes only)"
                       if values is not None and len(values) == 8 else "")
            raise ValueError(f"{path}, line {number}: expected four numbers x,y,w,h, got {text!r}{polygon}")
        rows.append(values)
    if not rows:
        raise ValueError(f"{path}: no boxes in the file")
    return np.array(rows, dtype=np.float64)


def _read_labels(path, count):
    if not path.is_file():
        return None
    try:
        values = np.loadtxt(read_text(path).splitlines(), dtype=np.int64, ndmin=1)
    except ValueError as error:
        raise ValueError(f"{path}: expected one whole number per line (one line per frame): {error}") from None
    if len(values) != count:
        raise ValueError(f"{path}: expected {count} lines (one per frame), got {len(values)}")
    return values


def atomic_write_text(path, text):
    """Write ``text`` (UTF-8) to a temporary file beside ``path`` and rename it into place (never a half-written
    file), as ``weight_files.write_atomically`` does."""
    write_atomically(Path(path), lambda file: file.write(text.encode("utf-8")))


def natural_key(path):
    """Sort key of a file name that compares its digit runs as numbers: ``frame2.png`` before ``frame10.png``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", Path(path).name)]


_NUMBERED = re.compile(r"(\D*)(\d+)(\D*)")


def folder_name(folder):
    """The name of ``folder`` as its user sees it: ``.`` and ``..`` worked out (their names were "" and ".."), a
    symbolic link's own name kept (not its target's)."""
    return Path(os.path.abspath(folder)).name


def is_frame_file(path, suffixes):
    """Whether ``path`` names a frame: an image file of one of ``suffixes`` whose name does not start with a dot."""
    return path.suffix.lower() in suffixes and not path.name.startswith(".")


def _image_files(folder):
    """The frames of ``folder`` in frame order: numbered names (``0001.jpg``, unpadded ``1.jpg … 10.jpg``, or
    ``frame_1.jpg … frame_10.jpg``) by their number, which must run without a gap or a repeat, since the boxes are
    one per frame and a missing image would pair every later box with the wrong frame; other names with their
    digit runs compared as numbers (``natural_key``). Hidden files are not frames: macOS leaves ``._0001.jpg`` beside
    ``0001.jpg`` on drives that cannot hold its metadata, and they were counted as frames (found in review)."""
    files = sorted((p for p in Path(folder).iterdir() if is_frame_file(p, IMAGE_SUFFIXES)), key=natural_key)
    numbers = _frame_numbers(files)
    if numbers is None:
        return files
    files = [p for _, p in sorted(zip(numbers, files), key=lambda pair: pair[0])]
    numbers.sort()
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if missing or repeated:
        what = (f"frame number{'s' if len(missing) > 1 else ''} {_number_list(missing)} missing" if missing else
                f"frame number{'s' if len(repeated) > 1 else ''} {_number_list(repeated)} given twice")
        raise ValueError(f"{folder}: {what} among {files[0].name} … {files[-1].name}; the boxes are one per frame, so "
                         "every frame from the first to the last needs exactly one image")
    return files


def _frame_numbers(files):
    """The numbers in the names of ``files`` where every name holds one in the same place (``0001.jpg``,
    ``frame_12.png``); None otherwise."""
    parts = [_NUMBERED.fullmatch(p.stem) for p in files]
    if not files or not all(parts) or len({(m[1], m[3]) for m in parts}) > 1:
        return None
    return [int(m[2]) for m in parts]


def _frames_numbered(images, first, last):
    """The frames ``first``..``last`` (1-based, inclusive) of ``images``, in frame order: by the numbers in their
    names where these hold that range, as OTB's toolkit names them (``img/%04d.jpg``: BlurCar1's folder starts at
    0247.jpg), else by position; None where neither holds it."""
    numbers = _frame_numbers(images)  # in order and without gaps (``_image_files``)
    if numbers is not None and numbers[0] <= first <= last <= numbers[-1]:
        return images[first - numbers[0]:last - numbers[0] + 1]
    return _frames_at(images, first, last)


def _frames_at(images, first, last):
    """The images at positions ``first``..``last`` (1-based, inclusive), or None where they are not all there."""
    return images[first - 1:last] if 1 <= first <= last <= len(images) else None


def _number_list(numbers, limit=5):
    shown = ", ".join(map(str, numbers[:limit]))
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def _attribute_tags(words, path):
    """The attribute tags read from ``path``, each one of ``ATTRIBUTES``, refused by the file's name otherwise."""
    tags = tuple(word for word in words if word)
    unknown = [tag for tag in tags if tag not in ATTRIBUTES]
    if unknown:
        raise ValueError(f"{path}: unknown attribute tags {unknown}; known: {sorted(ATTRIBUTES)}")
    return tags


def _warn_at_the_edge(sequence_name, path, rects, first_frame):
    """Warn of boxes whose 1-based x or y is ≤ 0: OTB's toolkit takes only rows of four numbers > 0 as annotated,
    so it scores those frames as without annotation, silently; a 0-based file (GOT-10k's convention) read as OTB's
    puts every box touching the left or top edge there."""
    with np.errstate(invalid="ignore"):
        edge = np.all(np.isfinite(rects), axis=1) & np.any(rects[:, :2] <= 0, axis=1)
    if edge.any():
        frames = [int(i) + first_frame for i in np.flatnonzero(edge)]
        warnings.warn(f"sequence {sequence_name!r} ({path}): {len(frames)} of {len(rects)} boxes have x or y ≤ 0 "
                      f"(frame {_number_list(frames)}). OTB's files are 1-based and its toolkit scores such frames as "
                      f"without annotation (overlap −1, a failure; centre error −1, a hit), and so does minicnn; if "
                      f"the file is 0-based (GOT-10k's convention), write it 1-based (x + 1, y + 1)",
                      stacklevel=stacklevel_outside_minicnn())


def _warn_problems(sequence_name, path, problems, limit=5):
    """Warn of bad boxes read from the ground-truth file ``path``, with the numbers as that file writes them."""
    if problems:
        shown = "; ".join(problems[:limit]) + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")
        warnings.warn(f"sequence {sequence_name!r} ({path}): {len(problems)} bad ground-truth boxes, treated as "
                      f"missing: {shown}", stacklevel=stacklevel_outside_minicnn())


def _invalid_rows(boxes):
    """Rows that are not NaN markers but cannot be boxes (non-positive size, inf)."""
    marker = np.all(np.isnan(boxes), axis=1)
    bad = ~np.all(np.isfinite(boxes), axis=1) | (boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
    return bad & ~marker


# ---------------------------------------------------------------------------------------------------------- OTB

def otb_targets(folder, warn=False):
    """The ground-truth files of an OTB folder: ``{None: path}`` for one target, ``{1: path, 2: path}`` for several.
    An empty numbered file is left out (OTB-100's Human4 has one), with a warning where ``warn``."""
    folder = Path(folder)
    single = folder / "groundtruth_rect.txt"
    numbered = {}
    for path in folder.glob("groundtruth_rect.*.txt"):
        middle = path.name[len("groundtruth_rect.") : -len(".txt")]
        if middle.isdigit() and not path.read_bytes().strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):  # nothing decoded
            if warn:
                warnings.warn(f"{path}: an empty ground-truth file, left out (OTB-100's Human4 has one: its target "
                              f"is Human4.2)", stacklevel=stacklevel_outside_minicnn())
        elif middle.isdigit():
            numbered[int(middle)] = path
    if numbered:
        return dict(sorted(numbered.items()))
    if single.is_file():
        return {None: single}
    return {}


def read_otb(folder, target=None, start_frame=None, end_frame=None):
    """Read one OTB-layout sequence.

    Parameters
    ----------
    folder : path
        The video's folder (holding ``img/`` and ``groundtruth_rect*.txt``).
    target : int, optional
        Which target of a multi-target video (``groundtruth_rect.2.txt`` → 2); the sequence is then named
        ``Jogging.2`` as in OTB-100.
    start_frame, end_frame : int, optional
        1-based, inclusive range of ``img/`` the annotation covers. Default: ``OTB_FRAME_RANGES`` for the videos
        listed there, else all frames.
    """
    folder = Path(folder)
    targets = otb_targets(folder)
    if not targets:
        raise FileNotFoundError(f"{folder}: no groundtruth_rect.txt (or groundtruth_rect.N.txt) in this folder")
    if target is None and None not in targets:
        if len(targets) > 1:
            raise ValueError(f"{folder}: several targets {list(targets)}; choose one with target=")
        target = next(iter(targets))
    if target not in targets:
        raise ValueError(f"target: {folder} has targets {list(targets)}, got {target!r}")
    base_name = folder_name(folder)
    name = base_name if target is None else f"{base_name}.{target}"
    image_folder = folder / "img"
    if not image_folder.is_dir():
        raise FileNotFoundError(f"{image_folder} does not exist: an OTB sequence keeps its frames in img/")
    images = _image_files(image_folder)
    rects = read_boxes_file(targets[target])
    if not images:
        raise FileNotFoundError(f"{folder / 'img'}: no frames in the folder (files ending in "
                                f"{', '.join(IMAGE_SUFFIXES)})")
    listed = OTB_FRAME_RANGES.get(base_name) if start_frame is None and end_frame is None else None
    if listed:  # the toolkit's range: frames by the numbers in their names
        first, last = listed
        chosen = _frames_numbered(images, first, last)
        omitted = OTB_INIT_OMIT.get(base_name, 0)
        if chosen is not None and omitted and len(rects) == len(chosen) + omitted:
            rects = rects[omitted:]  # boxes from frame 1, tracked from ``first`` on (Tiger1: the toolkit's initOmit)
        elif len(rects) == len(images) and (chosen is None or len(rects) != len(chosen)):
            first, last, chosen = 1, len(images), images  # a folder of yours named like an OTB-100 video
    else:  # positions in img/, 1-based, as given
        first = 1 if start_frame is None else int(start_frame)
        last = len(images) if end_frame is None else int(end_frame)
        chosen = _frames_at(images, first, last)
    if chosen is None:
        raise ValueError(f"{folder}: frame range {first}..{last} does not fit the {len(images)} images in img/ "
                         f"({images[0].name} … {images[-1].name})")
    images = chosen
    if len(rects) != len(images):
        raise ValueError(
            f"{targets[target]}: {len(rects)} boxes for {len(images)} frames ({first}..{last}, {images[0].name} … "
            f"{images[-1].name}); the annotation has one box per frame: remove the images that are not frames, or "
            f"where it covers only part of the video, give read_otb its start_frame and end_frame (minicnn eval "
            f"--sequences can leave the sequence out)"
        )
    boxes = from_otb(rects)
    as_written = np.where(np.all(np.isnan(boxes), axis=1, keepdims=True), np.nan, rects)  # 1-based; absent rows NaN
    _warn_problems(name, targets[target], box_problems(as_written, first_frame=first))
    _warn_at_the_edge(name, targets[target], as_written, first)
    boxes[_invalid_rows(boxes)] = np.nan
    attributes = ()
    attribute_file = folder / "attributes.txt"
    if attribute_file.is_file():
        attributes = _attribute_tags(_SEPARATORS.split(read_text(attribute_file).strip()), attribute_file)
    absent = _read_labels(folder / "absence.label", len(images))
    cover = _read_labels(folder / "cover.label", len(images))
    sequence = Sequence(name, images, boxes, attributes, absent=absent, cover=cover, path=folder,
                        nan_in_annotation=np.any(np.isnan(rects), axis=1))
    sequence.file_origin = 1  # OTB's files are 1-based
    return sequence


def write_otb(sequence, root, quality=90):
    """Write ``sequence`` in the OTB layout under ``root/NAME/``; returns that folder.

    Frames go to ``img/0001.jpg…``, boxes to ``groundtruth_rect.txt`` as OTB's 1-based integers (``0,0,0,0`` for
    a frame without a box), attribute tags to ``attributes.txt``, and, when known, ``absence.label`` and
    ``cover.label``. The folder is built beside its final place and renamed into it, so an interrupted write never
    leaves a half-written sequence (an older one of the same name is replaced only at the end).
    """
    rects = to_otb(sequence.ground_truth)
    lines = "".join(",".join(str(v) for v in row) + "\n" for row in rects)
    digits = max(4, len(str(len(sequence))))

    def fill(folder):
        (folder / "img").mkdir()
        _write_frames(sequence, folder / "img", digits, quality)
        (folder / "groundtruth_rect.txt").write_text(lines)
        (folder / "attributes.txt").write_text(", ".join(sequence.attributes) + "\n")
        _write_labels(folder, sequence)

    return _build_folder(Path(root), sequence.name, fill)


# ------------------------------------------------------------------------------------------------------ GOT-10k

def read_got10k(folder):
    """Read one GOT-10k-layout sequence (frames ``00000001.jpg…`` beside ``groundtruth.txt``).

    Ground truth is taken as 0-based, as the GOT-10k toolkit uses it. Frames marked in ``absence.label`` get NaN
    boxes. A test-set sequence (one box) gets NaN for every later frame.
    """
    folder = Path(folder)
    gt_file = folder / "groundtruth.txt"
    if not gt_file.is_file():
        raise FileNotFoundError(f"{gt_file} does not exist")
    images = _image_files(folder)
    if not images:
        raise FileNotFoundError(f"{folder}: no frames in the folder (files ending in {', '.join(IMAGE_SUFFIXES)})"
                                f"{_other_layout(folder)}")
    boxes = read_boxes_file(gt_file)
    if len(boxes) not in (1, len(images)):
        raise ValueError(f"{gt_file}: {len(boxes)} boxes for {len(images)} frames ({images[0].name} … "
                         f"{images[-1].name}); expected one per frame or one: remove the images that are not frames "
                         f"(minicnn eval --sequences can leave the sequence out)")
    nan_in_annotation = np.any(np.isnan(boxes), axis=1) if len(boxes) > 1 else None
    if len(boxes) == 1:
        boxes = np.concatenate([boxes, np.full((len(images) - 1, 4), np.nan)])
    absent = _read_labels(folder / "absence.label", len(images))
    cover = _read_labels(folder / "cover.label", len(images))
    if absent is not None:
        boxes[absent.astype(bool)] = np.nan
    _warn_problems(folder_name(folder), gt_file, box_problems(boxes))
    boxes[_invalid_rows(boxes)] = np.nan
    attributes = ()
    meta = folder / "meta_info.ini"
    if meta.is_file():
        for line in read_text(meta).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "attributes":
                attributes = _attribute_tags(_SEPARATORS.split(value.strip()), meta)
    return Sequence(folder_name(folder), images, boxes, attributes, absent=absent, cover=cover, path=folder,
                    nan_in_annotation=nan_in_annotation)


def _other_layout(folder):
    """What a folder with ``groundtruth.txt`` but no frames beside it probably is, and how to read it: LaSOT keeps
    its frames in ``img/`` with OTB's 1-based boxes (read as GOT-10k's 0-based, every box would be a pixel off),
    VOT in ``color/`` with polygons."""
    if (folder / "img").is_dir():
        return ("; its frames are in img/: a LaSOT sequence? Its boxes are 1-based, as OTB's: rename groundtruth.txt "
                "to groundtruth_rect.txt and it reads as an OTB sequence")
    if (folder / "color").is_dir():
        return ("; its frames are in color/: a VOT sequence? VOT's ground truth is often polygons, which minicnn does "
                "not read: convert them to x,y,w,h boxes in groundtruth_rect.txt beside an img/ folder (OTB layout)")
    return ""


def write_got10k(sequence, root, quality=90):
    """Write ``sequence`` in the GOT-10k layout under ``root/NAME/``; returns that folder.

    Boxes are written 0-based with four decimals; ``absence.label`` (and ``cover.label`` when known) one value
    per frame; ``meta_info.ini`` carries the attribute tags. Written beside its place and renamed, like
    ``write_otb``.
    """
    boxes = sequence.ground_truth
    lines = "".join(
        ("0,0,0,0" if not np.all(np.isfinite(b)) else ",".join(f"{v:.4f}" for v in b)) + "\n" for b in boxes
    )

    def fill(folder):
        _write_frames(sequence, folder, 8, quality)
        (folder / "groundtruth.txt").write_text(lines)
        _write_labels(folder, sequence)
        (folder / "meta_info.ini").write_text(
            "[METAINFO]\n" f"attributes: {', '.join(sequence.attributes)}\n" "source: minicnn\n"
        )

    return _build_folder(Path(root), sequence.name, fill)


# ------------------------------------------------------------------------------------------------- any layout

def detect_layout(folder):
    """``"otb"``, ``"got10k"`` or ``None`` for a folder, from the files it holds."""
    folder = Path(folder)
    if otb_targets(folder) and (folder / "img").is_dir():
        return "otb"
    if (folder / "groundtruth.txt").is_file():
        return "got10k"
    return None


def read_sequence(folder, names=None):
    """Read one sequence folder of either layout (every target of a multi-target OTB video: a list; with ``names``,
    only the targets named there, so that a broken one can be left out by name)."""
    layout = detect_layout(folder)
    if layout == "otb":
        targets = otb_targets(folder, warn=True)
        if None in targets or len(targets) == 1:
            return [read_otb(folder, target=next(iter(targets)))]
        return [read_otb(folder, target=t) for t in targets if names is None or f"{Path(folder).name}.{t}" in names]
    if layout == "got10k":
        return [read_got10k(folder)]
    raise FileNotFoundError(
        f"{folder}: neither an OTB sequence (img/ + groundtruth_rect.txt) nor a GOT-10k one (groundtruth.txt)"
    )


def read_sequences(root, names=None):
    """Every sequence under ``root`` (a folder of sequence folders, or one sequence folder), sorted by name.

    A GOT-10k split's ``list.txt`` gives the order when present. ``names`` keeps only those sequences.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {root} does not exist")
    if detect_layout(root):
        folders = [root]
    elif (root / "list.txt").is_file():
        folders = [root / line.strip() for line in read_text(root / "list.txt").splitlines() if line.strip()]
    else:
        candidates = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        folders = [p for p in candidates if detect_layout(p)]
        skipped = [p.name for p in candidates if p not in folders]
        if folders and skipped:  # a sequence folder with a typo would otherwise drop out of the suite unseen
            warnings.warn(f"{root}: {len(skipped)} folder{'s' if len(skipped) > 1 else ''} skipped, neither an OTB "
                          f"sequence (img/ + groundtruth_rect.txt) nor a GOT-10k one (groundtruth.txt): "
                          f"{', '.join(skipped[:10])}{', ...' if len(skipped) > 10 else ''}", stacklevel=2)
    if (root / UNFINISHED_SUITE).is_file():
        warnings.warn(f"{root}: the make-sequences that wrote this folder did not finish (interrupted?): it holds "
                      f"part of the suite; the same command writes the whole of it",
                      stacklevel=stacklevel_outside_minicnn())
    if not folders:
        deeper = [p for p in root.iterdir() if p.is_dir() and any(detect_layout(q) for q in p.iterdir() if q.is_dir())]
        nested = (f"; {deeper[0]} holds sequence folders: give it as the data folder (LaSOT keeps its sequences one "
                  f"level deeper, by category)" if deeper else "")
        raise FileNotFoundError(f"{root}: no OTB or GOT-10k sequence folders found (OTB: a folder per sequence with "
                                f"img/ and groundtruth_rect.txt; GOT-10k: frames beside groundtruth.txt){nested}")
    if names is None:
        return [s for folder in folders for s in read_sequence(folder)]
    wanted = list(names)
    names_in = {folder: _sequence_names(folder) for folder in folders}
    available = [name for folder_names in names_in.values() for name in folder_names]
    missing = [n for n in wanted if n not in available]
    if missing:
        raise ValueError(f"names: no sequences {missing} in {root}; available: {sorted(available)}")
    # only the folders asked for are read: a video that cannot be read is left out by leaving out its name
    reading = [folder for folder in folders if set(names_in[folder]) & set(wanted)]
    known = {s.name: s for folder in reading for s in read_sequence(folder, names=wanted)}
    return [known[n] for n in wanted]


def _sequence_names(folder):
    """The names ``read_sequence(folder)`` gives its sequences, without reading them: the folder's, or
    ``Jogging.1``, ``Jogging.2`` for the targets of a multi-target OTB video."""
    folder, name = Path(folder), folder_name(folder)
    if detect_layout(folder) == "otb":
        targets = otb_targets(folder)
        if None not in targets and len(targets) > 1:
            return [f"{name}.{target}" for target in targets]
        target = next(iter(targets))
        return [name if target is None else f"{name}.{target}"]
    return [name]


# ------------------------------------------------------------------------------------------------------ writing

def _write_frames(sequence, folder, digits, quality):
    import imageio.v3 as iio

    for index, frame in enumerate(sequence, start=1):
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(
                f"sequence {sequence.name!r} frame {index}: expected (H, W, 3) uint8, got {frame.shape} {frame.dtype}"
            )
        iio.imwrite(folder / f"{index:0{digits}d}.jpg", frame, quality=quality)


def _write_labels(folder, sequence):
    (folder / "absence.label").write_text("".join(f"{int(a)}\n" for a in sequence.absent))
    if sequence.cover is not None:
        (folder / "cover.label").write_text("".join(f"{int(c)}\n" for c in sequence.cover))


#: the files the writers write beside the frames, in either layout (OTB's and GOT-10k's)
WRITTEN_FILES = ("groundtruth_rect.txt", "attributes.txt", "groundtruth.txt", "meta_info.ini", "absence.label",
                 "cover.label")


def _carry_over_files_of_your_own(old, new):
    """Move into the ``new`` sequence folder the files of the ``old`` one that a writer never writes (a user's
    notes, plots, results kept beside the frames), so that writing a sequence again replaces only its own files:
    its frames (numbered images, ``0001.jpg``, in ``img/`` or at the top, the frame folders of either layout; an old
    run may have had more, or the other layout), the files a writer writes beside them (``WRITTEN_FILES``), and the
    files that ``new`` holds too. A rerun of ``minicnn track make-sequences`` deleted them."""
    for path in sorted(p for p in old.rglob("*") if p.is_file()):
        relative = path.relative_to(old)
        in_a_frame_folder = relative.parent in (Path("."), Path("img"))
        old_frame = in_a_frame_folder and path.suffix.lower() in IMAGE_SUFFIXES and path.stem.isdigit()
        written = relative.parent == Path(".") and relative.name in WRITTEN_FILES
        if old_frame or written or (new / relative).exists():
            continue
        (new / relative).parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, new / relative)


def _new_folder_beside(path, suffix):
    """A new, empty folder beside ``path``, with the permissions of a plain ``mkdir`` (``tempfile.mkdtemp`` makes
    0o700, which the finished sequence folder kept)."""
    while True:
        folder = path.parent / f".{path.name[:200]}.{secrets.token_hex(4)}{suffix}"  # a name of 255 still fits
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _build_folder(root, name, fill):
    """The sequence folder ``root/name``, written whole by ``fill(folder)`` into a folder beside it and renamed into
    place: a failure or an interruption leaves the old folder as it was, or the new one in its place. Only then are
    the user's own files of the old folder carried over (``_carry_over_files_of_your_own``), and the old folder
    removed once they all are: an interruption while they move leaves the rest in the old folder, which the error
    names."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    if final.exists() and not final.is_dir():
        raise FileExistsError(f"{final} is a file, where the sequence {name!r} goes; move it away, or write the "
                              "sequences into another folder")
    staging = _new_folder_beside(final, ".partial")
    try:
        fill(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not final.exists():
        try:
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return final
    retired = _new_folder_beside(final, ".old")
    try:
        os.replace(final, retired / name)
    except BaseException:  # nothing moved: the old folder stays where it is
        shutil.rmtree(staging, ignore_errors=True)
        retired.rmdir()
        raise
    try:
        os.replace(staging, final)
    except BaseException:  # the old folder goes back
        os.replace(retired / name, final)
        retired.rmdir()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        _carry_over_files_of_your_own(retired / name, final)
    except BaseException as stop:
        where = f"{final} holds the new sequence; files of yours from the old one not moved yet are in {retired / name}"
        if hasattr(stop, "add_note"):  # Python 3.11 and later
            stop.add_note(where)
        else:
            print(where, file=sys.stderr)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    return final
