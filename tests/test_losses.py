"""Losses: values by hand, hand-written gradients against gradcheck, stability, label checks."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
from tolerances import assert_close, assert_gradcheck


def test_mse_is_the_documents_half_mean():
    y, y_hat = np.array([[1.0], [2.0], [4.0]]), np.array([[2.0], [2.0], [1.0]])
    # 1/(2·3) · (1 + 0 + 9) = 10/6
    assert mc.MeanSquaredError()(y, y_hat) == pytest.approx(10 / 6)
    # ∂L/∂ŷ = (ŷ − y)/N
    assert_close(mc.MeanSquaredError().gradient(y, y_hat), [[1 / 3], [0.0], [-1.0]], "float64", "MSE gradient")


def test_binary_crossentropy_by_hand_and_from_logits():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.8], [0.4]])
    expected = -(np.log(0.8) + np.log(0.6)) / 2
    assert mc.BinaryCrossentropy()(y, p) == pytest.approx(expected)
    logits = np.log(p / (1 - p))
    assert mc.BinaryCrossentropy(from_logits=True)(y, logits) == pytest.approx(expected)
    # ∂L/∂z = (σ(z) − y)/N
    assert_close(mc.BinaryCrossentropy(from_logits=True).gradient(y, logits), [[-0.1], [0.2]], "float64", "BCE")


def test_binary_crossentropy_is_finite_at_zero_and_one():
    y = np.array([[1.0], [0.0], [1.0], [0.0]])
    p = np.array([[0.0], [1.0], [1.0], [0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = mc.BinaryCrossentropy()(y, p)
        grad = mc.BinaryCrossentropy().gradient(y, p)
    assert np.isfinite(value) and value == pytest.approx(-np.log(1e-7) / 2, rel=1e-6)
    assert np.all(np.isfinite(grad)) and grad[0, 0] < 0 and grad[1, 0] > 0
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert np.isfinite(mc.BinaryCrossentropy(from_logits=True)(y, np.array([[-800.0], [800.0], [0.0], [1.0]])))


def test_categorical_crossentropy_by_hand():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    expected = -(np.log(0.7) + np.log(0.5)) / 2
    assert mc.CategoricalCrossentropy()(y, p) == pytest.approx(expected)
    assert mc.SparseCategoricalCrossentropy()(np.array([1, 0]), p) == pytest.approx(expected)
    logits = np.log(p)
    assert mc.CategoricalCrossentropy(from_logits=True)(y, logits) == pytest.approx(expected)
    # ∂L/∂z = (softmax(z) − y)/N
    assert_close(mc.CategoricalCrossentropy(from_logits=True).gradient(y, logits), (p - y) / 2, "float64", "CCE")


def test_categorical_crossentropy_is_finite_at_zero_probability():
    """A probability of 0 for the labelled class is clipped to ε = 1e-7 (Keras' value), so the loss is the large
    finite ``−log(1e-7) ≈ 16.118`` that Keras gives, and the gradient ``−y / clip(p, ε, 1) / N`` never divides by 0."""
    y, p = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = mc.CategoricalCrossentropy()(y, p)
        grad = mc.CategoricalCrossentropy().gradient(y, p)
    assert value == pytest.approx(-np.log(1e-7), rel=1e-9) and value == pytest.approx(16.118, abs=1e-3)
    # −1 / 1e-7 / 1 for the labelled class; −0 / 1 for the other
    assert_close(grad, [[-1e7, 0.0]], "float64", "CCE gradient at p = 0")


def test_categorical_crossentropy_from_logits_with_labels_that_do_not_sum_to_one():
    """For soft labels summing to s ≠ 1, ``∂L/∂z = (softmax(z)·s − y) / N``; ``softmax(z) − y`` holds only for s = 1.
    softmax(z) = [0.2, 0.3, 0.5] and y = [0.5, 0.2, 0] (s = 0.7) give [0.14 − 0.5, 0.21 − 0.2, 0.35 − 0]."""
    loss = mc.CategoricalCrossentropy(from_logits=True)
    y, z = np.array([[0.5, 0.2, 0.0]]), np.log(np.array([[0.2, 0.3, 0.5]]))
    assert_close(loss.gradient(y, z), [[-0.36, 0.01, 0.35]], "float64", "CCE gradient, labels summing to 0.7")
    assert_gradcheck(mc.gradcheck(loss, z, y), "CCE from logits, labels summing to 0.7")


def test_categorical_crossentropy_from_large_logits_is_finite():
    """The log-softmax subtracts each row's largest logit before ``exp``, so no ``exp`` sees more than 0: logits
    1000 apart overflow neither the value nor the gradient. Row 1: −log softmax([1000, 0])[1] = 1000; row 2:
    −log softmax([0, −1000])[0] = log(1 + e^−1000) ≈ 0; L = 1000/2. ∂L/∂z = (softmax − y)/N = ([1, 0] − y)/2."""
    loss = mc.CategoricalCrossentropy(from_logits=True)
    y, z = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1000.0, 0.0], [0.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        value = loss(y, z)
        grad = loss.gradient(y, z)
    assert value == pytest.approx(500.0, rel=1e-12)
    assert_close(grad, [[0.5, -0.5], [0.0, 0.0]], "float64", "CCE gradient from large logits")


LOSS_CASES = [
    ("mse", lambda rng, shape: (rng.standard_normal(shape), rng.standard_normal(shape))),
    ("bce", lambda rng, shape: ((rng.random(shape) > 0.5).astype(float), rng.uniform(0.02, 0.98, shape))),
    ("bce_logits", lambda rng, shape: (rng.random(shape), rng.standard_normal(shape) * 3)),
    ("cce", lambda rng, shape: (np.eye(shape[1])[rng.integers(0, shape[1], shape[0])],
                                rng.dirichlet(np.ones(shape[1]), shape[0]) * 0.9 + 0.1 / shape[1])),
    ("cce_logits", lambda rng, shape: (np.eye(shape[1])[rng.integers(0, shape[1], shape[0])],
                                       rng.standard_normal(shape) * 2)),
    ("sparse", lambda rng, shape: (rng.integers(0, shape[1], shape[0]),
                                   rng.dirichlet(np.ones(shape[1]), shape[0]) * 0.9 + 0.1 / shape[1])),
]
LOSSES = {"mse": mc.MeanSquaredError(), "bce": mc.BinaryCrossentropy(),
          "bce_logits": mc.BinaryCrossentropy(from_logits=True), "cce": mc.CategoricalCrossentropy(),
          "cce_logits": mc.CategoricalCrossentropy(from_logits=True), "sparse": mc.SparseCategoricalCrossentropy()}


@pytest.mark.parametrize("name, make", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
@given(n=st.integers(1, 6), k=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_loss_gradient_matches_gradcheck(name, make, n, k, seed):
    if name.startswith(("cce", "sparse")):
        k = max(k, 2)
    y, y_pred = make(np.random.default_rng(seed), (n, k))
    assert_gradcheck(mc.gradcheck(LOSSES[name], y_pred, y), name)


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
def test_loss_rejects_labels_of_the_wrong_shape(loss):
    y_pred = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"y_true.*\(4,?"):
        loss(np.zeros((5, 3)), y_pred)


def test_label_vector_accepted_for_single_output():
    y_pred = np.array([[0.9], [0.2]])
    assert mc.BinaryCrossentropy()(np.array([1.0, 0.0]), y_pred) == \
        pytest.approx(mc.BinaryCrossentropy()(np.array([[1.0], [0.0]]), y_pred))


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\)"):
        mc.SparseCategoricalCrossentropy()(np.array([0, 3]), np.full((2, 3), 1 / 3))


def test_unknown_loss_name_lists_the_choices():
    model = mc.Sequential([mc.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="unknown loss 'hinge'.*binary_crossentropy"):
        model.compile(loss="hinge")


@pytest.mark.parametrize("labels", [np.array(["a", "b"]), [None, 1.0]], ids=["strings", "objects"])
def test_labels_that_are_not_numbers_are_named(labels):
    for loss in (mc.MeanSquaredError(), mc.BinaryCrossentropy()):
        with pytest.raises(TypeError, match=rf"{type(loss).__name__}: expected y_true of numbers, got dtype"):
            loss(labels, np.zeros((2, 1)))
