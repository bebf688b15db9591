"""Helpers for the real-browser tests: start the app, wait for Streamlit to settle, check, screenshot."""

from __future__ import annotations

import ast
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = ROOT / "artifacts" / "screenshots"


def app_pages() -> list[tuple[str, str]]:
    """(URL path, title) of every page in app.py's ``PAGES``, in the sidebar's order (Home not included).

    Read from the source, not imported: importing app.py runs the app.
    """
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    pages = next(
        node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES"
    )
    return [(url, title) for _, url, _, title, _ in ast.literal_eval(pages)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log_path: Path, env: dict | None = None, script: str = "app.py") -> subprocess.Popen:
    """Start `streamlit run <script>` (app.py) headless on 127.0.0.1:port and wait for /_stcore/health."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    # Headless, no file watcher, no usage statistics: from .streamlit/config.toml, exactly as `make run`.
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"streamlit did not become healthy in 90 s; see {log_path}")


IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.dataset.testConnectionState === "CONNECTED"
        && app.dataset.testScriptState === "notRunning"
        && !document.querySelector('[data-stale="true"]')
        && !document.querySelector('[data-testid="stSpinner"]');
}"""


def wait_idle(pg, timeout: float = 60.0, quiet: float = 0.5) -> None:
    """Wait until the Streamlit script has finished running and stayed finished for ``quiet`` seconds.

    Reads the state Streamlit itself publishes on the app root (``data-test-script-state``, the
    attribute Streamlit's own browser tests use), so a page whose script has not started yet is not
    mistaken for a finished one. The quiet period covers the gap between a click and the rerun starting.
    """
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.time() + timeout
    quiet_since = None
    while time.time() < deadline:
        if pg.evaluate(IDLE_JS):
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= quiet:
                return
        else:
            quiet_since = None
        pg.wait_for_timeout(50)
    raise TimeoutError(f"the app kept running for more than {timeout:.0f} s")


# Whether a rule of cnnviz's page CSS (``common.PAGE_CSS``) is in the page. The CSS comes in an ``st.html``
# element, whose code Streamlit loads only when a page first uses one, so on a busy machine a freshly opened page
# is drawn for a moment with Streamlit's own styles (a CI run measured the captions' contrast in that moment:
# 3.9:1, Streamlit's).
HAS_STYLE_JS = "(rule) => [...document.querySelectorAll('style')].some(s => s.textContent.includes(rule))"


def open_page(pg, path: str = "") -> None:
    """Open a page by its URL path (e.g. "Kernels"); wait for its script to finish and its CSS to apply."""
    from cnnviz_ui.layout import PAGE_CSS  # here: tests/test_e2e_reruns.py copies this file where cnnviz is not

    pg.goto(f"{pg.app_url}/{path}", wait_until="domcontentloaded")
    wait_idle(pg)
    pg.wait_for_function(HAS_STYLE_JS, arg=PAGE_CSS.splitlines()[1])  # the first rule, as the page has it


def visit(pg, *titles: str) -> None:
    """Go to each page in turn through the sidebar (the same session, unlike ``open_page``)."""
    for title in titles:
        pg.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
        pg.get_by_role("heading", name=title).first.wait_for()
        wait_idle(pg)


def stroke(pg, points: list[tuple[float, float]]) -> None:
    """One pen stroke on the page's drawing canvas through ``points``, given as fractions of it (0..1)."""
    box = pg.locator("canvas").first.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    pg.mouse.move(*xy[0])
    pg.mouse.down()
    for (x0, y0), (x1, y1) in zip(xy, xy[1:], strict=False):
        for step in range(1, 12):
            pg.mouse.move(x0 + step / 11 * (x1 - x0), y0 + step / 11 * (y1 - y0))
    pg.mouse.up()


def assert_clean(pg) -> None:
    """No exception element, no st.error box and no traceback on the page."""
    assert pg.locator('[data-testid="stException"]').count() == 0, "an exception is shown on the page"
    errors = pg.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    assert not errors, f"error boxes on the page: {errors}"
    body = pg.inner_text("body")
    assert "Traceback" not in body
    assert "Error" not in body.replace("st.error", ""), f"'Error' text on the page: {body[:500]}"


def screenshot(pg, name: str) -> Path:
    """A full-page PNG at artifacts/screenshots/NAME.png.

    Streamlit scrolls inside its main container, so Playwright's full_page alone captures one screen:
    the viewport is stretched to the content's height for the shot, then restored.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = pg.viewport_size or {"width": 1440, "height": 1000}
    height = pg.evaluate(
        """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stSidebarContent"]', 'body']
            .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))"""
    )
    pg.set_viewport_size({"width": size["width"], "height": min(max(int(height), size["height"]), 12_000)})
    try:
        pg.wait_for_timeout(300)  # plotly and images re-lay out to the new size
        pg.screenshot(path=str(path), full_page=True)
    finally:
        pg.set_viewport_size(size)
    return path


IMAGES_OUTSIDE_COLUMNS_JS = """() => [...document.querySelectorAll('[data-testid="stColumn"] [data-testid="stImage"]')]
    .map(image => [image.getBoundingClientRect(), image.closest('[data-testid="stColumn"]').getBoundingClientRect()])
    .filter(([image, column]) => image.right > column.right + 1)
    .map(([image, column]) => `an image to x=${image.right}, its column to x=${column.right}`)"""


def images_outside_columns(pg) -> list[str]:
    """Every picture in a column that reaches past the column's right edge (into the next one)."""
    return pg.evaluate(IMAGES_OUTSIDE_COLUMNS_JS)


