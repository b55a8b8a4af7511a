"""Ready-made networks."""

from minicnn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from minicnn.model import Sequential


def document_network(input_shape=(32, 32, 1), seed=None):
    """The document's example network: two 3×3 convolutions with ReLU and 2×2 max pooling, a 256-unit dense layer
    and one sigmoid output (a binary classifier)::

        Conv2D(32, 3×3, same, relu) → MaxPooling2D(2×2) → Conv2D(64, 3×3, same, relu) → MaxPooling2D(2×2)
        → Flatten → Dense(256, relu) → Dense(1, sigmoid)

    ``seed`` fixes the initial weights.
    """
    return Sequential([
        Conv2D(32, (3, 3), padding="same", activation="relu", input_shape=input_shape),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), padding="same", activation="relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(256, activation="relu"),
        Dense(1, activation="sigmoid"),
    ], name="document_network", seed=seed)
