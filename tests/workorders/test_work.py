"""`work`: the claim -> code -> release loop, heartbeats, signals, and the real code engine."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentops.commands import work as work_cmd
from agentops.context import Context
from agentops.domain.claims import CLAIMED_LABEL
from agentops.domain.markers import find_marker
from agentops.state import docs
from tests.code.conftest import REPO as CODE_REPO
from tests.code.conftest import CodeEnv, code_env  # noqa: F401  (fixture)

from .conftest import REPO, form_body


@dataclass(frozen=True)
class FakeResult:
    status: str
    pr: int | None = None
    reason: str | None = None


def new_task(emulator: Any, title: str = "task") -> int:
    n: int = emulator.state.create_issue(REPO, title, form_body(), labels=("agent-task",))
    return n


def issue(emulator: Any, n: int) -> Any:
    return emulator.state.issue(emulator.state.repo(REPO), n)


def test_loop_claims_codes_and_releases_until_empty(emulator: Any, repo: str,
                                                    worker: Callable[..., Context]) -> None:
    nums = [new_task(emulator, f"t{i}") for i in range(3)]
    seen: list[int] = []

    def engine(number: int, agent: str, repo_name: str, ctx: Context) -> FakeResult:
        seen.append(number)
        assert CLAIMED_LABEL in issue(emulator, number).labels  # claimed while coding
        return FakeResult("failed", reason="tests red") if number == nums[1] else FakeResult("pr-opened", pr=100)

    ctx = worker("w1")
    res = work_cmd.run(work_cmd.WorkOptions(agent="a1"), ctx, engine=engine)
    assert res.stopped == "queue-empty" and sorted(seen) == nums
    assert [o.released for o in res.outcomes].count("failed") == 1
    for n in nums:
        assert CLAIMED_LABEL not in issue(emulator, n).labels
    recs = ctx.store.records(docs.TASK_QUEUE)
    assert recs[f"{REPO}#{nums[0]}"]["status"] == "done"
    assert recs[f"{REPO}#{nums[1]}"]["status"] == "backoff" and recs[f"{REPO}#{nums[1]}"]["attempts"] == 1
    acts = [e["action"] for e in ctx.store.read_log(docs.AGENT_ACTIONS)]
    assert acts.count("task-completed") == 2 and acts.count("task-failed") == 1 and acts.count("code-start") == 3


def test_max_tasks_stops_the_loop(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    for i in range(3):
        new_task(emulator, f"t{i}")
    res = work_cmd.run(work_cmd.WorkOptions(agent="a1", max_tasks=1), worker("w1"),
                       engine=lambda *a: FakeResult("pr-opened", 1))
    assert res.stopped == "max-tasks" and len(res.outcomes) == 1


def test_heartbeat_renews_the_lease_while_the_engine_runs(emulator: Any, repo: str,
                                                          worker: Callable[..., Context], clock: Any) -> None:
    n = new_task(emulator)
    ctx = worker("w1")
    renewed = threading.Event()
    expiries: list[str] = []

    def engine(number: int, agent: str, repo_name: str, c: Context) -> FakeResult:
        clock.advance(minutes=50)
        deadline = time.monotonic() + 600  # wait for the event (the renewal), however busy the machine
        while time.monotonic() < deadline:
            body = issue(emulator, n).comments[0].body
            m = find_marker(body, "claim")
            if m and m.get("expires") == "2026-01-01T13:50:00Z":
                expiries.append(m.get("expires") or "")
                renewed.set()
                break
            threading.Event().wait(0.02)
        return FakeResult("pr-opened", 7)

    work_cmd.run(work_cmd.WorkOptions(agent="a1", max_tasks=1, heartbeat_s=0.01), ctx, engine=engine)
    assert renewed.is_set(), "the lease was never pushed to clock + 60 min"


def test_sigterm_releases_the_claim_before_exiting(emulator: Any, repo: str,
                                                   worker: Callable[..., Context]) -> None:
    n = new_task(emulator)
    ctx = worker("w1")

    def engine(number: int, agent: str, repo_name: str, c: Context) -> FakeResult:
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Event().wait(5)  # the handler interrupts this
        raise AssertionError("not interrupted")

    res = work_cmd.run(work_cmd.WorkOptions(agent="a1"), ctx, engine=engine)
    assert res.stopped == "signal" and res.signal == signal.SIGTERM
    assert CLAIMED_LABEL not in issue(emulator, n).labels
    releases = [c.body for c in issue(emulator, n).comments if find_marker(c.body, "release")]
    assert len(releases) == 1 and find_marker(releases[0], "release").get("reason") == "signal"  # type: ignore[union-attr]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored
    assert (ctx.store.get(docs.TASK_QUEUE, f"{REPO}#{n}") or {})["status"] == "ready"


def test_work_with_the_real_code_engine_opens_a_pr(code_env: CodeEnv) -> None:  # noqa: F811
    n = code_env.emulator.state.create_issue(CODE_REPO, "Add the widget feature flag",
                                             code_env.issue.__defaults__[1],  # type: ignore[index]
                                             labels=("agent-task",))
    ctx = code_env.ctx()
    res = work_cmd.run(work_cmd.WorkOptions(agent="claude", max_tasks=1), ctx)
    [outcome] = res.outcomes
    assert outcome.status == "pr-opened" and outcome.pr is not None, outcome
    assert outcome.released == "completed"
    labels = code_env.emulator.state.issue(code_env.emulator.state.repo(CODE_REPO), n).labels
    assert CLAIMED_LABEL not in labels
    assert (ctx.store.get(docs.TASK_QUEUE, f"{CODE_REPO}#{n}") or {})["status"] == "done"
