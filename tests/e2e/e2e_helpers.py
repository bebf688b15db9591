"""Helpers for the real-browser tests: start the app, wait for Streamlit to settle, check, screenshot."""

from __future__ import annotations

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
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]  # fmt: skip
ARTIFACTS = ROOT / "artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log_path: Path, env: dict | None = None) -> subprocess.Popen:
    """Start `streamlit run app.py` headless on 127.0.0.1:port and wait for /_stcore/health."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
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


def wait_idle(pg, timeout: float = 60.0) -> None:
    """Wait until the Streamlit script has finished running (the 'Running…' status widget is gone)."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.time() + timeout
    quiet_since = None
    while time.time() < deadline:
        running = pg.locator('[data-testid="stStatusWidget"]').count() > 0
        stale = pg.locator('[data-stale="true"]').count() > 0
        if running or stale:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since > 0.7:
            return
        time.sleep(0.1)
    raise TimeoutError("the app kept running for too long")


def open_page(pg, path: str = "") -> None:
    """Open a page by its URL path (e.g. "Kernels") and wait for its script to finish."""
    pg.goto(f"{pg.app_url}/{path}", wait_until="domcontentloaded")
    wait_idle(pg)


def assert_clean(pg) -> None:
    """No exception element and no traceback on the page."""
    assert pg.locator('[data-testid="stException"]').count() == 0, "an exception is shown on the page"
    body = pg.inner_text("body")
    assert "Traceback" not in body
    assert "Error" not in body.replace("st.error", ""), f"'Error' text on the page: {body[:500]}"


def screenshot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
