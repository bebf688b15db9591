"""How fast is one photo to its ImageNet top-5? ``photo_to_input`` + forward + softmax + top-5 vs a bare forward.

The reference is EfficientNet-Lite0's forward pass alone (``model(x)`` under ``torch.inference_mode`` on an
input made beforehand), measured in the same run and interleaved with the others round by round, so a busy
neighbour slows both alike. The target (issue 25): one photo to top-5 in under 80 ms on the 2-core CPU and
within 1.2x of the bare forward pass. Photos: skimage's chelsea (300 x 451) and the same photo enlarged to
768 x 1024, the largest side ``cnnviz.images.decode_image`` lets through.

Run: ``.venv/bin/python bench/imagenet_speed.py [--repeat N]``. ``main()`` prints a markdown table and returns it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

# As `make run` starts the app: idle OpenMP threads sleep instead of spinning, which on a shared 2-core
# machine otherwise makes a forward pass several times slower. Read when torch starts, so set before importing it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnviz.efficientnet import fuse_for_speed  # noqa: E402
from cnnviz.imagenet import imagenet_top_k, load_imagenet_net, photo_to_input  # noqa: E402
from cnnviz.images import sample_photo  # noqa: E402


def interleaved_medians(fns: dict[str, Callable[[], object]], repeat: int, warmup: int = 3) -> dict[str, float]:
    """Median wall time in ms of each function, calling them in turn each round (fair under changing load)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * float(np.median(values)) for name, values in times.items()}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    loaded, _ = load_imagenet_net()
    models = {
        "as loaded (the lecture's layers)": loaded,
        "`fuse_for_speed` (BN folded, channels-last)": fuse_for_speed(loaded),
    }
    photo = sample_photo("chelsea")
    big = np.asarray(Image.fromarray(photo).resize((1024, 768), Image.Resampling.BICUBIC))
    x = photo_to_input(photo)
    fns = {"input 451x300": lambda: photo_to_input(photo), "input 1024x768": lambda: photo_to_input(big)}
    for label, model in models.items():

        def bare(model=model) -> None:
            with torch.inference_mode():
                model(x)

        fns[f"{label} bare"] = bare
        fns[f"{label} small"] = lambda model=model: imagenet_top_k(model, photo_to_input(photo), 5)
        fns[f"{label} big"] = lambda model=model: imagenet_top_k(model, photo_to_input(big), 5)
    ms = interleaved_medians(fns, args.repeat)
    rows = [
        f"EfficientNet-Lite0, one photo to a 224 x 224 input, torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, median of {args.repeat} interleaved rounds. "
        f"`photo_to_input` alone: {ms['input 451x300']:.1f} ms (451x300), {ms['input 1024x768']:.1f} ms (1024x768).",
        "",
        "| model | bare forward (reference) | photo 451x300 to top-5 | ratio | photo 1024x768 to top-5 | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for label in models:
        bare_ms, small, large = (ms[f"{label} {part}"] for part in ("bare", "small", "big"))
        rows.append(
            f"| {label} | {bare_ms:.1f} ms | {small:.1f} ms | {small / bare_ms:.2f}x | {large:.1f} ms | "
            f"{large / bare_ms:.2f}x |"
        )
    table = "\n".join(rows)
    print(table)
    return table


if __name__ == "__main__":
    main()
