"""The state store: keyed JSON documents and JSONL logs under one root folder.

Reads take no lock (writes replace files atomically, so a reader sees a whole old or a
whole new file). Every read-modify-write runs under the document's lock file, so
concurrent processes on one machine never lose an update.

A Store lives for one command. It keeps each document it parsed, keyed by the file's
identity (inode, size, mtime): a document is parsed once per command unless another process
replaced it meanwhile. Inside `batch(doc)` the updates to that document collect in memory and
are written once when the batch ends: under the lock, merged field by field with whatever
another process wrote since (see merge.py), so nothing is lost and the file is written once
per command instead of once per step.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from agentops.errors import BadInput, StateError
from agentops.state import docs, logs, schema
from agentops.state.atomicio import atomic_write_bytes, remove_orphan_temps
from agentops.state.lock import DEFAULT_TIMEOUT, locked, locked_many
from agentops.state.merge import merge

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
        data: dict[str, Any] = json_copy(rec["data"])
        return data

    def live(self) -> dict[str, dict[str, Any]]:
        return {k: json_copy(r["data"]) for k, r in sorted(self._records.items()) if not r.get("deleted")}

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

    def drop(self, key: str) -> None:
        """Remove a record without a tombstone (archived, or a tombstone past retention): a
        three-way merge drops it on other clones too unless they changed it meanwhile."""
        if self._records.pop(key, None) is not None:
            self.dirty = True

    def stamped_before(self, when: str) -> list[tuple[str, schema.Record]]:
        """(key, raw record) of every record, tombstones included, stamped before `when` (same format)."""
        return [(k, r) for k, r in sorted(self._records.items()) if str(r["updated_at"]) < when]

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


def json_copy(value: Any) -> Any:
    """A deep copy of plain JSON data, several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


_Sig = tuple[int, int, int]


