"""The one Protocol every coding-agent backend implements, and the values it trades in.

A backend only knows its CLI: which argv to build, what to feed on stdin, and how to read
cost, turns and progress from what the CLI prints (a Tracker fed line by line, so the same
reader shows live progress and produces the final Usage, even of a run killed at its timeout).
Running the process (scrubbed env, timeout, redaction) is shared, in agentops.agents.runner.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agentops.agents.pricing import Prices
from agentops.settings import AgentConfig, GateConfig


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
    # The repository's gates (configured or detected): claude/gemini may run them, aider runs them itself.
    gates: tuple[GateConfig, ...] = ()
    # What this run may spend: min(run cap, task remaining, month remaining); None = no limit known.
    max_budget_usd: float | None = None


@dataclass(frozen=True)
class Launch:
    argv: tuple[str, ...]
    stdin: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)  # added to the agent's scrubbed environment


@dataclass(frozen=True)
class Usage:
    """What the CLI reported about its own run; None when it does not say."""

    cost_usd: float | None = None
    turns: int | None = None
    summary: str = ""
    error: str | None = None  # the CLI says it failed (e.g. claude subtype error_max_turns)
    details: Mapping[str, Any] = field(default_factory=dict)
    # cost_usd was computed by agentops (tokens x price table), not reported in dollars by the CLI.
    cost_from_tokens: bool = False


@dataclass(frozen=True)
class Progress:
    """What a run has done so far, for the live progress line."""

    turns: int = 0
    cost_usd: float | None = None
    tool: str | None = None  # the tool or command in use, shortened


class Tracker(Protocol):
    def feed(self, line: str) -> bool:
        """Read one output line; True when the progress changed."""
        ...

    def progress(self) -> Progress: ...

    def usage(self) -> Usage: ...


class Backend(Protocol):
    name: str
    default_executable: str
    install_hint: str
    # Credentials the CLI itself needs; passed through the scrubbed environment by default.
    default_env_allow: tuple[str, ...]
    # What the README's backends table says, and tests hold true.
    runs_tests: bool
    reports_cost: str  # "dollars" | "tokens" | "optional"
    streams: bool

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch: ...

    def tracker(self, agent: AgentConfig, prices: Prices) -> Tracker: ...


def parse(backend: Backend, output: str, agent: AgentConfig, prices: Prices | None = None) -> Usage:
    """The Usage a backend reads from a whole transcript."""
    tracker = backend.tracker(agent, prices or Prices())
    for line in output.splitlines():
        tracker.feed(line)
    return tracker.usage()


def json_object(line: str) -> dict[str, Any] | None:
    s = line.strip()
    if not (s.startswith("{") and s.endswith("}")):
        return None
    try:
        value = json.loads(s)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Each line of `text` that is a JSON object, in order (CLIs mix logs and JSON on one stream)."""
    for line in text.splitlines():
        value = json_object(line)
        if value is not None:
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


def short(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"
