"""Seeding and running helpers for the scout tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from agentops.commands.scout import ScoutOptions, ScoutResult, run
from agentops.context import Context
from agentops.settings import Config, ScoutConfig
from tests.fixtures.github import make_test_context


def seed_repo(emu: Any, name: str, *, failing_ci: bool = True, alert: bool = True) -> None:
    emu.state.create_repo(name)
    sha = "a" * 40
    emu.state.add_workflow_run(name, name="CI", head_branch="main", head_sha=sha,
                               conclusion="failure" if failing_ci else "success")
    if alert:
        emu.state.add_dependabot_alert(name, severity="high", package="requests", summary="bad thing")


def context(tmp_path: Path, gh: Any, *, scout: ScoutConfig | None = None, now: dt.datetime | None = None,
            config: Config | None = None) -> Context:
    cfg = config or Config(scout=scout or ScoutConfig())
    clock = (lambda: now) if now is not None else None
    return make_test_context(tmp_path, gh, config=cfg, clock=clock)


def scan(ctx: Context, **kw: Any) -> ScoutResult:
    kw.setdefault("progress", False)
    return run(ScoutOptions(**kw), ctx)


def open_issues(emu: Any, repo: str) -> list[Any]:
    r = emu.state.repo(repo)
    return [i for i in r.issues.values() if i.pull is None and i.state == "open"]


def all_issues(emu: Any, repo: str) -> list[Any]:
    r = emu.state.repo(repo)
    return [i for i in r.issues.values() if i.pull is None]


def comment_count(emu: Any, repo: str) -> int:
    return sum(len(i.comments) for i in emu.state.repo(repo).issues.values())
