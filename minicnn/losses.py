"""Losses, each with its gradient written by hand.

A loss is called as ``loss(y_true, y_pred) -> float`` and ``loss.gradient(y_true, y_pred) -> ∂L/∂y_pred`` (same
shape as ``y_pred``). Every loss is a mean over the batch, so its gradient carries the ``1/N``, averaging as
Keras' losses do: N is the number of samples for ``CategoricalCrossentropy`` (one term per row of probabilities),
the number of values in ``y_pred`` for ``MeanSquaredError`` and ``BinaryCrossentropy`` (one term per output value;
the number of samples where each sample has one output).

On an accelerator backend (cuda) the predictions stay on the device: ``labels`` checks ``y_true`` against their
shape alone, and ``terms_and_gradient`` has the backend's loss kernel compute, on the device, the loss's
per-sample terms (which add up to the loss) and ``∂L/∂y_pred``.

Each loss refuses values outside its domain, by name, instead of giving a silently wrong result: the
cross-entropies take labels in [0, 1], and on probabilities (``from_logits=False``) predictions in [0, 1]
(``CategoricalCrossentropy``: rows that sum to 1). The labels are checked on every backend (``labels``, on the
host). The predictions stay on the cuda backend's device, so its loss kernels check them there, in the pass that
computes the loss: a sample outside the domain gets a NaN term, and the caller, seeing a loss that is not finite,
has the host check (and name) the predictions.
"""

import numbers

import numpy as np

from minicnn import checks
from minicnn.checks import flag
from minicnn.errors import NonFiniteError, ShapeError, refuse_keras_arguments

#: how far outside [0, 1] a probability may lie before it is refused: the clip to [ε, 1 − ε] absorbs anything
#: closer (rounding, or a step of gradcheck's central differences at a probability of 0 or 1)
PROBABILITY_SLACK = 1e-3
#: how far from 1 a row of CategoricalCrossentropy's probabilities may sum: a float32 softmax is far closer, a
#: sigmoid in place of a softmax far off
ROW_SUM_SLACK = 1e-2


def _as_predictions(name, y_pred):
    """``y_pred`` as a NumPy array of floats: whole numbers and booleans become float64 (the labels are cast to
    the predictions' dtype, and so is the gradient: in ints a label 0.5 became 0 and the gradient was rounded);
    anything that is not numbers is refused."""
    array = checks.real_array(y_pred, "y_pred", name, " (the model's output)")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    return array


def _check_batch(name, shape):
    """Predictions of ``shape`` must have a batch axis and at least one sample: every loss is a mean over the
    samples, which an empty batch does not have."""
    if len(shape) == 0:
        raise ShapeError(f"{name}: expected y_pred with a batch axis (one row per sample), got a single number")
    if shape[0] == 0:
        raise ShapeError(f"{name}: the batch holds no samples (y_pred of shape {tuple(shape)})")


def _label_hint(y_true, smallest, largest):
    """What probably went wrong with labels outside [0, 1], from their smallest and largest values."""
    if smallest < 0:
        return "labels −1/1? use 0/1: (y_true + 1) / 2"
    if 128 <= largest <= 255:
        return "labels 0/255 (a mask image)? divide by 255"
    if not np.array_equal(y_true, np.round(y_true)):
        return "soft labels are probabilities: scale them into [0, 1]"
    if smallest == 1 and largest == 2:
        return "labels 1/2? use 0/1: y_true − 1"
    return (f"class numbers (up to {largest:g})? they are not probabilities: give the model one output per class "
            "with a softmax, and loss='sparse_categorical_crossentropy'")


def _check_labels_in_unit_range(name, y_true, what):
    """Cross-entropy labels are probabilities: 0/1, one-hot rows or soft (smoothed) labels, all in [0, 1]. A min
    and a max over the batch."""
    smallest, largest = y_true.min(), y_true.max()
    if smallest < 0 or largest > 1:
        raise ValueError(f"{name}: expected y_true in [0, 1] ({what}), got values from {smallest:g} to "
                         f"{largest:g}; {_label_hint(y_true, smallest, largest)}")


