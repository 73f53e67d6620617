"""Secret redaction for everything agentops prints, stores or sends to GitHub.

Known token shapes are always redacted; configured secret values and the values of
secret-looking environment variables are redacted literally.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

REDACTED = "[REDACTED]"

# GitHub token formats (classic, fine-grained, app/installation, oauth, refresh),
# bearer headers, private key blocks, and common cloud/API key shapes.
_PATTERNS = [
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,255}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
    re.compile(r"(?i)\b(authorization:\s*(?:bearer|token|basic)\s+)[^\s'\"]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_\-]{20,}\b"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"(https?://)[^/\s:@]+:[^/\s@]+@"),  # credentials embedded in URLs
]

SECRET_ENV_HINTS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "PRIVATE_KEY", "API_KEY", "APIKEY", "CREDENTIAL")
# Values shorter than this are not redacted literally: redacting "1" or "true" would
# shred ordinary output and reveal nothing useful to an attacker anyway.
MIN_LITERAL = 6


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return any(h in upper for h in SECRET_ENV_HINTS)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._literals: set[str] = set()
        self._regex: re.Pattern[str] | None = None
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= MIN_LITERAL and secret not in self._literals:
            self._literals.add(secret)
            # Longest first so a secret containing another is replaced whole.
            alts = sorted(self._literals, key=len, reverse=True)
            self._regex = re.compile("|".join(re.escape(a) for a in alts))

    def add_env(self, env: Mapping[str, str]) -> None:
        for k, v in env.items():
            if is_secret_name(k):
                self.add(v)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._literals)

    def redact(self, text: str) -> str:
        if not text:
            return text
        if self._regex is not None:
            text = self._regex.sub(REDACTED, text)
        for pat in _PATTERNS:
            if pat.groups:
                text = pat.sub(lambda m: m.group(1) + REDACTED, text)
            else:
                text = pat.sub(REDACTED, text)
        return text
