"""Reference solution of the softmax_cross_entropy_gradient exercise."""

import numpy as np


def softmax_cross_entropy_gradient(logits, labels_onehot):
    """The gradient ``∂L/∂z`` of the mean softmax cross-entropy ``L = −(1/N) Σ_n Σ_k y[n,k] · log p[n,k]``.

    ``p[n, k] = e^{z[n,k]} / Σ_j e^{z[n,j]}`` is the softmax of row ``n`` of the logits ``z``. With
    ``log p[n,k] = z[n,k] − log Σ_j e^{z[n,j]}`` and ``Σ_k y[n,k] = 1``::

        ∂L/∂z[n, k] = −(1/N) (y[n,k] − p[n,k] · Σ_j y[n,j]) = (p[n,k] − y[n,k]) / N

    The row's largest logit is subtracted before ``exp``: it cancels in ``p`` and keeps ``e^{...}`` from overflowing.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
        The scores ``z``, one row per sample.
    labels_onehot : ndarray, shape (N, K)
        The labels ``y``: a single 1 in each row, at the true class.

    Returns
    -------
    grad_logits : ndarray, shape (N, K)
        ``∂L/∂z = (p − y) / N``.
    """
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    p = exponentials / exponentials.sum(axis=1, keepdims=True)
    return (p - labels_onehot) / N
