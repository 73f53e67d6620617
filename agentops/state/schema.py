"""The on-disk document format, its validation and its migrations.

    {"schema_version": 1, "kind": "<doc name>",
     "records": {key: {"data": {...}, "updated_at": ISO, "writer": id}
                      | {"deleted": true, "updated_at": ISO, "writer": id}}}

Compact and stable: the header on the first line, then one record per line (keys sorted, no
spaces), then the closing line. A change to one record is a one-line diff, so git diffs and
merges stay record-local, and encoding costs a fraction of an indented dump. Still one JSON
document: any JSON reader takes it. Older layouts migrate in memory on read; the file is rewritten in
the current layout by the next write. Anything that does not fit raises StateError and is
never rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from agentops.errors import StateError
from agentops.state import docs

Record = dict[str, Any]
Records = dict[str, Record]
Migration = Callable[[dict[str, Any], str], dict[str, Any]]

CURRENT_VERSION = 1
# A per-family current version lets one document kind move ahead of the others.
CURRENT_VERSIONS: dict[str, int] = {}

# Records that came from a layout without timestamps get this stamp: any real edit is
# newer, and every clone migrating the same old file produces the same bytes.
MIGRATED_AT = "1970-01-01T00:00:00.000000Z"
MIGRATED_WRITER = "migration"


def current_version(kind: str) -> int:
    return CURRENT_VERSIONS.get(docs.family(kind), CURRENT_VERSION) if kind else CURRENT_VERSION


def format_ts(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(value: str) -> dt.datetime:
    """ISO-8601 with `Z` or an offset; naive times are taken as UTC."""
    parsed = dt.datetime.fromisoformat(value)
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _v0_to_v1(raw: dict[str, Any], kind: str) -> dict[str, Any]:
    """Flat `{key: data}` (no schema_version) -> keyed records with a neutral stamp."""
    records: Records = {}
    for key, data in raw.items():
        if not isinstance(data, dict):
            raise ValueError(f"record {key!r}: expected an object in the old flat layout, got {type(data).__name__}")
        records[key] = {"data": data, "updated_at": MIGRATED_AT, "writer": MIGRATED_WRITER}
    return {"schema_version": 1, "kind": kind, "records": records}


# family -> {from_version: migration to from_version + 1}; "*" applies to every family
# unless the family names its own step.
MIGRATIONS: dict[str, dict[int, Migration]] = {"*": {0: _v0_to_v1}}


def _migration(kind: str, version: int) -> Migration | None:
    own = MIGRATIONS.get(docs.family(kind), {}) if kind else {}
    return own.get(version) or MIGRATIONS["*"].get(version)


def validate_record(key: str, rec: Any) -> Record:
    if not isinstance(rec, dict):
        raise ValueError(f"record {key!r}: expected an object, got {type(rec).__name__}")
    ts = rec.get("updated_at")
    if not isinstance(ts, str):
        raise ValueError(f"record {key!r}: missing or non-string updated_at")
    try:
        parse_ts(ts)
    except ValueError:
        raise ValueError(f"record {key!r}: updated_at {ts!r} is not an ISO-8601 time") from None
    if not isinstance(rec.get("writer"), str):
        raise ValueError(f"record {key!r}: missing or non-string writer")
    if rec.get("deleted") is True:
        if "data" in rec:
            raise ValueError(f"record {key!r}: a tombstone carries no data")
    elif not isinstance(rec.get("data"), dict):
        raise ValueError(f"record {key!r}: data must be an object (or the record a tombstone)")
    extra = set(rec) - {"data", "deleted", "updated_at", "writer"}
    if extra:
        raise ValueError(f"record {key!r}: unknown fields {sorted(extra)}")
    return rec


def decode(text: str, *, where: str, kind: str | None) -> tuple[str, Records]:
    """Parse, migrate and validate one document file's text -> (kind, records).

    `kind` is the expected document name, or None to accept whatever the file declares.
    Raises StateError naming `where` on any problem.
    """
    if not text.strip():
        raise StateError(where, "empty file (truncated?)")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(where, f"not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg}); "
                                "truncated or hand-edited?") from None
    except RecursionError:
        raise StateError(where, "JSON nested too deeply to read (hand-edited or hostile?)") from None
    if not isinstance(raw, dict):
        raise StateError(where, f"expected a JSON object at the top level, got {type(raw).__name__}")
    declared = raw.get("kind") if "schema_version" in raw else None
    if declared is not None and not isinstance(declared, str):
        raise StateError(where, "kind must be a string")
    if kind is not None and declared is not None and declared != kind:
        raise StateError(where, f"holds document kind {declared!r}, expected {kind!r}")
    name = kind if kind is not None else (declared or "")
    version = raw.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise StateError(where, f"schema_version {version!r} is not a non-negative integer")
    target = current_version(name)
    if version > target:
        raise StateError(where, f"schema_version {version} is newer than this agentops supports ({target})",
                         hint="upgrade agentops to read this file; it was left untouched")
    try:
        while version < target:
            step = _migration(name, version)
            if step is None:
                raise ValueError(f"no migration from schema_version {version}")
            raw = step(raw, name)
            version = int(raw["schema_version"])
        records = raw.get("records")
        if not isinstance(records, dict):
            raise ValueError("records must be an object")
        unknown = set(raw) - {"schema_version", "kind", "records"}
        if unknown:
            raise ValueError(f"unknown top-level fields {sorted(unknown)}")
        for key, rec in records.items():
            validate_record(key, rec)
    except ValueError as exc:
        raise StateError(where, str(exc)) from None
    return name, records


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def iter_lines(path: Path, kind: str) -> Iterator[tuple[str, Record]]:
    """The records of a document file in the current layout (as `encode` writes it), one line at
    a time, in key order. ValueError at the first line that does not fit that layout exactly
    (an older layout, a hand edit, damage): the caller then reads the whole document."""
    head = f'{{"schema_version":{current_version(kind)},"kind":{_dumps(kind)},"records":{{'
    with open(path, "rb") as fh:
        first = fh.readline().decode("utf-8").rstrip("\n")
        if first == head + "}}":
            return
        if first != head:
            raise ValueError("not the current layout")
        previous: str | None = None
        for raw in fh:
            line = raw.decode("utf-8").rstrip("\n")
            if line == "}}":
                return
            one = json.loads("{" + line.removesuffix(",") + "}")
            if not isinstance(one, dict) or len(one) != 1:
                raise ValueError("not one record per line")
            ((key, rec),) = one.items()
            if previous is not None and key <= previous:
                raise ValueError("records out of order")
            validate_record(key, rec)
            previous = key
            yield key, rec
        raise ValueError("no closing line")


def encode(kind: str, records: Mapping[str, Record]) -> bytes:
    head = f'{{"schema_version":{current_version(kind)},"kind":{_dumps(kind)},"records":{{'
    if not records:
        return (head + "}}\n").encode("utf-8")
    lines = [f"{_dumps(key)}:{_dumps(records[key])}" for key in sorted(records)]
    return (head + "\n" + ",\n".join(lines) + "\n}}\n").encode("utf-8")
