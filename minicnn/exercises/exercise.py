"""What an exercise is: a function to write, a reference to compare it with, cases to try, and classic mistakes.

Each exercise lives in its own folder, ``minicnn/exercises/<name>/``:

- ``task.md``: the task text for the student (its first line is the one-line summary);
- ``starter.py``: the signature and docstring, with the body left to write;
- ``solution.py``: a readable reference solution, for teachers;
- ``checks.py``: what the checker compares a solution with, as one ``Exercise`` named ``EXERCISE``.

A *mistake model* is a deliberately wrong version of the exercise's function: it takes the same arguments and returns
what a solution that makes one classic mistake returns. When a student's output matches a mistake model, the checker
names the mistake. A model may return a list of arrays when the same mistake can come out in several ways (a row
short, a column short, or both); matching any of them counts. A model raises ``NotApplicable`` where the mistake
cannot show (no padding to misplace with ``padding="valid"``).
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


class NotApplicable(Exception):
    """Raised by a mistake model for arguments where its mistake cannot happen or cannot be told apart."""


@dataclass(frozen=True)
class Mistake:
    """One classic mistake: which output it spoils, its name, a hint for the student, and its model.

    Attributes
    ----------
    output : str
        The output this mistake changes, e.g. ``"grad_bias"``.
    name : str
        A short name a student can read aloud: ``"kernel flipped"``.
    hint : str
        What went wrong and how to put it right, written for the student.
    model : callable
        Takes the exercise's arguments by name and returns what a solution with this mistake returns for
        ``output`` (an array, or a list of arrays for several ways of making the same mistake).
    """

    output: str
    name: str
    hint: str
    model: Callable


class MistakeList(list):
    """A list of ``Mistake`` filled with a decorator, so each model reads as a small function under its name::

        mistakes = MistakeList()

        @mistakes.add("y", "bias left out", "Add b[o] to every output of channel o.")
        def bias_left_out(x, kernel, bias, stride, padding):
            return reference(x, kernel, None, stride, padding)
    """

    def add(self, output, name, hint):
        def register(model):
            self.append(Mistake(output=output, name=name, hint=hint, model=model))
            return model

        return register


@dataclass(frozen=True)
class Exercise:
    """Everything the checker needs to know about one exercise.

    Attributes
    ----------
    name : str
        The exercise's name, which is also the name of the function the student writes.
    parameters : tuple of str
        The function's parameters, in call order; the checker passes the arguments positionally in this order.
    outputs : tuple of str
        The names of the values it returns: one name for a single array, several for a tuple.
    reference : callable
        The trusted answer: takes the arguments by name, returns one array or a tuple of arrays like ``outputs``.
    make_arguments : callable
        ``make_arguments(case, rng) -> dict``: the arguments for one case (a dict of sizes and settings), with array
        values drawn from the NumPy generator ``rng``.
    fixed_cases : tuple of dict
        Hand-picked cases tried first, simplest first.
    random_cases : callable
        Returns the hypothesis strategy that draws further cases (called only when checking, so that listing the
        exercises does not import hypothesis).
    mistakes : list of Mistake
        The classic mistakes the checker recognises.
    shape_rules : dict, optional
        For an output, how its shape follows from the inputs; shown when a solution gets the shape wrong.
    may_change_in_place : tuple of str, optional
        The parameters the task allows the function to change in place (``sgd_step``'s ``w``); a solution that
        changes another one gets a note (not a failure): in a network it would corrupt an array still in use.
    random_examples : int
        How many random cases hypothesis tries after the hand-picked ones.
    case_notes : callable, optional
        Takes the arguments by name and returns what is special about that case (a list of texts), said under the
        values of a failing case: "same" padding of no zeros, where a missing ``max(…, 0)`` goes wrong.
    """

    name: str
    parameters: tuple
    outputs: tuple
    reference: Callable
    make_arguments: Callable
    fixed_cases: tuple
    random_cases: Callable
    mistakes: list
    shape_rules: dict = field(default_factory=dict)
    may_change_in_place: tuple = ()
    random_examples: int = 80
    case_notes: Callable = None

    def expected_outputs(self, arguments) -> dict:
        """The reference's outputs for ``arguments``, by output name; under NumPy's default handling of floating-point
        errors whatever the student set (``np.seterr(all="raise")`` made the reference's e^z of −1500 raise)."""
        with np.errstate(all="ignore"):
            values = self.reference(**arguments)
        if len(self.outputs) == 1:
            values = (values,)
        return dict(zip(self.outputs, values))
