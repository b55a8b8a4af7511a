"""The backpropagation references of ``minicnn.equations``, and the chain of the linear model.

Each backward reference is checked three ways: against a small example worked out by hand, against central
differences of the forward reference it belongs to (so the references hold each other up, with no fast code
involved), and against the NumPy and Numba kernels over geometries drawn by hypothesis (strides, ``same`` padding,
non-square windows, several channels and samples, ties in max pooling).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minicnn as mc
from minicnn import backend, equations
from strategies import distinct_input, make_input, window_cases

BACKENDS = ["numpy", "numba"]


def _image(values):
    """A one-sample, one-channel image (1, H, W, 1) from rows of numbers."""
    return np.array(values, dtype=np.float64)[None, :, :, None]


# ------------------------------------------------------------------------------------------------ by hand

def test_conv2d_backward_by_hand():
    """x = 1…9 in a 3×3 image, w = [[1, 0], [0, −1]], ∂L/∂y all ones: ∂L/∂w[k,l] sums the inputs each tap saw
    (1+2+4+5 = 12 for the top left), ∂L/∂b counts the outputs, and ∂L/∂x adds the kernel at each window's place."""
    x = _image([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])[:, :, None, None]
    grad_x, grad_kernel, grad_bias = equations.conv2d_nhwc_backward(x, kernel, np.ones((1, 2, 2, 1)))
    np.testing.assert_array_equal(grad_kernel[:, :, 0, 0], [[12, 16], [24, 28]])
    np.testing.assert_array_equal(grad_bias, [4])
    np.testing.assert_array_equal(grad_x[0, :, :, 0], [[1, 1, 0], [1, 0, -1], [0, -1, -1]])


def test_max_pool_backward_by_hand_sends_the_gradient_to_the_first_maximum():
    """A tie goes to the first maximum read row by row; overlapping windows won by one input add up at it."""
    tied = equations.max_pool2d_nhwc_backward(_image([[1, 3], [3, 2]]), np.full((1, 1, 1, 1), 7.0))
    np.testing.assert_array_equal(tied[0, :, :, 0], [[0, 7], [0, 0]])
    overlapping = equations.max_pool2d_nhwc_backward(_image([[1, 5, 2], [0, 4, 3]]), _image([[2.0, 3.0]]),
                                                     pool_size=2, strides=1)
    np.testing.assert_array_equal(overlapping[0, :, :, 0], [[0, 5, 0], [0, 0, 0]])


def test_average_pool_backward_by_hand_shares_among_the_real_inputs():
    """3×3 input, 2×2 windows, stride 2, 'same' (one padded row and column at the bottom right): the windows hold
    4, 2, 2 and 1 real inputs, so gradients 4, 2, 2 and 1 give every input 1."""
    grad_x = equations.average_pool2d_nhwc_backward(np.zeros((1, 3, 3, 1)), _image([[4.0, 2.0], [2.0, 1.0]]),
                                                    pool_size=2, strides=2, padding="same")
    np.testing.assert_array_equal(grad_x[0, :, :, 0], np.ones((3, 3)))


def test_affine_and_sigmoid_backward_by_hand():
    W, x, g = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([1.0, -1.0]), np.array([1.0, 0.0, 2.0])
    grad_W, grad_b, grad_x = equations.affine_backward(W, x, g)
    np.testing.assert_array_equal(grad_W, [[1, -1], [0, 0], [2, -2]])  # g_i · x_j
    np.testing.assert_array_equal(grad_b, [1, 0, 2])
    np.testing.assert_array_equal(grad_x, [11, 14])  # Σ_i W_ij · g_i
    # σ(0) = ½ and σ(ln 3) = ¾: σ' = ¼ and 3/16
    np.testing.assert_allclose(equations.sigmoid_backward(np.array([0.0, np.log(3.0)]), np.array([4.0, 16.0])),
                               [1.0, 3.0], rtol=1e-15)
    assert equations.sigmoid_backward(0.0, 4.0) == 1.0  # one number, as sigmoid takes (it failed on its float)


