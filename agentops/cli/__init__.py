"""The Typer app. One small module per command group under agentops/cli/, discovered at
start-up, each with thin functions: parse flags, build options, call agentops.commands.<verb>.run,
render the result. Error-to-exit-code mapping lives here and only here.

(The architecture names a single cli.py; a package of thin modules keeps the same contract
while letting each command's flags live beside nothing but themselves.)
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from agentops import __version__
from agentops.errors import AgentOpsError, ExitCode

if TYPE_CHECKING:
    from agentops.context import Context

T = TypeVar("T")

app = typer.Typer(
    name="agentops",
    help="Run a team of autonomous development agents on GitHub: issues are work orders, "
    "pull requests the product, JSON under state/ the record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_GLOBAL: dict[str, Any] = {"config": None, "quiet": False}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]
RepoOpt = Annotated[str | None, typer.Option("--repo", "-R", help="OWNER/NAME (default: $GITHUB_REPOSITORY, "
                                                    "else the git remote origin).", show_default=False)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: Annotated[str | None, typer.Option("--config", "-c", help="Path to agentops.yaml "
                                                  "(default: $AGENTOPS_CONFIG, else ./agentops.yaml).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    _GLOBAL["config"] = config
    _GLOBAL["quiet"] = quiet


def make_context(*, json_mode: bool = False, repo: str | None = None) -> Context:
    # Imported here, not at the top: `agentops --help` never builds a context.
    from agentops.context import Context
    from agentops.output import Output

    out = Output(json_mode=json_mode, quiet=bool(_GLOBAL["quiet"]))
    out.redactor.add_env(out.env)
    return Context(env=out.env, output=out, config_path=_GLOBAL["config"], repo_flag=repo)


def execute(ctx: Context, fn: Callable[[], T], render: Callable[[T], int | None] | None = None) -> T:
    """Run a command body, render its result, and turn agentops errors into exit codes.

    `render` returns the exit code (None = 0). Expected errors never show a traceback.
    """
    try:
        result = fn()
        code = render(result) if render else None
    except AgentOpsError as exc:
        out = ctx.output
        out.error(exc.message, hint=exc.hint)
        if out.json_mode:
            out.emit({"error": {"type": type(exc).__name__, "message": exc.message, "hint": exc.hint,
                                "exit_code": int(exc.exit_code)}})
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        ctx.output.error("interrupted")
        raise typer.Exit(130) from None
    if code:
        raise typer.Exit(int(code))
    return result


# Commands listed here come first in --help, in this order; any other module follows.
_ORDER = ["scout", "tasks", "claim", "code", "test", "deploy", "report", "tick", "work", "status", "doctor",
          "init", "demo", "state", "sandbox"]


def _register() -> None:
    names = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    for name in [n for n in _ORDER if n in names] + sorted(names - set(_ORDER)):
        importlib.import_module(f"{__name__}.{name}")


_register()


def main() -> None:
    # Click already maps usage errors to exit 2; commands map AgentOpsError in `execute`.
    try:
        app(prog_name="agentops")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)


__all__ = ["JsonOpt", "RepoOpt", "ExitCode", "app", "execute", "main", "make_context"]
