from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context
from agentops.errors import BadInput

if TYPE_CHECKING:
    from agentops.commands.report import ReportResult
    from agentops.context import Context

_FORMATS = ("table", "markdown", "json", "html")


@app.command("report")
def report_cmd(
    since: Annotated[str | None, typer.Option("--since", help="Window: 7d, 30d, 2w, 12h or a date YYYY-MM-DD "
                                              "(default: report.window_days).", show_default=False)] = None,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment for the DORA metrics "
                                            "(default: report.environment, else every environment).",
                                            show_default=False)] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="table (rich dashboard on stderr, the "
                                            "default), markdown (GitHub-flavoured, on stdout), json, or html (one "
                                            "self-contained dashboard page, on stdout or --output).",
                                            show_default=False)] = None,
    publish: Annotated[bool, typer.Option("--publish", help="Update the repository's 'Agent Ops report' issue "
                                          "and its comment for today.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Use cached PR data only; no GitHub requests.")] = False,
    weeks: Annotated[int, typer.Option("--weeks", help="Weeks in the trend charts.")] = 8,
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", help="With --format html or "
                                               "markdown: write the page to FILE instead of stdout.",
                                               show_default=False)] = None,
    repo: RepoOpt = None,
    json: JsonOpt = False,
) -> None:
    """DORA metrics, agent performance, delivery and cost from the state logs and GitHub."""
    from agentops.commands.report import ReportOptions, run

    asked = fmt.lower() if fmt else None
    fmt = "json" if json else (asked or "table")
    ctx = make_context(json_mode=fmt == "json", repo=repo)

    def body() -> ReportResult:
        if json and asked not in (None, "json"):
            raise BadInput(f"--format {asked} and --json ask for two different outputs", hint="pass one of them")
        if fmt not in _FORMATS:
            raise BadInput(f"--format: {fmt!r} is not one of {', '.join(_FORMATS)}")
        if output and fmt not in ("html", "markdown"):
            raise BadInput("--output: only with --format html or markdown")
        if publish and offline:
            raise BadInput("--publish needs GitHub; drop --offline")
        return run(ReportOptions(since=since, environment=env, repo=repo, offline=offline, publish=publish,
                                 weeks=weeks), ctx)

    def render(result: ReportResult) -> None:
        show(ctx, result, fmt, output)

    execute(ctx, body, render)


def show(ctx: Context, result: ReportResult, fmt: str, output: str | None = None) -> None:
    from agentops.commands.report import json_document
    from agentops.domain.report_render import (
        AGENT_HEADERS,
        DORA_HEADERS,
        agent_rows,
        dora_rows,
        summary_rows,
        terminal_trends,
    )
    from agentops.domain.timeutil import iso

    out = ctx.output
    out.summary(result.markdown)  # no-op outside GitHub Actions
    if fmt == "json":
        out.emit(json_document(result))
        return
    if fmt in ("markdown", "html"):
        if fmt == "html":
            from agentops.commands.report import dashboard_html

            text = dashboard_html(ctx, result.report)
        else:
            text = result.markdown
        _write(ctx, out.redactor.redact(text), output)
    else:
        r = result.report
        out.step(f"Agent Ops report {iso(r.window_start)} → {iso(r.window_end)} ({r.window_days:g} days)")
        if not r.environments:
            out.info("DORA: no data (no deployments or incidents recorded)")
        for e in r.environments:
            out.table(f"DORA · {e.dora.environment}", DORA_HEADERS, dora_rows(e.dora))
            if e.dora.open_incidents:
                ids = e.dora.open_incidents
                more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
                out.warn(f"open incidents ({e.dora.environment}): {', '.join(ids[:10])}{more}")
        out.table("Agents, delivery and cost", ("Measure", "Value"), summary_rows(r.agents))
        if r.agents.agents.agents:
            out.table("Per agent", AGENT_HEADERS, agent_rows(r.agents))
        out.table(f"Weekly trend (last {len(r.agents.trend.week_starts)} weeks)", ("Series", "Trend", "Latest"),
                  terminal_trends(r))
        from agentops.domain.pipeline_render import PIPELINE_HEADERS, pipeline_rows, stage_line, stage_summary

        out.table("Pipeline (every recorded PR)", PIPELINE_HEADERS, pipeline_rows(r.pipeline))
        out.info(f"backlog by stage: {stage_summary(r.backlog)}")
        for b in r.backlogs:
            out.info(f"active backlog of {b['repo']} ({b['selection']}, since {b['started_at']}): {b['tasks']} "
                     f"task(s): {stage_line(b['stages'])}")
        if r.backlog:
            from agentops.cli.play import stage_table

            stage_table(ctx, "Backlog", r.backlog[:50])
    for s in result.pr_sync:
        if s.status == "skipped" and s.reason != "offline":
            out.warn(f"PR data for {s.repo} not refreshed: {s.reason}")
    if result.published:
        p = result.published
        verb = "created" if p.issue_created else "updated"
        out.success(f"report issue {p.repo}#{p.issue} {verb}; today's comment "
                    f"{'created' if p.comment_created else 'updated'} {p.issue_url}")


def _write(ctx: Context, text: str, output: str | None) -> None:
    if output is None:
        ctx.output.out.write(text)
        ctx.output.out.flush()
        return
    from pathlib import Path

    from agentops.state.atomicio import atomic_write_bytes

    path = Path(output) if Path(output).is_absolute() else ctx.cwd / output
    try:
        atomic_write_bytes(path, text.encode("utf-8"))
    except OSError as exc:
        raise BadInput(f"--output: cannot write {path}: {exc.strerror or exc}") from None
    ctx.output.success(f"wrote {path}")
