"""A constant-velocity Kalman filter over a box's centre and size: the motion model trackers share.

A tracker uses it three ways, once per frame::

    kf = KalmanBoxFilter(first_box)
    for frame in frames[1:]:
        predicted = kf.predict()                 # (a) where to put the search region
        found = appearance_search(frame, predicted)
        if found is not None and kf.is_plausible(found):
            box = kf.update(found)               # the filtered box
        else:
            box = predicted                      # (b) coast through occlusion / (c) reject a jump
        if kf.frames_coasted > max_coast:        # lost for too long: the tracker's own policy
            ...

The state is ``s = [cx, cy, w, h, vx, vy, vw, vh]`` (centre, size and their change per frame, in pixels); the
measurement is a box's ``z = [cx, cy, w, h]``. Every noise level is a fraction of the target's current size, so one
set of defaults serves a 20-pixel and a 200-pixel target: scaling the image by ``k`` scales every box, velocity and
standard deviation by ``k`` and leaves every Mahalanobis distance, and so every gate decision, unchanged.
"""

import numpy as np

from minicnn.errors import NonFiniteError, ShapeError

CHI2_4DOF_999 = 18.4668
"""The 99.9 % quantile of the χ² distribution with 4 degrees of freedom: the default gate on d².

For 4 degrees of freedom the CDF has the closed form ``1 − e^(−x/2) (1 + x/2)``, which equals 0.999 at x ≈ 18.4668.
"""

_I4 = np.eye(4)
_Z4 = np.zeros((4, 4))
_F = np.block([[_I4, _I4], [_Z4, _I4]])  # position += velocity · 1 frame
_H = np.hstack([_I4, _Z4])  # the measurement sees the position part only
_G = np.vstack([0.5 * _I4, _I4])  # how one frame's constant acceleration a moves the state: Δs = G a


def _positive(value, name, allow_zero=False):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"KalmanBoxFilter: {name}: expected a number, got {value!r}") from None
    if not np.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"KalmanBoxFilter: {name}: expected a finite number {bound}, got {value!r}")
    return number


