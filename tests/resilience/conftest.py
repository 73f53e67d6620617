"""The fault campaign's world: a target repository on the emulator with two trusted work orders,
a local clone with a gate and a deploy script, fake agents on PATH, and helpers that run each
command the way the CLI does (AgentOpsError -> its exit code; anything else is a crash)."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentops.context import Context
from agentops.errors import AgentOpsError
from agentops.settings import (
    AgentConfig,
    ClaimsConfig,
    Config,
    EnvironmentConfig,
    GateConfig,
    MonitorConfig,
    RepositoryConfig,
)
from agentops.state.store import Store
from tests.fixtures.agents import FakeAgents
from tests.fixtures.github import make_test_context
from tests.fixtures.gitrepo import git

REPO = "agentops-bot/loop"
DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4}
TASK = """### Assigned Agent

claude

### What should the agent do?

Add {name}.

### Acceptance criteria

- {name} exists
"""


@dataclass
class Step:
    name: str
    exit_code: int
    detail: str


@dataclass
class Loop:
    emulator: Any
    gh: Any
    fakes: FakeAgents
    checkout: Path
    bare: Path
    env: dict[str, str]
    config: Config
    steps: list[Step] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)

    def ctx(self) -> Context:
        return make_test_context(self.checkout, self.gh, config=self.config, env=self.env, repo=REPO)

    @property
    def store(self) -> Store:
        return Store(self.checkout / "state", writer="campaign")

    def step(self, name: str, fn: Callable[[Context], Any]) -> Any:
        """Run one command as `agentops` would: its exit code is 0, or the AgentOpsError's."""
        try:
            result = fn(self.ctx())
        except AgentOpsError as exc:
            self.steps.append(Step(name, int(exc.exit_code), exc.message))
            return None
        except BaseException:  # a crash: the CLI would print a traceback
            self.crashes.append(f"{name}: {traceback.format_exc()}")
            self.steps.append(Step(name, -1, "crash"))
            return None
        self.steps.append(Step(name, 0, type(result).__name__))
        return result


@pytest.fixture
def loop(emulator: Any, gh: Any, fake_agents: FakeAgents, tmp_path: Path) -> Loop:
    emulator.state.create_repo(REPO, files={"README.md": "# loop\n", "gate.py": "print('gate ok')\n",
                                            "deploy.py": "import sys\nprint('deployed', sys.argv[1:])\n"})
    bare = Path(emulator.state.repo(REPO).bare_path)
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", bare.as_uri(), str(checkout))
    git(checkout, "config", "user.name", "tester")
    git(checkout, "config", "user.email", "t@example.com")
    for name in ("alpha.txt", "beta.txt"):
        emulator.state.create_issue(REPO, f"Add {name}", TASK.format(name=name), labels=("agent-task",))
    env = fake_agents.env(dict(os.environ))
    env.update({"GH_TOKEN": emulator.token, "AGENTOPS_WORKER_ID": "w-campaign"})
    config = Config(
        agents=(AgentConfig(name="claude", backend="claude", max_turns=5, timeout_s=60),),
        repositories=(RepositoryConfig(name=REPO, gates=(GateConfig(name="gate", run=(sys.executable, "gate.py")),)),),
        environments={"prod": EnvironmentConfig(deploy=(sys.executable, "deploy.py", "{sha}"), health_checks=(),
                                                timeout_s=60, monitor=MonitorConfig(duration_s=0))},
        claims=ClaimsConfig(settle_seconds=0),
    )
    return Loop(emulator, gh, fake_agents, checkout, bare, env, config)
