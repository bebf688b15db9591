"""Colour images and kernels: the picture a kernel slides over, and what a conv layer does with R, G and B.

Filtering "per channel" gives three output maps, one per colour, and shows them as a colour picture. A conv
layer with 3 input channels and one filter does something else: its filter has one kernel *slice* per
channel, each slice is slid over its own channel, and the three results are added (plus a bias) into ONE
output map. ``apply_conv_layer`` computes that, ``conv_layer_window`` explains one of its output pixels.
Like ``torch.nn.functional.conv2d`` (which the tests compare with), it cross-correlates unless ``flip``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cnnviz.filtering import KernelWindow, Padding, apply_kernel, kernel_window
from cnnviz.kernels import check_kernel

# How the one kernel on the page becomes the layer's three slices: slice c = weight c x kernel.
CHANNEL_MIXES: dict[str, tuple[float, float, float]] = {
    "Same kernel on R, G and B": (1.0, 1.0, 1.0),
    "Luminance (0.299 R + 0.587 G + 0.114 B)": (0.299, 0.587, 0.114),
    "Red minus green": (1.0, -1.0, 0.0),
    "Blue minus yellow": (-0.5, -0.5, 1.0),
    "Red only": (1.0, 0.0, 0.0),
}
PROCESS_MODES = ("Greyscale", "Colour (per channel)", "Colour (conv layer)")


def filter_input(pixels: np.ndarray, mode: str) -> np.ndarray:
    """The picture a kernel slides over, float32, as ``mode`` (one of ``PROCESS_MODES``) asks.

    "Greyscale": (H, W) whole grey levels 0-255, Pillow's "L" (luminance ``0.299 R + 0.587 G + 0.114 B``,
    rounded), so the pixel inspector shows the integers a greyscale picture holds. "Colour (per channel)": the
    pixels as they are, (H, W, 3), or (H, W) for a grey picture (its one channel is filtered either way).
    "Colour (conv layer)": (H, W, 3); a grey picture has its one channel repeated as R, G and B.

    Raises:
        ValueError: an unknown mode, or pixels that are not (H, W) or (H, W, 3).
    """
    if mode not in PROCESS_MODES:
        raise ValueError(f"process mode must be one of {PROCESS_MODES}, got {mode!r}")
    array = np.asarray(pixels)
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        raise ValueError(f"expected a greyscale (H, W) or RGB (H, W, 3) image, got shape {array.shape}")
    if mode == "Greyscale":
        if array.ndim == 2:
            return array.astype(np.float32)
        if array.dtype.kind in "ui":  # Pillow's fixed-point luminance (ITU-R 601-2 weights x 65536), exactly
            weighted = array.astype(np.int64) @ np.array([19595, 38470, 7471], dtype=np.int64)
            return ((weighted + 0x8000) >> 16).astype(np.float32)
        return np.round(array.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32))
    array = array.astype(np.float32)
    if array.ndim == 2 and mode == "Colour (conv layer)":
        return np.repeat(array[..., None], 3, axis=2)
    return array


def channel_kernels(kernel: np.ndarray, weights: tuple[float, float, float]) -> np.ndarray:
    """A conv layer's filter from one kernel: slice c is ``weights[c] * kernel``; returns (3, F_rows, F_cols).

    Raises:
        ValueError: an invalid kernel, or not three finite channel weights.
    """
    base = check_kernel(kernel)
    mix = np.asarray(weights, dtype=np.float64)
    if mix.shape != (3,) or not np.isfinite(mix).all():
        raise ValueError(f"give one finite weight per colour channel (R, G, B), got {weights!r}")
    return mix[:, None, None] * base[None]


def apply_conv_layer(
    image: np.ndarray,
    kernels: np.ndarray,
    bias: float = 0.0,
    *,
    stride: int = 1,
    padding: Padding = "same",
    boundary: str = "zero",
    flip: bool = False,
) -> np.ndarray:
    """One filter of a conv layer on an RGB image: each channel filtered by its own kernel slice, summed, + bias.

    Args:
        image: (H, W, 3) colour image (any numbers, e.g. 0-255).
        kernels: (3, F_rows, F_cols), slice c for channel c (R, G, B).
        bias: added once to every output value.
        stride, padding, boundary, flip: as ``cnnviz.filtering.apply_kernel`` (flip=False: cross-correlation,
            what ``torch.nn.Conv2d`` computes).

    Returns:
        (H_out, W_out) float: ``sum_c apply_kernel(image[..., c], kernels[c]) + bias``.

    Raises:
        ValueError: the image is not (H, W, 3), the kernels not (3, F_rows, F_cols), the bias not a finite
            number, or invalid sliding settings (as ``apply_kernel``).
    """
    pixels, slices = _check_layer(image, kernels, bias)
    total = None
    for channel in range(3):
        part = apply_kernel(
            pixels[..., channel], slices[channel], stride=stride, padding=padding, boundary=boundary, flip=flip
        )
        total = part if total is None else total + part
    return total + np.asarray(bias, dtype=total.dtype)


@dataclass(frozen=True)
class ConvLayerWindow:
    """What makes one output pixel of ``apply_conv_layer``: per channel a window x slice, their sums, the bias."""

    channels: tuple[KernelWindow, KernelWindow, KernelWindow]  # R, G, B: patch, slice as applied, products
    bias: float

    @property
    def partial_sums(self) -> tuple[float, float, float]:
        """The three channels' sums of products (each ``KernelWindow.total``)."""
        return tuple(window.total for window in self.channels)  # type: ignore[return-value]

    @property
    def total(self) -> float:
        """The output value: the partial sums plus the bias."""
        return float(sum(self.partial_sums) + self.bias)


def conv_layer_window(
    image: np.ndarray,
    kernels: np.ndarray,
    row: int,
    col: int,
    bias: float = 0.0,
    *,
    stride: int = 1,
    padding: Padding = "same",
    boundary: str = "zero",
    flip: bool = False,
) -> ConvLayerWindow:
    """The three windows, slices and partial sums behind output pixel (row, col) of ``apply_conv_layer``.

    Raises:
        ValueError: as ``apply_conv_layer``, or (row, col) outside the output.
    """
    pixels, slices = _check_layer(image, kernels, bias)
    windows = tuple(
        kernel_window(pixels[..., c], slices[c], row, col, stride=stride, padding=padding, boundary=boundary, flip=flip)
        for c in range(3)
    )
    return ConvLayerWindow(windows, float(bias))  # type: ignore[arg-type]


def _check_layer(image: np.ndarray, kernels: np.ndarray, bias: float) -> tuple[np.ndarray, np.ndarray]:
    pixels = np.asarray(image)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"a conv layer on colour needs an (H, W, 3) image, got shape {pixels.shape}")
    slices = np.asarray(kernels, dtype=np.float64)
    if slices.ndim != 3 or slices.shape[0] != 3:
        raise ValueError(f"give one kernel slice per colour channel, shape (3, rows, cols), got {slices.shape}")
    for kernel in slices:
        check_kernel(kernel)
    if isinstance(bias, bool) or not isinstance(bias, int | float | np.floating) or not math.isfinite(bias):
        raise ValueError(f"the bias must be a finite number, got {bias!r}")
    return pixels, slices
