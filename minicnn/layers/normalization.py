"""``BatchNormalization`` (Keras' arguments and weight names), with its backward derived by hand."""

import numpy as np

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

    Parameters
    ----------
    momentum : float, default 0.99
    epsilon : float, default 0.001
    """

    def __init__(self, momentum=0.99, epsilon=0.001, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"{self.describe()}: momentum must be a number in [0, 1], got {momentum!r}")
        if not isinstance(epsilon, (int, float)) or epsilon <= 0:
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

    def forward(self, x, training=False):
        x = self._prepare_input(x)
        if x.ndim < 2:
            raise ValueError(f"{self.describe()}: expected input of shape (N, ..., C), got {x.shape}")
        axes = tuple(range(x.ndim - 1))
        if training:
            mean = x.mean(axis=axes)
            variance = x.var(axis=axes)
            for key, value in (("moving_mean", mean), ("moving_variance", variance)):
                self.state[key] = (self.momentum * self.state[key] + (1 - self.momentum) * value).astype(self.dtype)
        else:
            mean, variance = self.state["moving_mean"], self.state["moving_variance"]
        self._training = training
        self._inv_std = (1 / np.sqrt(variance + self.epsilon)).astype(self.dtype)
        self._x_hat = (x - mean) * self._inv_std
        return self.params["gamma"] * self._x_hat + self.params["beta"]

    def backward(self, grad_out):
        axes = tuple(range(grad_out.ndim - 1))
        grad_gamma = np.sum(grad_out * self._x_hat, axis=axes)
        grad_beta = np.sum(grad_out, axis=axes)
        self.grads["gamma"], self.grads["beta"] = grad_gamma, grad_beta
        scale = self.params["gamma"] * self._inv_std
        if not self._training:
            return grad_out * scale
        m = grad_out.size // grad_out.shape[-1]
        return scale / m * (m * grad_out - grad_beta - self._x_hat * grad_gamma)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}
