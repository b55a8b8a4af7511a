"""The course exercises (``minicnn.exercises``): each checker passes the reference solution, names each classic mistake
written as a student would write it, and explains wrong shapes, exceptions and unloadable files without a traceback.

The wrong solutions below are written independently of the checker's mistake models (with their own loops and
``einsum``), the way a student makes each mistake; a separate test then feeds every mistake model to the checker.
"""

import importlib
import inspect
import re
import sys
import textwrap

import numpy as np
import pytest

from minicnn import exercises
from minicnn.exercises import CheckResult, check
from minicnn.exercises.catalogue import NAMES, get_exercise
from minicnn.exercises.diagnosing import model_results


def reference_solution(name):
    return getattr(importlib.import_module(f"minicnn.exercises.{name}.solution"), name)


# ---------------------------------------------------------------------------------------------------------------------
# Independent student-style building blocks (not the checker's reference)
# ---------------------------------------------------------------------------------------------------------------------


def same_pads(length, window, stride):
    out = -(-length // stride)
    total = max((out - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


def pads_for(x, kernel, stride, padding):
    if padding == "valid":
        return (0, 0), (0, 0)
    return same_pads(x.shape[1], kernel.shape[0], stride), same_pads(x.shape[2], kernel.shape[1], stride)


def pad(x, rows, cols):
    return np.pad(x, ((0, 0), rows, cols, (0, 0)))


def correlate(x_pad, kernel, out_h, out_w, step):
    """``y[n,i,j,o] = Σ_k Σ_l Σ_c x_pad[n, i·step+k, j·step+l, c] · w[k,l,c,o]`` for ``i < out_h``, ``j < out_w``."""
    kh, kw = kernel.shape[:2]
    y = np.zeros((x_pad.shape[0], out_h, out_w, kernel.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            window = x_pad[:, i * step:i * step + kh, j * step:j * step + kw, :]
            y[:, i, j, :] = np.einsum("nklc,klco->no", window, kernel)
    return y


def good_conv_forward(x, kernel, bias, stride=1, padding="valid"):
    rows, cols = pads_for(x, kernel, stride, padding)
    x_pad = pad(x, rows, cols)
    out_h = (x_pad.shape[1] - kernel.shape[0]) // stride + 1
    out_w = (x_pad.shape[2] - kernel.shape[1]) // stride + 1
    return correlate(x_pad, kernel, out_h, out_w, stride) + bias


def send_back(grad_y, x_pad, kernel, stride, kernel_for_x=None):
    """``(∂L/∂x_pad, ∂L/∂w)``: each output's gradient sent back over its window."""
    kernel_for_x = kernel if kernel_for_x is None else kernel_for_x
    kh, kw = kernel.shape[:2]
    grad_x_pad, grad_kernel = np.zeros(x_pad.shape), np.zeros(kernel.shape)
    for i in range(grad_y.shape[1]):
        for j in range(grad_y.shape[2]):
            rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
            g = grad_y[:, i, j, :]
            grad_kernel += np.einsum("nklc,no->klco", x_pad[:, rows, cols, :], g)
            grad_x_pad[:, rows, cols, :] += np.einsum("no,klco->nklc", g, kernel_for_x)
    return grad_x_pad, grad_kernel


def good_conv_backward(grad_y, x, kernel, stride=1, padding="valid"):
    (top, bottom), (left, right) = pads_for(x, kernel, stride, padding)
    grad_x_pad, grad_kernel = send_back(grad_y, pad(x, (top, bottom), (left, right)), kernel, stride)
    grad_x = grad_x_pad[:, top:top + x.shape[1], left:left + x.shape[2], :]
    return grad_x, grad_kernel, grad_y.sum(axis=(0, 1, 2))


def pool_windows(x, pool_size, stride, out_h=None, out_w=None):
    """Yield ``(n, i, j, c, top, left, window)`` for every pooling window."""
    out_h = (x.shape[1] - pool_size) // stride + 1 if out_h is None else out_h
    out_w = (x.shape[2] - pool_size) // stride + 1 if out_w is None else out_w
    for n, i, j, c in np.ndindex(x.shape[0], out_h, out_w, x.shape[3]):
        top, left = i * stride, j * stride
        yield n, i, j, c, top, left, x[n, top:top + pool_size, left:left + pool_size, c]


def pool(x, pool_size, stride, reduce=np.max, shrink=0):
    s = pool_size if stride is None else stride
    out_h = (x.shape[1] - pool_size) // s + 1 - shrink
    out_w = (x.shape[2] - pool_size) // s + 1 - shrink
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for n, i, j, c, _, _, window in pool_windows(x, pool_size, s, out_h, out_w):
        y[n, i, j, c] = reduce(window)
    return y


def unpool(grad_y, x, pool_size, stride, mode="argmax"):
    s = pool_size if stride is None else stride
    grad_x = np.zeros(x.shape)
    for n, i, j, c, top, left, window in pool_windows(x, pool_size, s, *grad_y.shape[1:3]):
        g = grad_y[n, i, j, c]
        k, l = divmod(int(np.argmax(window)), pool_size)
        if mode == "argmax":
            grad_x[n, top + k, left + l, c] += g
        elif mode == "every element":
            grad_x[n, top:top + pool_size, left:left + pool_size, c] += g
        elif mode == "overwrite":
            grad_x[n, top + k, left + l, c] = g
        elif mode == "swapped":
            grad_x[n, top + l, left + k, c] += g
        elif mode == "mask":  # the vectorised answer: every input equal to the window's maximum
            grad_x[n, top:top + pool_size, left:left + pool_size, c] += g * (window == window.max())
        elif mode == "greater or equal":  # a loop that takes a new winner on >=: the last tied maximum
            best = (0, 0)
            for a, b in np.ndindex(window.shape):
                if window[a, b] >= window[best]:
                    best = (a, b)
            grad_x[n, top + best[0], left + best[1], c] += g
        elif mode == "column by column":  # the first maximum met scanning each column top to bottom, left to right
            best = (0, 0)
            for b, a in np.ndindex(window.shape[::-1]):
                if window[a, b] > window[best]:
                    best = (a, b)
            grad_x[n, top + best[0], left + best[1], c] += g
        elif mode == "split among ties":  # each tied maximum gets an equal share
            tied = window == window.max()
            grad_x[n, top:top + pool_size, left:left + pool_size, c] += g * tied / tied.sum()
    return grad_x


def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------------------------------------------------
# The classic mistakes, written as a student would make them: (exercise, output, mistake's name, function)
# ---------------------------------------------------------------------------------------------------------------------


def conv_forward_flipped(x, kernel, bias, stride=1, padding="valid"):
    return good_conv_forward(x, kernel[::-1, ::-1], bias, stride, padding)


def conv_forward_no_bias(x, kernel, bias, stride=1, padding="valid"):
    return good_conv_forward(x, kernel, np.zeros_like(bias), stride, padding)


def conv_forward_bias_in_sum(x, kernel, bias, stride=1, padding="valid"):
    kh, kw, c_in, _ = kernel.shape
    return good_conv_forward(x, kernel, kh * kw * c_in * bias, stride, padding)


def conv_forward_kernel_transposed(x, kernel, bias, stride=1, padding="valid"):
    return good_conv_forward(x, kernel.transpose(1, 0, 2, 3), bias, stride, padding)


def conv_forward_off_by_one(x, kernel, bias, stride=1, padding="valid"):
    rows, cols = pads_for(x, kernel, stride, padding)
    x_pad = pad(x, rows, cols)
    out_h = (x_pad.shape[1] - kernel.shape[0]) // stride  # forgot the + 1
    out_w = (x_pad.shape[2] - kernel.shape[1]) // stride
    return correlate(x_pad, kernel, out_h, out_w, stride) + bias


def conv_forward_width_from_kh(x, kernel, bias, stride=1, padding="valid"):
    rows, cols = pads_for(x, kernel, stride, padding)
    x_pad = pad(x, rows, cols)
    out_h = (x_pad.shape[1] - kernel.shape[0]) // stride + 1
    out_w = (x_pad.shape[2] - kernel.shape[0]) // stride + 1  # kh where the width needs kw
    return correlate(x_pad, kernel, out_h, out_w, stride) + bias


def conv_forward_padding_after_only(x, kernel, bias, stride=1, padding="valid"):
    (top, bottom), (left, right) = pads_for(x, kernel, stride, padding)
    x_pad = pad(x, (0, top + bottom), (0, left + right))
    out_h = (x_pad.shape[1] - kernel.shape[0]) // stride + 1
    out_w = (x_pad.shape[2] - kernel.shape[1]) // stride + 1
    return correlate(x_pad, kernel, out_h, out_w, stride) + bias


def conv_forward_stride_not_in_index(x, kernel, bias, stride=1, padding="valid"):
    rows, cols = pads_for(x, kernel, stride, padding)
    x_pad = pad(x, rows, cols)
    out_h = (x_pad.shape[1] - kernel.shape[0]) // stride + 1
    out_w = (x_pad.shape[2] - kernel.shape[1]) // stride + 1
    return correlate(x_pad, kernel, out_h, out_w, 1) + bias


def conv_forward_same_ignored(x, kernel, bias, stride=1, padding="valid"):
    return good_conv_forward(x, kernel, bias, stride, "valid")


def conv_forward_symmetric_padding(x, kernel, bias, stride=1, padding="valid"):
    p_h, p_w = (kernel.shape[0] - 1) // 2, (kernel.shape[1] - 1) // 2
    x_pad = pad(x, (p_h, p_h), (p_w, p_w)) if padding == "same" else x
    out_h = (x_pad.shape[1] - kernel.shape[0]) // stride + 1
    out_w = (x_pad.shape[2] - kernel.shape[1]) // stride + 1
    return correlate(x_pad, kernel, out_h, out_w, stride) + bias


def conv_backward_grad_x_with_flipped_kernel(grad_y, x, kernel, stride=1, padding="valid"):
    (top, bottom), (left, right) = pads_for(x, kernel, stride, padding)
    grad_x_pad, grad_kernel = send_back(grad_y, pad(x, (top, bottom), (left, right)), kernel, stride,
                                        kernel_for_x=kernel[::-1, ::-1])
    return grad_x_pad[:, top:top + x.shape[1], left:left + x.shape[2]], grad_kernel, grad_y.sum(axis=(0, 1, 2))


def conv_backward_bias_not_summed_over_batch(grad_y, x, kernel, stride=1, padding="valid"):
    grad_x, grad_kernel, _ = good_conv_backward(grad_y, x, kernel, stride, padding)
    return grad_x, grad_kernel, grad_y.sum(axis=(1, 2))


def conv_backward_bias_gradient_divided_by_n(grad_y, x, kernel, stride=1, padding="valid"):
    grad_x, grad_kernel, grad_bias = good_conv_backward(grad_y, x, kernel, stride, padding)
    return grad_x, grad_kernel, grad_bias / len(x)


def conv_backward_bias_gradient_averaged(grad_y, x, kernel, stride=1, padding="valid"):
    grad_x, grad_kernel, _ = good_conv_backward(grad_y, x, kernel, stride, padding)
    return grad_x, grad_kernel, grad_y.mean(axis=(0, 1, 2))


def conv_backward_kernel_gradient_divided_by_n(grad_y, x, kernel, stride=1, padding="valid"):
    grad_x, grad_kernel, grad_bias = good_conv_backward(grad_y, x, kernel, stride, padding)
    return grad_x, grad_kernel / len(x), grad_bias


def conv_backward_padding_not_cut_off(grad_y, x, kernel, stride=1, padding="valid"):
    rows, cols = pads_for(x, kernel, stride, padding)
    grad_x_pad, grad_kernel = send_back(grad_y, pad(x, rows, cols), kernel, stride)
    return grad_x_pad, grad_kernel, grad_y.sum(axis=(0, 1, 2))


def conv_backward_kernel_gradient_wrong_sign(grad_y, x, kernel, stride=1, padding="valid"):
    grad_x, grad_kernel, grad_bias = good_conv_backward(grad_y, x, kernel, stride, padding)
    return grad_x, -grad_kernel, grad_bias


def conv_backward_padding_after_only(grad_y, x, kernel, stride=1, padding="valid"):
    (top, bottom), (left, right) = pads_for(x, kernel, stride, padding)
    grad_x_pad, grad_kernel = send_back(grad_y, pad(x, (0, top + bottom), (0, left + right)), kernel, stride)
    return grad_x_pad[:, :x.shape[1], :x.shape[2]], grad_kernel, grad_y.sum(axis=(0, 1, 2))


def conv_backward_extra_zero_on_top(grad_y, x, kernel, stride=1, padding="valid"):
    (top, bottom), (left, right) = pads_for(x, kernel, stride, padding)
    top, bottom, left, right = bottom, top, right, left  # pad_top = pad_total − pad_total // 2
    grad_x_pad, grad_kernel = send_back(grad_y, pad(x, (top, bottom), (left, right)), kernel, stride)
    return grad_x_pad[:, top:top + x.shape[1], left:left + x.shape[2]], grad_kernel, grad_y.sum(axis=(0, 1, 2))


def conv_backward_all_divided_by_n(grad_y, x, kernel, stride=1, padding="valid"):
    return tuple(gradient / len(x) for gradient in good_conv_backward(grad_y, x, kernel, stride, padding))


def max_pool_forward_stride_none_as_one(x, pool_size=2, stride=None):
    if stride is None:
        stride = 1
    return pool(x, pool_size, stride)


def max_pool_forward_average(x, pool_size=2, stride=None):
    return pool(x, pool_size, stride, reduce=np.mean)


def max_pool_forward_off_by_one(x, pool_size=2, stride=None):
    return pool(x, pool_size, stride, shrink=1)


def max_pool_forward_stride_ignored(x, pool_size=2, stride=None):
    return pool(x, pool_size, pool_size)


def max_pool_backward_every_element(grad_y, x, pool_size=2, stride=None):
    return unpool(grad_y, x, pool_size, stride, mode="every element")


def max_pool_backward_overwrite(grad_y, x, pool_size=2, stride=None):
    return unpool(grad_y, x, pool_size, stride, mode="overwrite")


def max_pool_backward_swapped(grad_y, x, pool_size=2, stride=None):
    return unpool(grad_y, x, pool_size, stride, mode="swapped")


def max_pool_backward_mask(grad_y, x, pool_size=2, stride=None):
    return unpool(grad_y, x, pool_size, stride, mode="mask")


def max_pool_backward_greater_or_equal(grad_y, x, pool_size=2, stride=None):
    return unpool(grad_y, x, pool_size, stride, mode="greater or equal")


def max_pool_backward_column_by_column(grad_y, x, pool_size=2, stride=None):
    return unpool(grad_y, x, pool_size, stride, mode="column by column")


def max_pool_backward_split_among_ties(grad_y, x, pool_size=2, stride=None):
    return unpool(grad_y, x, pool_size, stride, mode="split among ties")


def dense_backward_transposed_weights_gradient(grad_z, x, kernel):
    return grad_z @ kernel.T, grad_z.T @ x, grad_z.sum(axis=0)


def dense_backward_kernel_not_transposed(grad_z, x, kernel):
    return grad_z @ kernel, x.T @ grad_z, grad_z.sum(axis=0)


def dense_backward_input_gradient_divided_by_n(grad_z, x, kernel):
    return grad_z @ kernel.T / len(x), x.T @ grad_z, grad_z.sum(axis=0)


def dense_backward_bias_not_summed(grad_z, x, kernel):
    return grad_z @ kernel.T, x.T @ grad_z, grad_z


def sigmoid_backward_no_upstream(grad_a, a):
    return a * (1 - a)


def sigmoid_backward_sigmoid_again(grad_a, a):
    s = 1 / (1 + np.exp(-a))
    return grad_a * s * (1 - s)


def sigmoid_backward_wrong_sign(grad_a, a):
    return grad_a * a * (a - 1)


def mse_gradient_no_one_over_n(y, y_hat):
    return y_hat - y


def mse_gradient_wrong_sign(y, y_hat):
    return (y - y_hat) / len(y)


def mse_gradient_factor_two(y, y_hat):
    return 2 * (y_hat - y) / len(y)


def mse_gradient_half(y, y_hat):
    return (y_hat - y) / (2 * len(y))


def mse_gradient_twice_and_wrong_sign(y, y_hat):
    return 2 * (y - y_hat) / len(y)


def sgd_step_uphill(w, grad, learning_rate):
    return w + learning_rate * grad


def sgd_step_no_learning_rate(w, grad, learning_rate):
    return w - grad


def sgd_step_only_the_step(w, grad, learning_rate):
    return -learning_rate * grad


def softmax_ce_no_one_over_n(logits, labels_onehot):
    return softmax_rows(logits) - labels_onehot


def softmax_ce_wrong_axis(logits, labels_onehot):
    e = np.exp(logits - logits.max(axis=0, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True) - labels_onehot) / len(logits)


def softmax_ce_overflow(logits, labels_onehot):
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True) - labels_onehot) / len(logits)


def softmax_ce_shifted_by_the_mean(logits, labels_onehot):
    e = np.exp(logits - logits.mean(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True) - labels_onehot) / len(logits)


def softmax_ce_wrong_sign(logits, labels_onehot):
    return (labels_onehot - softmax_rows(logits)) / len(logits)


WRONG_SOLUTIONS = [
    ("conv_forward", "y", "kernel flipped", conv_forward_flipped),
    ("conv_forward", "y", "bias left out", conv_forward_no_bias),
    ("conv_forward", "y", "bias added inside the sum", conv_forward_bias_in_sum),
    ("conv_forward", "y", "kernel rows and columns swapped", conv_forward_kernel_transposed),
    ("conv_forward", "y", "output size off by one", conv_forward_off_by_one),
    ("conv_forward", "y", "kernel's height used for the width (or its width for the height)",
     conv_forward_width_from_kh),
    ("conv_forward", "y", "padding on one side only", conv_forward_padding_after_only),
    ("conv_forward", "y", "stride left out of the input index", conv_forward_stride_not_in_index),
    ("conv_forward", "y", "padding='same' ignored", conv_forward_same_ignored),
    ("conv_forward", "y", "same padding as a fixed amount on each side", conv_forward_symmetric_padding),
    ("conv_backward", "grad_x", "kernel flipped", conv_backward_grad_x_with_flipped_kernel),
    ("conv_backward", "grad_bias", "bias gradient not summed over N, H and W",
     conv_backward_bias_not_summed_over_batch),
    ("conv_backward", "grad_kernel", "divided by N", conv_backward_kernel_gradient_divided_by_n),
    ("conv_backward", "grad_bias", "divided by N", conv_backward_bias_gradient_divided_by_n),
    ("conv_backward", "grad_bias", "averaged over N, H and W instead of summed", conv_backward_bias_gradient_averaged),
    ("conv_backward", "grad_x", "padding not cut off", conv_backward_padding_not_cut_off),
    ("conv_backward", "grad_kernel", "wrong sign", conv_backward_kernel_gradient_wrong_sign),
    ("conv_backward", "grad_x", "padding on one side only", conv_backward_padding_after_only),
    ("conv_backward", "grad_x", "odd padding's extra zero on the wrong side", conv_backward_extra_zero_on_top),
    ("conv_backward", "grad_x", "divided by N", conv_backward_all_divided_by_n),
    ("max_pool_forward", "y", "stride=None not replaced by the pool size", max_pool_forward_stride_none_as_one),
    ("max_pool_forward", "y", "average instead of maximum", max_pool_forward_average),
    ("max_pool_forward", "y", "output size off by one", max_pool_forward_off_by_one),
    ("max_pool_forward", "y", "stride argument ignored (windows side by side)", max_pool_forward_stride_ignored),
    ("max_pool_backward", "grad_x", "gradient sent to every element of the window", max_pool_backward_every_element),
    ("max_pool_backward", "grad_x", "overlapping windows overwrite instead of adding up", max_pool_backward_overwrite),
    ("max_pool_backward", "grad_x", "argmax row and column swapped", max_pool_backward_swapped),
    ("max_pool_backward", "grad_x", "gradient sent to every tied maximum", max_pool_backward_mask),
    ("max_pool_backward", "grad_x", "gradient sent to the last tied maximum", max_pool_backward_greater_or_equal),
    ("max_pool_backward", "grad_x", "gradient sent to the first tied maximum column by column",
     max_pool_backward_column_by_column),
    ("max_pool_backward", "grad_x", "gradient split equally among tied maxima", max_pool_backward_split_among_ties),
    ("dense_backward", "grad_kernel", "transposed weights gradient", dense_backward_transposed_weights_gradient),
    ("dense_backward", "grad_x", "weights not transposed", dense_backward_kernel_not_transposed),
    ("dense_backward", "grad_bias", "bias gradient not summed over the batch", dense_backward_bias_not_summed),
    ("dense_backward", "grad_x", "divided by N", dense_backward_input_gradient_divided_by_n),
    ("sigmoid_backward", "grad_z", "upstream gradient left out (chain rule)", sigmoid_backward_no_upstream),
    ("sigmoid_backward", "grad_z", "sigmoid applied to a again (a treated as z)", sigmoid_backward_sigmoid_again),
    ("sigmoid_backward", "grad_z", "wrong sign", sigmoid_backward_wrong_sign),
    ("mse_gradient", "grad_y_hat", "1/N missing", mse_gradient_no_one_over_n),
    ("mse_gradient", "grad_y_hat", "wrong sign", mse_gradient_wrong_sign),
    ("mse_gradient", "grad_y_hat", "factor 2 left over (the ½ of 1/(2N) dropped)", mse_gradient_factor_two),
    ("mse_gradient", "grad_y_hat", "the ½ of 1/(2N) kept after differentiating", mse_gradient_half),
    ("mse_gradient", "grad_y_hat", "factor 2 left over and the sign wrong", mse_gradient_twice_and_wrong_sign),
    ("sgd_step", "new_w", "wrong sign: a step uphill", sgd_step_uphill),
    ("sgd_step", "new_w", "learning rate left out", sgd_step_no_learning_rate),
    ("sgd_step", "new_w", "returned the step, not the new weights", sgd_step_only_the_step),
    ("softmax_cross_entropy_gradient", "grad_logits", "1/N missing", softmax_ce_no_one_over_n),
    ("softmax_cross_entropy_gradient", "grad_logits", "softmax over the wrong axis", softmax_ce_wrong_axis),
    ("softmax_cross_entropy_gradient", "grad_logits", "softmax overflows for large logits", softmax_ce_overflow),
    ("softmax_cross_entropy_gradient", "grad_logits", "wrong sign", softmax_ce_wrong_sign),
    ("softmax_cross_entropy_gradient", "grad_logits", "shifted by something other than each row's maximum",
     softmax_ce_shifted_by_the_mean),
]

#: wrong solutions whose one mistake spoils a second output too, with the mistake named there
ALSO_WRONG = {conv_backward_padding_after_only: {"grad_kernel": "padding on one side only"},
              conv_backward_extra_zero_on_top: {"grad_kernel": "odd padding's extra zero on the wrong side"},
              conv_backward_all_divided_by_n: {"grad_kernel": "divided by N", "grad_bias": "divided by N"}}


# ---------------------------------------------------------------------------------------------------------------------
# The reference solutions pass; the starters are "not written yet"
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_reference_solution_passes(name):
    result = check(name, reference_solution(name))
    assert result.passed, result.message
    assert bool(result) and result.message.startswith(f"{name}: passed.")
    assert result.cases == len(get_exercise(name).fixed_cases) + get_exercise(name).random_examples


@pytest.mark.parametrize("name", NAMES)
def test_reference_solution_passes_from_its_file(name, tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(exercises.solution_source(name))
    assert check(name, str(path)).passed
    assert check(name, path).passed  # a pathlib.Path works too


@pytest.mark.parametrize("name", NAMES)
def test_the_checker_works_where_the_student_asked_numpy_to_raise_on_every_floating_point_error(name):
    """Students set ``np.seterr(all="raise")`` to catch a NaN where it is made; the checker's own reference then
    raised FloatingPointError on the e^z of −1500 (softmax's hand-picked case), a traceback instead of a message."""
    import functools

    solution = reference_solution(name)

    @functools.wraps(solution)
    def with_underflow_allowed(*args, **kwargs):  # e^-1500 is 0, as the student who asks for errors must allow
        with np.errstate(under="ignore"):
            return solution(*args, **kwargs)

    with np.errstate(all="raise"):
        result = check(name, with_underflow_allowed)
        assert result.passed, result.message
        if name == "softmax_cross_entropy_gradient":
            wrong = check(name, softmax_ce_wrong_sign)
            assert not wrong.passed and "wrong sign" in wrong.message, wrong.message


@pytest.mark.parametrize("name", ["conv_forward", "conv_backward"])
def test_same_padding_without_the_max_fails_on_a_hand_picked_case_that_says_why(name, tmp_path):
    """``pad_total = (H_out − 1)·s + kh − H`` without the task's ``max(…, 0)`` passed every case (none had a negative
    total) and crashed in use on a 1×1 convolution of stride 2 (a ResNet shortcut). A hand-picked case has it now,
    and its failure says what is special there."""
    source = exercises.solution_source(name)
    right = "total = max((out - 1) * stride + window - length, 0)"
    assert right in source
    path = tmp_path / f"{name}.py"
    path.write_text(source.replace(right, "total = (out - 1) * stride + window - length"))
    result = check(name, str(path))
    assert not result.passed
    assert f"Hand-picked case {len(get_exercise(name).fixed_cases)} of" in result.message, result.message
    assert ("Note: along the rows, pad_total = max((H_out − 1)·s + kh − H, 0) = max((2 − 1)·2 + 1 − 4, 0) = "
            "max(−1, 0) = 0\n  here: padding='same' adds no zeros, and the windows leave out the last row.") \
        in result.message, result.message
    assert "along the columns" in result.message


def test_a_failing_case_of_same_padding_that_adds_zeros_has_no_note():
    def off_by_one(x, kernel, bias, stride=1, padding="valid"):
        return reference_solution("conv_forward")(x, kernel, bias, stride, padding) + (padding == "same")

    result = check("conv_forward", off_by_one)
    assert not result.passed and "Note:" not in result.message, result.message


def test_independent_student_solutions_pass():
    assert check("conv_forward", good_conv_forward).passed
    assert check("conv_backward", good_conv_backward).passed
    assert check("max_pool_forward", lambda x, p=2, s=None: pool(x, p, s)).passed
    assert check("max_pool_backward", lambda g, x, p=2, s=None: unpool(g, x, p, s)).passed


@pytest.mark.parametrize("name", NAMES)
def test_untouched_starter_says_not_written_yet(name, tmp_path):
    path = tmp_path / f"{name}.py"
    path.write_text(exercises.starter_source(name))
    result = check(name, str(path))
    assert not result.passed
    assert result.message.startswith(f"{name}: not written yet, your function raises NotImplementedError.")
    assert "raise NotImplementedError" in result.message and str(path) in result.message


@pytest.mark.parametrize("name", NAMES)
def test_starter_and_solution_have_the_same_signature(name):
    starter, solution = {}, {}
    exec(compile(exercises.starter_source(name), "starter.py", "exec"), starter)
    exec(compile(exercises.solution_source(name), "solution.py", "exec"), solution)
    assert inspect.signature(starter[name]) == inspect.signature(solution[name])
    assert list(inspect.signature(starter[name]).parameters) == list(get_exercise(name).parameters)
    for function in (starter[name], solution[name]):  # cleandoc: Python 3.13 strips a docstring's indent itself
        assert "Parameters\n----------" in inspect.cleandoc(function.__doc__)
        assert "Returns\n-------" in inspect.cleandoc(function.__doc__)


@pytest.mark.parametrize("name", NAMES)
def test_task_text_names_the_function_and_the_check_command(name):
    text = exercises.task_text(name)
    assert text.startswith("# ")
    assert f"def {name}(" in text and f"minicnn exercise check {name}" in text
    assert f'minicnn.exercises.check("{name}", {name})' in text


@pytest.mark.parametrize("name", NAMES)
def test_task_text_says_the_inputs_are_float64_and_gives_the_tolerance(name):
    """softmax_cross_entropy_gradient rejected a computation in float32 on rounding, though no task said that results
    are compared in float64 within the checker's tolerance."""
    from minicnn.exercises.comparing import ATOL, RTOL

    text = " ".join(exercises.task_text(name).split())
    assert "The checker's inputs are float64 arrays" in text
    assert f"compares your result with the reference's in float64, within rtol {RTOL:g} and atol {ATOL:g}" in text
    assert "float32" in text


# ---------------------------------------------------------------------------------------------------------------------
# Classic mistakes are named
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, output, mistake, wrong", WRONG_SOLUTIONS,
                         ids=[f"{name}-{output}-{mistake}" for name, output, mistake, _ in WRONG_SOLUTIONS])
def test_classic_mistake_is_named(name, output, mistake, wrong):
    result = check(name, wrong)
    assert not result.passed
    assert mistake in result.mistakes.get(output, ()), result.message
    assert f"This looks like a classic mistake in {output}: {mistake}." in result.message, result.message
    also_wrong = ALSO_WRONG.get(wrong, {})
    for other, other_mistake in also_wrong.items():
        assert f"This looks like a classic mistake in {other}: {other_mistake}." in result.message, result.message
    assert set(result.mistakes) == {output, *also_wrong}, result.message
    for other in set(get_exercise(name).outputs) - {output, *also_wrong}:
        assert f"{other} is right." in result.message  # the other outputs are right, and said to be


def test_every_mistake_model_has_a_hand_written_wrong_solution_or_is_checked_below():
    declared = {(name, m.output, m.name) for name in NAMES for m in get_exercise(name).mistakes}
    written = {(name, output, mistake) for name, output, mistake, _ in WRONG_SOLUTIONS}
    assert written <= declared  # no test names a mistake the checker does not have


def _every_mistake():
    return [(name, index, variant) for name in NAMES for index in range(len(get_exercise(name).mistakes))
            for variant in (0, -1)]


@pytest.mark.parametrize("name, index, variant", _every_mistake(),
                         ids=[f"{n}-{get_exercise(n).mistakes[i].output}-{get_exercise(n).mistakes[i].name}-{v}"
                              for n, i, v in _every_mistake()])
def test_every_mistake_model_is_recognised_as_itself(name, index, variant):
    """A solution that makes exactly this mistake wherever it can (and is right elsewhere) is named for it."""
    exercise = get_exercise(name)
    mistake = exercise.mistakes[index]

    def makes_this_mistake(*args):
        arguments = dict(zip(exercise.parameters, args))
        outputs = exercise.expected_outputs(arguments)
        wrong = model_results(mistake, arguments)
        if wrong:
            outputs[mistake.output] = wrong[variant]
        values = tuple(outputs[o] for o in exercise.outputs)
        return values if len(values) > 1 else values[0]

    result = check(name, makes_this_mistake)
    assert not result.passed, f"{mistake.name} never changed {mistake.output}"
    assert mistake.name in result.mistakes.get(mistake.output, ()), result.message


def test_mistakes_that_agree_on_the_failing_case_are_told_apart_on_the_other_cases():
    """With a 2×2 kernel, 'same' padding is (0, 1): padding (k − 1) // 2 = 0 on each side, ignoring the padding and
    forgetting the + 1 of the output size all give the same array. Case 7 (3×3 kernel, stride 2) tells them apart."""
    exercise = get_exercise("conv_forward")
    failing_case = exercise.fixed_cases[5]
    arguments = exercise.make_arguments(failing_case, np.random.default_rng(5))
    yours = conv_forward_symmetric_padding(*arguments.values())
    assert sum(any(np.array_equal(yours, r) for r in model_results(m, arguments)) for m in exercise.mistakes) == 3
    result = check("conv_forward", conv_forward_symmetric_padding)
    assert "Hand-picked case 6 of 8" in result.message
    assert result.mistakes == {"y": ("same padding as a fixed amount on each side",)}


def test_the_width_computed_with_kh_is_not_told_the_plus_one_counts_the_first_position():
    """With a 3×2 kernel (case 4) W_out computed with kh is one column short, which 'output size off by one'
    matched: its hint about the final +1 sent the student looking at a line that was right."""
    result = check("conv_forward", conv_forward_width_from_kh)
    assert "Hand-picked case 4 of 8" in result.message
    assert result.mistakes == {"y": ("kernel's height used for the width (or its width for the height)",)}
    assert "the final +1 counts the first position" not in " ".join(result.message.split())


def test_a_forgotten_plus_one_in_the_width_only_is_still_told_on_a_square_kernel():
    def width_without_the_plus_one(x, kernel, bias, stride=1, padding="valid"):
        rows, cols = pads_for(x, kernel, stride, padding)
        x_pad = pad(x, rows, cols)
        out_h = (x_pad.shape[1] - kernel.shape[0]) // stride + 1
        out_w = (x_pad.shape[2] - kernel.shape[1]) // stride  # the + 1 forgotten here only
        return correlate(x_pad, kernel, out_h, out_w, stride) + bias

    result = check("conv_forward", width_without_the_plus_one)
    assert "Hand-picked case 1 of 8" in result.message
    assert result.mistakes == {"y": ("output size off by one",)}


def test_a_wrong_solution_that_matches_no_mistake_gets_the_plain_comparison():
    result = check("conv_forward", lambda x, k, b, s=1, p="valid": good_conv_forward(x, k, b, s, p) + 0.5)
    assert not result.passed and result.mistakes == {}
    assert "classic mistake" not in result.message
    assert "y: 4 of 4 values differ. The worst is y[0, 0, 0, 0]" in result.message
    assert "expected y[0, :, :, 0] = " in result.message and "yours    y[0, :, :, 0] = " in result.message


# ---------------------------------------------------------------------------------------------------------------------
# What a failure message says
# ---------------------------------------------------------------------------------------------------------------------


def test_failure_message_gives_the_case_the_expected_values_and_the_worst_mismatch():
    result = check("conv_forward", conv_forward_flipped)
    message = result.message
    assert message.startswith("conv_forward: not passed yet, y differs from the expected result.")
    assert "Hand-picked case 1 of 8. Your function was given:" in message
    assert "x: shape (1, 3, 3, 1)" in message and "kernel: shape (2, 2, 1, 1)" in message
    assert "stride = 1" in message and "padding = 'valid'" in message
    x, kernel, bias = result.arguments["x"], result.arguments["kernel"], result.arguments["bias"]
    expected = good_conv_forward(x, kernel, bias)
    np.testing.assert_allclose(result.expected["y"], expected)
    yours = conv_forward_flipped(x, kernel, bias)
    worst = np.unravel_index(np.argmax(np.abs(yours - expected)), expected.shape)
    assert (f"The worst is y[{', '.join(map(str, worst))}]: expected {expected[worst]:.10g}, "
            f"yours {yours[worst]:.10g}.") in message
    assert "result.arguments" in message


def test_random_failure_is_shrunk_to_the_simplest_case():
    def wrong_from_seven_samples_on(y, y_hat):
        return (y_hat - y) / len(y) if len(y) < 7 else (y_hat - y) / (len(y) - 1)

    result = check("mse_gradient", wrong_from_seven_samples_on)
    assert "The simplest failing case found among random cases (all 2 hand-picked cases passed)" in result.message
    assert result.arguments["y"].shape == (7,)


def test_random_failure_in_a_convolution_is_shrunk_to_the_smallest_shapes():
    def stride_three_ignored(x, kernel, bias, stride=1, padding="valid"):
        return good_conv_forward(x, kernel, bias, 1 if stride == 3 else stride, padding)

    result = check("conv_forward", stride_three_ignored)
    assert "simplest failing case found among random cases" in result.message
    given = result.arguments
    assert given["stride"] == 3 and given["padding"] == "valid"
    assert given["kernel"].shape == (1, 1, 1, 1) and given["x"].size == 2
    assert result.mistakes == {"y": ("stride ignored",)}


def test_the_same_solution_gets_the_same_message_every_time():
    def wrong_for_stride_three(x, kernel, bias, stride=1, padding="valid"):
        return good_conv_forward(x, kernel, bias, stride, padding) * (1.5 if stride == 3 else 1)

    assert check("conv_forward", wrong_for_stride_three).message == check("conv_forward",
                                                                            wrong_for_stride_three).message


def test_the_same_cases_are_drawn_every_time_and_nothing_is_stored(monkeypatch, tmp_path):
    from minicnn.exercises import checker

    monkeypatch.chdir(tmp_path)
    tried = []
    original = checker.try_case

    def recording(exercise, function, case, seed):
        tried.append((sorted(case.items()), seed))
        return original(exercise, function, case, seed)

    monkeypatch.setattr(checker, "try_case", recording)
    assert check("conv_forward", good_conv_forward).passed
    first_run, tried[:] = list(tried), []
    assert check("conv_forward", good_conv_forward).passed
    assert tried == first_run and len({repr(t) for t in tried}) > 40  # the same, and varied
    assert list(tmp_path.iterdir()) == []  # no .hypothesis example database in the student's folder


def test_tolerances_suit_student_code():
    def slightly_off(x, kernel, bias, stride=1, padding="valid", relative=0.0):
        return good_conv_forward(x, kernel, bias, stride, padding) * (1 + relative)

    assert check("conv_forward", lambda *a: slightly_off(*a, relative=1e-8)).passed  # rounding: fine
    assert not check("conv_forward", lambda *a: slightly_off(*a, relative=1e-5)).passed  # a real difference


def test_wrong_output_shape_gets_a_clear_message():
    result = check("conv_forward", lambda x, k, b, s=1, p="valid": good_conv_forward(x, k, b, s, p)[..., :1, :])
    assert "y has shape (1, 2, 1, 1); expected shape (1, 2, 2, 1)." in result.message
    assert "H_out = (H + pad_top + pad_bottom − kh) // s + 1" in result.message


def test_a_tuple_where_one_array_is_expected():
    def also_returns_argmax(x, pool_size=2, stride=None):
        y = pool(x, pool_size, stride)
        return y, np.zeros_like(y)

    result = check("max_pool_forward", also_returns_argmax)
    assert "your function returned a tuple of 2 values; return only the array y." in result.message.lower()


def test_too_few_values_for_a_backward_pass():
    result = check("conv_backward", lambda g, x, k, s=1, p="valid": good_conv_backward(g, x, k, s, p)[:2])
    assert ("should return 3 values, the tuple (grad_x, grad_kernel, grad_bias); it returned a tuple of 2 values"
            in result.message)


def test_forgotten_return_is_pointed_out():
    def no_return(y, y_hat):
        (y_hat - y) / len(y)

    result = check("mse_gradient", no_return)
    assert "grad_y_hat is None: did you forget the return statement" in result.message


@pytest.mark.parametrize("name, no_return", [
    ("mse_gradient", lambda y, y_hat: None),
    ("dense_backward", lambda grad_z, x, kernel: None),  # several outputs
])
def test_a_function_that_returns_none_is_told_so_in_its_headline(name, no_return):
    """The headline said "grad_y_hat differs from the expected result", or "returned the wrong kind of value"."""
    message = check(name, no_return).message
    assert message.startswith(f"{name}: not passed yet, your function returned None (no return statement?).\n\n")


def test_an_update_in_place_that_is_not_returned_is_told_to_return_it():
    def sgd_step(w, grad, learning_rate):
        w -= learning_rate * grad

    message = " ".join(check("sgd_step", sgd_step).message.split())
    assert message.startswith("sgd_step: not passed yet, your function returned None (no return statement?).")
    assert "new_w is None: did you forget the return statement, or to return new_w? A function that changes an " \
           "argument in place must still return the result." in message, message


def test_exception_is_summed_up_with_the_students_line_and_no_traceback():
    def out_of_bounds(x, kernel, bias, stride=1, padding="valid"):
        rows = x.shape[1]
        return x[:, rows + 5]  # the line the message must show

    result = check("conv_forward", out_of_bounds)
    message = result.message
    line = inspect.getsourcelines(out_of_bounds)[1] + 2
    assert message.startswith("conv_forward: not passed yet, your function raised IndexError.")
    assert "IndexError: index 8 is out of bounds for axis 1 with size 3" in message
    assert f"at line {line} of {__file__}, in out_of_bounds:" in message
    assert "return x[:, rows + 5]  # the line the message must show" in message
    assert "Traceback" not in message and "numpy" not in message.lower().split("raised")[0]


def test_exception_inside_numpy_points_at_the_students_line():
    def bad_matmul(grad_z, x, kernel):
        return grad_z @ x, x.T @ grad_z, grad_z.sum(axis=0)

    result = check("dense_backward", bad_matmul)
    assert "ValueError: matmul" in result.message
    assert "return grad_z @ x, x.T @ grad_z, grad_z.sum(axis=0)" in result.message


def test_exception_in_a_helper_shows_the_innermost_line_of_the_students_file(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent("""
        import numpy as np

        def window_sum(x, kernel, i, j):
            return np.sum(x[:, i:i + 2, j:j + 2] * kernel[:, :, 5])

        def conv_forward(x, kernel, bias, stride=1, padding="valid"):
            return window_sum(x, kernel, 0, 0)
    """))
    message = check("conv_forward", str(path)).message
    assert "IndexError: index 5 is out of bounds for axis 2 with size 1" in message
    assert f"at line 5 of {path}, in window_sum:\n        return np.sum(x[:, i:i + 2, j:j + 2] * kernel[:, :, 5])" \
        in message
    assert "called from" not in message  # the helper is in the checked file: its line is enough


def test_exception_in_a_helper_of_another_file_shows_its_line_and_the_line_that_called_it(tmp_path):
    """The checker preferred the checked function's file: a bug in a helper imported from another file was blamed
    on the line that called it, and the student looked for it there."""
    (tmp_path / "students_pad_tools.py").write_text(
        "import numpy as np\n\n\ndef pad_rows(x):\n    padded = np.zeros((x.shape[0], x.shape[1] + 2))\n"
        "    padded[1:-1, :-1] = x\n    return padded\n")
    path = tmp_path / "conv_forward.py"
    path.write_text("from students_pad_tools import pad_rows\n\n\ndef conv_forward(x, kernel, bias, stride=1, "
                    "padding='valid'):\n    return pad_rows(x[:, :, 0, 0])\n")
    try:
        message = check("conv_forward", str(path)).message
    finally:
        sys.modules.pop("students_pad_tools", None)
    assert f"    at line 6 of {tmp_path / 'students_pad_tools.py'}, in pad_rows:\n        padded[1:-1, :-1] = x\n" \
           f"    called from line 5 of {path}, in conv_forward:\n        return pad_rows(x[:, :, 0, 0])" in message


def test_exception_in_a_helper_of_an_earlier_notebook_cell_shows_the_helpers_line(monkeypatch):
    """A notebook keeps each cell in a file of its own: a softmax helper without keepdims in one cell, called by the
    exercise's function in the next, was reported at the call, not at the helper's line."""
    import linecache

    cells = {"/tmp/ipykernel_4242/cell1.py": "def softmax(z):\n    e = np.exp(z - z.max(axis=1))\n"
                                            "    return e / e.sum(axis=1, keepdims=True)\n",
             "/tmp/ipykernel_4242/cell2.py": "def softmax_cross_entropy_gradient(logits, labels_onehot):\n"
                                            "    p = softmax(logits)\n    return (p - labels_onehot) / len(logits)\n"}
    namespace = {"np": np}
    for name, source in cells.items():
        monkeypatch.setitem(linecache.cache, name, (len(source), None, source.splitlines(True), name))
        exec(compile(source, name, "exec"), namespace)
    message = check("softmax_cross_entropy_gradient", namespace["softmax_cross_entropy_gradient"]).message
    assert "    at line 2 of /tmp/ipykernel_4242/cell1.py, in softmax:\n        e = np.exp(z - z.max(axis=1))\n" \
           "    called from line 2 of /tmp/ipykernel_4242/cell2.py, in softmax_cross_entropy_gradient:\n" \
           "        p = softmax(logits)" in message, message


def test_a_file_whose_helper_module_fails_as_it_is_imported_shows_the_helpers_line(tmp_path):
    (tmp_path / "students_broken_tools.py").write_text("import numpy as np\n\nSIZES = np.ones(3).reshape(2, 2)\n")
    path = tmp_path / "mse_gradient.py"
    path.write_text("import numpy as np\nfrom students_broken_tools import SIZES\n")
    try:
        message = check("mse_gradient", str(path)).message
    finally:
        sys.modules.pop("students_broken_tools", None)
    helpers = tmp_path / "students_broken_tools.py"
    assert f"at line 3 of {helpers}, in <module>:\n        SIZES = np.ones(3).reshape(2, 2)\n" \
           f"    called from line 2 of {path}, in <module>:\n        from students_broken_tools import SIZES" in message


def test_an_endless_loop_in_a_helper_of_another_file_is_shown_there_and_where_it_was_called(tmp_path, monkeypatch):
    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.3)
    helpers = tmp_path / "students_spin_tools.py"
    helpers.write_text("def spin(y):\n    n = 0\n    while n < len(y):\n        pass\n    return y\n")
    path = tmp_path / "mse_gradient.py"
    path.write_text("from students_spin_tools import spin\n\n\ndef mse_gradient(y, y_hat):\n    spin(y)\n"
                    "    return (y_hat - y) / len(y)\n")
    try:
        message = check("mse_gradient", str(path)).message
    finally:
        sys.modules.pop("students_spin_tools", None)
    assert re.search(rf"at line (3|4) of {re.escape(str(helpers))}, in spin:\n        (while|pass).*\n"
                     rf"    called from line 5 of {re.escape(str(path))}, in mse_gradient:\n        spin\(y\)",
                     message), message


def test_what_the_function_printed_and_its_warnings_are_shown_but_not_printed(capsys):
    def chatty_and_wrong(logits, labels_onehot):
        print("softmax is", softmax_rows(logits).shape)
        print("debugging on stderr", file=sys.stderr)
        np.log(np.zeros(1))
        return softmax_rows(logits) - labels_onehot

    result = check("softmax_cross_entropy_gradient", chatty_and_wrong)
    assert "Your function printed:\n  softmax is (3, 4)\n  debugging on stderr\n" in result.message
    assert "RuntimeWarning: divide by zero encountered in log" in result.message
    assert capsys.readouterr() == ("", "")  # once per case, it would have flooded the screen


def test_a_solution_that_updates_its_inputs_in_place_is_fine():
    def in_place(w, grad, learning_rate):
        w -= learning_rate * grad
        grad[...] = 0
        return w

    assert check("sgd_step", in_place).passed


def test_an_input_changed_in_place_passes_with_a_note_that_names_it():
    """A solution that overwrote its logits passed silently: the checker's copies hid what would corrupt a network."""
    def softmax_cross_entropy_gradient(logits, labels_onehot):
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        logits -= labels_onehot
        logits /= len(logits)
        return logits

    result = check("softmax_cross_entropy_gradient", softmax_cross_entropy_gradient)
    message = " ".join(result.message.split())
    assert result.passed and result.message.startswith("softmax_cross_entropy_gradient: passed.")
    assert "Note: your function changed logits in place. The checker gave it a copy" in message, message
    assert "labels_onehot in place" not in message and "logits and labels_onehot" not in message


def test_sgd_step_may_update_w_in_place_but_not_grad():
    def w_in_place(w, grad, learning_rate):
        w -= learning_rate * grad
        return w

    def grad_in_place(w, grad, learning_rate):
        grad *= learning_rate
        return w - grad

    assert "in place" not in check("sgd_step", w_in_place).message
    result = check("sgd_step", grad_in_place)
    assert result.passed and "Note: your function changed grad in place" in " ".join(result.message.split())


def test_a_failing_solution_that_changes_an_input_in_place_gets_the_note_too():
    def max_pool_backward(grad_y, x, pool_size=2, stride=None):
        grad_x = unpool(grad_y, x, pool_size, stride, mode="every element")
        x[...] = 0
        return grad_x

    message = " ".join(check("max_pool_backward", max_pool_backward).message.split())
    assert "This looks like a classic mistake in grad_x: gradient sent to every element of the window." in message
    assert "Note: your function changed x in place" in message, message


def test_an_input_changed_in_place_on_a_random_case_only_gets_the_note():
    """A solution that passes the hand-picked cases and fails a random one, after writing into an input there, gets
    the note too (mutation round: the random case's own check could go)."""
    def mse_gradient(y, y_hat):
        if len(y) <= 5:  # the hand-picked cases (3 and 5 samples) pass, untouched
            return (y_hat - y) / len(y)
        y_hat -= y  # in place, and the 1/N forgotten
        return y_hat

    result = check("mse_gradient", mse_gradient)
    message = " ".join(result.message.split())
    assert not result.passed and "random cases" in message
    assert "Note: your function changed y_hat in place" in message, message


def test_a_type_error_inside_the_students_code_is_not_blamed_on_the_call():
    """A TypeError raised on the student's own line is theirs to read, not explained as the checker calling the
    function with the wrong arguments (mutation round: any frame, not all, counted as the call's own)."""
    def mse_gradient(y, y_hat):
        return (y_hat - y) / len(5)

    message = " ".join(check("mse_gradient", mse_gradient).message.split())
    assert "raised TypeError" in message and "len(5)" in message
    assert "The checker calls mse_gradient(y, y_hat)" not in message, message


def test_a_mistake_model_that_cannot_apply_to_a_case_does_not_crash_the_checker():
    """"weights not transposed" multiplies ∂L/∂z by the kernel, which fails where n_in ≠ n_out: with a squeezed
    ∂L/∂x (right values, one axis less) on the one-sample case the checker itself raised ValueError (mutation round:
    only NotApplicable was caught around a model)."""
    def dense_backward(grad_z, x, kernel):
        return np.squeeze(grad_z @ kernel.T), x.T @ grad_z, grad_z.sum(axis=0)

    result = check("dense_backward", dense_backward)
    assert not result.passed
    assert "Its values are right: return them in shape (1, 4)" in " ".join(result.message.split()), result.message


def test_integer_result_is_pointed_out():
    def integers(y, y_hat):
        grad = np.zeros(len(y), dtype=int)
        grad[:] = (y_hat - y) / len(y)
        return grad

    assert "holds integers (dtype int64), so fractions are cut off" in check("mse_gradient", integers).message


@pytest.mark.parametrize("dtype, expected", [
    (np.int64, "y holds integers (dtype int64): its values are right on this case, whose numbers are whole, but on "
               "others fractions are cut off: create it as floats"),
    (np.int32, "y holds integers (dtype int32): its values are right on this case, whose numbers are whole, but on "
               "others fractions are cut off: create it as floats"),
    (np.float16, "y holds float16 numbers (dtype float16): its values are right on this case, whose numbers are "
                 "whole, but on others only about 3 significant digits are kept: create it as float64, e.g. "
                 "np.zeros(shape), not float16, and compute in float64")])
def test_a_result_of_whole_numbers_is_refused_even_where_its_values_agree(dtype, expected):
    """The cases' inputs are whole numbers, so an integer (or float16) result could hold exactly the expected values
    and pass, while 0.4 would become 0 in the student's own use."""
    def right_values_in_another_dtype(x, pool_size, stride=None):
        return reference_solution("max_pool_forward")(x, pool_size, stride).astype(dtype)

    message = check("max_pool_forward", right_values_in_another_dtype).message
    assert expected in " ".join(message.split())
    assert message.startswith("max_pool_forward: not passed yet, y has the right values in a dtype that loses them.")


def test_stride_none_used_as_a_number_is_reminded_what_none_means():
    """``s = stride`` without the None case crashed in ``(H - p) // s`` with a bare TypeError about NoneType; a
    solution that survives it (s = stride or 1) is named by a classic mistake, this one got no reminder."""
    def stride_taken_as_given(x, pool_size=2, stride=None):
        s = stride
        h_out = (x.shape[1] - pool_size) // s + 1
        return np.zeros((x.shape[0], h_out, h_out, x.shape[3]))

    def backward_with_stride_as_given(grad_y, x, pool_size=2, stride=None):
        s = stride
        return np.zeros(x.shape) + x[:, 0 * s:0 * s + pool_size].sum()

    for name, function in (("max_pool_forward", stride_taken_as_given),
                           ("max_pool_backward", backward_with_stride_as_given)):
        message = " ".join(check(name, function).message.split())
        assert "TypeError: unsupported operand type(s)" in message and "'NoneType'" in message, message
        assert "This case passed stride=None, which your code used as a number. stride=None means that the stride " \
               "is the pool size (the windows sit side by side): start with s = pool_size if stride is None else " \
               "stride." in message, message


def test_a_type_error_about_none_with_a_stride_given_gets_no_stride_reminder():
    def none_bias(x, kernel, bias, stride=1, padding="valid"):
        return good_conv_forward(x, kernel, None, stride, padding)

    message = check("conv_forward", none_bias).message
    assert "NoneType" in message and "stride=None" not in message


def test_right_values_in_a_dtype_that_loses_them_match_no_classic_mistake():
    """On a case with one channel and one sample some mistake models give the reference's numbers, so right values
    in int64 were called "one of these: bias gradient not summed over N, H and W; divided by N"."""
    def bias_gradient_in_integers(grad_y, x, kernel, stride=1, padding="valid"):
        grad_x, grad_kernel, grad_bias = reference_solution("conv_backward")(grad_y, x, kernel, stride, padding)
        return grad_x, grad_kernel, grad_bias.astype(int)

    result = check("conv_backward", bias_gradient_in_integers)
    assert not result.passed and result.mistakes == {}
    assert "classic mistake" not in result.message
    assert "grad_bias holds integers (dtype int64): its values are right on this case" in result.message


def test_results_that_are_not_real_numbers_are_named():
    def complex_numbers(y, y_hat):
        return (y_hat - y) / len(y) + 0j

    def booleans(y, y_hat):
        return y_hat > y

    class NoArray:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")

    message = " ".join(check("mse_gradient", complex_numbers).message.split())
    assert "grad_y_hat holds complex numbers (dtype complex128); expected real ones." in message
    assert "holds booleans (dtype bool)" in check("mse_gradient", booleans).message
    message = " ".join(check("mse_gradient", lambda y, y_hat: NoArray()).message.split())  # was a traceback
    assert ("grad_y_hat is a NoArray that cannot be read as an array of numbers: RuntimeError: Can't call numpy() on "
            "Tensor that requires grad. Use tensor.detach().numpy() instead.") in message


def test_tiny_differences_are_blamed_on_rounding():
    """A softmax computed in float32 and returned in float64 differs by a few millionths: the message says why."""
    def in_float32(logits, labels_onehot):
        z = logits.astype(np.float32)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float64) / len(z) - labels_onehot / len(z)

    message = " ".join(check("softmax_cross_entropy_gradient", in_float32).message.split())
    assert "The differences are tiny (at most" in message and "as from computing in float32 somewhere" in message


def test_exit_in_the_students_code_is_a_failure_not_a_silent_pass(tmp_path, capsys):
    """exit() (SystemExit) went through the checker: the command line ended with status 0 and printed nothing."""
    path = tmp_path / "mine.py"
    path.write_text("import sys\n\ndef mse_gradient(y, y_hat):\n    sys.exit(0)\n")
    result = check("mse_gradient", str(path))
    assert not result.passed and result.message.startswith("mse_gradient: not passed yet, your function raised "
                                                           "SystemExit.")
    assert "It called exit() (or sys.exit(), quit()), which ends the whole program" in result.message
    assert exercises.cli(["check", "mse_gradient", str(path)]) == 1
    assert "raised SystemExit" in capsys.readouterr().out
    path.write_text("def mse_gradient(y, y_hat):\n    return (y_hat - y) / len(y)\n\nexit()\n")
    message = check("mse_gradient", str(path)).message
    assert f"{path} called exit() while being loaded (SystemExit: None), which would end the checker too" in message


def test_a_file_that_checks_itself_at_its_top_level_is_told_where_to_put_the_call(tmp_path):
    """It loaded itself again and again, 70 levels deep, printing 140 messages, and exited with status 0."""
    path = tmp_path / "mine.py"
    path.write_text("from minicnn.exercises import check\n\ndef mse_gradient(y, y_hat):\n    return (y_hat - y) / "
                    "len(y)\n\nprint(check('mse_gradient', __file__))\n")
    result = check("mse_gradient", str(path))
    assert not result.passed
    assert (f"RuntimeError: check('mse_gradient', ...) was called while {path} was being loaded: put it under "
            "'if __name__ == \"__main__\":'") in result.message
    assert result.message.count("was being loaded") == 1


def test_an_exception_whose_message_fails_is_still_described():
    class Odd(Exception):
        def __str__(self):
            raise ValueError("no text")

    def raises_odd(y, y_hat):
        raise Odd

    message = check("mse_gradient", raises_odd).message
    assert "Odd: (its message cannot be shown: ValueError in its __str__)" in message


def test_parameters_in_another_order_and_another_count_are_explained(tmp_path):
    """The checker passes the arguments by position: a student's stride received the padding, and the message
    listed the inputs under the checker's names."""
    def swapped(x, kernel, bias, padding="valid", stride=1):
        return good_conv_forward(x, kernel, bias, stride, padding)

    result = check("conv_forward", swapped)
    assert result.message.startswith("conv_forward: not checked, your function's parameters are in another order.")
    assert "Yours is conv_forward(x, kernel, bias, padding, stride), and the checker calls conv_forward(x, kernel, " \
           "bias,\nstride, padding)" in result.message
    message = check("conv_forward", lambda x, kernel: x).message
    assert "takes 2 positional arguments but 5 were given" in message
    assert "The checker calls conv_forward(x, kernel, bias, stride, padding), passing 5 values in that order" in message


def test_outputs_in_another_order_are_named():
    """Two shape errors used to be all a student saw for (grad_kernel, grad_x, grad_bias)."""
    def swapped(grad_z, x, kernel):
        grad_x, grad_kernel, grad_bias = reference_solution("dense_backward")(grad_z, x, kernel)
        return grad_kernel, grad_x, grad_bias

    message = " ".join(check("dense_backward", swapped).message.split())
    assert ("Your function returned its 3 values in another order: by their shapes, (grad_kernel, grad_x, grad_bias); "
            "return (grad_x, grad_kernel, grad_bias).") in message


def test_arguments_the_other_way_round_are_named():
    def mse_gradient(y, y_hat):
        return (y_hat - y) / len(y)

    with pytest.raises(ValueError, match=r"check: the exercise's name comes first, check\('mse_gradient', "
                                         r"your_function\); got check\(mse_gradient, 'mse_gradient'\)"):
        check(mse_gradient, "mse_gradient")


def test_a_file_may_import_a_module_of_its_own_beside_it(tmp_path):
    """As ``python mine.py`` would: the console script's sys.path did not hold the file's folder."""
    (tmp_path / "my_helpers.py").write_text("def mse(y, y_hat):\n    return (y_hat - y) / len(y)\n")
    path = tmp_path / "mine.py"
    path.write_text("from my_helpers import mse as mse_gradient\n")
    assert check("mse_gradient", str(path)).passed
    assert str(tmp_path) not in __import__("sys").path


# ---------------------------------------------------------------------------------------------------------------------
# Loading a solution
# ---------------------------------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.py"
    result = check("conv_forward", str(path))
    assert not result.passed
    assert result.message.startswith("conv_forward: not checked, your solution could not be loaded.")
    assert f"There is no file {str(path)!r}" in result.message
    assert "minicnn exercise starter conv_forward" in result.message


def test_file_without_the_function(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("def conv(x):\n    return x\n\ndef helper():\n    pass\n")
    result = check("conv_forward", str(path))
    assert f"{path} defines no function named conv_forward. It defines: conv, helper." in result.message


def test_a_file_of_another_exercise_is_told_which_exercise_to_check_it_as(tmp_path):
    """A conv_forward file checked as conv_backward was told "Name your function conv_backward": renaming it would
    only have made it fail as conv_backward."""
    path = tmp_path / "my conv.py"
    path.write_text("def conv_forward(x, kernel, bias, stride=1, padding='valid'):\n    return x\n")
    result = check("conv_backward", str(path))
    assert f"{path} defines conv_forward, another exercise, and no function named conv_backward. To check " \
           f"conv_forward, use minicnn exercise check conv_forward \"{path}\" (in Python: " \
           f"minicnn.exercises.check(\"conv_forward\", {str(path)!r})). To check conv_backward, write a function " \
           f"named conv_backward ('minicnn exercise starter conv_backward --out conv_backward.py' writes a starter " \
           f"file)." in result.message, result.message
    assert "Name your function" not in result.message


def test_a_misspelt_name_beside_a_helper_named_like_another_exercise_is_told_to_be_renamed(tmp_path):
    """A conv_backward file that calls its own conv_forward and spells its function conv_backwards was sent to check
    conv_forward (found in review): the misspelling is the likelier slip, and is named."""
    path = tmp_path / "mine.py"
    path.write_text("def conv_forward(x, kernel, bias, stride=1, padding='valid'):\n    return x\n\n\n"
                    "def conv_backwards(grad_y, x, kernel, stride=1, padding='valid'):\n    return x, kernel, 0\n")
    message = check("conv_backward", str(path)).message
    assert (f"{path} defines no function named conv_backward. It defines: conv_backwards, conv_forward. Rename "
            f"conv_backwards to conv_backward (the exercise's name).") in message, message
    path.write_text("def Conv_Backward(grad_y, x, kernel, stride=1, padding='valid'):\n    return x\n")
    assert "Rename Conv_Backward to conv_backward" in check("conv_backward", str(path)).message


def test_a_module_of_two_other_exercises_names_both():
    import types

    module = types.ModuleType("my_gradients")
    exec("def sgd_step(w, grad, learning_rate):\n    return w\n\ndef mse_gradient(y, y_hat):\n    return y\n",
         vars(module))
    message = check("dense_backward", module).message
    assert "module 'my_gradients' defines mse_gradient, sgd_step, other exercises, and no function named " \
           "dense_backward. To check mse_gradient, use minicnn.exercises.check(\"mse_gradient\", ...)." in message


def test_file_with_a_syntax_error(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("def conv_forward(x, kernel, bias, stride=1, padding='valid'):\n    return x +\n")
    result = check("conv_forward", str(path))
    assert f"{path} is not valid Python: invalid syntax, at line 2:" in result.message
    assert "return x +" in result.message and "Traceback" not in result.message


def test_file_that_fails_while_loading(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("import numpy as np\nscale = 1 / 0\n")
    result = check("conv_forward", str(path))
    assert "raised an exception while being loaded" in result.message
    assert "ZeroDivisionError: division by zero" in result.message and "scale = 1 / 0" in result.message


def test_name_in_file_that_is_not_a_function(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("conv_forward = 3\n")
    assert f"conv_forward in {path} is int 3, not a function." in check("conv_forward", str(path)).message


def test_something_that_is_not_callable():
    result = check("conv_forward", 42)
    assert not result.passed
    assert "expects your function (or the path of a .py file that defines conv_forward), but got int 42" in \
        result.message


def test_a_module_that_defines_the_function():
    module = importlib.import_module("minicnn.exercises.sgd_step.solution")
    assert check("sgd_step", module).passed


def test_a_folder_is_not_a_file(tmp_path):
    assert "is a folder" in check("sgd_step", str(tmp_path)).message


def test_a_notebook_is_told_how_to_check_from_inside_it(tmp_path):
    """``minicnn exercise check conv_forward mine.ipynb`` said only "cannot be loaded as Python"."""
    notebook = tmp_path / "mine.ipynb"
    notebook.write_text('{"cells": []}')
    message = check("conv_forward", str(notebook)).message
    assert "is a notebook: in it, after the cell that defines conv_forward, run " \
           "minicnn.exercises.check(\"conv_forward\", conv_forward)" in message, message


def test_unknown_exercise_name():
    with pytest.raises(ValueError, match="unknown exercise 'conv_fwd'; the exercises are: mse_gradient, "):
        check("conv_fwd", good_conv_forward)


# ---------------------------------------------------------------------------------------------------------------------
# CheckResult in a notebook, and the listing for teachers
# ---------------------------------------------------------------------------------------------------------------------


def test_check_result_shows_itself():
    failed = check("mse_gradient", mse_gradient_no_one_over_n)
    assert not failed and str(failed) == failed.message == repr(failed)
    html = failed._repr_html_()
    assert "❌ mse_gradient: not passed yet" in html and "<pre" in html
    markdown = failed._repr_markdown_()
    assert markdown.startswith("❌ **mse_gradient: not passed yet") and "```text" in markdown
    passed = CheckResult(exercise="x", passed=True, message="x: passed.\n\n<b>fine</b>")
    assert passed and "&lt;b&gt;fine&lt;/b&gt;" in passed._repr_html_() and "✅" in passed._repr_html_()


def test_listing_in_teaching_order_with_summaries():
    listing = exercises.list_exercises()
    assert [name for name, _ in listing] == list(NAMES)
    assert set(NAMES) == {"conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward", "dense_backward",
                          "sigmoid_backward", "mse_gradient", "sgd_step", "softmax_cross_entropy_gradient"}
    assert all(summary and not summary.startswith("#") for _, summary in listing)


# ---------------------------------------------------------------------------------------------------------------------
# The command line: minicnn exercise list | task | starter | check | solution
# ---------------------------------------------------------------------------------------------------------------------


def test_cli_list(capsys):
    assert exercises.cli(["list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES)


@pytest.mark.parametrize("command, source", [("task", exercises.task_text), ("starter", exercises.starter_source),
                                             ("solution", exercises.solution_source)])
def test_cli_prints_texts(command, source, capsys):
    assert exercises.cli([command, "dense_backward"]) == 0
    assert capsys.readouterr().out == source("dense_backward")


def test_cli_check_exit_status(tmp_path, capsys):
    good = tmp_path / "good.py"
    good.write_text(exercises.solution_source("sigmoid_backward"))
    assert exercises.cli(["check", "sigmoid_backward", str(good)]) == 0
    printed = capsys.readouterr()
    assert printed.out.startswith("sigmoid_backward: passed.")
    assert printed.err.startswith(f"Checking {good} against ")  # before a silence of up to a minute
    bad = tmp_path / "bad.py"
    bad.write_text(textwrap.dedent("""
        def sigmoid_backward(grad_a, a):
            return a * (1 - a)
    """))
    assert exercises.cli(["check", "sigmoid_backward", str(bad)]) == 1
    assert "upstream gradient left out (chain rule)" in capsys.readouterr().out
    assert exercises.cli(["check", "sigmoid_backward", str(tmp_path / "missing.py")]) == 1


def test_cli_usage_errors(capsys):
    assert exercises.cli(["check", "no_such_exercise", "x.py"]) == 2
    assert "unknown exercise 'no_such_exercise'" in capsys.readouterr().err
    assert exercises.cli(["frobnicate"]) == 2
    assert exercises.cli([]) == 2


# ---------------------------------------------------------------------------------------------------------------------
# The building blocks: the checker's input values, and how it compares and reports outputs
# ---------------------------------------------------------------------------------------------------------------------


def test_nonzero_values_use_every_magnitude_up_to_the_largest():
    """Inputs are ±1 … ±largest (±0.5 … ±largest in halves): leaving out ±largest would narrow the cases, and a 0
    would hide a missing term."""
    from minicnn.exercises.values import nonzero_values

    drawn = nonzero_values(np.random.default_rng(0), (1000,), largest=4)
    assert set(drawn) == {-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0}
    halves = nonzero_values(np.random.default_rng(0), (1000,), largest=2, step=0.5)
    assert set(halves) == {-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0}


def test_distinct_values_are_all_different_and_centred_on_zero():
    """Pooling inputs must have no two equal values (else the maximum's position is ambiguous): 6 values are
    −3 … 2, each once (−1.5 … 1 in halves)."""
    from minicnn.exercises.values import distinct_values

    drawn = distinct_values(np.random.default_rng(0), (2, 3))
    assert drawn.shape == (2, 3)
    np.testing.assert_array_equal(np.sort(drawn.ravel()), [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0])  # 0 … 5, minus 6 // 2
    halves = distinct_values(np.random.default_rng(0), (2, 3), step=0.5)
    np.testing.assert_array_equal(np.sort(halves.ravel()), [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0])


INTEGERS_INSIDE = {
    "conv_forward": (
        "def conv_forward(x, kernel, bias, stride=1, padding='valid'):\n"
        "    x_in_integers = np.zeros(x.shape, dtype=int)  # the buffer a student makes with dtype=int\n"
        "    x_in_integers[...] = x\n"
        "    return right(x_in_integers.astype(float), kernel, bias, stride, padding)\n"),
    "max_pool_backward": (
        "def max_pool_backward(grad_y, x, pool_size, stride=None):\n"
        "    grad_x = np.zeros(x.shape, dtype=np.int64)\n"
        "    grad_x[...] = right(grad_y, x, pool_size, stride)\n"
        "    return grad_x.astype(float)\n"),
}


@pytest.mark.parametrize("name", sorted(INTEGERS_INSIDE))
def test_a_solution_that_computes_in_integers_inside_fails_on_the_random_cases(tmp_path, name):
    """Every case's inputs were whole numbers, so a buffer of integers inside the solution lost nothing and passed,
    though it would zero an image of values in [0, 1]. The random cases' values are halves."""
    path = tmp_path / f"{name}.py"
    path.write_text(f"import numpy as np\nfrom minicnn.exercises.{name}.solution import {name} as right\n\n\n"
                    + INTEGERS_INSIDE[name])
    result = check(name, str(path))
    assert not result.passed, result.message
    assert "The simplest failing case found among random cases (all" in result.message
    values = np.concatenate([np.ravel(v) for v in result.arguments.values() if isinstance(v, np.ndarray)])
    assert np.any(values % 1)
    assert "Whole numbers pass, halves do not: every hand-picked case (whole numbers) passed, and this case's " \
           "shapes and settings pass too when its values are whole, but with its values in halves your result " \
           "differs. An array of integers somewhere inside your function drops the fractions" \
           in " ".join(result.message.split()), result.message


def test_a_random_case_that_fails_with_whole_numbers_too_is_not_blamed_on_integers():
    """The hint about an array of integers is given only where whole numbers pass on the failing case's shapes and
    settings: a mistake that shows only with stride 3 (no hand-picked case has it) fails with whole numbers too."""
    def wrong_with_stride_3(x, kernel, bias, stride=1, padding="valid"):
        y = good_conv_forward(x, kernel, bias, stride, padding)
        return y + 1 if stride == 3 else y

    result = check("conv_forward", wrong_with_stride_3)
    assert "The simplest failing case found among random cases" in result.message and "stride = 3" in result.message
    assert "Whole numbers pass" not in result.message


def test_tenths_include_both_ends_and_leave_out_what_is_avoided():
    """``tenths(0.0, 0.5, avoid=(0.0,))`` draws from 0.1 … 0.5: 0.5 included (the range is inclusive), 0.0 never
    (a learning rate of 0 would hide a missing learning rate)."""
    from minicnn.exercises.values import tenths

    drawn = tenths(np.random.default_rng(0), (1000,), 0.0, 0.5, avoid=(0.0,))
    assert set(drawn) == {0.1, 0.2, 0.3, 0.4, 0.5}


def test_one_hot_rows_can_pick_every_class():
    """Each row has one 1, and over many rows every class is chosen, the last one included: labels that never use
    the last class would hide a softmax taken over the wrong columns."""
    from minicnn.exercises.values import one_hot

    labels = one_hot(np.random.default_rng(0), 1000, 3)
    np.testing.assert_array_equal(labels.sum(axis=1), np.ones(1000))
    assert np.all(labels.sum(axis=0) > 0)


def test_a_list_is_an_acceptable_single_output():
    """A function with one output may return a list of numbers (NumPy reads it as an array); only a tuple means
    "several values" and gets the "return only the array" advice."""
    from minicnn.exercises.comparing import split_outputs

    assert split_outputs([1.0, 2.0], ["y"]) == ([[1.0, 2.0]], None)
    values, problem = split_outputs((1.0, 2.0), ["y"])
    assert values is None and "returned a tuple of 2 values" in problem


def test_a_trailing_comma_after_the_one_output_is_named():
    """``return g,`` was told "a tuple of 1 values; return only the array", which does not say where the tuple came
    from."""
    def trailing_comma(y, y_hat):
        grad = (y_hat - y) / len(y)
        return grad,

    result = check("mse_gradient", trailing_comma)
    assert result.message.startswith("mse_gradient: not passed yet, your function returned the wrong kind of value.")
    assert "Your function returned a tuple of 1 value (the comma in return grad_y_hat, makes one): drop the comma." \
        in result.message


def test_a_tuple_of_rows_is_read_as_an_array_as_a_list_is():
    """``return tuple(grad)`` holds the right values in the right shape and was refused ("a tuple of 3 values; return
    only the array") while ``return list(grad)`` passes: NumPy reads both the same, so both are taken as the array,
    and compared by their values."""
    def rows_in_a_tuple(logits, labels_onehot):
        return tuple((softmax_rows(logits) - labels_onehot) / len(logits))

    def wrong_rows_in_a_tuple(logits, labels_onehot):
        return tuple(softmax_rows(logits) - labels_onehot)  # 1/N missing

    assert check("softmax_cross_entropy_gradient", rows_in_a_tuple).passed
    result = check("softmax_cross_entropy_gradient", wrong_rows_in_a_tuple)
    assert result.mistakes == {"grad_logits": ("1/N missing",)}, result.message


def test_only_a_tuple_of_the_expected_shape_is_read_as_the_one_output():
    from minicnn.exercises.comparing import split_outputs

    expected = {"y": np.zeros((2, 3))}
    rows = (np.ones(3), np.ones(3))
    assert split_outputs(rows, ["y"], expected) == ([rows], None)
    values, problem = split_outputs((np.ones((2, 3)), np.ones((2, 3))), ["y"], expected)  # y and a second array
    assert values is None and problem == "your function returned a tuple of 2 values; return only the array y."
    values, problem = split_outputs((np.ones(3), np.ones(2)), ["y"], expected)  # ragged: not an array at all
    assert values is None and "a tuple of 2 values" in problem


def test_the_message_counts_only_the_values_that_differ():
    """Of (1, 2, 3) against (1, 2, 4) one value differs: saying "3 of 3" would send the student hunting for errors
    in values that are right."""
    from minicnn.exercises.comparing import compare_output

    check = compare_output("y", np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    assert check.problem.startswith("y: 1 of 3 values differ. The worst is y[2]: expected 4, yours 3.")


def test_rounding_advice_only_for_differences_below_a_ten_thousandth():
    """A difference of 1e-5 of the value looks like float32 rounding and says so; one of 1e-3 is a real mistake and
    must not be explained away as rounding; nor may a NaN, whatever the other values are."""
    from minicnn.exercises.comparing import compare_output

    assert "The differences are tiny" in compare_output("y", np.array([1.00001]), np.array([1.0])).problem
    assert "tiny" not in compare_output("y", np.array([1.001]), np.array([1.0])).problem
    with_nan = compare_output("y", np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert with_nan.problem.startswith("y: 1 of 2 values differ.") and "tiny" not in with_nan.problem


def test_numbers_in_messages_keep_ten_significant_digits():
    """Expected and given values are written with 10 significant digits, so that 0.3333333333 and 0.3333 are told
    apart in a message about a small difference; whole numbers are written without ".0"."""
    from minicnn.exercises.comparing import number

    assert number(1 / 3) == "0.3333333333"
    assert number(7.0) == "7"


def test_unsigned_integer_outputs_are_flagged_like_signed_ones():
    """An output of dtype uint8 loses fractions (and wraps negatives) even when this case's values happen to be
    whole numbers: it is named as integers, not accepted."""
    from minicnn.exercises.comparing import compare_output

    check = compare_output("y", np.array([1, 2], dtype=np.uint8), np.array([1.0, 2.0]))
    assert not check.agrees and check.problem.startswith("y holds integers (dtype uint8)")


def test_two_outputs_returned_in_another_order_are_named():
    """With two outputs of different shapes, returning them swapped is recognised by their shapes and named; with
    two outputs of the *same* shape among three, shapes cannot tell which is which, and nothing is claimed."""
    from minicnn.exercises.checker import outputs_in_another_order

    expected = {"a": np.zeros(2), "b": np.zeros(3)}
    problem = outputs_in_another_order(["a", "b"], [np.zeros(3), np.zeros(2)], expected)
    assert problem == "your function returned its 2 values in another order: by their shapes, (b, a); return (a, b)."
    same_shapes = {"a": np.zeros(2), "b": np.zeros(2), "c": np.zeros(3)}
    assert outputs_in_another_order(["a", "b", "c"], [np.zeros(3), np.zeros(2), np.zeros(2)], same_shapes) is None


# ---------------------------------------------------------------------------------------------------------------------
# Telling mistakes apart, the failing case's values, and the count of cases passed
# ---------------------------------------------------------------------------------------------------------------------


def ignores_same_padding_for_even_kernels(x, kernel, bias, stride=1, padding="valid"):
    """Right except with an even kernel and padding='same', where the padding is left out: only case 6 shows it."""
    if padding == "same" and kernel.shape[0] % 2 == 0:
        padding = "valid"
    return good_conv_forward(x, kernel, bias, stride, padding)


#: the three mistakes that give the same array on conv_forward's case 6 (2×2 kernel, padding='same')
ALIKE_ON_CASE_6 = ("output size off by one", "padding='same' ignored", "same padding as a fixed amount on each side")


def test_a_mistake_that_shows_only_on_some_cases_is_still_named():
    """Ignoring padding='same' only for even kernels is right on case 2 (3×3 kernel, 'same'), where the model of
    'same padding as a fixed amount on each side' is right too. A case the student got right tells nothing about
    their mistake, so it must not narrow the diagnosis down to that one model and drop the student's real mistake."""
    result = check("conv_forward", ignores_same_padding_for_even_kernels)
    assert "Hand-picked case 6 of 8" in result.message
    assert "padding='same' ignored" in result.mistakes["y"], result.message
    assert result.mistakes == {"y": ALIKE_ON_CASE_6}


def test_mistakes_seen_on_the_failing_case_stay_named_when_fresh_values_match_none():
    """On case 6 the wrong output matches three mistakes; on the fresh values tried afterwards it matches none of
    them. Those values cannot tell the three apart, so the three are still named, not dropped for an empty list."""
    exercise = get_exercise("conv_forward")
    failing = exercise.make_arguments(exercise.fixed_cases[5], np.random.default_rng(5))

    def padding_ignored_on_case_6_and_off_by_half_elsewhere(x, kernel, bias, stride=1, padding="valid"):
        y = ignores_same_padding_for_even_kernels(x, kernel, bias, stride, padding)
        if padding == "same" and kernel.shape[0] % 2 == 0 and not np.array_equal(x, failing["x"]):
            return good_conv_forward(x, kernel, bias, stride, padding) + 0.5  # wrong, and like no mistake
        return y

    result = check("conv_forward", padding_ignored_on_case_6_and_off_by_half_elsewhere)
    assert "Hand-picked case 6 of 8" in result.message
    assert result.mistakes == {"y": ALIKE_ON_CASE_6}, result.message


def test_a_failing_hand_picked_case_gives_back_that_cases_documented_values():
    """Hand-picked case k (counting from 0) draws its values with seed k, so `result.arguments` of a failure on
    case 6 are exactly the arguments the exercise makes for that case: the student can rerun them by hand."""
    exercise = get_exercise("conv_forward")
    result = check("conv_forward", ignores_same_padding_for_even_kernels)
    assert "Hand-picked case 6 of 8" in result.message
    documented = exercise.make_arguments(exercise.fixed_cases[5], np.random.default_rng(5))
    assert result.arguments.keys() == documented.keys()
    for name, value in documented.items():
        np.testing.assert_array_equal(result.arguments[name], value, err_msg=name)


def test_after_a_random_failure_the_count_of_cases_passed_is_exact(monkeypatch):
    """`result.cases` counts the cases that passed before the first failure: both hand-picked cases and the random
    cases tried before the first failing one, not the cases hypothesis tried afterwards while shrinking it."""
    from minicnn.exercises import checker

    failed = []
    original = checker.try_case

    def recording(exercise, function, case, seed):
        attempt = original(exercise, function, case, seed)
        failed.append(attempt.failed)
        return attempt

    monkeypatch.setattr(checker, "try_case", recording)

    def wrong_from_seven_samples_on(y, y_hat):
        return (y_hat - y) / len(y) if len(y) < 7 else (y_hat - y) / (len(y) - 1)

    result = check("mse_gradient", wrong_from_seven_samples_on)
    assert "among random cases (all 2 hand-picked cases passed)" in result.message
    passed_before_the_first_failure = failed.index(True)
    assert passed_before_the_first_failure > 2 and failed.count(True) > 1  # some random cases passed; it was shrunk
    assert result.cases == passed_before_the_first_failure


def test_a_missing_return_is_told_with_none_written_as_python_writes_it():
    """str.capitalize() lowered the rest of the problem: "returned none (did you forget the return statement?)"."""
    def no_return(grad_z, x, kernel):
        grad_z @ kernel.T

    message = check("dense_backward", no_return).message
    assert "Your function should return 3 values, the tuple (grad_x, grad_kernel, grad_bias); it returned None (did " \
           "you forget the return statement?)" in " ".join(message.split())


@pytest.mark.parametrize("platform", ["timer signal", "no timer signal (Windows)"])
def test_an_endless_loop_is_stopped_and_the_line_it_was_on_is_named(tmp_path, monkeypatch, platform):
    """A while loop without its n += 1 hung the checker with no clue where; after Ctrl-C only 'interrupted'. On
    Windows, which has no setitimer, it hung for good: a watchdog thread stops it there."""
    import signal

    from minicnn.exercises import running

    if platform != "timer signal":
        monkeypatch.delattr(signal, "setitimer", raising=False)
    monkeypatch.setattr(running, "TIME_LIMIT", 0.3)
    path = tmp_path / "mse_gradient.py"
    path.write_text("import numpy as np\n\n\ndef mse_gradient(y, y_hat):\n    grad = np.zeros(len(y))\n    n = 0\n"
                    "    while n < len(y):\n        grad[n] = (y_hat[n] - y[n]) / len(y)\n    return grad\n")
    result = check("mse_gradient", str(path))
    message = result.message
    assert not result.passed
    assert message.startswith("mse_gradient: not passed yet, your function did not return within 0.3 s.")
    stopped_at = re.escape("It was stopped after 0.3 s, here:\n    TookTooLong: stopped after 0.3 s without returning\n"
                           "    at line ") + rf"(7|8) of {re.escape(str(path))}, in mse_gradient:\n        (while|grad)"
    assert re.search(stopped_at, message), message
    assert "An endless loop? A while loop whose counter never changes (n += 1 missing)" in " ".join(message.split())


def test_the_watchdog_stops_a_call_in_another_thread_and_raises_nothing_once_the_call_returned(monkeypatch):
    """Without a timer signal (Windows, or a checker called from a thread other than the main one) a watchdog
    thread raises TookTooLong in the checked thread; a call that returned in time must not have it raised later,
    in the checker's own code."""
    import signal
    import threading
    import time

    from minicnn.exercises import running

    outcome = {}

    def check_in_a_thread():
        start = time.monotonic()
        try:
            with running._TimeLimit(0.2):
                while True:
                    pass
        except running.TookTooLong as error:
            outcome["stopped"] = (str(error), time.monotonic() - start)

    thread = threading.Thread(target=check_in_a_thread)
    thread.start()
    thread.join(10)
    message, seconds = outcome["stopped"]
    assert message == "stopped after 0.2 s without returning" and seconds < 5
    monkeypatch.delattr(signal, "setitimer", raising=False)  # the watchdog in the main thread too, as on Windows
    with running._TimeLimit(0.05):
        sum(range(100))
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:  # Python code running past the limit: nothing is raised in it
        sum(range(100))
    late = running._TimeLimit(100)
    with late:
        pass
    late._stop_from_the_watchdog()  # a watchdog that fired as the block ended (mutation round: it raised later)
    assert sum(i for i in range(100_000)) == 4_999_950_000


@pytest.mark.parametrize("platform", ["timer signal", "no timer signal (Windows)"])
def test_a_time_limit_cut_short_as_it_ends_leaves_no_timer_or_watchdog_behind(monkeypatch, platform):
    """The watchdog may ask for a stop just as the student's function returns: Python raises it at its next step,
    as the time limit's __exit__ begins, and cuts that short. The call is reported as stopped, and the check's
    finally undoes the rest: a timer left armed would raise in the checker's own code. (Such a stop was once taken
    back instead, which leaves Python 3.11 looking for one at every step for the rest of the process, and a later
    stop from a timer signal then never returned.)"""
    import signal

    from minicnn.exercises import running

    if platform != "timer signal":
        monkeypatch.delattr(signal, "setitimer", raising=False)
    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)
    handler_before = signal.getsignal(signal.SIGALRM)
    closing = []
    close = running._TimeLimit.close

    def cut_short_the_first_time(limit):
        closing.append(limit)
        if len(closing) == 1:
            raise running._took_too_long_after(0.2)()
        close(limit)

    monkeypatch.setattr(running._TimeLimit, "close", cut_short_the_first_time)
    arguments = {"y": np.ones(2), "y_hat": np.zeros(2)}
    call = running.call_student(lambda y, y_hat: (y_hat - y) / len(y), arguments, ("y", "y_hat"))
    assert isinstance(call.error, running.TookTooLong) and call.value is None
    assert len(closing) == 2 and closing[0].closed
    assert signal.getsignal(signal.SIGALRM) is handler_before
    if platform == "timer signal":
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    else:
        closing[0].watchdog.join(5)
        assert not closing[0].watchdog.is_alive()


def test_an_except_exception_in_the_students_loop_does_not_swallow_the_time_limit(monkeypatch):
    """TookTooLong is not an Exception: a loop of the student's with ``except Exception`` would catch it and go on,
    so an endless first call came back with a right answer and the check passed (mutation round)."""
    import time

    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)
    calls = []

    def mse_gradient(y, y_hat):
        calls.append(1)
        while len(calls) == 1:  # only the first call loops
            try:
                time.sleep(0.01)
            except Exception:
                break
        return (y_hat - y) / len(y)

    result = check("mse_gradient", mse_gradient)
    assert not result.passed and "did not return within 0.2 s" in result.message


@pytest.mark.parametrize("platform", ["timer signal", "no timer signal (Windows)"])
def test_a_bare_except_in_the_students_loop_does_not_swallow_the_time_limit(tmp_path, monkeypatch, platform):
    """An ``except:`` (or ``except BaseException:``) in the student's endless loop caught the stop, and the checker
    hung for good, also Ctrl-C caught: each stop now sets a trace function that raises the next at the first line
    of the except block, outside its try. The message names that line (or the except's own), the line of the
    loop where the first stop came, and says why the loop went on."""
    import signal
    import time

    from minicnn.exercises import running

    if platform != "timer signal":
        monkeypatch.delattr(signal, "setitimer", raising=False)
    monkeypatch.setattr(running, "TIME_LIMIT", 0.3)
    path = tmp_path / "mse_gradient.py"
    path.write_text("import time\n\nimport numpy as np\n\n\ndef mse_gradient(y, y_hat):\n"
                    "    grad = np.zeros(len(y))\n    n = 0\n    while n < len(y):\n        try:\n"
                    "            time.sleep(0.001)\n"  # the stop comes here
                    "            grad[n] = (y_hat[n] - y[n]) / len(y)\n"
                    "        except:\n            print('skipped', n)\n    return grad\n")
    start = time.monotonic()
    result = check("mse_gradient", str(path))
    assert time.monotonic() - start < 10
    message = " ".join(result.message.split())
    assert not result.passed
    assert message.startswith("mse_gradient: not passed yet, your function did not return within 0.3 s.")
    assert re.search(rf"at line (13|14) of {re.escape(str(path))}, in mse_gradient: (except:|print)", message), message
    assert "Your code caught the checker's first stop: an except: without an error type (or except " \
           "BaseException:, or a finally: block that continues, breaks or returns) catches every exception, the " \
           "checker's stop and Ctrl-C too" in message
    first = rf"The first stop came here \(and was caught\): TookTooLong: stopped after 0.3 s without returning at " \
            rf"line (11|12) of {re.escape(str(path))}, in mse_gradient: (time.sleep|grad)"
    assert re.search(first, message), message
    assert "An endless loop?" in message


@pytest.mark.parametrize("platform", ["timer signal", "no timer signal (Windows)"])
def test_a_stop_leaves_the_students_with_and_finally_blocks_to_run_and_gives_no_caught_hint(monkeypatch, platform):
    """A review of the stops that follow the first: the next stop was raised at the next line run in any frame, so
    at the line of the student's ``with np.errstate(...)`` as the first unwound through it, whose __exit__ never
    ran (NumPy's error state left changed for the rest of the session), and in a ``finally`` block, with the hint
    that an ``except:`` caught the stop where there was none."""
    import signal

    from minicnn.exercises import running

    if platform != "timer signal":
        monkeypatch.delattr(signal, "setitimer", raising=False)
    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)
    finished = []

    def with_errstate(y, y_hat):
        with np.errstate(all="ignore"):
            n = 0
            while n < len(y):
                n = n * 1

    def with_finally(y, y_hat):
        try:
            while True:
                pass
        finally:
            finished.append(True)

    before = np.geterr()
    for function in (with_errstate, with_finally):
        message = " ".join(check("mse_gradient", function).message.split())
        assert "did not return within 0.2 s" in message and "caught the checker's first stop" not in message, message
        assert np.geterr() == before
    assert finished == [True]


def test_a_students_code_in_an_exercise_folder_or_typed_at_a_prompt_is_stopped(monkeypatch):
    """A review: the checker's own frames were told by their file's folder, so a student's code in an exercise's
    folder (its starter file edited in place, which its docstring checks with ``check mse_gradient this_file.py``)
    or typed at a prompt started there (``<stdin>``) was never stopped, and the check hung."""
    import os
    import time

    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)
    starter = os.path.join(os.path.dirname(running.__file__), "mse_gradient", "starter.py")
    monkeypatch.chdir(os.path.dirname(running.__file__))
    for filename in (starter, "<stdin>"):
        namespace = {}
        exec(compile("def mse_gradient(y, y_hat):\n    while True:\n        pass\n", filename, "exec"), namespace)
        start = time.monotonic()
        call = running.call_student(namespace["mse_gradient"], {"y": np.ones(2), "y_hat": np.ones(2)}, ("y", "y_hat"))
        assert isinstance(call.error, running.TookTooLong) and time.monotonic() - start < 5, filename


def test_a_function_that_catches_the_stops_and_returns_is_reported_as_stopped(monkeypatch):
    """A right answer returned from the except block that caught the stop passed the check, though the call never
    returned by itself; a function that caught every stop and returned after its loops gives a value its cut loops
    made, which was checked as an answer."""
    import time

    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)
    right = reference_solution("mse_gradient")

    def answers_from_the_except_block(y, y_hat):
        try:
            while True:
                pass
        except BaseException:
            return right(y, y_hat)

    result = check("mse_gradient", answers_from_the_except_block)
    assert not result.passed and "did not return within 0.2 s" in result.message
    assert "Your code caught the checker's first stop" in " ".join(result.message.split())

    returned = []

    def catches_every_stop(y, y_hat):
        for _ in range(3):
            try:
                while True:
                    try:
                        time.sleep(0.001)  # the stop comes here, inside both try blocks
                    except:  # noqa: E722 (the mistake checked): the next stop comes at this line ...
                        pass
            except:  # noqa: E722 ... and is caught here
                pass
        returned.append(True)
        return right(y, y_hat)

    call = running.call_student(catches_every_stop, {"y": np.ones(2), "y_hat": np.ones(2)}, ("y", "y_hat"))
    assert returned and isinstance(call.error, running.TookTooLong) and call.value is None
    # two for each round: the inner except caught a stop, and raising the next there would be caught by the outer
    # one, so the checker waits for a line where it gets out; none comes before the next tick's stop is caught
    # there too, and the stop raised then is caught by the outer except
    assert call.error.caught == 6


@pytest.mark.parametrize("platform", ["timer signal", "no timer signal (Windows)"])
def test_an_except_in_a_helper_called_from_a_loop_with_its_own_except_is_left_at_the_loops_line(monkeypatch,
                                                                                                   platform):
    """A review: a helper whose except: returns a default, called from a loop whose own except: goes on, caught
    every stop (the next one, raised at the helper's except line, was caught by the loop's): the check hung on the
    watchdog path and ended on the timer path only when a tick missed the helper. The next stop now waits for the
    loop's while line, where it gets out."""
    import signal
    import time

    from minicnn.exercises import running

    if platform != "timer signal":
        monkeypatch.delattr(signal, "setitimer", raising=False)
    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)

    def entry(y, y_hat, n):
        try:
            time.sleep(0.001)  # the stop comes here
            return (y_hat[n] - y[n]) / len(y)
        except:  # noqa: E722 (the mistake checked)
            return 0.0

    def mse_gradient(y, y_hat):
        grad = np.zeros(len(y))
        n = 0
        while n < len(y):
            try:
                grad[n] = entry(y, y_hat, n)
            except:  # noqa: E722
                pass
        return grad

    start = time.monotonic()
    call = running.call_student(mse_gradient, {"y": np.ones(3), "y_hat": np.zeros(3)}, ("y", "y_hat"))
    assert isinstance(call.error, running.TookTooLong) and time.monotonic() - start < 5
    assert call.error.caught == 1
    assert "while n < len(y):" in running.describe_exception(call.error, __file__)


@pytest.mark.parametrize("platform", ["timer signal", "no timer signal (Windows)"])
def test_a_finally_that_continues_and_an_except_that_raises_another_error_are_stopped_too(monkeypatch, platform):
    """``finally: continue`` drops the exception as ``except:`` does, and was left to loop for good; on the watchdog
    path an ``except BaseException`` that raises another error had that error reported, the stop's trace being set
    after the stop went through the frame (and a loop whose stops land in a library's code took seconds)."""
    import signal
    import time

    from minicnn.exercises import running

    if platform != "timer signal":
        monkeypatch.delattr(signal, "setitimer", raising=False)
    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)

    def finally_continues(y, y_hat):
        while True:
            try:
                time.sleep(0.001)
            finally:
                continue  # noqa: B012 (the mistake checked)

    def raises_another_error(y, y_hat):
        while True:
            try:
                time.sleep(0.001)
            except BaseException as error:
                raise ValueError("not a number") from error

    for function in (finally_continues, raises_another_error):
        start = time.monotonic()
        call = running.call_student(function, {"y": np.ones(2), "y_hat": np.ones(2)}, ("y", "y_hat"))
        assert isinstance(call.error, running.TookTooLong), (function.__name__, call.error)
        assert call.error.caught == 1 and time.monotonic() - start < 5, function.__name__


def test_the_time_limit_gives_back_a_trace_function_set_before_the_check(monkeypatch):
    """The stops set a trace function of their own; a debugger's or coverage tool's, set before, is set again
    afterwards."""
    import sys
    import time

    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)

    def callers_trace(frame, event, arg):
        return None

    def endless(y, y_hat):
        while True:
            try:
                time.sleep(0.001)  # the stop comes here
            except:  # noqa: E722
                pass

    previous = sys.gettrace()
    sys.settrace(callers_trace)
    try:
        call = running.call_student(endless, {"y": np.ones(2), "y_hat": np.ones(2)}, ("y", "y_hat"))
        assert sys.gettrace() is callers_trace
    finally:
        sys.settrace(previous)
    assert isinstance(call.error, running.TookTooLong) and call.error.caught >= 1


def test_a_loop_endless_only_on_larger_cases_is_reported_once_without_shrinking(tmp_path, monkeypatch):
    """Among random cases hypothesis shrinks a failure by trying smaller ones: after a call that had to be stopped,
    every such try would take as long, so the first case stopped is the one reported, at once."""
    import time

    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)
    right = reference_solution("mse_gradient")

    stopped = []

    def endless_from_six(y, y_hat):  # the hand-picked cases have 3 and 5 samples: a random case is stopped
        if len(y) >= 6:
            stopped.append(len(y))
        while len(y) >= 6:
            pass
        return right(y, y_hat)

    start = time.perf_counter()
    result = check("mse_gradient", endless_from_six)
    assert not result.passed and len(result.arguments["y"]) >= 6
    assert "A random case your function did not return from" in result.message
    assert time.perf_counter() - start < 5
    assert len(stopped) == 1, stopped  # (mutation round: a smaller case was tried after it, and stopped again)



