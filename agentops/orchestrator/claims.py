"""Claims and leases with the comment-lease protocol.

post a claim comment (marker: agent, worker, lease expiry, token) -> settle delay -> list the
live claims -> lowest comment id wins. A loser deletes its comment and, with an ISSUE, exits 4;
without one it tries the next best task. The winner labels `agentops:claimed`.

Before writing a claim on an issue that has comments, they are read once: a live claim there
means the race is already lost, and costs no comment to post and withdraw (with many workers on
one queue, this keeps claim comments per task near one). An issue the sync just saw without any
comment has nothing to look at, so that read is skipped. Among equally urgent tasks, those that
look contested (commented, or changed since this worker's last sync) are tried last.

Requests for an uncontended claim: 1 incremental sync read, the comment POST, the comment list
after the settle delay and the label: 4 (5 when the issue already has comments). Only claim comments
agentops's own login wrote count (the login comes from the author GitHub gives our new claim
comment, so it costs no request; a look-first that finds a claim asks once when it is not known yet).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentops.context import Context
from agentops.domain import queue as q
from agentops.domain.claims import (
    CLAIM_KIND,
    CLAIMED_LABEL,
    ClaimInfo,
    claim_body,
    claim_marker,
    iso,
    lease_expiry,
    live_claims,
    winner,
)
from agentops.domain.markers import make_marker
from agentops.errors import BadInput, GitHubError, LostRace, NotFound, Unavailable, WorkFailed
from agentops.state import docs

from .actions import log_action
from .agents import agent_profiles, available_agents, check_agent_name, resolve_agent, touch_agent
from .backlog import backlog_scope
from .budget import ensure_budget
from .readiness import evaluate
from .records import queue_task, split_key
from .sync import sync_repo
from .trust import read_comments

MAX_ATTEMPTS_PER_RUN = 20


@dataclass(frozen=True)
class Claimed:
    repo: str
    issue: int
    key: str
    agent: str
    worker: str
    comment_id: int
    expires: str
    title: str = ""


@dataclass(frozen=True)
class ClaimResult:
    claimed: Claimed | None
    agent: str
    tried: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Attempt:
    won: bool
    claim: ClaimInfo
    winner: ClaimInfo | None


# -- the protocol -----------------------------------------------------------------------------------
def comment_rows(ctx: Context, repo: str, number: int) -> list[tuple[int, str, str]]:
    """(id, body, author) of the issue's comments. Markers in comments agentops did not write are
    recorded as forgeries on the task (and never honoured: see domain.claims)."""
    return [(c.id, c.body, c.author) for c in read_comments(ctx, repo, number)]


def attempt(ctx: Context, repo: str, number: int, agent: str, *, quiet: bool = False) -> Attempt:
    """One round of the protocol on one issue. `quiet`: the sync this command just ran saw the
    issue without a single comment, so there is no claim to look for before writing ours (a
    rival that writes one meanwhile is settled by the read after the settle delay, as always)."""
    gh = ctx.github
    cfg = ctx.config.claims
    held = None if quiet else _held(ctx, repo, number)
    if held is not None:
        # Look before writing: somebody already holds it (or this worker does, from an earlier run).
        return Attempt(held.worker == ctx.worker_id and held.agent == agent, held, held)
    token = uuid.uuid4().hex[:16]
    expires = lease_expiry(ctx.clock(), cfg.lease_minutes)
    marker = claim_marker(agent, ctx.worker_id, expires, token)
    # With a marker, a create that failed after GitHub acted returns the comment it made.
    created = gh.create_comment(repo, number, claim_body(agent, ctx.worker_id, expires, token), marker=marker)
    mine = ClaimInfo(created.id, agent, ctx.worker_id, expires, token, created.author)
    # GitHub wrote our comment's author: that is agentops's own login, learnt without a request.
    ctx.trust.learn_self(created.author)
    if cfg.settle_seconds > 0:
        with ctx.output.progress(f"claiming {repo}#{number}: settling {cfg.settle_seconds:g} s for rival claims"):
            ctx.sleep(cfg.settle_seconds)
    rows = comment_rows(ctx, repo, number)
    if not any(cid == mine.comment_id for cid, _, _ in rows):
        rows.append((mine.comment_id, created.body, created.author))
    live = live_claims(rows, ctx.clock(), ctx.trust.me())
    # Our own duplicates (a retried create that left two) count once: the lowest is ours.
    ours = [c for c in live if c.token == token]
    first = winner(live)
    if first is not None and first.token == token:
        for extra in ours[1:]:
            withdraw(ctx, repo, extra)
        return Attempt(True, first, first)
    if first is not None and first.worker == ctx.worker_id and first.agent == agent:
        # We already held it (an earlier run of this worker): keep that claim.
        for c in ours:
            withdraw(ctx, repo, c)
        return Attempt(True, first, first)
    for c in ours or [mine]:
        withdraw(ctx, repo, c)
    return Attempt(False, mine, first)


def _held(ctx: Context, repo: str, number: int) -> ClaimInfo | None:
    """The live claim holding the issue now, if any (only claims our own login wrote count)."""
    rows = comment_rows(ctx, repo, number)
    if not any(CLAIM_KIND in body.lower() for _, body, _ in rows):
        return None  # nothing that looks like a claim: no need to know who we are
    return winner(live_claims(rows, ctx.clock(), ctx.trust.me()))


def withdraw(ctx: Context, repo: str, claim: ClaimInfo) -> None:
    """Take a losing claim back: delete it, or when GitHub refuses the delete, edit it to
    withdrawn (either way it stops counting as live). When both fail the claim stays live
    behind the winner; `tick` takes such stale losing claims back later."""
    try:
        ctx.github.delete_comment(repo, claim.comment_id)
        return
    except (GitHubError, NotFound, Unavailable):
        pass  # a refused or failing DELETE (5xx after retries included): edit it instead
    m = make_marker(CLAIM_KIND, agent=claim.agent, worker=claim.worker, expires=iso(claim.expires),
                    token=claim.token, state="withdrawn")
    try:
        ctx.github.edit_comment(repo, claim.comment_id, f"{m}\nWithdrawn: another worker claimed this first.")
    except (GitHubError, NotFound, Unavailable) as exc:
        ctx.output.warn(f"{repo}: could not withdraw losing claim comment {claim.comment_id} ({exc}); "
                        "`agentops tick` takes it back later")


def _record_win(ctx: Context, key: str, claim: ClaimInfo) -> dict[str, Any]:
    def upd(d: Any) -> dict[str, Any]:
        rec: dict[str, Any] = d.get(key) or {}
        rec["claim"] = {"agent": claim.agent, "worker": claim.worker, "comment_id": claim.comment_id,
                        "expires": iso(claim.expires), "token": claim.token, "claimed_at": iso(ctx.clock())}
        rec["status"] = "claimed"
        labels = set(rec.get("labels") or [])
        labels.add(CLAIMED_LABEL)
        rec["labels"] = sorted(labels)
        d.put(key, rec)
        return rec
    result: dict[str, Any] = ctx.store.update(docs.TASK_QUEUE, upd)
    return result


def claim_issue(ctx: Context, repo: str, number: int, agent: str, *, quiet: bool = False) -> Attempt:
    key = f"{repo}#{number}"
    result = attempt(ctx, repo, number, agent, quiet=quiet)
    if result.won:
        ctx.github.add_labels(repo, number, [CLAIMED_LABEL])
        _record_win(ctx, key, result.claim)
        log_details = {"comment": result.claim.comment_id, "expires": iso(result.claim.expires)}
        log_action(ctx, agent=agent, repo=repo, issue=number, action="claim", result="ok", details=log_details)
    else:
        w = result.winner
        log_action(ctx, agent=agent, repo=repo, issue=number, action="claim", result="lost",
                      details={"winner_agent": w.agent if w else None, "winner_worker": w.worker if w else None,
                               "winner_comment": w.comment_id if w else None})
    return result


def claim_task(ctx: Context, agent: str, *, repo: str, issue: int | None = None, sync: bool = True) -> ClaimResult:
    """Claim `issue` for `agent` (LostRace when another worker holds it), or without an issue the
    best ready task this agent can take."""
    if issue is not None and not 1 <= issue < 2**31:  # validated before the sync writes anything
        raise BadInput(f"ISSUE: {issue} is not an issue number (1 or more)")
    check_agent_name(ctx, agent)
    changed: tuple[str, ...] = ()
    if sync:
        # No ETag priming: this claim writes to the queue at once, so a primed ETag would be stale.
        changed = sync_repo(ctx, repo, prime=False).keys
    tasks = evaluate(ctx, [repo])
    records = ctx.store.records(docs.TASK_QUEUE)
    profiles = agent_profiles(ctx, records)
    me = resolve_agent(ctx, agent, profiles)
    touch_agent(ctx, me.name)

    if issue is not None:
        key = f"{repo}#{issue}"
        t = tasks.get(key)
        if t is None:
            raise BadInput(f"{key} is not an open `agent-task` issue",
                           hint="label it agent-task (or file it with the Agent Task form)")
        if t.get("status") not in ("ready", "claimed", "dispatched"):
            log_action(ctx, agent=me.name, repo=repo, issue=issue, action="claim", result="skipped",
                       details={"status": t.get("status"), "reason": t.get("hold_reason")})
            raise WorkFailed(f"{key} cannot be claimed: {t.get('status')} ({t.get('hold_reason')})")
        if not q.can_do(me, queue_task(key, t)):
            raise BadInput(f"{key} is assigned to agent {t.get('agent')!r}, not {me.name!r}")
        sent_to = (t.get("dispatch") or {}).get("agent") if t.get("status") == "dispatched" else None
        if sent_to and sent_to != me.name:
            # A dispatched run claims exactly its task for exactly its agent.
            raise LostRace(f"{key} was dispatched to agent {sent_to!r}, not {me.name!r}")
        ensure_budget(ctx, key)
        result = claim_issue(ctx, repo, issue, me.name, quiet=sync and _quiet(t))
        if not result.won:
            w = result.winner
            raise LostRace(f"{key} is held by agent {w.agent if w else '?'} (worker {w.worker if w else '?'})",
                           hint="pick another task, or run `agentops claim` without an ISSUE")
        return ClaimResult(_claimed(repo, issue, result.claim, t), me.name, (key,))

    ensure_budget(ctx)
    # A worker picking its own task stays within the active backlog too (naming an issue is a person's choice).
    scope = backlog_scope(ctx, repo, records)
    ready = {k: t for k, t in tasks.items() if t.get("status") == "ready" and (scope is None or k in scope)}
    qt = {k: queue_task(k, t) for k, t in tasks.items()}
    ordered = [qt[k] for k in q.order(qt) if k in ready]
    others = [p for p in available_agents(ctx, profiles) if p.name != me.name]
    # Ready tasks that changed since this worker's last sync, or carry comments, may have a
    # rival's claim in flight (its comment lands before its label): try the quiet ones first.
    contested = {k for k in ready if k in changed or ready[k].get("comments")}
    candidates = q.spread(q.candidates_for(me, ordered, others), qt, ctx.worker_id, later=contested)
    # A calm queue (nothing changed since the last sync but this worker's own claims, no ready
    # task commented) skips the look-before-writing on a comment-free issue; while others are
    # claiming, looking first spares a comment per lost race.
    calm = sync and not contested and all(_ours(ctx, records.get(k)) for k in changed)
    tried: list[str] = []
    lost: list[str] = []
    busy: set[str] = set()
    for key in candidates[:MAX_ATTEMPTS_PER_RUN]:
        if key in busy:
            continue
        number = split_key(key)[1]
        tried.append(key)
        result = claim_issue(ctx, repo, number, me.name, quiet=calm and not lost and _quiet(tasks[key]))
        if result.won:
            return ClaimResult(_claimed(repo, number, result.claim, tasks[key]), me.name, tuple(tried), tuple(lost))
        lost.append(key)
        if sync:
            # Our view is stale (others are claiming): one incremental sync names every issue that
            # changed since, which is cheaper than probing those candidates one by one.
            busy.update(sync_repo(ctx, repo, prime=False).keys)
    reason = "no eligible task" if not candidates else "lost every race" if lost else None
    if not me.free:
        reason = f"agent {me.name} already holds {me.active} task(s) (max_concurrent {me.max_concurrent})"
    return ClaimResult(None, me.name, tuple(tried), tuple(lost), reason)


def _ours(ctx: Context, rec: Mapping[str, Any] | None) -> bool:
    claim = (rec or {}).get("claim")
    return isinstance(claim, Mapping) and claim.get("worker") == ctx.worker_id


def _quiet(t: Mapping[str, Any]) -> bool:
    """No comment at all when last synced (a record from before counts were kept is not quiet)."""
    n = t.get("comments")
    return isinstance(n, int) and not isinstance(n, bool) and n == 0


def _claimed(repo: str, number: int, claim: ClaimInfo, t: Mapping[str, Any]) -> Claimed:
    return Claimed(repo, number, f"{repo}#{number}", claim.agent, claim.worker, claim.comment_id,
                   iso(claim.expires), str(t.get("title", "")))


# -- heartbeat --------------------------------------------------------------------------------------
def find_own_claim(ctx: Context, repo: str, number: int, *, agent: str | None = None,
                   rows: Sequence[tuple[int, str, str]] | None = None) -> ClaimInfo | None:
    rows = comment_rows(ctx, repo, number) if rows is None else rows
    for c in live_claims(rows, ctx.clock(), ctx.trust.me()):
        if c.worker == ctx.worker_id and (agent is None or c.agent == agent):
            return c
    return None


def renew_lease(ctx: Context, repo: str, issue: int, *, agent: str | None = None,
                lease_minutes: float | None = None) -> dt.datetime:
    """Push this worker's lease forward (edit its claim comment). LostRace when the claim is no
    longer ours (released by `tick` after it expired, or withdrawn): stop working then."""
    own = find_own_claim(ctx, repo, issue, agent=agent)
    if own is None:
        raise LostRace(f"{repo}#{issue}: this worker ({ctx.worker_id}) no longer holds a live claim")
    expires = lease_expiry(ctx.clock(), ctx.config.claims.lease_minutes if lease_minutes is None else lease_minutes)
    ctx.github.edit_comment(repo, own.comment_id, claim_body(own.agent, own.worker, expires, own.token))
    key = f"{repo}#{issue}"

    def upd(d: Any) -> None:
        rec = d.get(key)
        if rec is not None and rec.get("claim"):
            rec["claim"]["expires"] = iso(expires)
            d.put(key, rec)
    ctx.store.update(docs.TASK_QUEUE, upd)
    touch_agent(ctx, own.agent)
    return expires

