"""The ``minicnn`` command: ``demo`` trains the document's network; ``bench`` times the kernels; ``eval`` scores
trackers over sequences; ``track VIDEO --box x,y,w,h`` follows an object through your own video or frame folder
(``cli_track``); ``track make-sequences | show`` makes and draws tracking sequences; ``train siamese`` trains the
trackers' network. The argument types and output folders they share are in ``cli_options``."""

import argparse
import copy
import errno
import os
import sys
import time
import warnings

from minicnn import __version__, checks
from minicnn.backend import get_backend, known_backends, set_backend
from minicnn.cli_options import (FOLDERS_MADE, files_not_in_the_way, frames_per_second, output_file, output_folder,
                                 positive_number, refuse_the_simulator, refuse_tracking_on_the_simulator,
                                 remove_empty_folders_made, tracking_backend_problem, video_output, whole_number)
from minicnn.cli_track import (TRACK_DESCRIPTION, TRACK_USAGE, TrackInputError, check_video_out, is_track_input,
                               track_input_command, track_input_epilog, track_input_parser)
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
    refuse_the_simulator(get_backend(), "one forward pass of the demo's first convolution on one batch takes "
                         "minutes there, so its training would take days", "run the demo with --backend numba")
    print(f"Backend: {get_backend()}")
    start = time.perf_counter()
    data = datasets.load_faces(size=32, seed=seed)
    print(f"Data: scikit-image's LFW subset, faces vs non-faces, 32×32 grey: {len(data.x_train)} training, "
          f"{len(data.x_val)} validation, {len(data.x_test)} test images")
    model = document_network(input_shape=(32, 32, 1), seed=seed)
    model.summary()
    model.compile(optimizer=Adam(learning_rate=0.001), loss="binary_crossentropy", metrics=["accuracy"])
    if get_backend() == "numba":
        _load_the_kernels(model, data)
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


def _load_the_kernels(model, data):
    """One training step of a copy of ``model`` on two images, with a line that says what it is for: on a first run
    Numba compiles its kernels there (about 20 s, once; then cached), which was a silent pause inside epoch 1 whose
    time-left guess it spoiled."""
    print("Loading minicnn's Numba kernels (a first run compiles them: about 20 s, once) ...", end=" ", flush=True)
    start = time.perf_counter()
    copy.deepcopy(model).train_on_batch(data.x_train[:2], data.y_train[:2])
    print(f"{time.perf_counter() - start:.1f} s")


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


def default_suite_folder(seed=DEFAULT_SUITE_SEED, count=DEFAULT_SUITE_COUNT):
    """Where the default tracking suite of ``seed`` and ``count`` is generated: in ``$MINICNN_DATA`` (or
    ~/.cache/minicnn); it is there once the folder holds a file ``complete``."""
    from minicnn.track.evaluate import default_data_dir

    return default_data_dir() / f"suite-v{DEFAULT_SUITE_VERSION}-seed{seed}-count{count}"


