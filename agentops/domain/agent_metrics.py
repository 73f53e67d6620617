"""Agent performance, delivery and cost metrics from the `agent-actions` and `costs` logs,
test results and cached pull-request facts. Pure: events are fed in one by one (so a caller can
stream a large log), `result()` returns frozen values. None means "no data", never 0.

Definitions:
- claimed: `claim` events with result ok. completed / failed / needs-human: distinct tasks
  (repo#issue) with a `task-completed` (or `release` reason completed), `task-failed` (or
  release reason failed), `needs-human` event in the window.
- autonomous completion rate: tasks completed in the window that never needed a human (up to
  the window end) / tasks with any outcome (completed, failed, needs-human) in the window.
- utilization: leased time (claim -> release / lease-expired / task end) clipped to the window,
  divided by the window length; a claim still held runs to the window end.
- PR merge rate: agent PRs merged in the window / agent PRs closed (merged or not) in it;
  approval rate: the share of those that got an APPROVED review.
- time to first human review: first review by someone other than the PR author and not a bot,
  minus PR creation, for first reviews in the window (median, nearest-rank p90).
- remediation rounds: the highest `remediation` round per agent PR closed in the window (0 when
  it had none); mean and max.
- cost per merged PR: all recorded spend of the PRs merged in the window (costs naming the PR, or
  naming its issue before the PR existed) / their number. Budget: spend in the calendar month
  (UTC) of the window end vs config.budget.monthly_usd.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from sys import intern
from typing import Any

from agentops.domain.dora import Window, median, percentile, weekly_windows
from agentops.domain.timeutil import parse_time

AGENT_BRANCH_RE = re.compile(r"^agentops/(\d+)(?:-|$)")
_PASS = frozenset({"pass", "passed", "success", "succeeded", "ok", "green"})
_FAIL = frozenset({"fail", "failed", "failure", "error", "red", "timed_out"})
_USED_ACTIONS = frozenset({"claim", "release", "lease-expired", "task-completed", "task-failed", "needs-human",
                           "pr-opened", "pr-updated", "remediation", "test"})


def issue_from_branch(head_ref: str) -> int | None:
    m = AGENT_BRANCH_RE.match(head_ref or "")
    return int(m.group(1)) if m else None


def is_bot(login: str) -> bool:
    return login.endswith("[bot]") or login.endswith("-bot") or login in ("github-actions", "dependabot")


# --------------------------------------------------------------------------------------------
# PR facts (cached in the METRICS document as records "pr:owner/repo#N")
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PrFact:
    repo: str
    number: int
    issue: int | None
    author: str
    created_at: dt.datetime | None
    merged_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime | None
    first_human_review_at: dt.datetime | None
    approved: bool

    @property
    def key(self) -> str:
        return f"pr:{self.repo}#{self.number}"

    def to_record(self) -> dict[str, Any]:
        def s(t: dt.datetime | None) -> str | None:
            return None if t is None else t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

        return {"repo": self.repo, "number": self.number, "issue": self.issue, "author": self.author,
                "created_at": s(self.created_at), "merged_at": s(self.merged_at), "closed_at": s(self.closed_at),
                "updated_at": s(self.updated_at), "first_human_review_at": s(self.first_human_review_at),
                "approved": self.approved}


def pr_fact_from_record(d: Mapping[str, Any]) -> PrFact | None:
    try:
        number = int(d["number"])
        repo = str(d["repo"])
    except (KeyError, TypeError, ValueError):
        return None
    issue = d.get("issue")
    return PrFact(repo=repo, number=number, issue=issue if isinstance(issue, int) else None,
                  author=str(d.get("author") or ""), created_at=parse_time(d.get("created_at")),
                  merged_at=parse_time(d.get("merged_at")), closed_at=parse_time(d.get("closed_at")),
                  updated_at=parse_time(d.get("updated_at")),
                  first_human_review_at=parse_time(d.get("first_human_review_at")),
                  approved=bool(d.get("approved")))


def first_human_review(author: str, reviews: Iterable[tuple[str, str, dt.datetime | None]]
                       ) -> tuple[dt.datetime | None, bool]:
    """(time of the first human review, any human approval) from (reviewer, state, submitted_at).
    A bot's approval (agentops' own `test --approve`) is not a human's verdict."""
    first: dt.datetime | None = None
    approved = False
    for who, state, at in reviews:
        if state == "PENDING" or at is None or who == author or is_bot(who):
            continue
        if state == "APPROVED":
            approved = True
        if first is None or at < first:
            first = at
    return first, approved


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgentRow:
    agent: str
    claimed: int
    completed: int
    failed: int
    needs_human: int
    autonomous_completion_rate: float | None
    utilization: float | None
    prs_opened: int
    prs_merged: int
    spend_usd: float | None


