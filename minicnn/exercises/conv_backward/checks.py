"""What the checker compares a ``conv_backward`` with: the reference, the cases, and the classic mistakes.

Most mistake models reuse the reference on changed inputs: a flipped kernel, ``x`` padded on one side only, ``∂L/∂y``
spread over the positions of stride 1. ``backward_on_padded`` gives the gradient for ``x`` padded by hand, before the
padding is cut off, which is where the padding mistakes happen.
"""

import numpy as np

from minicnn.exercises.exercise import Exercise, MistakeList, NotApplicable
from minicnn.exercises.geometry import CONV_FIXED_CASES, conv_case_notes, conv_cases, conv_output_size, pad, padding_of
from minicnn.exercises.values import nonzero_values, value_step
from minicnn.kernels import numpy_kernels


def reference(grad_y, x, kernel, stride, padding):
    """minicnn's NumPy convolution backward (im2col, col2im), itself tested against numerical gradients."""
    return numpy_kernels.conv2d_backward(grad_y, x, kernel, (stride, stride), padding)


def backward_on_padded(grad_y, x_padded, kernel, stride):
    """``(∂L/∂x_pad, ∂L/∂w, ∂L/∂b)`` for an input padded by hand, before any padding is cut off."""
    return numpy_kernels.conv2d_backward(grad_y, x_padded, kernel, (stride, stride), "valid")


def make_arguments(case, rng):
    h_out, w_out = conv_output_size(case)
    return {"grad_y": nonzero_values(rng, (case["n"], h_out, w_out, case["c_out"]), step=value_step(case)),
            "x": nonzero_values(rng, (case["n"], case["h"], case["w"], case["c_in"]), step=value_step(case)),
            "kernel": nonzero_values(rng, (case["kh"], case["kw"], case["c_in"], case["c_out"]), step=value_step(case)),
            "stride": case["stride"], "padding": case["padding"]}


def padded_on_one_side(grad_y, x, kernel, stride, padding):
    """The gradients of a solution that put all the padding before (top/left) or all after (bottom/right), each with
    that padding cut off again: ``[(grad_x, grad_kernel), (grad_x, grad_kernel)]``."""
    (top, bottom), (left, right) = padding_of(x, kernel, stride, padding)
    rows, cols = top + bottom, left + right
    if rows + cols == 0:
        raise NotApplicable("no padding to misplace")
    height, width = x.shape[1:3]
    before = backward_on_padded(grad_y, pad(x, (rows, 0), (cols, 0)), kernel, stride)
    after = backward_on_padded(grad_y, pad(x, (0, rows), (0, cols)), kernel, stride)
    return [(before[0][:, rows:, cols:], before[1]), (after[0][:, :height, :width], after[1])]


def extra_zero_before(grad_y, x, kernel, stride, padding):
    """The gradients of a solution that puts an odd padding's extra zero at the top/left (pad_top = pad_total −
    pad_total // 2), and cuts the padding off with that same pad_top: ``(grad_x, grad_kernel)``."""
    (top, bottom), (left, right) = padding_of(x, kernel, stride, padding)
    if top == bottom and left == right:
        raise NotApplicable("the padding is even")
    grad_x_padded, grad_kernel, _ = backward_on_padded(grad_y, pad(x, (bottom, top), (right, left)), kernel, stride)
    return grad_x_padded[:, bottom:bottom + x.shape[1], right:right + x.shape[2]], grad_kernel


def without_stride_in_the_index(grad_y, x, kernel, stride, padding):
    """The gradients of a solution that reads ``x_pad[n, i + k, j + l, c]`` instead of
    ``x_pad[n, i·s + k, j·s + l, c]``: the stride-1 gradients with ``∂L/∂y`` in the top-left corner of the stride-1
    output, zeros elsewhere."""
    if stride == 1:
        raise NotApplicable("stride 1 has nothing to leave out")
    (top, bottom), (left, right) = padding_of(x, kernel, stride, padding)
    x_padded = pad(x, (top, bottom), (left, right))
    kh, kw = kernel.shape[:2]
    n, h_out, w_out, c_out = grad_y.shape
    every_position = np.zeros((n, x_padded.shape[1] - kh + 1, x_padded.shape[2] - kw + 1, c_out))
    every_position[:, :h_out, :w_out] = grad_y
    grad_x_padded, grad_kernel, _ = backward_on_padded(every_position, x_padded, kernel, 1)
    return grad_x_padded[:, top:top + x.shape[1], left:left + x.shape[2]], grad_kernel


