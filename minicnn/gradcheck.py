"""Numerical gradients by central differences, compared with the hand-written backward passes.

For every input value and weight ``θ_i`` that is checked::

    numerical_i = (f(θ + h·e_i) − f(θ − h·e_i)) / (2h)         error_i = |a_i − n_i| / max(|a_i| + |n_i|, tiny)

where ``a_i`` is the analytic gradient from ``backward`` and ``tiny`` keeps entries near zero from being judged
by a relative error that rounding alone makes large (see ``_tiny``). The default step ``h = 1e-5`` balances
rounding (∝ ε/h) against truncation (∝ h²) in float64. What ``f`` is depends on what is checked:

- a **layer**: ``f(x, θ) = Σ y(x, θ) · G`` with a fixed random upstream gradient ``G`` (distinct values, so a
  backward that mixes up positions is caught); its gradient is exactly what ``backward(G)`` must return. The
  differences are taken output by output, ``Σ (y⁺ − y⁰)·G``, so rounding scales with each output, not with the sum.
- a **loss**: ``f(ŷ) = L(y, ŷ)`` against ``loss.gradient(y, ŷ)``.
- a **model** (``Sequential``): ``f = L(y, model(x))`` against ``model.backward(loss.gradient(...))``.

**Kinks.** ReLU bends at 0, max pooling wherever the two largest inputs of a window tie, a clipped loss at its
bounds: there the function has no derivative, and a central difference that steps across such a kink averages
the slopes on its two sides. So the central difference is taken as the mean of the two one-sided slopes,
``left = (f(θ) − f(θ − h))/h`` and ``right = (f(θ + h) − f(θ))/h``, and an entry that fails is said to sit on a
kink when those two differ (by more than rounding can explain) and the hand-written gradient lies between them:
it is the exact slope on the side without the kink, or, where several kinks meet at θ (ties), a mix of the
slopes on both sides. Such entries are counted, not judged; a wrong gradient falls between the two slopes only
by chance.

An unbuilt layer or model is built first (as its first call would); then everything runs on a float64 copy (the
checked object's weights are never modified), and every
evaluation starts from the same copy, so Dropout masks and BatchNorm's moving averages are the same in each.
The active backend computes (on cuda, float64 kernels on the GPU; the results come back for the comparison).

**What a comparison cannot see.** Every forward gets its own copy of ``x`` and every backward its own copy of the
upstream gradient, and the check asks what the comparison takes for granted; where it fails, the report says so
(``report.problems``) and does not pass: a forward that changes its input in place, gives other outputs for the
same input (a random draw), computes in a dtype of its own, or makes weights that ``build`` did not; a backward
that adds to ``grads`` (``+=``) rather than setting them, seen by calling it twice; in a model, a layer whose
forward changes its input in place; for a layer, an output a model refuses (a list, one averaged over the batch, a
shape its ``compute_output_shape`` does not give). A gradient of another shape than its array, a backward that
returns None and a ``grads`` key missing are errors that name them. Under a failing array the report names what
its entries have in common: a numerical gradient of 0 (the array is not read), a hand-written one of 0 (never set),
or one constant factor (the opposite sign, 1/N twice). An array whose gradients are all within rounding of 0
(below ``FLAT``: a model at an exact fit) is flat: nothing there is judged, and the check does not pass. The
verdict says where differences may come from instead of a wrong backward: float32 rounding, a forward that is not
a function, a binary cross-entropy near its clip.
"""

import copy
import numbers
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from minicnn import checks
from minicnn.backend import to_host
from minicnn.errors import NonFiniteError, ShapeError
from minicnn.layers.base import Layer, _float_dtype, build_checked, check_layer_contract, gradient_for
from minicnn.losses import BinaryCrossentropy, Loss, get_loss
from minicnn.model import Sequential, check_layer_output
from minicnn.progress import ProgressBar


@dataclass
class GradientComparison:
    """One checked array: its name, how many entries were checked, the worst one judged, how many entries sat on a
    kink (not judged), how many judged entries failed, and how many of those sat on a bend with the hand-written
    gradient outside its one-sided slopes (``bends_outside``: a wrong gradient, or several kinks meeting there)."""

    name: str
    checked: int
    max_error: float
    worst_index: tuple
    analytic: float
    numerical: float
    kinks: int = 0
    hint: str = ""
    flat: bool = False
    bends_outside: int = 0
    failed: int = 0


