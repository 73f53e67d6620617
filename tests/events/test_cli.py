"""`agentops on-event` as a user runs it: exit codes, no traceback, the routing table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from agentops.events.rules import RULES

from .conftest import REPO, Hub


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agentops", *args], env=env, cwd=cwd, text=True,
                          capture_output=True, timeout=120, check=False)


def _env(hub: Hub, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "AGENTOPS_"))}
    env.update({"GITHUB_API_URL": hub.emulator.url, "GH_TOKEN": hub.emulator.token, "GITHUB_REPOSITORY": REPO,
                "AGENTOPS_STATE_DIR": str(hub.tmp / "cli-state"), **extra})
    return env


def test_rules_prints_every_row(hub: Hub) -> None:
    p = _run(["on-event", "--rules", "--json"], _env(hub), hub.tmp)
    assert p.returncode == 0, p.stderr
    rows: list[dict[str, Any]] = json.loads(p.stdout)
    assert len(rows) == len(RULES)
    assert {r["event"] for r in rows} >= {"issues", "pull_request", "pull_request_review", "issue_comment",
                                          "check_suite", "check_run", "workflow_run", "schedule"}


def test_unknown_event_exits_0_saying_ignored(hub: Hub) -> None:
    path = hub.tmp / "ping.json"
    path.write_text(json.dumps(hub.payload("ping", {})), encoding="utf-8")
    p = _run(["on-event", "--json"], _env(hub, GITHUB_EVENT_NAME="ping", GITHUB_EVENT_PATH=str(path)), hub.tmp)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["ignored"] is True and out["message"].startswith("ignored")


def test_malformed_payload_exits_2_without_traceback(hub: Hub) -> None:
    bad = hub.tmp / "bad.json"
    for text in ("{not json", '["a list"]', '{"action": "opened", "issue": {"number": "one", '
                 '"labels": [{"name": "agent-task"}]}, "repository": {"full_name": "octo/app"}}'):
        bad.write_text(text, encoding="utf-8")
        p = _run(["on-event", "--event", "issues", "--payload", str(bad)], _env(hub), hub.tmp)
        assert p.returncode == 2, (text, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr and "bad.json" in p.stderr


def test_missing_event_is_bad_input(hub: Hub) -> None:
    p = _run(["on-event"], _env(hub), hub.tmp)
    assert p.returncode == 2 and "GITHUB_EVENT_NAME" in p.stderr and "Traceback" not in p.stderr


def test_task_opened_dispatches_through_the_cli(hub: Hub) -> None:
    (hub.tmp / "agentops.yaml").write_text(
        "version: 1\nagents:\n  - name: a1\n    max_concurrent: 3\nclaims:\n  settle_seconds: 0\n"
        "dispatch:\n  max_parallel: 2\n", encoding="utf-8")
    n = hub.task("Via the CLI")
    path = hub.tmp / "opened.json"
    path.write_text(json.dumps(hub.issue_payload("opened", n)), encoding="utf-8")
    p = _run(["on-event", "--json"], _env(hub, GITHUB_EVENT_NAME="issues", GITHUB_EVENT_PATH=str(path),
                                         AGENTOPS_CONFIG=str(hub.tmp / "agentops.yaml")), hub.tmp)
    assert p.returncode == 0, p.stderr
    assert [d["issue"] for d in json.loads(p.stdout)["dispatched"]] == [n]
    assert [d["inputs"]["issue"] for d in hub.dispatches()] == [str(n)]


def test_the_readme_shows_the_routing_table() -> None:
    from agentops.events.rules import table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    def cell(text: str) -> str:
        return text.replace("|", "\\|")  # a literal | inside a Markdown table cell

    for event, actions, when, does in table():
        assert f"| `{event}` | {cell(actions)} | {cell(when)} | {cell(does)} |" in readme
