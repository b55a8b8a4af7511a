"""The checker's messages, written for a student: what was given, what was expected, where it differs, and why.

A failure message has these parts, in this order:

- a headline: which exercise, and what kind of failure;
- the case: every argument, with its shape, and its values when the arrays are small;
- what went wrong: the exception and the student's line, or, for each output, where it differs and by how much;
- the classic mistake it matches, with a hint, when the checker recognises one;
- what the function printed and the warnings it raised, if any;
- how to reproduce the case in Python.
"""

import textwrap

import numpy as np

from minicnn.exercises.comparing import ATOL, RTOL
from minicnn.exercises import running
from minicnn.exercises.running import StillRunning, TookTooLong, describe_exception, raised_by_the_call_itself

#: arrays with at most this many values are shown in full
SHOW_VALUES_UP_TO = 48
#: at most this many lines of what the student's function printed are shown
PRINTED_LINES = 15

#: what a call that did not return suggests
_ENDLESS_LOOP_HINT = ("An endless loop? A while loop whose counter never changes (n += 1 missing), or a loop over a "
                      "list that grows inside it. A function that is only slow takes well under a second on these "
                      "small cases, even with a Python loop over every entry.")
#: what a call that caught the checker's stop suggests
_CAUGHT_STOP_HINT = ("Your code caught the checker's first stop: an except: without an error type (or except "
                     "BaseException:, or a finally: block that continues, breaks or returns) catches every exception, "
                     "the checker's stop and Ctrl-C too, and the loop went on. Name the error you expect instead, "
                     "such as except IndexError:.")

#: what a random case whose halves fail, where whole numbers pass, suggests
_FRACTIONS_DROPPED_HINT = ("Whole numbers pass, halves do not: every hand-picked case (whole numbers) passed, and "
                           "this case's shapes and settings pass too when its values are whole, but with its values "
                           "in halves your result differs. An array of integers somewhere inside your function drops "
                           "the fractions of what is written into it (3.5 becomes 3): one made with np.zeros(..., "
                           "dtype=int), with np.zeros_like(...) of an integer array, or an x_pad built from one. "
                           "Create the arrays you fill as floats: np.zeros(shape) is float64.")


def passed_message(exercise, fixed, random, changed_in_place=()):
    """The message for a solution that passed; ``changed_in_place`` names the arguments it changed (see
    ``in_place_note``)."""
    message = (f"{exercise.name}: passed.\n\n"
               f"Your function agrees with the reference on {fixed} hand-picked and {random} random cases (shapes and "
               f"settings drawn by hypothesis), within rtol {RTOL:g} and atol {ATOL:g}.")
    note = in_place_note(exercise, changed_in_place)
    return message + "\n\n" + note if note else message


def in_place_note(exercise, changed_in_place):
    """A note on the arguments the function changed in place where the task does not allow it, or None."""
    names = [name for name in exercise.parameters
             if name in changed_in_place and name not in exercise.may_change_in_place]
    if not names:
        return None
    first = names[0]
    return _wrap(f"Note: your function changed {_and_list(names)} in place. The checker gave it a copy, so nothing "
                 f"else was affected here; in a network it would corrupt arrays that other code still uses after "
                 f"your function returns, such as the input a layer keeps for its backward pass. Put what you compute "
                 f"in new arrays (new = {first} - m makes one; {first} -= m, {first}[...] = ... and "
                 f"np.exp({first}, out={first}) write into {first}).")


def loading_message(exercise, problem):
    return f"{exercise.name}: not checked, your solution could not be loaded.\n\n{problem}"


def parameter_order_message(exercise, theirs):
    return (f"{exercise.name}: not checked, your function's parameters are in another order.\n\n"
            + _wrap(f"Yours is {exercise.name}({', '.join(theirs)}), and the checker calls "
                    f"{exercise.name}({', '.join(exercise.parameters)}), passing the values in that order (as the "
                    f"starter file defines it): put your parameters in this order."))


def failure_message(exercise, attempt, mistakes, passed_before, where, changed_in_place=(), fractions_dropped=False):
    """The whole message for a failing ``attempt``; ``mistakes`` maps output names to recognised mistakes;
    ``changed_in_place`` names the arguments the function changed on this case or the cases before it;
    ``fractions_dropped`` is true where whole numbers pass on this case's shapes and its halves fail
    (``diagnosing.fractions_dropped``)."""
    parts = [_headline(exercise, attempt), _the_case(exercise, attempt, passed_before, where),
             _what_went_wrong(exercise, attempt)]
    if mistakes:
        parts.append(_mistakes_section(mistakes))
    if fractions_dropped:
        parts.append(_wrap(_FRACTIONS_DROPPED_HINT))
    side_effects = _printed_and_warnings(attempt.call)
    if side_effects:
        parts.append(side_effects)
    note = in_place_note(exercise, changed_in_place)
    if note:
        parts.append(note)
    parts.append(_wrap(f"To try this case yourself in Python: result = minicnn.exercises.check(\"{exercise.name}\", "
                       f"your_function_or_file) keeps these inputs in result.arguments and the expected outputs in "
                       f"result.expected, so {exercise.name}(*result.arguments.values()) calls your function on them."))
    return "\n\n".join(parts)