@dataclass
class GradcheckReport:
    """The result of ``gradcheck``: one ``GradientComparison`` per input and weight; ``passed`` when every relative
    error is below ``tolerance``, something was judged in every array and ``problems`` (what the forward or
    backward pass does that a gradient check cannot trust, in words) is empty."""

    comparisons: list = field(default_factory=list)
    step: float = 1e-5
    dtype: str = "float64"
    tolerance: float = 1e-6
    clipped_samples: int = 0
    near_clip_samples: int = 0
    samples: int = 0
    problems: list = field(default_factory=list)
    untrusted: bool = False

    @property
    def max_error(self):
        """The largest relative error over everything checked."""
        return max((c.max_error for c in self.comparisons), default=0.0)

    @property
    def errors(self):
        """``{name: max relative error}``."""
        return {c.name: c.max_error for c in self.comparisons}

    @property
    def unjudged(self):
        """The arrays of which every checked entry sat on a kink: nothing there was compared."""
        return [c.name for c in self.comparisons if c.checked and c.kinks == c.checked]

    @property
    def flat(self):
        """The arrays whose gradients are all within rounding of 0 on both sides (``FLAT``): nothing to compare."""
        return [c.name for c in self.comparisons if c.flat]

    @property
    def passed(self):
        """True when every relative error is below ``tolerance``, something was judged in every array (none all
        kinks, none flat), and no problem was found with the forward or backward pass themselves (``problems``)."""
        return self.max_error < self.tolerance and not self.unjudged and not self.flat and not self.problems

    @property
    def kinks(self):
        """How many checked entries sat on a kink (not judged), over every array."""
        return sum(c.kinks for c in self.comparisons)

    def __str__(self):
        kinks = f"{'kinks':>7}" if self.kinks else ""
        lines = [f"gradient check ({self.dtype}, step h={self.step:g}): max relative error {self.max_error:.2e}",
                 f"  {'array':<28}{'checked':>8}{kinks}{'max rel. error':>16}   worst index: analytic vs numerical"]
        for c in self.comparisons:
            kinks = f"{c.kinks:>7}" if self.kinks else ""
            lines.append(f"  {c.name:<28}{c.checked:>8}{kinks}{c.max_error:>16.2e}   {c.worst_index}: "
                         f"{c.analytic:.10g} vs {c.numerical:.10g}")
        if self.untrusted:  # the table's differences may be the draw's or the rounding's: kinks, hints mean nothing
            lines.extend(f"NOT passed: {problem}" for problem in self.problems)
            lines.append("The table above cannot be read until that is mended: its differences may come from the "
                         "forward pass itself rather than from the backward pass.")
            return "\n".join(lines)
        if self.kinks:
            lines.append(f"{self.kinks} {'entry' if self.kinks == 1 else 'entries'} sat on a kink (a ReLU input "
                         f"within h of 0, a tie in a pooling window, a clipped loss): the slopes on either side "
                         f"differ and the hand-written gradient lies between them. There is no derivative to "
                         f"compare, so they are not judged.")
        if self.clipped_samples:
            lines.append(f"The loss clips the predictions of {self.clipped_samples} of {self.samples} samples (a "
                         f"probability within 1e-7 of 0 or 1, as after training): there its value is flat, while "
                         f"its gradient is the formula's at the clipped probability. No check passes through that; "
                         f"check before training, or with a loss on logits (from_logits=True).")
        if self.near_clip_samples:
            lines.append(f"{self.near_clip_samples} of {self.samples} samples have a probability within 1e-4 of 0 "
                         f"or 1: the loss's log magnifies rounding there by 1/p or 1/(1 − p), enough to fail a right "
                         f"gradient; check where the predictions are less certain, or with a loss on logits.")
        lines.extend(f"  {c.name}: {c.hint}" for c in self.comparisons if c.hint)
        if self.passed:
            lines.append(f"passed: every relative error is below {self.tolerance:g}")
            return "\n".join(lines)
        lines.extend(f"NOT passed: {problem}" for problem in self.problems)
        if self.flat:
            lines.append(f"NOT passed: every gradient of {', '.join(self.flat)} is within rounding of 0 (below "
                         f"{FLAT:g}, both hand-written and numerical): the function is flat there (a model at an "
                         f"exact fit, say), so nothing was compared; check at a point away from it.")
        if self.unjudged:
            lines.append(f"NOT passed: every checked entry of {', '.join(self.unjudged)} sat on a kink, so nothing "
                         f"there was compared; check at a point away from the bends (add a little noise to x).")
        failing = [c for c in self.comparisons if c.max_error >= self.tolerance]
        if failing and (self.clipped_samples or self.near_clip_samples):  # a clip makes hints (a factor) too
            lines.append(f"NOT passed: {', '.join(c.name for c in failing)} above {self.tolerance:g}: a wrong "
                         f"backward pass, or the samples at or near the loss's clip named above, whose differences "
                         f"a right gradient fails; check away from them to tell which.")
        elif failing and all(c.hint for c in failing):  # each says above what it has in common: a bug, no kink
            lines.append(f"NOT passed: {', '.join(c.name for c in failing)} above {self.tolerance:g}: a backward "
                         f"pass is wrong (see the line on each above).")
        elif failing and self.dtype == "float32":
            lines.append(f"NOT passed: {', '.join(c.name for c in failing)} above {self.tolerance:g}, in float32, "
                         f"where rounding alone moves a difference quotient by about ε·|f|/h (ε = 1.2e-7): a wrong "
                         f"backward pass and rounding look alike here; check in float64 (the default) to tell them "
                         f"apart.")
        elif failing and all(c.bends_outside == c.failed for c in failing):  # each failing entry sits on a bend
            bends = sum(c.bends_outside for c in failing)
            lines.append(f"NOT passed: {', '.join(c.name for c in failing)} above {self.tolerance:g}: a backward "
                         f"pass is wrong, or several kinks meet where it was checked. At {bends} failing "
                         f"{'entry' if bends == 1 else 'entries'} the one-sided slopes (f(θ) − f(θ − h))/h and "
                         f"(f(θ + h) − f(θ))/h differ as at a bend (a ReLU input within h of 0, a pooling window "
                         f"whose two largest inputs tie), and the hand-written gradient lies outside them: a wrong "
                         f"gradient does, and so can a right one where several bends meet (ties side by side in a "
                         f"flat patch of an image). Check at a point away from the bends (add noise far below the "
                         f"data's scale to x) to tell which.")
        elif failing:  # every failing entry judged was tested for a kink (_compare) and did not sit on one
            lines.append(f"NOT passed: {', '.join(c.name for c in failing)} above {self.tolerance:g}: a backward "
                         f"pass is wrong. No kink explains it: where the function bends (a ReLU input within h of 0, "
                         f"a pooling window whose two largest inputs tie, a loss clipped at its bounds) the slopes "
                         f"(f(θ) − f(θ − h))/h and (f(θ + h) − f(θ))/h differ and the right gradient lies between "
                         f"them; at the entries judged they agree within rounding, or the hand-written gradient lies "
                         f"outside them.")
        return "\n".join(lines)

    __repr__ = __str__


