"""The single-file build runs `demo` with nothing but a Python interpreter: a fresh virtual
environment without pip, pytest or any agentops dependency.

Building agentops.pyz (scripts/build_pyz.sh) fetches the dependencies with pip, which the
default test run may not do, so this test uses a file built beforehand: $AGENTOPS_PYZ, else
dist/agentops.pyz. Without one it is skipped (CI builds it first).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

# Read at import: the autouse hermetic fixture removes AGENTOPS_* variables before each test.
_PYZ = Path(os.environ.get("AGENTOPS_PYZ") or Path(__file__).resolve().parents[2] / "dist" / "agentops.pyz")


@pytest.mark.skipif(not _PYZ.is_file(), reason=f"no {_PYZ}: run scripts/build_pyz.sh (or set AGENTOPS_PYZ)")
def test_pyz_runs_help_and_demo_in_an_empty_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    empty = subprocess.run([str(python), "-c", "import importlib.util as u; "
                            "print([m for m in ('typer', 'github', 'git', 'pytest', 'httpx') if u.find_spec(m)])"],
                           capture_output=True, text=True, timeout=60)
    assert empty.stdout.strip() == "[]"  # really nothing installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    helped = subprocess.run([str(python), str(_PYZ), "--help"], capture_output=True, text=True, timeout=120,
                            env=env, cwd=tmp_path)
    assert helped.returncode == 0 and "demo" in helped.stdout
    res = subprocess.run([str(python), str(_PYZ), "demo", "--json", "--workdir", str(tmp_path / "w")],
                         capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-4000:]
    doc = json.loads(res.stdout)
    assert doc["ok"] is True and all(s["status"] == "ok" for s in doc["steps"])
    # No pytest in that venv: the gate falls back to the stdlib runner, still with JUnit.
    assert "unittest with JUnit (pytest not installed)" in doc["steps"][0]["summary"]
    assert doc["steps"][6]["figures"]["tests"] == 4 and doc["steps"][6]["figures"]["passed"] is True
    assert doc["cleanup"]["left_running"] == [] and list((tmp_path / "w").iterdir()) == []