def default_suite(seed=DEFAULT_SUITE_SEED, count=DEFAULT_SUITE_COUNT, progress=True):
    """The default tracking suite's folder, generated on first use into ``$MINICNN_DATA`` (or ~/.cache/minicnn)."""
    from minicnn.track.generator import make_suite

    folder = default_suite_folder(seed, count)
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
    from minicnn.track.evaluate import evaluate, save_got10k_submission
    from minicnn.track.sequences import SequenceError, atomic_write_text
    from minicnn.track.trackers import backend_suffix

    trackers = tracker_specs(parser, args.trackers)
    names = _names(args.sequences)
    if args.sequences is not None and not names:
        parser.error(f"--sequences: expected comma-separated sequence names, got {args.sequences!r}")
    twice = sorted({name for name in names or [] if names.count(name) > 1})
    if twice:
        parser.error(f"--sequences: each sequence once, got {', '.join(twice)} more than once")
    specs, cannot_run = _our_trackers_as_asked(parser, trackers, args.weights, args.backend)
    folder, sequences = suite_sequences(parser, args, names, "--sequences")
    results = _results_folder(args, folder)
    output_folder(parser, results, "--results")
    _check_saved_runs(parser, specs, sequences, results, not args.no_resume, cannot_run)
    for tracker in specs:  # each tracker's result folder, before any tracker runs: not a traceback after them all
        output_folder(parser, results / tracker, "--results")
    files_not_in_the_way(parser, results, ("table.txt",), "--results")
    for name in ("plots", "got10k_submission"):
        if (results / name).is_file():
            parser.error(f"--results: {results / name} is a file, where the evaluation writes a folder; move it "
                         "away, or give another --results folder")
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
    ours = [name for name, factory in specs.items() if factory is not trackers[name]]  # given --weights, --backend
    if args.weights is not None:
        from minicnn.track.trackers import weights_digest

        table += f"\n! {', '.join(ours)}: the network of {args.weights} (sha256 {weights_digest(args.weights)})"
    if backend_suffix(args.backend):
        table += f"\n! {', '.join(ours)}: the network run on the {args.backend} backend"
    if args.jobs > 1 and args.scheduler is None:  # the processes shared the cores: each tracker's FPS is lower
        table += (f"\n! FPS: {args.jobs} processes shared this machine's {os.cpu_count()} cores; --jobs 1 times each "
                  f"tracker on its own")
    print()
    print(table)
    atomic_write_text(results / "table.txt", table + "\n")
    if not evaluation.scored and not evaluation.test_split:
        print(f"\nResult files and this table (table.txt) in {results.resolve()}; no plots: nothing to score.")
        return evaluation
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


def _results_folder(args, data_folder):
    """``--results``, or by default ``minicnn_results/<data folder name>``; with ``--weights``, beside the shipped
    network's results and not in their place: ``minicnn_results/<data folder name>-weights-<SHA-256's first 8>``;
    with ``--backend`` other than numba, ``-<backend>`` after that (``minicnn_results/data-cuda``)."""
    from pathlib import Path

    if args.results:
        return Path(args.results)
    from minicnn.track.trackers import backend_suffix, weights_suffix

    suffix = weights_suffix(args.weights) + backend_suffix(args.backend)
    from minicnn.track.sequences import folder_name

    name = folder_name(data_folder) or "data"  # --data .. or . names the folder, not ".." or ""
    return Path("minicnn_results") / f"{name}{suffix}"


def _our_trackers_as_asked(parser, trackers, weights, backend):
    """``evaluate``'s trackers (``{name: factory}``, None for a built-in tracker) as given, or with ``--weights``
    or a ``--backend`` other than numba a factory with that network on that backend for each of our trackers
    (OpenCV's and yours are kept as they are); and what stops that backend here, or None. A backend that cannot run
    here (cuda without a GPU; on numba's CUDA simulator, where tracking would take days) is refused by
    ``_check_saved_runs`` unless every run is saved already (made on a GPU, scored here)."""
    from minicnn.track.trackers import OUR_TRACKERS, OurTracker, backend_suffix

    if weights is None and backend is None:
        return trackers, None
    option = "--weights" if weights is not None else "--backend"
    ours = [name for name, factory in trackers.items() if factory is None and name in OUR_TRACKERS]
    if not ours:  # --backend numba too (the default, named): minicnn track refuses it for OpenCV's trackers as well
        if not trackers:
            named = "no --trackers names them"
        elif parser.get_default("trackers") is not None and set(trackers) == set(
                tracker_names(parser, parser.get_default("trackers"))):
            named = (f"the default trackers ({', '.join(trackers)}) are OpenCV's: name ours with them, e.g. "
                     f"--trackers {next(iter(OUR_TRACKERS))},{','.join(trackers)}")
        else:
            named = "--trackers names none of them"
        parser.error(f"{option}: for our trackers ({', '.join(OUR_TRACKERS)}), and {named}")
    if weights is None and not backend_suffix(backend):
        return trackers, None

    def factories(build):
        return {name: OurTracker(name, weights, backend or "numba", build=build) if name in ours else factory
                for name, factory in trackers.items()}

    try:
        try:
            refuse_tracking_on_the_simulator(backend)
            return factories(build=True), None
        except BackendError as error:  # cuda without a GPU, or on the simulator
            return factories(build=False), f"--backend {backend}: {tracking_backend_problem(error)}"
    except (ValueError, OSError) as error:
        parser.error(f"--weights: {error}")


