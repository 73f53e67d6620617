"""What a claim costs in requests, and that the cheaper path stays safe: an issue the sync just saw
without a comment is claimed without reading its comments first (4 requests), and a rival whose
claim lands in between still wins by the lowest comment id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentops.commands import claim as claim_cmd
from agentops.commands import tasks as tasks_cmd
from agentops.context import Context
from agentops.domain import queue as q
from agentops.domain.markers import find_marker

from .conftest import REPO, form_body

COMMENTS = ("GET", "/repos/{owner}/{repo}/issues/{number}/comments")


def task(emulator: Any, title: str = "task") -> int:
    n: int = emulator.state.create_issue(REPO, title, form_body(), author="agentops-bot", labels=("agent-task",))
    return n


def claims_on(emulator: Any, number: int) -> list[Any]:
    issue = emulator.state.issue(emulator.state.repo(REPO), number)
    return [c for c in issue.comments if find_marker(c.body, "claim")]


def test_uncontended_claim_of_a_comment_free_issue_costs_four(emulator: Any, repo: str,
                                                              worker: Callable[..., Context]) -> None:
    for i in range(3):
        task(emulator, f"t{i}")
    ctx = worker("w1")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    for _ in range(3):
        emulator.reset_counts()
        got = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx)
        assert got.claimed is not None
        # sync, the claim comment, the read after settling, the label
        assert emulator.total_requests() == 4, emulator.counts()
        assert emulator.total_requests(*COMMENTS) == 1


def test_an_issue_with_comments_is_looked_at_first(emulator: Any, repo: str, worker: Callable[..., Context]) -> None:
    n = task(emulator)
    emulator.state.add_comment(REPO, n, "a question", author="agentops-bot")
    ctx = worker("w1")
    tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
    emulator.reset_counts()
    assert claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx).claimed is not None
    assert emulator.total_requests(*COMMENTS) == 2, emulator.counts()


class _RivalFirst:
    """w1's GitHub port: just before w1 writes its claim comment, w2 claims the same task."""

    def __init__(self, gh: Any, rival: Callable[[], Any]) -> None:
        self._gh = gh
        self._rival = rival
        self.rival_result: Any = None

    def create_comment(self, *args: Any, **kw: Any) -> Any:
        if self.rival_result is None:
            self.rival_result = self._rival()
        return self._gh.create_comment(*args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gh, name)


def test_a_rival_claim_between_sync_and_post_still_wins(emulator: Any, repo: str, gh: Any,
                                                        worker: Callable[..., Context]) -> None:
    n = task(emulator)
    w1_port = _RivalFirst(gh, lambda: claim_cmd.run(claim_cmd.ClaimOptions(agent="a2", issue=n), worker("w2")))
    w1 = worker("w1", github=w1_port)
    tasks_cmd.run(tasks_cmd.TasksOptions(), w1)
    got = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), w1)
    rival = w1_port.rival_result
    assert rival.claimed is not None and rival.claimed.worker == "w2"
    assert got.claimed is None and got.lost == (f"{REPO}#{n}",)
    # w1 withdrew its comment: the rival's is the only claim left.
    assert [c.id for c in claims_on(emulator, n)] == [rival.claimed.comment_id]


def test_contested_tasks_are_tried_last_among_equals() -> None:
    keys = [f"o/r#{i}" for i in range(1, 9)]
    tasks = {k: q.QueueTask(key=k) for k in keys}
    busy = {"o/r#2", "o/r#5", "o/r#7"}
    for seed in ("w1", "w2", "w3"):
        order = q.spread(keys, tasks, seed, later=busy)
        assert set(order[-3:]) == busy and sorted(order) == sorted(keys)
    urgent = {**tasks, "o/r#9": q.QueueTask(key="o/r#9", priority="critical")}
    # Urgency still comes first: a contested critical task is tried before quiet medium ones.
    assert q.spread(["o/r#9", *keys], urgent, "w1", later={"o/r#9"})[0] == "o/r#9"