@pytest.mark.parametrize("call, message", [
    (lambda: equations.conv2d_nhwc_backward(np.zeros((1, 3, 3, 1)), np.zeros((2, 2, 1, 1)), np.zeros((1, 3, 3, 1))),
     r"^conv2d_nhwc_backward: expected grad_y of shape \(1, 2, 2, 1\) \(the output's\), got shape \(1, 3, 3, 1\)$"),
    (lambda: equations.max_pool2d_nhwc_backward(np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 1))),
     r"^max_pool2d_nhwc_backward: expected grad_y of shape \(1, 2, 2, 1\) \(the output's\)"),
    (lambda: equations.affine_backward(np.zeros((3, 2)), np.zeros(2), np.zeros(2)),
     r"^affine_backward: expected grad_z of shape \(3,\) \(the output's\), got shape \(2,\)$"),
])
def test_a_gradient_of_another_shape_than_the_output_is_named(call, message):
    with pytest.raises(mc.errors.ShapeError, match=message):
        call()


# ------------------------------------------------------------------------------------ central differences

def _central_difference(function, array, step=1e-6):
    """∂function/∂array by central differences, one entry at a time (``function`` returns a number)."""
    gradient = np.zeros(array.shape)
    for index in np.ndindex(*array.shape):
        saved = array[index]
        array[index] = saved + step
        above = function()
        array[index] = saved - step
        below = function()
        array[index] = saved
        gradient[index] = (above - below) / (2 * step)
    return gradient


@pytest.mark.parametrize("stride, padding, window", [((1, 1), "valid", (2, 3)), ((2, 1), "same", (3, 2)),
                                                     ((2, 2), "same", (3, 3))])
