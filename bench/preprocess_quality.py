"""How well does ``to_mnist`` rescue photo-like digits? Accuracy of the shipped convnet per degradation.

Each MNIST test digit (a fixed-seed sample) is turned into a fake photo by ``cnnviz.degrade`` (dark
on white paper, scaled, moved, blurred, unevenly lit, noisy, rotated), put back through
``to_mnist``, and classified. The reference row is the same digits fed to the network untouched.

    python bench/preprocess_quality.py [--per 500] [--model assets/mnist_convnet.pt]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnviz.checkpoints import load_checkpoint  # noqa: E402
from cnnviz.data import load_mnist  # noqa: E402
from cnnviz.degrade import DEGRADATIONS, DESCRIPTIONS, degrade  # noqa: E402
from cnnviz.predict import predict_dataset, probabilities  # noqa: E402
from cnnviz.preprocess import to_mnist  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def degraded_accuracy(
    model, images: np.ndarray, labels: np.ndarray, kind: str, seed: int = 0
) -> tuple[float, int, float]:
    """(accuracy, images where no digit was found, ms per to_mnist) for one degradation."""
    rng = np.random.default_rng(seed)
    inputs, failed, spent = [], 0, 0.0
    for digit in images:
        photo = degrade(digit, kind, rng)
        start = time.perf_counter()
        try:
            inputs.append(to_mnist(photo))
        except ValueError:
            failed += 1
            inputs.append(np.zeros((28, 28), np.float32))  # counts as a mistake
        spent += time.perf_counter() - start
    predicted = probabilities(model, np.stack(inputs)).argmax(axis=1)
    return float((predicted == labels).mean()), failed, 1000 * spent / len(images)


def sample(per: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed-seed sample of ``per`` MNIST test digits: uint8 (per, 28, 28) and labels (per,)."""
    images, labels = load_mnist("test")
    pick = np.random.default_rng(seed).choice(len(images), size=per, replace=False)
    return images.numpy()[pick], labels.numpy()[pick]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per", type=int, default=500, help="digits per degradation")
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist_convnet.pt"))
    args = parser.parse_args(argv)
    model, _ = load_checkpoint(args.model)
    images, labels = sample(args.per)
    untouched = float((predict_dataset(model, images).argmax(axis=1) == labels).mean())
    rows = [
        f"| Degradation ({args.per} MNIST test digits each) | What | Accuracy after `to_mnist` "
        "| No digit found | ms per image |",
        "|---|---|---|---|---|",
        f"| none (the 28 x 28 original, reference) | untouched MNIST | {untouched:.1%} | – | – |",
    ]
    for kind in DEGRADATIONS:
        accuracy, failed, ms = degraded_accuracy(model, images, labels, kind)
        rows.append(f"| {kind} | {DESCRIPTIONS[kind]} | {accuracy:.1%} | {failed} | {ms:.1f} |")
    table = "\n".join(rows)
    print(table)
    return table


if __name__ == "__main__":
    main()