def _check_probabilities(name, y_pred, activation):
    """Predictions on probabilities must lie in [0, 1] (give or take ``PROBABILITY_SLACK``): a last layer without
    its ``activation`` gives logits, which the clip would silently turn into a loss near 0 or 16, and one ending in
    another activation (a ReLU) gives neither, so the advice names both ways out. A min and a max over the
    batch."""
    smallest, largest = y_pred.min(), y_pred.max()
    if smallest < -PROBABILITY_SLACK or largest > 1 + PROBABILITY_SLACK:
        raise ValueError(f"{name}: expected y_pred to hold probabilities in [0, 1], got values from {smallest:g} "
                         f"to {largest:g}; end the last layer in a {activation} (activation='{activation}'), or give "
                         f"its raw outputs (no activation: logits) to {name}(from_logits=True)")


def _shape_advice(name, labels, predictions):
    """What probably went wrong when labels of shape ``labels`` meet predictions of shape ``predictions``: class
    indices beside one output per class, or one value per sample written as a column on one side and a flat
    vector on the other."""
    if len(predictions) == 2 and predictions[1] > 1 and labels in ((predictions[0],), (predictions[0], 1)):
        one_hot = f"np.eye({predictions[1]})[y.ravel().astype(int)]"
        if name == "CategoricalCrossentropy":
            return (f"; class indices? use loss='sparse_categorical_crossentropy' for them, or {one_hot} for one-hot "
                    "rows")
        return f"; class indices? {one_hot} makes one-hot rows of them"
    if len(predictions) == 1 and labels == (predictions[0], 1):
        return "; predictions as a flat vector beside labels as a column? give both one shape: y_pred[:, None]"
    return ""


def _check_labels(name, y_true, shape, dtype):
    """``y_true`` finite, with the ``shape`` of the predictions (a label vector ``(N,)`` is accepted for predictions
    ``(N, 1)``), cast to their ``dtype``. The predictions must hold at least one sample."""
    shape = tuple(shape)
    _check_batch(name, shape)
    y_true = checks.real_array(y_true, "y_true", name)
    if len(shape) == 2 and shape[1] == 1 and y_true.shape == (shape[0],):
        y_true = y_true.reshape(-1, 1)
    if y_true.shape != shape:
        raise ShapeError(f"{name}: expected y_true of shape {shape} (the shape of the predictions), "
                         f"got {y_true.shape}{_shape_advice(name, y_true.shape, shape)}")
    if not np.all(np.isfinite(y_true)):
        raise NonFiniteError(f"{name}: y_true contains NaN or infinity")
    return y_true.astype(dtype, copy=False)


