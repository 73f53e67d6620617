"""`agentops play [--label L]... [--milestone M]`: start a backlog and show its progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context

if TYPE_CHECKING:
    from agentops.context import Context
    from agentops.domain.backlog import TaskProgress


@app.command("play")
def play_cmd(
    label: Annotated[list[str] | None, typer.Option("--label", "-l", metavar="LABEL",
                                                    help="Only tasks carrying this label (repeatable: all of "
                                                    "them).", show_default=False)] = None,
    milestone: Annotated[str | None, typer.Option("--milestone", "-m", metavar="TITLE",
                                                  help="Only tasks in this milestone.", show_default=False)] = None,
    stop: Annotated[bool, typer.Option("--stop", help="End the repository's backlog: events dispatch every "
                                       "ready task again.")] = False,
    repo: RepoOpt = None,
    json: JsonOpt = False,
) -> None:
    """Press play on a backlog: dispatch its ready tasks up to the configured parallelism and show each task's
    stage. The selection stays the repository's active backlog: events, tick and work start only its tasks
    (and what they depend on) until --stop (exit 2 when --label/--milestone match no task)."""
    from agentops.commands import play as cmd
    ctx = make_context(json_mode=json, repo=repo)

    def render(r: cmd.PlayResult) -> None:
        out = ctx.output
        if json:
            out.emit(r)
            return
        if r.stopped:
            out.success(f"backlog of {r.repo} ({r.replaced.selection.describe()}) ended: events dispatch every ready "
                        "task again" if r.replaced else f"{r.repo} had no active backlog")
            return
        what = " ".join([*(f"label {lb}" for lb in r.labels), *([f"milestone {r.milestone}"] if r.milestone else [])])
        out.info(f"backlog of {r.repo}{' (' + what + ')' if what else ''}: {len(r.tasks)} task(s)")
        if r.replaced is not None and r.backlog is not None and r.replaced.selection != r.backlog.selection:
            out.info(f"replaces the backlog {r.replaced.selection.describe()} (started {r.replaced.started_at})")
        stage_table(ctx, "Backlog", r.tasks)
        if r.dispatched:
            out.success(f"dispatched {len(r.dispatched)}: " + ", ".join(
                f"#{d.issue} to {d.agent}" + ("" if d.sent else " (answer lost; not repeated)") for d in r.dispatched))
        else:
            out.info("nothing new to dispatch")
        if r.waiting:
            out.info(f"{len(r.waiting)} ready task(s) wait for a free slot ({r.max_parallel} at once)")
        out.info("events, tick and work now start only this backlog's tasks; `agentops play --stop` ends it")

    execute(ctx, lambda: cmd.run(cmd.PlayOptions(repo=repo, labels=tuple(label or ()), milestone=milestone,
                                                     stop=stop), ctx),
            render)


def stage_table(ctx: Context, title: str, rows: tuple[TaskProgress, ...] | list[TaskProgress]) -> None:
    """One line per task at 80 columns: number, title (cut), stage, agent, PR, rounds used."""
    from agentops.domain.taskkey import short_keys
    from agentops.output import Col

    names = short_keys((t.key for t in rows), 16)
    ctx.output.table(title, [Col("#", width=16, justify="right"), Col("title", grow=True, min_width=12),
                             Col("stage", width=14), Col("agent", width=9), Col("PR", width=6, justify="right"),
                             Col("rounds", width=6, justify="right")],
                     [[names[t.key], t.title, t.stage, t.agent or "", f"#{t.pr}" if t.pr else "",
                       f"{t.rounds}/{t.max_rounds}" if t.pr else ""] for t in rows])
