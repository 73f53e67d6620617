"""The state store: keyed JSON documents and JSONL logs under one root folder.

Reads take no lock (writes replace files atomically, so a reader sees a whole old or a
whole new file). Every read-modify-write runs under the document's lock file, so
concurrent processes on one machine never lose an update.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from agentops.errors import BadInput, StateError
from agentops.state import docs, logs, schema
from agentops.state.atomicio import atomic_write_bytes
from agentops.state.lock import DEFAULT_TIMEOUT, locked

T = TypeVar("T")
_log = logging.getLogger("agentops.state")
_TICK = dt.timedelta(microseconds=1)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Document:
    """One document's records, as seen inside `Store.update`. Mutations are written once,
    atomically, when the update function returns."""

    def __init__(self, name: str, records: schema.Records, *, writer: str,
                 clock: Callable[[], dt.datetime]) -> None:
        self.name = name
        self._records = records
        self._writer = writer
        self._clock = clock
        self.dirty = False

    def get(self, key: str) -> dict[str, Any] | None:
        rec = self._records.get(key)
        if rec is None or rec.get("deleted"):
            return None
        data: dict[str, Any] = copy.deepcopy(rec["data"])
        return data

    def live(self) -> dict[str, dict[str, Any]]:
        return {k: copy.deepcopy(r["data"]) for k, r in sorted(self._records.items()) if not r.get("deleted")}

    def keys(self) -> list[str]:
        return sorted(k for k, r in self._records.items() if not r.get("deleted"))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def raw(self) -> schema.Records:
        """Every record including tombstones (a deep copy)."""
        return copy.deepcopy(self._records)

    def put(self, key: str, data: dict[str, Any]) -> None:
        if not isinstance(key, str) or not key:
            raise BadInput(f"{self.name}: record keys must be non-empty strings, got {key!r}")
        if not isinstance(data, dict):
            raise BadInput(f"{self.name}: record {key!r}: data must be a dict, got {type(data).__name__}")
        clean = _jsonable(data, f"{self.name}: record {key!r}")
        old = self._records.get(key)
        if old is not None and not old.get("deleted") and old.get("data") == clean:
            return  # unchanged: keep the old stamp so git sees no diff
        self._records[key] = {"data": clean, "updated_at": self._stamp(old), "writer": self._writer}
        self.dirty = True

    def delete(self, key: str) -> None:
        old = self._records.get(key)
        if old is None or old.get("deleted"):
            return
        self._records[key] = {"deleted": True, "updated_at": self._stamp(old), "writer": self._writer}
        self.dirty = True

    def _stamp(self, old: schema.Record | None) -> str:
        # Never stamp an edit older than the version it replaces (clock skew between
        # machines): in a merge, the older stamp would lose to the very version it edited.
        now = self._clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        if old is not None:
            floor = schema.parse_ts(str(old["updated_at"])) + _TICK
            if now < floor:
                now = floor
        return schema.format_ts(now)


def _jsonable(data: dict[str, Any], where: str) -> dict[str, Any]:
    import json

    try:
        result: dict[str, Any] = json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{where}: data is not plain JSON ({exc}); store datetimes as ISO strings") from None
    return result


class Store:
    def __init__(self, root: str | Path, *, writer: str, clock: Callable[[], dt.datetime] = _utcnow,
                 lock_timeout: float = DEFAULT_TIMEOUT, warn: Callable[[str], None] | None = None) -> None:
        self.root = Path(root)
        self.writer = writer
        self.clock = clock
        self.lock_timeout = lock_timeout
        self.warn: Callable[[str], None] = warn or _log.warning

    # -- paths ---------------------------------------------------------------------------
    def path(self, doc: str) -> Path:
        return self.root / f"{docs.check_doc_name(doc)}.json"

    def log_path(self, log: str) -> Path:
        return self.root / docs.LOG_DIR / f"{docs.check_log_name(log)}.jsonl"

    # -- documents -----------------------------------------------------------------------
    def _read(self, doc: str) -> schema.Records:
        path = self.path(doc)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StateError(str(path), f"cannot read: {exc.strerror or exc}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise StateError(str(path), "not UTF-8 text (corrupt?)") from None
        _, records = schema.decode(text, where=str(path), kind=doc)
        return records

    def load(self, doc: str) -> Document:
        """A read-only snapshot (changes to it are never written)."""
        return Document(doc, self._read(doc), writer=self.writer, clock=self.clock)

    # get/records parse a fresh copy of the file for each call, so what they hand out is already
    # the caller's own: no deep copy (it cost a report over 10,000 cached PRs half its time).
    def get(self, doc: str, key: str) -> dict[str, Any] | None:
        rec = self._read(doc).get(key)
        if rec is None or rec.get("deleted"):
            return None
        data: dict[str, Any] = rec["data"]
        return data

    def records(self, doc: str) -> dict[str, dict[str, Any]]:
        return {k: r["data"] for k, r in sorted(self._read(doc).items()) if not r.get("deleted")}

    def update(self, doc: str, fn: Callable[[Document], T]) -> T:
        path = self.path(doc)
        with locked(path, self.lock_timeout):
            d = Document(doc, self._read(doc), writer=self.writer, clock=self.clock)
            result = fn(d)
            if d.dirty:
                atomic_write_bytes(path, schema.encode(doc, d._records))
        return result

    def put(self, doc: str, key: str, data: dict[str, Any]) -> None:
        self.update(doc, lambda d: d.put(key, data))

    def delete(self, doc: str, key: str) -> None:
        self.update(doc, lambda d: d.delete(key))

    # -- logs ----------------------------------------------------------------------------
    def append(self, log: str, event: dict[str, Any]) -> None:
        path = self.log_path(log)
        record = dict(event)
        record.setdefault("ts", schema.format_ts(self.clock()))
        record.setdefault("writer", self.writer)
        try:
            line = logs.encode_event(record)
        except (TypeError, ValueError) as exc:
            raise BadInput(f"{log}: event is not plain JSON ({exc})") from None
        with locked(path, self.lock_timeout):
            logs.append_event(path, line, self.warn)

    def read_log(self, log: str, since: dt.datetime | None = None) -> Iterator[dict[str, Any]]:
        return logs.read_events(self.log_path(log), since, self.warn)

    # -- whole store ---------------------------------------------------------------------
    def files(self) -> Iterator[tuple[str, str, Path]]:
        """("doc"|"log", name, path) for every state file under the root, sorted."""
        if not self.root.is_dir():
            return
        for p in sorted(self.root.rglob("*")):
            if not p.is_file() or p.name.startswith("."):
                continue
            rel = p.relative_to(self.root).as_posix()
            if rel.startswith(f"{docs.LOG_DIR}/") and p.suffix == ".jsonl" and rel.count("/") == 1:
                yield "log", p.stem, p
            elif p.suffix == ".json" and not rel.startswith(f"{docs.LOG_DIR}/"):
                yield "doc", rel[: -len(".json")], p

    def check(self) -> list[dict[str, Any]]:
        """Read every state file; StateError on the first bad one. Returns a summary per file."""
        out: list[dict[str, Any]] = []
        for kind, name, path in self.files():
            if kind == "doc":
                try:
                    docs.check_doc_name(name)
                except BadInput:
                    raise StateError(str(path), "file name is not a valid state document name") from None
                recs = self._read(name)
                live = sum(1 for r in recs.values() if not r.get("deleted"))
                out.append({"type": "doc", "name": name, "path": str(path), "records": live,
                            "tombstones": len(recs) - live})
            else:
                count = sum(1 for _ in logs.read_events(path, None, self.warn))
                out.append({"type": "log", "name": name, "path": str(path), "events": count})
        return out
