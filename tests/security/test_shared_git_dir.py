"""An agent's worktree shares the operator's `.git` (objects, refs, and also config, hooks and
attributes). A hostile agent plants hooks, core.hooksPath, core.fsmonitor, an include, a filter
driver with attributes, per-worktree config and git's user-wide config. Afterwards the human's own
plain `git status` / `git add` / `git commit` in their checkout runs none of it, in both sandbox
modes; where the agent could write (no bubblewrap) agentops puts everything back and stops the
task as needs-human, naming what was changed."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentops.commands import code
from agentops.settings import AgentConfig
from tests.security.conftest import REPO, Vault

PLANTER = r'''
import os, subprocess, sys
from pathlib import Path

ran = sys.argv[1]  # every planted program touches ran-<name> when it runs
wt = Path.cwd()
common = Path(subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                             capture_output=True, text=True).stdout.strip())
(wt / "status.txt").write_text("ok\n")  # a real change, so the run goes on to be committed


def prog(name):
    return f"#!/bin/sh\ntouch {ran}-{name}\ncat\n"


def attempt(what, fn):
    try:
        fn()
    except OSError as exc:
        print(f"{what}: {exc}", file=sys.stderr)


def write(path, text, mode=0o755):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


evil = wt / ".evil"
# (first: the agent's own git below must not run what it plants next)
# swap the content the human's git reads for README.md: a replace ref, loose and packed, and alternates
readme = subprocess.run(["git", "rev-parse", "HEAD:README.md"], capture_output=True, text=True).stdout.strip()
evil_blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], input="pwned\n", capture_output=True,
                           text=True).stdout.strip()
subprocess.run(["git", "replace", readme, evil_blob], capture_output=True)
attempt("packed replace", lambda: (common / "packed-refs").open("a").write(f"{evil_blob} refs/replace/{readme}\n"))
attempt("alternates", lambda: write(common / "objects" / "info" / "alternates", f"{evil}/objects\n", 0o644))
for hook in ("pre-commit", "post-commit", "prepare-commit-msg", "commit-msg", "post-checkout", "pre-push",
             "reference-transaction", "post-index-change"):
    attempt(hook, lambda: write(common / "hooks" / hook, prog("hook-" + hook)))
    write(evil / hook, prog("hookspath-" + hook))
write(evil / "fsmonitor", prog("fsmonitor"))
write(evil / "filter", prog("filter"))
write(evil / "included.cfg", f"[core]\n\tfsmonitor = {evil}/fsmonitor\n", 0o644)
cfg = common / "config"
for key, value in (("core.hooksPath", str(evil)), ("core.fsmonitor", f"{evil}/fsmonitor"),
                   ("include.path", f"{evil}/included.cfg"), ("includeIf.gitdir:/.path", f"{evil}/included.cfg"),
                   ("filter.evil.clean", f"{evil}/filter"), ("filter.evil.smudge", f"{evil}/filter"),
                   ("filter.evil.required", "true"), ("extensions.worktreeConfig", "true"),
                   ("core.untrackedCache", "true")):
    subprocess.run(["git", "config", "--file", str(cfg), key, value], capture_output=True)
attempt("config append", lambda: cfg.open("a").write(f"[core]\n\thooksPath = {evil}\n"))
attempt("config.worktree", lambda: write(common / "config.worktree", f"[core]\n\thooksPath = {evil}\n", 0o644))
attempt("attributes", lambda: write(common / "info" / "attributes", "* filter=evil\n", 0o644))
home = Path(os.environ.get("HOME", "/nonexistent"))
attempt("global", lambda: write(home / ".gitconfig", f"[core]\n\tfsmonitor = {evil}/fsmonitor\n", 0o644))
attempt("xdg", lambda: write(home / ".config" / "git" / "config", f"[core]\n\thooksPath = {evil}\n", 0o644))
print('{"result": "done", "num_turns": 1, "total_cost_usd": 0.01}')
'''


def _human_git(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The human's own git: no agentops hardening, their own global config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG_") or k == "GIT_CONFIG_GLOBAL"}
    return subprocess.run(["git", *args], cwd=checkout, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_the_humans_git_runs_nothing_an_agent_planted(vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      sandbox: str) -> None:
    script = tmp_path / "planter.py"
    script.write_text(PLANTER)
    ran = tmp_path / "ran"
    agent = AgentConfig(name="evil", backend="command", command=(sys.executable, str(script), str(ran)),
                        timeout_s=120)
    vault.config = dataclasses.replace(vault.config, agents=(agent,))
    common = vault.checkout / ".git"
    before = (common / "config").read_bytes()
    monkeypatch.setenv("AGENTOPS_SANDBOX", sandbox)
    n = vault.issue("Add a status page", "### What should the agent do?\n\nAdd status.txt\n")
    ctx = vault.ctx(AGENTOPS_SANDBOX=sandbox, AGENTOPS_SANDBOX_WRITABLE=str(tmp_path))
    result = code.run(code.CodeOptions(issue=n, agent="evil", repo=REPO), ctx)

    # the human, afterwards, in their own checkout
    (vault.checkout / "notes.md").write_text("my own work\n")
    for args in (("status",), ("add", "notes.md"), ("commit", "-q", "-m", "my commit"), ("status",),
                 ("checkout", "-q", "-b", "mine")):
        done = _human_git(vault.checkout, *args)
        assert done.returncode == 0, (args, done.stderr)
    assert not list(tmp_path.glob("ran-*")), sorted(p.name for p in tmp_path.glob("ran-*"))
    assert _human_git(vault.checkout, "show", "main:README.md").stdout == "# vault\n"
    assert _human_git(vault.checkout, "for-each-ref", "refs/replace/").stdout == ""
    assert not (common / "objects" / "info" / "alternates").exists()
    assert (common / "config").read_bytes() == before
    assert not (common / "config.worktree").exists() and not (common / "info" / "attributes").exists()
    # Reported and put back: everything without bubblewrap; inside it the existing paths were
    # read-only and only a file that did not exist yet (config.worktree) could be created.
    assert result.status == "needs-human", result
    assert ".git/config.worktree added" in str(result.reason), result
    if sandbox == "process":
        assert ".git/hooks/pre-commit added" in str(result.reason) and ".git/config changed" in str(result.reason)
    assert "needs-human" in vault.gh.get_issue(REPO, n).labels


GATE_PLANTER = r'''
import subprocess, sys
from pathlib import Path
ran = sys.argv[1]
common = Path(subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                             capture_output=True, text=True).stdout.strip())
prog = f"#!/bin/sh\ntouch {ran}-gate\n"
try:
    (common / "hooks" / "pre-commit").write_text(prog)
    (common / "hooks" / "pre-commit").chmod(0o755)
except OSError:
    pass
subprocess.run(["git", "config", "--file", str(common / "config"), "core.fsmonitor", f"{ran}-prog"],
               capture_output=True)
try:
    Path(f"{ran}-prog").write_text(prog)
    Path(f"{ran}-prog").chmod(0o755)
except OSError:
    pass
'''


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_a_gate_on_the_operators_checkout_plants_nothing(vault: Vault, tmp_path: Path, sandbox: str) -> None:
    """`agentops test` on the current checkout (a branch someone else wrote, checked out to try it):
    its gates cannot leave hooks or config in the operator's .git; where they could write it, the
    run is refused (exit 1, nothing reported) and everything is put back."""
    from agentops.commands import test as testcmd
    from agentops.errors import WorkFailed
    from agentops.settings import GateConfig, RepositoryConfig

    (tmp_path / "gate").mkdir()
    script = tmp_path / "gate" / "planter.py"
    script.write_text(GATE_PLANTER)
    ran = tmp_path / "gate" / "ran"
    gate = GateConfig(name="planter", run=(sys.executable, str(script), str(ran)))
    vault.config = dataclasses.replace(vault.config, repositories=(RepositoryConfig(name=REPO, gates=(gate,)),))
    before = (vault.checkout / ".git" / "config").read_bytes()
    ctx = vault.ctx(AGENTOPS_SANDBOX=sandbox, AGENTOPS_SANDBOX_WRITABLE=str(tmp_path / "gate"))
    try:
        result: object = testcmd.run(testcmd.TestOptions(repo=REPO, path=str(vault.checkout), report=False), ctx)
    except WorkFailed as exc:
        result = exc
    (vault.checkout / "mine.md").write_text("mine\n")
    for args in (("status",), ("add", "mine.md"), ("commit", "-q", "-m", "mine")):
        assert _human_git(vault.checkout, *args).returncode == 0
    assert not list(ran.parent.glob("ran-gate")), "the human's git ran what a gate planted"
    assert (vault.checkout / ".git" / "config").read_bytes() == before
    if sandbox == "process":
        assert isinstance(result, WorkFailed) and "hooks/pre-commit added" in result.message, result
