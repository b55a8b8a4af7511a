"""minicnn: a small, readable convolutional-network framework in NumPy, with hand-written backpropagation.

    import minicnn as mc
    model = mc.Sequential([mc.Conv2D(32, 3, padding="same", activation="relu", input_shape=(32, 32, 1)), ...])
    model.compile(optimizer=mc.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=10)

``minicnn.equations`` holds the textbook formulas as plain loops; ``minicnn.gradcheck`` checks any backward pass
against numerical differences.
"""

import importlib

from minicnn.kernels import blas_threads  # noqa: F401, I001  (first: SciPy's BLAS single-threaded, see there)
from minicnn.kernels import openmp_waiting  # noqa: F401, I001  (before Numba's threads start: see there)
from minicnn.backend import available_backends, get_backend, set_backend, use_backend
from minicnn.errors import (BackendError, NonFiniteError, ShapeError, TrainingDivergedError, WeightFileError,
                            missing_name)
from minicnn.gradcheck import GradcheckReport, gradcheck, relative_error
from minicnn.datasets import to_categorical
from minicnn.layers import (Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input,
                            Layer, Linear, MaxPooling2D, ReLU, Sigmoid, Softmax, Tanh)
from minicnn.losses import (BinaryCrossentropy, CategoricalCrossentropy, Loss, MeanSquaredError,
                            SparseCategoricalCrossentropy)
from minicnn.model import History, Sequential
from minicnn.optimizers import SGD, Adam, Optimizer

__version__ = "0.1.0"

__all__ = [
    "Sequential", "History", "Input", "Layer", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dense",
    "BatchNormalization", "Dropout", "Activation", "ReLU", "Sigmoid", "Tanh", "Softmax", "Linear",
    "Loss", "MeanSquaredError", "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "Optimizer", "SGD", "Adam", "gradcheck", "GradcheckReport", "relative_error",
    "set_backend", "get_backend", "use_backend", "available_backends", "to_categorical",
    "ShapeError", "NonFiniteError", "TrainingDivergedError", "WeightFileError", "BackendError",
]


#: the modules a user reaches as ``mc.equations``, imported at first use (the tracker and the plots are slow to load)
SUBMODULES = ("datasets", "equations", "exercises", "functional", "models", "plots", "track")


def __getattr__(name):
    """A module of ``SUBMODULES``, imported now; a Keras name this module lacks (``InputLayer``, ``MaxPool2D``,
    ``callbacks``) says what to use instead."""
    if name in SUBMODULES:
        return importlib.import_module(f"minicnn.{name}")
    raise missing_name("minicnn", name)


def __dir__():
    """What tab completion offers: the public names and the modules, not the helpers imported to make them."""
    return sorted(set(__all__) | set(SUBMODULES) | {"__version__"})
