"""The error types minicnn raises.

Each subclasses the built-in type a Python user would expect, so ``except ValueError`` keeps working; the message names
the layer or argument, what was expected and what was given.
"""


class ShapeError(ValueError):
    """An array has the wrong rank or shape for the layer, loss or weight file it was given to."""


class NonFiniteError(ValueError):
    """An input holds NaN or infinity."""


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during ``fit``; ``epoch`` and ``batch`` say where (1-based)."""

    def __init__(self, message, epoch, batch, history=None):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.history = history


class WeightFileError(ValueError):
    """A weight file does not match the model's architecture, or is not a minicnn weight file."""


class BackendError(RuntimeError):
    """An unknown backend name, or a backend that cannot run on this machine."""
