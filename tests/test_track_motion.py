"""The Kalman motion model: one step worked by hand, tracking, smoothing, coasting, gating and its errors."""

import numpy as np
import pytest

from minicnn.track.trackers.motion import CHI2_4DOF_999, KalmanBoxFilter


def _truth(n, start=(100.0, 80.0, 40.0, 30.0), velocity=(3.0, -2.0, 0.0, 0.0)):
    """Boxes of a target moving at constant velocity: frame t is ``start + t · velocity``, shape (n, 4)."""
    return np.asarray(start) + np.arange(n)[:, None] * np.asarray(velocity)


def test_one_predict_update_step_by_hand():
    # Box (1, 2, 2, 8): centre (2, 6), w = 2, h = 8, L = √(w·h) = 4 (deliberately ≠ w, h).
    kf = KalmanBoxFilter([1.0, 2.0, 2.0, 8.0], position_noise=0.5, size_noise=0.25, measurement_noise=0.5,
                         velocity_prior=1.0)
    # The same step in plain matrix algebra.
    scales = np.array([4.0, 4.0, 2.0, 8.0])  # (L, L, w, h)
    I4, Z4 = np.eye(4), np.zeros((4, 4))
    F = np.block([[I4, I4], [Z4, I4]])
    H = np.hstack([I4, Z4])
    R = np.diag((0.5 * scales) ** 2)
    P = np.diag(np.concatenate([(0.5 * scales) ** 2, (1.0 * scales) ** 2]))
    sigma_a = np.array([0.5, 0.5, 0.25, 0.25]) * scales
    Q = np.zeros((8, 8))
    for i in range(4):  # per coordinate: σ² [[1/4, 1/2], [1/2, 1]] over (position, velocity)
        Q[i, i], Q[i, i + 4], Q[i + 4, i], Q[i + 4, i + 4] = np.array([0.25, 0.5, 0.5, 1.0]) * sigma_a[i] ** 2
    s = np.array([2.0, 6.0, 2.0, 8.0, 0, 0, 0, 0])
    s_pred = F @ s
    P_pred = F @ P @ F.T + Q
    np.testing.assert_allclose(kf.predict(), [1.0, 2.0, 2.0, 8.0])
    np.testing.assert_allclose(kf.covariance, P_pred)

    measured = np.array([6.0, 3.0, 3.0, 6.0])  # centre (7.5, 6), size (3, 6)
    z = np.array([7.5, 6.0, 3.0, 6.0])
    y = z - H @ s_pred
    S = H @ P_pred @ H.T + R
    K = P_pred @ H.T @ np.linalg.inv(S)
    s_new = s_pred + K @ y
    P_new = (np.eye(8) - K @ H) @ P_pred
    assert kf.distance(measured) == pytest.approx(np.sqrt(y @ np.linalg.inv(S) @ y))
    filtered = kf.update(measured)
    np.testing.assert_allclose(kf.state, s_new)
    np.testing.assert_allclose(kf.covariance, P_new, atol=1e-12)
    np.testing.assert_allclose(filtered, [s_new[0] - s_new[2] / 2, s_new[1] - s_new[3] / 2, s_new[2], s_new[3]])

    # cx by hand: P₀ = diag(var_c = (0.5·4)² = 4, var_v = (1·4)² = 16); Q = 4·[[¼, ½], [½, 1]] = [[1, 2], [2, 4]].
    # P⁻ = [[4 + 16 + 1, 16 + 2], [., 16 + 4]] = [[21, 18], [18, 20]];  S = 21 + R = 21 + 4 = 25;
    # K = (21/25, 18/25) = (0.84, 0.72);  y = 7.5 − 2 = 5.5  →  cx = 2 + 4.62 = 6.62,  vx = 3.96.
    assert kf.state[0] == pytest.approx(6.62)
    assert kf.velocity[0] == pytest.approx(3.96)
    assert kf.frames_coasted == 0


