"""How far two backends' trainings drift apart: the same network, seed and data trained on ``numba`` and on
``numpy``, and the largest difference in any weight and in any prediction after training.

    python benchmarks/backend_drift.py              # 6 epochs of the bundled faces (32×32), float32
    python benchmarks/backend_drift.py --epochs 2 --out /tmp/drift   # leaves benchmarks/results as it is

The backends compute the same sums in other orders, so each step's numbers agree up to float32 rounding (the tests
hold them to that). Training carries those roundings on. SGD keeps them near their size, but not always: with
BatchNormalization and no bias the largest difference in a prediction is 4e-7 after 3 epochs, then 4e-5 after 4
and 1e-4 after 6, a jump such as a ReLU's bend or a pooling window's tie decided the other way by a rounding would
make. Adam divides each step by the square root of the gradient's running mean square, so where a gradient is
rounding noise Adam still steps by up to its learning rate. The worst case is a convolution's bias before
BatchNormalization, which cancels it (its true gradient is zero). Rows: that network with and without the bias,
and one without BatchNormalization, each under Adam at two learning rates and SGD with momentum. Writes
``backend_drift.json`` into ``--out`` (``benchmarks/results`` unless told).
This times nothing, so a busy machine does not change its figures.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import minicnn as mc  # noqa: E402
from minicnn import datasets  # noqa: E402
from minicnn.cli_options import output_folder, whole_number  # noqa: E402
from minicnn.track.sequences import atomic_write_text  # noqa: E402

NETWORKS = {
    "conv, no BatchNorm": {"batch_norm": False, "use_bias": True},
    "conv + bias + BatchNorm": {"batch_norm": True, "use_bias": True},
    "conv (use_bias=False) + BatchNorm": {"batch_norm": True, "use_bias": False},
}
OPTIMIZERS = {
    "Adam(0.01)": lambda: mc.Adam(0.01),
    "Adam(0.003)": lambda: mc.Adam(0.003),
    "SGD(0.01, momentum=0.9)": lambda: mc.SGD(0.01, momentum=0.9),
}


def network(batch_norm, use_bias, seed=0):
    """Two 3×3 convolutions and two dense layers for 32×32 grey images; the first convolution with or without its
    bias, followed by BatchNormalization or not."""
    first = [mc.Conv2D(8, 3, padding="same", use_bias=use_bias, input_shape=(32, 32, 1))]
    first += [mc.BatchNormalization(), mc.ReLU()] if batch_norm else [mc.ReLU()]
    return mc.Sequential(first + [mc.MaxPooling2D(2), mc.Conv2D(16, 3, padding="same", activation="relu"),
                                  mc.MaxPooling2D(2), mc.Flatten(), mc.Dense(32, activation="relu"),
                                  mc.Dense(1, activation="sigmoid")], seed=seed)


def trained(backend, settings, make_optimizer, data, epochs):
    """``(weights, predictions on the test images)`` after ``epochs`` epochs on ``backend``."""
    with mc.use_backend(backend):
        model = network(**settings)
        model.compile(optimizer=make_optimizer(), loss="binary_crossentropy")
        model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=32, seed=0, verbose=0)
        return model.get_weights(), model.predict(data.x_test)


def drift(settings, make_optimizer, data, epochs):
    """The largest difference between the backends: in any weight, and in any predicted probability."""
    (weights_a, predicted_a), (weights_b, predicted_b) = (trained(name, settings, make_optimizer, data, epochs)
                                                          for name in ("numba", "numpy"))
    weight = max(float(np.max(np.abs(a - b))) for a, b in zip(weights_a, weights_b))
    return weight, float(np.max(np.abs(predicted_a - predicted_b)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=whole_number(1), default=6)
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for backend_drift.json (default: benchmarks/results)")
    args = parser.parse_args(argv)
    output_folder(parser, args.out, "--out")  # before the minutes of training, not after them
    data = datasets.load_faces(size=32, seed=0)
    rows = []
    print(f"numba vs numpy, float32, {args.epochs} epochs of the faces (120 images, batch 32, seed 0):")
    print(f"{'network':<36}{'optimizer':<26}{'max |Δ weight|':>16}{'max |Δ prediction|':>20}")
    for network_name, settings in NETWORKS.items():
        for optimizer_name, make_optimizer in OPTIMIZERS.items():
            weight, prediction = drift(settings, make_optimizer, data, args.epochs)
            rows.append({"network": network_name, "optimizer": optimizer_name, "weight": weight,
                         "prediction": prediction})
            print(f"{network_name:<36}{optimizer_name:<26}{weight:>16.1e}{prediction:>20.1e}", flush=True)
    path = os.path.join(args.out, "backend_drift.json")
    atomic_write_text(path, json.dumps({"epochs": args.epochs, "rows": rows}, indent=1))  # whole, or the old kept
    print(f"wrote {path}")
    return rows


if __name__ == "__main__":
    main()
