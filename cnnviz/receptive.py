"""Receptive fields: which input pixels a unit of a deep layer can see.

Along one axis a unit of any conv/pool stack reads a contiguous window of the input, described by
three numbers (Dumoulin & Visin, "A guide to convolution arithmetic"; Araujo et al., Distill 2019):

- ``size`` r: how many input pixels the window spans,
- ``jump`` j: how far (in input pixels) the window moves when the unit index grows by one,
- ``start``: the input coordinate of the centre of unit 0's window (may be fractional or negative).

A layer with effective kernel k, stride s and padding p_before updates them as
``r' = r + (k - 1) * j``, ``start' = start + ((k - 1) / 2 - p_before) * j``, ``j' = j * s``.
``measure_receptive_field`` checks this with backprop on a one-channel copy of the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class AxisField:
    """Receptive field along one axis: window ``size`` and ``jump`` in input pixels, centre of unit 0."""

    size: int = 1
    jump: int = 1
    start: float = 0.0

    def grow(self, kernel: int, stride: int, pad_before: int) -> AxisField:
        """The field after a conv/pool layer with effective kernel k (``d*(F-1)+1``), stride and padding."""
        return AxisField(
            size=self.size + (kernel - 1) * self.jump,
            jump=self.jump * stride,
            start=self.start + ((kernel - 1) / 2 - pad_before) * self.jump,
        )

    def shift(self, pad_before: int) -> AxisField:
        """The field after zero padding: unit i of the padded map is unit i - pad_before before it."""
        return AxisField(self.size, self.jump, self.start - pad_before * self.jump)

    def window(self, index: int) -> tuple[int, int]:
        """First and last input coordinate read by unit ``index`` (may fall outside the image: padding)."""
        centre = self.start + index * self.jump
        first = round(centre - (self.size - 1) / 2)
        return first, first + self.size - 1


def axis_steps(module: nn.Module) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None:
    """(effective kernel ``d*(F-1)+1``, stride, padding before) along rows and columns of a conv or pool layer.

    These are the three numbers ``AxisField.grow`` takes. PyTorch's padding="same" (stride 1 only) puts
    ``d*(F-1) // 2`` zeros before, "valid" none. Returns None for any other layer (it keeps positions).
    """
    if not isinstance(module, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
        return None

    def pair(value: int | tuple[int, ...]) -> tuple[int, int]:
        return (value, value) if isinstance(value, int) else (value[0], value[1])

    kernel, stride = pair(module.kernel_size), pair(module.stride)
    dilation = pair(getattr(module, "dilation", 1))
    effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    if module.padding == "same":
        before = [(e - 1) // 2 for e in effective]
    else:
        before = [0, 0] if module.padding == "valid" else list(pair(module.padding))
    rows, cols = zip(effective, stride, before, strict=True)
    return rows, cols


def clip_window(window: tuple[int, int], length: int) -> tuple[int, int] | None:
    """The part of ``window`` that lies on real input pixels ``0..length-1`` (None if it is all padding)."""
    first, last = max(window[0], 0), min(window[1], length - 1)
    return (first, last) if first <= last else None


def _one_channel_copy(layer: nn.Module) -> nn.Module | None:
    """The same spatial wiring with one channel and all-ones weights; None for shape-preserving layers.

    Every output channel of a conv reads every input channel, so one channel has exactly the same
    receptive field. Positive weights and no activations mean no gradient can cancel to zero.
    """
    if isinstance(layer, nn.Conv2d):
        copy = nn.Conv2d(1, 1, layer.kernel_size, layer.stride, layer.padding, layer.dilation, bias=False)
    elif isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
        kernel, stride, padding = layer.kernel_size, layer.stride, layer.padding
        dilation = getattr(layer, "dilation", 1)
        if dilation in (1, (1, 1)):
            # An average pool reads every cell of its window, where a max pool passes gradient to one.
            return nn.AvgPool2d(kernel, stride, padding, ceil_mode=layer.ceil_mode, count_include_pad=True)
        copy = nn.Conv2d(1, 1, kernel, stride, padding, dilation, bias=False)
    elif isinstance(layer, nn.ZeroPad2d):
        return nn.ZeroPad2d(layer.padding)
    elif isinstance(layer, nn.Flatten | nn.Linear):
        raise ValueError("receptive fields are drawn for conv and pool layers; a dense unit sees the whole input")
    else:
        return None
    with torch.no_grad():
        copy.weight.fill_(1.0)
    return copy


def measure_receptive_field(
    layers: list[tuple[str, nn.Module]], input_hw: tuple[int, int], unit: tuple[int, int]
) -> np.ndarray:
    """Gradient of one unit of the last layer in ``layers`` with respect to every input pixel.

    Args:
        layers: (name, module) pairs from the input up to and including the layer of interest.
        input_hw: input height and width (pixels).
        unit: (row, column) of the unit in that layer's output map.

    Returns:
        Array of shape (H, W), float64: nonzero exactly on the pixels the unit can see. The values
        count the paths from each pixel to the unit (the "effective receptive field", peaked in the middle).

    Raises:
        ValueError: a layer is dense (its units see everything) or the unit lies outside the output map.
    """
    surrogate = nn.Sequential(*[m for _, layer in layers if (m := _one_channel_copy(layer)) is not None])
    surrogate = surrogate.double()
    image = torch.ones(1, 1, *input_hw, dtype=torch.float64, requires_grad=True)
    out = surrogate(image)  # (1, 1, H_out, W_out)
    rows, cols = out.shape[-2:]
    if not (0 <= unit[0] < rows and 0 <= unit[1] < cols):
        raise ValueError(f"unit {unit} is outside the {rows} x {cols} output map")
    out[0, 0, unit[0], unit[1]].backward()
    return image.grad[0, 0].numpy()


def nested_windows(
    layers: list[tuple[str, tuple[AxisField, AxisField], tuple[int, int]]],
    unit: tuple[int, int],
    input_hw: tuple[int, int],
) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """How one unit of the last layer sees a growing window: the window of the nearest unit in each layer.

    Args:
        layers: (name, (row field, column field), output (H, W)) from the first conv/pool layer to the
            layer of interest.
        unit: (row, column) of the unit in the last layer.
        input_hw: input height and width, to cut windows at the image border.

    Returns:
        (name, (first row, last row), (first col, last col)) per layer, on real input pixels; layers
        whose window lies wholly in padding are left out.
    """
    rows, cols = layers[-1][1]
    centre = (rows.start + unit[0] * rows.jump, cols.start + unit[1] * cols.jump)
    out = []
    for name, fields, out_hw in layers:
        spans = []
        for axis, field in enumerate(fields):
            nearest = min(max(round((centre[axis] - field.start) / field.jump), 0), out_hw[axis] - 1)
            spans.append(clip_window(field.window(nearest), input_hw[axis]))
        if None not in spans:
            out.append((name, spans[0], spans[1]))
    return out
