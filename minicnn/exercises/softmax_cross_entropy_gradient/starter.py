"""Exercise softmax_cross_entropy_gradient: the gradient of softmax cross-entropy with respect to the logits.

Fill in the body of softmax_cross_entropy_gradient, then check it:

    minicnn exercise check softmax_cross_entropy_gradient this_file.py

or in a notebook: ``minicnn.exercises.check("softmax_cross_entropy_gradient", softmax_cross_entropy_gradient)``.
"""

import numpy as np


def softmax_cross_entropy_gradient(logits, labels_onehot):
    """The gradient ``∂L/∂z`` of the mean softmax cross-entropy ``L = −(1/N) Σ_n Σ_k y[n,k] · log p[n,k]``.

    ``p[n, k] = e^{z[n,k]} / Σ_j e^{z[n,j]}`` is the softmax of row ``n`` of the logits ``z``.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
        The scores ``z``, one row per sample.
    labels_onehot : ndarray, shape (N, K)
        The labels ``y``: a single 1 in each row, at the true class.

    Returns
    -------
    grad_logits : ndarray, shape (N, K)
        ``∂L/∂z``.
    """
    raise NotImplementedError("write softmax_cross_entropy_gradient")
