"""`agentops plan`: the dependency DAG of the open tasks as waves that can run in parallel,
with the agent each ready task would go to. Reads GitHub only through the (cheap) sync."""

from __future__ import annotations

from dataclasses import dataclass

from agentops.context import Context
from agentops.domain import queue as q
from agentops.orchestrator.agents import agent_profiles
from agentops.orchestrator.records import queue_task
from agentops.orchestrator.refresh import refresh
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


@dataclass(frozen=True)
class PlanResult:
    repos: tuple[str, ...]
    waves: tuple[tuple[PlanTask, ...], ...]
    held: tuple[PlanTask, ...]
    cycles: tuple[tuple[str, ...], ...]
    outside: dict[str, tuple[str, ...]]  # task -> open dependencies outside the queue


@dataclass(frozen=True)
class PlanOptions:
    repos: tuple[str, ...] = ()
    sync: bool = True


def run(options: PlanOptions, ctx: Context) -> PlanResult:
    repos = target_repos(ctx, options.repos)
    tasks, _stats, _changes = refresh(ctx, repos, sync=options.sync, write=False)
    qt = {k: queue_task(k, t) for k, t in tasks.items()}
    ready = q.readiness(qt, {d: "closed" for t in qt.values() for d in t.dependencies if d not in qt})
    wave_keys, held_keys = q.waves(qt, ready)
    profiles = agent_profiles(ctx, ctx.store.records(docs.TASK_QUEUE))
    ordered_ready = [qt[k] for k in q.order(qt) if tasks[k].get("status") == "ready"]
    assignment = q.assign(ordered_ready, list(profiles.values())) if profiles else {}

    def view(k: str) -> PlanTask:
        t = tasks[k]
        return PlanTask(k, str(t.get("title", "")), str(t.get("status")), str(t.get("priority")),
                        str(t.get("agent")), tuple(t.get("dependencies") or ()), assignment.get(k))

    outside = {k: tuple(b for b in t.get("blockers") or () if b not in qt) for k, t in tasks.items()}
    return PlanResult(repos, tuple(tuple(view(k) for k in w) for w in wave_keys), tuple(view(k) for k in held_keys),
                      tuple(q.find_cycles({k: t.dependencies for k, t in qt.items()})),
                      {k: v for k, v in outside.items() if v})
