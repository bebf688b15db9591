"""What a student's browser downloads from the server: every page opened afresh, and the whole app in one visit.

In a lecture hall thirty browsers fetch Streamlit's front end from the lecturer's machine at once, over the
room's Wi-Fi. Streamlit serves that code uncompressed on purpose (its ``starlette_gzip_middleware`` keeps
``/static/`` out of gzip: compressing at the Python origin on every request costs the server CPU, and the
files are cached by the browser for a year, so each browser fetches them once). This measures, in
Chromium against one local server:

- each page opened in a fresh browser (an empty cache): requests, bytes received (bodies and headers, as
  sent), and what the same responses would be gzipped (level 6; what a compressing proxy in front of the
  server would send);
- a tour: one browser opening every page in turn, as a student who clicks through the sidebar; the
  browser's cache serves what an earlier page fetched;
- the reference, measured in the same run: the load test's one-line upload page
  (``bench/_reference_upload_app.py``), the least a Streamlit page with an uploader downloads.

Run: ``.venv/bin/python bench/page_weight.py``. ``main()`` prints a markdown table and returns it.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "e2e")]

from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, app_pages, free_port, start_server, wait_idle  # noqa: E402

REFERENCE = "bench/_reference_upload_app.py"
MB = 1e6


@dataclass
class Weight:
    requests: int = 0
    received: int = 0  # bytes as sent: bodies (compressed where the server compressed them) and headers
    gzipped: int = 0  # the same responses with every uncompressed body gzipped
    websocket: int = 0  # what the page's script sent: the elements, their pictures and data (in ``received`` too)

    def add(self, other: Weight) -> None:
        for name in ("requests", "received", "gzipped", "websocket"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


HOME = ("", "")  # Home's URL path; its heading is not checked


def _count(weight: Weight, request) -> None:
    try:
        sizes, response = request.sizes(), request.response()
    except Exception:  # noqa: BLE001 - a request cancelled by the page (a lazy piece no longer needed)
        return
    if response is None:
        return
    body = sizes["responseBodySize"]
    if body < 0:  # served from the browser's cache (Chromium reports minus the headers' size): nothing was sent
        return
    weight.requests += 1
    weight.received += body + sizes["responseHeadersSize"]
    if body and not response.headers.get("content-encoding"):
        with contextlib.suppress(Exception):  # a body Chromium no longer holds is counted as sent
            body = len(gzip.compress(response.body(), 6))
    weight.gzipped += body + sizes["responseHeadersSize"]


def _count_frame(weight: Weight, payload: bytes | str) -> None:
    size = len(payload) if isinstance(payload, bytes) else len(payload.encode())
    weight.received += size
    weight.gzipped += size  # Streamlit's websocket compression is off by default (server.enableWebsocketCompression)
    weight.websocket += size


def visit(context, url: str, title: str = "") -> Weight:
    """Open ``url`` in a new tab of ``context``; wait for the script and every lazily loaded piece.

    Raises:
        RuntimeError: ``title`` given and the page's heading is not it (Streamlit answers an unknown path
            with the home page, which would be measured instead).
    """
    weight = Weight()
    page = context.new_page()
    page.on("requestfinished", lambda request: _count(weight, request))
    page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: _count_frame(weight, payload)))
    page.goto(url, wait_until="domcontentloaded")
    wait_idle(page, timeout=180)
    page.wait_for_load_state("networkidle")
    heading = page.locator("h1").first.inner_text() if title else ""
    page.close()
    if title and heading.strip() != title:
        raise RuntimeError(f"{url} showed {heading!r}, not the page {title!r}")
    return weight


def measure(script: str, pages: list[tuple[str, str]]) -> tuple[dict[str, Weight], Weight]:
    """({URL path: weight opened afresh}, weight of the tour through ``pages``, (URL path, title) pairs) for one
    server running ``script``."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(port, ROOT / "artifacts" / "page-weight.log", script=script)
    fresh, tour = {}, Weight()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            base = f"http://127.0.0.1:{port}/"
            for path, title in pages:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                fresh[path] = visit(context, base + path, title)
                context.close()
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            for path, title in pages:
                tour.add(visit(context, base + path, title))
            context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(15)
    return fresh, tour


def row(name: str, weight: Weight, reference: Weight) -> str:
    return (
        f"| {name} | {weight.requests} | {weight.received / MB:.1f} | {weight.websocket / MB:.2f} | "
        f"{weight.gzipped / MB:.1f} | {weight.received / reference.received:.1f}x |"
    )


def main(argv: list[str] | None = None) -> str:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    pages = [HOME, *app_pages()]
    fresh, tour = measure("app.py", pages)
    reference = measure(REFERENCE, [HOME])[0][""]
    lines = [
        "| opened in a fresh browser | requests | received (MB) | of which the page's own data, over the websocket "
        "(MB) | if gzipped (MB) | vs the reference page |",
        "|---|---:|---:|---:|---:|---:|",
        *(row(title or "Home", fresh[path], reference) for path, title in pages),
        row("**every page in turn, one browser** (its cache shared)", tour, reference),
        row(f"reference: the load test's one-line upload page (`{REFERENCE}`)", reference, reference),
    ]
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
