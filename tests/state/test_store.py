from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from agentops.errors import BadInput, ExitCode, LostRace, StateError
from agentops.state import docs
from agentops.state.lock import locked
from agentops.state.store import Store

T0 = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


class Clock:
    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state", writer="w1", clock=Clock(), lock_timeout=0.5)


def test_missing_file_reads_as_empty(store: Store) -> None:
    assert store.records(docs.TASK_QUEUE) == {}
    assert store.get(docs.TASK_QUEUE, "x") is None
    assert list(store.read_log(docs.COSTS)) == []


def test_put_get_delete_and_file_format(store: Store) -> None:
    store.put(docs.TASK_QUEUE, "o/r#2", {"status": "queued", "n": 2})
    store.put(docs.TASK_QUEUE, "o/r#1", {"status": "queued"})
    store.delete(docs.TASK_QUEUE, "o/r#2")
    assert store.get(docs.TASK_QUEUE, "o/r#1") == {"status": "queued"}
    assert store.get(docs.TASK_QUEUE, "o/r#2") is None
    assert store.records(docs.TASK_QUEUE) == {"o/r#1": {"status": "queued"}}

    path = store.root / "orchestrator" / "task-queue.json"
    text = path.read_text()
    assert text.endswith("\n}}\n") and text.startswith('{"schema_version":1,"kind":"orchestrator/task-queue"')
    raw = json.loads(text)
    assert raw == {
        "schema_version": 1,
        "kind": "orchestrator/task-queue",
        "records": {
            "o/r#1": {"data": {"status": "queued"}, "updated_at": "2025-01-02T03:04:07.000000Z", "writer": "w1"},
            "o/r#2": {"deleted": True, "updated_at": "2025-01-02T03:04:08.000000Z", "writer": "w1"},
        },
    }
    # One record per line: a change to one record is a one-line diff.
    assert text.splitlines()[1:3] == [
        json.dumps("o/r#1") + ":" + json.dumps(raw["records"]["o/r#1"], sort_keys=True, separators=(",", ":")) + ",",
        json.dumps("o/r#2") + ":" + json.dumps(raw["records"]["o/r#2"], sort_keys=True, separators=(",", ":")),
    ]


def test_get_returns_a_copy(store: Store) -> None:
    store.put(docs.METRICS, "k", {"list": [1]})

    def mutate(d) -> None:  # type: ignore[no-untyped-def]
        got = d.get("k")
        got["list"].append(2)
    store.update(docs.METRICS, mutate)
    assert store.get(docs.METRICS, "k") == {"list": [1]}


def test_unchanged_put_keeps_stamp_and_bytes(store: Store) -> None:
    store.put(docs.METRICS, "k", {"a": 1})
    before = store.path(docs.METRICS).read_bytes()
    store.put(docs.METRICS, "k", {"a": 1})
    store.delete(docs.METRICS, "absent")
    assert store.path(docs.METRICS).read_bytes() == before


def test_stamp_never_goes_backwards(tmp_path: Path) -> None:
    ahead = Store(tmp_path, writer="a", clock=lambda: T0 + dt.timedelta(hours=1))
    ahead.put(docs.METRICS, "k", {"v": 1})
    behind = Store(tmp_path, writer="b", clock=lambda: T0)
    behind.put(docs.METRICS, "k", {"v": 2})
    raw = json.loads(behind.path(docs.METRICS).read_text())["records"]["k"]
    assert raw["updated_at"] == "2025-01-02T04:04:05.000001Z" and raw["data"] == {"v": 2}


def test_update_is_all_or_nothing(store: Store) -> None:
    store.put(docs.METRICS, "a", {"v": 1})

    def boom(d) -> None:  # type: ignore[no-untyped-def]
        d.put("b", {"v": 2})
        raise RuntimeError("midway")
    with pytest.raises(RuntimeError):
        store.update(docs.METRICS, boom)
    assert store.records(docs.METRICS) == {"a": {"v": 1}}


def test_update_returns_value_and_resurrects(store: Store) -> None:
    store.put(docs.METRICS, "a", {"v": 1})
    store.delete(docs.METRICS, "a")
    n = store.update(docs.METRICS, lambda d: (d.put("a", {"v": 3}), len(d.keys()))[1])
    assert n == 1 and store.get(docs.METRICS, "a") == {"v": 3}


