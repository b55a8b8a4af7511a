"""Weight initialisers (Keras' defaults)."""

import numpy as np


def glorot_uniform(shape, fan_in, fan_out, seed=None):
    """Glorot/Xavier uniform: ``w ~ U(−limit, limit)`` with ``limit = sqrt(6 / (fan_in + fan_out))``.

    Keeps the variance of activations and gradients about the same from layer to layer (Glorot & Bengio, 2010).
    ``seed`` is an int, a ``numpy.random.Generator`` or None (fresh entropy).
    """
    rng = np.random.default_rng(seed)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)
