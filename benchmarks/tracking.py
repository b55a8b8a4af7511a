"""Tracking-suite timings and scores: generating the default suite, then each classic tracker over it, in one run.

    python benchmarks/tracking.py                       # default suite (20 sequences), all OpenCV trackers
    python benchmarks/tracking.py --trackers kcf,csrt   # a subset
    python benchmarks/tracking.py --count 5             # a smaller suite

Targets (issue 5): generating the default suite in under a minute; evaluating one classic tracker on it in under
two minutes (serial, one process). The suite is generated into a fresh temporary folder, so the time is a cold
one. Each tracker runs serially in this process, and the wall time includes reading the JPEG frames. Prints a
table, then writes ``benchmarks/results/tracking.json`` and the success/precision plots ``tracking_*.png``.
"""

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)  # benchmarks/track.py, which this script shares its helpers with

from minicnn.cli_options import output_folder, whole_number  # noqa: E402
from minicnn.track.evaluate import evaluate, warm_up  # noqa: E402
from minicnn.track.generator import make_suite  # noqa: E402
from minicnn.track.sequences import atomic_write_text, read_sequences  # noqa: E402

TARGET_GENERATE_S = 60.0
TARGET_EVALUATE_S = 120.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trackers", default="kcf,kcf-nothresh,csrt,mil,mosse,medianflow")
    parser.add_argument("--count", type=whole_number(1), default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    output_folder(parser, args.out, "--out")  # before the minutes of tracking, not after them
    import cv2

    from track import machine_record, usable_trackers  # benchmarks/track.py, beside this script

    names, skipped = usable_trackers(args.trackers.split(","))
    if skipped:  # before the suite is generated, not after
        parser.error("--trackers: " + "; ".join(f"{name}: {why}" for name, why in skipped.items()))

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        make_suite(folder, seed=args.seed, count=args.count, progress=False)
        generate_s = time.perf_counter() - start
        sequences = read_sequences(folder)
        frames = sum(len(s) for s in sequences)
        print(f"Generated {len(sequences)} sequences, {frames} frames, in {generate_s:.1f} s "
              f"(target < {TARGET_GENERATE_S:.0f} s: {'met' if generate_s < TARGET_GENERATE_S else 'MISSED'})")
        rows = {}
        evaluations = []
        for name in names:
            warm_up(name, None, sequences[0])
            start = time.perf_counter()
            evaluation = evaluate([name], sequences, None, progress=False)
            wall = time.perf_counter() - start
            score = evaluation.score(name)
            rows[name] = {"wall_s": wall, "fps": evaluation.fps(name), "auc": score.auc, "p20": score.precision_20,
                          "attributes": {tag: s.auc for tag, (s, _) in evaluation.by_attribute(name).items()}}
            evaluations.append(evaluation)
    print(f"\n{'tracker':<14}{'AUC':>7}{'P@20':>7}{'FPS':>8}{'wall s':>9}  target < {TARGET_EVALUATE_S:.0f} s")
    for name, row in sorted(rows.items(), key=lambda item: -item[1]["auc"]):
        verdict = "met" if row["wall_s"] < TARGET_EVALUATE_S else "MISSED"
        print(f"{name:<14}{row['auc']:>7.3f}{row['p20']:>7.3f}{row['fps']:>8.1f}{row['wall_s']:>9.1f}  {verdict}")
    tags = sorted({tag for row in rows.values() for tag in row["attributes"]})
    print("\nSuccess AUC per attribute")
    print(f"{'tracker':<14}" + "".join(f"{tag:>7}" for tag in tags))
    for name, row in sorted(rows.items(), key=lambda item: -item[1]["auc"]):
        print(f"{name:<14}" + "".join(f"{row['attributes'].get(tag, float('nan')):>7.3f}" for tag in tags))
    os.makedirs(args.out, exist_ok=True)
    record = {
        "machine": {**machine_record(), "opencv": cv2.__version__},
        "suite": {"count": len(sequences), "frames": frames, "seed": args.seed, "generate_s": generate_s},
        "trackers": rows,
    }
    atomic_write_text(os.path.join(args.out, "tracking.json"), json.dumps(record, indent=1))  # whole, or the old
    from minicnn.track.plots import save_ope_plots

    success = {n: e.score(n).success for e in evaluations for n in e.trackers}
    precision = {n: e.score(n).precision for e in evaluations for n in e.trackers}
    with tempfile.TemporaryDirectory(dir=args.out) as plot_dir:  # beside them: a rename across disks fails
        for path in save_ope_plots(success, precision, plot_dir):
            os.replace(path, os.path.join(args.out, "tracking_" + os.path.basename(path)))
    print(f"\nWrote {os.path.join(args.out, 'tracking.json')} and tracking_success.png / tracking_precision.png")


if __name__ == "__main__":
    main()
