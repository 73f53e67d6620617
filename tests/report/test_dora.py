"""DORA numbers for a hand-made history, worked out by hand in the comments and matched exactly.

Window: --since 7d at NOW = 2024-05-15T00:00Z -> [05-08 00:00, 05-15 00:00) (7 days);
previous window [05-01 00:00, 05-08 00:00).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from agentops.domain import dora
from agentops.domain.dora import Window, compute_dora, fold_incidents, parse_deployment, parse_since

NOW = dt.datetime(2024, 5, 15, tzinfo=dt.UTC)


def T(s: str) -> str:
    return f"2024-{s}:00Z"


def dep(ident: str, finished: str, status: str = "succeeded", commits: tuple[tuple[str, str], ...] = (),
        env: str = "production", **extra: Any) -> dict[str, Any]:
    return {"id": ident, "repo": "o/r", "environment": env, "sha": ident, "previous_sha": None, "prs": [],
            "commits": [{"sha": s, "committed_at": T(c)} for s, c in commits],
            "started_at": T(finished), "finished_at": T(finished), "status": status, "incident": None,
            "dry_run": False, **extra}


def inc(ident: str, event: str, opened: str, resolved: str | None, deploy_id: str | None = None,
        env: str = "production") -> dict[str, Any]:
    return {"id": ident, "event": event, "repo": "o/r", "environment": env, "issue": int(ident.split("#")[1]),
            "sha": None, "deploy_id": deploy_id, "severity": "high", "opened_at": T(opened),
            "resolved_at": T(resolved) if resolved else None}


DEPLOYS = [
    # previous window
    dep("p1", "05-02T12:00", commits=(("a1", "05-01T12:00"), ("a2", "05-02T00:00"))),  # lead 24 h, 12 h
    dep("p2", "05-05T00:00", "failed", commits=(("a3", "05-04T00:00"),)),  # failed: a3 not shipped yet
    # current window
    dep("d1", "05-08T06:00", commits=(("a3", "05-04T00:00"), ("a4", "05-08T00:00"))),  # a3: 4 d 6 h = 102 h; a4: 6 h
    dep("d2", "05-09T12:00", commits=(("a4", "05-08T00:00"), ("a5", "05-09T10:00"))),  # a4 already shipped; a5: 2 h
    dep("d3", "05-10T00:00", commits=()),  # redeploy with no new commits: a deploy, no lead sample
    dep("d4", "05-11T00:00", "rolled_back", commits=(("a6", "05-10T20:00"),)),  # failure; a6 not shipped
    dep("d5", "05-12T00:00", commits=(("a6", "05-10T20:00"), ("a7", "05-11T23:00"))),  # a6: 28 h; a7: 1 h;
    # d5 later opens incident o/r#10 (deploy_id d5): a failure
    dep("d6", "05-13T00:00", dry_run=True, commits=(("zz", "05-01T00:00"),)),  # dry run: ignored entirely
    dep("s1", "05-10T00:00", env="staging", commits=(("a9", "05-01T00:00"),)),  # other environment
    dep("d8", "05-14T12:00", commits=(("a8", "05-14T11:30"),)),  # a8: 0.5 h
    {"id": "d9", "repo": "o/r", "environment": "production", "status": "running"},  # unfinished: ignored
]

INCIDENTS = [
    inc("o/r#9", "opened", "05-03T00:00", None),
    inc("o/r#9", "resolved", "05-03T00:00", "05-03T12:00"),  # previous window: 12 h
    inc("o/r#10", "opened", "05-12T01:00", None, "d5"),
    inc("o/r#10", "updated", "05-12T01:00", None, "d5"),
    inc("o/r#10", "updated", "05-12T01:00", None, "d5"),
    inc("o/r#10", "resolved", "05-12T01:00", "05-12T03:00", "d5"),  # 2 h
    inc("o/r#10", "updated", "05-12T01:00", "05-12T03:00", "d5"),  # edited after resolution: still one
    inc("o/r#11", "opened", "05-13T00:00", None),
    inc("o/r#11", "resolved", "05-13T00:00", "05-13T00:30"),  # 0.5 h
    inc("o/r#12", "opened", "05-14T00:00", None),  # still open
    inc("o/r#13", "opened", "05-09T00:00", None, env="staging"),
    inc("o/r#13", "resolved", "05-09T00:00", "05-09T01:00", env="staging"),
]


def parsed() -> list[dora.Deployment]:
    return [d for e in DEPLOYS if (d := parse_deployment(e)) is not None]


def test_hand_computed_production_window() -> None:
    window = parse_since("7d", now=NOW, default_days=30)
    assert window == Window(dt.datetime(2024, 5, 8, tzinfo=dt.UTC), NOW)
    r = compute_dora(parsed(), fold_incidents(INCIDENTS), window, "production")
    c = r.current
    # deploys d1 d2 d3 d4 d5 d8 = 6 (d6 dry run, d9 unfinished, s1 staging excluded)
    assert c.deployments == 6
    assert c.deploys_per_day == pytest.approx(6 / 7)  # 0.857/day
    assert c.deploys_per_week == pytest.approx(6.0)
    assert c.frequency_band == "high"  # >= 1/week, < 1/day
    # first-shipped lead samples: a3 102, a4 6, a5 2, a6 28, a7 1, a8 0.5 (hours)
    # sorted 0.5 1 2 6 28 102 -> median (2 + 6) / 2 = 4; p90 rank ceil(0.9*6) = 6 -> 102
    assert c.lead_time_samples == 6
    assert c.lead_time_median_h == pytest.approx(4.0)
    assert c.lead_time_p90_h == pytest.approx(102.0)
    assert c.lead_time_band == "elite"  # 4 h < 1 day
    # failures: d4 rolled_back, d5 opened incident #10 -> 2 / 6
    assert c.failed_deployments == 2
    assert c.change_failure_rate == pytest.approx(1 / 3)
    assert c.change_failure_band == "low"  # > 15%
    # restored in window: #10 2 h (once, despite 5 events), #11 0.5 h -> median 1.25 h
    assert c.restored_incidents == 2
    assert c.time_to_restore_median_h == pytest.approx(1.25)
    assert c.time_to_restore_band == "high"  # >= 1 h, < 1 day
    assert r.open_incidents == ("o/r#12",)

    p = r.previous
    # p1, p2 -> 2 / 7 per day (high); leads a1 24, a2 12 -> median 18, p90 rank ceil(1.8) = 2 -> 24
    assert p.deployments == 2
    assert p.deploys_per_day == pytest.approx(2 / 7)
    assert p.frequency_band == "high"
    assert p.lead_time_median_h == pytest.approx(18.0)
    assert p.lead_time_p90_h == pytest.approx(24.0)
    assert p.change_failure_rate == pytest.approx(0.5)  # p2 failed
    assert p.time_to_restore_median_h == pytest.approx(12.0)  # #9
    assert r.changes["deploys_per_day"] == pytest.approx(4 / 7)
    assert r.changes["lead_time_median_h"] == pytest.approx(4 - 18)
    assert r.changes["change_failure_rate"] == pytest.approx(1 / 3 - 1 / 2)
    assert r.changes["time_to_restore_median_h"] == pytest.approx(1.25 - 12)


def test_staging_is_separate() -> None:
    window = parse_since("7d", now=NOW, default_days=30)
    r = compute_dora(parsed(), fold_incidents(INCIDENTS), window, "staging")
    # s1 alone: 1/7 per day (exactly the high bound); a9 committed 05-01 00:00 -> 05-10 00:00 = 216 h (medium)
    assert r.current.deployments == 1
    assert r.current.frequency_band == "high"
    assert r.current.lead_time_median_h == pytest.approx(216.0)
    assert r.current.lead_time_band == "medium"
    assert r.current.change_failure_rate == 0.0
    assert r.current.change_failure_band == "elite"
    assert r.current.time_to_restore_median_h == pytest.approx(1.0)  # #13: exactly 1 h is not elite
    assert r.current.time_to_restore_band == "high"
    # no staging history before 05-08: the previous window has no data, so no change either
    assert r.previous.deployments is None and r.previous.deploys_per_day is None
    assert r.changes["deploys_per_day"] is None


def test_no_deploys_at_all_is_no_data() -> None:
    r = compute_dora([], {}, Window(NOW - dt.timedelta(days=7), NOW), "production")
    c = r.current
    assert (c.deployments, c.deploys_per_day, c.deploys_per_week) == (None, None, None)
    assert (c.lead_time_median_h, c.lead_time_p90_h, c.change_failure_rate, c.time_to_restore_median_h) == (
        None, None, None, None)
    assert (c.frequency_band, c.lead_time_band, c.change_failure_band, c.time_to_restore_band) == (
        None, None, None, None)
    assert r.open_incidents == ()


def test_quiet_window_after_history_measures_zero_deploys() -> None:
    # only p1/p2 (before 05-08): the current window deployed nothing -> 0/day (low), others no data
    deploys = [d for d in parsed() if d.id in ("p1", "p2")]
    r = compute_dora(deploys, {}, Window(dt.datetime(2024, 5, 8, tzinfo=dt.UTC), NOW), "production")
    assert r.current.deployments == 0 and r.current.deploys_per_day == 0.0
    assert r.current.frequency_band == "low"
    assert r.current.lead_time_median_h is None and r.current.change_failure_rate is None


def test_deploy_with_no_new_commits_counts_as_deploy_only() -> None:
    only = [d for d in parsed() if d.id in ("d1", "d3")]
    r = compute_dora(only, {}, Window(dt.datetime(2024, 5, 9, tzinfo=dt.UTC), NOW), "production")
    # d3 (05-10) is the only deploy in [05-09, 05-15): one deploy, no lead-time sample
    assert r.current.deployments == 1
    assert r.current.lead_time_samples == 0 and r.current.lead_time_median_h is None


def test_incident_edited_many_times_counts_once_and_reopen() -> None:
    events = [inc("o/r#1", "opened", "05-10T00:00", None)]
    events += [inc("o/r#1", "updated", "05-10T00:00", None) for _ in range(20)]
    events += [inc("o/r#1", "resolved", "05-10T00:00", "05-10T04:00")]
    events += [inc("o/r#1", "updated", "05-10T00:00", "05-10T04:00") for _ in range(5)]
    folded = fold_incidents(events)
    assert list(folded) == ["o/r#1"]
    assert folded["o/r#1"].restore_hours == pytest.approx(4.0)
    reopened = fold_incidents([*events, inc("o/r#1", "opened", "05-10T00:00", None)])
    assert reopened["o/r#1"].resolved_at is None


def test_bands_boundaries() -> None:
    assert dora.frequency_band(1.0) == "elite" and dora.frequency_band(0.99) == "high"
    assert dora.frequency_band(1 / 30) == "medium" and dora.frequency_band(0.03) == "low"
    assert dora.lead_time_band(23.9) == "elite" and dora.lead_time_band(24.0) == "high"
    assert dora.lead_time_band(168.0) == "high" and dora.lead_time_band(720.0) == "medium"
    assert dora.lead_time_band(721.0) == "low"
    assert dora.cfr_band(0.05) == "elite" and dora.cfr_band(0.1) == "high" and dora.cfr_band(0.15) == "medium"
    assert dora.cfr_band(0.16) == "low"
    assert dora.restore_band(0.99) == "elite" and dora.restore_band(23.99) == "high"
    assert dora.restore_band(168.0) == "medium" and dora.restore_band(169.0) == "low"
    assert dora.frequency_band(None) is None


def test_percentiles_by_hand() -> None:
    assert dora.median([3, 1, 2]) == 2
    assert dora.median([4, 1, 3, 2]) == 2.5
    assert dora.percentile(list(range(1, 11)), 90) == 9  # ceil(9.0) = 9th
    assert dora.percentile([5], 90) == 5
    assert dora.median([]) is None and dora.percentile([], 90) is None


@pytest.mark.parametrize("value,days", [("7d", 7), ("30d", 30), ("2w", 14), ("12h", 0.5), (None, 9)])
def test_parse_since_durations(value: str | None, days: float) -> None:
    assert parse_since(value, now=NOW, default_days=9).days == pytest.approx(days)


def test_parse_since_date_and_errors() -> None:
    w = parse_since("2024-05-01", now=NOW, default_days=7)
    assert w.start == dt.datetime(2024, 5, 1, tzinfo=dt.UTC) and w.days == 14
    for bad in ("yesterday", "0d", "2024-06-01", "7x"):
        with pytest.raises(ValueError):
            parse_since(bad, now=NOW, default_days=7)


def test_trend_weeks() -> None:
    t = dora.dora_trend(parsed(), fold_incidents(INCIDENTS), NOW, 2, "production")
    # weeks [05-01, 05-08): p1 p2; [05-08, 05-15): the six current deploys
    assert t.deployments == (2, 6)
    assert t.lead_time_median_h == (18.0, 4.0)
    assert t.change_failure_rate == (0.5, pytest.approx(1 / 3))
