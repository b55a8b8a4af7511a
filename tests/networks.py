"""What several test files share: a network they train on two backends and compare, and the layers a student
steps through by hand."""

import re

import numpy as np
import pytest

import minicnn as mc
from minicnn.backend import to_host
from minicnn.errors import ShapeError


def fit_batchnorm_dropout_network(backend_name, x, y, filters, rate, batch_size, learning_rate):
    """Train a convolution without bias (before BatchNorm its true gradient is 0, and Adam would blow the rounding
    noise up to full steps), BatchNormalization, ReLU and Dropout (seed 1) under a sigmoid output for 2 epochs on
    ``backend_name``. Returns the model and what the backends must agree on: ``(losses, predictions, weights,
    moving averages)``."""
    with mc.use_backend(backend_name):
        model = mc.Sequential([mc.Conv2D(filters, 3, use_bias=False, input_shape=x.shape[1:]),
                               mc.BatchNormalization(momentum=0.9), mc.ReLU(), mc.Flatten(), mc.Dropout(rate, seed=1),
                               mc.Dense(1, activation="sigmoid")], seed=0)
        model.compile(optimizer=mc.Adam(learning_rate), loss="binary_crossentropy")
        losses = model.fit(x, y, epochs=2, batch_size=batch_size, seed=0, verbose=0).history["loss"]
        return model, (losses, model.predict(x), model.get_weights(), dict(model.layers[1].state))


def assert_trained_alike(results, expected, rtol, atol):
    """Two results of ``fit_batchnorm_dropout_network`` agree: losses, predictions, weights and moving averages,
    all host arrays; and the moving averages did move away from their start."""
    losses, predictions, weights, moving = results
    np.testing.assert_allclose(losses, expected[0], rtol=rtol)
    np.testing.assert_allclose(predictions, expected[1], rtol=rtol, atol=atol)
    for weight, expected_weight in zip(weights, expected[2]):
        assert type(weight) is np.ndarray
        np.testing.assert_allclose(weight, expected_weight, rtol=rtol, atol=atol)
    for key, value in moving.items():
        assert type(value) is np.ndarray
        np.testing.assert_allclose(value, expected[3][key], rtol=rtol, atol=atol)
    assert not np.allclose(moving["moving_variance"], 1.0)


#: ``(make_layer, input shape)`` for every kind of layer, with a convolution's activation in front of its backward
LAYERS_BY_HAND = [
    (lambda: mc.Conv2D(3, 2, activation="sigmoid"), (2, 5, 4, 2)), (lambda: mc.Dense(3), (2, 4)),
    (lambda: mc.MaxPooling2D(), (2, 4, 4, 1)), (lambda: mc.AveragePooling2D(), (2, 4, 4, 1)),
    (lambda: mc.Flatten(), (2, 3, 3, 1)), (lambda: mc.BatchNormalization(), (3, 2)),
    (lambda: mc.Dropout(0.5, seed=0), (3, 2)), (mc.ReLU, (3, 2)), (mc.Sigmoid, (3, 2)), (mc.Tanh, (3, 2)),
    (mc.Softmax, (3, 2))]


def step_through_by_hand(layer, shape):
    """``layer.backward`` before any forward, with a gradient one channel wider than the forward's output, and with
    a string or complex numbers, raise errors that say so; the right gradient gives ∂L/∂x of the input's shape, in
    the layer's dtype, and the same numbers written as a list give the same ∂L/∂x."""
    with pytest.raises(RuntimeError, match=rf"^{type(layer).__name__} '{layer.name}'.backward: call forward first "
                                           r"\(backward uses what forward kept\)$"):
        layer.backward(np.ones(shape, np.float32))
    y = layer.forward(np.random.default_rng(0).standard_normal(shape).astype(np.float32), training=True)
    right = tuple(y.shape)  # a device array's shape is not always a tuple
    wider = right[:-1] + (right[-1] + 1,)
    with pytest.raises(ShapeError, match=re.escape(f"expected the gradient of shape {right} (the forward pass's "
                                                   f"output), got {wider}")):
        layer.backward(np.ones(wider, np.float32))
    for wrong, given in (("g", "'g'"), (np.ones(right, complex), "dtype complex128")):
        with pytest.raises(TypeError, match=re.escape(f"{layer.describe()}.backward: expected grad_out of real "
                                                      f"numbers, got {given}")):
            layer.backward(wrong)
    upstream = np.random.default_rng(1).standard_normal(right).astype(np.float32)
    grad_x = to_host(layer.backward(upstream))
    assert grad_x.shape == shape and grad_x.dtype == np.float32
    from_a_list = to_host(layer.backward(upstream.tolist()))  # a list of Python floats, read in the layer's dtype
    assert from_a_list.dtype == np.float32 and np.array_equal(from_a_list, grad_x)