def relative_error(analytic, numerical, tiny=1e-12):
    """Elementwise ``|a − n| / max(|a| + |n|, tiny)``: 0 when equal, 1 when of opposite sign or one is zero."""
    analytic, numerical = np.asarray(analytic, np.float64), np.asarray(numerical, np.float64)
    return np.abs(analytic - numerical) / np.maximum(np.abs(analytic) + np.abs(numerical), tiny)


#: an entry is judged relative to its own size only when it is this many times above the estimated rounding
#: noise (the estimate is a lower bound; sums inside a layer can double it)
NOISE_MARGIN = 1e7

#: an array whose gradients are all below this, both the hand-written and the numerical ones, is flat within
#: rounding (a model at an exact fit: 0 vs 7e-15 read as a relative error of 1): nothing there can be judged
FLAT = 1e-10


def _tiny(analytic, objective_scale, step):
    """The floor of the relative error's denominator.

    Rounding in ``f(θ ± h)`` leaves an absolute error of about ``ε₆₄·|f|/(2h)`` in every numerical entry (ε₆₄ is
    float64's machine epsilon), so an entry near zero — a weight whose input is near zero — would show a large
    relative error without any bug. Entries below ``NOISE_MARGIN`` times that noise, or below 1/1000 of the array's
    largest gradient, are judged against that level instead.
    """
    noise = np.finfo(np.float64).eps * objective_scale / (2 * step)
    return max(1e-12, NOISE_MARGIN * noise, 2e-3 * float(np.max(np.abs(analytic), initial=0.0)))


def _kink_floor(objective_scale, step, dtype, tolerance):
    """How far apart the two one-sided slopes must be before a kink is believed: the rounding noise of a
    one-sided slope, ``ε·|f|/h`` with the checked dtype's ε, times ``NOISE_MARGIN``, times the tolerance (the same
    level below which ``_tiny`` judges an entry against the noise rather than its own size). In float32 this is
    so large that nothing counts as a kink: there, rounding explains any difference."""
    return tolerance * NOISE_MARGIN * np.finfo(dtype).eps * objective_scale / step


def _indices(shape, max_checks, rng):
    every = list(np.ndindex(*shape))
    if max_checks is None or len(every) <= max_checks:
        return every
    return [every[i] for i in sorted(rng.choice(len(every), size=max_checks, replace=False))]


