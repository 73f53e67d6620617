from __future__ import annotations

from typing import Annotated

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context


@app.command("test")
def test_cmd(
    pr: Annotated[int | None, typer.Option("--pr", help="Test this pull request's head in a temporary worktree.",
                                           show_default=False)] = None,
    repo: RepoOpt = None,
    path: Annotated[str | None, typer.Option("--path", help="Local checkout to test (default: the current one).",
                                             show_default=False)] = None,
    json: JsonOpt = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write to GitHub (comment, status, review).")
                         ] = False,
    phase: Annotated[str | None, typer.Option("--phase", help="run: run the gates with no write token and write "
                                              "results to --bundle; publish: post those results (comment, status, "
                                              "annotations) and run nothing (default: both).")] = None,
    bundle: Annotated[str | None, typer.Option("--bundle", help="With --phase: the results folder.",
                                               show_default=False)] = None,
) -> None:
    """Run the quality gates on a branch or PR and report them (exit 1 when a required gate fails)."""
    from agentops import proc
    from agentops.commands.test import TestOptions, TestResult, run

    if phase != "publish":
        proc.shed_credentials()  # the gates (the PR's code) run below: no credential in this environ
    ctx = make_context(json_mode=json, repo=repo)
    options = TestOptions(pr=pr, repo=repo, path=path, report=not no_report, phase=phase, bundle=bundle)

    def render(result: TestResult) -> int:
        out = ctx.output
        if json:
            out.emit(result)
        rows = []
        for g in result.gates:
            j = g.junit
            tests = "-"
            if j:
                # Results, as pytest counts them: with subtests the total is the JUnit one.
                tests = f"{j.passed}/{j.tests + j.subtests} passed"
                if j.subtests:
                    tests += f" ({j.tests} tests + {j.subtests} subtests)"
            rows.append([g.name, "yes" if g.required else "no", g.status, tests, f"{g.duration_s:.1f}s", g.reason])
        out.table(f"agentops test {result.sha[:12] if result.sha else '(working tree)'}",
                  ["Gate", "Required", "Result", "Tests", "Duration", "Details"], rows)
        for g in result.gates:
            for f in (g.junit.failed if g.junit else ()):
                if f.id not in g.flaky:
                    where = f" ({f.file}:{f.line})" if f.file and f.line else ""
                    out.info(f"  FAILED {f.id}{where}: {f.message}")
        if result.flaky:
            out.warn(f"flaky (failed, then passed on re-run): {', '.join(result.flaky)}")
        if result.coverage is not None and result.coverage.percent is not None:
            out.info(f"coverage {result.coverage.percent:g}%")
        for c in result.thresholds:
            if not c.ok:
                out.error(f"threshold {c.name}: {c.detail}")
        for note in (*result.notes, *result.report.notes):
            out.info(note)
        if result.passed:
            out.success("all required gates passed")
        else:
            out.error("required gates failed")
        return result.exit_code

    execute(ctx, lambda: run(options, ctx), render)
