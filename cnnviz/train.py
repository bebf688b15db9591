"""Training, evaluation and checkpoints for the MNIST models.

The whole dataset lives as one float tensor on the training device and batches are index slices of
it, so there is no per-sample Python work and no host-device copy inside the loop: the same code is
correct on a GPU and fast on a CPU. Metrics are accumulated on the device and read back (one sync)
only when ``on_step`` is due.

CLI (the shipped checkpoint was made with the command in the README)::

    python -m cnnviz.train --model convnet --epochs 5 --batch-size 128 --optimizer adam --lr 0.003 \
        --schedule onecycle --augment --seed 1 --out assets/mnist_convnet.pt
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.checkpoints import load_checkpoint, save_checkpoint  # noqa: F401  (re-exported)
from cnnviz.data import load_dataset
from cnnviz.models import MODEL_BUILDERS, build_model

Data = tuple[torch.Tensor, torch.Tensor]  # uint8 images (N, 28, 28), int64 labels (N,)
OnStep = Callable[[int, int, dict], None]
OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCHEDULES = ("constant", "onecycle")


def select_device(preference: str = "auto") -> torch.device:
    """The device to train on: "auto" picks cuda, then mps, then cpu; "cuda", "mps", "cpu" force one.

    Raises:
        ValueError: an unknown name, or a device this machine does not have.
    """
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference not in ("cuda", "mps", "cpu"):
        raise ValueError(f"device must be auto, cuda, mps or cpu, got {preference!r}")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("no CUDA GPU is available on this machine; use device 'auto' or 'cpu'")
    if preference == "mps" and not torch.backends.mps.is_available():
        raise ValueError("no Apple GPU (MPS) is available on this machine; use device 'auto' or 'cpu'")
    return torch.device(preference)


def device_name(device: torch.device) -> str:
    """A human name for the device, e.g. "CPU (2 threads)" or the GPU's model name."""
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "GPU: Apple MPS"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def to_float_images(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1] on ``device`` (moved first: 4x less to copy)."""
    return images.to(device).unsqueeze(1).float().div_(255.0)


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


@dataclass
class History:
    """What happened during ``train``: curves for plotting and the final figures.

    ``steps`` holds one dict per report (step, epoch, loss, acc); ``epochs`` one per finished epoch
    (epoch, loss, acc, test_loss, test_top1, test_top5, seconds, images_per_s).
    """

    device: str
    steps: list[dict] = field(default_factory=list)
    epochs: list[dict] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0
    images_per_s: float = 0.0


def _make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")


def _check_train_args(epochs: int, batch_size: int, lr: float, n: int, schedule: str) -> None:
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"learning rate must be a positive number, got {lr}")
    if n == 0:
        raise ValueError("the training set is empty")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")


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


class Diverged(ValueError):
    """The training loss became NaN or infinite: the weights blew up, usually from too large a learning rate."""


def _check_diverged(loss: float, step: int, lr: float, optimizer: str) -> None:
    if not math.isfinite(loss):
        what = "not a number (NaN)" if math.isnan(loss) else "infinite"
        raise Diverged(
            f"the loss became {what} by step {step}: the weights grew without bound (the training diverged), so "
            f"this network cannot classify anything. A learning rate of {lr:g} is too large for {optimizer} here; "
            f"start again with a smaller one (e.g. {lr / 10:g})."
        )


def train(
    model: nn.Module,
    train_data: Data,
    *,
    epochs: int = 5,
    batch_size: int = 128,
    lr: float = 1e-3,
    optimizer: str = "adam",
    schedule: str = "constant",
    augment: bool = False,
    device: str | torch.device = "auto",
    seed: int = 0,
    on_step: OnStep | None = None,
    should_stop: Callable[[], bool] | None = None,
    eval_data: Data | None = None,
    report_every: int = 20,
    channels_last: bool | None = None,
) -> History:
    """Train ``model`` in place with cross-entropy on (uint8 images (N, 28, 28), int64 labels (N,)).

    ``on_step(step, total_steps, metrics)`` is called every ``report_every`` steps with the mean loss and
    accuracy of the batches since the previous report (``History.steps``: the curves), and at the end of
    each epoch twice: the last such window, then the epoch's record (whole-epoch means, seconds, and
    test_loss/test_top1/test_top5 when ``eval_data`` is given).
    ``should_stop()`` is polled every step; returning True ends training cleanly (``History.stopped``).
    ``schedule="onecycle"`` warms the learning rate up to ``lr`` and anneals it to ~0 (OneCycleLR).
    ``channels_last`` (default: on CPU only) stores conv weights in NHWC order, measured faster there.
    The model is left on the training device, in eval mode.

    The loss is checked at every report (the one read from the device there): a NaN or infinite loss
    raises ``Diverged`` rather than hand back a model that answers NaN.

    Raises:
        ValueError: epochs/batch size < 1, learning rate not positive, unknown optimizer or schedule,
            empty data, or an unavailable device.
        Diverged (a ValueError): the loss became NaN or infinite.
    """
    images, labels = train_data
    n = len(images)
    _check_train_args(epochs, batch_size, lr, n, schedule)
    dev = device if isinstance(device, torch.device) else select_device(device)
    torch.manual_seed(seed)
    generator = torch.Generator(device=dev).manual_seed(seed)
    model.to(dev)
    if channels_last is None:
        channels_last = dev.type == "cpu"
    if channels_last:
        # Measured ~25% faster per step on a 2-core CPU for the convnet (bench/train_speed.py).
        model.to(memory_format=torch.channels_last)
    x_all = to_float_images(images, dev)  # (N, 1, 28, 28)
    y_all = labels.to(dev)
    opt = _make_optimizer(optimizer, model.parameters(), lr)
    steps_per_epoch = math.ceil(n / batch_size)
    total = epochs * steps_per_epoch
    scheduler = (
        torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.2)
        if schedule == "onecycle"
        else None
    )
    history = History(device=device_name(dev))
    step, trained_images, train_seconds = 0, 0, 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, device=dev, generator=generator)
        seen = 0
        window = _Window(dev)  # the batches since the last report: what the curves show
        start = time.perf_counter()
        for i in range(steps_per_epoch):
            if should_stop is not None and should_stop():
                history.stopped = True
                break
            idx = order[i * batch_size : (i + 1) * batch_size]
            x, y = x_all[idx], y_all[idx]
            if augment:
                x = augment_batch(x, generator)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()
            step += 1
            seen += len(idx)
            window.add(loss.detach() * len(idx), (logits.detach().argmax(1) == y).sum(), len(idx))
            if on_step is not None and step % report_every == 0 and i + 1 < steps_per_epoch:
                metrics = {"epoch": epoch, **window.read()}
                _check_diverged(metrics["loss"], step, lr, optimizer)
                history.steps.append({"step": step, **metrics})
                on_step(step, total, metrics)
        if seen == 0:
            break
        if window.seen:  # the last few batches of the epoch: their own point on the curve
            metrics = {"epoch": epoch, **window.read()}
            _check_diverged(metrics["loss"], step, lr, optimizer)
            history.steps.append({"step": step, **metrics})
            if on_step is not None:
                on_step(step, total, metrics)
        seconds = time.perf_counter() - start
        train_seconds += seconds
        trained_images += seen
        record = {
            "epoch": epoch,
            "loss": window.epoch_loss / seen,
            "acc": window.epoch_correct / seen,
            "seconds": seconds,
            "images": seen,  # fewer than the dataset when training was stopped during this epoch
            "images_per_s": seen / seconds,
        }
        if eval_data is not None:
            scores = evaluate(model, eval_data, device=dev)
            record.update(test_loss=scores["loss"], test_top1=scores["top1"], test_top5=scores["top5"])
        history.epochs.append(record)
        if on_step is not None:
            on_step(step, total, record)
        if history.stopped:
            break
    model.eval()
    history.seconds = train_seconds
    history.images_per_s = trained_images / train_seconds if train_seconds else 0.0
    return history


@torch.no_grad()
def predict_logits(
    model: nn.Module, images: torch.Tensor, device: str | torch.device = "auto", batch_size: int = 2000
) -> torch.Tensor:
    """Logits (N, 10) for uint8 images (N, 28, 28), computed in batches on ``device``, returned there."""
    dev = device if isinstance(device, torch.device) else select_device(device)
    model.to(dev).eval()
    outputs = [model(to_float_images(images[i : i + batch_size], dev)) for i in range(0, len(images), batch_size)]
    return torch.cat(outputs)


def evaluate(model: nn.Module, data: Data, device: str | torch.device = "auto") -> dict[str, float]:
    """Mean cross-entropy ``loss`` and ``top1`` / ``top5`` accuracy (fractions) on (uint8 images, labels).

    The lecture's top-k error is ``1 - topk``.

    Raises:
        ValueError: the data is empty or images and labels differ in length.
    """
    images, labels = data
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(f"need as many labels as images (got {len(images)} images, {len(labels)} labels)")
    logits = predict_logits(model, images, device)
    labels = labels.to(logits.device)
    top5 = logits.topk(5, dim=1).indices  # (N, 5)
    return {
        "loss": F.cross_entropy(logits, labels).item(),
        "top1": (top5[:, 0] == labels).float().mean().item(),
        "top5": (top5 == labels[:, None]).any(1).float().mean().item(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train a cnnviz model on MNIST or Fashion-MNIST.")
    parser.add_argument("--model", default="convnet", choices=sorted(MODEL_BUILDERS))
    parser.add_argument("--dataset", default="MNIST", choices=["MNIST", "Fashion-MNIST"])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--schedule", default="constant", choices=SCHEDULES)
    parser.add_argument("--augment", action="store_true", help="random shifts of up to 2 pixels")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N images only (0 = all)")
    parser.add_argument("--out", default="", help="where to save the checkpoint (.pt)")
    args = parser.parse_args(argv)

    train_data = load_dataset(args.dataset, "train")
    if args.limit:
        train_data = (train_data[0][: args.limit], train_data[1][: args.limit])
    test_data = load_dataset(args.dataset, "test")
    torch.manual_seed(args.seed)  # the initial weights too, not only the batch order
    model = build_model(args.model)
    dev = select_device(args.device)
    print(f"training {args.model} on {args.dataset} ({len(train_data[0]):,} images) on {device_name(dev)}")

    def report(step: int, total: int, metrics: dict) -> None:
        if "test_top1" in metrics:
            print(
                f"epoch {metrics['epoch']}/{args.epochs}  step {step}/{total}  loss {metrics['loss']:.4f}  "
                f"train acc {metrics['acc']:.2%}  test acc {metrics['test_top1']:.2%}  "
                f"{metrics['images_per_s']:,.0f} images/s  {metrics['seconds']:.1f} s",
                flush=True,
            )

    try:
        history = train(
            model,
            train_data,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            optimizer=args.optimizer,
            schedule=args.schedule,
            augment=args.augment,
            device=dev,
            seed=args.seed,
            on_step=report,
            eval_data=test_data,
        )
    except Diverged as exc:
        parser.exit(1, f"training stopped: {exc}\n")
    final = history.epochs[-1]
    if args.out:
        meta = {
            "architecture": args.model,
            "dataset": args.dataset,
            "epochs": len(history.epochs),
            "batch_size": args.batch_size,
            "optimizer": args.optimizer,
            "lr": args.lr,
            "schedule": args.schedule,
            "augment": args.augment,
            "seed": args.seed,
            "test_top1": final["test_top1"],
            "test_top5": final["test_top5"],
            "test_loss": final["test_loss"],
            "torch_version": torch.__version__,
            "device": history.device,
            "seconds": round(history.seconds, 1),
        }
        save_checkpoint(model, args.out, meta)
        print(f"saved {args.out}: test top-1 {final['test_top1']:.2%}, top-5 {final['test_top5']:.2%}")


if __name__ == "__main__":
    main()
