"""Counter-based random bits: the same dropout masks on every backend, computed where the arrays live.

A sequential generator (NumPy's ``Generator``) makes its numbers one after another on the host; a GPU would have to
wait for them and copy them over. A *counter-based* generator instead makes the random bits of element ``i`` as a
hash of ``i`` and a key, so any thread can compute any element on its own, and the host, the Numba loops and the
GPU threads all get the same bits (cuRAND's Philox and JAX's random numbers work this way)::

    bits(i) = mix32(mix32((i mod 2³²) ⊕ key_low) ⊕ key_high ⊕ ⌊i / 2³²⌋)        (a number in 0 … 2³² − 1)
    keep(i) = bits(i) ≥ ⌈rate · 2³²⌉                                            (True with probability 1 − rate)

``mix32`` is Chris Wellons' "lowbias32" integer hash: two rounds of xor-shift and multiplication modulo 2³², chosen
by a search for the 32-bit hash whose output bits depend most evenly on every input bit. ``Dropout`` draws a new
``(key_low, key_high)`` pair from its own generator for every forward pass, so the same seed gives the same masks.

The function is plain Python on integers, so one source serves three compilers: NumPy applies it to an array of
indices, ``numba.njit`` compiles it for the Numba backend and ``numba.cuda.jit`` for the GPU. Each product stays
below 2⁴⁹, so it is exact in Python, NumPy and Numba's int64 alike (no overflow, no wrap-around to rely on).
"""

import math

#: the keys and the bits are 32-bit numbers
BITS = 32


def mix32(x):
    """lowbias32: ``x ^= x >> 16; x *= 0x7FEB352D; x ^= x >> 15; x *= 0x846CA68B; x ^= x >> 16`` (mod 2³²), for
    ``0 <= x < 2³²``. A multiplication ``x·c mod 2³²`` is done as ``x·c_low + ((x·c_high mod 2¹⁶) << 16)`` with
    ``c = c_high·2¹⁶ + c_low``, so that no product reaches 2⁴⁹."""
    x = x ^ (x >> 16)  # (not ^=, which would change a NumPy array passed in)
    x = (x * 0x352D + (((x * 0x7FEB) & 0xFFFF) << 16)) & 0xFFFFFFFF
    x = x ^ (x >> 15)
    x = (x * 0xA68B + (((x * 0x846C) & 0xFFFF) << 16)) & 0xFFFFFFFF
    return x ^ (x >> 16)


def keep_threshold(rate):
    """``⌈rate · 2³²⌉``: an element is kept when its bits reach this (exact: multiplying by 2³² only shifts the
    exponent of a float)."""
    return math.ceil(rate * 2 ** BITS)