# --- widgets, found by their visible label (what a student sees) -------------------------------------------


def field(pg, label: str):
    """The input (number box, text box, selectbox) whose accessible name is exactly ``label``."""
    return pg.locator(f'input[aria-label="{label}"]').first


def fill_number(pg, label: str, value: object) -> None:
    """Type ``value`` (anything, e.g. "-1" or "abc") into a number or text box and leave it with Tab.

    Tab, not Enter: Enter inside a form would submit the form.
    """
    box = field(pg, label)
    box.fill(str(value))
    box.press("Tab")
    # Tab may land on a help icon, whose tooltip would then cover the screenshot.
    pg.evaluate("() => document.activeElement && document.activeElement.blur()")
    wait_idle(pg)


def choose(pg, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    box = field(pg, label)
    box.click()
    box.press_sequentially(option)  # filters the list: long lists only render the options in view
    pg.get_by_role("option", name=option, exact=True).click()
    wait_idle(pg)


def nudge_slider(pg, label: str, steps: int) -> None:
    """Move the slider labelled ``label`` by ``steps`` with the arrow keys (negative: to the left)."""
    thumb = field(pg, label)
    thumb.focus()
    for _ in range(abs(steps)):
        thumb.press("ArrowRight" if steps > 0 else "ArrowLeft")
    thumb.blur()
    wait_idle(pg)


def click_radio(pg, option: str) -> None:
    """Click the radio option (or segmented-control button) whose text is ``option``."""
    pg.locator('[data-testid="stRadio"] label, [data-testid="stButtonGroup"] button').get_by_text(
        option, exact=True
    ).first.click()
    wait_idle(pg)


def upload(pg, name: str, data: bytes, mime: str = "image/png", index: int = 0) -> None:
    """Upload ``data`` as a file called ``name`` through the page's ``index``-th file uploader and wait.

    The file is first sent over HTTP, then the script reruns: waiting for the file's name in the uploader
    keeps ``wait_idle`` from mistaking the quiet before the rerun for its end. The chip cuts a long name
    short in the middle ("lecture...x.pt") and keeps the whole of it in its title.
    """
    uploader = pg.locator('[data-testid="stFileUploader"]').nth(index)
    uploader.locator('input[type="file"]').set_input_files({"name": name, "mimeType": mime, "buffer": data})
    chips = uploader.locator('[data-testid="stFileChipName"]')
    titled = pg.locator(f"[title={json.dumps(name, ensure_ascii=False)}]")  # JSON's escapes are CSS's, but \uXXXX
    chips.filter(has_text=name).or_(chips.and_(titled)).first.wait_for()
    wait_idle(pg, quiet=1.0)


def error_texts(pg) -> list[str]:
    """The text of every st.error box on the page."""
    return [t.strip() for t in pg.locator('[data-testid="stAlertContentError"]').all_inner_texts()]


def assert_no_exception(pg) -> None:
    """No exception element and no traceback (an explained st.error is fine)."""
    assert pg.locator('[data-testid="stException"]').count() == 0, "an exception is shown on the page"
    assert "Traceback" not in pg.inner_text("body")


# --- type size as a student in the back row sees it ---------------------------------------------------------

# Every visible text drawn inside the elements matching the selector, with its size on the screen in CSS px:
# SVG text (plotly's numbers and labels, the sliding-window diagrams) at its computed size times the SVG's
# scale (a viewBox shrinks or grows it), HTML text at its computed size.
TEXT_PX_JS = """(selector) => {
  const out = [];
  for (const root of document.querySelectorAll(selector)) {
    for (const el of root.querySelectorAll('text, tspan, span, p, td, th, div, li, b, strong, code')) {
      const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
      if (!own || el.closest('.modebar-container')) continue;  // the toolbar's icons are not the figure's text
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden' || style.display === 'none'
          || parseFloat(style.opacity) === 0) continue;
      let px = parseFloat(style.fontSize);
      if (el instanceof SVGElement && el.getScreenCTM) {
        const m = el.getScreenCTM();
        if (m) px *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
      }
      out.push([own.slice(0, 40), Math.round(px * 10) / 10]);
    }
  }
  return out;
}"""


def text_px(pg, selector: str) -> list[tuple[str, float]]:
    """``(text, px)`` for every visible text inside the elements matching ``selector``, as drawn on the screen.

    ``pg`` is a page or a frame (``pg.frame_locator(...)`` cannot evaluate: use ``page.frames``).
    """
    return [tuple(item) for item in pg.evaluate(TEXT_PX_JS, selector)]


def smallest_text(pg, selector: str) -> tuple[str, float]:
    """The smallest visible text inside ``selector`` and its size in px; fails if there is no text at all."""
    found = text_px(pg, selector)
    assert found, f"no visible text inside {selector!r}"
    return min(found, key=lambda item: item[1])


IMAGE_TYPES_JS = """async () => Promise.all([...document.querySelectorAll('[data-testid="stImage"] img')]
    .map(img => fetch(img.src).then(r => r.headers.get('content-type'))))"""


def picture_types(pg) -> list[str]:
    """The content type each picture on the page (``st.image``) is served as: "image/png" keeps pixels sharp."""
    return pg.evaluate(IMAGE_TYPES_JS)
