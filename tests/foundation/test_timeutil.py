from __future__ import annotations

import datetime as dt

import pytest

from agentops.domain.timeutil import iso, parse_time

UTC = dt.UTC


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-05-01T12:00:00Z", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ("2024-05-01T12:00:00.5Z", dt.datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)),
    ("2024-05-01T14:00:00+02:00", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    (" 2024-05-01T12:00:00z ", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ("2024-05-01T12:00:00", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    (dt.datetime(2024, 5, 1, 12), dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ("", None), ("yesterday", None), (None, None), (17, None),
])
def test_parse_time(value: object, expected: dt.datetime | None) -> None:
    got = parse_time(value)
    assert got == expected
    assert got is None or got.tzinfo is UTC


def test_iso_round_trip() -> None:
    t = dt.datetime(2024, 5, 1, 14, 0, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert iso(t) == "2024-05-01T12:00:00.250000Z"
    assert iso(t, timespec="seconds") == "2024-05-01T12:00:00Z"
    assert parse_time(iso(t)) == t
