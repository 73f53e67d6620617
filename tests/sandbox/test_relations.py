"""Native sub-issues and issue dependencies in the emulator, through the real PyGithub client,
with GitHub's documented limits (100 sub-issues, 8 levels, 50 dependencies per type)."""

from __future__ import annotations

from typing import Any

import github
import pytest

from agentops.sandbox import relations
from agentops.sandbox.server import Emulator
from tests.fixtures.emulator import pygithub_client

REPO = "agentops-bot/demo"


@pytest.fixture
def repo(emulator: Emulator, emulator_github: Any) -> Any:
    emulator.state.create_repo(REPO)
    return emulator_github.get_repo(REPO)


def _issues(emu: Emulator, n: int, repo: str = REPO) -> list[int]:
    return [emu.state.create_issue(repo, f"issue {i}") for i in range(n)]


def test_sub_issues_in_order_with_summary_and_parent(emulator: Emulator, repo: Any) -> None:
    epic, a, b, c = (repo.get_issue(n) for n in _issues(emulator, 4))
    for child in (a, b, c):
        epic.add_sub_issue(child.id)
    assert [i.number for i in epic.get_sub_issues()] == [a.number, b.number, c.number]
    epic.prioritize_sub_issue(c.id, a.id)  # c right after a
    assert [i.number for i in epic.get_sub_issues()] == [a.number, c.number, b.number]
    b.edit(state="closed")
    fresh = repo.get_issue(epic.number)
    assert fresh.sub_issues_summary.total == 3 and fresh.sub_issues_summary.completed == 1
    assert fresh.sub_issues_summary.percent_completed == 33
    assert repo.get_issue(a.number).parent_issue_url == fresh.url
    epic.remove_sub_issue(a.id)
    assert [i.number for i in epic.get_sub_issues()] == [c.number, b.number]
    assert repo.get_issue(a.number).parent_issue_url is None


def test_sub_issue_rules(emulator: Emulator, repo: Any) -> None:
    emulator.state.create_repo("someone-else/other")
    epic, other_epic, child = (repo.get_issue(n) for n in _issues(emulator, 3))
    foreign = emulator.state.create_issue("someone-else/other", "not ours")
    foreign_id = emulator.state.issue(emulator.state.repo("someone-else/other"), foreign).id
    epic.add_sub_issue(child.id)
    cases = {
        "second parent": lambda: other_epic.add_sub_issue(child.id),
        "duplicate": lambda: epic.add_sub_issue(child.id),
        "itself": lambda: epic.add_sub_issue(epic.id),
        "its own ancestor": lambda: child.add_sub_issue(epic.id),
        "another owner": lambda: epic.add_sub_issue(foreign_id),
        "unknown": lambda: epic.add_sub_issue(999_999),
    }
    for what, call in cases.items():
        with pytest.raises(github.GithubException) as exc:
            call()
        assert exc.value.status == 422, what
    # replace_parent moves it
    other_epic._requester.requestJsonAndCheck("POST", f"{other_epic.url}/sub_issues",
                                              input={"sub_issue_id": child.id, "replace_parent": True})
    assert [i.number for i in other_epic.get_sub_issues()] == [child.number]
    assert list(epic.get_sub_issues()) == []


def test_sub_issue_limits(emulator: Emulator, repo: Any) -> None:
    numbers = _issues(emulator, relations.MAX_SUB_ISSUES + 2)
    st, r = emulator.state, emulator.state.repo(REPO)
    parent = numbers[0]
    for n in numbers[1:relations.MAX_SUB_ISSUES + 1]:
        st.add_sub_issue(REPO, parent, n)
    with pytest.raises(github.GithubException) as exc:
        repo.get_issue(parent).add_sub_issue(st.issue(r, numbers[-1]).id)
    assert exc.value.status == 422 and "100" in str(exc.value.data)
    chain = _issues(emulator, relations.MAX_DEPTH + 1)
    for upper, lower in zip(chain, chain[1:relations.MAX_DEPTH], strict=False):
        st.add_sub_issue(REPO, upper, lower)  # 8 levels: chain[0] .. chain[7]
    with pytest.raises(github.GithubException) as exc:
        repo.get_issue(chain[relations.MAX_DEPTH - 1]).add_sub_issue(st.issue(r, chain[-1]).id)
    assert exc.value.status == 422 and "8 levels" in str(exc.value.data)


