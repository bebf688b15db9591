"""apply_kernel against scipy.signal, scipy.ndimage and torch; the pixel inspector; errors."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest
import scipy.ndimage as ndimage
import scipy.signal as signal
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import filtering
from cnnviz.filtering import (
    BOUNDARY_MODES,
    apply_kernel,
    gradient_magnitude,
    kernel_window,
    output_shape,
    output_size_formula,
    padding_amounts,
)
from cnnviz.images import sample_photo
from cnnviz.kernels import PRESETS, gaussian_kernel

SCIPY_BOUNDARY = {"zero": "fill", "symmetric": "symm", "wrap": "wrap"}
NDIMAGE_MODE = {"zero": "constant", "reflect": "mirror", "symmetric": "reflect", "wrap": "wrap", "edge": "nearest"}


@st.composite
def image_and_kernel(draw, max_kernel: int = 7, odd: bool = False):
    """A float64 image (H, W) and a kernel that fits in it, with random values of either sign."""
    rows = draw(st.integers(1, max_kernel))
    cols = draw(st.integers(1, max_kernel))
    if odd:
        rows, cols = rows | 1, cols | 1
    height = draw(st.integers(rows, 24))
    width = draw(st.integers(cols, 24))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(height, width)), rng.normal(size=(rows, cols))


# --- values against oracles ----------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    data=image_and_kernel(),
    padding=st.sampled_from(["same", "valid", "full"]),
    boundary=st.sampled_from(sorted(SCIPY_BOUNDARY)),
    flip=st.booleans(),
)
def test_matches_scipy_signal(data, padding, boundary, flip):
    image, kernel = data
    reference_fn = signal.convolve2d if flip else signal.correlate2d
    if boundary != "zero" and padding == "full" and max(kernel.shape) - 1 > min(image.shape):
        return  # scipy wraps/mirrors only once; padding wider than the image has no scipy reference
    expected = reference_fn(image, kernel, mode=padding, boundary=SCIPY_BOUNDARY[boundary])
    got = apply_kernel(image, kernel, padding=padding, boundary=boundary, flip=flip)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(data=image_and_kernel(odd=True), boundary=st.sampled_from(sorted(NDIMAGE_MODE)), flip=st.booleans())
def test_matches_scipy_ndimage_for_every_boundary(data, boundary, flip):
    image, kernel = data
    if max(kernel.shape) // 2 > min(image.shape) - 1:
        return  # ndimage and numpy disagree on mirroring a pad wider than the image
    reference_fn = ndimage.convolve if flip else ndimage.correlate
    expected = reference_fn(image, kernel, mode=NDIMAGE_MODE[boundary], cval=0.0)
    got = apply_kernel(image, kernel, padding="same", boundary=boundary, flip=flip)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(data=image_and_kernel(), stride=st.integers(1, 4), padding=st.integers(0, 4), flip=st.booleans())
def test_matches_torch_conv2d_for_any_stride(data, stride, padding, flip):
    image, kernel = data
    weights = kernel[::-1, ::-1].copy() if flip else kernel  # torch's conv2d is cross-correlation
    expected = F.conv2d(
        torch.from_numpy(image)[None, None], torch.from_numpy(weights)[None, None], stride=stride, padding=padding
    )[0, 0].numpy()
    got = apply_kernel(image, kernel, stride=stride, padding=padding, flip=flip)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@settings(max_examples=50, deadline=None)
@given(data=image_and_kernel())
def test_same_correlation_matches_torch_same(data):
    image, kernel = data
    expected = F.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(kernel)[None, None], padding="same")
    got = apply_kernel(image, kernel, padding="same", flip=False)
    np.testing.assert_allclose(got, expected[0, 0].numpy(), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    data=image_and_kernel(),
    stride=st.integers(1, 3),
    padding=st.sampled_from(["same", "full", 0, 2]),
    boundary=st.sampled_from(sorted(BOUNDARY_MODES)),
)
def test_strided_output_is_every_sth_pixel_of_stride_one(data, stride, padding, boundary):
    image, kernel = data
    dense = apply_kernel(image, kernel, padding=padding, boundary=boundary)
    strided = apply_kernel(image, kernel, stride=stride, padding=padding, boundary=boundary)
    np.testing.assert_array_equal(strided, dense[::stride, ::stride])
    if padding == "same":
        assert strided.shape == (-(-image.shape[0] // stride), -(-image.shape[1] // stride))  # ceil(W / S)


@pytest.mark.parametrize(
    "name", ["Vertical edge (lecture)", "Gaussian 5x5 (lecture, 1/273)", "Box blur 15x15 (lecture)"]
)
def test_lecture_filters_reproduce_convolve2d_symm_same(name):
    photo = sample_photo("camera")  # 512 x 512 uint8, the lecture's kind of photo
    kernel = PRESETS[name]
    expected = signal.convolve2d(photo.astype(np.float64), kernel, boundary="symm", mode="same")
    got = apply_kernel(photo, kernel, boundary="symmetric")
    assert got.dtype == np.float32 and got.shape == (512, 512)
    scale = np.abs(kernel).sum() * 255  # the size of the largest possible output: float32 rounding scale
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6 * scale)


@pytest.mark.parametrize("kernel", [gaussian_kernel(15, 3.0), np.random.default_rng(0).normal(size=(15, 15))])
def test_colour_is_filtered_per_channel_in_float32(kernel):
    photo = sample_photo("astronaut")  # (512, 512, 3)
    got = apply_kernel(photo, kernel, boundary="symmetric")
    assert got.shape == (512, 512, 3)
    for channel in range(3):
        expected = signal.convolve2d(photo[..., channel].astype(np.float64), kernel, boundary="symm", mode="same")
        np.testing.assert_allclose(got[..., channel], expected, rtol=1e-4, atol=1e-5 * np.abs(kernel).sum() * 255)


@settings(max_examples=80, deadline=None)
@given(
    data=image_and_kernel(max_kernel=9),
    channels=st.sampled_from([None, 1, 3, 5]),
    stride=st.integers(1, 3),
    padding=st.sampled_from(["same", "valid", "full", 2]),
    boundary=st.sampled_from(sorted(BOUNDARY_MODES)),
    workers=st.integers(2, 5),
)
def test_row_strips_on_every_core_give_the_single_pass_result(data, channels, stride, padding, boundary, workers):
    """Large full-rank filtering runs as (channel, row strip) pieces in threads: forced here on small images."""
    image, kernel = data
    if channels is not None:
        image = np.stack([image * (c + 1) for c in range(channels)], axis=-1)
    kwargs = {"stride": stride, "padding": padding, "boundary": boundary}
    serial = apply_kernel(image, kernel, **kwargs)
    with patch.object(filtering, "PARALLEL_MIN_VALUES", 0), patch.object(filtering, "_WORKERS", workers):
        strips = apply_kernel(image, kernel, **kwargs)
    assert strips.shape == serial.shape and strips.dtype == serial.dtype
    np.testing.assert_allclose(strips, serial, rtol=1e-9, atol=1e-9 * np.abs(kernel).sum() * (np.abs(image).max() + 1))


def test_many_channels_and_a_single_channel():
    image = np.random.default_rng(1).random((9, 8, 6))
    got = apply_kernel(image, PRESETS["Laplacian"])
    assert got.shape == (9, 8, 6)
    np.testing.assert_allclose(got[..., 5], apply_kernel(image[..., 5], PRESETS["Laplacian"]))
    assert apply_kernel(image[..., :1], PRESETS["Laplacian"]).shape == (9, 8, 1)


def test_identity_and_one_pixel_image():
    image = np.arange(12, dtype=np.float64).reshape(3, 4)
    np.testing.assert_array_equal(apply_kernel(image, PRESETS["Identity"]), image)
    assert apply_kernel(np.array([[7.0]]), PRESETS["Identity"]).tolist() == [[7.0]]


def test_gradient_magnitude_is_hypot_of_sobel():
    image = sample_photo("camera")[:64, :64].astype(np.float64)
    gx = signal.convolve2d(image, PRESETS["Sobel x"], boundary="symm", mode="same")
    gy = signal.convolve2d(image, PRESETS["Sobel y"], boundary="symm", mode="same")
    np.testing.assert_allclose(gradient_magnitude(image), np.hypot(gx, gy), rtol=1e-9, atol=1e-9)


# --- the pixel inspector -----------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    data=image_and_kernel(),
    stride=st.integers(1, 3),
    padding=st.sampled_from(["same", "valid", "full", 1]),
    boundary=st.sampled_from(sorted(BOUNDARY_MODES)),
    flip=st.booleans(),
    where=st.tuples(st.floats(0, 0.999), st.floats(0, 0.999)),
)
def test_kernel_window_sum_is_the_output_pixel(data, stride, padding, boundary, flip, where):
    image, kernel = data
    settings_ = dict(stride=stride, padding=padding, boundary=boundary, flip=flip)
    output = apply_kernel(image, kernel, **settings_)
    row, col = int(where[0] * output.shape[0]), int(where[1] * output.shape[1])
    window = kernel_window(image, kernel, row, col, **settings_)
    assert window.patch.shape == window.weights.shape == window.products.shape == kernel.shape
    np.testing.assert_allclose(window.products, window.patch * window.weights)
    assert window.total == pytest.approx(output[row, col], rel=1e-9, abs=1e-9)


def test_kernel_window_in_the_corner_sees_the_padding():
    image = np.ones((5, 5))
    window = kernel_window(image, np.ones((3, 3)), 0, 0, padding="same", boundary="zero")
    assert (window.top, window.left) == (-1, -1)
    assert window.patch.tolist() == [[0, 0, 0], [0, 1, 1], [0, 1, 1]] and window.total == 4
    rotated = kernel_window(image, np.arange(9.0).reshape(3, 3), 2, 2, flip=True)
    np.testing.assert_array_equal(rotated.weights, np.arange(9.0).reshape(3, 3)[::-1, ::-1])


# --- sizes and the formula ---------------------------------------------------------------------


def test_output_size_formula_has_the_numbers_in_it():
    pads = padding_amounts((15, 15), "same")
    assert pads == ((7, 7), (7, 7))
    assert output_size_formula(512, 15, 1, pads[1]) == "floor((512 - 15 + 2*7)/1) + 1 = 512"
    assert output_size_formula(7, 2, 2, (1, 0)) == "floor((7 - 2 + 1 + 0)/2) + 1 = 4"
    assert output_shape((512, 300), (15, 3), 2, "valid") == (249, 149)


def test_formula_refuses_a_zero_stride():
    with pytest.raises(ValueError, match="stride must be at least 1"):
        output_size_formula(28, 3, 0, (1, 1))


def test_even_kernel_same_padding_follows_scipy():
    assert padding_amounts((2, 4), "same", flip=True) == ((1, 0), (2, 1))
    assert padding_amounts((2, 4), "same", flip=False) == ((0, 1), (1, 2))
    assert padding_amounts((3, 3), "full") == ((2, 2), (2, 2))


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"kernel": np.zeros((0, 0))}, "empty"),
        ({"kernel": np.array([[1.0, np.nan]])}, "NaN"),
        ({"kernel": np.ones(3)}, "2-D"),
        ({"stride": 0}, "stride must be at least 1"),
        ({"stride": 1.5}, "whole number"),
        ({"padding": -1}, "0 or more"),
        ({"padding": 100_000}, "at most 256 pixels"),  # would allocate 150 GB
        ({"padding": "half"}, "padding must be"),
        ({"boundary": "mirror"}, "boundary must be"),
        ({"kernel": np.ones((9, 9)), "padding": "valid"}, "does not fit"),
        ({"image": np.zeros((0, 5))}, "empty"),
        ({"image": np.full((4, 4), np.nan)}, "NaN"),
        ({"image": np.zeros(5)}, "height, width"),
    ],
)
def test_invalid_input_raises_a_clear_value_error(kwargs, words):
    arguments = {"image": np.zeros((8, 8)), "kernel": np.ones((3, 3))} | kwargs
    image, kernel = arguments.pop("image"), arguments.pop("kernel")
    with pytest.raises(ValueError, match=words):
        apply_kernel(image, kernel, **arguments)


def test_inspector_errors():
    with pytest.raises(ValueError, match="outside"):
        kernel_window(np.zeros((4, 4)), np.ones((3, 3)), 4, 0)
    with pytest.raises(ValueError, match="one channel"):
        kernel_window(np.zeros((4, 4, 3)), np.ones((3, 3)), 0, 0)
