"""DORA's four key metrics over a time window, with their performance bands.

Pure: takes parsed log records (see `parse_deployment` / `fold_incidents`), returns values.
A metric without data is None ("no data"), never 0.

Definitions used (each choice is the one a reader of the numbers would expect):
- Deployment frequency: non-dry-run deploys that finished in the window / window days (and x 7
  per week). Every attempt counts, whatever its outcome, so it shares a denominator with the
  change failure rate. None only when the environment has no deploy at all up to the window end;
  an environment that deployed before but not in the window measures a true 0.
- Lead time for changes: for every commit a successful deploy shipped for the FIRST time in that
  environment, finished_at - committed_at; median and p90 over commits whose first shipping
  deploy finished in the window. A deploy with no new commits adds no sample.
- Change failure rate: deploys with status rolled_back / failed / rollback_failed, or that
  opened an incident (the deploy's `incident` field or an incident naming its deploy_id),
  divided by all deploys in the window.
- Time to restore: incident opened_at -> resolved_at for incidents resolved in the window,
  median. Each incident id counts once however many events it has (fourkeys#213 counted every
  edit). Incidents without resolved_at are listed as open, never as restored.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from sys import intern
from typing import Any

from agentops.domain.timeutil import iso, parse_time

# --------------------------------------------------------------------------------------------
# Performance bands. Source: Google Cloud DORA, "Accelerate State of DevOps Report 2023",
# section "Software delivery performance", table of performance levels:
#   elite : on demand (multiple deploys/day) | lead time < 1 day    | CFR 5%  | recovery < 1 hour
#   high  : once/day .. once/week            | 1 day .. 1 week      | CFR 10% | recovery < 1 day
#   medium: once/week .. once/month          | 1 week .. 1 month    | CFR 15% | 1 day .. 1 week
#   low   : once/week .. once/month (2023)   | 1 week .. 1 month    | CFR 64% | 1 month .. 6 months
# The report gives clusters, not cut-offs; the bounds below turn each cluster's value into the
# upper (or lower) edge of its band. One month is taken as 30 days. In 2023 the low cluster
# overlaps medium on throughput; anything slower than medium is reported as low.
# --------------------------------------------------------------------------------------------
ELITE, HIGH, MEDIUM, LOW = "elite", "high", "medium", "low"
BAND_ORDER = (ELITE, HIGH, MEDIUM, LOW)
BAND_SOURCE = "DORA, Accelerate State of DevOps Report 2023 (performance levels)"

# deploys per day, at least this many to reach the band
FREQUENCY_MIN_PER_DAY: tuple[tuple[str, float], ...] = ((ELITE, 1.0), (HIGH, 1 / 7), (MEDIUM, 1 / 30))
# hours; strictly below for elite, at most for the others
LEAD_TIME_MAX_H: tuple[tuple[str, float, bool], ...] = ((ELITE, 24.0, True), (HIGH, 24.0 * 7, False),
                                                        (MEDIUM, 24.0 * 30, False))
# fraction of deploys; at most
CFR_MAX: tuple[tuple[str, float], ...] = ((ELITE, 0.05), (HIGH, 0.10), (MEDIUM, 0.15))
# hours; strictly below for elite and high, at most a week for medium
RESTORE_MAX_H: tuple[tuple[str, float, bool], ...] = ((ELITE, 1.0, True), (HIGH, 24.0, True),
                                                      (MEDIUM, 24.0 * 7, False))


def frequency_band(per_day: float | None) -> str | None:
    if per_day is None:
        return None
    for band, minimum in FREQUENCY_MIN_PER_DAY:
        if per_day >= minimum:
            return band
    return LOW


def _duration_band(hours: float | None, table: Sequence[tuple[str, float, bool]]) -> str | None:
    if hours is None:
        return None
    for band, limit, strict in table:
        if hours < limit or (not strict and hours == limit):
            return band
    return LOW


def lead_time_band(hours: float | None) -> str | None:
    return _duration_band(hours, LEAD_TIME_MAX_H)


def restore_band(hours: float | None) -> str | None:
    return _duration_band(hours, RESTORE_MAX_H)


def cfr_band(rate: float | None) -> str | None:
    if rate is None:
        return None
    for band, maximum in CFR_MAX:
        if rate <= maximum + 1e-12:
            return band
    return LOW


# --------------------------------------------------------------------------------------------
# small shared helpers (agent_metrics uses them too)
# --------------------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float | None:
    """Middle value; the mean of the two middle values for an even count."""
    if not values:
        return None
    s = sorted(values)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile: the ceil(pct/100 * n)-th smallest value (no interpolation, so
    the result is always an observed value and easy to check by hand)."""
    if not values:
        return None
    s = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(s)))
    return s[rank - 1]


