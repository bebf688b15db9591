"""The conv layer on colour against torch.nn.functional.conv2d; greyscale input against Pillow's "L"."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnviz.colour_filtering import (
    CHANNEL_MIXES,
    PROCESS_MODES,
    apply_conv_layer,
    channel_kernels,
    conv_layer_window,
    filter_input,
)
from cnnviz.filtering import apply_kernel
from cnnviz.images import sample_photo
from cnnviz.kernels import PRESETS


def torch_conv(image: np.ndarray, kernels: np.ndarray, bias: float, stride: int, padding: int) -> np.ndarray:
    """The oracle: one output channel of a conv layer with 3 input channels."""
    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)[None]).astype(np.float64))  # (1, 3, H, W)
    w = torch.from_numpy(kernels[None].astype(np.float64))  # (1, 3, F, F)
    b = torch.tensor([bias], dtype=torch.float64)
    return F.conv2d(x, w, b, stride=stride, padding=padding)[0, 0].numpy()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    size=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 3),
    bias=st.floats(-50, 50),
)
def test_the_conv_layer_equals_torch_conv2d(seed, size, stride, padding, bias):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (rng.integers(size, 20), rng.integers(size, 20), 3)).astype(np.float64)
    kernels = rng.normal(size=(3, size, size))
    ours = apply_conv_layer(image, kernels, bias, stride=stride, padding=padding, boundary="zero")
    np.testing.assert_allclose(ours, torch_conv(image, kernels, bias, stride, padding), rtol=1e-9, atol=1e-7)


def test_convolution_is_the_layer_with_each_slice_turned_round():
    rng = np.random.default_rng(1)
    image, kernels = rng.normal(size=(9, 11, 3)), rng.normal(size=(3, 3, 3))
    ours = apply_conv_layer(image, kernels, 0.5, padding=1, boundary="zero", flip=True)
    np.testing.assert_allclose(ours, torch_conv(image, kernels[:, ::-1, ::-1].copy(), 0.5, 1, 1), atol=1e-9)


def test_a_photo_through_a_conv_layer_is_one_map_unlike_per_channel_filtering():
    photo = sample_photo("chelsea")[:64, :80].astype(np.float32)
    kernels = channel_kernels(PRESETS["Sobel x"], CHANNEL_MIXES["Red minus green"])
    layer = apply_conv_layer(photo, kernels, padding=1, boundary="zero")
    per_channel = apply_kernel(photo, PRESETS["Sobel x"], padding=1, boundary="zero", flip=False)
    assert layer.shape == (64, 80) and per_channel.shape == (64, 80, 3)
    np.testing.assert_allclose(layer, per_channel[..., 0] - per_channel[..., 1], atol=1e-3)
    np.testing.assert_allclose(layer, torch_conv(photo.astype(np.float64), kernels, 0.0, 1, 1), atol=1e-3)


def test_luminance_slices_give_the_greyscale_filtering():
    photo = sample_photo("coffee")[:40, :40].astype(np.float64)
    kernels = channel_kernels(
        PRESETS["Vertical edge (lecture)"], CHANNEL_MIXES["Luminance (0.299 R + 0.587 G + 0.114 B)"]
    )
    grey = photo @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(
        apply_conv_layer(photo, kernels, boundary="symmetric"),
        apply_kernel(grey, PRESETS["Vertical edge (lecture)"], boundary="symmetric", flip=False),
        atol=1e-9,
    )


def test_the_window_explains_the_output_pixel_as_three_partial_sums_plus_bias():
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (12, 10, 3)).astype(np.float64)
    kernels = rng.normal(size=(3, 3, 3))
    output = torch_conv(image, kernels, -3.0, 2, 1)
    window = conv_layer_window(image, kernels, 2, 3, -3.0, stride=2, padding=1, boundary="zero")
    assert window.total == pytest.approx(output[2, 3])
    for c, part in enumerate(window.channels):
        np.testing.assert_array_equal(part.patch, np.pad(image[..., c], 1)[4:7, 6:9])
        np.testing.assert_array_equal(part.weights, kernels[c])
        assert part.total == pytest.approx((image[..., c][3:6, 5:8] * kernels[c]).sum())
    assert sum(window.partial_sums) + window.bias == pytest.approx(window.total)


@pytest.mark.parametrize(
    ("image", "kernels", "bias", "words"),
    [
        (np.zeros((5, 5)), np.zeros((3, 3, 3)), 0.0, "needs an \\(H, W, 3\\) image"),
        (np.zeros((5, 5, 3)), np.zeros((3, 3)), 0.0, "one kernel slice per colour channel"),
        (np.zeros((5, 5, 3)), np.zeros((2, 3, 3)), 0.0, "one kernel slice per colour channel"),
        (np.zeros((5, 5, 3)), np.full((3, 3, 3), np.nan), 0.0, "NaN"),
        (np.zeros((5, 5, 3)), np.zeros((3, 3, 3)), float("inf"), "bias must be a finite number"),
    ],
)
def test_bad_layers_are_explained(image, kernels, bias, words):
    with pytest.raises(ValueError, match=words):
        apply_conv_layer(image, kernels, bias)


def test_channel_kernels_scale_the_one_kernel_per_channel():
    slices = channel_kernels(PRESETS["Sobel x"], (1.0, -1.0, 0.0))
    assert slices.shape == (3, 3, 3)
    np.testing.assert_array_equal(slices[1], -PRESETS["Sobel x"])
    assert not slices[2].any()
    with pytest.raises(ValueError, match="one finite weight per colour channel"):
        channel_kernels(PRESETS["Sobel x"], (1.0, float("nan"), 0.0))


def test_greyscale_input_is_pillows_whole_grey_levels():
    """The inspector showed 155.84 where a greyscale picture holds integers: the input is now Pillow's "L"."""
    photo = sample_photo("astronaut")
    grey = filter_input(photo, "Greyscale")
    np.testing.assert_array_equal(grey, np.asarray(Image.fromarray(photo).convert("L"), dtype=np.float32))
    assert grey.dtype == np.float32 and np.array_equal(grey, np.round(grey))


def test_colour_modes_keep_rgb_and_repeat_a_grey_channel():
    grey = sample_photo("camera")[:8, :8]
    rgb = filter_input(grey, "Colour (conv layer)")
    assert rgb.shape == (8, 8, 3) and (rgb == grey[..., None]).all()
    np.testing.assert_array_equal(filter_input(grey, "Colour (per channel)"), grey)  # one channel, filtered once
    photo = sample_photo("coffee")[:8, :8]
    for mode in PROCESS_MODES[1:]:
        np.testing.assert_array_equal(filter_input(photo, mode), photo)
    with pytest.raises(ValueError, match="process mode"):
        filter_input(grey, "Sepia")
