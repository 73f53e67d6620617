"""Which tasks may run, and which markers are forgeries, for the queue.

- Trust: the author has write access (OWNER, or collaborator permission write/maintain/admin),
  or a user with write access applied the approval label (from the issue's events) and the body
  has not changed since agentops first saw that approval (`domain.approval`). Look-ups are
  cached: an author's permission in the task record, an approval verdict until the issue changes.
- Forged markers: a marker on an object agentops did not write is never honoured; each one is
  kept on the task record (`forged_markers`) and `tasks` lists them as warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agentops.context import Context
from agentops.domain.approval import Approval, ApprovalVerdict, LabelEvent, judge
from agentops.domain.claims import TrustDecision, trust, trusted_without_lookup
from agentops.domain.markers import ForeignMarker
from agentops.github.models import Comment
from agentops.state import docs

from .actions import log_action

MAX_FORGED_KEPT = 20


@dataclass(frozen=True)
class TaskFacts:
    """What the trust decision needs about one issue."""

    repo: str
    number: int
    author: str
    association: str
    labels: tuple[str, ...]
    body_hash: str
    updated_at: str | None  # the issue's updated_at: a cached approval verdict holds while it stays


def decide(ctx: Context, facts: TaskFacts, rec: Mapping[str, Any]) -> tuple[TrustDecision, dict[str, Any]]:
    """The trust decision and the record fields to keep (author_permission, approval, approval_check)."""
    label = ctx.config.claims.approval_label
    keep: dict[str, Any] = {}
    perm: str | None = rec.get("author_permission")
    if not trusted_without_lookup(facts.association) and perm is None and facts.author:
        perm = ctx.trust.permission(facts.repo, facts.author)
        keep["author_permission"] = perm
    verdict: ApprovalVerdict | None = None
    first = trust(author=facts.author, association=facts.association, permission=perm, approval=None,
                  approval_label=label)
    if not first.trusted and label and label in facts.labels:
        verdict = _approval(ctx, facts, rec, label)
        keep["approval"] = verdict.approval.to_record() if verdict.approval else None
        keep["approval_check"] = {"seen": facts.updated_at, "body_hash": facts.body_hash,
                                  "approved": verdict.approved, "reason": verdict.reason}
    keep["approved"] = bool(verdict and verdict.approved)
    decision = trust(author=facts.author, association=facts.association, permission=perm, approval=verdict,
                     approval_label=label)
    return decision, keep


def _approval(ctx: Context, facts: TaskFacts, rec: Mapping[str, Any], label: str) -> ApprovalVerdict:
    kept = Approval.from_record(rec.get("approval"))
    check = rec.get("approval_check") or {}
    if facts.updated_at and check.get("seen") == facts.updated_at and check.get("body_hash") == facts.body_hash:
        # Nothing on the issue changed since the events were read: the verdict stands, no request.
        return ApprovalVerdict(bool(check.get("approved")), str(check.get("reason") or ""), kept)
    event: LabelEvent | None = ctx.trust.labeling(facts.repo, facts.number, label)
    actor_permission = ctx.trust.permission(facts.repo, event.actor) if event is not None else None
    return judge(label=label, event=event, actor_permission=actor_permission, current_hash=facts.body_hash,
                 kept=kept)


def facts_of(t: Mapping[str, Any]) -> TaskFacts:
    return TaskFacts(str(t.get("repo") or ""), int(t.get("number") or 0), str(t.get("author") or ""),
                     str(t.get("author_association") or "NONE"), tuple(t.get("labels") or ()),
                     str(t.get("body_hash") or ""), t.get("issue_updated_at"))


# -- forged markers ------------------------------------------------------------------------------
def read_comments(ctx: Context, repo: str, number: int) -> list[Comment]:
    """The issue's comments; markers in comments agentops did not write are recorded as forgeries."""
    comments = ctx.github.list_comments(repo, number)
    note_forgeries(ctx, repo, number, (f for c in comments for f in ctx.trust.foreign(c.body, c.author,
                                                                                       f"comment {c.id}")))
    return comments


def note_forgeries(ctx: Context, repo: str, number: int, found: Iterable[ForeignMarker]) -> None:
    """Keep (and log once) markers someone other than agentops wrote on this task's issue."""
    lines = sorted({f.describe() for f in found})
    if not lines:
        return
    key = f"{repo}#{number}"
    new: list[str] = []

    def upd(d: Any) -> None:
        rec = d.get(key)
        if rec is None:
            return
        have = list(rec.get("forged_markers") or [])
        new.extend(x for x in lines if x not in have)
        if new:
            rec["forged_markers"] = (have + new)[-MAX_FORGED_KEPT:]
            d.put(key, rec)

    ctx.store.update(docs.TASK_QUEUE, upd)
    if new:
        log_action(ctx, agent=None, repo=repo, issue=number, action="forged-marker", result="ignored",
                   details={"markers": new})


def body_forgeries(ctx: Context, t: Mapping[str, Any]) -> list[str]:
    """Markers in an issue body agentops did not write (found at sync, judged here: the identity
    look-up happens only when such a body exists)."""
    kinds = list(t.get("body_markers") or ())
    if not kinds or ctx.trust.wrote(str(t.get("author") or "")):
        return []
    return [ForeignMarker(k, str(t.get("author") or ""), "the issue body").describe() for k in kinds]


def warnings(tasks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per forged marker, for `tasks`."""
    out: list[str] = []
    for key in sorted(tasks):
        for line in tasks[key].get("forged_markers") or ():
            out.append(f"{key}: {line}")
    return out
