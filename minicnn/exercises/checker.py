"""``check(name, solution)``: run a student's function on hand-picked cases, then on cases drawn by hypothesis.

The order is fixed, so a student sees the same first failure every time:

1. the exercise's hand-picked cases, simplest first;
2. ``random_examples`` cases drawn by hypothesis with a derandomized (fixed) seed and no example database, their
   values in halves rather than whole numbers (``values.value_step``); when one fails, hypothesis shrinks it to the
   simplest failing case (smallest shapes, plainest settings, seed 0), and that is the case reported.

The first failure is explained (see ``messages``), with the classic mistake it matches when there is one.
"""

from dataclasses import dataclass

import numpy as np

from minicnn.exercises.catalogue import NAMES, get_exercise
from minicnn.exercises.comparing import compare_output, split_outputs
from minicnn.exercises.diagnosing import fractions_dropped, recognise_mistakes
from minicnn.exercises.loading import (SolutionNotFound, load_function, parameters_in_another_order,
                                       refuse_checking_while_loading)
from minicnn.exercises.messages import failure_message, loading_message, parameter_order_message, passed_message
from minicnn.exercises.result import CheckResult
from minicnn.exercises.running import StudentCall, TookTooLong, call_student
from minicnn.exercises.values import HALVES


@dataclass
class Attempt:
    """One case tried: its sizes and settings, the seed of its values, the arguments, and what came back.

    ``problem`` is set when the returned value as a whole is unusable (a tuple where one array was expected, ...);
    ``checks`` holds the comparison of each output otherwise.
    """

    case: dict
    seed: int
    arguments: dict
    expected: dict
    call: StudentCall
    problem: str = None
    checks: list = None

    @property
    def failed(self):
        return (self.call.error is not None or self.problem is not None
                or any(not check.agrees for check in self.checks))


def try_case(exercise, function, case, seed):
    """Run ``function`` on the arguments of ``case`` (values drawn with ``seed``) and compare with the reference."""
    arguments = exercise.make_arguments(case, np.random.default_rng(seed))
    expected = exercise.expected_outputs(arguments)
    call = call_student(function, arguments, exercise.parameters)
    attempt = Attempt(case=case, seed=seed, arguments=arguments, expected=expected, call=call, checks=[])
    if call.error is None:
        values, attempt.problem = split_outputs(call.value, exercise.outputs, expected)
        if values is not None:
            attempt.checks = [compare_output(name, value, expected[name])
                              for name, value in zip(exercise.outputs, values)]
            attempt.problem = outputs_in_another_order(exercise.outputs, values, expected)
    return attempt


def outputs_in_another_order(outputs, values, expected):
    """A problem when the returned values have the expected outputs' shapes in another order, each shape that of
    exactly one output (else None): the shape errors alone did not say that the values were all there."""
    if len(outputs) < 2:
        return None
    try:
        shapes = [tuple(np.shape(value)) for value in values]
    except Exception:  # something NumPy cannot read: compare_output has said so
        return None
    wanted = [tuple(np.shape(expected[name])) for name in outputs]
    if shapes == wanted or sorted(shapes) != sorted(wanted) or len(set(wanted)) < len(wanted):
        return None
    theirs = [outputs[wanted.index(shape)] for shape in shapes]
    return (f"your function returned its {len(outputs)} values in another order: by their shapes, "
            f"({', '.join(theirs)}); return ({', '.join(outputs)}).")


class _CaseFailed(Exception):
    """Tells hypothesis that a case failed (the details are kept in the search's list of failures)."""


