"""An emulator repository wired for the event router: the code workflow on main (so dispatches
are accepted and recorded), a maintainer and a stranger, and real webhook payloads from
tests/fixtures/webhooks retargeted at it."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentops.commands.on_event import OnEventOptions
from agentops.commands.on_event import run as on_event_run
from agentops.context import Context
from agentops.events.router import RouteResult
from agentops.settings import AgentConfig, ClaimsConfig, Config, DispatchConfig
from tests.fixtures.dag_driver import fixture, put
from tests.fixtures.github import make_test_context
from tests.fixtures.workflows import CODE_WORKFLOW

REPO = "octo/app"
BOT = "agentops-bot"
MAINTAINER = "maint"
STRANGER = "stranger"
WEBHOOKS = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"
WORKFLOW = "agentops-code.yml"


def form(*, agent: str = "any", deps: str = "_No response_", priority: str = "medium", spec: str = "- do it") -> str:
    return (f"### Assigned Agent\n\n{agent}\n\n### What should the agent do?\n\n{spec}\n\n"
            f"### Acceptance criteria\n\n_No response_\n\n### Deadline\n\nnone\n\n"
            f"### Dependencies\n\n{deps}\n\n### Priority\n\n{priority}\n\n### Required capabilities\n\n_No response_\n")


def config(*, max_parallel: int = 4, agents: int = 2, max_attempts: int = 3, **extra: Any) -> Config:
    return Config(agents=tuple(AgentConfig(name=f"a{i}", max_concurrent=5) for i in range(1, agents + 1)),
                  claims=ClaimsConfig(settle_seconds=0, max_attempts=max_attempts),
                  dispatch=DispatchConfig(max_parallel=max_parallel, workflow=WORKFLOW), **extra)




@dataclass
class Hub:
    emulator: Any
    gh: Any
    tmp: Path
    cfg: Config

    @property
    def state(self) -> Any:
        return self.emulator.state

    def ctx(self, name: str = "router", *, cfg: Config | None = None) -> Context:
        return make_test_context(self.tmp / name, self.gh, config=cfg or self.cfg, repo=REPO,
                                 env={"AGENTOPS_WORKER_ID": name})

    def task(self, title: str, *, body: str | None = None, author: str = MAINTAINER, **form_kw: Any) -> int:
        return int(self.state.create_issue(REPO, title, body if body is not None else form(**form_kw),
                                           author=author, labels=["agent-task"]))

    def payload(self, name: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(fixture(name))
        put(data, "repository.full_name", REPO)
        for path, value in changes.items():
            put(data, path, value)
        return data

    def issue_payload(self, action: str, number: int, *, sender: str = MAINTAINER,
                      base: str | None = None) -> dict[str, Any]:
        issue = self.gh.get_issue(REPO, number)
        data = self.payload(base or f"issues.{action}", {"action": action, "issue.number": number,
                                                          "issue.state": issue.state, "sender.login": sender,
                                                          "issue.labels": [{"name": n} for n in issue.labels]})
        if action in ("labeled", "unlabeled"):
            put(data, "label.name", "agent-task")
        return data

    def pr_payload(self, name: str, pr: int, **changes: Any) -> dict[str, Any]:
        p = self.gh.get_pull(REPO, pr)
        base = {"pull_request.number": pr, "pull_request.head.ref": p.head_ref, "pull_request.head.sha": p.head_sha,
                "pull_request.merged": p.merged, "pull_request.state": p.state}
        return self.payload(name, {**base, **changes})

    def deliver(self, event: str, payload: Mapping[str, Any], ctx: Context | None = None) -> RouteResult:
        ctx = ctx or self.ctx()
        path = self.tmp / f"event-{event}-{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return on_event_run(OnEventOptions(event, str(path)), ctx)

    def dispatches(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.state.dispatches(REPO)
        return out


@pytest.fixture
def hub(emulator: Any, gh: Any, tmp_path: Path) -> Hub:
    emulator.state.create_repo(REPO, files={"README.md": "# app\n", f".github/workflows/{WORKFLOW}": CODE_WORKFLOW})
    emulator.state.set_permission(REPO, BOT, "admin")
    for login, perm in ((MAINTAINER, "write"), (STRANGER, None)):
        emulator.state.add_user(login)
        if perm:
            emulator.state.set_permission(REPO, login, perm)
    return Hub(emulator, gh, tmp_path, config())


HubFactory = Callable[..., Hub]
