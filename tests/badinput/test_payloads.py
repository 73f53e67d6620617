"""Hostile HTTP input to the embedded emulator (the same server `agentops sandbox serve` runs): every request
gets an answer (4xx), never a dropped or hung connection, and a bad admin fault never lands."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from agentops.sandbox.server import Emulator

REPO = "agentops-bot/app"


def _raw(emu: Emulator, request: bytes) -> tuple[int, bytes]:
    """Send bytes as they are; the status code and body of the answer (the socket times out instead of hanging)."""
    host, port = emu.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
            length = next((int(h.split(b":")[1]) for h in head.split(b"\r\n")
                           if h.lower().startswith(b"content-length:")), None)
            if length is not None and len(body) >= length:
                break
    data = b"".join(chunks)
    assert data, "connection closed without an answer"
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def _post(emu: Emulator, path: str, body: bytes, *, length: str | None = None, token: bool = True) -> bytes:
    headers = [f"POST {path} HTTP/1.1", "Host: localhost", "Content-Type: application/json",
               f"Content-Length: {len(body) if length is None else length}", "Connection: close"]
    if token:
        headers.append(f"Authorization: token {emu.token}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    emulator.state.create_repo(REPO)
    return emulator


NESTED = [
    ("nested-arrays-100k", b"[" * 100_000 + b"]" * 100_000),
    ("nested-objects-50k", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    ("nested-title", b'{"title":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
]


@pytest.mark.parametrize("body", [n[1] for n in NESTED], ids=[n[0] for n in NESTED])
def test_deeply_nested_json_is_400(emu: Emulator, body: bytes) -> None:
    status, answer = _raw(emu, _post(emu, f"/repos/{REPO}/issues", body))
    assert status == 400 and b"Problems parsing JSON" in answer


BAD_LENGTHS = [("letters", "abc"), ("negative", "-5"), ("float", "1.5"), ("exponent", "1e3"), ("blank", " "),
               ("unicode-digits", "\u0661\u0662"), ("huge", str(1 << 40))]


@pytest.mark.parametrize("length", [b[1] for b in BAD_LENGTHS], ids=[b[0] for b in BAD_LENGTHS])
def test_bad_content_length_is_answered_not_dropped(emu: Emulator, length: str) -> None:
    status, answer = _raw(emu, _post(emu, f"/repos/{REPO}/issues", b'{"title": "x"}', length=length))
    assert status == (413 if length == str(1 << 40) else 400), answer
    assert emu.state.repo(REPO).issues == {}


BAD_FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("status-string", {"status": "x"}),
    ("status-999", {"status": 999}),
    ("status-negative", {"status": -1}),
    ("status-bool", {"status": True}),
    ("status-float", {"status": 500.5}),
    ("count-zero", {"status": 500, "count": 0}),
    ("count-string", {"status": 500, "count": "3"}),
    ("latency-negative", {"latency": -1}),
    ("latency-hour-plus", {"latency": 1e9}),
    ("retry-after-string", {"status": 429, "retry_after": "soon"}),
    ("path-bad-regex", {"status": 500, "path": "(("}),
    ("path-not-string", {"status": 500, "path": 5}),
    ("drop-string", {"drop": "yes", "status": None}),
    ("unknown-field", {"status": 500, "explode": True}),
]


@pytest.mark.parametrize("fault", [f[1] for f in BAD_FAULTS], ids=[f[0] for f in BAD_FAULTS])
def test_admin_fault_route_rejects_bad_faults_with_422(emu: Emulator, fault: dict[str, Any]) -> None:
    status, answer = _raw(emu, _post(emu, "/_emulator/faults", json.dumps(fault).encode(), token=False))
    assert status == 422, answer
    assert emu.faults.pending() == []
    ok, _ = _raw(emu, f"GET /repos/{REPO} HTTP/1.1\r\nHost: x\r\nAuthorization: token {emu.token}\r\n"
                      "Connection: close\r\n\r\n".encode())
    assert ok == 200  # nothing half-stored that breaks the next request
