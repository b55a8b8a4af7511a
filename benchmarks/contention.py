"""Training on a busy machine: README's tour in 1, 2 and 3 processes at once, with GNU OpenMP's default spinning and
with minicnn's (``minicnn/kernels/openmp_waiting.py``: ``GOMP_SPINCOUNT=1000``).

    python benchmarks/contention.py                # 1, 2 and 3 processes, 2 rounds, 10 epochs
    python benchmarks/contention.py --epochs 3 --rounds 1 --out /tmp/contention   # benchmarks/results left alone

Each process builds the tour's network, trains one epoch untimed (the kernels load or compile), then times ``fit``
for ``--epochs`` epochs of the bundled faces (120 images, batch 32, numba backend). The processes of one row start
together; the table gives the mean of their times, and the ratio of libgomp's default to minicnn's. "libgomp
default" runs with ``GOMP_SPINCOUNT=300000`` (libgomp's own default when nothing is set). NumPy's BLAS environment
is left as this shell has it (``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` printed below); it plays no part in the
Numba kernels timed here. Writes ``contention.json`` into ``--out`` (``benchmarks/results`` unless told).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = {"libgomp default": "300000", "minicnn (1000 spins)": None}


def _one_training(epochs):
    """The worker: seconds of ``fit`` for ``epochs`` epochs of the tour's network, after one untimed epoch."""
    sys.path.insert(0, os.path.dirname(HERE))
    import minicnn as mc
    from minicnn import datasets

    data = datasets.load_faces(size=32, seed=0)
    model = mc.Sequential([
        mc.Conv2D(32, (3, 3), padding="same", activation="relu", input_shape=(32, 32, 1)),
        mc.MaxPooling2D((2, 2)),
        mc.Conv2D(64, (3, 3), padding="same", activation="relu"),
        mc.MaxPooling2D((2, 2)),
        mc.Flatten(),
        mc.Dense(256, activation="relu"),
        mc.Dense(1, activation="sigmoid"),
    ], seed=0)
    model.compile(optimizer=mc.Adam(learning_rate=0.001), loss="binary_crossentropy")
    with mc.use_backend("numba"):
        model.fit(data.x_train, data.y_train, epochs=1, batch_size=32, verbose=0, seed=0)
        start = time.perf_counter()
        model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=32, verbose=0, seed=0)
    return time.perf_counter() - start


def _together(processes, spins, epochs):
    """Seconds of each of ``processes`` trainings started at once, with ``GOMP_SPINCOUNT`` = ``spins`` (None:
    unset, so that minicnn sets its own)."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    if spins is not None:
        environment["GOMP_SPINCOUNT"] = spins
    command = [sys.executable, os.path.abspath(__file__), "--worker", "--epochs", str(epochs)]
    running = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
               for _ in range(processes)]
    seconds = []
    for process in running:
        output, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a training process failed (exit code {process.returncode})")
        seconds.append(float(output.strip().splitlines()[-1]))
    return seconds


def _counts(text):
    """``--processes``: comma-separated whole numbers ≥ 1."""
    try:
        counts = [int(count) for count in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected counts of processes such as 1,2,3, got {text!r}")
    return counts


def main(argv=None):
    sys.path.insert(0, os.path.dirname(HERE))
    from minicnn.cli_options import output_folder, whole_number

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=whole_number(1), default=10)
    parser.add_argument("--rounds", type=whole_number(1), default=2, help="each row this many times, interleaved")
    parser.add_argument("--processes", type=_counts, default="1,2,3",
                        help="comma-separated counts of processes run at once (default: %(default)s)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for contention.json (default: benchmarks/results)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(f"{_one_training(args.epochs):.4f}")
        return
    output_folder(parser, args.out, "--out")  # before the minutes of timing, not after them
    counts = args.processes
    print(f"{os.cpu_count()} cores; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE')}; load average at the start "
          f"{os.getloadavg()[0]:.2f}")
    times = {(count, name): [] for count in counts for name in SETTINGS}
    for _ in range(args.rounds):
        for count in counts:
            for name, spins in SETTINGS.items():
                times[count, name] += _together(count, spins, args.epochs)
    names = list(SETTINGS)
    print(f"\nseconds for fit of {args.epochs} epochs, mean over the processes of {args.rounds} round(s)")
    print(f"{'processes':>10}" + "".join(f"{name:>22}" for name in names) + f"{'default ÷ minicnn':>20}")
    rows = []
    for count in counts:
        means = [statistics.mean(times[count, name]) for name in names]
        print(f"{count:>10}" + "".join(f"{mean:>22.2f}" for mean in means) + f"{means[0] / means[1]:>19.1f}×")
        rows.append({"processes": count, **{name: times[count, name] for name in names}})
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    results = os.path.join(args.out, "contention.json")
    from minicnn.track.sequences import atomic_write_text  # whole, or the old file kept

    atomic_write_text(results, json.dumps({"epochs": args.epochs, "cores": os.cpu_count(), "rows": rows}, indent=1))
    print(f"wrote {results}")


if __name__ == "__main__":
    main()
