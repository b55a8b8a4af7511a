"""The readable references, each against a worked example computed by hand."""

import warnings

import numpy as np
import pytest

from minicnn import equations


def test_conv2d_by_hand():
    x = np.array([[1, 2, 0],
                  [0, 1, 3],
                  [2, 1, 1]])
    w = np.array([[1, 0],
                  [-1, 2]])
    # y[0,0] = 1·1 + 2·0 + 0·(−1) + 1·2 = 3      y[0,1] = 2·1 + 0·0 + 1·(−1) + 3·2 = 7
    # y[1,0] = 0·1 + 1·0 + 2·(−1) + 1·2 = 0      y[1,1] = 1·1 + 3·0 + 1·(−1) + 1·2 = 2
    assert equations.conv2d(x, w).tolist() == [[3, 7], [0, 2]]


def test_conv2d_is_cross_correlation_not_flipped_convolution():
    x = np.arange(9.0).reshape(3, 3)
    w = np.array([[0.0, 1.0], [0.0, 0.0]])  # picks the top-right neighbour, unflipped
    assert equations.conv2d(x, w).tolist() == [[1.0, 2.0], [4.0, 5.0]]


def test_conv2d_nhwc_stride_two():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    kernel = np.ones((2, 2, 1, 1))
    # windows at (0,0), (0,2), (2,0), (2,2): 0+1+4+5=10, 2+3+6+7=18, 8+9+12+13=42, 10+11+14+15=50
    assert equations.conv2d_nhwc(x, kernel, stride=2)[0, :, :, 0].tolist() == [[10, 18], [42, 50]]


def test_conv2d_nhwc_same_padding_with_even_kernel_pads_bottom_right():
    x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    kernel = np.ones((2, 2, 1, 1))
    # padded with one zero row at the bottom and one zero column at the right:
    # [[1, 2, 0], [3, 4, 0], [0, 0, 0]] → [[1+2+3+4, 2+4], [3+4, 4]]
    assert equations.conv2d_nhwc(x, kernel, padding="same")[0, :, :, 0].tolist() == [[10, 6], [7, 4]]


def test_conv2d_nhwc_two_channels_and_bias():
    x = np.zeros((1, 1, 1, 2))
    x[0, 0, 0] = [2.0, 3.0]
    kernel = np.array([[[[1.0, 0.5], [10.0, -1.0]]]])  # (1, 1, 2, 2): w[c=0] = [1, 0.5], w[c=1] = [10, −1]
    # out 0: 2·1 + 3·10 + 1 = 33;   out 1: 2·0.5 + 3·(−1) + (−2) = −4
    assert equations.conv2d_nhwc(x, kernel, bias=np.array([1.0, -2.0]))[0, 0, 0].tolist() == [33.0, -4.0]


