"""Append-only JSONL logs: one event per line, appended whole under the file's lock.

A crash mid-append can only leave a final line without its newline (the line is written
with one write(), newline last). Readers skip such a torn tail with a warning; any other
bad line is corruption and raises StateError naming file:line. The next append drops a torn
tail first, so it never ends up glued to a good event in the middle of the file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from agentops.errors import StateError
from agentops.state.atomicio import append_line
from agentops.state.schema import parse_ts


def encode_event(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def drop_torn_tail(path: Path, warn: Callable[[str], None]) -> None:
    """Cut a final line that lacks its newline and is not valid JSON. Caller holds the lock."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        # Walk back to the previous newline in blocks: the tail is one line, usually short.
        pos, tail = size, b""
        while pos > 0:
            start = max(0, pos - 65536)
            fh.seek(start)
            block = fh.read(pos - start)
            idx = block.rfind(b"\n")
            if idx >= 0:
                tail = block[idx + 1:] + tail
                pos = start + idx + 1
                break
            tail = block + tail
            pos = start
        try:
            try:
                json.loads(tail.decode("utf-8"))
            except RecursionError:
                pass  # complete but nested too deep to decode: kept, and reading it reports it (never cut)
        except (UnicodeDecodeError, ValueError):
            warn(f"{path}: dropped a torn final line ({len(tail)} bytes) left by an interrupted append")
            fh.truncate(pos)
        else:
            fh.seek(0, os.SEEK_END)
            fh.write(b"\n")  # a complete event that only lacks its newline (hand edit): keep it
        fh.flush()
        os.fsync(fh.fileno())


def append_event(path: Path, line: bytes, warn: Callable[[str], None]) -> None:
    """Append one encoded event line. Caller holds the lock."""
    drop_torn_tail(path, warn)
    append_line(path, line)


def read_events(path: Path, since: dt.datetime | None, warn: Callable[[str], None]) -> Iterator[dict[str, Any]]:
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StateError(str(path), f"cannot read: {exc.strerror or exc}") from None
    with fh:
        lineno = 0
        for raw in fh:
            lineno += 1
            complete = raw.endswith(b"\n")
            if not raw.strip():
                continue
            try:
                event = json.loads(raw)  # bytes: json decodes the UTF-8 in C
                if not isinstance(event, dict):
                    raise ValueError(f"expected a JSON object, got {type(event).__name__}")
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                if not complete:
                    warn(f"{path}:{lineno}: skipped a torn final line (interrupted append)")
                    return
                raise StateError(f"{path}:{lineno}", f"corrupt log line: {exc}") from None
            if since is not None and not _at_or_after(event, since):
                continue
            yield event


def _at_or_after(event: dict[str, Any], since: dt.datetime) -> bool:
    ts = event.get("ts")
    if not isinstance(ts, str):
        return False
    try:
        when = parse_ts(ts)
    except ValueError:
        return False
    bound = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
    return when >= bound