def search_random_cases(exercise, function):
    """Try ``exercise.random_examples`` cases drawn by hypothesis.

    Returns ``(attempt, passed)``: the first failing case after hypothesis shrank it (None when all passed), and how
    many cases passed before the first failure.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import strategies as st

    failures = []
    tried = []
    stopped = []  # a case the student's function did not return from: no other case is tried (each would take as
    # long), so that hypothesis cannot shrink it; it is the one reported

    @settings(max_examples=exercise.random_examples, derandomize=True, database=None, deadline=None,
              phases=(Phase.generate, Phase.shrink), verbosity=Verbosity.quiet, report_multiple_bugs=False,
              print_blob=False, suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large,
                                                       HealthCheck.filter_too_much, HealthCheck.large_base_example))
    @given(case=exercise.random_cases(), seed=st.integers(0, 2**16 - 1))
    def try_drawn_case(case, seed):
        if stopped:
            return
        attempt = try_case(exercise, function, dict(case, **{HALVES: True}), seed)  # values in halves, see values.py
        tried.append(attempt.failed)
        if isinstance(attempt.call.error, TookTooLong):
            stopped.append(attempt)
        if attempt.failed:
            failures.append(attempt)
            raise _CaseFailed

    try:
        try_drawn_case()
    except Exception:  # _CaseFailed after shrinking, or hypothesis' own report of a flaky (non-deterministic) failure
        if not failures:
            raise
    # hypothesis replays the shrunk failing case last, so the last failure recorded is the simplest one
    passed_before_failing = tried.index(True) if True in tried else len(tried)
    return (stopped[0] if stopped else failures[-1] if failures else None), passed_before_failing


def check(name, solution):
    """Check a solution of exercise ``name``.

    Parameters
    ----------
    name : str
        The exercise, e.g. ``"conv_forward"`` (see ``list_exercises()``).
    solution : callable, module, str or path
        Your function, a module that defines it, or the path of a ``.py`` file that defines a function named ``name``.

    Returns
    -------
    CheckResult
        ``result.passed`` (also ``bool(result)``) and ``result.message``; in a notebook the result shows itself.
        On failure ``result.arguments`` holds the failing case's inputs and ``result.expected`` the expected outputs.

    Raises
    ------
    ValueError
        When ``name`` is not an exercise.
    """
    if not isinstance(name, str) and isinstance(solution, str) and solution in NAMES:
        raise ValueError(f"check: the exercise's name comes first, check({solution!r}, your_function); got "
                         f"check({_short(name)}, {solution!r})")
    exercise = get_exercise(name)
    refuse_checking_while_loading(exercise.name)
    try:
        function = load_function(solution, exercise.name)
    except SolutionNotFound as problem:
        return CheckResult(exercise=exercise.name, passed=False, message=loading_message(exercise, str(problem)))
    theirs = parameters_in_another_order(function, exercise.parameters)
    if theirs is not None:
        return CheckResult(exercise=exercise.name, passed=False, message=parameter_order_message(exercise, theirs))
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        return CheckResult(exercise=exercise.name, passed=False,
                           message=f"{exercise.name}: the checker needs the hypothesis package; install it with "
                                   f"'pip install hypothesis' and check again.")

    changed_in_place = set()  # the arguments the function changed on the hand-picked cases (each gets a copy)
    for number, case in enumerate(exercise.fixed_cases):
        attempt = try_case(exercise, function, case, seed=number)
        changed_in_place.update(attempt.call.changed_in_place)
        if attempt.failed:
            return _failure(exercise, function, attempt, passed_before=number, where="hand-picked",
                            changed_in_place=changed_in_place)
    attempt, passed_random = search_random_cases(exercise, function)
    if attempt is not None:
        return _failure(exercise, function, attempt, passed_before=len(exercise.fixed_cases) + passed_random,
                        where="random", changed_in_place=changed_in_place | set(attempt.call.changed_in_place))
    return CheckResult(exercise=exercise.name, passed=True, cases=len(exercise.fixed_cases) + passed_random,
                       message=passed_message(exercise, len(exercise.fixed_cases), passed_random, changed_in_place))


def _failure(exercise, function, attempt, passed_before, where, changed_in_place=()):
    mistakes = recognise_mistakes(exercise, function, attempt)
    message = failure_message(exercise, attempt, mistakes, passed_before, where, changed_in_place,
                              fractions_dropped=fractions_dropped(exercise, function, attempt))
    return CheckResult(
        exercise=exercise.name, passed=False, cases=passed_before, message=message,
        arguments=attempt.arguments, expected=attempt.expected,
        mistakes={output: tuple(m.name for m in found) for output, found in mistakes.items()})


def _short(value):
    return getattr(value, "__name__", None) or type(value).__name__
