"""Training runs: one ``TrainConfig``, one set-up (``run_training``), one loop over epochs (``train``).

The CLI below and the Train page's background job (``cnnviz.jobs``) both call ``run_training``, so
a run with the same config and seed gives the same weights from either. One epoch's work is in
``cnnviz.epoch``.

CLI (the shipped checkpoints are made by ``make train-shipped``)::

    python -m cnnviz.train --model convnet --epochs 5 --batch-size 128 --optimizer adam --lr 0.003 \
        --schedule onecycle --augment --seed 1 --out assets/mnist_convnet.pt
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

import torch
from torch import nn

from cnnviz.checkpoints import save_checkpoint
from cnnviz.data import DATASETS, load_dataset
from cnnviz.devices import device_name, select_device, to_float_images
from cnnviz.epoch import Data, evaluate, train_epoch
from cnnviz.models import MODEL_BUILDERS, build_model
from cnnviz.train_config import OPTIMIZERS, SCHEDULES, TrainConfig

OnStep = Callable[[int, int, dict], None]


@dataclass
class History:
    """What happened during ``train``: curves for plotting and the final figures.

    ``steps`` holds one dict per report (step, epoch, loss, acc); ``epochs`` one per finished epoch
    (epoch, loss, acc, seconds, images, images_per_s, test_loss, test_top1, test_top5).
    """

    device: str
    steps: list[dict] = field(default_factory=list)
    epochs: list[dict] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0
    images_per_s: float = 0.0


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


def count_steps(images: int, batch_size: int, epochs: int = 1) -> int:
    """Optimizer steps in ``epochs`` passes over ``images`` in batches of ``batch_size`` (the last one may be short)."""
    return epochs * math.ceil(images / batch_size)


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
    # The order of these draws is the recipe of the shipped checkpoints: changing it changes their weights.
    torch.manual_seed(seed)
    generator = torch.Generator(device=dev).manual_seed(seed)
    model.to(dev)
    if channels_last is None:
        channels_last = dev.type == "cpu"
    if channels_last:
        # Measured ~25% faster per step on a 2-core CPU for the convnet (bench/train_speed.py).
        model.to(memory_format=torch.channels_last)
    x_all, y_all = to_float_images(images, dev), labels.to(dev)  # (N, 1, 28, 28), (N,)
    opt = _make_optimizer(optimizer, model.parameters(), lr)
    total = count_steps(n, batch_size, epochs)
    scheduler = (
        torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.2)
        if schedule == "onecycle"
        else None
    )
    history = History(device=device_name(dev))

    def report(step: int, metrics: dict) -> None:
        _check_diverged(metrics["loss"], step, lr, optimizer)
        history.steps.append({"step": step, **metrics})
        if on_step is not None:
            on_step(step, total, metrics)

    step, trained_images = 0, 0
    for epoch in range(1, epochs + 1):
        result = train_epoch(
            model,
            x_all,
            y_all,
            opt,
            epoch=epoch,
            batch_size=batch_size,
            generator=generator,
            scheduler=scheduler,
            augment=augment,
            first_step=step,
            report_every=report_every if on_step is not None else None,
            report=report,
            should_stop=should_stop,
        )
        step += result.steps
        history.stopped = result.stopped
        if result.images == 0:
            break
        history.seconds += result.seconds
        trained_images += result.images
        record = {
            "epoch": epoch,
            "loss": result.loss,
            "acc": result.acc,
            "seconds": result.seconds,
            "images": result.images,  # fewer than the dataset when training was stopped during this epoch
            "images_per_s": result.images / result.seconds,
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
    history.images_per_s = trained_images / history.seconds if history.seconds else 0.0
    return history


def run_training(
    config: TrainConfig, on_step: OnStep | None = None, should_stop: Callable[[], bool] | None = None
) -> tuple[nn.Module, dict, History]:
    """Set up and run one training as ``config`` says: the one path of the CLI and the Train page's job.

    Loads the dataset (its first ``config.limit`` training images) and its test set, seeds torch with
    ``config.seed`` before building the model (so the initial weights repeat too), picks the device
    and trains, testing after every epoch. ``on_step(0, total, {"images", "device"})`` is called once
    when all is set up, then as ``train`` describes; ``should_stop`` as in ``train``.

    Returns:
        The model (on the training device, eval mode), its checkpoint metadata (the config, the
        architecture, epochs done, test scores, torch version, device, seconds) and the ``History``.

    Raises:
        ValueError: a setting out of range (``TrainConfig.check``) or a dataset that is not available.
        Diverged (a ValueError): the loss became NaN or infinite.
    """
    config.check()
    images, labels = load_dataset(config.dataset, "train")
    if config.limit:
        images, labels = images[: config.limit], labels[: config.limit]
    test_data = load_dataset(config.dataset, "test")
    torch.manual_seed(config.seed)  # the initial weights too, not only the batch order
    model = build_model(config.model)
    device = select_device(config.device)
    total = count_steps(len(images), config.batch_size, config.epochs)
    if on_step is not None:
        on_step(0, total, {"images": len(images), "device": device_name(device)})
    history = train(
        model,
        (images, labels),
        epochs=config.epochs,
        batch_size=config.batch_size,
        lr=config.lr,
        optimizer=config.optimizer,
        schedule=config.schedule,
        augment=config.augment,
        device=device,
        seed=config.seed,
        on_step=on_step,
        should_stop=should_stop,
        eval_data=test_data,
        report_every=max(1, min(10, total // 100)),  # about 100 points per curve, more for short runs
    )
    last = history.epochs[-1] if history.epochs else {}
    meta = {
        **asdict(config),
        "architecture": config.model,
        "epochs_done": round(sum(e["images"] for e in history.epochs) / len(images), 2),  # 0.62 when stopped early
        "test_top1": last.get("test_top1"),
        "test_top5": last.get("test_top5"),
        "test_loss": last.get("test_loss"),
        "torch_version": torch.__version__,
        "device": history.device,
        "seconds": round(history.seconds, 1),
    }
    return model, meta, history


def build_parser() -> argparse.ArgumentParser:
    """The CLI's flags: one per ``TrainConfig`` field (``--batch-size`` is ``batch_size``), plus ``--out``."""
    parser = argparse.ArgumentParser(description="Train a cnnviz model on MNIST or Fashion-MNIST.")
    parser.add_argument("--model", default="convnet", choices=sorted(MODEL_BUILDERS))
    parser.add_argument("--dataset", default="MNIST", choices=list(DATASETS))
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
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The ``TrainConfig`` that parsed CLI flags describe (every field from the flag of its name)."""
    return TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})


def main(argv: list[str] | None = None) -> None:
    """Train from the command line, print one line per epoch and save the checkpoint to ``--out``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    config = config_from_args(args)

    def report(step: int, total: int, metrics: dict) -> None:
        if step == 0:
            print(f"training {config.model} on {config.dataset} ({metrics['images']:,} images) on {metrics['device']}")
        elif "test_top1" in metrics:
            print(
                f"epoch {metrics['epoch']}/{config.epochs}  step {step}/{total}  loss {metrics['loss']:.4f}  "
                f"train acc {metrics['acc']:.2%}  test acc {metrics['test_top1']:.2%}  "
                f"{metrics['images_per_s']:,.0f} images/s  {metrics['seconds']:.1f} s",
                flush=True,
            )

    try:
        model, meta, _ = run_training(config, on_step=report)
    except Diverged as exc:
        parser.exit(1, f"training stopped: {exc}\n")
    except ValueError as exc:
        parser.error(str(exc))
    if args.out:
        save_checkpoint(model, args.out, meta)
        print(f"saved {args.out}: test top-1 {meta['test_top1']:.2%}, top-5 {meta['test_top5']:.2%}")


if __name__ == "__main__":
    main()