def test_conv2d_nhwc_single_channel_agrees_with_conv2d():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((5, 6)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(equations.conv2d_nhwc(x[None, :, :, None], w[:, :, None, None])[0, :, :, 0],
                               equations.conv2d(x, w), rtol=1e-12)


def test_max_pool2d_by_hand():
    x = np.array([[1, 3, 2, 0],
                  [4, 2, 1, 5],
                  [0, 1, 7, 2],
                  [6, 2, 3, 1]])
    assert equations.max_pool2d(x, 2).tolist() == [[4, 5], [6, 7]]
    # overlapping windows (stride 1 < pool size 2) on the top 3×3 corner region
    assert equations.max_pool2d(x[:3, :3], 2, stride=1).tolist() == [[4, 3], [4, 7]]


def test_max_pool_same_padding_never_picks_the_padding():
    x = -np.array([[1.0, 2.0, 3.0]]).reshape(1, 1, 3, 1)
    # windows of 2 with stride 2 and 'same': [−1, −2] and [−3, pad] → −1 and −3 (not 0 from zero padding)
    assert equations.max_pool2d_nhwc(x, (1, 2), padding="same")[0, 0, :, 0].tolist() == [-1.0, -3.0]


def test_average_pool_counts_only_real_inputs():
    x = np.array([[2.0, 4.0, 9.0]]).reshape(1, 1, 3, 1)
    # windows [2, 4] → 3 and [9, pad] → 9 (the pad is not counted)
    assert equations.average_pool2d_nhwc(x, (1, 2), padding="same")[0, 0, :, 0].tolist() == [3.0, 9.0]
    y = np.array([[1.0, 2.0], [3.0, 6.0]]).reshape(1, 2, 2, 1)
    assert equations.average_pool2d_nhwc(y, 2)[0, 0, 0, 0] == 3.0


def test_affine_by_hand():
    W = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
    x = np.array([2.0, 1.0])
    b = np.array([0.5, 0.0, -1.0])
    # z = [1·2 + 2·1 + 0.5, 0·2 − 1·1 + 0, 3·2 + 1·1 − 1]
    assert equations.affine(W, x, b).tolist() == [4.5, -1.0, 6.0]


def test_sigmoid_values_symmetry_and_no_overflow():
    assert equations.sigmoid(0.0) == 0.5
    assert equations.sigmoid(np.log(3.0)) == pytest.approx(0.75)
    z = np.array([-3.0, -0.5, 0.7, 2.0])
    np.testing.assert_allclose(equations.sigmoid(-z), 1 - equations.sigmoid(z), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert equations.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_mse_loss_by_hand():
    # 1/(2·3)·((1−2)² + (2−2)² + (4−1)²) = 10/6
    assert equations.mse_loss([1.0, 2.0, 4.0], [2.0, 2.0, 1.0]) == pytest.approx(10 / 6)


X = np.array([1.0, 2.0, 3.0])
Y = np.array([2.0, 3.0, 5.0])


def test_mse_gradients_by_hand_and_by_differences():
    # w = 1, b = 0: ŷ = [1, 2, 3], y − ŷ = [1, 1, 2]
    # ∂L/∂w = −(1/3)(1·1 + 1·2 + 2·3) = −3;  ∂L/∂b = −(1/3)(1 + 1 + 2) = −4/3
    dw, db = equations.mse_gradients(X, Y, 1.0, 0.0)
    assert dw == pytest.approx(-3.0) and db == pytest.approx(-4 / 3)
    h = 1e-6
    loss = lambda w, b: equations.mse_loss(Y, equations.linear_model(X, w, b))  # noqa: E731
    assert dw == pytest.approx((loss(1 + h, 0) - loss(1 - h, 0)) / (2 * h), rel=1e-7)
    assert db == pytest.approx((loss(1, h) - loss(1, -h)) / (2 * h), rel=1e-7)


def test_printed_gradients_are_wrong_sign_and_missing_one_over_n():
    assert equations.printed_gradients(X, Y, 1.0, 0.0) == (pytest.approx(9.0), pytest.approx(4.0))


def test_a_step_along_the_printed_form_raises_the_loss():
    w, b, alpha = 1.0, 0.0, 0.01
    before = equations.mse_loss(Y, equations.linear_model(X, w, b))
    dw, db = equations.mse_gradients(X, Y, w, b)
    after_correct = equations.mse_loss(Y, equations.linear_model(X, equations.sgd_update(w, dw, alpha),
                                                                 equations.sgd_update(b, db, alpha)))
    pw, pb = equations.printed_gradients(X, Y, w, b)
    after_printed = equations.mse_loss(Y, equations.linear_model(X, equations.sgd_update(w, pw, alpha),
                                                                 equations.sgd_update(b, pb, alpha)))
    assert after_correct < before < after_printed


def test_sgd_update_by_hand_and_leaves_input_alone():
    w = np.array([1.0, -2.0])
    new = equations.sgd_update(w, np.array([0.5, 0.25]), 0.1)
    assert new.tolist() == [0.95, -2.025]
    assert w.tolist() == [1.0, -2.0]
    assert equations.sgd_update(3.0, 2.0, 0.5) == 2.0


@pytest.mark.parametrize("call, message", [
    (lambda: equations.conv2d(np.zeros((2, 3, 4)), np.zeros((2, 2))), r"expected x of shape \(H, W\)"),
    (lambda: equations.conv2d(np.zeros((2, 2)), np.zeros((3, 3))), "larger than the input"),
    (lambda: equations.conv2d_nhwc(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 3, 1))), "3 input channels"),
    (lambda: equations.conv2d_nhwc(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), padding="full"), "padding"),
    (lambda: equations.conv2d_nhwc(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), stride=0), "stride"),
    (lambda: equations.mse_loss([1.0, 2.0], [1.0]), "same length"),
    (lambda: equations.sgd_update(np.zeros(2), np.zeros(3), 0.1), "grad of shape"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
