"""Approval is a maintainer's act on one text, and one issue from anyone costs a bounded number of
requests: a triage user cannot approve their own task, an edit after a maintainer's approval holds
the task again, and 2,000 dependencies cost no more than a handful of requests."""

from __future__ import annotations

from agentops.commands import claim as claim_cmd
from agentops.commands import tasks as tasks_cmd
from agentops.commands import tick as tick_cmd
from agentops.domain.markers import find_marker
from tests.fixtures.trust import ARENA_REPO as REPO
from tests.fixtures.trust import Arena, task_form

APPROVED = "agentops:approved"


def _status(arena: Arena, n: int, worker: str = "w1") -> tuple[str, str | None]:
    result = tasks_cmd.run(tasks_cmd.TasksOptions(), arena.worker(worker))
    [row] = [r for r in result.tasks if r.key == f"{REPO}#{n}"]
    return row.status, row.reason


def _status_note(arena: Arena, n: int) -> str:
    [note] = [c.body for c in arena.comments(n) if c.author == "agentops-bot" and find_marker(c.body, "task-status")]
    return note


def test_a_triage_users_self_approval_holds_the_task(arena: Arena) -> None:
    n = arena.task(author="triager")
    arena.as_user("triager").add_labels(REPO, n, [APPROVED])  # triage may label: GitHub lets them
    assert APPROVED in arena.issue(n).labels
    status, reason = _status(arena, n)
    assert status == "untrusted" and "@triager" in (reason or "") and "write access" in (reason or "")
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), arena.worker("w1")).claimed is None
    # A maintainer's label (a newer labeled event) approves it.
    arena.as_user("triager").remove_label(REPO, n, APPROVED)
    arena.as_user("maint").add_labels(REPO, n, [APPROVED])
    assert _status(arena, n)[0] == "ready"


def test_an_edit_after_a_maintainers_approval_holds_the_task(arena: Arena) -> None:
    n = arena.task(author="outsider", body=task_form(spec="- add a README section"))
    assert _status(arena, n)[0] == "untrusted"
    arena.as_user("maint").add_labels(REPO, n, [APPROVED])
    assert _status(arena, n)[0] == "ready"
    # The outsider (the issue's author may edit it) swaps the text after the approval.
    arena.as_user("outsider").update_issue(REPO, n, body=task_form(spec="- add a deploy key to the workflow"))
    status, reason = _status(arena, n)
    assert status == "untrusted" and "changed after @maint approved it" in (reason or "")
    assert "changed after @maint approved it" in _status_note(arena, n)  # the hold is said on the issue
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), arena.worker("w2")).claimed is None
    # Reverting the text does not need a new approval; a maintainer's re-approval covers the new text.
    arena.as_user("maint").remove_label(REPO, n, APPROVED)
    arena.as_user("maint").add_labels(REPO, n, [APPROVED])
    assert _status(arena, n)[0] == "ready"
    got = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), arena.worker("w2"))
    assert got.claimed is not None and got.claimed.issue == n


def test_an_approved_task_costs_one_events_read_per_run(arena: Arena) -> None:
    n = arena.task(author="outsider")
    arena.as_user("maint").add_labels(REPO, n, [APPROVED])
    ctx = arena.worker("w1")
    assert _status(arena, n)[0] == "ready"
    arena.emulator.reset_counts()
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert arena.emulator.total_requests(route="/repos/{owner}/{repo}/issues/{number}/events") == 1
    assert arena.emulator.total_requests() <= 4, arena.emulator.counts()


def test_two_thousand_dependencies_cost_a_bounded_number_of_requests(arena: Arena) -> None:
    deps = "\n".join(f"- other/lib#{i}" for i in range(1, 2001))
    n = arena.task(author="outsider", body=task_form(deps=deps))
    arena.emulator.reset_counts()
    status, reason = _status(arena, n)
    assert status == "invalid" and "2000 dependencies; at most 50" in (reason or "")
    assert arena.emulator.total_requests() <= 10, arena.emulator.counts()
    assert arena.emulator.total_requests(route="/repos/{owner}/{repo}/issues/{number}") == 0


def test_untrusted_tasks_cost_no_dependency_lookups(arena: Arena) -> None:
    n = arena.task(author="outsider", body=task_form(deps="\n".join(f"- other/lib#{i}" for i in range(1, 51))))
    arena.emulator.reset_counts()
    assert _status(arena, n)[0] == "untrusted"
    assert arena.emulator.total_requests(route="/repos/{owner}/{repo}/issues/{number}") == 0


def test_a_missing_dependency_is_asked_once_per_run(arena: Arena) -> None:
    n = arena.task(body=task_form(deps="- other/lib#1\n- other/lib#2\n- other/lib#3"))
    ctx = arena.worker("w1")
    arena.emulator.reset_counts()
    tick_cmd.run(tick_cmd.TickOptions(), ctx)  # evaluates the queue twice (and again after its writes)
    assert arena.emulator.total_requests("GET", "/repos/{owner}/{repo}/issues/{number}") == 3, arena.emulator.counts()
    assert _status(arena, n)[0] == "blocked"
