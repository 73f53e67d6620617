from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentops.cli import JsonOpt, app, execute, make_context

if TYPE_CHECKING:
    from agentops.commands.scout import ScoutResult


def as_json(result: ScoutResult) -> dict[str, Any]:
    return {
        "cycle": result.cycle, "checks": list(result.checks), "stopped": result.stopped,
        "rate_remaining": result.rate_remaining, "fail_on": result.fail_on, "failing": result.failing,
        "exit_code": result.exit_code, "unscanned": list(result.unscanned),
        "findings": [f.to_dict() for f in result.findings],
        "repos": [{"repo": r.repo, "status": r.status, "message": r.message, "endpoints": dict(r.endpoints),
                   "notes": list(r.notes), "findings": [f.fingerprint for f in r.findings]} for r in result.repos],
        "issues": [{"repo": c.repo, "fingerprint": c.fingerprint, "action": c.action, "issue": c.issue,
                    "reason": c.reason} for c in result.issues],
    }


@app.command("scout")
def scout_cmd(
    repo: Annotated[list[str] | None, typer.Option("--repo", "-R", help="OWNER/NAME to scan (repeatable). "
                                                   "Default: the configured repositories, else this one.",
                                                   show_default=False)] = None,
    owner: Annotated[list[str] | None, typer.Option("--owner", help="Scan every repository of this user or "
                                                    "organisation (repeatable).", show_default=False)] = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="Run only this check (repeatable): ci, "
                                                    "dependabot, coverage, stale-prs, overdue-tasks, local.",
                                                    show_default=False)] = None,
    local: Annotated[str | None, typer.Option("--local", help="Also audit this local checkout with pip-audit / "
                                              "npm audit when installed.", show_default=False)] = None,
    no_issues: Annotated[bool, typer.Option("--no-issues", help="Scan only: file, update or close no issue.")
                         ] = False,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="Exit 1 when a finding at or above this severity "
                                                "(low, medium, high, critical) exists.", show_default=False)] = None,
    include_archived: Annotated[bool, typer.Option("--include-archived", help="With --owner: scan archived "
                                                   "repositories too.")] = False,
    include_forks: Annotated[bool, typer.Option("--include-forks", help="With --owner: scan forks too.")] = False,
    include_disabled: Annotated[bool, typer.Option("--include-disabled", help="With --owner: scan disabled "
                                                   "repositories too.")] = False,
    concurrency: Annotated[int | None, typer.Option("--concurrency", help="Parallel reads (default: "
                                                    "scout.concurrency, 8).", show_default=False)] = None,
    json: JsonOpt = False,
) -> None:
    """Scan repositories for health problems; keep one issue per problem (exit 3: stopped before the rate limit
    ran out, run again to resume)."""
    from agentops.commands.scout import ScoutOptions, run

    ctx = make_context(json_mode=json)
    options = ScoutOptions(repos=tuple(repo or ()), owners=tuple(owner or ()), checks=tuple(check or ()),
                           local=local, issues=not no_issues, fail_on=fail_on,
                           include_archived=True if include_archived else None,
                           include_forks=True if include_forks else None, include_disabled=include_disabled,
                           concurrency=concurrency)

    def render(result: ScoutResult) -> int:
        out = ctx.output
        if json:
            out.emit(as_json(result))
        rows = [[r.repo, r.status, len(r.findings), r.message or ""] for r in result.repos]
        out.table("agentops scout", ["Repository", "Status", "Findings", "Details"], rows)
        if result.findings:
            out.table("Findings", ["Severity", "Repository", "Check", "Finding"],
                      [[f.severity, f.repo, f.check, f.title] for f in result.findings])
        for r in result.repos:
            for note in r.notes:
                out.info(f"{r.repo}: {note}")
        for c in result.issues:
            out.info(f"{c.repo}: {c.action} issue #{c.issue if c.issue is not None else '-'} "
                     f"({c.fingerprint}){': ' + c.reason if c.reason else ''}")
        if result.unscanned:
            out.error(f"not scanned: {', '.join(result.unscanned)} (see Details); "
                      f"{len(result.repos) - len(result.unscanned)} of {len(result.repos)} repositories scanned")
        if result.stopped:
            out.error(result.stopped, hint="what was scanned is saved; the next run resumes with the rest")
        elif result.failing:
            out.error(f"{result.failing} finding(s) at or above severity {result.fail_on}")
        elif not result.unscanned:
            out.success(f"{len(result.findings)} finding(s) in {len(result.repos)} repositories")
        return result.exit_code

    execute(ctx, lambda: run(options, ctx), render)
