"""The one function that runs git. Every git command agentops runs goes through `git()`.

The repository git works in may have been written by an untrusted coding agent: its `.git/config`,
hooks, attributes. So each command runs with the repository's code switched off where git allows:
- `core.hooksPath=/dev/null` (no hook can exist under it), `core.fsmonitor=false`,
  `protocol.ext.allow=never` (no `ext::` transport running a command), `core.pager=cat`;
- a minimal environment built from scratch: no `GIT_*` variable is inherited except the author
  identity and where the user's own global config lives; the system config is skipped;
- credentials only for one network command (push, fetch, ls-remote, clone), as an
  `http.extraheader` handed through `GIT_CONFIG_COUNT/KEY/VALUE` in that command's environment,
  never in a URL, a command line or a config file.

git has no switch that stops a repository's `include.path` from being read; that is why agentops
never runs a credentialed command in a repository an agent could write (see agentops.git.mirror).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentops import proc

DEFAULT_TIMEOUT_S = 120.0
NETWORK_TIMEOUT_S = 300.0
NETWORK_COMMANDS = frozenset({"push", "fetch", "ls-remote", "clone"})
# Taken from agentops's own environment (never an agent's): who commits, and where the user's own
# global config lives. Everything else named GIT_* (GIT_DIR, GIT_SSH_COMMAND, GIT_CONFIG_COUNT,
# GIT_EXEC_PATH, GIT_ASKPASS ...) could redirect git or make it run something.
_KEPT_GIT_VARS = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                  "GIT_CONFIG_GLOBAL")
_KEPT_VARS = ("PATH", "HOME", "XDG_CONFIG_HOME", "TMPDIR", "USER", "LOGNAME", "SSH_AUTH_SOCK", "TZ")
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", os.devnull),
    ("core.fsmonitor", "false"),
    ("protocol.ext.allow", "never"),
    ("core.pager", "cat"),
    ("commit.gpgsign", "false"),
    ("tag.gpgsign", "false"),
)


@dataclass(frozen=True)
class GitAuth:
    """A token for one network command against `url` (https only; other URLs get nothing)."""

    url: str
    token: str | None


@dataclass(frozen=True)
class GitResult:
    args: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    error: str | None = None
    raw: bytes = b""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.error is None

    def message(self) -> str:
        return self.error or self.stderr.strip() or self.stdout.strip() or f"exit {self.returncode}"


def base_env(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The minimal environment every git command starts from."""
    src = os.environ if source is None else source
    env = {k: src[k] for k in (*_KEPT_VARS, *_KEPT_GIT_VARS) if src.get(k)}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    # GIT_NO_REPLACE_OBJECTS: a refs/replace/* an agent planted never swaps what agentops reads
    # (the secret scan, a checkout) for something else.
    env.update({"LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "",
                "SSH_ASKPASS": "", "GIT_NO_REPLACE_OBJECTS": "1"})
    return env


def auth_header(token: str) -> str:
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return f"AUTHORIZATION: basic {basic}"


def command_env(args: Sequence[str], *, auth: GitAuth | None = None, extra: Mapping[str, str] | None = None,
                config: Sequence[tuple[str, str]] = ()) -> dict[str, str]:
    """The environment for one git command: base, safe config, the caller's config, and the
    credential only when this is a network command against an https URL."""
    env = base_env()
    for key, value in (extra or {}).items():
        if key.startswith("GIT_CONFIG_"):
            raise ValueError("config reaches git through `config=`, not GIT_CONFIG_* variables")
        env[key] = value
    entries = [*SAFE_CONFIG, *config]
    if auth is not None and auth.token and auth.url.lower().startswith("https://"):
        if not args or args[0] not in NETWORK_COMMANDS:
            raise ValueError(f"credentials are only for {sorted(NETWORK_COMMANDS)}, not git {args[:1]}")
        entries.append(("http.extraheader", auth_header(auth.token)))
    env["GIT_CONFIG_COUNT"] = str(len(entries))
    for i, (key, value) in enumerate(entries):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def git(args: Sequence[str], *, cwd: str | Path | None, auth: GitAuth | None = None,
        env: Mapping[str, str] | None = None, config: Sequence[tuple[str, str]] = (),
        timeout: float | None = None, stdin: bytes | None = None, max_output: int | None = None) -> GitResult:
    """Run `git <args>` in `cwd`. Never raises for git's own failure: callers decide."""
    argv = ("git", *(str(a) for a in args))
    network = bool(args) and args[0] in NETWORK_COMMANDS
    limit = timeout if timeout is not None else (NETWORK_TIMEOUT_S if network else DEFAULT_TIMEOUT_S)
    res = proc.capture(argv, cwd=cwd, env=command_env(args, auth=auth, extra=env, config=config),
                       timeout=limit, stdin=stdin, max_output=max_output)
    out = res.stdout.decode("utf-8", "replace")
    err = res.stderr.decode("utf-8", "replace")
    return GitResult(argv[1:], res.returncode, out.strip(), err.strip(), res.timed_out, res.error, res.stdout)
