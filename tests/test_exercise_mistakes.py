"""The exercises' mistakes that ``tests/test_exercises.py`` never wrote by hand, each written here as a student would
write it (loops of its own, not the checker's mistake models), must be named by the checker.

A mutation round found 19 mistake models that could be changed into another wrong function and still "recognise
themselves", since only the model itself was fed to the checker; each case's id names the mutant of an exercise's
``checks.py`` that it catches."""

import numpy as np
import pytest

from minicnn.exercises import check
from minicnn.exercises.catalogue import get_exercise
from test_exercises import pad, pads_for  # the padding of the exercises' own hand-written solutions


# --- independent helpers ------------------------------------------------------------------------------------------


def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def conv_forward_padded(x_pad, kernel, bias, stride, read_step=None):
    """Loops over the outputs; ``read_step`` (default: the stride) is how far the window moves per output."""
    read_step = stride if read_step is None else read_step
    kh, kw = kernel.shape[:2]
    out_h, out_w = (x_pad.shape[1] - kh) // stride + 1, (x_pad.shape[2] - kw) // stride + 1
    y = np.zeros((x_pad.shape[0], out_h, out_w, kernel.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            window = x_pad[:, i * read_step:i * read_step + kh, j * read_step:j * read_step + kw, :]
            y[:, i, j, :] = np.einsum("nklc,klco->no", window, kernel) + bias
    return y


def conv_backward_loops(grad_y, x, kernel, stride, padding, read_step=None, overwrite=False):
    """``(grad_x, grad_kernel, grad_bias)`` with loops in the order n, i, j, o, then k, l, c."""
    read_step = stride if read_step is None else read_step
    (top, bottom), (left, right) = pads_for(x, kernel, stride, padding)
    x_pad = pad(x, (top, bottom), (left, right))
    grad_x_pad, grad_kernel, grad_bias = np.zeros(x_pad.shape), np.zeros(kernel.shape), np.zeros(kernel.shape[3])
    for n, i, j, o in np.ndindex(*grad_y.shape):
        g = grad_y[n, i, j, o]
        if overwrite:
            grad_bias[o] = g
        else:
            grad_bias[o] += g
        for k, l, c in np.ndindex(*kernel.shape[:3]):
            r, q = i * read_step + k, j * read_step + l
            if overwrite:
                grad_kernel[k, l, c, o] = g * x_pad[n, r, q, c]
                grad_x_pad[n, r, q, c] = g * kernel[k, l, c, o]
            else:
                grad_kernel[k, l, c, o] += g * x_pad[n, r, q, c]
                grad_x_pad[n, r, q, c] += g * kernel[k, l, c, o]
    return grad_x_pad[:, top:top + x.shape[1], left:left + x.shape[2]], grad_kernel, grad_bias


def right_conv_backward(grad_y, x, kernel, stride=1, padding="valid"):
    return conv_backward_loops(grad_y, x, kernel, stride, padding)


def max_pool_loops(x, pool_size, stride, read_step=None):
    s = pool_size if stride is None else stride
    read_step = s if read_step is None else read_step
    out_h, out_w = (x.shape[1] - pool_size) // s + 1, (x.shape[2] - pool_size) // s + 1
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for n, i, j, c in np.ndindex(*y.shape):
        y[n, i, j, c] = x[n, i * read_step:i * read_step + pool_size, j * read_step:j * read_step + pool_size, c].max()
    return y


# --- the students ---------------------------------------------------------------------------------------------------


def mse_returned_the_loss(y, y_hat):
    return np.mean((y - y_hat) ** 2) / 2


def sgd_divided_by_learning_rate(w, grad, learning_rate):
    return w - grad / learning_rate


def sgd_weights_not_updated(w, grad, learning_rate):
    w - learning_rate * grad  # noqa: B018 (the result is not kept)
    return w


def sgd_returned_the_step_uphill(w, grad, learning_rate):
    return learning_rate * grad


def sigmoid_factor_a_missing(grad_a, a):
    return grad_a * (1 - a)


def dense_kernel_gradient_of_the_last_sample(grad_z, x, kernel):
    for n in range(len(x)):
        grad_kernel = np.outer(x[n], grad_z[n])  # = where += was needed
    return grad_z @ kernel.T, grad_kernel, grad_z.sum(axis=0)


def dense_bias_summed_over_the_outputs(grad_z, x, kernel):
    return grad_z @ kernel.T, x.T @ grad_z, grad_z.sum(axis=1)


def softmax_ce_labels_not_subtracted(logits, labels_onehot):
    return softmax_rows(logits) / len(logits)


def softmax_ce_np_mean_over_everything(logits, labels_onehot):
    return (softmax_rows(logits) - labels_onehot) / logits.size


def softmax_ce_shifted_by_the_first_logit(logits, labels_onehot):
    e = np.exp(logits - logits[:, :1])
    return (e / e.sum(axis=1, keepdims=True) - labels_onehot) / len(logits)


def conv_forward_extra_zero_on_top(x, kernel, bias, stride=1, padding="valid"):
    (top, bottom), (left, right) = pads_for(x, kernel, stride, padding)
    return conv_forward_padded(pad(x, (bottom, top), (right, left)), kernel, bias, stride)


def conv_forward_half_the_kernel_on_each_side(x, kernel, bias, stride=1, padding="valid"):
    if padding == "same":
        p_h, p_w = kernel.shape[0] // 2, kernel.shape[1] // 2
        x = pad(x, (p_h, p_h), (p_w, p_w))
    return conv_forward_padded(x, kernel, bias, stride)


def conv_backward_overwritten(grad_y, x, kernel, stride=1, padding="valid"):
    return conv_backward_loops(grad_y, x, kernel, stride, padding, overwrite=True)


def conv_backward_kernel_gradient_flipped(grad_y, x, kernel, stride=1, padding="valid"):
    grad_x, grad_kernel, grad_bias = right_conv_backward(grad_y, x, kernel, stride, padding)
    return grad_x, grad_kernel[::-1, ::-1], grad_bias


def conv_backward_kernel_gradient_of_the_last_image(grad_y, x, kernel, stride=1, padding="valid"):
    grad_x, _, grad_bias = right_conv_backward(grad_y, x, kernel, stride, padding)
    return grad_x, right_conv_backward(grad_y[-1:], x[-1:], kernel, stride, padding)[1], grad_bias


def conv_backward_stride_not_in_the_index(grad_y, x, kernel, stride=1, padding="valid"):
    return conv_backward_loops(grad_y, x, kernel, stride, padding, read_step=1)


def conv_backward_kernel_gradient_channels_swapped(grad_y, x, kernel, stride=1, padding="valid"):
    grad_x, grad_kernel, grad_bias = right_conv_backward(grad_y, x, kernel, stride, padding)
    return grad_x, grad_kernel.transpose(0, 1, 3, 2), grad_bias


def max_pool_forward_stride_not_in_the_index(x, pool_size=2, stride=None):
    return max_pool_loops(x, pool_size, stride, read_step=1)


def max_pool_backward_windows_at_i_and_j(grad_y, x, pool_size=2, stride=None):
    grad_x = np.zeros(x.shape)
    for n, i, j, c in np.ndindex(*grad_y.shape):
        window = x[n, i:i + pool_size, j:j + pool_size, c]
        k, l = divmod(int(np.argmax(window)), window.shape[1])
        grad_x[n, i + k, j + l, c] += grad_y[n, i, j, c]
    return grad_x


STUDENTS = [  # (mutant it catches, exercise, {output: mistake}, student)
    ("C2", "mse_gradient", {"grad_y_hat": "returned the loss instead of its gradient"}, mse_returned_the_loss),
    ("C4", "sgd_step", {"new_w": "divided by the learning rate"}, sgd_divided_by_learning_rate),
    ("C5", "sgd_step", {"new_w": "weights not updated"}, sgd_weights_not_updated),
    ("C6", "sgd_step", {"new_w": "returned the step, not the new weights"}, sgd_returned_the_step_uphill),
    ("C8", "sigmoid_backward", {"grad_z": "factor a missing"}, sigmoid_factor_a_missing),
    ("C10", "dense_backward", {"grad_kernel": "weights gradient not summed over the batch"},
     dense_kernel_gradient_of_the_last_sample),
    ("C11", "dense_backward", {"grad_bias": "bias gradient summed over the wrong axis"},
     dense_bias_summed_over_the_outputs),
    ("C15", "softmax_cross_entropy_gradient", {"grad_logits": "labels not subtracted"},
     softmax_ce_labels_not_subtracted),
    ("C16", "softmax_cross_entropy_gradient", {"grad_logits": "divided by N·K"}, softmax_ce_np_mean_over_everything),
    ("C17", "softmax_cross_entropy_gradient", {"grad_logits": "shifted by something other than each row's maximum"},
     softmax_ce_shifted_by_the_first_logit),
    ("C21", "conv_forward", {"y": "odd padding's extra zero on the wrong side"}, conv_forward_extra_zero_on_top),
    ("C23", "conv_forward", {"y": "same padding as a fixed amount on each side"},
     conv_forward_half_the_kernel_on_each_side),
    ("C24", "conv_backward", {"grad_x": "= instead of += (only the last position's term kept)",
                              "grad_kernel": "= instead of += (only the last position's term kept)",
                              "grad_bias": "= instead of += (only the last position's term kept)"},
     conv_backward_overwritten),
    ("C25", "conv_backward", {"grad_kernel": "kernel flipped"}, conv_backward_kernel_gradient_flipped),
    ("C26", "conv_backward", {"grad_kernel": "kernel gradient not summed over the batch"},
     conv_backward_kernel_gradient_of_the_last_image),
    ("C27", "conv_backward", {"grad_x": "stride left out of the input index",
                              "grad_kernel": "stride left out of the input index"},
     conv_backward_stride_not_in_the_index),
    ("C29", "conv_backward", {"grad_kernel": "kernel gradient's channel axes swapped"},
     conv_backward_kernel_gradient_channels_swapped),
    ("C32", "max_pool_forward", {"y": "stride left out of the input index"}, max_pool_forward_stride_not_in_the_index),
    ("C40", "max_pool_backward", {"grad_x": "stride left out of the window position"},
     max_pool_backward_windows_at_i_and_j),
]


@pytest.mark.parametrize("mutant, name, named, student", STUDENTS, ids=[s[0] for s in STUDENTS])
def test_a_mistake_without_a_hand_written_solution_is_named(mutant, name, named, student):
    """A student's version of each mistake is named as that mistake, in the words the checker prints."""
    result = check(name, student)
    assert not result.passed
    for output, mistake in named.items():
        assert mistake in result.mistakes.get(output, ()), result.message
        assert f"This looks like a classic mistake in {output}: {mistake}." in result.message, result.message


def test_sigmoid_backward_never_gives_a_equal_to_one_half():
    """At a = 0.5, a and 1 − a are the same number, so "factor a missing" and "factor (1 − a) missing" give the same
    values and cannot be told apart: the cases never hold it (mutation round: ``avoid=(0.5,)`` could go)."""
    exercise = get_exercise("sigmoid_backward")
    for seed in range(20):
        a = exercise.make_arguments({"shape": (50,)}, np.random.default_rng(seed))["a"]
        assert not np.any(a == 0.5)


def test_a_stride_above_the_pool_size_is_tried_among_the_random_cases():
    """A solution that takes a stride larger than the pool (gaps between windows, in no hand-picked case) as the
    pool size fails on the random cases (mutation round: they were drawn with stride None only)."""
    def max_pool_forward(x, pool_size=2, stride=None):
        s = pool_size if stride is None or stride > pool_size else stride
        return max_pool_loops(x, pool_size, s)

    result = check("max_pool_forward", max_pool_forward)
    assert not result.passed and "random cases" in result.message