class Loss:
    """Base class: ``__call__`` gives the value, ``gradient`` gives ``∂L/∂y_pred``. A loss of your own subclasses it
    and defines ``value(y_true, y_pred)`` (one number, the mean over the batch) and ``grad(y_true, y_pred)``
    (``∂L/∂y_pred``, of ``y_pred``'s shape): ``__call__`` and ``gradient`` check the labels and call them."""

    name = "loss"

    def __init__(self, **keras_arguments):
        refuse_keras_arguments(type(self).__name__, keras_arguments, type(self).__init__)

    def __call__(self, y_true, y_pred):
        y_true, y_pred = self._check(y_true, y_pred)
        value = self.value(y_true, y_pred)
        if np.ndim(value) != 0 or not isinstance(value, (numbers.Real, np.generic, np.ndarray)):
            raise TypeError(f"{type(self).__name__}.value returned {checks.short_repr(value)}: expected one number, "
                            f"the mean over the batch (one value per sample? take their mean)")
        return float(value)

    def gradient(self, y_true, y_pred):
        y_true, y_pred = self._check(y_true, y_pred)
        grad = self.grad(y_true, y_pred)
        if not isinstance(grad, np.ndarray) or grad.dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.grad returned {checks.short_repr(grad)}: expected an array of "
                            f"floats of y_pred's shape {y_pred.shape}, ∂L/∂y_pred")
        return grad.astype(y_pred.dtype, copy=False)

    def value(self, y_true, y_pred):
        """The loss, one number: the mean over the batch. A loss of your own defines it (or ``__call__``)."""
        raise NotImplementedError(f"{type(self).__name__} defines no value(y_true, y_pred): a loss of yours defines "
                                  "value, the mean over the batch, and grad(y_true, y_pred), ∂L/∂y_pred (or "
                                  "__call__ and gradient)")

    def grad(self, y_true, y_pred):
        """``∂L/∂y_pred``, an array of ``y_pred``'s shape. A loss of your own defines it (or ``gradient``)."""
        raise NotImplementedError(f"{type(self).__name__} defines no grad(y_true, y_pred): a loss of yours defines "
                                  "value(y_true, y_pred), the mean over the batch, and grad, ∂L/∂y_pred (or "
                                  "__call__ and gradient)")

    def labels(self, y_true, shape, dtype):
        """``y_true`` as the formulas take it, checked against predictions of ``shape`` and ``dtype`` (which may
        be on a device: only their shape is needed)."""
        return _check_labels(type(self).__name__, y_true, shape, dtype)

    def reads_labels_through_labels(self):
        """Whether ``__call__`` and ``gradient`` are the base class's, which read the labels through ``labels``: a
        loss of your own that writes them itself may take labels ``labels`` would refuse (integer classes for
        several outputs), so only its own methods can check them."""
        return type(self).__call__ is Loss.__call__ and type(self).gradient is Loss.gradient

    def clipped(self, y_true, y_pred):
        """One truth value per sample: True where the loss clips the sample's predictions, so that its value is
        flat there while ``gradient`` is the formula's at the clipped prediction (``gradcheck`` cannot judge such a
        sample). None clip here; the cross-entropies on probabilities do."""
        y_true, y_pred = self._check(y_true, y_pred)
        return np.zeros(len(y_pred), dtype=bool)

    def stuck(self, y_true, y_pred):
        """One truth value per sample: True where a prediction is clipped on the wrong side of its label (a
        probability within ε of 0 or 1, the label on the other side). There ``gradient`` is the formula's at the
        clipped probability, and a sigmoid or softmax before the loss multiplies it by ``p·(1 − p)``: the sample
        barely moves the weights, and not at all once float32 rounds ``p`` to 0 or 1. None here; the
        cross-entropies on probabilities may."""
        return np.zeros(len(y_pred), dtype=bool)

    def might_be_stuck(self, labels, terms):
        """Whether a sample's term (``terms[n]``, its share of the loss, from the backend's loss kernel) is large
        enough for ``stuck`` to find it: a test on what comes back from an accelerator anyway, so that the output
        comes to the host for ``stuck`` only when it may find something. ``labels`` as ``labels`` returns them.
        False here: nothing is stuck."""
        return False

    def _check(self, y_true, y_pred):
        """``(y_true, y_pred)`` checked, as host arrays in the predictions' float dtype."""
        y_pred = _as_predictions(type(self).__name__, y_pred)
        y_true = self.labels(y_true, y_pred.shape, y_pred.dtype)
        if not np.all(np.isfinite(y_pred)):
            raise NonFiniteError(f"{type(self).__name__}: y_pred contains NaN or infinity")
        self._check_predictions(y_pred)
        return y_true, y_pred

    def _check_predictions(self, y_pred):
        """Refuse finite host predictions outside the loss's domain: none here, any number will do."""

    def terms_and_gradient(self, kernels, y_true, y_pred):
        """``(terms, ∂L/∂y_pred)`` computed by the backend module ``kernels`` on its own arrays: ``terms[n]`` is
        sample n's share of the loss (they add up to it). ``y_true`` comes from ``labels``, which checked it on
        the host; ``y_pred``, on the device, is checked by the kernel, which makes the term of a sample outside the
        loss's domain NaN (``_check_predictions`` would need a copy to the host). None for a loss without backend
        kernels (a loss of your own): the caller then computes it on the host."""
        return None

    def _formulas_changed_since(self, loss_class):
        """True where a subclass of ``loss_class`` (a loss of your own built on it) computes the value or the
        gradient in its own way: ``loss_class``'s kernel would then compute another loss, so the host does."""
        return any(getattr(type(self), name) is not getattr(loss_class, name)
                   for name in ("__call__", "value", "gradient", "grad"))

    def get_config(self):
        return {}

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class MeanSquaredError(Loss):
    """The document's loss: ``L = 1/(2N) Σ (y − ŷ)²``, ``∂L/∂ŷ = (ŷ − y) / N``.

    With several outputs per sample, N counts every output value (the mean over all elements), so for one output
    per sample it is exactly the document's formula. Keras' ``MeanSquaredError`` has no ½: ``1/N Σ (y − ŷ)²``, twice
    this value; the ½ only makes the derivative clean.
    """

    name = "mean_squared_error"

    def value(self, y_true, y_pred):
        return 0.5 * np.mean((y_true - y_pred) ** 2)

    def grad(self, y_true, y_pred):
        return (y_pred - y_true) / y_pred.size

    def terms_and_gradient(self, kernels, y_true, y_pred):
        if self._formulas_changed_since(MeanSquaredError):
            return None
        return kernels.mean_squared_error_terms(y_true, y_pred)


