"""The CLI's contracts as a user meets them: exit codes, --json, no tracebacks, doctor, status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agentops.state import docs
from agentops.state.store import Store


def agentops(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "agentops", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def test_version_and_help(tmp_path: Path) -> None:
    res = agentops("--version", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.startswith("agentops ")
    res = agentops("--help", cwd=tmp_path)
    assert res.returncode == 0
    for verb in ("scout", "claim", "code", "test", "deploy", "report", "status", "doctor"):
        assert verb in res.stdout


def test_unknown_flag_is_exit_2(tmp_path: Path) -> None:
    res = agentops("status", "--bogus", cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr


def test_status_reads_local_state_only(tmp_path: Path) -> None:
    state = tmp_path / "state"
    store = Store(state, writer="test")
    # The record as `claim` writes it: the claim (agent, worker, lease expiry) on the task.
    store.put(docs.TASK_QUEUE, "acme/api#7", {"status": "claimed", "title": "Fix the parser", "priority": "high",
                                             "state": "open", "claim": {"agent": "claude-1", "worker": "w1",
                                                                        "expires": "2026-01-01T01:00:00Z"}})
    store.put(docs.TASK_QUEUE, "acme/api#8", {"status": "ready", "title": "Docs"})
    store.append(docs.DEPLOYMENTS, {"id": "d1", "environment": "production", "sha": "abc123", "status": "succeeded",
                                    "finished_at": "2026-01-01T00:00:00Z"})
    store.append(docs.INCIDENTS, {"id": "acme/api#9", "event": "opened", "environment": "production",
                                  "severity": "high", "opened_at": "2026-01-01T00:00:00Z", "resolved_at": None})
    store.append(docs.INCIDENTS, {"id": "acme/api#10", "event": "opened", "environment": "staging"})
    store.append(docs.INCIDENTS, {"id": "acme/api#10", "event": "resolved", "resolved_at": "2026-01-02T00:00:00Z"})
    # An unreachable API proves status never goes to the network.
    env = {"AGENTOPS_STATE_DIR": str(state), "GITHUB_API_URL": "http://127.0.0.1:9", "GH_TOKEN": "x"}
    res = agentops("status", "--json", cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["task_counts"] == {"claimed": 1, "ready": 1}
    assert [t["key"] for t in doc["tasks"]] == ["acme/api#7", "acme/api#8"]
    assert doc["tasks"][0]["agent"] == "claude-1"
    assert doc["tasks"][0]["lease_expires"] == "2026-01-01T01:00:00Z" and doc["tasks"][0]["worker"] == "w1"
    assert [d["id"] for d in doc["deployments"]] == ["d1"]
    assert [i["id"] for i in doc["open_incidents"]] == ["acme/api#9"]
    human = agentops("status", cwd=tmp_path, env=env)
    assert human.returncode == 0 and human.stdout == ""
    assert "Fix the parser" in human.stderr


def test_corrupt_state_file_is_exit_2_naming_it_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state" / "orchestrator" / "task-queue.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"schema_version": 1, "records": {"a#1": ')
    before = path.read_bytes()
    res = agentops("status", "--json", cwd=tmp_path, env={"AGENTOPS_STATE_DIR": str(tmp_path / "state")})
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "task-queue.json" in res.stderr
    assert json.loads(res.stdout)["error"]["exit_code"] == 2
    assert path.read_bytes() == before


def test_newer_schema_version_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "state" / "orchestrator" / "task-queue.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"schema_version": 99, "kind": "orchestrator/task-queue", "records": {}}\n')
    res = agentops("status", cwd=tmp_path, env={"AGENTOPS_STATE_DIR": str(tmp_path / "state")})
    assert res.returncode == 2 and "task-queue.json" in res.stderr


def test_doctor_without_token_fails_pointing_at_gh_token(tmp_path: Path) -> None:
    res = agentops("doctor", "--json", cwd=tmp_path)
    assert res.returncode == 1
    checks = {c["name"]: c for c in json.loads(res.stdout)["checks"]}
    assert checks["token"]["status"] == "fail" and "GH_TOKEN" in checks["token"]["hint"]
    assert checks["api"]["status"] == "skip"


def test_doctor_against_emulator_reports_rate_limit(tmp_path: Path, gh_env: dict[str, str]) -> None:
    res = agentops("doctor", "--json", cwd=tmp_path, env=gh_env)
    assert res.returncode == 0, res.stdout + res.stderr
    checks = {c["name"]: c for c in json.loads(res.stdout)["checks"]}
    assert checks["api"]["status"] == "ok" and "remaining" in checks["api"]["detail"]
    assert gh_env["GH_TOKEN"] not in res.stdout + res.stderr


def test_doctor_lists_missing_agent_cli_with_install_hint(tmp_path: Path, gh_env: dict[str, str]) -> None:
    (tmp_path / "agentops.yaml").write_text("agents:\n  - name: claude-1\n    backend: claude\n"
                                            "    executable: no-such-claude-binary\n")
    res = agentops("doctor", "--offline", "--json", cwd=tmp_path, env=gh_env)
    assert res.returncode == 1
    checks = {c["name"]: c for c in json.loads(res.stdout)["checks"]}
    assert checks["agents"]["status"] == "fail"
    assert "no-such-claude-binary" in checks["agents"]["detail"]
    assert checks["agents"]["hint"]


def test_command_needing_github_without_token_is_exit_2(tmp_path: Path) -> None:
    res = agentops("report", "--publish", "--repo", "acme/api", cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "GH_TOKEN" in res.stderr and "Traceback" not in res.stderr
