"""The active backlog of a repository: what `agentops play` started, kept in the task queue under
`backlog:<owner/repo>` so every later dispatch (the event router, the scheduled tick) stays
within it until `play --stop`.

A backlog is a selection, not a list: every task carrying all its labels and in its milestone,
whenever it was filed, plus the open tasks those depend on (transitively; a backlog whose task
waits on a task outside it would never finish). Without an active backlog every ready task of the
repository is dispatched, as before `play` existed. Remediation rounds on PRs already open are
never held back: a backlog limits which tasks start, not which finish. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentops.domain.backlog import TaskProgress, stage_counts

BACKLOG_PREFIX = "backlog:"


def backlog_key(repo: str) -> str:
    return f"{BACKLOG_PREFIX}{repo.lower()}"


@dataclass(frozen=True)
class Selection:
    labels: tuple[str, ...] = ()  # all of them (case-insensitive, as GitHub compares label names)
    milestone: str | None = None

    @property
    def everything(self) -> bool:
        return not self.labels and self.milestone is None

    def matches(self, task: Mapping[str, Any]) -> bool:
        have = {str(lb).lower() for lb in task.get("labels") or ()}
        if any(lb.lower() not in have for lb in self.labels):
            return False
        return self.milestone is None or str(task.get("milestone") or "").lower() == self.milestone.lower()

    def describe(self) -> str:
        parts = [f"label {lb}" for lb in self.labels] + ([f"milestone {self.milestone}"] if self.milestone else [])
        return " and ".join(parts) or "every task"


@dataclass(frozen=True)
class ActiveBacklog:
    repo: str
    selection: Selection
    started_at: str
    started_by: str  # the worker that pressed play

    def to_record(self) -> dict[str, Any]:
        return {"kind": "backlog", "repo": self.repo, "labels": list(self.selection.labels),
                "milestone": self.selection.milestone, "started_at": self.started_at, "started_by": self.started_by}

    def to_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "labels": list(self.selection.labels), "milestone": self.selection.milestone,
                "started_at": self.started_at, "started_by": self.started_by}


def from_record(rec: Mapping[str, Any]) -> ActiveBacklog | str:
    """The backlog, or what is wrong with the record (a hand-edited or corrupt state file)."""
    labels, milestone = rec.get("labels"), rec.get("milestone")
    if not isinstance(labels, list) or not all(isinstance(lb, str) and lb.strip() for lb in labels):
        return "`labels` is not a list of label names"
    if milestone is not None and not (isinstance(milestone, str) and milestone.strip()):
        return "`milestone` is not a milestone title or null"
    repo = rec.get("repo")
    if not isinstance(repo, str) or repo.count("/") != 1:
        return "`repo` is not OWNER/NAME"
    return ActiveBacklog(repo, Selection(tuple(labels), milestone), str(rec.get("started_at") or ""),
                         str(rec.get("started_by") or ""))


def scope_keys(tasks: Mapping[str, Mapping[str, Any]], selection: Selection) -> set[str]:
    """The backlog's tasks among `tasks` (one repository's records, keyed owner/repo#N): the ones
    the selection matches and, transitively, the tasks they depend on that are in `tasks`."""
    chosen = {k for k, t in tasks.items() if selection.matches(t)}
    todo = list(chosen)
    while todo:
        for dep in tasks.get(todo.pop(), {}).get("dependencies") or ():
            if isinstance(dep, str) and dep in tasks and dep not in chosen:
                chosen.add(dep)
                todo.append(dep)
    return chosen


@dataclass(frozen=True)
class BacklogView:
    """An active backlog and its tasks' progress, as `status` and `report` show it."""

    backlog: ActiveBacklog
    tasks: tuple[TaskProgress, ...]

    def to_json(self) -> dict[str, Any]:
        return {**self.backlog.to_json(), "selection": self.backlog.selection.describe(), "tasks": len(self.tasks),
                "stages": stage_counts(self.tasks), "keys": [t.key for t in self.tasks]}
