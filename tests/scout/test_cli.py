from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.scout.helpers import open_issues, seed_repo


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {"PATH": os.environ["PATH"], "HOME": str(cwd), "AGENTOPS_STATE_DIR": str(cwd / "state"),
            "AGENTOPS_MUTATION_INTERVAL": "0", **env}
    return subprocess.run([sys.executable, "-m", "agentops", "scout", *args], env=full, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_json_fail_on_and_idempotent_reruns(emulator: Any, gh_env: dict[str, str], tmp_path: Path) -> None:
    seed_repo(emulator, "agentops-bot/a")
    first = _cli(["--repo", "agentops-bot/a", "--repo", "agentops-bot/nope", "--json", "--fail-on", "high"],
                 gh_env, tmp_path)
    assert first.returncode == 2, first.stderr  # agentops-bot/nope does not exist: bad input
    assert "not scanned: agentops-bot/nope" in first.stderr
    doc = json.loads(first.stdout)
    assert doc["unscanned"] == ["agentops-bot/nope"]
    assert {f["check"] for f in doc["findings"]} == {"ci", "dependabot"}
    assert {r["repo"]: r["status"] for r in doc["repos"]}["agentops-bot/nope"] == "not-found"
    assert (tmp_path / "state" / "repo-scout" / "scan-results.json").is_file()
    assert (tmp_path / "state" / "repo-scout" / "issue-tracker.json").is_file()
    second = _cli(["--repo", "agentops-bot/a", "--json"], gh_env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["issues"] == []
    assert len(open_issues(emulator, "agentops-bot/a")) == 2
    bad = _cli(["--repo", "agentops-bot/a", "--check", "nosuch"], gh_env, tmp_path)
    assert bad.returncode == 2 and "nosuch" in bad.stderr
