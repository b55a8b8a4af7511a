"""The numbers the checker feeds to a solution: small, readable, and chosen so that mistakes show.

Every array is float64. Small whole numbers make a hand-picked case easy to work through by hand; the random cases
use halves (``value_step(case)``), so that a solution that computes in integers somewhere (a buffer made with
``dtype=int``), which whole numbers would let through, loses their fractions and fails. Leaving out 0 keeps a
mistake from hiding behind a zero (a bias of 0 would make "bias left out" invisible).
"""

import numpy as np

#: what the checker adds to a random case: its values are halves, not whole numbers
HALVES = "halves"


def value_step(case):
    """The spacing of a case's values: 1 for a hand-picked case, 0.5 for a random one (marked ``HALVES``)."""
    return 0.5 if case.get(HALVES) else 1.0


def nonzero_values(rng, shape, largest=4, step=1.0):
    """Multiples of ``step`` from −largest … −step, step … largest, as float64, of the given shape."""
    magnitudes = rng.integers(1, round(largest / step) + 1, size=shape) * step
    signs = rng.choice([-1.0, 1.0], size=shape)
    return (magnitudes * signs).astype(np.float64)


def distinct_values(rng, shape, step=1.0):
    """All values different multiples of ``step`` around 0, shuffled: no two values of a pooling window are ever
    equal."""
    size = int(np.prod(shape))
    values = (rng.permutation(size) - size // 2) * step
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