def _check_saved_runs(parser, specs, sequences, results, resume, cannot_run):
    """Before any work, for our trackers in ``specs``: a resumed command does not replace the runs saved in
    ``results`` by one of our trackers of the same name with other weights or on another backend (they may have
    been made on a GPU); it is refused, with the options that would score them. Where this machine cannot run the
    asked backend (``cannot_run``, from ``_our_trackers_as_asked``), the runs are scored from their files where all
    are saved, and the command is refused where some are not."""
    import warnings

    from minicnn.track.evaluate import BUILT_IN, finished_run, made_from, recorded_made_by, tracker_made
    from minicnn.track.trackers import OUR_TRACKERS, OurTracker

    ours = {name: factory for name, factory in specs.items()
            if name in OUR_TRACKERS and (factory is None or isinstance(factory, OurTracker))}
    if resume:
        for name, factory in ours.items():
            now = tracker_made(name, factory)["made_by"]
            others = {}
            for sequence in sequences:
                recorded = recorded_made_by(results, name, sequence.name)
                if recorded is not None and recorded != now and _same_tracker_of_ours(recorded, BUILT_IN + name):
                    others.setdefault(recorded, []).append(sequence.name)
            for recorded, names in others.items():
                parser.error(f"--results {results}: it holds {_runs_text(names)} of {_made_by_text(recorded)}, and "
                             f"this command runs {_made_by_text(now)}, whose runs would replace them. To score them, "
                             f"{_options_for(recorded, now)}; to keep both, give another --results folder; to replace "
                             f"them, add --no-resume")
    if cannot_run is None:
        return
    if not resume:
        parser.error(f"{cannot_run}. --no-resume runs every run again, which needs the backend; without it, the runs "
                     f"saved in {results} are scored here where all are there")
    missing = []
    with warnings.catch_warnings():  # the evaluation that follows warns of unreadable files, if it gets that far
        warnings.simplefilter("ignore")
        for name, factory in ours.items():
            missing += [sequence.name for sequence in sequences
                        if finished_run(results, name, sequence, made_from(name, factory, sequence)) is None]
    if missing:
        total = len(ours) * len(sequences)
        parser.error(f"{cannot_run}. {results} holds {total - len(missing)} of the {total} runs asked for "
                     f"({', '.join(ours)} on {len(sequences)} sequence{'s' if len(sequences) > 1 else ''}); runs "
                     f"made on a machine where the backend runs are scored here once all are there")


def _same_tracker_of_ours(made_by, built_in_name):
    """Whether ``made_by`` names the tracker of ours ``built_in_name`` (``BUILT_IN`` and its name), with whatever
    weights and backend."""
    return made_by == built_in_name or made_by.startswith(built_in_name + " ")


def _network_and_backend(made_by):
    """The SHA-256 of the weights (None: the shipped network) and the backend of a tracker of ours as
    ``OurTracker.made_by`` names it."""
    import re

    weights = re.search(r" with weights sha256:([0-9a-f]+)", made_by)
    backend = re.search(r" on the (\w+) backend", made_by)
    return weights.group(1) if weights else None, backend.group(1) if backend else "numba"


def _made_by_text(made_by):
    """A tracker of ours as ``OurTracker.made_by`` names it, in words: "siamese (the network of sha256 1a2b3c4d...,
    on the cuda backend)"."""
    digest, backend = _network_and_backend(made_by)
    network = f"the network of sha256 {digest[:8]}..." if digest else "the shipped network"
    return f"{made_by.split(':', 1)[1].split(' ', 1)[0]} ({network}, on the {backend} backend)"


def _options_for(recorded, now):
    """What to change in a command running the tracker of ours that ``now`` names to run the one ``recorded``."""
    (recorded_digest, recorded_backend), (digest, backend) = _network_and_backend(recorded), _network_and_backend(now)
    options = []
    if recorded_backend != backend:
        options.append(f"--backend {recorded_backend}")
    if recorded_digest != digest:
        options.append(f"--weights with the network of sha256 {recorded_digest[:8]}..." if recorded_digest
                       else "no --weights (the shipped network)")
    return "give " + " and ".join(options) if options else "run the command that made them"


