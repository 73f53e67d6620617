from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentops.cli import app
from agentops.state import docs
from agentops.state.store import Store

BAD = {
    "truncated": b'{\n  "kind": "orchestrator/task-queue",\n  "records": {\n    "o/r#1": {\n      "da',
    "not-json": b"<<<<<<< HEAD\nnot json\n",
    "newer": b'{"schema_version": 7, "kind": "orchestrator/task-queue", "records": {}}\n',
}


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTOPS_STATE_DIR", str(tmp_path / "state"))
    root = tmp_path / "state"
    s = Store(root, writer="w")
    s.put(docs.METRICS, "m", {"v": 1})
    s.append(docs.COSTS, {"cost_usd": 0.5})
    return root


@pytest.mark.parametrize("case", sorted(BAD))
def test_check_and_show_exit_2_naming_the_file(state_dir: Path, case: str) -> None:
    bad = state_dir / "orchestrator" / "task-queue.json"
    bad.write_bytes(BAD[case])
    runner = CliRunner()
    res = runner.invoke(app, ["state", "check"])
    assert res.exit_code == 2
    assert str(bad) in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["state", "show", docs.TASK_QUEUE, "--json"])
    assert res.exit_code == 2
    err = json.loads(res.stdout)["error"]
    assert err["exit_code"] == 2 and str(bad) in err["message"]
    if case == "newer":
        assert "newer" in err["message"]
    assert bad.read_bytes() == BAD[case]


def test_real_cli_process_exit_code(state_dir: Path) -> None:
    bad = state_dir / "orchestrator" / "task-queue.json"
    bad.write_bytes(BAD["truncated"])
    res = subprocess.run([sys.executable, "-m", "agentops", "state", "check"], capture_output=True,
                         text=True, env={**os.environ}, timeout=60)
    assert res.returncode == 2, res.stderr
    assert "task-queue.json" in res.stderr and "Traceback" not in res.stderr
    assert bad.read_bytes() == BAD["truncated"]


def test_check_ok_and_show(state_dir: Path) -> None:
    (state_dir / "repo-scout").mkdir()
    (state_dir / "repo-scout" / "issue-tracker.json").write_text('{"fp": {"issue": 4}}\n')  # old layout
    runner = CliRunner()
    res = runner.invoke(app, ["state", "check", "--json"])
    assert res.exit_code == 0, res.output
    names = {f["name"] for f in json.loads(res.stdout)["files"]}
    assert names == {"orchestrator/metrics", "costs", "repo-scout/issue-tracker"}
    res = runner.invoke(app, ["state", "show", docs.ISSUE_TRACKER, "--json"])
    assert json.loads(res.stdout)["records"] == {"fp": {"issue": 4}}
    res = runner.invoke(app, ["state", "show", docs.METRICS])
    assert res.exit_code == 0 and json.loads(res.stdout) == {"m": {"v": 1}}
