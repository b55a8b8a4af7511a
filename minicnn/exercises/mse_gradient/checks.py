"""What the checker compares an ``mse_gradient`` with: the reference, the cases, and the classic mistakes."""

import numpy as np
from hypothesis import strategies as st

from minicnn.exercises.exercise import Exercise, MistakeList
from minicnn.exercises.values import nonzero_values, value_step
from minicnn.losses import MeanSquaredError


def reference(y, y_hat):
    """``∂L/∂ŷ = (ŷ − y) / N``, from minicnn's ``MeanSquaredError``."""
    return MeanSquaredError().gradient(y, y_hat)


def make_arguments(case, rng):
    return {"y": nonzero_values(rng, (case["n"],), step=value_step(case)),
            "y_hat": nonzero_values(rng, (case["n"],), step=value_step(case))}


def random_cases():
    return st.fixed_dictionaries({"n": st.integers(1, 10)})


mistakes = MistakeList()


@mistakes.add("grad_y_hat", "1/N missing",
              "Your gradient is N times too large. L is a mean, 1/(2N) Σ_n (y_n − ŷ_n)², and the 1/N stays in its "
              "derivative: ∂L/∂ŷ_n = (ŷ_n − y_n) / N.")
def one_over_n_missing(y, y_hat):
    return y_hat - y


@mistakes.add("grad_y_hat", "wrong sign",
              "Your gradient has the wrong sign. The derivative of (y_n − ŷ_n)² with respect to ŷ_n is "
              "2·(y_n − ŷ_n)·(−1): the inner derivative is −1, so ∂L/∂ŷ_n = (ŷ_n − y_n) / N.")
def wrong_sign(y, y_hat):
    return (y - y_hat) / len(y)


@mistakes.add("grad_y_hat", "factor 2 left over (the ½ of 1/(2N) dropped)",
              "Your gradient is twice too large: the 2 from differentiating the square cancels the ½ in 1/(2N), so "
              "∂L/∂ŷ_n = (ŷ_n − y_n) / N, not 2·(ŷ_n − y_n) / N.")
def factor_two_left_over(y, y_hat):
    return 2 * (y_hat - y) / len(y)


@mistakes.add("grad_y_hat", "the ½ of 1/(2N) kept after differentiating",
              "Your gradient is half the right one: (ŷ_n − y_n) / (2N). Differentiating (y_n − ŷ_n)² brings down a "
              "factor 2, which cancels the ½: ∂L/∂ŷ_n = 2·(ŷ_n − y_n) / (2N) = (ŷ_n − y_n) / N.")
def half_kept(y, y_hat):
    return (y_hat - y) / (2 * len(y))


@mistakes.add("grad_y_hat", "factor 2 left over and the sign wrong",
              "Your gradient is 2·(y_n − ŷ_n) / N: twice too large and of the wrong sign. The 2 from the square "
              "cancels the ½ of 1/(2N), and the inner derivative of (y_n − ŷ_n) with respect to ŷ_n is −1: "
              "∂L/∂ŷ_n = (ŷ_n − y_n) / N.")
def factor_two_and_wrong_sign(y, y_hat):
    return 2 * (y - y_hat) / len(y)


@mistakes.add("grad_y_hat", "the document's printed form: minus sign and 1/N both missing",
              "Your gradient is Σ-style (y_n − ŷ_n): the form printed in the source document, which has lost both "
              "the minus sign and the 1/N. A step along it raises the loss. ∂L/∂ŷ_n = (ŷ_n − y_n) / N.")
def printed_form(y, y_hat):
    return y - y_hat


@mistakes.add("grad_y_hat", "returned the loss instead of its gradient",
              "You returned one number, the loss L itself. The gradient has one value per sample: "
              "∂L/∂ŷ_n = (ŷ_n − y_n) / N, an array of shape (N,).")
def returned_the_loss(y, y_hat):
    return np.sum((y - y_hat) ** 2) / (2 * len(y))


EXERCISE = Exercise(
    name="mse_gradient",
    parameters=("y", "y_hat"),
    outputs=("grad_y_hat",),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=({"n": 3}, {"n": 5}),
    random_cases=random_cases,
    mistakes=mistakes,
    shape_rules={"grad_y_hat": "the gradient has the shape of y_hat: one value per sample"},
)
