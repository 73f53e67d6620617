"""The single-file build runs `--help` and `demo` with nothing but a Python interpreter: a fresh
virtual environment without pip, pytest or any agentops dependency.

Uses the session's `agentops_pyz` (built once by scripts/build_pyz.sh, see tests/fixtures/pyz.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.pyz import run_pyz

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("pyz")]


def test_pyz_runs_help_and_demo_in_an_empty_venv(tmp_path: Path, agentops_pyz: Path, bare_python: Path) -> None:
    empty = subprocess.run([str(bare_python), "-c", "import importlib.util as u; "
                            "print([m for m in ('typer', 'github', 'git', 'pytest', 'httpx') if u.find_spec(m)])"],
                           capture_output=True, text=True, timeout=60)
    assert empty.stdout.strip() == "[]"  # really nothing installed
    helped = run_pyz(bare_python, agentops_pyz, "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "demo" in helped.stdout
    res = run_pyz(bare_python, agentops_pyz, "demo", "--json", "--workdir", str(tmp_path / "w"), cwd=tmp_path,
                  timeout=600)  # a hang guard, not a timing
    assert res.returncode == 0, res.stderr[-4000:]
    doc = json.loads(res.stdout)
    assert doc["ok"] is True and all(s["status"] == "ok" for s in doc["steps"])
    # No pytest in that venv: the gate falls back to the stdlib runner, still with JUnit.
    assert "unittest with JUnit (pytest not installed)" in doc["steps"][0]["summary"]
    assert doc["steps"][6]["figures"]["tests"] == 4 and doc["steps"][6]["figures"]["passed"] is True
    assert doc["cleanup"]["left_running"] == [] and list((tmp_path / "w").iterdir()) == []
