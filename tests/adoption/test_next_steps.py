"""`init` ends with the repository settings the workflows need, as exact `gh secret set` / `gh variable set`
commands; `init --check` verifies them on GitHub (names only) and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from agentops.domain.nextsteps import MISSING, SET, UNKNOWN, requirements, steps

SPEC = "agentops-gh==0.1.0"


def _cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "GITHUB_REPOSITORY")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "agentops", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=120)


def _steps(res: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in json.loads(res.stdout)["next_steps"]}


def test_requirements_follow_the_config() -> None:
    default = {r.name: r for r in requirements(agents=[], environments=[], dist_spec=SPEC)}
    assert default["AGENTOPS_TOKEN"].required and default["ANTHROPIC_API_KEY"].required
    assert not default["AGENTOPS_PIP_SPEC"].required and "AGENTOPS_AGENT" not in default
    custom = {r.name: r for r in requirements(agents=[("builder", "codex"), ("helper", "claude")],
                                             environments=["staging", "prod"], dist_spec=SPEC)}
    # The code workflow's default agent "claude" is not configured: the variable names the first agent.
    assert custom["AGENTOPS_AGENT"].required and custom["AGENTOPS_AGENT"].value == "builder"
    assert custom["OPENAI_API_KEY"].required and not custom["ANTHROPIC_API_KEY"].required
    assert custom["AGENTOPS_DEPLOY_ENV"].value == "prod"
    cmds = {s.requirement.name: s.command for s in steps(list(custom.values()), "acme/api")}
    # gh prompts for the value; each secret goes into its environment, never the repository
    assert cmds["AGENTOPS_TOKEN"] == "gh secret set AGENTOPS_TOKEN --env agentops-publish --repo acme/api"
    assert cmds["OPENAI_API_KEY"] == "gh secret set OPENAI_API_KEY --env agentops --repo acme/api"
    assert cmds["agentops-publish"] == "gh api --method PUT repos/acme/api/environments/agentops-publish"
    assert cmds["AGENTOPS_AGENT"] == "gh variable set AGENTOPS_AGENT --repo acme/api --body builder"
    # A hostile value is quoted for the shell, never interpreted.
    hostile = requirements(agents=[("x;rm -rf ~", "claude")], environments=[], dist_spec=SPEC)
    agent = next(s for s in steps(hostile, "a/b") if s.requirement.name == "AGENTOPS_AGENT")
    assert agent.command.endswith("--body 'x;rm -rf ~'")
    checked = {s.requirement.name: s.status for s in steps(
        list(default.values()), "a/b", secrets={"ANTHROPIC_API_KEY"}, variables=set(),
        environments={"agentops-publish": {"AGENTOPS_TOKEN"}})}
    # a repository secret does not count for a secret that belongs in an environment
    assert checked == {"agentops-publish": SET, "agentops": MISSING, "AGENTOPS_TOKEN": SET,
                       "ANTHROPIC_API_KEY": MISSING, "AGENTOPS_PIP_SPEC": MISSING}
    assert {s.status for s in steps(list(default.values()), "a/b")} == {UNKNOWN}


def test_init_prints_the_exact_commands(tmp_path: Path) -> None:
    res = _cli(["init", "--no-labels", "--repo", "acme/api"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "gh api --method PUT repos/acme/api/environments/agentops-publish" in res.stderr
    assert "gh secret set AGENTOPS_TOKEN --env agentops-publish --repo acme/api" in res.stderr
    assert "gh secret set ANTHROPIC_API_KEY --env agentops --repo acme/api" in res.stderr
    assert f"gh variable set AGENTOPS_PIP_SPEC --repo acme/api --body {SPEC}" in res.stderr
    again = _cli(["init", "--no-labels", "--repo", "acme/api", "--json", "next_steps"], tmp_path)
    got = _steps(again)["AGENTOPS_TOKEN"]
    assert got["command"] == "gh secret set AGENTOPS_TOKEN --env agentops-publish --repo acme/api"
    assert got["environment"] == "agentops-publish"


def test_check_verifies_on_github_and_writes_nothing(tmp_path: Path, emulator: Any, gh_env: dict[str, str]) -> None:
    emulator.state.create_repo("agentops-bot/app")
    target = tmp_path / "target"
    target.mkdir()
    args = ["init", "--check", "--repo", "agentops-bot/app", "--json"]
    res = _cli(args, target, gh_env)
    assert res.returncode == 1, res.stderr
    got = _steps(res)
    assert got["AGENTOPS_TOKEN"]["status"] == MISSING and got["ANTHROPIC_API_KEY"]["status"] == MISSING
    assert list(target.iterdir()) == []  # --check writes nothing
    # Repository secrets are not enough: any job could read them. They must sit in their environment.
    emulator.state.set_actions_secret("agentops-bot/app", "AGENTOPS_TOKEN", "ghp_value_never_listed")
    res = _cli(args, target, gh_env)
    assert res.returncode == 1 and _steps(res)["AGENTOPS_TOKEN"]["status"] == MISSING
    assert _steps(res)["agentops-publish"]["status"] == MISSING
    for env in ("agentops-publish", "agentops"):
        emulator.state.create_environment("agentops-bot/app", env)
    emulator.state.set_environment_secret("agentops-bot/app", "agentops-publish", "AGENTOPS_TOKEN", "ghp_never_listed")
    emulator.state.set_environment_secret("agentops-bot/app", "agentops", "anthropic_api_key", "sk-ant-never-listed")
    res = _cli(args, target, gh_env)
    assert res.returncode == 0, res.stderr
    got = _steps(res)
    assert got["AGENTOPS_TOKEN"]["status"] == SET and got["ANTHROPIC_API_KEY"]["status"] == SET
    assert got["agentops"]["status"] == SET
    # the leftover repository copy is named, with the command that removes it
    assert "gh secret delete AGENTOPS_TOKEN --repo agentops-bot/app" in json.loads(res.stdout)["next_steps_note"]
    assert got["AGENTOPS_PIP_SPEC"]["status"] == MISSING  # optional: not a failure
    assert "never_listed" not in res.stdout + res.stderr and "never-listed" not in res.stdout + res.stderr
    human = _cli(args[:-1], target, gh_env)
    assert human.returncode == 0 and "every environment, secret and variable the workflows require is set" in \
        human.stderr
    assert "AGENTOPS_PIP_SPEC (optional, missing)" in human.stderr


def test_check_fails_closed_when_the_token_cannot_list_secrets(tmp_path: Path, emulator: Any,
                                                               gh_env: dict[str, str]) -> None:
    emulator.state.add_org("acme")
    emulator.state.create_repo("acme/locked")
    emulator.state.set_permission("acme/locked", "agentops-bot", "write")
    emulator.state.set_actions_secret("acme/locked", "AGENTOPS_TOKEN")
    res = _cli(["init", "--check", "--repo", "acme/locked", "--json"], tmp_path, gh_env)
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert "cannot list the secrets" in doc["next_steps_note"]
    assert {s["status"] for s in doc["next_steps"]} == {UNKNOWN}
    no_token = _cli(["init", "--check", "--repo", "acme/locked"], tmp_path)
    assert no_token.returncode == 2 and "GH_TOKEN" in no_token.stderr
