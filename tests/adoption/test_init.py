"""`agentops init`: writes the adoption files, is idempotent, never clobbers a user's edit
without --force, and creates the labels on GitHub once."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentops.commands.init import (
    CONFLICT,
    CREATED,
    KEPT,
    UNCHANGED,
    UPDATED,
    InitOptions,
    run,
    template_files,
)
from agentops.context import Context
from agentops.domain.labels import LABELS
from agentops.output import Output


def _git_init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True, timeout=30)
    return path


def _ctx(cwd: Path, env: dict[str, str] | None = None, gh: Any = None) -> Context:
    environment = dict(env or {})
    out = Output(out=io.StringIO(), err=io.StringIO(), env=environment)
    return Context(env=environment, cwd=cwd, output=out, sleep=lambda s: None, github_override=gh)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "GITHUB_REPOSITORY")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "agentops", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=120)


def test_init_writes_everything_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    root = _git_init(tmp_path / "repo")
    first = run(InitOptions(labels=False), _ctx(root))
    actions = {f.path: f.action for f in first.files}
    assert set(actions.values()) == {CREATED}
    for rel, content in template_files():
        assert (root / rel).read_bytes() == content
    assert (root / ".devcontainer" / "code-agent" / "devcontainer.json").is_file()
    assert (root / ".github" / "workflows" / "agentops-code.yml").is_file()
    assert "merge=agentops" in (root / ".gitattributes").read_text()
    assert (root / "state" / ".gitignore").is_file()
    assert "claude" in (root / ".github" / "ISSUE_TEMPLATE" / "agent-task.yml").read_text()
    assert first.merge_driver == "registered"
    driver = subprocess.run(["git", "config", "--local", "merge.agentops.driver"], cwd=root, capture_output=True,
                            text=True, check=True).stdout
    assert "state merge %O %A %B %P" in driver

    before = _snapshot(root)
    second = run(InitOptions(labels=False), _ctx(root))
    assert {f.action for f in second.files} == {UNCHANGED}
    assert second.merge_driver == "unchanged"
    assert not second.changed and not second.conflicts
    assert _snapshot(root) == before


def test_a_user_edit_is_refused_with_a_diff_and_exit_1_then_force_overwrites(tmp_path: Path) -> None:
    root = _git_init(tmp_path / "repo")
    assert _cli(["init", "--no-labels"], root).returncode == 0
    wf = root / ".github" / "workflows" / "agentops-tick.yml"
    original = wf.read_text()
    # (A changed cron alone is a cadence choice init keeps: tests/adoption/test_tick_cadence.py.)
    edited = original.replace("  workflow_dispatch:", "  workflow_dispatch:\n  push: {branches: [main]}")
    assert edited != original
    wf.write_text(edited)

    res = _cli(["init", "--no-labels", "--json"], root)
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert doc["conflicts"] == [".github/workflows/agentops-tick.yml"]
    diff = next(f["diff"] for f in doc["files"] if f["action"] == CONFLICT)
    assert "-  push: {branches: [main]}" in diff
    assert wf.read_text() == edited  # untouched

    human = _cli(["init", "--no-labels"], root)
    assert human.returncode == 1 and "--force" in human.stderr and "+++ b/.github/workflows/agentops-tick.yml" in human.stderr

    forced = _cli(["init", "--no-labels", "--force", "--json"], root)
    assert forced.returncode == 0, forced.stderr
    assert {f["path"]: f["action"] for f in json.loads(forced.stdout)["files"]}[
        ".github/workflows/agentops-tick.yml"] == UPDATED
    assert wf.read_text() == original


def test_the_users_config_is_kept_and_drives_the_issue_form(tmp_path: Path) -> None:
    root = _git_init(tmp_path / "repo")
    cfg = "version: 1\nagents:\n  - name: fixer\n    backend: aider\n"
    (root / "agentops.yaml").write_text(cfg)
    result = run(InitOptions(labels=False), _ctx(root))
    assert {f.path: f.action for f in result.files}["agentops.yaml"] == KEPT
    assert (root / "agentops.yaml").read_text() == cfg
    form = (root / ".github" / "ISSUE_TEMPLATE" / "agent-task.yml").read_text()
    assert '"fixer"' in form and '"claude"' not in form


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    root = _git_init(tmp_path / "repo")
    result = run(InitOptions(dry_run=True, labels=False), _ctx(root))
    assert {f.action for f in result.files} == {CREATED}
    assert _snapshot(root) == {}
    status = subprocess.run(["git", "config", "--local", "merge.agentops.driver"], cwd=root, capture_output=True)
    assert status.returncode != 0


def test_init_into_a_plain_folder_skips_the_merge_driver(tmp_path: Path) -> None:
    res = _cli(["init", "--path", str(tmp_path / "new"), "--json"], tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["merge_driver"]["action"] == "skipped"
    assert "no GitHub token" in doc["labels"]["skipped"]
    assert (tmp_path / "new" / ".github" / "workflows" / "agentops-scout.yml").is_file()


def test_labels_are_created_once(tmp_path: Path, emulator: Any, gh: Any) -> None:
    emulator.state.create_repo("agentops-bot/app")
    root = _git_init(tmp_path / "repo")
    subprocess.run(["git", "remote", "add", "origin", "https://github.com/agentops-bot/app.git"], cwd=root, check=True)
    first = run(InitOptions(), _ctx(root, gh=gh))
    assert first.labels.repo == "agentops-bot/app"
    assert set(first.labels.created) == {spec.name for spec in LABELS}
    names = {n.casefold() for n in gh.list_labels("agentops-bot/app")}
    assert {spec.name.casefold() for spec in LABELS} <= names

    emulator.reset_counts()
    second = run(InitOptions(), _ctx(root, gh=gh))
    assert second.labels.created == () and len(second.labels.existing) == len(LABELS)
    assert emulator.total_requests(method="POST") == 0
    assert not second.changed


def test_labels_through_the_cli_on_the_emulator(tmp_path: Path, gh_env: dict[str, str], emulator: Any) -> None:
    emulator.state.create_repo("agentops-bot/cli")
    root = _git_init(tmp_path / "repo")
    env = {**gh_env, "GITHUB_REPOSITORY": "agentops-bot/cli", "AGENTOPS_MUTATION_INTERVAL": "0"}
    first = _cli(["init", "--json"], root, env)
    assert first.returncode == 0, first.stderr
    assert len(json.loads(first.stdout)["labels"]["created"]) == len(LABELS)
    second = _cli(["init", "--json"], root, env)
    doc = json.loads(second.stdout)
    assert doc["labels"]["created"] == [] and doc["changed"] is False


@pytest.mark.parametrize("flag", ["--no-labels"])
def test_no_labels_flag_skips_github(tmp_path: Path, flag: str, gh_env: dict[str, str]) -> None:
    root = _git_init(tmp_path / "repo")
    res = _cli(["init", flag, "--json"], root, {**gh_env, "GITHUB_REPOSITORY": "acme/none"})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["labels"]["skipped"] == "--no-labels"


def test_a_token_that_may_not_create_labels_is_reported_not_fatal(tmp_path: Path, emulator: Any, gh: Any) -> None:
    emulator.state.add_org("acme")
    emulator.state.create_repo("acme/locked")
    emulator.state.set_permission("acme/locked", "agentops-bot", "read")
    root = _git_init(tmp_path / "repo")
    result = run(InitOptions(repo="acme/locked"), _ctx(root, gh=gh))
    assert result.labels.skipped and "may not create labels" in result.labels.skipped
    assert (root / ".github" / "workflows" / "agentops-code.yml").is_file()
