"""`agentops bootstrap --role ROLE`: registers the state merge driver, reports what is
missing, and never fails a Codespace for it unless --strict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agentops.commands.bootstrap import BootstrapOptions, run
from agentops.context import Context

CONFIG = "version: 1\nagents:\n  - name: claude\n    backend: claude\n    executable: no-such-claude-cli\n"


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=30)
    (root / "agentops.yaml").write_text(CONFIG)
    return root


def _cli(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GH_TOKEN", "GITHUB_TOKEN", "AGENTOPS_APP_ID", "GITHUB_REPOSITORY")}
    env.update(extra)
    return subprocess.run([sys.executable, "-m", "agentops", "bootstrap", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _driver(root: Path) -> str:
    return subprocess.run(["git", "config", "--local", "merge.agentops.driver"], cwd=root, capture_output=True,
                          text=True).stdout.strip()


def test_bootstrap_registers_the_driver_and_passes_with_a_missing_optional_tool(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    # test-agent does not need a coding-agent CLI: the missing one is optional here.
    res = _cli(["--role", "test-agent", "--offline", "--json"], root, GH_TOKEN="ghp_example")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["ok"] is True
    agents = next(c for c in doc["checks"] if c["name"] == "agents")
    assert agents["status"] == "fail" and agents["required"] is False
    assert "state merge %O %A %B %P" in _driver(root)
    assert "state/**/*.json merge=agentops" in (root / ".gitattributes").read_text()
    assert "ghp_example" not in res.stdout + res.stderr


def test_a_missing_required_check_is_reported_but_exit_0_unless_strict(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    res = _cli(["--role", "code-agent", "--offline"], root)
    assert res.returncode == 0
    assert "token (required)" in res.stderr and "GH_TOKEN" in res.stderr
    assert "no-such-claude-cli" in res.stderr
    strict = _cli(["--role", "code-agent", "--offline", "--strict"], root)
    assert strict.returncode == 1


def test_bootstrap_outside_a_git_repository_still_checks(tmp_path: Path) -> None:
    ctx = Context(env={"GH_TOKEN": "x"}, cwd=tmp_path)
    result = run(BootstrapOptions(role="orchestrator", offline=True), ctx)
    assert result.merge_driver is None and "not a git repository" in result.notes[0]
    assert any(c.name == "git" for c in result.checks)


def test_an_unknown_role_is_bad_input(tmp_path: Path) -> None:
    res = _cli(["--role", "chef"], tmp_path)
    assert res.returncode == 2 and "--role" in res.stderr


def test_role_comes_from_agentops_role_when_no_flag(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    res = _cli(["--offline", "--json"], root, AGENTOPS_ROLE="test-agent")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["role"] == "test-agent"
    flag_wins = _cli(["--role", "repo-scout", "--offline", "--json"], root, AGENTOPS_ROLE="test-agent")
    assert json.loads(flag_wins.stdout)["role"] == "repo-scout"
    default = _cli(["--offline", "--json"], root, AGENTOPS_ROLE="")
    assert json.loads(default.stdout)["role"] == "all"
    bad = _cli(["--offline", "--json"], root, AGENTOPS_ROLE="root; rm -rf /")
    assert bad.returncode == 2 and "AGENTOPS_ROLE" in json.loads(bad.stdout)["error"]["message"]
