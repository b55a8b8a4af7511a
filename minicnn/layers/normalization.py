"""``BatchNormalization`` (Keras' arguments and weight names), with its backward derived by hand."""

import math

import numpy as np

from minicnn import backend
from minicnn.checks import finite_number, first_index, flag
from minicnn.errors import ShapeError
from minicnn.layers.base import Layer


class BatchNormalization(Layer):
    """Normalise each channel (the last axis) with the batch's statistics in training, the moving averages in
    inference, then scale and shift.

    Training, over the ``m`` values of a channel in the batch (all axes but the last)::

        μ = (1/m) Σ x,   σ² = (1/m) Σ (x − μ)²,   x̂ = (x − μ) / sqrt(σ² + ε),   y = γ·x̂ + β
        moving_mean ← momentum·moving_mean + (1 − momentum)·μ      (the same for moving_variance with σ²)

    Inference: ``y = γ·(x − moving_mean) / sqrt(moving_variance + ε) + β``.

    Backward in training (μ and σ² depend on every x, which gives the two extra terms)::

        ∂L/∂γ = Σ ∂L/∂y · x̂,   ∂L/∂β = Σ ∂L/∂y
        ∂L/∂x = γ / (m·sqrt(σ² + ε)) · (m·∂L/∂y − ∂L/∂β − x̂·∂L/∂γ)

    and in inference simply ``∂L/∂x = ∂L/∂y · γ / sqrt(moving_variance + ε)``.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).

    Parameters
    ----------
    momentum : float, default 0.99
    epsilon : float, default 0.001

    Frozen (``trainable=False``), it normalises with the moving averages in training too and leaves them as they are,
    as Keras does: a network fine-tuned on top of it keeps the statistics it was trained with.

    The arithmetic is the backend's (``batch_norm_forward`` and ``batch_norm_backward``), so it runs on the GPU too.
    """

    runs_on_device = True

    input_layout = "(N, ..., C)"

    def __init__(self, momentum=0.99, epsilon=0.001, **kwargs):
        super().__init__(**kwargs)
        if not finite_number(momentum) or not 0 <= momentum <= 1:
            raise ValueError(f"{self.describe()}: momentum must be a number in [0, 1], got {momentum!r}")
        if not finite_number(epsilon) or epsilon <= 0:
            raise ValueError(f"{self.describe()}: epsilon must be a positive number, got {epsilon!r}")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        channels = input_shape[-1]
        self._add_weight("gamma", np.ones(channels))
        self._add_weight("beta", np.zeros(channels))
        self.state["moving_mean"] = np.zeros(channels, dtype=self.dtype)
        self.state["moving_variance"] = np.ones(channels, dtype=self.dtype)
        super().build(input_shape)

    def check_weight(self, key, value, where):
        """A variance is never negative: ``sqrt(moving_variance + ε)`` of one would be NaN in inference."""
        if key == "moving_variance" and np.any(value < 0):
            index = first_index(value < 0)
            raise ValueError(f"{where}: expected variances ≥ 0, got {value[index]} at index {index}")

    def forward(self, x, training=False):
        training = flag(training, "training", f"{self.describe()}.forward") and self.trainable  # frozen: inference
        x = self._prepare_input(x)
        if training and math.prod(x.shape[:-1]) == 0:
            raise ShapeError(f"{self.describe()}: the batch statistics need at least one sample, got input of shape "
                             f"{tuple(x.shape)}; the moving averages are left as they were")
        y, self._x_hat, self._inv_std, moving_mean, moving_variance = backend.kernels().batch_norm_forward(
            x, self.params["gamma"], self.params["beta"], self.state["moving_mean"], self.state["moving_variance"],
            self.momentum, self.epsilon, training)
        if training:  # in inference the moving averages are only read (cuda hands back device copies of them)
            self.state["moving_mean"], self.state["moving_variance"] = moving_mean, moving_variance
        self._training = training
        return y

    def backward(self, grad_out):
        self._after_forward("_x_hat")
        grad_x, self.grads["gamma"], self.grads["beta"] = backend.kernels().batch_norm_backward(
            self._upstream_gradient(grad_out), self._x_hat, self._inv_std, self.params["gamma"], self._training)
        return grad_x

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}
