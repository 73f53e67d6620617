from agentops.cli import JsonOpt, app, execute, make_context


@app.command("status")
def status_cmd(json: JsonOpt = False) -> None:
    """Show the local state: task queue, agents, recent deployments, open incidents (no network)."""
    from agentops.commands import status as cmd
    ctx = make_context(json_mode=json)

    def render(r: cmd.StatusResult) -> None:
        out = ctx.output
        if json:
            out.emit(r)
            return
        now = ctx.clock()
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(r.task_counts.items())) or "empty"
        out.info(f"state: {r.state_dir}")
        from agentops.domain.taskkey import short_keys
        from agentops.output import Col

        # Fits 80 columns: the issue number and the start of the title always show; the rest is cut.
        shown = r.tasks[:50]
        names = short_keys((t["key"] for t in shown), 16)
        # The pipeline stage says more than the raw status (which the title's counts and --json keep).
        out.table(f"Task queue ({counts})", [Col("#", width=16, justify="right"), Col("title", grow=True, min_width=12),
                                            Col("stage", width=14), Col("prio", width=6), Col("agent", width=9),
                                            Col("lease", width=9)],
                  [[names[t["key"]], t["title"], t["stage"], t["priority"] or "", t["agent"] or "",
                    cmd.age(t["lease_expires"], now)] for t in shown])
        if len(r.tasks) > len(shown):
            out.info(f"... and {len(r.tasks) - len(shown)} more (agentops status --json lists them all)")
        from agentops.domain.pipeline_render import stage_line

        for b in r.backlogs:
            out.info(f"backlog of {b['repo']} ({b['selection']}, since {b['started_at']}): {b['tasks']} task(s): "
                     f"{stage_line(b['stages'])}; `agentops play --stop` ends it")
        if r.agents:
            out.table("Agents", ["agent", "active", "last seen"],
                      [[a["name"], a.get("active_tasks", ""), cmd.age(a.get("heartbeat"), now)] for a in r.agents])
        out.table("Recent deployments", ["env", "sha", "status", "finished"],
                  [[d.get("environment"), str(d.get("sha", ""))[:10], d.get("status"),
                    cmd.age(d.get("finished_at"), now)] for d in r.deployments])
        if r.open_incidents:
            out.table("Open incidents", ["incident", "env", "severity", "opened"],
                      [[i.get("id"), i.get("environment"), i.get("severity"), cmd.age(i.get("opened_at"), now)]
                       for i in r.open_incidents])
        else:
            out.info("no open incidents")

    execute(ctx, lambda: cmd.run(cmd.StatusOptions(), ctx), render)
