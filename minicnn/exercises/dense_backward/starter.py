"""Exercise dense_backward: the backward pass of a dense (fully connected) layer.

Fill in the body of dense_backward, then check it:

    minicnn exercise check dense_backward this_file.py

or in a notebook: ``minicnn.exercises.check("dense_backward", dense_backward)``.
"""

import numpy as np


def dense_backward(grad_z, x, kernel):
    """The gradients of the dense layer ``z = x · W + b``, that is ``z[n, j] = Σ_i x[n, i] · W[i, j] + b[j]``.

    Parameters
    ----------
    grad_z : ndarray, shape (N, n_out)
        ``∂L/∂z``, the gradient of the loss with respect to the layer's output.
    x : ndarray, shape (N, n_in)
        The layer's input from the forward pass.
    kernel : ndarray, shape (n_in, n_out)
        The weights ``W``.

    Returns
    -------
    grad_x : ndarray, shape (N, n_in)
        ``∂L/∂x``.
    grad_kernel : ndarray, shape (n_in, n_out)
        ``∂L/∂W``.
    grad_bias : ndarray, shape (n_out,)
        ``∂L/∂b``.
    """
    raise NotImplementedError("write dense_backward")
