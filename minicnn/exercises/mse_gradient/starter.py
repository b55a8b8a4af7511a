"""Exercise mse_gradient: the gradient of the mean squared error with respect to the predictions.

Fill in the body of mse_gradient, then check it:

    minicnn exercise check mse_gradient this_file.py

or in a notebook: ``minicnn.exercises.check("mse_gradient", mse_gradient)``.
"""

import numpy as np


def mse_gradient(y, y_hat):
    """The gradient ``∂L/∂ŷ`` of the mean squared error ``L = 1/(2N) Σ_n (y_n − ŷ_n)²``.

    Parameters
    ----------
    y : ndarray, shape (N,)
        The targets.
    y_hat : ndarray, shape (N,)
        The predictions ``ŷ``.

    Returns
    -------
    grad_y_hat : ndarray, shape (N,)
        ``∂L/∂ŷ_n`` for each sample ``n``.
    """
    raise NotImplementedError("write mse_gradient")