def test_a_random_case_that_was_stopped_is_not_called_the_simplest_one_found(monkeypatch):
    """A case stopped for the time limit is reported as it was drawn (each try at a smaller one would take as
    long): it was introduced as "the simplest failing case found" (an audit's note)."""
    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)
    right = reference_solution("mse_gradient")

    def endless_beyond_the_hand_picked_cases(y, y_hat):
        while len(y) >= 6:
            pass
        return right(y, y_hat)

    result = check("mse_gradient", endless_beyond_the_hand_picked_cases)
    assert not result.passed and len(result.arguments["y"]) >= 6
    assert "A random case your function did not return from (all 2 hand-picked cases passed; not made simpler: " \
           "each try would take as long)" in " ".join(result.message.split()), result.message


def test_right_values_with_an_extra_axis_are_told_so_and_not_called_a_mistake():
    """grad_bias[None, :] has, with one sample, the shape and values of "not summed over N, H and W", and was named
    so, though the student had summed: the values are right, in another shape, and the other cases show that no
    mistake explains them."""
    def bias_gradient_with_an_extra_axis(grad_y, x, kernel, stride=1, padding="valid"):
        grad_x, grad_kernel, grad_bias = reference_solution("conv_backward")(grad_y, x, kernel, stride, padding)
        return grad_x, grad_kernel, grad_bias[None, :]

    result = check("conv_backward", bias_gradient_with_an_extra_axis)
    assert result.message.startswith("conv_backward: not passed yet, grad_bias has the right values in another "
                                     "shape."), result.message
    assert "grad_bias has shape (1, 1); expected shape (1,). Its values are right: return them in shape (1,) (an " \
           "extra or missing axis, as from keepdims=True or [None, :]?)" in " ".join(result.message.split())
    assert result.mistakes == {}


