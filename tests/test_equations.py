"""The readable references (``minicnn.equations``), each against a worked example computed by hand.

Every expected value below is written out literally and worked out in a comment; none is computed by the code under
test. The equations are the oracle for every fast path, so these tests are what the whole suite finally rests on.
"""

import math
import re
import warnings

import numpy as np
import pytest

from minicnn import equations
from minicnn.errors import ShapeError

# ---------------------------------------------------------------------------------------------------------------------
# conv2d: one channel, valid
# ---------------------------------------------------------------------------------------------------------------------


def test_conv2d_by_hand():
    x = np.array([[1, 2, 0],
                  [0, 1, 3],
                  [2, 1, 1]])
    w = np.array([[1, 0],
                  [-1, 2]])
    # y[0,0] = 1·1 + 2·0 + 0·(−1) + 1·2 = 3      y[0,1] = 2·1 + 0·0 + 1·(−1) + 3·2 = 7
    # y[1,0] = 0·1 + 1·0 + 2·(−1) + 1·2 = 0      y[1,1] = 1·1 + 3·0 + 1·(−1) + 1·2 = 2
    assert equations.conv2d(x, w).tolist() == [[3.0, 7.0], [0.0, 2.0]]


def test_conv2d_non_square_by_hand():
    x = np.array([[1, 2, 3, 4],
                  [5, 6, 7, 8]])
    w = np.array([[2],
                  [-1]])  # kh = 2, kw = 1: y[0, j] = 2·x[0, j] − x[1, j]
    # [2·1 − 5, 2·2 − 6, 2·3 − 7, 2·4 − 8] = [−3, −2, −1, 0], shape (2 − 2 + 1, 4 − 1 + 1) = (1, 4)
    assert equations.conv2d(x, w).tolist() == [[-3.0, -2.0, -1.0, 0.0]]


def test_conv2d_is_cross_correlation_not_flipped_convolution():
    x = np.array([[0, 1, 2],
                  [3, 4, 5],
                  [6, 7, 8]])
    w = np.array([[0, 1],
                  [0, 0]])  # unflipped, w[0, 1] picks x[i, j+1]: the top-right of each window
    # windows' top-right entries: [[1, 2], [4, 5]]; a flipped kernel would pick the bottom-left: [[3, 4], [6, 7]]
    assert equations.conv2d(x, w).tolist() == [[1.0, 2.0], [4.0, 5.0]]


# ---------------------------------------------------------------------------------------------------------------------
# conv2d_nhwc: the layer
# ---------------------------------------------------------------------------------------------------------------------


def test_conv2d_nhwc_stride_two():
    x = np.array([[0, 1, 2, 3],
                  [4, 5, 6, 7],
                  [8, 9, 10, 11],
                  [12, 13, 14, 15]]).reshape(1, 4, 4, 1)
    kernel = np.ones((2, 2, 1, 1))
    # windows start at (0,0), (0,2), (2,0), (2,2): 0+1+4+5 = 10, 2+3+6+7 = 18, 8+9+12+13 = 42, 10+11+14+15 = 50
    assert equations.conv2d_nhwc(x, kernel, stride=2)[0, :, :, 0].tolist() == [[10.0, 18.0], [42.0, 50.0]]


def test_conv2d_nhwc_different_row_and_column_strides():
    x = np.array([[0, 1, 2, 3],
                  [4, 5, 6, 7],
                  [8, 9, 10, 11]]).reshape(1, 3, 4, 1)
    kernel = np.array([[1, 0],
                       [0, 1]]).reshape(2, 2, 1, 1)  # y = x[top-left] + x[bottom-right] of each window
    # stride (1, 2): H_out = (3 − 2)//1 + 1 = 2, W_out = (4 − 2)//2 + 1 = 2; windows start at columns 0 and 2
    # y[0,0] = 0 + 5 = 5   y[0,1] = 2 + 7 = 9   y[1,0] = 4 + 9 = 13   y[1,1] = 6 + 11 = 17
    assert equations.conv2d_nhwc(x, kernel, stride=(1, 2))[0, :, :, 0].tolist() == [[5.0, 9.0], [13.0, 17.0]]