def overwritten(grad_y, x, kernel, stride, padding):
    """The gradients of a solution that writes ``=`` where the sums need ``+=``, in the reference's loop order
    ``n, i, j, o`` then ``k, l, c``: each entry keeps only the last term written to it. ``(grad_x, grad_kernel,
    grad_bias)``."""
    (top, bottom), (left, right) = padding_of(x, kernel, stride, padding)
    x_pad = pad(x, (top, bottom), (left, right))
    grad_x_pad, grad_kernel, grad_bias = np.zeros(x_pad.shape), np.zeros(kernel.shape), np.zeros(kernel.shape[3])
    s = stride
    for n, i, j, o in np.ndindex(*grad_y.shape):
        g = grad_y[n, i, j, o]
        grad_bias[o] = g
        for k, l, c in np.ndindex(*kernel.shape[:3]):
            grad_kernel[k, l, c, o] = g * x_pad[n, i * s + k, j * s + l, c]
            grad_x_pad[n, i * s + k, j * s + l, c] = g * kernel[k, l, c, o]
    return grad_x_pad[:, top:top + x.shape[1], left:left + x.shape[2]], grad_kernel, grad_bias


OVERWRITTEN_HINT = ("Every output position (n, i, j) adds its own term to this gradient, so the sum needs += "
                    "(grad[...] += ...), not =, which keeps only the last position's term.")

mistakes = MistakeList()

# --- grad_x -----------------------------------------------------------------------------------------------------------


@mistakes.add("grad_x", "kernel flipped",
              "Your ∂L/∂x uses the kernel rotated by 180°. In the forward sum x_pad[n, i·s+k, j·s+l, c] meets "
              "w[k,l,c,o], so ∂L/∂x_pad[n, i·s+k, j·s+l, c] += ∂L/∂y[n,i,j,o] · w[k,l,c,o], with the same k, l. "
              "(Written as a 'full convolution' of ∂L/∂y, the kernel is rotated exactly once: check you did not "
              "rotate it twice or not at all.)")
def grad_x_kernel_flipped(grad_y, x, kernel, stride, padding):
    return reference(grad_y, x, kernel[::-1, ::-1], stride, padding)[0]


@mistakes.add("grad_x", "kernel's input and output channels swapped",
              "Your ∂L/∂x uses w[k, l, o, c]. The kernel's layout is (kh, kw, C_in, C_out): "
              "∂L/∂x_pad[n, i·s+k, j·s+l, c] += Σ_o ∂L/∂y[n,i,j,o] · w[k, l, c, o].")
def grad_x_channels_swapped(grad_y, x, kernel, stride, padding):
    if kernel.shape[2] != kernel.shape[3]:
        raise NotApplicable("the swapped kernel would not fit x")
    return reference(grad_y, x, kernel.transpose(0, 1, 3, 2), stride, padding)[0]


@mistakes.add("grad_x", "padding not cut off",
              "Your ∂L/∂x still has the padding: it is ∂L/∂x_pad. The padded zeros are constants, not inputs; "
              "return ∂L/∂x_pad[:, pad_top:pad_top + H, pad_left:pad_left + W, :], of the shape of x.")
def grad_x_padding_not_cut_off(grad_y, x, kernel, stride, padding):
    rows, cols = padding_of(x, kernel, stride, padding)
    if rows == (0, 0) and cols == (0, 0):
        raise NotApplicable("no padding")
    return backward_on_padded(grad_y, pad(x, rows, cols), kernel, stride)[0]