def _runs_text(sequence_names):
    shown = ", ".join(sequence_names[:3]) + (", ..." if len(sequence_names) > 3 else "")
    return f"{len(sequence_names)} run{'s' if len(sequence_names) > 1 else ''} ({shown})"


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
    from minicnn.track.plots import output_kind

    trackers = tracker_specs(parser, args.trackers) if args.trackers is not None else {}
    trackers, cannot_run = _our_trackers_as_asked(parser, trackers, args.weights, args.backend)
    folder, sequences = suite_sequences(parser, args, [args.sequence], "--sequence")
    sequence = sequences[0]
    results = _results_folder(args, folder)
    _check_saved_runs(parser, trackers, sequences, results, not args.no_resume, cannot_run)
    out = Path(args.out or f"{sequence.name}.gif")
    try:
        check_video_out(out, "--out")
    except TrackInputError as error:
        parser.error(str(error))
    frame_folders = {Path(frame).parent.resolve() for frame in sequence.frames if isinstance(frame, (str, Path))}
    if output_kind(out) == "folder" and out.resolve() in frame_folders:
        parser.error(f"--out: {str(out)!r} is the folder the sequence's frames are read from, where the drawn frames "
                     "(0001.png, ...) would mix with them; give another folder (or a .gif)")
    video_output(parser, out, "--out")
    if args.sheet:
        _check_sheet(parser, args.sheet)
    tracks = {}
    if trackers:
        output_folder(parser, results, "--results")
        from minicnn.track.sequences import SequenceError

        try:
            evaluation = evaluate(trackers, [sequence], results, progress=not args.quiet, resume=not args.no_resume)
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
        endings = ", ".join("." + kind for kind in sorted(kinds))
        parser.error(f"--sheet: expected an image file name ending in one of {endings}, got {sheet!r}")
    output_file(parser, sheet, "--sheet")


def train_command(args, parser):
    """``minicnn train siamese``: train the Siamese tracker's network, with checkpoints and a learning curve."""
    from pathlib import Path

    from minicnn.track.trackers.training import train_siamese

    try:
        channels = tuple(int(c) for c in args.channels.split(","))
    except ValueError:
        parser.error(f"--channels: expected five comma-separated integers, got {args.channels!r}")
    if len(channels) != 5 or min(channels) < 1:
        parser.error(f"--channels: expected five comma-separated positive integers, got {args.channels!r}")
    if args.batch_size > args.pairs:
        parser.error(f"--batch-size: expected at most --pairs ({args.pairs}), got {args.batch_size}")
    output_folder(parser, args.out, "--out")
    files_not_in_the_way(parser, args.out, ("siamese.npz", "learning_curve.png", "checkpoint.npz"), "--out")
    try:
        train_siamese(args.out, pairs=args.pairs, epochs=args.epochs, batch_size=args.batch_size,
                      learning_rate=args.learning_rate, seed=args.seed, channels=channels,
                      checkpoint_every=args.checkpoint_every, progress=not args.quiet, resume=not args.no_resume)
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
    specs, written = {}, {}
    for name in _names(text) or []:
        if ":" in name and yours:
            tracker, factory = _your_tracker(parser, name, option)
            if tracker.lower() in known:
                parser.error(f"{option}: {name!r}: a tracker of yours needs a name of its own, and {tracker!r} is "
                             f"one of ours (its results would be mixed with ours); rename it")
            if tracker in specs and specs[tracker] is not factory:  # v1:MyTracker,v2:MyTracker: one folder, one row
                parser.error(f"{option}: {written[tracker]!r} and {name!r} are both named {tracker!r}, the name "
                             f"their results and row are kept under; give one of the two classes another name")
            specs[tracker], written[tracker] = factory, name
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

    module_name, _, attribute = spec.rpartition(":")  # the last colon: a Windows path has a drive's too
    drive = len(module_name) > 2 and module_name[1] == ":" and module_name[0].isalpha() and module_name[2] in "\\/"
    if not module_name or not attribute.isidentifier() or (":" in module_name and not drive):
        parser.error(f"{option}: {spec!r}: a tracker of yours is written MODULE:NAME, e.g. my_trackers:MyTracker")
    if module_name.endswith(".py") or "/" in module_name or "\\" in module_name:  # a file's path, not a module
        folder, _, file = module_name.replace("\\", "/").rpartition("/")
        stem = file[:-3] if file.endswith(".py") else file
        parser.error(f"{option}: {spec!r}: give the module's name, not its file: {stem}:{attribute}, run from the "
                     f"folder that holds {stem}.py" + (f" ({module_name[:len(folder)]})" if folder else ""))
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
    if args.data is None:  # the default suite is generated on first use: into a folder that can be written
        folder = default_suite_folder(DEFAULT_SUITE_SEED if args.seed is None else args.seed,
                                      DEFAULT_SUITE_COUNT if args.count is None else args.count)
        if not (folder / "complete").is_file():
            output_folder(parser, folder.parent, "the default suite's folder (set MINICNN_DATA to another, or give "
                          "--data)")
    try:
        return _sequences(args.data, DEFAULT_SUITE_SEED if args.seed is None else args.seed,
                          DEFAULT_SUITE_COUNT if args.count is None else args.count, names, not args.quiet)
    except FileNotFoundError as error:
        parser.error(f"--data: {error}")
    except ValueError as error:  # a name that is not there, or the data of a sequence read
        parser.error(f"{names_option if str(error).startswith('names:') else '--data'}: {error}")


