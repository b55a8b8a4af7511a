"""What the checker compares a ``max_pool_backward`` with: the reference, the cases, and the classic mistakes.

The input values are all different, so every window has one clear winner, except in the last hand-picked case: the
image after a ReLU (``TIED_X``), where windows tie, and the gradient goes to the first tied maximum, reading the window
row by row, as ``np.argmax`` and minicnn's ``MaxPooling2D`` choose (one window ties across its anti-diagonal, where
reading column by column picks another input). The mistake models that route the gradient to a
wrong place are written as loops over the windows (``route``), the way a student writes them.
"""

import numpy as np

from minicnn.exercises.exercise import Exercise, MistakeList, NotApplicable
from minicnn.exercises.geometry import POOL_FIXED_CASES, pool_cases, pool_output_size
from minicnn.exercises.values import distinct_values, nonzero_values, value_step
from minicnn.kernels import numpy_kernels


def reference(grad_y, x, pool_size, stride):
    """minicnn's NumPy max pooling backward, with the argmax from its forward pass."""
    s = pool_size if stride is None else stride
    window, steps = (pool_size, pool_size), (s, s)
    _, argmax = numpy_kernels.max_pool2d_forward(x, window, steps, "valid")
    return numpy_kernels.max_pool2d_backward(grad_y, argmax, x.shape, window, steps, "valid")


#: an image after a ReLU, whose 2×2 windows tie (four zeros; two 3s in a column; two 3s across the anti-diagonal,
#: where the first tied maximum row by row is not the first column by column) but for the last (one 1, below the
#: diagonal, so that a swapped row and column shows)
TIED_X = np.array([[0.0, 0.0, 3.0, 1.0],
                   [0.0, 0.0, 3.0, 2.0],
                   [1.0, 3.0, 0.0, 0.0],
                   [3.0, 2.0, 1.0, 0.0]]).reshape(1, 4, 4, 1)

#: the hand-picked cases: the pooling cases, then windows that tie
FIXED_CASES = POOL_FIXED_CASES + (dict(n=1, h=4, w=4, c=1, pool_size=2, stride=None, ties=True),)


def make_arguments(case, rng):
    h_out, w_out = pool_output_size(case)
    shape = (case["n"], case["h"], case["w"], case["c"])
    x = TIED_X.copy() if case.get("ties") else distinct_values(rng, shape, step=value_step(case))
    return {"grad_y": nonzero_values(rng, (case["n"], h_out, w_out, case["c"]), step=value_step(case)),
            "x": x, "pool_size": case["pool_size"], "stride": case["stride"]}


def winner(window):
    """``(k, l)``: where the largest value of a window sits."""
    return np.unravel_index(np.argmax(window), window.shape)


def route(grad_y, x, pool_size, step, choose=winner, accumulate=True, every=False):
    """Send each ``∂L/∂y[n,i,j,c]`` to the input that ``choose`` picks in window ``(i, j)`` (with ``every``, to each
    of the inputs it lists); windows start every ``step`` pixels. With ``accumulate=False`` a later window
    overwrites an earlier one instead of adding to it."""
    grad_x = np.zeros(x.shape)
    p = pool_size
    for n, i, j, c in np.ndindex(*grad_y.shape):
        chosen = choose(x[n, i * step:i * step + p, j * step:j * step + p, c])
        for k, l in (chosen if every else [chosen]):
            if accumulate:
                grad_x[n, i * step + k, j * step + l, c] += grad_y[n, i, j, c]
            else:
                grad_x[n, i * step + k, j * step + l, c] = grad_y[n, i, j, c]
    return grad_x


def tied_maxima(window):
    """Every ``(k, l)`` where the window holds its largest value, row by row."""
    return list(zip(*np.nonzero(window == window.max())))


def first_tied_maximum_column_by_column(window):
    """The first ``(k, l)`` holding the window's largest value, reading column by column."""
    return min(tied_maxima(window), key=lambda place: (place[1], place[0]))


def share_among_tied_maxima(grad_y, x, pool_size, step):
    """Each ``∂L/∂y[n,i,j,c]`` split in equal parts among the inputs that tie for the largest value of window
    ``(i, j)``; windows start every ``step`` pixels."""
    grad_x = np.zeros(x.shape)
    p = pool_size
    for n, i, j, c in np.ndindex(*grad_y.shape):
        tied = tied_maxima(x[n, i * step:i * step + p, j * step:j * step + p, c])
        for k, l in tied:
            grad_x[n, i * step + k, j * step + l, c] += grad_y[n, i, j, c] / len(tied)
    return grad_x


def stride_where_windows_tie(x, pool_size, stride):
    """The stride, for a mistake about ties; NotApplicable where no window of ``x`` ties."""
    s = stride_of(pool_size, stride)
    if not any(len(tied_maxima(x[n, i:i + pool_size, j:j + pool_size, c])) > 1
               for n, c in np.ndindex(x.shape[0], x.shape[3])
               for i in range(0, x.shape[1] - pool_size + 1, s) for j in range(0, x.shape[2] - pool_size + 1, s)):
        raise NotApplicable("no window ties")
    return s


def stride_of(pool_size, stride):
    return pool_size if stride is None else stride


mistakes = MistakeList()


@mistakes.add("grad_x", "gradient sent to every element of the window",
              "You gave ∂L/∂y[n,i,j,c] to every input of the window. Only the largest input of the window decides "
              "the output, so only it gets the gradient: find (k, l) = argmax of the window and add ∂L/∂y[n,i,j,c] "
              "to x[n, i·s+k, j·s+l, c] alone.")
