"""``minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h``: follow one object through your own video or folder of
frames with one tracker, and write its boxes, its time per frame and a video with the box drawn."""

import argparse
import sys

from minicnn.backend import known_backends
from minicnn.cli_options import (files_not_in_the_way, frames_per_second, output_folder,
                                 refuse_tracking_on_the_simulator, tracking_backend_problem, video_output,
                                 whole_number)


TRACK_SUBCOMMANDS = ("make-sequences", "show")
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
"""Files a frame folder given to ``minicnn track`` may hold (other files are ignored): the sequence readers'
``IMAGE_SUFFIXES``, written out so that the command starts without importing the tracking code (a test holds the two
equal)."""
FFMPEG_VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")
"""Video files imageio reads only through the imageio-ffmpeg package (GIF needs nothing extra)."""


class TrackInputError(ValueError):
    """What ``minicnn track FRAMES_DIR_OR_VIDEO`` was given cannot be tracked: the message says why and what to give.

    The command prints it as a usage error and exits with status 2."""


def _ffmpeg_available():
    import importlib.util

    return importlib.util.find_spec("imageio_ffmpeg") is not None


def parse_box(text, argument="--box"):
    """``"x,y,w,h"`` (commas and/or spaces) → four floats; ``TrackInputError`` naming ``argument`` otherwise."""
    import re

    fields = [f for f in re.split(r"[,\s]+", str(text).strip()) if f]
    try:
        values = [float(f) for f in fields]
    except ValueError:
        values = []
    if len(values) != 4:
        raise TrackInputError(f"{argument}: expected four numbers x,y,w,h, got {text!r}")
    return values


def _folder_frames(folder):
    """The frame files of ``folder`` sorted by name (digit runs as numbers), all checked to have one size."""
    from PIL import Image

    from minicnn.track.sequences import is_frame_file, natural_key

    files = sorted((p for p in folder.iterdir() if p.is_file() and is_frame_file(p, FRAME_SUFFIXES)),
                   key=natural_key)
    if not files:
        inner = [p for p in folder.iterdir() if p.is_dir() and p.name.lower() == "img"]
        sequence = f" (an OTB sequence? its frames are in {inner[0]})" if inner else ""
        raise TrackInputError(
            f"FRAMES_DIR_OR_VIDEO: the folder {folder} holds no frames; expected image files named in frame order "
            f"({', '.join(FRAME_SUFFIXES)}), e.g. 0001.jpg, 0002.jpg, ...{sequence}"
        )
    first_size = None
    for path in files:
        try:
            with Image.open(path) as image:  # reads the header only
                size = image.size
        except (OSError, ValueError) as error:
            raise TrackInputError(f"FRAMES_DIR_OR_VIDEO: cannot read the frame {path}: {error}") from None
        if first_size is None:
            first_size = size
        elif size != first_size:
            raise TrackInputError(
                f"FRAMES_DIR_OR_VIDEO: frames of different sizes: {files[0].name} is {first_size[0]}×{first_size[1]} "
                f"but {path.name} is {size[0]}×{size[1]} (width×height); every frame must have the first one's size"
            )
    return files


class VideoReader:
    """The frames of the video ``path``, decoded when asked for and one held at a time: ``frame(index)`` is frame
    ``index`` as ``(H, W, 3)`` uint8 RGB. Tracking and drawing ask for the frames in order, which the decoding serves
    as it goes; an earlier frame starts it again from the first. (A video held whole in memory took 6 MB a frame at
    1080p: a minute of a phone's video, 11 GB.)"""

    def __init__(self, path):
        self.path = path
        self._images = None  # the decoding under way: an iterator over (index, image)
        self._last = (-1, None)  # (index, frame) of the image it decoded last

    def images(self):
        """Every image of the video, decoded afresh, as ``(index, image as imageio gives it)``."""
        import imageio.v3 as iio

        return enumerate(iio.imiter(self.path))

    def as_frame(self, image, index):
        """Image ``index`` of the video as ``(H, W, 3)`` uint8 RGB: alpha dropped, grey repeated, 16-bit scaled."""
        import numpy as np

        from minicnn.track.sequences import as_8_bit
        from minicnn.track.trackers.base import as_rgb_frame

        image = np.asarray(image)
        if image.ndim == 3 and image.shape[2] == 4:
            image = image[:, :, :3]
        where = f"frame {index + 1} of {self.path.name}"
        return as_rgb_frame(as_8_bit(image, where, source=self.path), where)

    def frame(self, index):
        """Frame ``index``: the one decoded last again, else decoded on from there (from the first, for an earlier
        one)."""
        if self._last[0] == index:
            return self._last[1]
        if self._images is None or index < self._last[0]:
            self._images = self.images()
        for decoded, image in self._images:
            if decoded == index:
                self._last = (index, self.as_frame(image, index))
                return self._last[1]
        raise IndexError(f"{self.path}: frame {index + 1} asked for, but the video has fewer frames")


