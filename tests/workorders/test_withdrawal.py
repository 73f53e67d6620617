"""A losing claim must stop counting: withdrawn by DELETE, else edited to withdrawn, else taken
back by `tick` later; a claimant looks for a live claim before writing its own."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from agentops.commands import claim as claim_cmd
from agentops.commands import release as release_cmd
from agentops.commands import tasks as tasks_cmd
from agentops.commands import tick as tick_cmd
from agentops.context import Context
from agentops.domain.claims import ClaimInfo, claim_body, live_claims
from agentops.domain.markers import Authors
from agentops.errors import LostRace
from agentops.orchestrator.claims import withdraw

from .conftest import REPO, form_body


def new_task(emulator: Any) -> int:
    n: int = emulator.state.create_issue(REPO, "task", form_body(), labels=("agent-task",))
    return n


def live_workers(gh: Any, number: int, now: dt.datetime) -> list[str]:
    rows = [(c.id, c.body, c.author) for c in gh.list_comments(REPO, number)]
    return [c.worker for c in live_claims(rows, now, Authors.of(["agentops-bot"]))]


def stray_claim(gh: Any, number: int, now: dt.datetime, worker: str = "w-loser") -> ClaimInfo:
    """A losing claim comment as a worker leaves it when its withdrawal failed."""
    expires = now + dt.timedelta(minutes=30)
    token = uuid.uuid4().hex[:16]
    c = gh.create_comment(REPO, number, claim_body("a2", worker, expires, token))
    return ClaimInfo(c.id, "a2", worker, expires.replace(microsecond=0), token, c.author)


def test_a_failing_delete_is_replaced_by_an_edit_to_withdrawn(emulator: Any, repo: str, gh: Any,
                                                              worker: Callable[..., Context], clock: Any) -> None:
    n = new_task(emulator)
    w1 = worker("w1")
    won = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), w1)
    assert won.claimed is not None
    loser = stray_claim(gh, n, clock.now)
    assert live_workers(gh, n, clock.now) == ["w1", "w-loser"]
    # GitHub keeps failing the DELETE (5xx through every retry): the claim is edited instead.
    emulator.faults.add(method="DELETE", path=r"/issues/comments/\d+$", status=502, count=50)
    withdraw(worker("w2"), REPO, loser)
    assert live_workers(gh, n, clock.now) == ["w1"]
    body = next(c.body for c in gh.list_comments(REPO, n) if c.id == loser.comment_id)
    assert "state=withdrawn" in body


def test_when_delete_and_edit_both_fail_the_loser_moves_on_and_tick_takes_the_claim_back(
        emulator: Any, repo: str, gh: Any, worker: Callable[..., Context], clock: Any) -> None:
    n = new_task(emulator)
    w1 = worker("w1")
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), w1).claimed is not None
    loser = stray_claim(gh, n, clock.now)
    emulator.faults.add(method="DELETE", path=r"/issues/comments/\d+$", status=502, count=50)
    emulator.faults.add(method="PATCH", path=r"/issues/comments/\d+$", status=502, count=50)
    w2 = worker("w2")
    withdraw(w2, REPO, loser)  # no exception: the race is simply lost
    assert "tick" in w2.output.err.getvalue()  # type: ignore[attr-defined]
    assert live_workers(gh, n, clock.now) == ["w1", "w-loser"]
    emulator.faults.clear()

    # The stale loser would hold the task once w1 lets go; tick takes it back first.
    tick_cmd.run(tick_cmd.TickOptions(), worker("ticker"))
    assert live_workers(gh, n, clock.now) == ["w1"]
    release_cmd.run(release_cmd.ReleaseOptions(issue=n, reason="failed"), w1)
    clock.advance(hours=2)  # past the retry backoff
    got = claim_cmd.run(claim_cmd.ClaimOptions(agent="a3", issue=n), worker("w3"))
    assert got.claimed is not None and got.claimed.worker == "w3"


def test_a_claimant_looks_before_writing(emulator: Any, repo: str, gh: Any, worker: Callable[..., Context]) -> None:
    n = new_task(emulator)
    w2 = worker("w2")
    tasks_cmd.run(tasks_cmd.TasksOptions(), w2)  # w2 saw the task ready...
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), worker("w1")).claimed is not None
    emulator.reset_counts()
    with pytest.raises(LostRace):  # ...its records do not know of w1's claim; the issue's comments do
        claim_cmd.run(claim_cmd.ClaimOptions(agent="a2", issue=n, sync=False), w2)
    assert emulator.total_requests("POST", "/repos/{owner}/{repo}/issues/{number}/comments") == 0
    assert emulator.total_requests("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}") == 0
