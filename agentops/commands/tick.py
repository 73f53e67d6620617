"""`agentops tick`: the orchestrator's periodic pass (cron).

- claims whose lease expired: release comment + label off + re-queue (attempts + 1);
- overdue tasks: one escalation comment per deadline (marker) and priority one step up;
- failed tasks: back in the queue after exponential backoff; after `claims.max_attempts`,
  `needs-human`;
- blocked/unblocked labels and the status comment brought up to date;
- remediation rounds whose run never reported an end within the dispatch's lease plus the agent's
  timeout: marked stale, so the PR's stage moves on (orchestrator.pr_record.expire_rounds).

Idempotent: a second run right after the first finds nothing to do and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentops.context import Context
from agentops.domain.claims import (
    CLAIMED_LABEL,
    ESCALATION_KIND,
    iso,
    live_claims,
    own_claims,
)
from agentops.domain.markers import make_marker
from agentops.domain.queue import raise_priority
from agentops.domain.timeutil import parse_time as parse_iso
from agentops.orchestrator.actions import log_action
from agentops.orchestrator.claims import comment_rows, withdraw
from agentops.orchestrator.mirror import reflect
from agentops.orchestrator.pr_record import expire_rounds
from agentops.orchestrator.readiness import evaluate
from agentops.orchestrator.relations import close_finished_epics, mirror_dependencies
from agentops.orchestrator.release import post_release, record_release
from agentops.orchestrator.sync import sync_repo, target_repos
from agentops.state import docs


@dataclass(frozen=True)
class TickOptions:
    repos: tuple[str, ...] = ()


@dataclass(frozen=True)
class TickResult:
    repos: tuple[str, ...]
    expired: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()
    requeued: tuple[str, ...] = ()
    needs_human: tuple[str, ...] = ()
    changes: dict[str, list[str]] = field(default_factory=dict)
    stale_rounds: tuple[str, ...] = ()  # "owner/repo pr-N key" of rounds whose run never ended

    @property
    def changed(self) -> bool:
        return bool(self.expired or self.escalated or self.requeued or self.needs_human or self.changes
                    or self.stale_rounds)


def expire_leases(ctx: Context, key: str, t: dict[str, Any]) -> bool:
    """True when an expired claim was released. Asks GitHub only for tasks that look claimed."""
    repo, number = t["repo"], t["number"]
    if CLAIMED_LABEL not in (t.get("labels") or []) and not t.get("claim"):
        return False
    now = ctx.clock()
    rows = comment_rows(ctx, repo, number)
    me = ctx.trust.me()
    live = live_claims(rows, now, me)
    if live:
        # A loser whose withdrawal failed stays live and would hold the task once the winner
        # releases it: take such stale losing claims back now.
        for loser in live[1:]:
            withdraw(ctx, repo, loser)
        return False
    # Only our own unreleased claims are stale leases; a forged claim (even one "expiring" in
    # 2099) never counts, so it neither blocks the task nor earns a release comment.
    stale = own_claims(rows, me)
    if not stale:
        # Already released elsewhere (or a hand-applied label): tidy up, no attempt is counted.
        if CLAIMED_LABEL in (t.get("labels") or []):
            ctx.github.remove_label(repo, number, CLAIMED_LABEL)
        record_release(ctx, key, "manual", agent=None)
        return False
    for claim in stale:
        post_release(ctx, repo, number, claim, "lease-expired",
                     f"The lease ended at {iso(claim.expires)} without a renewal; the task is back in the queue.")
    agent = stale[-1].agent
    rec = record_release(ctx, key, "lease-expired", agent=agent)
    log_action(ctx, agent=agent, repo=repo, issue=number, action="lease-expired", result="ok",
                  details={"claims": [c.comment_id for c in stale]})
    log_action(ctx, agent=agent, repo=repo, issue=number, action="requeue", result="ok",
                  details={"attempts": (rec or {}).get("attempts"), "reason": "lease-expired"})
    return True


def escalate(ctx: Context, key: str, t: dict[str, Any]) -> bool:
    deadline = parse_iso(t.get("deadline"))
    if deadline is None or deadline > ctx.clock() or t.get("escalated_for") == t.get("deadline"):
        return False
    repo, number = t["repo"], t["number"]
    marker = make_marker(ESCALATION_KIND, issue=number, deadline=t["deadline"])
    new_priority = raise_priority(t.get("priority"))
    body = (f"{marker}\nOverdue: the deadline {t['deadline']} has passed. Priority raised from "
            f"{t.get('priority')} to {new_priority}.")
    if not any(ctx.trust.marker(b, a, ESCALATION_KIND, issue=number, deadline=t["deadline"])
               for _, b, a in comment_rows(ctx, repo, number)):
        ctx.github.create_comment(repo, number, body, marker=marker)

    def upd(d: Any) -> None:
        rec = d.get(key) or t
        rec["priority"] = new_priority
        rec["escalated_for"] = t["deadline"]
        d.put(key, rec)
    ctx.store.update(docs.TASK_QUEUE, upd)
    log_action(ctx, agent=None, repo=repo, issue=number, action="escalate", result="ok",
                  details={"deadline": t["deadline"], "priority": new_priority})
    return True


def run(options: TickOptions, ctx: Context) -> TickResult:
    with ctx.store.batch(docs.TASK_QUEUE):  # one write of the queue per tick
        return _tick(options, ctx)


def _tick(options: TickOptions, ctx: Context) -> TickResult:
    repos = target_repos(ctx, options.repos)
    for repo in repos:
        sync_repo(ctx, repo)
    tasks = evaluate(ctx, repos)
    expired: list[str] = []
    escalated: list[str] = []
    requeued: list[str] = []
    for key in sorted(tasks):
        t = tasks[key]
        if expire_leases(ctx, key, t):
            expired.append(key)
        if escalate(ctx, key, t):
            escalated.append(key)
        # Backoff over: the task was "backoff" and evaluation now finds it ready again.
        retry = parse_iso(t.get("retry_at"))
        if retry is not None and retry <= ctx.clock() and not t.get("exhausted"):
            def clear(d: Any, k: str = key) -> None:
                rec = d.get(k)
                if rec is not None:
                    rec["retry_at"] = None
                    d.put(k, rec)
            ctx.store.update(docs.TASK_QUEUE, clear)
            requeued.append(key)
            log_action(ctx, agent=None, repo=t["repo"], issue=t["number"], action="requeue", result="ok",
                          details={"attempts": t.get("attempts"), "reason": "backoff-over"})
    # Re-evaluate with what changed above, then mirror labels and status comments.
    tasks = evaluate(ctx, repos)
    changes: dict[str, list[str]] = {}
    needs_human: list[str] = []
    for key, done in mirror_dependencies(ctx, tasks).items():
        changes[key] = done
    for key in sorted(tasks):
        done = reflect(ctx, key, tasks[key])
        if done:
            changes.setdefault(key, []).extend(done)
            if "needs-human" in done:
                needs_human.append(key)
    for key, done in close_finished_epics(ctx, tasks).items():
        changes.setdefault(key, []).extend(done)
    stale = [f"{repo} {what}" for repo in repos for what in expire_rounds(ctx, repo)]
    result = TickResult(repos, tuple(expired), tuple(escalated), tuple(requeued), tuple(needs_human), changes,
                        tuple(stale))
    if result.changed:
        # Read back our own writes now, so the next tick starts from a 304 and changes nothing.
        for repo in repos:
            sync_repo(ctx, repo)
        evaluate(ctx, repos)
    return result


def to_json(r: TickResult) -> dict[str, Any]:
    return {"repos": list(r.repos), "expired": list(r.expired), "escalated": list(r.escalated),
            "requeued": list(r.requeued), "needs_human": list(r.needs_human), "changes": r.changes,
            "stale_rounds": list(r.stale_rounds), "changed": r.changed}
