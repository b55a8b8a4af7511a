"""Activation functions as layers: ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax`` (and ``Linear``, the identity), and
Keras' ``Activation("relu")``, a layer that applies the activation it names.

Each works elementwise (Softmax: along the last axis) on inputs of any rank. ``Conv2D(..., activation="relu")`` and
``Dense(..., activation="sigmoid")`` hold one of these and apply it after their affine step, as Keras does.
"""

import copy
import warnings

from minicnn import backend, checks
from minicnn.layers.base import Layer


class Activation(Layer):
    """Base for activations: ``forward`` checks the input, ``apply`` computes ``a = f(z)`` and keeps what
    ``backward`` needs, ``backward`` returns ``∂L/∂z = ∂L/∂a · f'(z)``, in the dtype ``apply`` computed in (inside
    a ``Conv2D`` or ``Dense``, that layer's).

    Given a name, it is also Keras' ``Activation("relu")`` layer: it applies the activation of that name (one of
    ``ACTIVATIONS``, held as ``self.activation``), and ``summary`` lists it as ``Activation``, as Keras does. Without
    a name, ``Activation()`` is refused: it has no ``f`` to apply. An activation of your own subclasses ``Activation``
    and defines ``apply`` and ``backward``; it needs no name.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).
    """

    #: the named activation this layer applies (Keras' ``Activation("relu")``); None for ``ReLU()`` and the like
    activation = None

    def __init__(self, activation=None, **kwargs):
        if activation is None and type(self) is Activation:
            raise TypeError("Activation: expected activation, the name of the activation to apply, e.g. "
                            f"Activation('relu') (one of {sorted(ACTIVATIONS)}), or a subclass of Activation that "
                            "defines apply and backward; got no activation (a bare Activation() computes nothing)")
        super().__init__(**kwargs)
        if activation is not None:
            spelled = checks.known_name(activation, ACTIVATIONS)
            if spelled is None:
                raise ValueError(f"{self.describe()}: {_unknown(activation)}")
            self.activation = ACTIVATIONS[spelled](name=f"{self.name}_{spelled}", dtype=self.dtype)
            self.runs_on_device = True  # the named activations all have kernels on every backend

    def build(self, input_shape):
        if self.activation is not None:
            warn_if_softmax_over_one(self.activation, input_shape[-1], self.describe())
        super().build(input_shape)

    def forward(self, x, training=False):
        return self.apply(self._prepare_input(x))

    def _check_built_shape(self, shape):
        pass  # no weights: any shape is fine, as for pooling and dropout

    def apply(self, z):
        if self.activation is None:
            raise NotImplementedError(f"{type(self).__name__}: an activation of your own defines apply and backward")
        return self.activation.apply(z)

    def backward(self, grad_out):
        if self.activation is None:
            raise NotImplementedError(f"{type(self).__name__}: an activation of your own defines apply and backward")
        return self.activation.backward(grad_out)

    def get_config(self):
        config = super().get_config()
        return config if self.activation is None else {**config, "activation": activation_name(self.activation)}


class Linear(Activation):
    """``a = z``: no activation.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).
    """

    __init__ = Layer.__init__  # one activation: Layer's arguments, name first, and no activation name

    runs_on_device = True

    def apply(self, z):
        self._a = z
        return z

    def backward(self, grad_out):
        self._after_forward("_a")
        return self._upstream_gradient(grad_out, self._a.dtype)


class ReLU(Activation):
    """``a = max(0, z)``; ``∂a/∂z = 1`` where ``z > 0``, else 0 (0 at the kink itself, as every framework does).

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).
    """

    __init__ = Layer.__init__  # one activation: Layer's arguments, name first, and no activation name

    runs_on_device = True

    def apply(self, z):
        self._a = backend.kernels().relu_forward(z)
        return self._a

    def backward(self, grad_out):
        self._after_forward("_a")
        return backend.kernels().relu_backward(self._upstream_gradient(grad_out, self._a.dtype), self._a)


