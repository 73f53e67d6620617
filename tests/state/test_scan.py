"""Store.scan: one read-only pass over a large document, a line at a time in the current layout
(nothing kept afterwards), the whole-document reader for older layouts and damage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentops.errors import StateError
from agentops.state import docs
from agentops.state.store import Store


def filled(root: Path, n: int = 50) -> Store:
    store = Store(root, writer="w")
    store.update(docs.PULLS, lambda d: [d.put(f"pr:o/r#{i}", {"number": i}) for i in range(n)])
    store.delete(docs.PULLS, "pr:o/r#7")
    return Store(root, writer="w")  # a fresh command: nothing parsed yet


def test_streams_the_current_layout_and_keeps_nothing(tmp_path: Path) -> None:
    store = filled(tmp_path)
    got = list(store.scan(docs.PULLS))
    assert [k for k, _ in got] == sorted(f"pr:o/r#{i}" for i in range(50) if i != 7)
    assert got[0][1] == {"number": 0}
    assert store.parses == 0 and not store._parsed  # read line by line, no parse kept


def test_an_older_layout_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "orchestrator" / "pulls.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"pr:o/r#1": {"number": 1}, "pr:o/r#2": {"number": 2}}, indent=2))  # v0: flat
    assert dict(Store(tmp_path, writer="w").scan(docs.PULLS)) == {"pr:o/r#1": {"number": 1}, "pr:o/r#2": {"number": 2}}


def test_damage_is_a_state_error_naming_the_file(tmp_path: Path) -> None:
    filled(tmp_path)
    path = tmp_path / "orchestrator" / "pulls.json"
    lines = path.read_text().splitlines()
    lines[10] = lines[10][:20]  # cut mid-record
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StateError) as err:
        list(Store(tmp_path, writer="w").scan(docs.PULLS))
    assert "pulls.json" in str(err.value)


def test_a_hand_edit_out_of_order_still_reads_every_record_once(tmp_path: Path) -> None:
    filled(tmp_path, 5)
    path = tmp_path / "orchestrator" / "pulls.json"
    lines = path.read_text().splitlines()
    lines[1], lines[3] = lines[3], lines[1]  # valid JSON, records out of key order
    path.write_text("\n".join(lines) + "\n")
    keys = [k for k, _ in Store(tmp_path, writer="w").scan(docs.PULLS)]
    assert sorted(keys) == sorted(f"pr:o/r#{i}" for i in range(5)) and len(set(keys)) == len(keys)


def test_inside_a_batch_the_pending_changes_are_seen(tmp_path: Path) -> None:
    store = filled(tmp_path, 3)
    with store.batch(docs.PULLS):
        store.put(docs.PULLS, "pr:o/r#9", {"number": 9})
        assert "pr:o/r#9" in dict(store.scan(docs.PULLS))
