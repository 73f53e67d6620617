"""The demo's deploy target: a tiny HTTP service on 127.0.0.1 serving one release of the sample
project.

    python service.py --port P --app-dir RELEASE --version SHA

GET /health answers 200 {"status": "ok", ...} when the deployed code passes a self-check
(calc.stats.mean([1, 2, 3]) == 2), else 500 {"status": "failing", ...}. GET /mean?values=1,2,3
uses the deployed code. SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import FrameType
from typing import Any


def _mean(values: list[float]) -> float:
    stats: Any = importlib.import_module("calc.stats")
    return float(stats.mean(values))


class Handler(BaseHTTPRequestHandler):
    version = "unknown"

    def _answer(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/health":
            try:
                got = _mean([1.0, 2.0, 3.0])
            except Exception as exc:  # the deployed code itself is broken: report it, stay up
                self._answer(500, {"status": "failing", "version": self.version, "error": repr(exc)})
                return
            ok = abs(got - 2.0) < 1e-9
            self._answer(200 if ok else 500, {"status": "ok" if ok else "failing", "version": self.version,
                                              "self_check": {"mean([1, 2, 3])": got}})
        elif parts.path == "/mean":
            raw = urllib.parse.parse_qs(parts.query).get("values", [""])[0]
            try:
                values = [float(v) for v in raw.split(",") if v.strip()]
                self._answer(200, {"mean": _mean(values), "version": self.version})
            except (ValueError, ZeroDivisionError) as exc:
                self._answer(400, {"error": str(exc)})
        else:
            self._answer(200, {"service": "agentops demo", "version": self.version,
                               "endpoints": ["/health", "/mean?values=1,2,3"]})

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("service: " + (format % args) + "\n")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--app-dir", required=True)
    p.add_argument("--version", default="unknown")
    args = p.parse_args(argv)
    sys.path.insert(0, args.app_dir)
    Handler.version = args.version
    server = HTTPServer(("127.0.0.1", args.port), Handler)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
