"""``Dropout``: inverted dropout, active only in training."""

import numpy as np

from minicnn.layers.base import Layer


class Dropout(Layer):
    """In training, zero each input with probability ``rate`` and scale the survivors by ``1/(1 − rate)``, so the
    expected output equals the input and inference needs no change: ``y = x · m / (1 − rate)``, ``m ~ Bernoulli(1 −
    rate)``. In inference ``y = x``. Backward applies the same mask: ``∂L/∂x = ∂L/∂y · m / (1 − rate)``.

    Parameters
    ----------
    rate : float in [0, 1)
    seed : int or numpy.random.Generator, optional
        Where the masks come from; the same seed gives the same masks.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
            raise ValueError(f"{self.describe()}: rate must be a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._rng = None

    def _check_built_shape(self, shape):
        pass  # no weights: any shape is fine

    def draw_mask(self, shape):
        """The scaled keep-mask ``m / (1 − rate)`` for one forward pass."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        keep = self._rng.random(shape) >= self.rate
        return (keep / (1.0 - self.rate)).astype(self.dtype)

    def forward(self, x, training=False):
        x = self._prepare_input(x)
        if not training or self.rate == 0:
            self._mask = None
            return x
        self._mask = self.draw_mask(x.shape)
        return x * self._mask

    def backward(self, grad_out):
        return grad_out if self._mask is None else grad_out * self._mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
