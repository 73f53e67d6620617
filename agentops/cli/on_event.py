"""`agentops on-event [--event NAME --payload FILE] [--rules]`."""

from __future__ import annotations

from typing import Annotated

import typer

from agentops.cli import JsonOpt, app, execute, make_context


@app.command("on-event")
def on_event(
    event: Annotated[str | None, typer.Option("--event", help="Event name (default $GITHUB_EVENT_NAME).")] = None,
    payload: Annotated[str | None, typer.Option("--payload", help="Webhook payload JSON file (default "
                                                "$GITHUB_EVENT_PATH).")] = None,
    rules: Annotated[bool, typer.Option("--rules", help="Print the routing table and exit.")] = False,
    json: JsonOpt = False,
) -> None:
    """Do what a GitHub event means for the task queue: sync, dispatch, complete, remediate, tick."""
    ctx = make_context(json_mode=json)
    if rules:
        from agentops.events.rules import table

        rows = table()
        if json:
            ctx.output.emit([{"event": e, "actions": a, "when": w, "does": d} for e, a, w, d in rows])
        else:
            ctx.output.table("agentops on-event: routing table (first matching row wins)",
                             ["event", "actions", "when", "does"], rows)
        return
    from agentops.commands import on_event as cmd
    from agentops.events.router import to_json

    def render(r: cmd.RouteResult) -> None:
        if json:
            ctx.output.emit(to_json(r))
        elif r.ignored:
            ctx.output.info(r.message)
        else:
            ctx.output.success(r.message)

    execute(ctx, lambda: cmd.run(cmd.OnEventOptions(event, payload), ctx), render)