def _headline(exercise, attempt):
    name = exercise.name
    error = attempt.call.error
    if isinstance(error, NotImplementedError):
        return f"{name}: not written yet, your function raises NotImplementedError."
    if isinstance(error, TookTooLong):
        return f"{name}: not passed yet, your function did not return within {running.TIME_LIMIT:g} s."
    if error is not None:
        return f"{name}: not passed yet, your function raised {type(error).__name__}."
    if attempt.call.value is None:
        return f"{name}: not passed yet, your function returned None (no return statement?)."
    if attempt.problem is not None:
        return f"{name}: not passed yet, your function returned the wrong kind of value."
    wrong = [check.name for check in attempt.checks if not check.agrees]
    forms = {check.right_values_in for check in attempt.checks if not check.agrees}
    if None not in forms:
        verb = "has" if len(wrong) == 1 else "have"
        form = forms.pop() if len(forms) == 1 else "another form"
        return f"{name}: not passed yet, {_and_list(wrong)} {verb} the right values in {form}."
    verb = "differs" if len(wrong) == 1 else "differ"
    return f"{name}: not passed yet, {_and_list(wrong)} {verb} from the expected result."


def _the_case(exercise, attempt, passed_before, where):
    if where == "hand-picked":
        passed = {0: "", 1: " (case 1 passed)", 2: " (cases 1 and 2 passed)"}.get(
            passed_before, f" (cases 1 to {passed_before} passed)")
        intro = f"Hand-picked case {passed_before + 1} of {len(exercise.fixed_cases)}{passed}. Your function was given:"
    elif isinstance(attempt.call.error, TookTooLong):
        intro = (f"A random case your function did not return from (all {len(exercise.fixed_cases)} hand-picked cases "
                 f"passed; not made simpler: each try would take as long). Your function was given:")
    else:
        intro = (f"The simplest failing case found among random cases (all {len(exercise.fixed_cases)} hand-picked "
                 f"cases passed). Your function was given:")
    lines = [intro]
    for name, value in attempt.arguments.items():
        lines.extend(describe_value(name, value, indent="  "))
    if exercise.case_notes is not None:
        lines.extend(_wrap(f"Note: {note}", "  ", first="") for note in exercise.case_notes(**attempt.arguments))
    return "\n".join(lines)


def _what_went_wrong(exercise, attempt):
    error = attempt.call.error
    if isinstance(error, NotImplementedError):
        return (f"Replace the line 'raise NotImplementedError' in {exercise.name} with your code, then check again.\n"
                + describe_exception(error, attempt.call.source_file))
    if isinstance(error, StillRunning):
        return (_wrap(f"Your function is compiled by Numba (@njit), and compiled code cannot be stopped from outside: "
                      f"the checker stopped waiting for it after {running.TIME_LIMIT:g} s, but it keeps running in "
                      f"the background. From the command line it ends when the checker exits, after this report; in "
                      f"a notebook it keeps a processor core busy until you restart the kernel. Without @njit the "
                      f"checker can stop it and show the line it was on.") + "\n" + _wrap(_ENDLESS_LOOP_HINT))
    if isinstance(error, TookTooLong):
        caught = [_wrap(_CAUGHT_STOP_HINT)] if error.caught else []
        if error.caught and error.first_stop is not None:
            caught[:0] = ["The first stop came here (and was caught):",
                          describe_exception(error.first_stop, attempt.call.source_file)]
        return "\n".join([f"It was stopped after {running.TIME_LIMIT:g} s, here:",
                          describe_exception(error, attempt.call.source_file), *caught, _wrap(_ENDLESS_LOOP_HINT)])
    if isinstance(error, SystemExit):
        return ("It called exit() (or sys.exit(), quit()), which ends the whole program, the checker with it: return "
                "the result instead.\n" + describe_exception(error, attempt.call.source_file))
    if isinstance(error, TypeError) and raised_by_the_call_itself(error):
        return (f"It raised:\n{describe_exception(error, attempt.call.source_file)}\n"
                + _wrap(f"The checker calls {exercise.name}({', '.join(exercise.parameters)}), passing "
                        f"{len(exercise.parameters)} values in that order (as the starter file defines it)."))
    if error is not None:
        reminder = _stride_none_reminder(attempt)
        return ("It raised:\n" + describe_exception(error, attempt.call.source_file)
                + ("\n" + _wrap(reminder) if reminder else ""))
    if attempt.problem is not None:
        return attempt.problem[0].upper() + attempt.problem[1:]
    blocks = []
    for check in attempt.checks:
        if check.agrees:
            blocks.append(f"{check.name} is right.")
            continue
        lines = [_wrap(check.problem)]
        rule = exercise.shape_rules.get(check.name)
        if rule and check.got is not None and check.got.shape != check.expected.shape:
            lines.append(_wrap(f"({rule})", "  "))
        if check.expected.size <= SHOW_VALUES_UP_TO:
            lines.extend(describe_value(f"expected {check.name}", check.expected, indent="  ", shape=False))
            if check.got is not None and 0 < check.got.size <= SHOW_VALUES_UP_TO:
                lines.extend(describe_value(f"yours    {check.name}", check.got, indent="  ", shape=False))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _stride_none_reminder(attempt):
    """A reminder of what stride=None means where a pooling case passed stride=None and the function raised a
    TypeError about None (``(H - p) // None``, ``i * None``): the student's code took the stride for a number. None
    where that is not so."""
    error, arguments = attempt.call.error, attempt.arguments
    if not (isinstance(error, TypeError) and "NoneType" in running.text_of(error) and "pool_size" in arguments
            and "stride" in arguments and arguments["stride"] is None):
        return None
    return ("This case passed stride=None, which your code used as a number. stride=None means that the stride is "
            "the pool size (the windows sit side by side): start with s = pool_size if stride is None else stride.")


