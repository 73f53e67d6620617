"""`agentops status`: what the local state says, with no network and no heavy imports."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentops.context import Context


@dataclass(frozen=True)
class StatusOptions:
    recent: int = 5  # how many deployments/incidents to show


@dataclass(frozen=True)
class StatusResult:
    state_dir: str
    tasks: list[dict[str, Any]] = field(default_factory=list)
    task_counts: dict[str, int] = field(default_factory=dict)
    agents: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    open_incidents: list[dict[str, Any]] = field(default_factory=list)
    # Each repository's active backlog (`agentops play`): its selection and its tasks by stage.
    backlogs: list[dict[str, Any]] = field(default_factory=list)


def run(options: StatusOptions, ctx: Context) -> StatusResult:
    from agentops.state import docs

    # Status reads no setting, but a missing or broken config named with -c / AGENTOPS_CONFIG is bad input
    # here as in every other command (yaml is imported only when a config file is actually there).
    _ = ctx.config
    _check_state_dir(ctx.state_dir)
    store = ctx.store
    tasks = []
    counts: dict[str, int] = {}
    from agentops.domain.taskkey import natural_key
    from agentops.orchestrator.backlog import backlog_rows, backlog_views

    active: dict[str, int] = {}
    # The queue also holds `tasks`' sync bookkeeping.
    records = store.records(docs.TASK_QUEUE)
    queue = {k: v for k, v in sorted(records.items(), key=lambda kv: natural_key(kv[0])) if _is_task_key(k)}
    rows = backlog_rows(ctx, queue)
    backlogs = [v.to_json() for v in backlog_views(ctx, records, rows)]
    for row in rows:
        rec = queue[row.key]
        status = str(rec.get("status", "unknown"))
        counts[status] = counts.get(status, 0) + 1
        claim: dict[str, Any] = rec["claim"] if isinstance(rec.get("claim"), dict) else {}
        tasks.append({"key": row.key, "status": status, "stage": row.stage, "title": rec.get("title", ""),
                      "priority": rec.get("priority"), "agent": row.agent, "pr": row.pr, "rounds": row.rounds,
                      "lease_expires": claim.get("expires"), "worker": claim.get("worker")})
        if claim.get("agent") and rec.get("state") == "open":
            active[claim["agent"]] = active.get(claim["agent"], 0) + 1
    # The claim records are the leases; an agent's heartbeat is the last claim or lease renewal.
    agents = [{"name": k, **v, "active_tasks": active.get(k, 0), "heartbeat": v.get("last_seen")}
              for k, v in sorted(store.records(docs.AGENT_STATUS).items())]
    deployments = _tail(store.read_log(docs.DEPLOYMENTS), options.recent)
    incidents = _open_incidents(store.read_log(docs.INCIDENTS))
    return StatusResult(state_dir=str(ctx.state_dir), tasks=tasks, task_counts=counts, agents=agents,
                        deployments=deployments, open_incidents=incidents, backlogs=backlogs)


def _check_state_dir(path: Path) -> None:
    """Status only reads, so a state folder not created yet is an empty queue; but one that can
    never exist (a file in the way, /proc, a folder nobody may write) is bad input, exit 2 as in
    every command that writes, never an empty queue that looks like "nothing to do"."""
    from agentops.errors import StateError
    from agentops.state.lock import STATE_DIR_HINT

    if path.exists():
        if not path.is_dir():
            raise StateError(str(path), "the state folder is a file", hint=STATE_DIR_HINT)
        return
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        why = f"{parent} is not a folder"
    elif not os.access(parent, os.W_OK | os.X_OK):
        why = f"{parent} is not writable, so the state folder can never be created"
    elif os.statvfs(parent).f_blocks == 0:  # proc, sysfs, cgroup: no storage, mkdir fails
        why = f"{parent} is a virtual file system, so the state folder can never be created"
    else:
        return
    raise StateError(str(path), f"cannot read state: {why}", hint=STATE_DIR_HINT)


def _is_task_key(key: str) -> bool:
    # Same rule as orchestrator.records.is_task_key, not imported: that module pulls in the
    # domain and GitHub models, and status must start fast.
    return "#" in key and not key.startswith(("sync:", "deps:"))


def _tail(events: Any, n: int) -> list[dict[str, Any]]:
    window: list[dict[str, Any]] = []
    for ev in events:
        window.append(ev)
        if len(window) > n:
            window.pop(0)
    return list(reversed(window))


def _open_incidents(events: Any) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for ev in events:
        iid = str(ev.get("id"))
        latest[iid] = {**latest.get(iid, {}), **{k: v for k, v in ev.items() if v is not None}}
    return [v for v in latest.values() if v.get("event") != "resolved" and not v.get("resolved_at")]


def age(iso: str | None, now: dt.datetime) -> str:
    if not iso:
        return ""
    try:
        then = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    secs = int((now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(secs) >= size:
            return f"{secs // size}{unit} ago" if secs >= 0 else f"in {-secs // size}{unit}"
    return "just now"
