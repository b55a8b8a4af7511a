"""minicnn's own trackers against OpenCV's classic ones, on the default tracking suite (and optionally others).

    python benchmarks/track.py                                   # all trackers, the default suite (seed 0)
    python benchmarks/track.py --seeds 0,1                       # also a second suite, generated with seed 1
    python benchmarks/track.py --trackers kcf-nothresh,mosse     # a subset
    python benchmarks/track.py --jobs 4                          # sequences in 4 processes

Each suite is ``minicnn eval``'s default one (``minicnn.cli.default_suite``: 20 sequences, generated once into
``$MINICNN_DATA`` or ``~/.cache/minicnn`` and reused). A tracker name that ``make_tracker`` does not know, or one that
cannot be built here (OpenCV missing), is reported and skipped, so the default list works before every tracker
exists. Each tracker is evaluated on its own (``minicnn.track.evaluate.evaluate``, ``--jobs`` processes), so its wall
time is its own; FPS counts only the time inside ``init`` and ``update`` (see ``Evaluation.fps``) and is cleanest
with ``--jobs 1``, since processes share the cores. Nothing is resumed: every run starts afresh.

Prints, per suite, the evaluation's table (AUC, P@20, normalised precision, AO, SR0.5, FPS, crashes, then success
AUC per attribute) and each tracker's wall time; writes ``benchmarks/results/track.json`` (per suite, per tracker:
auc, p20, fps, per-attribute auc, crashes, wall seconds) and the success / precision plots into
``benchmarks/results/track/seedN/``. The per-run result files are not kept.
"""

import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from minicnn.cli import default_suite  # noqa: E402
from minicnn.cli_options import output_folder, whole_number  # noqa: E402
from minicnn.track.evaluate import Evaluation, evaluate, warm_up  # noqa: E402
from minicnn.track.sequences import atomic_write_text, read_sequences  # noqa: E402
from minicnn.track.trackers import available_trackers, make_tracker  # noqa: E402

DEFAULT_TRACKERS = "siamese,siamese-nomotion,cnn,hybrid,kcf,kcf-nothresh,csrt,mil,mosse,medianflow"


