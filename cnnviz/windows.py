"""Sliding windows of one layer: which input cells each output cell reads, and max pooling's winners.

Coordinates are on the *padded* input (row 0 is the first row of padding), which is what the
diagram draws. The arithmetic comes from ``cnnviz.shapes.explain_conv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.inspect import pooling_windows
from cnnviz.shapes import ConvExplanation, explain_conv, whole_number

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
