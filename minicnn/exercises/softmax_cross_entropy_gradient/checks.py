"""What the checker compares a ``softmax_cross_entropy_gradient`` with: the reference, the cases, and the classic
mistakes."""

import numpy as np
from hypothesis import strategies as st

from minicnn.exercises.exercise import Exercise, MistakeList
from minicnn.exercises.values import nonzero_values, one_hot, value_step
from minicnn.losses import CategoricalCrossentropy


def reference(logits, labels_onehot):
    """``(softmax(z) − y) / N``, from minicnn's ``CategoricalCrossentropy(from_logits=True)``."""
    return CategoricalCrossentropy(from_logits=True).gradient(labels_onehot, logits)


def make_arguments(case, rng):
    n, classes = case["n"], case["classes"]
    logits = nonzero_values(rng, (n, classes), largest=3, step=value_step(case))
    return {"logits": case["offset"] + case["spread"] * logits, "labels_onehot": one_hot(rng, n, classes)}


# The last two hand-picked cases overflow e^z unless each row's own maximum is subtracted first: logits around 1000,
# then logits spread over ±1500 within each row, where subtracting the row's mean, its minimum, its first logit or
# the whole batch's maximum still overflows (or underflows every exponent of a row to 0, and 0/0 is NaN).
FIXED_CASES = (dict(n=3, classes=4, offset=0, spread=1), dict(n=2, classes=3, offset=0, spread=1),
               dict(n=2, classes=3, offset=1000, spread=1), dict(n=4, classes=3, offset=0, spread=500))


def random_cases():
    return st.fixed_dictionaries({"n": st.integers(1, 5), "classes": st.integers(2, 5), "offset": st.just(0),
                                  "spread": st.just(1)})


def softmax_along(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


mistakes = MistakeList()


@mistakes.add("grad_logits", "1/N missing",
              "Your gradient is N times too large. The loss is the mean over the batch, so its gradient keeps the "
              "1/N: ∂L/∂z = (p − y) / N.")
def one_over_n_missing(logits, labels_onehot):
    return softmax_along(logits, 1) - labels_onehot


@mistakes.add("grad_logits", "wrong sign",
              "Your gradient has the wrong sign: ∂L/∂z = (p − y) / N. Raising the true class's logit lowers the loss, "
              "so its gradient, (p − 1) / N, is negative.")
def wrong_sign(logits, labels_onehot):
    return (labels_onehot - softmax_along(logits, 1)) / len(logits)


@mistakes.add("grad_logits", "softmax over the wrong axis",
              "Your softmax normalises across the batch (axis 0, or the whole array) instead of within each sample. "
              "Each row is one sample: p[n, k] = e^{z[n,k]} / Σ_j e^{z[n,j]}, a sum over the classes, "
              "axis=1 with keepdims=True.")
def softmax_over_wrong_axis(logits, labels_onehot):
    over_all = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    return [(softmax_along(logits, 0) - labels_onehot) / len(logits), (over_all - labels_onehot) / len(logits)]


@mistakes.add("grad_logits", "labels not subtracted",
              "You returned p / N: the labels are missing. ∂L/∂z = (p − y) / N; the −y comes from the log of the "
              "true class's probability.")
def labels_not_subtracted(logits, labels_onehot):
    return softmax_along(logits, 1) / len(logits)


@mistakes.add("grad_logits", "logits used instead of probabilities",
              "You computed (z − y) / N with the raw logits. Apply softmax to each row first: ∂L/∂z = (p − y) / N.")
def logits_instead_of_probabilities(logits, labels_onehot):
    return (logits - labels_onehot) / len(logits)


@mistakes.add("grad_logits", "divided by N·K",
              "Your gradient is K times too small: you divided by every element (N·K), as np.mean over the whole "
              "array does. The loss averages over the N samples only: ∂L/∂z = (p − y) / N.")
def divided_by_all_elements(logits, labels_onehot):
    return (softmax_along(logits, 1) - labels_onehot) / logits.size


@mistakes.add("grad_logits", "softmax overflows for large logits",
              "Your result holds NaN for large logits: e^{z} overflows to infinity and inf / inf is NaN. Subtract "
              "each row's largest logit before exp, z − z.max(axis=1, keepdims=True): it cancels in p and keeps "
              "every exponent at most 0.")
def softmax_overflows(logits, labels_onehot):
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True) - labels_onehot) / len(logits)



@mistakes.add("grad_logits", "shifted by something other than each row's maximum",
              "Your result holds NaN where a row's logits lie far apart: subtracting the row's mean, its minimum, its "
              "first logit or the whole batch's maximum leaves some exponent large (e^z overflows) or makes every "
              "exponent of a row so negative that all underflow to 0 (0/0). Only each row's own maximum keeps every "
              "exponent at most 0 with one of them exactly 0: z − z.max(axis=1, keepdims=True).")
def shifted_by_another_value(logits, labels_onehot):
    shifts = [logits.mean(axis=1, keepdims=True), logits.min(axis=1, keepdims=True), logits[:, :1], logits.max()]
    results = []
    for shift in shifts:
        e = np.exp(logits - shift)
        results.append((e / e.sum(axis=1, keepdims=True) - labels_onehot) / len(logits))
    return results


EXERCISE = Exercise(
    name="softmax_cross_entropy_gradient",
    parameters=("logits", "labels_onehot"),
    outputs=("grad_logits",),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=FIXED_CASES,
    random_cases=random_cases,
    mistakes=mistakes,
    shape_rules={"grad_logits": "∂L/∂z has the shape of the logits, (N, K)"},
)