class BinaryCrossentropy(Loss):
    """``L = −(1/N) Σ [y·log p + (1 − y)·log(1 − p)]`` for labels ``y`` in [0, 1].

    With several outputs per sample (several yes/no labels each), N counts every output value (the mean over all
    elements, Keras' value), as in ``MeanSquaredError``; for one output per sample it is the number of samples.

    Probabilities (``from_logits=False``): ``p`` is clipped to ``[ε, 1 − ε]`` (ε = 1e-7, Keras' value) so that
    ``p = 0`` or ``p = 1`` gives a large finite loss rather than infinity; ``∂L/∂p = (p − y) / (p·(1 − p)) / N``
    at the clipped ``p``. Through a sigmoid, whose backward multiplies by ``p·(1 − p)``, a prediction saturated on
    the wrong side therefore barely learns (``stuck``); on logits it learns at full strength.

    Logits (``from_logits=True``, ``p = σ(z)``), computed without ever forming ``p``:
    ``L = (1/N) Σ [max(z, 0) − z·y + log(1 + e^{−|z|})]``, and ``∂L/∂z = (σ(z) − y) / N`` — stable for any z.
    """

    name = "binary_crossentropy"
    epsilon = 1e-7

    def __init__(self, from_logits=False, **keras_arguments):
        super().__init__(**keras_arguments)
        self.from_logits = flag(from_logits, "from_logits", type(self).__name__)

    def labels(self, y_true, shape, dtype):
        """Labels in [0, 1]: 0/1, or the probability of class 1 (a smoothed label)."""
        y_true = super().labels(y_true, shape, dtype)
        _check_labels_in_unit_range(type(self).__name__, y_true, "0/1 labels, or the probability of class 1")
        return y_true

    def _check_predictions(self, y_pred):
        """Probabilities must lie in [0, 1]; logits may be any number."""
        if not self.from_logits:
            _check_probabilities(type(self).__name__, y_pred, "sigmoid")

    def value(self, y_true, y_pred):
        if self.from_logits:
            z = y_pred
            return np.mean(np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z))))
        p = np.clip(y_pred, self.epsilon, 1 - self.epsilon)
        return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))

    def grad(self, y_true, y_pred):
        if self.from_logits:
            e = np.exp(-np.abs(y_pred))
            sigmoid = np.where(y_pred >= 0, 1 / (1 + e), e / (1 + e))
            return (sigmoid - y_true) / y_pred.size
        p = np.clip(y_pred, self.epsilon, 1 - self.epsilon)
        return (p - y_true) / (p * (1 - p)) / y_pred.size

    def clipped(self, y_true, y_pred):
        """Samples with a probability outside ``[ε, 1 − ε]``, where the value is flat."""
        if self.from_logits:
            return super().clipped(y_true, y_pred)
        y_true, y_pred = self._check(y_true, y_pred)
        outside = (y_pred < self.epsilon) | (y_pred > 1 - self.epsilon)
        return outside.reshape(len(y_pred), -1).any(axis=1)

    def stuck(self, y_true, y_pred):
        """Samples with a probability within ε of 1 where the label says 0, or of 0 where it says 1."""
        if self.from_logits:
            return super().stuck(y_true, y_pred)
        y_true = self.labels(y_true, y_pred.shape, y_pred.dtype)
        wrong = ((y_pred > 1 - self.epsilon) & (y_true < 0.5)) | ((y_pred < self.epsilon) & (y_true > 0.5))
        return wrong.reshape(len(y_pred), -1).any(axis=1)

    def might_be_stuck(self, labels, terms):
        """A stuck probability adds at least ``max(y, 1 − y)·(−log ε')`` to its sample's loss ``Σ_k L_nk``, which
        is ``terms[n]·N·K``: no sample below its smallest ``max(y, 1 − y)`` times that has one stuck (a bound of
        15.9 for labels 0 and 1, where a sample merely near the clip, at p = 0.9997, has a loss of 8). ``ε'`` is how
        far from 1 the clip's ``1 − ε`` lands in float32, which rounds it to 1 − 1.19e-7 (−log ε' = 15.94 rather
        than 16.12): the bound then holds in float64 too."""
        if self.from_logits:
            return False
        samples, per_sample = len(terms), labels.size // len(terms)
        distance = 1.0 - float(np.float32(1.0 - self.epsilon))
        surest = np.maximum(labels, 1 - labels).reshape(samples, -1).min(axis=1)
        return bool(np.any(terms * (samples * per_sample) >= surest * -np.log(distance) * (1 - 1e-3)))

    def terms_and_gradient(self, kernels, y_true, y_pred):
        if self._formulas_changed_since(BinaryCrossentropy):
            return None
        return kernels.binary_crossentropy_terms(y_true, y_pred, self.from_logits, self.epsilon, PROBABILITY_SLACK)

    def get_config(self):
        return {"from_logits": self.from_logits}


