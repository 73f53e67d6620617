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


def agent_profiles(ctx: Context, records: Mapping[str, Mapping[str, Any]]) -> dict[str, q.AgentProfile]:
    """Configured agents with their current load (live claims in the task queue) and recent
    success rate (the last outcomes in the agent-actions log)."""
    now = ctx.clock()
    active: dict[str, int] = {}
    for key, rec in records.items():
        claim = rec.get("claim") if is_task_key(key) else None
        if claim and rec.get("state") == "open" and (parse_iso(claim.get("expires")) or now) > now:
            active[claim.get("agent", "")] = active.get(claim.get("agent", ""), 0) + 1
    outcomes: dict[str, list[bool]] = {}
    for ev in ctx.store.read_log(docs.AGENT_ACTIONS, since=now - dt.timedelta(days=30)):
        if ev.get("action") in ("task-completed", "task-failed") and ev.get("agent"):
            outcomes.setdefault(str(ev["agent"]), []).append(ev["action"] == "task-completed")
    out = {}
    for a in ctx.config.agents:
        recent = outcomes.get(a.name, [])[-_SUCCESS_WINDOW:]
        rate = sum(recent) / len(recent) if recent else None
        out[a.name] = q.AgentProfile(a.name, a.capabilities, a.max_concurrent, active.get(a.name, 0), rate)
    return out


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