@mistakes.add("grad_x", "padding on one side only",
              "Your ∂L/∂x is shifted: you padded x on one side only (all at the top/left, or all at the "
              "bottom/right), or cut the padding off at the wrong side. Row r of x is row pad_top + r of x_pad, with "
              "pad_top = pad_total // 2 as in the forward pass, so ∂L/∂x = ∂L/∂x_pad[:, pad_top:pad_top + H, "
              "pad_left:pad_left + W, :].")
def grad_x_padding_on_one_side(grad_y, x, kernel, stride, padding):
    return [grad_x for grad_x, _ in padded_on_one_side(grad_y, x, kernel, stride, padding)]


@mistakes.add("grad_x", "odd padding's extra zero on the wrong side",
              "When the total padding is odd you put the extra zero at the top/left. As in the forward pass, it goes "
              "at the bottom/right: pad_top = pad_total // 2, pad_bottom = pad_total − pad_top, and ∂L/∂x = "
              "∂L/∂x_pad[:, pad_top:pad_top + H, pad_left:pad_left + W, :].")
def grad_x_extra_zero_before(grad_y, x, kernel, stride, padding):
    return extra_zero_before(grad_y, x, kernel, stride, padding)[0]


@mistakes.add("grad_x", "stride left out of the input index",
              "Your ∂L/∂x goes to x_pad[n, i + k, j + l, c]: output (i, j) read the window that starts at row i·s and "
              "column j·s, so send its gradient to x_pad[n, i·s + k, j·s + l, c]. (Written as a full convolution "
              "with the kernel rotated by 180°: put s − 1 zeros between neighbouring entries of ∂L/∂y first.)")
def grad_x_stride_left_out(grad_y, x, kernel, stride, padding):
    return without_stride_in_the_index(grad_y, x, kernel, stride, padding)[0]


@mistakes.add("grad_x", "divided by N",
              "Your ∂L/∂x is N times too small. The 1/N of the mean loss is already inside ∂L/∂y, and each image's "
              "∂L/∂x[n] comes from its own ∂L/∂y[n] alone: nothing is summed over the batch, so nothing is divided "
              "by N.")
def grad_x_divided_by_n(grad_y, x, kernel, stride, padding):
    if len(x) == 1:
        raise NotApplicable("N = 1")
    return reference(grad_y, x, kernel, stride, padding)[0] / len(x)


@mistakes.add("grad_x", "wrong sign",
              "Your ∂L/∂x has the wrong sign: ∂L/∂x_pad[n, i·s+k, j·s+l, c] += ∂L/∂y[n,i,j,o] · w[k,l,c,o], "
              "with no minus.")
def grad_x_wrong_sign(grad_y, x, kernel, stride, padding):
    return -reference(grad_y, x, kernel, stride, padding)[0]


# --- grad_kernel ------------------------------------------------------------------------------------------------------


@mistakes.add("grad_kernel", "kernel flipped",
              "Your ∂L/∂w is rotated by 180°. Weight w[k,l,c,o] met x_pad[n, i·s+k, j·s+l, c] in the forward sum, so "
              "∂L/∂w[k,l,c,o] += ∂L/∂y[n,i,j,o] · x_pad[n, i·s+k, j·s+l, c], with the same k, l.")
def grad_kernel_flipped(grad_y, x, kernel, stride, padding):
    return reference(grad_y, x, kernel, stride, padding)[1][::-1, ::-1]


@mistakes.add("grad_kernel", "kernel gradient's channel axes swapped",
              "Your ∂L/∂w has its channel axes swapped: it must have the kernel's shape (kh, kw, C_in, C_out), "
              "∂L/∂w[k, l, c, o] with the input channel c third.")
def grad_kernel_channels_swapped(grad_y, x, kernel, stride, padding):
    return reference(grad_y, x, kernel, stride, padding)[1].transpose(0, 1, 3, 2)


@mistakes.add("grad_kernel", "kernel gradient's rows and columns swapped",
              "Your ∂L/∂w[k, l, c, o] holds what belongs to ∂L/∂w[l, k, c, o]: the kernel's row k goes with the "
              "input's row offset, ∂L/∂w[k, l, c, o] = Σ ∂L/∂y[n,i,j,o] · x_pad[n, i·s + k, j·s + l, c] "
              "(k with i, l with j).")
