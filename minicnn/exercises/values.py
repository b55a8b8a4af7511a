"""The numbers the checker feeds to a solution: small, readable, and chosen so that mistakes show.

Every array is float64. Small whole numbers make a failing case easy to work through by hand; leaving out 0 keeps a
mistake from hiding behind a zero (a bias of 0 would make "bias left out" invisible).
"""

import numpy as np


def nonzero_integers(rng, shape, largest=4):
    """Whole numbers from −largest … −1, 1 … largest, as float64, of the given shape."""
    magnitudes = rng.integers(1, largest + 1, size=shape)
    signs = rng.choice([-1.0, 1.0], size=shape)
    return (magnitudes * signs).astype(np.float64)


def distinct_integers(rng, shape):
    """All values different whole numbers around 0, shuffled: no two values of a pooling window are ever equal."""
    size = int(np.prod(shape))
    values = rng.permutation(size) - size // 2
    return values.astype(np.float64).reshape(shape)


def tenths(rng, shape, low, high, avoid=()):
    """Multiples of 0.1 from ``low`` to ``high`` (inclusive), leaving out the values in ``avoid``."""
    choices = [v / 10 for v in range(round(low * 10), round(high * 10) + 1) if v / 10 not in avoid]
    return rng.choice(np.array(choices, dtype=np.float64), size=shape)


def one_hot(rng, n, classes):
    """``n`` one-hot rows of length ``classes``, each with its 1 in a random column."""
    labels = np.zeros((n, classes))
    labels[np.arange(n), rng.integers(0, classes, size=n)] = 1.0
    return labels
