"""The configured agents as the queue sees them: load, recent success rate, liveness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from agentops.context import Context
from agentops.domain import queue as q
from agentops.domain.claims import iso
from agentops.domain.timeutil import parse_time as parse_iso
from agentops.errors import BadInput
from agentops.state import docs

from .records import is_task_key

_SUCCESS_WINDOW = 20  # recent task outcomes that make an agent's success rate
_SUCCESS_DAYS = 30
OUTCOME_ACTIONS = {"task-completed": True, "task-failed": False}


def agent_profiles(ctx: Context, records: Mapping[str, Mapping[str, Any]]) -> dict[str, q.AgentProfile]:
    """Configured agents with their current load (live claims in the task queue) and recent
    success rate (the outcome summary kept in agent-status as outcomes are logged: a claim
    never reads the agent-actions log, however long it grows)."""
    now = ctx.clock()
    active: dict[str, int] = {}
    for key, rec in records.items():
        claim = rec.get("claim") if is_task_key(key) else None
        if claim and rec.get("state") == "open" and (parse_iso(claim.get("expires")) or now) > now:
            active[claim.get("agent", "")] = active.get(claim.get("agent", ""), 0) + 1
    status = ctx.store.records(docs.AGENT_STATUS) if ctx.config.agents else {}
    out = {}
    for a in ctx.config.agents:
        recent = recent_outcomes(status.get(a.name) or {}, now)
        rate = sum(recent) / len(recent) if recent else None
        out[a.name] = q.AgentProfile(a.name, a.capabilities, a.max_concurrent, active.get(a.name, 0), rate)
    return out


def recent_outcomes(rec: Mapping[str, Any], now: dt.datetime) -> list[bool]:
    horizon = iso(now - dt.timedelta(days=_SUCCESS_DAYS))
    kept = [bool(ok) for ts, ok in _pairs(rec.get("outcomes")) if ts >= horizon]
    return kept[-_SUCCESS_WINDOW:]


def _pairs(raw: Any) -> list[tuple[str, int]]:
    if not isinstance(raw, list):
        return []
    return [(str(p[0]), int(p[1])) for p in raw if isinstance(p, list) and len(p) == 2 and isinstance(p[1], int)]


def record_outcome(ctx: Context, agent: str, ok: bool) -> None:
    """Keep the agent's last outcomes (the summary a claim reads) up to date as one is logged."""
    now = ctx.clock()

    def upd(d: Any) -> None:
        rec = d.get(agent) or {"agent": agent, "completed": 0, "failed": 0}
        horizon = iso(now - dt.timedelta(days=_SUCCESS_DAYS))
        pairs = [[ts, v] for ts, v in _pairs(rec.get("outcomes")) if ts >= horizon]
        rec["outcomes"] = [*pairs, [iso(now), int(ok)]][-_SUCCESS_WINDOW:]
        d.put(agent, rec)
    ctx.store.update(docs.AGENT_STATUS, upd)


def available_agents(ctx: Context, profiles: Mapping[str, q.AgentProfile]) -> list[q.AgentProfile]:
    """Agents seen working within one lease period: only they can take an `any` task off us."""
    now = ctx.clock()
    horizon = now - dt.timedelta(minutes=ctx.config.claims.lease_minutes)
    seen = ctx.store.records(docs.AGENT_STATUS)
    out = []
    for name, prof in profiles.items():
        last = parse_iso((seen.get(name) or {}).get("last_seen"))
        if last is not None and last >= horizon:
            out.append(prof)
    return out


def check_agent_name(ctx: Context, name: str) -> None:
    """Bad --agent values are exit 2 before anything syncs or writes: the name goes into claim markers
    and state keys, so it must be one printable line, and a configured one when agents are configured."""
    if not name.strip() or not name.isprintable():
        raise BadInput(f"--agent: {name!r} is not an agent name (one non-empty line of printable characters)")
    names = sorted(a.name for a in ctx.config.agents)
    if names and name not in names:
        raise BadInput(f"--agent: unknown agent {name!r} (configured: {', '.join(names)})",
                       hint="add it under `agents:` in agentops.yaml")


def resolve_agent(ctx: Context, name: str, profiles: Mapping[str, q.AgentProfile]) -> q.AgentProfile:
    if name in profiles:
        return profiles[name]
    if ctx.config.agents:
        raise BadInput(f"--agent: unknown agent {name!r} (configured: {', '.join(sorted(profiles))})",
                       hint="add it under `agents:` in agentops.yaml")
    # No agents configured: a bare name works, one task at a time, no capabilities.
    return q.AgentProfile(name)


def touch_agent(ctx: Context, agent: str, **counters: int) -> None:
    def upd(d: Any) -> None:
        rec = d.get(agent) or {"agent": agent, "completed": 0, "failed": 0}
        rec["last_seen"] = iso(ctx.clock())
        rec["worker"] = ctx.worker_id
        for k, v in counters.items():
            rec[k] = int(rec.get(k, 0)) + v
        d.put(agent, rec)
    ctx.store.update(docs.AGENT_STATUS, upd)

