"""The ``minicnn`` command: ``minicnn demo`` trains the document's network; ``minicnn bench`` times the kernels."""

import argparse
import os
import sys
import time


def demo(epochs=10, batch_size=32, seed=0, out="minicnn_demo", verbose=1):
    """Train the document's network on faces vs non-faces, report the test accuracy, and save two plots.

    Returns ``(test_loss, test_accuracy, seconds, paths)``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minicnn import Adam, datasets
    from minicnn.models import document_network
    from minicnn.plots import plot_feature_maps

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
    figure.savefig(paths[0], dpi=110)
    face = data.x_test[int(data.y_test[:, 0].argmax())]
    plot_feature_maps(model, face, layer_index=0, title="First convolution's 32 feature maps of a test face").savefig(
        paths[1], dpi=110)
    plt.close("all")
    print("Plots written to:\n  " + "\n  ".join(os.path.abspath(p) for p in paths))
    return loss, accuracy, seconds, paths


def bench(arguments):
    """Run ``benchmarks/conv.py`` of the source checkout this package was installed from."""
    import runpy

    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "conv.py")
    if not os.path.exists(script):
        print(f"minicnn bench: {script} not found; the benchmarks live in the source checkout "
              "(install with 'pip install -e .' from a clone)", file=sys.stderr)
        return 1
    sys.argv = [script, *arguments]
    runpy.run_path(script, run_name="__main__")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="minicnn", description="minicnn: a small CNN framework for teaching")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="train the document's network on faces vs non-faces")
    demo_parser.add_argument("--epochs", type=int, default=10)
    demo_parser.add_argument("--batch-size", type=int, default=32)
    demo_parser.add_argument("--seed", type=int, default=0)
    demo_parser.add_argument("--out", default="minicnn_demo", help="folder for the plots (default: %(default)s)")
    demo_parser.add_argument("--quiet", action="store_true", help="no progress bars")
    commands.add_parser("bench", help="time the kernels against NumPy and PyTorch (benchmarks/conv.py); options "
                        "such as --quick and --compile are passed on")
    args, extra = parser.parse_known_args(argv)
    if args.command == "bench":
        return bench(extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "demo":
        demo(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, out=args.out,
             verbose=0 if args.quiet else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
