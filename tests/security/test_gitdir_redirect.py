"""A hostile agent points its worktree somewhere else (`.git` -> another clone on the machine, or the
worktree's `commondir`) so that agentops's own git work afterwards (commit, bundle), run with that
folder writable, lands in a repository the agent could never write. The pointers are read-only in
bubblewrap and put back after the run in both modes: the other clone is untouched and the task
stops as needs-human."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from agentops.commands import code
from agentops.errors import AgentOpsError
from agentops.settings import AgentConfig
from tests.fixtures.gitrepo import git
from tests.security.conftest import REPO, Vault

REDIRECT = r'''
import subprocess, sys
from pathlib import Path
victim, how = sys.argv[1], sys.argv[2]
Path("status.txt").write_text("ok\n")
admin = Path(subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-dir"], capture_output=True,
                            text=True).stdout.strip())
try:
    if how == "gitfile":
        Path(".git").write_text(f"gitdir: {victim}/.git\n")
    else:
        (admin / "commondir").write_text(f"{victim}/.git\n")
except OSError as exc:
    print(exc, file=sys.stderr)
print('{"result": "done", "num_turns": 1, "total_cost_usd": 0.01}')
'''


@pytest.mark.parametrize("how", ["gitfile", "commondir"])
@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_agentops_git_work_never_lands_in_another_repository(vault: Vault, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch, sandbox: str,
                                                              how: str) -> None:
    victim = tmp_path / "victim"  # another clone of the project: hidden from the agent in bubblewrap
    git(tmp_path, "clone", "-q", vault.bare.as_uri(), str(victim))
    before = (git(victim, "rev-parse", "HEAD"), git(victim, "status", "--porcelain"), git(victim, "log", "--all", "--oneline"))
    agent_dir = tmp_path / "agent"
    agent_dir.mkdir()
    (agent_dir / "redirect.py").write_text(REDIRECT)
    agent = AgentConfig(name="evil", backend="command",
                        command=(sys.executable, str(agent_dir / "redirect.py"), str(victim), how), timeout_s=120)
    vault.config = dataclasses.replace(vault.config, agents=(agent,))
    monkeypatch.setenv("AGENTOPS_SANDBOX", sandbox)
    n = vault.issue("Add a status page", "### What should the agent do?\n\nAdd status.txt\n")
    try:
        result: object = code.run(code.CodeOptions(issue=n, agent="evil", repo=REPO), vault.ctx(AGENTOPS_SANDBOX=sandbox))
    except AgentOpsError as exc:
        result = exc
    after = (git(victim, "rev-parse", "HEAD"), git(victim, "status", "--porcelain"), git(victim, "log", "--all", "--oneline"))
    assert after == before, (result, after)
    assert isinstance(result, code.CodeResult), result
    if result.status != "pr-opened":  # written and put back (no bubblewrap): reported
        assert result.status == "needs-human" and ("/.git changed" in str(result.reason) or "commondir changed"
                                                   in str(result.reason)), result
    else:
        assert sandbox == "auto", result
