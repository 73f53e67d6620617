"""A target repository on the emulator, a local clone to work in, fake agents on PATH, and
a Context factory wired to all of them."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from agentops.context import Context
from agentops.settings import AgentConfig, CodeConfig, Config
from tests.fixtures.agents import FakeAgents
from tests.fixtures.github import make_test_context
from tests.fixtures.gitrepo import git

REPO = "agentops-bot/widgets"
CANARY = "canary-5f3a9c1e7d2b4a6f8e0d"
FORM_BODY = """### Assigned Agent

claude

### What should the agent do?

Add a feature flag file so the widget can be toggled.

### Acceptance criteria

- feature.txt exists
- the README mentions the flag
"""


@dataclass
class CodeEnv:
    emulator: Any
    gh: Any
    fakes: FakeAgents
    checkout: Path
    bare: Path
    env: dict[str, str]
    config: Config

    def ctx(self, config: Config | None = None, github: Any = None, **env: str) -> Context:
        return make_test_context(self.checkout, github or self.gh, config=config or self.config,
                                 env={**self.env, **env}, repo=REPO)

    def issue(self, title: str = "Add the widget feature flag", body: str = FORM_BODY) -> int:
        return int(self.emulator.state.create_issue(REPO, title, body))

    def commits(self, branch: str) -> list[str]:
        """Commits on `branch` in the emulator's bare repo that are not on main."""
        out = git(self.bare, "rev-list", f"refs/heads/main..refs/heads/{branch}")
        return out.split()

    def remote_branches(self) -> list[str]:
        out = git(self.bare, "for-each-ref", "--format=%(refname:short)", "refs/heads")
        return sorted(out.split())

    def with_agent(self, **changes: Any) -> Config:
        return replace(self.config, agents=(replace(self.config.agents[0], **changes),))


@pytest.fixture
def code_env(emulator: Any, gh: Any, fake_agents: FakeAgents, tmp_path: Path) -> CodeEnv:
    return make_code_env(emulator, gh, fake_agents, tmp_path)


def make_code_env(emulator: Any, gh: Any, fake_agents: FakeAgents, tmp_path: Path) -> CodeEnv:
    """The world `code_env` builds, for test folders that do not share tests/code/conftest.py."""
    emulator.state.create_repo(REPO, files={"README.md": "# widgets\n", "AGENTS.md": "Always write tests.\n"})
    bare = Path(emulator.state.repo(REPO).bare_path)
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", bare.as_uri(), str(checkout))
    env = fake_agents.env(dict(os.environ))
    env.update({"GH_TOKEN": emulator.token, "CANARY_SECRET": CANARY, "DEPLOY_KEY_TOKEN": "deploytoken-abcdef123"})
    config = Config(agents=(AgentConfig(name="claude", backend="claude", max_turns=10, timeout_s=30),),
                    code=CodeConfig(secrets=("CANARY_SECRET",)))
    return CodeEnv(emulator, gh, fake_agents, checkout, bare, env, config)


@pytest.fixture
def state_text() -> Callable[[Path], str]:
    def read(root: Path) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted((root / "state").rglob("*")) if p.is_file())

    return read
