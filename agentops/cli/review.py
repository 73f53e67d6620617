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
    repo: RepoOpt = None,
    json: JsonOpt = False,
) -> None:
    """Have the review agent check a pull request against its task and publish its verdict as a review
    (exit 1 when the agent gave no usable verdict)."""
    from agentops.commands import review as cmd
    ctx = make_context(json_mode=json, repo=repo)

    def render(r: cmd.ReviewResult) -> int | None:
        if json:
            ctx.output.emit(r)
        if not r.ok:
            ctx.output.error(f"PR #{r.pr}: {r.reason} (nothing was published; the PR is not approved)")
            return 1
        if json:
            return None
        if r.status == "skipped":
            ctx.output.info(f"PR #{r.pr}: {r.reason}")
        else:
            ctx.output.success(f"PR #{r.pr}: {r.agent} {r.status} ({r.published_as} review {r.review_id}, "
                               f"{r.comments} line comment(s))")
        return None

    execute(ctx, lambda: cmd.run(cmd.ReviewOptions(pr=pr, repo=repo, agent=agent, timeout_s=timeout), ctx), render)
