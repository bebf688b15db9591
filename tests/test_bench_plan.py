"""``make bench`` runs exactly the benchmark scripts: every runnable bench script, and no helper module."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import run_all  # noqa: E402


def _runnable(path: Path) -> bool:
    return 'if __name__ == "__main__":' in path.read_text()


def test_the_plan_is_every_runnable_script_and_no_helper():
    planned = {script for script, *_ in run_all.make_plan()}
    runnable = {p.name for p in BENCH.glob("*.py") if _runnable(p)} - {"run_all.py"}
    assert planned == runnable
    assert "load_test.py" in planned and "_streamlit_wire.py" not in planned


def test_only_keeps_the_named_scripts_in_order():
    plan = run_all.make_plan(["page_rerun.py", "filter_speed.py"])
    assert [script for script, *_ in plan] == ["filter_speed.py", "page_rerun.py"]
