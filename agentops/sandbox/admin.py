"""Admin routes under /_emulator/: no auth, never counted, for tests and demos driving a
server in another process.
"""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import ApiError, Request, Response, not_found
from agentops.sandbox.jobs import BLOB_PREFIX, blob_signature, find_job
from agentops.sandbox.seed import SeedError, apply_seed, dump_state

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator


def handle_admin(emu: Emulator, req: Request) -> Response:
    key = (req.method, req.path.rstrip("/"))
    if req.method == "GET" and req.path.startswith(BLOB_PREFIX):
        return _job_log_blob(emu, req)
    if key == ("GET", "/_emulator/counts"):
        return Response(200, {"counts": emu.counts(), "total": emu.total_requests()})
    if key == ("POST", "/_emulator/counts/reset"):
        emu.reset_counts()
        return Response(204)
    if key == ("GET", "/_emulator/faults"):
        return Response(200, {"faults": emu.faults.pending()})
    if key == ("POST", "/_emulator/faults"):
        data = req.json()
        allowed = {"method", "path", "status", "count", "retry_after", "latency", "drop", "after_action", "message"}
        if set(data) - allowed:
            raise ApiError(422, f"unknown fault fields {sorted(set(data) - allowed)}")
        _check_fault(data)
        try:
            fault = emu.faults.add(**data)
        except (TypeError, ValueError) as exc:
            raise ApiError(422, str(exc)) from exc
        return Response(201, {"fault": fault.describe()})
    if key == ("DELETE", "/_emulator/faults"):
        emu.faults.clear()
        return Response(204)
    if key == ("POST", "/_emulator/rate-limit"):
        data = req.json()
        try:
            emu.set_rate_limit(int(data.get("limit", 5000)),
                               None if data.get("remaining") is None else int(data["remaining"]),
                               data.get("reset"))
        except (TypeError, ValueError) as exc:
            raise ApiError(422, str(exc)) from exc
        return Response(200, {"limit": emu.rate.limit, "remaining": emu.rate.remaining, "reset": emu.rate.reset})
    if key == ("GET", "/_emulator/state"):
        return Response(200, dump_state(emu.state))
    if key == ("POST", "/_emulator/seed"):
        try:
            tokens = apply_seed(emu.state, req.json())
        except SeedError as exc:
            raise ApiError(422, str(exc)) from exc
        return Response(200, {"tokens": tokens})
    raise not_found()


def _job_log_blob(emu: Emulator, req: Request) -> Response:
    """The download a job-log redirect points at: plain text, no token, valid only with the
    signature the redirect carried (as GitHub's pre-signed log URLs)."""
    parts = req.path[len(BLOB_PREFIX):].split("/")
    if len(parts) != 3:
        raise not_found()
    try:
        repo = emu.state.repo(f"{parts[0]}/{parts[1]}")
        job = find_job(repo, parts[2])
    except ApiError as exc:
        raise not_found() from exc
    if not hmac.compare_digest(req.query.get("sig", ""), blob_signature(emu.state, repo, job)):
        raise ApiError(403, "Signature mismatch")
    return Response(200, job.log.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})


def _check_fault(data: dict[str, Any]) -> None:
    """Field types and ranges: a status of "x" or 999 would otherwise be stored and break the next request."""
    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    status = data.get("status", 502)
    if status is not None and not (isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599):
        raise ApiError(422, f"status must be an HTTP status 100-599 or null, got {status!r}")
    count = data.get("count", 1)
    if count is not None and not (isinstance(count, int) and not isinstance(count, bool) and count >= 1):
        raise ApiError(422, f"count must be a positive integer or null, got {count!r}")
    for name in ("latency", "retry_after"):
        v = data.get(name)
        if v is not None and not (number(v) and 0 <= v <= 3600):
            raise ApiError(422, f"{name} must be a number of seconds 0-3600, got {v!r}")
    for name in ("method", "path", "message"):
        v = data.get(name)
        if v is not None and not isinstance(v, str):
            raise ApiError(422, f"{name} must be a string, got {v!r}")
    for name in ("drop", "after_action"):
        if name in data and not isinstance(data[name], bool):
            raise ApiError(422, f"{name} must be true or false, got {data[name]!r}")
    if isinstance(data.get("path"), str):
        try:
            re.compile(data["path"])
        except re.error as exc:
            raise ApiError(422, f"path is not a regular expression: {exc}") from None
