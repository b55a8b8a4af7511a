"""The backend switch and the functional API."""

import re

import numpy as np
import pytest

import minicnn as mc
from minicnn import equations, functional
from minicnn.errors import ShapeError
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


def test_a_block_with_a_backend_of_its_own_does_not_read_the_environment_variable(monkeypatch):
    """With MINICNN_BACKEND=cuda on a machine without a GPU, `minicnn eval --trackers siamese` (whose tracker runs on
    numba) ended in a traceback about the variable: use_backend asked for the backend it would restore, and so read
    the variable. Where none was chosen before the block, none is after, and the variable is read when asked for."""
    from minicnn import backend
    from minicnn.track.trackers import make_tracker

    monkeypatch.setenv("MINICNN_BACKEND", "fast")
    monkeypatch.setitem(backend._active, "name", None)
    monkeypatch.setitem(backend._active, "module", None)
    with mc.use_backend("numpy"):
        assert mc.get_backend() == "numpy" and backend.chosen_backend() == "numpy"
    assert backend.chosen_backend() is None
    assert make_tracker("siamese", backend="numba").backend == "numba"
    with pytest.raises(mc.BackendError, match=r"^the environment variable MINICNN_BACKEND='fast': unknown backend"):
        mc.get_backend()


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
    for narrow in (np.zeros((1, 8, 2, 2)), np.zeros((1, 2, 8, 2))):  # a window that fits one side only
        with pytest.raises(ValueError, match=r"kernel \(3, 3\) does not fit in an input of (8×2|2×8)"):
            functional.conv2d(narrow, np.zeros((3, 3, 2, 1)))
        with pytest.raises(ValueError, match=r"does not fit in an input of (8×2|2×8)"):
            functional.max_pool2d(narrow, 3)
    with pytest.raises(ValueError, match="padding must be one of"):
        functional.max_pool2d(x, 2, padding="full")


@pytest.mark.parametrize("call, message", [
    (lambda x: functional.conv2d(x, "abc"), "conv2d: expected kernel of real numbers, got 'abc'"),
    (lambda x: functional.conv2d(x, np.ones((1, 1, 2, 1)), bias=[1j]),
     "conv2d: expected bias of real numbers, got [1j]"),
    (lambda x: functional.conv2d([[1, 2], [3]], np.ones((1, 1, 2, 1))),
     "conv2d: expected x of real numbers, got a list that NumPy cannot read as one array"),
    (lambda x: functional.dense(x.reshape(1, 32), np.ones((32, 2)), bias="b"),
     "dense: expected bias of real numbers, got 'b'"),
    (lambda x: functional.dense(x.reshape(1, 32), None), "dense: expected kernel of real numbers, got None"),
    (lambda x: functional.conv2d_backward("g", x, np.ones((1, 1, 2, 1))),
     "conv2d_backward: expected grad_y of real numbers, got 'g'"),
    (lambda x: functional.sigmoid("z"), "sigmoid: expected z of real numbers, got 'z'"),
    (lambda x: functional.relu(None), "relu: expected z of real numbers, got None"),
    (lambda x: functional.softmax(np.ones(3, complex)), "softmax: expected z of real numbers, got dtype complex128"),
], ids=["conv-kernel", "conv-bias", "ragged-x", "dense-bias", "dense-kernel", "grad_y", "sigmoid", "relu",
        "softmax"])
def test_functional_names_an_argument_that_is_not_real_numbers(call, message):
    """Each was NumPy's "could not convert string to float", a ufunc's loop signature, or a comparison with None;
    complex numbers went through (softmax) or lost their imaginary part."""
    with pytest.raises(TypeError, match=f"^{re.escape(message)}"):
        call(np.zeros((1, 4, 4, 2)))


