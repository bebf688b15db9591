"""One value of any layer up close: the window it reads in every input channel, times its weights, plus bias.

``explain_unit(model, x, "conv2", (5, 4, 7))`` answers "how is this number computed?" with the real
numbers of one forward pass: for each input channel the values under the window and the kernel slice
they meet, each channel's partial sum, the bias and the total, which equals the layer's output there.
Layers are named as in ``model.named_modules()``, so nested networks work. Covered: ``Conv2d`` (any
stride, padding, padding mode, dilation and groups), ``Linear``, ``MaxPool2d``, ``AvgPool2d``,
``BatchNorm1d/2d`` in eval mode (a per-channel weight and bias) and activations (the value before and after).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnviz.forward_calls import LayerCall, find_call, flattened_from, producer, record_calls
from cnnviz.inspect import as_batch
from cnnviz.receptive import AxisField, axis_steps
from cnnviz.summary import ACTIVATIONS

WEIGHTED = (nn.Conv2d, nn.Linear, nn.MaxPool2d, nn.AvgPool2d, nn.BatchNorm1d, nn.BatchNorm2d)
EXPLAINED = (*WEIGHTED, *ACTIVATIONS)
COVERED = "Conv2d, Linear, MaxPool2d, AvgPool2d, BatchNorm (eval mode) and activation layers"


@dataclass(frozen=True)
class UnitExplanation:
    """How one output value of ``layer`` is computed from the layer before it.

    ``C`` is the number of input channels the unit reads and ``kh x kw`` its window. A Linear unit reads a
    vector: laid out as the (C, H, W) map it was flattened from, else as (in_features, 1, 1). A pooling
    unit's "weights" are the pool's rule: 1 on the winner (max) or 1/divisor on the cells counted (average).
    An activation reads one value: ``total`` is the value before it and ``value`` the value after.

    Fields:
        inputs: (C, kh, kw) the values under the window in each channel read; padding is 0 (or the mirrored,
            repeated or wrapped values for those padding modes); ``padded`` marks it.
        weights: (C, kh, kw) the kernel slice each channel meets.
        partial_sums: (C,) float64, ``(inputs * weights)`` summed over each channel.
        bias: the layer's bias for this unit, 0.0 when it has none.
        value: the layer's real output at this unit (what its map shows).
        channels: (C,) int, the input channels read: all, the unit's group (grouped conv), or one (depthwise).
        window: (rows, cols) int arrays, the input rows and columns read (dilation leaves gaps; a number
            below 0 or past the map is padding). A Linear unit: the whole map it reads, or (0,), (0,).
        padded: (kh, kw) bool, True where the window lies in padding.
        source: the layer whose output the inputs come from (for a Linear unit, the map it was flattened
            from), None for the model's input.
        activation: name of the activation layer that reads this value next, if any; ``activated`` its output.
    """

    layer: str
    kind: str  # "conv", "linear", "max pool", "average pool", "batch norm" or "activation"
    unit: tuple[int, ...]
    inputs: np.ndarray
    weights: np.ndarray
    partial_sums: np.ndarray
    bias: float
    value: float
    channels: np.ndarray
    window: tuple[np.ndarray, np.ndarray]
    padded: np.ndarray
    source: str | None
    activation: str | None = None
    activated: float | None = None

    @property
    def total(self) -> float:
        """``partial_sums.sum() + bias``: equals ``value`` except for an activation (the value before it)."""
        return float(self.partial_sums.sum() + self.bias)

    @property
    def order(self) -> np.ndarray:
        """Positions in ``channels`` from the largest contribution ``|partial sum|`` to the smallest (ties: first)."""
        return np.argsort(-np.abs(self.partial_sums), kind="stable")

    @property
    def winner(self) -> tuple[int, int, int] | None:
        """(channel, row, col) in the input map of the value a max pool keeps; None for other layers."""
        if self.kind != "max pool":
            return None
        row, col = np.unravel_index(int(self.weights[0].argmax()), self.padded.shape)
        return int(self.channels[0]), int(self.window[0][row]), int(self.window[1][col])


def explain_unit(
    model: nn.Module, x: torch.Tensor | np.ndarray, layer: str, unit: Sequence[int] | int
) -> UnitExplanation:
    """Explain one output value of ``layer`` for input ``x``, with the numbers of one real forward pass.

    Args:
        model: any ``nn.Module``; it is run once (no gradients) and left unchanged.
        x: one image in [0, 1]: grey (H, W), (1, H, W), (1, 1, H, W), or colour (1, 3, H, W).
        layer: a name from ``model.named_modules()``, e.g. "conv2" or "features.0.1".
        unit: (channel, row, col) for a layer of maps, (j,) or j for a layer of vectors (Linear).

    Returns:
        A ``UnitExplanation``; its ``total`` equals ``value`` (up to float rounding) for weighted layers.

    Raises:
        ValueError: ``x`` is not one image in [0, 1]; no layer has that name; the layer is of a kind not
            covered, never runs or runs twice; ``unit`` has the wrong number of indices or lies outside the map.
    """
    layer_named(model, layer)
    calls = record_calls(model, as_batch(x, channels=None))
    index = find_call(calls, layer)
    return explain_call(calls, index, check_unit(layer, calls[index].output, unit))


def layer_named(model: nn.Module, layer: str) -> nn.Module:
    """The module called ``layer`` in ``model.named_modules()``, if ``explain_unit`` covers its kind.

    Raises:
        ValueError: no module has that name, or it is not a covered kind (both sentences list the choices).
    """
    modules = dict(model.named_modules())
    choices = [name for name, m in modules.items() if name and isinstance(m, EXPLAINED)]
    listed = ", ".join(choices[:16]) + (f", … ({len(choices)} in all)" if len(choices) > 16 else "")
    if not isinstance(layer, str) or not layer or layer not in modules:
        raise ValueError(f"the model has no layer called {layer!r}; its layers are: {listed or 'none'}")
    module = modules[layer]
    if not isinstance(module, EXPLAINED):
        raise ValueError(f"{layer} is a {type(module).__name__}; units can be explained in {COVERED}: {listed}")
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d) and (module.training or module.running_mean is None):
        raise ValueError(f"{layer} normalises with each batch's own statistics; put the model in eval mode first")
    return module


def check_unit(layer: str, output: torch.Tensor, unit: Sequence[int] | int) -> tuple[int, ...]:
    """``unit`` as a tuple of ints inside ``output`` (1, C, H, W) or (1, F).

    Raises:
        ValueError: wrong number of indices, an index that is not a whole number, or one outside the map
            (the sentence names the valid range).
    """
    shape = tuple(output.shape[1:])
    if len(shape) == 3:
        axes, what = ("channel", "row", "column"), f"{shape[0]} maps of {shape[1]} x {shape[2]}"
        form = "(channel, row, column)"
    elif len(shape) == 1:
        axes, what, form = ("unit",), f"{shape[0]} values", "(j,)"
    else:
        raise ValueError(f"{layer} gives values of shape {shape}; units are explained on maps (C, H, W) or vectors")
    if isinstance(unit, int | np.integer) and len(shape) == 1:
        unit = (unit,)
    if not isinstance(unit, Sequence) or len(unit) != len(shape):
        raise ValueError(f"{layer} gives {what}: a unit is {form}, got {unit!r}")
    checked = []
    for axis, index, size in zip(axes, unit, shape, strict=True):
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise ValueError(f"the {axis} of a unit must be a whole number, got {index!r}")
        if not 0 <= index < size:
            raise ValueError(f"{axis} {index} is outside {layer}'s {what}: it runs from 0 to {size - 1}")
        checked.append(int(index))
    return tuple(checked)


def explain_call(calls: list[LayerCall], index: int, unit: tuple[int, ...]) -> UnitExplanation:
    """``explain_unit`` on an already recorded pass: call ``index`` at a checked ``unit``."""
    call = calls[index]
    module, inp, out = call.module, call.input[0], call.output[0]
    before = producer(calls, index)
    source = None if before is None else calls[before].name
    if isinstance(module, nn.Conv2d):
        parts = _conv(module, inp, unit)
    elif isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        parts = _pool(module, inp, unit)
    elif isinstance(module, nn.Linear):
        if inp.dim() != 1:
            raise ValueError(
                f"{call.name} reads values of shape {tuple(inp.shape)}; a Linear unit is explained on a vector"
            )
        if found := flattened_from(calls, index):  # lay the vector out as the map it was flattened from
            source = None if found[1] is None else calls[found[1]].name
        parts = _linear(module, inp, unit, found[0] if found else (inp.numel(), 1, 1))
    elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        parts = _batch_norm(module, inp, unit)
    else:
        parts = _single(inp, unit, "activation", 1.0, 0.0)
    kind, inputs, weights, bias, channels, window, padded = parts
    products = inputs.astype(np.float64) * weights.astype(np.float64)
    activation, activated = _following_activation(calls, index, unit)
    return UnitExplanation(
        layer=call.name,
        kind=kind,
        unit=unit,
        inputs=inputs,
        weights=weights,
        partial_sums=products.sum(axis=(1, 2)),
        bias=float(bias),
        value=float(out[unit]),
        channels=channels,
        window=window,
        padded=padded,
        source=source,
        activation=activation,
        activated=activated,
    )


def unit_window(module: nn.Module, unit: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Input rows and cols a conv or pool unit (c, row, col) reads: its first tap, then one every dilation step.

    Numbers below 0 or past the input map are padding.
    """
    kernel = module.kernel_size if isinstance(module.kernel_size, tuple) else (module.kernel_size,) * 2
    dilation = getattr(module, "dilation", 1)
    dilation = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    taps = []
    for steps, k, d, index in zip(axis_steps(module), kernel, dilation, unit[1:], strict=True):
        first, _ = AxisField().grow(*steps).window(index)  # the receptive-field rule of one layer
        taps.append(first + d * np.arange(k))
    return taps[0], taps[1]


