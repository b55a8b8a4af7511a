"""Exercise sigmoid_backward: the backward pass of the sigmoid activation.

Fill in the body of sigmoid_backward, then check it:

    minicnn exercise check sigmoid_backward this_file.py

or in a notebook: ``minicnn.exercises.check("sigmoid_backward", sigmoid_backward)``.
"""

import numpy as np


def sigmoid_backward(grad_a, a):
    """The gradient ``∂L/∂z`` of the sigmoid layer ``a = σ(z) = 1 / (1 + e^{−z})``, from its output ``a``.

    Parameters
    ----------
    grad_a : ndarray, any shape
        ``∂L/∂a``, the gradient of the loss with respect to the layer's output.
    a : ndarray, the shape of ``grad_a``
        The layer's output ``a = σ(z)`` from the forward pass (not ``z``).

    Returns
    -------
    grad_z : ndarray, the shape of ``a``
        ``∂L/∂z``, the gradient with respect to the layer's input.
    """
    raise NotImplementedError("write sigmoid_backward")
