"""`init --tick-every MINUTES`: the tick workflow's cadence is a documented choice; re-running init keeps
it (no conflict), another value changes it, a bad one is exit 2 with nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from agentops.commands.init import TICK_WORKFLOW, template_files
from agentops.domain.cadence import CRONS, DEFAULT, cron_of, with_cron


def _init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "GITHUB_REPOSITORY")}
    return subprocess.run([sys.executable, "-m", "agentops", "init", "--no-labels", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _cron(root: Path) -> str:
    doc = yaml.safe_load((root / TICK_WORKFLOW).read_text())
    return str(doc[True]["schedule"][0]["cron"])  # YAML 1.1 reads the key `on` as true


def test_the_template_cadence_is_the_default_and_crons_use_odd_minutes() -> None:
    template = dict(template_files())[TICK_WORKFLOW].decode()
    assert cron_of(template) == CRONS[DEFAULT]
    for cron in CRONS.values():
        assert all(int(m) % 2 == 1 for m in cron.split()[0].split(","))
        assert with_cron(template, cron).replace(cron, CRONS[DEFAULT]) == template  # only the cron changes


def test_init_tick_every_is_kept_changed_and_validated(tmp_path: Path) -> None:
    assert _init(tmp_path, "--tick-every", "60").returncode == 0
    assert _cron(tmp_path) == "23 * * * *"
    again = _init(tmp_path)
    assert again.returncode == 0, again.stderr  # the chosen cadence is no conflict
    assert _cron(tmp_path) == "23 * * * *"
    assert _init(tmp_path, "--tick-every", "15").returncode == 0
    assert _cron(tmp_path) == CRONS[DEFAULT]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    bad = _init(fresh, "--tick-every", "7")
    assert bad.returncode == 2 and "--tick-every" in bad.stderr and list(fresh.iterdir()) == []