def test_conv2d_nhwc_same_padding_with_even_kernel_pads_bottom_right():
    x = np.array([[1, 2],
                  [3, 4]]).reshape(1, 2, 2, 1)
    kernel = np.ones((2, 2, 1, 1))
    # 'same', stride 1: H_out = 2, pad total = (2 − 1)·1 + 2 − 2 = 1 → 0 on top, 1 at the bottom (same for columns):
    # [[1, 2, 0],
    #  [3, 4, 0],     → [[1+2+3+4, 2+0+4+0],  = [[10, 6],
    #  [0, 0, 0]]        [3+4+0+0, 4+0+0+0]]     [ 7, 4]]
    # (padding the top/left instead would give [[1, 3], [4, 10]])
    assert equations.conv2d_nhwc(x, kernel, padding="same")[0, :, :, 0].tolist() == [[10.0, 6.0], [7.0, 4.0]]


def test_conv2d_nhwc_same_padding_odd_kernel_stride_two():
    x = np.array([[1, 2, 3],
                  [4, 5, 6],
                  [7, 8, 9]]).reshape(1, 3, 3, 1)
    kernel = np.ones((3, 3, 1, 1))
    # 'same', stride 2: H_out = ceil(3/2) = 2, pad total = (2 − 1)·2 + 3 − 3 = 2 → one zero on each side.
    # Window centres at (0,0), (0,2), (2,0), (2,2); each sums its real neighbours:
    # 1+2+4+5 = 12   2+3+5+6 = 16   4+5+7+8 = 24   5+6+8+9 = 28
    y = equations.conv2d_nhwc(x, kernel, stride=2, padding="same")
    assert y[0, :, :, 0].tolist() == [[12.0, 16.0], [24.0, 28.0]]


def test_same_padding_with_a_stride_puts_the_one_zero_at_the_bottom():
    """H = 4, k = 3, stride 2, 'same': H_out = ceil(4/2) = 2, pad total = (2 − 1)·2 + 3 − 4 = 1, so no zero on top
    and one at the bottom. A rule that forgot the stride (pad k − 1 = 2, one on each side) gives other numbers, for
    the convolution and both poolings alike (the references and the kernels share the padding arithmetic, so only
    numbers worked out by hand can catch it)."""
    x = np.array([1.0, 5.0, 2.0, 4.0]).reshape(1, 4, 1, 1)
    # windows over rows 0–2 and 2–4 (row 4 is the padding)
    conv = equations.conv2d_nhwc(x, np.ones((3, 1, 1, 1)), stride=(2, 1), padding="same")
    assert conv[0, :, 0, 0].tolist() == [1 + 5 + 2, 2 + 4 + 0]          # one zero on each side: [0+1+5, 5+2+4]
    largest = equations.max_pool2d_nhwc(x, (3, 1), strides=(2, 1), padding="same")
    assert largest[0, :, 0, 0].tolist() == [5.0, 4.0]                   # one on each side: [5, 5]
    mean = equations.average_pool2d_nhwc(x, (3, 1), strides=(2, 1), padding="same")
    assert mean[0, :, 0, 0].tolist() == [8 / 3, 3.0]                    # one on each side: [3, 11/3]


def test_conv2d_nhwc_two_input_channels_and_bias():
    x = np.zeros((1, 2, 3, 2))
    x[0, :, :, 0] = [[1, 2, 3],
                     [4, 5, 6]]
    x[0, :, :, 1] = [[1, 3, 0],
                     [2, 1, 4]]
    kernel = np.zeros((2, 2, 2, 1))
    kernel[:, :, 0, 0] = [[1, 0],
                          [0, 1]]
    kernel[:, :, 1, 0] = [[0, 2],
                          [-1, 0]]
    bias = np.array([0.5])
    # y[0,0] = (1·1 + 5·1)  +  (3·2 + 2·(−1))  + 0.5 = 6 + 4 + 0.5 = 10.5
    # y[0,1] = (2·1 + 6·1)  +  (0·2 + 1·(−1))  + 0.5 = 8 − 1 + 0.5 = 7.5
    assert equations.conv2d_nhwc(x, kernel, bias)[0, :, :, 0].tolist() == [[10.5, 7.5]]