def test_an_empty_output_is_matched_by_no_classic_mistake():
    """An empty array equals any empty array of its shape, so an output shrunk to nothing "matched" the model of
    'output size off by one' by its shape alone, whatever the student's real mistake."""
    def shrunk_to_nothing(x, kernel, bias, stride=1, padding="valid"):
        y = reference_solution("conv_forward")(x, kernel, bias, stride, padding)
        return y[:, :, :-1] if y.shape[2] == 1 else y  # columns padded by the rows' amount: none left

    from minicnn.exercises.checker import try_case
    from minicnn.exercises.diagnosing import recognise_mistakes

    exercise = get_exercise("conv_forward")
    case = dict(n=1, h=1, w=1, c_in=1, c_out=1, kh=1, kw=1, stride=1, padding="valid")
    attempt = try_case(exercise, shrunk_to_nothing, case, seed=0)
    assert attempt.failed and attempt.checks[0].got.shape == (1, 1, 0, 1)
    assert recognise_mistakes(exercise, shrunk_to_nothing, attempt) == {}


def test_the_time_limit_gives_back_a_timer_armed_before_the_check(monkeypatch):
    """A timer armed before the check (the caller's own timeout) was cancelled by the time limit's."""
    import signal
    import time

    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.2)

    def endless(y, y_hat):
        while True:
            time.sleep(0.01)

    def callers_handler(*args):
        pass

    previous = signal.signal(signal.SIGALRM, callers_handler)
    signal.setitimer(signal.ITIMER_REAL, 100.0)
    try:
        start = time.monotonic()
        call = running.call_student(endless, {"y": np.ones(2), "y_hat": np.ones(2)}, ("y", "y_hat"))
        assert isinstance(call.error, running.TookTooLong) and time.monotonic() - start < 5
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < remaining < 99.9  # what it had left, not its whole delay again (mutation round)
        assert signal.getsignal(signal.SIGALRM) is callers_handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_clip_near_zero_gets_a_hint():
    """Keras' np.clip(p, 1e-7, 1 − 1e-7) before the gradient failed with "expected 0, yours 2.5e-08" and no hint:
    the tiny-difference hint measured the difference against the value, which is 0 there."""
    def clipped(logits, labels_onehot):
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = np.clip(shifted / shifted.sum(axis=1, keepdims=True), 1e-7, 1 - 1e-7)
        return (p - labels_onehot) / len(logits)

    message = " ".join(check("softmax_cross_entropy_gradient", clipped).message.split())
    assert "though not beside the values near 0: a small number added or a clip somewhere, such as " \
           "np.clip(p, 1e-7, 1 - 1e-7) or log(p + 1e-7)? The formula has neither." in message, message


