"""The streaming DORA computation (dora_stream) gives what the in-memory one gives over the whole
history, while keeping only the deploys of the windows and trend weeks."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from agentops.domain.dora import Window, compute_dora, dora_trend, fold_incidents, parse_deployment
from agentops.domain.dora_stream import DoraStream

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def history(seed: int, n: int = 400, days: int = 400) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rnd = random.Random(seed)
    deploys: list[dict[str, Any]] = []
    shas = [f"c{i}" for i in range(n // 2)]  # shared: commits shipped again by later deploys
    for i in range(n):
        t = NOW - dt.timedelta(days=rnd.uniform(-3, days))
        commits = [{"sha": rnd.choice(shas), "committed_at": _iso(t - dt.timedelta(hours=rnd.uniform(0, 200)))}
                   for _ in range(rnd.randint(0, 3))]
        deploys.append({"id": f"d{i}", "repo": "o/r", "environment": rnd.choice(["production", "staging"]),
                        "status": rnd.choice(["succeeded"] * 6 + ["failed", "rolled_back", "running"]),
                        "finished_at": _iso(t), "commits": commits, "dry_run": rnd.random() < 0.05,
                        "incident": rnd.random() < 0.03})
    rnd.shuffle(deploys)  # the log is in append order, not finish order
    for e in rnd.sample(deploys, n // 20):  # re-recorded (a log merged twice, a corrected record)
        moved = NOW - dt.timedelta(days=rnd.uniform(-3, days))
        deploys.append({**e, "status": rnd.choice(["succeeded", "failed"]), "finished_at": _iso(moved)})
    incidents: list[dict[str, Any]] = []
    for i in range(n // 5):
        opened = NOW - dt.timedelta(days=rnd.uniform(0, days))
        env = rnd.choice(["production", "staging", None])
        ev = {"id": f"i{i}", "repo": "o/r", "environment": env, "deploy_id": f"d{rnd.randrange(n)}",
              "event": "opened", "opened_at": _iso(opened), "ts": _iso(opened)}
        incidents.append(ev)
        if rnd.random() < 0.8:
            resolved = opened + dt.timedelta(hours=rnd.uniform(0.1, 100))
            incidents.append({**ev, "event": "resolved", "resolved_at": _iso(resolved), "ts": _iso(resolved)})
    return deploys, incidents


def streamed(window: Window, weeks: int, deploys: list[dict[str, Any]],
             incidents: list[dict[str, Any]]) -> DoraStream:
    s = DoraStream(window, weeks)
    for e in incidents:
        s.add_incident(e)
    for e in deploys:
        s.add_deployment(e)
    if s.needs_history:
        for e in deploys:
            s.history(e)
    return s


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("days,weeks", [(30, 8), (7, 2), (90, 4)])
def test_streaming_matches_the_whole_history(seed: int, days: int, weeks: int) -> None:
    deploys, incidents = history(seed)
    window = Window(NOW - dt.timedelta(days=days), NOW)
    whole = {d.id: d for e in deploys if (d := parse_deployment(e)) is not None}
    folded = fold_incidents(incidents)
    s = streamed(window, weeks, deploys, incidents)
    assert s.environments() == ["production", "staging"]
    for env in ("production", "staging"):
        assert s.report(env) == compute_dora(list(whole.values()), folded, window, env)
        assert s.trend(env) == dora_trend(list(whole.values()), folded, window.end, weeks, env)


def test_only_the_span_is_kept() -> None:
    """A year of deploys: what stays in memory is the previous window, this one and the trend weeks."""
    deploys, incidents = history(1, n=2000, days=365)
    window = Window(NOW - dt.timedelta(days=7), NOW)
    s = streamed(window, 2, deploys, incidents)
    span = Window(NOW - dt.timedelta(days=14), NOW)
    in_span = [e for e in deploys if (d := parse_deployment(e)) is not None and span.contains(d.finished_at)]
    assert len(s._fin) == len(in_span) and len(in_span) < len(deploys) // 10
    assert len(s.incidents) < len(fold_incidents(incidents))


def test_a_commit_shipped_before_the_span_gives_no_sample() -> None:
    old = {"id": "old", "environment": "production", "status": "succeeded", "finished_at": "2023-01-01T00:00:00Z",
           "commits": [{"sha": "abc", "committed_at": "2022-12-31T00:00:00Z"}]}
    new = {"id": "new", "environment": "production", "status": "succeeded", "finished_at": "2024-05-30T00:00:00Z",
           "commits": [{"sha": "abc", "committed_at": "2022-12-31T00:00:00Z"},
                       {"sha": "def", "committed_at": "2024-05-29T00:00:00Z"}]}
    s = streamed(Window(NOW - dt.timedelta(days=7), NOW), 2, [new, old], [])
    r = s.report("production")
    assert r.current.lead_time_samples == 1 and r.current.lead_time_median_h == 24.0
