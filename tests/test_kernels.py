"""Kernel presets and builders: shapes, sums, the lecture's numbers, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnviz.kernels import (
    PRESET_NOTES,
    PRESETS,
    box_kernel,
    check_kernel,
    gaussian_kernel,
    kernel_text,
    normalise_kernel,
    parse_kernel_text,
)

REQUIRED = [
    "Identity",
    "Vertical edge (lecture)",
    "Horizontal edge (lecture, transposed)",
    "Sobel x",
    "Sobel y",
    "Prewitt x",
    "Laplacian",
    "Sharpen",
    "Emboss",
    "Outline",
    "Box blur 3x3",
    "Box blur 5x5",
    "Box blur 15x15 (lecture)",
    "Gaussian 5x5 (lecture, 1/273)",
]


def test_presets_cover_the_issue_and_each_has_a_note():
    assert set(REQUIRED) <= set(PRESETS)
    assert set(PRESETS) == set(PRESET_NOTES)
    for kernel in PRESETS.values():
        assert kernel.ndim == 2 and kernel.dtype == np.float64 and np.isfinite(kernel).all()


def test_lecture_kernels_have_the_lecture_numbers():
    np.testing.assert_array_equal(PRESETS["Vertical edge (lecture)"], [[-1, 0, 1]] * 3)
    np.testing.assert_array_equal(PRESETS["Horizontal edge (lecture, transposed)"], np.array([[-1, 0, 1]] * 3).T)
    gaussian = PRESETS["Gaussian 5x5 (lecture, 1/273)"]
    assert gaussian[2, 2] == pytest.approx(41 / 273) and gaussian.sum() == pytest.approx(1.0)
    assert PRESETS["Box blur 15x15 (lecture)"].shape == (15, 15)


@pytest.mark.parametrize(("name", "total"), [("Sobel x", 0), ("Laplacian", 0), ("Outline", 0), ("Sharpen", 1)])
def test_preset_sums(name, total):
    assert PRESETS[name].sum() == pytest.approx(total)


def test_box_kernel():
    np.testing.assert_allclose(box_kernel(2), np.full((2, 2), 0.25))
    assert box_kernel(1).tolist() == [[1.0]]


@given(size=st.sampled_from([1, 3, 5, 7, 15]), sigma=st.floats(0.3, 10.0))
def test_gaussian_is_normalised_symmetric_and_peaks_in_the_centre(size, sigma):
    kernel = gaussian_kernel(size, sigma)
    assert kernel.shape == (size, size) and kernel.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(kernel, kernel.T)
    np.testing.assert_allclose(kernel, kernel[::-1, ::-1])
    assert kernel[size // 2, size // 2] == kernel.max()


def test_gaussian_matches_scipy_window():
    from scipy.signal.windows import gaussian

    expected = np.outer(gaussian(7, 1.5), gaussian(7, 1.5))
    np.testing.assert_allclose(gaussian_kernel(7, 1.5), expected / expected.sum())


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: gaussian_kernel(4, 1.0), "odd"),
        (lambda: gaussian_kernel(0, 1.0), "at least 1"),
        (lambda: gaussian_kernel(5, 0.0), "positive"),
        (lambda: gaussian_kernel(5, float("nan")), "positive"),
        (lambda: box_kernel(0), "at least 1"),
        (lambda: box_kernel(2.5), "whole number"),
        (lambda: check_kernel(np.zeros((0, 3))), "empty"),
        (lambda: check_kernel(np.ones(3)), "2-D"),
        (lambda: check_kernel(np.array([[1.0, np.nan]])), "NaN"),
        (lambda: normalise_kernel(np.zeros((3, 3))), "all zeros"),
    ],
)
def test_errors_explain_themselves(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_normalise():
    np.testing.assert_allclose(normalise_kernel(np.ones((3, 3))), box_kernel(3))
    edge = normalise_kernel(PRESETS["Sobel x"])
    assert edge.sum() == pytest.approx(0) and edge[edge > 0].sum() == pytest.approx(1)


@pytest.mark.parametrize("size", [100, 10**9])
def test_builders_refuse_absurd_sizes_before_allocating(size):
    from cnnviz.kernels import MAX_KERNEL_SIZE, box_kernel, gaussian_kernel

    with pytest.raises(ValueError, match=f"at most {MAX_KERNEL_SIZE}"):
        box_kernel(size)
    with pytest.raises(ValueError, match=f"at most {MAX_KERNEL_SIZE}"):
        gaussian_kernel(size | 1, 1.0)


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_kernel_written_for_a_link_reads_back_exactly(name):
    text = kernel_text(PRESETS[name])
    assert "," in text or PRESETS[name].size == 1
    np.testing.assert_array_equal(parse_kernel_text(text), PRESETS[name])


@pytest.mark.parametrize(
    ("text", "words"),
    [("1,2;3", "same number"), ("1,a,3", "must be a number"), ("1,nan", "NaN"), (";".join(["1"] * 16), "at most 15")],
)
def test_a_wrong_kernel_text_is_explained(text, words):
    with pytest.raises(ValueError, match=words):
        parse_kernel_text(text)
