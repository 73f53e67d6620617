"""`agentops plan`: the dependency DAG of the open tasks as waves that can run in parallel,
with the agent each ready task would go to. Reads GitHub only through the (cheap) sync."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from agentops.context import Context
from agentops.domain import queue as q
from agentops.orchestrator.agents import agent_profiles
from agentops.orchestrator.backlog import backlog_rows
from agentops.orchestrator.records import queue_task
from agentops.orchestrator.refresh import refresh
from agentops.orchestrator.relations import epic_progress
from agentops.orchestrator.sync import target_repos
from agentops.state import docs


@dataclass(frozen=True)
class PlanTask:
    key: str
    title: str
    status: str
    priority: str
    agent: str
    dependencies: tuple[str, ...]
    assigned_to: str | None = None
    # Where each dependency edge comes from, aligned with `dependencies`: "form" (the form's
    # Dependencies field), "native" (GitHub's blocked-by), "both", or "order" (an epic's step order).
    sources: tuple[str, ...] = ()
    epic: str | None = None  # the epic this task is a step of
    stage: str = ""  # the pipeline stage (domain.stage): queued, authoring, in review, ...


@dataclass(frozen=True)
class PlanEpic:
    key: str
    title: str
    status: str
    steps_closed: int
    steps: int
    waves: tuple[tuple[str, ...], ...]  # the open steps, as waves that can run in parallel
    stages: dict[str, str] = field(default_factory=dict)  # every step (closed ones too) -> its pipeline stage


@dataclass(frozen=True)
class PlanResult:
    repos: tuple[str, ...]
    waves: tuple[tuple[PlanTask, ...], ...]
    held: tuple[PlanTask, ...]
    cycles: tuple[tuple[str, ...], ...]
    outside: dict[str, tuple[str, ...]]  # task -> open dependencies outside the queue
    epics: tuple[PlanEpic, ...] = ()
    warnings: tuple[str, ...] = ()  # where the form and GitHub's native relations disagree


@dataclass(frozen=True)
class PlanOptions:
    repos: tuple[str, ...] = ()
    sync: bool = True


def run(options: PlanOptions, ctx: Context) -> PlanResult:
    repos = target_repos(ctx, options.repos)
    tasks, _stats, _changes = refresh(ctx, repos, sync=options.sync, write=False)
    qt = {k: queue_task(k, t) for k, t in tasks.items()}
    # An epic finishes after its steps: dependents of an epic wait for all of them.
    for k, t in tasks.items():
        if t.get("sub_issues"):
            qt[k] = replace(qt[k], dependencies=tuple(dict.fromkeys([*qt[k].dependencies, *t["sub_issues"]])))
    ready = q.readiness(qt, {d: "closed" for t in qt.values() for d in t.dependencies if d not in qt})
    wave_keys, held_keys = q.waves(qt, ready)
    profiles = agent_profiles(ctx, ctx.store.records(docs.TASK_QUEUE))
    ordered_ready = [qt[k] for k in q.order(qt) if tasks[k].get("status") == "ready"]
    assignment = q.assign(ordered_ready, list(profiles.values())) if profiles else {}
    records = ctx.store.records(docs.TASK_QUEUE)
    steps = {s for t in tasks.values() for s in t.get("sub_issues") or () if s in records}
    stages = {row.key: row.stage for row in backlog_rows(ctx, {**{s: records[s] for s in steps}, **tasks})}

    def view(k: str) -> PlanTask:
        t = tasks[k]
        deps = tuple(t.get("dependencies") or ())
        sources = t.get("dependency_sources") or {}
        return PlanTask(k, str(t.get("title", "")), str(t.get("status")), str(t.get("priority")),
                        str(t.get("agent")), deps, assignment.get(k), tuple(str(sources.get(d, "form")) for d in deps),
                        t.get("epic"), stages.get(k, ""))

    outside = {k: tuple(b for b in t.get("blockers") or () if b not in qt) for k, t in tasks.items()}
    waves = tuple(w for w in (tuple(view(k) for k in keys if not tasks[k].get("sub_issues")) for keys in wave_keys) if w)
    warnings = tuple(f"{k}: {w}" for k in sorted(tasks) for w in tasks[k].get("dependency_warnings") or ())
    return PlanResult(repos, waves, tuple(view(k) for k in held_keys),
                      tuple(q.find_cycles({k: t.dependencies for k, t in qt.items()})),
                      {k: v for k, v in outside.items() if v}, _epics(ctx, tasks, stages), warnings)


def _epics(ctx: Context, tasks: dict[str, dict[str, Any]], stages: dict[str, str]) -> tuple[PlanEpic, ...]:
    records = ctx.store.records(docs.TASK_QUEUE)
    out = []
    for k in sorted(tasks):
        t = tasks[k]
        if not t.get("sub_issues"):
            continue
        open_steps = {s: queue_task(s, tasks[s]) for s in t["sub_issues"] if s in tasks}
        # Within the epic: a step waits only for open steps; everything else it needs is shown on its row.
        inner = {s: replace(st, dependencies=tuple(d for d in st.dependencies if d in open_steps))
                 for s, st in open_steps.items()}
        step_waves, _held = q.waves(inner, q.readiness(inner, {}))
        done, total = epic_progress(tasks, records, t)
        out.append(PlanEpic(k, str(t.get("title", "")), str(t.get("status")), done, total,
                            tuple(tuple(w) for w in step_waves),
                            {s: stages[s] for s in t["sub_issues"] if s in stages}))
    return tuple(out)
