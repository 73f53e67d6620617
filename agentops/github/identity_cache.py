"""The login behind a token, remembered so `GET /user` is asked once, not once per command.

A worker runs `claim` again and again; each run judging a claim comment needs agentops's own
login, and each used to spend a request on it. The answer is kept in this process and in a
small file under the user's cache folder (`$AGENTOPS_CACHE_DIR`, else `$XDG_CACHE_HOME/agentops`,
else `~/.cache/agentops`), named by a SHA-256 of the API URL and the token: the token itself is
never written, another token (or the same token on another server) never reads the entry, and
a rotated token simply misses.

The entry decides which comments count as agentops's own, so a file anyone else could have
written is not believed: it must be a regular file (no symlink), owned by this user, writable by
no one else, hold a well-formed login, and be younger than TTL. Anything else is ignored (and
the login is asked again). A login GitHub reports as the author of an object agentops just
created is authoritative and replaces a stale entry (a renamed account).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from agentops.github.models import Identity

TTL_SECONDS = 24 * 3600
# GitHub logins: alphanumerics and single hyphens, at most 39; Apps' bots end in [bot].
_LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
_SCOPE_RE = re.compile(r"^[a-z0-9:_-]{1,64}$")

_memo: dict[str, Identity] = {}
_memo_lock = threading.Lock()


def fingerprint(api_url: str, token: str) -> str:
    """The cache key: no way back to the token, distinct per (server, token)."""
    h = hashlib.sha256(b"agentops-identity-v1\0")
    h.update(api_url.rstrip("/").lower().encode("utf-8"))
    h.update(b"\0")
    h.update(token.encode("utf-8"))
    return h.hexdigest()


def cache_dir(env: Mapping[str, str]) -> Path | None:
    """Where entries live, from the command's environment (None: remember in this process only)."""
    if env.get("AGENTOPS_CACHE_DIR"):
        return Path(env["AGENTOPS_CACHE_DIR"]) / "identity"
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "agentops" / "identity"
    if env.get("HOME"):
        return Path(env["HOME"]) / ".cache" / "agentops" / "identity"
    return None


def valid_login(login: object) -> bool:
    return isinstance(login, str) and bool(_LOGIN_RE.match(login)) and "--" not in login


def lookup(env: Mapping[str, str], key: str, *, now: float | None = None) -> Identity | None:
    with _memo_lock:
        hit = _memo.get(key)
    if hit is not None:
        return hit
    folder = cache_dir(env)
    if folder is None:
        return None
    ident = _read(folder / f"{key}.json", time.time() if now is None else now)
    if ident is not None:
        with _memo_lock:
            _memo[key] = ident
    return ident


def remember(env: Mapping[str, str], key: str, ident: Identity) -> None:
    """Keep `ident` for this process and, best effort, on disk (a read-only home is no error)."""
    if not valid_login(ident.login):
        return
    with _memo_lock:
        _memo[key] = ident
    folder = cache_dir(env)
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        doc = {"login": ident.login, "kind": ident.kind, "scopes": list(ident.scopes), "at": int(time.time())}
        tmp = folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
        os.replace(tmp, folder / f"{key}.json")
    except OSError:
        return


def forget(env: Mapping[str, str], key: str) -> None:
    with _memo_lock:
        _memo.pop(key, None)
    folder = cache_dir(env)
    if folder is not None:
        try:
            (folder / f"{key}.json").unlink()
        except OSError:
            pass


def clear_memo() -> None:
    """Forget what this process remembered (tests)."""
    with _memo_lock:
        _memo.clear()


def _read(path: Path, now: float) -> Identity | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None  # missing, or a symlink
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 4096:
            return None
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return None  # planted by another user
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None  # others could have written it
        raw = os.read(fd, 4097)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or not valid_login(doc.get("login")) or doc.get("kind") != "token":
        return None
    at = doc.get("at")
    if isinstance(at, bool) or not isinstance(at, int) or not now - TTL_SECONDS <= at <= now + 300:
        return None
    scopes = doc.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) and _SCOPE_RE.match(s) for s in scopes):
        return None
    return Identity(login=str(doc["login"]), kind="token", scopes=tuple(scopes))
