"""The conv_forward exercise: task.md, starter.py, solution.py, and checks.py (what the checker compares with)."""
