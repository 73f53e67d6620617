"""The single-file build: dist/agentops.pyz runs with nothing but a Python interpreter.

Building takes about 20-30 s (pip resolves the dependencies from PyPI) and happens once per
session (tests/fixtures/pyz.py); set AGENTOPS_SKIP_PYZ=1 to skip offline.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.pyz import run_pyz

# One build per session: keep every .pyz test on the same xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("pyz")


def test_the_pyz_carries_the_templates(agentops_pyz: Path) -> None:
    names = zipfile.ZipFile(agentops_pyz).namelist()
    assert any(n.endswith("agentops/templates/workflows/agentops-code.yml") for n in names)
    assert any(n.endswith("agentops/templates/devcontainers/code-agent/devcontainer.json") for n in names)
    assert agentops_pyz.read_bytes().startswith(b"#!/usr/bin/env python3\n")


def test_the_pyz_runs_help_and_init_in_an_empty_venv(agentops_pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    empty = subprocess.run([str(bare_python), "-c", "import typer"], capture_output=True, timeout=60)
    assert empty.returncode != 0, "the bare venv must not see agentops' dependencies"

    res = run_pyz(bare_python, agentops_pyz, "--help", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "init" in res.stdout and "bootstrap" in res.stdout

    target = tmp_path / "target"
    made = run_pyz(bare_python, agentops_pyz, "init", "--path", str(target), "--no-labels", "--json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["changed"] is True
    assert (target / ".github" / "workflows" / "agentops-deploy.yml").is_file()


def test_the_pyz_runs_from_bytecode_where_python_writes_none(agentops_pyz: Path, bare_python: Path,
                                                             tmp_path: Path) -> None:
    """Built with shiv --compile-pyc: the first run compiles what it extracts, so a later run under
    PYTHONDONTWRITEBYTECODE=1 (containers) loads agentops and its dependencies from .pyc files."""
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    first = run_pyz(bare_python, agentops_pyz, "--help", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    pycs = list((tmp_path / ".shiv").rglob("agentops/cli/__pycache__/__init__.*.pyc"))
    assert pycs, "no bytecode next to the extracted agentops"
    second = run_pyz(bare_python, agentops_pyz, "--help", cwd=tmp_path, env={**env, "PYTHONVERBOSE": "1"})
    assert second.returncode == 0
    log = second.stderr
    assert re.search(r"code object from '[^']*agentops/cli/__pycache__/__init__\.[^']*\.pyc'", log), log[-3000:]
    assert re.search(r"code object from '[^']*typer/__pycache__/main\.[^']*\.pyc'", log)
    assert not re.search(r"code object from '[^']*site-packages/agentops/cli/__init__\.py'", log)
