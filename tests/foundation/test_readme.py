"""The README's promises stay true: its config example loads, its commands exist, and .ci/run
runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

from agentops.cli import COMMANDS
from agentops.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_config_example_loads() -> None:
    block = re.search(r"## Configuration.*?```yaml\n(.*?)```", README, re.S)
    assert block is not None
    cfg = parse_config(block.group(1), "README.md")
    assert cfg.agents and cfg.environments and cfg.budget.monthly_usd


def test_every_command_in_the_table_exists() -> None:
    named = set(re.findall(r"^\| `agentops (\w[\w-]*)", README, re.M))
    named |= set(re.findall(r"^\| `agentops \w[\w-]*` / `(\w[\w-]*)`", README, re.M))
    assert named and named <= set(COMMANDS), named - set(COMMANDS)


def test_ci_runs_the_readme_test_command() -> None:
    readme_cmd = re.search(r"pip install -e '\.\[dev\]' && (python -m pytest[^\n`]*)", README)
    assert readme_cmd is not None
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_cmd.group(1).strip() in ci
    assert "pip install --quiet -e '.[dev]'" in ci
