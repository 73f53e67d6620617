"""Helpers for the work-order integration tests: a repo on the emulator with agent-task issues,
and contexts that act as separate workers (own worker id, state dir and clock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentops.context import Context
from agentops.settings import AgentConfig, ClaimsConfig, Config
from tests.fixtures.github import make_test_context

REPO = "octo/app"
T0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def form_body(*, agent: str = "any", spec: str = "- do it", deps: str = "_No response_", priority: str = "medium",
              deadline: str = "none") -> str:
    return (f"### Assigned Agent\n\n{agent}\n\n### What should the agent do?\n\n{spec}\n\n"
            f"### Acceptance criteria\n\n_No response_\n\n### Deadline\n\n{deadline}\n\n"
            f"### Dependencies\n\n{deps}\n\n### Priority\n\n{priority}\n\n### Required capabilities\n\n_No response_\n")


def wo_config(n_agents: int = 3, *, max_concurrent: int = 5, settle: float = 0.0, **claims: Any) -> Config:
    agents = tuple(AgentConfig(name=f"a{i}", max_concurrent=max_concurrent) for i in range(1, n_agents + 1))
    return Config(agents=agents, claims=ClaimsConfig(settle_seconds=settle, **claims))


class Clock:
    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def repo(emulator: Any) -> str:
    emulator.state.create_repo(REPO)
    emulator.state.set_permission(REPO, "agentops-bot", "admin")
    return REPO


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker(tmp_path: Path, gh: Any, clock: Clock) -> Callable[..., Context]:
    """worker("w1") -> a Context acting as that worker (own state dir), sharing `gh` and `clock`."""

    def make(name: str = "w1", *, config: Config | None = None, sleep: Callable[[float], None] | None = None,
             github: Any = None) -> Context:
        ctx = make_test_context(tmp_path / name, github or gh, config=config or wo_config(), repo=REPO,
                                env={"AGENTOPS_WORKER_ID": name}, clock=clock)
        if sleep is not None:
            ctx.sleep = sleep
        return ctx

    return make
