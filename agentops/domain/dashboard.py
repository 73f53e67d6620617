"""The dashboard's data: the full report plus the live picture the state holds (queue and its DAG,
agents, open incidents, flaky tests), built from plain records with no I/O.

The page itself is agentops/domain/dashboard_html.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agentops.domain.dora import Incident
from agentops.domain.report_render import FullReport
from agentops.domain.taskkey import natural_key
from agentops.domain.timeutil import parse_time

MAX_TASKS = 150  # rows and DAG nodes drawn; the page says how many more there are
MAX_FLAKY = 30


@dataclass(frozen=True)
class QueueTask:
    key: str
    repo: str
    number: int
    title: str
    status: str
    priority: str
    agent: str
    url: str | None
    dependencies: tuple[str, ...]


@dataclass(frozen=True)
class AgentState:
    name: str
    last_seen: dt.datetime | None
    worker: str


@dataclass(frozen=True)
class FlakyTest:
    test: str
    repo: str
    runs: int
    last_seen: dt.datetime | None


@dataclass(frozen=True)
class Dashboard:
    report: FullReport
    tasks: tuple[QueueTask, ...]
    tasks_total: int
    agents: tuple[AgentState, ...]
    incidents: tuple[Incident, ...]
    flaky: tuple[FlakyTest, ...]


def build(report: FullReport, queue: Mapping[str, Mapping[str, Any]], agents: Mapping[str, Mapping[str, Any]],
          incidents: Mapping[str, Incident], test_results: Iterable[tuple[str, Mapping[str, Any]]]) -> Dashboard:
    """`queue`: task-queue records by key; `agents`: agent-status records; `test_results`: (repo, record)."""
    open_tasks = sorted((k for k, r in queue.items() if _is_task(k, r)), key=natural_key)
    tasks = tuple(_task(k, queue[k]) for k in open_tasks[:MAX_TASKS])
    states = tuple(AgentState(name, parse_time(r.get("last_seen") or r.get("heartbeat")), str(r.get("worker") or ""))
                   for name, r in sorted(agents.items()) if isinstance(r, Mapping))
    open_incidents = tuple(sorted((i for i in incidents.values() if i.resolved_at is None),
                                  key=lambda i: natural_key(i.id)))
    return Dashboard(report, tasks, len(open_tasks), states, open_incidents, _flaky(test_results))


def _is_task(key: str, rec: Mapping[str, Any]) -> bool:
    if "#" not in key or key.startswith(("sync:", "deps:")):
        return False
    return rec.get("state", "open") == "open" and rec.get("status") not in ("done", "closed")


def _task(key: str, r: Mapping[str, Any]) -> QueueTask:
    repo, _, num = key.rpartition("#")
    url = r.get("html_url")
    return QueueTask(key=key, repo=repo, number=int(num) if num.isdigit() else 0, title=str(r.get("title") or ""),
                     status=str(r.get("status") or "unknown"), priority=str(r.get("priority") or ""),
                     agent=str(r.get("claimed_by") or r.get("agent") or ""),
                     url=url if isinstance(url, str) else None,
                     dependencies=tuple(str(d) for d in r.get("dependencies") or () if isinstance(d, str)))


def _flaky(results: Iterable[tuple[str, Mapping[str, Any]]]) -> tuple[FlakyTest, ...]:
    seen: dict[tuple[str, str], tuple[int, dt.datetime | None]] = {}
    for repo, rec in results:
        names = rec.get("flaky")
        if not isinstance(names, list):
            continue
        when = parse_time(rec.get("finished_at"))
        for name in {str(n) for n in names}:
            runs, last = seen.get((repo, name), (0, None))
            latest = when if last is None or (when is not None and when > last) else last
            seen[(repo, name)] = (runs + 1, latest)
    ordered = sorted(seen.items(), key=lambda kv: (-kv[1][0], kv[0][0], kv[0][1]))
    return tuple(FlakyTest(name, repo, runs, last) for (repo, name), (runs, last) in ordered[:MAX_FLAKY])


def dag_layers(tasks: Iterable[QueueTask]) -> tuple[list[list[QueueTask]], list[QueueTask]]:
    """Tasks in layers (a task sits one layer right of its deepest open dependency) and the tasks on a
    dependency cycle, which no layer can hold. Dependencies outside the set are done: no edge."""
    by_key = {t.key: t for t in tasks}
    depth: dict[str, int] = {}
    cyclic: set[str] = set()

    def visit(key: str, path: tuple[str, ...]) -> int:
        if key in depth:
            return depth[key]
        if key in path:
            cyclic.update(path[path.index(key):])
            return 0
        deps = [d for d in by_key[key].dependencies if d in by_key]
        level = 1 + max((visit(d, (*path, key)) for d in deps), default=-1)
        if key not in cyclic:
            depth[key] = level
        return level

    for key in by_key:
        visit(key, ())
    layers: list[list[QueueTask]] = []
    for key, level in depth.items():
        if key in cyclic:
            continue
        while len(layers) <= level:
            layers.append([])
        layers[level].append(by_key[key])
    for layer in layers:
        layer.sort(key=lambda t: natural_key(t.key))
    return [layer for layer in layers if layer], sorted((by_key[k] for k in cyclic), key=lambda t: natural_key(t.key))
