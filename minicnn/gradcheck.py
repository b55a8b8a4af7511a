"""Numerical gradients by central differences, compared with the hand-written backward passes.

For every input value and weight ``θ_i`` that is checked::

    numerical_i = (f(θ + h·e_i) − f(θ − h·e_i)) / (2h)         error_i = |a_i − n_i| / max(|a_i| + |n_i|, tiny)

where ``a_i`` is the analytic gradient from ``backward`` and ``tiny`` keeps entries near zero from being judged
by a relative error that rounding alone makes large (see ``_tiny``). The default step ``h = 1e-5`` balances
rounding (∝ ε/h) against truncation (∝ h²) in float64. What ``f`` is depends on what is checked:

- a **layer**: ``f(x, θ) = Σ y(x, θ) · G`` with a fixed random upstream gradient ``G`` (distinct values, so a
  backward that mixes up positions is caught); its gradient is exactly what ``backward(G)`` must return. The
  difference is taken output by output, ``Σ (y⁺ − y⁻)·G``, so rounding scales with each output, not with the sum.
- a **loss**: ``f(ŷ) = L(y, ŷ)`` against ``loss.gradient(y, ŷ)``.
- a **model** (``Sequential``): ``f = L(y, model(x))`` against ``model.backward(loss.gradient(...))``.

An unbuilt layer or model is built first (as its first call would); then everything runs on a float64 copy (the
checked object's weights are never modified), and every
evaluation starts from the same copy, so Dropout masks and BatchNorm's moving averages are the same in each.
The active backend computes (on cuda, float64 kernels on the GPU; the results come back for the comparison).
"""

import copy
from dataclasses import dataclass, field

import numpy as np

from minicnn.backend import to_host
from minicnn.layers.base import Layer
from minicnn.losses import Loss, get_loss
from minicnn.model import Sequential


@dataclass
class GradientComparison:
    """One checked array: its name, how many entries were checked, and the worst one."""

    name: str
    checked: int
    max_error: float
    worst_index: tuple
    analytic: float
    numerical: float


@dataclass
class GradcheckReport:
    """The result of ``gradcheck``: one ``GradientComparison`` per input and weight; ``passed`` when every relative
    error is below ``tolerance``."""

    comparisons: list = field(default_factory=list)
    step: float = 1e-5
    dtype: str = "float64"
    tolerance: float = 1e-6

    @property
    def max_error(self):
        """The largest relative error over everything checked."""
        return max((c.max_error for c in self.comparisons), default=0.0)

    @property
    def errors(self):
        """``{name: max relative error}``."""
        return {c.name: c.max_error for c in self.comparisons}

    @property
    def passed(self):
        """True when every relative error is below ``tolerance``."""
        return self.max_error < self.tolerance

    def __str__(self):
        lines = [f"gradient check ({self.dtype}, step h={self.step:g}): max relative error {self.max_error:.2e}",
                 f"  {'array':<28}{'checked':>8}{'max rel. error':>16}   worst index: analytic vs numerical"]
        for c in self.comparisons:
            lines.append(f"  {c.name:<28}{c.checked:>8}{c.max_error:>16.2e}   {c.worst_index}: "
                         f"{c.analytic:.10g} vs {c.numerical:.10g}")
        if self.passed:
            lines.append(f"passed: every relative error is below {self.tolerance:g}")
        else:
            failed = ", ".join(c.name for c in self.comparisons if c.max_error >= self.tolerance)
            lines.append(f"NOT passed: {failed} above {self.tolerance:g}. Either a backward pass is wrong, or a "
                         f"difference stepped across a kink, where the function bends and has no derivative: a ReLU "
                         f"input within h of 0, a pooling window whose two largest inputs tie, a loss clipped at "
                         f"its bounds. A central difference there averages the slopes on both sides.")
        return "\n".join(lines)

    __repr__ = __str__


def relative_error(analytic, numerical, tiny=1e-12):
    """Elementwise ``|a − n| / max(|a| + |n|, tiny)``: 0 when equal, 1 when of opposite sign or one is zero."""
    analytic, numerical = np.asarray(analytic, np.float64), np.asarray(numerical, np.float64)
    return np.abs(analytic - numerical) / np.maximum(np.abs(analytic) + np.abs(numerical), tiny)


#: an entry is judged relative to its own size only when it is this many times above the estimated rounding
#: noise (the estimate is a lower bound; sums inside a layer can double it)
NOISE_MARGIN = 1e7


def _tiny(analytic, objective_scale, step):
    """The floor of the relative error's denominator.

    Rounding in ``f(θ ± h)`` leaves an absolute error of about ``ε₆₄·|f|/(2h)`` in every numerical entry (ε₆₄ is
    float64's machine epsilon), so an entry near zero — a weight whose input is near zero — would show a large
    relative error without any bug. Entries below ``NOISE_MARGIN`` times that noise, or below 1/1000 of the array's
    largest gradient, are judged against that level instead.
    """
    noise = np.finfo(np.float64).eps * objective_scale / (2 * step)
    return max(1e-12, NOISE_MARGIN * noise, 2e-3 * float(np.max(np.abs(analytic), initial=0.0)))


def _indices(shape, max_checks, rng):
    every = list(np.ndindex(*shape))
    if max_checks is None or len(every) <= max_checks:
        return every
    return [every[i] for i in sorted(rng.choice(len(every), size=max_checks, replace=False))]


