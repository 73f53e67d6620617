"""The installed CLI: `agentops report` formats, the step summary in Actions, bad flags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.report.test_render import mermaid_blocks, validate_mermaid, validate_tables
from tests.report.test_report_command import seeded_store


def agentops(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "AGENTOPS_"))}
    full.update({"AGENTOPS_STATE_DIR": str(tmp_path / "state"), **(env or {})})
    return subprocess.run([sys.executable, "-m", "agentops", *args], cwd=tmp_path, env=full,
                          capture_output=True, text=True, timeout=60)


def test_markdown_to_stdout_and_step_summary(tmp_path: Path) -> None:
    seeded_store(tmp_path / "state")
    summary = tmp_path / "summary.md"
    res = agentops(tmp_path, "report", "--offline", "--since", "2024-05-01", "-R", "o/r", "--format", "markdown",
                   env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert res.returncode == 0, res.stderr
    md = res.stdout
    assert md.startswith("## Agent Ops report")
    assert validate_tables(md) >= 2
    for block in mermaid_blocks(md):
        validate_mermaid(block)
    assert summary.read_text() == md


def test_json_document_and_metrics_file(tmp_path: Path) -> None:
    seeded_store(tmp_path / "state")
    res = agentops(tmp_path, "report", "--offline", "--since", "2024-05-01", "-R", "o/r", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # exactly one JSON document
    envs = {e["dora"]["environment"]: e["dora"] for e in doc["report"]["environments"]}
    assert set(envs) == {"production", "staging"}
    assert doc["report"]["pr_source"] == "cache"
    metrics = json.loads((tmp_path / "state" / "orchestrator" / "metrics.json").read_text())
    assert "latest" in json.dumps(metrics)


def test_table_dashboard_on_stderr_and_bad_flags(tmp_path: Path) -> None:
    seeded_store(tmp_path / "state")
    res = agentops(tmp_path, "report", "--offline", "-R", "o/r", "--since", "2024-05-01")
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    assert "DORA · production" in res.stderr and "Weekly trend" in res.stderr
    bad = agentops(tmp_path, "report", "--offline", "--format", "yaml")
    assert bad.returncode == 2 and "--format" in bad.stderr
    bad_since = agentops(tmp_path, "report", "--offline", "--since", "soon", "--json")
    assert bad_since.returncode == 2 and json.loads(bad_since.stdout)["error"]["exit_code"] == 2
