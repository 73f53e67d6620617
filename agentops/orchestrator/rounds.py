"""Remediation rounds on an agent PR: one per trigger, bounded, agreed on through GitHub.

A round (review, CI fix, conflict resolution) is started by a trigger: a review id, a comment
id, a workflow run attempt, a check run, a base/head pair that no longer merges. Events arrive
twice (GitHub redelivers, two workflows see one change, an operator replays one), on different
runners with different state clones, so the record that a trigger was handled lives where every
runner sees it: a comment on the PR authored by agentops carrying
`<!-- agentops:round pr=N of=KIND trigger=T n=I token=X -->`. Two routers racing on one trigger
both post; the lowest comment id wins and the other deletes its own (the claim protocol, applied
to rounds). Markers from anyone else never count (GitHubTrust), so nobody can spend or refund
an agent's rounds by pasting a marker.

The bound is per PR across kinds (`code.max_rounds`): once reached, the PR goes to needs-human
with a summary of every round tried. The state record (`rounds` in progress) mirrors what the
PR says, for `status` and `report`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from agentops.context import Context
from agentops.domain.markers import make_marker
from agentops.domain.timeutil import iso
from agentops.github.models import Comment
from agentops.state.store import Document

ROUND = "round"
KINDS = ("review", "ci", "conflict")
_WHAT = {"review": "address review feedback", "ci": "fix failing CI", "conflict": "resolve merge conflicts"}


@dataclass(frozen=True)
class Round:
    kind: str
    trigger: str
    n: int
    comment_id: int


@dataclass(frozen=True)
class Ticket:
    """The answer to 'may this trigger start a round?'."""
    status: str  # start | duplicate | exhausted
    kind: str
    trigger: str
    n: int  # this round's number (start), or the rounds used so far
    limit: int
    rounds: tuple[Round, ...] = ()  # every round already agreed on this PR, oldest first

    @property
    def started(self) -> bool:
        return self.status == "start"


def rounds_on(ctx: Context, repo: str, pr: int, comments: Sequence[Comment] | None = None) -> list[Round]:
    """The rounds agreed on a PR: our round markers, one per trigger (its lowest comment)."""
    found = ctx.github.list_comments(repo, pr) if comments is None else comments
    seen: dict[str, Round] = {}
    for c in sorted(found, key=lambda c: c.id):
        m = ctx.trust.marker(c.body, c.author, ROUND, pr=pr)
        if m is None or (m.get("of") or "") not in KINDS or not m.get("trigger"):
            continue
        trigger = str(m.get("trigger"))
        if trigger not in seen:
            seen[trigger] = Round(str(m.get("of")), trigger, len(seen) + 1, c.id)
    return list(seen.values())


def begin(ctx: Context, repo: str, pr: int, kind: str, trigger: str, *, limit: int, why: str = "") -> Ticket:
    """Start a round for `trigger` unless it already had one or the PR's rounds are spent."""
    if kind not in KINDS:
        raise ValueError(f"unknown round kind {kind!r}")
    done = rounds_on(ctx, repo, pr)
    if any(r.trigger == trigger for r in done):
        return Ticket("duplicate", kind, trigger, len(done), limit, tuple(done))
    if len(done) >= limit:
        return Ticket("exhausted", kind, trigger, len(done), limit, tuple(done))
    n = len(done) + 1
    token = uuid.uuid4().hex[:12]
    marker = make_marker(ROUND, pr=pr, of=kind, trigger=trigger, n=n, token=token)
    text = f"agentops round {n} of {limit}: {_WHAT[kind]}" + (f" ({why})" if why else "") + f".\n\n{marker}"
    mine = ctx.github.create_comment(repo, pr, text, marker=marker)
    ctx.trust.learn_self(mine.author)
    after = rounds_on(ctx, repo, pr)
    winner = next((r for r in after if r.trigger == trigger), None)
    if winner is None or winner.comment_id != mine.id:
        # Another router posted first for this trigger: ours is withdrawn, theirs runs the round.
        ctx.github.delete_comment(repo, mine.id)
        return Ticket("duplicate", kind, trigger, len(after), limit, tuple(after))
    if winner.n > limit:  # a racing router took the last round with another trigger
        ctx.github.delete_comment(repo, mine.id)
        return Ticket("exhausted", kind, trigger, limit, limit, tuple(r for r in after if r.comment_id != mine.id))
    _record(ctx, repo, pr, winner)
    return Ticket("start", kind, trigger, winner.n, limit, tuple(after))


def summary(rounds: Sequence[Round]) -> str:
    """What was tried, for the needs-human comment."""
    if not rounds:
        return "no rounds were run"
    return "; ".join(f"round {r.n}: {_WHAT.get(r.kind, r.kind)} ({r.trigger})" for r in rounds)


def _record(ctx: Context, repo: str, pr: int, r: Round) -> None:
    """Mirror the agreed round into state for status and report (counts by kind, per PR)."""
    from agentops.state import docs

    key = f"pr-{pr}"

    def apply(d: Document) -> None:
        rec = dict(d.get(key) or {})
        entries = [e for e in rec.get("rounds_log") or [] if isinstance(e, dict) and e.get("trigger") != r.trigger]
        entries.append({"kind": r.kind, "trigger": r.trigger, "n": r.n, "at": iso(ctx.clock())})
        rec.update(pr=pr, rounds_log=entries)
        d.put(key, rec)

    ctx.store.update(docs.progress(repo), apply)