class CategoricalCrossentropy(Loss):
    """``L = −(1/N) Σ_n Σ_k y_nk · log p_nk`` for one-hot (or soft) labels ``y`` of shape ``(N, K)``.

    Probabilities: ``p`` clipped to ``[ε, 1]``, ``∂L/∂p = −y / p / N``.
    Logits (``p = softmax(z)``): ``log p = z − logsumexp(z)``, and ``∂L/∂z = (softmax(z) − y) / N`` (for labels
    that sum to one per sample).
    """

    name = "categorical_crossentropy"
    epsilon = 1e-7

    def __init__(self, from_logits=False, **keras_arguments):
        super().__init__(**keras_arguments)
        self.from_logits = flag(from_logits, "from_logits", type(self).__name__)

    def labels(self, y_true, shape, dtype):
        """One-hot (or soft) labels in [0, 1], of the predictions' shape (N, K)."""
        if len(shape) != 2:
            raise ShapeError(f"{type(self).__name__}: expected y_pred of shape (N, K) (N samples, K classes), got "
                             f"{tuple(shape)}")
        y_true = super().labels(y_true, shape, dtype)
        _check_labels_in_unit_range(type(self).__name__, y_true, "one-hot rows, or soft labels")
        return y_true

    def _check_predictions(self, y_pred):
        """Probabilities must lie in [0, 1] and each row sum to 1 (within ``ROW_SUM_SLACK``), as a softmax's do:
        unlike Keras, which divides each row by its sum, the formulas here take the probabilities as they are, and
        rows summing to 3 (a sigmoid in place of the softmax) would give a loss of 0. Logits may be any number."""
        if self.from_logits:
            return
        name = type(self).__name__
        _check_probabilities(name, y_pred, "softmax")
        sums = y_pred.sum(axis=1)
        smallest, largest = sums.min(), sums.max()
        if smallest < 1 - ROW_SUM_SLACK or largest > 1 + ROW_SUM_SLACK:
            raise ValueError(f"{name}: expected each row of y_pred to sum to 1 (a probability for each class), got "
                             f"row sums from {smallest:g} to {largest:g}; a sigmoid on the last layer? use a "
                             f"softmax (this loss does not divide the rows by their sum)")

    @staticmethod
    def _log_softmax(z):
        shifted = z - z.max(axis=-1, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))

    def value(self, y_true, y_pred):
        log_p = self._log_softmax(y_pred) if self.from_logits else np.log(np.clip(y_pred, self.epsilon, 1.0))
        return -np.sum(y_true * log_p) / y_pred.shape[0]

    def grad(self, y_true, y_pred):
        n = y_pred.shape[0]
        if self.from_logits:
            softmax = np.exp(self._log_softmax(y_pred))
            return (softmax * y_true.sum(axis=-1, keepdims=True) - y_true) / n
        return -y_true / np.clip(y_pred, self.epsilon, 1.0) / n

    def clipped(self, y_true, y_pred):
        """Samples where a class with a non-zero label has a probability below ε, where the value is flat."""
        if self.from_logits:
            return super().clipped(y_true, y_pred)
        y_true, y_pred = self._check(y_true, y_pred)
        return ((y_pred < self.epsilon) & (y_true != 0)).any(axis=1)

    def stuck(self, y_true, y_pred):
        """The clipped samples: a labelled class below ε is always on the wrong side."""
        return self.clipped(y_true, y_pred)

    def might_be_stuck(self, labels, terms):
        """A labelled class below ε adds at least ``y_k·(−log ε)`` to its sample's loss, and ``terms[n]`` is that
        loss over N: no sample below ``min_k y_nk·(−log ε)/N`` (its smallest non-zero label) has one stuck."""
        if self.from_logits:
            return False
        smallest = np.where(labels > 0, labels, np.inf).reshape(len(terms), -1).min(axis=1)
        return bool(np.any(terms * len(terms) >= smallest * -np.log(self.epsilon) * (1 - 1e-3)))

    def terms_and_gradient(self, kernels, y_true, y_pred):
        if self._formulas_changed_since(CategoricalCrossentropy):
            return None
        return kernels.categorical_crossentropy_terms(y_true, y_pred, self.from_logits, self.epsilon, PROBABILITY_SLACK,
                                                      ROW_SUM_SLACK)

    def get_config(self):
        return {"from_logits": self.from_logits}


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer class labels ``y`` of shape ``(N,)`` (or ``(N, 1)``) in ``[0, K)``:
    ``L = −(1/N) Σ_n log p[n, y_n]``. The labels are turned into one-hot rows and the categorical formulas apply.
    """

    name = "sparse_categorical_crossentropy"

    def labels(self, y_true, shape, dtype):
        """The integer labels checked and turned into one-hot rows of the predictions' ``shape`` (N, K)."""
        shape = tuple(shape)
        labels = np.asarray(y_true)
        name = type(self).__name__
        if len(shape) != 2:
            raise ShapeError(f"{name}: expected y_pred of shape (N, K) (N samples, K classes), got {shape}")
        _check_batch(name, shape)
        if labels.dtype.kind not in "iuf":
            raise TypeError(f"{name}: expected y_true of integer class indices, got "
                            f"{checks.what_was_given(y_true, labels)}")
        if labels.shape == (shape[0], 1):
            labels = labels[:, 0]
        if labels.shape != (shape[0],):
            one_hot = labels.shape == shape
            raise ShapeError(f"{name}: expected y_true of shape ({shape[0]},) holding class indices, "
                             f"got {labels.shape}" + ("; one-hot rows? use loss='categorical_crossentropy' for "
                                                      "them, or y.argmax(axis=1) for the indices" if one_hot else ""))
        classes = shape[1]
        not_integers = labels.dtype.kind not in "iuf" or np.any(labels != np.round(labels))
        if not_integers or labels.min() < 0 or labels.max() >= classes:
            one_output = ("; one output per sample is one class: for yes/no labels 0/1, loss='binary_crossentropy' "
                          "with a sigmoid output, or two outputs, Dense(2, activation='softmax')"
                          if classes == 1 and not not_integers and labels.min() >= 0 and labels.max() <= 1 else "")
            raise ValueError(f"{name}: expected y_true to hold integer class indices in [0, {classes}), got values "
                             f"from {labels.min()} to {labels.max()}{one_output}")
        one_hot = np.zeros(shape, dtype=dtype)
        one_hot[np.arange(shape[0]), labels.astype(np.int64)] = 1
        return super().labels(one_hot, shape, dtype)


LOSSES = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get_loss(loss):
    """A loss object from a Keras name (``"binary_crossentropy"``) or an instance."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    if checks.known_name(loss, LOSSES):
        return LOSSES[checks.known_name(loss, LOSSES)]()
    if callable(loss) and not hasattr(loss, "gradient"):
        raise TypeError(f"loss: a function such as {getattr(loss, '__name__', 'this one')} gives the loss but not the "
                        f"gradient backpropagation starts from; write a subclass of mc.Loss with both (value and "
                        f"grad), or choose one of {sorted(LOSSES)}")
    if hasattr(loss, "gradient"):
        raise TypeError(f"loss: {type(loss).__name__} has a gradient method but is not a subclass of mc.Loss, "
                        f"whose checks the model uses: write class {type(loss).__name__}(mc.Loss)")
    raise ValueError(f"loss: unknown loss {loss!r}{checks.did_you_mean(loss, LOSSES)}; choose one of "
                     f"{sorted(LOSSES)}, pass a Loss instance, or write a subclass of mc.Loss")
