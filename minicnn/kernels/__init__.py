"""Kernel modules, one per backend, each offering the same functions with the same signatures.

See ``minicnn.backend`` for how one is chosen and ``numpy_kernels`` for the reference signatures.
"""
