"""The Typer app. One small module per command group under agentops/cli/, discovered at
start-up, each with thin functions: parse flags, build options, call agentops.commands.<verb>.run,
render the result. Error-to-exit-code mapping lives here and only here.

(The architecture names a single cli.py; a package of thin modules keeps the same contract
while letting each command's flags live beside nothing but themselves.)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from agentops import __version__
from agentops.errors import AgentOpsError, ExitCode

if TYPE_CHECKING:
    from agentops.context import Context

T = TypeVar("T")

# Every command: (module under agentops/cli/, the one line `agentops --help` shows). The root
# group lists these without importing any command module and builds only the command that runs,
# so start-up pays for one command, not twenty (tests/foundation/test_cli_lazy.py keeps this
# table equal to the commands' own docstrings and modules). Listed in --help in this order.
COMMANDS: dict[str, tuple[str, str]] = {
    "scout": ("scout", "Scan repositories for health problems; keep one issue per problem (exit 3: stopped "
              "before the rate limit ran out, run again to resume)."),
    "tasks": ("tasks", "Sync open `agent-task` issues into the task queue and show it, most urgent first."),
    "plan": ("tasks", "Show the dependency DAG as waves of tasks that can run in parallel."),
    "claim": ("claim", "Claim a task (exit 4 when another worker holds it; no eligible task is not an error)."),
    "release": ("claim", "Release a claim: release comment, label off, task back in the queue (or done)."),
    "code": ("code", "Run a coding agent on a work order in its own worktree and open (or update) the pull "
             "request."),
    "test": ("test", "Run the quality gates on a branch or PR and report them (exit 1 when a required gate "
             "fails)."),
    "deploy": ("deploy", "Pre-flight, deploy, smoke-check and monitor; roll back and open an incident on "
               "failure."),
    "rollback": ("deploy", "Roll an environment back on demand, then run its health checks."),
    "report": ("report", "DORA metrics, agent performance, delivery and cost from the state logs and GitHub."),
    "tick": ("tick", "The orchestrator's periodic pass (run it from cron); running it twice changes nothing."),
    "work": ("work", "The worker loop; SIGTERM/SIGINT release the current claim before exiting."),
    "status": ("status", "Show the local state: task queue, agents, recent deployments, open incidents (no "
               "network)."),
    "doctor": ("doctor", "Check git, coding-agent CLIs, token, GitHub API and rate limit, config and state. Exit "
               "1 if a required check fails."),
    "init": ("init", "Write agentops.yaml, state/, .gitattributes, the issue form, workflows and dev "
             "containers; create labels."),
    "demo": ("demo", "Run scout, tasks, claim, code, test, merge, deploy and report end to end against an "
             "embedded GitHub emulator and a local HTTP service. The coding agent is a scripted fix, not an AI."),
    "bootstrap": ("bootstrap", "Register the state merge driver and check this machine for a role."),
    "version": ("version", "Print the agentops version."),
    "state": ("state", "Inspect, validate, merge and sync the state/ folder."),
    "sandbox": ("sandbox", "The embedded GitHub emulator (loopback, for tests and demos)."),
}


class _LazyGroup(TyperGroup):
    """The root group: lists COMMANDS from the table, imports and builds a command only to run it.

    (Contexts and commands are typed Any: Typer vendors its own click, whose classes are private.)
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        loaded = self.commands.get(cmd_name)
        if loaded is not None or cmd_name not in COMMANDS:
            return loaded
        # For listing only (help, suggestions): a stand-in carrying the one-line help.
        return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in COMMANDS:
            self.load(args[0])
        elif args and not args[0].startswith("-"):
            import difflib

            # Typer suggests from loaded commands only; here nothing is loaded yet.
            matches = difflib.get_close_matches(args[0], list(COMMANDS))
            if matches:
                ctx.fail(f"No such command {args[0]!r}. Did you mean {', '.join(map(repr, matches))}?")
        return super().resolve_command(ctx, args)

    def load(self, name: str) -> Any:
        if name not in self.commands:
            importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")
            self.add_command(build_command(name), name)
        return self.commands[name]


def build_command(name: str) -> Any:
    """The click command (or sub-group) registered on `app` under `name`; its module is imported."""
    from typer.main import get_command_from_info, get_command_name, get_group_from_info

    for info in app.registered_commands:
        if (info.name or get_command_name(info.callback.__name__ if info.callback else "")) == name:
            return get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                         rich_markup_mode=app.rich_markup_mode)
    for group in app.registered_groups:
        if group.name == name:
            return get_group_from_info(group, pretty_exceptions_short=app.pretty_exceptions_short,
                                       rich_markup_mode=app.rich_markup_mode, suggest_commands=True)
    raise LookupError(f"agentops.cli.{COMMANDS[name][0]} registers no command {name!r}")


app = typer.Typer(
    name="agentops",
    help="Run a team of autonomous development agents on GitHub: issues are work orders, "
    "pull requests the product, JSON under state/ the record.",
    cls=_LazyGroup,
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


def main() -> None:
    # Click already maps usage errors to exit 2; commands map AgentOpsError in `execute`.
    try:
        app(prog_name="agentops")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)


__all__ = ["JsonOpt", "RepoOpt", "ExitCode", "app", "execute", "main", "make_context"]
