"""Find secrets in outgoing bytes: every known secret value in plain, base64 (at each of the three
byte alignments, so a token inside a longer encoded string is found too), base64url, hex and
URL-encoded forms, plus well-known token shapes in plain text and inside base64 or hex runs.

A hit names where and what kind, never the value. Pure: the caller feeds bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

MIN_SECRET_LEN = 8  # shorter values would match ordinary text

TOKEN_SHAPES: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("GitHub token (ghp_/gho_/ghu_/ghs_/ghr_)", re.compile(rb"\bgh[pousr]_[A-Za-z0-9]{36,}")),
    ("GitHub fine-grained token (github_pat_)", re.compile(rb"\bgithub_pat_[A-Za-z0-9_]{22,}")),
    ("Anthropic key (sk-ant-)", re.compile(rb"\bsk-ant-[A-Za-z0-9_\-]{20,}")),
    ("OpenAI key (sk-)", re.compile(rb"\bsk-(?:proj-)?[A-Za-z0-9]{32,}")),
    ("AWS access key id (AKIA)", re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("Slack token (xox)", re.compile(rb"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("Google API key (AIza)", re.compile(rb"\bAIza[0-9A-Za-z_\-]{35}")),
    ("private key", re.compile(rb"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
)
_B64_RUN = re.compile(rb"[A-Za-z0-9+/_\-]{24,}={0,2}")
_HEX_RUN = re.compile(rb"(?:[0-9a-fA-F]{2}){16,}")


@dataclass(frozen=True)
class Needle:
    name: str  # e.g. "GH_TOKEN (base64)": what was found, never the value
    data: bytes
    fold_case: bool = False


@dataclass(frozen=True)
class Hit:
    where: str  # file path, "commit message" ...
    kind: str


def _b64_forms(value: bytes) -> set[bytes]:
    """The stable middle of base64(value) at each alignment: what any base64 text containing the
    value's bytes must contain, whatever came before or after it."""
    forms: set[bytes] = set()
    for lead in range(3):
        enc = base64.b64encode(b"\0" * lead + value)
        skip = (0, 2, 3)[lead]
        total = lead + len(value)
        end = len(enc) - (4 if total % 3 else 0)
        middle = enc[skip:end]
        if len(middle) >= MIN_SECRET_LEN:
            forms.add(middle)
    return forms


def needles(secrets: Mapping[str, str]) -> list[Needle]:
    """Every form of every secret worth looking for, named by the secret's name."""
    found: dict[tuple[bytes, bool], Needle] = {}

    def add(name: str, data: bytes, fold: bool = False) -> None:
        key = (data.lower() if fold else data, fold)
        if len(data) >= MIN_SECRET_LEN and key not in found:
            found[key] = Needle(name, data.lower() if fold else data, fold)

    for name, value in sorted(secrets.items()):
        if not value or len(value.strip()) < MIN_SECRET_LEN:
            continue
        raw = value.strip().encode()
        add(f"{name} (plain)", raw)
        for form in _b64_forms(raw):
            add(f"{name} (base64)", form)
            add(f"{name} (base64url)", form.replace(b"+", b"-").replace(b"/", b"_"))
        add(f"{name} (hex)", binascii.hexlify(raw), fold=True)
        encoded = quote(value.strip(), safe="").encode()
        if encoded != raw:
            add(f"{name} (URL-encoded)", encoded, fold=True)
    return list(found.values())


def _shapes(data: bytes) -> list[str]:
    return [kind for kind, pattern in TOKEN_SHAPES if pattern.search(data)]


def _decoded_runs(data: bytes) -> Iterable[bytes]:
    for m in _B64_RUN.finditer(data):
        run = m.group(0).rstrip(b"=")
        if len(run) % 4 == 1:
            run = run[:-1]
        run += b"=" * (-len(run) % 4)
        for alphabet in (None, b"-_"):
            try:
                yield base64.b64decode(run, altchars=alphabet)
            except (binascii.Error, ValueError):
                continue
    for m in _HEX_RUN.finditer(data):
        yield binascii.unhexlify(m.group(0))


def scan(where: str, data: bytes, wanted: Iterable[Needle]) -> list[Hit]:
    """Every kind of secret found in `data` (each kind once per place)."""
    kinds: list[str] = []
    lowered: bytes | None = None
    for needle in wanted:
        if needle.fold_case:
            lowered = data.lower() if lowered is None else lowered
            if needle.data in lowered:
                kinds.append(needle.name)
        elif needle.data in data:
            kinds.append(needle.name)
    kinds += _shapes(data)
    for decoded in _decoded_runs(data):
        kinds += [f"{kind} (encoded)" for kind in _shapes(decoded)]
    seen: dict[str, None] = dict.fromkeys(kinds)
    return [Hit(where, kind) for kind in seen]