def change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def days(self) -> float:
        return self.seconds / 86400

    def contains(self, t: dt.datetime | None) -> bool:
        return t is not None and self.start <= t < self.end

    def previous(self) -> Window:
        return Window(self.start - (self.end - self.start), self.start)


_MAX_WINDOW = dt.timedelta(days=36500)  # a century: any real history, and twice it still fits in a datetime


def parse_since(value: str | None, *, now: dt.datetime, default_days: int) -> Window:
    """`7d`, `30d`, `2w`, `12h` or a date `YYYY-MM-DD` (UTC midnight). ValueError when invalid."""
    if value is None or value == "":
        return Window(now - dt.timedelta(days=default_days), now)
    v = value.strip().lower()
    units = {"h": 3600, "d": 86400, "w": 7 * 86400}
    if v[-1:] in units and v[:-1].isdigit():
        amount = int(v[:-1])
        if amount <= 0:
            raise ValueError(f"{value!r}: must be a positive duration")
        if amount * units[v[-1]] > _MAX_WINDOW.total_seconds():  # the previous window must fit in a datetime too
            raise ValueError(f"{value!r}: longer than {_MAX_WINDOW.days} days")
        return Window(now - dt.timedelta(seconds=amount * units[v[-1]]), now)
    try:
        day = dt.date.fromisoformat(v)
    except ValueError:
        raise ValueError(f"{value!r}: expected a duration like 7d, 30d, 2w, 12h or a date YYYY-MM-DD") from None
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    if start >= now:
        raise ValueError(f"{value!r}: the date is not in the past")
    if now - start > _MAX_WINDOW:
        raise ValueError(f"{value!r}: more than {_MAX_WINDOW.days} days ago")
    return Window(start, now)


# --------------------------------------------------------------------------------------------
# parsed records
# --------------------------------------------------------------------------------------------
FAILED_STATUSES = frozenset({"rolled_back", "failed", "rollback_failed"})
FINAL_STATUSES = FAILED_STATUSES | {"succeeded"}


@dataclass(frozen=True, slots=True)
class Deployment:
    id: str
    repo: str
    environment: str
    status: str
    finished_at: dt.datetime
    commits: tuple[tuple[str, dt.datetime | None], ...] = ()
    incident: bool = False

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES or self.incident


def parse_deployment(d: Mapping[str, Any]) -> Deployment | None:
    """A finished, real deploy from a `deployments` log event; None for dry runs, deploys still
    running, or records too broken to place in time."""
    if d.get("dry_run"):
        return None
    status = d.get("status")
    if status not in FINAL_STATUSES:
        return None
    finished = parse_time(d.get("finished_at")) or parse_time(d.get("started_at")) or parse_time(d.get("ts"))
    if finished is None:
        return None
    commits: list[tuple[str, dt.datetime | None]] = []
    raw = d.get("commits")
    if isinstance(raw, list):
        for c in raw:
            if isinstance(c, Mapping) and isinstance(c.get("sha"), str):
                commits.append((c["sha"], parse_time(c.get("committed_at"))))
    ident = d.get("id")
    return Deployment(
        id=str(ident) if ident is not None else f"{d.get('repo')}@{d.get('sha')}@{iso(finished)}",
        # Interned: a million events name a handful of repos, environments and statuses, and
        # one shared string each keeps a report's memory flat (it streams the logs).
        repo=intern(str(d.get("repo") or "")),
        environment=intern(str(d.get("environment") or "production")),
        status=intern(str(status)),
        finished_at=finished,
        commits=tuple(commits),
        incident=d.get("incident") not in (None, False, 0, ""),
    )


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    repo: str
    environment: str | None
    deploy_id: str | None
    opened_at: dt.datetime | None
    resolved_at: dt.datetime | None

    @property
    def restore_hours(self) -> float | None:
        if self.opened_at is None or self.resolved_at is None:
            return None
        return max(0.0, (self.resolved_at - self.opened_at).total_seconds() / 3600)


@dataclass(slots=True)
class _IncidentAcc:
    repo: str = ""
    environment: str | None = None
    deploy_id: str | None = None
    opened_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None


