"""The tick workflow's cadence, a choice `agentops init --tick-every MINUTES` writes into its cron line.

With the event-driven loop (`agentops on-event`) a ready task is dispatched when its event arrives, so
tick is the safety net: leases that expired, dispatches that were lost, escalations, retries. Every 15
minutes (the default) is about 2,900 runs a month, each installing agentops; hourly is about 720, and
a lease then outlives its expiry by up to an hour. Minutes are odd ones: GitHub delays and may drop
runs queued on the hour.
"""

from __future__ import annotations

import re

CRONS: dict[int, str] = {
    15: "7,23,37,53 * * * *",
    30: "7,37 * * * *",
    60: "23 * * * *",
    120: "23 */2 * * *",
    240: "23 */4 * * *",
    360: "23 */6 * * *",
    720: "23 */12 * * *",
    1440: "23 5 * * *",
}
DEFAULT = 15
_CRON_LINE = re.compile(r'^(\s*- cron: )"([^"\n]*)"', re.MULTILINE)


def cron_for(minutes: int) -> str:
    if minutes not in CRONS:
        raise ValueError(f"{minutes} is not one of {', '.join(map(str, CRONS))} (minutes)")
    return CRONS[minutes]


def cron_of(workflow: str) -> str | None:
    m = _CRON_LINE.search(workflow)
    return m.group(2) if m else None


def with_cron(workflow: str, cron: str) -> str:
    """The workflow with its first schedule's cron replaced (nothing else changes)."""
    return _CRON_LINE.sub(lambda m: f'{m.group(1)}"{cron}"', workflow, count=1)