def _compare(name, analytic, slopes_at, shape, max_checks, rng, scale, step, dtype, tolerance, batch):
    """Check sampled entries of one array. ``slopes_at(index, h)`` gives the one-sided slopes ``(left, right)`` with
    step ``h``; their mean is the central difference. ``scale`` is the objective's size (for the rounding noise),
    ``batch`` the number of samples (for the hint).

    A failing entry whose slopes differ by more than rounding (``_kink_floor``) and whose hand-written gradient lies
    between them may sit on a kink, or on a curve (a smooth function's slopes differ by its curvature times h). It
    is measured again with h/10, then h/100: where the entry passes, it is judged there (a kink farther away than
    the step no longer reaches it); where the slopes stay as far apart (at least half) and the gradient between
    them, a kink lies within reach of every step, and the entry is counted, not judged; a curve's slopes close up
    tenfold at each step, and at h/100 the entry is judged."""
    indices = _indices(shape, max_checks, rng)
    if not indices:
        return GradientComparison(name, 0, 0.0, (), 0.0, 0.0)
    left, right = np.array([slopes_at(index, step) for index in indices], dtype=np.float64).reshape(-1, 2).T
    numerical = (left + right) / 2
    picked = np.array([analytic[index] for index in indices], dtype=np.float64)
    if np.all(np.abs(picked) < FLAT) and np.all(np.abs(numerical) < FLAT):  # (False for NaN: judged below)
        return GradientComparison(name, len(indices), 0.0, indices[0], float(picked[0]), float(numerical[0]),
                                  flat=True)
    tiny = _tiny(analytic, scale, step)
    errors = relative_error(picked, numerical, tiny)
    gap = np.abs(right - left)
    on_kink = np.zeros(len(indices), dtype=bool)
    for i in np.flatnonzero((errors >= tolerance) & (gap > _kink_floor(scale, step, dtype, tolerance)) &
                            _between(picked, left, right, numerical)):
        previous_gap = gap[i]
        for h in (step / 10, step / 100):
            small_left, small_right = slopes_at(indices[i], h)
            numerical[i] = (small_left + small_right) / 2
            errors[i] = relative_error(picked[i], numerical[i], _tiny(analytic, scale, h))
            small_gap = abs(small_right - small_left)
            if errors[i] < tolerance:
                break
            if (small_gap > previous_gap / 2 and small_gap > _kink_floor(scale, h, dtype, tolerance) and
                    _between(picked[i], small_left, small_right, numerical[i])):
                on_kink[i] = True
                break
            previous_gap = small_gap
    judged = np.where(on_kink, 0.0, np.where(np.isnan(errors), np.inf, errors))  # a NaN gradient fails, by name
    worst = int(np.argmax(np.where(on_kink, -1.0, judged)))  # a kink is not the worst entry: it was not judged
    hint = _hint(picked[~on_kink], numerical[~on_kink], judged[worst] >= tolerance, tiny, tolerance, batch)
    failed = judged >= tolerance
    bends_outside = sum(_bend_with_the_gradient_outside(slopes_at, indices[i], gap[i], step, scale, dtype, tolerance)
                        for i in np.flatnonzero(failed & ~_between(picked, left, right, numerical)))
    return GradientComparison(name, len(indices), float(judged[worst]), indices[worst], float(picked[worst]),
                              float(numerical[worst]), int(on_kink.sum()), hint, bends_outside=bends_outside,
                              failed=int(failed.sum()))


def _bend_with_the_gradient_outside(slopes_at, index, gap, step, scale, dtype, tolerance):
    """Whether a failing entry whose hand-written gradient lies outside its one-sided slopes sits on a bend all the
    same: slopes apart by more than rounding, still as far apart (at least half) with h/10, as a kink's stay and a
    smooth curve's do not. Where several kinks meet at one point (ties side by side in a flat patch of an image:
    ReLU inputs at 0, pooling windows with equal largest inputs), the function is another linear piece on each
    side, and a right gradient (one of the pieces', as backward picks the first maximum) can lie outside the
    slopes along the entry's axis: then no comparison there tells a right gradient from a wrong one."""
    if not gap > _kink_floor(scale, step, dtype, tolerance):
        return False
    small_left, small_right = slopes_at(index, step / 10)
    small_gap = abs(small_right - small_left)
    return bool(small_gap > gap / 2 and small_gap > _kink_floor(scale, step / 10, dtype, tolerance))


def _between(analytic, left, right, numerical):
    """Whether the hand-written gradient lies between the two one-sided slopes (with a tenth of its distance to
    their mean as slack: the near side's own truncation error can put it just outside)."""
    slack = np.abs(analytic - numerical) / 10
    return (analytic >= np.minimum(left, right) - slack) & (analytic <= np.maximum(left, right) + slack)


