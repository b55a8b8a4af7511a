"""Optimizers: the update rules by hand."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import equations
from tolerances import assert_close


def test_sgd_is_the_documents_update():
    w, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    expected = equations.sgd_update(w, g, 0.1)
    mc.SGD(learning_rate=0.1).step([(w, g)])
    assert_close(w, [0.95, -2.025], "float64", "SGD step")
    assert_close(w, expected, "float64", "SGD vs equations.sgd_update")


def test_sgd_momentum_and_nesterov_by_hand():
    w, g = np.array([1.0]), np.array([1.0])
    sgd = mc.SGD(learning_rate=0.1, momentum=0.9)
    sgd.step([(w, g)])          # v = −0.1, w = 0.9
    sgd.step([(w, g)])          # v = 0.9·(−0.1) − 0.1 = −0.19, w = 0.71
    assert_close(w, [0.71], "float64", "momentum")
    w = np.array([1.0])
    nesterov = mc.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    nesterov.step([(w, g)])     # v = −0.1, w = 1 + 0.9·(−0.1) − 0.1 = 0.81
    assert_close(w, [0.81], "float64", "nesterov")


def test_sgd_small_momentum_still_keeps_a_velocity():
    """Any μ > 0 keeps a velocity, not only large ones: μ = 0.3 must differ from plain SGD (which gives w = 0.8)."""
    w, g = np.array([1.0]), np.array([1.0])
    sgd = mc.SGD(learning_rate=0.1, momentum=0.3)
    sgd.step([(w, g)])          # v = −0.1, w = 0.9
    sgd.step([(w, g)])          # v = 0.3·(−0.1) − 0.1 = −0.13, w = 0.77
    assert_close(w, [0.77], "float64", "momentum 0.3")


def test_adam_first_steps_by_hand():
    w, g = np.array([1.0, 1.0]), np.array([0.5, -2.0])
    adam = mc.Adam(learning_rate=0.1, epsilon=1e-8)
    adam.step([(w, g)])
    # step 1: m̂ = g, v̂ = g², so the step is α·g/(|g| + ε) ≈ α·sign(g)
    assert_close(w, [1 - 0.1 * 0.5 / (0.5 + 1e-8), 1 + 0.1 * 2 / (2 + 1e-8)], "float64", "Adam step 1")
    g2 = np.array([1.0, 1.0])
    adam.step([(w, g2)])
    m = 0.9 * 0.1 * g + 0.1 * g2
    v = 0.999 * 0.001 * g ** 2 + 0.001 * g2 ** 2
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    expected = np.array([1 - 0.1 * 0.5 / (0.5 + 1e-8), 1 + 0.1 * 2 / (2 + 1e-8)]) - \
        0.1 * m_hat / (np.sqrt(v_hat) + 1e-8)
    assert_close(w, expected, "float64", "Adam step 2")


def test_keras_epsilon_form_is_this_rule_with_epsilon_over_the_root_of_its_correction():
    """The docstring's claim: Keras' update ``w −= α·sqrt(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (sqrt(v) + ε)`` is minicnn's
    rule with ``ε / sqrt(1 − β₂ᵗ)`` in place of ε. A gradient as small as ε makes the difference show."""
    g, eps, beta_2 = np.array([3e-7, -1e-6]), 1e-7, 0.999
    m, v = 0.1 * g, (1 - beta_2) * g ** 2                                  # step t = 1 from zero moments
    keras = 1.0 - 0.1 * np.sqrt(1 - beta_2) / (1 - 0.9) * m / (np.sqrt(v) + eps)
    w = np.ones(2)
    mc.Adam(learning_rate=0.1, epsilon=eps / np.sqrt(1 - beta_2)).step([(w, g)])
    assert_close(w, keras, "float64", "Keras' epsilon form")
    w = np.ones(2)
    mc.Adam(learning_rate=0.1, epsilon=eps).step([(w, g)])
    assert not np.allclose(w, keras, rtol=1e-3, atol=0)                    # with ε itself, it differs


def test_optimizer_refuses_other_parameters():
    adam = mc.Adam()
    adam.step([(np.zeros(3), np.ones(3))])
    with pytest.raises(ValueError, match="shapes"):
        adam.step([(np.zeros(4), np.ones(4))])


@pytest.mark.parametrize("make", [lambda: mc.SGD(learning_rate=0), lambda: mc.Adam(learning_rate=-1),
                                  lambda: mc.SGD(momentum=1.5), lambda: mc.Adam(beta_1=1.0)])
def test_bad_hyperparameters(make):
    with pytest.raises(ValueError, match="must be"):
        make()
