"""The layers: each owns its weights and what it saved for backward, and calls the backend's kernels."""

from minicnn.errors import missing_name
from minicnn.layers.activations import Activation, ReLU, Sigmoid, Softmax, Tanh, Linear, get_activation
from minicnn.layers.base import Input, Layer
from minicnn.layers.conv import Conv2D
from minicnn.layers.dense import Dense
from minicnn.layers.dropout import Dropout
from minicnn.layers.normalization import BatchNormalization
from minicnn.layers.pooling import AveragePooling2D, MaxPooling2D
from minicnn.layers.reshape import Flatten

__all__ = ["Input", "Layer", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dense", "BatchNormalization",
           "Dropout", "Activation", "ReLU", "Sigmoid", "Tanh", "Softmax", "Linear", "get_activation"]


def __getattr__(name):
    """A Keras name this module lacks (``InputLayer``, ``MaxPool2D``, ``callbacks``) says what to use instead."""
    raise missing_name("minicnn.layers", name)
