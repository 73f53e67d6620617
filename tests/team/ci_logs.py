"""Real CI logs for the tests: pytest really runs on a small failing project and its output is
framed the way GitHub Actions stores a job log (a timestamp per line, group markers)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

FAILING_TEST = """
def add(a, b):
    return a - b


def test_add():
    assert add(1, 2) == 3


def test_ok():
    assert add(2, 0) == 2
"""


def real_pytest_failure(tmp: Path) -> str:
    """The output of a real pytest run with one failing test, as an Actions job log."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "test_calc.py").write_text(FAILING_TEST, encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE", "test_calc.py"],
                         cwd=tmp, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    return actions_log(["##[group]Run python -m pytest", *res.stdout.splitlines(), "##[endgroup]",
                        "##[error]Process completed with exit code 1."])


def actions_log(lines: list[str]) -> str:
    t = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    stamp = t.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    return "".join(f"{stamp} {line}\n" for line in lines)
