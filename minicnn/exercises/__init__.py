"""Course exercises: write a function of the course yourself, and a checker says whether it is right, and if not,
where and why. From Python::

    from minicnn import exercises
    exercises.list_exercises()                      # [(name, summary), ...] in teaching order
    print(exercises.task_text("conv_forward"))      # the task
    print(exercises.starter_source("conv_forward"))
    exercises.check("conv_forward", conv_forward)        # your function, in a notebook
    exercises.check("conv_forward", "my_solution.py")    # or a file that defines it

From a terminal: ``minicnn exercise list | task NAME | starter NAME | check NAME FILE | solution NAME``.

The checker runs your function on hand-picked cases of small whole numbers, then on cases whose shapes and settings
hypothesis draws (with a fixed seed, so you see the same first failure every time, and shrunk to the simplest one),
their values in halves, so that computing in integers anywhere shows. It tells you what was
given, what was expected, where your output differs, and, when it recognises one, the classic mistake you made.

Teachers: ``solution_source(name)`` gives the reference solution. Adding an exercise means adding a folder with
``task.md``, ``starter.py``, ``solution.py`` and ``checks.py`` (see ``minicnn.exercises.exercise``) and its name to
``catalogue.NAMES``.
"""

from minicnn.exercises.catalogue import NAMES, list_exercises, solution_source, starter_source, task_text
from minicnn.exercises.checker import check
from minicnn.exercises.cli import cli
from minicnn.exercises.result import CheckResult

__all__ = ["check", "CheckResult", "list_exercises", "task_text", "starter_source", "solution_source", "cli", "NAMES"]
