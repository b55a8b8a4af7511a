"""Recognising a classic mistake: does the student's wrong output equal what a mistake model returns?

For each output that differs, every mistake model of that output is run on the same arguments; the ones whose
result matches the student's are the diagnosis. When several match (on one case two mistakes can give the same
numbers), the student's function and those models are run again, on fresh values of the same shapes and then on the
other hand-picked cases, and only the models that keep matching where the student's output is wrong stay. Right
values in another shape (an extra axis) can look like a mistake on one case (with one sample, ``grad_bias[None, :]``
is "not summed over the batch"): there a model must match on every other case it applies to. Right values in a
dtype that loses them, and an empty output (which any empty model output "matches"), are matched by nothing.
"""

import itertools

import numpy as np

from minicnn.exercises.comparing import close, compare_output, split_outputs
from minicnn.exercises.running import call_student, copy_arguments
from minicnn.exercises.values import HALVES

#: seeds of the fresh values used to tell apart mistakes that matched the same failing case
EXTRA_SEEDS = (1001, 1002, 1003)


def model_results(mistake, arguments):
    """What ``mistake.model`` returns for ``arguments``, as a list of float64 arrays (empty where it does not apply)."""
    try:
        with np.errstate(all="ignore"):
            result = mistake.model(**copy_arguments(arguments))
    except Exception:  # NotApplicable, or arguments for which this mistake would crash rather than return
        return []
    alternatives = result if isinstance(result, list) else [result]
    return [np.asarray(a, dtype=np.float64) for a in alternatives]


def matches(mistake, arguments, got):
    """True when the student's ``got`` equals one of the results of ``mistake``'s model on ``arguments``."""
    return any(close(result, got) for result in model_results(mistake, arguments))


def recognise_mistakes(exercise, function, attempt):
    """The classic mistakes that explain each wrong output of ``attempt``, as ``{output name: [Mistake, ...]}``."""
    found = {}
    for check in attempt.checks:
        if check.agrees or check.got is None or check.right_values_in == "a dtype that loses them" \
                or check.got.size == 0:
            continue  # right values in a lossy dtype, or no values (any model of that shape would "match")
        candidates = [m for m in exercise.mistakes
                      if m.output == check.name and matches(m, attempt.arguments, check.got)]
        # the student's wrong outputs on the other cases, each computed once for the two narrowings below
        everywhere, again = itertools.tee(_wrong_outputs(exercise, function, attempt.case, check.name))
        if check.right_values_in == "another shape" and candidates:  # an extra axis, or a mistake it looks like
            candidates = _those_that_match_everywhere(candidates, everywhere)
        if len(candidates) > 1:
            candidates = _keep_those_that_match_again(candidates, again)
        if candidates:
            found[check.name] = candidates
    return found


def _keep_those_that_match_again(candidates, wrong_outputs):
    """The ``candidates`` that keep matching the student's ``(arguments, wrong output)`` pairs, narrowed as long as
    some do."""
    for arguments, got in wrong_outputs:
        still = [m for m in candidates if matches(m, arguments, got)]
        if still:
            candidates = still
        if len(candidates) == 1:
            break
    return candidates


def _those_that_match_everywhere(candidates, wrong_outputs):
    """The ``candidates`` that match the student's wrong output on every other case where they apply: for an output
    whose values are right in another shape, which with one sample or one channel can look like a mistake
    (``grad_bias[None, :]`` like "not summed over the batch"), and which the other cases tell apart."""
    for arguments, got in wrong_outputs:
        candidates = [m for m in candidates if not _applies_and_differs(m, arguments, got)]
    return candidates


def _applies_and_differs(mistake, arguments, got):
    """True where ``mistake`` applies to ``arguments`` and its model (run once) does not give ``got``."""
    results = model_results(mistake, arguments)
    return bool(results) and not any(close(result, got) for result in results)


def _wrong_outputs(exercise, function, case, output):
    """``(arguments, the student's output as a float64 array)`` for each of ``_other_arguments`` where the output is
    wrong (not where it is right or cannot be compared), the student's function called as they are asked for."""
    for arguments in _other_arguments(exercise, case):
        call = call_student(function, arguments, exercise.parameters)
        if call.error is not None:
            continue
        expected = exercise.expected_outputs(arguments)
        values, problem = split_outputs(call.value, exercise.outputs, expected)
        if problem is not None:
            continue
        check = compare_output(output, values[exercise.outputs.index(output)], expected[output])
        if not check.agrees and check.got is not None:
            yield arguments, check.got


def _other_arguments(exercise, case):
    """Fresh values for the failing case's shapes, then the other hand-picked cases (other shapes and settings)."""
    for seed in EXTRA_SEEDS:
        yield exercise.make_arguments(case, np.random.default_rng(seed))
    for number, other in enumerate(exercise.fixed_cases):
        if other != case:
            yield exercise.make_arguments(other, np.random.default_rng(number))


def fractions_dropped(exercise, function, attempt):
    """True where ``attempt`` is a random case, its values in halves, on which the student's outputs have the right
    shapes but wrong values, while the same shapes and settings with whole numbers (as in the hand-picked cases,
    which all passed) give right ones: only the fractions make the difference, which an array of integers inside
    the function explains (it drops them as values are written into it). The output itself is not of integers
    (``compare_output`` says so then); a mistake that shows on these shapes fails with whole numbers too."""
    if not attempt.case.get(HALVES) or attempt.call.error is not None or attempt.problem is not None:
        return False
    wrong = [check for check in attempt.checks if not check.agrees]
    if not wrong or any(check.got is None or check.got.shape != check.expected.shape or check.right_values_in
                        for check in wrong):
        return False
    whole_case = {key: value for key, value in attempt.case.items() if key != HALVES}
    whole = exercise.make_arguments(whole_case, np.random.default_rng(attempt.seed))
    if not _has_fractions(attempt.arguments) or _has_fractions(whole):
        return False  # an exercise whose values are never whole (tenths): whole numbers were not what passed
    return _agrees_on(exercise, function, whole)


def _has_fractions(arguments):
    """True where an array among ``arguments`` holds a number that is not whole."""
    return any(isinstance(value, np.ndarray) and value.dtype.kind == "f" and np.any(value % 1)
               for value in arguments.values())


def _agrees_on(exercise, function, arguments):
    """True where the student's function, called on ``arguments``, returns every output right."""
    call = call_student(function, arguments, exercise.parameters)
    if call.error is not None:
        return False
    expected = exercise.expected_outputs(arguments)
    values, problem = split_outputs(call.value, exercise.outputs, expected)
    if problem is not None:
        return False
    return all(compare_output(name, value, expected[name]).agrees for name, value in zip(exercise.outputs, values))
