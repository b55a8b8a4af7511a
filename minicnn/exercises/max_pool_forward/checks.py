"""What the checker compares a ``max_pool_forward`` with: the reference, the cases, and the classic mistakes.

The input values are all different, so no window ever has two equal maxima.
"""

from minicnn.exercises.exercise import Exercise, MistakeList, NotApplicable
from minicnn.exercises.geometry import POOL_FIXED_CASES, pool_cases
from minicnn.exercises.values import distinct_values, value_step
from minicnn.kernels import numpy_kernels


def reference(x, pool_size, stride):
    """minicnn's NumPy max pooling (a strided window view), itself tested against ``minicnn.equations``."""
    s = pool_size if stride is None else stride
    return numpy_kernels.max_pool2d_forward(x, (pool_size, pool_size), (s, s), "valid")[0]


def make_arguments(case, rng):
    return {"x": distinct_values(rng, (case["n"], case["h"], case["w"], case["c"]), step=value_step(case)),
            "pool_size": case["pool_size"], "stride": case["stride"]}


mistakes = MistakeList()


@mistakes.add("y", "stride=None not replaced by the pool size",
              "Your y has an output for every position, as with stride 1. stride=None means stride = pool_size: the "
              "windows sit side by side (s = p), so start with s = pool_size if stride is None else stride.")
def stride_none_taken_as_one(x, pool_size, stride):
    if stride is not None or pool_size == 1:
        raise NotApplicable("a stride was given, or p = 1")
    return reference(x, pool_size, 1)


@mistakes.add("y", "stride argument ignored (windows side by side)",
              "Your y is what stride = pool_size gives, whatever stride was passed. Use the stride you are given: "
              "s = pool_size only when stride is None, and then H_out = (H − p) // s + 1.")
def stride_ignored(x, pool_size, stride):
    if stride is None or stride == pool_size:
        raise NotApplicable("the stride is the pool size anyway")
    return reference(x, pool_size, None)


@mistakes.add("y", "average instead of maximum",
              "Your y is the mean of each window: that is average pooling. Max pooling keeps the largest value: "
              "y[n,i,j,c] = max_{k,l} x[n, i·s+k, j·s+l, c].")
def average_instead_of_maximum(x, pool_size, stride):
    s = pool_size if stride is None else stride
    return numpy_kernels.avg_pool2d_forward(x, (pool_size, pool_size), (s, s), "valid")


@mistakes.add("y", "output size off by one",
              "Your y has one row or column too few. The window fits (H − p) // s + 1 times: the final +1 counts the "
              "first position, i = 0.")
def output_size_off_by_one(x, pool_size, stride):
    y = reference(x, pool_size, stride)
    return [y[:, :-1], y[:, :, :-1], y[:, :-1, :-1]]


@mistakes.add("y", "stride left out of the input index",
              "Your y has the right size but output (i, j) reads the window at row i and column j. It starts at row "
              "i·s and column j·s: x[n, i·s + k, j·s + l, c].")
def stride_left_out_of_the_index(x, pool_size, stride):
    s = pool_size if stride is None else stride
    if s == 1:
        raise NotApplicable("stride 1 has nothing to leave out")
    h_out, w_out = reference(x, pool_size, stride).shape[1:3]
    return reference(x, pool_size, 1)[:, :h_out, :w_out]


EXERCISE = Exercise(
    name="max_pool_forward",
    parameters=("x", "pool_size", "stride"),
    outputs=("y",),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=POOL_FIXED_CASES,
    random_cases=pool_cases,
    mistakes=mistakes,
    shape_rules={"y": "y has shape (N, H_out, W_out, C) with H_out = (H − p) // s + 1 and s = p when stride is None"},
)