def test_constant_velocity_target_is_predicted_within_half_a_pixel():
    truth = _truth(12)
    kf = KalmanBoxFilter(truth[0])
    for box in truth[1:11]:
        kf.predict()
        kf.update(box)
    predicted = kf.predict()
    np.testing.assert_allclose(predicted, truth[11], atol=0.5)
    np.testing.assert_allclose(kf.velocity, [3.0, -2.0, 0.0, 0.0], atol=0.2)


def _centre_errors(boxes, truth):
    a = boxes[:, :2] + boxes[:, 2:] / 2
    b = truth[:, :2] + truth[:, 2:] / 2
    return np.hypot(*(a - b).T)


def test_filtering_noisy_measurements_lowers_the_error():
    rng = np.random.default_rng(7)
    truth = _truth(80, velocity=(2.0, 1.0, 0.1, 0.05))
    measured = truth.copy()
    measured[:, :2] += rng.normal(0.0, 4.0, (80, 2))  # about a tenth of L ≈ 35 px, like the default noise
    kf = KalmanBoxFilter(measured[0])
    filtered = [kf.box]
    for box in measured[1:]:
        kf.predict()
        filtered.append(kf.update(box))
    raw_error = _centre_errors(measured[20:], truth[20:]).mean()
    filtered_error = _centre_errors(np.array(filtered)[20:], truth[20:]).mean()
    assert filtered_error < 0.85 * raw_error, (filtered_error, raw_error)


def test_the_settled_gains_and_the_noise_left_are_those_the_docstring_gives():
    """KalmanBoxFilter's Notes: gains α ≈ 0.63 and β ≈ 0.30, and the centre of a still target measured with the
    default noise (a tenth of L) wanders 0.74 as far as the measurements (it said 20 % less noisy: 0.8; and β 0.31)."""
    box = np.array([100.0, 100.0, 40.0, 40.0])  # L = 40
    kf = KalmanBoxFilter(box)
    rng = np.random.default_rng(0)
    filtered, measured = [], []
    for frame in range(5000):
        kf.predict()
        if frame == 300:
            innovation = kf.covariance[0, 0] + (kf.measurement_noise * 40.0) ** 2
            alpha, beta = kf.covariance[0, 0] / innovation, kf.covariance[4, 0] / innovation
        z = box.copy()
        z[:2] += rng.standard_normal(2) * 0.1 * 40.0
        kf.update(z)
        if frame > 100:
            filtered.append(kf.box[0] - box[0])
            measured.append(z[0] - box[0])
    assert round(alpha, 2) == 0.63 and round(beta, 2) == 0.30, (alpha, beta)
    assert 0.72 < np.std(filtered) / np.std(measured) < 0.76


def test_coasting_continues_the_velocity_and_widens_the_gate():
    truth = _truth(31)
    kf = KalmanBoxFilter(truth[0])
    for box in truth[1:21]:
        kf.predict()
        kf.update(box)
    velocity = kf.velocity
    start = kf.box
    offset = np.array([15.0, 10.0, 0.0, 0.0])  # a fixed displacement from the prediction
    distances, variances = [], []
    for step in range(1, 11):  # ten frames of full occlusion: predict, no update
        predicted = kf.predict()
        np.testing.assert_allclose(predicted, start + step * velocity)
        assert kf.frames_coasted == step
        distances.append(kf.distance(predicted + offset))
        variances.append(np.diag(kf.covariance)[[0, 1, 4, 5]])
    np.testing.assert_allclose(kf.velocity, velocity)
    np.testing.assert_allclose(kf.box, truth[30], atol=0.5)
    assert np.all(np.diff(variances, axis=0) > 0)  # velocity too: the process noise Q adds to it every frame
    assert np.all(np.diff(distances) < 0)
    kf.update(truth[30])
    assert kf.frames_coasted == 0


