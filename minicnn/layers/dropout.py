"""``Dropout``: inverted dropout, active only in training."""

import numpy as np

from minicnn import backend, checks
from minicnn.checks import check_gradient, finite_number
from minicnn.layers.base import Layer


class Dropout(Layer):
    """In training, zero each input with probability ``rate`` and scale the survivors by ``1/(1 − rate)``, so the
    expected output equals the input and inference needs no change: ``y = x · m / (1 − rate)``, ``m ~ Bernoulli(1 −
    rate)``. In inference ``y = x``. Backward applies the same mask: ``∂L/∂x = ∂L/∂y · m / (1 − rate)``.

    Parameters
    ----------
    rate : float in [0, 1)
    seed : int or numpy.random.Generator, optional
        Where the masks come from; the same seed gives the same masks, on every backend.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).
    """

    runs_on_device = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not finite_number(rate) or not 0 <= rate < 1:
            raise ValueError(f"{self.describe()}: rate must be a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = checks.seed(seed, "seed", self.describe())
        self._rng = None
        self._last_keys = None
        #: True while ``Sequential`` runs a failed training batch again to find the layer that made a NaN: the
        #: masks are then those of the failed pass, not new draws
        self.repeat_last_draw = False

    def _check_built_shape(self, shape):
        pass  # no weights: any shape is fine

    def draw_keep(self, shape):
        """The keep-mask ``m`` for one forward pass: booleans, True with probability ``1 − rate``, made by the backend
        where its arrays live (``kernels().dropout_mask``) from two 32-bit keys drawn from the layer's own
        generator. The mask is a hash of each element's index and the keys (``minicnn.kernels.random_bits``), so
        every backend drops the same inputs for the same seed."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        if not self.repeat_last_draw or self._last_keys is None:
            self._last_keys = tuple(int(key) for key in self._rng.integers(0, 2 ** 32, size=2))
        key_low, key_high = self._last_keys
        return backend.kernels().dropout_mask(shape, key_low, key_high, self.rate)

    def forward(self, x, training=False):
        training = checks.flag(training, "training", f"{self.describe()}.forward")
        x = self._prepare_input(x)
        if not training or self.rate == 0:
            self._keep = None
            return x
        self._keep = self.draw_keep(tuple(x.shape))
        return backend.kernels().apply_dropout_mask(x, self._keep, 1 / (1 - self.rate))

    def backward(self, grad_out):
        self._after_forward("_keep")
        grad_out = self._upstream_gradient(grad_out)
        if self._keep is None:
            return grad_out
        check_gradient(f"{self.describe()}.backward", grad_out, tuple(self._keep.shape))
        return backend.kernels().apply_dropout_mask(grad_out, self._keep, 1 / (1 - self.rate))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
