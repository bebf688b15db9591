"""One pass over the data: ``train_epoch`` learns from every batch once, ``evaluate`` scores a whole set.

These are pytorch/examples' mnist ``train()`` and ``test()``; ``cnnviz.train.train`` calls them once per
epoch. The images are one float tensor on the training device and batches are index slices of it,
so there is no per-sample Python work and no host-device copy inside the loop: the same code is
correct on a GPU and fast on a CPU. Loss and accuracy are summed on the device and read back (one
sync) only at a report.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.predict import predict_logits

Data = tuple[torch.Tensor, torch.Tensor]  # uint8 images (N, 28, 28), int64 labels (N,)
Report = Callable[[int, dict], None]


def augment_batch(x: torch.Tensor, generator: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Shift each image by a random whole number of pixels (up to ``max_shift`` each way), on x's device.

    (B, 1, H, W) -> (B, 1, H, W); pixels shifted in are 0 (background). Handwriting is rarely centred
    exactly, so the net learns the digit rather than its position. One gather, a fraction of a
    training step; ``grid_sample`` rotations measured 50 ms per batch on a 2-core CPU, so we do without.
    """
    if max_shift == 0:
        return x
    b, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4).flatten(1)  # (B, (H + 2s) * (W + 2s))
    offsets = torch.randint(0, 2 * max_shift + 1, (2, b), device=x.device, generator=generator)
    rows = offsets[0, :, None] + torch.arange(h, device=x.device)  # (B, H)
    cols = offsets[1, :, None] + torch.arange(w, device=x.device)  # (B, W)
    index = (rows[:, :, None] * (w + 2 * max_shift) + cols[:, None, :]).flatten(1)  # (B, H * W)
    return torch.gather(padded, 1, index).view(b, 1, h, w)


class _Window:
    """Loss and accuracy summed on the device over the batches since the last report, and on the host
    over the epoch's reports so far (every batch is in exactly one window, so those are the epoch's sums).

    The curves plot the windows' means: a mean since the start of the epoch would drop with a jump at
    every new epoch (its first batches average only the better, later weights), which reads as an event.
    """

    def __init__(self, device: torch.device) -> None:
        self.loss = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.seen = 0
        self.epoch_loss, self.epoch_correct = 0.0, 0

    def add(self, loss_sum: torch.Tensor, correct: torch.Tensor, count: int) -> None:
        self.loss += loss_sum
        self.correct += correct
        self.seen += count

    def read(self) -> dict:
        """{"loss", "acc"} over the window (one host read, at a report), then start a new window."""
        loss, correct = self.loss.item(), self.correct.item()
        self.epoch_loss += loss
        self.epoch_correct += correct
        means = {"loss": loss / self.seen, "acc": correct / self.seen}
        self.loss.zero_()
        self.correct.zero_()
        self.seen = 0
        return means


@dataclass
class EpochResult:
    """What one ``train_epoch`` did; ``loss`` and ``acc`` are means over its images (NaN if it took no step)."""

    steps: int
    images: int
    loss: float
    acc: float
    seconds: float
    stopped: bool


def train_epoch(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    *,
    epoch: int,
    batch_size: int,
    generator: torch.Generator,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    augment: bool = False,
    first_step: int = 0,
    report_every: int | None = None,
    report: Report | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> EpochResult:
    """One epoch of cross-entropy training, in an order drawn from ``generator``, on the model's device.

    ``images`` are float (N, 1, 28, 28) in [0, 1] and ``labels`` int64 (N,), both already on the model's
    device. ``report(step, {"epoch", "loss", "acc"})`` gets the means of the batches since the previous
    report: every ``report_every`` steps (None: not within the epoch) and once for the epoch's last
    batches; ``step`` counts on from ``first_step``. ``should_stop()`` is polled before every step and
    True ends the epoch early (``EpochResult.stopped``).
    """
    model.train()
    n = len(images)
    steps = math.ceil(n / batch_size)
    order = torch.randperm(n, device=images.device, generator=generator)  # (N,)
    window = _Window(images.device)  # the batches since the last report: what the curves show
    step, seen, stopped = first_step, 0, False
    start = time.perf_counter()
    for i in range(steps):
        if should_stop is not None and should_stop():
            stopped = True
            break
        idx = order[i * batch_size : (i + 1) * batch_size]
        x, y = images[idx], labels[idx]  # (B, 1, 28, 28), (B,)
        if augment:
            x = augment_batch(x, generator)
        logits = model(x)  # (B, 10)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        step += 1
        seen += len(idx)
        window.add(loss.detach() * len(idx), (logits.detach().argmax(1) == y).sum(), len(idx))
        if report is not None and report_every and step % report_every == 0 and i + 1 < steps:
            report(step, {"epoch": epoch, **window.read()})
    if window.seen:  # the last few batches of the epoch: their own point on the curve
        metrics = {"epoch": epoch, **window.read()}
        if report is not None:
            report(step, metrics)
    return EpochResult(
        steps=step - first_step,
        images=seen,
        loss=window.epoch_loss / seen if seen else math.nan,
        acc=window.epoch_correct / seen if seen else math.nan,
        seconds=time.perf_counter() - start,
        stopped=stopped,
    )


def evaluate(model: nn.Module, data: Data, device: str | torch.device = "auto") -> dict[str, float]:
    """Mean cross-entropy ``loss`` and ``top1`` / ``top5`` accuracy (fractions) on (uint8 images, labels).

    The lecture's top-k error is ``1 - topk``.

    Raises:
        ValueError: the data is empty or images and labels differ in length.
    """
    images, labels = data
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(f"need as many labels as images (got {len(images)} images, {len(labels)} labels)")
    logits = predict_logits(model, images, device)  # (N, 10)
    labels = labels.to(logits.device)
    top5 = logits.topk(5, dim=1).indices  # (N, 5)
    return {
        "loss": F.cross_entropy(logits, labels).item(),
        "top1": (top5[:, 0] == labels).float().mean().item(),
        "top5": (top5 == labels[:, None]).any(1).float().mean().item(),
    }
