"""The httpx port: smoke/health probes and small webhook posts. httpx is imported on first
use so `agentops --help` never pays for it. A probe never raises for transport trouble:
timeouts and connection errors come back as `error`, because for a health check they are
an answer ("unhealthy"), not a crash.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from agentops import __version__

MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class HttpResult:
    url: str
    status: int | None
    body: str  # decoded text, at most MAX_BODY characters
    error: str | None  # "timeout: ...", "connection error: ...", "http error: ..."
    elapsed_s: float

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 400


class HttpClient:
    """One connection pool for a run. Use as a context manager or call close()."""

    def __init__(self, *, headers: Mapping[str, str] | None = None, follow_redirects: bool = True,
                 max_body: int = MAX_BODY) -> None:
        self._headers = {"User-Agent": f"agentops/{__version__}", **(headers or {})}
        self._follow = follow_redirects
        self._max_body = max_body
        self._client: Any = None

    def _get(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.Client(headers=self._headers, follow_redirects=self._follow)
        return self._client

    def request(self, method: str, url: str, *, timeout_s: float, headers: Mapping[str, str] | None = None,
                json_body: Any = None) -> HttpResult:
        import httpx

        started = time.monotonic()

        def done(status: int | None, body: str, error: str | None) -> HttpResult:
            return HttpResult(url, status, body, error, time.monotonic() - started)

        try:
            resp = self._get().request(method.upper(), url, timeout=timeout_s, headers=dict(headers or {}),
                                       json=json_body)
        except httpx.TimeoutException as exc:
            return done(None, "", f"timeout after {timeout_s:g}s ({type(exc).__name__})")
        except httpx.ConnectError as exc:
            return done(None, "", f"connection error: {exc or type(exc).__name__}")
        except httpx.HTTPError as exc:
            return done(None, "", f"http error: {type(exc).__name__}: {exc}")
        text = resp.text
        if len(text) > self._max_body:
            text = text[: self._max_body]
        return done(resp.status_code, text, None)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def download_tail(url: str, *, max_bytes: int, timeout_s: float) -> HttpResult:
    """GET `url` streaming, keeping only its last `max_bytes` (a CI log's end is where the
    failure is; its start is set-up noise). Never sends credentials: it is for pre-signed URLs."""
    import httpx

    started = time.monotonic()
    tail = bytearray()
    try:
        with httpx.Client(headers={"User-Agent": f"agentops/{__version__}"}, follow_redirects=True) as client, \
                client.stream("GET", url, timeout=timeout_s) as resp:
            for chunk in resp.iter_bytes():
                tail += chunk
                if len(tail) > 2 * max_bytes:
                    del tail[: len(tail) - max_bytes]
            status = resp.status_code
    except httpx.HTTPError as exc:
        return HttpResult(url, None, "", f"http error: {type(exc).__name__}: {exc}", time.monotonic() - started)
    text = bytes(tail[-max_bytes:]).decode("utf-8", errors="replace")
    return HttpResult(url, status, text, None, time.monotonic() - started)
