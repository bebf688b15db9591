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