def test_conv2d_nhwc_mixes_channels_per_output_channel():
    x = np.array([2.0, 3.0]).reshape(1, 1, 1, 2)
    kernel = np.array([[1.0, 0.5],     # w[0, 0, c=0, :]
                       [10.0, -1.0]]).reshape(1, 1, 2, 2)  # w[0, 0, c=1, :]
    # out 0: 2·1 + 3·10 + 1 = 33;   out 1: 2·0.5 + 3·(−1) + (−2) = −4
    assert equations.conv2d_nhwc(x, kernel, bias=np.array([1.0, -2.0]))[0, 0, 0].tolist() == [33.0, -4.0]


def test_conv2d_nhwc_is_a_sum_of_single_channel_conv2d():
    # y[n, :, :, o] = b[o] + Σ_c conv2d(x[n, :, :, c], w[:, :, c, o]), with conv2d checked by hand above
    rng = np.random.default_rng(0)
    x, kernel, bias = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(2)
    y = equations.conv2d_nhwc(x, kernel, bias)
    assert y.shape == (2, 3, 5, 2)
    for n in range(2):
        for o in range(2):
            expected = bias[o] + sum(equations.conv2d(x[n, :, :, c], kernel[:, :, c, o]) for c in range(3))
            np.testing.assert_allclose(y[n, :, :, o], expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------------------------------

POOL_X = np.array([[1, 3, 2, 0],
                   [4, 2, 1, 5],
                   [0, 1, 7, 2],
                   [6, 2, 3, 1]])


def test_max_pool2d_by_hand():
    # stride defaults to the pool size: the four 2×2 blocks, max(1,3,4,2) = 4, max(2,0,1,5) = 5, max(0,1,6,2) = 6,
    # max(7,2,3,1) = 7
    assert equations.max_pool2d(POOL_X, 2).tolist() == [[4.0, 5.0], [6.0, 7.0]]


def test_max_pool2d_overlapping_windows():
    x = POOL_X[:3, :3]  # [[1, 3, 2], [4, 2, 1], [0, 1, 7]]
    # pool 2, stride 1: max(1,3,4,2) = 4   max(3,2,2,1) = 3   max(4,2,0,1) = 4   max(2,1,1,7) = 7
    assert equations.max_pool2d(x, 2, stride=1).tolist() == [[4.0, 3.0], [4.0, 7.0]]


def test_max_pool2d_nhwc_overlapping_windows_per_channel():
    x = np.zeros((1, 3, 3, 2))
    x[0, :, :, 0] = [[1, 3, 2],
                     [4, 2, 1],
                     [0, 1, 7]]
    x[0, :, :, 1] = [[-1, -3, -2],
                     [-4, -2, -1],
                     [0, -1, -7]]
    y = equations.max_pool2d_nhwc(x, 2, strides=1)
    # channel 0 as in test_max_pool2d_overlapping_windows
    assert y[0, :, :, 0].tolist() == [[4.0, 3.0], [4.0, 7.0]]
    # channel 1: max(−1,−3,−4,−2) = −1   max(−3,−2,−2,−1) = −1   max(−4,−2,0,−1) = 0   max(−2,−1,−1,−7) = −1
    assert y[0, :, :, 1].tolist() == [[-1.0, -1.0], [0.0, -1.0]]


def test_max_pool2d_of_negative_windows_by_hand():
    """The one-channel reference starts each window's maximum at −∞: started at 0, windows of negative numbers
    gave 0 (mutation round; every other test gave it windows holding a positive number)."""
    assert equations.max_pool2d(-POOL_X, 2).tolist() == [[-1.0, 0.0], [0.0, -1.0]]
    x = np.random.default_rng(0).standard_normal((7, 6)) - 2.0
    for pool, stride in [(2, None), (3, 1), (2, 3)]:
        np.testing.assert_array_equal(equations.max_pool2d(x, pool, stride=stride),
                                      equations.max_pool2d_nhwc(x[None, :, :, None], pool, strides=stride)[0, :, :, 0])


@pytest.mark.parametrize("call", [
    lambda: equations.conv2d_nhwc(np.ones((1, 8, 2, 1)), np.ones((3, 3, 1, 1))),
    lambda: equations.max_pool2d_nhwc(np.ones((1, 8, 2, 1)), 3),
    lambda: equations.average_pool2d_nhwc(np.ones((1, 8, 2, 1)), 3),
    lambda: equations.conv2d_nhwc(np.ones((1, 2, 8, 1)), np.ones((3, 3, 1, 1))),
])
def test_a_window_that_fits_one_side_only_is_refused(call):
    """Only windows taller than the input were tested: a reference that checked the height alone returned an
    empty (1, 6, 0, 1) output for a window wider than the input (mutation round)."""
    with pytest.raises(ShapeError, match=r"larger than the input x of (8×2|2×8)"):
        call()


def test_max_pool2d_nhwc_default_strides_agree_with_max_pool2d():
    assert equations.max_pool2d_nhwc(POOL_X.reshape(1, 4, 4, 1), (2, 2))[0, :, :, 0].tolist() == [[4.0, 5.0],
                                                                                                  [6.0, 7.0]]


def test_max_pool_same_padding_never_picks_the_padding():
    x = np.array([-1, -2, -3]).reshape(1, 1, 3, 1)
    # pool (1, 2), stride (1, 2), 'same': W_out = 2, pad total = (2 − 1)·2 + 2 − 3 = 1, at the right:
    # windows [−1, −2] → −1 and [−3, pad] → −3 (zero padding would give 0)
    assert equations.max_pool2d_nhwc(x, (1, 2), padding="same")[0, 0, :, 0].tolist() == [-1.0, -3.0]


def test_max_pool_same_padding_two_dimensions():
    x = np.array([[-1, -2, -3],
                  [-4, -5, -6],
                  [-7, -8, -9]]).reshape(1, 3, 3, 1)
    # pool 3, stride 1, 'same': one −∞ row/column on every side; each output is the max of the real values in the
    # 3×3 neighbourhood: corners max(−1,−2,−4,−5) = −1, max(−2,−3,−5,−6) = −2, max(−4,−5,−7,−8) = −4,
    # max(−5,−6,−8,−9) = −5; edges e.g. (0,1): max(−1..−6) = −1, (2,1): max(−4..−9) = −4
    y = equations.max_pool2d_nhwc(x, 3, strides=1, padding="same")
    assert y[0, :, :, 0].tolist() == [[-1.0, -1.0, -2.0],
                                      [-1.0, -1.0, -2.0],
                                      [-4.0, -4.0, -5.0]]


def test_average_pool_by_hand():
    x = np.array([[1, 2],
                  [3, 6]]).reshape(1, 2, 2, 1)
    # (1 + 2 + 3 + 6) / 4 = 3
    assert equations.average_pool2d_nhwc(x, 2).tolist() == [[[[3.0]]]]


def test_average_pool_overlapping_windows():
    x = np.array([[1, 2, 3],
                  [4, 5, 6],
                  [7, 8, 9]]).reshape(1, 3, 3, 1)
    # pool 2, stride 1: (1+2+4+5)/4 = 3   (2+3+5+6)/4 = 4   (4+5+7+8)/4 = 6   (5+6+8+9)/4 = 7
    assert equations.average_pool2d_nhwc(x, 2, strides=1)[0, :, :, 0].tolist() == [[3.0, 4.0], [6.0, 7.0]]


def test_average_pool_same_padding_counts_only_real_inputs():
    x = np.array([2, 4, 9]).reshape(1, 1, 3, 1)
    # windows [2, 4] → 3 and [9, pad] → 9/1 = 9 (counting the pad as a zero would give 4.5)
    assert equations.average_pool2d_nhwc(x, (1, 2), padding="same")[0, 0, :, 0].tolist() == [3.0, 9.0]


def test_average_pool_same_padding_two_dimensions():
    x = np.array([[1, 2, 3],
                  [4, 5, 6],
                  [7, 8, 9]]).reshape(1, 3, 3, 1)
    # pool 3, stride 1, 'same': corners average 4 real values, edges 6, the centre 9:
    # (1+2+4+5)/4 = 3      (1+2+3+4+5+6)/6 = 3.5      (2+3+5+6)/4 = 4
    # (1+2+4+5+7+8)/6 = 4.5   45/9 = 5               (2+3+5+6+8+9)/6 = 5.5
    # (4+5+7+8)/4 = 6      (4+5+6+7+8+9)/6 = 6.5      (5+6+8+9)/4 = 7
    y = equations.average_pool2d_nhwc(x, 3, strides=1, padding="same")
    assert y[0, :, :, 0].tolist() == [[3.0, 3.5, 4.0],
                                      [4.5, 5.0, 5.5],
                                      [6.0, 6.5, 7.0]]


# ---------------------------------------------------------------------------------------------------------------------
# affine and sigmoid
# ---------------------------------------------------------------------------------------------------------------------


def test_affine_by_hand():
    W = np.array([[1, 2],
                  [0, -1],
                  [3, 1]])
    x = np.array([2, 1])
    b = np.array([0.5, 0, -1])
    # z = [1·2 + 2·1 + 0.5, 0·2 − 1·1 + 0, 3·2 + 1·1 − 1] = [4.5, −1, 6]
    assert equations.affine(W, x, b).tolist() == [4.5, -1.0, 6.0]


def test_sigmoid_by_hand():
    assert equations.sigmoid(0.0) == 0.5  # 1 / (1 + e⁰) = 1/2
    assert equations.sigmoid(math.log(3.0)) == pytest.approx(0.75)  # 1 / (1 + 1/3) = 3/4
    assert equations.sigmoid(-math.log(3.0)) == pytest.approx(0.25)  # e^{−ln 3} / (1 + e^{−ln 3}) = (1/3)/(4/3)
    z = np.array([[0.0, math.log(3.0)], [-math.log(3.0), 0.0]])
    np.testing.assert_allclose(equations.sigmoid(z), [[0.5, 0.75], [0.25, 0.5]], rtol=1e-12)


def test_sigmoid_symmetry():
    z = np.array([-40.0, -3.0, -0.5, 0.7, 2.0, 40.0])
    np.testing.assert_allclose(equations.sigmoid(-z), 1 - equations.sigmoid(z), rtol=1e-12, atol=1e-15)


def test_sigmoid_large_inputs_do_not_overflow():
    z = np.array([-1000.0, -750.0, 750.0, 1000.0])  # e^{710} already overflows a float64; e^{−750} rounds to 0
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        s = equations.sigmoid(z)
    assert s.tolist() == [0.0, 0.0, 1.0, 1.0]
    # e^{−30} / (1 + e^{−30}) is tiny but not rounded to 0: the stable form keeps its relative precision
    assert equations.sigmoid(-30.0) == pytest.approx(9.357622968839299e-14, rel=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# The linear model, the MSE, its gradients and SGD
# ---------------------------------------------------------------------------------------------------------------------


def test_linear_model_by_hand():
    # ŷ = 2·x − 1 for x = [1, 2, 3]: [1, 3, 5]
    assert equations.linear_model([1.0, 2.0, 3.0], 2.0, -1.0).tolist() == [1.0, 3.0, 5.0]


def test_mse_loss_by_hand():
    # 1/(2·3) · ((1 − 2)² + (2 − 2)² + (4 − 1)²) = 10/6   (Keras' MeanSquaredError would give 10/3)
    assert equations.mse_loss([1.0, 2.0, 4.0], [2.0, 2.0, 1.0]) == pytest.approx(10 / 6, rel=1e-15)


X = np.array([1.0, 2.0, 3.0])
Y = np.array([2.0, 3.0, 5.0])


def test_mse_gradients_by_hand():
    # w = 1, b = 0: ŷ = [1, 2, 3], y − ŷ = [1, 1, 2]
    # ∂L/∂w = −(1/3)(1·1 + 1·2 + 2·3) = −9/3 = −3;   ∂L/∂b = −(1/3)(1 + 1 + 2) = −4/3
    dw, db = equations.mse_gradients(X, Y, 1.0, 0.0)
    assert dw == pytest.approx(-3.0, rel=1e-15)
    assert db == pytest.approx(-4 / 3, rel=1e-15)


@pytest.mark.parametrize("w, b", [(1.0, 0.0), (0.5, 0.3), (-2.0, 4.0), (1.8, -0.2)])
def test_mse_gradients_match_central_differences(w, b):
    def loss(w, b):
        return equations.mse_loss(Y, equations.linear_model(X, w, b))

    h = 1e-6
    dw, db = equations.mse_gradients(X, Y, w, b)
    assert dw == pytest.approx((loss(w + h, b) - loss(w - h, b)) / (2 * h), rel=1e-7, abs=1e-9)
    assert db == pytest.approx((loss(w, b + h) - loss(w, b - h)) / (2 * h), rel=1e-7, abs=1e-9)


def test_printed_gradients_by_hand_are_minus_n_times_the_gradient():
    # y − ŷ = [1, 1, 2] at w = 1, b = 0: Σ (y − ŷ)·x = 1 + 2 + 6 = 9,  Σ (y − ŷ) = 4
    assert equations.printed_gradients(X, Y, 1.0, 0.0) == (pytest.approx(9.0), pytest.approx(4.0))
    # … which is −N = −3 times the true gradient (−3, −4/3)


def test_a_step_along_the_printed_form_raises_the_loss_and_along_the_gradient_lowers_it():
    w, b, alpha = 1.0, 0.0, 0.01

    def loss(w, b):
        return equations.mse_loss(Y, equations.linear_model(X, w, b))

    before = loss(w, b)  # (1² + 1² + 2²) / 6 = 1
    assert before == pytest.approx(1.0)
    dw, db = equations.mse_gradients(X, Y, w, b)  # (−3, −4/3)
    pw, pb = equations.printed_gradients(X, Y, w, b)  # (9, 4)
    after_gradient = loss(equations.sgd_update(w, dw, alpha), equations.sgd_update(b, db, alpha))
    after_printed = loss(equations.sgd_update(w, pw, alpha), equations.sgd_update(b, pb, alpha))
    # along the gradient: w = 1 + 0.01·3 = 1.03, b = 0 + 0.01·4/3 = 0.01333…, ŷ = [1.04333, 2.07333, 3.10333],
    # y − ŷ = [0.95667, 0.92667, 1.89667], L = (0.91521 + 0.85871 + 3.59734)/6 = 5.37127/6 ≈ 0.89521 < 1
    assert after_gradient < before
    assert after_gradient == pytest.approx(0.89521, abs=1e-5)
    # along the printed form: w = 1 − 0.01·9 = 0.91, b = 0 − 0.01·4 = −0.04, ŷ = [0.87, 1.78, 2.69],
    # y − ŷ = [1.13, 1.22, 2.31], L = (1.2769 + 1.4884 + 5.3361)/6 = 8.1014/6 ≈ 1.35023 > 1
    assert after_printed > before
    assert after_printed == pytest.approx(8.1014 / 6, rel=1e-12)


def test_sgd_update_by_hand_and_leaves_its_inputs_alone():
    w = np.array([[1.0, -2.0],
                  [0.0, 4.0]])
    grad = np.array([[0.5, 0.25],
                     [-1.0, 2.0]])
    new = equations.sgd_update(w, grad, 0.1)
    # w − 0.1·grad = [[1 − 0.05, −2 − 0.025], [0 + 0.1, 4 − 0.2]]
    np.testing.assert_allclose(new, [[0.95, -2.025], [0.1, 3.8]], rtol=1e-15)
    assert w.tolist() == [[1.0, -2.0], [0.0, 4.0]]
    assert grad.tolist() == [[0.5, 0.25], [-1.0, 2.0]]
    assert new is not w
    assert equations.sgd_update(3.0, 2.0, 0.5) == 2.0  # 3 − 0.5·2


# ---------------------------------------------------------------------------------------------------------------------
# Bad input: the message names the function and the argument
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, message", [
    (lambda: equations.conv2d(np.zeros((2, 3, 4)), np.zeros((2, 2))),
     r"conv2d: expected x of shape \(H, W\), got shape \(2, 3, 4\)"),
    (lambda: equations.conv2d(np.zeros((2, 2)), np.zeros((3, 3))), r"kernel w of shape \(3, 3\) is larger than"),
    (lambda: equations.conv2d_nhwc(np.zeros((4, 4, 1)), np.zeros((2, 2, 1, 1))), r"expected x of shape \(N, H, W"),
    (lambda: equations.conv2d_nhwc(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 3, 1))),
     "expects 3 input channels, but x .* has 2"),
    (lambda: equations.conv2d_nhwc(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 3)), np.zeros(2)),
     r"expected bias of shape \(3,\)"),
    (lambda: equations.conv2d_nhwc(np.zeros((1, 2, 2, 1)), np.zeros((3, 3, 1, 1))), "kernel of 3×3 is larger"),
    (lambda: equations.conv2d_nhwc(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), padding="full"),
     "padding must be one of .*'full'"),
    (lambda: equations.conv2d_nhwc(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), stride=0),
     "stride must be a positive int.*0"),
    (lambda: equations.max_pool2d(np.zeros((4, 4)), 2, stride=0), "stride must be a positive int"),
    (lambda: equations.max_pool2d(np.zeros((2, 2)), 3), "pool_size 3 is larger"),
    (lambda: equations.max_pool2d_nhwc(np.zeros((1, 4, 4, 1)), (2, 2, 2)), "pool_size must be"),
    (lambda: equations.average_pool2d_nhwc(np.zeros((1, 4, 4, 1)), 2, strides=-1), "strides must be a positive"),
    (lambda: equations.average_pool2d_nhwc(np.zeros((1, 4, 4, 1)), 2, padding="causal"), "padding must be one of"),
    (lambda: equations.affine(np.zeros((3, 2)), np.zeros(3), np.zeros(3)), r"expects x of shape \(2,\)"),
    (lambda: equations.mse_loss([1.0, 2.0], [1.0]), "y and y_hat must have the same length"),
    (lambda: equations.mse_loss([[1.0, 2.0]], [1.0]), r"expected y of shape \(N,\)"),
    (lambda: equations.mse_gradients([1.0, 2.0, 3.0], [1.0], 1.0, 0.0), "x and y must have the same length"),
    (lambda: equations.sgd_update(np.zeros(2), np.zeros(3), 0.1), r"expected grad of shape \(2,\)"),
    (lambda: equations.sgd_update(np.zeros(2), np.zeros(2), -0.1), "learning_rate must be a positive"),
])
def test_bad_values_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: equations.conv2d_nhwc(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), stride=1.5),
     "stride must be a positive int"),
    (lambda: equations.linear_model([1.0, 2.0], np.array([1.0, 2.0]), 0.0), "w to be a single real number"),
    (lambda: equations.sigmoid(["a", "b"]), r"expected z of real numbers of shape \(any shape\), got \['a', 'b'\]"),
])
def test_bad_types_name_the_argument(call, message):
    with pytest.raises(TypeError, match=message):
        call()


