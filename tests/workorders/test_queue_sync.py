"""`tasks`, `plan` and `tick` against the emulator: sync cost, dependencies, cycles, leases,
escalation, retries, idempotence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from agentops.commands import claim as claim_cmd
from agentops.commands import plan as plan_cmd
from agentops.commands import release as release_cmd
from agentops.commands import tasks as tasks_cmd
from agentops.commands import tick as tick_cmd
from agentops.context import Context
from agentops.domain.claims import BLOCKED_LABEL, CLAIMED_LABEL, NEEDS_HUMAN_LABEL
from agentops.state import docs

from .conftest import REPO, form_body, wo_config


def issue(emulator: Any, n: int) -> Any:
    return emulator.state.issue(emulator.state.repo(REPO), n)


def new_task(emulator: Any, title: str = "task", **kw: Any) -> int:
    n: int = emulator.state.create_issue(REPO, title, form_body(**kw), labels=("agent-task",))
    return n


def statuses(ctx: Context) -> dict[int, str]:
    return {r["number"]: r["status"] for k, r in ctx.store.records(docs.TASK_QUEUE).items() if "#" in k}


def test_sync_of_500_unchanged_issues_is_cheap(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    for i in range(500):
        new_task(emulator, f"t{i}")
    ctx = worker("w1")
    first = tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert len(first.tasks) == 500 and first.counts == {"ready": 500}
    emulator.reset_counts()
    again = tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert emulator.total_requests() <= 6, emulator.counts()
    assert again.synced[0].not_modified and again.changes == {}


def test_closure_on_a_late_page_is_seen(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    nums = [new_task(emulator, f"t{i}") for i in range(150)]
    waiting = new_task(emulator, "waits", deps=f"#{nums[0]}")
    ctx = worker("w1")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert statuses(ctx)[waiting] == "blocked"
    emulator.state.close(issue(emulator, nums[0]), "agentops-bot", "completed")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    st = statuses(ctx)
    assert st[nums[0]] == "done" and st[waiting] == "ready"


def test_blocked_label_and_one_comment_naming_blockers(emulator: Any, repo: str,
                                                       worker: Callable[..., Context]) -> None:
    emulator.state.create_repo("octo/lib")
    outside = emulator.state.create_issue("octo/lib", "lib change")
    dep = new_task(emulator, "first")
    n = new_task(emulator, "second", deps=f"#{dep}, octo/lib#{outside}")
    ctx = worker("w1")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert BLOCKED_LABEL in issue(emulator, n).labels
    notes = [c.body for c in issue(emulator, n).comments]
    assert len(notes) == 1 and f"#{dep}" in notes[0] and f"octo/lib#{outside}" in notes[0]
    # The outside issue closes: still blocked by #dep, the same comment is edited.
    emulator.state.close(emulator.state.issue(emulator.state.repo("octo/lib"), outside), "x", "completed")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    notes = [c.body for c in issue(emulator, n).comments]
    assert len(notes) == 1 and "octo/lib" not in notes[0]
    emulator.state.close(issue(emulator, dep), "x", "completed")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert BLOCKED_LABEL not in issue(emulator, n).labels
    notes = [c.body for c in issue(emulator, n).comments]
    assert len(notes) == 1 and "Ready" in notes[0]
    # Closed outside dependencies are remembered: no more requests for them.
    assert f"octo/lib#{outside}" in (ctx.store.get(docs.TASK_QUEUE, "deps:closed") or {})["closed"]
    events = [(e["action"], e["issue"]) for e in ctx.store.read_log(docs.AGENT_ACTIONS)]
    assert ("blocked", n) in events and ("unblocked", n) in events


def test_three_cycle_is_held_and_named(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    a = new_task(emulator, "a", deps="#2")
    b = new_task(emulator, "b", deps="#3")
    c = new_task(emulator, "c", deps="#1")
    free = new_task(emulator, "free")
    after = new_task(emulator, "after", deps=f"#{free}")
    ctx = worker("w1")
    res = tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert res.cycles == ((f"{REPO}#{a}", f"{REPO}#{b}", f"{REPO}#{c}"),)
    assert {statuses(ctx)[x] for x in (a, b, c)} == {"cycle"}
    assert "dependency cycle #1 -> #2 -> #3 -> #1" in issue(emulator, a).comments[0].body
    plan = plan_cmd.run(plan_cmd.PlanOptions(), ctx)
    assert [[t.key for t in w] for w in plan.waves] == [[f"{REPO}#{free}"], [f"{REPO}#{after}"]]
    assert {t.key for t in plan.held} == {f"{REPO}#{x}" for x in (a, b, c)}
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed.issue == free  # type: ignore[union-attr]


def test_invalid_form_is_held_with_precise_problems(emulator: Any, repo: str,
                                                    worker: Callable[..., Context]) -> None:
    n = new_task(emulator, deadline="2026-02-30", deps="#1")
    ctx = worker("w1")
    res = tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert res.tasks[0].status == "invalid"
    body = issue(emulator, n).comments[0].body
    assert "Deadline: '2026-02-30' is not a valid date" in body and "is this issue itself" in body


def test_killed_worker_lease_expires_and_tick_requeues(emulator: Any, repo: str, worker: Callable[..., Context],
                                                       clock: Any) -> None:
    n = new_task(emulator)
    dead = worker("dead")
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), dead).claimed is not None
    # The worker dies: no heartbeat, no release. Before the lease ends nothing moves.
    orch = worker("orch")
    assert not tick_cmd.run(tick_cmd.TickOptions(), orch).expired
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a2"), worker("w2")).claimed is None
    clock.advance(minutes=61)
    res = tick_cmd.run(tick_cmd.TickOptions(), orch)
    assert res.expired == (f"{REPO}#{n}",)
    assert CLAIMED_LABEL not in issue(emulator, n).labels
    rec = orch.store.get(docs.TASK_QUEUE, f"{REPO}#{n}")
    assert rec is not None and rec["attempts"] == 1 and rec["status"] == "ready"
    # Idempotent: a second tick changes nothing on GitHub or in state.
    before = (len(issue(emulator, n).comments), list(issue(emulator, n).labels))
    state_before = orch.store.path(docs.TASK_QUEUE).read_bytes()
    again = tick_cmd.run(tick_cmd.TickOptions(), orch)
    assert not again.changed
    assert (len(issue(emulator, n).comments), list(issue(emulator, n).labels)) == before
    assert orch.store.path(docs.TASK_QUEUE).read_bytes() == state_before
    # Nothing stays stuck: another worker takes it.
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a2"), worker("w2")).claimed.issue == n  # type: ignore[union-attr]
    acts = [e["action"] for e in orch.store.read_log(docs.AGENT_ACTIONS)]
    assert "lease-expired" in acts and "requeue" in acts


def test_overdue_task_escalates_once(emulator: Any, repo: str, worker: Callable[..., Context], clock: Any) -> None:
    n = new_task(emulator, priority="low", deadline="2026-01-01T13:00Z")
    ctx = worker("orch")
    assert not tick_cmd.run(tick_cmd.TickOptions(), ctx).escalated
    clock.advance(hours=2)
    assert tick_cmd.run(tick_cmd.TickOptions(), ctx).escalated == (f"{REPO}#{n}",)
    assert tick_cmd.run(tick_cmd.TickOptions(), ctx).escalated == ()
    comments = [c.body for c in issue(emulator, n).comments]
    assert len(comments) == 1 and "Overdue" in comments[0]
    assert (ctx.store.get(docs.TASK_QUEUE, f"{REPO}#{n}") or {})["priority"] == "medium"


def test_failures_back_off_then_need_a_human(emulator: Any, repo: str, worker: Callable[..., Context],
                                            clock: Any) -> None:
    n = new_task(emulator)
    ctx = worker("w1", config=wo_config(max_attempts=2, backoff_minutes=10))
    claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx)
    release_cmd.run(release_cmd.ReleaseOptions(n, reason="failed"), ctx)
    assert statuses(ctx)[n] == "backoff"
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is None
    clock.advance(minutes=11)
    assert tick_cmd.run(tick_cmd.TickOptions(), ctx).requeued == (f"{REPO}#{n}",)
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is not None
    release_cmd.run(release_cmd.ReleaseOptions(n, reason="failed"), ctx)
    res = tick_cmd.run(tick_cmd.TickOptions(), ctx)
    assert res.needs_human == (f"{REPO}#{n}",)
    assert NEEDS_HUMAN_LABEL in issue(emulator, n).labels
    assert not tick_cmd.run(tick_cmd.TickOptions(), ctx).changed
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is None


def test_backoff_grows(emulator: Any, repo: str, worker: Callable[..., Context], clock: Any) -> None:
    n = new_task(emulator)
    ctx = worker("w1", config=wo_config(max_attempts=5, backoff_minutes=10))
    waits = []
    for _ in range(3):
        claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), ctx)
        release_cmd.run(release_cmd.ReleaseOptions(n, reason="failed"), ctx)
        rec = ctx.store.get(docs.TASK_QUEUE, f"{REPO}#{n}") or {}
        retry = dt.datetime.fromisoformat(rec["retry_at"].replace("Z", "+00:00"))
        waits.append(retry - clock())
        clock.now = retry + dt.timedelta(seconds=1)
    assert waits == [dt.timedelta(minutes=10), dt.timedelta(minutes=20), dt.timedelta(minutes=40)]


def test_reopened_task_is_work_again(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    n = new_task(emulator)
    ctx = worker("w1")
    claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx)
    release_cmd.run(release_cmd.ReleaseOptions(n, reason="completed"), ctx)
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is None  # done, PR pending
    emulator.state.close(issue(emulator, n), "x", "completed")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    emulator.state.reopen(issue(emulator, n))
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed.issue == n  # type: ignore[union-attr]
