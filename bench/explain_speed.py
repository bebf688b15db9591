"""How fast is one unit's explanation? ``explain_unit`` on the shipped convnet against one forward pass.

The reference is the model's forward pass alone (``model(x)`` under ``torch.inference_mode``), measured in
the same run. ``explain_unit`` runs one recorded forward pass (hooks that copy each layer's input and output)
and gathers the window; ``pooling_fate`` and ``trace_unit`` each run one more. The target: under 50 ms.
Each row is measured with torch's default thread count and with one thread: on a busy shared machine two
threads wait for each other at every operation, and a recorded pass has more operations than a bare one.

Run: ``.venv/bin/python bench/explain_speed.py``. ``main()`` prints a markdown table and returns it.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from predict_speed import median_ms  # noqa: E402  (bench/ is on sys.path when a bench script runs)

from cnnviz.checkpoints import load_checkpoint  # noqa: E402
from cnnviz.data import load_mnist  # noqa: E402
from cnnviz.unit_paths import pooling_fate, trace_unit  # noqa: E402
from cnnviz.units import explain_unit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 50.0
CASES = [("conv2", (5, 4, 7)), ("conv3", (7, 1, 1)), ("fc1", (3,)), ("fc2", (7,))]


def main() -> str:
    images, _ = load_mnist("test")
    digit = images[0].float() / 255.0
    model, _ = load_checkpoint(ROOT / "assets" / "mnist_convnet.pt")
    x = digit[None, None]

    def forward() -> None:
        with torch.inference_mode():
            model(x)

    default = torch.get_num_threads()
    rows = [
        f"Explain speed on {platform.processor() or platform.machine()}, torch {torch.__version__}; "
        "the shipped convnet, one test digit",
        "",
        "| Unit | threads | forward pass (reference) | `explain_unit` | ratio | + `pooling_fate` + `trace_unit` | "
        f"ratio | under {TARGET_MS:.0f} ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for threads, (layer, unit) in [(t, case) for t in sorted({default, 1}, reverse=True) for case in CASES]:
        torch.set_num_threads(threads)
        bare = median_ms(forward)
        alone = median_ms(lambda layer=layer, unit=unit: explain_unit(model, digit, layer, unit))

        def everything(layer=layer, unit=unit) -> None:
            explain_unit(model, digit, layer, unit)
            pooling_fate(model, digit, layer, unit)
            trace_unit(model, digit, layer, unit)

        page = median_ms(everything, repeat=20)
        rows.append(
            f"| {layer} {unit} | {threads} | {bare:.2f} ms | {alone:.2f} ms | {alone / bare:.1f}x | {page:.2f} ms | "
            f"{page / bare:.1f}x | {'yes' if page < TARGET_MS else '**no**'} |"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows += [
        "",
        f"Load average at the end: {load}. With one thread the rows show the library's own cost; with two, on a "
        "machine busier than its cores, every torch operation can wait for a descheduled partner thread, and "
        "a recorded pass (a copy per layer) and the three passes of the last column have more operations to wait on.",
    ]
    table = "\n".join(rows)
    print(table)
    return table


if __name__ == "__main__":
    main()
