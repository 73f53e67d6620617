"""State that scales: compact one-record-a-line files, one parse and one write per document
per command, field-by-field merge, the archive of old finished records, orphan temp files."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentops.state import docs, schema
from agentops.state.merge import merge, merge_record
from agentops.state.mergefile import merge_files
from agentops.state.store import Store

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def clock(start: dt.datetime = NOW) -> Callable[[], dt.datetime]:
    ticks = iter(range(10**9))
    return lambda: start + dt.timedelta(seconds=next(ticks))


def rec(ts: str, writer: str = "w", **data: Any) -> dict[str, Any]:
    return {"data": data, "updated_at": f"2026-01-01T00:00:{ts}Z", "writer": writer}


# -- format ------------------------------------------------------------------------------------
def test_one_record_a_line_and_still_one_json_document(tmp_path: Path) -> None:
    s = Store(tmp_path, writer="w", clock=clock())
    s.update(docs.TASK_QUEUE, lambda d: [d.put(f"o/r#{i}", {"n": i, "title": "x\ny"}) for i in range(50)])
    text = (tmp_path / "orchestrator" / "task-queue.json").read_text()
    lines = text.splitlines()
    assert len(lines) == 52  # header, 50 records, closing line
    assert all(line.startswith('"o/r#') for line in lines[1:-1])
    raw = json.loads(text)
    assert raw["schema_version"] == 1 and len(raw["records"]) == 50
    # A change to one record is a one-line diff.
    s.put(docs.TASK_QUEUE, "o/r#7", {"n": 70})
    after = (tmp_path / "orchestrator" / "task-queue.json").read_text().splitlines()
    assert [i for i, (x, y) in enumerate(zip(lines, after, strict=True)) if x != y] == \
        [next(i for i, line in enumerate(lines) if line.startswith('"o/r#7"'))]


def test_older_indented_files_are_read_and_rewritten_compactly(tmp_path: Path) -> None:
    path = tmp_path / "orchestrator" / "task-queue.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"schema_version": 1, "kind": docs.TASK_QUEUE,
                                "records": {"a": rec("01", v=1)}}, indent=2) + "\n")
    s = Store(tmp_path, writer="w", clock=clock())
    assert s.get(docs.TASK_QUEUE, "a") == {"v": 1}
    s.put(docs.TASK_QUEUE, "b", {"v": 2})
    assert path.read_bytes() == schema.encode(docs.TASK_QUEUE, s.load(docs.TASK_QUEUE).raw())
    assert len(path.read_text().splitlines()) == 4


# -- one parse, one write ----------------------------------------------------------------------
def test_a_document_is_parsed_once_per_command(tmp_path: Path) -> None:
    Store(tmp_path, writer="setup").put(docs.TASK_QUEUE, "a", {"v": 1})
    s = Store(tmp_path, writer="w", clock=clock())
    for _ in range(5):
        s.records(docs.TASK_QUEUE)
        s.get(docs.TASK_QUEUE, "a")
    s.put(docs.TASK_QUEUE, "b", {"v": 2})  # our own write refreshes the cache without a parse
    s.records(docs.TASK_QUEUE)
    assert s.parses == 1
    Store(tmp_path, writer="other").put(docs.TASK_QUEUE, "c", {"v": 3})  # another process writes
    assert set(s.records(docs.TASK_QUEUE)) == {"a", "b", "c"}
    assert s.parses == 2


def test_what_the_cache_hands_out_is_the_callers_own(tmp_path: Path) -> None:
    s = Store(tmp_path, writer="w", clock=clock())
    s.put(docs.TASK_QUEUE, "a", {"labels": ["x"]})
    s.records(docs.TASK_QUEUE)["a"]["labels"].append("y")
    got = s.get(docs.TASK_QUEUE, "a")
    assert got is not None
    got["labels"].append("z")
    assert s.get(docs.TASK_QUEUE, "a") == {"labels": ["x"]}


def test_a_batch_writes_each_document_once(tmp_path: Path) -> None:
    s = Store(tmp_path, writer="w", clock=clock())
    with s.batch(docs.TASK_QUEUE):
        s.put(docs.TASK_QUEUE, "a", {"v": 1})
        s.update(docs.TASK_QUEUE, lambda d: d.put("b", {"v": 2}))
        assert s.get(docs.TASK_QUEUE, "a") == {"v": 1}  # reads see the batch's own changes
        assert not (tmp_path / "orchestrator" / "task-queue.json").exists()
        s.put(docs.AGENT_STATUS, "x", {"seen": 1})  # not batched: written at once
        assert s.writes == 1
    assert s.writes == 2
    assert Store(tmp_path, writer="r").records(docs.TASK_QUEUE) == {"a": {"v": 1}, "b": {"v": 2}}


def test_a_batch_keeps_what_another_process_wrote_meanwhile_field_by_field(tmp_path: Path) -> None:
    Store(tmp_path, writer="setup", clock=clock()).put(docs.TASK_QUEUE, "t", {"claim": None, "title": "old"})
    mine = Store(tmp_path, writer="mine", clock=clock(NOW + dt.timedelta(hours=1)))
    with mine.batch(docs.TASK_QUEUE):
        rec_ = mine.get(docs.TASK_QUEUE, "t")
        assert rec_ is not None
        rec_["claim"] = {"agent": "a1"}
        mine.put(docs.TASK_QUEUE, "t", rec_)
        # Another process (a `tasks` sync) changes another field of the same task, and adds one.
        other = Store(tmp_path, writer="other", clock=clock(NOW + dt.timedelta(hours=2)))
        other.put(docs.TASK_QUEUE, "t", {"claim": None, "title": "new"})
        other.put(docs.TASK_QUEUE, "u", {"v": 1})
    assert Store(tmp_path, writer="r").records(docs.TASK_QUEUE) == {
        "t": {"claim": {"agent": "a1"}, "title": "new"}, "u": {"v": 1}}


def test_a_batch_is_written_even_when_the_command_fails(tmp_path: Path) -> None:
    s = Store(tmp_path, writer="w", clock=clock())
    with pytest.raises(RuntimeError), s.batch(docs.TASK_QUEUE):
        s.put(docs.TASK_QUEUE, "a", {"claimed": True})  # mirrors a write GitHub already has
        raise RuntimeError("boom")
    assert Store(tmp_path, writer="r").get(docs.TASK_QUEUE, "a") == {"claimed": True}


# -- field-by-field merge ----------------------------------------------------------------------
BASE = {"t": rec("01", claim=None, labels=["agent-task"], title="a")}


def test_different_fields_of_one_record_both_survive() -> None:
    claimed = {"t": rec("05", "clone1", claim={"agent": "a1"}, labels=["agent-task"], title="a")}
    synced = {"t": rec("09", "clone2", claim=None, labels=["agent-task"], title="a, edited")}
    want = {"t": {"data": {"claim": {"agent": "a1"}, "labels": ["agent-task"], "title": "a, edited"},
                  "updated_at": "2026-01-01T00:00:09Z", "writer": "clone2"}}
    assert merge(BASE, claimed, synced) == want
    assert merge(BASE, synced, claimed) == want
    assert merge(BASE, want, want) == want
    assert merge(BASE, want, synced) == want  # merging again changes nothing


def test_a_field_both_sides_changed_goes_to_the_newer_record() -> None:
    x = rec("05", "x", claim=None, labels=["agent-task", "x"], title="a")
    y = rec("09", "y", claim=None, labels=["agent-task", "y"], title="b")
    got = merge_record(BASE["t"], x, y)
    assert got["data"] == {"claim": None, "labels": ["agent-task", "y"], "title": "b"}
    assert merge_record(BASE["t"], y, x) == got


def test_without_an_ancestor_empty_fields_yield_and_a_tombstone_resolves_whole() -> None:
    x = rec("05", "x", a=1, claim={"agent": "a1"}, title="old")
    y = rec("09", "y", b=2, claim=None, title="new")  # both clones created the record
    want = {"data": {"a": 1, "b": 2, "claim": {"agent": "a1"}, "title": "new"},
            "updated_at": y["updated_at"], "writer": "y"}
    assert merge_record(None, x, y) == want == merge_record(None, y, x)
    tomb = {"deleted": True, "updated_at": "2026-01-01T00:00:07Z", "writer": "z"}
    assert merge_record(BASE["t"], x, tomb) == tomb
    assert merge_record(BASE["t"], y, tomb) == y


def test_the_git_driver_merges_fields(tmp_path: Path) -> None:
    o, a, b = tmp_path / "O", tmp_path / "A", tmp_path / "B"
    o.write_bytes(schema.encode(docs.TASK_QUEUE, BASE))
    a.write_bytes(schema.encode(docs.TASK_QUEUE, {"t": rec("05", "c1", claim={"agent": "a1"},
                                                          labels=["agent-task"], title="a")}))
    b.write_bytes(schema.encode(docs.TASK_QUEUE, {"t": rec("09", "c2", claim=None, labels=["agent-task"],
                                                          title="z")}))
    merge_files(o, a, b, "state/orchestrator/task-queue.json")
    got = json.loads(a.read_text())["records"]["t"]["data"]
    assert got == {"claim": {"agent": "a1"}, "labels": ["agent-task"], "title": "z"}


# -- archive -----------------------------------------------------------------------------------
def _done(_key: str, data: dict[str, Any]) -> bool:
    return data.get("state") == "closed"


def test_old_finished_records_move_to_a_monthly_archive(tmp_path: Path) -> None:
    old = Store(tmp_path, writer="w", clock=clock(dt.datetime(2026, 3, 5, tzinfo=dt.UTC)))
    old.put(docs.TASK_QUEUE, "o/r#1", {"state": "closed"})
    old.put(docs.TASK_QUEUE, "o/r#2", {"state": "open"})
    old.put(docs.TASK_QUEUE, "o/r#3", {"state": "closed"})
    old.delete(docs.TASK_QUEUE, "o/r#3")  # a tombstone past retention is purged
    s = Store(tmp_path, writer="w", clock=clock())
    s.put(docs.TASK_QUEUE, "o/r#4", {"state": "closed"})  # finished, but within retention
    with s.batch(docs.TASK_QUEUE):
        moved = s.archive(docs.TASK_QUEUE, docs.TASKS_ARCHIVE, before=NOW - dt.timedelta(days=30), done=_done)
    assert moved == 1
    assert sorted(s.load(docs.TASK_QUEUE).raw()) == ["o/r#2", "o/r#4"]
    assert (tmp_path / "archive" / "tasks-2026-03.jsonl").is_file()
    assert s.read_archive(docs.TASKS_ARCHIVE) == {"o/r#1": {"state": "closed"}}
    # Archiving again is a no-op; a duplicate line (crash between append and drop) reads once.
    assert s.archive(docs.TASK_QUEUE, docs.TASKS_ARCHIVE, before=NOW - dt.timedelta(days=30), done=_done) == 0
    line = (tmp_path / "archive" / "tasks-2026-03.jsonl").read_bytes()
    (tmp_path / "archive" / "tasks-2026-03.jsonl").write_bytes(line + line)
    assert s.read_archive(docs.TASKS_ARCHIVE) == {"o/r#1": {"state": "closed"}}
    assert {f["type"] for f in s.check()} == {"doc", "archive"}


def test_an_archived_record_stays_dropped_in_a_merge_unless_the_other_side_changed_it() -> None:
    base = {"a": rec("01", v=1), "b": rec("01", v=1)}
    archived = {}  # this side archived both
    other = {"a": rec("01", v=1), "b": rec("05", v=2)}  # the other side changed b
    assert merge(base, archived, other) == {"b": rec("05", v=2)}


# -- temp files left by a killed writer -------------------------------------------------------
def test_orphan_temp_files_are_removed(tmp_path: Path) -> None:
    s = Store(tmp_path, writer="w", clock=clock())
    s.put(docs.TASK_QUEUE, "a", {"v": 1})
    folder = tmp_path / "orchestrator"
    orphan = folder / ".task-queue.json.k1ll3d.tmp"
    orphan.write_text("{half")
    s.put(docs.TASK_QUEUE, "a", {"v": 2})  # the next write (under the lock) removes it
    assert not orphan.exists()
    stale = folder / ".agent-status.json.zzz.tmp"
    fresh = folder / ".metrics.json.yyy.tmp"
    stale.write_text("{")
    fresh.write_text("{")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    s.check()  # `state check` and `state sync` sweep old ones whatever the document
    assert not stale.exists() and fresh.exists()


def test_per_run_file_names_carry_the_worker() -> None:
    one = docs.run_file_stem("1-1", "codespace-alpha")
    two = docs.run_file_stem("1-1", "actions-99-1")
    assert one != two and one.startswith("1-1-")
    assert "/" not in docs.run_file_stem("1-1", "../../etc/passwd")
