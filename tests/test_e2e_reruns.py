"""The browser suite's reruns leave a trace: a test that fails once and passes on its rerun says why it failed.

Runs the real ``tests/e2e/conftest.py`` (and its helpers) in a throwaway project with pytest's ``pytester``, in a
subprocess so its ``e2e_helpers`` finds that project as its root. The test there fails on its first try only, and
needs no browser; the page screenshot kept as ``RERUN_<test>.png`` needs one and was checked by hand.
"""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
E2E = Path(__file__).parent / "e2e"
FLAKY_TEST = """
from pathlib import Path

def test_fails_the_first_time():
    mark = Path(__file__).parent / "tried"
    if not mark.exists():
        mark.write_text("once")
        assert 2 + 2 == 5, "a race lost on the first try"
"""


@pytest.fixture
def e2e_project(pytester: pytest.Pytester) -> Path:
    folder = pytester.path / "tests" / "e2e"
    folder.mkdir(parents=True)
    for name in ("conftest.py", "e2e_helpers.py"):
        (folder / name).write_text((E2E / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "test_flaky.py").write_text(FLAKY_TEST, encoding="utf-8")
    pytester.makeini("[pytest]\nmarkers =\n    e2e: browser test\n")
    return folder


def test_a_rerun_that_passes_still_reports_its_first_failure(pytester: pytest.Pytester, e2e_project: Path):
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 1, "rerun": 1}
    result.stdout.fnmatch_lines(
        [
            "*browser tests rerun: why the first try failed*",
            "tests/e2e/test_flaky.py::test_fails_the_first_time (call): test_flaky.py:*: AssertionError: "
            "a race lost on the first try",
            "whole reports: artifacts/reruns.log",
        ]
    )
    log = (pytester.path / "artifacts" / "reruns.log").read_text(encoding="utf-8")
    assert "===== tests/e2e/test_flaky.py::test_fails_the_first_time (call, try 1)" in log
    assert "assert 2 + 2 == 5" in log  # the whole report, source line included

    # The next run passes at once: no summary section, and the old report is gone.
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    assert result.parseoutcomes() == {"passed": 1}
    assert "browser tests rerun" not in result.stdout.str()
    assert not (pytester.path / "artifacts" / "reruns.log").exists()
