"""``MaxPooling2D`` and ``AveragePooling2D`` over channels-last images (Keras' names and arguments)."""

from minicnn import backend
from minicnn.kernels.padding import check_padding, spatial_output_size
from minicnn.layers.base import Layer, as_pair


class _Pooling2D(Layer):
    """Shared arguments (``pool_size``, ``strides``, ``padding``: see ``MaxPooling2D``) and shape arithmetic of the
    pooling layers; no weights."""

    input_ndim = 4
    input_layout = "(N, H, W, C)"
    runs_on_device = True

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = as_pair(pool_size, "pool_size", self.describe())
        self.strides = self.pool_size if strides is None else as_pair(strides, "strides", self.describe())
        self.padding = check_padding(padding, f"{self.describe()}: padding")

    def compute_output_shape(self, input_shape):
        n, height, width, channels = input_shape
        out = spatial_output_size(height, width, self.pool_size, self.strides, self.padding, self.describe(),
                                  "pool_size")
        return (n, out[0], out[1], channels)

    def _check_built_shape(self, shape):
        pass  # no weights: any channel count is fine

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """Max pooling: ``y[n,i,j,c] = max_{k,l} x_pad[n, i·sh+k, j·sw+l, c]`` (``x_pad`` is ``x`` for ``valid``).

    Backward sends each ``∂L/∂y`` to the input that won its window (the first one on ties) and 0 to the others.
    ``same`` padding pads with −∞, so padding never wins. The loops: ``equations.max_pool2d_nhwc`` and
    ``equations.max_pool2d_nhwc_backward``.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).

    Parameters
    ----------
    pool_size : int or (int, int), default 2
        The window ``(ph, pw)``: ``k`` runs over ``0 … ph−1`` and ``l`` over ``0 … pw−1``.
    strides : int, (int, int) or None, default None
        The step ``(sh, sw)`` between windows; None means ``pool_size`` (windows side by side, no overlap).
    padding : "valid" or "same", default "valid"
        ``valid``: only the windows that fit, ``H_out = (H − ph) // sh + 1``. ``same``: ``H_out = ceil(H / sh)``,
        the extra row or column of padding at the bottom or right, as in Keras; padding (−∞) never wins the max.

    Shapes
    ------
    input ``(N, H, W, C)`` → output ``(N, H_out, W_out, C)``; each channel is pooled on its own.
    """

    def forward(self, x, training=False):
        x = self._prepare_input(x)
        self._x_shape = x.shape
        y, self._argmax = backend.kernels().max_pool2d_forward(x, self.pool_size, self.strides, self.padding)
        return y

    def backward(self, grad_out):
        self._after_forward("_argmax")
        return backend.kernels().max_pool2d_backward(self._upstream_gradient(grad_out), self._argmax,
                                                     self._x_shape, self.pool_size, self.strides, self.padding)


class AveragePooling2D(_Pooling2D):
    """Average pooling: ``y[n,i,j,c] = (1/|R|) Σ_{(k,l) ∈ R} x[n, i·sh+k−top, j·sw+l−left, c]``, ``R`` the
    window's positions on real inputs (``top = left = 0`` and ``|R| = ph·pw`` for ``valid`` padding).

    Backward shares each ``∂L/∂y`` equally among the inputs of its window. With ``same`` padding the padded
    positions are not counted in ``|R|`` (Keras' rule). The loops: ``equations.average_pool2d_nhwc`` and
    ``equations.average_pool2d_nhwc_backward``.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).

    Parameters
    ----------
    pool_size : int or (int, int), default 2
        The window ``(ph, pw)``: ``k`` runs over ``0 … ph−1`` and ``l`` over ``0 … pw−1``.
    strides : int, (int, int) or None, default None
        The step ``(sh, sw)`` between windows; None means ``pool_size`` (windows side by side, no overlap).
    padding : "valid" or "same", default "valid"
        ``valid``: only the windows that fit, ``H_out = (H − ph) // sh + 1``. ``same``: ``H_out = ceil(H / sh)``,
        the extra row or column of padding at the bottom or right, as in Keras; padding is not counted in ``|R|``.

    Shapes
    ------
    input ``(N, H, W, C)`` → output ``(N, H_out, W_out, C)``; each channel is pooled on its own.
    """

    def forward(self, x, training=False):
        x = self._prepare_input(x)
        self._x_shape = x.shape
        return backend.kernels().avg_pool2d_forward(x, self.pool_size, self.strides, self.padding)

    def backward(self, grad_out):
        self._after_forward("_x_shape")
        return backend.kernels().avg_pool2d_backward(self._upstream_gradient(grad_out), self._x_shape,
                                                     self.pool_size, self.strides, self.padding)
