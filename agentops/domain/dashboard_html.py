"""`agentops report --format html`: the dashboard as one self-contained page.

No CDN, no JavaScript, no web fonts: inline CSS and inline SVG charts, so the file works from disk,
from GitHub Pages and as a workflow artifact alike. Every piece of text that came from outside
(issue titles, agent and test names, repositories, URLs) goes through `_e` (HTML escaping, quotes
included) and links only keep http(s) URLs; a Content-Security-Policy that forbids every script is
the second wall should an escape ever be missed. Charts scale with their container (viewBox), so
the page reads at 390 px as at 1280 px.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from agentops.domain.dashboard import Dashboard, dag_layers
from agentops.domain.dora import (
    CFR_MAX,
    ELITE,
    FREQUENCY_MIN_PER_DAY,
    HIGH,
    LEAD_TIME_MAX_H,
    LOW,
    MEDIUM,
    DoraTrend,
)
from agentops.domain.pipeline_render import backlog_rows, pipeline_rows, stage_line, stage_summary
from agentops.domain.report_render import EnvironmentReport, fmt_band, fmt_hours, fmt_pct, fmt_usd, week_label

SECTIONS = ("agents", "queue", "pipeline", "dag", "dora", "spend", "incidents", "flaky")
BAND_COLOURS = {ELITE: "#1a7f37", HIGH: "#4ac26b", MEDIUM: "#d4a72c", LOW: "#cf222e"}
STATUS_COLOURS = {"ready": "#0969da", "claimed": "#8250df", "in_progress": "#8250df", "blocked": "#9a6700",
                  "needs_human": "#cf222e", "failed": "#cf222e", "held": "#6e7781"}
_W, _H = 480, 200  # chart viewBox; the SVG scales to its container
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 52, 12, 14, 30

_CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1f2328;background:#f6f8fa}header{background:#24292f;color:#fff;padding:16px 20px}
header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#d0d7de;font-size:13px}
nav{display:flex;flex-wrap:wrap;gap:6px 14px;padding:8px 20px;background:#fff;border-bottom:1px solid #d0d7de}
nav a{color:#0969da;text-decoration:none}main{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,560px),1fr));
gap:16px;padding:16px;max-width:1400px;margin:0 auto}section{background:#fff;border:1px solid #d0d7de;border-radius:8px;
padding:12px 16px;min-width:0}section.wide{grid-column:1/-1}h2{font-size:16px;margin:0 0 8px}h3{font-size:14px;margin:12px 0 4px}
table{width:100%;border-collapse:collapse;table-layout:fixed;font-size:13px}th,td{text-align:left;padding:4px 6px;
border-bottom:1px solid #eaeef2;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}th{color:#57606a;font-weight:600}
td.num,th.num{text-align:right;width:5.5em}td.title{width:auto}.chart{display:block;width:100%;height:auto;margin:6px 0}
.muted{color:#57606a}.legend{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:12px;color:#57606a;margin:2px 0 6px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.pill{display:inline-block;padding:0 6px;border-radius:9px;color:#fff;font-size:12px}
.scroll{overflow-x:auto}.scroll .dag{min-width:560px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,300px),1fr));gap:8px 16px}
th.status,td.status{width:7.5em}th.who,td.who{width:7em}footer{padding:8px 20px 24px;color:#57606a;font-size:12px}
@media (max-width:600px){main{padding:8px;gap:8px}section{padding:10px}.hide-narrow{display:none}}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _url(value: str | None) -> str | None:
    return value if value and value.startswith(("https://", "http://")) else None


def _when(t: dt.datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t is not None else "-"


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


# -- page ---------------------------------------------------------------------------------------------------
def render_html(d: Dashboard, *, title: str = "Agent Ops report") -> str:
    r = d.report
    scope = ", ".join(r.repos) if r.repos else "every repository in the state"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No script may run here, whatever the state files contain.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'\">",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><p>{_e(_when(r.window_start))} → {_e(_when(r.window_end))} "
        f"({_n(r.window_days)} days) · {_e(scope)} · generated {_e(_when(r.generated_at))}</p></header>",
        "<nav>" + "".join(f'<a href="#{s}">{_e(_HEADINGS[s])}</a>' for s in SECTIONS) + "</nav>",
        "<main>",
        _agents(d), _queue(d), _pipeline(d), _dag(d), _dora(d), _spend(d), _incidents(d), _flaky(d),
        "</main>",
        f"<footer>Bands: {_e(r.band_source)}. PR data: {_e(r.pr_source)}. Made by agentops.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


_HEADINGS = {"agents": "Agents", "queue": "Queue", "pipeline": "Pipeline", "dag": "Dependency DAG", "dora": "DORA trends",
             "spend": "Spend vs budget", "incidents": "Open incidents", "flaky": "Flaky tests"}


def _section(name: str, body: str, *, wide: bool = False) -> str:
    cls = ' class="wide"' if wide else ""
    return f'<section id="{name}"{cls}><h2>{_e(_HEADINGS[name])}</h2>{body}</section>'


def _table(headers: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]]) -> str:
    """headers: (label, css class); rows: cells already escaped (they may hold markup)."""
    head = "".join(f'<th class="{c}">{_e(h)}</th>' for h, c in headers)
    body = "".join("<tr>" + "".join(f'<td class="{headers[i][1]}">{cell}</td>' for i, cell in enumerate(row))
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- sections -----------------------------------------------------------------------------------------------
def _agents(d: Dashboard) -> str:
    rows = d.report.agents.agents.agents
    seen = {a.name: a for a in d.agents}
    names = sorted({r.agent for r in rows} | set(seen))
    by_name = {r.agent: r for r in rows}
    table_rows = []
    for name in names:
        row = by_name.get(name)
        state = seen.get(name)
        table_rows.append([
            _e(name), _e(row.claimed if row else 0), _e(row.completed if row else 0), _e(row.failed if row else 0),
            _e(fmt_pct(row.autonomous_completion_rate) if row else "-"),
            _e(fmt_usd(row.spend_usd) if row else "-"),
            _e(_when(state.last_seen) if state and state.last_seen else "never"),
        ])
    chart = _hbars([(n, [(by_name[n].completed if n in by_name else 0, "#1a7f37", "completed"),
                         (by_name[n].failed if n in by_name else 0, "#cf222e", "failed"),
                         (by_name[n].needs_human if n in by_name else 0, "#9a6700", "needs human")])
                    for n in names], "Tasks per agent in the window")
    legend = _legend([("#1a7f37", "completed"), ("#cf222e", "failed"), ("#9a6700", "needs human")])
    table = _table([("agent", ""), ("claimed", "num"), ("done", "num"), ("failed", "num"),
                    ("autonomous", "num hide-narrow"), ("spend", "num"), ("last seen", "hide-narrow")], table_rows)
    return _section("agents", legend + chart + (table if names else '<p class="muted">No agent has worked yet.</p>'))


def _queue(d: Dashboard) -> str:
    counts: dict[str, int] = {}
    for t in d.tasks:
        counts[t.status] = counts.get(t.status, 0) + 1
    chart = _hbars([("open tasks", [(n, STATUS_COLOURS.get(s, "#6e7781"), s) for s, n in sorted(counts.items())])],
                   "Open tasks by status", height=70)
    legend = _legend([(STATUS_COLOURS.get(s, "#6e7781"), f"{s} ({n})") for s, n in sorted(counts.items())])
    rows = [[_link(f"#{t.number}", t.url), f'<span title="{_e(t.title)}">{_e(t.title)}</span>', _e(t.status),
             _e(t.priority), _e(t.agent)] for t in d.tasks]
    more = d.tasks_total - len(d.tasks)
    tail = f'<p class="muted">and {more} more open tasks</p>' if more > 0 else ""
    body = legend + chart + _table([("issue", "num"), ("title", "title"), ("status", "status"),
                                    ("priority", "who hide-narrow"), ("agent", "who hide-narrow")], rows) + tail \
        if d.tasks else \
        '<p class="muted">No open tasks.</p>' + chart
    return _section("queue", body)


def _pipeline(d: Dashboard) -> str:
    """The pipeline's figures and each task's stage, as the terminal and markdown reports show them."""
    r = d.report
    figures = _table([("measure", "title"), ("value", "")], [[_e(a), _e(b)] for a, b in pipeline_rows(r.pipeline)])
    summary = f'<p class="muted">Backlog by stage: {_e(stage_summary(r.backlog))}</p>'
    # Each backlog `agentops play` keeps active (what events and tick start), as the other forms show it.
    summary += "".join(f'<p>Active backlog of {_e(b["repo"])} ({_e(b["selection"])}, since {_e(b["started_at"])}): '
                       f'{_e(b["tasks"])} tasks: {_e(stage_line(b["stages"]))}</p>' for b in r.backlogs)
    rows = [[_e(k), f'<span title="{_e(t)}">{_e(t)}</span>', _e(s), _e(a), _e(p), _e(n)]
            for k, t, s, a, p, n in backlog_rows(r.backlog)]
    table = _table([("task", "who"), ("title", "title"), ("stage", "status"), ("agent", "who hide-narrow"),
                    ("PR", "num"), ("rounds", "num hide-narrow")], rows) if rows else ""
    return _section("pipeline", figures + summary + table, wide=True)


def _link(text: str, url: str | None) -> str:
    safe = _url(url)
    return f'<a href="{_e(safe)}" rel="noopener noreferrer">{_e(text)}</a>' if safe else _e(text)


def _dag(d: Dashboard) -> str:
    layers, held = dag_layers(d.tasks)
    columns = [*layers, held] if held else layers
    node_w, node_h, gap_x, gap_y = 170, 36, 50, 12
    rows = max((len(c) for c in columns), default=1)
    width = max(len(columns), 1) * (node_w + gap_x) + 20
    height = rows * (node_h + gap_y) + 30
    pos: dict[str, tuple[float, float]] = {}
    nodes: list[str] = []
    for ci, column in enumerate(columns):
        x = 10 + ci * (node_w + gap_x)
        label = f"wave {ci + 1}" if ci < len(layers) else "held (cycle)"
        nodes.append(f'<text x="{x}" y="14" font-size="12" fill="#57606a">{_e(label)}</text>')
        for ri, t in enumerate(column):
            y = 22 + ri * (node_h + gap_y)
            pos[t.key] = (x, y)
            colour = STATUS_COLOURS.get("held" if ci >= len(layers) else t.status, "#6e7781")
            title = t.title if len(t.title) <= 22 else t.title[:21] + "…"
            nodes.append(f'<g><title>{_e(t.key)}: {_e(t.title)}</title>'
                         f'<rect x="{x}" y="{y}" width="{node_w}" height="{node_h}" rx="6" fill="#fff" '
                         f'stroke="{colour}" stroke-width="2"/>'
                         f'<text x="{x + 8}" y="{y + 15}" font-size="12" font-weight="600" fill="{colour}">'
                         f'#{t.number} {_e(t.status)}</text>'
                         f'<text x="{x + 8}" y="{y + 30}" font-size="11" fill="#1f2328">{_e(title)}</text></g>')
    edges = []
    for t in d.tasks:
        for dep in t.dependencies:
            if dep in pos and t.key in pos:
                (x1, y1), (x2, y2) = pos[dep], pos[t.key]
                sx, sy, ex, ey = x1 + node_w, y1 + node_h / 2, x2, y2 + node_h / 2
                mid = (sx + ex) / 2
                edges.append(f'<path d="M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}" fill="none" '
                             f'stroke="#8c959f" stroke-width="1.5" marker-end="url(#arrow)"/>')
    if not d.tasks:
        nodes.append('<text x="10" y="40" font-size="13" fill="#57606a">No open tasks: nothing to order.</text>')
    defs = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/></marker></defs>')
    svg = (f'<svg class="chart dag" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="Dependency DAG in {len(layers)} waves">{defs}{"".join(edges)}{"".join(nodes)}</svg>')
    note = f'<p class="muted">{len(layers)} wave(s); {len(held)} task(s) held on a dependency cycle.</p>'
    return _section("dag", note + f'<div class="scroll">{svg}</div>', wide=True)


def _dora(d: Dashboard) -> str:
    envs = d.report.environments
    if not envs:
        body = '<p class="muted">No deployments or incidents recorded yet.</p>' + _empty_chart("DORA trends")
        return _section("dora", body, wide=True)
    legend = _legend([(BAND_COLOURS[b], fmt_band(b)) for b in (ELITE, HIGH, MEDIUM, LOW)])
    return _section("dora", legend + "".join(_dora_env(e) for e in envs), wide=True)


def _dora_env(e: EnvironmentReport) -> str:
    cur = e.dora.current
    t: DoraTrend = e.trend
    labels = [week_label(w) for w in t.week_starts]
    per_week = [float(n) for n in t.deployments]
    # Frequency bands per week: elite deploys daily (>= 7 a week), high weekly, medium monthly.
    freq = {b: per_day * 7 for b, per_day in FREQUENCY_MIN_PER_DAY}
    freq_bands = [(freq[ELITE], None, ELITE), (freq[HIGH], freq[ELITE], HIGH), (freq[MEDIUM], freq[HIGH], MEDIUM),
                  (0.0, freq[MEDIUM], LOW)]
    lead = {b: h for b, h, _strict in LEAD_TIME_MAX_H}
    lead_bands = [(0.0, lead[ELITE], ELITE), (lead[ELITE], lead[HIGH], HIGH), (lead[HIGH], lead[MEDIUM], MEDIUM),
                  (lead[MEDIUM], None, LOW)]
    cfr = dict(CFR_MAX)
    cfr_bands = [(0.0, cfr[ELITE], ELITE), (cfr[ELITE], cfr[HIGH], HIGH), (cfr[HIGH], cfr[MEDIUM], MEDIUM),
                 (cfr[MEDIUM], None, LOW)]
    summary = (f"deploys {_n(cur.deploys_per_week or 0)}/week ({fmt_band(cur.frequency_band)}) · lead time "
               f"{fmt_hours(cur.lead_time_median_h)} ({fmt_band(cur.lead_time_band)}) · change failure "
               f"{fmt_pct(cur.change_failure_rate)} ({fmt_band(cur.change_failure_band)}) · restore "
               f"{fmt_hours(cur.time_to_restore_median_h)} ({fmt_band(cur.time_to_restore_band)})")
    return (f"<h3>{_e(e.dora.environment)}</h3><p class=\"muted\">{_e(summary)}</p><div class=\"charts\">"
            + _series_chart("Deployments per week", labels, per_week, freq_bands, bars=True, unit="")
            + _series_chart("Lead time, median (hours)", labels, list(t.lead_time_median_h), lead_bands, unit="h")
            + _series_chart("Change failure rate", labels, list(t.change_failure_rate), cfr_bands, unit="%",
                            percent=True) + "</div>")


def _spend(d: Dashboard) -> str:
    c = d.report.agents.cost
    trend = d.report.agents.trend
    labels = [week_label(w) for w in trend.week_starts]
    bars = _series_chart("Spend per week (USD)", labels, list(trend.spend_usd), [], bars=True, unit="$")
    budget = c.budget_monthly_usd
    mtd = c.month_to_date_usd or 0.0
    if budget:
        top = max(budget, mtd) * 1.1
        scale = (_W - 20) / top
        colour = "#cf222e" if mtd > budget else ("#d4a72c" if mtd > 0.8 * budget else "#1a7f37")
        gauge = (f'<svg class="chart gauge" viewBox="0 0 {_W} 64" role="img" aria-label="Month to date '
                 f'{_e(fmt_usd(mtd))} of {_e(fmt_usd(budget))}">'
                 f'<rect x="10" y="18" width="{_W - 20}" height="22" fill="#eaeef2" rx="4"/>'
                 f'<rect x="10" y="18" width="{max(mtd * scale, 1):.1f}" height="22" fill="{colour}" rx="4"/>'
                 f'<line x1="{10 + budget * scale:.1f}" y1="10" x2="{10 + budget * scale:.1f}" y2="48" '
                 f'stroke="#1f2328" stroke-width="2"/>'
                 f'<text x="10" y="60" font-size="12" fill="#57606a">month to date {_e(fmt_usd(mtd))} of '
                 f'{_e(fmt_usd(budget))} budget ({_e(fmt_pct(c.budget_used))})</text></svg>')
    else:
        gauge = '<p class="muted">No monthly budget configured (budget.monthly_usd).</p>'
    facts = (f"spend in window {fmt_usd(c.spend_usd)} over {c.runs} run(s)"
             + (f", {c.runs_without_cost} without a cost report" if c.runs_without_cost else "")
             + f"; per merged PR {fmt_usd(c.cost_per_merged_pr_usd)}")
    return _section("spend", gauge + bars + f'<p class="muted">{_e(facts)}</p>')


def _incidents(d: Dashboard) -> str:
    if not d.incidents:
        return _section("incidents", '<p class="muted">No open incidents.</p>')
    now = d.report.generated_at
    rows = [[_e(i.id), _e(i.environment or "-"), _e(_when(i.opened_at)),
             _e(fmt_hours((now - i.opened_at).total_seconds() / 3600) if i.opened_at else "-")]
            for i in d.incidents]
    return _section("incidents", _table([("incident", ""), ("environment", ""), ("opened", "hide-narrow"),
                                         ("open for", "num")], rows))


def _flaky(d: Dashboard) -> str:
    if not d.flaky:
        return _section("flaky", '<p class="muted">No flaky tests seen (a test that failed, then passed on '
                        're-run).</p>')
    rows = [[f'<span title="{_e(f.test)}">{_e(f.test)}</span>', _e(f.repo), _e(f.runs),
             _e(_when(f.last_seen))] for f in d.flaky]
    chart = _hbars([(f.test, [(f.runs, "#9a6700", "runs")]) for f in d.flaky[:10]], "Runs in which a test was flaky")
    return _section("flaky", chart + _table([("test", "title"), ("repository", "hide-narrow"), ("runs", "num"),
                                             ("last seen", "hide-narrow")], rows))


# -- charts -------------------------------------------------------------------------------------------------
def _legend(items: Sequence[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(f'<span><span class="swatch" style="background:{c}"></span>{_e(t)}</span>'
                                            for c, t in items) + "</div>"


def _empty_chart(label: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {_W} 60" role="img" aria-label="{_e(label)}: no data">'
            f'<rect x="1" y="1" width="{_W - 2}" height="58" fill="#f6f8fa" stroke="#d0d7de"/>'
            f'<text x="{_W / 2}" y="35" text-anchor="middle" font-size="13" fill="#57606a">no data</text></svg>')


def _hbars(rows: Sequence[tuple[str, Sequence[tuple[float, str, str]]]], label: str, *, height: int | None = None) -> str:
    """Stacked horizontal bars, one per row: (row label, [(value, colour, part name)])."""
    if not rows:
        return _empty_chart(label)
    bar_h, gap, left = 18, 8, 150
    h = height or len(rows) * (bar_h + gap) + 10
    top = max((sum(v for v, _c, _n in parts) for _l, parts in rows), default=0) or 1
    scale = (_W - left - 40) / top
    out = []
    for i, (name, parts) in enumerate(rows):
        y = 6 + i * (bar_h + gap)
        short = name if len(name) <= 22 else name[:21] + "…"
        out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="12" fill="#1f2328">'
                   f'{_e(short)}</text>')
        x = float(left)
        for value, colour, part in parts:
            if value <= 0:
                continue
            w = value * scale
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                       f'<title>{_e(name)}: {_e(part)} {_e(_n(value))}</title></rect>')
            x += w
        total = sum(v for v, _c, _n in parts)
        out.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="12" fill="#57606a">{_e(_n(total))}</text>')
        out.append(f'<line x1="{left}" y1="{y - 2}" x2="{left}" y2="{y + bar_h + 2}" stroke="#d0d7de"/>')
    return f'<svg class="chart" viewBox="0 0 {_W} {h}" role="img" aria-label="{_e(label)}">{"".join(out)}</svg>'


def _series_chart(label: str, x_labels: Sequence[str], values: Sequence[float | None],
                  bands: Sequence[tuple[float, float | None, str]], *, bars: bool = False, unit: str = "",
                  percent: bool = False) -> str:
    """A weekly series over coloured band backgrounds (lo, hi or None = open, band); None = no data."""
    present = [v for v in values if v is not None]
    closed_edges = [hi for _lo, hi, _b in bands if hi is not None]
    top = max([*present, *(e * 1.25 for e in closed_edges[:1])], default=1.0) * 1.15 or 1.0
    if percent:
        top = min(max(top, 0.2), 1.0)
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def y(v: float) -> float:
        return _PAD_T + plot_h - min(v, top) / top * plot_h

    out = [f'<text x="{_PAD_L}" y="10" font-size="12" fill="#1f2328">{_e(label)}</text>']
    for lo, hi, band in bands:
        if lo >= top:
            continue
        y_hi, y_lo = y(hi if hi is not None else top), y(lo)
        out.append(f'<rect x="{_PAD_L}" y="{y_hi:.1f}" width="{plot_w}" height="{max(y_lo - y_hi, 0):.1f}" '
                   f'fill="{BAND_COLOURS[band]}" fill-opacity="0.12"><title>{_e(fmt_band(band))}</title></rect>')
    for frac in (0, 0.5, 1):
        tick = top * frac
        text = f"{tick * 100:.0f}%" if percent else \
            f"{unit if unit == '$' else ''}{_n(tick)}{unit if unit == 'h' else ''}"
        out.append(f'<line x1="{_PAD_L}" y1="{y(tick):.1f}" x2="{_W - _PAD_R}" y2="{y(tick):.1f}" stroke="#d0d7de"/>'
                   f'<text x="{_PAD_L - 4}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="#57606a">'
                   f'{_e(text)}</text>')
    n = max(len(values), 1)
    step = plot_w / n
    points: list[str] = []
    for i, v in enumerate(values):
        cx = _PAD_L + step * (i + 0.5)
        if i % max(1, n // 8) == 0 and i < len(x_labels):
            out.append(f'<text x="{cx:.1f}" y="{_H - 10}" text-anchor="middle" font-size="11" fill="#57606a">'
                       f'{_e(x_labels[i])}</text>')
        if v is None:
            if not bars and len(points) > 1:
                out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#0969da" stroke-width="2"/>')
            points = []
            continue
        shown = f"{v * 100:.1f}%" if percent else _n(v)
        if bars:
            out.append(f'<rect x="{cx - step * 0.35:.1f}" y="{y(v):.1f}" width="{step * 0.7:.1f}" '
                       f'height="{max(y(0) - y(v), 0.5):.1f}" fill="#0969da"><title>{_e(shown)}</title></rect>')
        else:
            points.append(f"{cx:.1f},{y(v):.1f}")
            out.append(f'<circle cx="{cx:.1f}" cy="{y(v):.1f}" r="3.5" fill="#0969da"><title>{_e(shown)}</title>'
                       "</circle>")
    if not bars and len(points) > 1:
        out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#0969da" stroke-width="2"/>')
    if not present:
        out.append(f'<text x="{_PAD_L + plot_w / 2}" y="{_PAD_T + plot_h / 2}" text-anchor="middle" font-size="13" '
                   'fill="#57606a">no data</text>')
    out.append(f'<rect x="{_PAD_L}" y="{_PAD_T}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#d0d7de"/>')
    return f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{_e(label)}">{"".join(out)}</svg>'

