"""Which tasks may run, and which markers are forgeries, for the queue.

- Trust: the author has write access (OWNER, or collaborator permission write/maintain/admin),
  or a user with write access applied the approval label (from the issue's events) and the body
  has not changed since agentops first saw that approval (`domain.approval`). An author's
  permission is kept in the task record; label events are read once per run, only for issues
  that carry the approval label and whose author lacks write access.
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
from agentops.domain.markers import ForeignMarker, make_marker
from agentops.github.models import Comment
from agentops.state import docs

from .actions import log_action

MAX_FORGED_KEPT = 20
APPROVAL_KIND = "approval"


@dataclass(frozen=True)
class TaskFacts:
    """What the trust decision needs about one issue."""

    repo: str
    number: int
    author: str
    association: str
    labels: tuple[str, ...]
    body_hash: str


def decide(ctx: Context, facts: TaskFacts, rec: Mapping[str, Any], *,
           write: bool = True) -> tuple[TrustDecision, dict[str, Any]]:
    """The trust decision and the record fields to keep (author_permission, approval, approved).
    `write`: a first-seen approval is recorded on the issue (see `_approval`)."""
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
        verdict, recorded = _approval(ctx, facts, rec, label, write=write)
        keep["approval"] = recorded.to_record() if recorded else None
    keep["approved"] = bool(verdict and verdict.approved)
    decision = trust(author=facts.author, association=facts.association, permission=perm, approval=verdict,
                     approval_label=label)
    return decision, keep


def _approval(ctx: Context, facts: TaskFacts, rec: Mapping[str, Any], label: str, *,
              write: bool) -> tuple[ApprovalVerdict, Approval | None]:
    """The verdict, and the approval as recorded on GitHub (None: not recorded yet).

    The body an approval covers is kept on the issue itself, in an approval comment agentops
    writes the first time it sees that `labeled` event, so every worker (whatever its local
    state) compares with the same text. The events are read on every run (once per run):
    `updated_at` has whole seconds, so a relabel within the second of our last read could hide
    behind a cached verdict; only users with triage access can label, so they set how many."""
    event: LabelEvent | None = ctx.trust.labeling(facts.repo, facts.number, label)
    if event is None:
        return judge(label=label, event=None, actor_permission=None, current_hash=facts.body_hash,
                     kept=None), None
    actor_permission = ctx.trust.permission(facts.repo, event.actor)
    kept = Approval.from_record(rec.get("approval"))
    if kept is None or kept.event_id != event.id:
        kept = _recorded_approval(ctx, facts, event.id)
    verdict = judge(label=label, event=event, actor_permission=actor_permission, current_hash=facts.body_hash,
                    kept=kept)
    if kept is None and verdict.approved and verdict.approval is not None and write:
        _record_approval(ctx, facts, verdict.approval, label)
        kept = verdict.approval
    return verdict, kept


def _recorded_approval(ctx: Context, facts: TaskFacts, event_id: int) -> Approval | None:
    """Our approval comment for this labeled event (the oldest, should two workers race)."""
    for c in sorted(read_comments(ctx, facts.repo, facts.number), key=lambda c: c.id):
        m = ctx.trust.marker(c.body, c.author, APPROVAL_KIND, event=event_id)
        if m is not None and m.get("hash"):
            return Approval(event_id, m.get("by") or "", m.get("hash") or "")
    return None


def _record_approval(ctx: Context, facts: TaskFacts, approval: Approval, label: str) -> None:
    marker = make_marker(APPROVAL_KIND, event=approval.event_id, by=approval.by, hash=approval.body_hash)
    body = (f"{marker}\nApproved by @{approval.by} (write access) for the text of this issue as it is now "
            f"(sha256 {approval.body_hash[:12]}). An edit to the issue body holds the task until a maintainer "
            f"applies `{label}` again.")
    ctx.github.create_comment(facts.repo, facts.number, body, marker=marker)
    log_action(ctx, agent=None, repo=facts.repo, issue=facts.number, action="approval-recorded", result="ok",
               details={"by": approval.by, "event": approval.event_id, "body_hash": approval.body_hash})


def facts_of(t: Mapping[str, Any]) -> TaskFacts:
    return TaskFacts(str(t.get("repo") or ""), int(t.get("number") or 0), str(t.get("author") or ""),
                     str(t.get("author_association") or "NONE"), tuple(t.get("labels") or ()),
                     str(t.get("body_hash") or ""))


# -- forged markers ------------------------------------------------------------------------------
def read_comments(ctx: Context, repo: str, number: int, rec: dict[str, Any] | None = None) -> list[Comment]:
    """The issue's comments; markers in comments agentops did not write are recorded as forgeries
    (in the stored task record, and in `rec` when the caller holds the record in memory)."""
    comments = ctx.github.list_comments(repo, number)
    found = [f for c in comments for f in ctx.trust.foreign(c.body, c.author, f"comment {c.id}")]
    note_forgeries(ctx, repo, number, found)
    if rec is not None and found:
        rec["forged_markers"] = merged_forgeries(rec.get("forged_markers"), (f.describe() for f in found))
    return comments


def merged_forgeries(have: Iterable[str] | None, lines: Iterable[str]) -> list[str]:
    out = list(have or ())
    out += [x for x in sorted(set(lines)) if x not in out]
    return out[-MAX_FORGED_KEPT:]


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
            rec["forged_markers"] = merged_forgeries(have, new)
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