def test_an_endless_loop_in_numba_compiled_code_is_reported_and_said_to_keep_running(monkeypatch):
    """An endless loop inside an @njit function hung the checker for good: the time limit's signal handler never runs
    inside compiled code, and Ctrl-C did nothing either. The loop here ends by itself after a few seconds (so that it
    does not keep a core busy for the rest of the tests), long after the time limit."""
    import time

    numba = pytest.importorskip("numba")
    from minicnn.exercises import running

    monkeypatch.setattr(running, "TIME_LIMIT", 0.5)

    @numba.njit
    def mse_gradient(y, y_hat):
        s = 0.0
        for _ in range(2_000_000_000):  # about 3 s: a chain of dependent additions that no compiler can skip
            s = s * 0.5 + y[0]
        return (y_hat - y) / len(y) + 0.0 * s

    start = time.monotonic()
    result = check("mse_gradient", mse_gradient)
    elapsed = time.monotonic() - start
    message = " ".join(result.message.split())
    assert not result.passed
    assert message.startswith("mse_gradient: not passed yet, your function did not return within 0.5 s.")
    assert "compiled by Numba" in message and "cannot be stopped" in message, message
    assert "it keeps running" in message and "restart the kernel" in message, message
    assert "An endless loop?" in message
    assert elapsed < 1.5, elapsed


