"""cnnviz.conv1d: 1-D cross-correlation and convolution against numpy and torch's conv1d."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnviz.conv1d
from cnnviz.conv1d import PRESETS, convolve, cross_correlate, parse_numbers, signal_preset, slide_1d
from cnnviz.shapes import sliding_output_size

integers = st.lists(st.integers(-9, 9), min_size=1, max_size=12).map(lambda v: np.array(v, dtype=np.float64))


@settings(max_examples=50, deadline=None)
@given(signal=integers, kernel=integers)
def test_stride_one_matches_numpy(signal, kernel):
    if len(kernel) <= len(signal):
        np.testing.assert_array_equal(cross_correlate(signal, kernel), np.correlate(signal, kernel, "valid"))
        np.testing.assert_array_equal(convolve(signal, kernel), np.convolve(signal, kernel, "valid"))
    np.testing.assert_array_equal(convolve(signal, kernel, padding="full"), np.convolve(signal, kernel, "full"))
    np.testing.assert_array_equal(cross_correlate(signal, kernel, padding="full"), np.correlate(signal, kernel, "full"))


@settings(max_examples=50, deadline=None)
@given(signal=integers, kernel=integers, stride=st.integers(1, 4), padding=st.integers(0, 4))
def test_matches_torch_conv1d_with_stride_and_padding(signal, kernel, stride, padding):
    if len(kernel) > len(signal) + 2 * padding:
        with pytest.raises(ValueError, match="longer than the padded signal"):
            cross_correlate(signal, kernel, stride, padding)
        return
    expected = torch.nn.functional.conv1d(
        torch.from_numpy(signal)[None, None], torch.from_numpy(kernel)[None, None], stride=stride, padding=padding
    )[0, 0]
    got = cross_correlate(signal, kernel, stride, padding)
    np.testing.assert_array_equal(got, expected.numpy())  # integers: exact
    assert len(got) == sliding_output_size(len(signal), len(kernel), stride, padding)


def test_steps_show_window_products_and_sum():
    run = slide_1d([1, 2, 3, 4, 5], [1, 0, -1], stride=2, padding=1, flip=True)
    assert run.padded.tolist() == [0, 1, 2, 3, 4, 5, 0]
    assert run.weights.tolist() == [-1, 0, 1]  # flipped: convolution
    assert [s.start for s in run.steps] == [0, 2, 4]
    second = run.steps[1]
    assert second.window.tolist() == [2, 3, 4] and second.products.tolist() == [-2, 0, 4] and second.total == 2
    assert run.output.tolist() == [2.0, 2.0, -4.0]
    assert run.output.tolist() == np.convolve([0, 1, 2, 3, 4, 5, 0], [1, 0, -1], "valid")[::2].tolist()


def test_parse_numbers_accepts_commas_and_spaces():
    assert parse_numbers("1, 2, 3").tolist() == parse_numbers("1 2 3").tolist() == [1.0, 2.0, 3.0]
    assert parse_numbers(" 0.5;-1\n2e1 ").tolist() == [0.5, -1.0, 20.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "type the signal as numbers"),
        ("1, two, 3", "'two' in the signal is not a number"),
        ("1, nan", "not NaN or infinity"),
        ("1 " * 1001, "at most 1,000 fit"),
    ],
)
def test_parse_numbers_refuses_with_a_sentence(text, message):
    with pytest.raises(ValueError, match=message):
        parse_numbers(text)


def test_refusals():
    with pytest.raises(ValueError, match=r"the kernel \(4 numbers\) is longer than the padded signal \(3 numbers\)"):
        cross_correlate([1, 2, 3], [1, 1, 1, 1])
    with pytest.raises(ValueError, match="stride must be at least 1"):
        cross_correlate([1, 2, 3], [1], stride=0)
    with pytest.raises(ValueError, match="padding must be a number of zeros, 'valid' or 'full'"):
        cross_correlate([1, 2, 3], [1], padding="same")
    with pytest.raises(ValueError, match="signal preset must be one of"):
        signal_preset("square")


def test_presets():
    assert signal_preset("step", 6).tolist() == [0, 0, 0, 1, 1, 1]
    assert signal_preset("pulse", 5).tolist() == [0, 0, 1, 0, 0]
    sine = signal_preset("noisy sine", 32, seed=3)
    np.testing.assert_array_equal(sine, signal_preset("noisy sine", 32, seed=3))  # the seed fixes the noise
    assert not np.array_equal(sine, signal_preset("noisy sine", 32, seed=4))
    assert set(PRESETS) == {"step", "pulse", "noisy sine"}
    # A step through an edge kernel peaks where the step is.
    assert int(np.argmax(np.abs(cross_correlate(signal_preset("step", 8), [-1, 1])))) == 3


def test_doctests_pass():
    assert doctest.testmod(cnnviz.conv1d).failed == 0
