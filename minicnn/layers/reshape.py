"""``Flatten``: ``(N, H, W, C)`` → ``(N, H·W·C)`` in row-major (H, W, C) order, as Keras flattens channels-last."""

import numpy as np

from minicnn.checks import check_gradient
from minicnn.errors import ShapeError
from minicnn.layers.base import Layer, batch_shape_text


class Flatten(Layer):
    """Reshape each sample to a vector; backward reshapes the gradient back. No weights.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).
    """

    runs_on_device = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def _check_built_shape(self, shape):
        if tuple(shape[1:]) != tuple(self.built_input_shape[1:]):
            raise ShapeError(f"{self.describe()}: expected input of shape {batch_shape_text(self.built_input_shape)}, "
                             f"got {shape}; the layers after Flatten were built for that size")

    def forward(self, x, training=False):
        x = self._prepare_input(x)
        self._x_shape = x.shape
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # not -1: the batch may be empty

    def backward(self, grad_out):
        self._after_forward("_x_shape")
        grad_out = self._upstream_gradient(grad_out)
        check_gradient(f"{self.describe()}.backward", grad_out, self.compute_output_shape(self._x_shape))
        return grad_out.reshape(self._x_shape)
