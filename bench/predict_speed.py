"""How fast is one prediction on the CPU? ``top_k`` on one image against the bare forward pass.

The reference is the model's forward pass alone (``model(x)`` under ``torch.inference_mode``),
measured in the same run; ``top_k`` adds input checks, softmax and sorting on top. Also times
``to_mnist`` on a 300 x 300 photo and a 1024 x 768 one (the whole Classify pipeline), and the test
set in batches (the Evaluate page's first load). The target: a single prediction well under 10 ms.

Run: ``.venv/bin/python bench/predict_speed.py``. ``main()`` prints a markdown table and returns it.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnviz.checkpoints import load_checkpoint  # noqa: E402
from cnnviz.data import load_mnist  # noqa: E402
from cnnviz.degrade import degrade  # noqa: E402
from cnnviz.predict import predict_dataset, top_k  # noqa: E402
from cnnviz.preprocess import to_mnist  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def median_ms(fn, repeat: int = 50, warmup: int = 5) -> float:
    """Median wall time of ``fn()`` in milliseconds (the median shrugs off a busy neighbour's spikes)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main() -> str:
    images, _ = load_mnist("test")
    digit = images[0].numpy().astype(np.float32) / 255.0
    photo = degrade(images[0].numpy(), "all", np.random.default_rng(0))
    big_photo = np.asarray(Image.fromarray(photo).resize((1024, 768)), dtype=np.uint8)
    rows = [
        f"Predict speed on {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads",
        "",
        "| Model | forward pass, 1 image (reference) | `top_k`, 1 image | ratio | "
        "`to_mnist` 300x300 + `top_k` | `to_mnist` 1024x768 + `top_k` | 10,000 test images |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("convnet", "dense"):
        path = ROOT / "assets" / f"mnist_{name}.pt"
        if not path.is_file():
            rows.append(f"| {name} | missing: run `make train-shipped` | | | | | |")
            continue
        model, _ = load_checkpoint(path)
        x = torch.as_tensor(digit)[None, None]

        def forward(model=model, x=x) -> None:
            with torch.inference_mode():
                model(x)

        bare = median_ms(forward)
        single = median_ms(lambda model=model: top_k(model, digit, 5))
        small = median_ms(lambda model=model: top_k(model, to_mnist(photo), 5), repeat=20)
        large = median_ms(lambda model=model: top_k(model, to_mnist(big_photo), 5), repeat=10)
        start = time.perf_counter()
        predict_dataset(model, images)
        whole = time.perf_counter() - start
        rows.append(
            f"| {name} | {bare:.2f} ms | {single:.2f} ms | {single / bare:.1f}x | {small:.1f} ms | "
            f"{large:.1f} ms | {whole:.2f} s |"
        )
    table = "\n".join(rows)
    print(table)
    return table


if __name__ == "__main__":
    main()
