"""``minicnn exercise list | task NAME | starter NAME | check NAME FILE | solution NAME``.

``cli(argv)`` returns the exit status: 0 when the command worked (for ``check``: the solution passed), 1 when a
checked solution did not pass, 2 for a command line that cannot be understood or an unknown exercise.
"""

import argparse
import os
import sys

from minicnn.exercises.catalogue import NAMES, list_exercises, solution_source, starter_source, task_text


def _parser():
    parser = argparse.ArgumentParser(
        prog="minicnn exercise",
        description="Course exercises: write a function from the course, and the checker compares it with the "
                    "reference on many cases and names the classic mistake it finds.",
        epilog="Start with 'minicnn exercise starter conv_forward --out my_conv.py', fill in the body, then "
               "'minicnn exercise check conv_forward my_conv.py'.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="the exercises, in teaching order, with a one-line summary")
    for command, help_text in (("task", "print the task text"),
                               ("starter", "print a starter file to fill in (or write it: --out FILE.py)"),
                               ("solution", "print the reference solution (for teachers)")):
        printing = commands.add_parser(command, help=help_text)
        printing.add_argument("name", metavar="NAME", help="the exercise")
        printing.add_argument("--out", metavar="FILE",
                              help="write it into FILE, in UTF-8, instead of printing it; a FILE that exists is left "
                                   "as it is (your work in it is never replaced)")
    check = commands.add_parser("check", help="check your solution; exit status 0 when it passes, 1 when not")
    check.add_argument("name", metavar="NAME", help="the exercise, e.g. conv_forward")
    check.add_argument("file", metavar="FILE", help="your .py file, defining a function named like the exercise")
    return parser


def cli(argv=None):
    """Run ``minicnn exercise`` with the arguments ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    try:
        arguments = _parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a command line argparse could not understand (it printed why)
        return stop.code if isinstance(stop.code, int) else 2
    if arguments.command == "list":
        exercises = list_exercises()
        width = max(len(name) for name, _ in exercises)
        for name, summary in exercises:
            print(f"{name:<{width}}  {summary}")
        return 0
    if arguments.name not in NAMES:
        print(f"minicnn exercise: unknown exercise {arguments.name!r}; the exercises are: {', '.join(NAMES)}",
              file=sys.stderr)
        return 2
    if arguments.command == "check":
        from minicnn.exercises.catalogue import get_exercise
        from minicnn.exercises.checker import check

        exercise = get_exercise(arguments.name)
        if os.path.isfile(arguments.file):  # else the check says at once what is wrong with it
            print(f"Checking {arguments.file} against {len(exercise.fixed_cases)} hand-picked and up to "
                  f"{exercise.random_examples} random cases (a slow solution can take a minute)...", file=sys.stderr,
                  flush=True)
        result = check(arguments.name, arguments.file)
        print(result.message)
        return 0 if result.passed else 1
    text = {"task": task_text, "starter": starter_source, "solution": solution_source}[arguments.command]
    if arguments.out is None:
        print(text(arguments.name), end="")
        return 0
    return _write_new_file(arguments.out, text(arguments.name), arguments.command, arguments.name)


def _write_new_file(path, text, command, name):
    """Write ``text`` into a new file ``path`` in UTF-8, the encoding of Python source (a shell's ``>`` may choose
    another: Windows PowerShell 5.1 writes UTF-16, which Python cannot run); return the exit status."""
    where = f"minicnn exercise {command}: --out"
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        print(f"{where}: {path} is a folder; give the name of a new .py file, e.g. {os.path.join(path, name)}.py",
              file=sys.stderr)
        return 2
    if not os.path.isdir(folder):
        print(f"{where}: the folder {folder} does not exist; make it first, or give a file in a folder that does",
              file=sys.stderr)
        return 2
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as file:  # "x": never over a file that exists
            file.write(text)
    except FileExistsError:
        print(f"{where}: {path} exists, and is left as it is (your work in it would be lost): give another name, "
              f"or delete it first", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{where}: cannot write {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    shown = f'"{path}"' if any(character.isspace() for character in path) else path  # to copy as it is
    next_step = f"; fill in the body, then: minicnn exercise check {name} {shown}" if command == "starter" else ""
    print(f"Wrote {path}{next_step}")
    return 0
