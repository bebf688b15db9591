"""The Photos page on a real server: its memory across 30 uploads, and a class change answered from cache.

One ``streamlit run app.py`` on a free port (``OMP_WAIT_POLICY=PASSIVE MALLOC_ARENA_MAX=2``, as ``make run``)
and one headless Chromium session on the Photos page, which uploads 30 different JPEG photos one after another
(skimage's bundled photos, each cropped and sized differently: 480 to 1600 px on the long side, so most are
shrunk to the 1024 px the app keeps) and waits for each photo's top-5 line. After each upload: the server's
resident memory (RSS, psutil). Memory is flat when, once the page's bounded caches are full, it stops growing:
the growth from upload 5 to 30 must stay within what the caches can still take after upload 5 (their
``max_entries`` times the pickled size of an entry for this run's largest photo, plus 10% and 5 MB for the
allocator), and from upload 20 to 30 (the big caches full) within 10 MB. Growth is read on the median of the
last 5 uploads: the server runs no full garbage collection after each rerun (``postScriptGC = false``), so one
reading can hold a rerun's uncollected garbage, freed a few reruns later.

Then only the "true class" picker is changed a few times on the last photo. The reference is the same session's
first answer for each photo (upload to top-5 shown, with the network's forward pass, Grad-CAM and the feature
maps), measured in the same run in the browser from the action to the end of the script's rerun (Streamlit's
``data-test-script-state`` on the app root). Also the server's CPU seconds per upload and per class change: a
class change that ran the network would cost about as much as an upload.

Run: ``.venv/bin/python bench/photos_memory.py [--uploads N] [--changes N] [--malloc-arena-max N]``.
``main()`` prints the markdown and returns it.
"""

from __future__ import annotations

import argparse
import io
import pickle
import statistics
import sys
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

from e2e_helpers import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    click_radio,
    field,
    free_port,
    open_page,
    start_server,
    upload,
    wait_idle,
)

from cnnviz.images import MAX_SIDE, OBJECT_PHOTOS, sample_photo  # noqa: E402