def test_softmax_names_an_axis_it_cannot_use():
    z = np.ones((2, 3))
    for axis, error in ((5, ValueError), (-3, ValueError), ("1", TypeError), (1.0, TypeError), (True, TypeError)):
        with pytest.raises(error, match=rf"^softmax: axis must be an int from -2 to 1 \(z has 2 axes\), or a tuple "
                                        rf"of them, got {re.escape(repr(axis))}$"):
            functional.softmax(z, axis=axis)
    with pytest.raises(ValueError, match=r"or a tuple of them, got \(0, 2\)$"):
        functional.softmax(z, axis=(0, 2))
    assert_close(functional.softmax(z, axis=np.int64(0)), np.full((2, 3), 0.5), "float64", "softmax over axis 0")
    assert_close(functional.softmax(z, axis=(0, 1)), np.full((2, 3), 1 / 6), "float64", "softmax over both axes")


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_functional_checks_bias_shapes_and_computes_integer_data_in_float(name):
    """A bias of the wrong length was read past its end by the numba kernel (the values after a slice came out);
    integer data had the kernel cast to ints (0.5 → 0) on numpy, and max pooling's −∞ start written into an int
    array on numba. Now: a ShapeError naming the bias, and ints, bools and float16 computed in float64."""
    x = np.arange(16).reshape(1, 4, 4, 1)
    with mc.use_backend(name):
        for call in (lambda: functional.conv2d(x, np.ones((1, 1, 1, 8)), bias=np.arange(16.0)[:3]),
                     lambda: functional.dense(x.reshape(1, 16), np.ones((16, 8)), bias=np.ones(1))):
            with pytest.raises(ShapeError, match=r"expected bias of shape \(8,\) \(one per output channel\), got"):
                call()
        with pytest.raises(ShapeError, match=r"conv2d_backward: expected x .* and kernel .* with the same C_in"):
            functional.conv2d_backward(np.ones((1, 4, 4, 2)), x, np.ones((1, 1, 3, 2)))
        with pytest.raises(TypeError, match=r"max_pool2d: expected x of real numbers, got"):
            functional.max_pool2d(np.full((1, 2, 2, 1), "a"))
        results = [functional.conv2d(x, np.full((1, 1, 1, 1), 0.5)), functional.max_pool2d(x),
                   functional.avg_pool2d(x), functional.max_pool2d(x.astype(np.float16)), functional.max_pool2d(x > 7)]
    expected = [x * 0.5, [[[[5], [7]], [[13], [15]]]], [[[[2.5], [4.5]], [[10.5], [12.5]]]],
                [[[[5], [7]], [[13], [15]]]], [[[[0], [0]], [[1], [1]]]]]
    for result, value in zip(results, expected):
        assert result.dtype == np.float64
        np.testing.assert_array_equal(result, value)


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_an_empty_batch_gives_an_empty_output_and_an_empty_axis_is_refused_on_every_backend(name):
    """numpy's max pooling failed on an empty batch ("cannot reshape array of size 0") where numba gave an empty
    output; a Conv2D over images of 0 channels failed on numpy and gave the bias alone on numba; a kernel of height
    0 failed on numpy and gave numba an output of another size."""
    with mc.use_backend(name):
        pool = mc.MaxPooling2D(2)
        assert pool(np.ones((0, 4, 4, 1))).shape == (0, 2, 2, 1)
        assert pool.backward(np.ones((0, 2, 2, 1))).shape == (0, 4, 4, 1)
        assert functional.max_pool2d(np.ones((0, 4, 4, 1))).shape == (0, 2, 2, 1)
        assert mc.Conv2D(2, 3)(np.ones((0, 5, 5, 1))).shape == (0, 3, 3, 2)
        flatten = mc.Flatten()  # failed to reshape an empty batch ("into shape (0,newaxis)") on every backend
        assert flatten(np.ones((0, 3, 3, 2))).shape == (0, 18)
        assert flatten.backward(np.ones((0, 18))).shape == (0, 3, 3, 2)
        for layer, x in ((mc.Conv2D(2, 3), np.ones((1, 5, 5, 0))), (mc.MaxPooling2D(2), np.ones((2, 4, 4, 0))),
                         (mc.Dense(2), np.ones((2, 0)))):
            with pytest.raises(ShapeError, match="expected input with at least one entry along every axis after the "
                                                 "batch's"):
                layer(x)
            assert not layer.built
        with pytest.raises(ShapeError, match=r"conv2d: expected kernel with at least one entry along every axis, got "
                                             r"shape \(0, 3, 2, 4\)"):
            functional.conv2d(np.ones((1, 6, 3, 2)), np.ones((0, 3, 2, 4)))
        with pytest.raises(ShapeError, match=r"dense: expected kernel with at least one entry"):
            functional.dense(np.ones((2, 3)), np.ones((3, 0)))


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_the_functional_api_refuses_an_empty_axis_of_x_or_of_the_kernel_by_name(name):
    """The layers refuse empty axes before calling the functional API, so these calls are its own checks: pooling
    images of 0 channels, a convolution over 0 input channels (numba gave the bias alone) and its backward pass
    with x or the kernel empty."""
    after_batch = "with at least one entry along every axis after the batch's, got shape"
    with mc.use_backend(name):
        for pool in (functional.max_pool2d, functional.avg_pool2d):
            with pytest.raises(ShapeError, match=rf"^{pool.__name__}: expected x {after_batch} \(2, 4, 4, 0\)$"):
                pool(np.ones((2, 4, 4, 0)))
        with pytest.raises(ShapeError, match=rf"^conv2d: expected x {after_batch} \(1, 5, 5, 0\)$"):
            functional.conv2d(np.ones((1, 5, 5, 0)), np.ones((3, 3, 0, 2)))
        with pytest.raises(ShapeError, match=rf"^conv2d_backward: expected x {after_batch} \(1, 5, 5, 0\)$"):
            functional.conv2d_backward(np.ones((1, 3, 3, 2)), np.ones((1, 5, 5, 0)), np.ones((3, 3, 0, 2)))
        with pytest.raises(ShapeError, match=r"^conv2d_backward: expected kernel with at least one entry along every "
                                             r"axis, got shape \(0, 3, 2, 4\)$"):
            functional.conv2d_backward(np.ones((1, 7, 1, 4)), np.ones((1, 6, 3, 2)), np.ones((0, 3, 2, 4)))