def _add_backend_option(parser):
    parser.add_argument("--backend", choices=known_backends(),
                        help="where our trackers run their network (default: numba); their results and times on "
                        "another backend are kept apart: without --results in minicnn_results/<data folder "
                        "name>-<backend>. Runs of cuda saved there are scored on a machine without a GPU too")


def _add_suite_options(parser):
    parser.add_argument("--data", help="folder of OTB- or GOT-10k-layout sequences (default: the generated suite, "
                        "made on first use in $MINICNN_DATA, else ~/.cache/minicnn)")
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


SAVED_AS_IT_GOES = {
    "eval": "each run that finished is saved",
    "train": "its checkpoint holds the steps finished (up to its last save after a second Ctrl-C during an update)",
}
"""What the commands that resume have saved when Ctrl-C stops them."""


def _interrupted(argv, interruption):
    """After Ctrl-C (or SIGTERM, SIGHUP: ``checks.Terminated``): the empty folders made are removed, a line says what
    stopped it and what the same command goes on from; the exit status a shell gives for the signal (130 for
    Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""
    remove_empty_folders_made()
    arguments = sys.argv[1:] if argv is None else list(argv)
    saved = SAVED_AS_IT_GOES.get(arguments[0] if arguments else None)
    by = f" by {interruption.signal_name}" if isinstance(interruption, checks.Terminated) else ""
    if saved:
        again = "the same command without --no-resume" if "--no-resume" in arguments else "the same command"
        print(f"minicnn: interrupted{by} ({saved}: {again} goes on from there)", file=sys.stderr)
    else:
        print(f"minicnn: interrupted{by}", file=sys.stderr)
    return getattr(interruption, "exit_status", 130)


def write_utf8_where_redirected(streams=None):
    """Output that goes to a file or a pipe in an encoding without minicnn's characters (Windows' cp1252 lacks ∂, Σ,
    →) is written in UTF-8, the encoding of Python source: ``minicnn exercise starter conv_forward > mine.py``
    failed with a UnicodeEncodeError and left mine.py empty. A terminal keeps its own encoding."""
    for stream in streams or (sys.stdout, sys.stderr):
        if stream is None or stream.isatty() or not hasattr(stream, "reconfigure"):  # None: closed (pythonw)
            continue
        try:
            "∂Σ→".encode(stream.encoding or "ascii")
        except (UnicodeEncodeError, LookupError):
            stream.reconfigure(encoding="utf-8")


DISK_FULL_OR_READ_ONLY = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}
"""The write errors ``main`` reports in one line (a full disk, a quota, a file size limit, a read-only disk), where
they ended a command in a traceback that named no file."""


def main(argv=None):
    """Run one ``minicnn`` command; its exit status (130 after Ctrl-C, 143 after SIGTERM, as a shell reports them,
    with a line saying so instead of a traceback). If it fails, the output folders it made and left empty are
    removed again."""
    FOLDERS_MADE.clear()
    try:
        try:
            return _run_command(argv)
        finally:  # written here, where a reader that is gone is caught, not at exit (block-buffered output)
            sys.stdout.flush()
    except KeyboardInterrupt as interruption:
        return _interrupted(argv, interruption)
    except SystemError as error:  # Ctrl-C inside a Numba kernel: "... returned a result with an exception set"
        interruption = checks.interruption_in(error)
        if interruption is not None:
            return _interrupted(argv, interruption)
        remove_empty_folders_made()
        raise
    except BrokenPipeError:  # what reads the output stopped early (minicnn exercise check … | head): end quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # else the exit's flush fails again
        except (OSError, ValueError):
            pass
        return 1
    except OSError as error:
        remove_empty_folders_made()
        arguments = sys.argv[1:] if argv is None else list(argv)
        if isinstance(error, PermissionError):
            print(f"minicnn {' '.join(arguments[:1])}: {error}: {_permission_advice(error)}", file=sys.stderr)
            return 1
        if error.errno not in DISK_FULL_OR_READ_ONLY:
            raise
        print(f"minicnn {' '.join(arguments[:1])}: could not write: {error}. Every file written is whole (written "
              f"beside its place, then renamed) and those there before are as they were; once there is room, the same "
              f"command goes on, or writes them again", file=sys.stderr)
        return 1
    except BaseException as stop:
        if not (isinstance(stop, SystemExit) and stop.code in (0, None)):
            remove_empty_folders_made()
        raise


def _permission_advice(error):
    """What to do about a PermissionError that stopped a command: a file that could not be replaced (on Windows,
    most often one open in another program), or one this user may not read or write."""
    from minicnn import weight_files

    if not getattr(error, "replacing", False):
        return "this user may not read or write it"
    if weight_files.OPEN_FILES_BLOCK_REPLACING:
        return ("the file could not be replaced: is it open in another program (Excel, an image viewer, OneDrive)? "
                "Close it and run the same command again; the file is as it was")
    return "the file could not be replaced (this user may not: another user's file?); the file is as it was"


def _run_command(argv):
    if argv is None:  # the minicnn command itself (tests and scripts pass argv): warnings as one line each
        warnings.formatwarning = _warning_line
        write_utf8_where_redirected()
        checks.stop_on_termination()
    argv = sys.argv[1:] if argv is None else list(argv)
    if is_track_input(argv):
        track_parser = track_input_parser()
        return track_input_command(track_parser.parse_args(argv[1:]), track_parser)
    parser = argparse.ArgumentParser(prog="minicnn", description="minicnn: a small CNN framework for teaching")
    parser.add_argument("--version", action="version", version=f"minicnn {__version__}")
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
    commands.add_parser("bench", help="time the kernels against NumPy and PyTorch (benchmarks/conv.py, in a clone "
                        "installed with pip install -e .); its options (--quick, --compile, …; see 'minicnn bench "
                        "--help') are passed on", add_help=False)
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
                             "with other weights are run again. Without --results they go to "
                             "minicnn_results/<data folder name>-weights-<its SHA-256's first 8 digits>, beside the "
                             "shipped network's")
    _add_backend_option(eval_parser)
    _add_suite_options(eval_parser)
    track_parser = commands.add_parser(
        "track", help="follow an object through your video (track VIDEO --box x,y,w,h); make-sequences; show",
        usage=TRACK_USAGE, description=TRACK_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=track_input_epilog())
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
    show_parser.add_argument("--no-resume", action="store_true", help="run --trackers again where result files "
                             "of theirs exist")
    show_parser.add_argument("--weights", help="a network of 'minicnn train siamese' for our trackers in --trackers, "
                             "as in 'minicnn eval --weights' (whose results it reuses)")
    _add_backend_option(show_parser)
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
    siamese_parser.add_argument("--checkpoint-every", type=whole_number(1), default=200, metavar="STEPS",
                                help="steps between checkpoints (default: %(default)s; one is also written at the end "
                                "of each epoch and when Ctrl-C or SIGTERM stops the run); fewer on a machine that may "
                                "be taken away at once (a spot instance, a job's hard limit)")
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
        files_not_in_the_way(demo_parser, args.out, ("learning_curves.png", "feature_maps.png"), "--out")
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
