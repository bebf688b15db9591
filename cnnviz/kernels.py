"""Kernel presets and builders: the small weight grids that convolution slides over an image.

Every kernel is a 2-D float64 array (rows, cols). Applying one to an image is `cnnviz.filtering`'s job.
The presets follow the lecture (Industrial AI Lab notes) plus the classic image-processing set.
"""

from __future__ import annotations

import math

import numpy as np

_LECTURE_EDGE = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype=np.float64)
_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
_LECTURE_GAUSSIAN = (
    np.array(
        [[1, 4, 7, 4, 1], [4, 16, 26, 16, 4], [7, 26, 41, 26, 7], [4, 16, 26, 16, 4], [1, 4, 7, 4, 1]],
        dtype=np.float64,
    )
    / 273.0
)


def box_kernel(size: int) -> np.ndarray:
    """Averaging (box blur) kernel: every weight is ``1 / size**2``, so the weights sum to 1.

    Returns:
        (size, size) float64 array.

    Raises:
        ValueError: size is not a whole number of at least 1.
    """
    _check_size("box kernel size", size)
    return np.full((size, size), 1.0 / size**2)


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """Sampled 2-D Gaussian ``exp(-(x^2 + y^2) / (2 sigma^2))`` on a size x size grid, normalised to sum 1.

    Args:
        size: odd side length in pixels, so the kernel has a centre pixel.
        sigma: standard deviation in pixels; a kernel about ``6 * sigma`` wide holds almost all the bell.

    Returns:
        (size, size) float64 array.

    Raises:
        ValueError: size is not an odd whole number of at least 1, or sigma is not a positive number.
    """
    _check_size("Gaussian kernel size", size)
    if size % 2 == 0:
        raise ValueError(f"Gaussian kernel size must be odd so it has a centre pixel, got {size}")
    is_number = isinstance(sigma, int | float) and not isinstance(sigma, bool)
    if not is_number or not math.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"Gaussian sigma must be a positive number of pixels, got {sigma!r}")
    offsets = np.arange(size) - size // 2
    bell = np.exp(-(offsets**2) / (2.0 * sigma**2))  # (size,) one axis; the 2-D bell is its outer product
    kernel = np.outer(bell, bell)
    return kernel / kernel.sum()


def normalise_kernel(kernel: np.ndarray) -> np.ndarray:
    """Scale a kernel so it keeps the image's brightness: weights summing to 1.

    A kernel whose weights sum to 0 (an edge detector) cannot sum to 1; it is scaled so its positive
    weights sum to 1 instead, which keeps its outputs in the input's range.

    Raises:
        ValueError: the kernel is empty, not 2-D, holds NaN/infinity, or is all zeros.
    """
    kernel = check_kernel(kernel)
    total = kernel.sum()
    scale = np.abs(kernel).sum()
    if scale == 0:
        raise ValueError("the kernel is all zeros, so it cannot be normalised (every output would be 0)")
    if abs(total) > 1e-9 * scale:
        return kernel / total
    return kernel / (scale / 2.0)


def check_kernel(kernel: np.ndarray) -> np.ndarray:
    """Return the kernel as a 2-D float64 array after checking it can be applied.

    Raises:
        ValueError: the kernel is not 2-D, is empty, or holds NaN or infinite weights.
    """
    array = np.asarray(kernel, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"a kernel must be a 2-D grid of weights, got an array with {array.ndim} dimensions")
    if array.size == 0:
        raise ValueError("the kernel is empty: it needs at least one row and one column of weights")
    if not np.isfinite(array).all():
        raise ValueError("the kernel has empty or NaN/infinite cells: every weight must be a number")
    return array


def kernel_text(kernel: np.ndarray) -> str:
    """A kernel as a short line, rows split by ";" and weights by ",": what a link carries.

    Weights are written in their shortest exact form (``repr``), so ``parse_kernel_text`` gives them back.

    >>> kernel_text(np.array([[-1.0, 0.0, 1.0], [0.5, 2.0, -0.25]]))
    '-1,0,1;0.5,2,-0.25'
    """
    return ";".join(",".join(_weight_text(float(w)) for w in row) for row in check_kernel(kernel))