def grad_kernel_rows_and_columns_swapped(grad_y, x, kernel, stride, padding):
    if kernel.shape[0] != kernel.shape[1]:
        raise NotApplicable("a kernel of other height and width: swapped, it has another shape")
    return reference(grad_y, x, kernel, stride, padding)[1].transpose(1, 0, 2, 3)


@mistakes.add("grad_kernel", "kernel gradient not summed over the batch",
              "Your ∂L/∂w holds one image's contribution (= instead of += in the loop over n?). The weights are "
              "shared by every image: ∂L/∂w[k,l,c,o] = Σ_n Σ_i Σ_j ∂L/∂y[n,i,j,o] · x_pad[n, i·s+k, j·s+l, c].")
def grad_kernel_one_image_only(grad_y, x, kernel, stride, padding):
    if len(x) == 1:
        raise NotApplicable("one image is the whole batch")
    return [reference(grad_y[:1], x[:1], kernel, stride, padding)[1],
            reference(grad_y[-1:], x[-1:], kernel, stride, padding)[1]]


@mistakes.add("grad_kernel", "divided by N",
              "Your ∂L/∂w is N times too small. The 1/N of the mean loss is already inside ∂L/∂y; the gradient is the "
              "plain sum over the batch and the positions.")
def grad_kernel_divided_by_n(grad_y, x, kernel, stride, padding):
    if len(x) == 1:
        raise NotApplicable("N = 1")
    return reference(grad_y, x, kernel, stride, padding)[1] / len(x)


@mistakes.add("grad_kernel", "padding on one side only",
              "Your ∂L/∂w comes from x padded on one side only. Pad as the forward pass does: "
              "pad_top = pad_total // 2, pad_bottom = pad_total − pad_top (the same for left and right).")
def grad_kernel_padding_on_one_side(grad_y, x, kernel, stride, padding):
    return [grad_kernel for _, grad_kernel in padded_on_one_side(grad_y, x, kernel, stride, padding)]


@mistakes.add("grad_kernel", "odd padding's extra zero on the wrong side",
              "Your ∂L/∂w comes from x padded with an odd padding's extra zero at the top/left. Pad as the forward "
              "pass does: pad_top = pad_total // 2, pad_bottom = pad_total − pad_top (the same for left and right).")
def grad_kernel_extra_zero_before(grad_y, x, kernel, stride, padding):
    return extra_zero_before(grad_y, x, kernel, stride, padding)[1]


@mistakes.add("grad_kernel", "stride left out of the input index",
              "Your ∂L/∂w multiplies ∂L/∂y[n,i,j,o] by x_pad[n, i + k, j + l, c]; output (i, j) read "
              "x_pad[n, i·s + k, j·s + l, c].")
def grad_kernel_stride_left_out(grad_y, x, kernel, stride, padding):
    return without_stride_in_the_index(grad_y, x, kernel, stride, padding)[1]


@mistakes.add("grad_kernel", "wrong sign",
              "Your ∂L/∂w has the wrong sign: ∂L/∂w[k,l,c,o] = Σ ∂L/∂y[n,i,j,o] · x_pad[n, i·s+k, j·s+l, c], "
              "with no minus.")
def grad_kernel_wrong_sign(grad_y, x, kernel, stride, padding):
    return -reference(grad_y, x, kernel, stride, padding)[1]


# --- grad_bias --------------------------------------------------------------------------------------------------------


@mistakes.add("grad_bias", "bias gradient not summed over N, H and W",
              "Your ∂L/∂b is not summed over the whole batch and every position. b[o] is added to every output "
              "y[n, i, j, o], so ∂L/∂b[o] = Σ_n Σ_i Σ_j ∂L/∂y[n, i, j, o]: grad_y.sum(axis=(0, 1, 2)), shape (C_out,).")
def grad_bias_not_summed(grad_y, x, kernel, stride, padding):
    return [grad_y, grad_y.sum(axis=(1, 2)), grad_y.sum(axis=0), grad_y.sum(axis=(0, 1)), grad_y.sum(axis=(0, 2)),
            grad_y[0].sum(axis=(0, 1)), grad_y[-1].sum(axis=(0, 1))]