@pytest.mark.parametrize("scale", [0.5, 1.0, 5.0])  # 20-px, 40-px and 200-px targets
def test_gate_rejects_a_jump_of_several_sizes_and_accepts_normal_motion(scale):
    truth = _truth(22, start=(100.0, 80.0, 40.0, 30.0), velocity=(3.0, -2.0, 0.0, 0.0)) * scale
    kf = KalmanBoxFilter(truth[0])
    for box in truth[1:21]:
        kf.predict()
        assert kf.is_plausible(box)
        kf.update(box)
    kf.predict()
    w = truth[21, 2]
    for jump in ([3 * w, 0, 0, 0], [0, -3 * w, 0, 0], [2 * w, 2 * w, 0, 0]):
        assert not kf.is_plausible(truth[21] + jump)
    assert not kf.is_plausible(truth[21] * [1, 1, 3, 3])  # size tripled
    assert kf.is_plausible(truth[21])
    assert kf.is_plausible(truth[21] + [0.1 * w, -0.1 * w, 0.05 * w, 0])  # a little tracker jitter
    # The same scene at any scale gives the same distance: the noise follows the target's size.
    assert kf.distance(truth[21] + [0.2 * w, 0, 0, 0]) == pytest.approx(_reference_distance(), rel=1e-9)


def _reference_distance():
    truth = _truth(22)
    kf = KalmanBoxFilter(truth[0])
    for box in truth[1:21]:
        kf.predict()
        kf.update(box)
    kf.predict()
    return kf.distance(truth[21] + [0.2 * truth[21, 2], 0, 0, 0])


def test_the_gate_bounds_the_squared_distance():
    kf = KalmanBoxFilter([100.0, 80.0, 40.0, 30.0])
    predicted = kf.predict()
    direction = np.array([1.0, 0.5, 0.1, -0.1])
    unit = kf.distance(predicted + direction)  # d grows linearly along a ray: d(p + k·u) = k·d(p + u)
    edge = np.sqrt(kf.gate) / unit
    assert kf.distance(predicted + edge * direction) == pytest.approx(np.sqrt(kf.gate))
    assert kf.is_plausible(predicted + 0.99 * edge * direction)
    assert not kf.is_plausible(predicted + 1.01 * edge * direction)


def test_default_gate_is_the_999_quantile_of_chi_square_with_4_dof():
    # χ² with 4 degrees of freedom: CDF(x) = 1 − e^(−x/2) (1 + x/2).
    assert 1 - np.exp(-CHI2_4DOF_999 / 2) * (1 + CHI2_4DOF_999 / 2) == pytest.approx(0.999, abs=1e-6)
    assert KalmanBoxFilter([0, 0, 10, 10]).gate == CHI2_4DOF_999


