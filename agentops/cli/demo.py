"""`agentops demo`: the whole agentops loop on an embedded default, in a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agentops.cli import JsonOpt, app, execute, make_context

if TYPE_CHECKING:
    from agentops.commands import demo as cmd
    from agentops.context import Context


@app.command("demo")
def demo_cmd(
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo folder (sample repo, state, report) "
                                       "afterwards.")] = False,
    workdir: Annotated[Path | None, typer.Option("--workdir", help="Make the demo folder inside DIR "
                                                 "(default: the system temp folder).", show_default=False)] = None,
    json: JsonOpt = False,
) -> None:
    """Run scout, tasks, claim, code, test, merge, deploy and report end to end against an embedded
    GitHub emulator and a local HTTP service. The coding agent is a scripted fix, not an AI.

    Needs only git and Python; nothing reaches the network beyond 127.0.0.1 and nothing is left
    running. Exit 0 when every step succeeded.
    """
    from agentops.commands import demo as cmd
    ctx = make_context(json_mode=json)
    options = cmd.DemoOptions(keep=keep, workdir=workdir)
    execute(ctx, lambda: cmd.run(options, ctx), lambda r: _render(ctx, r))


def _render(ctx: Context, r: cmd.DemoResult) -> int:
    out = ctx.output
    if out.json_mode:
        out.emit(r.to_json())
        return r.exit_code
    out.table(f"agentops demo: {r.repo or 'sample'}", ["#", "step", "status", "time", "summary"],
              [(i, s.name, s.status, f"{s.duration_s:.1f}s", s.summary) for i, s in enumerate(r.steps, 1)])
    if r.kept:
        out.info("where to look:")
        for label, where in r.where_to_look.items():
            out.info(f"  {label}: {where}")
    if r.ok:
        out.success(f"demo finished in {r.wall_s:.1f}s; nothing left running"
                    + (f"; kept {r.folder}" if r.kept else f"; removed {r.folder}"))
    else:
        failed = next((s for s in r.steps if not s.ok), None)
        out.error(f"demo failed after {r.wall_s:.1f}s" + (f" at step {failed.name}: {failed.summary}" if failed else
                                                         "; something was left running"),
                  hint="run `agentops demo --keep` and look in the folder it prints")
    return r.exit_code
