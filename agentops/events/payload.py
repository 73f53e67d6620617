"""Read a webhook payload: the fields the routing rules need, checked, nothing else.

A payload is untrusted input: a wrong type or a missing field where a rule needs one is a
BadInput (exit 2) naming the field, never a KeyError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentops.errors import BadInput

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB


@dataclass(frozen=True)
class Event:
    name: str
    payload: Mapping[str, Any]
    source: str = "payload"

    @property
    def action(self) -> str | None:
        a = self.payload.get("action")
        return a if isinstance(a, str) else None

    def get(self, path: str, tp: type | tuple[type, ...] = str, *, required: bool = True) -> Any:
        """The value at dotted `path` (e.g. "pull_request.head.ref"), of type `tp`."""
        node: Any = self.payload
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node or node[part] is None:
                if required:
                    raise BadInput(f"{self.source}: {self.name} payload has no `{path}`")
                return None
            node = node[part]
        if isinstance(node, bool) and tp is int or not isinstance(node, tp):
            raise BadInput(f"{self.source}: {self.name} payload field `{path}` is a {type(node).__name__}, "
                           f"expected {_tname(tp)}")
        return node

    @property
    def repo(self) -> str:
        full: str = self.get("repository.full_name")
        if full.count("/") != 1 or not all(full.split("/")):
            raise BadInput(f"{self.source}: repository.full_name {full[:80]!r} is not OWNER/NAME")
        return full

    @property
    def sender(self) -> str:
        login: str | None = self.get("sender.login", required=False)
        return login or ""

    def labels(self, path: str) -> list[str]:
        raw = self.get(path, list, required=False) or []
        return [lb["name"] for lb in raw if isinstance(lb, Mapping) and isinstance(lb.get("name"), str)]


def _tname(tp: type | tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in tp) if isinstance(tp, tuple) else tp.__name__


def load_event(name: str, path: Path | str) -> Event:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_PAYLOAD_BYTES:
            raise BadInput(f"{p}: event payload larger than {MAX_PAYLOAD_BYTES} bytes")
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{p}: cannot read the event payload ({exc})") from None
    return parse_event(name, text, source=str(p))


def parse_event(name: str, text: str, *, source: str = "payload") -> Event:
    if not name or not name.replace("_", "").isalnum():
        raise BadInput(f"event name {name[:60]!r} is not a GitHub event name")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{source}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadInput(f"{source}: the event payload is a {type(data).__name__}, expected a JSON object")
    return Event(name, data, source)
