"""The one Protocol every coding-agent backend implements, and the values it trades in.

A backend only knows its CLI: which argv to build, what to feed on stdin, and how to read
cost and turns from what the CLI printed. Running the process (scrubbed env, timeout,
redaction) is shared, in agentops.agents.runner.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agentops.settings import AgentConfig


@dataclass(frozen=True)
class Invocation:
    """Everything a backend may put on a command line. The prompt travels by file or stdin."""

    executable: str
    prompt_file: Path
    worktree: Path
    issue: int
    repo: str
    branch: str
    run_dir: Path  # outside the worktree: the backend's own history files go here, never into the PR


@dataclass(frozen=True)
class Launch:
    argv: tuple[str, ...]
    stdin: str | None = None


@dataclass(frozen=True)
class Usage:
    """What the CLI reported about its own run; None when it does not say."""

    cost_usd: float | None = None
    turns: int | None = None
    summary: str = ""
    error: str | None = None  # the CLI says it failed (e.g. claude subtype error_max_turns)
    details: Mapping[str, Any] = field(default_factory=dict)


class Backend(Protocol):
    name: str
    default_executable: str
    install_hint: str
    # Credentials the CLI itself needs; passed through the scrubbed environment by default.
    default_env_allow: tuple[str, ...]

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch: ...

    def parse(self, output: str) -> Usage: ...


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Each line of `text` that is a JSON object, in order (CLIs mix logs and JSON on one stream)."""
    for line in text.splitlines():
        s = line.strip()
        if not (s.startswith("{") and s.endswith("}")):
            continue
        try:
            value = json.loads(s)
        except ValueError:
            continue
        if isinstance(value, dict):
            yield value


def as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def as_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return int(value)
    except ValueError:
        return None
