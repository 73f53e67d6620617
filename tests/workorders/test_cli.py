"""The CLI surface: one JSON document on stdout, exit codes 0 / 2 / 4."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import REPO, form_body

CLI = [sys.executable, "-m", "agentops"]


def _env(emulator: Any, tmp_path: Path, worker: str) -> dict[str, str]:
    config = tmp_path / "agentops.yaml"
    config.write_text("version: 1\nagents:\n  - name: a1\n  - name: a2\nclaims:\n  settle_seconds: 0\n")
    env = dict(os.environ)
    env.update({"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token, "GITHUB_REPOSITORY": REPO,
                "AGENTOPS_WORKER_ID": worker, "AGENTOPS_STATE_DIR": str(tmp_path / f"state-{worker}"),
                "AGENTOPS_CONFIG": str(config), "AGENTOPS_MUTATION_INTERVAL": "0"})
    return env


def agentops(env: dict[str, str], *args: str) -> tuple[int, Any, str]:
    res = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)
    return res.returncode, json.loads(res.stdout) if res.stdout.strip() else None, res.stderr


def test_claim_release_plan_tick_over_the_cli(emulator: Any, repo: str, tmp_path: Path) -> None:
    w1, w2 = _env(emulator, tmp_path, "w1"), _env(emulator, tmp_path, "w2")
    code, doc, _ = agentops(w1, "claim", "--agent", "a1", "--json")
    assert (code, doc["claimed"], doc["reason"]) == (0, None, "no eligible task")

    n = emulator.state.create_issue(REPO, "t", form_body(), labels=("agent-task",))
    emulator.state.create_issue(REPO, "t2", form_body(deps=f"#{n}"), labels=("agent-task",))
    code, doc, _ = agentops(w1, "plan", "--json")
    assert code == 0 and [[t["key"] for t in w] for w in doc["waves"]] == [[f"{REPO}#{n}"], [f"{REPO}#{n + 1}"]]

    code, doc, _ = agentops(w1, "claim", str(n), "--agent", "a1", "--json")
    assert code == 0 and doc["claimed"]["issue"] == n
    code, doc, err = agentops(w2, "claim", str(n), "--agent", "a2", "--json")
    assert code == 4 and doc["error"]["type"] == "LostRace" and "Traceback" not in err

    code, doc, _ = agentops(w1, "claim", "--agent", "nobody", "--json")
    assert code == 2 and "unknown agent" in doc["error"]["message"]

    code, doc, _ = agentops(w1, "release", str(n), "--reason", "completed", "--json")
    assert code == 0 and doc["released"] and doc["status"] == "done"

    code, doc, _ = agentops(w1, "tasks", "--json")
    assert code == 0 and {t["key"]: t["status"] for t in doc["tasks"]} == {f"{REPO}#{n}": "done",
                                                                         f"{REPO}#{n + 1}": "blocked"}
    code, doc, _ = agentops(w1, "tick", "--json")
    assert code == 0
    code, doc, _ = agentops(w1, "tick", "--json")
    assert code == 0 and doc["changed"] is False
