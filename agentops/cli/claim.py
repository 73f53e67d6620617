"""`agentops claim [ISSUE] --agent NAME` and `agentops release ISSUE [--reason]`."""

from __future__ import annotations

from typing import Annotated

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context

AgentOpt = Annotated[str, typer.Option("--agent", "-a", help="The configured agent that will do the work.")]


@app.command("claim")
def claim(
    agent: AgentOpt,
    issue: Annotated[int | None, typer.Argument(help="Issue number (default: the best ready task).")] = None,
    repo: RepoOpt = None,
    no_sync: Annotated[bool, typer.Option("--no-sync", help="Use the task queue as stored.")] = False,
    json: JsonOpt = False,
) -> None:
    """Claim a task (exit 4 when another worker holds it; no eligible task is not an error)."""
    from agentops.commands import claim as claim_cmd
    ctx = make_context(json_mode=json, repo=repo)

    def render(r: claim_cmd.ClaimResult) -> None:
        if json:
            ctx.output.emit(r)
        elif r.claimed:
            ctx.output.success(f"claimed {r.claimed.key} for {r.agent} (lease until {r.claimed.expires})")
        else:
            ctx.output.info(f"nothing claimed: {r.reason or 'no eligible task'}")

    execute(ctx, lambda: claim_cmd.run(claim_cmd.ClaimOptions(agent=agent, issue=issue, repo=repo,
                                                              sync=not no_sync), ctx), render)


@app.command("release")
def release(
    issue: Annotated[int, typer.Argument(help="Issue number.")],
    reason: Annotated[str, typer.Option("--reason", help="completed | failed | abandoned | signal | manual.")]
    = "manual",
    result: Annotated[str | None, typer.Option("--result", help="The `agentops code --json` output of the run "
                                               "that held the claim: the outcome decides the reason (a missing or "
                                               "unreadable file: failed).")] = None,
    repo: RepoOpt = None,
    json: JsonOpt = False,
) -> None:
    """Release a claim: release comment, label off, task back in the queue (or done)."""
    from agentops.commands import release as release_cmd
    ctx = make_context(json_mode=json, repo=repo)

    def render(r: release_cmd.ReleaseResult) -> None:
        if json:
            ctx.output.emit(r)
        elif r.released:
            ctx.output.success(f"released {r.repo}#{r.issue} ({r.reason})")
        else:
            ctx.output.info(f"{r.repo}#{r.issue}: no live claim to release")

    execute(ctx, lambda: release_cmd.run(release_cmd.ReleaseOptions(issue, reason=reason, repo=repo,
                                                                                      result=result), ctx), render)