class VideoFrame:
    """Frame ``index`` of a ``VideoReader``, decoded when NumPy asks for it (``np.array(frame)``, as a ``Sequence``
    reads its frames), each time as a new array."""

    def __init__(self, reader, index):
        self.reader, self.index = reader, index

    def __array__(self, dtype=None, copy=None):
        frame = self.reader.frame(self.index)
        return frame.astype(dtype) if dtype is not None else frame.copy()


def _video_frames(path):
    """The frames of the video ``path`` (``VideoFrame``s of one ``VideoReader``), decoded once now to count them and
    to check that every one can be read and has the first one's size; then each is decoded again when tracked or
    drawn, and none is held."""
    reader = VideoReader(path)
    count, first_shape = 0, None
    try:
        for index, image in reader.images():
            frame = reader.as_frame(image, index)
            if first_shape is not None and frame.shape != first_shape:
                raise TrackInputError(
                    f"FRAMES_DIR_OR_VIDEO: frames of different sizes in {path}: frame 1 is "
                    f"{first_shape[1]}×{first_shape[0]} but frame {index + 1} is "
                    f"{frame.shape[1]}×{frame.shape[0]} (width×height)"
                )
            first_shape, count = frame.shape, index + 1
    except TrackInputError:
        raise
    except Exception as error:  # noqa: BLE001 - imageio raises many types for files it cannot decode
        suffix = path.suffix.lower()
        if suffix in FFMPEG_VIDEO_SUFFIXES and not _ffmpeg_available():
            raise TrackInputError(
                f"FRAMES_DIR_OR_VIDEO: reading {suffix} videos such as {path} needs the imageio-ffmpeg package, "
                "which is not installed: pip install imageio-ffmpeg (GIF files and folders of frames work without it)"
            ) from None
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise TrackInputError(
            f"FRAMES_DIR_OR_VIDEO: cannot read {path} as a video ({first_line}); expected a folder of frames or a "
            "video file (GIF always; MP4 and other formats when imageio-ffmpeg is installed)"
        ) from None
    if not count:
        raise TrackInputError(f"FRAMES_DIR_OR_VIDEO: the video {path} holds no frames")
    return [VideoFrame(reader, index) for index in range(count)]


def load_track_input(path):
    """The frames of a folder or a video given to ``minicnn track``: ``(name, frames)``.

    A folder gives its image files (``FRAME_SUFFIXES``) sorted by name, digit runs compared as numbers, read one at a
    time when used; a video file (GIF, or MP4 and others through imageio-ffmpeg) gives its frames as ``VideoFrame``s,
    each decoded as ``(H, W, 3)`` uint8 RGB when used. ``name`` is the folder's name (the sequence's, for an OTB
    sequence's ``img``) or the video's name without its extension. Raises ``TrackInputError`` for a missing path, an
    empty folder, an unreadable video, or frames of different sizes.
    """
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise TrackInputError(
            f"FRAMES_DIR_OR_VIDEO: {path} does not exist; expected a folder of frames or a video file"
        )
    if path.is_dir():
        folder = path.resolve()
        named = folder.parent if folder.name.lower() == "img" else folder  # OTB: every sequence's frames are in img/
        return named.name, _folder_frames(path)
    if path.suffix.lower() in FRAME_SUFFIXES:
        raise TrackInputError(
            f"FRAMES_DIR_OR_VIDEO: {path} is a single image; give the folder that holds the frames, or a video file"
        )
    return path.stem, _video_frames(path)


def frame_range(frames, first, last, source):
    """``frames[first - 1:last]``: the frames from ``--first-frame`` to ``--last-frame`` (counted from 1, both
    included; None: to the end) of ``source``'s, refused by option where they are not its frames."""
    if first > len(frames):
        raise TrackInputError(f"--first-frame: expected one of the {len(frames)} frames of {source}, got {first}")
    if last is not None and last < first:
        raise TrackInputError(f"--last-frame: expected at least --first-frame ({first}), got {last}")
    if last is not None and last > len(frames):
        raise TrackInputError(f"--last-frame: expected one of the {len(frames)} frames of {source}, got {last}")
    return frames[first - 1:last]


