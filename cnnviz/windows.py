"""Sliding windows of one layer: which input cells each output cell reads, for the layer diagrams.

Covers convolution (coordinates on the *padded* input: row 0 is the first row of padding, as the
diagram draws it), max pooling's winners, average pooling's windows and divisors, adaptive (global)
pooling, grouped convolution's channel groups, and transposed convolution drawn as conv_arithmetic
draws it: a stride-1 convolution over the spread-out input. Sizes come from ``cnnviz.shapes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.inspect import pooling_windows
from cnnviz.shapes import (
    ConvExplanation,
    conv_params,
    explain_conv,
    pool_output_size,
    transposed_conv_output_size,
    whole_number,
)

# The lecture's max-pooling example: 2x2 windows with stride 2 give [[6, 8], [3, 4]].
LECTURE_POOL_INPUT = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])


def window_taps(index: int, kernel: int, stride: int = 1, dilation: int = 1) -> list[int]:
    """Padded-input positions read by output position ``index`` along one axis: ``index*S + t*d``, t < F."""
    return [index * stride + tap * dilation for tap in range(kernel)]


@dataclass(frozen=True)
class WindowGrid:
    """A layer's sliding window on an (H, W) input, both axes explained."""

    rows: ConvExplanation
    cols: ConvExplanation

    @property
    def output_hw(self) -> tuple[int, int]:
        return self.rows.output, self.cols.output

    def taps(self, out_row: int, out_col: int) -> list[tuple[int, int]]:
        """(row, col) cells of the padded input that output cell (out_row, out_col) reads."""
        r, c = self.rows, self.cols
        return [
            (i, j)
            for i in window_taps(out_row, r.kernel, r.stride, r.dilation)
            for j in window_taps(out_col, c.kernel, c.stride, c.dilation)
        ]

    def never_read(self) -> np.ndarray:
        """Boolean (padded H, padded W) mask of cells that no window reads (stride leftovers, dilation gaps)."""
        read = np.zeros((self.rows.padded, self.cols.padded), dtype=bool)
        for out_row in range(self.rows.output):
            for out_col in range(self.cols.output):
                for i, j in self.taps(out_row, out_col):
                    read[i, j] = True
        return ~read


def window_grid(
    height: int, width: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1
) -> WindowGrid:
    """The sliding window of a square kernel over an ``height`` x ``width`` input.

    Raises:
        ValueError: a parameter is out of range or the window does not fit (see ``explain_conv``).
    """
    return WindowGrid(
        explain_conv(height, kernel, stride, padding, dilation), explain_conv(width, kernel, stride, padding, dilation)
    )


def max_pool_with_winners(values: np.ndarray, kernel: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling without padding, and where each maximum came from.

    Args:
        values: (H, W) array.
        kernel: window size; ``stride`` defaults to it, as in PyTorch and Keras.

    Returns:
        ``pooled`` (H_out, W_out) and ``winners`` (H_out, W_out, 2) holding the (row, col) of each
        window's maximum; on ties the first in reading order wins, as in PyTorch.

    Raises:
        ValueError: values is not 2-D, or the window is invalid or larger than the input.
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"max pooling here takes a 2-D grid of numbers, got shape {values.shape}")
    stride = whole_number("stride", kernel if stride is None else stride, 1, "the window must move by at least 1")
    pooled = pooling_windows(values, kernel, stride)  # the one implementation, shared with the Feature maps page
    return pooled.output, pooled.winners


@dataclass(frozen=True)
class AveragePooled:
    """Average pooling of one (H, W) grid, window by window, exactly as ``F.avg_pool2d`` divides."""

    output: np.ndarray  # (H_out, W_out) means
    sums: np.ndarray  # (H_out, W_out) sum of the real input cells in each window (padding adds 0)
    divisors: np.ndarray  # (H_out, W_out) what each sum is divided by
    windows: list[list[tuple[int, int, int, int]]]  # [row][col] -> (top, bottom, left, right), input coords, end excl.


