"""The full report as one value, and its pure text renderings: GitHub-flavoured markdown with
Mermaid charts (step summaries, the report issue) and the rows/sparklines the terminal shows.

Mermaid: only `xychart-beta` (bar/line) and `pie`, the two chart types GitHub renders that fit
trends and shares. xychart series cannot hold gaps, so a series with "no data" weeks is drawn
over the weeks that have data only; count series (deploys, merged PRs, spend) are true zeros.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agentops.domain.agent_metrics import AgentReport
from agentops.domain.backlog import TaskProgress
from agentops.domain.dora import BAND_SOURCE, DoraReport, DoraSnapshot, DoraTrend
from agentops.domain.pipeline_render import (
    BACKLOG_HEADERS,
    MAX_BACKLOG_ROWS,
    PIPELINE_HEADERS,
    backlog_rows,
    pipeline_rows,
    stage_line,
    stage_summary,
)
from agentops.domain.review_metrics import PipelineMetrics
from agentops.domain.timeutil import iso

NO_DATA = "no data"
_SPARK = "▁▂▃▄▅▆▇█"
_MAX_LISTED = 20  # open incidents named in markdown; the JSON keeps them all


@dataclass(frozen=True)
class EnvironmentReport:
    dora: DoraReport
    trend: DoraTrend


@dataclass(frozen=True)
class FullReport:
    generated_at: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    window_days: float
    repos: tuple[str, ...]  # empty: every repository in the logs
    environments: tuple[EnvironmentReport, ...]
    agents: AgentReport
    pr_source: str  # "github" | "cache" | "none"
    band_source: str = BAND_SOURCE
    # The agents' pipeline over every recorded PR (rounds by kind, review agent verdicts) and each
    # queued task's stage.
    pipeline: PipelineMetrics = field(default_factory=PipelineMetrics)
    backlog: tuple[TaskProgress, ...] = ()
    # Each active backlog (`agentops play`, domain.backlog_scope BacklogView.to_json): its selection,
    # its tasks and their count by stage.
    backlogs: tuple[dict[str, Any], ...] = ()


# --------------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------------
def fmt_hours(h: float | None) -> str:
    if h is None:
        return NO_DATA
    if h < 1:
        return f"{h * 60:.0f} min"
    if h < 48:
        return f"{h:.1f} h"
    return f"{h / 24:.1f} d"


def fmt_pct(x: float | None) -> str:
    return NO_DATA if x is None else f"{x * 100:.1f}%"


def fmt_usd(x: float | None) -> str:
    return NO_DATA if x is None else f"${x:,.2f}"


def fmt_change(x: float | None, kind: str) -> str:
    """Signed change vs the previous window; `kind`: hours | pct | num."""
    if x is None:
        return "–"
    sign = "+" if x > 0 else ("−" if x < 0 else "±")
    mag = abs(x)
    if kind == "hours":
        return f"{sign}{fmt_hours(mag)}"
    if kind == "pct":
        return f"{sign}{mag * 100:.1f} pp"
    return f"{sign}{mag:.2f}"


def fmt_band(band: str | None) -> str:
    return band if band is not None else NO_DATA


def week_label(t: dt.datetime) -> str:
    return t.strftime("%m-%d")


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, scaled between the series' min and max; a gap for None."""
    nums = [v for v in values if v is not None]
    if not nums:
        return " " * len(values)
    lo, hi = min(nums), max(nums)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(_SPARK[0] if hi == 0 else _SPARK[3])
        else:
            out.append(_SPARK[round((v - lo) / (hi - lo) * (len(_SPARK) - 1))])
    return "".join(out)


# --------------------------------------------------------------------------------------------
# GFM tables and Mermaid
# --------------------------------------------------------------------------------------------
def md_cell(value: object) -> str:
    """A table cell: pipes escaped, line breaks flattened (either would break the row)."""
    text = NO_DATA if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ").strip() or " "


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(md_cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        if len(r) != len(headers):
            raise ValueError(f"row has {len(r)} cells, table has {len(headers)} columns")
        lines.append("| " + " | ".join(md_cell(c) for c in r) + " |")
    return "\n".join(lines)


def _mm_text(text: str) -> str:
    # Mermaid strings cannot escape a double quote; keep labels plain.
    return text.replace('"', "'").replace("\n", " ")


def _mm_num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.2f}"


