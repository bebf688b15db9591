"""How much faster is ``summarize`` (shape arithmetic) than finding the shapes with a real forward pass?

Prints one line per network: time of summarize on the built module, and of one forward pass of one
image through the same module with real weights (the reference, measured in the same run).
Run: ``.venv/bin/python bench/bench_summarize.py``.
"""

from __future__ import annotations

import time

import torch

from cnnviz.architectures import PRESETS, VGG16, build_network
from cnnviz.summary import summarize


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    torch.set_num_threads(2)
    for name in ("convnet", "tf_lab", "vgg16"):
        preset = PRESETS[name]
        real = build_network(VGG16, preset.input_shape) if name == "vgg16" else preset.build()
        x = torch.zeros(1, *preset.input_shape)
        with torch.no_grad():
            forward = best_of(lambda real=real, x=x: real(x), repeat=3)
        arithmetic = best_of(lambda real=real, preset=preset: summarize(real, preset.input_shape))
        print(
            f"{name:8s} summarize {arithmetic * 1e3:8.2f} ms   forward pass {forward * 1e3:9.2f} ms   "
            f"ratio {forward / arithmetic:7.1f}x"
        )


if __name__ == "__main__":
    main()
