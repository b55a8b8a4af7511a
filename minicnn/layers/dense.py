"""``Dense``: the document's affine layer ``z = Wx + b`` followed by an activation ``a = f(z)``."""

import numpy as np

from minicnn import backend, checks
from minicnn.checks import flag
from minicnn.layers.activations import activation_name, get_activation, warn_if_softmax_over_one
from minicnn.layers.base import Layer
from minicnn.layers.initializers import glorot_uniform


class Dense(Layer):
    """Fully connected layer: ``z = x · W + b``, ``a = f(z)``.

    For one sample (a column vector) this is the document's ``z = Wx + b`` with the document's ``W`` equal to the
    transpose of ``kernel``; Keras stores ``kernel`` as ``(in, out)`` so a batch of rows multiplies from the left.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).

    Parameters
    ----------
    units : int
        Output size.
    activation : str, Activation or None
    use_bias : bool, default True
    seed : int or numpy.random.Generator, optional
        For the Glorot-uniform kernel (biases start at zero).

    Shapes
    ------
    input ``(N, in)`` → output ``(N, units)``; kernel ``(in, units)``, bias ``(units,)``.

    Backward: ``∂L/∂z = ∂L/∂a · f'(z)``, ``∂L/∂W = xᵀ · ∂L/∂z``, ``∂L/∂b = Σ_n ∂L/∂z[n]``, ``∂L/∂x = ∂L/∂z · Wᵀ``.
    """

    input_ndim = 2
    input_layout = "(N, features)"
    runs_on_device = True

    def __init__(self, units, activation=None, use_bias=True, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{self.describe()}: units must be a positive int, got {units!r}")
        self.units = int(units)
        self.activation = get_activation(activation, self)
        warn_if_softmax_over_one(self.activation, self.units, self.describe())
        self.use_bias = flag(use_bias, "use_bias", self.describe())
        self.seed = checks.seed(seed, "seed", self.describe())

    def build(self, input_shape):
        fan_in = input_shape[-1]
        self._add_weight("kernel", glorot_uniform((fan_in, self.units), fan_in, self.units, self.seed))
        if self.use_bias:
            self._add_weight("bias", np.zeros(self.units))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def forward(self, x, training=False):
        self._x = self._prepare_input(x)
        z = backend.kernels().dense_forward(self._x, self.params["kernel"], self.params.get("bias"))
        return z if self.activation is None else self.activation.apply(z)

    def backward(self, grad_out, input_gradient=True):
        """Fill ``grads`` from ``∂L/∂a``; return ``∂L/∂x`` (None, and not computed, when ``input_gradient`` is
        False)."""
        self._after_forward("_x")
        grad_out = self._upstream_gradient(grad_out)
        grad_z = grad_out if self.activation is None else self.activation.backward(grad_out)
        grad_x, grad_kernel, grad_bias = backend.kernels().dense_backward(grad_z, self._x,
                                                                           self.params["kernel"],
                                                                           input_gradient=input_gradient)
        self.grads["kernel"] = grad_kernel
        if self.use_bias:
            self.grads["bias"] = grad_bias
        return grad_x

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activation_name(self.activation),
                "use_bias": self.use_bias}
