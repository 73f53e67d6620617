"""What the agent commits is hostile input to the outgoing secret scan. A file too large to scan is
never pushed unscanned (the push is refused, needs-human, naming the file); a symlink to a secret
outside the worktree is pushed as the link it is, never as the secret it points at."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from agentops.commands import code
from agentops.settings import AgentConfig
from tests.fixtures.gitrepo import git
from tests.security.conftest import REPO, Vault

WRITER = r'''
import os, sys
from pathlib import Path
kind, arg = sys.argv[1], sys.argv[2]
if kind == "big":
    with open("huge.bin", "wb") as fh:  # zeros: cheap to push, 51 MiB to scan
        fh.truncate(51 * 1024 * 1024)
    Path("small.txt").write_text("fine\n")
else:
    os.symlink(arg, "creds")
print('{"result": "done", "num_turns": 1, "total_cost_usd": 0.01}')
'''


def _agent(vault: Vault, tmp_path: Path, kind: str, arg: str) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    agent = AgentConfig(name="evil", backend="command", command=(sys.executable, str(script), kind, arg), timeout_s=120)
    vault.config = dataclasses.replace(vault.config, agents=(agent,))


def test_a_file_too_large_to_scan_is_never_pushed(vault: Vault, tmp_path: Path) -> None:
    _agent(vault, tmp_path, "big", "-")
    n = vault.issue("Add data", "### What should the agent do?\n\nAdd data\n")
    result = code.run(code.CodeOptions(issue=n, agent="evil", repo=REPO), vault.ctx(AGENTOPS_SANDBOX_WRITABLE=str(tmp_path)))
    assert result.status == "needs-human" and "huge.bin: file too large to scan" in str(result.reason), result
    assert git(vault.bare, "for-each-ref", "--format=%(refname)", "refs/heads").split() == ["refs/heads/main"]


def test_a_symlink_to_a_secret_is_pushed_as_a_link(vault: Vault, tmp_path: Path) -> None:
    secret = Path(os.environ["HOME"]) / "creds.txt"
    secret.write_text("symcanary-6f1e2d3c4b5a\n")
    _agent(vault, tmp_path, "link", str(secret))
    n = vault.issue("Add creds link", "### What should the agent do?\n\nAdd a link\n")
    result = code.run(code.CodeOptions(issue=n, agent="evil", repo=REPO), vault.ctx(AGENTOPS_SANDBOX_WRITABLE=str(tmp_path)))
    assert result.status == "pr-opened", result
    branch = str(result.branch)
    assert git(vault.bare, "cat-file", "-p", f"{branch}:creds") == str(secret)
    assert "symcanary" not in git(vault.bare, "log", "-p", "--all")