def mermaid_xychart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                    y_label: str) -> str:
    """series: ("bar"|"line", values) each as long as labels."""
    if not labels:
        raise ValueError("a chart needs at least one x value")
    for kind, values in series:
        if kind not in ("bar", "line") or len(values) != len(labels):
            raise ValueError(f"bad series {kind!r} with {len(values)} values for {len(labels)} labels")
    top = max([1.0] + [float(v) for _, vals in series for v in vals])
    lines = ["```mermaid", "xychart-beta", f'    title "{_mm_text(title)}"',
             "    x-axis [" + ", ".join(f'"{_mm_text(lb)}"' for lb in labels) + "]",
             f'    y-axis "{_mm_text(y_label)}" 0 --> {_mm_num(top)}']
    for kind, values in series:
        lines.append(f"    {kind} [" + ", ".join(_mm_num(float(v)) for v in values) + "]")
    lines.append("```")
    return "\n".join(lines)


def mermaid_pie(title: str, slices: Sequence[tuple[str, float]]) -> str | None:
    """None when no slice is positive (GitHub renders an empty pie as an error)."""
    good = [(k, v) for k, v in slices if v > 0]
    if not good:
        return None
    lines = ["```mermaid", f"pie title {_mm_text(title)}"]
    lines += [f'    "{_mm_text(k)}" : {_mm_num(v)}' for k, v in good]
    lines.append("```")
    return "\n".join(lines)


