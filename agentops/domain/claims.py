"""The claim protocol, pure: claim/release markers, which claims are live, who wins, and trust.

GitHub has no compare-and-swap on labels or assignees, so a claim is a comment: every
contender posts one, waits a settle delay, and reads the live claims back; the lowest comment
id wins. Comment ids are assigned by GitHub in creation order, so every contender computes the
same winner from the same list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agentops.domain import timeutil
from agentops.domain.markers import find_marker, make_marker
from agentops.domain.timeutil import parse_time as parse_iso

CLAIM_KIND = "claim"
RELEASE_KIND = "release"
STATUS_KIND = "task-status"
ESCALATION_KIND = "escalation"

CLAIMED_LABEL = "agentops:claimed"
BLOCKED_LABEL = "agentops:blocked"
NEEDS_HUMAN_LABEL = "needs-human"

TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


def iso(t: dt.datetime) -> str:
    # Claim markers and lease times carry whole seconds: shorter markers, stable comparisons.
    return timeutil.iso(t.replace(microsecond=0), timespec="seconds")


@dataclass(frozen=True)
class ClaimInfo:
    comment_id: int
    agent: str
    worker: str
    expires: dt.datetime
    token: str
    author: str = ""


def claim_marker(agent: str, worker: str, expires: dt.datetime, token: str) -> str:
    return make_marker(CLAIM_KIND, agent=agent, worker=worker, expires=iso(expires), token=token)


def claim_body(agent: str, worker: str, expires: dt.datetime, token: str) -> str:
    return (f"{claim_marker(agent, worker, expires, token)}\n"
            f"Claimed by agent `{agent}` (worker `{worker}`); lease until {iso(expires)}. "
            "The claim renews while the agent works and lapses if it stops.")


def release_body(claim: ClaimInfo, *, by: str, reason: str, detail: str = "") -> str:
    marker = make_marker(RELEASE_KIND, claim=claim.comment_id, agent=claim.agent, worker=claim.worker,
                         reason=reason, by=by)
    extra = f" {detail}" if detail else ""
    return f"{marker}\nReleased the claim of agent `{claim.agent}` ({reason}).{extra}"


def parse_claim(comment_id: int, body: str, author: str = "") -> ClaimInfo | None:
    m = find_marker(body, CLAIM_KIND)
    if m is None:
        return None
    expires = parse_iso(m.get("expires"))
    if expires is None or m.get("state") in ("withdrawn", "released"):
        return None
    return ClaimInfo(comment_id, m.get("agent") or "", m.get("worker") or "", expires, m.get("token") or "",
                     author)


def released_ids(bodies: Iterable[str]) -> set[int]:
    out: set[int] = set()
    for body in bodies:
        m = find_marker(body, RELEASE_KIND)
        if m and (m.get("claim") or "").isdigit():
            out.add(int(m.get("claim") or "0"))
    return out


def live_claims(comments: Sequence[tuple[int, str, str]], now: dt.datetime,
                trusted_authors: frozenset[str] | None = None) -> list[ClaimInfo]:
    """Unexpired, not withdrawn and not released claims, lowest comment id first.

    `comments` are (id, body, author). With `trusted_authors`, claim comments written by anyone
    else are ignored: a stranger cannot block a task by pasting a marker."""
    released = released_ids(body for _, body, _ in comments)
    out = []
    for cid, body, author in comments:
        if trusted_authors is not None and author not in trusted_authors:
            continue
        c = parse_claim(cid, body, author)
        if c is not None and c.comment_id not in released and c.expires > now:
            out.append(c)
    return sorted(out, key=lambda c: c.comment_id)


def winner(live: Sequence[ClaimInfo]) -> ClaimInfo | None:
    return min(live, key=lambda c: c.comment_id) if live else None


def lease_expiry(now: dt.datetime, lease_minutes: float) -> dt.datetime:
    return now + dt.timedelta(minutes=lease_minutes)


def retry_at(failed_at: dt.datetime, attempts: int, backoff_minutes: float) -> dt.datetime:
    """Exponential backoff: backoff, 2x, 4x ... after the 1st, 2nd, 3rd failure."""
    return failed_at + dt.timedelta(minutes=backoff_minutes * (2 ** max(0, attempts - 1)))


# -- trust ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrustDecision:
    trusted: bool
    reason: str


def trust(*, author: str, association: str, permission: str | None, labels: Sequence[str],
          approval_label: str) -> TrustDecision:
    """Write access (association or collaborator permission) or the approval label.

    GitHub only lets people with triage access or more apply labels, so the presence of the
    approval label already means a maintainer-level person applied it."""
    if association.upper() in TRUSTED_ASSOCIATIONS:
        return TrustDecision(True, f"author {author} is {association.upper()}")
    if permission in WRITE_PERMISSIONS:
        return TrustDecision(True, f"author {author} has {permission} permission")
    if approval_label and approval_label in labels:
        return TrustDecision(True, f"approved with label {approval_label}")
    return TrustDecision(False, f"author {author or '(unknown)'} has no write access "
                         f"(association {association.upper() or 'NONE'}); a maintainer can add the "
                         f"`{approval_label}` label to approve this task")
