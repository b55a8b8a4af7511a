"""Accuracy metrics; ``"accuracy"`` picks the right one for the loss, as Keras does."""

import numpy as np

from minicnn.losses import BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of outputs on the right side of ``threshold``: ``mean[(ŷ > t) == (y > 0.5)]``."""
    y_true = np.asarray(y_true).reshape(np.shape(y_pred))
    return float(np.mean((np.asarray(y_pred) > threshold) == (y_true > 0.5)))


def categorical_accuracy(y_true, y_pred):
    """Fraction of samples whose largest output is the labelled class (one-hot labels)."""
    return float(np.mean(np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)))


def sparse_categorical_accuracy(y_true, y_pred):
    """Fraction of samples whose largest output is the labelled class (integer labels)."""
    return float(np.mean(np.argmax(y_pred, axis=-1) == np.asarray(y_true).reshape(-1)))


def get_metric(metric, loss):
    """``(name, function)`` for a metric name; ``"accuracy"``/``"acc"`` follows the loss."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if not isinstance(metric, str):
        raise TypeError(f"metrics: expected a metric name such as 'accuracy' or a function f(y_true, y_pred) -> "
                        f"float, got {metric!r}")
    if metric in ("accuracy", "acc"):
        if isinstance(loss, BinaryCrossentropy):
            threshold = 0.0 if loss.from_logits else 0.5
            return "accuracy", lambda y, p: binary_accuracy(y, p, threshold)
        if isinstance(loss, SparseCategoricalCrossentropy):
            return "accuracy", sparse_categorical_accuracy
        if isinstance(loss, CategoricalCrossentropy):
            return "accuracy", categorical_accuracy
        return "accuracy", binary_accuracy
    named = {"binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
             "sparse_categorical_accuracy": sparse_categorical_accuracy}
    if metric in named:
        return metric, named[metric]
    raise ValueError(f"metrics: unknown metric {metric!r}; choose 'accuracy', one of {sorted(named)}, or a function "
                     "f(y_true, y_pred) -> float")
