"""``make bench``: run every bench/ script, each in its own process, and write bench/results.md.

Each script prints its own markdown (tables measured against a reference in the same run); this collects
them under one header naming the machine (cores, CPU model, torch version, date, load when started). Sections
titled "Measured by hand" are kept from the previous file: no script makes them. A script that fails is
reported as failed in the file; the others still run. The README links to the file instead of copying it.

Run: ``.venv/bin/python bench/run_all.py [--quick] [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

from _machine import cpu_model  # bench/ is on sys.path when a bench script runs

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results.md"
BY_HAND = "Measured by hand"  # sections written by a person, kept across runs

# (script, title, full arguments, --quick arguments); scripts not listed here run after these, without arguments.
SCRIPTS = [
    ("filter_speed.py", "Filtering: apply_kernel vs scipy.signal.convolve2d", [], []),
    (
        "train_speed.py",
        "Training: images/s vs the plain PyTorch loop, seconds per epoch",
        [],
        ["--images", "2560", "--repeats", "1"],
    ),
    ("predict_speed.py", "Prediction latency", [], []),
    ("explain_speed.py", "One unit explained (explain_unit) vs one forward pass", [], []),
    (
        "imagenet_speed.py",
        "ImageNet photo to top-5 (EfficientNet-Lite0) vs its bare forward pass",
        ["--repeat", "40"],
        ["--repeat", "10"],
    ),
    (
        "photos_memory.py",
        "Photos page: memory across 30 uploads, and a class change from cache",
        [],
        ["--uploads", "6", "--changes", "2"],
    ),
    ("preprocess_quality.py", "Photo preprocessing: accuracy on degraded digits", [], ["--per", "50"]),
    ("bench_summarize.py", "Conv arithmetic: summarize vs a real forward pass", [], []),
    ("page_rerun.py", "Page script times", [], ["--repeats", "2"]),
    ("page_weight.py", "What a browser downloads: each page opened afresh, and the whole app", [], []),
    (
        "load_test.py",
        "Many users at once (one local server: Chromium sessions, and protocol sessions)",
        ["--sessions", "10", "30", "--rounds", "3", "--train", "--wire", "--reference"],
        ["--sessions", "3", "--rounds", "1", "--wire"],
    ),
]
TIMEOUT_S = 3600


def machine_line() -> str:
    import torch

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (
        f"Measured on **{os.cpu_count()} cores, {cpu_model()}**, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, torch {torch.__version__} (CPU threads: {torch.get_num_threads()}), "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}. Load average when started: {load} "
        "(a shared machine makes every time longer; ratios measured in the same run stay comparable)."
    )


def run_script(script: str, args: list[str]) -> tuple[str, float, int]:
    """(stdout, seconds, exit code) of one bench script in its own process."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(BENCH / script), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return out + f"\n\n**Timed out after {TIMEOUT_S} s.**", time.perf_counter() - started, -1
    out = done.stdout
    if done.returncode:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        out += f"\n\n**Failed (exit {done.returncode}):**\n\n```\n{tail}\n```"
    return out, time.perf_counter() - started, done.returncode


def _clean(output: str) -> str:
    """Drop Streamlit's bare-mode warnings and blank runs; keep tables and sentences."""
    keep = [line for line in output.splitlines() if "ScriptRunContext" not in line and "WARNING streamlit" not in line]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(keep)).strip()


def _dedupe_tables(text: str) -> str:
    """Scripts print their rows as they go and the full table at the end: keep the last copy of each row."""
    lines = text.splitlines()
    seen: set[str] = set()
    kept = []
    for line in reversed(lines):
        if line.startswith("| ") and not line.startswith("|---") and line in seen:
            continue
        seen.add(line)
        kept.append(line)
    return "\n".join(reversed(kept))


def merge_sections(previous: str, fresh: list[str]) -> list[str]:
    """``--only``: the previous results with the re-run scripts' sections replaced (and a note of when)."""
    old = previous.split("\n### ")
    head = old[0].split("\n\n", 2)[-1].strip()  # the machine line(s) of the full run
    kept = {part.split("\n", 1)[0]: "### " + part.rstrip() for part in old[1:]}  # joined again by blank lines
    for section in fresh[1:]:
        title = section.split("\n", 1)[0][4:]
        kept[title] = section.replace("\n\n", f"\n\nRe-run alone: {fresh[0]}\n\n", 1)
    return [head, *kept.values()]


def by_hand_sections(previous: str) -> list[str]:
    """The previous results' sections titled "Measured by hand ...", which a full run keeps as they are."""
    return ["### " + part.rstrip() for part in previous.split("\n### ")[1:] if part.startswith(BY_HAND)]


def make_plan(only: list[str] | None = None) -> list[tuple[str, str, list[str], list[str]]]:
    """The scripts to run: ``SCRIPTS`` in order, then any other bench script.

    Modules whose name starts with ``_`` are helpers the scripts import (the machine line, the reference
    app, the protocol client), not benchmarks. ``only`` names scripts with or without ".py".

    Raises:
        ValueError: ``only`` names a script that is not a benchmark (a typo once ran nothing, silently).
    """
    listed = {s[0] for s in SCRIPTS}
    extra = [
        (p.name, p.stem.replace("_", " "), [], [])
        for p in sorted(BENCH.glob("*.py"))
        if p.name not in listed and p.name != Path(__file__).name and not p.name.startswith("_")
    ]
    every = [s for s in SCRIPTS + extra if (BENCH / s[0]).exists()]
    if not only:
        return every
    wanted = {name if name.endswith(".py") else f"{name}.py" for name in only}
    if unknown := wanted - {s[0] for s in every}:
        raise ValueError(
            f"no benchmark called {', '.join(sorted(unknown))}; they are: {', '.join(s[0] for s in every)}"
        )
    return [s for s in every if s[0] in wanted]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for checking the pipeline")
    parser.add_argument("--only", nargs="+", help="script names to run (default: all)")
    args = parser.parse_args(argv)
    try:
        plan = make_plan(args.only)
    except ValueError as exc:
        parser.error(str(exc))
    sections = [machine_line()]
    if args.quick:
        sections.append("**Quick run (`--quick`): small sizes, not the published figures.**")
    for script, title, full, quick in plan:
        print(f"== {script} …", flush=True)
        output, seconds, code = run_script(script, quick if args.quick else full)
        status = "" if code == 0 else " (FAILED)"
        sections.append(
            f"### {title}{status}\n\n`bench/{script}`, {seconds:.0f} s.\n\n{_dedupe_tables(_clean(output))}"
        )
        print(sections[-1], flush=True)
    if not args.quick and RESULTS.exists():
        previous = RESULTS.read_text()
        sections = merge_sections(previous, sections) if args.only else sections + by_hand_sections(previous)
    body = "\n\n".join(sections)
    RESULTS.write_text(f"# cnnviz benchmark results\n\nGenerated by `make bench` (bench/run_all.py).\n\n{body}\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}", flush=True)
    return body


if __name__ == "__main__":
    main()