SENTENCE = 'h4:has-text("…")'  # the top-5 line: "Egyptian cat (0.77), tiger cat (0.10), …"
TRUTH_LABEL = "True class (type to search the 1000 ImageNet classes)"
TRUTHS = ("tabby (281)", "espresso (967)", "missile (657)", "tiger cat (282)", "goldfish (1)")
REPORTED = (1, 5, 10, 20, 30)
WINDOW = 5  # uploads per median
# Every rerun's start and end, as Streamlit publishes them on the app root, with the page's own clock.
WATCH_RUNS_JS = """() => {
    window.__runs = [];
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => window.__runs.push([app.dataset.testScriptState, performance.now()]))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
RUN_SECONDS_JS = """(t0) => {
    const after = window.__runs.filter(([, t]) => t >= t0);
    const ends = after.filter(([state]) => state === "notRunning");
    if (!after.some(([state]) => state === "running") || !ends.length) return null;
    return (ends[ends.length - 1][1] - t0) / 1000;
}"""


def distinct_photos(count: int, seed: int = 0) -> list[tuple[str, bytes, tuple[int, int]]]:
    """``count`` different JPEGs: (name, bytes, (height, width) the app keeps after shrinking to ``MAX_SIDE``)."""
    rng = np.random.default_rng(seed)
    colour = [name for name in OBJECT_PHOTOS if sample_photo(name).ndim == 3]
    photos = []
    for i in range(count):
        pixels = sample_photo(colour[i % len(colour)])
        height, width = pixels.shape[:2]
        h, w = (int(side * rng.uniform(0.6, 1.0)) for side in (height, width))
        top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
        crop = Image.fromarray(pixels[top : top + h, left : left + w])
        long_side = int(np.linspace(480, 1600, count)[(i * 7) % count])  # sizes mixed, not ascending
        scale = long_side / max(h, w)
        crop = crop.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        crop.save(buffer, format="JPEG", quality=90)
        shrink = min(1.0, MAX_SIDE / max(crop.size))
        kept = (round(crop.size[1] * shrink), round(crop.size[0] * shrink))
        photos.append((f"photo_{i + 1:02d}_{colour[i % len(colour)]}.jpg", buffer.getvalue(), kept))
    return photos


def cache_bound_mb(photos: list[tuple[str, bytes, tuple[int, int]]], after: int) -> tuple[float, str]:
    """MB the Photos page's bounded caches can still grow by after ``after`` uploads, and how it is made up.

    Each cache holds at most ``max_entries`` values, pickled (as ``st.cache_data`` keeps them). An upload adds
    one entry to each cache the page's default view uses. Each entry's size is measured here by calling the
    page's own cached functions on this run's largest photo; times the entries still free after ``after``
    uploads, it bounds what the caches can add.
    """
    from cnnviz_ui import photos as page
    from cnnviz_ui import picker

    page.imagenet_net()  # loaded outside ``answer``'s inference mode, as the page does: Grad-CAM needs gradients
    _, data, _ = max(photos, key=lambda photo: photo[2][0] * photo[2][1])
    decoded = picker._decode_upload._info.func("largest", data)
    caption, picture, probabilities = page.answer._info.func("largest", decoded.pixels, page.DEFAULT_FIT)
    ranked = int(np.argmax(probabilities))
    values = {
        "`_decode_upload`": (picker._decode_upload, decoded),
        "`answer`": (page.answer, (caption, picture, probabilities)),
        "`inside`": (page.inside, page.inside._info.func("largest", page.DEFAULT_FIT, picture)),
        "`grad_cam_png`": (page.grad_cam_png, page.grad_cam_png._info.func("l", page.DEFAULT_FIT, ranked, picture)),
    }
    total, parts = 0.0, []
    for label, (cached, value) in values.items():
        limit, size = cached._info.max_entries, len(pickle.dumps(value)) / 2**20
        free = max(0, min(limit, len(photos)) - min(limit, after))
        total += free * size
        parts.append(f"{label} {free} × {size:.1f} MB")
    return total, ", ".join(parts)


class Server:
    """The server process: its RSS in MB and its CPU seconds so far."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)

    def rss_mb(self) -> float:
        return sum(p.memory_info().rss for p in [self.process, *self.process.children(recursive=True)]) / 2**20

    def cpu_s(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system


def timed_rerun(pg, action) -> float:
    """Seconds from ``action()`` to the end of the rerun(s) it started, by the page's clock."""
    t0 = pg.evaluate("performance.now()")
    action()
    wait_idle(pg, quiet=1.0)
    seconds = pg.evaluate(RUN_SECONDS_JS, t0)
    if seconds is None:
        raise RuntimeError("the action started no rerun of the page")
    return seconds


def open_truth_picker(pg, option: str) -> None:
    """Type into the true-class picker until ``option`` is listed: typing alone starts no rerun."""
    box = field(pg, TRUTH_LABEL)
    box.click()
    box.press_sequentially(option.split(" (")[0])
    pg.get_by_role("option", name=option, exact=True).wait_for()


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=30)
    parser.add_argument("--changes", type=int, default=5, help="true-class changes after the last upload")
    parser.add_argument(
        "--malloc-arena-max",
        type=int,
        default=2,
        help="MALLOC_ARENA_MAX for the server (glibc's heaps; 2 as `make run`, 0 for glibc's default)",
    )
    args = parser.parse_args(argv)
    photos = distinct_photos(args.uploads)
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {"OMP_WAIT_POLICY": "PASSIVE"}  # as `make run`, with MALLOC_ARENA_MAX below
    if args.malloc_arena_max:
        env["MALLOC_ARENA_MAX"] = str(args.malloc_arena_max)
    proc = start_server(port, ROOT / "artifacts" / "photos_memory.log", env)
    server = Server(proc.pid)
    rss, first_s, upload_cpu, truth_s, truth_cpu, lines = [], [], [], [], [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            pg = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
            pg.set_default_timeout(180_000)
            pg.app_url = f"http://127.0.0.1:{port}"
            open_page(pg, "Photos")  # the bundled cat: loads both copies of the network
            click_radio(pg, "Upload a photo")
            rss_start = server.rss_mb()
            pg.evaluate(WATCH_RUNS_JS)
            for i, (name, data, _) in enumerate(photos, 1):
                cpu = server.cpu_s()
                first_s.append(timed_rerun(pg, lambda name=name, data=data: upload(pg, name, data, "image/jpeg")))
                upload_cpu.append(server.cpu_s() - cpu)
                pg.locator(SENTENCE).first.wait_for()
                lines.append(pg.locator(SENTENCE).first.inner_text())
                rss.append(server.rss_mb())
                print(f"upload {i}: {first_s[-1]:.2f} s, RSS {rss[-1]:.0f} MB: {lines[-1][:60]}", file=sys.stderr)
            line = pg.locator(SENTENCE).first.inner_text()
            for k in range(args.changes):
                option = TRUTHS[k % len(TRUTHS)]
                cpu = server.cpu_s()
                open_truth_picker(pg, option)
                truth_s.append(timed_rerun(pg, pg.get_by_role("option", name=option, exact=True).click))
                truth_cpu.append(server.cpu_s() - cpu)
                assert pg.locator(SENTENCE).first.inner_text() == line, "the top-5 changed with the true class"
                chosen = f"Probability of {option.split(' (')[0]}:"
                assert pg.get_by_text(chosen).first.is_visible(), f"{option} was not chosen"
                print(f"true class {option}: {truth_s[-1]:.2f} s", file=sys.stderr)
            rss_after_changes = server.rss_mb()
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except Exception:  # noqa: BLE001 - a server that will not stop is killed
            proc.kill()
    if len(set(lines)) < len(lines) // 2:
        raise RuntimeError(f"the uploads gave only {len(set(lines))} different answers: were they shown?")
    return report(photos, rss, rss_start, rss_after_changes, first_s, upload_cpu, truth_s, truth_cpu)


def trailing_median(rss: list[float], k: int) -> float:
    """Median RSS over uploads ``k - WINDOW + 1`` .. ``k`` (1-based): one sample catches whatever garbage the
    server has not collected yet (``postScriptGC = false``), which it frees a few reruns later."""
    return statistics.median(rss[max(0, k - WINDOW) : k])


def report(photos, rss, rss_start, rss_after_changes, first_s, upload_cpu, truth_s, truth_cpu) -> str:
    """The markdown: RSS after chosen uploads, the growth against the caches' bound, and the class change."""
    n = len(rss)
    shown = [k for k in REPORTED if k <= n]
    kept = [shape for _, _, shape in photos]
    early, late = min(5, n), min(20, n)
    bound, parts = cache_bound_mb(photos, early)
    growth = trailing_median(rss, n) - trailing_median(rss, early)
    full_growth = trailing_median(rss, n) - trailing_median(rss, late)
    flat = growth <= 1.1 * bound + 5 and full_growth <= 10
    sizes = sorted(max(h, w) for h, w in kept)
    rows = [
        f"One server, one Chromium session on the Photos page: {n} different JPEG uploads (skimage photos cropped "
        f"and sized 480 to 1600 px on the long side; kept at {sizes[0]} to {sizes[-1]} px), each awaited to its "
        f"top-5 line. Server RSS before the first upload (the network and the bundled cat loaded): "
        f"{rss_start:.0f} MB.",
        "",
        "| after upload | " + " | ".join(str(k) for k in shown) + " |",
        "|---|" + "---|" * len(shown),
        "| server RSS | " + " | ".join(f"{rss[k - 1]:.0f} MB" for k in shown) + " |",
        f"| median of the last {WINDOW} uploads | "
        + " | ".join(f"{trailing_median(rss, k):.0f} MB" for k in shown)
        + " |",
        "",
        f"Growth from upload {early} to {n} (medians of the last {WINDOW}): **{growth:+.0f} MB**; the bounded caches "
        f"can still take {bound:.0f} MB after upload {early} (entries × pickled size on this run's largest photo: "
        f"{parts}). From upload {late} to {n}, the big caches full: **{full_growth:+.0f} MB**. Memory is "
        f"**{'flat' if flat else 'NOT flat'}** (growth within the caches' room + 10% + 5 MB, and at most 10 MB "
        f"once they are full). Largest single reading: {max(rss):.0f} MB; after the class changes below: "
        f"{rss_after_changes:.0f} MB.",
        "",
        "| on the last photo | time to answer (browser: action to rerun's end) | ratio | server CPU | ratio |",
        "|---|---|---|---|---|",
    ]
    first, cpu = statistics.median(first_s), statistics.median(upload_cpu)
    rows.append(f"| upload, first answer (reference, median of {n}) | {first:.2f} s | 1.00x | {cpu:.2f} s | 1.00x |")
    if truth_s:
        t, c = statistics.median(truth_s), statistics.median(truth_cpu)
        rows.append(
            f"| change only the true class (median of {len(truth_s)}) | {t:.2f} s | {t / first:.2f}x | {c:.2f} s "
            f"| {c / cpu:.2f}x |"
        )
        rows += [
            "",
            "The top-5 line stayed the same through the class changes; `tests/test_page_photos.py` counts that they "
            "run no forward pass and no preprocessing. What is left is redrawing the page (the browser's share "
            "and the server's encoding of the pictures).",
        ]
    table = "\n".join(rows)
    print(table)
    return table


if __name__ == "__main__":
    main()