@mistakes.add("grad_bias", "divided by N",
              "Your ∂L/∂b is divided by the batch size. The 1/N of the mean loss is already inside ∂L/∂y: "
              "∂L/∂b[o] = Σ_n Σ_i Σ_j ∂L/∂y[n, i, j, o].")
def grad_bias_divided_by_n(grad_y, x, kernel, stride, padding):
    return grad_y.sum(axis=(0, 1, 2)) / len(grad_y)


@mistakes.add("grad_bias", "averaged over N, H and W instead of summed",
              "Your ∂L/∂b is the mean of ∂L/∂y over the batch and every position. b[o] is added to every output "
              "y[n, i, j, o], so each of them adds its whole gradient: ∂L/∂b[o] = Σ_n Σ_i Σ_j ∂L/∂y[n, i, j, o].")
def grad_bias_averaged(grad_y, x, kernel, stride, padding):
    return grad_y.mean(axis=(0, 1, 2))


@mistakes.add("grad_bias", "bias gradient summed over the channels too",
              "Your ∂L/∂b is one number: the sum of all of ∂L/∂y. Each output channel has its own bias, so keep the "
              "channel axis: ∂L/∂b[o] = Σ_n Σ_i Σ_j ∂L/∂y[n, i, j, o], shape (C_out,).")
def grad_bias_summed_over_everything(grad_y, x, kernel, stride, padding):
    return grad_y.sum()


@mistakes.add("grad_bias", "bias gradient left at zero",
              "Your ∂L/∂b is all zeros. b[o] is added to every output of channel o, so "
              "∂L/∂b[o] = Σ_n Σ_i Σ_j ∂L/∂y[n, i, j, o].")
def grad_bias_zero(grad_y, x, kernel, stride, padding):
    return np.zeros(grad_y.shape[3])


@mistakes.add("grad_bias", "wrong sign",
              "Your ∂L/∂b has the wrong sign: ∂L/∂b[o] = Σ_n Σ_i Σ_j ∂L/∂y[n, i, j, o], with no minus.")
def grad_bias_wrong_sign(grad_y, x, kernel, stride, padding):
    return -grad_y.sum(axis=(0, 1, 2))


@mistakes.add("grad_x", "= instead of += (only the last position's term kept)",
              "Where windows overlap, an input is read by several output positions, and ∂L/∂x[n, p, q, c] is the sum "
              "of their terms: " + OVERWRITTEN_HINT)
def grad_x_overwritten(grad_y, x, kernel, stride, padding):
    return overwritten(grad_y, x, kernel, stride, padding)[0]


@mistakes.add("grad_kernel", "= instead of += (only the last position's term kept)",
              "∂L/∂w[k, l, c, o] = Σ_n Σ_i Σ_j ∂L/∂y[n, i, j, o] · x_pad[n, i·s + k, j·s + l, c]: " + OVERWRITTEN_HINT)
def grad_kernel_overwritten(grad_y, x, kernel, stride, padding):
    return overwritten(grad_y, x, kernel, stride, padding)[1]


@mistakes.add("grad_bias", "= instead of += (only the last position's term kept)",
              "∂L/∂b[o] = Σ_n Σ_i Σ_j ∂L/∂y[n, i, j, o]: " + OVERWRITTEN_HINT)
def grad_bias_overwritten(grad_y, x, kernel, stride, padding):
    return overwritten(grad_y, x, kernel, stride, padding)[2]


EXERCISE = Exercise(
    name="conv_backward",
    parameters=("grad_y", "x", "kernel", "stride", "padding"),
    outputs=("grad_x", "grad_kernel", "grad_bias"),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=CONV_FIXED_CASES,
    case_notes=conv_case_notes,
    random_cases=conv_cases,
    mistakes=mistakes,
    shape_rules={"grad_x": "∂L/∂x has the shape of x, (N, H, W, C_in), without the padding",
                 "grad_kernel": "∂L/∂w has the shape of the kernel, (kh, kw, C_in, C_out)",
                 "grad_bias": "∂L/∂b has the shape of the bias, (C_out,): one value per output channel"},
)
