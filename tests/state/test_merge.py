from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentops.cli import app
from agentops.state import schema
from agentops.state.merge import merge


def rec(ts: str, writer: str = "w", **data: Any) -> dict[str, Any]:
    return {"data": data, "updated_at": f"2025-01-01T00:00:{ts}Z", "writer": writer}


def tomb(ts: str, writer: str = "w") -> dict[str, Any]:
    return {"deleted": True, "updated_at": f"2025-01-01T00:00:{ts}Z", "writer": writer}


BASE = {"a": rec("01", v=0), "b": rec("01", v=0), "c": rec("01", v=0), "d": rec("01", v=0)}

# (name, base, ours, theirs, expected)
CASES = [
    ("different keys edited", BASE,
     {**BASE, "a": rec("05", v=1)}, {**BASE, "b": rec("06", v=2)},
     {**BASE, "a": rec("05", v=1), "b": rec("06", v=2)}),
    ("same key: later wins", BASE,
     {**BASE, "a": rec("05", "x", v=1)}, {**BASE, "a": rec("07", "y", v=2)},
     {**BASE, "a": rec("07", "y", v=2)}),
    ("same key and time: writer id breaks the tie", BASE,
     {**BASE, "a": rec("05", "alpha", v=1)}, {**BASE, "a": rec("05", "beta", v=2)},
     {**BASE, "a": rec("05", "beta", v=2)}),
    ("delete newer than edit wins", BASE,
     {**BASE, "a": tomb("09")}, {**BASE, "a": rec("05", v=2)},
     {**BASE, "a": tomb("09")}),
    ("edit newer than delete resurrects", BASE,
     {**BASE, "a": tomb("05")}, {**BASE, "a": rec("09", v=2)},
     {**BASE, "a": rec("09", v=2)}),
    ("new keys on both sides", {},
     {"n1": rec("02", v=1)}, {"n2": rec("03", v=2)},
     {"n1": rec("02", v=1), "n2": rec("03", v=2)}),
    ("dropped on one side, untouched on the other: stays dropped", BASE,
     {k: v for k, v in BASE.items() if k != "c"}, BASE,
     {k: v for k, v in BASE.items() if k != "c"}),
    ("dropped on one side, edited on the other: edit survives", BASE,
     {k: v for k, v in BASE.items() if k != "c"}, {**BASE, "c": rec("08", v=5)},
     {**BASE, "c": rec("08", v=5)}),
    ("timestamps compare as times, not strings", {},
     {"a": {"data": {"v": 1}, "updated_at": "2025-01-01T00:00:05.5Z", "writer": "w"}},
     {"a": {"data": {"v": 2}, "updated_at": "2025-01-01T01:00:05+01:00", "writer": "w"}},
     {"a": {"data": {"v": 1}, "updated_at": "2025-01-01T00:00:05.5Z", "writer": "w"}}),
]


@pytest.mark.parametrize("name,base,ours,theirs,expected", CASES, ids=[c[0] for c in CASES])
def test_merge_table(name: str, base: dict, ours: dict, theirs: dict, expected: dict) -> None:  # type: ignore[type-arg]
    assert merge(base, ours, theirs) == expected
    assert merge(base, theirs, ours) == expected  # commutative
    assert merge(base, expected, expected) == expected  # idempotent
    assert merge(base, merge(base, ours, theirs), theirs) == expected  # re-merging changes nothing


def test_commutative_and_idempotent_over_all_pairs() -> None:
    versions = [BASE] + [c[2] for c in CASES if c[1] is BASE] + [c[3] for c in CASES if c[1] is BASE]
    for x, y in itertools.product(versions, repeat=2):
        assert merge(BASE, x, y) == merge(BASE, y, x)
        assert merge(BASE, x, x) == x


def test_same_time_same_writer_still_deterministic() -> None:
    x = {"a": rec("05", "w", v=1)}
    y = {"a": rec("05", "w", v=2)}
    assert merge({}, x, y) == merge({}, y, x)


# -- the driver command ----------------------------------------------------------------


def doc(records: dict[str, Any], kind: str = "orchestrator/task-queue") -> str:
    return json.dumps({"schema_version": 1, "kind": kind, "records": records}, indent=2, sort_keys=True) + "\n"


def test_merge_command_writes_result_to_ours(tmp_path: Path) -> None:
    base, ours, theirs = tmp_path / "O", tmp_path / "A", tmp_path / "B"
    base.write_text(doc(BASE))
    ours.write_text(doc({**BASE, "a": rec("05", v=1)}))
    theirs.write_text(doc({**BASE, "a": tomb("09"), "b": rec("06", v=2)}))
    res = CliRunner().invoke(app, ["state", "merge", str(base), str(ours), str(theirs),
                                   "state/orchestrator/task-queue.json"])
    assert res.exit_code == 0, res.output
    assert json.loads(ours.read_text())["records"] == {**BASE, "a": tomb("09"), "b": rec("06", v=2)}
    assert ours.read_bytes() == schema.encode("orchestrator/task-queue", {**BASE, "a": tomb("09"), "b": rec("06", v=2)})


def test_merge_command_migrates_old_layout_and_treats_empty_base_as_absent(tmp_path: Path) -> None:
    base, ours, theirs = tmp_path / "O", tmp_path / "A", tmp_path / "B"
    base.write_text("")
    ours.write_text(json.dumps({"fp": {"issue": 1}}))
    theirs.write_text(doc({"fp2": rec("03", v=1)}, kind="repo-scout/issue-tracker"))
    res = CliRunner().invoke(app, ["state", "merge", str(base), str(ours), str(theirs)])
    assert res.exit_code == 0, res.output
    out = json.loads(ours.read_text())
    assert out["kind"] == "repo-scout/issue-tracker" and set(out["records"]) == {"fp", "fp2"}


@pytest.mark.parametrize("which", ["O", "A", "B"])
def test_merge_command_exit_2_on_unreadable_input(tmp_path: Path, which: str) -> None:
    files = {n: tmp_path / n for n in "OAB"}
    for p in files.values():
        p.write_text(doc(BASE))
    files[which].write_text('{"schema_version": 1, "kind": "orchestrator/task-queue", "rec')
    before = {n: p.read_bytes() for n, p in files.items()}
    res = CliRunner().invoke(app, ["state", "merge", *(str(files[n]) for n in "OAB")])
    assert res.exit_code == 2
    assert str(files[which]) in res.output
    assert {n: p.read_bytes() for n, p in files.items()} == before
