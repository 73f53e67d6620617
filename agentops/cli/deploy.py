"""`agentops deploy` and `agentops rollback`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context

if TYPE_CHECKING:
    from agentops.commands import deploy as cmd
    from agentops.context import Context

EnvOpt = Annotated[str, typer.Option("--env", "-e", help="Environment name from agentops.yaml `environments`.")]


@app.command("deploy")
def deploy_cmd(
    env: EnvOpt,
    sha: Annotated[str | None, typer.Option("--sha", help="Commit to deploy (default: $GITHUB_SHA, "
                                            "else HEAD).", show_default=False)] = None,
    repo: RepoOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Deploy even with an open incident for this "
                                        "environment.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and pre-flight results; run "
                                          "nothing, write no state.")] = False,
    json: JsonOpt = False,
) -> None:
    """Pre-flight, deploy, smoke-check and monitor; roll back and open an incident on failure.

    Exit 0 when the deploy succeeded (or a dry run's pre-flight passes), 1 when it was refused,
    rolled back or failed, 4 when another deploy holds the environment lock.
    """
    from agentops.commands import deploy as cmd
    ctx = make_context(json_mode=json, repo=repo)
    options = cmd.DeployOptions(env=env, sha=sha, force=force, dry_run=dry_run)
    execute(ctx, lambda: cmd.run(options, ctx), lambda r: _render(ctx, r))


@app.command("rollback")
def rollback_cmd(
    env: EnvOpt,
    to: Annotated[str | None, typer.Option("--to", help="Commit to return to (default: the successful "
                                           "deploy before the current one).", show_default=False)] = None,
    repo: RepoOpt = None,
    json: JsonOpt = False,
) -> None:
    """Roll an environment back on demand, then run its health checks."""
    from agentops.commands import deploy as cmd
    ctx = make_context(json_mode=json, repo=repo)
    options = cmd.RollbackOptions(env=env, to=to)
    execute(ctx, lambda: cmd.rollback(options, ctx), lambda r: _render(ctx, r))


def _render(ctx: Context, r: cmd.DeployResult) -> int:
    out = ctx.output
    if not r.dry_run:
        out.set_output("status", r.status)
        out.summary(f"### agentops {r.kind} `{r.environment}` @ `{r.sha[:12]}`: `{r.status}`\n")
    if out.json_mode:
        out.emit({**_jsonable(r), "exit_code": r.exit_code})
        return r.exit_code
    title = f"{r.kind} {r.environment} @ {r.sha[:12]}"
    if r.dry_run:
        out.step(f"plan: {title} (dry run, nothing executed)")
        out.info(f"  deploy:   {' '.join(r.plan.deploy)}")
        out.info(f"  rollback: {' '.join(r.plan.rollback) if r.plan.rollback else '-'} ({r.plan.rollback_note})")
        for c in r.plan.health_checks or ("none",):
            out.info(f"  check:    {c}")
        out.info(f"  monitor:  {r.plan.monitor}")
        out.info(f"  previous: {r.previous_sha or '-'}")
        out.table("pre-flight", ["check", "ok", "detail"],
                  [(p.name, "yes" if p.ok else "NO", p.detail) for p in r.preflight])
        return r.exit_code
    out.table(title, ["step", "ok", "detail"], [(s.name, "yes" if s.ok else "NO", s.detail) for s in r.steps])
    for w in r.warnings:
        out.warn(w)
    if r.status == "succeeded":
        out.success(f"{title}: succeeded ({r.id})")
    else:
        out.error(f"{title}: {r.status} ({r.id})" + (f"; incident #{r.incident} ({r.severity})"
                                                      if r.incident else ""))
    return r.exit_code


def _jsonable(r: cmd.DeployResult) -> dict[str, object]:
    from agentops.output import to_jsonable

    data = to_jsonable(r)
    assert isinstance(data, dict)
    return data