def test_width_and_height_never_go_below_the_floor_while_coasting():
    kf = KalmanBoxFilter([50.0, 50.0, 20.0, 20.0])
    kf.predict()
    kf.update([50.0, 50.0, 12.0, 12.0])  # shrinking fast
    assert kf.velocity[2] < 0
    for _ in range(30):
        box = kf.predict()
        assert box[2] >= kf.min_size and box[3] >= kf.min_size
    assert kf.velocity[2] >= 0 and kf.velocity[3] >= 0
    assert np.all(np.isfinite(kf.covariance))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: KalmanBoxFilter([1, 2, 3]), r"KalmanBoxFilter: box: expected .*shape \(4,\), got shape \(3,\)"),
        (lambda: KalmanBoxFilter([[1, 2, 3, 4], [1, 2, 3, 4]]), r"box: .*shape \(4,\), got shape \(2, 4\)"),
        (lambda: KalmanBoxFilter([1, 2, 0, 4]), r"box: expected width and height > 0, got w = 0, h = 4"),
        (lambda: KalmanBoxFilter([1, 2, 3, -4]), r"box: expected width and height > 0, got w = 3, h = -4"),
        (lambda: KalmanBoxFilter([1, np.nan, 3, 4]), r"box: expected finite \(x, y, w, h\), got \(1, nan, 3, 4\)"),
        (lambda: KalmanBoxFilter([0, 0, 9, 9]).update([0, 0, np.inf, 9]), r"KalmanBoxFilter.update: box: .*inf"),
        (lambda: KalmanBoxFilter([0, 0, 9, 9]).distance([0, 0, 9]), r"KalmanBoxFilter.distance: box: .*\(3,\)"),
        (lambda: KalmanBoxFilter([0, 0, 9, 9]).is_plausible("abcd"), r"box: expected one box .* got 'abcd'"),
        (lambda: KalmanBoxFilter([0, 0, 9, 9], measurement_noise=0), r"measurement_noise: expected .*> 0, got 0"),
        (lambda: KalmanBoxFilter([0, 0, 9, 9], position_noise=-1), r"position_noise: expected .*>= 0, got -1"),
        (lambda: KalmanBoxFilter([0, 0, 9, 9], gate=np.nan), r"gate: expected a finite number > 0, got nan"),
        (lambda: KalmanBoxFilter([0, 0, 9, 9], min_size="big"), r"min_size: expected a number, got 'big'"),
    ],
)
def test_bad_input_names_the_argument_expected_and_given(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_single_box_of_shape_1_by_4_is_accepted():
    kf = KalmanBoxFilter(np.array([[10.0, 20.0, 30.0, 40.0]]))
    np.testing.assert_allclose(kf.box, [10.0, 20.0, 30.0, 40.0])
    assert kf.distance(np.array([[10.0, 20.0, 30.0, 40.0]])) == 0.0


def test_process_noise_is_scaled_by_the_size_before_the_prediction_moves_it():
    """``Q`` is a fraction of ``(L, L, w, h)`` of the state being advanced, as in ``P⁻ = F P Fᵀ + Q`` by hand;
    scaling it by the size *after* the step (which a growing box changes) gives a different uncertainty."""
    kf = KalmanBoxFilter([1.0, 2.0, 2.0, 8.0])
    kf.predict()
    kf.update([1.0, 2.0, 4.0, 8.0])  # the width grows: the width velocity is no longer 0
    state, covariance = kf.state, kf.covariance
    assert state[6] != 0.0
    I4, Z4 = np.eye(4), np.zeros((4, 4))
    F = np.block([[I4, I4], [Z4, I4]])
    G = np.vstack([0.5 * I4, I4])  # a constant acceleration over one frame: position ½, velocity 1
    w, h = state[2], state[3]  # before the predict
    sigma_a = np.array([0.05, 0.05, 0.01, 0.01]) * [np.sqrt(w * h), np.sqrt(w * h), w, h]
    kf.predict()
    np.testing.assert_allclose(kf.covariance, F @ covariance @ F.T + G @ np.diag(sigma_a**2) @ G.T, rtol=1e-12)


def test_width_and_height_stay_above_the_floor_after_an_update():
    """A measurement far smaller than a pixel pulls the filtered width and height from 1.5 px to 0.73 px; they must
    stay at ``min_size`` (1 px), as the floor holds after ``update`` as it does after ``predict``."""
    kf = KalmanBoxFilter([0.0, 0.0, 1.5, 1.5], measurement_noise=1.0)
    kf.predict()
    kf.update([0.0, 0.0, 0.01, 0.01])
    assert kf.state[2] >= 1.0 and kf.state[3] >= 1.0


def test_the_filters_properties_are_copies_that_cannot_change_it():
    """``state``, ``velocity``, ``covariance`` and ``box`` are copies: writing into what they return leaves the filter,
    its gate and its next gain as they were. Properties returning the filter's own arrays passed every test
    (mutation round)."""
    kf = KalmanBoxFilter([10.0, 20.0, 30.0, 40.0])
    kf.predict()
    kf.update([12.0, 21.0, 30.0, 40.0])
    before = (kf.state, kf.velocity, kf.covariance, kf.box, kf.distance([14.0, 22.0, 30.0, 40.0]))
    for array in (kf.state, kf.velocity, kf.covariance, kf.box):
        array[...] = 0.0
    np.testing.assert_array_equal(kf.state, before[0])
    np.testing.assert_array_equal(kf.velocity, before[1])
    np.testing.assert_array_equal(kf.covariance, before[2])
    np.testing.assert_array_equal(kf.box, before[3])
    assert kf.distance([14.0, 22.0, 30.0, 40.0]) == before[4]