def _hint(analytic, numerical, failed, tiny, tolerance, batch):
    """What the judged entries of a failing array have in common, in words: a numerical gradient of 0 everywhere
    (changing the array changes nothing), or one constant factor between the two gradients (the opposite sign, a
    1/N applied twice, a missing 2); "" when they share nothing or the array passed."""
    if not failed or not len(analytic):
        return ""
    if np.isnan(analytic).any():
        return ("the hand-written gradient is NaN at an entry checked: does backward divide 0 by 0, subtract "
                "infinities, or leave entries it never set (np.empty)?")
    if not np.any(numerical) and np.any(analytic):
        return ("the numerical gradient is 0 at every entry checked: changing this array does not change the "
                "output. Does forward read it (not a copy made earlier), and compute in floats?")
    if not np.any(analytic) and np.any(numerical):
        return ("the hand-written gradient is 0 at every entry checked, where the numerical one is not: does "
                "backward set this gradient (self.grads[...] = ..., or return ∂L/∂x)?")
    sized = (np.abs(analytic) > tiny) & (np.abs(numerical) > tiny)
    if sized.sum() < 2 or sized.sum() < len(analytic) / 2:
        return ""
    ratios = analytic[sized] / numerical[sized]
    factor = float(np.median(ratios))
    if np.max(np.abs(ratios - factor)) > 1e-3 * abs(factor) or f"{factor:.4g}" == "1":  # "1 times" says nothing
        return ""
    masked = ~sized & ((analytic == 0) != (numerical == 0)) & (np.maximum(np.abs(analytic), np.abs(numerical)) > tiny)
    where = ("at every entry checked" if sized.all() else
             f"at the {int(sized.sum())} of {len(sized)} entries checked where neither is 0 (at "
             f"{int(masked.sum())} others one of them is 0: a mask left out?)" if masked.any() else
             f"at the {int(sized.sum())} of {len(sized)} entries checked large enough to compare")
    if abs(factor + 1) < 1e-3:
        return f"the hand-written gradient has the opposite sign {where} (a minus sign lost?)"
    named = ""
    if batch > 1 and abs(factor * batch - 1) < 1e-3:
        named = f", which is 1/{batch}, one over the batch size (a mean taken twice?)"
    elif batch > 1 and abs(factor / batch - 1) < 1e-3:
        named = f", which is {batch}, the batch size (a mean left out?)"
    return (f"the hand-written gradient is {factor:.4g} times the numerical one {where}{named}: a constant factor "
            f"is wrong or missing")


def _weights(target):
    """``(name, layer index, key)`` for every trainable array of a layer or a model."""
    layers = target.layers if isinstance(target, Sequential) else [target]
    return [(f"{layer.name}.{key}" if isinstance(target, Sequential) else key, index, key)
            for index, layer in enumerate(layers) for key in layer.params]


def _layer(twin, index):
    return twin.layers[index] if isinstance(twin, Sequential) else twin


def _check_arguments(step, tolerance, max_checks):
    """``step`` and ``tolerance`` are finite numbers > 0 (a zero step divides by zero, a zero tolerance never
    passes); ``max_checks`` is None (check every entry) or a whole number ≥ 1."""
    for argument, value in (("step", step), ("tolerance", tolerance)):
        if not checks.finite_number(value) or value <= 0:
            a_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
            error = ValueError if a_number else TypeError
            raise error(f"gradcheck: {argument} must be a finite number > 0, got {value!r}")
    if max_checks is not None and (not isinstance(max_checks, numbers.Integral) or isinstance(max_checks, bool)):
        raise TypeError(f"gradcheck: max_checks must be None or a whole number ≥ 1, got {max_checks!r}")
    if max_checks is not None and max_checks < 1:
        raise ValueError(f"gradcheck: max_checks must be None or a whole number ≥ 1, got {max_checks!r}")


def _check_input(layer, x):
    """``x`` must be a batch the layer takes (``Layer.check_input_shape``: its rank, its declared ``input_shape``, a
    window that fits). gradcheck builds an unbuilt layer for ``x``'s shape before the layer's own first call would
    check it, so it checks first: the layer would otherwise be built for the wrong shape and blame itself."""
    try:
        layer.check_input_shape(x.shape)
    except ShapeError as error:
        raise ShapeError(f"gradcheck: x: {error}") from None


def _check_what_the_target_uses(target, y, loss, grad_out):
    """A loss is checked on ``y``, a model on ``y`` through its loss, a layer on ``grad_out``: an argument the target
    does not use was silently ignored (``gradcheck(layer, x, y)`` checked a random upstream gradient, not ``y``)."""
    if isinstance(target, (Loss, Sequential)) and y is None:
        raise ValueError(f"gradcheck: a {'loss' if isinstance(target, Loss) else 'model'} is checked on labels; "
                         "give y")
    unused = []
    if isinstance(target, Layer):
        unused = [name for name, value in (("y", y), ("loss", loss)) if value is not None]
        how = "a layer is checked on grad_out (random when None), not on labels"
    elif isinstance(target, Loss):
        unused = [name for name, value in (("loss", loss), ("grad_out", grad_out)) if value is not None]
        how = "a loss is checked on y alone"
    elif isinstance(target, Sequential):
        unused = ["grad_out"] if grad_out is not None else []
        how = "a model is checked through its loss, on y"
    if unused:
        raise TypeError(f"gradcheck: {' and '.join(unused)} given for a {type(target).__name__}, which does not use "
                        f"{'them' if len(unused) > 1 else 'it'}: {how}")


