"""The port's native-relation methods (sub-issues, issue dependencies) against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from agentops.errors import GitHubError

REPO = "agentops-bot/demo"
LIB = "agentops-bot/lib"


@pytest.fixture
def numbers(emulator: Any) -> list[int]:
    emulator.state.create_repo(REPO)
    emulator.state.create_repo(LIB)
    return [emulator.state.create_issue(REPO, f"issue {i}") for i in range(4)]


def test_sub_issues_round_trip(gh: Any, emulator: Any, numbers: list[int]) -> None:
    epic, a, b, c = (gh.get_issue(REPO, n) for n in numbers)
    for child in (a, b, c):
        gh.add_sub_issue(REPO, epic.number, child.id)
    assert [i.number for i in gh.list_sub_issues(REPO, epic.number)] == [a.number, b.number, c.number]
    gh.reprioritize_sub_issue(REPO, epic.number, c.id, before_id=a.id)
    assert [i.number for i in gh.list_sub_issues(REPO, epic.number)] == [c.number, a.number, b.number]
    child = gh.get_issue(REPO, a.number)
    assert child.parent == f"{REPO}#{epic.number}" and child.id == a.id
    assert gh.get_issue(REPO, epic.number).sub_issues_total == 3
    with pytest.raises(GitHubError) as exc:
        gh.add_sub_issue(REPO, epic.number, a.id)
    assert exc.value.status == 422
    gh.remove_sub_issue(REPO, epic.number, a.id)
    gh.remove_sub_issue(REPO, epic.number, a.id)  # already gone: not an error
    assert gh.get_issue(REPO, a.number).parent is None


def test_dependencies_round_trip_and_idempotent_add(gh: Any, emulator: Any, numbers: list[int]) -> None:
    lib_issue = gh.get_issue(LIB, emulator.state.create_issue(LIB, "in the library"))
    blocked, local = gh.get_issue(REPO, numbers[0]), gh.get_issue(REPO, numbers[1])
    assert gh.add_blocked_by(REPO, blocked.number, local.id) is True
    assert gh.add_blocked_by(REPO, blocked.number, local.id) is False
    assert gh.add_blocked_by(REPO, blocked.number, lib_issue.id) is True
    assert {i.key for i in gh.list_blocked_by(REPO, blocked.number)} == {local.key, lib_issue.key}
    assert [i.key for i in gh.list_blocking(LIB, lib_issue.number)] == [blocked.key]
    fresh = gh.get_issue(REPO, blocked.number)
    assert (fresh.blocked_by_open, fresh.blocked_by_total) == (2, 2)
    with pytest.raises(GitHubError) as exc:
        gh.add_blocked_by(REPO, blocked.number, blocked.id)
    assert exc.value.status == 422
    gh.remove_blocked_by(REPO, blocked.number, local.id)
    gh.remove_blocked_by(REPO, blocked.number, local.id)
    assert [i.key for i in gh.list_blocked_by(REPO, blocked.number)] == [lib_issue.key]
