"""The claim protocol, pure: claim/release markers, which claims are live, who wins, and trust.

GitHub has no compare-and-swap on labels or assignees, so a claim is a comment: every
contender posts one, waits a settle delay, and reads the live claims back; the lowest comment
id wins. Comment ids are assigned by GitHub in creation order, so every contender computes the
same winner from the same list.

Only comments agentops's own identity wrote take part (`Authors`): a claim, release or withdrawal
pasted by anyone else is ignored, and a release voids only the claim whose comment id AND token
it names, so a stale or forged release cannot free a claim that is held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agentops.domain import timeutil
from agentops.domain.approval import WRITE_PERMISSIONS, ApprovalVerdict
from agentops.domain.closing import neutralise
from agentops.domain.markers import Authors, find_marker, make_marker
from agentops.domain.timeutil import parse_time as parse_iso

CLAIM_KIND = "claim"
RELEASE_KIND = "release"
STATUS_KIND = "task-status"
ESCALATION_KIND = "escalation"

CLAIMED_LABEL = "agentops:claimed"
BLOCKED_LABEL = "agentops:blocked"
NEEDS_HUMAN_LABEL = "needs-human"



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


def release_marker(claim: ClaimInfo, *, by: str, reason: str) -> str:
    return make_marker(RELEASE_KIND, claim=claim.comment_id, token=claim.token, agent=claim.agent,
                       worker=claim.worker, reason=reason, by=by)


def release_body(claim: ClaimInfo, *, by: str, reason: str, detail: str = "") -> str:
    # The detail may quote an agent's summary: copied text, made inert.
    extra = f" {neutralise(detail)}" if detail else ""
    return f"{release_marker(claim, by=by, reason=reason)}\nReleased the claim of agent `{claim.agent}` ({reason}).{extra}"


def parse_claim(comment_id: int, body: str, author: str = "") -> ClaimInfo | None:
    m = find_marker(body, CLAIM_KIND)
    if m is None:
        return None
    expires = parse_iso(m.get("expires"))
    if expires is None or m.get("state") in ("withdrawn", "released"):
        return None
    return ClaimInfo(comment_id, m.get("agent") or "", m.get("worker") or "", expires, m.get("token") or "",
                     author)


def released_tokens(comments: Iterable[tuple[int, str, str]], me: Authors) -> set[tuple[int, str]]:
    """(claim comment id, claim token) pairs that our own release comments void."""
    out: set[tuple[int, str]] = set()
    for _, body, author in comments:
        if not me.wrote(author):
            continue
        m = find_marker(body, RELEASE_KIND)
        if m and (m.get("claim") or "").isdigit() and m.get("token"):
            out.add((int(m.get("claim") or "0"), m.get("token") or ""))
    return out


def own_claims(comments: Sequence[tuple[int, str, str]], me: Authors) -> list[ClaimInfo]:
    """Our claims (live or expired) that no release of ours voided, lowest comment id first."""
    released = released_tokens(comments, me)
    out = []
    for cid, body, author in comments:
        if not me.wrote(author):
            continue
        c = parse_claim(cid, body, author)
        if c is not None and (c.comment_id, c.token) not in released:
            out.append(c)
    return sorted(out, key=lambda c: c.comment_id)


def live_claims(comments: Sequence[tuple[int, str, str]], now: dt.datetime, me: Authors) -> list[ClaimInfo]:
    """Unexpired, not withdrawn and not released claims written by `me`, lowest comment id first.

    `comments` are (id, body, author). Claim comments written by anyone else are ignored: a
    stranger cannot block a task by pasting a marker, nor win it for a worker id they name."""
    return [c for c in own_claims(comments, me) if c.expires > now]


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


def trusted_without_lookup(association: str) -> bool:
    """Only OWNER proves write access by itself: GitHub reports MEMBER and COLLABORATOR for
    read-only and triage members and collaborators too, so those need the permission."""
    return association.upper() == "OWNER"


def trust(*, author: str, association: str, permission: str | None, approval: ApprovalVerdict | None,
          approval_label: str) -> TrustDecision:
    """Write access (repository owner, or collaborator permission write/maintain/admin), or an
    approval that `domain.approval.judge` found valid for the body as it is now."""
    if trusted_without_lookup(association):
        return TrustDecision(True, f"author {author} is OWNER")
    if permission in WRITE_PERMISSIONS:
        return TrustDecision(True, f"author {author} has {permission} permission")
    if approval is not None:
        return TrustDecision(approval.approved, approval.reason)
    return TrustDecision(False, f"author {author or '(unknown)'} has no write access ({permission or 'none'}); "
                         f"a maintainer can add the `{approval_label}` label to approve this task")