def _gather(maps: torch.Tensor, rows: np.ndarray, cols: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(C, kh, kw) values of ``maps`` (C, H, W) at rows x cols, padded by ``mode``; and the (kh, kw) padding mask."""
    height, width = maps.shape[-2:]
    padded = ~(((rows >= 0) & (rows < height))[:, None] & ((cols >= 0) & (cols < width))[None, :])

    def fold(index: np.ndarray, size: int) -> np.ndarray:
        if mode == "replicate":
            return np.clip(index, 0, size - 1)
        if mode == "circular":
            return index % size
        if mode == "reflect" and size > 1:
            index = index % (2 * size - 2)
            return np.where(index < size, index, 2 * size - 2 - index)
        return np.clip(index, 0, size - 1)  # zeros: any real index, then overwritten with 0

    values = maps.numpy()[:, fold(rows, height)[:, None], fold(cols, width)[None, :]].copy()
    if mode == "zeros":
        values[:, padded] = 0.0
    return values, padded


def _conv(module: nn.Conv2d, inp: torch.Tensor, unit: tuple[int, ...]) -> tuple:
    rows, cols = unit_window(module, unit)
    per_group = module.in_channels // module.groups
    group = unit[0] // (module.out_channels // module.groups)
    channels = np.arange(group * per_group, (group + 1) * per_group)
    inputs, padded = _gather(inp[channels], rows, cols, module.padding_mode)
    weights = module.weight.detach().cpu()[unit[0]].numpy()  # (C_in / groups, kh, kw)
    bias = 0.0 if module.bias is None else float(module.bias.detach()[unit[0]])
    return "conv", inputs, weights, bias, channels, (rows, cols), padded


def _pool(module: nn.MaxPool2d | nn.AvgPool2d, inp: torch.Tensor, unit: tuple[int, ...]) -> tuple:
    rows, cols = unit_window(module, unit)
    channels = np.array([unit[0]])
    inputs, padded = _gather(inp[channels], rows, cols, "zeros")
    weights = np.zeros_like(inputs)
    if isinstance(module, nn.MaxPool2d):
        candidates = np.where(padded, -np.inf, inputs[0])
        best = int(np.argmax(np.where(np.isnan(candidates), np.inf, candidates)))  # first maximum, as PyTorch
        weights[0].flat[best] = 1.0
        return "max pool", inputs, weights, 0.0, channels, (rows, cols), padded
    # PyTorch's divisor: the window cut at the padded map's far edge, with or without the padding cells.
    height, width = inp.shape[-2:]
    pads = [steps[2] for steps in axis_steps(module)]
    in_box = ((rows >= -pads[0]) & (rows < height + pads[0]))[:, None] & ((cols >= -pads[1]) & (cols < width + pads[1]))
    counted = in_box if module.count_include_pad else ~padded
    divisor = module.divisor_override or int(counted.sum())
    weights[0][counted] = 1.0 / divisor
    return "average pool", inputs, weights, 0.0, channels, (rows, cols), padded


def _linear(module: nn.Linear, inp: torch.Tensor, unit: tuple[int, ...], shape: tuple[int, int, int]) -> tuple:
    inputs = inp.numpy().reshape(shape).copy()
    weights = module.weight.detach().cpu()[unit[0]].numpy().reshape(shape)
    bias = 0.0 if module.bias is None else float(module.bias.detach()[unit[0]])
    window = (np.arange(shape[1]), np.arange(shape[2]))
    return "linear", inputs, weights, bias, np.arange(shape[0]), window, np.zeros(shape[1:], bool)


def _batch_norm(module: nn.BatchNorm1d | nn.BatchNorm2d, inp: torch.Tensor, unit: tuple[int, ...]) -> tuple:
    """Eval-mode batch norm is one weight and one bias per channel: gamma / sqrt(var + eps), beta - mean * weight."""
    variance, mean = module.running_var.cpu().double(), module.running_mean.cpu().double()
    gamma = torch.ones_like(variance) if module.weight is None else module.weight.detach().cpu().double()
    beta = torch.zeros_like(variance) if module.bias is None else module.bias.detach().cpu().double()
    scale = gamma / torch.sqrt(variance + module.eps)
    channel = unit[0]
    return _single(
        inp, unit, "batch norm", float(scale[channel]), float(beta[channel] - mean[channel] * scale[channel])
    )


def _single(inp: torch.Tensor, unit: tuple[int, ...], kind: str, weight: float, bias: float) -> tuple:
    """A layer that reads one value: the same position of the same channel (activations, batch norm)."""
    value = np.array([[[float(inp[unit])]]], dtype=np.float32)
    window = (np.array([unit[1]]), np.array([unit[2]])) if len(unit) == 3 else (np.array([0]), np.array([0]))
    weights = np.array([[[weight]]], dtype=np.float64)
    return kind, value, weights, bias, np.array([unit[0]]), window, np.zeros((1, 1), bool)


def _following_activation(calls: list[LayerCall], index: int, unit: tuple[int, ...]) -> tuple[str | None, float | None]:
    """The activation layer that reads call ``index``'s output next, and its value at ``unit``."""
    for later in range(index + 1, len(calls)):
        call = calls[later]
        if call.input_id == calls[index].output_id and call.output.shape == calls[index].output.shape:
            if isinstance(call.module, ACTIVATIONS) and not isinstance(call.module, nn.Identity):
                return call.name, float(call.output[0][unit])
            return None, None
    return None, None
