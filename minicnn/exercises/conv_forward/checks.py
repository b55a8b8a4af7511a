"""What the checker compares a ``conv_forward`` with: the reference, the cases, and the classic mistakes."""

from minicnn.exercises.exercise import Exercise, MistakeList, NotApplicable
from minicnn.exercises.geometry import CONV_FIXED_CASES, conv_case_notes, conv_cases, pad, padding_of
from minicnn.exercises.values import nonzero_values, value_step
from minicnn.kernels import numpy_kernels


def reference(x, kernel, bias, stride, padding):
    """minicnn's NumPy convolution (im2col), itself tested against the loops of ``minicnn.equations``."""
    return numpy_kernels.conv2d_forward(x, kernel, bias, (stride, stride), padding)


def make_arguments(case, rng):
    return {"x": nonzero_values(rng, (case["n"], case["h"], case["w"], case["c_in"]), step=value_step(case)),
            "kernel": nonzero_values(rng, (case["kh"], case["kw"], case["c_in"], case["c_out"]), step=value_step(case)),
            "bias": nonzero_values(rng, (case["c_out"],), step=value_step(case)),
            "stride": case["stride"], "padding": case["padding"]}


mistakes = MistakeList()

# --- the kernel -------------------------------------------------------------------------------------------------------


@mistakes.add("y", "kernel flipped",
              "Your y is the textbook convolution, with the kernel rotated by 180°. Deep-learning frameworks (Keras, "
              "PyTorch, minicnn) compute the cross-correlation: y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c "
              "x_pad[n, i·s+k, j·s+l, c] · w[k,l,c,o]. Index the kernel as kernel[k, l, c, o], not "
              "kernel[kh−1−k, kw−1−l, c, o].")
def kernel_flipped(x, kernel, bias, stride, padding):
    return reference(x, kernel[::-1, ::-1], bias, stride, padding)


@mistakes.add("y", "kernel rows and columns swapped",
              "You used the kernel transposed, kernel[l, k] where the equation has w[k, l]: k runs over the "
              "kernel's rows (with the image's rows, i·s + k) and l over its columns (with j·s + l).")
def kernel_rows_and_columns_swapped(x, kernel, bias, stride, padding):
    return reference(x, kernel.transpose(1, 0, 2, 3), bias, stride, padding)


@mistakes.add("y", "kernel's input and output channels swapped",
              "You indexed the kernel as w[k, l, o, c]. Its layout is (kh, kw, C_in, C_out): w[k, l, c, o] with the "
              "input channel c third and the output channel o last.")
def kernel_channels_swapped(x, kernel, bias, stride, padding):
    if kernel.shape[2] != kernel.shape[3]:
        raise NotApplicable("the swapped kernel would not fit x")
    return reference(x, kernel.transpose(0, 1, 3, 2), bias, stride, padding)


# --- the bias ---------------------------------------------------------------------------------------------------------


@mistakes.add("y", "bias left out",
              "Your y has no bias. Each output channel o adds its bias once to every output: "
              "y[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c ...")
def bias_left_out(x, kernel, bias, stride, padding):
    return reference(x, kernel, None, stride, padding)


@mistakes.add("y", "bias added inside the sum",
              "Your bias is added once per term of the sum (inside the loops over k, l, c) instead of once per output: "
              "start the sum at b[o] (total = bias[o]) and then add only the products.")
def bias_added_inside_the_sum(x, kernel, bias, stride, padding):
    kh, kw, c_in, _ = kernel.shape
    no_bias = reference(x, kernel, None, stride, padding)
    return [no_bias + kh * kw * c_in * bias, no_bias + kh * kw * bias]


# --- the output size and the stride -----------------------------------------------------------------------------------


@mistakes.add("y", "output size off by one",
              "Your y has one row or column too few. The window fits (H + pad_top + pad_bottom − kh) // s + 1 times: "
              "the final +1 counts the first position, i = 0 (and (H − kh + 1) // s is not the same once s > 1).")
def output_size_off_by_one(x, kernel, bias, stride, padding):
    """Short by one row, one column or both. One axis alone only with a square kernel: with a 3×2 kernel one column
    short is the width computed with kh (the next mistake); a forgotten +1 would have failed the square cases."""
    y = reference(x, kernel, bias, stride, padding)
    if kernel.shape[0] != kernel.shape[1]:
        return [y[:, :-1, :-1]]
    return [y[:, :-1], y[:, :, :-1], y[:, :-1, :-1]]


@mistakes.add("y", "kernel's height used for the width (or its width for the height)",
              "Your y has too few columns (or rows): its width was computed with the kernel's height kh (or its "
              "height with kw). The rows go with kh, the columns with kw: H_out = (H + pad_top + pad_bottom − kh) "
              "// s + 1 and W_out = (W + pad_left + pad_right − kw) // s + 1, which differ once the kernel is not "
              "square.")
