"""The append-only agent-actions log: one line per thing agentops did to a task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentops.context import Context
from agentops.domain.claims import iso
from agentops.state import docs

from .agents import OUTCOME_ACTIONS, record_outcome


def log_action(ctx: Context, *, agent: str | None, repo: str | None, issue: int | None, action: str,
               result: str, details: Mapping[str, Any] | None = None) -> None:
    ctx.store.append(docs.AGENT_ACTIONS, {
        "ts": iso(ctx.clock()), "agent": agent, "worker": ctx.worker_id, "repo": repo, "issue": issue,
        "action": action, "result": result, "details": dict(details or {}),
    })
    if agent and action in OUTCOME_ACTIONS:
        record_outcome(ctx, agent, OUTCOME_ACTIONS[action])

