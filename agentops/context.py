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


def parse_repo(value: str, *, source: str = "--repo") -> str:
    v = value.strip()
    if v.endswith(".git"):
        v = v[:-4]
    if not _REPO_RE.match(v):
        raise BadInput(f"{source}: {value!r} is not OWNER/NAME")
    return v


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
            from agentops.github.trust import GitHubTrust

            self._cache["trust"] = GitHubTrust(self.github)
        trust: GitHubTrust = self._cache["trust"]
        return trust

    def repo(self) -> str:
        """--repo, else GITHUB_REPOSITORY, else the git remote `origin`."""
        if self.repo_flag:
            return parse_repo(self.repo_flag)
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
