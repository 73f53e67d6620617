from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentops.config import load_config, parse_config
from agentops.errors import ConfigError, ExitCode
from agentops.settings import Config

GOOD = """\
version: 1
agents:
  - name: claude-1
    backend: claude
    capabilities: [python, docs]
    max_concurrent: 2
  - name: scripted
    backend: command
    command: ["./fix.sh", "{prompt_file}"]
repositories:
  - acme/api
  - name: acme/web
    gates:
      - name: tests
        run: [npm, test]
        timeout_s: 300
environments:
  production:
    deploy: ["./scripts/deploy.sh", "{sha}"]
    rollback: ["./scripts/rollback.sh", "{previous_sha}"]
    health_checks:
      - url: http://127.0.0.1:8080/health
        expect_status: 200
    monitor: {duration_s: 300, interval_s: 15, max_failures: 1}
budget: {monthly_usd: 200, per_task_usd: 5}
"""


def test_good_config_parses_with_defaults() -> None:
    cfg = parse_config(GOOD, "agentops.yaml")
    assert [a.name for a in cfg.agents] == ["claude-1", "scripted"]
    assert cfg.agents[0].capabilities == ("python", "docs")
    assert cfg.repositories[0].name == "acme/api"
    assert cfg.repository("acme/web") is not None and cfg.repository("acme/web").gates[0].run == ("npm", "test")
    env = cfg.environments["production"]
    assert env.monitor.duration_s == 300.0 and env.health_checks[0].expect_status == 200
    assert cfg.budget.monthly_usd == 200.0
    assert cfg.claims.lease_minutes == 60  # default


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        ("agents:\n  - name: a\n    max_concurent: 2\n", 3, "agents[0].max_concurent", "unknown key"),
        ("agents:\n  - name: a\n    max_concurrent: two\n", 3, "agents[0].max_concurrent", "expected int"),
        ("budget:\n  monthly_usd: [1]\n", 2, "budget.monthly_usd", "expected float"),
        ("agents:\n  - backend: claude\n", 2, "agents[0].name", "required field is missing"),
        ("agents:\n  - name: a\n    backend: gpt\n", 3, "agents[0].backend", "must be one of"),
        ("repositories: [nonsense]\n", 1, "repositories[0].name", "not OWNER/NAME"),
        ("version: 7\n", 1, "version", "unsupported version"),
        ("agents:\n  - name: a\n  - name: a\n", 3, "agents[1].name", "duplicate agent"),
        ("agents:\n  - name: x\n    backend: command\n", 2, "agents[0].command", "needs a `command`"),
        ("scout: [1, 2]\n", 1, "scout", "expected a mapping"),
        ("a: [\n", 2, None, "invalid YAML"),
        ("x: 1\n", 1, "x", "unknown key"),
    ],
)
def test_bad_config_names_file_line_and_field(text: str, line: int, field: str | None, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "conf/agentops.yaml")
    err = info.value
    assert err.exit_code == ExitCode.BAD_INPUT
    assert err.line == line, err.message
    assert err.field == field
    assert fragment in err.message
    assert err.message.startswith(f"conf/agentops.yaml:{line}:")


def test_empty_and_missing_config_give_defaults(tmp_path: Path) -> None:
    assert parse_config("", "x.yaml").agents == ()
    assert load_config(tmp_path / "absent.yaml") == Config()
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yaml", required=True)


def test_cli_reports_bad_config_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "agentops.yaml"
    cfg.write_text("agents:\n  - name: a\n    max_concurrent: many\n")
    res = subprocess.run([sys.executable, "-m", "agentops", "--config", str(cfg), "doctor", "--offline", "--json"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)
    # doctor reports the config failure as a failed required check (exit 1), naming file:line:field
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert f"{cfg}:3: agents[0].max_concurrent" in res.stdout
