"""Record-by-record merge of two versions of a state document (pure; no I/O).

Each key resolves on its own: the record with the later `updated_at` wins, a tie goes to the
greater writer id, then to the greater canonical JSON, so the answer never depends on which
side is "ours". Tombstones are ordinary records, so a delete newer than an edit wins and an
edit newer than the delete resurrects the record.

`base` only matters for a key that one side no longer has at all (a record dropped from the
file rather than tombstoned): the key stays dropped when the other side still holds the base
version, and survives when the other side changed it.

Properties: merge(b, x, y) == merge(b, y, x) and merge(b, x, x) == x.

JSONL logs need none of this: they are append-only, and git's built-in `merge=union`
driver keeps the lines of both sides (see agentops.git.sync.ensure_gitattributes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agentops.state.schema import parse_ts

Record = Mapping[str, Any]


def _rank(rec: Record) -> tuple[Any, str, str]:
    return (parse_ts(str(rec["updated_at"])), str(rec.get("writer", "")),
            json.dumps(rec, sort_keys=True, separators=(",", ":")))


def newer(a: Record, b: Record) -> Record:
    """The winner of two versions of one record."""
    return a if _rank(a) >= _rank(b) else b


def merge(base: Mapping[str, Record], ours: Mapping[str, Record],
          theirs: Mapping[str, Record]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key), theirs.get(key)
        if a is not None and b is not None:
            out[key] = dict(newer(a, b))
            continue
        present = a if a is not None else b
        assert present is not None
        was = base.get(key)
        if was is not None and _same(was, present):
            continue  # the other side dropped it and this side never touched it
        out[key] = dict(present)
    return out


def _same(a: Record, b: Record) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