def test_docstrings_name_the_stride_argument_as_each_function_spells_it():
    """The functional API's docstring said its arguments "follow the layers" and spelled ``stride``, which the layers
    spell ``strides``; ``functional.conv2d`` and the poolings never named the argument. Nothing is renamed (code and
    notebooks use both spellings); each docstring says which one its function takes."""
    import inspect

    module_docstring = " ".join(functional.__doc__.split())
    assert "``stride``" in module_docstring and "the layers spell ``strides``" in module_docstring
    for module in (functional, equations):
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            for spelling in ("stride", "strides"):
                if spelling in inspect.signature(function).parameters:
                    assert f"``{spelling}``" in function.__doc__, f"{module.__name__}.{name} takes {spelling}"
    equations_docstring = " ".join(equations.__doc__.split())
    assert "``conv2d_nhwc_backward``) and the one-channel ``max_pool2d`` take ``stride``" in equations_docstring
    assert "``average_pool2d_nhwc`` and their backward) take ``strides``, as the layers do" in equations_docstring


def test_docstring_examples_pass_doctest():
    """``minicnn.exercises``' module docstring showed six ``>>>`` lines without their outputs: five failed under
    ``python -m doctest``. Its examples, and those of the modules beside it, now pass (or are plain code)."""
    import doctest
    import importlib

    for module_name in ("minicnn.exercises", "minicnn.equations", "minicnn.functional", "minicnn.layers.conv",
                        "minicnn.layers.dense", "minicnn.layers.pooling", "minicnn.layers.activations"):
        results = doctest.testmod(importlib.import_module(module_name), verbose=False, report=False)
        assert results.failed == 0, f"{module_name}: {results.failed} of {results.attempted} examples failed"