@dataclass(frozen=True)
class AgentSummary:
    agents: tuple[AgentRow, ...]
    claimed: int
    completed: int
    failed: int
    needs_human: int
    autonomous_completion_rate: float | None
    prs_opened: int | None
    prs_merged: int | None
    prs_closed_unmerged: int | None
    pr_merge_rate: float | None
    pr_approval_rate: float | None
    first_review_samples: int
    time_to_first_review_median_h: float | None
    time_to_first_review_p90_h: float | None
    remediation_rounds_mean: float | None
    remediation_rounds_max: int | None


@dataclass(frozen=True)
class DeliverySummary:
    builds: int
    build_success_rate: float | None
    coverage_latest: float | None
    coverage_change: float | None  # vs the latest value before the window


@dataclass(frozen=True)
class CostSummary:
    spend_usd: float | None
    runs: int
    runs_without_cost: int
    per_agent: Mapping[str, float]
    merged_prs: int | None
    cost_per_merged_pr_usd: float | None
    month_to_date_usd: float | None
    budget_monthly_usd: float | None
    budget_used: float | None  # fraction of the monthly budget
    budget_remaining_usd: float | None
    # Of spend_usd: what the CLIs reported (or their tokens came to) vs what runs of unknown cost
    # were charged instead (their cap; the costs log marks them `estimated`).
    reported_spend_usd: float = 0.0
    estimated_spend_usd: float = 0.0
    estimated_runs: int = 0


@dataclass(frozen=True)
class AgentTrend:
    week_starts: tuple[dt.datetime, ...]
    completed: tuple[int, ...]
    prs_merged: tuple[int, ...] | None
    spend_usd: tuple[float, ...]
    coverage: tuple[float | None, ...]
    build_success_rate: tuple[float | None, ...]


@dataclass(frozen=True)
class AgentReport:
    agents: AgentSummary
    delivery: DeliverySummary
    cost: CostSummary
    trend: AgentTrend


# --------------------------------------------------------------------------------------------
# the accumulator
# --------------------------------------------------------------------------------------------
_TaskKey = tuple[str, Any]


def _task(e: Mapping[str, Any], seq: int) -> _TaskKey:
    issue = e.get("issue")
    # Interned: many events name the same repository (a report streams a million of them).
    return (intern(str(e.get("repo") or "")), issue if issue is not None else f"#event{seq}")


def _h(*parts: Any) -> int:
    """A task (or agent+task) as a hash: the sets below are only asked for membership and size,
    and a million events name ~100k tasks (an int costs a third of a key tuple)."""
    return hash(parts)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _coverage(v: Any) -> float | None:
    if isinstance(v, Mapping):
        for k in ("percent", "total", "value", "line_percent"):
            if _num(v.get(k)) is not None:
                return _num(v.get(k))
        rate = _num(v.get("line_rate"))
        return rate * 100 if rate is not None else None
    return _num(v)