@pytest.mark.parametrize("name, channels_first", [
    ("conv_forward", lambda x, kernel, bias, stride=1, padding="valid":
        good_conv_forward(x, kernel, bias, stride, padding).transpose(0, 3, 1, 2)),
    ("max_pool_forward", lambda x, pool_size=2, stride=None: pool(x, pool_size, stride).transpose(0, 3, 1, 2)),
])
def test_an_output_with_its_channels_first_is_told_its_axes_are_in_another_order(name, channels_first):
    """With one channel, y.transpose(0, 3, 1, 2) reshaped to the expected shape gives the right values, and the
    student was told "Its values are right: return them in shape (1, 2, 2, 1)", so reshaped, and wrong, on the next
    case with two channels."""
    message = " ".join(check(name, channels_first).message.split())
    assert "Its values are right: return them in shape" not in message, message
    assert "keepdims" not in message
    assert "its axes are in another order" in message and "channels first" in message, message
    assert "minicnn's images are NHWC: (N, H, W, C)" in message, message


def test_right_values_in_another_shape_are_claimed_only_for_extra_or_missing_axes_of_size_1():
    from minicnn.exercises.comparing import compare_output

    expected = np.arange(6.0).reshape(2, 3)
    assert compare_output("y", expected.reshape(1, 2, 3, 1), expected).right_values_in == "another shape"
    for wrong in (expected.reshape(6), expected.reshape(3, 2)):  # right values read in order, in a shape of other sizes
        check_ = compare_output("y", wrong, expected)
        assert check_.right_values_in is None and "values are right" not in check_.problem, check_.problem
    swapped = compare_output("y", expected.T, expected)
    assert swapped.right_values_in == "another shape"
    assert "its axes are in another order" in swapped.problem and "channels" not in swapped.problem


