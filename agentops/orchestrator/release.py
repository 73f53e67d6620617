"""Releasing a claim: a release comment (marker naming the claim comment and its token, so it
voids exactly that claim), `agentops:claimed` off, and the outcome recorded: completed -> done, failed ->
retried later with backoff, anything else -> queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentops.context import Context
from agentops.domain.claims import (
    CLAIMED_LABEL,
    ClaimInfo,
    iso,
    live_claims,
    release_body,
    release_marker,
    retry_at,
)
from agentops.errors import BadInput
from agentops.state import docs

from .actions import log_action
from .agents import touch_agent
from .claims import comment_rows

REASONS = ("completed", "failed", "abandoned", "signal", "manual", "lease-expired")


@dataclass(frozen=True)
class ReleaseResult:
    repo: str
    issue: int
    released: bool
    reason: str
    agent: str | None = None
    worker: str | None = None
    comment_id: int | None = None
    status: str | None = None


def post_release(ctx: Context, repo: str, number: int, claim: ClaimInfo, reason: str, detail: str = "") -> int:
    """The release comment for exactly this claim (idempotent by marker) and the label off."""
    marker = release_marker(claim, by=ctx.worker_id, reason=reason)
    c = ctx.github.create_comment(repo, number, release_body(claim, by=ctx.worker_id, reason=reason, detail=detail),
                                  marker=marker)
    ctx.github.remove_label(repo, number, CLAIMED_LABEL)
    return c.id


def record_release(ctx: Context, key: str, reason: str, *, agent: str | None) -> dict[str, Any] | None:
    """Update the task record after a release; returns it (None when the task is unknown)."""
    cfg = ctx.config.claims
    now = ctx.clock()

    def upd(d: Any) -> dict[str, Any] | None:
        rec: dict[str, Any] | None = d.get(key)
        if rec is None:
            return None
        rec["claim"] = None
        rec["labels"] = sorted(set(rec.get("labels") or []) - {CLAIMED_LABEL})
        if rec.get("dispatch"):
            # The run this dispatch started is over, whatever its outcome: a new one may follow.
            rec["dispatch"] = {**rec["dispatch"], "finished": True}
        if reason == "completed":
            rec["status"] = "done"
            rec["completed"] = True
            rec["retry_at"] = None
        elif reason in ("failed", "lease-expired"):
            rec["attempts"] = int(rec.get("attempts") or 0) + 1
            rec["last_failure_at"] = iso(now)
            if rec["attempts"] >= cfg.max_attempts:
                rec["exhausted"] = True
                rec["status"] = "needs-human"
            elif reason == "failed":
                rec["retry_at"] = iso(retry_at(now, rec["attempts"], cfg.backoff_minutes))
                rec["status"] = "backoff"
            else:
                rec["status"] = "ready"
        else:
            rec["status"] = "ready"
            rec["completed"] = False  # a person released it by hand: it may be worked on again
        d.put(key, rec)
        return rec

    result: dict[str, Any] | None = ctx.store.update(docs.TASK_QUEUE, upd)
    return result


def release_claim(ctx: Context, repo: str, number: int, reason: str, *, detail: str = "",
                  any_worker: bool = False) -> ReleaseResult:
    if reason not in REASONS:
        raise BadInput(f"--reason: {reason!r} is not one of {', '.join(REASONS)}")
    rows = comment_rows(ctx, repo, number)
    live = live_claims(rows, ctx.clock(), ctx.trust.me())
    mine = [c for c in live if c.worker == ctx.worker_id]
    targets = live if any_worker else mine
    key = f"{repo}#{number}"
    if not targets:
        # Nothing live: still make sure the label is gone so the task is not stuck, and a
        # person's release re-opens a completed task for another run.
        rec0 = ctx.store.get(docs.TASK_QUEUE, key) or {}
        if any_worker and (CLAIMED_LABEL in (rec0.get("labels") or []) or rec0.get("completed")):
            ctx.github.remove_label(repo, number, CLAIMED_LABEL)
            rec = record_release(ctx, key, reason, agent=None)
            return ReleaseResult(repo, number, True, reason, status=(rec or {}).get("status"))
        return ReleaseResult(repo, number, False, reason)
    comment_id = None
    for claim in targets:
        comment_id = post_release(ctx, repo, number, claim, reason, detail)
    first = targets[0]
    rec = record_release(ctx, key, reason, agent=first.agent)
    if reason == "completed":
        touch_agent(ctx, first.agent, completed=1)
    elif reason == "failed":
        touch_agent(ctx, first.agent, failed=1)
    log_action(ctx, agent=first.agent, repo=repo, issue=number, action="release", result="ok",
               details={"reason": reason, "claim": first.comment_id, "detail": detail})
    return ReleaseResult(repo, number, True, reason, first.agent, first.worker, comment_id,
                         (rec or {}).get("status"))
