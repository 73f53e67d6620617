"""The global flags (-q/--quiet, -v/--verbose, --json[=FIELDS]) read from anywhere on the command line.

Click only knows a group's options before the subcommand, and each command's own options after it.
People type `agentops status -q` and `agentops --json tasks` alike (gh, pipx and kubectl accept both),
so the root lifts these flags out of argv before click parses it, up to a `--` that ends options.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

# gh style: `--json number,title`. A following word is a field list only after the command (before
# it, `--json=FIELDS`), when it looks like one (identifiers and commas) and is not a command name:
# so `agentops --json status` runs status, `agentops --json stauts` suggests `status`, and
# `agentops state show --json orchestrator/task-queue` keeps its argument.
_FIELDS_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class GlobalFlags:
    quiet: bool = False
    verbose: bool = False
    json: bool = False
    fields: tuple[str, ...] | None = None


class GlobalFlagError(ValueError):
    """A global flag used wrongly (exit 2, like any usage error)."""


def split_globals(argv: Sequence[str], commands: Collection[str]) -> tuple[list[str], GlobalFlags]:
    rest: list[str] = []
    quiet = verbose = json = False
    fields: list[str] | None = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            rest.extend(argv[i - 1:])
            break
        if arg in ("-q", "--quiet"):
            quiet = True
        elif arg in ("-v", "--verbose"):
            verbose = True
        elif arg == "--json" or arg.startswith("--json="):
            json = True
            value: str | None = arg.partition("=")[2] if "=" in arg else None
            after_command = any(a in commands for a in rest)
            if value is None and after_command and i < len(argv) and _FIELDS_RE.match(argv[i]) \
                    and argv[i] not in commands:
                value = argv[i]
                i += 1
            if value is not None:
                fields = [*(fields or []), *_parse_fields(value)]
        else:
            rest.append(arg)
    if quiet and verbose:
        raise GlobalFlagError("-q/--quiet and -v/--verbose cannot be used together")
    return rest, GlobalFlags(quiet=quiet, verbose=verbose, json=json,
                             fields=tuple(dict.fromkeys(fields)) if fields is not None else None)


def _parse_fields(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",")]
    if not value.strip() or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names):
        raise GlobalFlagError(f"--json: {value!r} is not a comma-separated list of field names")
    return names
