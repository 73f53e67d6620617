"""Claims against the emulator in one process: the protocol, races, faults, trust, release."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agentops.commands import claim as claim_cmd
from agentops.commands import release as release_cmd
from agentops.commands import tasks as tasks_cmd
from agentops.context import Context
from agentops.domain.claims import CLAIMED_LABEL, live_claims
from agentops.domain.markers import Authors, find_marker
from agentops.errors import LostRace, WorkFailed
from agentops.orchestrator import claims as claims_mod
from agentops.state import docs

from .conftest import REPO, form_body, wo_config


def claims_on(emulator: Any, number: int) -> list[Any]:
    issue = emulator.state.issue(emulator.state.repo(REPO), number)
    return [c for c in issue.comments if find_marker(c.body, "claim")]


def labels_of(emulator: Any, number: int) -> list[str]:
    return list(emulator.state.issue(emulator.state.repo(REPO), number).labels)


def new_task(emulator: Any, title: str = "task", **kw: Any) -> int:
    author = kw.pop("author", "agentops-bot")
    labels = kw.pop("labels", ("agent-task",))
    n: int = emulator.state.create_issue(REPO, title, form_body(**kw), author=author, labels=labels)
    return n


def actions(ctx: Context) -> list[dict[str, Any]]:
    return list(ctx.store.read_log(docs.AGENT_ACTIONS))


def test_uncontended_claim_costs_at_most_five_requests(emulator: Any, repo: str,
                                                       worker: Callable[..., Context]) -> None:
    n = new_task(emulator)
    ctx = worker("w1")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)  # a previous sync, as in a long-running worker
    emulator.reset_counts()
    res = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx)
    assert res.claimed is not None and res.claimed.issue == n
    assert emulator.total_requests() <= 5, emulator.counts()
    assert len(claims_on(emulator, n)) == 1 and CLAIMED_LABEL in labels_of(emulator, n)
    rec = ctx.store.get(docs.TASK_QUEUE, f"{REPO}#{n}")
    assert rec is not None and rec["status"] == "claimed" and rec["claim"]["agent"] == "a1"
    assert [(a["action"], a["result"], a["issue"]) for a in actions(ctx)] == [("claim", "ok", n)]


def test_no_eligible_task_is_not_an_error(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    res = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), worker("w1"))
    assert res.claimed is None and res.reason == "no eligible task"


def test_second_worker_loses_explicit_claim_with_exit_4(emulator: Any, repo: str,
                                                        worker: Callable[..., Context]) -> None:
    n = new_task(emulator)
    first = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), worker("w1"))
    assert first.claimed is not None
    with pytest.raises(LostRace) as err:
        claim_cmd.run(claim_cmd.ClaimOptions(agent="a2", issue=n), worker("w2"))
    assert err.value.exit_code == 4
    live = claims_on(emulator, n)
    assert len(live) == 1 and first.claimed.comment_id == live[0].id  # the loser withdrew its comment


def test_interleaved_race_lowest_comment_wins(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    """Both post before either reads back: w1 (lower id) wins, w2 withdraws."""
    n = new_task(emulator)
    results: dict[str, Any] = {}
    w2 = worker("w2")

    def w1_settle(_: float) -> None:
        if "w2" not in results:
            try:
                results["w2"] = claims_mod.claim_issue(w2, REPO, n, "a2")
            except Exception as exc:  # pragma: no cover - surfaced by the assert below
                results["w2"] = exc

    w1 = worker("w1", config=wo_config(settle=0.5), sleep=w1_settle)
    won = claims_mod.claim_issue(w1, REPO, n, "a1")
    assert won.won and not results["w2"].won
    assert results["w2"].winner.comment_id == won.claim.comment_id
    assert [c.id for c in claims_on(emulator, n)] == [won.claim.comment_id]


def test_5xx_after_the_comment_was_created_makes_no_duplicate(emulator: Any, repo: str,
                                                               worker: Callable[..., Context]) -> None:
    n = new_task(emulator)
    emulator.faults.add(method="POST", path=rf"/issues/{n}/comments$", status=502, count=1, after_action=True)
    res = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), worker("w1"))
    assert res.claimed is not None
    got = claims_on(emulator, n)
    assert [c.id for c in got] == [res.claimed.comment_id]
    # Another worker still loses to it.
    with pytest.raises(LostRace):
        claim_cmd.run(claim_cmd.ClaimOptions(agent="a2", issue=n), worker("w2"))
    assert len(claims_on(emulator, n)) == 1


def test_secondary_rate_limit_is_waited_out(emulator: Any, repo: str, worker: Callable[..., Context],
                                            gh_sleeps: list[float]) -> None:
    n = new_task(emulator)
    emulator.faults.add(method="POST", path=rf"/issues/{n}/comments$", status=403, count=1, retry_after=7,
                        message="You have exceeded a secondary rate limit")
    res = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), worker("w1"))
    assert res.claimed is not None
    assert 7 in [round(s) for s in gh_sleeps]
    assert [c.id for c in claims_on(emulator, n)] == [res.claimed.comment_id]


def test_contended_fault_gives_one_winner(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    n = new_task(emulator)
    w2 = worker("w2")
    seen: dict[str, Any] = {}

    def w1_settle(_: float) -> None:
        if not seen:
            emulator.faults.add(method="POST", path=rf"/issues/{n}/comments$", status=502, count=1,
                                after_action=True)
            seen["w2"] = claims_mod.claim_issue(w2, REPO, n, "a2")

    w1 = worker("w1", config=wo_config(settle=0.1), sleep=w1_settle)
    won = claims_mod.claim_issue(w1, REPO, n, "a1")
    assert won.won and not seen["w2"].won
    assert [c.id for c in claims_on(emulator, n)] == [won.claim.comment_id]


def test_untrusted_author_is_never_claimed(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    emulator.state.add_user("stranger")
    n = new_task(emulator, author="stranger")
    ctx = worker("w1")
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is None
    with pytest.raises(WorkFailed, match="untrusted"):
        claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), ctx)
    assert claims_on(emulator, n) == []
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    notes = [c.body for c in emulator.state.issue(emulator.state.repo(REPO), n).comments]
    assert len(notes) == 1 and "no write access" in notes[0] and "agentops:approved" in notes[0]
    # A maintainer approves with the label: now it can be claimed.
    emulator.state.label_issue(REPO, n, ["agentops:approved"], actor="agentops-bot")  # an admin, in the events
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is not None


def test_collaborator_permission_makes_author_trusted(emulator: Any, repo: str,
                                                      worker: Callable[..., Context]) -> None:
    emulator.state.add_user("helper")
    emulator.state.set_permission(REPO, "helper", "write")
    new_task(emulator, author="helper")
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), worker("w1")).claimed is not None


def test_secret_requests_are_held_for_a_human(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    n = new_task(emulator, spec="- rotate the deploy credentials and print them")
    ctx = worker("w1")
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is None
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    assert "needs-human" in labels_of(emulator, n)


def test_assigned_agent_and_priority_order(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    low = new_task(emulator, "low", priority="low")
    crit = new_task(emulator, "crit", priority="critical")
    mine = new_task(emulator, "for a2", agent="a2", priority="critical")
    ctx = worker("w1")
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed.issue == crit  # type: ignore[union-attr]
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed.issue == low  # type: ignore[union-attr]
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is None
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a2"), worker("w2")).claimed.issue == mine  # type: ignore[union-attr]


def test_max_concurrent_is_respected(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    for i in range(3):
        new_task(emulator, f"t{i}")
    ctx = worker("w1", config=wo_config(max_concurrent=2))
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is not None
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is not None
    res = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx)
    assert res.claimed is None and "max_concurrent 2" in (res.reason or "")


def test_unknown_agent_is_bad_input(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    from agentops.errors import BadInput

    with pytest.raises(BadInput, match="unknown agent 'zz'"):
        claim_cmd.run(claim_cmd.ClaimOptions(agent="zz"), worker("w1"))


def test_release_voids_exactly_that_claim_and_requeues(emulator: Any, repo: str,
                                                       worker: Callable[..., Context], clock: Any) -> None:
    n = new_task(emulator)
    ctx = worker("w1")
    claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), ctx)
    res = release_cmd.run(release_cmd.ReleaseOptions(n, reason="abandoned"), ctx)
    assert res.released and res.status == "ready"
    assert CLAIMED_LABEL not in labels_of(emulator, n)
    rows = [(c.id, c.body, c.author) for c in emulator.state.issue(emulator.state.repo(REPO), n).comments]
    assert live_claims(rows, clock(), Authors.of(["agentops-bot"])) == []
    # It can be claimed again, by someone else.
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a2", issue=n), worker("w2")).claimed is not None
    assert [a["action"] for a in actions(ctx)] == ["claim", "release"]
    assert actions(ctx)[1]["details"]["reason"] == "abandoned"


def test_renew_lease_moves_expiry_and_detects_loss(emulator: Any, repo: str, worker: Callable[..., Context],
                                                   clock: Any) -> None:
    n = new_task(emulator)
    ctx = worker("w1")
    first = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), ctx).claimed
    assert first is not None
    clock.advance(minutes=20)
    expires = claims_mod.renew_lease(ctx, REPO, n)
    assert expires == clock() + __import__("datetime").timedelta(minutes=60)
    body = emulator.state.issue(emulator.state.repo(REPO), n).comments[0].body
    assert find_marker(body, "claim").get("expires") == expires.strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[union-attr]
    release_cmd.run(release_cmd.ReleaseOptions(n, reason="manual"), worker("human"))
    with pytest.raises(LostRace):
        claims_mod.renew_lease(ctx, REPO, n)