@dataclass
class AgentMetricsBuilder:
    """Feed events with add_action / add_cost / add_test_result, PR facts with add_pr, then result().

    Only per-window aggregates and small per-task/per-PR maps are kept, so the logs can be
    streamed once.
    """

    window: Window
    weeks: int = 8
    budget_monthly_usd: float | None = None
    _seq: int = 0
    _claimed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _done: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _failed: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _nh: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # Task sets hold hashes (_h), not keys: a million events name ~100k tasks, and only membership
    # and sizes are asked (a 64-bit collision is as likely as none).
    # Whole-history facts as flat arrays (8-9 bytes an event), resolved in result(): tasks that
    # ever needed a human; each completion's agent+task and trend week (-1: none).
    _nh_ever: array[int] = field(default_factory=lambda: array("q"))
    _done_key: array[int] = field(default_factory=lambda: array("q"))
    _done_week: array[int] = field(default_factory=lambda: array("b"))
    _leases: dict[int, tuple[str, dt.datetime]] = field(default_factory=dict)  # agent+task -> (agent, since)
    _leased_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _pr_agent: dict[tuple[str, int], str] = field(default_factory=dict)
    _rounds: dict[tuple[str, int], int] = field(default_factory=dict)
    # builds (test outcomes) counted as they come: [builds, passed] in the window and per trend week
    _tests_in: list[int] = field(default_factory=lambda: [0, 0])
    _tests_week: list[list[int]] = field(default_factory=list)
    _any_tests: bool = False
    _coverage: list[tuple[dt.datetime, float]] = field(default_factory=list)
    _base_coverage: list[tuple[dt.datetime, float]] = field(default_factory=list)
    _spend: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _runs: int = 0
    _runs_nocost: int = 0
    _estimated: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # reported, estimated, est. runs
    _cost_by_pr: dict[tuple[str, int], float] = field(default_factory=lambda: defaultdict(float))
    _cost_by_issue: dict[tuple[str, int], float] = field(default_factory=lambda: defaultdict(float))
    _cost_week: list[float] = field(default_factory=list)
    _month_spend: float = 0.0
    _month_runs: int = 0
    _prs: list[PrFact] = field(default_factory=list)
    _seen_agents: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._weeks = weekly_windows(self.window.end, self.weeks)
        self._cost_week = [0.0] * self.weeks
        self._tests_week = [[0, 0] for _ in range(self.weeks)]
        end = self.window.end
        self._month_start = dt.datetime(end.year, end.month, 1, tzinfo=dt.UTC)

    def _week_index(self, t: dt.datetime) -> int | None:
        first = self._weeks[0].start
        if t < first or t >= self.window.end:
            return None
        return min(int((t - first).total_seconds() // (7 * 86400)), self.weeks - 1)

    # -- agent-actions --------------------------------------------------------------------
    def add_action(self, e: Mapping[str, Any]) -> None:
        self._seq += 1
        action = e.get("action")
        if action not in _USED_ACTIONS:
            return
        ts = parse_time(e.get("ts"))
        if ts is None or ts >= self.window.end:
            return
        agent = intern(str(e.get("agent") or "unknown"))
        raw_details = e.get("details")
        details: Mapping[str, Any] = raw_details if isinstance(raw_details, Mapping) else {}
        key = _task(e, self._seq)
        task = _h(*key)
        inside = self.window.contains(ts)
        if action == "claim":
            if e.get("result", "ok") != "ok":
                return
            self._seen_agents.add(agent)
            self._leases.setdefault(_h(agent, task), (agent, ts))
            if inside:
                self._claimed[agent] += 1
            return
        reason = details.get("reason")
        if action in ("release", "lease-expired", "task-completed", "task-failed"):
            held = self._leases.pop(_h(agent, task), None)
            if held is not None:
                self._lease(agent, held[1], ts)
        if action == "task-completed" or (action == "release" and reason == "completed"):
            week = self._week_index(ts)
            self._done_key.append(_h(agent, task))
            self._done_week.append(-1 if week is None else week)
            if inside:
                self._seen_agents.add(agent)
                self._done[agent].add(task)
        elif action == "task-failed" or (action == "release" and reason == "failed"):
            if inside:
                self._seen_agents.add(agent)
                self._failed[agent].add(task)
        elif action == "needs-human":
            self._nh_ever.append(task)
            if inside:
                self._seen_agents.add(agent)
                self._nh[agent].add(task)
        elif action in ("pr-opened", "pr-updated"):
            pr = details.get("pr")
            if isinstance(pr, int):
                self._pr_agent.setdefault((key[0], pr), agent)
        elif action == "remediation":
            pr = details.get("pr")
            rnd = details.get("round")
            if isinstance(pr, int):
                pr_key = (key[0], pr)
                self._pr_agent.setdefault(pr_key, agent)
                self._rounds[pr_key] = max(self._rounds.get(pr_key, 0), rnd if isinstance(rnd, int) else 1)
        elif action == "test":
            result = str(e.get("result") or "").lower()
            if result in _PASS or result in _FAIL:
                self._build(ts, result in _PASS)

    def _completions_by_week(self) -> list[int]:
        """Tasks completed per trend week, each agent+task counted at its first completion only."""
        counts = [0] * self.weeks
        # The keys completed in a trend week; the first completion met of each (in log order)
        # decides, and takes the key out (one shrinking set: no second set of everything seen).
        undecided = {k for k, wk in zip(self._done_key, self._done_week, strict=True) if wk >= 0}
        for k, wk in zip(self._done_key, self._done_week, strict=True):
            if k in undecided:
                undecided.discard(k)
                if wk >= 0:
                    counts[wk] += 1
        return counts

    def _build(self, ts: dt.datetime, ok: bool) -> None:
        """One build outcome, counted where the report shows it (window, trend week)."""
        self._any_tests = True
        if self.window.contains(ts):
            self._tests_in[0] += 1
            self._tests_in[1] += ok
        week = self._week_index(ts)
        if week is not None:
            self._tests_week[week][0] += 1
            self._tests_week[week][1] += ok

    def _lease(self, agent: str, start: dt.datetime, end: dt.datetime) -> None:
        lo = max(start, self.window.start)
        hi = min(end, self.window.end)
        if hi > lo:
            self._leased_s[agent] += (hi - lo).total_seconds()

    # -- costs ------------------------------------------------------------------------------
    def add_cost(self, e: Mapping[str, Any]) -> None:
        ts = parse_time(e.get("ts"))
        if ts is None or ts >= self.window.end:
            return
        cost = _num(e.get("cost_usd"))
        repo = str(e.get("repo") or "")
        if cost is not None:
            pr = e.get("pr")
            issue = e.get("issue")
            if isinstance(pr, int):
                self._cost_by_pr[(repo, pr)] += cost
            elif isinstance(issue, int):
                self._cost_by_issue[(repo, issue)] += cost
            if ts >= self._month_start:
                self._month_spend += cost
                self._month_runs += 1
            week = self._week_index(ts)
            if week is not None:
                self._cost_week[week] += cost
        if self.window.contains(ts):
            self._runs += 1
            agent = str(e.get("agent") or "unknown")
            if cost is None:
                self._runs_nocost += 1
                self._spend.setdefault(agent, 0.0)
            else:
                self._spend[agent] += cost
                est = e.get("estimated") is True
                self._estimated[1 if est else 0] += cost
                self._estimated[2] += 1 if est else 0

    # -- test results ---------------------------------------------------------------------------
    def add_test_result(self, record: Mapping[str, Any], *, with_outcome: bool = False) -> None:
        """A record of docs.test_results(repo). Tolerant: a record may hold a `history`/`runs`
        list of runs; times, outcomes and coverage are read from the usual field names.
        `with_outcome`: also count pass/fail (used when no `test` events exist)."""
        runs = record.get("history") or record.get("runs")
        items = [r for r in runs if isinstance(r, Mapping)] if isinstance(runs, list) else [record]
        for r in items:
            t = None
            for k in ("finished_at", "completed_at", "created_at", "ts", "updated_at"):
                t = parse_time(r.get(k))
                if t is not None:
                    break
            if t is None or t >= self.window.end:
                continue
            cov = _coverage(r.get("coverage", r.get("coverage_percent")))
            if cov is not None:
                # The default branch's runs (no PR) make the trend; PR runs only when there are none.
                if r.get("pr", record.get("pr")) is None:
                    self._base_coverage.append((t, cov))
                self._coverage.append((t, cov))
            if with_outcome:
                outcome: bool | None = r.get("passed") if isinstance(r.get("passed"), bool) else None
                if outcome is None:
                    for k in ("status", "result", "conclusion", "state", "verdict"):
                        v = str(r.get(k) or "").lower()
                        if v in _PASS or v in _FAIL:
                            outcome = v in _PASS
                            break
                if outcome is not None:
                    self._build(t, outcome)

    @property
    def has_test_events(self) -> bool:
        return self._any_tests

    # -- PR facts ---------------------------------------------------------------------------------
    def add_pr(self, fact: PrFact) -> None:
        """Kept only when the report can use it (opened, closed or first reviewed in the window,
        merged in a trend week): the PR cache holds every PR ever."""
        w = self.window
        if (w.contains(fact.created_at) or w.contains(fact.merged_at or fact.closed_at)
                or w.contains(fact.first_human_review_at)
                or (fact.merged_at is not None and self._week_index(fact.merged_at) is not None)):
            self._prs.append(fact)

    # -- result -------------------------------------------------------------------------------------
    def result(self, *, pr_facts_available: bool = True) -> AgentReport:
        w = self.window
        for agent, start in self._leases.values():
            self._lease(agent, start, w.end)
        self._leases.clear()

        merged_by_agent: dict[str, int] = defaultdict(int)
        opened_by_agent: dict[str, int] = defaultdict(int)
        merged = closed_unmerged = approved = opened = 0
        review_h: list[float] = []
        rounds: list[int] = []
        merged_cost = 0.0
        merged_has_cost = False
        merged_week = [0] * self.weeks
        for p in self._prs:
            pr_agent = self._pr_agent.get((p.repo, p.number))
            if w.contains(p.created_at):
                opened += 1
                if pr_agent:
                    opened_by_agent[pr_agent] += 1
            if p.merged_at is not None:
                wk = self._week_index(p.merged_at)
                if wk is not None:
                    merged_week[wk] += 1
            closed_at = p.merged_at or p.closed_at
            if w.contains(closed_at):
                rounds.append(self._rounds.get((p.repo, p.number), 0))
                approved += p.approved
                if p.merged_at is not None:
                    merged += 1
                    if pr_agent:
                        merged_by_agent[pr_agent] += 1
                    c = self._cost_by_pr.get((p.repo, p.number))
                    ci = self._cost_by_issue.get((p.repo, p.issue)) if p.issue is not None else None
                    if c is not None or ci is not None:
                        merged_has_cost = True
                        merged_cost += (c or 0.0) + (ci or 0.0)
                else:
                    closed_unmerged += 1
            if w.contains(p.first_human_review_at) and p.created_at is not None:
                assert p.first_human_review_at is not None
                review_h.append(max(0.0, (p.first_human_review_at - p.created_at).total_seconds() / 3600))

        # Needed a human at any time, among the tasks that completed in the window.
        done_here = set().union(*self._done.values()) if self._done else set()
        nh_ever = {t for t in self._nh_ever if t in done_here}
        rows = []
        total_done = total_failed = total_nh = 0
        all_done: set[int] = set()
        all_outcomes: set[int] = set()
        for agent in sorted(self._seen_agents | set(self._spend) | set(merged_by_agent)):
            done, failed, nh = self._done.get(agent, set()), self._failed.get(agent, set()), self._nh.get(agent, set())
            outcomes = done | failed | nh
            autonomous = len(done - nh_ever)
            all_done |= done
            all_outcomes |= outcomes
            total_done += len(done)
            total_failed += len(failed)
            total_nh += len(nh)
            leased = self._leased_s.get(agent)
            rows.append(AgentRow(
                agent=agent, claimed=self._claimed.get(agent, 0), completed=len(done), failed=len(failed),
                needs_human=len(nh),
                autonomous_completion_rate=autonomous / len(outcomes) if outcomes else None,
                utilization=(leased / w.seconds) if leased is not None and w.seconds > 0 else (
                    0.0 if agent in self._seen_agents and w.seconds > 0 else None),
                prs_opened=opened_by_agent.get(agent, 0), prs_merged=merged_by_agent.get(agent, 0),
                spend_usd=self._spend.get(agent) if agent in self._spend else None,
            ))
        closed = merged + closed_unmerged
        pr_ok = pr_facts_available
        agents = AgentSummary(
            agents=tuple(rows), claimed=sum(self._claimed.values()), completed=total_done, failed=total_failed,
            needs_human=total_nh,
            autonomous_completion_rate=len(all_done - nh_ever) / len(all_outcomes) if all_outcomes else None,
            prs_opened=opened if pr_ok else None, prs_merged=merged if pr_ok else None,
            prs_closed_unmerged=closed_unmerged if pr_ok else None,
            pr_merge_rate=merged / closed if closed else None,
            pr_approval_rate=approved / closed if closed else None,
            first_review_samples=len(review_h),
            time_to_first_review_median_h=median(review_h), time_to_first_review_p90_h=percentile(review_h, 90),
            remediation_rounds_mean=sum(rounds) / len(rounds) if rounds else None,
            remediation_rounds_max=max(rounds) if rounds else None,
        )

        builds, passed = self._tests_in
        cov_sorted = sorted(self._base_coverage or self._coverage, key=lambda x: x[0])
        cov_in = [c for t, c in cov_sorted if w.contains(t)]
        cov_before = [c for t, c in cov_sorted if t < w.start]
        latest = cov_in[-1] if cov_in else None
        delivery = DeliverySummary(
            builds=builds, build_success_rate=passed / builds if builds else None,
            coverage_latest=latest,
            coverage_change=latest - cov_before[-1] if latest is not None and cov_before else None,
        )

        spend = sum(self._spend.values()) if self._runs > self._runs_nocost else None
        budget = self.budget_monthly_usd
        month = self._month_spend if self._month_runs else None
        cost = CostSummary(
            spend_usd=spend, runs=self._runs, runs_without_cost=self._runs_nocost,
            per_agent=dict(sorted(self._spend.items())),
            merged_prs=merged if pr_ok else None,
            cost_per_merged_pr_usd=merged_cost / merged if merged and merged_has_cost else None,
            month_to_date_usd=month, budget_monthly_usd=budget,
            budget_used=(month or 0.0) / budget if budget else None,
            budget_remaining_usd=budget - (month or 0.0) if budget is not None else None,
            reported_spend_usd=round(self._estimated[0], 6), estimated_spend_usd=round(self._estimated[1], 6),
            estimated_runs=int(self._estimated[2]),
        )

        completed_week = self._completions_by_week()
        cov_week: list[float | None] = []
        build_week: list[float | None] = []
        for win, (n, ok) in zip(self._weeks, self._tests_week, strict=True):
            cs = [c for t, c in cov_sorted if win.contains(t)]
            cov_week.append(cs[-1] if cs else None)
            build_week.append(ok / n if n else None)
        trend = AgentTrend(
            week_starts=tuple(x.start for x in self._weeks), completed=tuple(completed_week),
            prs_merged=tuple(merged_week) if pr_ok else None, spend_usd=tuple(round(c, 6) for c in self._cost_week),
            coverage=tuple(cov_week), build_success_rate=tuple(build_week),
        )
        return AgentReport(agents, delivery, cost, trend)


def compute_agent_report(window: Window, *, actions: Iterable[Mapping[str, Any]] = (),
                         costs: Iterable[Mapping[str, Any]] = (), prs: Sequence[PrFact] | None = None,
                         test_results: Iterable[Mapping[str, Any]] = (), budget_monthly_usd: float | None = None,
                         weeks: int = 8) -> AgentReport:
    """Convenience wrapper over AgentMetricsBuilder for in-memory inputs (tests)."""
    b = AgentMetricsBuilder(window, weeks=weeks, budget_monthly_usd=budget_monthly_usd)
    for e in actions:
        b.add_action(e)
    for c in costs:
        b.add_cost(c)
    outcome = not b.has_test_events
    for r in test_results:
        b.add_test_result(r, with_outcome=outcome)
    for p in prs or ():
        b.add_pr(p)
    return b.result(pr_facts_available=prs is not None)
