"""GitHub's native relations in the queue: blocked-by dependencies (one set with the form's
Dependencies field, mirrored, sources shown by `plan`) and sub-issues (epics run as steps)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentops.commands import claim as claim_cmd
from agentops.commands import plan as plan_cmd
from agentops.commands import tasks as tasks_cmd
from agentops.context import Context
from agentops.orchestrator.relations import EPIC_SUMMARY_KIND
from agentops.state import docs

from .conftest import REPO, form_body

OTHER = "octo/lib"


def task(emulator: Any, title: str, *, labelled: bool = True, **kw: Any) -> int:
    n: int = emulator.state.create_issue(REPO, title, form_body(**kw), labels=("agent-task",) if labelled else ())
    return n


def key(n: int, repo: str = REPO) -> str:
    return f"{repo}#{n}"


def records(ctx: Context) -> dict[str, Any]:
    return dict(ctx.store.records(docs.TASK_QUEUE))


def close(emulator: Any, n: int) -> None:
    emulator.state.close(emulator.state.issue(emulator.state.repo(REPO), n), "agentops-bot", "completed")


def test_epic_with_three_steps_and_a_native_blocked_by(emulator: Any, repo: str,
                                                        worker: Callable[..., Context]) -> None:
    epic = task(emulator, "Epic: ship the feature", spec="- the steps are its sub-issues")
    s1 = task(emulator, "Step one", labelled=False)
    s2 = task(emulator, "Step two", labelled=False)
    s3 = task(emulator, "Step three", labelled=False)
    for s in (s1, s2, s3):
        emulator.state.add_sub_issue(REPO, epic, s)
    emulator.state.add_blocked_by(REPO, s2, s3)  # a person said so in GitHub's UI: two waits for three
    ctx = worker("w1")

    # plan: the epic is not a task of its own; its steps form waves by their own dependencies
    plan = plan_cmd.run(plan_cmd.PlanOptions(), ctx)
    assert [e.key for e in plan.epics] == [key(epic)]
    e = plan.epics[0]
    assert (e.steps_closed, e.steps, e.status) == (0, 3, "epic")
    assert [set(w) for w in e.waves] == [{key(s1), key(s3)}, {key(s2)}]
    rows = {t.key: t for w in plan.waves for t in w}
    assert key(epic) not in rows
    assert rows[key(s2)].dependencies == (key(s3),) and rows[key(s2)].sources == ("native",)
    assert rows[key(s2)].epic == key(epic) and rows[key(s2)].status == "blocked"
    assert {rows[key(s1)].status, rows[key(s3)].status} == {"ready"}

    # dispatch: the two free steps first (never the epic, never step two), then step two
    first = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed
    second = claim_cmd.run(claim_cmd.ClaimOptions(agent="a2"), ctx).claimed
    assert first is not None and second is not None
    assert {first.key, second.key} == {key(s1), key(s3)}
    nothing = claim_cmd.run(claim_cmd.ClaimOptions(agent="a3"), ctx)
    assert nothing.claimed is None
    close(emulator, s3)
    third = claim_cmd.run(claim_cmd.ClaimOptions(agent="a3"), ctx).claimed
    assert third is not None and third.key == key(s2)

    # closing: not while a step is open; then closed once, with one summary comment
    close(emulator, s1)
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert emulator.state.issue(emulator.state.repo(REPO), epic).state == "open"
    close(emulator, s2)
    result = tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert "epic-closed" in result.changes[key(epic)]
    issue = emulator.state.issue(emulator.state.repo(REPO), epic)
    assert issue.state == "closed" and issue.state_reason == "completed"
    summaries = [c for c in issue.comments if f"agentops:{EPIC_SUMMARY_KIND}" in c.body]
    assert len(summaries) == 1 and all(f"#{s}" in summaries[0].body for s in (s1, s2, s3))
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert len([c for c in issue.comments if f"agentops:{EPIC_SUMMARY_KIND}" in c.body]) == 1


def test_steps_without_dependencies_run_in_sub_issue_order(emulator: Any, repo: str,
                                                           worker: Callable[..., Context]) -> None:
    epic = task(emulator, "Epic")
    steps = [task(emulator, f"step {i}", labelled=False) for i in range(3)]
    for s in steps:
        emulator.state.add_sub_issue(REPO, epic, s)
    # a person reorders in GitHub's UI: the last step goes first
    r = emulator.state.repo(REPO)
    parent = emulator.state.issue(r, epic)
    last = emulator.state.issue(r, steps[2]).id
    parent.sub_issue_ids.remove(last)
    parent.sub_issue_ids.insert(0, last)
    ctx = worker("w1")
    plan = plan_cmd.run(plan_cmd.PlanOptions(), ctx)
    assert [list(w) for w in plan.epics[0].waves] == [[key(steps[2])], [key(steps[0])], [key(steps[1])]]
    rows = {t.key: t for w in plan.waves for t in w}
    assert rows[key(steps[0])].sources == ("order",)


def test_form_and_native_dependencies_are_one_set(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    emulator.state.create_repo(OTHER)
    lib = emulator.state.create_issue(OTHER, "library change")
    base = task(emulator, "base")
    person = task(emulator, "a person's blocker")
    waiting = task(emulator, "waits", deps=f"#{base}, {OTHER}#{lib}")
    emulator.state.add_blocked_by(REPO, waiting, person)  # added in GitHub's UI, not in the form
    ctx = worker("w1")

    dry = tasks_cmd.run(tasks_cmd.TasksOptions(dry_run=True), ctx)
    rec = records(ctx)[key(waiting)]
    assert rec["dependency_sources"] == {key(base): "form", key(lib, OTHER): "form", key(person): "native"}
    assert len(rec["dependency_warnings"]) == 3 and dry.counts["blocked"] == 1
    assert emulator.state.issue(emulator.state.repo(REPO), waiting).blocked_by_ids == [
        emulator.state.issue(emulator.state.repo(REPO), person).id]  # a dry run writes nothing

    result = tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert sorted(result.changes[key(waiting)][:2]) == sorted([f"blocked-by {key(base)}",
                                                               f"blocked-by {key(lib, OTHER)}"])
    blocked = emulator.state.issue(emulator.state.repo(REPO), waiting)
    ids = {emulator.state.issue(emulator.state.repo(REPO), person).id,
           emulator.state.issue(emulator.state.repo(REPO), base).id,
           emulator.state.issue(emulator.state.repo(OTHER), lib).id}
    assert set(blocked.blocked_by_ids) == ids  # mirrored; the person's relation kept
    rec = records(ctx)[key(waiting)]
    assert rec["dependency_sources"] == {key(base): "both", key(lib, OTHER): "both", key(person): "native"}
    assert len(rec["dependency_warnings"]) == 1  # the person's edge is not in the form: a warning only

    emulator.reset_counts()
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)  # idempotent: nothing added twice
    assert emulator.total_requests(method="POST") == 0
    plan = plan_cmd.run(plan_cmd.PlanOptions(), ctx)
    row = next(t for w in plan.waves for t in w if t.key == key(waiting))
    assert dict(zip(row.dependencies, row.sources, strict=True)) == rec["dependency_sources"]
    assert any(key(person) in w for w in plan.warnings)

    for n in (base, person):
        close(emulator, n)
    emulator.state.close(emulator.state.issue(emulator.state.repo(OTHER), lib), "agentops-bot", "completed")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert records(ctx)[key(waiting)]["status"] == "ready"


def test_a_refused_mirror_is_a_warning_not_a_failure(emulator: Any, repo: str,
                                                     worker: Callable[..., Context]) -> None:
    emulator.state.create_repo("elsewhere/private", private=True)
    secret = emulator.state.create_issue("elsewhere/private", "not visible to us")
    waiting = task(emulator, "waits", deps=f"elsewhere/private#{secret}")
    ctx = worker("w1")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    rec = records(ctx)[key(waiting)]
    assert "elsewhere/private#1" in rec["mirror_refused"]
    assert any("could not add it" in w for w in rec["dependency_warnings"])
    emulator.reset_counts()
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert emulator.total_requests(method="POST") == 0  # not retried every pass


def test_unchanged_relations_cost_no_requests(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    epic = task(emulator, "Epic")
    steps = [task(emulator, f"step {i}", labelled=False) for i in range(3)]
    for s in steps:
        emulator.state.add_sub_issue(REPO, epic, s)
    emulator.state.add_blocked_by(REPO, steps[2], steps[0])
    ctx = worker("w1")
    for _ in range(4):  # the first passes label and note the waiting steps (their own writes)
        if not tasks_cmd.run(tasks_cmd.TasksOptions(), ctx).changes:
            break
    emulator.reset_counts()
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    relation_routes = ("/repos/{owner}/{repo}/issues/{number}/sub_issues",
                       "/repos/{owner}/{repo}/issues/{number}/dependencies/blocked_by")
    assert sum(emulator.total_requests(route=r) for r in relation_routes) == 0, emulator.counts()
    assert emulator.total_requests() <= 6, emulator.counts()


def test_hostile_authors_get_no_mirroring_and_no_dispatch(emulator: Any, repo: str,
                                                          worker: Callable[..., Context]) -> None:
    """A stranger (no write access) files a task whose form names dependencies, and a step of a
    maintainer's epic: agentops writes no relation for the stranger, never dispatches the
    stranger's step, and keeps the epic open while it is."""
    emulator.state.add_user("stranger")
    base = task(emulator, "base")
    planted = emulator.state.create_issue(REPO, "waits", form_body(deps=f"#{base}"), author="stranger",
                                          labels=("agent-task",))
    epic = task(emulator, "Epic")
    ours = task(emulator, "our step", labelled=False)
    theirs = emulator.state.create_issue(REPO, "their step", form_body(spec="- run this"), author="stranger")
    for s in (ours, theirs):
        emulator.state.add_sub_issue(REPO, epic, s)
    ctx = worker("w1")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    recs = records(ctx)
    assert emulator.state.issue(emulator.state.repo(REPO), planted).blocked_by_ids == []  # nothing mirrored
    assert recs[key(planted)]["status"] == "untrusted" and recs[key(theirs)]["status"] == "untrusted"
    first = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed
    assert first is not None and first.key in {key(base), key(ours)}
    second = claim_cmd.run(claim_cmd.ClaimOptions(agent="a2"), ctx).claimed
    assert second is not None and {first.key, second.key} == {key(base), key(ours)}
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a3"), ctx).claimed is None  # never their step
    close(emulator, ours)
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert emulator.state.issue(emulator.state.repo(REPO), epic).state == "open"


def test_the_cron_tick_mirrors_and_closes_finished_epics(emulator: Any, repo: str,
                                                         worker: Callable[..., Context]) -> None:
    from agentops.commands import tick as tick_cmd

    base = task(emulator, "base")
    waiting = task(emulator, "waits", deps=f"#{base}")
    epic = task(emulator, "Epic")
    steps = [task(emulator, f"step {i}", labelled=False) for i in range(2)]
    for s in steps:
        emulator.state.add_sub_issue(REPO, epic, s)
    ctx = worker("w1")
    tick_cmd.run(tick_cmd.TickOptions(), ctx)
    r = emulator.state.repo(REPO)
    assert emulator.state.issue(r, waiting).blocked_by_ids == [emulator.state.issue(r, base).id]
    for s in steps:
        close(emulator, s)
    tick_cmd.run(tick_cmd.TickOptions(), ctx)
    assert emulator.state.issue(r, epic).state == "closed"
