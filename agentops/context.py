"""The small object a command gets its collaborators from.

Each collaborator is built lazily on first use, so `agentops status` never imports
PyGithub and a test hands in its own (emulator-backed port, temp state dir, fixed clock)
without patching anything.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentops.errors import BadInput
from agentops.output import Output

if TYPE_CHECKING:
    from agentops.github.port import GitHubPort
    from agentops.github.trust import GitHubTrust
    from agentops.settings import Config
    from agentops.state.store import Store

_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def find_root(start: Path) -> Path:
    """The enclosing git work tree (a `.git` dir or file), else `start` itself."""
    cur = start.resolve()
    for p in (cur, *cur.parents):
        if (p / ".git").exists():
            return p
    return cur


def parse_repo(value: str, *, source: str = "--repo", api_url: str | None = None) -> str:
    """OWNER/NAME from OWNER/NAME, HOST/OWNER/NAME or a repository URL (https, ssh, scp-style), as gh's -R.

    A HOST must be the one the API talks to (github.com for api.github.com; a GitHub Enterprise host for
    https://HOST/api/v3): agentops follows GITHUB_API_URL, so a repository on another host would silently
    be looked up on the wrong server. `api_url` defaults to $GITHUB_API_URL.
    """
    v = value.strip()
    host: str | None = None
    m = re.match(r"^(?:[a-z][a-z0-9+.-]*://)(?:[^@/]+@)?([^/]+)/(.*)$", v, re.IGNORECASE) \
        or re.match(r"^[^@/:]+@([^:/]+):(.*)$", v)
    if m:  # https://github.com/o/n(.git), ssh://git@github.com/o/n, git@github.com:o/n.git
        host, v = m.group(1), m.group(2)
    v = v.rstrip("/")
    if v.endswith(".git"):
        v = v[:-4]
    parts = v.split("/")
    if host is None and len(parts) == 3:
        host, v = parts[0], "/".join(parts[1:])
    elif host is not None and len(parts) > 2:
        v = "/".join(parts[:2])  # https://github.com/o/n/pulls/3 names o/n too
    if not _REPO_RE.match(v):
        raise BadInput(f"{source}: {value!r} is not OWNER/NAME, HOST/OWNER/NAME or a repository URL")
    if host is not None:
        _check_host(host, value, source, api_url if api_url is not None else os.environ.get("GITHUB_API_URL"))
    return v


def _check_host(host: str, value: str, source: str, api_url: str | None) -> None:
    from urllib.parse import urlsplit

    api_host = (urlsplit(api_url or "https://api.github.com").netloc or "api.github.com").lower()
    wanted = host.lower().split("@")[-1]
    if wanted in (api_host, api_host.removeprefix("api.")):
        return
    raise BadInput(f"{source}: {value!r} is on {wanted}, but the GitHub API in use is {api_host}",
                   hint=f"set GITHUB_API_URL to {wanted}'s API (https://{wanted}/api/v3 for GitHub Enterprise "
                   "Server), or pass OWNER/NAME")


def repo_from_remote_url(url: str) -> str | None:
    """owner/name from an https, ssh or scp-style GitHub remote URL."""
    m = re.search(r"(?:[:/])([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$", url.strip())
    return f"{m.group(1)}/{m.group(2)}" if m else None


@dataclass
class Context:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    output: Output = field(default_factory=Output)
    config_path: str | None = None
    repo_flag: str | None = None
    clock: Callable[[], dt.datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    # Overrides (tests, demo); otherwise built lazily from the environment.
    config_override: Config | None = None
    github_override: GitHubPort | None = None
    store_override: Store | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    # -- where we are ----------------------------------------------------------------
    @property
    def root(self) -> Path:
        if "root" not in self._cache:
            self._cache["root"] = find_root(self.cwd)
        return Path(self._cache["root"])

    @property
    def state_dir(self) -> Path:
        configured = self.env.get("AGENTOPS_STATE_DIR")
        if configured:
            p = Path(configured)
            return p if p.is_absolute() else self.root / p
        return self.root / "state"

    @property
    def worker_id(self) -> str:
        """Stable for one Codespace or one Actions run attempt; distinct across them."""
        if "worker" not in self._cache:
            e = self.env
            if e.get("AGENTOPS_WORKER_ID"):
                wid = e["AGENTOPS_WORKER_ID"]
            elif e.get("GITHUB_RUN_ID"):
                wid = f"actions-{e['GITHUB_RUN_ID']}-{e.get('GITHUB_RUN_ATTEMPT', '1')}"
            elif e.get("CODESPACE_NAME"):
                wid = f"codespace-{e['CODESPACE_NAME']}"
            else:
                import socket

                wid = f"{socket.gethostname()}-{os.getpid()}"
            self._cache["worker"] = re.sub(r"[^A-Za-z0-9_.-]", "-", wid)[:80]
        return str(self._cache["worker"])

    # -- collaborators -----------------------------------------------------------------
    @property
    def config(self) -> Config:
        if self.config_override is not None:
            return self.config_override
        if "config" not in self._cache:
            from agentops.config import find_config_path, load_config

            explicit = self.config_path
            path = find_config_path(self.root, explicit, self.env)
            self._cache["config"] = load_config(path, required=bool(explicit or self.env.get("AGENTOPS_CONFIG")))
        cfg: Config = self._cache["config"]
        return cfg

    @property
    def store(self) -> Store:
        if self.store_override is not None:
            return self.store_override
        if "store" not in self._cache:
            from agentops.state.store import Store

            self._cache["store"] = Store(self.state_dir, writer=self.worker_id, clock=self.clock)
        store: Store = self._cache["store"]
        return store

    @property
    def github(self) -> GitHubPort:
        if self.github_override is not None:
            return self.github_override
        if "github" not in self._cache:
            from agentops.github.adapter import connect

            self._cache["github"] = connect(self.env, output=self.output, sleep=self.sleep)
        gh: GitHubPort = self._cache["github"]
        return gh

    @property
    def trust(self) -> GitHubTrust:
        """GitHub-side trust answers (own identity, write access, label events), cached for this run."""
        if "trust" not in self._cache:
            from agentops.github.trust import GitHubTrust, dispatcher_login

            dispatcher = dispatcher_login(self.env)
            self._cache["trust"] = GitHubTrust(self.github, also=self.config.claims.identities,
                                               marker_authors=(dispatcher,) if dispatcher else ())
        trust: GitHubTrust = self._cache["trust"]
        return trust

    def repo(self) -> str:
        """--repo, else GITHUB_REPOSITORY, else the git remote `origin`."""
        if self.repo_flag:
            return parse_repo(self.repo_flag, api_url=self.env.get("GITHUB_API_URL") or "")
        if self.env.get("GITHUB_REPOSITORY"):
            return parse_repo(self.env["GITHUB_REPOSITORY"], source="GITHUB_REPOSITORY")
        url = self._origin_url()
        if url:
            found = repo_from_remote_url(url)
            if found:
                return found
        raise BadInput("no repository given", hint="pass --repo OWNER/NAME, set GITHUB_REPOSITORY, "
                       "or run inside a clone whose `origin` points at GitHub")

    def _origin_url(self) -> str | None:
        from agentops.git import origin_url

        return origin_url(self.root)
