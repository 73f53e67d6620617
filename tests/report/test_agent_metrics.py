"""Agent, PR, delivery and cost metrics for a hand-made history, worked out by hand.

Window [2024-05-08 00:00, 2024-05-15 00:00) = 7 days = 168 h.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from agentops.domain.agent_metrics import PrFact, compute_agent_report, first_human_review, issue_from_branch
from agentops.domain.dora import Window, parse_time

W = Window(dt.datetime(2024, 5, 8, tzinfo=dt.UTC), dt.datetime(2024, 5, 15, tzinfo=dt.UTC))


def T(s: str) -> str:
    return f"2024-{s}:00Z"


def act(ts: str, agent: str, action: str, issue: int | None, result: str = "ok", **details: Any) -> dict[str, Any]:
    return {"ts": T(ts), "agent": agent, "worker": "w1", "repo": "o/r", "issue": issue, "action": action,
            "result": result, "details": details}


ACTIONS = [
    act("05-07T12:00", "claude", "claim", 1),  # lease starts before the window
    act("05-08T00:00", "claude", "pr-opened", 1, pr=21),
    act("05-08T12:00", "claude", "task-completed", 1),  # leased in window: 05-08 00:00 -> 12:00 = 12 h
    act("05-08T12:00", "claude", "release", 1, reason="completed"),  # same completion: counted once
    act("05-09T00:00", "claude", "claim", 2),
    act("05-09T00:00", "claude", "pr-opened", 2, pr=22),
    act("05-09T06:00", "claude", "needs-human", 2),
    act("05-09T06:00", "claude", "release", 2, reason="manual"),  # 6 h
    act("05-09T08:00", "claude", "remediation", 2, pr=22, round=1, kind="review"),
    act("05-09T09:00", "claude", "remediation", 2, pr=22, round=2, kind="ci"),
    act("05-10T00:00", "claude", "task-completed", 2),  # completed, but a human stepped in: not autonomous
    act("05-14T00:00", "claude", "claim", 3),  # still held at the window end: 24 h
    act("05-10T00:00", "codex", "claim", 4, result="lost"),  # lost race: not a claim
    act("05-10T00:00", "codex", "claim", 5),
    act("05-10T01:00", "codex", "pr-opened", 5, pr=23),
    act("05-10T03:00", "codex", "remediation", 5, pr=23, round=1, kind="ci"),
    act("05-10T12:00", "codex", "task-failed", 5, reason="tests"),  # 12 h
    act("05-11T00:00", "codex", "claim", 6),
    act("05-11T02:00", "codex", "lease-expired", 6),  # 2 h
    act("05-08T01:00", "claude", "test", 1, result="pass", pr=21, sha="s1"),
    act("05-09T01:00", "claude", "test", 2, result="fail", pr=22, sha="s2"),
    act("05-09T10:00", "claude", "test", 2, result="pass", pr=22, sha="s3"),
    act("05-11T01:00", "codex", "test", 5, result="pass", pr=23, sha="s4"),
    {"ts": T("05-12T00:00"), "action": "scout", "mystery": True},  # unknown shape: ignored gracefully
]


def pr(n: int, issue: int | None, created: str, *, merged: str | None = None, closed: str | None = None,
       review: str | None = None, approved: bool = False) -> PrFact:
    return PrFact("o/r", n, issue, "agentops-bot", parse_time(T(created)), parse_time(T(merged)) if merged else None,
                  parse_time(T(closed or merged)) if (closed or merged) else None, None,
                  parse_time(T(review)) if review else None, approved)


PRS = [
    pr(20, 9, "04-30T00:00", merged="05-02T00:00", approved=True),  # previous window
    pr(21, 1, "05-08T00:00", merged="05-08T12:00", review="05-08T03:00", approved=True),  # review after 3 h
    pr(22, 2, "05-09T00:00", merged="05-10T00:00", review="05-10T00:00", approved=True),  # 24 h
    pr(23, 5, "05-10T01:00", closed="05-10T12:00", review="05-10T02:00"),  # 1 h, closed unmerged
    pr(24, 3, "05-14T00:00"),  # open, unreviewed
]


def cost(ts: str, agent: str, issue: int | None, pr_: int | None, usd: float | None, kind: str = "code"
         ) -> dict[str, Any]:
    return {"ts": T(ts), "repo": "o/r", "issue": issue, "pr": pr_, "agent": agent, "backend": agent, "kind": kind,
            "cost_usd": usd, "turns": 3, "duration_s": 10.0}


COSTS = [
    cost("05-07T20:00", "claude", 1, None, 1.00),  # before the window, before PR 21 existed: PR 21's cost
    cost("05-08T10:00", "claude", 1, 21, 0.50),
    cost("05-09T10:00", "claude", 2, 22, 2.00),
    cost("05-10T00:00", "claude", 2, 22, None, kind="review"),  # cost unknown
    cost("05-10T05:00", "codex", 5, 23, 3.00),
    cost("05-11T01:00", "codex", 6, None, 0.25),
    cost("05-16T00:00", "codex", 7, None, 99.0),  # after the window end: ignored
]

TEST_RESULTS = [
    {"pr": 20, "history": [{"finished_at": T("05-05T00:00"), "status": "pass", "coverage": 80.0}]},
    {"pr": 21, "finished_at": T("05-12T00:00"), "passed": True, "coverage": {"percent": 82.5}},
]


def report() -> Any:
    return compute_agent_report(W, actions=ACTIONS, costs=COSTS, prs=PRS, test_results=TEST_RESULTS,
                                budget_monthly_usd=10.0, weeks=2)


def test_tasks_and_utilization_by_hand() -> None:
    a = report().agents
    rows = {r.agent: r for r in a.agents}
    claude, codex = rows["claude"], rows["codex"]
    # claude: claims in window #2 #3 = 2; completed {#1, #2}; needs human {#2}
    assert (claude.claimed, claude.completed, claude.failed, claude.needs_human) == (2, 2, 0, 1)
    # autonomous: {#1,#2} - {#2} = 1 of outcomes {#1,#2} = 0.5
    assert claude.autonomous_completion_rate == pytest.approx(0.5)
    # leased 12 + 6 + 24 = 42 h of 168 h
    assert claude.utilization == pytest.approx(42 / 168)
    # codex: claims #5 #6 (the lost one is not a claim); failed {#5}; 0 autonomous of 1 outcome
    assert (codex.claimed, codex.completed, codex.failed, codex.needs_human) == (2, 0, 1, 0)
    assert codex.autonomous_completion_rate == 0.0
    assert codex.utilization == pytest.approx(14 / 168)  # 12 + 2 h
    assert (a.claimed, a.completed, a.failed, a.needs_human) == (4, 2, 1, 1)
    assert a.autonomous_completion_rate == pytest.approx(1 / 3)  # {#1} of {#1, #2, #5}
    # PRs opened per agent from pr-opened events: claude 21 22, codex 23 (24 has no event)
    assert (claude.prs_opened, claude.prs_merged, codex.prs_opened, codex.prs_merged) == (2, 2, 1, 0)


def test_pull_requests_by_hand() -> None:
    a = report().agents
    # opened in window: 21 22 23 24; closed: 21 22 merged, 23 not
    assert (a.prs_opened, a.prs_merged, a.prs_closed_unmerged) == (4, 2, 1)
    assert a.pr_merge_rate == pytest.approx(2 / 3)
    assert a.pr_approval_rate == pytest.approx(2 / 3)
    # first human review: 3, 24, 1 h -> sorted 1 3 24: median 3, p90 rank ceil(2.7) = 3 -> 24
    assert a.first_review_samples == 3
    assert a.time_to_first_review_median_h == pytest.approx(3.0)
    assert a.time_to_first_review_p90_h == pytest.approx(24.0)
    # remediation rounds of closed PRs: 21 -> 0, 22 -> 2, 23 -> 1: mean 1.0, max 2
    assert a.remediation_rounds_mean == pytest.approx(1.0)
    assert a.remediation_rounds_max == 2


def test_cost_and_budget_by_hand() -> None:
    c = report().cost
    # window: claude 0.50 + 2.00 = 2.50 (+ one run without a cost); codex 3.00 + 0.25 = 3.25
    assert c.per_agent == {"claude": pytest.approx(2.5), "codex": pytest.approx(3.25)}
    assert c.spend_usd == pytest.approx(5.75)
    assert (c.runs, c.runs_without_cost) == (5, 1)
    # merged PRs 21 (0.50 + 1.00 from issue 1 before the PR) and 22 (2.00): 3.50 / 2
    assert c.merged_prs == 2
    assert c.cost_per_merged_pr_usd == pytest.approx(1.75)
    # May to date (before the window end): 1.00 + 0.50 + 2.00 + 3.00 + 0.25 = 6.75 of 10
    assert c.month_to_date_usd == pytest.approx(6.75)
    assert c.budget_used == pytest.approx(0.675)
    assert c.budget_remaining_usd == pytest.approx(3.25)


def test_delivery_by_hand() -> None:
    d = report().delivery
    # test events: pass fail pass pass -> 3/4 (test-results outcomes not used when events exist)
    assert d.builds == 4 and d.build_success_rate == pytest.approx(0.75)
    # coverage 80.0 (05-05, before) -> 82.5 (05-12): +2.5
    assert d.coverage_latest == pytest.approx(82.5)
    assert d.coverage_change == pytest.approx(2.5)


def test_trend_by_hand() -> None:
    t = report().trend
    # weeks [05-01, 05-08), [05-08, 05-15)
    assert t.completed == (0, 2)
    assert t.prs_merged == (1, 2)  # PR 20 on 05-02; 21, 22
    assert t.spend_usd == (pytest.approx(1.0), pytest.approx(5.75))
    assert t.coverage == (80.0, 82.5)
    assert t.build_success_rate == (None, 0.75)


def test_nothing_recorded_is_no_data() -> None:
    r = compute_agent_report(W)
    a, c, d = r.agents, r.cost, r.delivery
    assert a.agents == () and a.autonomous_completion_rate is None
    assert a.prs_merged is None and a.pr_merge_rate is None and a.time_to_first_review_median_h is None
    assert a.remediation_rounds_mean is None
    assert c.spend_usd is None and c.cost_per_merged_pr_usd is None and c.budget_used is None
    assert d.build_success_rate is None and d.coverage_latest is None
    assert r.trend.prs_merged is None


def test_test_results_outcomes_used_without_test_events() -> None:
    r = compute_agent_report(W, test_results=[
        {"runs": [{"ts": T("05-09T00:00"), "conclusion": "success"}, {"ts": T("05-10T00:00"), "result": "failed"}]},
    ])
    assert r.delivery.builds == 2 and r.delivery.build_success_rate == 0.5


def test_coverage_trend_prefers_default_branch_runs() -> None:
    # shape written by `agentops test`: one record per run, coverage.percent, pr null on the base branch
    records = [
        {"pr": None, "ref": "main", "passed": True, "finished_at": T("05-05T00:00"), "coverage": {"percent": 70.0}},
        {"pr": 3, "ref": "agentops/3-x", "passed": False, "finished_at": T("05-09T00:00"),
         "coverage": {"percent": 40.0}},
        {"pr": None, "ref": "main", "passed": True, "finished_at": T("05-10T00:00"), "coverage": {"percent": 71.5}},
    ]
    d = compute_agent_report(W, test_results=records).delivery
    assert d.coverage_latest == 71.5 and d.coverage_change == pytest.approx(1.5)  # the PR's 40% is not the trend
    assert d.builds == 2 and d.build_success_rate == 0.5  # in-window runs: PR fail, main pass


def test_first_human_review_skips_author_and_bots() -> None:
    at = parse_time
    first, approved = first_human_review("agentops-bot", [
        ("agentops-bot", "COMMENTED", at("2024-05-01T00:00:00Z")),
        ("github-actions[bot]", "APPROVED", at("2024-05-01T01:00:00Z")),
        ("alice", "PENDING", at("2024-05-01T02:00:00Z")),
        ("bob", "CHANGES_REQUESTED", at("2024-05-01T05:00:00Z")),
        ("carol", "APPROVED", at("2024-05-01T04:00:00Z")),
    ])
    assert first == at("2024-05-01T04:00:00Z")
    assert approved is True
    _, bot_only = first_human_review("agentops-bot", [("github-actions[bot]", "APPROVED", at("2024-05-01T01:00:00Z"))])
    assert bot_only is False
    assert issue_from_branch("agentops/42-fix-it") == 42 and issue_from_branch("feature/42-x") is None
