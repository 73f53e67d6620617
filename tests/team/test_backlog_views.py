"""Every view says the same stage for a task: `status` (table and --json), `report` (terminal,
markdown, --json, html) and `plan`, all from the task queue and the progress records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from agentops.domain.backlog import agent_of, pr_number, task_progress
from agentops.state import docs
from agentops.state.store import Store

REPO = "acme/api"
LONG = "Refactor the configuration loader so that every error names its file, line and field precisely"


def seed(state: Path) -> Store:
    """Five tasks, one per stage worth telling apart."""
    store = Store(state, writer="test")
    q = docs.TASK_QUEUE
    store.put(q, f"{REPO}#1", {"repo": REPO, "number": 1, "status": "ready", "title": "queued one", "state": "open"})
    store.put(q, f"{REPO}#2", {"repo": REPO, "number": 2, "status": "claimed", "title": LONG, "state": "open",
                               "priority": "critical", "claim": {"agent": "claude-1", "worker": "w"},
                               "rounds": {"fix-ci:abc": {"pr": 20, "mode": "fix-ci"},
                                          "review:abc": {"pr": 20, "mode": "review"}}})
    store.put(q, f"{REPO}#3", {"repo": REPO, "number": 3, "status": "claimed", "title": "in review", "state": "open",
                               "claim": {"agent": "claude-1"}})
    store.put(q, f"{REPO}#4", {"repo": REPO, "number": 4, "status": "done", "completed": True, "state": "closed",
                               "title": "merged one", "merged_pr": 40})
    store.put(q, f"{REPO}#5", {"repo": REPO, "number": 5, "status": "needs-human", "title": "stuck", "state": "open"})
    p = docs.progress(REPO)
    store.put(p, "2", {"pr": 20})
    store.put(p, "pr-20", {"pr": 20, "head_sha": "abc", "rounds_log": [{"kind": "ci", "trigger": "workflow_run:7"}]})
    store.put(p, "3", {"pr": 30})
    store.put(p, "pr-40", {"pr": 40, "merged": True, "head_sha": "d",
                           "reviews": [{"sha": "c", "verdict": "request_changes"}, {"sha": "d", "verdict": "approve"}],
                           "rounds_log": [{"kind": "review", "trigger": "review:1", "finished": True}]})
    return store


WANT = {1: "queued", 2: "fixing CI", 3: "in review", 4: "merged", 5: "needs-human"}
CONFIG = "version: 1\nagents:\n  - name: claude-1\n  - name: codex-1\npipeline:\n  review: codex-1\n"


def agentops(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "agentops.yaml").write_text(CONFIG, encoding="utf-8")
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "AGENTOPS_"))}
    full.update({"COLUMNS": "80", "AGENTOPS_STATE_DIR": str(tmp_path / "state"),
                 "AGENTOPS_CONFIG": str(tmp_path / "agentops.yaml"), **env})
    return subprocess.run([sys.executable, "-m", "agentops", *args], cwd=tmp_path, env=full, capture_output=True,
                          text=True, timeout=120, check=False)


def test_task_progress_by_hand() -> None:
    progress = {"7": {"pr": 70}, "pr-70": {"pr": 70, "head_sha": "x"}}
    task: dict[str, Any] = {"number": 7, "status": "claimed", "claim": {"agent": "a"}}
    row = task_progress("o/r#7", task, progress, review_agent=False, max_rounds=2)
    assert (row.stage, row.pr, row.agent, row.rounds, row.max_rounds) == ("awaiting merge", 70, "a", 0, 2)
    # A re-queued task does not name the agent of its finished run; the assigned one stays.
    assert agent_of({"dispatch": {"agent": "old", "finished": True}, "agent": "any"}) is None
    assert agent_of({"dispatch": {"agent": "b"}, "agent": "c"}) == "b"
    # Hostile or broken records: no crash, no PR made up.
    assert pr_number({"number": 8, "merged_pr": True, "rounds": {"x": "y"}}, {"8": {"pr": "9"}}) is None
    assert task_progress("o/r#x", {"number": "x"}, {}, review_agent=True, max_rounds=3).number is None


def test_status_shows_each_tasks_stage(tmp_path: Path) -> None:
    seed(tmp_path / "state")
    res = agentops(tmp_path, "status", "--json", GITHUB_API_URL="http://127.0.0.1:9", GH_TOKEN="x")
    assert res.returncode == 0, res.stderr
    rows = {int(t["key"].rpartition("#")[2]): t for t in json.loads(res.stdout)["tasks"]}
    assert {n: t["stage"] for n, t in rows.items()} == WANT
    assert (rows[2]["pr"], rows[2]["rounds"], rows[2]["agent"]) == (20, 1, "claude-1")

    res = agentops(tmp_path, "status")
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert all(len(line) <= 80 for line in lines if line[:1] in "┏┃┡│└"), res.stderr  # the tables
    for n, stage in WANT.items():
        assert any(f"#{n} │" in line and stage in line for line in lines), (n, stage, res.stderr)


def test_report_gains_the_pipeline_figures_and_each_tasks_stage(tmp_path: Path) -> None:
    seed(tmp_path / "state")
    res = agentops(tmp_path, "report", "--offline", "--json", "--repo", REPO)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)["report"]
    p = report["pipeline"]
    # PR 20: one CI round, not reviewed; PR 40: one review round, changes asked first, then approved.
    assert (p["prs"], p["rounds"], p["rounds_per_pr"]) == (2, {"review": 1, "ci": 1, "conflict": 0},
                                                           {"review": 0.5, "ci": 0.5, "conflict": 0.0})
    assert (p["reviewed"], p["first_pass_approved"], p["first_pass_approval_rate"]) == (1, 0, 0.0)
    assert {int(t["key"].rpartition("#")[2]): t["stage"] for t in report["backlog"]} == WANT

    md = agentops(tmp_path, "report", "--offline", "--format", "markdown", "--repo", REPO)
    assert md.returncode == 0, md.stderr
    assert "### Pipeline" in md.stdout and "| Review agent first-pass approval | 0.0% (0 of 1 PRs) |" in md.stdout
    assert "fixing CI" in md.stdout and "| acme/api#2 |" in md.stdout

    page = agentops(tmp_path, "report", "--offline", "--format", "html", "--repo", REPO)
    assert page.returncode == 0, page.stderr
    assert 'id="pipeline"' in page.stdout and "needs-human" in page.stdout and "0.0% (0 of 1 PRs)" in page.stdout

    term = agentops(tmp_path, "report", "--offline", "--repo", REPO)
    assert term.returncode == 0, term.stderr
    assert "Pipeline" in term.stderr and "fixing CI 1" in term.stderr


def test_report_pipeline_without_data_is_null_not_zero(tmp_path: Path) -> None:
    res = agentops(tmp_path, "report", "--offline", "--json")
    assert res.returncode == 0, res.stderr
    p = json.loads(res.stdout)["report"]["pipeline"]
    assert p["first_pass_approval_rate"] is None and p["override_rate"] is None
    assert p["rounds_per_pr"] == {"review": None, "ci": None, "conflict": None}
    md = agentops(tmp_path, "report", "--offline", "--format", "markdown")
    assert "| Review agent first-pass approval | no data |" in md.stdout and "Backlog by stage: no tasks" in md.stdout