def _measurement(box, where):
    """Check one box ``(x, y, w, h)`` and return its measurement ``z = [cx, cy, w, h]``."""
    try:
        array = np.asarray(box, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: box: expected one box (x, y, w, h) of 4 numbers, got {box!r}") from None
    if array.shape == (1, 4):
        array = array[0]
    if array.shape != (4,):
        raise ShapeError(f"{where}: box: expected one box (x, y, w, h) of shape (4,), got shape {array.shape}")
    text = "(" + ", ".join(f"{v:g}" for v in array) + ")"
    if not np.all(np.isfinite(array)):
        raise NonFiniteError(f"{where}: box: expected finite (x, y, w, h), got {text}; "
                             "to skip a frame without a measurement, call predict() and not update()")
    x, y, w, h = array
    if w <= 0 or h <= 0:
        raise ValueError(f"{where}: box: expected width and height > 0, got w = {w:g}, h = {h:g} in {text}")
    return np.array([x + w / 2.0, y + h / 2.0, w, h])


class KalmanBoxFilter:
    """Constant-velocity Kalman filter over a box's centre and size.

    State ``s = [cx, cy, w, h, vx, vy, vw, vh]`` with covariance ``P`` (8 × 8); measurement ``z = [cx, cy, w, h]``
    from a box ``(x, y, w, h)``: ``cx = x + w/2``, ``cy = y + h/2``. One step of time is one frame.

    ``predict``:  ``s⁻ = F s``,  ``P⁻ = F P Fᵀ + Q``,  with ``F = [[I, I], [0, I]]`` (position += velocity).

    ``update``:   ``y = z − H s⁻``,  ``S = H P⁻ Hᵀ + R``,  ``K = P⁻ Hᵀ S⁻¹``,  ``s = s⁻ + K y``,
    ``P = (I − K H) P⁻``,  with ``H = [I, 0]`` (the measurement sees centre and size, not velocity).

    Gate: the Mahalanobis distance ``d² = yᵀ S⁻¹ y`` of a measurement against the prediction. If the model holds,
    ``d²`` follows a χ² distribution with 4 degrees of freedom, so ``d² ≤ 18.47`` accepts 99.9 % of true
    measurements; a jump far outside the predicted uncertainty is rejected.

    Parameters
    ----------
    box : array, shape (4,)
        The target's first box ``(x, y, w, h)``, 0-based pixels, ``w, h > 0``. The velocity starts at 0.
    position_noise : float, default 0.05
        Process noise of the centre: standard deviation of its random acceleration per frame², as a fraction of the
        target's size ``L = √(w·h)``. 0.05 lets the speed change by about 5 % of the target's size per frame.
    size_noise : float, default 0.01
        Process noise of the size: standard deviation of the random acceleration of ``w`` (``h``) per frame², as a
        fraction of ``w`` (``h``). Targets change size more slowly than they move.
    measurement_noise : float, default 0.1
        Standard deviation of a measured centre, as a fraction of ``L``, and of a measured width (height), as a
        fraction of ``w`` (``h``): a tracker that is "on target" is typically off by about a tenth of its size.
    gate : float, default 18.4668
        Threshold on ``d²`` for ``is_plausible``: the 99.9 % quantile of χ² with 4 degrees of freedom.
    velocity_prior : float, default 0.25
        Standard deviation of the unknown initial velocity, as a fraction of ``L`` (centre) and of ``w``, ``h``
        (size) per frame: wide, so the first measurements teach the velocity quickly.
    min_size : float, default 1.0
        Floor for the width and height in the state, in pixels (a box narrower than a pixel covers no pixel);
        where the floor applies, a shrinking size velocity is set to 0.

    Notes
    -----
    The process noise is the discrete white-noise acceleration model: each frame the velocity receives a random
    kick ``a`` (constant within the frame), which moves the position by ``a/2`` and the velocity by ``a``:
    ``Q = G Σₐ Gᵀ`` with ``G = [[I/2], [I]]`` and ``Σₐ = diag((σₚL)², (σₚL)², (σₛw)², (σₛh)²)``.
    The measurement noise is ``R = diag((σₘL)², (σₘL)², (σₘw)², (σₘh)²)``; the initial covariance is
    ``P₀ = diag(R, (σᵥL)², (σᵥL)², (σᵥw)², (σᵥh)²)``. ``Q`` takes ``w, h`` from the state before ``predict``,
    ``R`` from the state the measurement is compared with (the prediction), so the filter is scale-invariant.

    With the defaults the filter settles to gains ``α ≈ 0.63`` (position) and ``β ≈ 0.30`` (velocity) per axis,
    the filtered centre of a still target wanders about a quarter less than the raw measurements (a standard
    deviation of 0.74 of theirs), and a steady track rejects a sudden jump of the centre of more than about 0.7 · L
    along one axis (1.2 · L just after the first frame, more while coasting, as ``P`` grows by ``Q`` every frame
    without a measurement: about 5 · L after ten frames).
    """

    def __init__(self, box, position_noise=0.05, size_noise=0.01, measurement_noise=0.1, gate=CHI2_4DOF_999,
                 velocity_prior=0.25, min_size=1.0):
        self.position_noise = _positive(position_noise, "position_noise", allow_zero=True)
        self.size_noise = _positive(size_noise, "size_noise", allow_zero=True)
        self.measurement_noise = _positive(measurement_noise, "measurement_noise")
        self.gate = _positive(gate, "gate")
        self.velocity_prior = _positive(velocity_prior, "velocity_prior", allow_zero=True)
        self.min_size = _positive(min_size, "min_size")
        z = _measurement(box, "KalmanBoxFilter")
        self._state = np.concatenate([z, np.zeros(4)])
        self._clamp()
        scales = self._scales()
        r = self.measurement_noise * scales
        v = self.velocity_prior * scales
        self._covariance = np.diag(np.concatenate([r**2, v**2]))
        self._frames_coasted = 0

    # --- the filter -------------------------------------------------------------------------------------------

    def predict(self):
        """Advance one frame: ``s⁻ = F s``, ``P⁻ = F P Fᵀ + Q``.

        Returns
        -------
        ndarray, shape (4,)
            The predicted box ``(x, y, w, h)``. Calling ``predict`` again without ``update`` coasts: the box keeps
            moving with the estimated velocity and the uncertainty keeps growing.
        """
        sigma_a = np.array([self.position_noise, self.position_noise, self.size_noise, self.size_noise])
        sigma_a = sigma_a * self._scales()
        process = _G @ np.diag(sigma_a**2) @ _G.T
        self._state = _F @ self._state
        self._covariance = _F @ self._covariance @ _F.T + process
        self._clamp()
        self._frames_coasted += 1
        return self.box

    def update(self, box):
        """Correct the state with a measured box: ``y = z − H s⁻``, ``K = P⁻ Hᵀ S⁻¹``, ``s = s⁻ + K y``,
        ``P = (I − K H) P⁻``.

        Parameters
        ----------
        box : array, shape (4,)
            The measured box ``(x, y, w, h)`` in this frame (call ``predict`` first), ``w, h > 0``.

        Returns
        -------
        ndarray, shape (4,)
            The filtered box ``(x, y, w, h)``.
        """
        z = _measurement(box, "KalmanBoxFilter.update")
        innovation, s_cov = self._innovation(z)
        # K = P⁻ Hᵀ S⁻¹ = (S⁻¹ H P⁻)ᵀ since S and P⁻ are symmetric; solve rather than invert.
        gain = np.linalg.solve(s_cov, _H @ self._covariance).T
        self._state = self._state + gain @ innovation
        covariance = (np.eye(8) - gain @ _H) @ self._covariance
        self._covariance = (covariance + covariance.T) / 2.0
        self._clamp()
        self._frames_coasted = 0
        return self.box

    def distance(self, box):
        """The Mahalanobis distance ``d = √(yᵀ S⁻¹ y)`` of a measured box against the current state.

        Call it after ``predict``, so that it measures the box against the prediction for this frame;
        ``y = z − H s⁻`` and ``S = H P⁻ Hᵀ + R`` as in ``update``.

        Parameters
        ----------
        box : array, shape (4,)
            A candidate measurement ``(x, y, w, h)``, ``w, h > 0``.

        Returns
        -------
        float
            ``d`` in units of standard deviations; ``d²`` is what ``gate`` bounds.
        """
        z = _measurement(box, "KalmanBoxFilter.distance")
        innovation, s_cov = self._innovation(z)
        return float(np.sqrt(innovation @ np.linalg.solve(s_cov, innovation)))

    def is_plausible(self, box):
        """Whether a measured box passes the gate: ``d² = yᵀ S⁻¹ y ≤ gate`` (see ``distance``)."""
        return bool(self.distance(box) ** 2 <= self.gate)

    # --- the state --------------------------------------------------------------------------------------------

    @property
    def box(self):
        """The current estimate as a box ``(x, y, w, h)``, shape (4,): predicted after ``predict``, filtered after
        ``update``."""
        cx, cy, w, h = self._state[:4]
        return np.array([cx - w / 2.0, cy - h / 2.0, w, h])

    @property
    def velocity(self):
        """The estimated change per frame ``(vx, vy, vw, vh)`` of the centre and size, in pixels, shape (4,)."""
        return self._state[4:].copy()

    @property
    def frames_coasted(self):
        """Number of ``predict`` calls since the last ``update`` (or since the start)."""
        return self._frames_coasted

    @property
    def state(self):
        """A copy of the state ``s = [cx, cy, w, h, vx, vy, vw, vh]``, shape (8,)."""
        return self._state.copy()

    @property
    def covariance(self):
        """A copy of the state covariance ``P``, shape (8, 8)."""
        return self._covariance.copy()

    def __repr__(self):
        x, y, w, h = self.box
        return (f"KalmanBoxFilter(box=({x:.1f}, {y:.1f}, {w:.1f}, {h:.1f}), "
                f"velocity=({', '.join(f'{v:.2f}' for v in self._state[4:])}), "
                f"frames_coasted={self._frames_coasted})")

    # --- helpers ----------------------------------------------------------------------------------------------

    def _scales(self):
        """``(L, L, w, h)`` with ``L = √(w·h)``, from the current state: what every noise is a fraction of."""
        w, h = self._state[2:4]
        size = np.sqrt(w * h)
        return np.array([size, size, w, h])

    def _innovation(self, z):
        """``y = z − H s`` and ``S = H P Hᵀ + R`` against the current state."""
        r = self.measurement_noise * self._scales()
        innovation = z - _H @ self._state
        s_cov = _H @ self._covariance @ _H.T + np.diag(r**2)
        return innovation, s_cov

    def _clamp(self):
        """Keep ``w, h ≥ min_size``; a size held at the floor stops shrinking."""
        for size, rate in ((2, 6), (3, 7)):
            if self._state[size] < self.min_size:
                self._state[size] = self.min_size
                self._state[rate] = max(self._state[rate], 0.0)
