"""Evaluating a model on a test set from its cached probabilities: scores, the mistakes and the most common one.

The Evaluate page computes the probabilities once per model (``predict.predict_dataset``) and asks these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.predict import topk_accuracy


@dataclass(frozen=True)
class Scores:
    """A model's scores on a test set: accuracies and errors in [0, 1], and how many images top-1 gets wrong."""

    top1_accuracy: float
    top5_accuracy: float
    mistakes: int

    @property
    def top1_error(self) -> float:
        return 1.0 - self.top1_accuracy

    @property
    def top5_error(self) -> float:
        return 1.0 - self.top5_accuracy


def scores_on(probs: np.ndarray, labels: np.ndarray) -> Scores:
    """Top-1 and top-5 accuracy of probabilities (N, classes) against N labels, and the top-1 mistakes.

    Raises:
        ValueError: as ``topk_accuracy``.
    """
    top1 = topk_accuracy(probs, labels, 1)
    return Scores(top1, topk_accuracy(probs, labels, 5), int(round((1 - top1) * len(labels))))


def mistake_counts(matrix: np.ndarray) -> np.ndarray:
    """A confusion matrix with its diagonal (the right answers) set to 0: how often each mistake was made."""
    off = np.array(matrix, copy=True)
    np.fill_diagonal(off, 0)
    return off


def most_common_mistake(matrix: np.ndarray) -> tuple[int, int, int]:
    """(true class, predicted class, count) of the largest off-diagonal cell of a confusion matrix (first in
    reading order on a tie; count 0 when there is no mistake)."""
    off = mistake_counts(matrix)
    true_class, predicted_class = np.unravel_index(int(off.argmax()), off.shape)
    return int(true_class), int(predicted_class), int(off[true_class, predicted_class])


def filter_mistakes(
    wrong: np.ndarray,
    labels: np.ndarray,
    predicted: np.ndarray,
    true_class: int | None = None,
    predicted_class: int | None = None,
) -> np.ndarray:
    """The indices in ``wrong`` (``mistakes``' order kept) whose label is ``true_class`` and whose prediction is
    ``predicted_class``; None keeps every class. ``labels`` and ``predicted`` are per image (N,)."""
    wrong = np.asarray(wrong)
    if true_class is not None:
        wrong = wrong[np.asarray(labels)[wrong] == true_class]
    if predicted_class is not None:
        wrong = wrong[np.asarray(predicted)[wrong] == predicted_class]
    return wrong


# The confusion matrix's two colour scales, as (position in [0, 1], "#rrggbb") stops interpolated linearly in RGB
# (as plotly does). Right answers are blue, on their own scale up to the largest diagonal count; mistakes
# are orange to dark red, on theirs up to the largest mistake, and a cell with no mistake stays white. One
# shared scale made "5 read as 3" (5 images) as dark as the 978 right answers beside it.
RIGHT_SCALE = ((0.0, "#dbeafe"), (1.0, "#1e3a8a"))
WRONG_SCALE = ((0.0, "#ffffff"), (1.0, "#991b1b"))  # the first stop moves: see ``mistake_scale``
FIRST_MISTAKE = "#fed7aa"  # the colour of one mistake, however many the largest is


@dataclass(frozen=True)
class ConfusionLayers:
    """A confusion matrix split for drawing: ``right`` (C, C) holds the diagonal and NaN elsewhere, ``wrong`` the
    mistakes and NaN on the diagonal; each is drawn with its own scale, 0 to ``right_max`` / ``wrong_max``
    (at least 1)."""

    right: np.ndarray
    wrong: np.ndarray
    right_max: int
    wrong_max: int


def confusion_layers(matrix: np.ndarray) -> ConfusionLayers:
    """Split a (C, C) confusion matrix of counts into its right answers and its mistakes (``ConfusionLayers``).

    Raises:
        ValueError: the matrix is not square or has a negative count.
    """
    counts = np.asarray(matrix)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a confusion matrix is square (classes x classes), got shape {counts.shape}")
    if (counts < 0).any():
        raise ValueError("a confusion matrix counts images: no count can be negative")
    diagonal = np.eye(len(counts), dtype=bool)
    right = np.where(diagonal, counts, np.nan).astype(float)
    wrong = np.where(diagonal, np.nan, counts).astype(float)
    off = mistake_counts(counts)
    return ConfusionLayers(right, wrong, max(int(np.diagonal(counts).max(initial=0)), 1), max(int(off.max()), 1))


def mistake_scale(wrong_max: int) -> tuple[tuple[float, str], ...]:
    """``WRONG_SCALE`` for mistakes counted 0 to ``wrong_max``: 0 stays white, a single mistake is already a
    clear orange (``FIRST_MISTAKE``), the largest is dark red. Positions are fractions of ``wrong_max``."""
    start = 0.5 / max(wrong_max, 1)  # between 0 and 1 mistake
    return (WRONG_SCALE[0], (start, FIRST_MISTAKE), WRONG_SCALE[1])


def scale_colour(scale: tuple[tuple[float, str], ...], fraction: float) -> tuple[int, int, int]:
    """The RGB colour at ``fraction`` (clipped to [0, 1]) of a colour scale, interpolated linearly between stops."""
    fraction = min(max(float(fraction), 0.0), 1.0)
    positions = [position for position, _ in scale]
    rgbs = np.array([[int(colour[i : i + 2], 16) for i in (1, 3, 5)] for _, colour in scale], dtype=float)
    return tuple(int(round(np.interp(fraction, positions, rgbs[:, channel]))) for channel in range(3))


def confusion_colours(matrix: np.ndarray) -> np.ndarray:
    """uint8 (C, C, 3): each cell's colour as the Evaluate page draws it (``RIGHT_SCALE`` on the diagonal,
    ``mistake_scale`` elsewhere), for tests and pictures.

    Raises:
        ValueError: as ``confusion_layers``.
    """
    layers = confusion_layers(matrix)
    wrong_scale = mistake_scale(layers.wrong_max)
    size = len(layers.right)
    colours = np.zeros((size, size, 3), np.uint8)
    for row in range(size):
        for col in range(size):
            if row == col:
                colours[row, col] = scale_colour(RIGHT_SCALE, layers.right[row, col] / layers.right_max)
            else:
                colours[row, col] = scale_colour(wrong_scale, layers.wrong[row, col] / layers.wrong_max)
    return colours
