"""Where one unit sits in its network: the strongest unit of a map, the pooling window its value falls
into (and whether it wins), and the windows it reads traced back layer by layer down to the pixels.

``trace_unit`` draws the "whole network at a glance" links: a unit reads a window of the layer before,
that window reads a larger one, and so on to the input. Each step applies the receptive-field rule of
one layer (``receptive.AxisField`` through ``units.unit_window``) to every unit of the window above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnviz.forward_calls import LayerCall, find_call, producer, record_calls
from cnnviz.inspect import as_batch
from cnnviz.summary import SHAPE_KEEPING
from cnnviz.units import check_unit, explain_call, layer_named, unit_window

POOLS = (nn.MaxPool2d, nn.AvgPool2d)
# Layers whose output at a position depends on that position only (softmax mixes a whole vector).
ELEMENTWISE = tuple(
    kind for kind in (*SHAPE_KEEPING, nn.BatchNorm1d, nn.BatchNorm2d) if kind not in (nn.Softmax, nn.LogSoftmax)
)


def strongest_unit(
    acts: Mapping[str, torch.Tensor | np.ndarray], layer: str, channel: int | None = None
) -> tuple[int, ...]:
    """The unit with the largest value of ``layer`` (in map ``channel`` if given): (channel, row, col) or (j,).

    ``acts`` is ``inspect.activations``'s result (no batch axis). Ties go to the first in reading order.

    Raises:
        ValueError: no such layer in ``acts``, or ``channel`` is outside the maps or given for a vector layer.
    """
    if layer not in acts:
        raise ValueError(f"there are no activations of a layer called {layer!r}; there are: {', '.join(acts)}")
    values = np.asarray(acts[layer].detach().cpu() if isinstance(acts[layer], torch.Tensor) else acts[layer])
    if channel is None:
        return tuple(int(i) for i in np.unravel_index(int(np.argmax(values)), values.shape))
    if values.ndim != 3:
        raise ValueError(f"{layer} gives one value per unit, not maps: leave the channel out")
    if isinstance(channel, bool) or not isinstance(channel, int | np.integer) or not 0 <= channel < len(values):
        raise ValueError(f"channel {channel!r} is outside {layer}'s maps: they run from 0 to {len(values) - 1}")
    row, col = np.unravel_index(int(np.argmax(values[channel])), values.shape[1:])
    return int(channel), int(row), int(col)


@dataclass(frozen=True)
class PoolingFate:
    """The pooling layer that reads one unit's value, the pooled cells whose window holds it, and their verdicts.

    ``wins[i]`` says whether cell ``cells[i]`` keeps this value: a max pool keeps the first maximum of its
    window in reading order, as PyTorch does; an average pool counts every value (always True).
    """

    pool: str
    kind: str  # "max pool" or "average pool"
    value: float  # the value as the pool reads it, after any activation in between
    cells: tuple[tuple[int, int, int], ...]  # (channel, row, col) in the pooled map
    wins: tuple[bool, ...]

    @property
    def kept(self) -> bool:
        """True when some pooled cell passes this value on."""
        return any(self.wins)


def pooling_fate(model: nn.Module, x: torch.Tensor | np.ndarray, layer: str, unit: Sequence[int]) -> PoolingFate | None:
    """What the next pooling layer does with the value of ``unit`` (channel, row, col) of ``layer``.

    Follows the value through activations and dropout to a ``MaxPool2d``/``AvgPool2d`` that reads it.

    Returns:
        A ``PoolingFate``, or None when no pooling layer reads this value (another layer comes first, or the
        value falls in the rows or columns the pool drops). ``cells`` has several entries when windows overlap.

    Raises:
        ValueError: as ``explain_unit`` (bad image, layer or unit).
    """
    calls, index, unit = _recorded_unit(model, x, layer, unit)
    reader = _reader(calls, index)
    while reader is not None and isinstance(calls[reader].module, SHAPE_KEEPING):
        reader = _reader(calls, reader)
    if len(unit) != 3 or reader is None or not isinstance(calls[reader].module, POOLS):
        return None
    channel, row, col = unit
    pooled = calls[reader].output.shape[2:]
    rows = [i for i in range(pooled[0]) if row in unit_window(calls[reader].module, (channel, i, 0))[0]]
    cols = [j for j in range(pooled[1]) if col in unit_window(calls[reader].module, (channel, 0, j))[1]]
    cells = tuple((channel, i, j) for i in rows for j in cols)
    if not cells:
        return None
    verdicts = [explain_call(calls, reader, cell) for cell in cells]
    wins = tuple(e.kind == "average pool" or e.winner == (channel, row, col) for e in verdicts)
    kind = verdicts[0].kind
    return PoolingFate(calls[reader].name, kind, float(calls[reader].input[0][unit]), cells, wins)


def _reader(calls: list[LayerCall], index: int) -> int | None:
    """The first later call that reads call ``index``'s output (by identity), if any."""
    wanted = calls[index].output_id
    return next((j for j in range(index + 1, len(calls)) if calls[j].input_id == wanted), None)


