"""``benchmarks/cuda_profile.py``'s report: the step time is per step and a run on the simulator says so. (Written
from a mutation round over the benchmark.)"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import cuda_profile  # noqa: E402


def test_the_profiled_step_time_is_per_step_and_the_simulator_is_said(monkeypatch):
    """Profiled time reported for all the steps where the report says per step (its images/s then
    disagreed with it), and the simulator's warning line dropped from a report of a run on the simulator."""
    model, x, y = cuda_profile.document_batch(2, 8)
    figures = cuda_profile.profile_steps(model, x, y, steps=3, warmup=1, backend="numba", rounds=1)
    assert figures["step_ms"] == pytest.approx(1e3 * figures["batch"] / figures["images_per_s"])
    assert figures["plain_step_ms"] == pytest.approx(1e3 * figures["batch"] / figures["plain_images_per_s"])
    figures.update(backend="cuda", simulator=True, launched=True)
    text = cuda_profile.report(figures, top=3)
    assert "ON THE CUDA SIMULATOR: these times describe the simulator, not a GPU" in text
