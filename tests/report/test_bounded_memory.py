"""`report` streams its logs: what a long history leaves in memory is a few bytes per event in
flat arrays (or nothing), never the events or a Python object per task. Checked with
tracemalloc on the pure builders (allocation counts, not timings)."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from collections.abc import Callable

from agentops.domain.agent_metrics import AgentMetricsBuilder, PrFact
from agentops.domain.dora import Window
from agentops.domain.dora_stream import DoraStream

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
WINDOW = Window(NOW - dt.timedelta(days=7), NOW)
OLD = NOW - dt.timedelta(days=300)  # long before the window and the trend weeks
N = 20_000


def _iso(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def retained(feed: Callable[[], object]) -> float:
    """Bytes still allocated per event after feeding N events (the fed events themselves are gone)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = feed()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert kept is not None
    return (after - before) / N


def test_old_agent_actions_leave_a_few_bytes_each() -> None:
    def feed() -> object:
        b = AgentMetricsBuilder(WINDOW, weeks=2)
        for i in range(N):
            t = _iso(OLD + dt.timedelta(minutes=i))
            action = ("claim", "task-completed", "needs-human", "test")[i % 4]
            b.add_action({"ts": t, "agent": f"a{i // 4 % 3}", "repo": "o/r", "issue": i // 4, "action": action,
                          "result": "pass" if action == "test" else "ok"})
        return b

    # Before: every completion and needs-human kept a key tuple in a set, every test an entry.
    assert retained(feed) < 12


def test_old_pull_requests_are_not_kept() -> None:
    def feed() -> object:
        b = AgentMetricsBuilder(WINDOW, weeks=2)
        for i in range(N):
            created = OLD + dt.timedelta(minutes=i)
            b.add_pr(PrFact("o/r", i, i, "bot", created, created + dt.timedelta(hours=1), None, created,
                            created + dt.timedelta(minutes=30), True))
        return b

    assert retained(feed) < 1


def test_old_deployments_leave_a_few_bytes_each() -> None:
    def feed() -> object:
        s = DoraStream(WINDOW, 2)
        for i in range(N):
            t = _iso(OLD + dt.timedelta(minutes=i))
            s.add_deployment({"id": f"d{i}", "environment": "production", "status": "succeeded", "finished_at": t,
                              "commits": [{"sha": f"c{i}", "committed_at": t}]})
        return s

    # Before: a Deployment with its commits (~500 bytes) for every deploy ever made.
    assert retained(feed) < 40
