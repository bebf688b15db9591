"""Translation invariance: shift a digit by whole pixels and measure how a model's prediction changes.

A convolution is translation *equivariant* (shift the input, its feature maps shift the same way);
max pooling adds a little *invariance* (a maximum that moves inside its window keeps the same output).
The dense baseline has neither: a shifted digit lands on weights that never saw ink there.
Shifts are whole pixels with zero (black) fill, so nothing is blurred and nothing wraps around.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnviz.shapes import whole_number


def _check_shift(name: str, value: int, length: int) -> int:
    number = whole_number(name, abs(value) if isinstance(value, int | float) else value, 0)
    if number >= length:
        raise ValueError(
            f"a shift {name} of {value} pixels moves the whole image out of its {length}-pixel frame; "
            f"use less than {length}"
        )
    return int(value)


def shift_image(image: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """``image`` moved ``dx`` pixels right and ``dy`` pixels down (negative: left/up), zero-filled.

    Args:
        image: (..., H, W) tensor; leading axes (batch, channel) are kept.

    Returns:
        a new tensor of the same shape and dtype.

    Raises:
        ValueError: a shift is not a whole number, or is as large as the image (nothing would be left).
    """
    height, width = image.shape[-2:]
    dx, dy = _check_shift("dx", dx, width), _check_shift("dy", dy, height)
    out = torch.zeros_like(image)
    out[..., max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = image[
        ..., max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)
    ]
    return out


def shift_offsets(max_shift: int, axis: str = "x") -> list[tuple[int, int]]:
    """The (dx, dy) pairs from ``-max_shift`` to ``max_shift`` along one axis ("x" or "y") or both ("xy", a grid).

    The grid is row by row: dy outer, dx inner, so it reshapes to (2m+1, 2m+1) indexed [dy, dx].

    Raises:
        ValueError: ``max_shift`` is negative or not whole, or ``axis`` is not "x", "y" or "xy".
    """
    m = whole_number("maximum shift", max_shift, 0)
    steps = range(-m, m + 1)
    if axis == "x":
        return [(d, 0) for d in steps]
    if axis == "y":
        return [(0, d) for d in steps]
    if axis == "xy":
        return [(dx, dy) for dy in steps for dx in steps]
    raise ValueError(f"axis must be 'x', 'y' or 'xy', got {axis!r}")


@dataclass(frozen=True)
class ShiftResponse:
    """A model's answers to shifted copies of one digit. S is the number of shifts.

    ``shifts``: (S, 2) int (dx, dy); ``probabilities``: (S, classes) softmax outputs; ``target``: the class
    followed (the true label, or the prediction on the unshifted digit).
    """

    shifts: np.ndarray
    probabilities: np.ndarray
    target: int

    @property
    def target_probability(self) -> np.ndarray:
        """(S,) probability given to ``target`` at each shift."""
        return self.probabilities[:, self.target]

    @property
    def predicted(self) -> np.ndarray:
        """(S,) the top-1 class at each shift."""
        return self.probabilities.argmax(1)

    @property
    def top1_probability(self) -> np.ndarray:
        """(S,) the probability of whatever class is top-1 at each shift."""
        return self.probabilities.max(1)


def shift_response(
    model: nn.Module, image: torch.Tensor, shifts: list[tuple[int, int]], target: int | None = None
) -> ShiftResponse:
    """Run ``model`` on ``image`` shifted by each (dx, dy) in ``shifts``, in one batch.

    Args:
        image: one digit (H, W) in [0, 1] (float) or 0-255 (uint8).
        target: the class to follow; None follows the model's prediction on the unshifted digit.

    Raises:
        ValueError: no shifts, a shift too large for the image, or ``image`` is not 2-D.
    """
    if image.dim() != 2:
        raise ValueError(f"expected one digit of shape (H, W), got shape {tuple(image.shape)}")
    if len(shifts) == 0:
        raise ValueError("give at least one shift")
    x = image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
    batch = torch.stack([shift_image(x, dx, dy) for dx, dy in shifts])[:, None]  # (S, 1, H, W)
    with torch.no_grad():
        probabilities = torch.softmax(model(batch), dim=1).numpy()
        if target is None:
            target = int(torch.softmax(model(x[None, None]), dim=1).argmax())
    return ShiftResponse(np.array(shifts, dtype=int).reshape(-1, 2), probabilities, int(target))


def accuracy_vs_shift(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, shifts: list[tuple[int, int]], batch_size: int = 2000
) -> np.ndarray:
    """Top-1 accuracy over many digits at each shift: (S,) fractions in [0, 1].

    Args:
        images: (N, H, W) uint8 (0-255) or float in [0, 1]; labels: (N,) int64.

    Raises:
        ValueError: no images, images and labels of different lengths, or a shift too large.
    """
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(f"need as many labels as images (got {len(images)} images, {len(labels)} labels)")
    x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    x = x[:, None]  # (N, 1, H, W)
    accuracy = []
    with torch.no_grad():
        for dx, dy in shifts:
            moved = shift_image(x, dx, dy)
            correct = sum(
                (model(moved[i : i + batch_size]).argmax(1) == labels[i : i + batch_size]).sum().item()
                for i in range(0, len(x), batch_size)
            )
            accuracy.append(correct / len(x))
    return np.array(accuracy)


def relative_change(before: np.ndarray, after: np.ndarray) -> float:
    """||after - before|| / ||before|| (L2 over every value; ||before|| taken as 1 when it is 0).

    How much a layer's output changed when its input was shifted: maps that merely moved count as change.

    Raises:
        ValueError: arrays of different shapes.
    """
    before, after = np.asarray(before, np.float64), np.asarray(after, np.float64)
    if before.shape != after.shape:
        raise ValueError(f"the two outputs must have one shape, got {before.shape} and {after.shape}")
    return float(np.linalg.norm(after - before) / (np.linalg.norm(before) or 1.0))
