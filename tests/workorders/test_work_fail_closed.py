"""`work` checks the agent CLI before it claims anything, and one task's unexpected failure releases that
task's claim instead of killing the loop with the claim still live."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from agentops.commands import work as work_cmd
from agentops.context import Context
from agentops.domain.claims import CLAIMED_LABEL
from agentops.errors import BadInput
from agentops.settings import AgentConfig, ClaimsConfig, Config
from agentops.state import docs

from .conftest import REPO, form_body


@dataclass(frozen=True)
class FakeResult:
    status: str
    pr: int | None = None
    reason: str | None = None


def test_missing_agent_cli_is_exit_2_before_any_claim(emulator: Any, repo: str,
                                                      worker: Callable[..., Context]) -> None:
    n = emulator.state.create_issue(REPO, "t", form_body(), labels=("agent-task",))
    cfg = Config(agents=(AgentConfig(name="a1", executable="/nonexistent/claude"),),
                 claims=ClaimsConfig(settle_seconds=0))
    ctx = worker("w1", config=cfg)
    with pytest.raises(BadInput, match="/nonexistent/claude"):
        work_cmd.run(work_cmd.WorkOptions(agent="a1"), ctx)
    issue = emulator.state.issue(emulator.state.repo(REPO), n)
    assert CLAIMED_LABEL not in issue.labels and issue.comments == []
    assert not (ctx.state_dir / "orchestrator" / "task-queue.json").exists()


def test_an_unexpected_engine_error_releases_that_claim_and_the_loop_goes_on(
        emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    first = emulator.state.create_issue(REPO, "\u200b", form_body(), labels=("agent-task",))
    second = emulator.state.create_issue(REPO, "fine", form_body(), labels=("agent-task",))

    def engine(number: int, agent: str, repo_name: str, ctx: Context) -> FakeResult:
        if number == first:
            raise IndexError("list index out of range")  # what a title of only U+200B used to raise in `code`
        return FakeResult("pr-opened", pr=7)

    ctx = worker("w1")
    res = work_cmd.run(work_cmd.WorkOptions(agent="a1"), ctx, engine=engine)
    by = {o.key: o for o in res.outcomes}
    assert by[f"{REPO}#{first}"].status == "error" and "IndexError" in (by[f"{REPO}#{first}"].reason or "")
    assert by[f"{REPO}#{second}"].status == "pr-opened"
    for n in (first, second):
        assert CLAIMED_LABEL not in emulator.state.issue(emulator.state.repo(REPO), n).labels
    assert ctx.store.records(docs.TASK_QUEUE)[f"{REPO}#{first}"]["status"] == "backoff"
