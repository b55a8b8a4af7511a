"""What the checker compares a ``dense_backward`` with: the reference, the cases, and the classic mistakes."""

import numpy as np
from hypothesis import strategies as st

from minicnn.exercises.exercise import Exercise, MistakeList, NotApplicable
from minicnn.exercises.values import nonzero_values, value_step
from minicnn.kernels import numpy_kernels


def reference(grad_z, x, kernel):
    """``(∂L/∂z · Wᵀ, xᵀ · ∂L/∂z, Σ_n ∂L/∂z[n])``, from minicnn's NumPy kernels."""
    return numpy_kernels.dense_backward(grad_z, x, kernel)


def make_arguments(case, rng):
    n, n_in, n_out, step = case["n"], case["n_in"], case["n_out"], value_step(case)
    return {"grad_z": nonzero_values(rng, (n, n_out), step=step), "x": nonzero_values(rng, (n, n_in), step=step),
            "kernel": nonzero_values(rng, (n_in, n_out), step=step)}


# The first case is square (n_in = n_out), so that a kernel used untransposed gives numbers to compare, not a crash.
FIXED_CASES = (dict(n=3, n_in=2, n_out=2), dict(n=2, n_in=3, n_out=2), dict(n=1, n_in=4, n_out=3),
               dict(n=4, n_in=2, n_out=5))


def random_cases():
    return st.fixed_dictionaries({"n": st.integers(1, 4), "n_in": st.integers(1, 5), "n_out": st.integers(1, 5)})


mistakes = MistakeList()

# --- grad_x ----------------------------------------------------------------------------------------------------------


@mistakes.add("grad_x", "weights not transposed",
              "You computed ∂L/∂z · W. z[n, j] uses x[n, i] through W[i, j], so ∂L/∂x[n, i] = Σ_j ∂L/∂z[n, j]·W[i, j]: "
              "∂L/∂x = ∂L/∂z · Wᵀ (grad_z @ kernel.T), of shape (N, n_in).")
def grad_x_weights_not_transposed(grad_z, x, kernel):
    return grad_z @ kernel


@mistakes.add("grad_x", "transposed result",
              "Your ∂L/∂x is transposed (W · ∂L/∂zᵀ?). It must have the shape of x, (N, n_in): "
              "∂L/∂x = ∂L/∂z · Wᵀ.")
def grad_x_transposed(grad_z, x, kernel):
    return (grad_z @ kernel.T).T


@mistakes.add("grad_x", "divided by N",
              "Your ∂L/∂x is N times too small. The 1/N of the mean loss is already inside ∂L/∂z, and each sample's "
              "∂L/∂x[n] comes from its own ∂L/∂z[n] alone: nothing is summed over the batch, so nothing is divided "
              "by N.")
def grad_x_divided_by_n(grad_z, x, kernel):
    if len(x) == 1:
        raise NotApplicable("N = 1")
    return grad_z @ kernel.T / len(x)


@mistakes.add("grad_x", "wrong sign",
              "Your ∂L/∂x has the wrong sign: ∂L/∂x = ∂L/∂z · Wᵀ, with no minus.")
def grad_x_wrong_sign(grad_z, x, kernel):
    return -(grad_z @ kernel.T)


# --- grad_kernel -----------------------------------------------------------------------------------------------------


@mistakes.add("grad_kernel", "transposed weights gradient",
              "Your ∂L/∂W is transposed (∂L/∂zᵀ · x?). It must have the shape of the kernel, (n_in, n_out): "
              "∂L/∂W[i, j] = Σ_n x[n, i]·∂L/∂z[n, j], that is ∂L/∂W = xᵀ · ∂L/∂z (x.T @ grad_z).")
def grad_kernel_transposed(grad_z, x, kernel):
    return grad_z.T @ x


@mistakes.add("grad_kernel", "divided by N",
              "Your ∂L/∂W is N times too small. The 1/N of the mean loss is already inside ∂L/∂z; the gradient "
              "is the plain sum over the batch: ∂L/∂W = xᵀ · ∂L/∂z.")
def grad_kernel_divided_by_n(grad_z, x, kernel):
    return x.T @ grad_z / len(x)


@mistakes.add("grad_kernel", "weights gradient not summed over the batch",
              "Your ∂L/∂W holds one sample's contribution only (= instead of += in a loop over n?). W is used by "
              "every sample, so the contributions add up: ∂L/∂W = Σ_n x[n]ᵀ · ∂L/∂z[n] = xᵀ · ∂L/∂z.")
def grad_kernel_one_sample_only(grad_z, x, kernel):
    return [np.outer(x[0], grad_z[0]), np.outer(x[-1], grad_z[-1])]


@mistakes.add("grad_kernel", "wrong sign",
              "Your ∂L/∂W has the wrong sign: ∂L/∂W = xᵀ · ∂L/∂z, with no minus.")
def grad_kernel_wrong_sign(grad_z, x, kernel):
    return -(x.T @ grad_z)


# --- grad_bias -------------------------------------------------------------------------------------------------------


@mistakes.add("grad_bias", "bias gradient not summed over the batch",
              "Your ∂L/∂b is not summed over the batch (you returned ∂L/∂z, or one row of it). b[j] is added to "
              "z[n, j] for every sample n, so ∂L/∂b[j] = Σ_n ∂L/∂z[n, j]: grad_z.sum(axis=0), of shape (n_out,).")
def grad_bias_not_summed(grad_z, x, kernel):
    return [grad_z, grad_z[0], grad_z[-1]]


@mistakes.add("grad_bias", "bias gradient summed over the wrong axis",
              "You summed ∂L/∂z over its outputs (axis 1). Sum over the batch instead, axis 0: "
              "∂L/∂b[j] = Σ_n ∂L/∂z[n, j], one value per output j.")
def grad_bias_wrong_axis(grad_z, x, kernel):
    return grad_z.sum(axis=1)


@mistakes.add("grad_bias", "bias gradient averaged instead of summed",
              "Your ∂L/∂b is N times too small: you averaged over the batch. The 1/N of the mean loss is already "
              "inside ∂L/∂z, so ∂L/∂b[j] = Σ_n ∂L/∂z[n, j].")
def grad_bias_averaged(grad_z, x, kernel):
    return grad_z.mean(axis=0)


@mistakes.add("grad_bias", "bias gradient left at zero",
              "Your ∂L/∂b is all zeros. b[j] is added to every z[n, j], so ∂L/∂b[j] = Σ_n ∂L/∂z[n, j].")
def grad_bias_zero(grad_z, x, kernel):
    return np.zeros(grad_z.shape[1])


@mistakes.add("grad_bias", "wrong sign",
              "Your ∂L/∂b has the wrong sign: ∂L/∂b[j] = Σ_n ∂L/∂z[n, j], with no minus.")
def grad_bias_wrong_sign(grad_z, x, kernel):
    return -grad_z.sum(axis=0)


EXERCISE = Exercise(
    name="dense_backward",
    parameters=("grad_z", "x", "kernel"),
    outputs=("grad_x", "grad_kernel", "grad_bias"),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=FIXED_CASES,
    random_cases=random_cases,
    mistakes=mistakes,
    shape_rules={"grad_x": "∂L/∂x has the shape of x, (N, n_in)",
                 "grad_kernel": "∂L/∂W has the shape of the kernel, (n_in, n_out)",
                 "grad_bias": "∂L/∂b has the shape of the bias, (n_out,): one value per output"},
)
