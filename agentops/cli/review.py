"""`agentops review PR [--agent NAME]`."""

from __future__ import annotations

from typing import Annotated

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context


@app.command("review")
def review_cmd(
    pr: Annotated[int, typer.Argument(help="Pull request number.", show_default=False)],
    agent: Annotated[str | None, typer.Option("--agent", "-a", help="Review agent from agentops.yaml "
                                              "(default: pipeline.review).")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Wall-clock limit for the agent, seconds "
                                                  "(default: the agent's timeout_s).")] = None,
    phase: Annotated[str | None, typer.Option("--phase", help="agent: run the review agent with no write credential "
                                              "and write its verdict to --bundle; publish: check that verdict against "
                                              "the PR's diff and publish the review, running nothing (default: both).")
                     ] = None,
    bundle: Annotated[str | None, typer.Option("--bundle", help="With --phase: the verdict folder.",
                                               show_default=False)] = None,
    repo: RepoOpt = None,
    json: JsonOpt = False,
) -> None:
    """Have the review agent check a pull request against its task and publish its verdict as a review
    (exit 1 when the agent gave no usable verdict)."""
    from agentops import proc
    from agentops.commands import review as cmd
    if phase != "publish":
        proc.shed_credentials()  # the review agent runs below: no credential stays in this process's environ
    ctx = make_context(json_mode=json, repo=repo)

    def render(r: cmd.ReviewResult) -> int | None:
        if json:
            ctx.output.emit(r)
        if not r.ok:
            ctx.output.error(f"PR #{r.pr}: {r.reason} (nothing was published; the PR is not approved)")
            return 1
        if json:
            return None
        if r.status == "bundled":
            ctx.output.success(f"PR #{r.pr}: {r.agent}'s verdict written to {bundle} ({r.comments} line comment(s)); "
                               "publish it with --phase publish")
        elif r.status == "skipped":
            ctx.output.info(f"PR #{r.pr}: {r.reason}")
        else:
            ctx.output.success(f"PR #{r.pr}: {r.agent} {r.status} ({r.published_as} review {r.review_id}, "
                               f"{r.comments} line comment(s))")
        return None

    execute(ctx, lambda: cmd.run(cmd.ReviewOptions(pr=pr, repo=repo, agent=agent, timeout_s=timeout,
                                                                 phase=phase, bundle=bundle), ctx), render)
