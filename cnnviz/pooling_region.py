"""A few max-pooling windows of a real feature map, cut out to be drawn window by window.

The Feature maps page steps a pooling window over a small square of one map (the lecture's "each 2x2 window
keeps its largest value", with the network's own numbers): this module cuts the square out of the pooling
that ``inspect.pooling_windows`` computed for the whole map, so the picture and the network agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.inspect import PoolingWindows
from cnnviz.windows import WindowGrid, window_grid


@dataclass(frozen=True)
class PoolingRegion:
    """``windows`` x ``windows`` pooling windows from (``first_row``, ``first_col``) of the pooled map.

    ``values``: (S, S) the map's cells they read, S = (windows - 1) * stride + kernel, from (``top``, ``left``)
    of the map; ``outputs``: (windows, windows) the pooled values; ``winners``: (windows, windows, 2) row and
    column of each window's maximum inside ``values``; ``grid``: the window sliding over ``values``.
    """

    values: np.ndarray
    outputs: np.ndarray
    winners: np.ndarray
    grid: WindowGrid
    first_row: int
    first_col: int
    top: int
    left: int


def pooling_region(
    pooled: PoolingWindows, feature_map: np.ndarray, first_row: int, first_col: int, windows: int
) -> PoolingRegion:
    """Cut ``windows`` x ``windows`` windows, from output cell (``first_row``, ``first_col``), out of ``pooled``.

    Args:
        pooled: the pooling of ``feature_map`` (``inspect.pooling_windows``).
        feature_map: (H, W) the map that was pooled.
        first_row, first_col: the region's first output cell; windows: outputs per side.

    Returns:
        A ``PoolingRegion``; its windows are exactly the whole map's (same outputs, same winners).

    Raises:
        ValueError: ``windows`` below 1, or a region that does not fit in the pooled map.
    """
    out_h, out_w = pooled.output.shape
    if windows < 1:
        raise ValueError(f"a region holds at least one pooling window per side, got {windows}")
    if not (0 <= first_row <= out_h - windows and 0 <= first_col <= out_w - windows):
        raise ValueError(
            f"{windows}×{windows} windows from output cell ({first_row}, {first_col}) do not fit in the pooled "
            f"{out_h}×{out_w} map: the first row and column go from 0 to {out_h - windows} and {out_w - windows}"
        )
    k, s = pooled.kernel, pooled.stride
    side = (windows - 1) * s + k
    top, left = first_row * s, first_col * s
    rows, cols = slice(first_row, first_row + windows), slice(first_col, first_col + windows)
    values = np.asarray(feature_map)[top : top + side, left : left + side]
    winners = pooled.winners[rows, cols] - np.array([top, left])
    return PoolingRegion(
        values.copy(),
        pooled.output[rows, cols].copy(),
        winners,
        window_grid(side, side, k, s),
        first_row,
        first_col,
        top,
        left,
    )


def busiest_region(output: np.ndarray, windows: int) -> tuple[int, int]:
    """The first (row, column) of the ``windows`` x ``windows`` block of a pooled (H_o, W_o) map with the largest
    sum: where a ReLU map has the most to show (a block centred on the single largest value was often all 0).

    Raises:
        ValueError: a block larger than the map, or ``windows`` below 1.
    """
    out_h, out_w = np.shape(output)
    if not 1 <= windows <= min(out_h, out_w):
        raise ValueError(f"a block of {windows}×{windows} pooled cells does not fit in a {out_h}×{out_w} map")
    sums = np.lib.stride_tricks.sliding_window_view(np.asarray(output, np.float64), (windows, windows)).sum((-1, -2))
    row, col = np.unravel_index(int(sums.argmax()), sums.shape)
    return int(row), int(col)