def gradient_to_every_element(grad_y, x, pool_size, stride):
    s = stride_of(pool_size, stride)
    window = (pool_size, pool_size)
    return numpy_kernels.avg_pool2d_backward(grad_y * pool_size ** 2, x.shape, window, (s, s), "valid")


@mistakes.add("grad_x", "gradient shared equally over the window",
              "You shared ∂L/∂y[n,i,j,c] equally over the window (÷ p²): that is the backward pass of average "
              "pooling. In max pooling the whole gradient goes to the window's largest input, the others get 0.")
def gradient_shared_equally(grad_y, x, pool_size, stride):
    s = stride_of(pool_size, stride)
    return numpy_kernels.avg_pool2d_backward(grad_y, x.shape, (pool_size, pool_size), (s, s), "valid")


@mistakes.add("grad_x", "overlapping windows overwrite instead of adding up",
              "Where windows overlap, an input that wins two windows must receive both gradients: use += "
              "(grad_x[...] += grad_y[n, i, j, c]), not =, which keeps only the last window's.")
def overlapping_windows_overwrite(grad_y, x, pool_size, stride):
    if stride_of(pool_size, stride) >= pool_size:
        raise NotApplicable("the windows do not overlap")
    return route(grad_y, x, pool_size, stride_of(pool_size, stride), accumulate=False)


@mistakes.add("grad_x", "argmax row and column swapped",
              "Your gradient goes to the right window but the wrong element: the argmax's row and column are swapped. "
              "np.argmax of a window gives a flat index; np.unravel_index(index, window.shape) turns it into (row k, "
              "column l), and the element is x[n, i·s + k, j·s + l, c].")
def argmax_row_and_column_swapped(grad_y, x, pool_size, stride):
    def swapped(window):
        k, l = winner(window)
        return l, k

    return route(grad_y, x, pool_size, stride_of(pool_size, stride), choose=swapped)


@mistakes.add("grad_x", "stride left out of the window position",
              "Your windows start at row i and column j instead of i·s and j·s (and stride=None means s = pool_size). "
              "Window (i, j) covers x[n, i·s : i·s + p, j·s : j·s + p, c].")
def stride_left_out(grad_y, x, pool_size, stride):
    if stride_of(pool_size, stride) == 1:
        raise NotApplicable("stride 1 has nothing to leave out")
    return route(grad_y, x, pool_size, 1)


@mistakes.add("grad_x", "gradient sent to every tied maximum",
              "Where several inputs of a window share the largest value (after a ReLU, zeros often do), you gave "
              "∂L/∂y[n,i,j,c] to each of them, so that window passes back several times its gradient. Give it to one: "
              "the first tied maximum, reading the window row by row, which np.argmax returns (a mask window == "
              "window.max() marks them all).")
def gradient_to_every_tied_maximum(grad_y, x, pool_size, stride):
    return route(grad_y, x, pool_size, stride_where_windows_tie(x, pool_size, stride), choose=tied_maxima, every=True)


@mistakes.add("grad_x", "gradient sent to the last tied maximum",
              "Where several inputs of a window share the largest value, the gradient goes to the first of them, "
              "reading the window row by row (what np.argmax returns, and what minicnn's MaxPooling2D does); yours "
              "went to the last, as a loop that keeps a new winner on >= does. Keep it on > only.")
def gradient_to_the_last_tied_maximum(grad_y, x, pool_size, stride):
    return route(grad_y, x, pool_size, stride_where_windows_tie(x, pool_size, stride),
                 choose=lambda window: tied_maxima(window)[-1])


@mistakes.add("grad_x", "gradient sent to the first tied maximum column by column",
              "Where several inputs of a window share the largest value, the gradient goes to the first of them "
              "reading the window row by row (what np.argmax of the window returns, and what minicnn's MaxPooling2D "
              "does); yours read it column by column, so where the tied maxima are not in one row or one column "
              "another input got it. Look at the order of your loops over the window, or at which axis you search "
              "first.")
def gradient_to_the_first_tied_maximum_column_by_column(grad_y, x, pool_size, stride):
    return route(grad_y, x, pool_size, stride_where_windows_tie(x, pool_size, stride),
                 choose=first_tied_maximum_column_by_column)


@mistakes.add("grad_x", "gradient split equally among tied maxima",
              "Where several inputs of a window share the largest value, you split ∂L/∂y[n,i,j,c] equally among them. "
              "minicnn gives the whole gradient to one of them: the first tied maximum, reading the window row by "
              "row, which np.argmax returns; the other tied inputs get 0.")
def gradient_split_among_tied_maxima(grad_y, x, pool_size, stride):
    return share_among_tied_maxima(grad_y, x, pool_size, stride_where_windows_tie(x, pool_size, stride))


@mistakes.add("grad_x", "wrong sign",
              "Your gradient has the wrong sign: the winner of a window moves the output one for one, so it receives "
              "+∂L/∂y[n,i,j,c].")
def wrong_sign(grad_y, x, pool_size, stride):
    return -reference(grad_y, x, pool_size, stride)


EXERCISE = Exercise(
    name="max_pool_backward",
    parameters=("grad_y", "x", "pool_size", "stride"),
    outputs=("grad_x",),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=FIXED_CASES,
    random_cases=pool_cases,
    mistakes=mistakes,
    shape_rules={"grad_x": "∂L/∂x has the shape of x, (N, H, W, C); inputs that win no window get 0"},
)
