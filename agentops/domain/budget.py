"""Spend arithmetic over the `costs` log. Pure: the command layer reads the log and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agentops.domain.timeutil import parse_time


@dataclass(frozen=True)
class Spend:
    month_usd: float
    task_usd: float | None  # None when no task was asked about
    monthly_limit: float | None
    per_task_limit: float | None
    month_start: dt.datetime

    @property
    def month_remaining(self) -> float | None:
        return None if self.monthly_limit is None else max(self.monthly_limit - self.month_usd, 0.0)

    @property
    def task_remaining(self) -> float | None:
        if self.per_task_limit is None or self.task_usd is None:
            return None
        return max(self.per_task_limit - self.task_usd, 0.0)

    def refusal(self) -> str | None:
        """Why new work must not start, or None. Fails closed at the limit, not past it."""
        if self.monthly_limit is not None and self.month_usd >= self.monthly_limit:
            return (f"budget exhausted: ${self.month_usd:.2f} spent this month "
                    f"(since {self.month_start:%Y-%m-%d}), monthly budget ${self.monthly_limit:.2f}")
        if self.per_task_limit is not None and self.task_usd is not None and self.task_usd >= self.per_task_limit:
            return f"budget exhausted for this task: ${self.task_usd:.2f} spent, per-task cap ${self.per_task_limit:.2f}"
        return None


def month_start(now: dt.datetime) -> dt.datetime:
    now = now.astimezone(dt.UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def task_key_of(event: Mapping[str, Any]) -> str | None:
    repo, issue = event.get("repo"), event.get("issue")
    return f"{repo}#{issue}" if repo and isinstance(issue, int) else None


def compute(events: Iterable[Mapping[str, Any]], now: dt.datetime, *, monthly_limit: float | None,
            per_task_limit: float | None, task_key: str | None = None) -> Spend:
    start = month_start(now)
    month = 0.0
    task = 0.0
    for ev in events:
        cost = ev.get("cost_usd")
        if isinstance(cost, bool) or not isinstance(cost, (int, float)):
            continue
        if task_key is not None and task_key_of(ev) == task_key:
            task += float(cost)  # the per-task cap spans months: a task does not get a fresh allowance
        ts = parse_time(ev.get("ts"))
        if ts is None or ts >= start:
            month += float(cost)  # undated spend counts: fail closed
    return Spend(month_usd=round(month, 6), task_usd=round(task, 6) if task_key is not None else None,
                 monthly_limit=monthly_limit, per_task_limit=per_task_limit, month_start=start)


# -- one agent run: what it may spend, and what it is charged ---------------------------------
def run_cap(agent_max_cost_usd: float | None, per_task_usd: float | None) -> float | None:
    """The most one run may cost: the agent's max_cost_usd, else the per-task cap."""
    return agent_max_cost_usd if agent_max_cost_usd is not None else per_task_usd


def allowance(current: Spend, cap: float | None) -> tuple[float | None, str | None]:
    """(what the run may spend, why it must not start). A run starts only when the month still
    holds its whole cap: a run that may cost more than what is left must not begin."""
    month_left = current.month_remaining
    if cap is not None and month_left is not None and month_left < cap:
        return None, (f"budget: ${month_left:.2f} left this month (of ${current.monthly_limit:.2f}), less than "
                      f"the run cap of ${cap:.2f}")
    limits = [x for x in (cap, current.task_remaining, month_left) if x is not None]
    if not limits:
        return None, None
    left = min(limits)
    if left < 0.01:
        return None, f"budget: ${left:.2f} left for this run"
    return left, None


@dataclass(frozen=True)
class Charge:
    cost_usd: float | None  # what the costs log records and the budget counts
    estimated: bool  # True: the run's cost was unknown and this is what it is charged instead
    reported_usd: float | None  # what the CLI reported (or its tokens came to), when it finished


def charge(cost_usd: float | None, known: bool, partial_usd: float | None, cap: float | None,
           allowed: float | None) -> Charge:
    """Fail closed: a run whose cost is unknown (no report, unparseable, killed at its timeout) is
    charged its cap, else what it was allowed; never less than what it was seen to spend."""
    if known and cost_usd is not None:
        return Charge(cost_usd, False, cost_usd)
    fallback = cap if cap is not None else allowed
    if fallback is None:
        return Charge(partial_usd, True, None)  # no budget configured: nothing to charge against
    return Charge(round(max(fallback, partial_usd or 0.0), 6), True, None)
