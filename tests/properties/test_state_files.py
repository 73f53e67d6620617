"""State loader: any file content -> records or StateError, and the file is never touched.
Merge driver: commutative, idempotent and stable on generated record maps with tombstones."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agentops.errors import BadInput, ExitCode, StateError
from agentops.state import docs, schema
from agentops.state.merge import merge
from agentops.state.mergefile import merge_files
from agentops.state.store import Store

DOC = docs.TASK_QUEUE

_JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=12)
_TS = st.sampled_from(["2024-01-01T00:00:00.000000Z", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00+00:00",
                       "2024-06-01T12:00:00.000001Z", "2025-01-01T00:00:00.000000Z", "1970-01-01T00:00:00Z",
                       "not-a-time", "2024-13-01T00:00:00Z", 5, None])
_RECORD_LIKE = st.one_of(
    st.fixed_dictionaries({"data": st.dictionaries(st.text(max_size=5), _JSON, max_size=3), "updated_at": _TS,
                           "writer": st.one_of(st.text(max_size=5), st.none())}),
    st.fixed_dictionaries({"deleted": st.sampled_from([True, False, 1]), "updated_at": _TS,
                           "writer": st.sampled_from(["w1", "w2"])},
                          optional={"data": _JSON, "extra": _JSON}),
    _JSON)
_DOC_LIKE = st.one_of(
    _JSON,
    st.fixed_dictionaries({"schema_version": st.sampled_from([0, 1, 2, -1, True, "1", 1.0]),
                           "kind": st.sampled_from([DOC, docs.METRICS, 3, None]),
                           "records": st.one_of(st.dictionaries(st.text(max_size=6), _RECORD_LIKE, max_size=4),
                                                _JSON)},
                          optional={"other": _JSON}),
    st.dictionaries(st.text(max_size=6), st.dictionaries(st.text(max_size=4), _JSON, max_size=2), max_size=3))


def _contents() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=200),
                     _DOC_LIKE.map(lambda d: json.dumps(d).encode()),
                     _DOC_LIKE.map(lambda d: json.dumps(d).encode()[: max(1, len(json.dumps(d)) // 2)]),
                     st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")))


@given(_contents())
def test_any_state_file_reads_as_records_or_state_error_and_stays_untouched(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp), writer="prop")
        path = store.path(DOC)
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        try:
            records = store.records(DOC)
        except StateError as exc:
            assert exc.exit_code == ExitCode.BAD_INPUT and str(path) in str(exc)
            try:
                store.put(DOC, "k", {"v": 1})  # a write must refuse too, never reset the file
            except StateError:
                pass
            else:
                raise AssertionError("a write went through on a file the reader refused")
        else:
            assert isinstance(records, dict)
            assert all(isinstance(v, dict) for v in records.values())
        assert path.read_bytes() == content


@given(_contents(), _contents(), _contents())
def test_merge_driver_merges_or_refuses_and_keeps_the_sides(base: bytes, ours: bytes, theirs: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / name for name in ("base", "ours", "theirs")]
        for p, content in zip(paths, (base, ours, theirs), strict=True):
            p.write_bytes(content)
        try:
            result = merge_files(*paths, repo_path=f"state/{DOC}.json")
        except BadInput:
            assert paths[1].read_bytes() == ours
        else:
            schema.decode(paths[1].read_text(), where="merged", kind=None)
            assert result.records >= 0
        assert paths[0].read_bytes() == base and paths[2].read_bytes() == theirs


# -- the pure merge ------------------------------------------------------------------------------
_KEYS = st.sampled_from(["o/r#1", "o/r#2", "o/r#3", "o/r#4", "o/r#5"])
_GOOD_TS = st.sampled_from(["2024-01-01T00:00:00.000000Z", "2024-01-01T00:00:00+00:00",
                            "2024-01-01T00:00:01.000000Z", "2024-03-01T00:00:00.000000Z",
                            "2024-03-01T02:00:00+02:00", "2025-01-01T00:00:00.000000Z"])
_WRITERS = st.sampled_from(["", "w1", "w2", "w3"])
_RECORDS = st.one_of(
    st.builds(lambda d, t, w: {"data": d, "updated_at": t, "writer": w},
              st.dictionaries(st.sampled_from(["status", "n", "who"]), st.one_of(st.integers(0, 3), st.text(max_size=3)),
                              max_size=2), _GOOD_TS, _WRITERS),
    st.builds(lambda t, w: {"deleted": True, "updated_at": t, "writer": w}, _GOOD_TS, _WRITERS))
MAPS = st.dictionaries(_KEYS, _RECORDS, max_size=5)


def _both(base: dict[str, Any], x: dict[str, Any], y: dict[str, Any]) -> dict[str, Any]:
    first = merge(base, x, y)
    assert first == merge(base, y, x)
    return first


@given(MAPS, MAPS, MAPS)
def test_merge_is_commutative(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    _both(base, ours, theirs)


@given(MAPS, MAPS)
def test_merge_is_idempotent(base: dict[str, Any], x: dict[str, Any]) -> None:
    assert merge(base, x, x) == x


@given(MAPS, MAPS, MAPS)
def test_merge_of_a_merge_is_stable(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    m = _both(base, ours, theirs)
    assert merge(base, m, m) == m
    assert _both(base, m, ours) == m  # merging a side in again changes nothing
    assert _both(base, m, theirs) == m


@given(MAPS, MAPS, MAPS)
def test_merge_keeps_every_newest_version(base: dict[str, Any], ours: dict[str, Any],
                                          theirs: dict[str, Any]) -> None:
    m = merge(base, ours, theirs)
    for key in set(ours) & set(theirs):
        a, b = ours[key], theirs[key]
        newest = max((a, b), key=lambda r: (schema.parse_ts(r["updated_at"]), r["writer"],
                                            json.dumps(r, sort_keys=True, separators=(",", ":"))))
        if a.get("deleted") or b.get("deleted") or (base.get(key) or {}).get("deleted") or a == b:
            assert m[key] == newest  # tombstones resolve whole: the newest version wins
            continue
        if key in base and base[key] in (a, b):
            assert m[key] == (b if base[key] == a else a)  # only one side changed it: that side's
            continue
        # Live on both sides: merged field by field, stamped as the newest version; every value
        # comes from one side (nothing invented), and with no ancestor a field only one side set
        # is kept (one clone's claim survives another clone's sync of the same task).
        assert (m[key]["updated_at"], m[key]["writer"]) == (newest["updated_at"], newest["writer"])
        da, db, dm = a["data"], b["data"], m[key]["data"]
        for field, value in dm.items():
            assert value in (da.get(field), db.get(field)), field
        if key not in base:
            for field in set(da) ^ set(db):
                one = da.get(field) if field in da else db.get(field)
                if one is not None:
                    assert dm.get(field) == one, field
    for key in set(ours) ^ set(theirs):
        present = ours.get(key) or theirs[key]
        if base.get(key) != present:
            assert m[key] == present  # a record one side changed or added is never lost