def _upstream_gradient(grad_out, output, rng, dtype):
    """The upstream gradient ``G``: ``grad_out``, which must have the output's shape and be finite, or random
    normal."""
    if grad_out is None:
        return rng.standard_normal(output.shape).astype(dtype)
    grad_out = np.asarray(grad_out, dtype=dtype)
    if grad_out.shape != output.shape:
        raise ShapeError(f"gradcheck: grad_out must have the shape of the layer's output, {output.shape}, got "
                         f"{grad_out.shape}")
    if not np.all(np.isfinite(grad_out)):
        raise NonFiniteError("gradcheck: grad_out contains NaN or infinity")
    return grad_out


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
    step : float > 0
        The difference step ``h``.
    max_checks : int ≥ 1, optional
        Check at most this many randomly chosen entries of each array (all when None: a whole network's million
        weights take hours, so more than ``LARGE_CHECK`` entries warn first). A check that runs longer than a few
        seconds shows a progress bar over its entries.
    seed : int ≥ 0, numpy.random.Generator or None
        For the upstream gradient ``G`` and the choice of entries (fresh randomness when None).
    grad_out : ndarray, optional
        The upstream gradient ``G`` for a layer, of the layer's output shape (random normal when None).
    dtype : float64 (default) or float32
        float32 shows why checks need float64 (rounding swamps the difference).
    tolerance : float > 0, default 1e-6
        ``report.passed`` when every relative error is below it.

    Returns
    -------
    GradcheckReport
        ``report.passed``, ``report.max_error``, ``report.errors``, and a printable table with the worst entry of
        each array and the verdict.
    """
    training = checks.flag(training, "training", "gradcheck")
    rng = np.random.default_rng(checks.seed(seed, "seed", "gradcheck"))
    _check_arguments(step, tolerance, max_checks)
    dtype = _float_dtype(dtype, "gradcheck")
    x = np.array(checks.real_array(x, "x", "gradcheck"), dtype=dtype)
    report = GradcheckReport(step=step, dtype=dtype.name, tolerance=tolerance)

    if isinstance(target, type):
        raise TypeError(f"gradcheck: got the class {target.__name__}; pass an instance of it, e.g. "
                        f"{target.__name__}(...)")
    _check_what_the_target_uses(target, y, loss, grad_out)
    if isinstance(target, Loss):
        y = np.asarray(y)
        analytic = target.gradient(y, x.copy())
        _check_returned_gradient(f"{type(target).__name__}.gradient", analytic, x.shape, "∂L/∂ŷ", "predictions'")
        analytic = np.asarray(analytic)
        at_x = target(y, x.copy())
        report.clipped_samples, report.samples = int(np.sum(target.clipped(y, x))), len(x)
        report.near_clip_samples = _near_the_clip(target, y, x)

        def slopes_at(index, h):
            plus, minus = x.copy(), x.copy()
            plus[index] += h
            minus[index] -= h
            return (at_x - target(y, minus)) / h, (target(y, plus) - at_x) / h

        report.comparisons.append(_compare("y_pred", analytic, slopes_at, x.shape, max_checks, rng, abs(at_x), step,
                                           dtype, tolerance, len(x)))
        return report

    if isinstance(target, Layer):
        check_layer_contract(target, "gradcheck")
        _check_input(target, x)
        if not target.built:
            build_checked(target, (None,) + x.shape[1:], "gradcheck")
        base = target.astype(dtype)
        checked, given = copy.deepcopy(base), x.copy()
        returned = checked.forward(given, training=training)
        output = np.asarray(to_host(returned))
        try:  # what a model would refuse: checked on what forward returned (a list, say), before np.asarray
            check_layer_output(checked, returned, len(x), checked.compute_output_shape((None,) + x.shape[1:]))
        except (ShapeError, TypeError) as error:
            report.problems.append(f"{error} (a model refuses this layer)")
        upstream = _upstream_gradient(grad_out, output, rng, dtype)

        def objective_changes(twin_minus, x_minus, twin_plus, x_plus):
            """``(f(θ) − f(θ − h), f(θ + h) − f(θ))``, output by output."""
            below = to_host(twin_minus.forward(x_minus, training=training))
            above = to_host(twin_plus.forward(x_plus, training=training))
            return np.sum((output - below) * upstream), np.sum((above - output) * upstream)

        objective_scale = float(np.sum(np.abs(output * upstream)))
        who = f"{target.describe()}.backward"

        def run_backward():
            return checked.backward(upstream.copy())  # a backward that writes into its argument keeps it to itself
    elif isinstance(target, Sequential):
        if loss is None and target.loss is None:
            raise ValueError("gradcheck: a model needs a loss; compile it or pass loss=...")
        loss_fn = get_loss(loss if loss is not None else target.loss)
        if target.layers:
            _check_input(target.layers[0], x)
        if not target.built:
            target.build(target.input_shape or (None,) + x.shape[1:])
        base = target.astype(dtype)
        y = np.asarray(y)
        checked, given = copy.deepcopy(base), x.copy()
        output = np.asarray(to_host(checked.forward(given, training=training)))
        at_x = loss_fn(y, output)
        grad_output = loss_fn.gradient(y, output)
        report.clipped_samples, report.samples = int(np.sum(loss_fn.clipped(y, output))), len(x)
        report.near_clip_samples = _near_the_clip(loss_fn, y, output)

        def objective_changes(twin_minus, x_minus, twin_plus, x_plus):
            """``(f(θ) − f(θ − h), f(θ + h) − f(θ))``."""
            return (at_x - loss_fn(y, to_host(twin_minus.forward(x_minus, training=training))),
                    loss_fn(y, to_host(twin_plus.forward(x_plus, training=training))) - at_x)

        objective_scale = abs(at_x)
        who = f"{target.name}.backward"

        def run_backward():
            return checked.backward(np.array(grad_output))
    else:
        raise TypeError(f"gradcheck: expected a Layer, a Loss or a Sequential, got {type(target).__name__}")

    problems, report.untrusted = _forward_problems(base, checked, x, given, output, dtype, training)
    report.problems += problems
    try:
        analytic_x, analytic_weights = _analytic_gradients(run_backward, who, checked, base, x.shape)
    except (ShapeError, TypeError) as error:
        if not report.problems:
            raise
        raise type(error)(f"{error}. Before that, the forward pass: {'; '.join(report.problems)}") from None
    again_x, again_weights = _analytic_gradients(run_backward, who, checked, base, x.shape)
    report.problems += _backward_problems(analytic_x, analytic_weights, again_x, again_weights)
    progress = _Progress(sum(min(array.size, max_checks or array.size) for array in [analytic_x] + analytic_weights))
    if max_checks is None and progress.total > LARGE_CHECK:
        warnings.warn(f"gradcheck: {progress.total:,} entries to check, each by two forward passes; for a quicker "
                      f"check of a random sample, pass max_checks=20 (that many entries of each array)", stacklevel=2)

    def slopes_for_input(index, h):
        progress.tick(h == step)
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        below, above = objective_changes(copy.deepcopy(base), minus, copy.deepcopy(base), plus)
        return below / h, above / h

    try:  # a bar that has appeared ends its line, also where a check fails part-way
        report.comparisons.append(_compare("x", analytic_x, slopes_for_input, x.shape, max_checks, rng,
                                           objective_scale, step, dtype, tolerance, len(x)))
        for (name, index, key), analytic in zip(_weights(base), analytic_weights):
            def slopes_for_param(entry, h, index=index, key=key):
                progress.tick(h == step)
                twin_plus, twin_minus = copy.deepcopy(base), copy.deepcopy(base)
                _layer(twin_plus, index).params[key][entry] += h
                _layer(twin_minus, index).params[key][entry] -= h
                below, above = objective_changes(twin_minus, x.copy(), twin_plus, x.copy())
                return below / h, above / h
            report.comparisons.append(_compare(name, analytic, slopes_for_param, analytic.shape, max_checks, rng,
                                               objective_scale, step, dtype, tolerance, len(x)))
    finally:
        progress.finish()
    return report


#: a check of more entries than this, with max_checks=None, warns first (each entry costs two forward passes)
LARGE_CHECK = 20_000

#: seconds after which a check still running shows a progress bar over its entries
SHOW_PROGRESS_AFTER = 3.0


class _Progress:
    """A progress bar over the entries a check compares, shown only once the check has run longer than
    ``SHOW_PROGRESS_AFTER`` seconds: a check of a layer stays silent, one of a whole network says how long it has
    left. ``tick(True)`` before each entry's first differences; an entry measured again with a smaller step ticks
    with False, which only keeps the bar moving."""

    def __init__(self, total):
        self.total, self.done, self.bar = total, 0, None
        self.start = time.perf_counter()

    def tick(self, counts=True):
        if self.bar is None and time.perf_counter() - self.start > SHOW_PROGRESS_AFTER:
            self.bar = ProgressBar(self.total, unit="entry", started=self.start)  # timed from the check's start
        self.done += counts
        if self.bar is not None:
            self.bar.update(min(self.done, self.total))

    def finish(self):
        if self.bar is not None:
            self.bar.finish()


def _check_returned_gradient(who, gradient, shape, what, whose):
    """A hand-written backward (or a loss's gradient) returned ``gradient``, which must be an array of ``shape``:
    None (a forgotten ``return``), or a gradient transposed, summed over the batch or flattened, is named here
    rather than failing inside the comparison."""
    if gradient is None:
        raise TypeError(f"gradcheck: {who} returned None; it must return {what}, an array of the {whose} shape "
                        f"{tuple(shape)} (a forgotten return?)")
    if tuple(np.shape(gradient)) != tuple(shape):
        raise ShapeError(f"gradcheck: {who} returned {what} of shape {tuple(np.shape(gradient))}; expected the "
                         f"{whose} shape {tuple(shape)}")


def _analytic_gradients(run_backward, who, checked, base, x_shape):
    """``(∂L/∂x, [∂L/∂w for every weight in _weights order])`` on the host from one call of ``run_backward``, after
    checking that each has the shape of what it is the gradient of and that ``grads`` holds every key of
    ``params``."""
    analytic_x = run_backward()
    _check_returned_gradient(who, analytic_x, x_shape, "∂L/∂x", "input's")
    weights = []
    for _, index, key in _weights(base):
        layer = _layer(checked, index)
        gradient = to_host(gradient_for(layer, key, "gradcheck"))
        if tuple(np.shape(gradient)) != layer.params[key].shape:
            raise ShapeError(f"gradcheck: {layer.describe()}.grads[{key!r}] has shape {tuple(np.shape(gradient))}; "
                             f"expected {layer.params[key].shape}, the shape of params[{key!r}] (a gradient has "
                             f"its parameter's shape)")
        weights.append(np.array(gradient, dtype=np.float64))
    return np.array(to_host(analytic_x), dtype=np.float64), weights


def _forward_problems(base, checked, x, given, output, dtype, training):
    """``(problems, untrusted)``: what makes a forward pass something a gradient check cannot trust, in words (it
    changed its input in place, ``given`` being a copy of ``x``, or in a model a later layer's input; it gives other
    outputs for the same input and weights, a fresh copy of ``base`` run again; it computes in another dtype; it made
    weights that ``build`` did not), and whether the forward is not a function of its input in the checked dtype, so
    that no difference quotient can be read."""
    problems = []
    if not np.array_equal(given, x, equal_nan=True):
        problems.append("forward changed its input x in place (x **= 2, x[...] = ...), so the caller's data changes "
                        "with every call; compute into a new array (x = x ** 2)")
    changer = _layer_that_changes_its_input(base, x, training) if isinstance(base, Sequential) else None
    if changer is not None:
        problems.append(f"the forward of {changer.describe()} changed its input in place (x *= 2, x[...] = ...): the "
                        f"layer before it may keep that array for its backward (a sigmoid's output, say), which would "
                        f"then compute with changed numbers and look wrong; compute into a new array (x = x * 2)")
    again = np.asarray(to_host(copy.deepcopy(base).forward(x.copy(), training=training)))
    random, other_dtype = not np.array_equal(again, output, equal_nan=True), output.dtype != dtype
    if random:
        problems.append("forward gave other outputs for the same input and weights (a random draw?); a gradient "
                        "check needs a function: draw from a generator the layer keeps and seeds, as "
                        "Dropout(seed=...) does")
    if other_dtype:
        why = "rounding swamps the differences" if output.dtype.kind == "f" else "whole numbers have no gradient"
        problems.append(f"forward returned {output.dtype} where the check computes in {dtype}: the layer computes "
                        f"in a dtype of its own (written into forward?), and {why}")
    base_layers = base.layers if isinstance(base, Sequential) else [base]
    checked_layers = checked.layers if isinstance(checked, Sequential) else [checked]
    for before, after in zip(base_layers, checked_layers):
        made = sorted(set(after.params) - set(before.params))
        if made:
            problems.append(f"the forward of {after.describe()} made weights {made} that its build did not, so every "
                            f"call makes them anew and nothing checks or trains them; make them in "
                            f"build(input_shape)")
    return problems, random or other_dtype


def _near_the_clip(loss, y, predictions):
    """How many samples a binary cross-entropy on probabilities sees within 1e-4 of the side their label does not
    fully take (p near 1 where y < 1, p near 0 where y > 0), without clipping them: its ``log(1 − p)`` or ``log p``
    magnifies rounding there by up to 10⁴."""
    if not isinstance(loss, BinaryCrossentropy) or loss.from_logits:
        return 0
    p = np.asarray(predictions, np.float64).reshape(len(predictions), -1)
    labels = np.asarray(loss.labels(y, np.shape(predictions), np.float64)).reshape(p.shape)
    near = (((p > 1 - 1e-4) & (labels < 1)) | ((p < 1e-4) & (labels > 0))).any(axis=1)  # where a log magnifies
    return int(np.sum(near & ~np.asarray(loss.clipped(y, predictions))))


def _layer_that_changes_its_input(model, x, training):
    """The first layer after the first (whose input is the caller's ``x``, checked on its own) whose forward
    changes its input array in place, in a copy of ``model`` run layer by layer; None if none does."""
    twin, data = copy.deepcopy(model), np.array(x, copy=True)
    for index, layer in enumerate(twin.layers):
        kept = np.array(to_host(data), copy=True)
        output = layer.forward(data, training=training)
        if index and not np.array_equal(kept, to_host(data), equal_nan=True):
            return layer
        data = output
    return None


def _backward_problems(analytic_x, analytic_weights, again_x, again_weights):
    """A second backward with the same upstream gradient must give the same gradients: one that adds to ``grads``
    (``+=``) instead of setting them doubles them on every step of training."""
    if all(np.array_equal(a, b, equal_nan=True) for a, b in zip([analytic_x] + analytic_weights,
                                                                 [again_x] + again_weights)):
        return []
    return ["backward gave other gradients when called a second time with the same upstream gradient: it must "
            "set self.grads[key] = ..., not add to it (+=), since it runs once every training step"]
