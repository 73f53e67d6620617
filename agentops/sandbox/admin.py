"""Admin routes under /_emulator/: no auth, never counted, for tests and demos driving a
server in another process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentops.sandbox.api import ApiError, Request, Response, not_found
from agentops.sandbox.seed import SeedError, apply_seed, dump_state

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator


def handle_admin(emu: Emulator, req: Request) -> Response:
    key = (req.method, req.path.rstrip("/"))
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
