"""How fast is apply_kernel? Ratios against scipy.signal.convolve2d measured in the same run.

Run: ``.venv/bin/python bench/filter_speed.py``. ``main()`` prints a markdown table and returns its rows,
so ``bench/run_all.py`` can collect them. It also times one full rerun of the Kernels page with a
1024 x 1024 image and a 15 x 15 kernel through Streamlit's AppTest.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.signal
from _machine import cpu_model  # bench/ is on sys.path when a bench script runs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnviz.filtering import apply_kernel  # noqa: E402
from cnnviz.kernels import PRESETS  # noqa: E402


def best_of(repeats: int, function, *args, **kwargs) -> float:
    """Fastest of ``repeats`` calls ``function(*args, **kwargs)``, in milliseconds (after one warm-up)."""

    def call():
        return function(*args, **kwargs)

    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def kernel_cases(rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    return [
        ("3x3 edge (lecture)", PRESETS["Vertical edge (lecture)"]),
        ("5x5 Gaussian (lecture)", PRESETS["Gaussian 5x5 (lecture, 1/273)"]),
        ("15x15 box (lecture)", PRESETS["Box blur 15x15 (lecture)"]),
        ("15x15 random (full rank)", rng.normal(size=(15, 15))),
    ]


def convolve2d_same(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The lecture's call, the reference: ``convolve2d(image, kernel, boundary='symm', mode='same')``."""
    return scipy.signal.convolve2d(image, kernel.astype(image.dtype), boundary="symm", mode="same")


def filter_rows(repeats: int = 7) -> list[dict]:
    """apply_kernel vs convolve2d(boundary='symm', mode='same') on greyscale 512/1024 and RGB 1024."""
    rng = np.random.default_rng(0)
    rows = []
    for size in (512, 1024):
        image = (rng.random((size, size)) * 255).astype(np.float32)
        for name, kernel in kernel_cases(rng):
            ours = best_of(repeats, apply_kernel, image, kernel, boundary="symmetric")
            scipy_ms = best_of(max(2, repeats // 3), convolve2d_same, image, kernel)
            rows.append(
                {
                    "image": f"{size}x{size} grey",
                    "kernel": name,
                    "convolve2d_ms": scipy_ms,
                    "apply_kernel_ms": ours,
                    "speedup": scipy_ms / ours,
                }
            )
    rgb = (rng.random((1024, 1024, 3)) * 255).astype(np.float32)
    for name, kernel in kernel_cases(rng)[2:]:
        ours = best_of(repeats, apply_kernel, rgb, kernel, boundary="symmetric")
        scipy_ms = 3 * best_of(2, convolve2d_same, rgb[..., 0], kernel)  # one channel, three times
        rows.append(
            {
                "image": "1024x1024 RGB",
                "kernel": name,
                "convolve2d_ms": scipy_ms,
                "apply_kernel_ms": ours,
                "speedup": scipy_ms / ours,
            }
        )
    return rows


def page_rerun_ms(repeats: int = 5) -> tuple[float, float]:
    """(first run, best warm rerun) of the Kernels page with a 1024 x 1024 RGB upload and a 15 x 15 kernel.

    The sample photo is swapped for a 1024 x 1024 RGB photo (AppTest cannot upload); AppTest runs the page
    script end to end (widgets, filtering, PNG encoding, figures), without the browser's drawing time.
    """
    from streamlit.testing.v1 import AppTest

    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import cv2
import cnnviz_ui.picker as picker
from cnnviz.images import sample_photo
photo = cv2.resize(sample_photo("astronaut"), (1024, 1024))
picker._sample_photo = lambda name: photo  # a 1024 x 1024 colour photo, as an upload would give
exec(open({str(ROOT / "pages" / "1_Kernels.py")!r}).read())
"""
    app = AppTest.from_string(script, default_timeout=120)
    app.session_state["kernels_colour"] = "Colour (per channel)"
    app.session_state["kernels_kind"] = "Box"
    app.session_state["kernels_box_size"] = 15
    started = time.perf_counter()
    app.run()
    first = (time.perf_counter() - started) * 1000
    if app.exception:
        raise RuntimeError(f"the page failed: {app.exception[0].value}")
    reruns = []
    for i in range(repeats):
        app.session_state["kernels_stride"] = 1 + i % 2  # a changed control, as a student would do
        started = time.perf_counter()
        app.run()
        reruns.append((time.perf_counter() - started) * 1000)
    return first, min(reruns)


def main(repeats: int = 7, page: bool = True) -> list[dict]:
    """Print the markdown table (and the page rerun time) and return the rows."""
    print(f"CPU: {cpu_model()} · {os.cpu_count()} cores · numpy {np.__version__} · scipy {scipy.__version__}")
    rows = filter_rows(repeats)
    print("\n| image | kernel | convolve2d (ms) | apply_kernel (ms) | speed-up |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['image']} | {row['kernel']} | {row['convolve2d_ms']:.1f} | "
            f"{row['apply_kernel_ms']:.2f} | {row['speedup']:.0f}x |"
        )
    if page:
        first, rerun = page_rerun_ms()
        print(
            f"\nKernels page, 1024x1024 RGB image, 15x15 box kernel (AppTest, no browser): "
            f"first run {first:.0f} ms, rerun after a control change {rerun:.0f} ms"
        )
        rows.append(
            {
                "image": "Kernels page rerun (1024x1024 RGB, 15x15)",
                "kernel": "-",
                "convolve2d_ms": float("nan"),
                "apply_kernel_ms": rerun,
                "speedup": float("nan"),
            }
        )
    return rows


if __name__ == "__main__":
    main()
