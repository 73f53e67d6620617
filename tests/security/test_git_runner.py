"""The one git runner: the repository's code is switched off, nothing of the caller's git
environment leaks in, and a credential reaches only one network command, never a file."""

from __future__ import annotations

import base64
import re
import stat
from pathlib import Path

import pytest

from agentops.git import worktree as wt
from agentops.git.mirror import Mirror
from agentops.git.runner import GitAuth, command_env, git
from tests.fixtures.gitrepo import git as fixture_git

AGENTOPS = Path(__file__).resolve().parents[2] / "agentops"


def _plant(repo: Path, proof: Path) -> None:
    """Hooks in both the default and a configured hooks folder, and an fsmonitor command."""
    hooks = repo / ".git" / "hooks"
    evil = proof.parent / "evil-hooks"
    evil.mkdir()
    for folder in (hooks, evil):
        for name in ("pre-commit", "post-commit", "reference-transaction", "pre-push", "post-checkout",
                     "fsmonitor-watchman"):
            script = folder / name
            script.write_text(f"#!/bin/sh\necho {name} >> {proof}\n")
            script.chmod(script.stat().st_mode | stat.S_IEXEC)
    fixture_git(repo, "config", "core.hooksPath", str(evil))
    fsmon = evil / "fsmonitor"
    fsmon.write_text(f"#!/bin/sh\necho fsmonitor >> {proof}\n")
    fsmon.chmod(0o755)
    fixture_git(repo, "config", "core.fsmonitor", str(fsmon))


def test_planted_hooks_and_fsmonitor_never_run(clone: object, git_remote: Path, tmp_path: Path) -> None:
    repo = clone()  # type: ignore[operator]
    proof = tmp_path / "ran.txt"
    _plant(repo, proof)
    base = wt.head(repo)
    (repo / "f.txt").write_text("x\n")
    assert wt.is_dirty(repo)
    sha = wt.commit_all(repo, base, "a change")
    mirror = Mirror(tmp_path / "mirror.git").ensure()
    mirror.fetch(git_remote.as_uri(), None, ["main"])
    mirror.take_from(repo, "main", sha)
    mirror.push(git_remote.as_uri(), None, sha, "main")
    wt.reset_clean(repo, base)
    assert not proof.exists(), proof.read_text()
    # the same hooks do run under plain git: the plant is real
    fixture_git(repo, "commit", "--allow-empty", "-q", "-m", "plain git")
    assert "post-commit" in proof.read_text()


def test_inherited_git_variables_are_ignored(clone: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = clone()  # type: ignore[operator]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fixture_git(elsewhere, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(elsewhere / ".git"))
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.hooksPath")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", str(tmp_path))
    monkeypatch.setenv("GIT_SSH_COMMAND", "touch /tmp/pwned")
    env = command_env(["status"])
    assert "GIT_DIR" not in env and "GIT_SSH_COMMAND" not in env
    assert env["GIT_CONFIG_VALUE_0"] != str(tmp_path)
    res = git(["rev-parse", "--show-toplevel"], cwd=repo)
    assert res.ok and Path(res.stdout).resolve() == repo.resolve()


def test_a_credential_reaches_only_a_network_command_through_the_environment() -> None:
    auth = GitAuth("https://github.com/a/b.git", "ghp_secretvalue123")
    env = command_env(["push", "https://github.com/a/b.git", "HEAD:refs/heads/x"], auth=auth)
    n = int(env["GIT_CONFIG_COUNT"])
    headers = [env[f"GIT_CONFIG_VALUE_{i}"] for i in range(n) if env[f"GIT_CONFIG_KEY_{i}"] == "http.extraheader"]
    assert len(headers) == 1
    assert base64.b64decode(headers[0].split()[-1]).decode() == "x-access-token:ghp_secretvalue123"
    with pytest.raises(ValueError):
        command_env(["commit", "-m", "x"], auth=auth)
    plain = command_env(["fetch", "/tmp/bare.git"], auth=GitAuth("/tmp/bare.git", "ghp_secretvalue123"))
    assert "ghp_secretvalue123" not in str(plain) and "x-access-token" not in str(plain)


def test_the_mirror_forgets_whatever_was_planted_in_it(tmp_path: Path) -> None:
    mirror = Mirror(tmp_path / "m.git").ensure()
    (mirror.path / "config").write_text("[include]\n\tpath = /etc/evil\n[core]\n\tbare = true\n")
    (mirror.path / "hooks").mkdir(exist_ok=True)
    (mirror.path / "hooks" / "pre-push").write_text("#!/bin/sh\nexit 0\n")
    mirror.ensure()
    assert "include" not in (mirror.path / "config").read_text()
    assert not (mirror.path / "hooks").exists()


def test_nothing_outside_agentops_git_runs_git() -> None:
    """One owner for git: no GitPython, and no `git` argv built anywhere but agentops/git/."""
    offenders = []
    for path in AGENTOPS.rglob("*.py"):
        rel = path.relative_to(AGENTOPS).as_posix()
        if rel.startswith(("git/", "sandbox/", "demo/assets/")):
            continue  # the emulator serves git itself; demo assets are the demo's deployed service
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import git\b|from git import)", text, re.M) or re.search(r"\[\s*[\"']git[\"']\s*,", text):
            offenders.append(rel)
    assert not offenders, offenders
