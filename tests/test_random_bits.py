"""Dropout's counter-based random bits (``minicnn.kernels.random_bits``): the hash is the 32-bit lowbias32 it claims
to be, the NumPy and Numba backends make the same masks bit for bit, and the masks behave like coin flips."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minicnn.kernels import cpu, numpy_kernels
from minicnn.kernels.random_bits import keep_threshold, mix32

MASK32 = 0xFFFFFFFF


def lowbias32(x):
    """The hash as its author writes it, with 32-bit multiplications that wrap around."""
    x ^= x >> 16
    x = (x * 0x7FEB352D) & MASK32
    x ^= x >> 15
    x = (x * 0x846CA68B) & MASK32
    return x ^ (x >> 16)


@given(st.integers(0, MASK32))
def test_mix32_is_lowbias32_without_any_product_reaching_2_to_the_49(x):
    assert mix32(x) == lowbias32(x)
    assert 0 <= mix32(x) <= MASK32


def test_mix32_on_an_array_gives_each_element_s_hash_and_leaves_the_array_alone():
    x = np.array([0, 1, 2 ** 31, MASK32, 123456789], dtype=np.int64)
    before = x.copy()
    np.testing.assert_array_equal(mix32(x), [lowbias32(int(v)) for v in before])
    np.testing.assert_array_equal(x, before)


def test_keep_threshold_is_exact():
    assert keep_threshold(0.0) == 0
    assert keep_threshold(0.5) == 2 ** 31
    assert keep_threshold(0.25) == 2 ** 30
    assert keep_threshold(0.1) == int(np.ceil(0.1 * 2 ** 32))


@settings(deadline=None, max_examples=30)
@given(shape=st.lists(st.integers(1, 7), min_size=1, max_size=4).map(tuple), key_low=st.integers(0, MASK32),
       key_high=st.integers(0, MASK32), rate=st.floats(0, 0.99))
def test_the_numba_backend_makes_the_numpy_backend_s_masks(shape, key_low, key_high, rate):
    expected = numpy_kernels.dropout_mask(shape, key_low, key_high, rate)
    assert expected.shape == shape and expected.dtype == np.bool_
    np.testing.assert_array_equal(cpu.dropout_mask(shape, key_low, key_high, rate), expected,
                                  err_msg="after a change to random_bits.py alone, Numba's cache keeps the old hash: "
                                          "see 'Compilation' in minicnn/kernels/cpu.py")


def test_masks_longer_than_the_numpy_backend_s_chunks_are_the_same_on_both_host_backends():
    """The NumPy backend hashes 32,768 indices at a time: a mask of 3 chunks and a partial one."""
    shape = (7, 14_287)  # 100,009 values
    np.testing.assert_array_equal(numpy_kernels.dropout_mask(shape, 9, 10, 0.4), cpu.dropout_mask(shape, 9, 10, 0.4))


def test_the_numba_kernel_s_bits_past_four_billion_elements_match_numpy():
    """The hash takes the index's high word (``i >> 32``), which is 0 in every array a test can make. So the
    kernel's own Python source is run with a ``prange`` that starts at 2³² − 4, over a dict that records what is
    written, and compared with ``random_bits``' formula there (the cuda kernel has had this test; a CPU kernel
    without the high word passed every test)."""
    import types

    start, count = 2 ** 32 - 4, 8

    class Written(dict):  # keep[i] = ... for i up to `start + count`, without 4 GB of memory
        size = start + count

    source = cpu._dropout_mask.py_func
    on_the_host = types.FunctionType(source.__code__, {**source.__globals__, "_mix32": mix32,
                                                         "prange": lambda size: range(start, size)})
    keep, threshold, key_low, key_high = Written(), keep_threshold(0.5), 12345, 678
    on_the_host(keep, key_low, key_high, threshold)
    index = np.arange(start, start + count, dtype=np.int64)
    expected = mix32(mix32((index & 0xFFFFFFFF) ^ key_low) ^ key_high ^ (index >> 32)) >= threshold
    assert sorted(keep) == index.tolist() and [keep[i] for i in index] == expected.tolist()
    assert expected[4:].tolist() != (mix32(mix32((index[4:] & 0xFFFFFFFF) ^ key_low) ^ key_high) >= threshold).tolist()


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_masks_keep_one_minus_rate_independently_of_the_neighbours_and_the_key(rate):
    """200,000 coin flips: the share kept, the share of neighbouring pairs both kept, and the share where two keys
    agree are within 5 standard deviations of what independent flips give."""
    n, keep = 200_000, 1 - rate
    first = numpy_kernels.dropout_mask((n,), 1, 2, rate)
    second = numpy_kernels.dropout_mask((n,), 1, 3, rate)  # another key_high

    def within(observed, probability, count):
        assert abs(observed - probability) < 5 * np.sqrt(probability * (1 - probability) / count), \
            (observed, probability)

    within(first.mean(), keep, n)
    within((first[1:] & first[:-1]).mean(), keep ** 2, n - 1)
    within((first == second).mean(), keep ** 2 + rate ** 2, n)
    assert numpy_kernels.dropout_mask((n,), 1, 2, 0.0).all()
