"""`agentops work --agent NAME`: claim -> code -> release until the queue is empty."""

from __future__ import annotations

from typing import Annotated

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context


@app.command("work")
def work(
    agent: Annotated[str, typer.Option("--agent", "-a", help="The configured agent to work as.")],
    repo: RepoOpt = None,
    max_tasks: Annotated[int | None, typer.Option("--max-tasks", min=1, help="Stop after this many tasks.")]
    = None,
    json: JsonOpt = False,
) -> None:
    """The worker loop; SIGTERM/SIGINT release the current claim before exiting."""
    from agentops import proc
    from agentops.commands import work as work_cmd
    proc.shed_credentials()  # agents run below: no credential stays in this process's environ
    ctx = make_context(json_mode=json, repo=repo)

    def render(r: work_cmd.WorkResult) -> int | None:
        if json:
            ctx.output.emit(r)
        else:
            for o in r.outcomes:
                ctx.output.info(f"{o.key}: {o.status}" + (f" (PR #{o.pr})" if o.pr else "")
                                + (f" - {o.reason}" if o.reason else ""))
            ctx.output.info(f"stopped: {r.stopped}")
        if r.signal is not None:
            return 128 + r.signal
        return 1 if any(o.released == "failed" for o in r.outcomes) else None

    execute(ctx, lambda: work_cmd.run(work_cmd.WorkOptions(agent, repo=repo, max_tasks=max_tasks), ctx), render)