def check_video_out(out_video, option="--out-video"):
    from minicnn.track.plots import VIDEO_SUFFIXES

    suffix = out_video.suffix.lower()
    if not (out_video.is_dir() or suffix == "" or suffix in VIDEO_SUFFIXES):
        raise TrackInputError(
            f"{option}: expected a .gif file, an .mp4 file or a folder (for 0001.png, 0002.png, ...), "
            f"got {str(out_video)!r}"
        )
    if suffix == ".mp4" and not _ffmpeg_available():
        raise TrackInputError(
            f"{option}: writing {str(out_video)!r} as .mp4 needs the imageio-ffmpeg package, which is not "
            "installed: pip install imageio-ffmpeg, or write a .gif or a folder of PNGs instead"
        )


def _tracker_of_yours(parser, args):
    """``(the tracker, its NAME)`` for ``--tracker MODULE:NAME``: the class or function ``NAME`` of ``MODULE.py`` in
    the current folder, called with no arguments; ``--weights`` is refused (it is for our trackers)."""
    from minicnn.cli import _your_tracker
    from minicnn.track.trackers import OUR_TRACKERS

    if args.weights is not None:
        raise TrackInputError(f"--weights: for our trackers ({', '.join(OUR_TRACKERS)}); {args.tracker} is yours")
    name, factory = _your_tracker(parser, args.tracker, "--tracker")
    try:
        return factory(), name
    except Exception as error:  # noqa: BLE001 - the student's constructor: its error, in one line
        raise TrackInputError(f"--tracker {args.tracker}: {name}() could not be built: {type(error).__name__}: "
                              f"{error}") from None


def _run_name(tracker, weights, backend=None, frames=None):
    """The default output folder's last part: the tracker, the network where ``--weights`` gives one, the backend
    where ``--backend`` gives one other than numba and ``frames`` (first, last) where only those were tracked, so
    that runs of one video with other trackers, networks, backends (other times) or frames are kept side by side
    (README's two lines, with and without --weights, wrote one folder, the second run over the first)."""
    from minicnn.track.trackers import backend_suffix, weights_suffix

    part = "" if frames is None else f"-frames{frames[0]}-{frames[1]}"
    return f"{str(tracker).lower()}{weights_suffix(weights)}{backend_suffix(backend)}{part}"


def _warn_if_the_gif_is_large(frame_shape, frames, every, out_video):
    """Before any work: say where the GIF of the drawn frames would hold more than ``plots.GIF_MEMORY_WARNING`` bytes
    in memory while it is written (a long video: 300 KB a frame at 640×480), and what keeps it smaller."""
    import math

    from minicnn.track import plots

    drawn = math.ceil(frames / every)
    size = plots.gif_bytes(frame_shape, drawn)
    if size <= plots.GIF_MEMORY_WARNING:
        return
    thinner = every * math.ceil(size / plots.GIF_MEMORY_WARNING)
    amount = f"{size / 1e9:.1f} GB" if size >= 1e8 else f"{size / 1e6:.1f} MB"
    print(f"warning: {out_video} will hold {drawn:,} frames, about {amount} in memory until it is "
          f"written (a GIF is written whole); --every {thinner} draws fewer, and an .mp4 or a folder given to "
          f"--out-video is written a frame at a time", file=sys.stderr)


