"""`agentops code` as a user runs it: a subprocess against the emulator with fake agents on PATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.code.conftest import REPO, CodeEnv

CONFIG = """version: 1
agents:
  - name: claude
    backend: claude
    max_turns: 10
    timeout_s: 30
budget:
  monthly_usd: 5
"""


def _agentops(env: CodeEnv, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**env.env, "GITHUB_API_URL": env.emulator.url, "GH_TOKEN": env.emulator.token,
               "AGENTOPS_MUTATION_INTERVAL": "0", "GITHUB_REPOSITORY": REPO}
    return subprocess.run([sys.executable, "-m", "agentops", *args], cwd=env.checkout, env=environ,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_opens_a_pr_and_prints_one_json_document(code_env: CodeEnv) -> None:
    (code_env.checkout / "agentops.yaml").write_text(CONFIG)
    n = code_env.issue()
    res = _agentops(code_env, "code", str(n), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["status"] == "pr-opened" and doc["ok"] is True and doc["issue"] == n and doc["pr"]
    assert (code_env.checkout / "state" / "logs" / "costs.jsonl").exists()


def test_cli_exit_codes_for_missing_agent_and_spent_budget(code_env: CodeEnv) -> None:
    (code_env.checkout / "agentops.yaml").write_text(CONFIG)
    n = code_env.issue()
    saved = os.environ.get("PATH", "")
    code_env.env["PATH"] = os.pathsep.join(p for p in code_env.env["PATH"].split(os.pathsep)
                                           if p != str(code_env.fakes.bin)) or saved
    missing = _agentops(code_env, "code", str(n))
    assert missing.returncode == 2 and "npm install -g @anthropic-ai/claude-code" in missing.stderr
    assert "Traceback" not in missing.stderr
    code_env.env["PATH"] = f"{code_env.fakes.bin}{os.pathsep}{code_env.env['PATH']}"
    logs = code_env.checkout / "state" / "logs"
    logs.mkdir(parents=True)
    (logs / "costs.jsonl").write_text(json.dumps({"ts": "2999-01-01T00:00:00Z", "repo": REPO, "issue": 1,
                                                  "cost_usd": 5.0}) + "\n")
    spent = _agentops(code_env, "code", str(n), "--json")
    assert spent.returncode == 1 and "budget exhausted" in spent.stderr
    assert json.loads(spent.stdout)["error"]["exit_code"] == 1
    assert code_env.fakes.calls() == []
