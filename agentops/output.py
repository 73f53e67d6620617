"""Where output goes: rich for humans on stderr, one JSON document on stdout for machines,
and GitHub Actions workflow commands (annotations, masks, step summary, outputs) when in Actions.

Commands return values; the CLI layer hands them to an Output. Nothing else prints.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from agentops.errors import BadInput
from agentops.redact import Redactor


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def to_jsonable(value: Any) -> Any:
    """dataclasses, tuples, sets and paths to plain JSON values (sorted sets, ISO datetimes)."""
    import dataclasses
    import datetime as dt
    from pathlib import PurePath

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        doc = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        # Derived figures a consumer should not have to recompute (e.g. JUnitSummary.passed).
        for name in getattr(type(value), "JSON_PROPERTIES", ()):
            doc[name] = to_jsonable(getattr(value, name))
        return doc
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "value") and type(value).__module__ != "builtins" and hasattr(type(value), "__members__"):
        return value.value  # Enum
    return value


@dataclass(frozen=True)
class Col:
    """A table column that never wraps: cut with an ellipsis at `width` (or, with `grow`, to the room
    the other columns leave), so a table fits the terminal and each row stays one line."""

    name: str
    width: int | None = None
    min_width: int | None = None
    grow: bool = False
    justify: str = "left"


@dataclass
class Output:
    json_mode: bool = False
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    redactor: Redactor = field(default_factory=Redactor)
    quiet: bool = False
    verbose: bool = False
    # `--json FIELD,...`: the top-level fields to keep in the document (None = all).
    fields: tuple[str, ...] | None = None
    _console: Any = None
    _masked: set[str] = field(default_factory=set)

    @property
    def in_actions(self) -> bool:
        return self.env.get("GITHUB_ACTIONS") == "true"

    @property
    def is_tty(self) -> bool:
        isatty = getattr(self.err, "isatty", None)
        return bool(isatty and isatty())

    @property
    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            no_color = "NO_COLOR" in self.env or not self.is_tty
            self._console = Console(file=self.err, no_color=no_color, highlight=False,
                                    force_terminal=None if self.is_tty else False, soft_wrap=not self.is_tty)
        return self._console

    # -- human output (stderr) -------------------------------------------------------
    def print_rich(self, *objects: Any, **kw: Any) -> None:
        """rich's Console.print on stderr, never cut by a signal."""
        # A signal that arrives mid-print is raised once the print is done (agentops.interrupts):
        # raised inside rich, it would leave rich's buffer half-flushed (lines twice, or none after).
        from agentops.interrupts import shielded

        with shielded():
            self.console.print(*objects, **kw)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.print_rich(self.redactor.redact(message), markup=False)

    def debug(self, message: str) -> None:
        """Detail for -v/--verbose only."""
        if self.verbose:
            self.print_rich(f"[dim]{_rich_escape(self.redactor.redact(message))}[/]")

    def step(self, message: str) -> None:
        if not self.quiet:
            self.print_rich(f"[bold cyan]==>[/] {_rich_escape(self.redactor.redact(message))}")

    def success(self, message: str) -> None:
        if not self.quiet:
            self.print_rich(f"[green]✓[/] {_rich_escape(self.redactor.redact(message))}")

    def warn(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.print_rich(f"[yellow]warning:[/] {_rich_escape(self.redactor.redact(message))}")
        if self.in_actions:
            self.annotation("warning", message, file=file, line=line)

    def error(self, message: str, *, hint: str | None = None, file: str | None = None,
              line: int | None = None) -> None:
        self.print_rich(f"[bold red]error:[/] {_rich_escape(self.redactor.redact(message))}")
        if hint:
            self.print_rich(f"[dim]hint:[/] {_rich_escape(self.redactor.redact(hint))}")
        if self.in_actions:
            self.annotation("error", message, file=file, line=line)

    def table(self, title: str | None, columns: Sequence[str | Col], rows: Sequence[Sequence[Any]]) -> None:
        if self.quiet:
            return
        from rich.table import Table

        cells = [[self.redactor.redact("" if v is None else str(v)) for v in r] for r in rows]
        widths = _fit(columns, cells, self.console.width)
        t = Table(title=title, show_lines=False)
        for i, c in enumerate(columns):
            if isinstance(c, Col):
                t.add_column(c.name, no_wrap=True, overflow="ellipsis", width=widths[i],
                             justify=c.justify)  # type: ignore[arg-type]
            else:
                t.add_column(c)
        for r in cells:
            t.add_row(*(_rich_escape(v) for v in r))
        self.print_rich(t)

    def progress(self, description: str, total: int | None = None) -> Any:
        """`with out.progress("syncing", total=n) as tick: ... tick.advance()`; see `progress` below."""
        return progress(self, description, total)

    # -- machine output (stdout) ------------------------------------------------------
    def emit(self, data: Any, *, select: bool = True) -> None:
        """Print exactly one JSON document on stdout (only in --json mode), reduced to `fields` if
        asked (an unknown field raises BadInput listing the available ones; errors are never reduced)."""
        if self.json_mode:
            import json

            doc = to_jsonable(data)
            if select and self.fields:
                doc = select_fields(doc, self.fields)
            text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
            from agentops.interrupts import shielded

            with shielded():  # one whole document, never a cut one
                self.out.write(self.redactor.redact(text) + "\n")
                self.out.flush()

    # -- GitHub Actions ---------------------------------------------------------------
    def annotation(self, level: str, message: str, *, file: str | None = None, line: int | None = None,
                   title: str | None = None) -> None:
        props = []
        if file:
            props.append(f"file={_escape_property(file)}")
        if line:
            props.append(f"line={line}")
        if title:
            props.append(f"title={_escape_property(title)}")
        prop = (" " + ",".join(props)) if props else ""
        # Workflow commands are read from stdout; in --json mode stdout is reserved for the
        # document, so annotations go to stderr, which the runner also scans.
        stream = self.err if self.json_mode else self.out
        stream.write(f"::{level}{prop}::{_escape_data(self.redactor.redact(message))}\n")
        stream.flush()

    def mask(self, secret: str) -> None:
        """Register a secret: masked in Actions logs, redacted from everything we print."""
        if not secret or secret in self._masked:
            return
        self._masked.add(secret)
        self.redactor.add(secret)
        if self.in_actions:
            stream = self.err if self.json_mode else self.out
            stream.write(f"::add-mask::{_escape_data(secret)}\n")
            stream.flush()

    def summary(self, markdown: str) -> None:
        path = self.env.get("GITHUB_STEP_SUMMARY")
        if self.in_actions and path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(self.redactor.redact(markdown).rstrip("\n") + "\n")

    def set_output(self, name: str, value: str) -> None:
        path = self.env.get("GITHUB_OUTPUT")
        if not (self.in_actions and path):
            return
        value = self.redactor.redact(value)
        with open(path, "a", encoding="utf-8") as fh:
            if "\n" in value or "\r" in value:
                import uuid

                delim = f"ghadelimiter_{uuid.uuid4()}"
                fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")
            else:
                fh.write(f"{name}={value}\n")


def _fit(columns: Sequence[str | Col], cells: Sequence[Sequence[str]], total: int) -> list[int | None]:
    """Widths for Col columns: each as wide as its content up to its cap; a `grow` column gets what the
    others leave of the terminal (rich's own shrinking would cut the short columns first)."""
    widths: list[int | None] = []
    for i, c in enumerate(columns):
        if not isinstance(c, Col):
            widths.append(None)
            continue
        natural = max([len(c.name), *(len(r[i]) for r in cells if i < len(r))])
        widths.append(min(natural, c.width) if c.width else natural)
    grow = [i for i, c in enumerate(columns) if isinstance(c, Col) and c.grow]
    if grow:
        borders = 3 * len(columns) + 1
        rest = total - borders - sum(w or 0 for i, w in enumerate(widths) if i not in grow)
        for i in grow:
            col = columns[i]
            assert isinstance(col, Col)
            widths[i] = max(min(widths[i] or 0, max(rest // len(grow), 0)), col.min_width or 1)
    return widths


class UnknownField(BadInput):
    """A --json field the document does not have; `available` goes into the JSON error document."""

    def __init__(self, unknown: Sequence[str], available: Sequence[str]) -> None:
        plural = "s" if len(unknown) > 1 else ""
        super().__init__(f"--json: unknown field{plural} {', '.join(map(repr, unknown))}",
                         hint="available fields: " + ", ".join(sorted(available)))
        self.available = tuple(sorted(available))


def check_fields(wanted: Sequence[str], available: Sequence[str]) -> None:
    unknown = [f for f in wanted if f not in available]
    if unknown:
        raise UnknownField(unknown, available)


def select_fields(document: Any, wanted: Sequence[str]) -> Any:
    """Keep only `wanted` top-level keys (of the document, or of each object of a list document)."""
    if isinstance(document, list):
        return [select_fields(item, wanted) for item in document]
    if not isinstance(document, dict):
        raise BadInput("--json: this command's document has no fields to select", hint="use --json alone")
    check_fields(wanted, list(document))
    return {k: document[k] for k in wanted}


def _rich_escape(text: str) -> str:
    return text.replace("[", r"\[")


class LiveLine:
    """One status line for a long step: redrawn in place on a terminal (rich Live), printed as a
    plain line per change otherwise (CI logs), nothing with --quiet. Safe to update from a reader
    thread; `close()` leaves the last state printed."""

    def __init__(self, output: Output, label: str) -> None:
        import threading

        self.output = output
        self.label = label
        self.last = ""
        self.lock = threading.Lock()
        self.live: Any = None
        if output.is_tty and not output.quiet:
            from rich.live import Live
            from rich.text import Text

            self.live = Live(Text(label), console=output.console, transient=False, auto_refresh=False)
            self.live.start()

    def update(self, text: str) -> None:
        line = self.output.redactor.redact(f"{self.label}: {text}")
        with self.lock:
            if line == self.last or self.output.quiet:
                return
            self.last = line
            if self.live is not None:
                from rich.text import Text

                self.live.update(Text(line), refresh=True)
            else:
                print(line, file=self.output.err, flush=True)

    def close(self) -> None:
        with self.lock:
            if self.live is not None:
                self.live.stop()
                self.live = None


class Ticker:
    """What a long step reports through `Output.progress`: one more item done, or a new description."""

    def __init__(self, progress: Any = None, task: Any = None, redact: Any = None) -> None:
        self._progress, self._task, self._redact = progress, task, redact

    def advance(self, n: int = 1, *, description: str | None = None) -> None:
        if self._progress is None:
            return
        extra = {"description": self._redact(description)} if description is not None else {}
        self._progress.update(self._task, advance=n, **extra)

    def total(self, total: int | None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)


@contextmanager
def progress(output: Output, description: str, total: int | None = None) -> Iterator[Ticker]:
    """A transient rich progress bar (spinner when `total` is unknown) on stderr, on a terminal only:
    CI logs and pipes get no redraw noise, and --quiet none at all."""
    if output.quiet or not output.is_tty:
        yield Ticker()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=output.console, transient=True)
    with bar:
        task = bar.add_task(output.redactor.redact(description), total=total)
        yield Ticker(bar, task, output.redactor.redact)
