"""Predictions of a trained model and the metrics the lectures judge them by.

``top_k`` answers "what digit is this?" for one image; ``predict_probabilities`` does the same for a
whole test set in batches. The metrics (top-1 / top-5 accuracy and error, the confusion matrix,
per-class accuracy, the mistakes) are plain numpy on those probabilities, so they are cheap to
recompute and easy to check against a hand count.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnviz.devices import select_device, to_float_images
from cnnviz.inspect import as_batch
from cnnviz.models import IMAGE_SIZE, NUM_CLASSES


def probabilities(model: nn.Module, x: np.ndarray | torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    """Softmax class probabilities float64 (N, 10) for images in [0, 1]; each row sums to 1.

    ``x`` is one image (28, 28) or a batch (N, 28, 28) / (N, 1, 28, 28). Runs without gradients
    in batches of ``batch_size``, in ``model``'s current mode (models from ``load_checkpoint`` are in eval).

    Raises:
        ValueError: wrong shape, uint8 pixels, values outside [0, 1], NaN, or batch_size below 1.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    batch = as_batch(x, single=False, side=IMAGE_SIZE)
    device = next(model.parameters()).device
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(batch), batch_size):
            logits = model(batch[start : start + batch_size].to(device))
            outputs.append(torch.softmax(logits.double(), dim=1).cpu())
    return torch.cat(outputs).numpy() if outputs else np.zeros((0, NUM_CLASSES))


def top_k(model: nn.Module, x: np.ndarray | torch.Tensor, k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` most likely classes of one image (28, 28) in [0, 1]: [(class, probability)], highest first.

    Raises:
        ValueError: k outside 1-10, more than one image, or bad pixels (see ``probabilities``).
    """
    _check_k(k)
    probs = probabilities(model, x)
    if len(probs) != 1:
        raise ValueError(f"top_k takes one image; got {len(probs)} (use top_k_batch)")
    return top_k_batch(probs, k)[0]


def top_k_batch(probs: np.ndarray, k: int = 5) -> list[list[tuple[int, float]]]:
    """For each row of probabilities (N, 10): its ``k`` best [(class, probability)], highest first.

    Raises:
        ValueError: k outside 1 to the number of classes.
    """
    _check_k(k, probs.shape[1])
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]  # ties: the lower class first
    return [[(int(c), float(row[c])) for c in best] for row, best in zip(probs, order, strict=True)]


def _check_k(k: int, classes: int = NUM_CLASSES) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= classes:
        raise ValueError(f"k must be a whole number from 1 to {classes}, got {k!r}")


@torch.no_grad()
def predict_logits(
    model: nn.Module, images: torch.Tensor, device: str | torch.device = "auto", batch_size: int = 2000
) -> torch.Tensor:
    """Logits (N, 10) for uint8 images (N, 28, 28), computed in batches on ``device``, returned there.

    The model is moved to ``device`` and put in eval mode; nothing is copied back to the host.

    Raises:
        ValueError: an unknown or unavailable device (see ``select_device``).
    """
    dev = device if isinstance(device, torch.device) else select_device(device)
    model.to(dev).eval()
    outputs = [model(to_float_images(images[i : i + batch_size], dev)) for i in range(0, len(images), batch_size)]
    return torch.cat(outputs)


def predict_dataset(model: nn.Module, images: torch.Tensor | np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Probabilities float64 (N, 10) for uint8 images (N, 28, 28) such as ``load_mnist``'s test set."""
    pixels = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    if pixels.dtype != torch.uint8 or pixels.ndim != 3:
        raise ValueError(f"expected uint8 images (N, 28, 28), got {pixels.dtype} {tuple(pixels.shape)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if len(pixels) == 0:
        return np.zeros((0, NUM_CLASSES))
    # The same batched pass that cnnviz.epoch.evaluate uses, on the model's own device.
    logits = predict_logits(model, pixels, device=next(model.parameters()).device, batch_size=batch_size)
    return torch.softmax(logits.double(), dim=1).cpu().numpy()


def topk_accuracy(probs: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Fraction of images whose true label is among their ``k`` most likely classes.

    Top-k error, the ImageNet lectures' metric, is ``1 - topk_accuracy``.

    Raises:
        ValueError: probabilities and labels of different lengths, no images, or a bad k.
    """
    labels = _check_labels(probs, labels)
    _check_k(k, probs.shape[1])
    # Rank of the true class = how many classes score strictly higher (ties count in its favour). An image
    # with a NaN among its scores (a diverged network) is wrong: every comparison with NaN is False.
    true = probs[np.arange(len(labels)), labels]
    rank = (probs > true[:, None]).sum(axis=1)
    return float(((rank < k) & np.isfinite(probs).all(axis=1)).mean())


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int = NUM_CLASSES) -> np.ndarray:
    """int64 (classes, classes): entry [t, p] counts images of true class t predicted as p.

    Raises:
        ValueError: different lengths or a class outside 0 to classes - 1.
    """
    labels, predicted = np.asarray(labels, np.int64), np.asarray(predicted, np.int64)
    if labels.shape != predicted.shape or labels.ndim != 1:
        raise ValueError(f"labels and predictions must be 1-D of one length, got {labels.shape} and {predicted.shape}")
    for name, values in (("label", labels), ("prediction", predicted)):
        if values.size and (values.min() < 0 or values.max() >= classes):
            raise ValueError(f"every {name} must be a class from 0 to {classes - 1}")
    return np.bincount(labels * classes + predicted, minlength=classes * classes).reshape(classes, classes)


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """float64 (classes,): the diagonal of a confusion matrix over its row sums (NaN for an empty class)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def mistakes(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Indices of misclassified images, most confidently wrong first (int64 (M,)).

    Raises:
        ValueError: probabilities and labels of different lengths, or no images.
    """
    labels = _check_labels(probs, labels)
    predicted = probs.argmax(axis=1)
    wrong = np.nonzero(predicted != labels)[0]
    return wrong[np.argsort(-probs[wrong, predicted[wrong]], kind="stable")]


def _check_labels(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels, np.int64)
    if probs.ndim != 2 or labels.shape != (len(probs),):
        raise ValueError(f"need probabilities (N, classes) and N labels, got {probs.shape} and {labels.shape}")
    if len(labels) == 0:
        raise ValueError("no images to score")
    if labels.min() < 0 or labels.max() >= probs.shape[1]:
        raise ValueError(f"every label must be a class from 0 to {probs.shape[1] - 1}")
    return labels
