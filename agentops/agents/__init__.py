"""Coding-agent backends behind one Protocol (agentops.agents.base.Backend).

`resolve(agent, env, backend_override)` picks the backend and finds its executable (exit 2
with the install hint when it is unknown or missing); `check_backends(config)` is what
`doctor` lists; `runner.run_agent` runs one in a worktree.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from agentops.agents.aider import AiderBackend
from agentops.agents.base import Backend
from agentops.agents.claude import ClaudeBackend
from agentops.agents.codex import CodexBackend
from agentops.agents.command import CommandBackend
from agentops.agents.gemini import GeminiBackend
from agentops.agents.pins import PINS, version_text
from agentops.errors import BadInput

if TYPE_CHECKING:
    from agentops.settings import AgentConfig, Config

BACKENDS: dict[str, Backend] = {b.name: b for b in (ClaudeBackend(), CodexBackend(), AiderBackend(),
                                                     GeminiBackend(), CommandBackend())}


@dataclass(frozen=True)
class Resolved:
    backend: Backend
    executable: str  # absolute path


def get_backend(name: str) -> Backend:
    backend = BACKENDS.get(name)
    if backend is None:
        raise BadInput(f"unknown agent backend {name!r}", hint=f"use one of: {', '.join(sorted(BACKENDS))}")
    return backend


def executable_name(agent: AgentConfig, backend: Backend) -> str:
    if agent.executable:
        return agent.executable
    if backend.name == "command":
        return agent.command[0] if agent.command else ""
    return backend.default_executable


def find_executable(name: str, env: Mapping[str, str]) -> str | None:
    if not name:
        return None
    if os.sep in name:
        p = Path(name)
        return str(p) if p.is_file() and os.access(p, os.X_OK) else None
    return shutil.which(name, path=env.get("PATH", os.defpath))


def resolve(agent: AgentConfig, env: Mapping[str, str], backend_override: str | None = None) -> Resolved:
    backend = get_backend(backend_override or agent.backend)
    if backend.name == "command" and not agent.command and not agent.executable:
        raise BadInput(f"agent {agent.name!r}: backend 'command' needs a `command` argv list",
                       hint=backend.install_hint)
    name = executable_name(agent, backend)
    path = find_executable(name, env)
    if path is None:
        raise BadInput(f"agent {agent.name!r}: executable {name!r} for backend {backend.name!r} not found on PATH",
                       hint=f"install it: {backend.install_hint}")
    return Resolved(backend, path)


class BackendCheck(NamedTuple):
    agent: str
    backend: str
    executable: str
    found: bool
    hint: str
    version: str | None = None  # what `EXE --version` printed (X.Y.Z), None when not asked or unreadable
    version_warning: str | None = None  # set when the version is outside the contract-tested range


def installed_version(path: str, env: Mapping[str, str]) -> str | None:
    """X.Y.Z from `EXE --version`; None when it fails or prints none."""
    from agentops import proc

    res = proc.run([path, "--version"], env=dict(env), timeout=60, max_output=4096)
    return version_text(res.output) if res.ok else None


def version_warning(backend: str, version: str | None) -> str | None:
    pin = PINS.get(backend)
    if pin is None:
        return None
    tested = pin.tested_min if pin.tested_min == pin.tested_max else f"{pin.tested_min}..{pin.tested_max}"
    if version is None:
        return f"could not read its version (tested with {tested})"
    if not pin.in_tested_range(version):
        return f"version {version} is outside the tested range {tested} (install {pin.spec})"
    return None


def check_backends(config: Config, env: Mapping[str, str] | None = None, *,
                   versions: bool = False) -> list[BackendCheck]:
    """(agent, backend, executable, found, install hint[, version, warning]) for each configured
    agent, for `doctor`; `versions` also runs `EXE --version` once per executable."""
    environ = dict(os.environ) if env is None else env
    rows: list[BackendCheck] = []
    seen: dict[str, str | None] = {}
    for agent in config.agents:
        backend = BACKENDS.get(agent.backend)
        if backend is None:
            rows.append(BackendCheck(agent.name, agent.backend, "", False, f"unknown backend; use one of {sorted(BACKENDS)}"))
            continue
        name = executable_name(agent, backend)
        path = find_executable(name, environ)
        version = warning = None
        if versions and path is not None and backend.name in PINS:
            if path not in seen:
                seen[path] = installed_version(path, environ)
            version = seen[path]
            warning = version_warning(backend.name, version)
        rows.append(BackendCheck(agent.name, backend.name, name, path is not None, backend.install_hint,
                                 version, warning))
    return rows


__all__ = ["BACKENDS", "BackendCheck", "Resolved", "check_backends", "find_executable", "get_backend",
           "installed_version", "resolve", "version_warning"]
