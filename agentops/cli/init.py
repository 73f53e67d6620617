"""`agentops init`: write the adoption files into a repository and create the labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context

if TYPE_CHECKING:
    from agentops.commands import init as cmd


@app.command("init")
def init_cmd(
    path: Annotated[str | None, typer.Option("--path", help="Repository to set up (default: the current folder).",
                                             show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that differ from the templates.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    no_labels: Annotated[bool, typer.Option("--no-labels", help="Do not create the labels on GitHub.")] = False,
    tick_every: Annotated[int | None, typer.Option("--tick-every", metavar="MINUTES", help="How often the tick "
                                                   "workflow runs: 15 (default), 30, 60, 120, 240, 360, 720 or "
                                                   "1440. With the event workflow, tick is a safety net and 60 "
                                                   "is plenty.", show_default=False)] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; check on GitHub that the secrets and "
                                        "variables the workflows need are set (exit 1 when a required one is "
                                        "missing or the token cannot list them).")] = False,
    repo: RepoOpt = None,
    json: JsonOpt = False,
) -> None:
    """Write agentops.yaml, state/, .gitattributes, the issue form, workflows and dev containers; create labels.

    Idempotent. A file you changed is never overwritten without --force: init shows the diff
    and exits 1 (everything else is still written). --dry-run writes nothing and exits 0.
    """
    from agentops.commands import init as cmd

    ctx = make_context(json_mode=json, repo=repo)
    if path:
        from pathlib import Path

        ctx.cwd = Path(path).resolve()

    def render(r: cmd.InitResult) -> int:
        out = ctx.output
        if json:
            out.emit(_as_json(r))
        else:
            verb = "would be " if r.dry_run else ""
            out.table(f"agentops init {r.root}" + (" (dry run)" if r.dry_run else ""), ["file", "action"],
                      [(f.path, f.action) for f in r.files])
            out.info(f"merge driver: {verb if r.merge_driver == 'registered' else ''}{r.merge_driver}"
                     + (f" ({r.merge_driver_note})" if r.merge_driver_note else ""))
            lb = r.labels
            if lb.skipped:
                out.info(f"labels: skipped ({lb.skipped})")
            else:
                out.info(f"labels on {lb.repo}: {len(lb.created)} {verb}created, {len(lb.existing)} already there")
            for f in r.conflicts:
                out.warn(f"{f.path}: differs from the template; not overwritten (use --force)", file=f.path)
                out.print_rich(f.diff, markup=False, highlight=False, end="")
            if not r.conflicts:
                out.success("nothing changed" if not r.changed else
                            ("dry run: nothing written" if r.dry_run else "done"))
            _show_next_steps(out, r, check)
        if check and r.unmet:
            return 1
        return 1 if r.conflicts and not r.dry_run else 0

    execute(ctx, lambda: cmd.run(cmd.InitOptions(path=path, force=force, dry_run=dry_run, labels=not no_labels,
                                                 repo=repo, check=check, tick_every=tick_every), ctx), render)


def _show_next_steps(out: Any, r: cmd.InitResult, check: bool) -> None:
    """The repository settings the workflows read, as the exact commands to run (gh prompts for a
    secret's value, so it never lands in shell history)."""
    from agentops.domain.nextsteps import MISSING, SET

    if r.next_steps_note:
        out.warn(r.next_steps_note)
    todo = [s for s in r.next_steps if s.status != SET]
    if check and not r.unmet:
        out.success("every environment, secret and variable the workflows require is set")
        todo = [s for s in todo if not s.requirement.required]
        if not todo:
            return
    out.step("Next steps: the workflows read these repository settings (secrets inside their environment)" + (" (checked on GitHub)" if check
                                                                           and not r.next_steps_note else ""))
    for s in todo:
        req = s.requirement
        need = "required" if req.required else "optional"
        state = f"{need}, {s.status}" if s.status in (MISSING, SET) else need
        out.info(f"  {s.command}")
        where = f" in environment {req.environment}" if req.environment else ""
        out.info(f"      {req.kind} {req.name}{where} ({state}): {req.why}")


def _as_json(r: cmd.InitResult) -> dict[str, Any]:
    lb = r.labels
    return {
        "root": r.root, "dry_run": r.dry_run, "changed": r.changed,
        "files": [{"path": f.path, "action": f.action, **({"diff": f.diff} if f.diff else {})} for f in r.files],
        "conflicts": [f.path for f in r.conflicts],
        "merge_driver": {"action": r.merge_driver, "detail": r.merge_driver_note},
        "labels": {"repo": lb.repo, "created": list(lb.created), "existing": list(lb.existing), "skipped": lb.skipped},
        "next_steps": [{"kind": s.requirement.kind, "name": s.requirement.name, "required": s.requirement.required,
                        "environment": s.requirement.environment, "why": s.requirement.why, "command": s.command,
                        "status": s.status} for s in r.next_steps],
        "next_steps_note": r.next_steps_note,
    }