def _present(labels: Sequence[str], values: Sequence[float | None]) -> tuple[list[str], list[float]]:
    pairs = [(lb, v) for lb, v in zip(labels, values, strict=True) if v is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


# --------------------------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------------------------
def dora_rows(d: DoraReport) -> list[list[str]]:
    c, p, ch = d.current, d.previous, d.changes

    def freq(s: DoraSnapshot) -> str:
        per_day = s.deploys_per_day
        if per_day is None or s.deploys_per_week is None:
            return NO_DATA
        return f"{per_day:.2f}/day ({s.deploys_per_week:.1f}/week, {s.deployments} deploys)"

    def lead(s: DoraSnapshot) -> str:
        med = s.lead_time_median_h
        if med is None:
            return NO_DATA
        return f"{fmt_hours(med)} / p90 {fmt_hours(s.lead_time_p90_h)} ({s.lead_time_samples} commits)"

    def cfr(s: DoraSnapshot) -> str:
        rate = s.change_failure_rate
        if rate is None:
            return NO_DATA
        return f"{fmt_pct(rate)} ({s.failed_deployments}/{s.deployments})"

    def mttr(s: DoraSnapshot) -> str:
        med = s.time_to_restore_median_h
        if med is None:
            return NO_DATA
        return f"{fmt_hours(med)} ({s.restored_incidents} incidents)"

    return [
        ["Deployment frequency", freq(c), fmt_band(c.frequency_band), freq(p),
         fmt_change(ch.get("deploys_per_day"), "num") + ("/day" if ch.get("deploys_per_day") is not None else "")],
        ["Lead time for changes (median)", lead(c), fmt_band(c.lead_time_band), lead(p),
         fmt_change(ch.get("lead_time_median_h"), "hours")],
        ["Change failure rate", cfr(c), fmt_band(c.change_failure_band), cfr(p),
         fmt_change(ch.get("change_failure_rate"), "pct")],
        ["Time to restore (median)", mttr(c), fmt_band(c.time_to_restore_band), mttr(p),
         fmt_change(ch.get("time_to_restore_median_h"), "hours")],
    ]


DORA_HEADERS = ("Metric", "This window", "Band", "Previous window", "Change")
AGENT_HEADERS = ("Agent", "Claimed", "Completed", "Failed", "Needs human", "Autonomous", "Utilization",
                 "PRs opened", "PRs merged", "Spend")


def agent_rows(a: AgentReport) -> list[list[str]]:
    return [[r.agent, str(r.claimed), str(r.completed), str(r.failed), str(r.needs_human),
             fmt_pct(r.autonomous_completion_rate), fmt_pct(r.utilization), str(r.prs_opened), str(r.prs_merged),
             fmt_usd(r.spend_usd)] for r in a.agents.agents]


def summary_rows(a: AgentReport) -> list[list[str]]:
    s, dl, c = a.agents, a.delivery, a.cost
    cov = NO_DATA if dl.coverage_latest is None else f"{dl.coverage_latest:.1f}%"
    if dl.coverage_change is not None:
        cov += f" ({fmt_change(dl.coverage_change / 100, 'pct')})"
    budget = NO_DATA
    if c.budget_monthly_usd is not None:
        budget = (f"{fmt_usd(c.month_to_date_usd or 0.0)} of {fmt_usd(c.budget_monthly_usd)} this month "
                  f"({fmt_pct(c.budget_used)}, {fmt_usd(c.budget_remaining_usd)} left)")
    merged = NO_DATA if s.prs_merged is None else str(s.prs_merged)
    return [
        ["Tasks claimed / completed / failed / needs human", f"{s.claimed} / {s.completed} / {s.failed} / {s.needs_human}"],
        ["Autonomous completion rate", fmt_pct(s.autonomous_completion_rate)],
        ["Agent PRs merged", merged],
        ["PR merge rate", fmt_pct(s.pr_merge_rate)],
        ["PR approval rate", fmt_pct(s.pr_approval_rate)],
        ["Time to first human review (median / p90)",
         NO_DATA if s.time_to_first_review_median_h is None else
         f"{fmt_hours(s.time_to_first_review_median_h)} / {fmt_hours(s.time_to_first_review_p90_h)}"
         f" ({s.first_review_samples} PRs)"],
        ["Remediation rounds per PR (mean / max)",
         NO_DATA if s.remediation_rounds_mean is None else
         f"{s.remediation_rounds_mean:.2f} / {s.remediation_rounds_max}"],
        ["Build success rate", NO_DATA if dl.build_success_rate is None else
         f"{fmt_pct(dl.build_success_rate)} ({dl.builds} builds)"],
        ["Coverage (latest)", cov],
        ["Spend in window", fmt_usd(c.spend_usd) + (f" ({c.runs_without_cost} runs without a cost)"
                                                    if c.runs_without_cost else "")],
        ["Reported / estimated spend", f"{fmt_usd(c.reported_spend_usd)} / {fmt_usd(c.estimated_spend_usd)}"
         + (f" ({c.estimated_runs} runs of unknown cost charged their cap)" if c.estimated_runs else "")],
        ["Cost per merged PR", fmt_usd(c.cost_per_merged_pr_usd)],
        ["Budget", budget],
    ]


def render_markdown(r: FullReport, *, title: str = "Agent Ops report") -> str:
    out: list[str] = [f"## {title}", ""]
    scope = ", ".join(r.repos) if r.repos else "all repositories"
    out.append(f"Window **{iso(r.window_start)} → {iso(r.window_end)}** ({r.window_days:g} days, "
               f"compared with the {r.window_days:g} days before) · {md_cell(scope)} · generated {iso(r.generated_at)}")
    out.append("")
    labels = [week_label(t) for t in (r.environments[0].trend.week_starts if r.environments
                                      else r.agents.trend.week_starts)]
    if not r.environments:
        out += ["### DORA", "", f"_{NO_DATA}: no deployments or incidents recorded._", ""]
    for env in r.environments:
        d = env.dora
        out += [f"### DORA · {md_cell(d.environment)}", "", md_table(DORA_HEADERS, dora_rows(d)), ""]
        if d.open_incidents:
            shown = ", ".join(md_cell(i) for i in d.open_incidents[:_MAX_LISTED])
            more = len(d.open_incidents) - _MAX_LISTED
            out += [f"Open incidents (not counted as restored): {shown}" + (f" and {more} more" if more > 0 else ""),
                    ""]
        t = env.trend
        out += [mermaid_xychart(f"Deploys per week ({d.environment})", labels, [("bar", t.deployments)],
                                "deploys"), ""]
        lt_labels, lt_values = _present(labels, t.lead_time_median_h)
        if lt_values:
            out += [mermaid_xychart(f"Median lead time per week, hours ({d.environment})", lt_labels,
                                    [("line", lt_values)], "hours"), ""]
    a = r.agents
    out += ["### Agents, delivery and cost", "", md_table(("Measure", "Value"), summary_rows(a)), ""]
    if a.agents.agents:
        out += [md_table(AGENT_HEADERS, agent_rows(a)), ""]
    series: list[tuple[str, Sequence[float]]] = [("bar", a.trend.completed)]
    if a.trend.prs_merged is not None:
        series.append(("line", a.trend.prs_merged))
    out += [mermaid_xychart("Tasks completed (bars) and agent PRs merged (line) per week", labels, series, "count"),
            ""]
    cov_labels, cov_values = _present(labels, a.trend.coverage)
    if cov_values:
        out += [mermaid_xychart("Coverage per week, %", cov_labels, [("line", cov_values)], "percent"), ""]
    if any(a.trend.spend_usd):
        out += [mermaid_xychart("Spend per week, USD", labels, [("bar", a.trend.spend_usd)], "USD"), ""]
    pie = mermaid_pie("Spend by agent (window)", list(a.cost.per_agent.items()))
    if pie:
        out += [pie, ""]
    out += pipeline_markdown(r)
    if r.pr_source == "cache":
        out += ["_PR figures from the cached GitHub data (offline run)._", ""]
    elif r.pr_source == "none":
        out += ["_No GitHub PR data: PR figures show no data._", ""]
    out.append(f"<sub>Bands: {r.band_source}. \"{NO_DATA}\" means nothing was recorded, not zero.</sub>")
    return "\n".join(out) + "\n"


def terminal_trends(r: FullReport) -> list[tuple[str, str, str]]:
    """(label, sparkline, latest value) rows of the weekly trends for the terminal dashboard."""
    rows: list[tuple[str, str, str]] = []
    for env in r.environments:
        t, name = env.trend, env.dora.environment
        rows.append((f"deploys/week · {name}", sparkline([float(x) for x in t.deployments]), str(t.deployments[-1])))
        rows.append((f"lead time median · {name}", sparkline(t.lead_time_median_h), fmt_hours(t.lead_time_median_h[-1])))
        rows.append((f"change failure rate · {name}", sparkline(t.change_failure_rate),
                     fmt_pct(t.change_failure_rate[-1])))
    a = r.agents.trend
    rows.append(("tasks completed/week", sparkline([float(x) for x in a.completed]), str(a.completed[-1])))
    if a.prs_merged is not None:
        rows.append(("agent PRs merged/week", sparkline([float(x) for x in a.prs_merged]), str(a.prs_merged[-1])))
    rows.append(("spend/week", sparkline(a.spend_usd), fmt_usd(a.spend_usd[-1])))
    rows.append(("coverage", sparkline(a.coverage), NO_DATA if a.coverage[-1] is None else f"{a.coverage[-1]:.1f}%"))
    rows.append(("build success", sparkline(a.build_success_rate), fmt_pct(a.build_success_rate[-1])))
    return rows


def pipeline_markdown(r: FullReport) -> list[str]:
    out = ["### Pipeline", "", md_table(PIPELINE_HEADERS, pipeline_rows(r.pipeline)), "",
           f"Backlog by stage: {md_cell(stage_summary(r.backlog))}", ""]
    for b in r.backlogs:
        out += [f"Active backlog of {md_cell(str(b['repo']))} ({md_cell(str(b['selection']))}, since "
                f"{md_cell(str(b['started_at']))}): {b['tasks']} tasks: {md_cell(stage_line(b['stages']))}", ""]
    if r.backlog:
        out += [md_table(BACKLOG_HEADERS, backlog_rows(r.backlog)), ""]
        if len(r.backlog) > MAX_BACKLOG_ROWS:
            out += [f"_and {len(r.backlog) - MAX_BACKLOG_ROWS} more tasks (the JSON report lists them all)._", ""]
    return out