def test_the_backward_references_are_the_derivatives_of_the_forward_references(stride, padding, window):
    """L = Σ g · forward(...): each backward reference equals the central differences of its forward reference."""
    rng = np.random.default_rng(0)
    x = distinct_input(rng, (2, 5, 4, 2), True)  # no ties in a pool window: max pooling is smooth there
    kernel, bias = rng.standard_normal(window + (2, 3)), rng.standard_normal(3)
    g = rng.standard_normal(equations.conv2d_nhwc(x, kernel, bias, stride, padding).shape)
    grad_x, grad_kernel, grad_bias = equations.conv2d_nhwc_backward(x, kernel, g, stride, padding)

    def conv_loss():
        return float(np.sum(g * equations.conv2d_nhwc(x, kernel, bias, stride, padding)))
    for analytic, array in ((grad_x, x), (grad_kernel, kernel), (grad_bias, bias)):
        np.testing.assert_allclose(analytic, _central_difference(conv_loss, array), rtol=1e-6, atol=1e-8)

    for forward, backward in ((equations.max_pool2d_nhwc, equations.max_pool2d_nhwc_backward),
                              (equations.average_pool2d_nhwc, equations.average_pool2d_nhwc_backward)):
        g = rng.standard_normal(forward(x, window, stride, padding).shape)
        numeric = _central_difference(lambda: float(np.sum(g * forward(x, window, stride, padding))), x)
        np.testing.assert_allclose(backward(x, g, window, stride, padding), numeric, rtol=1e-6, atol=1e-8)

    W, v, b, gz = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3), rng.standard_normal(3)
    grad_W, grad_b, grad_v = equations.affine_backward(W, v, gz)
    for analytic, array in ((grad_W, W), (grad_b, b), (grad_v, v)):
        numeric = _central_difference(lambda: float(np.dot(gz, equations.affine(W, v, b))), array)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    z, ga = rng.standard_normal((2, 3)) * 3, rng.standard_normal((2, 3))
    numeric = _central_difference(lambda: float(np.sum(ga * equations.sigmoid(z))), z)
    np.testing.assert_allclose(equations.sigmoid_backward(z, ga), numeric, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------------------ against the fast kernels

@settings(max_examples=25)
@given(window_cases(max_window=4, max_size=7), st.sampled_from(BACKENDS))
def test_conv2d_backward_kernels_match_the_reference(case, backend_name):
    rng = np.random.default_rng(case["seed"])
    x = make_input(rng, (case["n"], case["h"], case["w"], case["c_in"]), case["contiguous"])
    kernel = rng.standard_normal(case["window"] + (case["c_in"], case["c_out"]))
    stride, padding = case["strides"], case["padding"]
    g = rng.standard_normal(equations.conv2d_nhwc(x, kernel, None, stride, padding).shape)
    expected = equations.conv2d_nhwc_backward(x, kernel, g, stride, padding)
    with mc.use_backend(backend_name):
        found = backend.kernels().conv2d_backward(g, x, kernel, stride, padding)
    for name, got, want in zip(("grad_x", "grad_kernel", "grad_bias"), found, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=f"{backend_name} {name}")


@settings(max_examples=25)
@given(window_cases(max_window=4, max_size=7), st.sampled_from(BACKENDS), st.booleans())
def test_pooling_backward_kernels_match_the_references(case, backend_name, ties):
    """Max pooling with and without ties (whole numbers in {−1, 0, 1}: most windows tie), and average pooling."""
    rng = np.random.default_rng(case["seed"])
    shape = (case["n"], case["h"], case["w"], case["c_in"])
    x = rng.integers(-1, 2, shape).astype(np.float64) if ties else make_input(rng, shape, case["contiguous"])
    window, stride, padding = case["window"], case["strides"], case["padding"]
    with mc.use_backend(backend_name):
        kernels = backend.kernels()
        y, argmax = kernels.max_pool2d_forward(x, window, stride, padding)
        g = rng.standard_normal(y.shape)
        np.testing.assert_allclose(kernels.max_pool2d_backward(g, argmax, x.shape, window, stride, padding),
                                   equations.max_pool2d_nhwc_backward(x, g, window, stride, padding),
                                   rtol=1e-12, atol=1e-14)  # overlapping windows add in another order
        g = rng.standard_normal(kernels.avg_pool2d_forward(x, window, stride, padding).shape)
        np.testing.assert_allclose(kernels.avg_pool2d_backward(g, x.shape, window, stride, padding),
                                   equations.average_pool2d_nhwc_backward(x, g, window, stride, padding),
                                   rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_dense_and_sigmoid_backward_kernels_match_the_references(backend_name):
    """The Dense kernel's gradients are the sums of each row's ``affine_backward`` (``kernel = Wᵀ``); the sigmoid's
    is ``sigmoid_backward`` of its input."""
    rng = np.random.default_rng(3)
    x, kernel, g = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    rows = [equations.affine_backward(kernel.T, x[r], g[r]) for r in range(len(x))]
    z, grad_a = rng.standard_normal((5, 3)) * 4, rng.standard_normal((5, 3))
    with mc.use_backend(backend_name):
        kernels = backend.kernels()
        grad_x, grad_kernel, grad_bias = kernels.dense_backward(g, x, kernel)
        grad_z = kernels.sigmoid_backward(grad_a, kernels.sigmoid_forward(z))
    np.testing.assert_allclose(grad_kernel, sum(row[0] for row in rows).T, rtol=1e-12)
    np.testing.assert_allclose(grad_bias, sum(row[1] for row in rows), rtol=1e-12)
    np.testing.assert_allclose(grad_x, [row[2] for row in rows], rtol=1e-12)
    np.testing.assert_allclose(grad_z, equations.sigmoid_backward(z, grad_a), rtol=1e-12, atol=1e-16)


@settings(max_examples=20)
@given(st.integers(1, 17), st.sampled_from(BACKENDS), st.integers(0, 2**32 - 1))
def test_the_linear_model_trains_in_a_dense_layer_as_its_equations_say(samples, backend_name, seed):
    """One SGD step of ``Dense(1)`` with the document's MSE, on every host backend, is the chain of the references:
    ``ŷ = w·x + b`` (``linear_model``), ``L = 1/(2N) Σ (y − ŷ)²`` (``mse_loss``), its gradients (``mse_gradients``)
    and ``w ← w − α ∂L/∂w`` (``sgd_update``)."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(samples), rng.standard_normal(samples)
    w, b, alpha = float(rng.standard_normal()), float(rng.standard_normal()), 0.1
    with mc.use_backend(backend_name):
        model = mc.Sequential([mc.Dense(1, input_shape=(1,), dtype="float64")])
        model.compile(optimizer=mc.SGD(alpha), loss="mse")
        model.set_weights([np.array([[w]]), np.array([b])])
        np.testing.assert_allclose(model.predict(x[:, None])[:, 0], equations.linear_model(x, w, b), rtol=1e-12)
        loss = model.train_on_batch(x[:, None], y[:, None])["loss"]
        grads = model.layers[0].grads
    assert loss == pytest.approx(equations.mse_loss(y, equations.linear_model(x, w, b)), rel=1e-12)
    dL_dw, dL_db = equations.mse_gradients(x, y, w, b)
    assert grads["kernel"][0, 0] == pytest.approx(dL_dw, rel=1e-10, abs=1e-14)
    assert grads["bias"][0] == pytest.approx(dL_db, rel=1e-10, abs=1e-14)
    new_kernel, new_bias = model.get_weights()
    assert new_kernel[0, 0] == pytest.approx(equations.sgd_update(w, dL_dw, alpha), rel=1e-12, abs=1e-15)
    assert new_bias[0] == pytest.approx(equations.sgd_update(b, dL_db, alpha), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_max_pooling_passes_a_nan_on_as_every_backend_does(backend_name):
    """Python's max(largest, nan) keeps largest: the reference dropped a NaN that every backend passes on; its
    gradient goes to the NaN, as np.argmax picks it (the backward reference sent it to the largest number)."""
    x = _image([[1.0, np.nan, 0.0, 2.0], [3.0, 2.0, 1.0, 1.0]])
    reference = equations.max_pool2d_nhwc(x, 2)
    g = np.array([[[[3.0], [5.0]]]])
    with mc.use_backend(backend_name):
        fast, argmax = backend.kernels().max_pool2d_forward(x, (2, 2), (2, 2), "valid")
        fast_gradient = backend.kernels().max_pool2d_backward(g, argmax, x.shape, (2, 2), (2, 2), "valid")
    np.testing.assert_array_equal(reference, fast)
    np.testing.assert_array_equal(equations.max_pool2d_nhwc_backward(x, g), fast_gradient)  # to the NaN, as argmax
    assert np.isnan(reference[0, 0, 0, 0]) and reference[0, 0, 1, 0] == 2.0
    assert np.isnan(equations.max_pool2d(x[0, :, :, 0], 2)[0, 0])


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_window_with_two_nans_sends_the_gradient_to_the_first(backend_name):
    """As np.argmax does; the reference sent it to the last NaN of the window where it stopped looking after the
    first (mutation round: every test window held one NaN at most)."""
    x = _image([[1.0, np.nan, 2.0, 3.0], [np.nan, 5.0, 4.0, np.nan]])
    g = np.array([[[[10.0], [20.0]]]])
    expected = np.zeros((2, 4))
    expected[0, 1], expected[1, 3] = 10.0, 20.0  # the first NaN of each window, row by row
    reference = equations.max_pool2d_nhwc_backward(x, g)
    np.testing.assert_array_equal(reference[0, :, :, 0], expected)
    with mc.use_backend(backend_name):
        _, argmax = backend.kernels().max_pool2d_forward(x, (2, 2), (2, 2), "valid")
        np.testing.assert_array_equal(backend.kernels().max_pool2d_backward(g, argmax, x.shape, (2, 2), (2, 2),
                                                                           "valid"), reference)
