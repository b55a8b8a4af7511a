"""The backend switch and the functional API."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import equations, functional
from tolerances import assert_close


def test_unknown_backend_lists_the_available_ones():
    with pytest.raises(mc.BackendError, match=r"unknown backend 'tpu'; known backends: numba, numpy, cuda"):
        mc.set_backend("tpu")


def test_use_backend_restores_the_previous_one_even_after_an_error():
    before = mc.get_backend()
    with pytest.raises(RuntimeError):
        with mc.use_backend("numpy"):
            raise RuntimeError("inside")
    assert mc.get_backend() == before


def test_functional_matches_equations():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 5, 3))
    kernel = rng.standard_normal((3, 2, 3, 4))
    bias = rng.standard_normal(4)
    assert_close(functional.conv2d(x, kernel, bias, stride=2, padding="same"),
                 equations.conv2d_nhwc(x, kernel, bias, 2, "same"), "float64", "functional.conv2d")
    assert_close(functional.max_pool2d(x, 3, stride=2, padding="same"),
                 equations.max_pool2d_nhwc(x, 3, 2, "same"), "float64", "functional.max_pool2d")
    assert_close(functional.avg_pool2d(x, 2), equations.average_pool2d_nhwc(x, 2, None, "valid"), "float64",
                 "functional.avg_pool2d")
    assert_close(functional.sigmoid(np.array([0.0, -800.0])), [0.5, 0.0], "float64", "functional.sigmoid")


def test_functional_errors_name_the_argument():
    x = np.zeros((1, 4, 4, 2))
    with pytest.raises(ValueError, match=r"expected kernel of shape \(kh, kw, 2, C_out\)"):
        functional.conv2d(x, np.zeros((3, 3, 1, 4)))
    with pytest.raises(ValueError, match="does not fit"):
        functional.conv2d(x, np.zeros((5, 5, 2, 1)))
    with pytest.raises(ValueError, match="padding must be one of"):
        functional.max_pool2d(x, 2, padding="full")
