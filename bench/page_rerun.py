"""How long does each page's script take to run with its default inputs? (AppTest: no browser, no network.)

For every page: its first run (which also loads the models and datasets it needs, unless an earlier page
in this process already did: they are cached per server), then ``--repeats`` reruns of the same session,
of which the median is reported. That is the server-side time a student waits after each click, before
the browser draws.

Run: ``.venv/bin/python bench/page_rerun.py``. ``main()`` prints a markdown table and returns it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def upload_a_digit_photo(app) -> None:
    """Classify with an uploaded digit photo: every rerun preprocesses, predicts and draws the results."""
    from fixtures_hostile import digit_photo

    app.radio(key="classify_source").set_value("Upload a photo").run()
    data, _ = digit_photo(3)
    app.file_uploader(key="classify_upload").upload("digit.png", data, "image/png").run()


# Pages whose defaults show little, timed once more after a set-up: (label, page file, set-up).
SCENARIOS = [("Classify, an uploaded photo", "4_Classify.py", upload_a_digit_photo)]


def page_files() -> list[Path]:
    """The home script and every page, in menu order."""
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("[0-9]*_*.py"))]


def time_page(path: Path, repeats: int, set_up=None) -> tuple[float, float, str]:
    """(first run s, median rerun s, problem or "") for one page with its default inputs or after ``set_up``."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(path), default_timeout=300)
    started = time.perf_counter()
    app.run()
    first = time.perf_counter() - started
    if set_up is not None and not app.exception:
        set_up(app)
    if app.exception:
        return first, float("nan"), f"exception: {app.exception[0].message[:80]}"
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times), ""


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed reruns per page")
    args = parser.parse_args(argv)
    lines = [
        f"Page script run times with default inputs (AppTest, no browser; median of {args.repeats} reruns)",
        "",
        "| page | first run (s) | rerun, median (s) | note |",
        "|---|---:|---:|---|",
    ]
    for path in page_files():
        first, rerun, problem = time_page(path, args.repeats)
        name = "Home (app.py)" if path.name == "app.py" else path.stem.split("_", 1)[1].replace("_", " ")
        lines.append(f"| {name} | {first:.2f} | {rerun:.3f} | {problem} |")
        print(lines[-1], flush=True)
    for name, page, set_up in SCENARIOS:
        _, rerun, problem = time_page(ROOT / "pages" / page, args.repeats, set_up)
        lines.append(f"| {name} | – | {rerun:.3f} | {problem} |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print()
    print(table)
    return table


if __name__ == "__main__":
    main()
