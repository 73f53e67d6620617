"""Merge two versions of a state document record by record, and a record field by field
(pure; no I/O). The git merge driver and the store's in-process flush both use it.

Each key resolves on its own. When both sides changed a live record and the common ancestor
(`base`) holds it too, the record merges field by field (top-level fields of `data`): a field
only one side changed takes that side's value, so one clone's claim and another clone's
`tasks` sync of the same task both survive. A field both sides changed, a record without an
ancestor (added on both sides) and any tombstone resolve whole: the later `updated_at` wins,
a tie goes to the greater writer id, then to the greater canonical JSON, so the answer never
depends on which side is "ours". A delete newer than an edit wins and an edit newer than the
delete resurrects the record.

A record both sides created (no ancestor) merges field by field too, an empty field (null or
absent) yielding to the other side's value: the first sync of two clones that both wrote a task
keeps one's claim and the other's issue fields.

`base` also decides a key that one side no longer has at all (a record dropped from the file,
as archiving does, rather than tombstoned): the key stays dropped when the other side still
holds the base version, and survives when the other side changed it.

Properties: merge(b, x, y) == merge(b, y, x) and merge(b, x, x) == x.

JSONL logs and archives need none of this: they are append-only, and git's built-in
`merge=union` driver keeps the lines of both sides (see agentops.git.sync.attribute_lines).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agentops.state.schema import parse_ts

Record = Mapping[str, Any]
_MISSING = object()


def _rank(rec: Record) -> tuple[Any, str, str]:
    return (parse_ts(str(rec["updated_at"])), str(rec.get("writer", "")), _canon(rec))


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def newer(a: Record, b: Record) -> Record:
    """The winner of two versions of one record."""
    return a if _rank(a) >= _rank(b) else b


def merge_record(base: Record | None, a: Record, b: Record) -> dict[str, Any]:
    """One key present on both sides."""
    if a == b:
        return dict(a)
    win = newer(a, b)
    if a.get("deleted") or b.get("deleted") or (base is not None and base.get("deleted")):
        return dict(win)
    if base is not None and _same(a, base):
        return dict(b)
    if base is not None and _same(b, base):
        return dict(a)
    da, db = a["data"], b["data"]
    # Without an ancestor (both sides created the record), an empty field (null or absent) is
    # one this side never set: the other side's value stands.
    d0 = base["data"] if base is not None else None
    wins_a = win is a
    data: dict[str, Any] = {}
    for field in sorted(set(da) | set(db)):
        va, vb = da.get(field, _MISSING), db.get(field, _MISSING)
        v0 = d0.get(field, _MISSING) if d0 is not None else _MISSING
        if va == vb:
            value = va
        elif d0 is None and va in (None, _MISSING):
            value = vb
        elif d0 is None and vb in (None, _MISSING):
            value = va
        elif d0 is not None and va == v0:
            value = vb
        elif d0 is not None and vb == v0:
            value = va
        else:
            value = va if wins_a else vb
        if value is not _MISSING:
            data[field] = value
    return {"data": data, "updated_at": win["updated_at"], "writer": win["writer"]}


def merge(base: Mapping[str, Record], ours: Mapping[str, Record],
          theirs: Mapping[str, Record]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key), theirs.get(key)
        if a is not None and b is not None:
            out[key] = merge_record(base.get(key), a, b)
            continue
        present = a if a is not None else b
        assert present is not None
        was = base.get(key)
        if was is not None and _same(was, present):
            continue  # the other side dropped it and this side never touched it
        out[key] = dict(present)
    return out


def _same(a: Record, b: Record) -> bool:
    return a == b or _canon(a) == _canon(b)
