"""A full world for the canaries: a target repository on the emulator, a local clone with a test
suite, fake agents on PATH, a deploy script, and canary secrets planted everywhere a secret can
enter (environment, configured secrets, agent output, deploy output, issue text)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentops.context import Context
from agentops.settings import (
    AgentConfig,
    ClaimsConfig,
    CodeConfig,
    Config,
    EnvironmentConfig,
    GateConfig,
    MonitorConfig,
    RepositoryConfig,
)
from tests.fixtures.agents import FakeAgents
from tests.fixtures.github import make_test_context
from tests.fixtures.gitrepo import git

REPO = "agentops-bot/vault"
# Unique values: a hit anywhere is a leak, never a coincidence.
GH_CANARY = "ghp_" + "C4n4ryT0k3nGh" * 3  # GitHub-token shaped
CONFIGURED_CANARY = "cfgcanary-8d2e61f0b9a4"  # listed in code.secrets
DEPLOY_CANARY = "deploycanary-3b7f90c1e5d2"  # a deploy secret (env_allow)
PLAIN_CANARY = "plaincanary-7a1c4e9f2b6d_TOKEN"  # in a secret-looking env var only
CANARIES = (GH_CANARY, CONFIGURED_CANARY, DEPLOY_CANARY, PLAIN_CANARY)

DEPLOY_SCRIPT = """import os, sys
print("deploying", sys.argv[1:])
print("token in use:", os.environ.get("DEPLOY_TOKEN", "<none>"))
print("also:", os.environ.get("GITHUB_TOKEN", "<none>"), file=sys.stderr)
"""
GATE_SCRIPT = """import os
print("gate sees", os.environ.get("CANARY_SECRET", "-"), os.environ.get("GH_TOKEN", "-"))
"""


@dataclass
class Vault:
    emulator: Any
    gh: Any
    fakes: FakeAgents
    root: Path
    checkout: Path
    bare: Path
    env: dict[str, str]
    config: Config
    contexts: list[Context] = field(default_factory=list)

    def ctx(self, **overrides: Any) -> Context:
        c = make_test_context(self.checkout, self.gh, config=overrides.pop("config", self.config),
                              json_mode=bool(overrides.pop("json_mode", False)),
                              env={**self.env, **overrides}, repo=REPO)
        self.contexts.append(c)
        return c

    def issue(self, title: str, body: str, *, author: str = "agentops-bot", labels: tuple[str, ...] = ()) -> int:
        return int(self.emulator.state.create_issue(REPO, title, body, author=author, labels=labels))

    def captured(self) -> str:
        return "\n".join(c.output.out.getvalue() + c.output.err.getvalue() for c in self.contexts)  # type: ignore[attr-defined]

    def state_files(self) -> dict[str, str]:
        root = self.checkout / "state"
        return {str(p): p.read_bytes().decode("utf-8", "replace") for p in sorted(root.rglob("*")) if p.is_file()}

    def github_writes(self, *, exclude_issues: tuple[int, ...] = ()) -> list[str]:
        """Every text agentops could have written to the emulator (issue/PR titles and bodies written
        by agentops, comments, reviews, review comments, statuses) plus the pushed commits."""
        texts: list[str] = []
        st = self.emulator.state
        with st.lock:
            for repo in st.repos.values():
                for issue in repo.issues.values():
                    if issue.number not in exclude_issues:
                        texts += [issue.title, issue.body or ""]
                    texts += [c.body for c in issue.comments]
                    if issue.pull is not None:
                        texts += [r.body for r in issue.pull.reviews]
                        texts += [c.body for c in issue.pull.review_comments]
                texts += [f"{s.description or ''} {s.target_url or ''}" for s in repo.statuses]
        texts.append(git(self.bare, "log", "--all", "--format=%B%n%an%n%ae"))
        texts.append(git(self.bare, "grep", "-I", "-h", "-e", ".", *_refs(self.bare)) if _refs(self.bare) else "")
        return texts


def _refs(bare: Path) -> list[str]:
    return git(bare, "for-each-ref", "--format=%(objectname)").split()


@pytest.fixture
def vault(emulator: Any, gh: Any, fake_agents: FakeAgents, tmp_path: Path) -> Iterator[Vault]:
    emulator.state.create_repo(REPO, files={
        "README.md": "# vault\n", "AGENTS.md": "Write tests.\n", "gate.py": GATE_SCRIPT,
        "deploy.py": DEPLOY_SCRIPT,
    })
    bare = Path(emulator.state.repo(REPO).bare_path)
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", bare.as_uri(), str(checkout))
    git(checkout, "config", "user.name", "tester")
    git(checkout, "config", "user.email", "t@example.com")
    env = fake_agents.env(dict(os.environ))
    env.update({"GH_TOKEN": emulator.token, "GITHUB_TOKEN": GH_CANARY, "CANARY_SECRET": CONFIGURED_CANARY,
                "DEPLOY_TOKEN": DEPLOY_CANARY, "SERVICE_API_TOKEN": PLAIN_CANARY, "AGENTOPS_WORKER_ID": "w-sec"})
    gates = (GateConfig(name="gate", run=(sys.executable, "gate.py")),)
    config = Config(
        agents=(AgentConfig(name="claude", backend="claude", max_turns=5, timeout_s=60),),
        code=CodeConfig(secrets=("CANARY_SECRET",)),
        repositories=(RepositoryConfig(name=REPO, gates=gates),),
        environments={"prod": EnvironmentConfig(deploy=(sys.executable, "deploy.py", "{sha}"),
                                                env_allow=("DEPLOY_TOKEN",), health_checks=(), timeout_s=60,
                                                monitor=MonitorConfig(duration_s=0))},
        claims=ClaimsConfig(settle_seconds=0),
    )
    yield Vault(emulator, gh, fake_agents, tmp_path, checkout, bare, env, config)



def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that put the shared canaries into process environments run on one xdist worker, one
    after another. Without bubblewrap (AGENTOPS_SANDBOX=process) a root agent can read every
    /proc/*/environ on the machine, as the README's Safety section says; a canary in the
    environment of another test's process, running beside it, would then be a false leak."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here and "vault" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("canaries"))