def _comma_list(text):
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def _seeds(text):
    try:
        return [int(seed) for seed in _comma_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers such as 0,1, got {text!r}") from None


def usable_trackers(names):
    """Split ``names`` into those ``make_tracker`` can build here and a dict name → why it was skipped (a name it
    does not know; a missing package or weight file)."""
    usable, skipped = [], {}
    for name in names:
        try:
            make_tracker(name)
        except (ValueError, ImportError, OSError, RuntimeError) as error:
            known = str(name).lower() in available_trackers()
            skipped[name] = f"cannot be built here ({error})" if known else "make_tracker does not know it"
        else:
            usable.append(name)
    return usable, skipped


def run_suite(names, sequences, jobs, progress):
    """Evaluate each tracker on its own, after ``warm_up`` (our trackers' kernels compiled, untimed, in this
    process: the wall time leaves it out too); returns the combined ``Evaluation`` and each tracker's wall
    seconds."""
    runs, wall = {}, {}
    for name in names:
        warm_up(name, None, sequences[0])
        start = time.perf_counter()
        evaluation = evaluate([name], sequences, None, jobs=jobs, progress=progress, resume=False)
        wall[name] = time.perf_counter() - start
        runs.update(evaluation.runs)
    return Evaluation(names, sequences, runs), wall


def tracker_record(evaluation, name, wall_s):
    """One tracker's numbers for the JSON file, all taken from ``evaluation``."""
    score, got = evaluation.score(name), evaluation.got10k(name)
    crashes = evaluation.failures(name)
    return {
        "auc": score.auc,
        "p20": score.precision_20,
        "norm_precision": score.normalized_precision_score,
        "ao": got.ao if got else None,  # None: no frame after the first has ground truth
        "sr50": got.sr50 if got else None,
        "fps": evaluation.fps(name),
        "wall_s": wall_s,
        "attributes": {tag: s.auc for tag, (s, _) in evaluation.by_attribute(name).items()},
        "crashes": len(crashes),
        "crashed": [{"sequence": run.sequence, "frame": run.failed_at + 1,
                     "error": (run.error or "").splitlines()[0] if run.error else ""} for run in crashes],
        "lost_frames": sum(evaluation.runs[name, s.name].lost_frames for s in evaluation.sequences),
    }


def machine_record():
    """What the figures depend on: the platform, the libraries, Numba's threads, the BLAS environment, and the load
    average (other processes share the cores: a figure taken under load is no figure of minicnn's)."""
    import numba

    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
               "numba": numba.__version__, "numba_threads": numba.get_num_threads(),
               "environment": {key: os.environ.get(key) for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                                     "OPENBLAS_NUM_THREADS", "GOMP_SPINCOUNT",
                                                                     "OMP_WAIT_POLICY")},
               "load_average_1min": os.getloadavg()[0]}
    try:
        import cv2

        machine["opencv"] = cv2.__version__
    except ImportError:
        machine["opencv"] = None
    import numpy

    machine["numpy"] = numpy.__version__
    return machine


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trackers", type=_comma_list, default=DEFAULT_TRACKERS,
                        help="comma-separated tracker names (default: %(default)s)")
    parser.add_argument("--seeds", type=_seeds, default="0",
                        help="comma-separated seeds of the suites to run, e.g. 0,1 (default: %(default)s)")
    parser.add_argument("--count", type=whole_number(1), default=20, help="sequences per suite (default: %(default)s)")
    parser.add_argument("--jobs", type=whole_number(1), default=1,
                        help="processes to run sequences in (default: %(default)s)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for track.json and track/ (default: benchmarks/results)")
    parser.add_argument("--attribute-plots", action="store_true",
                        help="also write a success / precision plot pair per attribute tag")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    output_folder(parser, args.out, "--out")  # before the minutes of tracking, not after them

    names, skipped = usable_trackers(args.trackers)
    for name, reason in skipped.items():
        print(f"skipped {name}: {reason}")
    if not names:
        parser.error(f"--trackers: none of {', '.join(args.trackers)} can run here")

    record = {"machine": machine_record(),
              "options": {"trackers": args.trackers, "seeds": args.seeds, "count": args.count, "jobs": args.jobs},
              "skipped": skipped, "suites": {}}
    plot_root = os.path.join(args.out, "track")
    written = []
    for seed in args.seeds:
        sequences = read_sequences(default_suite(seed, args.count, progress=not args.quiet))
        frames = sum(len(s) for s in sequences)
        plural = ("s" if len(names) > 1 else "", "es" if args.jobs > 1 else "")
        print(f"\n=== Suite seed {seed}: {len(sequences)} sequences, {frames} frames; "
              f"{len(names)} tracker{plural[0]}, {args.jobs} process{plural[1]}")
        evaluation, wall = run_suite(names, sequences, args.jobs, progress=not args.quiet)
        print(evaluation.table())
        print("\nWall seconds (the whole suite, reading frames included): "
              + ", ".join(f"{name} {wall[name]:.1f}" for name in evaluation.ranked()))
        key = f"seed{seed}"
        record["suites"][key] = {
            "seed": seed, "sequences": len(sequences), "frames": frames,
            "ranked": evaluation.ranked(),
            "trackers": {name: tracker_record(evaluation, name, wall[name]) for name in names},
        }
        written += evaluation.save_plots(os.path.join(plot_root, key), per_attribute=args.attribute_plots)

    os.makedirs(args.out, exist_ok=True)
    json_path = os.path.join(args.out, "track.json")
    record["machine"]["load_average_1min_at_the_end"] = os.getloadavg()[0]
    atomic_write_text(json_path, json.dumps(record, indent=1) + "\n")
    print(f"\nWrote {json_path} and {len(written)} plots under {plot_root}")
    return record


if __name__ == "__main__":
    main()
