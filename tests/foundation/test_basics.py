from __future__ import annotations

import socket

import pytest

from agentops.domain.markers import find_marker, find_markers, make_marker, strip_markers
from agentops.redact import REDACTED, Redactor


def test_network_guard_blocks_non_loopback() -> None:
    s = socket.socket()
    try:
        with pytest.raises(AssertionError, match="reach the network"):
            s.connect(("192.0.2.1", 443))
    finally:
        s.close()


def test_marker_round_trip_escapes_hostile_values() -> None:
    m = make_marker("claim", agent="a b", worker="w=1", note="x --> y")
    assert "-->" not in m[4:-3]
    body = f"hello\n{m}\n"
    found = find_marker(body, "claim", agent="a b")
    assert found is not None
    assert found.fields == {"agent": "a b", "note": "x --> y", "worker": "w=1"}
    assert strip_markers(body).strip() == "hello"
    assert find_markers("no markers") == []


def test_redactor_literal_and_token_shapes() -> None:
    r = Redactor(["s3cr3t-value"])
    text = "token ghp_" + "a" * 36 + " and s3cr3t-value and https://user:pw@host/x"
    out = r.redact(text)
    assert "s3cr3t-value" not in out and "ghp_" not in out and "pw@" not in out
    assert out.count(REDACTED) == 3
