"""How `--help` reads: flags without a fake value type, values named the click way, docstrings reflowed.

Typer labels every option with its Python type (`--dry-run <bool>`, `--repo <list[str]>`), which reads
as if a flag took a value. A flag gets no label; an option taking a value gets click's upper-case type
name (TEXT, INTEGER, PATH) unless its author set a metavar. Docstrings are written at source width,
so their hard line breaks are joined per paragraph and the terminal wraps them.
"""

from __future__ import annotations

import re
from typing import Any

_KEEP_LINES = re.compile(r"^\s*([-*•]|\d+[.)])\s|^\s{2,}\S")


def reflow(text: str | None) -> str | None:
    """Join a paragraph's lines; keep paragraphs, lists, indented blocks and click's \\b blocks as written."""
    if not text:
        return text
    import inspect

    paragraphs = inspect.cleandoc(text).split("\n\n")
    out = []
    for p in paragraphs:
        lines = p.split("\n")
        if p.startswith("\b") or any(_KEEP_LINES.match(line) for line in lines[1:]):
            out.append(p)
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


_LABELS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH", "datetime": "DATETIME"}


def tidy(command: Any) -> Any:
    """Apply the help conventions to a click command and, for a group, to its subcommands."""
    command.help = reflow(command.help)
    get_params = command.get_params

    def tidied_params(ctx: Any) -> list[Any]:
        # get_params, not .params: click adds --help (and Typer the completion options) late.
        params: list[Any] = get_params(ctx)
        tidy_params(params)
        return params

    command.get_params = tidied_params
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)
    return command


def tidy_params(params: list[Any]) -> None:
    for param in params:
        kind = getattr(param, "param_type_name", "")
        if kind == "argument" and param.metavar is None and param.name:
            param.metavar = param.name.upper()  # usage reads `state show DOC`, not `{doc}`
        if kind != "option" or getattr(param, "metavar", None) is not None:
            continue
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
            continue
        desc = getattr(param, "type_descriptor", None)
        if desc is None or desc.is_choice:
            continue  # choices keep Typer's `<a|b|c>`: the values are the documentation
        if desc.is_path:
            param.metavar = "PATH"
            continue
        bare = param.bare_type()
        if bare.startswith("list[") and bare.endswith("]"):
            bare = bare[5:-1]
        param.metavar = _LABELS.get(bare, bare.upper())