@dataclass
class IncidentFolder:
    """Folds the `incidents` log (events in log order) into one Incident per id."""

    _acc: dict[str, _IncidentAcc] = field(default_factory=dict)

    def add(self, d: Mapping[str, Any]) -> None:
        ident = d.get("id")
        if ident is None:
            if d.get("repo") is None or d.get("issue") is None:
                return
            ident = f"{d['repo']}#{d['issue']}"
        acc = self._acc.setdefault(str(ident), _IncidentAcc())
        acc.repo = intern(str(d.get("repo") or acc.repo))
        env = d.get("environment")
        acc.environment = intern(env) if isinstance(env, str) and env else acc.environment
        if d.get("deploy_id") is not None:
            acc.deploy_id = str(d["deploy_id"])
        opened = parse_time(d.get("opened_at")) or (parse_time(d.get("ts")) if d.get("event") == "opened" else None)
        if opened is not None and (acc.opened_at is None or opened < acc.opened_at):
            acc.opened_at = opened
        resolved = parse_time(d.get("resolved_at"))
        if resolved is None and d.get("event") == "resolved":
            resolved = parse_time(d.get("ts"))
        if resolved is not None:
            acc.resolved_at = resolved
        elif d.get("event") == "opened" and acc.resolved_at is not None:
            acc.resolved_at = None  # re-opened after a resolution

    def environments(self) -> set[str]:
        return {a.environment for a in self._acc.values() if a.environment}

    def deploy_ids(self) -> set[str]:
        return {a.deploy_id for a in self._acc.values() if a.deploy_id is not None}

    def result(self, keep: Callable[[Incident], bool] | None = None) -> dict[str, Incident]:
        """One Incident per id; `keep`: only those a report can use (a long history holds many)."""
        out: dict[str, Incident] = {}
        for k, a in self._acc.items():
            i = Incident(k, a.repo, a.environment, a.deploy_id, a.opened_at, a.resolved_at)
            if keep is None or keep(i):
                out[k] = i
        return out


def fold_incidents(events: Iterable[Mapping[str, Any]]) -> dict[str, Incident]:
    folder = IncidentFolder()
    for e in events:
        folder.add(e)
    return folder.result()


# --------------------------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DoraSnapshot:
    """The four metrics for one window. None = no data."""

    window_start: dt.datetime
    window_end: dt.datetime
    deployments: int | None
    deploys_per_day: float | None
    deploys_per_week: float | None
    lead_time_samples: int
    lead_time_median_h: float | None
    lead_time_p90_h: float | None
    failed_deployments: int | None
    change_failure_rate: float | None
    restored_incidents: int
    time_to_restore_median_h: float | None
    frequency_band: str | None
    lead_time_band: str | None
    change_failure_band: str | None
    time_to_restore_band: str | None


@dataclass(frozen=True)
class DoraReport:
    environment: str
    current: DoraSnapshot
    previous: DoraSnapshot
    changes: Mapping[str, float | None]
    open_incidents: tuple[str, ...]
    band_source: str = BAND_SOURCE


_CHANGED = ("deploys_per_day", "deploys_per_week", "lead_time_median_h", "lead_time_p90_h",
            "change_failure_rate", "time_to_restore_median_h")


@dataclass(frozen=True, slots=True)
class LeadSample:
    shipped_at: dt.datetime
    hours: float


def first_shipments(deploys: Sequence[Deployment], shipped_before: Collection[str] = ()) -> list[LeadSample]:
    """Lead-time samples: each commit's first successful shipping (deploys in one environment).
    `shipped_before`: commits an earlier deploy, not in `deploys`, already shipped (no sample)."""
    seen: set[str] = set(shipped_before)
    out: list[LeadSample] = []
    for d in sorted(deploys, key=lambda x: x.finished_at):
        if d.status != "succeeded":
            continue
        for sha, committed in d.commits:
            if sha in seen:
                continue
            seen.add(sha)
            if committed is not None:
                out.append(LeadSample(d.finished_at, max(0.0, (d.finished_at - committed).total_seconds() / 3600)))
    return out


def snapshot(deploys: Sequence[Deployment], leads: Sequence[LeadSample], incidents: Iterable[Incident],
             incident_deploys: frozenset[str], window: Window, first_deploy: dt.datetime | None = None) -> DoraSnapshot:
    """`deploys` of one environment (whole history, or at least every one in `window`), `leads`
    from first_shipments of the same; `first_deploy`: when the environment first deployed, when
    `deploys` leaves older ones out."""
    has_history = any(d.finished_at < window.end for d in deploys) or (
        first_deploy is not None and first_deploy < window.end)
    in_window = [d for d in deploys if window.contains(d.finished_at)]
    failed = sum(1 for d in in_window if d.failed or d.id in incident_deploys)
    lead = [s.hours for s in leads if window.contains(s.shipped_at)]
    return snapshot_of(window, has_history, len(in_window), failed, lead, restore_hours(incidents, window))


def restore_hours(incidents: Iterable[Incident], window: Window) -> list[float]:
    return [h for i in incidents if window.contains(i.resolved_at) and (h := i.restore_hours) is not None]