def avg_pool_with_windows(
    values: np.ndarray,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> AveragePooled:
    """Average pooling with each window's real input cells and its divisor (the sibling of ``max_pool_with_winners``).

    PyTorch's rule: a window's divisor counts the padding cells inside the padded input when
    ``count_include_pad`` (cells past it, reached only in ``ceil_mode``, never count), else only real cells.

    Args:
        values: (H, W) array; kernel: window size; stride: defaults to the kernel; padding: zeros each side.

    Raises:
        ValueError: values is not 2-D, or the window is invalid or does not fit (see ``pool_output_size``).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"average pooling here takes a 2-D grid of numbers, got shape {values.shape}")
    stride = kernel if stride is None else stride
    height, width = values.shape
    out_h = pool_output_size(height, kernel, stride, padding, ceil_mode)
    out_w = pool_output_size(width, kernel, stride, padding, ceil_mode)
    sums, divisors = np.zeros((out_h, out_w)), np.zeros((out_h, out_w))
    windows = []
    for i in range(out_h):
        row = []
        for j in range(out_w):
            top, left = i * stride - padding, j * stride - padding
            bottom, right = min(top + kernel, height + padding), min(left + kernel, width + padding)
            padded_cells = (bottom - top) * (right - left)
            top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, height), min(right, width)
            sums[i, j] = values[top:bottom, left:right].sum()
            divisors[i, j] = padded_cells if count_include_pad else (bottom - top) * (right - left)
            row.append((top, bottom, left, right))
        windows.append(row)
    return AveragePooled(sums / divisors, sums, divisors, windows)


def adaptive_pool_windows(size: int, output: int) -> list[tuple[int, int]]:
    """[start, end) of each window of PyTorch's adaptive pooling along one axis (``AdaptiveAvgPool2d``).

    Window i runs from ``floor(i*W/out)`` to ``ceil((i+1)*W/out)``; output 1 is global pooling.

    Raises:
        ValueError: a size below 1.

    Example:
        >>> adaptive_pool_windows(7, 1), adaptive_pool_windows(5, 3)
        ([(0, 7)], [(0, 2), (1, 4), (3, 5)])
    """
    size = whole_number("input size", size, 1, "an image has at least one pixel")
    output = whole_number("output size", output, 1, "pooling gives at least one value")
    return [(i * size // output, -(-(i + 1) * size // output)) for i in range(output)]


def grouped_input_channels(in_channels: int, out_channels: int, groups: int = 1) -> list[list[int]]:
    """For each filter (output channel) of a grouped convolution, the input channels it reads.

    Filter j belongs to group ``j // (C_out/groups)`` and reads that group's ``C_in/groups`` channels;
    ``groups == C_in`` is a depthwise convolution (each filter reads one channel).

    Raises:
        ValueError: a count below 1, or channels that do not divide by ``groups``.
    """
    conv_params(1, in_channels, out_channels, groups=groups)  # checks the counts and the division
    per_in, per_out = in_channels // groups, out_channels // groups
    return [list(range((j // per_out) * per_in, (j // per_out + 1) * per_in)) for j in range(out_channels)]


@dataclass(frozen=True)
class TransposedAxis:
    """A transposed convolution along one axis, redrawn as a stride-1 convolution (conv_arithmetic's figures).

    The input's cells land ``stride`` apart (``stride - 1`` zeros between them); ``pad_before`` zeros go
    in front and ``pad_after`` behind, both ``d*(F-1) - P``, plus ``output_padding`` behind. A negative
    pad (P larger than ``d*(F-1)``) crops that many cells instead.
    """

    size: int
    kernel: int
    stride: int
    padding: int
    output_padding: int
    dilation: int
    pad_before: int
    pad_after: int
    spread: int  # (W - 1)*S + 1, the input with zeros between its cells
    output: int

    @property
    def formula(self) -> str:
        """PyTorch's output-size rule with this axis's numbers put in."""
        numbers = f"({self.size} − 1)·{self.stride} − 2·{self.padding} + {self.dilation}·({self.kernel} − 1)"
        rule = "W_o = (W − 1)·S − 2P + d·(F − 1) + output_padding + 1"
        return f"{rule} = {numbers} + {self.output_padding} + 1 = {self.output}"

    @property
    def positions(self) -> list[int]:
        """Where input cell i sits on the spread-out, padded axis (may be outside it when cropped)."""
        return [self.pad_before + i * self.stride for i in range(self.size)]


def transposed_axis(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> TransposedAxis:
    """The spread-out geometry of a transposed convolution along one axis.

    Raises:
        ValueError: as ``transposed_conv_output_size`` (output_padding too large, output below 1, ...).
    """
    output = transposed_conv_output_size(size, kernel, stride, padding, output_padding, dilation)
    # Checked whole numbers by now; as ints, so that 3.0 typed in a number box draws as 3.
    size, kernel, stride, padding, output_padding, dilation = (
        int(n) for n in (size, kernel, stride, padding, output_padding, dilation)
    )
    pad = dilation * (kernel - 1) - padding
    spread = (size - 1) * stride + 1
    return TransposedAxis(
        size, kernel, stride, padding, output_padding, dilation, pad, pad + output_padding, spread, output
    )


@dataclass(frozen=True)
class TransposedDiagram:
    """Transposed convolution of one (H, W) grid as a stride-1 cross-correlation over the spread-out input."""

    rows: TransposedAxis
    cols: TransposedAxis
    spread_input: np.ndarray  # (H_sp, W_sp) input spread out and padded (or cropped)
    flipped_kernel: np.ndarray  # (F_rows, F_cols) the kernel rotated 180 degrees
    output: np.ndarray  # (H_out, W_out) equal to F.conv_transpose2d

    def taps(self, out_row: int, out_col: int) -> list[tuple[int, int]]:
        """(row, col) cells of ``spread_input`` that output cell (out_row, out_col) reads."""
        r, c = self.rows, self.cols
        return [(out_row + a * r.dilation, out_col + b * c.dilation) for a in range(r.kernel) for b in range(c.kernel)]


def transposed_conv_diagram(
    values: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> TransposedDiagram:
    """Spread the input out, pad it by ``d*(F-1) - P``, and slide the flipped kernel over it with stride 1.

    The result equals ``torch.nn.functional.conv_transpose2d`` with the same settings (one channel).

    Args:
        values: (H, W) input; kernel: (F_rows, F_cols) weights as PyTorch stores them.

    Raises:
        ValueError: not 2-D arrays, or settings PyTorch refuses (see ``transposed_conv_output_size``).
    """
    values, weights = np.asarray(values, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if values.ndim != 2 or weights.ndim != 2 or values.size == 0 or weights.size == 0:
        raise ValueError(f"the input and kernel must be 2-D grids of numbers, got {values.shape} and {weights.shape}")
    rows, cols = (
        transposed_axis(n, k, stride, padding, output_padding, dilation)
        for n, k in zip(values.shape, weights.shape, strict=True)
    )
    spread = np.zeros((rows.spread, cols.spread))
    spread[::stride, ::stride] = values
    spread = _pad_or_crop(_pad_or_crop(spread, 0, rows), 1, cols)
    flipped = weights[::-1, ::-1].copy()
    output = np.zeros((rows.output, cols.output))
    for a in range(rows.kernel):
        for b in range(cols.kernel):
            top, left = a * dilation, b * dilation
            output += flipped[a, b] * spread[top : top + rows.output, left : left + cols.output]
    return TransposedDiagram(rows, cols, spread, flipped, output)


def _pad_or_crop(array: np.ndarray, axis: int, geometry: TransposedAxis) -> np.ndarray:
    """Add (or, when negative, remove) ``pad_before``/``pad_after`` cells along ``axis``."""
    before, after = geometry.pad_before, geometry.pad_after
    array = np.moveaxis(array, axis, 0)
    array = array[max(-before, 0) : array.shape[0] - max(-after, 0)]
    array = np.pad(array, ((max(before, 0), max(after, 0)), (0, 0)))
    return np.moveaxis(array, 0, axis)


@dataclass(frozen=True)
class TransposedWindow:
    """A transposed convolution's diagram as an ordinary sliding window (what the page and the GIF draw).

    ``grid`` slides the kernel with stride 1 over ``values`` (the spread-out input, cropped where the padding
    is negative) framed by ``grid``'s padding zeros; ``inserted`` marks the zeros put between input cells.
    """

    grid: WindowGrid
    values: np.ndarray  # (H, W) the spread-out input between the padding
    inserted: np.ndarray  # (H, W) bool: a zero inserted between two input cells


def transposed_window_grid(diagram: TransposedDiagram) -> TransposedWindow:
    """The window of ``diagram`` (``transposed_conv_diagram``) as a ``WindowGrid`` with its inserted zeros.

    Output cell (r, c) reads ``grid.taps(r, c)``; multiplied by ``diagram.flipped_kernel`` and summed, that is
    ``diagram.output[r, c]`` (the tests check it against torch).

    Raises:
        ValueError: the padding crops away every input cell, leaving nothing but output_padding's zeros.
    """
    axes = []
    for axis, geometry in enumerate((diagram.rows, diagram.cols)):
        before, after = max(geometry.pad_before, 0), max(geometry.pad_after, 0)
        size = diagram.spread_input.shape[axis] - before - after
        if size < 1:
            raise ValueError(
                f"padding {geometry.padding} crops away every input cell: the output holds only output_padding's zeros"
            )
        effective = geometry.dilation * (geometry.kernel - 1) + 1
        axes.append(
            ConvExplanation(
                size, geometry.kernel, 1, geometry.dilation, before, after, effective, geometry.output, "", 0, 0
            )
        )
    rows, cols = axes
    is_input = np.zeros(diagram.spread_input.shape, dtype=bool)
    inside = [
        [p for p in g.positions if 0 <= p < n]
        for g, n in zip((diagram.rows, diagram.cols), is_input.shape, strict=True)
    ]
    is_input[np.ix_(inside[0], inside[1])] = True
    real = (slice(rows.pad_before, rows.pad_before + rows.size), slice(cols.pad_before, cols.pad_before + cols.size))
    return TransposedWindow(WindowGrid(rows, cols), diagram.spread_input[real].copy(), ~is_input[real])


def whole_input_grid(height: int, width: int) -> WindowGrid:
    """Global pooling's one window: it covers the whole ``height`` x ``width`` input (output 1 x 1).

    Raises:
        ValueError: a size below 1.
    """
    return WindowGrid(explain_conv(height, height), explain_conv(width, width))
