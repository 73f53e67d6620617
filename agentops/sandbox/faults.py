"""Injected failures: a status for the next N matching requests, Retry-After, latency,
dropped connections, and "the server acted, then failed" (after_action).
"""

from __future__ import annotations

import http
import re
import threading
from dataclasses import dataclass
from typing import Any

SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                     "If you reach out to GitHub Support for help, please include the request ID.")


@dataclass
class Fault:
    method: str | None  # None = any method
    path: re.Pattern[str]  # searched in the request path (no query)
    status: int | None  # None: only latency/drop
    remaining: int | None  # None = until cleared
    retry_after: float | None = None
    latency: float = 0.0
    drop: bool = False
    after_action: bool = False
    message: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and self.path.search(path) is not None

    def body(self) -> dict[str, Any]:
        assert self.status is not None
        if self.message:
            msg = self.message
        elif self.status in (403, 429):
            msg = SECONDARY_MESSAGE
        elif self.status >= 500:
            msg = "Server Error"
        else:
            msg = http.HTTPStatus(self.status).phrase
        return {"message": msg, "documentation_url": "https://docs.github.com/rest", "status": str(self.status)}

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        ra = self.retry_after
        return {"Retry-After": str(int(ra)) if float(ra).is_integer() else str(ra)}

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path.pattern, "status": self.status, "count": self.remaining,
                "retry_after": self.retry_after, "latency": self.latency, "drop": self.drop,
                "after_action": self.after_action}


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, method: str | None = "POST", path: str = r".*", status: int | None = 502, count: int | None = 1,
            retry_after: float | None = None, latency: float = 0.0, drop: bool = False,
            after_action: bool = False, message: str | None = None) -> Fault:
        """Fail the next `count` requests whose path matches the regex `path` (re.search)."""
        if status is None and not drop and not latency:
            raise ValueError("a fault needs a status, drop=True or a latency")
        fault = Fault(method.upper() if method else None, re.compile(path), status, count, retry_after, latency,
                      drop, after_action, message)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first live fault matching this request, spending one of its uses."""
        with self._lock:
            for f in self._faults:
                if f.matches(method, path):
                    if f.remaining is not None:
                        f.remaining -= 1
                        if f.remaining <= 0:
                            self._faults.remove(f)
                    return f
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]
