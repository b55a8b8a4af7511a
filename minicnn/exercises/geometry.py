"""The shapes and settings tried on the convolution and pooling exercises, and the padding arithmetic they share.

A *case* is a dict of sizes and settings; ``make_arguments`` in each exercise turns it into arrays. The hand-picked
cases go from the plainest (one 3×3 image, one channel, stride 1, no padding) to the corners where bugs hide (odd
``same`` padding, strides above 1, ``same`` padding of none where a stride skips the last rows, overlapping pooling
windows, rows left over). The random cases come from
hypothesis, which shrinks a failure to its smallest shapes.
"""

import numpy as np
from hypothesis import strategies as st

from minicnn.kernels.padding import output_length, padding_amounts

CONV_FIXED_CASES = (
    dict(n=1, h=3, w=3, c_in=1, c_out=1, kh=2, kw=2, stride=1, padding="valid"),
    dict(n=1, h=3, w=3, c_in=1, c_out=1, kh=3, kw=3, stride=1, padding="same"),
    dict(n=1, h=5, w=5, c_in=1, c_out=1, kh=3, kw=3, stride=2, padding="valid"),
    dict(n=2, h=4, w=5, c_in=2, c_out=2, kh=3, kw=2, stride=1, padding="valid"),
    dict(n=1, h=4, w=3, c_in=3, c_out=2, kh=2, kw=2, stride=1, padding="valid"),
    dict(n=2, h=5, w=4, c_in=1, c_out=2, kh=2, kw=2, stride=1, padding="same"),
    dict(n=1, h=6, w=5, c_in=2, c_out=2, kh=3, kw=3, stride=2, padding="same"),
    # a 1×1 kernel with stride 2 (a ResNet shortcut): (H_out − 1)·s + kh − H is −1, and "same" pads no zeros
    dict(n=1, h=4, w=4, c_in=2, c_out=1, kh=1, kw=1, stride=2, padding="same"),
)


@st.composite
def conv_cases(draw):
    """Batch 1–3, kernels 1–3 on a side, 1–3 channels, stride 1–3, ``valid`` (kernel fits) or ``same`` padding."""
    padding = draw(st.sampled_from(["valid", "same"]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    extra_h, extra_w = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    return dict(n=draw(st.integers(1, 3)),
                h=kh + extra_h if padding == "valid" else 1 + extra_h,
                w=kw + extra_w if padding == "valid" else 1 + extra_w,
                c_in=draw(st.integers(1, 3)), c_out=draw(st.integers(1, 3)), kh=kh, kw=kw,
                stride=draw(st.integers(1, 3)), padding=padding)


POOL_FIXED_CASES = (
    dict(n=1, h=4, w=4, c=1, pool_size=2, stride=None),
    dict(n=2, h=4, w=6, c=2, pool_size=2, stride=None),
    dict(n=1, h=5, w=5, c=1, pool_size=3, stride=2),
    dict(n=1, h=5, w=4, c=2, pool_size=2, stride=1),
    dict(n=2, h=7, w=6, c=1, pool_size=3, stride=None),
)


@st.composite
def pool_cases(draw):
    """Batch 1–3, 1–3 channels, pools 1–3 on a side, stride None (= pool size) or 1–3 (below the pool size they
    overlap), images from the pool size to 4 more."""
    pool_size = draw(st.integers(1, 3))
    return dict(n=draw(st.integers(1, 3)), h=pool_size + draw(st.integers(0, 4)),
                w=pool_size + draw(st.integers(0, 4)), c=draw(st.integers(1, 3)), pool_size=pool_size,
                stride=draw(st.one_of(st.none(), st.integers(1, 3))))


def conv_output_size(case):
    """``(H_out, W_out)`` of the convolution in ``case``."""
    return (output_length(case["h"], case["kh"], case["stride"], case["padding"]),
            output_length(case["w"], case["kw"], case["stride"], case["padding"]))


def conv_case_notes(x, kernel, stride, padding, **_):
    """What is special about a convolution case, for ``Exercise.case_notes``: a "same" padding whose
    ``(H_out − 1)·s + kh − H`` is negative, where ``pad_total = max(…, 0)`` adds no zeros (without the ``max`` the
    padding comes out negative, and the padded image smaller than the image)."""
    if padding != "same":
        return []
    notes = []
    for axis, size, side, length, window in (("rows", "H", "kh", x.shape[1], kernel.shape[0]),
                                             ("columns", "W", "kw", x.shape[2], kernel.shape[1])):
        out = output_length(length, window, stride, padding)
        total = (out - 1) * stride + window - length
        if total < 0:
            notes.append(f"along the {axis}, pad_total = max(({size}_out − 1)·s + {side} − {size}, 0) = "
                         f"max(({out} − 1)·{stride} + {window} − {length}, 0) = max({total}, 0) = 0 here: "
                         f"padding='same' adds no zeros, and the windows leave out the last "
                         f"{axis[:-1] if total == -1 else f'{-total} {axis}'}.".replace("-", "−"))
    return notes


def pool_output_size(case):
    """``(H_out, W_out)`` of the pooling in ``case``."""
    stride = case["stride"] or case["pool_size"]
    return ((case["h"] - case["pool_size"]) // stride + 1, (case["w"] - case["pool_size"]) // stride + 1)


def padding_of(x, kernel, stride, padding):
    """``((top, bottom), (left, right))``: the zeros added around ``x`` for this convolution (Keras' rule)."""
    return (padding_amounts(x.shape[1], kernel.shape[0], stride, padding),
            padding_amounts(x.shape[2], kernel.shape[1], stride, padding))


def pad(x, rows, cols):
    """``x`` (N, H, W, C) with ``rows = (top, bottom)`` and ``cols = (left, right)`` zeros added."""
    return np.pad(x, ((0, 0), rows, cols, (0, 0)))
