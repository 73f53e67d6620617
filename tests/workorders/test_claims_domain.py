"""Claim markers, live claims, the winner rule and trust (pure)."""

from __future__ import annotations

import datetime as dt

from agentops.domain import claims as c
from agentops.domain.approval import ApprovalVerdict
from agentops.domain.markers import Authors

NOW = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
BOT = Authors.of(["bot"])


def body(agent: str, worker: str, minutes: int, token: str) -> str:
    return c.claim_body(agent, worker, NOW + dt.timedelta(minutes=minutes), token)


def test_lowest_live_claim_wins() -> None:
    rows = [(10, "hello", "u"), (12, body("b", "w2", 30, "t2"), "bot"), (11, body("a", "w1", 30, "t1"), "bot")]
    live = c.live_claims(rows, NOW, BOT)
    assert [x.comment_id for x in live] == [11, 12]
    w = c.winner(live)
    assert w is not None and (w.agent, w.worker, w.token) == ("a", "w1", "t1")


def test_expired_released_and_withdrawn_claims_are_not_live() -> None:
    expired = (5, body("a", "w1", -1, "t1"), "bot")
    released = (6, body("b", "w2", 30, "t2"), "bot")
    withdrawn_marker = c.make_marker("claim", agent="c", worker="w3", expires=c.iso(NOW + dt.timedelta(hours=1)),
                                     token="t3", state="withdrawn")
    claim6 = c.parse_claim(6, released[1])
    assert claim6 is not None
    rows = [expired, released, (7, withdrawn_marker, "bot"), (8, c.release_body(claim6, by="x", reason="manual"), "bot"),
            (9, body("d", "w4", 30, "t4"), "bot")]
    assert [x.comment_id for x in c.live_claims(rows, NOW, BOT)] == [9]


def test_markers_from_other_authors_are_ignored() -> None:
    rows = [(1, body("evil", "x", 999, "t"), "stranger"), (2, body("a", "w", 30, "t2"), "bot")]
    assert c.winner(c.live_claims(rows, NOW, BOT)).comment_id == 2  # type: ignore[union-attr]


def test_a_release_voids_only_the_claim_token_it_names_and_only_when_ours() -> None:
    held = (2, body("a", "w1", 30, "tok-held"), "bot")
    claim = c.parse_claim(2, held[1], "bot")
    assert claim is not None
    forged = (3, c.release_body(claim, by="x", reason="manual"), "stranger")  # right claim, wrong author
    stale = c.ClaimInfo(2, "a", "w1", NOW, "tok-other")  # our release, but of another claim token
    other_token = (4, c.release_body(stale, by="w1", reason="manual"), "bot")
    assert [x.comment_id for x in c.live_claims([held, forged, other_token], NOW, BOT)] == [2]
    ours = (5, c.release_body(claim, by="w1", reason="completed"), "bot")
    assert c.live_claims([held, ours], NOW, BOT) == []


def test_backoff_doubles() -> None:
    got = [c.retry_at(NOW, n, 15) - NOW for n in (1, 2, 3)]
    assert got == [dt.timedelta(minutes=15), dt.timedelta(minutes=30), dt.timedelta(minutes=60)]


def test_trust_rules() -> None:
    kw = {"author": "x", "permission": None, "approval": None, "approval_label": "agentops:approved"}
    assert c.trust(association="OWNER", **kw).trusted  # type: ignore[arg-type]
    # GitHub says MEMBER/COLLABORATOR for read and triage access too: those need the permission.
    for assoc in ("MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "NONE", ""):
        d = c.trust(association=assoc, **kw)  # type: ignore[arg-type]
        assert not d.trusted and "agentops:approved" in d.reason
    assert c.trust(author="x", association="COLLABORATOR", permission="write", approval=None, approval_label="ok").trusted
    assert not c.trust(author="x", association="NONE", permission="triage", approval=None, approval_label="ok").trusted
    ok = ApprovalVerdict(True, "approved by @m", None)
    assert c.trust(author="x", association="NONE", permission="read", approval=ok, approval_label="ok").trusted
    held = ApprovalVerdict(False, "the issue body changed after @m approved it", None)
    d = c.trust(author="x", association="NONE", permission="read", approval=held, approval_label="ok")
    assert not d.trusted and "changed after" in d.reason