def _mistakes_section(mistakes):
    blocks = []
    for output, found in mistakes.items():
        if len(found) == 1:
            blocks.append(f"This looks like a classic mistake in {output}: {found[0].name}.\n"
                          + _wrap(found[0].hint, "  "))
        else:
            blocks.append(f"{output} matches more than one classic mistake; it is one of these:\n"
                          + "\n".join(_wrap(f"- {m.name}: {m.hint}", "  ", first="") for m in found))
    return "\n\n".join(blocks)


def _printed_and_warnings(call):
    lines = []
    if call.warnings:
        lines.append("Warnings raised while your function ran:")
        lines.extend(f"  {warning}" for warning in call.warnings[:5])
    printed = call.printed.rstrip("\n").splitlines()
    if printed:
        lines.append("Your function printed:")
        lines.extend(f"  {line}" for line in printed[:PRINTED_LINES])
        if len(printed) > PRINTED_LINES:
            lines.append(f"  ... ({len(printed) - PRINTED_LINES} more lines)")
    return "\n".join(lines)


def describe_value(name, value, indent="", shape=True):
    """Lines that show one argument or output: its shape, and its values when it is small.

    A 4-D array is shown as 2-D slices, the way one draws it: an image batch ``(N, H, W, C)`` as ``x[n, :, :, c]``,
    a kernel ``(kh, kw, C_in, C_out)`` as ``kernel[:, :, c, o]``.
    """
    if not isinstance(value, np.ndarray):
        return [f"{indent}{name} = {value!r}"]
    if value.size == 0 or value.size > SHOW_VALUES_UP_TO:
        return [f"{indent}{name}: shape {value.shape}"]
    if value.ndim <= 1:
        head = f"{indent}{name} = "
        return [head + _array_text(value, len(head)) + (f"  (shape {value.shape})" if shape else "")]
    lines = [f"{indent}{name}: shape {value.shape}"] if shape else []
    label = name.split()[-1]
    prefix = name[: len(name) - len(label)]
    for index, piece in _slices(label, value):
        head = f"{indent}  {prefix}{index} = " if shape else f"{indent}{prefix}{index} = "
        lines.append(head + _array_text(piece, len(head)))
    return lines


def _slices(name, array):
    if array.ndim == 4 and "kernel" in name:
        return [(f"{name}[:, :, {c}, {o}]", array[:, :, c, o])
                for c in range(array.shape[2]) for o in range(array.shape[3])]
    if array.ndim == 4:
        return [(f"{name}[{n}, :, :, {c}]", array[n, :, :, c])
                for n in range(array.shape[0]) for c in range(array.shape[3])]
    if array.ndim == 3:
        return [(f"{name}[{i}]", array[i]) for i in range(array.shape[0])]
    return [(name, array)]


def _array_text(array, column):
    text = np.array2string(np.asarray(array), separator=", ", formatter={"float_kind": lambda v: f"{v:.6g}"},
                           max_line_width=max(60, 118 - column))
    return text.replace("\n", "\n" + " " * column)


def _wrap(text, indent="", first=None, width=110):
    """``text`` wrapped at ``width`` columns, each line after ``indent`` (the first after ``first`` if given)."""
    return textwrap.fill(text, width=width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def _and_list(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
