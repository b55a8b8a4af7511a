"""``Conv2D``: the convolution sum as a layer (Keras' name, arguments and weight shapes)."""

import numpy as np

from minicnn import backend, checks
from minicnn.checks import flag
from minicnn.kernels.padding import check_padding, spatial_output_size
from minicnn.layers.activations import activation_name, get_activation, warn_if_softmax_over_one
from minicnn.layers.base import Layer, as_pair
from minicnn.layers.initializers import glorot_uniform


class Conv2D(Layer):
    """2-D convolution (cross-correlation) over channels-last images, then an optional activation.

    ``z[n,i,j,o] = b[o] + Σ_k Σ_l Σ_c x_pad[n, i·sh+k, j·sw+l, c] · w[k,l,c,o]``,  ``a = f(z)``

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).

    Parameters
    ----------
    filters : int
        Number of output channels ``C_out``.
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    strides : int or (int, int), default 1
    padding : "valid" or "same", default "valid"
    activation : str, Activation or None
    use_bias : bool, default True
    seed : int or numpy.random.Generator, optional
        For the Glorot-uniform kernel initialisation (biases start at zero).

    Shapes
    ------
    input ``(N, H, W, C_in)`` → output ``(N, H_out, W_out, C_out)``; kernel ``(kh, kw, C_in, C_out)``, bias
    ``(C_out,)``.

    Notes
    -----
    ``H_out = (H + pad_top + pad_bottom − kh) // sh + 1``: ``(H − kh) // sh + 1`` for ``valid``, ``ceil(H / sh)``
    for ``same`` (see ``minicnn.kernels.padding``).
    """

    input_ndim = 4
    input_layout = "(N, H, W, C)"
    runs_on_device = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"{self.describe()}: filters must be a positive int, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = as_pair(kernel_size, "kernel_size", self.describe())
        self.strides = as_pair(strides, "strides", self.describe())
        self.padding = check_padding(padding, f"{self.describe()}: padding")
        self.activation = get_activation(activation, self)
        warn_if_softmax_over_one(self.activation, self.filters, self.describe())
        self.use_bias = flag(use_bias, "use_bias", self.describe())
        self.seed = checks.seed(seed, "seed", self.describe())

    def build(self, input_shape):
        c_in = input_shape[-1]
        kh, kw = self.kernel_size
        self._add_weight("kernel", glorot_uniform((kh, kw, c_in, self.filters), kh * kw * c_in,
                                                  kh * kw * self.filters, self.seed))
        if self.use_bias:
            self._add_weight("bias", np.zeros(self.filters))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        n, height, width, _ = input_shape
        out = spatial_output_size(height, width, self.kernel_size, self.strides, self.padding, self.describe())
        return (n, out[0], out[1], self.filters)

    def forward(self, x, training=False):
        self._x = self._prepare_input(x)
        z = backend.kernels().conv2d_forward(self._x, self.params["kernel"], self.params.get("bias"), self.strides,
                                             self.padding)
        return z if self.activation is None else self.activation.apply(z)

    def backward(self, grad_out, input_gradient=True):
        """Fill ``grads`` from ``∂L/∂a``; return ``∂L/∂x`` (None, and not computed, when ``input_gradient`` is
        False)."""
        self._after_forward("_x")
        grad_out = self._upstream_gradient(grad_out)
        grad_z = grad_out if self.activation is None else self.activation.backward(grad_out)
        grad_x, grad_kernel, grad_bias = backend.kernels().conv2d_backward(
            grad_z, self._x, self.params["kernel"], self.strides,
            self.padding, input_gradient=input_gradient)
        self.grads["kernel"] = grad_kernel
        if self.use_bias:
            self.grads["bias"] = grad_bias
        return grad_x

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "activation": activation_name(self.activation),
                "use_bias": self.use_bias}