def _case_notes(height, width, kh, kw, stride, padding):
    from minicnn.exercises.geometry import conv_case_notes

    return conv_case_notes(np.zeros((1, height, width, 1)), np.zeros((kh, kw, 1, 1)), stride, padding)


def test_a_case_note_comes_only_where_same_padding_adds_no_zeros_on_its_own_axis():
    """No note for "valid" padding or where "same" pads; a note for the rows alone, or the columns alone, of a
    non-square case (only a square 1×1 case was tested) (mutation round: no test failed where it was changed)."""
    assert _case_notes(5, 5, 2, 2, 2, "valid") == []
    assert _case_notes(4, 4, 1, 1, 1, "same") == []
    rows = _case_notes(4, 5, 1, 1, 2, "same")
    assert len(rows) == 1 and rows[0].startswith("along the rows")
    columns = _case_notes(4, 4, 2, 1, 2, "same")
    assert len(columns) == 1 and columns[0].startswith("along the columns")


def test_a_solution_named_like_the_exercise_is_told_to_be_renamed(tmp_path):
    """``conv2d_forward`` for ``conv_forward`` is close enough to be named (mutation round: no test failed where it
    was changed)."""
    path = tmp_path / "conv.py"
    path.write_text("def conv2d_forward(x, kernel, bias, stride=1, padding='valid'):\n    return x\n")
    assert "Rename conv2d_forward to conv_forward" in check("conv_forward", str(path)).message