# ---------------------------------------------------------------------------------------------------------------------
# Only real numbers: None, strings, complex numbers and objects are refused, not turned into NaN, parsed or cut
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given, shown", [
    (None, "None"),                      # was NaN
    ("3", "'3'"),                        # was read as 3.0
    (["1", "2"], r"\['1', '2'\]"),
    (1j, "1j"),
    (np.array([1j, 2.0]), "dtype complex128"),  # was cut to its real part, with a ComplexWarning
    (object(), "<object object at "),
    ([[1.0], [2.0, 3.0]], "a list that NumPy cannot read as one array"),  # was NumPy's ValueError
])
def test_sigmoid_refuses_what_is_not_real_numbers_and_names_it(given, shown):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning and an answer is not a refusal
        with pytest.raises(TypeError, match=rf"^sigmoid: expected z of real numbers of shape \(any shape\), "
                                            rf"got {shown}"):
            equations.sigmoid(given)


def test_every_equation_refuses_values_that_are_not_real_numbers_but_takes_ints_and_bools():
    """None became NaN, ``"3"`` became 3.0 and a complex array lost its imaginary part in every function; each is now
    refused in the function's own words, naming the argument. Ints and bools are numbers and still pass."""
    image, kernel = np.ones((1, 2, 2, 1)), np.ones((1, 1, 1, 1))
    one_output = np.ones((1, 1, 1, 1))
    refused = [  # (function, call, argument and what was given, as the message says them)
        ("conv2d", lambda: equations.conv2d([[1.0, 2.0]], None), r"w of real numbers of shape \(kh, kw\), got None"),
        ("conv2d_nhwc", lambda: equations.conv2d_nhwc(image, kernel, bias=["1"]), r"bias of real numbers .*\['1'\]"),
        ("max_pool2d", lambda: equations.max_pool2d("3"), r"x of real numbers of shape \(H, W\), got '3'"),
        ("max_pool2d_nhwc", lambda: equations.max_pool2d_nhwc(np.full((1, 2, 2, 1), 1j)), "x .* dtype complex128"),
        ("average_pool2d_nhwc", lambda: equations.average_pool2d_nhwc(np.full((1, 2, 2, 1), "1")), "x .* dtype <U1"),
        ("affine", lambda: equations.affine([[1.0]], [1.0], [None]), r"b of real numbers of shape \(1,\)"),
        ("sigmoid", lambda: equations.sigmoid(np.array([1j])), "z .* dtype complex128"),
        ("conv2d_nhwc_backward", lambda: equations.conv2d_nhwc_backward(image, kernel, np.full((1, 2, 2, 1), None)),
         "grad_y of real numbers"),
        ("max_pool2d_nhwc_backward", lambda: equations.max_pool2d_nhwc_backward(image, np.full((1, 1, 1, 1), "1"), 2),
         "grad_y .* dtype <U1"),
        ("average_pool2d_nhwc_backward", lambda: equations.average_pool2d_nhwc_backward(image, one_output * 1j, 2),
         "grad_y .* dtype complex128"),
        ("affine_backward", lambda: equations.affine_backward([[1.0]], [1j], [1.0]), r"x of real .* got \[1j\]"),
        ("sigmoid_backward", lambda: equations.sigmoid_backward([0.0], ["1"]), "grad_a of real numbers"),
        ("mse_loss", lambda: equations.mse_loss([1.0, None], [1.0, 2.0]), r"y of real numbers .* got \[1.0, None\]"),
        ("linear_model", lambda: equations.linear_model(["1", "2"], 1.0, 0.0), "x of real numbers"),
        ("linear_model", lambda: equations.linear_model([1.0], np.array("2"), 0.0), "w to be a single real number"),
        ("linear_model", lambda: equations.linear_model([1.0], 1.0, np.array(1j)), "b to be a single real number"),
        ("mse_gradients", lambda: equations.mse_gradients([1.0], [None], 1.0, 0.0), "y of real numbers"),
        ("printed_gradients", lambda: equations.printed_gradients([1j], [1.0], 1.0, 0.0), "x of real numbers"),
        ("sgd_update", lambda: equations.sgd_update(np.array("3"), 1.0, 0.1), "w of real numbers .* dtype <U1"),
        ("sgd_update", lambda: equations.sgd_update(np.zeros(2), [None, None], 0.1), "grad of real numbers"),
    ]
    public = {name for name, value in vars(equations).items()
              if callable(value) and not name.startswith("_") and value.__module__ == equations.__name__}
    assert {name for name, _, _ in refused} == public, "every function of equations.py is checked here"
    not_refused = []
    for name, call, message in refused:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                call()
        except TypeError as error:
            if not re.search(rf"^{name}: expected {message}", str(error)):
                not_refused.append(f"{name}: {error}")
        except Exception as error:  # another error than the TypeError fails the test too
            not_refused.append(f"{name}: {type(error).__name__}: {error}")
        else:
            not_refused.append(f"{name}: no error")
    assert not not_refused, "\n".join(not_refused)
    # ints and bools are real numbers: converted to float64, as before
    assert equations.sigmoid(True) == equations.sigmoid(1.0)
    assert equations.affine(np.array([[1, 2]]), [True, False], [np.int8(3)]).tolist() == [4.0]  # 1·1 + 2·0 + 3
    assert equations.mse_loss([True, False], [1, 0]) == 0.0
    assert equations.sgd_update(np.array([1, 2]), [True, False], 0.5).tolist() == [0.5, 2.0]
