"""`agentops bootstrap --role ROLE` (the dev container postCreateCommand)."""

from typing import Annotated

import typer

from agentops.cli import JsonOpt, app, execute, make_context
from agentops.domain.roles import ROLES


@app.command("bootstrap")
def bootstrap_cmd(
    role: Annotated[str | None, typer.Option("--role", help=f"This Codespace's role: {', '.join(ROLES)} "
                                             "(default: $AGENTOPS_ROLE, else all).", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when a required check fails.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Skip the GitHub API check.")] = False,
    json: JsonOpt = False,
) -> None:
    """Register the state merge driver and check this machine for a role.

    Exits 0 even when something is missing (a Codespace must still start), unless --strict.
    """
    from agentops.commands import bootstrap as cmd

    ctx = make_context(json_mode=json)

    def render(r: cmd.BootstrapResult) -> int:
        out = ctx.output
        if json:
            out.emit({"role": r.role, "ok": r.ok, "repo": r.repo_root, "merge_driver": r.merge_driver,
                      "gitattributes_changed": r.gitattributes_changed, "notes": list(r.notes),
                      "checks": [{"name": c.name, "status": c.status, "required": c.required, "detail": c.detail,
                                  "hint": c.hint} for c in r.checks]})
        else:
            if r.merge_driver:
                out.success(f"state merge driver registered in {r.repo_root}")
            for note in r.notes:
                out.warn(note)
            for c in r.missing:
                need = "required" if c.required else "optional"
                out.warn(out.redactor.redact(f"{c.name} ({need}): {c.detail}"
                                             + (f" -> {c.hint}" if c.hint else "")))
            if not r.missing:
                out.success(f"ready for role {r.role}")
            elif r.ok:
                out.info(f"role {r.role}: usable; fix the optional items above when you need them")
            else:
                out.info(f"role {r.role}: fix the required items above (`agentops doctor --role {r.role}` re-checks)")
        return 1 if strict and not r.ok else 0

    execute(ctx, lambda: cmd.run(cmd.BootstrapOptions(role=role, strict=strict, offline=offline), ctx), render)
