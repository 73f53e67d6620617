"""`agentops tasks`: sync open `agent-task` issues into state/orchestrator/task-queue.json,
evaluate each task (form problems, trust, secrets, dependencies, cycles, backoff) and, unless
`dry_run`, mirror the result on GitHub (`agentops:blocked` / `needs-human` labels and one
status comment per issue, updated in place by marker). The work is agentops.orchestrator's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentops.context import Context
from agentops.domain import queue as q
from agentops.orchestrator.records import queue_task
from agentops.orchestrator.refresh import refresh
from agentops.orchestrator.sync import SyncStats, target_repos
from agentops.orchestrator.trust import warnings as trust_warnings
from agentops.state import docs


@dataclass(frozen=True)
class TasksOptions:
    repos: tuple[str, ...] = ()  # empty: ctx.repo()
    full: bool = False
    dry_run: bool = False  # no GitHub writes (labels, comments)
    sync: bool = True


@dataclass(frozen=True)
class TaskRow:
    key: str
    title: str
    status: str
    priority: str
    agent: str
    deadline: str | None
    blockers: tuple[str, ...]
    reason: str | None


@dataclass(frozen=True)
class TasksResult:
    repos: tuple[str, ...]
    tasks: tuple[TaskRow, ...]
    counts: dict[str, int]
    cycles: tuple[tuple[str, ...], ...]
    synced: tuple[SyncStats, ...] = ()
    changes: dict[str, list[str]] = field(default_factory=dict)
    # Forged markers (agentops markers on objects agentops did not write): ignored, listed here.
    warnings: tuple[str, ...] = ()


def ordered_rows(tasks: Mapping[str, Mapping[str, Any]]) -> list[TaskRow]:
    qt = {k: queue_task(k, t) for k, t in tasks.items()}
    rows = []
    for k in q.order(qt):
        t = tasks[k]
        rows.append(TaskRow(k, str(t.get("title", "")), str(t.get("status")), str(t.get("priority")),
                            str(t.get("agent")), t.get("deadline"), tuple(t.get("blockers") or ()),
                            t.get("hold_reason")))
    return rows


def run(options: TasksOptions, ctx: Context) -> TasksResult:
    repos = target_repos(ctx, options.repos)
    with ctx.store.batch(docs.TASK_QUEUE):  # one write of the queue, however many tasks changed
        tasks, stats, changes = refresh(ctx, repos, full=options.full, sync=options.sync,
                                        write=not options.dry_run)
    rows = ordered_rows(tasks)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    cycles = tuple(sorted({tuple(t["cycle"]) for t in tasks.values() if t.get("cycle")}))
    return TasksResult(repos, tuple(rows), counts, cycles, stats, changes, tuple(trust_warnings(tasks)))
