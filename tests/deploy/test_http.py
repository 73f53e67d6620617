from __future__ import annotations

import httpx
import respx

from agentops.http import HttpClient


@respx.mock
def test_request_returns_status_and_body() -> None:
    route = respx.get("http://svc.test/health").mock(return_value=httpx.Response(503, text="down"))
    with HttpClient() as http:
        r = http.request("get", "http://svc.test/health", timeout_s=1)
    assert (r.status, r.body, r.error, r.ok) == (503, "down", None, False)
    assert route.called and route.calls[0].request.headers["User-Agent"].startswith("agentops/")


@respx.mock
def test_timeouts_and_connection_errors_are_results_not_exceptions() -> None:
    respx.get("http://svc.test/slow").mock(side_effect=httpx.ReadTimeout("slow"))
    respx.get("http://svc.test/gone").mock(side_effect=httpx.ConnectError("refused"))
    respx.get("http://svc.test/weird").mock(side_effect=httpx.RemoteProtocolError("bad"))
    with HttpClient() as http:
        slow = http.request("GET", "http://svc.test/slow", timeout_s=0.5)
        gone = http.request("GET", "http://svc.test/gone", timeout_s=0.5)
        weird = http.request("GET", "http://svc.test/weird", timeout_s=0.5)
    assert slow.status is None and slow.error is not None and slow.error.startswith("timeout after 0.5s")
    assert gone.error is not None and gone.error.startswith("connection error")
    assert weird.error is not None and weird.error.startswith("http error")


@respx.mock
def test_body_is_bounded() -> None:
    respx.get("http://svc.test/big").mock(return_value=httpx.Response(200, text="x" * 1000))
    with HttpClient(max_body=100) as http:
        r = http.request("GET", "http://svc.test/big", timeout_s=1)
    assert r.ok and len(r.body) == 100