def track_input_command(args, parser):
    """``minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h``: run one tracker over the frames, write the boxes, the
    times and a video with the box drawn. Returns the exit status: 0, or 1 when the tracker raised part-way."""
    from pathlib import Path

    import numpy as np

    from minicnn.progress import ProgressBar
    from minicnn.track import plots
    from minicnn.track.boxes import to_otb
    from minicnn.track.evaluate import track_sequence, warm_up
    from minicnn.track.sequences import Sequence, atomic_write_text
    from minicnn.errors import BackendError
    from minicnn.track.trackers import OUR_TRACKERS, OurTracker, available_trackers, make_tracker
    from minicnn.track.trackers.base import check_box

    try:
        box = parse_box(args.box)
        if args.backend is not None and str(args.tracker).lower() not in OUR_TRACKERS:
            raise TrackInputError(f"--backend: for our trackers ({', '.join(OUR_TRACKERS)}), which run a network; "
                                  f"{args.tracker} has none")
        if ":" in str(args.tracker):  # one of yours, MODULE:NAME, as eval takes it
            tracker, args.tracker = _tracker_of_yours(parser, args)
        else:
            try:
                refuse_tracking_on_the_simulator(args.backend)
                tracker = make_tracker(args.tracker, weights=args.weights, backend=args.backend or "numba")
            except BackendError as error:  # cuda without a GPU
                raise TrackInputError(f"--backend {args.backend}: {tracking_backend_problem(error)}") from None
            except (ValueError, ImportError, OSError, RuntimeError) as error:  # unknown, or cannot be built here
                known = available_trackers()
                if str(args.tracker).lower() not in known:
                    raise TrackInputError(
                        f"--tracker: unknown tracker {args.tracker!r}; available: {', '.join(sorted(known))}"
                    ) from None
                raise TrackInputError(f"--tracker {args.tracker}: {error}") from None
        name, frames = load_track_input(args.input)
        total = len(frames)
        frames = frame_range(frames, args.first_frame, args.last_frame, args.input)
        part = (args.first_frame, args.first_frame + len(frames) - 1) if len(frames) < total else None
        run = _run_name(args.tracker, args.weights, args.backend, part)
        out = Path(args.out) if args.out else Path("minicnn_track") / name / run
        out_video = Path(args.out_video) if args.out_video else out / "track.gif"
        check_video_out(out_video)
        if out_video.resolve() == Path(args.input).resolve():
            raise TrackInputError(f"--out-video: {str(out_video)!r} is the input itself, which writing the video "
                                  "would overwrite; give another file or folder")
        sequence = Sequence(name, frames, np.array([box]))
        try:
            box = check_box(box, sequence.frame_shape, argument="--box")
        except ValueError as error:
            raise TrackInputError(str(error)) from None
        output_folder(parser, out, "--out")
        files_not_in_the_way(parser, out, ("trajectory.txt", "times.txt"), "--out")
        video_output(parser, out_video, "--out-video")
        if plots.output_kind(out_video) == "gif":
            _warn_if_the_gif_is_large(sequence.frame_shape, len(sequence), args.every, out_video)
        built_in = str(args.tracker).lower()
        if built_in in available_trackers():  # its kernels compiled untimed first, as minicnn eval does
            warm_up(built_in, OurTracker(built_in, args.weights, args.backend or "numba")
                    if built_in in OUR_TRACKERS else None, sequence)
        with ProgressBar(len(sequence), unit="frame", enabled=not args.quiet, label="tracking") as bar:
            try:
                run = track_sequence(tracker, sequence, args.tracker, on_frame=lambda index: bar.update(index + 1))
            except (OSError, ValueError) as error:  # reading a frame; the tracker's own errors are kept in the run
                raise TrackInputError(f"FRAMES_DIR_OR_VIDEO: {error}") from None
            bar.finish()
    except TrackInputError as error:
        parser.error(str(error))
    status = 0
    if run.failed_at is not None:
        first_line = (run.error or "").splitlines()[0]
        print(f"warning: {args.tracker} raised at frame {run.failed_at + 1}: {first_line}; that frame and the "
              "ones after it are written as nan", file=sys.stderr)
        status = 1

    out.mkdir(parents=True, exist_ok=True)
    rects = to_otb(run.boxes, integer=False)  # the evaluation's result format: 1-based x,y,w,h, nan where none
    rects[~np.all(np.isfinite(run.boxes), axis=1)] = np.nan
    trajectory, times = out / "trajectory.txt", out / "times.txt"
    atomic_write_text(trajectory, "".join(",".join(f"{v:.2f}" for v in row) + "\n" for row in rects))
    atomic_write_text(times, "".join(f"{s:.6f}\n" for s in run.frame_seconds))
    video = plots.render_sequence(sequence, {args.tracker: run.boxes}, out_video, every=args.every, fps=args.fps,
                                  progress=not args.quiet, first_number=args.first_frame)
    lost = int(np.sum(~np.all(np.isfinite(run.boxes), axis=1)))
    speed = (f"at {run.fps:.1f} FPS (time inside init and update)" if len(run.frame_seconds)
             else "(it raised on the first frame)")
    span = f" (frames {part[0]}–{part[1]})" if part else ""
    print(f"Tracked {len(run.frame_seconds)} of {len(sequence)} frames{span} of {name} with {args.tracker} {speed}; "
          f"no box in {lost} frames")
    print(f"Wrote:\n  {trajectory.resolve()}  boxes, OTB's 1-based x,y,w,h per frame{span} (nan where lost)"
          f"\n  {times.resolve()}  seconds per frame (the first line is init)"
          f"\n  {video.resolve()}  the frames with the box drawn (green: the --box you gave, on the first frame)")
    return status


TRACK_USAGE = """minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h [--tracker NAME]
                     [--first-frame N] [--last-frame N] [--weights PATH]
                     [--backend NAME] [--out FOLDER] [--out-video PATH]
                     [--every N] [--fps N] [--quiet]
       minicnn track make-sequences --out FOLDER [options]
       minicnn track show --sequence NAME [options]"""
