"""`agentops tasks` (sync + list the queue) and `agentops plan` (waves of the DAG)."""

from __future__ import annotations

from typing import Annotated

import typer

from agentops.cli import JsonOpt, app, execute, make_context

ReposOpt = Annotated[list[str] | None, typer.Option("--repo", "-R", help="OWNER/NAME (repeatable; default: "
                                                    "$GITHUB_REPOSITORY, else the git remote origin).")]


@app.command("tasks")
def tasks(
    repo: ReposOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore stored ETags and re-read every open task.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Do not write labels or comments on GitHub.")] = False,
    json: JsonOpt = False,
) -> None:
    """Sync open `agent-task` issues into the task queue and show it, most urgent first."""
    from agentops.commands import tasks as tasks_cmd
    ctx = make_context(json_mode=json)

    def render(r: tasks_cmd.TasksResult) -> None:
        if json:
            ctx.output.emit(r)
            return
        from agentops.domain.taskkey import short_keys
        from agentops.output import Col

        # Fits 80 columns: the issue number and the start of the title always show; the rest is cut.
        names = short_keys((t.key for t in r.tasks), 16)
        ctx.output.table(f"tasks ({', '.join(r.repos)}), most urgent first",
                         [Col("#", width=16, justify="right"), Col("title", grow=True, min_width=12),
                          Col("status", width=11), Col("prio", width=8), Col("agent", width=9),
                          Col("deadline", width=10), Col("why", width=22)],
                         [(names[t.key], t.title, t.status, t.priority, t.agent, (t.deadline or "")[:10],
                           t.reason or "") for t in r.tasks])
        for cycle in r.cycles:
            ctx.output.warn("dependency cycle: " + " -> ".join((*cycle, cycle[0])))
        for line in r.warnings:
            ctx.output.warn(line)

    execute(ctx, lambda: tasks_cmd.run(tasks_cmd.TasksOptions(tuple(repo or ()), full=full, dry_run=dry_run), ctx),
            render)


@app.command("plan")
def plan(
    repo: ReposOpt = None,
    no_sync: Annotated[bool, typer.Option("--no-sync", help="Use the task queue as stored.")] = False,
    json: JsonOpt = False,
) -> None:
    """Show the dependency DAG as waves of tasks that can run in parallel."""
    from agentops.commands import plan as plan_cmd
    ctx = make_context(json_mode=json)

    def render(r: plan_cmd.PlanResult) -> None:
        if json:
            ctx.output.emit(r)
            return
        for i, wave in enumerate(r.waves, start=1):
            ctx.output.table(f"wave {i}", ["task", "stage", "priority", "agent", "to", "depends on (source)"],
                             [(t.key, t.stage or t.status, t.priority, t.agent, t.assigned_to or "",
                               ", ".join(f"{d} ({s})" for d, s in zip(t.dependencies, t.sources, strict=False)))
                              for t in wave])
        for e in r.epics:
            ctx.output.table(f"epic {e.key} ({e.steps_closed} of {e.steps} steps closed): {e.title}",
                             ["step wave", "steps (stage)"],
                             [(str(i), ", ".join(f"{s} ({e.stages.get(s, '?')})" for s in w))
                              for i, w in enumerate(e.waves, start=1)])
        for line in r.warnings:
            ctx.output.warn(line)
        if r.held:
            ctx.output.table("held (dependency cycle)", ["task", "depends on"],
                             [(t.key, ", ".join(t.dependencies)) for t in r.held])
        for cycle in r.cycles:
            ctx.output.warn("dependency cycle: " + " -> ".join((*cycle, cycle[0])))
        if not r.waves and not r.held:
            ctx.output.info("no open tasks")

    execute(ctx, lambda: plan_cmd.run(plan_cmd.PlanOptions(tuple(repo or ()), sync=not no_sync), ctx), render)