def snapshot_of(window: Window, has_history: bool, n_in_window: int, failed_in_window: int, lead: Sequence[float],
                restore: Sequence[float]) -> DoraSnapshot:
    """The snapshot from counts and samples (shared by the in-memory and the streaming paths)."""
    n = n_in_window if has_history else None
    per_day = n / window.days if n is not None and window.days > 0 else None
    failed = failed_in_window if n_in_window else None
    cfr = failed / n_in_window if failed is not None and n_in_window else None
    lead_med = median(lead)
    restore_med = median(restore)
    return DoraSnapshot(
        window_start=window.start, window_end=window.end,
        deployments=n, deploys_per_day=per_day, deploys_per_week=per_day * 7 if per_day is not None else None,
        lead_time_samples=len(lead), lead_time_median_h=lead_med, lead_time_p90_h=percentile(lead, 90),
        failed_deployments=failed, change_failure_rate=cfr,
        restored_incidents=len(restore), time_to_restore_median_h=restore_med,
        frequency_band=frequency_band(per_day), lead_time_band=lead_time_band(lead_med),
        change_failure_band=cfr_band(cfr), time_to_restore_band=restore_band(restore_med),
    )


def environments(deploys: Iterable[Deployment], incidents: Iterable[Incident]) -> list[str]:
    envs = {d.environment for d in deploys} | {i.environment for i in incidents if i.environment}
    return sorted(envs)


def compute_dora(deploys: Sequence[Deployment], incidents: Mapping[str, Incident], window: Window,
                 environment: str, *, shipped_before: Collection[str] = (), first_deploy: dt.datetime | None = None,
                 deploy_env: Mapping[str, str] | None = None) -> DoraReport:
    """DORA for one environment: this window, the previous one of equal length, and the change.

    `deploys` is the whole history, or (streaming, see dora_stream) every deploy from the previous
    window on, with what the older ones leave: `shipped_before` (commits they shipped),
    `first_deploy` (the environment's first deploy) and `deploy_env` (deploy id -> environment of
    the deploys incidents without an environment name)."""
    env_deploys = sorted((d for d in deploys if d.environment == environment), key=lambda d: d.finished_at)
    deploy_ids = {d.id for d in env_deploys} | {k for k, v in (deploy_env or {}).items() if v == environment}
    env_incidents = [i for i in incidents.values()
                     if i.environment == environment or (i.environment is None and i.deploy_id in deploy_ids)]
    incident_deploys = frozenset(i.deploy_id for i in incidents.values() if i.deploy_id is not None)
    leads = first_shipments(env_deploys, shipped_before)
    cur = snapshot(env_deploys, leads, env_incidents, incident_deploys, window, first_deploy)
    prev = snapshot(env_deploys, leads, env_incidents, incident_deploys, window.previous(), first_deploy)
    changes = {name: change(getattr(cur, name), getattr(prev, name)) for name in _CHANGED}
    open_ids = tuple(sorted(i.id for i in env_incidents
                            if i.resolved_at is None and (i.opened_at is None or i.opened_at < window.end)))
    return DoraReport(environment, cur, prev, changes, open_ids)


def weekly_windows(end: dt.datetime, weeks: int) -> list[Window]:
    """`weeks` consecutive 7-day windows ending at `end`, oldest first."""
    return [Window(end - dt.timedelta(days=7 * (weeks - i)), end - dt.timedelta(days=7 * (weeks - i - 1)))
            for i in range(weeks)]


@dataclass(frozen=True)
class DoraTrend:
    """Weekly series for sparklines and charts (None = no data that week)."""

    week_starts: tuple[dt.datetime, ...]
    deployments: tuple[int, ...]
    lead_time_median_h: tuple[float | None, ...]
    change_failure_rate: tuple[float | None, ...]


def dora_trend(deploys: Sequence[Deployment], incidents: Mapping[str, Incident], end: dt.datetime,
               weeks: int, environment: str, *, shipped_before: Collection[str] = ()) -> DoraTrend:
    """`deploys`: the whole history, or every deploy of the `weeks` and the commits older ones
    shipped (`shipped_before`), as for compute_dora."""
    env_deploys = [d for d in deploys if d.environment == environment]
    incident_deploys = frozenset(i.deploy_id for i in incidents.values() if i.deploy_id is not None)
    leads = first_shipments(env_deploys, shipped_before)
    counts: list[int] = []
    lead_meds: list[float | None] = []
    cfrs: list[float | None] = []
    wins = weekly_windows(end, weeks)
    for w in wins:
        ds = [d for d in env_deploys if w.contains(d.finished_at)]
        counts.append(len(ds))
        lead_meds.append(median([s.hours for s in leads if w.contains(s.shipped_at)]))
        cfrs.append(sum(1 for d in ds if d.failed or d.id in incident_deploys) / len(ds) if ds else None)
    return DoraTrend(tuple(w.start for w in wins), tuple(counts), tuple(lead_meds), tuple(cfrs))
