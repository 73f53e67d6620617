"""ISO-8601 times as agentops stores and GitHub sends them: aware UTC, written with `Z`."""

from __future__ import annotations

import datetime as dt
from typing import Any


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO-8601 string (`Z` or an offset; naive taken as UTC) or a datetime -> aware UTC.

    Anything unparseable is None: callers treat a missing time and a garbled one alike
    (state files are validated elsewhere; here a bad time must not crash a report).
    """
    if isinstance(value, str):
        try:
            # The common case first (reports parse one per log event): what we and GitHub write.
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            text = value.strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            try:
                parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                return None
    elif isinstance(value, dt.datetime):
        parsed = value
    else:
        return None
    tz = parsed.tzinfo
    if tz is dt.UTC:
        return parsed
    if tz is None:
        return parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59: garbled like any unparseable time
        return None


def iso(t: dt.datetime, *, timespec: str = "auto") -> str:
    """Aware datetime -> "2026-01-02T03:04:05Z" (naive taken as UTC)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