def parse_kernel_text(text: str, max_side: int = 15) -> np.ndarray:
    """The kernel ``kernel_text`` wrote: rows split by ";", weights by ","; spaces are ignored.

    Raises:
        ValueError: rows of different lengths, a weight that is not a number, or more than ``max_side``
            rows or columns.

    >>> parse_kernel_text("-1, 0, 1; -2, 0, 2").tolist()
    [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0]]
    """
    rows = [row.split(",") for row in text.replace(" ", "").strip(";").split(";")]
    if len(rows) > max_side or max(len(row) for row in rows) > max_side:
        raise ValueError(f"a kernel has at most {max_side} rows and {max_side} columns")
    if len({len(row) for row in rows}) != 1:
        raise ValueError("every row of the kernel needs the same number of weights")
    try:
        kernel = np.array([[float(w) for w in row] for row in rows], dtype=np.float64)
    except ValueError:
        raise ValueError("every weight must be a number, rows split by ';' and weights by ','") from None
    return check_kernel(kernel)


def _weight_text(weight: float) -> str:
    return str(int(weight)) if weight.is_integer() and abs(weight) < 1e15 else repr(weight)


MAX_KERNEL_SIZE = 99  # far beyond any teaching use; a typo of 10^9 must not allocate 8 exabytes


def _check_size(name: str, size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {size!r}")
    if size > MAX_KERNEL_SIZE:
        raise ValueError(f"{name} must be at most {MAX_KERNEL_SIZE}, got {size:,}: a kernel that big blurs everything")


PRESETS: dict[str, np.ndarray] = {
    "Identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "Vertical edge (lecture)": _LECTURE_EDGE,
    "Horizontal edge (lecture, transposed)": _LECTURE_EDGE.T.copy(),
    "Sobel x": _SOBEL_X,
    "Sobel y": _SOBEL_X.T.copy(),
    "Prewitt x": _LECTURE_EDGE.copy(),
    "Prewitt y": _LECTURE_EDGE.T.copy(),
    "Laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64),
    "Sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
    "Emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float64),
    "Outline": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
    "Box blur 3x3": box_kernel(3),
    "Box blur 5x5": box_kernel(5),
    "Box blur 15x15 (lecture)": box_kernel(15),
    "Gaussian 5x5 (lecture, 1/273)": _LECTURE_GAUSSIAN,
}

# One sentence per preset for the page: what the kernel looks for.
PRESET_NOTES: dict[str, str] = {
    "Identity": "A single 1 in the centre: the output is the input, unchanged.",
    "Vertical edge (lecture)": "Right column minus left column as written (turned 180° by convolution: left "
    "minus right): responds to vertical edges.",
    "Horizontal edge (lecture, transposed)": "Bottom row minus top row as written (turned 180° by convolution: top "
    "minus bottom): responds to horizontal edges.",
    "Sobel x": "Like the lecture's edge filter, but the centre row counts twice: smoother vertical edges.",
    "Sobel y": "Sobel x turned on its side: horizontal edges.",
    "Prewitt x": "The Prewitt operator: the same weights as the lecture's vertical edge filter.",
    "Prewitt y": "Prewitt x transposed: horizontal edges.",
    "Laplacian": "Centre minus its four neighbours: edges in every direction, zero on flat areas.",
    "Sharpen": "Identity plus a Laplacian: boosts each pixel against its neighbours.",
    "Emboss": "A diagonal difference that sums to 1: looks like a relief lit from one corner.",
    "Outline": "Centre minus all eight neighbours: thin outlines, black on flat areas.",
    "Box blur 3x3": "The average of a 3x3 neighbourhood.",
    "Box blur 5x5": "The average of a 5x5 neighbourhood: blurrier.",
    "Box blur 15x15 (lecture)": "The lecture's averaging filter: the mean of 225 pixels, a strong blur.",
    "Gaussian 5x5 (lecture, 1/273)": "The lecture's Gaussian: a weighted average that favours the centre.",
}
