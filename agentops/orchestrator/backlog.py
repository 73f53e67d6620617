"""The backlog's progress from the local state: each task's pipeline stage, agent, PR and rounds
(domain.backlog), for `play`, `status`, `report` and `plan`. No network, no heavy import (status
calls it and must start fast)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agentops.context import Context
from agentops.domain.backlog import TaskProgress, task_progress
from agentops.domain.backlog_scope import (
    BACKLOG_PREFIX,
    ActiveBacklog,
    BacklogView,
    Selection,
    backlog_key,
    from_record,
    scope_keys,
)
from agentops.domain.taskkey import natural_key
from agentops.domain.timeutil import iso
from agentops.errors import BadInput, StateError
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


# -- the active backlog (domain.backlog_scope): what `play` started, honoured by every dispatch --
def active_backlog(ctx: Context, repo: str) -> ActiveBacklog | None:
    return _parsed(ctx, backlog_key(repo), ctx.store.get(docs.TASK_QUEUE, backlog_key(repo)))


def active_backlogs(ctx: Context, records: Mapping[str, Mapping[str, Any]]) -> list[ActiveBacklog]:
    """Every repository's active backlog among the task queue's records."""
    return [b for k, rec in sorted(records.items()) if k.startswith(BACKLOG_PREFIX)
            and (b := _parsed(ctx, k, rec)) is not None]


def _parsed(ctx: Context, key: str, rec: Mapping[str, Any] | None) -> ActiveBacklog | None:
    if rec is None:
        return None
    got = from_record(rec)
    if isinstance(got, str):
        # Fail closed: a backlog nobody can read must not silently widen to every task.
        raise StateError(str(ctx.store.path(docs.TASK_QUEUE)), f"record {key!r}: {got}",
                         hint="`agentops play --stop` clears the backlog; `agentops play` starts a new one")
    return got


def start_backlog(ctx: Context, repo: str, selection: Selection) -> tuple[ActiveBacklog, ActiveBacklog | None]:
    """(the backlog now active, the one it replaced)."""
    new = ActiveBacklog(repo, selection, iso(ctx.clock(), timespec="seconds"), ctx.worker_id)
    old: list[ActiveBacklog | None] = []

    def upd(d: Any) -> None:
        old.append(_parsed_or_none(d.get(backlog_key(repo))))
        d.put(backlog_key(repo), new.to_record())

    ctx.store.update(docs.TASK_QUEUE, upd)
    return new, old[0]


def stop_backlog(ctx: Context, repo: str) -> ActiveBacklog | None:
    """End the repository's backlog (the one that was active, if any)."""
    old: list[ActiveBacklog | None] = []

    def upd(d: Any) -> None:
        rec = d.get(backlog_key(repo))
        old.append(_parsed_or_none(rec))
        if rec is not None:
            d.delete(backlog_key(repo))

    ctx.store.update(docs.TASK_QUEUE, upd)
    return old[0]


def _parsed_or_none(rec: Mapping[str, Any] | None) -> ActiveBacklog | None:
    """Replacing or stopping a broken backlog record is how it gets fixed: no error there."""
    got = from_record(rec) if rec is not None else None
    return got if isinstance(got, ActiveBacklog) else None


def backlog_scope(ctx: Context, repo: str, records: Mapping[str, Mapping[str, Any]]) -> set[str] | None:
    """The task keys the repository's active backlog allows to start; None: no limit."""
    backlog = active_backlog(ctx, repo)
    if backlog is None or backlog.selection.everything:
        return None
    mine = {k: t for k, t in records.items() if "#" in k and not k.startswith(("sync:", "deps:"))
            and str(t.get("repo") or k.rpartition("#")[0]).lower() == repo.lower()}
    return scope_keys(mine, backlog.selection)


def backlog_views(ctx: Context, records: Mapping[str, Mapping[str, Any]],
                  rows: Iterable[TaskProgress]) -> list[BacklogView]:
    """Each active backlog with the rows (already computed for the queue) of its tasks."""
    by_key = {r.key: r for r in rows}
    out = []
    for b in active_backlogs(ctx, records):
        mine = {k: t for k, t in records.items() if k in by_key and _repo_of(k, t).lower() == b.repo.lower()}
        keys = scope_keys(mine, b.selection)
        out.append(BacklogView(b, tuple(by_key[k] for k in sorted(keys, key=natural_key))))
    return out
