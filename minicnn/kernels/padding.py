"""Output sizes and padding amounts for convolution and pooling windows.

The one place where the window arithmetic lives; layers, kernels and the readable equations all ask here.

Notes
-----
``valid`` padding adds nothing and keeps only windows that fit::

    H_out = (H - kh) // stride + 1

``same`` padding (Keras/TensorFlow's rule) chooses the output size first and pads just enough to reach it::

    H_out = ceil(H / stride)
    pad_total = max((H_out - 1) * stride + kh - H, 0)
    pad_before = pad_total // 2,   pad_after = pad_total - pad_before

so an even kernel puts the extra row or column at the bottom/right, as Keras and PyTorch's ``padding="same"`` do.
"""

from minicnn.errors import ShapeError

PADDINGS = ("valid", "same")


def check_padding(padding, argument="padding"):
    """Return ``padding`` lower-cased, or raise a ValueError naming the choices."""
    if not isinstance(padding, str) or padding.lower() not in PADDINGS:
        raise ValueError(f"{argument} must be one of {PADDINGS}, got {padding!r}")
    return padding.lower()


def output_length(length, window, stride, padding):
    """Number of window positions along one axis: ``(H - kh) // stride + 1`` (valid) or ``ceil(H / stride)`` (same).

    Returns 0 or less when a ``valid`` window does not fit; callers turn that into an error.
    """
    if padding == "same":
        return -(-length // stride)
    return (length - window) // stride + 1


def padding_amounts(length, window, stride, padding):
    """Zeros added ``(before, after)`` along one axis so that the windows give ``output_length`` positions."""
    if padding == "valid":
        return 0, 0
    out = output_length(length, window, stride, padding)
    total = max((out - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


def spatial_output_size(height, width, window, strides, padding, where, what="kernel"):
    """``(H_out, W_out)`` for a ``window`` sliding over an ``height``×``width`` input; a clear error if it does not
    fit."""
    out_h = output_length(height, window[0], strides[0], padding)
    out_w = output_length(width, window[1], strides[1], padding)
    if out_h < 1 or out_w < 1:
        raise ShapeError(f"{where}: {what} {tuple(window)} does not fit in an input of {height}×{width} with "
                         f"padding='valid'; use a smaller {what} or padding='same'")
    return out_h, out_w
