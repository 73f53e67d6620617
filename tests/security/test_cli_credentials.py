"""The installed CLI, run as a user or a CI job runs it: the write token is in the `agentops`
process's own environment. A hostile agent (and a hostile gate) reading /proc/<ppid>/environ and
every other /proc/*/environ gets no credential: `code` and `test` shed it before spawning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.conftest import REPO, Vault
from tests.security.test_hostile_agent import HOSTILE, _leaks
from tests.security.test_hostile_gate import EVIL_GATE


def _cli(vault: Vault, tmp_path: Path, config: str, *args: str, sandbox: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "agentops.yaml"
    cfg.write_text(config)
    env = {**os.environ, **vault.env, "GITHUB_API_URL": vault.emulator.url, "GH_TOKEN": vault.emulator.token,
           "AGENTOPS_CONFIG": str(cfg), "AGENTOPS_SANDBOX": sandbox, "AGENTOPS_SANDBOX_WRITABLE": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "agentops", *args, "--repo", REPO, "--json"], cwd=vault.checkout,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_cli_code_sheds_the_token_before_the_agent_runs(vault: Vault, tmp_path: Path, sandbox: str) -> None:
    script = tmp_path / "hostile.py"
    script.write_text(HOSTILE)
    evidence = tmp_path / "evidence"
    n = vault.issue("Add a status page", "### What should the agent do?\n\nAdd status.txt\n")
    config = ("version: 1\nagents:\n  - name: evil\n    backend: command\n"
              f"    command: [{json.dumps(sys.executable)}, {json.dumps(str(script))}, {json.dumps(str(evidence))}]\n"
              "claims: {settle_seconds: 0}\n")
    done = _cli(vault, tmp_path, config, "code", str(n), "--agent", "evil", sandbox=sandbox)
    assert done.returncode in (0, 1), done.stderr
    result = json.loads(done.stdout)
    assert result["status"] in ("pr-opened", "needs-human"), result
    loot = (vault.checkout / ".agentops").rglob("loot.txt")
    assert all(vault.emulator.token.encode() not in p.read_bytes() for p in loot)
    leaks = _leaks(vault, evidence, n) + [f"cli output: {w}" for w in (done.stdout, done.stderr)
                                          if vault.emulator.token in w]
    assert not leaks, leaks


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_cli_test_gate_finds_no_token_and_the_status_stays_failure(vault: Vault, tmp_path: Path,
                                                                   sandbox: str) -> None:
    from agentops.commands import code

    vault.fakes.script(edits={"evil_gate.py": EVIL_GATE}, commit=False)
    n = vault.issue("Add a gate", "### What should the agent do?\n\nAdd a gate\n")
    made = code.run(code.CodeOptions(issue=n, agent="claude", repo=REPO), vault.ctx())
    assert made.pr
    evidence = tmp_path / "gate-evidence.jsonl"
    run = json.dumps([sys.executable, "evil_gate.py", vault.emulator.url, str(evidence)])
    config = (f"version: 1\nrepositories:\n  - name: {REPO}\n    gates:\n"
              f"      - {{name: evil, run: {run}, env: {{EVIL_REPO: {REPO}}}}}\n")
    done = _cli(vault, tmp_path, config, "test", "--pr", str(made.pr), sandbox=sandbox)
    assert done.returncode == 1, done.stderr
    tries = [json.loads(line) for line in evidence.read_text().splitlines()]
    assert tries and all(c != 201 for t in tries for c in t["codes"]), tries  # it tried; nothing it found worked
    sha = vault.gh.get_pull(REPO, made.pr).head_sha
    st = vault.emulator.state
    with st.lock:
        states = [s.state for s in st.repo(REPO).statuses if s.context == "agentops/test" and s.sha == sha]
    assert states == ["failure"]