"""Lines within 80 characters, as the description below: argparse prints both as they are written."""

TRACK_DESCRIPTION = """Three uses:

  minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h
      follow one object through your own video (GIF; MP4 with imageio-ffmpeg)
      or folder of frames (.jpg/.jpeg/.png/.bmp/.tif, in name order), starting
      from its box x,y,w,h on the first frame (0-based pixels: left, top,
      width, height). Writes trajectory.txt, times.txt and track.gif into
      --out. Its options are below.
  minicnn track make-sequences --out FOLDER
      generate OTB-layout tracking sequences from real photos
      (see: minicnn track make-sequences --help)
  minicnn track show --sequence NAME [--trackers kcf,csrt]
      draw the ground truth and trackers' boxes on a sequence of a suite
      (see: minicnn track show --help)"""


def track_input_parser():
    from minicnn.track.trackers import available_trackers

    parser = argparse.ArgumentParser(
        prog="minicnn track", usage=TRACK_USAGE,
        description="Follow one object through a video or a folder of frames, starting from its box on the first "
                    "frame; write its boxes, the time per frame and a video with the box drawn.")
    parser.add_argument("input", metavar="FRAMES_DIR_OR_VIDEO",
                        help="a folder of frames (.jpg, .jpeg, .png, .bmp, .tif; sorted by name, numbers in names "
                             "compared as numbers) or a video file readable by imageio (GIF; MP4 and others need "
                             "pip install imageio-ffmpeg), decoded a frame at a time as it is tracked and drawn")
    parser.add_argument("--box", required=True, metavar="x,y,w,h",
                        help="the object's box on the first frame (--first-frame), 0-based pixels: left, top, "
                             "width, height (write --box=-3,5,40,30 when x is negative)")
    parser.add_argument("--first-frame", type=whole_number(1), default=1, metavar="N",
                        help="the frame, counted from 1, that --box is on and tracking starts from, for an object "
                             "that comes in later (default: 1)")
    parser.add_argument("--last-frame", type=whole_number(1), metavar="N",
                        help="the last frame to track, counted from 1 (default: the last one)")
    parser.add_argument("--tracker", default="siamese", metavar="NAME",
                        help="tracker name (default: %(default)s); known now: "
                             + ", ".join(sorted(available_trackers()))
                             + "; or one of yours as MODULE:NAME (a class or function NAME in MODULE.py)")
    parser.add_argument("--weights", metavar="PATH",
                        help="the network's weights for siamese, cnn and hybrid: a siamese.npz written by "
                             "`minicnn train siamese` (default: the weights shipped with minicnn)")
    parser.add_argument("--backend", choices=known_backends(),
                        help="where our trackers run their network (default: numba; cuda on a GPU)")
    parser.add_argument("--out", metavar="FOLDER",
                        help="folder for trajectory.txt, times.txt and track.gif (default: "
                             "minicnn_track/<input name>/<tracker>, and -weights-<its SHA-256's first 8 digits> with "
                             "--weights, -<backend> with a --backend other than numba, -frames<first>-<last> for a "
                             "part of the input)")
    parser.add_argument("--out-video", metavar="PATH",
                        help="where the video goes instead of FOLDER/track.gif: a .gif (at most 640 pixels a side, "
                             "held in memory until written: 300 KB a frame, use --every or a folder for long videos), "
                             "an .mp4 (needs imageio-ffmpeg) or a folder for 0001.png, 0002.png, ... (full size)")
    parser.add_argument("--every", type=whole_number(1), default=1, metavar="N",
                        help="draw every n-th frame in the video (all frames are tracked; default: 1)")
    parser.add_argument("--fps", type=frames_per_second, default=20, metavar="N",
                        help="frames per second of the video (default: 20)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def track_input_epilog():
    """The arguments of ``minicnn track FRAMES_DIR_OR_VIDEO`` as its help lists them, for ``minicnn track --help``."""
    text = track_input_parser().format_help()
    sections = text[text.index("positional arguments:"):].splitlines()
    sections = [line for line in sections if "show this help message and exit" not in line]
    return "Arguments of minicnn track FRAMES_DIR_OR_VIDEO:\n\n" + "\n".join(sections)


def is_track_input(argv):
    """True for ``track ...`` command lines that are not ``track make-sequences | show`` or ``track --help``."""
    if len(argv) < 1 or argv[0] != "track":
        return False
    return len(argv) == 1 or argv[1] not in (*TRACK_SUBCOMMANDS, "-h", "--help")
