"""The embedded GitHub emulator: a threaded loopback HTTP server speaking the subset of
GitHub's REST API that agentops uses, with auth, rate-limit headers, ETags, faults and
request counts. Standard library only.

    emu = Emulator(data_dir=tmp_path / "emu"); emu.start()
    Github(base_url=emu.url, auth=Auth.Token(emu.token))
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import hashlib
import json
import shutil
import socket
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agentops.sandbox.api import ApiError, Request, Response
from agentops.sandbox.catalog import all_routes
from agentops.sandbox.faults import Fault, Faults
from agentops.sandbox.state import DEFAULT_USER, State

RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
ADMIN_PREFIX = "/_emulator/"
UNMATCHED = "(unmatched)"


@dataclass
class RateLimit:
    limit: int = 5000
    remaining: int = 5000
    reset: int | None = None  # epoch seconds; None: an hour after the window opens

    def headers(self, now: float) -> dict[str, str]:
        return {"x-ratelimit-limit": str(self.limit), "x-ratelimit-remaining": str(self.remaining),
                "x-ratelimit-used": str(self.limit - self.remaining), "x-ratelimit-reset": str(self.reset_at(now)),
                "x-ratelimit-resource": "core"}

    def reset_at(self, now: float) -> int:
        if self.reset is None:
            self.reset = int(now) + 3600
        return self.reset

    def refill_if_due(self, now: float) -> None:
        if self.reset is not None and now >= self.reset:
            self.remaining = self.limit
            self.reset = int(now) + 3600


Result = tuple[int, dict[str, str], bytes]


class Emulator:
    def __init__(self, data_dir: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 user: str = DEFAULT_USER, token: str | None = None) -> None:
        self._own_dir = data_dir is None  # a temp dir we made is ours to delete on stop()
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="agentops-emulator-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port
        self.state = State(self.data_dir)
        self.user = user
        self.token = self.state.add_user(user, token=token)
        self.faults = Faults()
        self.latency = 0.0
        self.rate = RateLimit()
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, int]] = Counter()
        self._routes = all_routes()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> Emulator:
        handler = type("EmulatorHandler", (_Handler,), {"emulator": self})
        self._server = _Server((self.host, self.port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="agentops-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- knobs ----------------------------------------------------------------------
    @property
    def now(self) -> Callable[[], dt.datetime]:
        return self.state.now

    @now.setter
    def now(self, fn: Callable[[], dt.datetime]) -> None:
        self.state.now = fn

    def _epoch(self) -> float:
        return self.state.clock().timestamp()

    def set_rate_limit(self, limit: int = 5000, remaining: int | None = None, reset: int | float | None = None) -> None:
        with self._lock:
            self.rate = RateLimit(limit, limit if remaining is None else remaining,
                                  None if reset is None else int(reset))

    def counts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"method": m, "route": r, "status": s, "count": n}
                    for (m, r, s), n in sorted(self._counts.items())]

    def total_requests(self, method: str | None = None, route: str | None = None) -> int:
        with self._lock:
            return sum(n for (m, r, _), n in self._counts.items()
                       if (method is None or m == method.upper()) and (route is None or r == route))

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def _count(self, method: str, route: str, status: int) -> None:
        with self._lock:
            self._counts[(method, route, status)] += 1

    # -- request handling -----------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Result | None:
        """One request -> (status, headers, body), or None to drop the connection unanswered."""
        parts = urllib.parse.urlsplit(raw_path)
        path = parts.path
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        host = headers.get("host")
        base = f"http://{host}" if host else (self.url if self._server else f"http://{self.host}:{self.port}")
        req = Request(method, path, query, headers, body, base)
        if path.startswith(ADMIN_PREFIX):
            from agentops.sandbox.admin import handle_admin

            return self._encode(req, self._safe(lambda: handle_admin(self, req)), {})
        if self.latency:
            time.sleep(self.latency)
        route, params, known = self._routes.match(method, path)
        template = route.template if route else UNMATCHED
        req.params = params
        fault = self.faults.take(method, path)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.drop and not fault.after_action:
            self._count(method, template, 0)
            return None
        result = self._answer(req, route, known, fault)
        if result is None:
            self._count(method, template, 0)
        else:
            self._count(method, template, result[0])
        return result

    def _answer(self, req: Request, route: Any, known: bool, fault: Fault | None) -> Result | None:
        refused = ApiError(401, "Bad credentials")
        try:
            user = self._authenticate(req.headers.get("authorization", ""), route.template if route else UNMATCHED)
        except ApiError as exc:  # a bad App JWT, or a credential of the wrong kind for the route
            user, refused = None, exc
        with self._lock:
            now = self._epoch()
            self.rate.refill_if_due(now)
            if user is None:
                return self._encode(req, Response(refused.status, refused.body()), self.rate.headers(now))
            req.user = user
            if fault is not None and fault.status is not None and not fault.after_action:
                return self._fault(req, fault, self.rate.headers(now))
            free = route is not None and route.template == "/rate_limit"
            if not free and self.rate.remaining <= 0:
                uid = self.state.user(user).id
                return self._encode(req, Response(403, {"message": f"API rate limit exceeded for user ID {uid}.",
                                                        "documentation_url": RATE_DOCS, "status": "403"}),
                                    self.rate.headers(now))
        if route is None:
            resp = Response(405 if known else 404, ApiError(405 if known else 404,
                                                            "Method Not Allowed" if known else "Not Found").body())
        else:
            resp = self._safe(lambda: route.handler(self, req))
        not_modified = self._conditional(req, resp)
        with self._lock:
            now = self._epoch()
            free = route is not None and route.template == "/rate_limit"
            if not (free or not_modified):
                self.rate.remaining = max(self.rate.remaining - 1, 0)
            rate_headers = self.rate.headers(now)
        if fault is not None and fault.after_action:
            if fault.drop:
                return None
            if fault.status is not None:
                return self._fault(req, fault, rate_headers)
        return self._encode(req, resp, rate_headers)

    def _authenticate(self, header: str, template: str) -> str | None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token.strip():
            return None
        return self.state.apps.authenticate(token.strip(), template)

    def _safe(self, fn: Callable[[], Response]) -> Response:
        try:
            with self.state.lock:
                return fn()
        except ApiError as exc:
            return Response(exc.status, exc.body(), exc.headers)
        except RecursionError:  # a body nested deeper than any route reads: GitHub answers 400 too
            return Response(400, ApiError(400, "Problems parsing JSON").body())

    def _fault(self, req: Request, fault: Fault, rate_headers: dict[str, str]) -> Result:
        assert fault.status is not None
        headers = dict(rate_headers)
        headers.update(fault.headers())
        return self._encode(req, Response(fault.status, fault.body()), headers)

    def _conditional(self, req: Request, resp: Response) -> bool:
        """Turn a GET 200 into a 304 when the client's validators still match."""
        if req.method != "GET" or resp.status != 200:
            return False
        data = _dump(resp.body)
        etag = f'"{hashlib.sha256(data).hexdigest()[:40]}"'
        resp.headers["ETag"] = etag
        if resp.last_modified is not None:
            resp.headers["Last-Modified"] = email.utils.format_datetime(resp.last_modified.astimezone(dt.UTC),
                                                                        usegmt=True)
        inm = req.headers.get("if-none-match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            matched = etag in tags or "*" in tags
        else:
            matched = _not_modified_since(req.headers.get("if-modified-since"), resp.last_modified)
        if matched:
            resp.status = 304
            resp.body = None
        return matched

    def _encode(self, req: Request, resp: Response, rate_headers: dict[str, str]) -> Result:
        headers = {"Content-Type": "application/json; charset=utf-8", "X-GitHub-Media-Type": "github.v3; format=json",
                   "X-GitHub-Api-Version-Selected": "2022-11-28"}
        headers.update(rate_headers)
        headers.update(resp.headers)
        data = b"" if resp.body is None or resp.status in (204, 304) else _dump(resp.body)
        return resp.status, headers, data


def _dump(body: Any) -> bytes:
    if isinstance(body, bytes):  # a download (job logs), sent as it is
        return body
    return json.dumps(body, separators=(",", ":")).encode() if body is not None else b""


def _not_modified_since(header: str | None, last_modified: dt.datetime | None) -> bool:
    if not header or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return calendar.timegm(last_modified.utctimetuple()) <= since.timestamp()


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog of 5 reset ~1% of connections at 200 concurrent clients.
    request_queue_size = 1024
    daemon_threads = True


MAX_BODY = 64 << 20  # larger request bodies are refused (413) rather than read into memory


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    emulator: Emulator
    timeout = 60
    # One buffered write per response and no Nagle: split header/body writes otherwise meet
    # delayed ACKs and cost ~40 ms per request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        header = self.headers.get("Content-Length")
        raw_length = "0" if header is None else header.strip()
        if not raw_length.isdigit() or not raw_length.isascii():  # "abc", "-1", "1e3": the body cannot be framed
            self._refuse(400, f"invalid Content-Length {raw_length[:40]!r}")
            return
        length = int(raw_length)
        if length > MAX_BODY:
            self._refuse(413, f"request body of {length} bytes is larger than {MAX_BODY}")
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        result = self.emulator.handle(self.command, self.path, headers, body)
        if result is None:
            # A dropped connection: close the socket without a byte of response.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status, out_headers, data = result
        self.send_response(status)
        for k, v in out_headers.items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _refuse(self, status: int, message: str) -> None:
        """Answer without reading the body, then close: after a bad length the stream position is unknown."""
        data = json.dumps({"message": message}).encode()
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return
