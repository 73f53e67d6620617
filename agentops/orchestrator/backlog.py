"""The backlog's progress from the local state: each task's pipeline stage, agent, PR and rounds
(domain.backlog), for `play`, `status`, `report` and `plan`. No network, no heavy import (status
calls it and must start fast)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agentops.context import Context
from agentops.domain.backlog import TaskProgress, task_progress
from agentops.errors import BadInput
from agentops.orchestrator.pipeline import has_review_agent
from agentops.state import docs


def progress_of(ctx: Context, repos: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each repository's progress records (an unreadable repository name has none)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for repo in repos:
        if repo in out:
            continue
        try:
            name = docs.progress(repo)
        except BadInput:
            out[repo] = {}
            continue
        out[repo] = ctx.store.records(name)
    return out


def backlog_rows(ctx: Context, tasks: Mapping[str, Mapping[str, Any]]) -> list[TaskProgress]:
    """One row per task, in the order given."""
    repos = {_repo_of(k, t) for k, t in tasks.items()}
    progress = progress_of(ctx, sorted(repos))
    max_rounds = ctx.config.code.max_rounds
    return [task_progress(k, t, progress.get(_repo_of(k, t), {}), review_agent=has_review_agent(ctx, t),
                          max_rounds=max_rounds)
            for k, t in tasks.items()]


def _repo_of(key: str, task: Mapping[str, Any]) -> str:
    repo = task.get("repo")
    return str(repo) if isinstance(repo, str) and repo else key.rpartition("#")[0]