def kernel_sides_mixed_up_in_the_output_size(x, kernel, bias, stride, padding):
    """y cut to the rows that kw gives or the columns that kh gives, where that is fewer (where it is more, the
    windows run past the padded image and the student's code crashes instead)."""
    kh, kw = kernel.shape[:2]
    (top, bottom), (left, right) = padding_of(x, kernel, stride, padding)
    rows_with_kw = (top + x.shape[1] + bottom - kw) // stride + 1
    columns_with_kh = (left + x.shape[2] + right - kh) // stride + 1
    y = reference(x, kernel, bias, stride, padding)
    shorter = ([y[:, :rows_with_kw]] if 0 < rows_with_kw < y.shape[1] else []) \
        + ([y[:, :, :columns_with_kh]] if 0 < columns_with_kh < y.shape[2] else [])
    if not shorter:
        raise NotApplicable("a square kernel, or a mix-up that gives more rows or columns, not fewer")
    return shorter


@mistakes.add("y", "stride ignored",
              "Your y has an output for every position of the window, as with stride 1. With stride s the window "
              "moves s pixels between outputs: H_out = (H + pad_top + pad_bottom − kh) // s + 1, and output (i, j) "
              "reads x_pad[n, i·s + k, j·s + l, c].")
def stride_ignored(x, kernel, bias, stride, padding):
    if stride == 1:
        raise NotApplicable("stride 1 has nothing to ignore")
    return reference(x, kernel, bias, 1, padding)


@mistakes.add("y", "stride left out of the input index",
              "Your y has the right size but reads x_pad[n, i + k, j + l, c]: output (i, j) starts at row i·s and "
              "column j·s, so read x_pad[n, i·s + k, j·s + l, c].")
def stride_left_out_of_the_index(x, kernel, bias, stride, padding):
    if stride == 1:
        raise NotApplicable("stride 1 has nothing to leave out")
    rows, cols = padding_of(x, kernel, stride, padding)
    every_position = reference(pad(x, rows, cols), kernel, bias, 1, "valid")
    h_out, w_out = reference(x, kernel, bias, stride, padding).shape[1:3]
    return every_position[:, :h_out, :w_out]


# --- the padding ------------------------------------------------------------------------------------------------------


@mistakes.add("y", "padding='same' ignored",
              "Your y is the 'valid' result: with padding='same', add zeros around x first so that "
              "H_out = ceil(H / s): pad_total = max((H_out − 1)·s + kh − H, 0), pad_top = pad_total // 2, "
              "pad_bottom = pad_total − pad_top (and the same for the columns).")
def same_padding_ignored(x, kernel, bias, stride, padding):
    if padding != "same":
        raise NotApplicable("no padding asked for")
    return reference(x, kernel, bias, stride, "valid")


@mistakes.add("y", "padding on one side only",
              "You put all the padding on one side (only at the top/left, or only at the bottom/right). Split it: "
              "pad_top = pad_total // 2 and pad_bottom = pad_total − pad_top, the same for left and right.")
def padding_on_one_side_only(x, kernel, bias, stride, padding):
    (top, bottom), (left, right) = padding_of(x, kernel, stride, padding)
    if top + bottom + left + right == 0:
        raise NotApplicable("no padding to misplace")
    rows, cols = top + bottom, left + right
    return [reference(pad(x, (rows, 0), (cols, 0)), kernel, bias, stride, "valid"),
            reference(pad(x, (0, rows), (0, cols)), kernel, bias, stride, "valid")]


@mistakes.add("y", "odd padding's extra zero on the wrong side",
              "When the total padding is odd you put the extra zero at the top/left. Keras, PyTorch and minicnn put it "
              "at the bottom/right: pad_top = pad_total // 2, pad_bottom = pad_total − pad_top.")
def extra_zero_on_the_wrong_side(x, kernel, bias, stride, padding):
    (top, bottom), (left, right) = padding_of(x, kernel, stride, padding)
    if top == bottom and left == right:
        raise NotApplicable("the padding is even")
    return reference(pad(x, (bottom, top), (right, left)), kernel, bias, stride, "valid")


@mistakes.add("y", "same padding as a fixed amount on each side",
              "You padded the same fixed amount on every side ((k − 1) // 2 or k // 2). 'same' padding depends on "
              "the stride and the size: H_out = ceil(H / s), pad_total = max((H_out − 1)·s + kh − H, 0), "
              "pad_top = pad_total // 2, pad_bottom = pad_total − pad_top.")
def same_padding_as_fixed_amount(x, kernel, bias, stride, padding):
    if padding != "same":
        raise NotApplicable("no padding asked for")
    kh, kw = kernel.shape[:2]
    return [reference(pad(x, (p_h, p_h), (p_w, p_w)), kernel, bias, stride, "valid")
            for p_h, p_w in (((kh - 1) // 2, (kw - 1) // 2), (kh // 2, kw // 2))]


EXERCISE = Exercise(
    name="conv_forward",
    parameters=("x", "kernel", "bias", "stride", "padding"),
    outputs=("y",),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=CONV_FIXED_CASES,
    case_notes=conv_case_notes,
    random_cases=conv_cases,
    mistakes=mistakes,
    shape_rules={"y": "y has shape (N, H_out, W_out, C_out) with H_out = (H + pad_top + pad_bottom − kh) // s + 1, "
                      "which is ceil(H / s) for padding='same'"},
)
