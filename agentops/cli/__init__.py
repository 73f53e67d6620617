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
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

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
    "play": ("play", "Press play on a backlog: dispatch its ready tasks up to the configured parallelism and "
             "show each task's stage. The selection stays the repository's active backlog: events, tick and work "
             "start only its tasks (and what they depend on) until --stop (exit 2 when --label/--milestone match "
             "no task)."),
    "claim": ("claim", "Claim a task (exit 4 when another worker holds it; no eligible task is not an error)."),
    "release": ("claim", "Release a claim: release comment, label off, task back in the queue (or done)."),
    "code": ("code", "Run a coding agent on a work order in its own worktree and open (or update) the pull "
             "request."),
    "review": ("review", "Have the review agent check a pull request against its task and publish its verdict "
               "as a review (exit 1 when the agent gave no usable verdict)."),
    "test": ("test", "Run the quality gates on a branch or PR and report them (exit 1 when a required gate "
             "fails)."),
    "deploy": ("deploy", "Pre-flight, deploy, smoke-check and monitor; roll back and open an incident on "
               "failure."),
    "rollback": ("deploy", "Roll an environment back on demand, then run its health checks."),
    "report": ("report", "DORA metrics, agent performance, delivery and cost from the state logs and GitHub."),
    "tick": ("tick", "The orchestrator's periodic pass (run it from cron); running it twice changes nothing."),
    "on-event": ("on_event", "Do what a GitHub event means for the task queue: sync, dispatch, complete, "
                 "remediate, tick."),
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

    def get_params(self, ctx: Any) -> list[Any]:
        from agentops.cli._help import tidy_params

        params: list[Any] = super().get_params(ctx)
        tidy_params(params)
        return params

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        loaded = self.commands.get(cmd_name)
        if loaded is not None or cmd_name not in COMMANDS:
            return loaded
        if getattr(ctx, "resilient_parsing", False):
            # Shell completion walks the tree: give it the real command, so its options complete too.
            return self.load(cmd_name)
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
            from agentops.cli._help import tidy

            importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")
            self.add_command(tidy(build_command(name)), name)
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
    # `agentops --install-completion` / `--show-completion` (bash, zsh, fish, PowerShell).
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# What main() lifted out of argv (agentops/cli/_argv.py) before click parsed the rest; app() called
# directly (CliRunner) lifts nothing. The root callback merges these with its own options into _GLOBAL.
_LIFTED: dict[str, Any] = {"quiet": False, "verbose": False, "json": False, "fields": None}
_GLOBAL: dict[str, Any] = {"config": None, **_LIFTED}


def _json_flag(value: bool) -> bool:
    # main() lifts --json out of argv wherever it stands, so a command sees it through _GLOBAL.
    return bool(value or _GLOBAL["json"])


JsonOpt = Annotated[bool, typer.Option(
    "--json", callback=_json_flag,
    help="Print exactly one JSON document on stdout; `--json FIELD,FIELD` keeps only those fields.")]
