"""Which exercises there are, in teaching order, and their texts: task, starter and solution.

Each exercise is a folder ``minicnn/exercises/<name>/`` (see ``minicnn.exercises.exercise``). The one-line summary is
the first line of its ``task.md``.
"""

import importlib
from importlib import resources

#: the exercises in teaching order: the simple gradients first, then the dense layer, then convolution and pooling
NAMES = (
    "mse_gradient",
    "sgd_step",
    "sigmoid_backward",
    "dense_backward",
    "softmax_cross_entropy_gradient",
    "conv_forward",
    "conv_backward",
    "max_pool_forward",
    "max_pool_backward",
)


def _known(name):
    if name not in NAMES:
        raise ValueError(f"unknown exercise {name!r}; the exercises are: {', '.join(NAMES)}")
    return name


def _read(name, filename):
    return resources.files(f"minicnn.exercises.{_known(name)}").joinpath(filename).read_text(encoding="utf-8")


def task_text(name):
    """The task for the student, in Markdown."""
    return _read(name, "task.md")


def starter_source(name):
    """The starter file: the function's signature and docstring, its body left to write."""
    return _read(name, "starter.py")


def solution_source(name):
    """A readable reference solution, for teachers."""
    return _read(name, "solution.py")


def summary(name):
    """The one-line summary: the first line of the task, without its Markdown heading mark."""
    return task_text(name).splitlines()[0].lstrip("#").strip()


def list_exercises():
    """``[(name, one-line summary), ...]`` in teaching order."""
    return [(name, summary(name)) for name in NAMES]


def get_exercise(name):
    """The ``Exercise`` that the checker uses for ``name`` (from ``minicnn/exercises/<name>/checks.py``)."""
    return importlib.import_module(f"minicnn.exercises.{_known(name)}.checks").EXERCISE
