"""A network that several test files train on two backends and compare."""

import numpy as np

import minicnn as mc


def fit_batchnorm_dropout_network(backend_name, x, y, filters, rate, batch_size, learning_rate):
    """Train a convolution without bias (before BatchNorm its true gradient is 0, and Adam would blow the rounding
    noise up to full steps), BatchNormalization, ReLU and Dropout (seed 1) under a sigmoid output for 2 epochs on
    ``backend_name``. Returns the model and what the backends must agree on: ``(losses, predictions, weights,
    moving averages)``."""
    with mc.use_backend(backend_name):
        model = mc.Sequential([mc.Conv2D(filters, 3, use_bias=False, input_shape=x.shape[1:]),
                               mc.BatchNormalization(momentum=0.5), mc.ReLU(), mc.Flatten(), mc.Dropout(rate, seed=1),
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
