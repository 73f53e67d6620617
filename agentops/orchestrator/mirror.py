"""Mirror a task's status on GitHub: the `agentops:blocked` / `needs-human` labels and one
status comment per issue, updated in place by marker."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from agentops.context import Context
from agentops.domain.claims import BLOCKED_LABEL, NEEDS_HUMAN_LABEL, STATUS_KIND
from agentops.domain.markers import make_marker
from agentops.errors import NotFound
from agentops.state import docs

from .actions import log_action
from .records import split_key
from .trust import read_comments


def status_note(t: Mapping[str, Any]) -> str | None:
    """The text of the one status comment this task should carry (None: none needed)."""
    status = t.get("status")
    if status == "blocked":
        return "Blocked: waiting for " + ", ".join(_ref(b, t["repo"]) for b in t.get("blockers") or []) + \
            ". agentops picks this task up once they are closed."
    if status == "cycle":
        cyc = list(t.get("cycle") or [])
        return "Held: dependency cycle " + " -> ".join(_ref(c, t["repo"]) for c in [*cyc, cyc[0]]) + \
            ". Remove one of these dependencies to release it."
    if status in ("untrusted", "invalid", "needs-human"):
        return f"Held ({status}): {t.get('hold_reason')}"
    return None


def _ref(key: str, repo: str) -> str:
    r, n = split_key(key)
    return f"#{n}" if r.lower() == repo.lower() else key


def _own_status_comment(ctx: Context, t: dict[str, Any]) -> int | None:
    """Our status comment; a comment anyone else wrote with the marker is reported, never reused."""
    comments = read_comments(ctx, t["repo"], t["number"], t)
    return next((c.id for c in comments if ctx.trust.marker(c.body, c.author, STATUS_KIND)), None)


def reflect(ctx: Context, key: str, t: dict[str, Any]) -> list[str]:
    """Bring the issue's managed labels and status comment in line with `t`; returns what changed."""
    gh = ctx.github
    repo, number = t["repo"], t["number"]
    labels = set(t.get("labels") or [])
    changes: list[str] = []
    want_blocked = t.get("status") in ("blocked", "cycle")
    if want_blocked and BLOCKED_LABEL not in labels:
        gh.add_labels(repo, number, [BLOCKED_LABEL])
        labels.add(BLOCKED_LABEL)
        changes.append("blocked")
        log_action(ctx, agent=None, repo=repo, issue=number, action="blocked", result="ok",
                   details={"blockers": t.get("blockers") or [], "cycle": t.get("cycle") or []})
    elif not want_blocked and BLOCKED_LABEL in labels:
        gh.remove_label(repo, number, BLOCKED_LABEL)
        labels.discard(BLOCKED_LABEL)
        changes.append("unblocked")
        log_action(ctx, agent=None, repo=repo, issue=number, action="unblocked", result="ok")
    if t.get("status") == "needs-human" and NEEDS_HUMAN_LABEL not in labels:
        gh.add_labels(repo, number, [NEEDS_HUMAN_LABEL])
        labels.add(NEEDS_HUMAN_LABEL)
        t["needs_human_labelled"] = True
        changes.append("needs-human")
        log_action(ctx, agent=None, repo=repo, issue=number, action="needs-human", result="ok",
                   details={"reason": t.get("hold_reason")})
    note = status_note(t)
    if note is None and t.get("status_note_hash"):
        note = "Ready: nothing holds this task any more."
    if note is not None:
        digest = hashlib.sha256(note.encode()).hexdigest()[:16]
        if digest != t.get("status_note_hash"):
            marker = make_marker(STATUS_KIND, issue=number)
            body = f"{marker}\n{note}"
            cid = t.get("status_comment_id")
            if cid is None:
                cid = _own_status_comment(ctx, t)
            if cid is None:
                cid = gh.create_comment(repo, number, body, marker=marker).id
            else:
                try:
                    gh.edit_comment(repo, cid, body)
                except NotFound:
                    cid = gh.create_comment(repo, number, body, marker=marker).id
            t["status_comment_id"] = cid
            t["status_note_hash"] = digest
            changes.append("status-comment")
            if t.get("status") in ("untrusted", "needs-human", "invalid", "cycle"):
                log_action(ctx, agent=None, repo=repo, issue=number, action="held", result=str(t.get("status")),
                           details={"reason": t.get("hold_reason")})
    t["labels"] = sorted(labels)
    if changes:
        ctx.store.put(docs.TASK_QUEUE, key, t)
    return changes