def test_dependencies_cross_repo_and_summary(emulator: Emulator, emulator_github: Any, repo: Any) -> None:
    emulator.state.create_repo("agentops-bot/lib")
    lib_issue = emulator_github.get_repo("agentops-bot/lib").get_issue(emulator.state.create_issue(
        "agentops-bot/lib", "library change"))
    blocked, local = (repo.get_issue(n) for n in _issues(emulator, 2))
    blocked.add_blocked_by(local)
    blocked.add_blocked_by(lib_issue)
    assert {(i.repository.full_name, i.number) for i in blocked.get_blocked_by()} == {
        (REPO, local.number), ("agentops-bot/lib", lib_issue.number)}
    assert [i.number for i in lib_issue.get_blocking()] == [blocked.number]
    summary = repo.get_issue(blocked.number).issue_dependencies_summary
    assert (summary.blocked_by, summary.total_blocked_by) == (2, 2)
    local.edit(state="closed")
    summary = repo.get_issue(blocked.number).issue_dependencies_summary
    assert (summary.blocked_by, summary.total_blocked_by) == (1, 2)
    with pytest.raises(github.GithubException) as exc:
        blocked.add_blocked_by(local)
    assert exc.value.status == 422
    blocked.remove_blocked_by(local)
    assert [i.number for i in blocked.get_blocked_by()] == [lib_issue.number]
    with pytest.raises(github.GithubException) as exc:
        blocked.remove_blocked_by(local)
    assert exc.value.status == 404


def test_dependency_limit_and_permissions(emulator: Emulator, repo: Any) -> None:
    numbers = _issues(emulator, relations.MAX_DEPENDENCIES + 2)
    for n in numbers[1:relations.MAX_DEPENDENCIES + 1]:
        emulator.state.add_blocked_by(REPO, numbers[0], n)
    target = repo.get_issue(numbers[0])
    with pytest.raises(github.GithubException) as exc:
        target.add_blocked_by(repo.get_issue(numbers[-1]))
    assert exc.value.status == 422
    # A reader (no triage) may list relations but not change them; a private blocker stays hidden.
    token = emulator.state.add_user("reader")
    as_reader = pygithub_client(emulator, token).get_repo(REPO).get_issue(numbers[-1])
    assert len(list(repo.get_issue(numbers[0]).get_blocked_by())) == relations.MAX_DEPENDENCIES
    with pytest.raises(github.GithubException) as exc:
        as_reader.add_blocked_by(repo.get_issue(numbers[1]))
    assert exc.value.status == 403
    emulator.state.create_repo("agentops-bot/secret", private=True)
    hidden = emulator.state.create_issue("agentops-bot/secret", "hidden")
    emulator.state.add_blocked_by(REPO, numbers[-1], hidden, blocker_repo="agentops-bot/secret")
    assert list(as_reader.get_blocked_by()) == []
    assert [i.number for i in repo.get_issue(numbers[-1]).get_blocked_by()] == [hidden]


def test_pull_requests_take_no_relations(emulator: Emulator, repo: Any) -> None:
    r = emulator.state.repo(REPO)
    tip = r.bare.resolve("refs/heads/main")
    assert tip is not None
    r.bare.set_ref("refs/heads/feat", tip)
    r.bare.commit_files("feat", {"README.md": "# demo\n", "f.txt": "f\n"}, "feat")
    pr = emulator.state.create_pull(REPO, "PR", head="feat")
    issue = repo.get_issue(emulator.state.create_issue(REPO, "issue"))
    pr_issue = repo.get_issue(pr)
    for call in (lambda: issue.add_blocked_by(pr_issue), lambda: issue.add_sub_issue(pr_issue.id)):
        with pytest.raises(github.GithubException) as exc:
            call()
        assert exc.value.status == 422
