"""Hidden markers on everything agentops writes to GitHub: `<!-- agentops:KIND key=value ... -->`.

A marker makes a write idempotent: before creating, look for the marker; if found,
update in place. Values are percent-encoded so spaces, `=` and `-->` cannot break out.

Anyone can paste a marker into an issue, comment or pull request, so a marker counts only on an
object agentops's own identity wrote (`Authors`): read markers through `own_marker`, never
`find_marker`, wherever the object came from GitHub. `foreign_markers` names the others, so a
forgery is reported instead of silently honoured or silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

_MARKER_RE = re.compile(r"<!--\s*agentops:([a-z][a-z0-9_-]*)((?:\s+[A-Za-z0-9_.-]+=[^\s>]*)*)\s*-->")
_PAIR_RE = re.compile(r"([A-Za-z0-9_.-]+)=([^\s>]*)")
_SAFE = "/#:@+,;._~!$()*'"


@dataclass(frozen=True)
class Marker:
    kind: str
    fields: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.fields.get(key, default)

    def render(self) -> str:
        return make_marker(self.kind, **self.fields)

    def matches(self, kind: str, **want: object) -> bool:
        return self.kind == kind and all(self.fields.get(k) == str(v) for k, v in want.items())


def make_marker(kind: str, **fields: object) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", kind):
        raise ValueError(f"bad marker kind {kind!r}")
    parts = [f"agentops:{kind}"]
    for key in sorted(fields):
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
            raise ValueError(f"bad marker key {key!r}")
        parts.append(f"{key}={quote(str(fields[key]), safe=_SAFE)}")
    return "<!-- " + " ".join(parts) + " -->"


def find_markers(text: str | None) -> list[Marker]:
    if not text:
        return []
    out = []
    for m in _MARKER_RE.finditer(text):
        pairs = {k: unquote(v) for k, v in _PAIR_RE.findall(m.group(2))}
        out.append(Marker(m.group(1), pairs))
    return out


def find_marker(text: str | None, kind: str, **want: object) -> Marker | None:
    for m in find_markers(text):
        if m.matches(kind, **want):
            return m
    return None


def strip_markers(text: str) -> str:
    return _MARKER_RE.sub("", text)


@dataclass(frozen=True)
class Authors:
    """The GitHub logins that are agentops itself: the token's user, or the App's `<slug>[bot]`.
    Logins compare case-insensitively, as GitHub treats them."""

    logins: frozenset[str]

    @classmethod
    def of(cls, logins: Iterable[str]) -> Authors:
        return cls(frozenset(x.strip().lower() for x in logins if x and x.strip()))

    def wrote(self, author: str | None) -> bool:
        return bool(author) and (author or "").strip().lower() in self.logins


def own_marker(text: str | None, author: str | None, me: Authors, kind: str, **want: object) -> Marker | None:
    """The marker of `kind` on an object, only when `me` wrote the object."""
    return find_marker(text, kind, **want) if me.wrote(author) else None


@dataclass(frozen=True)
class ForeignMarker:
    """A marker on an object someone other than agentops wrote: ignored, and reported."""

    kind: str
    author: str
    where: str  # "comment 123", "issue body", "pull request #7"

    def describe(self) -> str:
        return f"agentops:{self.kind} marker in {self.where} by @{self.author or '(unknown)'} ignored (not written by agentops)"


def foreign_markers(text: str | None, author: str | None, me: Authors, where: str) -> list[ForeignMarker]:
    if me.wrote(author):
        return []
    return [ForeignMarker(m.kind, author or "", where) for m in find_markers(text)]
