"""Request/response values shared by the route modules, and GitHub-shaped errors."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """Answered as GitHub does: {"message", "documentation_url"[, "errors"]}."""

    def __init__(self, status: int, message: str, *, errors: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "documentation_url": DOCS, "status": str(self.status)}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def validation(*errors: Any, message: str = "Validation Failed") -> ApiError:
    return ApiError(422, message, errors=list(errors))


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    raw_body: bytes
    base_url: str
    user: str | None = None
    params: dict[str, str] = field(default_factory=dict)  # from the route template

    def json_any(self) -> Any:
        if not self.raw_body:
            return None
        try:
            return json.loads(self.raw_body)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested thousands of levels deep
            raise ApiError(400, "Problems parsing JSON") from exc

    def json(self) -> dict[str, Any]:
        data = self.json_any()
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        return data

    def q_int(self, name: str, default: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise validation({"resource": "Query", "field": name, "code": "invalid"}) from exc

    def q_time(self, name: str) -> dt.datetime | None:
        raw = self.query.get(name)
        if not raw:
            return None
        try:
            return parse_time(raw)
        except ValueError as exc:
            raise validation({"resource": "Query", "field": name, "code": "invalid"}) from exc

    def page_url(self, page: int) -> str:
        q = dict(self.query)
        q["page"] = str(page)
        return f"{self.base_url}{self.path}?{urllib.parse.urlencode(q)}"


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able; None = no body
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: dt.datetime | None = None


def iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(raw: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


MAX_PER_PAGE = 100


def paginate(req: Request, items: list[Any], *, wrap: str | None = None, total: int | None = None,
             conv: Callable[[Any], Any] | None = None) -> Response:
    """One page of `items` with GitHub's Link header (`wrap`: {"total_count", wrap: [...]}).
    `conv` turns an item into its JSON shape: only the page's items are converted, so a page
    costs the same whatever the total."""
    per_page = min(max(req.q_int("per_page", 30), 1), MAX_PER_PAGE)
    page = max(req.q_int("page", 1), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page: page * per_page]
    if conv is not None:
        chunk = [conv(x) for x in chunk]
    links = []
    if page > 1:
        links.append(f'<{req.page_url(page - 1)}>; rel="prev"')
    if page < last:
        links.append(f'<{req.page_url(page + 1)}>; rel="next"')
        links.append(f'<{req.page_url(last)}>; rel="last"')
    if page > 1:
        links.append(f'<{req.page_url(1)}>; rel="first"')
    headers = {"Link": ", ".join(links)} if links else {}
    body: Any = chunk if wrap is None else {"total_count": len(items) if total is None else total, wrap: chunk}
    return Response(200, body, headers)
