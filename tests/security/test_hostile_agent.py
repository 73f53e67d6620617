"""A hostile coding agent (command backend) plants hooks and core.fsmonitor, reads its parent's and
every other /proc/*/environ it can, leaves a daemon watching for later processes' environments, and
writes base64/hex copies of all it found into the worktree and .git/config. After `code` (one
command, and the split phases; with bubblewrap where it works and without) no canary, in any
form, is in the pushed branch, GitHub objects, state/, stdout/stderr or anything hooks or the
daemon wrote."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from agentops.commands import code
from agentops.domain.secretscan import needles, scan
from agentops.settings import AgentConfig
from tests.security.conftest import CANARIES, REPO, Vault

HOSTILE = r'''
import base64, os, stat, subprocess, sys, time
from pathlib import Path

evidence = Path(sys.argv[1])
wt = Path.cwd()
found = []
for pid in ["self", str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        found.append(open(f"/proc/{pid}/environ", "rb").read())
    except OSError:
        pass
loot = b"\n".join(found)
(wt / "loot.txt").write_bytes(loot)
(wt / "loot.b64").write_bytes(base64.b64encode(loot))
(wt / "loot.hex").write_bytes(loot.hex().encode())
common = Path(subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                             capture_output=True, text=True).stdout.strip())
grab = f"#!/bin/sh\n(env; cat /proc/*/environ) 2>/dev/null | base64 >> {evidence}.hooks\n"
evil = wt / ".evil-hooks"
evil.mkdir(exist_ok=True)
for folder in (common / "hooks", evil):
    for name in ("pre-push", "post-commit", "pre-commit", "reference-transaction", "post-checkout"):
        try:  # the shared hooks folder is read-only in bubblewrap
            folder.mkdir(exist_ok=True)
            (folder / name).write_text(grab)
            (folder / name).chmod(0o755)
        except OSError:
            pass
(evil / "fsmonitor").write_text(grab)
(evil / "fsmonitor").chmod(0o755)
subprocess.run(["git", "config", "core.hooksPath", str(evil)])
subprocess.run(["git", "config", "core.fsmonitor", str(evil / "fsmonitor")])
subprocess.run(["git", "config", "loot.data", base64.b64encode(loot[:4000]).decode()])
if os.fork() == 0:  # a daemon that outlives the agent and watches every later process
    os.setsid()
    if os.fork() == 0:
        end = time.time() + 60
        while time.time() < end:
            for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                try:
                    data = open(f"/proc/{pid}/environ", "rb").read()
                except OSError:
                    continue
                with open(f"{evidence}.daemon", "ab") as fh:
                    fh.write(base64.b64encode(data) + b"\n")
            time.sleep(0.02)
        os._exit(0)
    os._exit(0)
print('{"result": "done", "num_turns": 1, "total_cost_usd": 0.01}')
'''


def _leaks(vault: Vault, evidence: Path, issue: int) -> list[str]:
    wanted = needles({f"canary{i}": c for i, c in enumerate((*CANARIES, vault.emulator.token))})
    places: dict[str, bytes] = {}
    for path, text in vault.state_files().items():
        places[path] = text.encode()
    for i, text in enumerate(vault.github_writes(exclude_issues=(issue,))):
        places[f"github write {i}"] = text.encode()
    places["stdout/stderr"] = vault.captured().encode()
    for p in evidence.parent.glob(evidence.name + "*"):
        places[str(p)] = p.read_bytes()
    from tests.fixtures.gitrepo import git

    refs = git(vault.bare, "for-each-ref", "--format=%(objectname)").split()
    for obj in git(vault.bare, "rev-list", "--objects", *refs).splitlines():
        sha = obj.split()[0]
        if git(vault.bare, "cat-file", "-t", sha) == "blob":
            places[f"pushed blob {obj}"] = git(vault.bare, "cat-file", "-p", sha).encode()
    return [f"{where}: {hit.kind}" for where, data in places.items() for hit in scan(where, data, wanted)
            if not hit.kind.endswith("(encoded)") and "shape" not in hit.kind]


def _hostile(vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, Path]:
    script = tmp_path / "hostile.py"
    script.write_text(HOSTILE)
    evidence = tmp_path / "evidence"
    agent = AgentConfig(name="evil", backend="command", command=(sys.executable, str(script), str(evidence)),
                        timeout_s=120)
    vault.config = dataclasses.replace(vault.config, agents=(agent,))
    # the canaries also sit in this process's environment, as they would in a CI job's
    for name in ("GITHUB_TOKEN", "CANARY_SECRET", "DEPLOY_TOKEN", "SERVICE_API_TOKEN"):
        monkeypatch.setenv(name, vault.env[name])
    monkeypatch.setenv("GH_TOKEN", vault.emulator.token)
    monkeypatch.setenv("AGENTOPS_SANDBOX_WRITABLE", str(tmp_path))
    n = vault.issue("Add a status page", "### What should the agent do?\n\nAdd status.txt\n")
    return n, evidence


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_hostile_agent_gets_no_credential_one_command(vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      sandbox: str) -> None:
    n, evidence = _hostile(vault, tmp_path, monkeypatch)
    monkeypatch.setenv("AGENTOPS_SANDBOX", sandbox)
    ctx = vault.ctx(json_mode=True, AGENTOPS_SANDBOX=sandbox, AGENTOPS_SANDBOX_WRITABLE=str(tmp_path))
    result = code.run(code.CodeOptions(issue=n, agent="evil", repo=REPO), ctx)
    ctx.output.emit(result.to_json())
    assert result.status in ("pr-opened", "needs-human"), result
    assert not _leaks(vault, evidence, n), _leaks(vault, evidence, n)


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_hostile_agent_gets_no_credential_split_phases(vault: Vault, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, sandbox: str) -> None:
    n, evidence = _hostile(vault, tmp_path, monkeypatch)
    monkeypatch.setenv("AGENTOPS_SANDBOX", sandbox)
    bundle = tmp_path / "bundle"
    agent_ctx = vault.ctx(json_mode=True, AGENTOPS_SANDBOX=sandbox, AGENTOPS_SANDBOX_WRITABLE=str(tmp_path))
    made = code.run(code.CodeOptions(issue=n, agent="evil", repo=REPO, phase="agent", bundle=str(bundle)), agent_ctx)
    if made.status == "needs-human":  # it wrote the shared hooks (no bubblewrap): put back, nothing bundled
        assert sandbox == "process" and "hooks/pre-push added" in str(made.reason), made
        assert not _leaks(vault, evidence, n), _leaks(vault, evidence, n)
        return
    assert made.status == "bundled", made
    assert vault.gh.list_pulls(REPO, state="open").items in ([], None, ())  # nothing published yet
    pub_ctx = vault.ctx(json_mode=True)
    result = code.run(code.CodeOptions(phase="publish", bundle=str(bundle), repo=REPO), pub_ctx)
    pub_ctx.output.emit(result.to_json())
    assert result.status in ("pr-opened", "needs-human"), result
    assert not _leaks(vault, evidence, n), _leaks(vault, evidence, n)


def test_a_tampered_bundle_is_refused_and_nothing_is_pushed(vault: Vault, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from agentops.errors import BadInput

    n, _ = _hostile(vault, tmp_path, monkeypatch)
    bundle = tmp_path / "bundle"
    code.run(code.CodeOptions(issue=n, agent="evil", repo=REPO, phase="agent", bundle=str(bundle)),
             vault.ctx(AGENTOPS_SANDBOX_WRITABLE=str(tmp_path)))
    meta = bundle / "bundle.json"
    meta.write_text(meta.read_text().replace('"branch": "agentops/', '"branch": "main/'))
    with pytest.raises(BadInput, match="branch"):
        code.run(code.CodeOptions(phase="publish", bundle=str(bundle), repo=REPO), vault.ctx())
    from tests.fixtures.gitrepo import git

    assert git(vault.bare, "for-each-ref", "--format=%(refname)", "refs/heads").split() == ["refs/heads/main"]


def test_a_secret_in_the_outgoing_diff_refuses_the_push(vault: Vault, tmp_path: Path) -> None:
    import base64

    vault.fakes.script(edits={"notes.txt": "token " + base64.b64encode(vault.emulator.token.encode()).decode() + "\n",
                              "blob.bin": "\x00\x01" + CANARIES[1]})
    n = vault.issue("Add notes", "### What should the agent do?\n\nAdd notes\n")
    ctx = vault.ctx(json_mode=True)
    result = code.run(code.CodeOptions(issue=n, agent="claude", repo=REPO), ctx)
    assert result.status == "needs-human" and not result.ok, result
    assert "notes.txt: GH_TOKEN (base64)" in str(result.reason) and "blob.bin: CANARY_SECRET (plain)" in str(result.reason)
    assert vault.emulator.token not in str(result.reason)
    from tests.fixtures.gitrepo import git

    assert git(vault.bare, "for-each-ref", "--format=%(refname)", "refs/heads").split() == ["refs/heads/main"]
    assert "needs-human" in vault.gh.get_issue(REPO, n).labels
