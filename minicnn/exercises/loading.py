"""Finding the student's function: given as a function, as a module, or as the path of a ``.py`` file.

Every problem becomes a ``SolutionNotFound`` whose message says what was given and what to do, never a traceback.
"""

import codecs
import importlib.util
import inspect
import os
import sys
import types

from minicnn.exercises.catalogue import NAMES
from minicnn.exercises.running import describe_exception


class SolutionNotFound(Exception):
    """The student's function could not be found or loaded; the message says why, for the student."""


#: the files being loaded now: ``check`` refuses to run from the top level of one (it would load itself again)
_LOADING = []


def refuse_checking_while_loading(exercise_name):
    """Called by ``check``: a student's file that calls ``check`` at its top level would load itself, which calls
    ``check`` again, and so on (70 levels deep before Python stops it)."""
    if _LOADING:
        raise RuntimeError(f"check('{exercise_name}', ...) was called while {_LOADING[-1]} was being loaded: put it "
                           "under 'if __name__ == \"__main__\":' at the bottom of the file, or call it from another "
                           "file or the command line")


def load_function(solution, function_name):
    """The function ``function_name`` from ``solution``: a callable, a module, or the path of a Python file.

    Raises
    ------
    SolutionNotFound
        For a missing file, a file that fails to run or lacks the function, or something that is not a function.
    """
    if isinstance(solution, (str, os.PathLike)):
        return _function_from_file(os.fspath(solution), function_name)
    if isinstance(solution, types.ModuleType):
        return _function_from_namespace(vars(solution), function_name, f"module {solution.__name__!r}")
    if callable(solution):
        return solution
    raise SolutionNotFound(
        f"check('{function_name}', ...) expects your function (or the path of a .py file that defines "
        f"{function_name}), but got {type(solution).__name__} {_short_repr(solution)}, which cannot be called.")


def _function_from_file(path, function_name):
    if not os.path.exists(path):
        raise SolutionNotFound(
            f"There is no file {path!r} (looked for {os.path.abspath(path)}). Give the path of the .py file that "
            f"defines {function_name}; 'minicnn exercise starter {function_name} --out {function_name}.py' writes a "
            f"starter file to fill in.")
    if os.path.isdir(path):
        raise SolutionNotFound(f"{path!r} is a folder; give the path of the .py file that defines {function_name}.")
    if str(path).lower().endswith(".ipynb"):
        raise SolutionNotFound(f"{path!r} is a notebook: in it, after the cell that defines {function_name}, run "
                               f"minicnn.exercises.check(\"{function_name}\", {function_name}); or save the function "
                               f"in a .py file and give that.")
    try:
        with open(path, "rb") as file:
            start = file.read(2)
    except OSError as error:  # a file this user may not read
        raise SolutionNotFound(f"{path} cannot be read: {error.strerror or error}.") from None
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise SolutionNotFound(
            f"{path} is saved as UTF-16 text, which Python cannot run (Windows PowerShell 5.1 writes a '>' "
            f"redirection so): save it as UTF-8 in your editor (in Notepad: Save As, Encoding UTF-8), or write the "
            f"starter again with 'minicnn exercise starter {function_name} --out {function_name}.py'.")
    module_name = f"minicnn_exercise_solution_{function_name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise SolutionNotFound(f"{path!r} cannot be loaded as Python; give a .py file that defines {function_name}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # as `python file.py` does, so the file can import a module of its own beside it
    _LOADING.append(path)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        where = f", at line {error.lineno}:\n    {(error.text or '').rstrip()}" if error.lineno else ""
        raise SolutionNotFound(f"{path} is not valid Python: {error.msg}{where}") from None
    except SystemExit as error:
        raise SolutionNotFound(
            f"{path} called exit() while being loaded (SystemExit: {error.code}), which would end the checker too: "
            "put code that runs your own tests under 'if __name__ == \"__main__\":' at the bottom of the file.") \
            from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the student's file failed while running its top level
        raise SolutionNotFound(
            f"{path} raised an exception while being loaded (before {function_name} was called):\n"
            + describe_exception(error, source_file=os.path.abspath(path))) from None
    finally:
        _LOADING.pop()
        if folder in sys.path:  # unless the file took it out itself
            sys.path.remove(folder)
        sys.modules.pop(module_name, None)
    return _function_from_namespace(vars(module), function_name, path, path)


def _function_from_namespace(namespace, function_name, where, path=None):
    if function_name not in namespace:
        defined = sorted(name for name, value in namespace.items()
                         if inspect.isfunction(value) and not name.startswith("_"))
        raise SolutionNotFound(_another_exercise_instead(defined, function_name, where, path)
                               or _no_such_function(defined, function_name, where))
    function = namespace[function_name]
    if not callable(function):
        raise SolutionNotFound(f"{function_name} in {where} is {type(function).__name__} "
                               f"{_short_repr(function)}, not a function.")
    return function


def _no_such_function(defined, function_name, where):
    listing = f"It defines: {', '.join(defined)}." if defined else "It defines no functions."
    close = _misspelt(function_name, defined)
    rename = f"Rename {close} to {function_name}" if close else f"Name your function {function_name}"
    return f"{where} defines no function named {function_name}. {listing} {rename} (the exercise's name)."


def _misspelt(function_name, defined):
    """The name among ``defined`` that looks like ``function_name`` misspelt (conv_backwards, Conv_Backward), or
    None."""
    import difflib

    close = difflib.get_close_matches(function_name.lower(), [name.lower() for name in defined], n=1, cutoff=0.85)
    return next((name for name in defined if close and name.lower() == close[0]), None)


def _another_exercise_instead(defined, function_name, where, path):
    """What to say where the functions ``defined`` include another exercise's (None where none do): most likely the
    file was checked against the wrong exercise, and renaming its function would only make the check fail."""
    others = [name for name in NAMES if name in defined and name != function_name]
    if not others or _misspelt(function_name, [name for name in defined if name not in NAMES]):
        return None  # a function named nearly like the exercise (conv_backwards) is the likelier slip
    first = others[0]
    which = f"{first}, another exercise" if len(others) == 1 else f"{', '.join(others)}, other exercises"
    shown = f'"{path}"' if path is not None and any(character.isspace() for character in path) else path
    how = (f"minicnn exercise check {first} {shown} (in Python: minicnn.exercises.check(\"{first}\", {path!r}))"
           if path is not None else f"minicnn.exercises.check(\"{first}\", ...)")
    return (f"{where} defines {which}, and no function named {function_name}. To check {first}, use {how}. To "
            f"check {function_name}, write a function named {function_name} ('minicnn exercise starter "
            f"{function_name} --out {function_name}.py' writes a starter file).")


def _short_repr(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def parameters_in_another_order(function, parameters):
    """The student's parameter names when they are ``parameters`` in another order (None otherwise): the checker
    passes the arguments by position, so ``conv_forward(x, kernel, bias, padding, stride)`` would get the stride as
    its padding and fail with a message about the wrong values."""
    try:
        theirs = [p.name for p in inspect.signature(function).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # no signature to read (a builtin, some callables)
        return None
    if sorted(theirs) == sorted(parameters) and list(theirs) != list(parameters):
        return tuple(theirs)
    return None
