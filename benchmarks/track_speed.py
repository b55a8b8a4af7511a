"""How long one ``update`` of each tracker takes at a video's resolution, not only the suite's 240×320.

    python benchmarks/track_speed.py                                 # siamese, cnn, hybrid, kcf, csrt; 240p … 1080p
    python benchmarks/track_speed.py --sizes 1080x1920 --trackers siamese,kcf

``benchmarks/track.py`` times the trackers on the default suite, whose frames are 240×320; a video of one's own is
often 720p or 1080p, where whatever a tracker does with the whole frame (our trackers match its colour statistics to
the first frame's) counts as much as its network. For each size a plain sequence is generated at that size (the
target scaled with the frame), each tracker is built, ``init`` on frame 0 and two updates are left untimed (Numba
compiles there on a first run), and the median time of the remaining ``update`` calls is reported, in ms and as a
ratio to OpenCV's KCF at the same size (KCF's own time grows with the target, not the frame). Trackers that cannot
be built here (OpenCV missing) are skipped. The figures and the machine's load go to
``benchmarks/results/track_speed.json``: read them against the load, as other processes share the cores.
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from track import machine_record, usable_trackers, _comma_list  # noqa: E402

from minicnn.cli_options import output_folder, whole_number  # noqa: E402
from minicnn.track.generator import make_sequence  # noqa: E402
from minicnn.track.sequences import atomic_write_text  # noqa: E402
from minicnn.track.trackers import make_tracker  # noqa: E402

DEFAULT_TRACKERS = "siamese,cnn,hybrid,kcf,csrt"
DEFAULT_SIZES = "240x320,480x640,720x1280,1080x1920"
REFERENCE = "kcf"
UNTIMED_UPDATES = 2


def _sizes(text):
    """``"240x320,1080x1920"`` as ``[(240, 320), (1080, 1920)]``: height × width, as a frame's array shape."""
    sizes = []
    for item in _comma_list(text):
        parts = item.lower().replace("×", "x").split("x")
        if len(parts) != 2 or not all(part.isdigit() and int(part) >= 24 for part in parts):
            raise argparse.ArgumentTypeError(f"expected sizes as HEIGHTxWIDTH, each at least 24, such as "
                                             f"1080x1920, got {item!r}")
        sizes.append((int(parts[0]), int(parts[1])))
    return sizes


def update_ms(name, sequence):
    """The median time of ``name``'s ``update`` over ``sequence``, in ms, after ``init`` and ``UNTIMED_UPDATES``
    untimed updates."""
    tracker = make_tracker(name)
    tracker.init(sequence[0], sequence.ground_truth[0])
    times = []
    for index in range(1, len(sequence)):
        start = time.perf_counter()
        tracker.update(sequence[index])
        if index > UNTIMED_UPDATES:
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def table(names, sizes, figures):
    """ms per update, one row per size, and each tracker's ratio to ``REFERENCE`` where it ran."""
    lines = ["ms per update (median; lower is faster)" + (f", and × {REFERENCE}" if REFERENCE in names else "")]
    header = f"{'frame (H×W)':>12}" + "".join(f"{name:>16}" for name in names)
    lines.append(header)
    for size in sizes:
        row = figures[f"{size[0]}x{size[1]}"]
        cells = []
        for name in names:
            ratio = f" ({row[name] / row[REFERENCE]:.1f}×)" if REFERENCE in row and name != REFERENCE else ""
            cells.append(f"{row[name]:.1f}{ratio}".rjust(16))
        lines.append(f"{size[0]}×{size[1]}".rjust(12) + "".join(cells))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trackers", type=_comma_list, default=DEFAULT_TRACKERS,
                        help="comma-separated tracker names (default: %(default)s)")
    parser.add_argument("--sizes", type=_sizes, default=DEFAULT_SIZES,
                        help="comma-separated frame sizes, HEIGHTxWIDTH (default: %(default)s)")
    parser.add_argument("--frames", type=whole_number(UNTIMED_UPDATES + 2), default=12,
                        help=f"frames per sequence, the first and {UNTIMED_UPDATES} updates untimed (default: "
                        "%(default)s)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for track_speed.json (default: benchmarks/results)")
    args = parser.parse_args(argv)
    output_folder(parser, args.out, "--out")

    names, skipped = usable_trackers(args.trackers)
    for name, reason in skipped.items():
        print(f"skipped {name}: {reason}")
    if not names:
        parser.error(f"--trackers: none of {', '.join(args.trackers)} can run here")
    figures = {}
    for height, width in args.sizes:
        sequence = make_sequence("plain", 0, n_frames=args.frames, frame_size=(height, width))
        figures[f"{height}x{width}"] = {name: update_ms(name, sequence) for name in names}
        print(f"{height}×{width}: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in
                                                 figures[f"{height}x{width}"].items()), flush=True)
    print()
    print(table(names, args.sizes, figures))
    record = {"machine": machine_record(), "options": {"trackers": names, "frames": args.frames,
                                                       "untimed_updates": UNTIMED_UPDATES},
              "skipped": skipped, "ms_per_update": figures}
    path = os.path.join(args.out, "track_speed.json")
    atomic_write_text(path, json.dumps(record, indent=1) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
