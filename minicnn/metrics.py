"""Accuracy metrics; ``"accuracy"`` picks the one that fits the loss.

Keras 3 picks by the shapes alone: one output per sample gets binary accuracy at 0.5, labels of one axis fewer than
the predictions sparse categorical accuracy, anything else categorical accuracy. minicnn picks by the loss where
the loss says what the outputs are, and differs in two cases: a binary cross-entropy ``from_logits=True`` compares
the logits with 0 (where the probability is ½; Keras compares logits with 0.5), and a binary cross-entropy over
several outputs per sample (several yes/no labels) counts the outputs on the right side of 0.5, Keras 2's binary
accuracy (Keras 3 takes the largest output for a class). Beside another loss (MSE, one of your own) it picks by the
shapes, as Keras 3 does."""

import re

import numpy as np

from minicnn import checks
from minicnn.errors import ShapeError
from minicnn.losses import BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of outputs on the right side of ``threshold``: ``mean[(ŷ > t) == (y > 0.5)]``."""
    _refuse_labels(binary_accuracy, y_true, y_pred)
    y_true = np.asarray(y_true).reshape(np.shape(y_pred))
    return float(np.mean((np.asarray(y_pred) > threshold) == (y_true > 0.5)))


def categorical_accuracy(y_true, y_pred):
    """Fraction of samples whose largest output is the labelled class (one-hot labels)."""
    _refuse_labels(categorical_accuracy, y_true, y_pred)
    return float(np.mean(np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)))


def sparse_categorical_accuracy(y_true, y_pred):
    """Fraction of samples whose largest output is the labelled class (integer labels)."""
    _refuse_labels(sparse_categorical_accuracy, y_true, y_pred)
    predicted = np.argmax(y_pred, axis=-1)
    return float(np.mean(predicted == np.asarray(y_true).reshape(predicted.shape)))


def labels_problem(metric, labels_shape, predictions_shape):
    """Why labels of ``labels_shape`` do not suit the accuracy ``metric`` (one of this module's) beside predictions
    of ``predictions_shape``, or None where they do (or ``metric`` is another). A metric that does not fit the
    labels' form gave a number all the same: ``categorical_accuracy`` of integer labels (N,) compared each
    prediction's class with 0, and of one output per sample was always 1."""
    labels_shape, predictions_shape = tuple(labels_shape), tuple(predictions_shape)
    one_output = len(predictions_shape) > 1 and predictions_shape[-1] == 1  # (N, 1); a flat (K,) is one sample
    integer_shapes = (predictions_shape[:-1], predictions_shape[:-1] + (1,))
    if metric is categorical_accuracy or metric is sparse_categorical_accuracy:
        if one_output:
            return ("with one output per sample the largest output is always that one, class 0, whatever the "
                    "model predicts: for yes/no outputs use binary_accuracy (or 'accuracy', which follows the loss)")
        if metric is categorical_accuracy and labels_shape != predictions_shape:
            hint = ("; integer class labels go with sparse_categorical_accuracy (or 'accuracy', which follows the "
                    "loss)" if labels_shape in integer_shapes else "")
            return f"expected one-hot labels of the predictions' shape {predictions_shape}, got {labels_shape}{hint}"
        if metric is sparse_categorical_accuracy and labels_shape not in integer_shapes:
            hint = ("; one-hot labels go with categorical_accuracy (or 'accuracy', which follows the loss)"
                    if labels_shape == predictions_shape and len(predictions_shape) > 1 else
                    "; flat predictions are one sample's outputs: for one yes/no output per sample, binary_accuracy"
                    if labels_shape == predictions_shape else "")
            return (f"expected integer class labels of shape {predictions_shape[:-1]} beside predictions of shape "
                    f"{predictions_shape}, got {labels_shape}{hint}")
    if metric is binary_accuracy and _without_trailing_ones(labels_shape) != _without_trailing_ones(predictions_shape):
        hint = ("; integer class labels go with sparse_categorical_accuracy" if labels_shape in integer_shapes
                else "")
        return (f"expected one yes/no label per output, of the predictions' shape {predictions_shape}, got "
                f"{labels_shape}{hint}")
    return None


def _without_trailing_ones(shape):
    """``shape`` without its axes of length 1 after the first: labels (N,) and (N, 1) beside predictions (N, 1)."""
    shape = tuple(shape)
    while len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    return shape


def _refuse_labels(metric, y_true, y_pred):
    problem = labels_problem(metric, np.shape(y_true), np.shape(y_pred))
    if problem is None and metric is categorical_accuracy and np.ndim(y_true) == 1 and np.size(y_true) > 1 \
            and not np.isclose(np.sum(y_true), 1.0):  # one sample's one-hot row sums to 1; yes/no labels do not
        problem = ("a flat y_true is one sample's one-hot row, and these labels are not one (they sum to "
                   f"{float(np.sum(y_true)):g}): for one yes/no output per sample, binary_accuracy")
    if problem is not None:
        raise ShapeError(f"{metric.__name__}: {problem}")


def mean_absolute_error(y_true, y_pred):
    """``mean |y − ŷ|`` over every output (Keras' ``"mae"``); labels of shape (N,) are read as a column."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64).reshape(y_pred.shape)
    return float(np.mean(np.abs(y_true - y_pred)))


def accuracy_by_shape(y_true, y_pred):
    """Keras' rule for ``"accuracy"`` beside a loss that does not say which (MSE, a loss of your own): one output
    per sample is a yes/no answer (``binary_accuracy``); several outputs are classes, labelled by integers
    (``y_true`` of one column, ``sparse_categorical_accuracy``) or one-hot (``categorical_accuracy``)."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim < 2 or y_pred.shape[-1] == 1:
        return binary_accuracy(y_true, y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
        return sparse_categorical_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


#: the metrics known by name, besides "accuracy" (which follows the loss)
NAMED = {"binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
         "sparse_categorical_accuracy": sparse_categorical_accuracy, "mae": mean_absolute_error,
         "mean_absolute_error": mean_absolute_error}


def check_metric_names(metrics):
    """Each metric's name is its key in the history and in ``train_on_batch``'s dict, beside ``loss`` and the
    ``val_`` keys: a metric named ``loss``, one named ``val_…``, or two of one name would overwrite a value."""
    names = [name for name, _ in metrics]
    for name in names:
        if name == "loss" or name.startswith("val_"):
            raise ValueError(f"metrics: a metric named {name!r} would overwrite the history's {name!r}; give the "
                             "function another name (def ...), as the history keeps each metric under its name")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"metrics: more than one metric is named {', '.join(map(repr, twice))}, and the history "
                         "keeps each under its name (one would overwrite the other); give each its own name (write "
                         "a lambda as a def), or list it once")


def get_metric(metric, loss):
    """``(name, function)`` for a metric name; ``"accuracy"``/``"acc"`` follows the loss, or beside another loss
    (MSE) the predictions' shape (the module's docstring says where this differs from Keras), and keeps the name it
    was given (the history's key). A function of your own is kept under its ``__name__``; a loss object under its
    ``name`` (``mean_squared_error``), another callable object under its class's name in snake case (two such
    metrics were both "metric", and refused as one name given twice: found in review)."""
    if callable(metric):
        name = getattr(metric, "__name__", None) or getattr(metric, "name", None)
        if not isinstance(name, str) or not name:  # PrecisionAtHalf → precision_at_half, MAE → mae
            name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", type(metric).__name__).lower()
        return name, metric
    if not isinstance(metric, str):
        raise TypeError(f"metrics: expected a metric name such as 'accuracy' or a function f(y_true, y_pred) -> "
                        f"float, got {metric!r}")
    spelled = checks.known_name(metric, ("accuracy", "acc", *NAMED, "mse", "mean_squared_error"))
    if spelled is None:
        raise ValueError(f"metrics: unknown metric {metric!r}"
                         f"{checks.did_you_mean(metric, ('accuracy', 'acc', *NAMED))}; choose 'accuracy', one of "
                         f"{sorted(NAMED)}, or a function f(y_true, y_pred) -> float")
    if spelled in ("accuracy", "acc"):
        if isinstance(loss, BinaryCrossentropy):
            threshold = 0.0 if loss.from_logits else 0.5
            return metric, lambda y, p: binary_accuracy(y, p, threshold)
        if isinstance(loss, SparseCategoricalCrossentropy):
            return metric, sparse_categorical_accuracy
        if isinstance(loss, CategoricalCrossentropy):
            return metric, categorical_accuracy
        return metric, accuracy_by_shape
    if spelled in NAMED:
        return metric, NAMED[spelled]
    if spelled in ("mse", "mean_squared_error"):
        raise ValueError(f"metrics: {metric!r} is Keras' mean of (y − ŷ)², twice minicnn's 'mse' loss, the document's "
                         f"1/(2N) Σ (y − ŷ)²; with loss='mse' the loss is that half already, and a function "
                         f"lambda y, p: np.mean((y - p) ** 2) gives Keras' value")
