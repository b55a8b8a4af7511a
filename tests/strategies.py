"""Hypothesis strategies shared by the layer, backend and gradient tests.

They reach the corners where bugs hide: batch 1, one channel, kernels and pools as large as the input, odd and
non-square sizes, strides above 1 and overlapping pools (stride < pool size), ``same`` padding with even windows,
non-contiguous inputs. Values keep away from ties in pool windows and from ReLU's kink, so that a step of 1e-6
never changes which branch a difference takes.
"""

import numpy as np
from hypothesis import strategies as st


def make_input(rng, shape, contiguous, dtype=np.float64):
    """Normal values; when not ``contiguous``, a strided view into a wider array with the same values' shape."""
    if contiguous:
        return rng.standard_normal(shape).astype(dtype)
    wide = rng.standard_normal(shape[:2] + (2 * shape[2],) + shape[3:]).astype(dtype)
    return wide[:, :, ::2]


def distinct_input(rng, shape, contiguous, dtype=np.float64):
    """All values distinct with gaps of at least 0.1 (no ties in any pool window), shuffled."""
    values = (rng.permutation(int(np.prod(shape))) * 0.1 - 0.05 * np.prod(shape)).astype(dtype).reshape(shape)
    if contiguous:
        return values
    wide = np.zeros(shape[:2] + (2 * shape[2],) + shape[3:], dtype=dtype)
    wide[:, :, ::2] = values
    return wide[:, :, ::2]


@st.composite
def window_cases(draw, max_window=4, max_size=9, max_channels=3):
    """A convolution or pooling geometry: batch, sizes, channels, window, strides, padding, seed, contiguity."""
    padding = draw(st.sampled_from(["valid", "same"]))
    kh, kw = draw(st.integers(1, max_window)), draw(st.integers(1, max_window))
    low_h, low_w = (kh, kw) if padding == "valid" else (1, 1)
    return {
        "n": draw(st.integers(1, 4)),
        "h": draw(st.integers(low_h, max(low_h, max_size))),
        "w": draw(st.integers(low_w, max(low_w, max_size))),
        "c_in": draw(st.integers(1, max_channels)),
        "c_out": draw(st.integers(1, max_channels)),
        "window": (kh, kw),
        "strides": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "padding": padding,
        "seed": draw(st.integers(0, 2**32 - 1)),
        "contiguous": draw(st.booleans()),
    }
