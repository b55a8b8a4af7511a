"""The ``minicnn`` command: ``demo`` trains the document's network; ``bench`` times the kernels; ``eval`` scores
trackers over sequences; ``track VIDEO --box x,y,w,h`` follows an object through your own video or frame folder;
``track make-sequences | show`` makes and draws tracking sequences."""

import argparse
import os
import sys
import tempfile
import time
import warnings

from minicnn.backend import get_backend, known_backends, set_backend
from minicnn.errors import BackendError


def demo(epochs=10, batch_size=32, seed=0, out="minicnn_demo", verbose=1, backend_name=None):
    """Train the document's network on faces vs non-faces, report the test accuracy, and save two plots.

    ``backend_name`` (``"numba"``, ``"numpy"``, ``"cuda"``) is set first when given; otherwise the active backend
    (``MINICNN_BACKEND``, else numba) runs. Returns ``(test_loss, test_accuracy, seconds, paths)``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minicnn import Adam, datasets
    from minicnn.models import document_network
    from minicnn.plots import plot_feature_maps, save_figure

    if backend_name is not None:
        set_backend(backend_name)
    _refuse_the_simulator()
    print(f"Backend: {get_backend()}")
    start = time.perf_counter()
    data = datasets.load_faces(size=32, seed=seed)
    print(f"Data: scikit-image's LFW subset, faces vs non-faces, 32×32 grey: {len(data.x_train)} training, "
          f"{len(data.x_val)} validation, {len(data.x_test)} test images")
    model = document_network(input_shape=(32, 32, 1), seed=seed)
    model.summary()
    model.compile(optimizer=Adam(learning_rate=0.001), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(data.x_train, data.y_train, validation_data=(data.x_val, data.y_val), epochs=epochs,
                        batch_size=batch_size, seed=seed, augment=datasets.augment, verbose=verbose)
    loss, accuracy = model.evaluate(data.x_test, data.y_test)
    seconds = time.perf_counter() - start
    print(f"\nTest accuracy: {accuracy:.1%} ({round(accuracy * len(data.x_test))}/{len(data.x_test)} images), "
          f"test loss {loss:.4f}, in {seconds:.1f} s")

    os.makedirs(out, exist_ok=True)
    paths = [os.path.join(out, "learning_curves.png"), os.path.join(out, "feature_maps.png")]
    figure = history.plot()
    figure.suptitle("The document's network on faces vs non-faces")
    figure.tight_layout()
    save_figure(figure, paths[0], dpi=110)
    face = data.x_test[int(data.y_test[:, 0].argmax())]
    save_figure(plot_feature_maps(model, face, layer_index=0, title="First convolution's 32 feature maps of a test "
                                  "face"), paths[1], dpi=110)
    plt.close("all")
    print("Plots written to:\n  " + "\n  ".join(os.path.abspath(p) for p in paths))
    return loss, accuracy, seconds, paths


def _refuse_the_simulator():
    """Raise ``BackendError`` when the active backend is cuda on numba's CUDA simulator: the demo's training would
    run every GPU thread as Python, for days."""
    if get_backend() != "cuda":
        return
    from minicnn.kernels import cuda

    if cuda.is_simulator():
        raise BackendError("the 'cuda' backend is running on numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1), which "
                           "runs every GPU thread as Python: one forward pass of the demo's first convolution on one "
                           "batch takes minutes there, so its training would take days. The simulator is for the "
                           "tests and small shapes (notebook 11); run the demo with --backend numba, or on a machine "
                           "with a GPU")


def bench(arguments):
    """Run ``benchmarks/conv.py`` of the source checkout this package was installed from."""
    import runpy

    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "conv.py")
    if not os.path.exists(script):
        print(f"minicnn bench: {script} not found; the benchmarks live in the source checkout "
              "(install with 'pip install -e .' from a clone)", file=sys.stderr)
        return 1
    runpy.run_path(script, run_name="minicnn_bench")["main"](arguments, prog="minicnn bench")
    return 0


DEFAULT_SUITE_VERSION = 1
DEFAULT_SUITE_SEED, DEFAULT_SUITE_COUNT = 0, 20


def default_suite(seed=DEFAULT_SUITE_SEED, count=DEFAULT_SUITE_COUNT, progress=True):
    """The default tracking suite's folder, generated on first use into ``$MINICNN_DATA`` (or ~/.cache/minicnn)."""
    from minicnn.track.evaluate import default_data_dir
    from minicnn.track.generator import make_suite

    folder = default_data_dir() / f"suite-v{DEFAULT_SUITE_VERSION}-seed{seed}-count{count}"
    if not (folder / "complete").is_file():
        print(f"Generating the default tracking suite ({count} sequences, seed {seed}) into {folder} ...")
        make_suite(folder, seed=seed, count=count, progress=progress)
        (folder / "complete").write_text("generated by minicnn\n")
    return folder


