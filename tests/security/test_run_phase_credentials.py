"""`test --phase run` runs the pull request's code: it must fetch the PR without handing the gates
any credential. Here the operator's clone holds a persisted credential in .git/config (what
actions/checkout writes unless persist-credentials is false) and the CI step hands git a token
through GIT_CONFIG_* (what a CI step may do) and agentops a token as AGENTOPS_PUSH_TOKEN (what
agentops's composite action does). A hostile gate looks everywhere it
can: its environment, `git config --list` and .git/config of its checkout and of every folder
above it, every /proc/*/environ. It finds neither value, in any form, in both sandbox modes."""

from __future__ import annotations

import base64
import dataclasses
import json
import sys
from pathlib import Path

import pytest

from agentops.commands import code
from agentops.commands import test as testcmd
from agentops.domain.secretscan import needles, scan
from agentops.settings import GateConfig, RepositoryConfig
from tests.fixtures.gitrepo import git
from tests.security.conftest import REPO, Vault

PERSISTED = "persistedcanary-51d0e7a9c3"
ACTION = "actioncanary-0b8e42f61a"

SNOOP = r'''
import json, os, subprocess, sys
from pathlib import Path
evidence = sys.argv[1]
found = {"env": dict(os.environ)}
found["config"] = subprocess.run(["git", "config", "--list", "--show-origin"], capture_output=True,
                                 text=True).stdout
here = Path.cwd()
for folder in [here, *here.parents]:
    for name in (".git/config", ".git/commondir", "config"):
        try:
            found[str(folder / name)] = (folder / name).read_text(errors="replace")
        except OSError:
            pass
common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                        capture_output=True, text=True).stdout.strip()
if common:
    try:
        found["common config"] = (Path(common) / "config").read_text(errors="replace")
    except OSError:
        pass
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        found[f"environ {pid}"] = open(f"/proc/{pid}/environ", "rb").read().decode("utf-8", "replace")
    except OSError:
        pass
found["head"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
with open(evidence, "w") as fh:
    json.dump(found, fh)
'''


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_the_run_phase_gates_reach_no_credential(vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 sandbox: str) -> None:
    evidence = tmp_path / "snoop.json"
    vault.fakes.script(edits={"snoop.py": SNOOP}, commit=False)
    n = vault.issue("Add a gate", "### What should the agent do?\n\nAdd a gate\n")
    made = code.run(code.CodeOptions(issue=n, agent="claude", repo=REPO), vault.ctx())
    assert made.status == "pr-opened" and made.pr, made
    gate = GateConfig(name="snoop", run=(sys.executable, "snoop.py", str(evidence)))
    vault.config = dataclasses.replace(vault.config, repositories=(RepositoryConfig(name=REPO, gates=(gate,)),))
    # the operator's clone, as actions/checkout leaves it with persisted credentials
    header = "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{PERSISTED}".encode()).decode()
    git(vault.checkout, "config", "http.https://github.com/.extraheader", header)
    # the CI step's token for git, through the environment
    action = "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{ACTION}".encode()).decode()
    step_env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.https://github.com/.extraheader",
                "GIT_CONFIG_VALUE_0": action, "AGENTOPS_PUSH_TOKEN": ACTION}
    for k, v in step_env.items():
        monkeypatch.setenv(k, v)
    ctx = vault.ctx(AGENTOPS_SANDBOX=sandbox, AGENTOPS_SANDBOX_WRITABLE=str(tmp_path), **step_env)
    testcmd.run(testcmd.TestOptions(pr=made.pr, repo=REPO, path=str(vault.checkout), phase="run",
                                    bundle=str(tmp_path / "results")), ctx)
    seen = json.loads(evidence.read_text())
    assert seen["head"] == vault.gh.get_pull(REPO, made.pr).head_sha  # the gate ran on the PR's head
    wanted = needles({"persisted": PERSISTED, "action": ACTION, "persisted header": header, "action header": action})
    leaks = [f"{where}: {hit.kind}" for where, value in seen.items()
             for hit in scan(where, json.dumps(value).encode(), wanted)]
    assert not leaks, leaks
