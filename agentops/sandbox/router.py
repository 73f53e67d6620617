"""Route templates ("/repos/{owner}/{repo}/issues") to handlers; templates are also the
keys under which requests are counted.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentops.sandbox import bodycheck
from agentops.sandbox.api import Request, Response

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator

Handler = Callable[["Emulator", Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", template)
    # A git ref may contain slashes (agentops/12-fix); every other parameter is one segment.
    rx = "".join((f"(?P<{p[1:-1]}>.+?)" if p == "{ref}" else f"(?P<{p[1:-1]}>[^/]+)") if p.startswith("{")
                 else re.escape(p) for p in parts)
    return re.compile(f"^{rx}/?$")


class Routes:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            def checked(emu: Emulator, req: Request) -> Response:
                bodycheck.check(method, template, req.raw_body)
                return fn(emu, req)

            self.routes.append(Route(method, template, _compile(template), checked))
            return fn
        return deco

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_known): path_known tells 404 from 405 when the method is wrong."""
        known = False
        for r in self.routes:
            m = r.pattern.match(path)
            if m is None:
                continue
            known = True
            if r.method == method:
                return r, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}, True
        return None, {}, known

    def extend(self, other: Routes) -> None:
        self.routes.extend(other.routes)