def _sequences(data, seed=DEFAULT_SUITE_SEED, count=DEFAULT_SUITE_COUNT, names=None, progress=True):
    from minicnn.track.sequences import read_sequences

    from minicnn.track.evaluate import check_startable

    folder = default_suite(seed, count, progress) if data is None else data
    sequences = read_sequences(folder, names=names)
    for sequence in sequences:
        check_startable(sequence)
    for sequence in sequences:
        problems = sequence.problems()
        if problems:
            print(f"warning: {sequence.name}: " + "; ".join(problems[:5]), file=sys.stderr)
    return folder, sequences


def _names(text):
    return None if not text else [t.strip() for t in text.split(",") if t.strip()]


def eval_command(args, parser):
    """``minicnn eval``: run trackers over a folder of sequences, print the table, write the plots."""
    from pathlib import Path

    from minicnn.track.evaluate import evaluate, save_got10k_submission
    from minicnn.track.sequences import SequenceError, atomic_write_text

    trackers = tracker_specs(parser, args.trackers)
    names = _names(args.sequences)
    if args.sequences is not None and not names:
        parser.error(f"--sequences: expected comma-separated sequence names, got {args.sequences!r}")
    twice = sorted({name for name in names or [] if names.count(name) > 1})
    if twice:
        parser.error(f"--sequences: each sequence once, got {', '.join(twice)} more than once")
    specs = _with_weights(parser, trackers, args.weights)
    folder, sequences = suite_sequences(parser, args, names, "--sequences")
    results = Path(args.results) if args.results else Path("minicnn_results") / Path(folder).name
    output_folder(parser, results, "--results")
    try:
        evaluation = evaluate(specs, sequences, results, jobs=args.jobs, scheduler=args.scheduler,
                              progress=not args.quiet, resume=not args.no_resume)
    except SequenceError as error:
        parser.error(f"{error} (the runs that finished are saved in {results}: mend or leave out that sequence "
                     f"with --sequences, and the same command goes on)")
    except (OSError, ValueError) as error:
        if args.scheduler is None:
            raise
        parser.error(f"--scheduler {args.scheduler}: {error}")
    table = evaluation.table()
    if args.jobs > 1 and args.scheduler is None:  # the processes shared the cores: each tracker's FPS is lower
        table += (f"\n! FPS: {args.jobs} processes shared this machine's {os.cpu_count()} cores; --jobs 1 times each "
                  f"tracker on its own")
    print()
    print(table)
    atomic_write_text(results / "table.txt", table + "\n")
    if not evaluation.scored:
        archives = save_got10k_submission(evaluation, results / "got10k_submission")
        print(f"\nResult files and this table (table.txt) in {results.resolve()}; no plots: nothing to score. For "
              "GOT-10k's evaluation server, in its toolkit's layout:\n  " + "\n  ".join(str(a) for a in archives))
        return evaluation
    paths = evaluation.save_plots(results / "plots")
    print(f"\nResult files and this table (table.txt) in {results.resolve()}; plots:\n  "
          + "\n  ".join(str(p) for p in paths[:2])
          + (f"\n  ... and {len(paths) - 2} per-attribute plots" if len(paths) > 2 else ""))
    return evaluation


def _with_weights(parser, trackers, weights):
    """``evaluate``'s trackers (``{name: factory}``, None for a built-in tracker) as given, or with ``--weights`` a
    factory with that network for each of our trackers (OpenCV's and yours are kept as they are)."""
    if weights is None:
        return trackers
    from minicnn.track.trackers import OUR_TRACKERS, WithWeights

    ours = [name for name, factory in trackers.items() if factory is None and name in OUR_TRACKERS]
    if not ours:
        parser.error(f"--weights: for our trackers ({', '.join(OUR_TRACKERS)}), and --trackers names none of them")
    try:
        return {name: WithWeights(name, weights) if name in ours else factory for name, factory in trackers.items()}
    except (ValueError, OSError) as error:
        parser.error(f"--weights: {error}")


