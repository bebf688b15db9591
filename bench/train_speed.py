"""Training throughput: cnnviz.train.train against a plain PyTorch loop, same data, same run.

The plain loop is what pytorch/examples' mnist/main.py does: a DataLoader over a TensorDataset,
converting each uint8 batch to float on the fly. Both train the lecture convnet with Adam, batch
128, on the same images for the same number of steps; the ratio is ours / plain (>= 1.0 is the target).
Also compares our default (channels_last on CPU) against plain NCHW for our loop (the choice in train.py).

Run: python bench/train_speed.py [--images 12800]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from cnnviz.data import load_mnist  # noqa: E402
from cnnviz.devices import select_device  # noqa: E402
from cnnviz.models import build_model  # noqa: E402
from cnnviz.train import train  # noqa: E402

BATCH = 128


def plain_loop(images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> float:
    """images/s of a textbook DataLoader loop (one epoch over ``images``)."""
    torch.manual_seed(0)
    model = build_model("convnet").to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(images, labels), batch_size=BATCH, shuffle=True)
    model.train()
    start = time.perf_counter()
    for x, y in loader:
        x = x.to(device).unsqueeze(1).float() / 255.0
        y = y.to(device)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return len(images) / (time.perf_counter() - start)


def ours(images: torch.Tensor, labels: torch.Tensor, device: torch.device, channels_last: bool | None = None) -> float:
    """images/s of cnnviz.train.train for one epoch over ``images`` (None: its default memory format)."""
    torch.manual_seed(0)
    model = build_model("convnet")
    history = train(
        model, (images, labels), epochs=1, batch_size=BATCH, lr=1e-3, device=device, seed=0, channels_last=channels_last
    )
    return history.images_per_s


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=12_800, help="images per timed run (60,000 = a full epoch)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    device = select_device("auto")
    images, labels = load_mnist("train")
    images, labels = images[: args.images], labels[: args.images]
    ours(images[:1024], labels[:1024], device)  # warm-up: thread pools, allocator
    plain, mine, last = [], [], []
    for _ in range(args.repeats):  # interleaved so background load hits both alike
        plain.append(plain_loop(images, labels, device))
        mine.append(ours(images, labels, device))
        last.append(ours(images, labels, device, channels_last=False))
    best_plain, best_mine, best_cl = max(plain), max(mine), max(last)
    lines = [
        "| training loop (convnet, batch 128, Adam) | images/s | seconds per 60,000-image epoch | ratio vs plain |",
        "|---|---|---|---|",
        f"| plain PyTorch DataLoader loop | {best_plain:,.0f} | {60_000 / best_plain:.1f} | 1.00 |",
        f"| cnnviz.train.train (default: channels_last on CPU) | {best_mine:,.0f} | {60_000 / best_mine:.1f} "
        f"| {best_mine / best_plain:.2f} |",
        f"| cnnviz.train.train, contiguous (NCHW) | {best_cl:,.0f} | {60_000 / best_cl:.1f} "
        f"| {best_cl / best_plain:.2f} |",
    ]
    table = "\n".join(lines)
    print(
        f"device: {device}, {torch.get_num_threads()} threads, {args.images:,} images per run, best of {args.repeats}"
    )
    print(table)
    return table


if __name__ == "__main__":
    main()
