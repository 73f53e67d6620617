"""`tasks` and `status` at 80 columns: one line per task, the issue number and the start of the title
always visible, long fields cut with an ellipsis; status in natural order (#2 before #10)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from agentops.domain.taskkey import natural_key, short_keys
from agentops.state import docs
from agentops.state.store import Store

from .conftest import REPO, form_body

LONG = "Refactor the configuration loader so that every error names its file, line and field precisely"


def _rows(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("│")]


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "COLUMNS": "80", "AGENTOPS_STATE_DIR": str(tmp_path / "state"), **env}
    return subprocess.run([sys.executable, "-m", "agentops", *args], cwd=tmp_path, env=full, capture_output=True,
                          text=True, timeout=120)


def test_tasks_table_fits_80_columns_with_number_and_title(emulator: Any, repo: str, tmp_path: Path) -> None:
    numbers = [emulator.state.create_issue(REPO, f"{LONG} ({i})", form_body(agent="a-rather-long-agent-name"),
                                           labels=("agent-task",)) for i in range(12)]
    (tmp_path / "agentops.yaml").write_text("version: 1\nagents:\n  - name: a-rather-long-agent-name\n")
    res = _run(tmp_path, {"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token, "GITHUB_REPOSITORY": REPO,
                          "AGENTOPS_CONFIG": str(tmp_path / "agentops.yaml")}, "tasks")
    assert res.returncode == 0, res.stderr
    rows = _rows(res.stderr)
    assert len(rows) == 12
    for line in res.stderr.splitlines():
        if line[:1] in "┏┃┡│└":
            assert len(line) <= 80, line
    for n in numbers:
        assert any(re.search(rf"│\s+#{n} │ Refactor the co", r) for r in rows), (n, rows)
    assert all("…" in r for r in rows)  # the long title is cut, not wrapped


def test_status_table_natural_order_and_long_repositories(tmp_path: Path) -> None:
    store = Store(tmp_path / "state", writer="t")
    long_repo = "some-organisation/a-very-long-repository-name"
    for n in (10, 2, 1, 11):
        store.put(docs.TASK_QUEUE, f"{long_repo}#{n}", {"status": "ready", "title": LONG, "priority": "high",
                                                        "claimed_by": "claude-code-agent-1"})
    store.put(docs.TASK_QUEUE, "acme/api#7", {"status": "claimed", "title": "Short", "priority": "low"})
    res = _run(tmp_path, {}, "status")
    assert res.returncode == 0, res.stderr
    rows = _rows(res.stderr)
    table = [line for line in res.stderr.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and all(len(line) <= 80 for line in table), table
    numbers = [re.search(r"#(\d+) │", r).group(1) for r in rows if re.search(r"#(\d+) │", r)]  # type: ignore[union-attr]
    assert numbers == ["7", "1", "2", "10", "11"]
    assert all("Refactor" in r or "Short" in r for r in rows)


def test_key_helpers() -> None:
    keys = ["o/r#10", "o/r#2", "a/b#3", "o/r#1"]
    assert sorted(keys, key=natural_key) == ["a/b#3", "o/r#1", "o/r#2", "o/r#10"]
    assert short_keys(["o/r#1", "o/r#12"]) == {"o/r#1": "#1", "o/r#12": "#12"}
    cut = short_keys(["a/b#1", "org/very-long-name#123"], 12)
    assert cut["org/very-long-name#123"] == "…ng-name#123" and cut["a/b#1"] == "a/b#1"