@pytest.mark.parametrize("bad", [{"when": dt.datetime(2025, 1, 1)}, {"x": float("nan")}])
def test_non_json_data_rejected(store: Store, bad: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(BadInput):
        store.put(docs.METRICS, "k", bad)
    assert not store.path(docs.METRICS).exists()


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs", "logs/x", "a//b", "", "a/.."])
def test_bad_document_names(store: Store, name: str) -> None:
    with pytest.raises(BadInput):
        store.path(name)


def test_per_repo_document_names() -> None:
    assert docs.progress("o/r") == "agents/o/r/progress"
    assert docs.test_results("o/r") == "agents/o/r/test-results"
    with pytest.raises(BadInput):
        docs.progress("../x")


def test_migrates_old_flat_layout_on_read(store: Store) -> None:
    path = store.path(docs.ISSUE_TRACKER)
    path.parent.mkdir(parents=True)
    old = b'{"fp1": {"issue": 12, "status": "open"}, "fp2": {"issue": 13, "status": "closed"}}'
    path.write_bytes(old)
    assert store.records(docs.ISSUE_TRACKER) == {"fp1": {"issue": 12, "status": "open"},
                                                "fp2": {"issue": 13, "status": "closed"}}
    assert path.read_bytes() == old  # reading never rewrites
    store.put(docs.ISSUE_TRACKER, "fp1", {"issue": 12, "status": "closed"})
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == 1 and raw["kind"] == docs.ISSUE_TRACKER
    assert raw["records"]["fp2"] == {"data": {"issue": 13, "status": "closed"},
                                     "updated_at": "1970-01-01T00:00:00.000000Z", "writer": "migration"}
    assert raw["records"]["fp1"]["writer"] == "w1"


BAD_FILES = {
    "truncated": b'{"schema_version": 1, "kind": "orchestrator/metrics", "records": {"a": {"da',
    "not-json": b"this is not json\n",
    "empty": b"",
    "binary": b"\xff\xfe\x00garbage",
    "newer": b'{"schema_version": 99, "kind": "orchestrator/metrics", "records": {}}\n',
    "list": b"[1, 2]\n",
    "records-not-object": b'{"schema_version": 1, "kind": "orchestrator/metrics", "records": []}\n',
    "record-no-stamp": b'{"schema_version": 1, "kind": "orchestrator/metrics", "records": {"a": {"data": {}}}}\n',
    "wrong-kind": b'{"schema_version": 1, "kind": "orchestrator/task-queue", "records": {}}\n',
    "old-layout-non-object": b'{"a": 3}\n',
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_raise_and_are_never_overwritten(store: Store, case: str) -> None:
    path = store.path(docs.METRICS)
    path.parent.mkdir(parents=True)
    path.write_bytes(BAD_FILES[case])
    for action in (lambda: store.records(docs.METRICS), lambda: store.put(docs.METRICS, "a", {"v": 1}),
                   lambda: store.delete(docs.METRICS, "a"), store.check):
        with pytest.raises(StateError) as err:
            action()
        assert str(path) in str(err.value)
        assert err.value.exit_code == ExitCode.BAD_INPUT
    assert path.read_bytes() == BAD_FILES[case]
    if case == "newer":
        assert "newer" in str(err.value)


def test_lock_timeout_is_lost_race_naming_lock(store: Store) -> None:
    path = store.path(docs.TASK_QUEUE)
    with locked(path, 1):
        with pytest.raises(LostRace) as err:
            store.put(docs.TASK_QUEUE, "k", {"v": 1})
    assert str(path) + ".lock" in str(err.value)
    assert err.value.exit_code == ExitCode.LOST_RACE
    store.put(docs.TASK_QUEUE, "k", {"v": 1})  # free again afterwards
    assert store.get(docs.TASK_QUEUE, "k") == {"v": 1}


# -- logs ------------------------------------------------------------------------------


def test_append_and_read_log(store: Store) -> None:
    store.append(docs.AGENT_ACTIONS, {"action": "claim", "issue": 1})
    store.append(docs.AGENT_ACTIONS, {"action": "release", "ts": "2020-01-01T00:00:00Z"})
    events = list(store.read_log(docs.AGENT_ACTIONS))
    assert events[0] == {"action": "claim", "issue": 1, "ts": "2025-01-02T03:04:06.000000Z", "writer": "w1"}
    assert events[1]["ts"] == "2020-01-01T00:00:00Z"
    since = list(store.read_log(docs.AGENT_ACTIONS, since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))
    assert [e["action"] for e in since] == ["claim"]
    lines = store.log_path(docs.AGENT_ACTIONS).read_bytes().split(b"\n")
    assert len(lines) == 3 and lines[-1] == b""


def test_torn_final_line_is_skipped_then_dropped_by_next_append(tmp_path: Path) -> None:
    warnings: list[str] = []
    store = Store(tmp_path, writer="w", clock=Clock(), warn=warnings.append)
    store.append(docs.COSTS, {"n": 1})
    path = store.log_path(docs.COSTS)
    with open(path, "ab") as fh:
        fh.write(b'{"n": 2, "cost')  # crash mid-append
    assert [e["n"] for e in store.read_log(docs.COSTS)] == [1]
    assert any("torn" in w for w in warnings)
    store.append(docs.COSTS, {"n": 3})
    assert [e["n"] for e in store.read_log(docs.COSTS)] == [1, 3]


def test_corrupt_middle_line_names_file_and_line(store: Store) -> None:
    store.append(docs.INCIDENTS, {"n": 1})
    path = store.log_path(docs.INCIDENTS)
    with open(path, "ab") as fh:
        fh.write(b"garbage\n")
    store.append(docs.INCIDENTS, {"n": 3})
    before = path.read_bytes()
    with pytest.raises(StateError) as err:
        list(store.read_log(docs.INCIDENTS))
    assert f"{path}:2" in str(err.value)
    with pytest.raises(StateError):
        store.check()
    assert path.read_bytes() == before


def test_check_lists_documents_and_logs(store: Store) -> None:
    store.put(docs.progress("o/r"), "1", {"step": "plan"})
    store.put(docs.progress("o/r"), "2", {"step": "plan"})
    store.delete(docs.progress("o/r"), "2")
    store.append(docs.DEPLOYMENTS, {"id": "d1"})
    summary = {(f["type"], f["name"]): f for f in store.check()}
    assert summary[("doc", "agents/o/r/progress")]["records"] == 1
    assert summary[("doc", "agents/o/r/progress")]["tombstones"] == 1
    assert summary[("log", "deployments")]["events"] == 1