RepoOpt = Annotated[str | None, typer.Option(
    "--repo", "-R", metavar="[HOST/]OWNER/NAME",
    help="Repository as OWNER/NAME, HOST/OWNER/NAME or its URL (default: $GITHUB_REPOSITORY, else the git "
    "remote origin).", show_default=False)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: Annotated[str | None, typer.Option("--config", "-c", metavar="PATH", help="Path to agentops.yaml "
                                                  "(default: $AGENTOPS_CONFIG, else ./agentops.yaml).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr (also after the "
                                        "command).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail on stderr, and the traceback "
                                          "of an internal error (also after the command).")] = False,
    json: Annotated[bool, typer.Option("--json", help="The command prints one JSON document on stdout; "
                                       "`--json FIELD,FIELD` keeps only those fields (also after the "
                                       "command).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    # main() lifts these out of argv; the options exist for --help and for app() called directly.
    _GLOBAL.update(config=config, quiet=bool(quiet or _LIFTED["quiet"]), verbose=bool(verbose or _LIFTED["verbose"]),
                   json=bool(json or _LIFTED["json"]), fields=_LIFTED["fields"])


def make_context(*, json_mode: bool = False, repo: str | None = None) -> Context:
    # Imported here, not at the top: `agentops --help` never builds a context.
    import os
    import sys

    from agentops.context import Context
    from agentops.output import Output

    # Credentials a command shed from its environ before running untrusted code (proc.shed_credentials).
    # Only a process that shed them holds any, and it imported agentops.proc to do so: a command
    # that never did (status) does not pay for importing it.
    proc = sys.modules.get("agentops.proc")
    held: dict[str, str] = proc.held_credentials() if proc is not None else {}
    out = Output(json_mode=json_mode or bool(_GLOBAL["json"]), quiet=bool(_GLOBAL["quiet"]),
                 verbose=bool(_GLOBAL["verbose"]), fields=_GLOBAL["fields"], env={**os.environ, **held})
    out.redactor.add_env(out.env)
    return Context(env=out.env, output=out, config_path=_GLOBAL["config"], repo_flag=repo)


def execute(ctx: Context, fn: Callable[[], T], render: Callable[[T], int | None] | None = None) -> T:
    """Run a command body, render its result, and turn agentops errors into exit codes.

    `render` returns the exit code (None = 0). Expected errors never show a traceback. Fields asked
    for with `--json FIELD,...` are checked before the body runs, so a typo writes nothing.
    """
    from agentops import interrupts

    try:
        _check_fields(ctx)
        # Ctrl-C and SIGTERM stop every command at a safe point (between writes, with its cleanup
        # run), the result's printing included: a SIGTERM there used to kill the process outright
        # (no "interrupted", exit -15) and a Ctrl-C could cut a table in half.
        with interrupts.raising():
            result = fn()
            code = render(result) if render else None
    except AgentOpsError as exc:
        out = ctx.output
        out.error(exc.message, hint=exc.hint)
        if out.json_mode:
            out.emit(error_document(exc), select=False)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        ctx.output.error("interrupted")
        raise typer.Exit(130) from None
    if code:
        raise typer.Exit(int(code))
    return result


def _check_fields(ctx: Context) -> None:
    wanted = ctx.output.fields
    if not wanted:
        return
    # Typer vendors click (typer._click); its current context names the command being run.
    from typer._click.globals import get_current_context

    from agentops.cli._fields import known_fields
    from agentops.output import check_fields

    current = get_current_context(silent=True)
    path = current.command_path.partition(" ")[2] if current is not None else ""
    available = known_fields(path)
    if available is not None:
        check_fields(wanted, available)


def error_document(exc: AgentOpsError) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": type(exc).__name__, "message": exc.message, "hint": exc.hint,
                           "exit_code": int(exc.exit_code)}
    available = getattr(exc, "available", None)
    if available is not None:
        doc["available_fields"] = list(available)
    return {"error": doc}


def main(argv: list[str] | None = None) -> None:
    """The console script: lift the global flags, run the app, and map what escapes it to exit codes.

    Under --json every failure prints one JSON error document on stdout, usage errors included.
    """
    from agentops.cli._argv import GlobalFlagError, split_globals

    args = sys.argv[1:] if argv is None else argv
    json_wanted = "--json" in args or any(a.startswith("--json=") for a in args)
    try:
        rest, flags = split_globals(args, COMMANDS)
    except GlobalFlagError as exc:
        _fail(str(exc), 2, json_wanted)
    _LIFTED.update(quiet=flags.quiet, verbose=flags.verbose, json=flags.json, fields=flags.fields)
    try:
        code = app(args=rest, prog_name="agentops", standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors (Typer vendors click) and their kin
        if flags.json:
            where = getattr(getattr(exc, "ctx", None), "command_path", None) or "agentops"
            _write_error_json(type(exc).__name__, exc.format_message(), f"{where} --help", exc.exit_code)
        _show_usage_error(exc)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        _fail("interrupted", 130, flags.json, kind="Interrupted")
    except Exception as exc:  # a bug: say so in one line (the traceback with -v), never a bare traceback
        if flags.verbose:
            import traceback

            traceback.print_exc()
        _fail(f"internal error: {type(exc).__name__}: {exc}", 1, flags.json, kind="InternalError",
              hint="re-run with -v for the traceback, and report it")
    sys.exit(code if isinstance(code, int) else 0)


def _show_usage_error(exc: Any) -> None:
    try:
        from typer import rich_utils

        rich_utils.rich_format_error(exc)
    except Exception:  # rendering must never hide the message itself
        exc.show()


def _fail(message: str, code: int, json_mode: bool, *, kind: str = "UsageError",
          hint: str | None = None) -> NoReturn:
    if json_mode:
        _write_error_json(kind, message, hint, code)
    sys.stderr.write(f"error: {message}\n" + (f"hint: {hint}\n" if hint else ""))
    sys.exit(code)


def _write_error_json(kind: str, message: str, hint: str | None, code: int) -> None:
    import json

    doc = {"error": {"type": kind, "message": message, "hint": hint, "exit_code": code}}
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()


__all__ = ["JsonOpt", "RepoOpt", "ExitCode", "app", "error_document", "execute", "main", "make_context"]
