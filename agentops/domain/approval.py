"""Approval of a work order from an author without write access, pure.

The approval label is an act of one person on one text: it counts only when the user who applied
it (the issue's `labeled` event) has write access, and only for the body as agentops first saw it
after that event (its hash is kept in the task record). Any later edit of the body holds the task
again until a maintainer applies the label anew (a newer `labeled` event).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


def body_hash(body: str | None) -> str:
    return hashlib.sha256((body or "").replace("\r\n", "\n").encode("utf-8", "replace")).hexdigest()[:32]


@dataclass(frozen=True)
class LabelEvent:
    """One `labeled` / `unlabeled` entry of an issue's events."""

    id: int
    event: str  # "labeled" | "unlabeled"
    label: str
    actor: str
    created_at: dt.datetime | None = None


def latest_labeling(events: Sequence[LabelEvent], label: str) -> LabelEvent | None:
    """The `labeled` event that put `label` on the issue as it is now (None: no such event, or
    the last event for that label took it off)."""
    last: LabelEvent | None = None
    for ev in sorted(events, key=lambda e: e.id):
        if ev.label.lower() == label.lower() and ev.event in ("labeled", "unlabeled"):
            last = ev
    return last if last is not None and last.event == "labeled" else None


@dataclass(frozen=True)
class Approval:
    """What the task record keeps about the approval that counts."""

    event_id: int
    by: str
    body_hash: str

    def to_record(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "by": self.by, "body_hash": self.body_hash}

    @classmethod
    def from_record(cls, rec: Mapping[str, Any] | None) -> Approval | None:
        if not rec or not isinstance(rec.get("event_id"), int):
            return None
        return cls(int(rec["event_id"]), str(rec.get("by") or ""), str(rec.get("body_hash") or ""))


@dataclass(frozen=True)
class ApprovalVerdict:
    approved: bool
    reason: str
    approval: Approval | None  # what to keep in the record (None: nothing to keep)


def judge(*, label: str, event: LabelEvent | None, actor_permission: str | None, current_hash: str,
          kept: Approval | None) -> ApprovalVerdict:
    """Whether the label on the issue approves its current body.

    `event` is the latest `labeled` event for the label, `actor_permission` its actor's
    permission, `kept` the approval recorded on an earlier run."""
    if event is None:
        return ApprovalVerdict(False, f"the `{label}` label was not applied through GitHub's issue events", None)
    if actor_permission not in WRITE_PERMISSIONS:
        return ApprovalVerdict(False, f"the `{label}` label was applied by @{event.actor}, who has "
                               f"{actor_permission or 'no'} access (approval needs write access)", None)
    if kept is not None and kept.event_id == event.id:
        if kept.body_hash != current_hash:
            return ApprovalVerdict(False, f"the issue body changed after @{kept.by} approved it; a maintainer "
                                   f"must review the new text and apply `{label}` again (remove it, then add it)",
                                   kept)
        return ApprovalVerdict(True, f"approved by @{kept.by} (write access) with label {label}", kept)
    # A new approval (or the first one seen): it covers the body as it is now.
    fresh = Approval(event.id, event.actor, current_hash)
    return ApprovalVerdict(True, f"approved by @{event.actor} (write access) with label {label}", fresh)