def track_command(args, parser):
    """``minicnn track make-sequences | show``."""
    from pathlib import Path

    if args.track_command == "make-sequences":
        from minicnn.track.generator import make_suite
        from minicnn.track.sequences import detect_layout

        if args.max_frames < args.min_frames:
            parser.error(f"--max-frames: expected at least --min-frames ({args.min_frames}), got {args.max_frames}")
        output_folder(parser, args.out, "--out")
        paths = make_suite(args.out, seed=args.seed, count=args.count, n_frames=(args.min_frames, args.max_frames),
                           progress=not args.quiet)
        print(f"{len(paths)} sequences written to {Path(args.out).resolve()} (OTB layout)")
        written = {Path(path).resolve() for path in paths}
        others = sorted(folder.name for folder in Path(args.out).iterdir()
                        if folder.is_dir() and folder.resolve() not in written and detect_layout(folder))
        if others:
            print(f"warning: {args.out} also holds {len(others)} sequence{'s' if len(others) > 1 else ''} this run "
                  f"did not write ({', '.join(others[:5])}{', ...' if len(others) > 5 else ''}), from an earlier run "
                  "with other settings: minicnn eval --data on it scores them too; use an empty folder for a suite "
                  "of its own", file=sys.stderr)
        return paths
    from minicnn.track import plots
    from minicnn.track.evaluate import evaluate

    trackers = tracker_specs(parser, args.trackers) if args.trackers is not None else {}
    folder, sequences = suite_sequences(parser, args, [args.sequence], "--sequence")
    sequence = sequences[0]
    results = Path(args.results) if args.results else Path("minicnn_results") / Path(folder).name
    out = Path(args.out or f"{sequence.name}.gif")
    try:
        _check_video_out(out, "--out")
    except TrackInputError as error:
        parser.error(str(error))
    video_output(parser, out, "--out")
    if args.sheet:
        _check_sheet(parser, args.sheet)
    tracks = {}
    if trackers:
        output_folder(parser, results, "--results")
        from minicnn.track.sequences import SequenceError

        try:
            evaluation = evaluate(trackers, [sequence], results, progress=not args.quiet)
        except SequenceError as error:
            parser.error(str(error))
        tracks = {name: evaluation.runs[name, sequence.name].boxes for name in evaluation.trackers}
    written = plots.render_sequence(sequence, tracks, out, every=args.every, fps=args.fps, progress=not args.quiet)
    print(f"Wrote {written}")
    if args.sheet:
        import matplotlib

        matplotlib.use("Agg")
        figure = plots.contact_sheet(sequence, tracks)
        plots.save_figure(figure, args.sheet, dpi=100)
        print(f"Wrote {args.sheet}")
    return written