class Sigmoid(Activation):
    """``σ(z) = 1 / (1 + e^{−z})``; ``∂σ/∂z = σ(z)·(1 − σ(z))``.

    Computed as ``1/(1+e^{−|z|})`` or ``e^{−|z|}/(1+e^{−|z|})`` by the sign of z, so no exponential overflows.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).
    """

    __init__ = Layer.__init__  # one activation: Layer's arguments, name first, and no activation name

    runs_on_device = True

    def apply(self, z):
        self._a = backend.kernels().sigmoid_forward(z)
        return self._a

    def backward(self, grad_out):
        self._after_forward("_a")
        return backend.kernels().sigmoid_backward(self._upstream_gradient(grad_out, self._a.dtype), self._a)


class Tanh(Activation):
    """``a = tanh(z)``; ``∂a/∂z = 1 − a²``.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).
    """

    __init__ = Layer.__init__  # one activation: Layer's arguments, name first, and no activation name

    runs_on_device = True

    def apply(self, z):
        self._a = backend.kernels().tanh_forward(z)
        return self._a

    def backward(self, grad_out):
        self._after_forward("_a")
        return backend.kernels().tanh_backward(self._upstream_gradient(grad_out, self._a.dtype), self._a)


class Softmax(Activation):
    """``s_k = e^{z_k} / Σ_j e^{z_j}`` along the last axis (the max is subtracted first; it cancels).

    Backward is the Jacobian-vector product ``∂L/∂z_k = s_k · (∂L/∂s_k − Σ_j ∂L/∂s_j · s_j)``.

    Keywords of every layer (see ``Layer``): ``name``, ``input_shape`` (one sample's shape without the batch axis, e.g.
    ``(32, 32, 1)``), ``dtype`` (float32, the default, or float64), ``trainable`` (False freezes the weights).
    """

    __init__ = Layer.__init__  # one activation: Layer's arguments, name first, and no activation name

    runs_on_device = True

    def build(self, input_shape):
        warn_if_softmax_over_one(self, input_shape[-1], self.describe())
        super().build(input_shape)

    def apply(self, z):
        self._s = backend.kernels().softmax_forward(z)
        return self._s

    def backward(self, grad_out):
        self._after_forward("_s")
        return backend.kernels().softmax_backward(self._upstream_gradient(grad_out, self._s.dtype), self._s)


ACTIVATIONS = {"linear": Linear, "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}


def get_activation(activation, owner):
    """The activation layer of the layer ``owner`` (a Dense or Conv2D) from a name (``"relu"``), a class, an instance,
    or None (the identity).

    An instance is copied: an activation keeps its last output for ``backward``, so one instance shared by two layers
    would hand the first layer's backward the second layer's output (wrong gradients, without an error). Keras'
    activations keep nothing, so sharing one is harmless there; with the copies it is harmless here too."""
    if activation is None:
        return None
    if type(activation) is Activation and activation.activation is not None:
        return copy.deepcopy(activation.activation)  # Keras' Activation("relu") given to a Dense: the ReLU it holds
    if isinstance(activation, Activation):
        return copy.deepcopy(activation)
    if isinstance(activation, type) and issubclass(activation, Activation):
        return activation()
    spelled = checks.known_name(activation, ACTIVATIONS)
    if spelled is not None:
        return ACTIVATIONS[spelled](name=f"{owner.name}_{spelled}")
    raise ValueError(f"{owner.describe()}: {_unknown(activation)}, or None")


def _unknown(activation):
    """Words for an activation that is none of ``ACTIVATIONS``: the closest name, and the way to write one."""
    return (f"unknown activation {activation!r}{checks.did_you_mean(activation, ACTIVATIONS)}; choose one of "
            f"{sorted(ACTIVATIONS)}, or a subclass of mc.Activation of your own (defining apply and backward)")


def warn_if_softmax_over_one(activation, outputs, owner):
    """Warn where ``activation`` is a softmax over a single output: it is 1 whatever its input, so nothing is
    learned through it (a yes/no output wants a sigmoid)."""
    if isinstance(activation, Softmax) and outputs == 1:
        warnings.warn(f"{owner}: a softmax over 1 output is always 1.0, so nothing can be learned through it; for "
                      "one output (a yes/no answer) use activation='sigmoid' with binary_crossentropy", stacklevel=3)


def activation_name(activation):
    """The name ``get_activation`` understands for an activation held by a layer (None for none)."""
    if activation is None:
        return None
    for name, cls in ACTIVATIONS.items():
        if type(activation) is cls:
            return name
    return type(activation).__name__