def _signature(path: Path) -> _Sig | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class _Pending:
    """A batched document: what it was when first read (`base`), and the working copy."""

    def __init__(self, sig: _Sig | None, base: schema.Records, doc: Document) -> None:
        self.sig = sig
        self.base = base
        self.doc = doc


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
        # path -> (file identity, parsed records). Shared: never mutate a cached mapping.
        self._parsed: dict[Path, tuple[_Sig, schema.Records]] = {}
        self._batched: set[str] = set()
        self._pending: dict[str, _Pending] = {}
        self.parses = 0  # documents parsed by this store (tests and benchmarks read it)
        self.writes = 0

    # -- paths ---------------------------------------------------------------------------
    def path(self, doc: str) -> Path:
        return self.root / f"{docs.check_doc_name(doc)}.json"

    def log_path(self, log: str) -> Path:
        return self.root / docs.LOG_DIR / f"{docs.check_log_name(log)}.jsonl"

    # -- documents -----------------------------------------------------------------------
    def _read(self, doc: str) -> schema.Records:
        """The document's records as on disk. Shared with the cache: callers copy before changing."""
        path = self.path(doc)
        sig = _signature(path)
        return self._read_at(doc, path, sig)

    def _read_at(self, doc: str, path: Path, sig: _Sig | None) -> schema.Records:
        if sig is None:
            self._parsed.pop(path, None)
            return {}
        cached = self._parsed.get(path)
        if cached is not None and cached[0] == sig:
            return cached[1]
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
        self.parses += 1
        # The bytes read may be newer than `sig` (replaced in between); a stale key only costs a re-parse.
        self._parsed[path] = (sig, records)
        return records

    def _current(self, doc: str) -> schema.Records:
        """What this command sees: its own pending changes first, else the file."""
        pending = self._pending.get(doc)
        return pending.doc._records if pending is not None else self._read(doc)

    def load(self, doc: str) -> Document:
        """A read-only snapshot (changes to it are never written)."""
        return Document(doc, dict(self._current(doc)), writer=self.writer, clock=self.clock)

    # What get/records hand out is the caller's own (a JSON copy of the cached records).
    def get(self, doc: str, key: str) -> dict[str, Any] | None:
        rec = self._current(doc).get(key)
        if rec is None or rec.get("deleted"):
            return None
        data: dict[str, Any] = json_copy(rec["data"])
        return data

    def records(self, doc: str) -> dict[str, dict[str, Any]]:
        return {k: json_copy(r["data"]) for k, r in sorted(self._current(doc).items()) if not r.get("deleted")}

    def scan(self, doc: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, data) of each live record once, in key order (a hand-edited file may differ),
        for one read-only pass over a large document: the current layout is read a line at a
        time, nothing is copied and no parse is kept for later reads (callers must not change
        what they get)."""
        pending = self._pending.get(doc)
        path = self.path(doc)
        cached = self._parsed.get(path)
        if pending is not None or (cached is not None and cached[0] == _signature(path)):
            records = self._current(doc)
        else:
            yielded: set[str] = set()
            try:
                # The current layout holds one record per line: read it a line at a time.
                for key, rec in schema.iter_lines(path, doc):
                    if not rec.get("deleted"):
                        yielded.add(key)
                        yield key, rec["data"]
                return
            except FileNotFoundError:
                return
            except (OSError, ValueError, UnicodeDecodeError, RecursionError):
                pass  # another layout (or damage): the whole-document reader migrates or names the problem
            records = self._read(doc)
            self._parsed.pop(path, None)
            records = {k: r for k, r in records.items() if k not in yielded}
        for key in sorted(records):
            rec = records[key]
            if not rec.get("deleted"):
                yield key, rec["data"]

    def update(self, doc: str, fn: Callable[[Document], T]) -> T:
        if doc in self._batched:
            pending = self._pending.get(doc)
            if pending is None:
                path = self.path(doc)
                sig = _signature(path)
                base = self._read_at(doc, path, sig)
                pending = _Pending(sig, base, Document(doc, dict(base), writer=self.writer, clock=self.clock))
                self._pending[doc] = pending
            return fn(pending.doc)
        path = self.path(doc)
        with locked(path, self.lock_timeout):
            d = Document(doc, dict(self._read(doc)), writer=self.writer, clock=self.clock)
            result = fn(d)
            if d.dirty:
                self._write(doc, path, d._records)
        return result

    def _write(self, doc: str, path: Path, records: schema.Records) -> None:
        """Caller holds the lock, so any temp file of this document is an orphan of a killed writer."""
        remove_orphan_temps(path)
        atomic_write_bytes(path, schema.encode(doc, records))
        self.writes += 1
        sig = _signature(path)
        if sig is not None:
            self._parsed[path] = (sig, records)

    @contextmanager
    def batch(self, *names: str) -> Iterator[None]:
        """Collect the updates of these documents and write each once, when the block ends
        (also when it raises: the changes mirror what was already done on GitHub)."""
        fresh = [n for n in names if n not in self._batched]
        for n in fresh:
            self.path(n)  # validate the name now, not at flush time
            self._batched.add(n)
        try:
            yield
        finally:
            try:
                for n in fresh:
                    self._flush(n)
            finally:
                for n in fresh:
                    self._batched.discard(n)
                    self._pending.pop(n, None)

    def _flush(self, doc: str) -> None:
        pending = self._pending.get(doc)
        if pending is None or not pending.doc.dirty:
            return
        path = self.path(doc)
        with locked(path, self.lock_timeout):
            sig = _signature(path)
            mine = pending.doc._records
            if sig != pending.sig:
                # Another process wrote meanwhile: keep both, field by field.
                mine = merge(pending.base, mine, self._read_at(doc, path, sig))
            self._write(doc, path, mine)
        pending.doc.dirty = False

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

    # -- archive -------------------------------------------------------------------------
    def archive_path(self, name: str) -> Path:
        return self.root / docs.ARCHIVE_DIR / f"{docs.check_log_name(name)}.jsonl"

    def archive(self, doc: str, prefix: str, *, before: dt.datetime,
                done: Callable[[str, dict[str, Any]], bool]) -> int:
        """Move the records of `doc` last changed before `before` for which `done(key, data)`
        holds into `archive/<prefix>-YYYY-MM.jsonl` (month of their last change), and drop
        tombstones older than that. Archive lines are appended before the records leave the
        document, so a crash in between leaves a duplicate (readers keep the newest), never a loss."""
        cutoff = schema.format_ts(before)

        def pick(d: Document) -> int:
            moved: dict[str, list[bytes]] = {}
            gone: list[str] = []
            for key, rec in d.stamped_before(cutoff):
                if rec.get("deleted"):
                    gone.append(key)
                elif done(key, rec["data"]):
                    line = {"key": key, "data": rec["data"], "updated_at": rec["updated_at"], "writer": rec["writer"]}
                    moved.setdefault(f"{prefix}-{str(rec['updated_at'])[:7]}", []).append(logs.encode_event(line))
                    gone.append(key)
            for name, lines in sorted(moved.items()):
                path = self.archive_path(name)
                with locked(path, self.lock_timeout):
                    logs.append_event(path, b"".join(lines), self.warn)
            for key in gone:
                d.drop(key)
            return sum(len(v) for v in moved.values())

        return self.update(doc, pick)

    def iter_archive(self, prefix: str, *, from_month: str = "") -> Iterator[dict[str, Any]]:
        """Stream the archive lines of `prefix` ({"key", "data", "updated_at", "writer"}), oldest
        month first, skipping the months before `from_month` ("YYYY-MM") unread. A key can
        appear more than once (a re-archived record): callers keep the newest."""
        folder = self.root / docs.ARCHIVE_DIR
        if not folder.is_dir():
            return
        for path in sorted(folder.glob(f"{prefix}-*.jsonl")):
            if path.stem[len(prefix) + 1:] >= from_month[:7]:
                yield from logs.read_events(path, None, self.warn)

    def read_archive(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every archived record of `prefix` (key -> data), the newest copy of a key winning."""
        best: dict[str, tuple[str, dict[str, Any]]] = {}
        folder = self.root / docs.ARCHIVE_DIR
        if not folder.is_dir():
            return {}
        for path in sorted(folder.glob(f"{prefix}-*.jsonl")):
            for line in logs.read_events(path, None, self.warn):
                key, data, ts = line.get("key"), line.get("data"), str(line.get("updated_at", ""))
                if not isinstance(key, str) or not isinstance(data, dict):
                    raise StateError(str(path), "an archive line needs a string key and an object data")
                if key not in best or ts >= best[key][0]:
                    best[key] = (ts, data)
        return {k: v[1] for k, v in sorted(best.items())}

    def sweep_temps(self, min_age_s: float = 600.0) -> list[Path]:
        from agentops.state.atomicio import sweep_orphan_temps

        return sweep_orphan_temps(self.root, min_age_s)

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
            elif rel.startswith(f"{docs.ARCHIVE_DIR}/") and p.suffix == ".jsonl" and rel.count("/") == 1:
                yield "archive", p.stem, p
            elif p.suffix == ".json" and not rel.startswith((f"{docs.LOG_DIR}/", f"{docs.ARCHIVE_DIR}/")):
                yield "doc", rel[: -len(".json")], p

    def locked_all(self, timeout: float | None = None) -> Any:
        """The locks of every state file (documents, logs, archives), for `state sync`."""
        return locked_many([p for _, _, p in self.files()], self.lock_timeout if timeout is None else timeout)

    def check(self) -> list[dict[str, Any]]:
        """Read every state file; StateError on the first bad one. Returns a summary per file."""
        out: list[dict[str, Any]] = []
        for tmp in self.sweep_temps():
            self.warn(f"{tmp}: removed a temp file left by an interrupted write")
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
                out.append({"type": kind, "name": name, "path": str(path), "events": count})
        return out
