"""1-D convolution and cross-correlation of a short signal, step by step, for the lesson before 2-D.

A CNN layer (``nn.Conv1d``) computes cross-correlation: output i is ``sum_t x[i*S + t] * w[t]`` over the
padded signal. Convolution is the same with the kernel flipped (``numpy.convolve``). The output length is
the conv-arithmetic rule from ``cnnviz.shapes.sliding_output_size``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from cnnviz.shapes import sliding_output_size, whole_number

PRESETS = ("step", "pulse", "noisy sine")
MAX_NUMBERS = 1000  # a typed signal on a slide; more is a paste gone wrong


def parse_numbers(text: str, what: str = "signal") -> np.ndarray:
    """Numbers typed by a person, separated by commas and/or spaces ("1, 2, 3" or "1 2 3"), as float64.

    Raises:
        ValueError: the text is empty, holds something that is not a number (the message quotes it),
            a NaN or infinity, or more than ``MAX_NUMBERS`` numbers.

    Example:
        >>> parse_numbers("1, 2 3,-0.5").tolist()
        [1.0, 2.0, 3.0, -0.5]
    """
    pieces = [p for p in re.split(r"[,;\s]+", text.strip()) if p]
    if not pieces:
        raise ValueError(f"type the {what} as numbers separated by commas or spaces, e.g. 1, 2, 3")
    if len(pieces) > MAX_NUMBERS:
        raise ValueError(f"the {what} has {len(pieces):,} numbers; at most {MAX_NUMBERS:,} fit in a picture")
    numbers = []
    for piece in pieces:
        try:
            numbers.append(float(piece))
        except ValueError:
            raise ValueError(f"{piece!r} in the {what} is not a number: use digits, '.', '-' and commas") from None
    values = np.array(numbers)
    if not np.isfinite(values).all():
        raise ValueError(f"the {what} must hold ordinary numbers, not NaN or infinity")
    return values


def signal_preset(name: str, length: int = 16, seed: int = 0) -> np.ndarray:
    """A ready-made signal: "step" (0s then 1s), "pulse" (one 1 in the middle) or "noisy sine" (seeded noise).

    Raises:
        ValueError: an unknown name or a length below 2.
    """
    length = whole_number("signal length", length, 2, "a signal needs at least two samples", MAX_NUMBERS)
    if name == "step":
        return (np.arange(length) >= length // 2).astype(np.float64)
    if name == "pulse":
        signal = np.zeros(length)
        signal[length // 2] = 1.0
        return signal
    if name == "noisy sine":
        noise = np.random.default_rng(seed).normal(0.0, 0.2, length)
        return np.round(np.sin(2 * np.pi * np.arange(length) / length) + noise, 2)
    raise ValueError(f"signal preset must be one of {', '.join(PRESETS)}, got {name!r}")


@dataclass(frozen=True)
class Step1d:
    """What makes one output value: where the window starts, the numbers under it, the products, the sum."""

    index: int  # output position i
    start: int  # first padded-signal position under the window: i * S
    window: np.ndarray  # (F,) padded-signal values under the kernel
    products: np.ndarray  # window * weights
    total: float  # products.sum(): the output value


@dataclass(frozen=True)
class Sliding1d:
    """A whole 1-D pass: the padded signal, the weights as applied, every step and the output."""

    padded: np.ndarray  # (P_before + L + P_after,)
    weights: np.ndarray  # (F,) the kernel as slid: flipped for convolution
    pad_before: int
    pad_after: int
    stride: int
    flipped: bool
    steps: list[Step1d]

    @property
    def output(self) -> np.ndarray:
        """(L_out,) the output signal."""
        return np.array([s.total for s in self.steps])


def slide_1d(
    signal: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: int | tuple[int, int] | str = 0,
    flip: bool = False,
) -> Sliding1d:
    """Slide a kernel along a signal: cross-correlation (``flip=False``, what ``nn.Conv1d`` does) or convolution.

    Args:
        signal: (L,) numbers; kernel: (F,) weights.
        stride: S, the step between windows.
        padding: P zeros on each side, a pair (before, after), "valid" (0) or "full" (F - 1: every overlap).
        flip: True reverses the kernel first (convolution, as ``numpy.convolve``).

    Raises:
        ValueError: empty or non-finite arrays, a bad stride or padding, or a kernel longer than the padded signal.
    """
    signal, kernel = _as_numbers(signal, "signal"), _as_numbers(kernel, "kernel")
    if padding in ("valid", "full"):
        padding = 0 if padding == "valid" else len(kernel) - 1
    elif isinstance(padding, str):
        raise ValueError(f"padding must be a number of zeros, 'valid' or 'full', got {padding!r}")
    before, after = (padding, padding) if isinstance(padding, int | float) else padding
    rule = "padding adds zeros at the ends, it cannot remove samples"
    before, after = whole_number("padding", before, 0, rule), whole_number("padding", after, 0, rule)
    stride = whole_number("stride", stride, 1, "the window must move forward by at least one sample")
    if len(kernel) > len(signal) + before + after:
        raise ValueError(
            f"the kernel ({len(kernel)} numbers) is longer than the padded signal "
            f"({len(signal) + before + after} numbers), so it fits nowhere: add padding or shorten the kernel"
        )
    count = sliding_output_size(len(signal), len(kernel), stride, (before, after))
    padded = np.pad(signal, (before, after))
    weights = kernel[::-1].copy() if flip else kernel
    steps = []
    for i in range(count):
        window = padded[i * stride : i * stride + len(weights)]
        products = window * weights
        steps.append(Step1d(i, i * stride, window, products, float(products.sum())))
    return Sliding1d(padded, weights, before, after, stride, flip, steps)


def cross_correlate(
    signal: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int | tuple[int, int] | str = 0
) -> np.ndarray:
    """Cross-correlation, as ``torch.nn.functional.conv1d`` (and ``numpy.correlate`` for stride 1).

    Raises:
        ValueError: as ``slide_1d``.
    """
    return slide_1d(signal, kernel, stride, padding).output


def convolve(
    signal: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int | tuple[int, int] | str = 0
) -> np.ndarray:
    """Convolution (the kernel flipped), as ``numpy.convolve`` for stride 1.

    Raises:
        ValueError: as ``slide_1d``.

    Example:
        >>> convolve([0, 1, 0, 0], [1, 2, 3], padding="full").tolist()
        [0.0, 1.0, 2.0, 3.0, 0.0, 0.0]
    """
    return slide_1d(signal, kernel, stride, padding, flip=True).output


def _as_numbers(values: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"the {what} must be a non-empty row of numbers, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"the {what} must hold ordinary numbers, not NaN or infinity")
    return array
