"""The softmax_cross_entropy_gradient exercise: task.md, starter.py, solution.py, and checks.py (what the checker
compares with)."""
