"""Real-browser fixtures: one `streamlit run app.py` per test session, driven by Debian's Chromium.

Under CI=true a missing Chromium fails the run (the Makefile installs it); elsewhere it skips with the
command that installs it. Screenshots go to artifacts/screenshots/ for a reviewer to look at.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, start_server

sys.path.insert(0, str(ROOT / "tests"))  # fixtures_hostile: the hostile files, shared with the unit tests


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _forget_old_reruns()
    for item in items:
        if "tests/e2e" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            # A real browser on a busy 2-core machine can miss a click's timing once; a second failure is real.
            # Only browser tests get a rerun: unit tests never do.
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    port = free_port()
    proc = start_server(port, ROOT / "artifacts" / "streamlit-e2e.log")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` (make test does, as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


# A browser test that failed once and passed on its rerun still says why it failed the first time: a line per
# try in the terminal summary (where it failed, and the error), the whole report in artifacts/reruns.log, and
# the page as it was then in artifacts/screenshots/RERUN_<test>.png. Without this a rerun that passes leaves no
# trace of its cause, and a rare race in a test or the app cannot be told from a slow machine.
RERUN_LOG = ROOT / "artifacts" / "reruns.log"
_first_tries: list[tuple[str, str]] = []


def _forget_old_reruns() -> None:
    """A new run: the last run's rerun reports and pictures would mislead a reviewer."""
    RERUN_LOG.unlink(missing_ok=True)
    for old in (ROOT / "artifacts" / "screenshots").glob("RERUN_*.png"):
        old.unlink()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.outcome != "rerun":  # pytest-rerunfailures' name for a failure it is about to try again
        return
    text = report.longreprtext
    crash = getattr(report.longrepr, "reprcrash", None)  # where it failed and the error's message
    why = f"{Path(crash.path).name}:{crash.lineno}: {crash.message.splitlines()[0][:300]}" if crash else text[-300:]
    _first_tries.append((f"{report.nodeid} ({report.when})", why))
    RERUN_LOG.parent.mkdir(parents=True, exist_ok=True)
    with RERUN_LOG.open("a", encoding="utf-8") as log:
        log.write(f"===== {report.nodeid} ({report.when}, try {getattr(report, 'rerun', 0) + 1})\n{text}\n")


def pytest_terminal_summary(terminalreporter) -> None:
    if _first_tries:
        terminalreporter.section("browser tests rerun: why the first try failed")
        for where, last_line in _first_tries:
            terminalreporter.write_line(f"{where}: {last_line}")
        terminalreporter.write_line(f"whole reports: {RERUN_LOG.relative_to(ROOT)}")


@pytest.fixture
def page(browser, app_url, request):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(60_000)
    outside: list[str] = []  # the app must make no calls out of a lecture hall's network (issue 6)
    context.on("request", lambda r: None if r.url.startswith((app_url, "data:", "blob:")) else outside.append(r.url))
    pg = context.new_page()
    pg.app_url = app_url
    yield pg
    failed_shot = ROOT / "artifacts" / "screenshots" / f"FAILED_{request.node.name}.png"
    if getattr(request.node, "failed_call", False):  # what the page looked like when the test failed
        with contextlib.suppress(Exception):  # a dead page must not hide the real failure
            pg.screenshot(path=str(failed_shot))
    elif getattr(request.node, "execution_count", 1) > 1 and failed_shot.exists():  # passed on its rerun
        failed_shot.replace(failed_shot.with_name(f"RERUN_{request.node.name}.png"))
    else:
        failed_shot.unlink(missing_ok=True)  # a stale picture of an old failure would mislead a reviewer
    context.close()
    assert not outside, f"requests that left the server: {outside}"
