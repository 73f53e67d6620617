"""Queue policy: the dependency DAG, readiness, cycles, ordering, waves and agent matching.

Pure functions over small frozen values; the commands turn state records into `QueueTask`s.
Ordering is priority (raised to that of anything waiting on the task), then deadline, then age.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from agentops.domain.workorder import ANY_AGENT, PRIORITIES

_RANK = {p: i for i, p in enumerate(PRIORITIES)}
_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


def priority_rank(priority: str | None) -> int:
    return _RANK.get(priority or "", _RANK["medium"])


def raise_priority(priority: str | None) -> str:
    """One step more urgent (critical stays critical)."""
    return PRIORITIES[max(0, priority_rank(priority) - 1)]


@dataclass(frozen=True)
class QueueTask:
    key: str  # "owner/repo#N"
    priority: str = "medium"
    deadline: dt.datetime | None = None
    created_at: dt.datetime | None = None
    dependencies: tuple[str, ...] = ()
    agent: str = ANY_AGENT
    capabilities: tuple[str, ...] = ()
    # Agents an `any` task must not go to: its review agent (the gate is held by a second agent).
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Readiness:
    state: str  # "ready" | "blocked" | "cycle"
    blockers: tuple[str, ...] = ()  # open (or unknown) dependencies
    cycle: tuple[str, ...] = ()  # the cycle this task is part of, in dependency order


# -- graph -----------------------------------------------------------------------------------
def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components that are cycles (size > 1, or a self-loop), each rotated
    to start at its smallest key and listed in dependency order. Iterative Tarjan: no recursion
    limit on long chains."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[tuple[str, ...]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = [d for d in graph.get(node, ()) if d in graph]
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in graph.get(node, ()):
                    out.append(_cycle_order(set(comp), graph))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(out)


def _cycle_order(members: set[str], graph: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """A readable walk around the component, starting at its smallest key."""
    start = min(members)
    path = [start]
    seen = {start}
    cur = start
    while True:
        nxt = next((d for d in sorted(graph.get(cur, ())) if d in members and d not in seen), None)
        if nxt is None:
            break
        path.append(nxt)
        seen.add(nxt)
        cur = nxt
    path.extend(sorted(members - seen))
    return tuple(path)


def readiness(tasks: Mapping[str, QueueTask], external: Mapping[str, str]) -> dict[str, Readiness]:
    """Ready when every dependency is closed. `tasks` are the open tasks; `external` maps other
    dependencies to "open" | "closed" | "missing" (missing or unknown ones block)."""
    graph = {k: t.dependencies for k, t in tasks.items()}
    out: dict[str, Readiness] = {}
    for cycle in find_cycles(graph):
        for k in cycle:
            out[k] = Readiness("cycle", tuple(d for d in tasks[k].dependencies if d in tasks), cycle)
    for k, t in tasks.items():
        if k in out:
            continue
        blockers = tuple(d for d in t.dependencies if d in tasks or external.get(d, "missing") != "closed")
        out[k] = Readiness("blocked" if blockers else "ready", blockers)
    return out


def effective_priorities(tasks: Mapping[str, QueueTask]) -> dict[str, str]:
    """A task inherits the urgency of the most urgent open task that (transitively) waits on it,
    so a low-priority blocker of a critical task is not left at the back of the queue."""
    rank = {k: priority_rank(t.priority) for k, t in tasks.items()}
    best: dict[str, int] = {}
    for k in sorted(tasks, key=lambda x: (rank[x], x)):
        if k in best:
            continue
        r = rank[k]
        best[k] = r
        stack = [k]
        while stack:
            n = stack.pop()
            for d in tasks[n].dependencies:
                if d in tasks and d not in best:
                    best[d] = min(r, rank[d])
                    stack.append(d)
    return {k: PRIORITIES[v] for k, v in best.items()}


def order(tasks: Mapping[str, QueueTask], *, inherit: bool = True) -> list[str]:
    """All keys, most urgent first: priority, then deadline (none last), then age, then key."""
    eff = effective_priorities(tasks) if inherit else {k: t.priority for k, t in tasks.items()}

    def sort_key(k: str) -> tuple[int, dt.datetime, dt.datetime, str]:
        t = tasks[k]
        return (priority_rank(eff[k]), t.deadline or _FAR, t.created_at or _FAR, k)

    return sorted(tasks, key=sort_key)


def waves(tasks: Mapping[str, QueueTask], ready: Mapping[str, Readiness]) -> tuple[list[list[str]], list[str]]:
    """(waves, held). Wave 1 holds what can start now once its outside dependencies are closed;
    wave n+1 what becomes possible when wave n is done. Cycle members and everything that
    waits on them are `held`. Each wave is in queue order."""
    ranking = {k: i for i, k in enumerate(order(tasks))}
    held: set[str] = {k for k, r in ready.items() if r.state == "cycle"}
    level: dict[str, int] = {}
    for k in sorted(tasks, key=ranking.__getitem__):
        _level_of(k, tasks, held, level)
    grouped: dict[int, list[str]] = {}
    for k, lv in level.items():
        if lv >= 0:
            grouped.setdefault(lv, []).append(k)
    out = [sorted(grouped[lv], key=ranking.__getitem__) for lv in sorted(grouped)]
    held_list = sorted((k for k, lv in level.items() if lv < 0), key=ranking.__getitem__)
    return out, held_list


def _level_of(root: str, tasks: Mapping[str, QueueTask], held: set[str], level: dict[str, int]) -> int:
    """-1 when held; iterative so deep chains do not hit the recursion limit."""
    stack = [root]
    while stack:
        k = stack[-1]
        if k in level:
            stack.pop()
            continue
        if k in held:
            level[k] = -1
            stack.pop()
            continue
        deps = [d for d in tasks[k].dependencies if d in tasks]
        pending = [d for d in deps if d not in level]
        if pending:
            stack.extend(pending)
            continue
        lv = 0
        for d in deps:
            if level[d] < 0:
                lv = -1
                break
            lv = max(lv, level[d] + 1)
        level[k] = lv
        stack.pop()
    return level[root]


# -- matching --------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgentProfile:
    name: str
    capabilities: tuple[str, ...] = ()
    max_concurrent: int = 1
    active: int = 0  # tasks it holds now
    success_rate: float | None = None  # recent completed / (completed + failed); None: no history

    @property
    def free(self) -> bool:
        return self.active < self.max_concurrent

    @property
    def load(self) -> float:
        return self.active / max(1, self.max_concurrent)


def can_do(agent: AgentProfile, task: QueueTask) -> bool:
    if task.agent != ANY_AGENT:
        return task.agent == agent.name
    if agent.name in task.avoid:
        return False
    have = {c.casefold() for c in agent.capabilities}
    return all(c.casefold() in have for c in task.capabilities)


def _standing(agent: AgentProfile) -> tuple[float, float]:
    # Success rate in 0.1 steps so noise does not starve an agent that is nearly as good.
    rate = 0.5 if agent.success_rate is None else round(agent.success_rate, 1)
    return (agent.load, -rate)


def candidates_for(agent: AgentProfile, ordered_ready: Sequence[QueueTask],
                   others: Iterable[AgentProfile] = ()) -> list[str]:
    """Tasks `agent` should try, best first. Tasks assigned to it by name come before `any`
    tasks of the same priority; an `any` task is left to another capable agent with free capacity
    that stands better (less loaded, then a better recent success rate)."""
    if not agent.free:
        return []
    rivals = [o for o in others if o.name != agent.name and o.free]
    picked: list[tuple[int, int, int, str]] = []
    for pos, t in enumerate(ordered_ready):
        if not can_do(agent, t):
            continue
        if t.agent == ANY_AGENT and best_agent(t, [agent, *rivals]) != agent.name:
            continue
        picked.append((priority_rank(t.priority), 0 if t.agent == agent.name else 1, pos, t.key))
    return [k for *_, k in sorted(picked)]


def assign(ordered_ready: Sequence[QueueTask], agents: Sequence[AgentProfile]) -> dict[str, str | None]:
    """A whole-queue plan: each ready task to an agent (None when no capable agent has room).
    `any` tasks go to the least loaded capable agent, ties to the better success rate."""
    state = {a.name: a for a in sorted(agents, key=lambda a: a.name)}
    out: dict[str, str | None] = {}
    for t in ordered_ready:
        name = best_agent(t, list(state.values()))
        out[t.key] = name
        if name is not None:
            best = state[name]
            state[name] = AgentProfile(best.name, best.capabilities, best.max_concurrent, best.active + 1,
                                       best.success_rate)
    return out


def best_agent(task: QueueTask, agents: Sequence[AgentProfile]) -> str | None:
    """THE routing decision, for `work` (should this agent take it?) and for dispatch (which agent
    gets a run): the task's assigned agent when it names one, else the capable agent with free
    capacity that stands best (least loaded, then the better recent success rate); ties go to
    the agent listed first. None: no capable agent has room now."""
    capable = [(i, a) for i, a in enumerate(agents) if a.free and can_do(a, task)]
    if not capable:
        return None
    return min(capable, key=lambda ia: (*_standing(ia[1]), ia[0]))[1].name


def spread(keys: Sequence[str], tasks: Mapping[str, QueueTask], seed: str, window: int = 256,
           later: Collection[str] = ()) -> list[str]:
    """Shuffle the leading run of equally urgent tasks (same priority and deadline) in an order
    derived from `seed` (the worker id) and each key, so workers starting together try different
    tasks instead of all racing for the first one, and a worker that lost one race jumps somewhere
    else rather than onto its neighbour's pick. Order across priorities and deadlines is kept.
    The window is wide: over 16 slots, 16 workers land on only ~10 distinct tasks. Keys in
    `later` (tasks that look contested: a rival's claim may be in flight) go to the end of that
    run, still shuffled, so a worker tries them only when the quiet ones are gone."""
    if len(keys) < 2:
        return list(keys)
    head = tasks[keys[0]]
    run = 1
    while run < min(len(keys), window):
        t = tasks[keys[run]]
        if t.priority != head.priority or t.deadline != head.deadline or t.agent != head.agent:
            break
        run += 1
    salt = seed.encode("utf-8") + b"\0"
    lead = sorted(keys[:run], key=lambda k: (k in later, zlib.crc32(salt + k.encode("utf-8"))))
    return lead + list(keys[run:])