def _check_sheet(parser, sheet):
    """``--sheet``: a file of a kind matplotlib saves, in a folder that can be written into, checked before any work."""
    from pathlib import Path

    from matplotlib.figure import Figure

    kinds = Figure().canvas.get_supported_filetypes()
    if Path(sheet).suffix.lower()[1:] not in kinds:
        parser.error(f"--sheet: expected an image file name ending in one of {', '.join('.' + k for k in sorted(kinds))}"
                     f", got {sheet!r}")
    output_file(parser, sheet, "--sheet")


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

    from minicnn.track.sequences import natural_key

    files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES),
                   key=natural_key)
    if not files:
        raise TrackInputError(
            f"FRAMES_DIR_OR_VIDEO: the folder {folder} holds no frames; expected image files named in frame order "
            f"({', '.join(FRAME_SUFFIXES)}), e.g. 0001.jpg, 0002.jpg, ..."
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


def _video_frames(path):
    """Every frame of the video ``path`` as ``(H, W, 3)`` uint8 RGB (held in memory), all of one size."""
    import imageio.v3 as iio
    import numpy as np

    from minicnn.track.trackers.base import as_rgb_frame

    frames = []
    try:
        for index, image in enumerate(iio.imiter(path)):
            image = np.asarray(image)
            if image.ndim == 3 and image.shape[2] == 4:
                image = image[:, :, :3]
            if image.dtype != np.uint8:
                image = np.clip(image, 0, 255).astype(np.uint8)
            frame = as_rgb_frame(image, f"frame {index + 1} of {path.name}")
            if frames and frame.shape != frames[0].shape:
                raise TrackInputError(
                    f"FRAMES_DIR_OR_VIDEO: frames of different sizes in {path}: frame 1 is "
                    f"{frames[0].shape[1]}×{frames[0].shape[0]} but frame {index + 1} is "
                    f"{frame.shape[1]}×{frame.shape[0]} (width×height)"
                )
            frames.append(frame)
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
    if not frames:
        raise TrackInputError(f"FRAMES_DIR_OR_VIDEO: the video {path} holds no frames")
    return frames


def load_track_input(path):
    """The frames of a folder or a video given to ``minicnn track``: ``(name, frames)``.

    A folder gives its image files (``FRAME_SUFFIXES``) sorted by name, digit runs compared as numbers, read one at a
    time when used; a video file (GIF, or MP4 and others through imageio-ffmpeg) gives its frames decoded into memory
    as ``(H, W, 3)`` uint8 RGB. ``name`` is the folder's name (the sequence's, for an OTB sequence's ``img``) or the
    video's name without its extension. Raises
    ``TrackInputError`` for a missing path, an empty folder, an unreadable video, or frames of different sizes.
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


def _check_video_out(out_video, option="--out-video"):
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


def track_input_command(args, parser):
    """``minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h``: run one tracker over the frames, write the boxes, the
    times and a video with the box drawn. Returns the exit status: 0, or 1 when the tracker raised part-way."""
    from pathlib import Path

    import numpy as np

    from minicnn.progress import ProgressBar
    from minicnn.track import plots
    from minicnn.track.boxes import to_otb
    from minicnn.track.evaluate import track_sequence
    from minicnn.track.sequences import Sequence, atomic_write_text
    from minicnn.track.trackers import available_trackers, make_tracker
    from minicnn.track.trackers.base import check_box

    try:
        box = parse_box(args.box)
        try:
            tracker = make_tracker(args.tracker, weights=args.weights)
        except (ValueError, ImportError, OSError, RuntimeError) as error:  # unknown, or cannot be built here
            known = available_trackers()
            if str(args.tracker).lower() not in known:
                raise TrackInputError(
                    f"--tracker: unknown tracker {args.tracker!r}; available: {', '.join(sorted(known))}"
                ) from None
            raise TrackInputError(f"--tracker {args.tracker}: {error}") from None
        name, frames = load_track_input(args.input)
        out = Path(args.out) if args.out else Path("minicnn_track") / name
        out_video = Path(args.out_video) if args.out_video else out / "track.gif"
        _check_video_out(out_video)
        if out_video.resolve() == Path(args.input).resolve():
            raise TrackInputError(f"--out-video: {str(out_video)!r} is the input itself, which writing the video "
                                  "would overwrite; give another file or folder")
        sequence = Sequence(name, frames, np.array([box]))
        try:
            box = check_box(box, sequence.frame_shape, argument="--box")
        except ValueError as error:
            raise TrackInputError(str(error)) from None
        output_folder(parser, out, "--out")
        video_output(parser, out_video, "--out-video")
        bar = ProgressBar(len(sequence), unit="frame", enabled=not args.quiet)
        try:
            run = track_sequence(tracker, sequence, args.tracker, on_frame=lambda index: bar.update(index + 1))
        except (OSError, ValueError) as error:  # reading a frame; the tracker's own errors are kept in the run
            raise TrackInputError(f"FRAMES_DIR_OR_VIDEO: {error}") from None
    except TrackInputError as error:
        parser.error(str(error))
    bar.finish()
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
                                  progress=not args.quiet)
    lost = int(np.sum(~np.all(np.isfinite(run.boxes), axis=1)))
    print(f"Tracked {len(run.frame_seconds)} of {len(sequence)} frames of {name} with {args.tracker} at "
          f"{run.fps:.1f} FPS (time inside init and update); no box in {lost} frames")
    print(f"Wrote:\n  {trajectory.resolve()}  boxes, OTB's 1-based x,y,w,h per frame (nan where lost)"
          f"\n  {times.resolve()}  seconds per frame (the first line is init)"
          f"\n  {video.resolve()}  the frames with the box drawn (green: the --box you gave, on the first frame)")
    return status


TRACK_USAGE = """minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h [--tracker NAME] [--weights PATH] [--out FOLDER]
                     [--out-video PATH] [--every N] [--fps N] [--quiet]
       minicnn track make-sequences --out FOLDER [options]
       minicnn track show --sequence NAME [options]"""

TRACK_DESCRIPTION = """Three uses:

  minicnn track FRAMES_DIR_OR_VIDEO --box x,y,w,h
      follow one object through your own video (GIF; MP4 with imageio-ffmpeg) or folder of frames
      (.jpg/.jpeg/.png/.bmp/.tif, in name order), starting from its box x,y,w,h on the first frame (0-based pixels:
      left, top, width, height). Writes trajectory.txt, times.txt and track.gif into --out. Its options are below.
  minicnn track make-sequences --out FOLDER
      generate OTB-layout tracking sequences from real photos (see: minicnn track make-sequences --help)
  minicnn track show --sequence NAME [--trackers kcf,csrt]
      draw the ground truth and trackers' boxes on a sequence of a suite (see: minicnn track show --help)"""


def _track_input_parser():
    from minicnn.track.trackers import available_trackers

    parser = argparse.ArgumentParser(
        prog="minicnn track", usage=TRACK_USAGE,
        description="Follow one object through a video or a folder of frames, starting from its box on the first "
                    "frame; write its boxes, the time per frame and a video with the box drawn.")
    parser.add_argument("input", metavar="FRAMES_DIR_OR_VIDEO",
                        help="a folder of frames (.jpg, .jpeg, .png, .bmp, .tif; sorted by name, numbers in names "
                             "compared as numbers) or a video file readable by imageio (GIF; MP4 and others need "
                             "pip install imageio-ffmpeg); a video's frames are held in memory")
    parser.add_argument("--box", required=True, metavar="x,y,w,h",
                        help="the object's box on the first frame, 0-based pixels: left, top, width, height "
                             "(write --box=-3,5,40,30 when x is negative)")
    parser.add_argument("--tracker", default="siamese", metavar="NAME",
                        help="tracker name (default: %(default)s); known now: "
                             + ", ".join(sorted(available_trackers())))
    parser.add_argument("--weights", metavar="PATH",
                        help="the network's weights for siamese, cnn and hybrid: a siamese.npz written by "
                             "`minicnn train siamese` (default: the weights shipped with minicnn)")
    parser.add_argument("--out", metavar="FOLDER",
                        help="folder for trajectory.txt, times.txt and track.gif (default: minicnn_track/<input name>)")
    parser.add_argument("--out-video", metavar="PATH",
                        help="where the video goes instead of FOLDER/track.gif: a .gif, an .mp4 (needs imageio-ffmpeg) "
                             "or a folder for 0001.png, 0002.png, ...")
    parser.add_argument("--every", type=whole_number(1), default=1, metavar="N",
                        help="draw every n-th frame in the video (all frames are tracked; default: 1)")
    parser.add_argument("--fps", type=frames_per_second, default=20, metavar="N",
                        help="frames per second of the video (default: 20)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _track_input_epilog():
    """The arguments of ``minicnn track FRAMES_DIR_OR_VIDEO`` as its help lists them, for ``minicnn track --help``."""
    text = _track_input_parser().format_help()
    sections = text[text.index("positional arguments:"):].splitlines()
    sections = [line for line in sections if "show this help message and exit" not in line]
    return "Arguments of minicnn track FRAMES_DIR_OR_VIDEO:\n\n" + "\n".join(sections)


def _is_track_input(argv):
    """True for ``track ...`` command lines that are not ``track make-sequences | show`` or ``track --help``."""
    if len(argv) < 1 or argv[0] != "track":
        return False
    return len(argv) == 1 or argv[1] not in (*TRACK_SUBCOMMANDS, "-h", "--help")


def train_command(args, parser):
    """``minicnn train siamese``: train the Siamese tracker's network, with checkpoints and a learning curve."""
    from pathlib import Path

    from minicnn.track.trackers.training import train_siamese

    try:
        channels = tuple(int(c) for c in args.channels.split(","))
    except ValueError:
        parser.error(f"--channels: expected five comma-separated integers, got {args.channels!r}")
    if len(channels) != 5:
        parser.error(f"--channels: expected five comma-separated integers, got {args.channels!r}")
    output_folder(parser, args.out, "--out")
    try:
        train_siamese(args.out, pairs=args.pairs, epochs=args.epochs, batch_size=args.batch_size,
                      learning_rate=args.learning_rate, seed=args.seed, channels=channels, progress=not args.quiet,
                      resume=not args.no_resume)
    except (ValueError, BackendError, FloatingPointError) as error:
        parser.error(str(error))
    except OSError as error:  # a full disk, a file that is a folder: each file is written whole or not at all
        print(f"minicnn train siamese: could not write into --out {args.out}: {error}. Every file there is whole "
              f"(written beside it, then renamed); once that is fixed, the same command goes on from the last "
              f"checkpoint", file=sys.stderr)
        return 1
    out = Path(args.out).resolve()
    print(f"Weights: {out / 'siamese.npz'}  (learning curve: {out / 'learning_curve.png'})")
    print(f"Use them with: minicnn track VIDEO --box x,y,w,h --weights {out / 'siamese.npz'}, "
          f"minicnn eval --trackers siamese --weights {out / 'siamese.npz'}, "
          f"or SiameseTracker(weights={str(out / 'siamese.npz')!r})")


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


def _remove_empty_folders_made():
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


def tracker_names(parser, text, option="--trackers"):
    """The comma-separated tracker names of ``option``, each one ``make_tracker`` knows, in lower case (the name of
    their results' folder: KCF and kcf are one tracker), each once."""
    return list(tracker_specs(parser, text, option, yours=False))


def tracker_specs(parser, text, option="--trackers", yours=True):
    """``{name: factory}`` for the comma-separated trackers of ``option``: names ``make_tracker`` knows, in lower
    case (the name of their results' folder: KCF and kcf are one tracker; factory None), and, with ``yours``, a
    tracker of your own written ``MODULE:NAME``, a class or function ``NAME`` of ``MODULE`` (``MODULE.py`` in the
    current folder, or an installed module), kept under ``NAME``; each once."""
    from minicnn.track.trackers import available_trackers

    known = available_trackers()
    specs = {}
    for name in _names(text) or []:
        if ":" in name and yours:
            tracker, factory = _your_tracker(parser, name, option)
            if tracker.lower() in known:
                parser.error(f"{option}: {name!r}: a tracker of yours needs a name of its own, and {tracker!r} is "
                             f"one of ours (its results would be mixed with ours); rename it")
            specs[tracker] = factory
        else:
            specs.setdefault(name.lower(), None)
    if not specs:
        parser.error(f"{option}: expected comma-separated tracker names such as kcf,csrt, got {text!r}")
    unknown = [name for name, factory in specs.items() if factory is None and name not in known]
    if unknown:
        parser.error(f"{option}: unknown tracker{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                     f"available: {', '.join(sorted(known))}" + (", or one of yours as MODULE:NAME (a class or "
                                                                 "function NAME in MODULE.py)" if yours else ""))
    return specs


def _your_tracker(parser, spec, option):
    """``(NAME, the class or function)`` of ``MODULE:NAME``, imported with the current folder on the path."""
    import importlib

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute.isidentifier():
        parser.error(f"{option}: {spec!r}: a tracker of yours is written MODULE:NAME, e.g. my_trackers:MyTracker")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name.split(".")[0] and error.name != module_name:
            parser.error(f"{option}: {spec!r}: importing {module_name} failed: {error}")
        parser.error(f"{option}: {spec!r}: no module {module_name!r} (a file {module_name}.py in the current folder "
                     f"{os.getcwd()}, or an installed module)")
    except Exception as error:  # the module of yours raised while it was imported
        parser.error(f"{option}: {spec!r}: importing {module_name} failed: {type(error).__name__}: {error}")
    factory = getattr(module, attribute, None)
    if not callable(factory):
        defined = sorted(name for name, value in vars(module).items()
                         if callable(value) and not name.startswith("_") and getattr(value, "__module__", None)
                         == module.__name__)
        parser.error(f"{option}: {spec!r}: {module_name} has no class or function {attribute!r}"
                     + (f"; it defines {', '.join(defined)}" if defined else ""))
    return attribute, factory


def suite_sequences(parser, args, names, names_option):
    """The sequences of ``--data`` (or the default suite), by name when ``names`` is given; refused by option."""
    from pathlib import Path

    if args.data is not None and (args.seed is not None or args.count is not None):
        given = " and ".join(option for option, value in (("--seed", args.seed), ("--count", args.count))
                             if value is not None)
        parser.error(f"{given}: they choose the generated default suite, and --data gives the sequences instead; "
                     "leave them out, or leave out --data")
    if args.data is not None and not Path(args.data).is_dir():
        parser.error(f"--data: expected a folder of OTB- or GOT-10k-layout sequences, got {args.data!r}"
                     + (" (a file)" if Path(args.data).exists() else " (it does not exist)"))
    try:
        return _sequences(args.data, DEFAULT_SUITE_SEED if args.seed is None else args.seed,
                          DEFAULT_SUITE_COUNT if args.count is None else args.count, names, not args.quiet)
    except FileNotFoundError as error:
        parser.error(f"--data: {error}")
    except ValueError as error:
        parser.error(f"{names_option if names else '--data'}: {error}")


def _add_suite_options(parser):
    parser.add_argument("--data", help="folder of OTB- or GOT-10k-layout sequences (default: the generated suite)")
    parser.add_argument("--seed", type=whole_number(0),
                        help=f"seed of the generated default suite, without --data (default: {DEFAULT_SUITE_SEED})")
    parser.add_argument("--count", type=whole_number(1),
                        help=f"sequences in the generated default suite, without --data (default: "
                        f"{DEFAULT_SUITE_COUNT})")
    parser.add_argument("--results", help="folder for result files (default: minicnn_results/<data folder name>)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _warning_line(message, category, filename, lineno, line=None):
    """Warnings on the command line as one line, ``warning: …``, without Python's file:line and source line."""
    return f"warning: {message}\n"


def main(argv=None):
    """Run one ``minicnn`` command; its exit status (130 after Ctrl-C, as a shell reports it, with a line saying
    so instead of a traceback). If it fails, the output folders it made and left empty are removed again."""
    FOLDERS_MADE.clear()
    try:
        return _run_command(argv)
    except KeyboardInterrupt:
        _remove_empty_folders_made()
        arguments = sys.argv[1:] if argv is None else list(argv)
        if arguments[:1] in (["eval"], ["train"]):  # they save as they go, and resume
            again = "the same command without --no-resume" if "--no-resume" in arguments else "the same command"
            print(f"minicnn: interrupted (what finished is saved: {again} goes on from there)", file=sys.stderr)
        else:
            print("minicnn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # what reads the output stopped early (minicnn exercise check … | head): end quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # else the exit's flush fails again
        except (OSError, ValueError):
            pass
        return 1
    except BaseException as stop:
        if not (isinstance(stop, SystemExit) and stop.code in (0, None)):
            _remove_empty_folders_made()
        raise


def _run_command(argv):
    if argv is None:  # the minicnn command itself (tests and scripts pass argv): warnings as one line each
        warnings.formatwarning = _warning_line
    argv = sys.argv[1:] if argv is None else list(argv)
    if _is_track_input(argv):
        track_parser = _track_input_parser()
        return track_input_command(track_parser.parse_args(argv[1:]), track_parser)
    parser = argparse.ArgumentParser(prog="minicnn", description="minicnn: a small CNN framework for teaching")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="train the document's network on faces vs non-faces")
    demo_parser.add_argument("--epochs", type=whole_number(1), default=10,
                             help="passes over the training images (default: %(default)s)")
    demo_parser.add_argument("--batch-size", type=whole_number(1), default=32,
                             help="images per training step (default: %(default)s)")
    demo_parser.add_argument("--seed", type=whole_number(0), default=0,
                             help="the data split, initial weights and augmentation (default: %(default)s)")
    demo_parser.add_argument("--out", default="minicnn_demo", help="folder for the plots (default: %(default)s)")
    demo_parser.add_argument("--quiet", action="store_true", help="no progress bars")
    demo_parser.add_argument("--backend", choices=known_backends(),
                             help="where the kernels run (default: the MINICNN_BACKEND variable, else numba); cuda "
                             "needs an NVIDIA GPU")
    commands.add_parser("bench", help="time the kernels against NumPy and PyTorch (benchmarks/conv.py); its options "
                        "(--quick, --compile, …; see 'minicnn bench --help') are passed on", add_help=False)
    eval_parser = commands.add_parser("eval", help="run trackers over sequences; print the OTB table, write plots")
    eval_parser.add_argument("--trackers", default="kcf,csrt,mil,mosse,medianflow",
                             help="comma-separated tracker names, and trackers of yours as MODULE:NAME (a class or "
                                  "function NAME in MODULE.py of the current folder) (default: %(default)s)")
    eval_parser.add_argument("--sequences", help="comma-separated sequence names (default: all)")
    eval_parser.add_argument("--jobs", type=whole_number(1), default=1,
                             help="processes to run sequences in (default: 1)")
    eval_parser.add_argument("--scheduler", help="Dask scheduler address to run the tasks on instead")
    eval_parser.add_argument("--no-resume", action="store_true", help="rerun sequences that have result files")
    eval_parser.add_argument("--weights", help="a network of 'minicnn train siamese' (siamese.npz) for our trackers "
                             "(siamese, siamese-nomotion, cnn, hybrid) instead of the shipped one; their results made "
                             "with other weights are run again")
    _add_suite_options(eval_parser)
    track_parser = commands.add_parser(
        "track", help="follow an object through your video (track VIDEO --box x,y,w,h); make-sequences; show",
        usage=TRACK_USAGE, description=TRACK_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_track_input_epilog())
    track_commands = track_parser.add_subparsers(dest="track_command", required=True, prog="minicnn track")
    make_parser = track_commands.add_parser("make-sequences", help="generate OTB-layout sequences from real photos")
    make_parser.add_argument("--out", required=True, help="folder to write the sequences into")
    make_parser.add_argument("--seed", type=whole_number(0), default=0, help="(default: %(default)s)")
    make_parser.add_argument("--count", type=whole_number(1), default=20,
                             help="number of sequences (default: %(default)s)")
    make_parser.add_argument("--min-frames", type=whole_number(2), default=100,
                             help="frames of the shortest sequence (default: %(default)s)")
    make_parser.add_argument("--max-frames", type=whole_number(2), default=200,
                             help="frames of the longest sequence (default: %(default)s)")
    make_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    show_parser = track_commands.add_parser("show", help="draw ground truth and trackers' boxes on a sequence")
    show_parser.add_argument("--sequence", required=True, help="the sequence's name")
    show_parser.add_argument("--trackers", help="comma-separated trackers to run (or reuse results of) and draw; "
                                                "yours as MODULE:NAME")
    show_parser.add_argument("--out", help="a .gif, .mp4 or a folder for PNG frames (default: <sequence>.gif)")
    show_parser.add_argument("--sheet", help="also save a contact sheet of a few frames (e.g. sheet.png)")
    show_parser.add_argument("--every", type=whole_number(1), default=1, help="draw every n-th frame (default: 1)")
    show_parser.add_argument("--fps", type=frames_per_second, default=20,
                             help="frames per second of the video (default: 20)")
    _add_suite_options(show_parser)
    train_parser = commands.add_parser("train", help="train a tracker's network: train siamese")
    train_commands = train_parser.add_subparsers(dest="train_command", required=True)
    siamese_parser = train_commands.add_parser(
        "siamese", help="train the Siamese tracker's network on pairs cut from the bundled photos (the CNN and "
        "hybrid trackers use the same network)")
    siamese_parser.add_argument("--out", default="minicnn_siamese",
                                help="folder for checkpoint.npz, siamese.npz, learning_curve.png (default: "
                                "%(default)s); rerunning the same command resumes from its checkpoint")
    siamese_parser.add_argument("--pairs", type=whole_number(1), default=12_000,
                                help="pairs per epoch (default: %(default)s)")
    siamese_parser.add_argument("--epochs", type=whole_number(1), default=2, help="(default: %(default)s)")
    siamese_parser.add_argument("--batch-size", type=whole_number(1), default=8, help="(default: %(default)s)")
    siamese_parser.add_argument("--learning-rate", type=positive_number, default=1e-3,
                                help="Adam's step size at the start; it falls to a tenth (default: %(default)s)")
    siamese_parser.add_argument("--seed", type=whole_number(0), default=0,
                                help="pairs and initial weights (default: 0)")
    siamese_parser.add_argument("--channels", default="32,48,64,96,96",
                                help="widths of the five convolutions (default: %(default)s)")
    siamese_parser.add_argument("--no-resume", action="store_true", help="start afresh even if a checkpoint exists")
    siamese_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    commands.add_parser("exercise", help="course exercises: list | task NAME | starter NAME | check NAME FILE | "
                        "solution NAME", add_help=False)
    args, extra = parser.parse_known_args(argv)
    if args.command == "exercise":
        from minicnn import exercises

        return exercises.cli(extra)
    if args.command == "bench":
        return bench(extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "demo":
        output_folder(demo_parser, args.out, "--out")
        try:
            demo(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, out=args.out,
                 verbose=0 if args.quiet else 1, backend_name=args.backend)
        except BackendError as error:
            parser.error(f"demo{f' --backend {args.backend}' if args.backend else ''}: {error}")
    elif args.command == "eval":
        eval_command(args, eval_parser)
    elif args.command == "track":
        track_command(args, make_parser if args.track_command == "make-sequences" else show_parser)
    elif args.command == "train":
        return train_command(args, siamese_parser) or 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
