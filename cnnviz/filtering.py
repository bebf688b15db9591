"""Applying a kernel to an image: the sliding multiply-and-sum, fast and exact.

For every output pixel the kernel is laid over a window of the (padded) input, the overlapping numbers
are multiplied pairwise and summed. Along each axis the output length is the lecture's
``W_out = floor((W - F + 2P) / S) + 1`` (input W, kernel F, padding P, stride S).

``flip=True`` is true convolution (the kernel is rotated 180 degrees first, as ``scipy.signal.convolve2d``);
``flip=False`` is cross-correlation, which is what a CNN's conv layer (``torch.nn.Conv2d``) computes.

Speed: the padded image goes to OpenCV's ``filter2D`` (vectorised C++), or, when the kernel is a sum of a
few outer products (box, Gaussian, Sobel: low rank), to a few ``sepFilter2D`` passes, which cost
``F + F`` multiplications per pixel instead of ``F * F``. A full-rank kernel on a large image (OpenCV
takes its DFT path there, on one core) is split into row strips per channel that run on every core;
a strip carries the ``F - 1`` rows its windows need, so the result is the same. All are exact up to
float rounding; ``bench/filter_speed.py`` measures them against ``scipy.signal.convolve2d``.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from cnnviz.kernels import PRESETS, check_kernel
from cnnviz.shapes import sliding_output_size

PADDING_MODES = ("same", "valid", "full")
MAX_PADDING = 256  # pixels per side: well past any kernel here (at most 99), and a padded 1024 px photo stays small
# Our boundary name -> numpy.pad mode. "symmetric" repeats the edge pixel (scipy's 'symm'),
# "reflect" mirrors around it without repeating it.
BOUNDARY_MODES = {"zero": "constant", "reflect": "reflect", "symmetric": "symmetric", "wrap": "wrap", "edge": "edge"}

# Full-rank kernels on at least this many values (pixels x channels) are filtered in strips on every core.
PARALLEL_MIN_VALUES = 512 * 512
_WORKERS = max(1, os.cpu_count() or 1)
_POOL = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="cnnviz-filter")  # OpenCV releases the GIL

Padding = int | str
Pads = tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))


def padding_amounts(kernel_shape: tuple[int, int], padding: Padding, flip: bool = True) -> Pads:
    """Pixels added on each side, ``((top, bottom), (left, right))``, for a kernel of (rows, cols).

    "same" pads ``F - 1`` pixels in total along each axis; when that is odd (even-sized kernel) the extra
    pixel goes where scipy puts it: before the image for convolution, after it for correlation.

    Raises:
        ValueError: padding is negative, not a whole number, or not one of "same", "valid", "full".
    """
    if isinstance(padding, str):
        if padding not in PADDING_MODES:
            raise ValueError(f"padding must be a number of pixels or one of {PADDING_MODES}, got {padding!r}")
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "full":
            return (kernel_shape[0] - 1,) * 2, (kernel_shape[1] - 1,) * 2
        pads = []
        for size in kernel_shape:
            small, large = (size - 1) // 2, size // 2
            pads.append((large, small) if flip else (small, large))
        return pads[0], pads[1]
    if isinstance(padding, bool) or not isinstance(padding, int | np.integer):
        raise ValueError(f"padding must be a whole number of pixels, got {padding!r}")
    if padding < 0:
        raise ValueError(f"padding must be 0 or more pixels, got {padding}")
    if padding > MAX_PADDING:
        raise ValueError(
            f"padding must be at most {MAX_PADDING} pixels, got {padding}: beyond F - 1 pixels (what "
            "'full' adds) the extra rows and columns only ever see padding"
        )
    return (int(padding),) * 2, (int(padding),) * 2


def output_shape(
    image_shape: tuple[int, ...], kernel_shape: tuple[int, int], stride: int = 1, padding: Padding = "same"
) -> tuple[int, int]:
    """(rows, cols) of the output: ``floor((W - F + P_before + P_after) / S) + 1`` along each axis.

    Raises:
        ValueError: a parameter is out of range, or the kernel is larger than the padded image.
    """
    pads = padding_amounts(kernel_shape, padding)
    return _axis_output(image_shape[0], kernel_shape[0], stride, pads[0]), _axis_output(
        image_shape[1], kernel_shape[1], stride, pads[1]
    )


def output_size_formula(size: int, kernel: int, stride: int, pads: tuple[int, int]) -> str:
    """The lecture's formula with this axis's numbers in it, e.g. ``floor((512 - 15 + 2*7)/1) + 1 = 512``.

    Raises:
        ValueError: stride below 1, or the kernel does not fit in the padded input.
    """
    output = _axis_output(size, kernel, stride, pads)
    before, after = pads
    pad_text = f"2*{before}" if before == after else f"{before} + {after}"
    return f"floor(({size} - {kernel} + {pad_text})/{stride}) + 1 = {output}"


def _axis_output(size: int, kernel: int, stride: int, pads: tuple[int, int]) -> int:
    """One axis of ``output_shape``, by the one output-size rule in ``cnnviz.shapes``."""
    _check_stride(stride)
    return sliding_output_size(size, kernel, int(stride), pads)


def apply_kernel(
    image: np.ndarray,
    kernel: np.ndarray,
    *,
    stride: int = 1,
    padding: Padding = "same",
    boundary: str = "zero",
    flip: bool = True,
) -> np.ndarray:
    """Slide a kernel over an image and return the multiply-and-sum at every stop.

    Args:
        image: (H, W) greyscale or (H, W, C) colour, uint8 or float; colour is filtered per channel.
        kernel: (F_rows, F_cols) weights; any size, odd or even, square or not.
        stride: step S in pixels between windows (both axes).
        padding: P pixels on every side, or "valid" (P = 0), "same" (output ceil(W / S), scipy's centring),
            "full" (P = F - 1: every window that touches the image).
        boundary: what the padding holds: "zero", "reflect" (mirror, edge pixel once), "symmetric"
            (mirror, edge pixel repeated, scipy's 'symm'), "wrap" (the opposite side), "edge" (repeat).
        flip: True rotates the kernel 180 degrees first (convolution); False is cross-correlation.

    Returns:
        float array (H_out, W_out) or (H_out, W_out, C); float64 for float64 input, else float32.

    Raises:
        ValueError: empty or non-finite image or kernel, stride below 1, bad padding or boundary name,
            or a kernel larger than the padded image.
    """
    pixels = _check_image(image)
    weights = check_kernel(kernel)
    pads = padding_amounts(weights.shape, padding, flip)
    if boundary not in BOUNDARY_MODES:
        raise ValueError(f"boundary must be one of {tuple(BOUNDARY_MODES)}, got {boundary!r}")
    output_shape(pixels.shape, weights.shape, stride, padding)  # raises if the kernel does not fit
    if flip:
        weights = weights[::-1, ::-1]
    padded = _pad(pixels, pads, boundary)  # (H + P_rows, W + P_cols[, C])
    correlated = _correlate_valid(padded, weights.astype(padded.dtype))
    return np.ascontiguousarray(correlated[::stride, ::stride])


@dataclass(frozen=True)
class KernelWindow:
    """What makes one output pixel: the input window, the weights used, their products and the sum."""

    patch: np.ndarray  # (F_rows, F_cols) input values under the kernel, padding included
    weights: np.ndarray  # (F_rows, F_cols) the kernel as applied (rotated 180 degrees for convolution)
    products: np.ndarray  # patch * weights, element-wise
    total: float  # products.sum(): the output value
    top: int  # input row of the window's top-left cell (negative inside the top padding)
    left: int  # input column of the window's top-left cell


def kernel_window(
    image: np.ndarray,
    kernel: np.ndarray,
    row: int,
    col: int,
    *,
    stride: int = 1,
    padding: Padding = "same",
    boundary: str = "zero",
    flip: bool = True,
) -> KernelWindow:
    """The window behind output pixel (row, col) of ``apply_kernel`` on a greyscale (H, W) image.

    Raises:
        ValueError: invalid settings (as ``apply_kernel``), a colour image, or (row, col) outside the output.
    """
    pixels = _check_image(image).astype(np.float64)
    if pixels.ndim != 2:
        raise ValueError("the pixel inspector works on one channel: pass an (H, W) greyscale image")
    weights = check_kernel(kernel)
    out_rows, out_cols = output_shape(pixels.shape, weights.shape, stride, padding)
    if not (0 <= row < out_rows and 0 <= col < out_cols):
        raise ValueError(f"output pixel (row {row}, column {col}) is outside the {out_rows} x {out_cols} output")
    if boundary not in BOUNDARY_MODES:
        raise ValueError(f"boundary must be one of {tuple(BOUNDARY_MODES)}, got {boundary!r}")
    pads = padding_amounts(weights.shape, padding, flip)
    padded = _pad(pixels, pads, boundary)
    rows, cols = weights.shape
    patch = padded[row * stride : row * stride + rows, col * stride : col * stride + cols].copy()
    used = weights[::-1, ::-1].copy() if flip else weights
    products = patch * used
    top, left = row * stride - pads[0][0], col * stride - pads[1][0]
    return KernelWindow(patch, used, products, float(products.sum()), top, left)


def gradient_magnitude(image: np.ndarray, boundary: str = "symmetric") -> np.ndarray:
    """Sobel edge strength ``sqrt(gx^2 + gy^2)`` at every pixel, same size as the input.

    Raises:
        ValueError: an empty, non-finite or badly shaped image, or an unknown boundary name.
    """
    gx = apply_kernel(image, PRESETS["Sobel x"], boundary=boundary)
    gy = apply_kernel(image, PRESETS["Sobel y"], boundary=boundary)
    return np.sqrt(gx**2 + gy**2)


def _check_stride(stride: int) -> None:
    if isinstance(stride, bool) or not isinstance(stride, int | np.integer):
        raise ValueError(f"stride must be a whole number of pixels, got {stride!r}")
    if stride < 1:
        raise ValueError(f"stride must be at least 1 (the kernel has to move), got {stride}")


def _check_image(image: np.ndarray) -> np.ndarray:
    """The image as a float32 (or float64) array of shape (H, W) or (H, W, C)."""
    array = np.asarray(image)
    if array.ndim not in (2, 3):
        raise ValueError(f"an image must be (height, width) or (height, width, channels), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"the image is empty (shape {array.shape})")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"image pixels must be numbers, got {array.dtype}")
    array = array.astype(np.float64 if array.dtype == np.float64 else np.float32, copy=False)
    if not np.isfinite(array).all():
        raise ValueError("the image has NaN or infinite pixels")
    return array


def _pad(image: np.ndarray, pads: Pads, boundary: str) -> np.ndarray:
    width = pads + ((0, 0),) * (image.ndim - 2)
    if not any(sum(p) for p in pads):
        return image
    return np.pad(image, width, mode=BOUNDARY_MODES[boundary])


def _correlate_valid(padded: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cross-correlate at every position where the kernel fits inside ``padded`` ("valid")."""
    rows, cols = weights.shape
    out_rows, out_cols = padded.shape[0] - rows + 1, padded.shape[1] - cols + 1
    if padded.ndim == 3 and padded.shape[2] > 4:  # OpenCV filters at most 4 channels per call
        return np.stack([_correlate_valid(padded[..., c], weights) for c in range(padded.shape[2])], axis=-1)
    terms = _separable_terms(weights)
    if (
        terms is None
        and _WORKERS > 1
        and out_rows >= 2 * _WORKERS
        and out_rows * out_cols * (padded.shape[2] if padded.ndim == 3 else 1) >= PARALLEL_MIN_VALUES
    ):
        return _correlate_valid_in_strips(padded, weights)
    source = np.ascontiguousarray(padded)
    if terms is None:
        full = cv2.filter2D(source, -1, weights, borderType=cv2.BORDER_CONSTANT)
    else:
        full = sum(
            cv2.sepFilter2D(source, -1, row_taps, col_taps, borderType=cv2.BORDER_CONSTANT)
            for col_taps, row_taps in terms
        )
    # OpenCV anchors the kernel at its centre (rows // 2, cols // 2); shift back to the top-left corner.
    top, left = rows // 2, cols // 2
    result = full[top : top + out_rows, left : left + out_cols]
    if padded.ndim == 3 and result.ndim == 2:  # OpenCV drops a single channel axis; put it back
        result = result[..., None]
    return result


def _correlate_valid_in_strips(padded: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``_correlate_valid`` for one full-rank kernel, as (channel, row strip) pieces filtered in parallel."""
    rows, cols = weights.shape
    out_rows, out_cols = padded.shape[0] - rows + 1, padded.shape[1] - cols + 1
    out = np.empty((out_rows, out_cols, *padded.shape[2:]), padded.dtype)
    channels = [(padded, out)] if padded.ndim == 2 else [(padded[..., c], out[..., c]) for c in range(padded.shape[2])]
    bounds = np.linspace(0, out_rows, _WORKERS + 1).round().astype(int)
    top, left = rows // 2, cols // 2  # OpenCV's anchor, as in _correlate_valid

    def filter_strip(source: np.ndarray, target: np.ndarray, first: int, last: int) -> None:
        # Output rows first..last-1 need input rows first..last+rows-2: the strip and its kernel's reach.
        strip = np.ascontiguousarray(source[first : last + rows - 1])
        full = cv2.filter2D(strip, -1, weights, borderType=cv2.BORDER_CONSTANT)
        target[first:last] = full[top : top + last - first, left : left + out_cols]

    pieces = [(s, t, a, b) for s, t in channels for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    for done in [_POOL.submit(filter_strip, *piece) for piece in pieces]:
        done.result()  # re-raises a worker's exception here
    return out


def _separable_terms(weights: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Split the kernel into a few outer products (column taps, row taps) when that is cheaper, else None.

    A rank-r kernel costs r * (rows + cols) multiplications per pixel as separable passes against
    rows * cols for the direct method; the SVD finds r. Singular values below 1e-7 of the largest are
    float rounding and are dropped, so the result stays exact to float precision.
    """
    rows, cols = weights.shape
    if rows * cols < 25 or min(rows, cols) == 1:
        return None
    u, singular, vt = np.linalg.svd(weights.astype(np.float64))
    if singular[0] == 0:
        return None
    rank = int((singular > singular[0] * 1e-7).sum())
    if 2 * rank * (rows + cols) > rows * cols:
        return None
    dtype = weights.dtype
    return [
        ((u[:, i] * math.sqrt(singular[i])).astype(dtype), (vt[i] * math.sqrt(singular[i])).astype(dtype))
        for i in range(rank)
    ]