@dataclass(frozen=True)
class TraceStep:
    """The part of one layer's output that a traced unit depends on.

    ``layer`` is None for the model's input. ``channels`` are the maps involved (for a vector, its positions);
    ``rows`` and ``cols`` the sorted rows and columns of the map involved, on real pixels only (a stride
    longer than the kernel, or dilation, leaves gaps); None for a vector.
    """

    layer: str | None
    shape: tuple[int, ...]  # the layer's output without the batch axis: (C, H, W) or (F,)
    channels: np.ndarray
    rows: np.ndarray | None
    cols: np.ndarray | None

    @property
    def spans(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """((first row, last row), (first col, last col)) to frame, or None for a vector or a window in padding."""
        if self.rows is None or self.cols is None or not len(self.rows) or not len(self.cols):
            return None
        return (int(self.rows[0]), int(self.rows[-1])), (int(self.cols[0]), int(self.cols[-1]))


def trace_unit(model: nn.Module, x: torch.Tensor | np.ndarray, layer: str, unit: Sequence[int]) -> list[TraceStep]:
    """The windows ``unit`` of ``layer`` reads, layer by layer back to the input pixels; the unit itself first.

    A conv or pool step takes every row and column its units' windows read (``units.unit_window``, the
    receptive-field rule of one layer) and the channels their groups read (all, or one for depthwise); a
    layer that reshapes or mixes (Flatten, Linear, softmax) depends on everything below it; activations,
    batch norm and dropout keep the window. Where ``forward`` joins branches (residual blocks) the trace
    follows the layer that last produced a tensor of that size.

    Returns:
        ``TraceStep``s from ``layer`` down to the input (``layer=None``), or to a window lying wholly in padding.

    Raises:
        ValueError: as ``explain_unit`` (bad image, layer or unit).
    """
    calls, index, unit = _recorded_unit(model, x, layer, unit)
    spatial = len(unit) == 3
    rows, cols = (np.array([unit[1]]), np.array([unit[2]])) if spatial else (None, None)
    steps = [TraceStep(layer, tuple(calls[index].output.shape[1:]), np.array([unit[0]]), rows, cols)]
    while True:
        call, below = calls[index], producer(calls, index)
        shape = tuple((call.input if below is None else calls[below].output).shape[1:])
        step = TraceStep(None if below is None else calls[below].name, shape, *_step_back(call, shape, steps[-1]))
        steps.append(step)
        if below is None or (len(shape) == 3 and step.spans is None):  # the input, or a window wholly in padding
            return steps
        index = below


def _step_back(call: LayerCall, shape: tuple[int, ...], above: TraceStep) -> tuple:
    """(channels, rows, cols) of the map ``shape`` below ``call`` that the window ``above`` depends on."""
    module, whole = call.module, np.arange(shape[0])
    if isinstance(module, POOLS + (nn.Conv2d,)) and len(shape) == 3 and above.rows is not None:
        rows = np.unique(np.concatenate([unit_window(module, (0, r, 0))[0] for r in above.rows]))
        cols = np.unique(np.concatenate([unit_window(module, (0, 0, c))[1] for c in above.cols]))
        channels = above.channels
        if isinstance(module, nn.Conv2d):
            per_group, outputs = shape[0] // module.groups, module.out_channels // module.groups
            groups = np.unique(above.channels // outputs)
            channels = (groups[:, None] * per_group + np.arange(per_group)[None, :]).ravel()
        return channels, rows[(rows >= 0) & (rows < shape[1])], cols[(cols >= 0) & (cols < shape[2])]
    if isinstance(module, ELEMENTWISE) and tuple(call.input.shape[1:]) == shape:
        return above.channels, above.rows, above.cols
    return (whole, np.arange(shape[1]), np.arange(shape[2])) if len(shape) == 3 else (whole, None, None)


def _recorded_unit(model: nn.Module, x, layer: str, unit) -> tuple[list, int, tuple[int, ...]]:
    """One recorded forward pass of ``x``, the index of ``layer``'s call in it, and ``unit`` checked against it."""
    layer_named(model, layer)
    calls = record_calls(model, as_batch(x, channels=None))
    index = find_call(calls, layer)
    return calls, index, check_unit(layer, calls[index].output, unit)
