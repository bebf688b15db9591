"""A lecture hall at once: N browser sessions classify uploaded digits against one local server.

One ``streamlit run app.py`` on a free port; one headless Chromium with N separate browser contexts (each
its own Streamlit session and websocket). Every session opens the Classify page, picks "Upload a photo",
and then, for each round, uploads a different digit photo and waits for "Prediction: <label>". Reported:
successes, median and 95th-percentile time from upload to prediction (and of the first page load), the
server's own share of it (the Classify script's time per prediction, which the page logs when
``CNNVIZ_TIMING_LOG`` is set), the CPU
seconds per prediction spent during the rounds by the server and by the Chromium sessions (which in a lecture
hall run on thirty laptops, here on the server's two cores), and the server's resident memory (RSS, process
and children) sampled every 0.2 s: the peak, and after each round (it must not grow round over round: the
model and datasets are shared, not copied per session).

``--wire``: the server's side of a lecture hall. The same students, but their browsers are not on this
machine: each is a ``_streamlit_wire.WireSession``, which sends and receives what Streamlit's front end
does (the page, the radio, the upload) without drawing it. In a lecture the thirty front ends run on
thirty laptops; with Chromium here they share the server's two cores, which the rows with browsers show.

``--train``: "training while others browse". One more session starts a short training run on the Train
page while the N sessions classify; nobody may see an error, the training must finish, and the shipped
checkpoint must be unchanged (file hash, and weights after a fresh load).

Run: ``.venv/bin/python bench/load_test.py --sessions 10 --rounds 3 [--train]``.
``main()`` prints a markdown table and returns it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from _streamlit_wire import WireSession  # noqa: E402
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, IDLE_JS, free_port, start_server  # noqa: E402
from fixtures_hostile import digit_photo  # noqa: E402

SHIPPED = ROOT / "assets" / "mnist_convnet.pt"
DIGITS = (0, 1, 2, 3, 4, 7, 8, 11, 18, 61)  # MNIST test images the shipped convnet gets right: 7 2 1 0 4 9 5 6 3 8
TIMEOUT_MS = 120_000
WIRE_BROWSERS = 3  # --wire: this many of the students (at most all but one) are Chromium pages: what a student sees
UPLOAD_LABEL = "Upload a photo of a digit"  # the Classify page's uploader (and the reference page's)
# How the sessions watch their page. The prediction is awaited inside the page (a MutationObserver that
# looks for the card when the DOM changes): one message per prediction instead of Playwright's text search,
# which scans the whole page's text and backs off to one look every 500 ms, or a poll every 100 ms, which
# for thirty sessions is 300 round trips a second through the browser. The times measured are the app's,
# not the harness's, and thirty watching sessions do not eat the CPU the app needs.
POLL_MS = 100  # only while pages load
PREDICTION_SHOWN_JS = """(digit) => new Promise((resolve) => {
    const shown = () => {
        const card = document.querySelector('.cnnviz-prediction');
        return !!card && card.dataset.digit === digit && card.textContent.includes('Prediction: ' + digit);
    };
    if (shown()) return resolve(true);
    const observer = new MutationObserver(() => {
        if (shown()) { observer.disconnect(); resolve(true); }
    });
    observer.observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
})"""


@dataclass
class Results:
    load_s: list[float] = field(default_factory=list)
    predict_s: list[float] = field(default_factory=list)
    browser_predict_s: list[float] = field(default_factory=list)  # --wire: the few Chromium students' own times
    failures: list[str] = field(default_factory=list)
    rss_after_round: list[float] = field(default_factory=list)
    train: str = ""
    cpu_rounds: dict[str, float] = field(default_factory=dict)  # CPU seconds spent during the rounds, by whom
    rounds_window: tuple[float, float] = (0.0, 0.0)  # time.time() when the first round started, the last ended
    script_s: list[float] = field(default_factory=list)  # the Classify script's own time per prediction


class MemorySampler(threading.Thread):
    """The peak RSS (MB) of a process and its children, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process, self.peak, self._stop = psutil.Process(pid), 0.0, threading.Event()

    def rss_mb(self) -> float:
        try:
            procs = [self.process, *self.process.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20
        except psutil.Error:
            return 0.0

    def run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.rss_mb())

    def stop(self) -> None:
        self._stop.set()


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the server's process tree and by this script's browsers;
    and, machine-wide, all busy CPU seconds ("machine") and those the hypervisor gave to other guests ("stolen").

    The browsers are Chromium processes below this process (Playwright's driver starts them); what a
    lecture hall spreads over thirty laptops runs here on the server's own two cores. Machine minus server
    and browsers is everything else that ran meanwhile (this harness, other work on a shared machine):
    with "stolen", it tells a slow run on a busy machine from a slower app.
    """
    machine = psutil.cpu_times()
    busy = machine.user + machine.nice + machine.system + getattr(machine, "irq", 0) + getattr(machine, "softirq", 0)
    totals = {"server": 0.0, "browsers": 0.0, "machine": busy, "stolen": getattr(machine, "steal", 0.0)}
    server = psutil.Process(server_pid)
    for who, processes in (
        ("server", [server, *server.children(recursive=True)]),
        ("browsers", psutil.Process().children(recursive=True)),
    ):
        for process in processes:
            try:
                if who == "server" or "chrom" in process.name().lower():
                    times = process.cpu_times()
                    totals[who] += times.user + times.system
            except psutil.Error:
                continue  # a renderer that has just exited
    return totals


async def _idle(page, timeout_s: float = 120, quiet_s: float = 0.6) -> None:
    deadline, quiet_since = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        if await page.evaluate(IDLE_JS):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet_s:
                return
        else:
            quiet_since = None
        await asyncio.sleep(POLL_MS / 1000)
    raise TimeoutError("the page kept running")


async def _exception_shown(page) -> bool:
    return await page.locator('[data-testid="stException"]').count() > 0


class BrowserStudent:
    """A student's browser: one Chromium context (its own Streamlit session) on the Classify page."""

    def __init__(self, browser, url: str) -> None:
        self.browser, self.url, self.context, self.page = browser, url, None, None

    async def open(self) -> None:
        self.context = await self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = await self.context.new_page()
        await self.page.goto(self.url, wait_until="domcontentloaded")
        await self.page.locator('[data-testid="stRadio"] label').get_by_text("Upload a photo", exact=True).click()
        await self.page.locator('[data-testid="stFileUploader"]').wait_for()
        await _idle(self.page)

    async def classify(self, name: str, data: bytes, label: int) -> None:
        """Upload ``data`` and return once the page shows "Prediction: <label>"."""
        await self.page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            {"name": name, "mimeType": "image/png", "buffer": data}
        )
        await asyncio.wait_for(self.page.evaluate(PREDICTION_SHOWN_JS, str(label)), TIMEOUT_MS / 1000)

    async def exception_shown(self) -> bool:
        return await _exception_shown(self.page)

    async def close(self) -> None:
        if self.context is not None:
            await self.context.close()


