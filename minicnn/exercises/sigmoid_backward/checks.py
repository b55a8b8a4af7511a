"""What the checker compares a ``sigmoid_backward`` with: the reference, the cases, and the classic mistakes.

The function receives the sigmoid's output ``a = σ(z)``, as minicnn's ``Sigmoid`` layer keeps it, not ``z``.
"""

import numpy as np
from hypothesis import strategies as st

from minicnn.exercises.exercise import Exercise, MistakeList
from minicnn.exercises.values import nonzero_values, value_step, tenths


def reference(grad_a, a):
    """``∂L/∂z = ∂L/∂a · a · (1 − a)``, as in ``minicnn.layers.Sigmoid.backward``."""
    return grad_a * a * (1 - a)


def make_arguments(case, rng):
    # a = 0.5 would make "a" and "1 − a" the same number and hide which factor is missing
    return {"grad_a": nonzero_values(rng, case["shape"], step=value_step(case)),
            "a": tenths(rng, case["shape"], 0.1, 0.9, avoid=(0.5,))}


def random_cases():
    return st.fixed_dictionaries({"shape": st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)})


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


mistakes = MistakeList()


@mistakes.add("grad_z", "upstream gradient left out (chain rule)",
              "You returned the sigmoid's own derivative a·(1 − a). Backpropagation multiplies it by the gradient "
              "that arrives from above: ∂L/∂z = ∂L/∂a · a · (1 − a).")
def upstream_gradient_left_out(grad_a, a):
    return a * (1 - a)


@mistakes.add("grad_z", "sigmoid applied to a again (a treated as z)",
              "You computed σ(a)·(1 − σ(a)): the sigmoid applied to a. But a is already σ(z), the layer's output, so "
              "σ'(z) = a·(1 − a) and ∂L/∂z = ∂L/∂a · a · (1 − a).")
def a_treated_as_z(grad_a, a):
    return grad_a * sigmoid(a) * (1 - sigmoid(a))


@mistakes.add("grad_z", "factor (1 − a) missing",
              "You multiplied by a only. The sigmoid's derivative is a·(1 − a): ∂L/∂z = ∂L/∂a · a · (1 − a).")
def factor_one_minus_a_missing(grad_a, a):
    return grad_a * a


@mistakes.add("grad_z", "factor a missing",
              "You multiplied by (1 − a) only. The sigmoid's derivative is a·(1 − a): ∂L/∂z = ∂L/∂a · a · (1 − a).")
def factor_a_missing(grad_a, a):
    return grad_a * (1 - a)


@mistakes.add("grad_z", "wrong sign",
              "Your gradient has the wrong sign (a·(a − 1) instead of a·(1 − a)?). The sigmoid rises everywhere, so "
              "σ'(z) = a·(1 − a) > 0 and ∂L/∂z has the sign of ∂L/∂a.")
def wrong_sign(grad_a, a):
    return -grad_a * a * (1 - a)


EXERCISE = Exercise(
    name="sigmoid_backward",
    parameters=("grad_a", "a"),
    outputs=("grad_z",),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=({"shape": (4,)}, {"shape": (2, 3)}, {"shape": (2, 2, 2, 3)}),
    random_cases=random_cases,
    mistakes=mistakes,
    shape_rules={"grad_z": "∂L/∂z has the shape of a: one value per element"},
)
