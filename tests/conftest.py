"""Shared test settings: the CUDA simulator, hypothesis profiles (no deadline: Numba compiles on first call)."""

import os

# The cuda backend's tests run under numba's CUDA simulator unless MINICNN_REAL_CUDA=1 asks for the real GPU.
# It must be chosen before numba is first imported, which is why it is set here, at the very top.
if os.environ.get("MINICNN_REAL_CUDA") != "1":
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", deadline=None, max_examples=400,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="module")
def cuda_simulator_threads():
    """For a module of cuda tests: under the simulator, a short thread switch interval, thread-safe shared
    arrays, and device arrays that refuse what a GPU's refuse (``tests/simulator.py`` says why); on a real GPU,
    nothing."""
    import numba

    if not numba.config.ENABLE_CUDASIM:
        yield
        return
    from simulator import device_arrays_as_on_a_gpu, fast_thread_switching

    with fast_thread_switching(), device_arrays_as_on_a_gpu():
        yield


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    """A small random Siamese network (4 channels per layer) saved for the trackers' tests: fast, and no dependency
    on the shipped weights."""
    from minicnn.track.trackers.siamese import SiameseNetwork

    path = tmp_path_factory.mktemp("tiny") / "tiny.npz"
    SiameseNetwork(channels=(4, 4, 4, 4, 4), seed=0).save(path)
    return path