class WireStudent:
    """A student whose browser runs on their own laptop: Streamlit's messages without the drawing
    (``_streamlit_wire``), so the server's two cores do only the server's work."""

    def __init__(self, url: str) -> None:
        self.base_url, self.page_name = url.rsplit("/", 1)
        self.session: WireSession | None = None

    async def open(self) -> None:
        self.session = await WireSession.open(self.base_url, self.page_name)
        await self.session.choose("Digit source", "Upload a photo")
        await self.session.widget(UPLOAD_LABEL, TIMEOUT_MS / 1000)

    async def classify(self, name: str, data: bytes, label: int) -> None:
        await self.session.upload(UPLOAD_LABEL, name, data)
        await self.session.wait_for_html(
            lambda body: f"data-digit='{label}'" in body and f"Prediction: {label}" in body, TIMEOUT_MS / 1000
        )

    async def exception_shown(self) -> bool:
        return bool(self.session.exceptions)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


def wire_browsers(sessions: int) -> int:
    """How many of ``sessions`` --wire students are Chromium pages."""
    return max(0, min(WIRE_BROWSERS, sessions - 1))


async def classify_session(student, photos, results: Results, who: int, rounds: Rounds) -> None:
    """One student: open the Classify page, pick "Upload a photo", upload a different digit each round."""
    next_round = 0
    try:
        started = time.perf_counter()
        await student.open()
        results.load_s.append(time.perf_counter() - started)
        for round_index, barrier in enumerate(rounds.barriers):
            await barrier.wait()  # everybody uploads at the same moment, as in a lecture
            data, label = photos[(who + round_index) % len(photos)]
            started = time.perf_counter()
            await student.classify(f"digit_s{who}_r{round_index}.png", data, label)
            results.predict_s.append(time.perf_counter() - started)
            if isinstance(student, BrowserStudent):
                results.browser_predict_s.append(results.predict_s[-1])
            if await student.exception_shown():
                results.failures.append(f"session {who} round {round_index}: exception shown")
            rounds.done[round_index] += 1
            next_round = round_index + 1
    except Exception as exc:  # noqa: BLE001 - a failed session is a result, not a crash of the benchmark
        results.failures.append(f"session {who}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
        rounds.give_up(next_round)
    finally:
        await rounds.measured.wait()  # keep the renderer alive until its CPU time has been read
        await student.close()


async def train_session(browser, url: str, results: Results) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    try:
        started = time.perf_counter()
        await page.goto(url.replace("/Classify", "/Train"), wait_until="domcontentloaded")
        await _idle(page)
        box = page.locator('input[aria-label="Training images (0 = all 60,000)"]')
        await box.fill("6000")
        await box.press("Tab")
        await page.get_by_role("button", name="Start training").click()
        await page.get_by_text("Download the checkpoint").wait_for(timeout=600_000)
        ok = not await _exception_shown(page) and await page.locator('[data-testid="stAlertContentError"]').count() == 0
        results.train = f"finished in {time.perf_counter() - started:.0f} s" + ("" if ok else ", with an error shown")
        if not ok:
            results.failures.append("training session: error shown")
    except Exception as exc:  # noqa: BLE001
        results.train = "did not finish"
        results.failures.append(f"training session: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    finally:
        await context.close()


class RoundBarrier:
    """An asyncio barrier that a dying session can open for everybody."""

    def __init__(self, parties: int) -> None:
        self.parties, self.arrived, self.event = parties, 0, asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.parties:
            self.event.set()
        await self.event.wait()

    def abandon(self) -> None:
        self.parties -= 1
        if self.arrived >= self.parties:
            self.event.set()


class Rounds:
    """The sessions' rounds: a start barrier per round, how many sessions have finished each, and an event
    set once the measurements are taken (so no browser closes, losing its CPU count, before that)."""

    def __init__(self, sessions: int, rounds: int) -> None:
        self.sessions, self.barriers = sessions, [RoundBarrier(sessions) for _ in range(rounds)]
        self.done, self.measured = [0] * rounds, asyncio.Event()

    def give_up(self, first: int) -> None:
        """A session died before round ``first``: nobody waits for it from there on."""
        for index in range(first, len(self.done)):
            self.barriers[index].abandon()
            self.done[index] += 1

    async def finished(self, index: int) -> None:
        while self.done[index] < self.sessions:
            await asyncio.sleep(0.2)


async def run_load(
    url: str, sessions: int, rounds: int, train: bool, sampler: MemorySampler, server_pid: int, wire: bool = False
) -> Results:
    """``wire``: the students are ``WireStudent``s (no browser drawing on this machine), not Chromium pages."""
    from playwright.async_api import async_playwright

    photos = [digit_photo(i) for i in DIGITS]
    results = Results()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        progress = Rounds(sessions, rounds)

        async def watch_rounds() -> None:  # RSS once every session has finished a round; CPU over the rounds
            await progress.barriers[0].event.wait()
            before, first = cpu_seconds(server_pid), time.time()
            for index in range(rounds):
                await progress.finished(index)
                results.rss_after_round.append(sampler.rss_mb())
            after = cpu_seconds(server_pid)
            results.cpu_rounds = {who: after[who] - before[who] for who in after}
            results.rounds_window = (first, time.time())
            progress.measured.set()

        students = [
            WireStudent(url) if wire and i >= wire_browsers(sessions) else BrowserStudent(browser, url)
            for i in range(sessions)
        ]
        tasks = [classify_session(student, photos, results, i, progress) for i, student in enumerate(students)]
        if train:
            tasks.append(train_session(browser, url, results))
        await asyncio.gather(watch_rounds(), *tasks)
        await browser.close()
    return results


def script_times(path: Path, first: float, last: float) -> list[float]:
    """Seconds the server spent in the Classify script per prediction, for runs started within [first, last].

    The page writes them (cnnviz_ui.classify.log_time) because $CNNVIZ_TIMING_LOG is set for this server.
    """
    if not path.is_file():
        return []
    times = []
    for line in path.read_text(encoding="utf-8").splitlines():
        started, seconds, what = line.split(maxsplit=2)
        if what == "classify" and first <= float(started) <= last:
            times.append(float(seconds))
    return times


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _fingerprint() -> tuple[str, list]:
    """(sha256 of the shipped checkpoint file, its weights after a fresh load)."""
    from cnnviz.checkpoints import load_checkpoint

    model, _ = load_checkpoint(SHIPPED)
    return hashlib.sha256(SHIPPED.read_bytes()).hexdigest(), [t.clone() for t in model.state_dict().values()]


def measure(
    sessions: int, rounds: int, train: bool, reference: bool = False, wire: bool = False
) -> tuple[Results, float, bool | None]:
    """Start a server, run the sessions, stop the server: (results, peak RSS MB, shipped model unchanged).

    ``reference``: serve bench/_reference_upload_app.py (a one-line answer) instead of cnnviz.
    ``wire``: students without a browser on this machine (``WireStudent``).
    """
    before = _fingerprint() if train else None
    port = free_port()
    name = f"load-test-{sessions}" + ("-reference" if reference else "") + ("-wire" if wire else "")
    timing = ROOT / "artifacts" / f"{name}-timing.log"
    timing.unlink(missing_ok=True)
    script, path = ("bench/_reference_upload_app.py", "/") if reference else ("app.py", "/Classify")
    server = start_server(port, ROOT / "artifacts" / f"{name}.log", {"CNNVIZ_TIMING_LOG": str(timing)}, script)
    sampler = MemorySampler(server.pid)
    sampler.start()
    try:
        url = f"http://127.0.0.1:{port}{path}"
        results = asyncio.run(run_load(url, sessions, rounds, train, sampler, server.pid, wire))
    finally:
        sampler.stop()
        server.terminate()
        server.wait(15)
    results.script_s = script_times(timing, *results.rounds_window)
    unchanged = None
    if before is not None:
        after = _fingerprint()
        unchanged = before[0] == after[0] and all((a == b).all() for a, b in zip(before[1], after[1], strict=True))
    return results, sampler.peak, unchanged


def row(sessions: int, rounds: int, train: bool = False, reference: bool = False, wire: bool = False) -> str:
    results, peak, unchanged = measure(sessions, rounds, train, reference, wire)
    total = sessions * rounds
    ok = len(results.predict_s)
    rss = " → ".join(f"{m:.0f}" for m in results.rss_after_round)
    scenario = f"{sessions} sessions × {rounds} rounds" + (" + 1 training" if train else "")
    if wire:
        scenario = (
            f"{sessions} sessions × {rounds} rounds, {sessions - wire_browsers(sessions)} of them with their browser "
            f"on their own laptop (Streamlit's protocol, no drawing on this machine), {wire_browsers(sessions)} in "
            "Chromium here"
        )
    if reference:
        scenario = f"reference: a one-line answer (bench/_reference_upload_app.py), {scenario}"
    extra = ""
    if train:
        extra = f"training {results.train}; shipped model {'unchanged' if unchanged else 'CHANGED'}"
    if results.failures:
        extra += ("; " if extra else "") + f"{len(results.failures)} failures, e.g. " + "; ".join(results.failures[:2])
    per = {"server": max(ok, 1), "browsers": max(len(results.browser_predict_s) if wire else ok, 1)}
    cpu = " / ".join(f"{results.cpu_rounds.get(who, float('nan')) / per[who]:.2f}" for who in ("server", "browsers"))
    if results.cpu_rounds and results.rounds_window:
        seconds = (results.rounds_window[1] - results.rounds_window[0]) * (psutil.cpu_count() or 1)
        others = results.cpu_rounds["machine"] - results.cpu_rounds["server"] - results.cpu_rounds["browsers"]
        extra += ("; " if extra else "") + (
            f"other processes (the harness, the rest of the machine) {others / max(ok, 1):.2f} CPU s per prediction, "
            f"stolen by the host {results.cpu_rounds['stolen'] / max(seconds, 1e-9):.0%} of the CPU time"
        )
    if wire and results.browser_predict_s:
        times = results.browser_predict_s
        extra += ("; " if extra else "") + (
            f"the Chromium students: upload→prediction median {statistics.median(times):.2f} s, "
            f"slowest {max(times):.2f} s"
        )
    return (
        f"| {scenario} | {ok}/{total} | {statistics.median(results.predict_s) if ok else float('nan'):.2f} | "
        f"{_percentile(results.predict_s, 0.95):.2f} | {_percentile(results.script_s, 0.5):.2f} / "
        f"{_percentile(results.script_s, 0.95):.2f} | {cpu} | {_percentile(results.load_s, 0.5):.1f} / "
        f"{_percentile(results.load_s, 0.95):.1f} | {peak:.0f} | {rss} | {extra} |"
    )


HEADER = [
    "| scenario | predictions | median upload→prediction (s) | p95 (s) | server script time median / p95 (s) | "
    "CPU s per prediction: server / browsers | page load median / p95 (s) | server peak RSS (MB) | "
    "RSS after each round (MB) | notes |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train", action="store_true", help="also: 1 session trains while 10 classify")
    parser.add_argument(
        "--wire",
        action="store_true",
        help="also: the largest N as browserless sessions (the server's side of a lecture hall)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also: the largest N against bench/_reference_upload_app.py, the least such a page can do",
    )
    args = parser.parse_args(argv)
    largest = max(args.sessions)
    scenarios = [{"sessions": n} for n in args.sessions]
    scenarios += [{"sessions": 10, "train": True}] if args.train else []
    scenarios += [{"sessions": largest, "wire": True}] if args.wire else []
    scenarios += [{"sessions": largest, "reference": True}] if args.reference else []
    lines = list(HEADER)
    for scenario in scenarios:
        lines.append(row(rounds=args.rounds, **scenario))
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print()
    print(table)
    return table


if __name__ == "__main__":
    main()
