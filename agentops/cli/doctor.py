from typing import Annotated

import typer

from agentops.cli import JsonOpt, app, execute, make_context
from agentops.domain.roles import ROLES

_ICON = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]", "skip": "[dim]skip[/]"}


@app.command("doctor")
def doctor_cmd(
    role: Annotated[str, typer.Option(help=f"Check what this role needs: {', '.join(ROLES)}.")] = "all",
    offline: Annotated[bool, typer.Option("--offline", help="Skip the GitHub API check.")] = False,
    json: JsonOpt = False,
) -> None:
    """Check git, coding-agent CLIs, token, GitHub API and rate limit, config and state. Exit 1 if a required check fails."""
    from agentops.commands import doctor as cmd

    ctx = make_context(json_mode=json)

    def render(r: cmd.DoctorResult) -> int:
        out = ctx.output
        if json:
            out.emit({"role": r.role, "ok": r.ok, "checks": r.checks})
        else:
            from rich.table import Table

            t = Table(title=f"agentops doctor (role: {r.role})")
            for col in ("check", "status", "required", "detail"):
                t.add_column(col)
            for c in r.checks:
                detail = c.detail + (f"\nhint: {c.hint}" if c.hint and c.status != "ok" else "")
                t.add_row(c.name, _ICON[c.status], "yes" if c.required else "", out.redactor.redact(detail))
            out.print_rich(t)
        return 0 if r.ok else 1

    execute(ctx, lambda: cmd.run(cmd.DoctorOptions(role=role, offline=offline), ctx), render)
