"""Exercise sgd_step: one step of gradient descent on a parameter array.

Fill in the body of sgd_step, then check it:

    minicnn exercise check sgd_step this_file.py

or in a notebook: ``minicnn.exercises.check("sgd_step", sgd_step)``.
"""

import numpy as np


def sgd_step(w, grad, learning_rate):
    """One step of gradient descent: ``w ← w − α · ∂L/∂w``, element by element.

    Parameters
    ----------
    w : ndarray, any shape
        The parameter (a kernel, a bias, ...).
    grad : ndarray, the shape of ``w``
        Its gradient ``∂L/∂w``.
    learning_rate : float
        The step size ``α > 0``.

    Returns
    -------
    new_w : ndarray, the shape of ``w``
        The parameter after the step (a new array, or ``w`` updated in place).
    """
    raise NotImplementedError("write sgd_step")