def _compare(name, analytic, numerical_at, shape, max_checks, rng, tiny):
    indices = _indices(shape, max_checks, rng)
    numerical = np.array([numerical_at(index) for index in indices])
    picked = np.array([analytic[index] for index in indices])
    errors = relative_error(picked, numerical, tiny)
    worst = int(np.argmax(errors)) if len(errors) else 0
    return GradientComparison(name, len(indices), float(errors[worst]) if len(errors) else 0.0,
                              indices[worst] if indices else (), float(picked[worst]) if len(errors) else 0.0,
                              float(numerical[worst]) if len(errors) else 0.0)


def _weights(target):
    """``(name, layer index, key)`` for every trainable array of a layer or a model."""
    layers = target.layers if isinstance(target, Sequential) else [target]
    return [(f"{layer.name}.{key}" if isinstance(target, Sequential) else key, index, key)
            for index, layer in enumerate(layers) for key in layer.params]


def _layer(twin, index):
    return twin.layers[index] if isinstance(twin, Sequential) else twin


def gradcheck(target, x, y=None, loss=None, training=False, step=1e-5, max_checks=None, seed=0, grad_out=None,
              dtype=np.float64, tolerance=1e-6):
    """Compare ``target``'s hand-written gradients with central differences.

    Parameters
    ----------
    target : Layer, Loss or Sequential
    x : ndarray
        The layer's or model's input; for a loss, the predictions ``ŷ``.
    y : ndarray, optional
        Labels, for a loss or a model.
    loss : Loss or name, optional
        For a model: defaults to the compiled loss.
    training : bool
        Run layers in training mode (BatchNorm batch statistics, Dropout masks).
    step : float
        The difference step ``h``.
    max_checks : int, optional
        Check at most this many randomly chosen entries of each array (all when None).
    seed : int
        For the upstream gradient ``G`` and the choice of entries.
    grad_out : ndarray, optional
        The upstream gradient ``G`` for a layer (random normal when None).
    dtype : numpy dtype, default float64
        float32 shows why checks need float64 (rounding swamps the difference).
    tolerance : float, default 1e-6
        ``report.passed`` when every relative error is below it.

    Returns
    -------
    GradcheckReport
        ``report.passed``, ``report.max_error``, ``report.errors``, and a printable table with the worst entry of
        each array and the verdict.
    """
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=dtype)
    report = GradcheckReport(step=step, dtype=np.dtype(dtype).name, tolerance=tolerance)

    if isinstance(target, Loss):
        y = np.asarray(y)
        analytic = target.gradient(y, x)

        def numerical_at(index):
            plus, minus = x.copy(), x.copy()
            plus[index] += step
            minus[index] -= step
            return (target(y, plus) - target(y, minus)) / (2 * step)

        tiny = _tiny(analytic, abs(target(y, x)), step)
        report.comparisons.append(_compare("y_pred", analytic, numerical_at, x.shape, max_checks, rng, tiny))
        return report

    if isinstance(target, Layer):
        if not target.built:
            target.build((None,) + x.shape[1:])
        base = target.astype(dtype)
        output = to_host(copy.deepcopy(base).forward(x, training=training))
        upstream = rng.standard_normal(output.shape).astype(dtype) if grad_out is None else \
            np.asarray(grad_out, dtype=dtype)

        def objective_difference(twin_plus, x_plus, twin_minus, x_minus):
            difference = to_host(twin_plus.forward(x_plus, training=training)) - \
                to_host(twin_minus.forward(x_minus, training=training))
            return np.sum(difference * upstream)
        checked = copy.deepcopy(base)
        objective_scale = float(np.sum(np.abs(to_host(checked.forward(x, training=training)) * upstream)))
        analytic_x = to_host(checked.backward(upstream))
    elif isinstance(target, Sequential):
        if loss is None and target.loss is None:
            raise ValueError("gradcheck: a model needs a loss; compile it or pass loss=...")
        loss_fn = get_loss(loss if loss is not None else target.loss)
        if not target.built:
            target.build(target.input_shape or (None,) + x.shape[1:])
        base = target.astype(dtype)
        y = np.asarray(y)

        def objective_difference(twin_plus, x_plus, twin_minus, x_minus):
            return loss_fn(y, to_host(twin_plus.forward(x_plus, training=training))) - \
                loss_fn(y, to_host(twin_minus.forward(x_minus, training=training)))
        checked = copy.deepcopy(base)
        y_pred = to_host(checked.forward(x, training=training))
        objective_scale = abs(loss_fn(y, y_pred))
        analytic_x = to_host(checked.backward(loss_fn.gradient(y, y_pred)))
    else:
        raise TypeError(f"gradcheck: expected a Layer, a Loss or a Sequential, got {type(target).__name__}")

    def numerical_for_input(index):
        plus, minus = x.copy(), x.copy()
        plus[index] += step
        minus[index] -= step
        return objective_difference(copy.deepcopy(base), plus, copy.deepcopy(base), minus) / (2 * step)

    report.comparisons.append(_compare("x", analytic_x, numerical_for_input, x.shape, max_checks, rng,
                                       _tiny(analytic_x, objective_scale, step)))
    for name, index, key in _weights(base):
        def numerical_for_param(entry, index=index, key=key):
            twin_plus, twin_minus = copy.deepcopy(base), copy.deepcopy(base)
            _layer(twin_plus, index).params[key][entry] += step
            _layer(twin_minus, index).params[key][entry] -= step
            return objective_difference(twin_plus, x, twin_minus, x) / (2 * step)
        analytic = to_host(_layer(checked, index).grads[key])
        report.comparisons.append(_compare(name, analytic, numerical_for_param, analytic.shape, max_checks, rng,
                                           _tiny(analytic, objective_scale, step)))
    return report
