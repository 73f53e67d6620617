"""`agentops tick`: expire leases, escalate overdue tasks, retry failed ones, refresh labels."""

from __future__ import annotations

from typing import Annotated

import typer

from agentops.cli import JsonOpt, app, execute, make_context


@app.command("tick")
def tick(
    repo: Annotated[list[str] | None, typer.Option("--repo", "-R", help="OWNER/NAME (repeatable).")] = None,
    json: JsonOpt = False,
) -> None:
    """The orchestrator's periodic pass (run it from cron); running it twice changes nothing."""
    from agentops.commands import tick as tick_cmd
    ctx = make_context(json_mode=json)

    def render(r: tick_cmd.TickResult) -> None:
        if json:
            ctx.output.emit({**tick_cmd.to_json(r)})
            return
        for label, keys in (("lease expired", r.expired), ("escalated", r.escalated), ("re-queued", r.requeued),
                            ("needs-human", r.needs_human), ("round never ended (stage expired)", r.stale_rounds)):
            for k in keys:
                ctx.output.info(f"{label}: {k}")
        for k, what in r.changes.items():
            ctx.output.info(f"{k}: {', '.join(what)}")
        if not r.changed:
            ctx.output.info("nothing to do")

    execute(ctx, lambda: tick_cmd.run(tick_cmd.TickOptions(tuple(repo or ())), ctx), render)
