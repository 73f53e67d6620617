"""Core emulator behaviour through the real PyGithub client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import github
import pytest

from agentops.sandbox.server import Emulator
from tests.fixtures.emulator import pygithub_client
from tests.sandbox.gitutil import clone, commit_and_push


def test_authenticated_user_and_repo_fields(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo("agentops-bot/demo", files={"a.txt": "hi\n"})
    assert emulator_github.get_user().login == "agentops-bot"
    repo = emulator_github.get_repo("agentops-bot/demo")
    assert repo.full_name == "agentops-bot/demo"
    assert repo.default_branch == "main"
    assert repo.owner.login == "agentops-bot"
    assert repo.permissions.admin and repo.permissions.push
    assert repo.url.startswith(emulator.url)
    assert not repo.private and not repo.archived and not repo.fork


def test_clone_url_is_a_real_bare_repo(emulator: Emulator, emulator_github: Any, tmp_path: Path) -> None:
    emulator.state.create_repo("agentops-bot/demo", files={"a.txt": "hi\n"})
    url = emulator_github.get_repo("agentops-bot/demo").clone_url
    work = clone(url, tmp_path / "w")
    assert (work / "a.txt").read_text() == "hi\n"
    sha = commit_and_push(work, "feature", {"b.txt": "more\n"})
    assert emulator.state.repo("agentops-bot/demo").bare.resolve("refs/heads/feature") == sha


def test_unknown_or_missing_token_is_401(emulator: Emulator) -> None:
    bad = pygithub_client(emulator, token="nope")
    with pytest.raises(github.BadCredentialsException):
        bad.get_user().login  # noqa: B018 - the attribute fetch is the request
    status, headers, body = emulator.handle("GET", "/user", {"host": "x"}, b"")  # type: ignore[misc]
    assert status == 401 and b"Bad credentials" in body
    assert emulator.total_requests(route="/user") == 2


def test_private_repo_invisible_to_others_and_writes_need_permission(emulator: Emulator) -> None:
    emulator.state.create_repo("agentops-bot/secret", private=True)
    emulator.state.create_repo("agentops-bot/open")
    tok = emulator.state.add_user("stranger")
    other = pygithub_client(emulator, token=tok)
    with pytest.raises(github.UnknownObjectException):
        other.get_repo("agentops-bot/secret")
    pub = other.get_repo("agentops-bot/open")
    issue = pub.create_issue("from a stranger", labels=["agent-task"])  # anyone may open issues on public repos
    assert issue.labels == []  # ...but labels from users without triage are dropped, as on GitHub
    assert issue.raw_data["author_association"] == "NONE"
    with pytest.raises(github.GithubException) as exc:
        pub.create_label("x", "ffffff")
    assert exc.value.status == 403
    emulator.state.set_permission("agentops-bot/secret", "stranger", "write")
    assert other.get_repo("agentops-bot/secret").permissions.push
    assert other.get_repo("agentops-bot/secret").get_collaborator_permission("stranger") == "write"
    i2 = other.get_repo("agentops-bot/secret").create_issue("t")
    assert i2.raw_data["author_association"] == "COLLABORATOR"


def test_issue_pagination_filters_and_link_header(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo("agentops-bot/demo")
    for n in range(45):
        emulator.state.create_issue("agentops-bot/demo", f"t{n}", labels=["a", "b"] if n % 3 == 0 else ["a"])
    emulator.state.create_issue("agentops-bot/demo", "closed one", state="closed")
    repo = emulator_github.get_repo("agentops-bot/demo")
    emulator.reset_counts()
    titles = [i.title for i in repo.get_issues()]
    assert len(titles) == 45 and titles[0] == "t44"  # newest first
    assert emulator.total_requests("GET", "/repos/{owner}/{repo}/issues") == 2  # 30 + 15
    assert len(list(repo.get_issues(labels=["a", "b"]))) == 15
    assert [i.title for i in repo.get_issues(state="closed")] == ["closed one"]
    assert len(list(repo.get_issues(state="all"))) == 46
    status, headers, _ = emulator.handle("GET", "/repos/agentops-bot/demo/issues?per_page=10&page=2",  # type: ignore[misc]
                                         {"host": "h:1", "authorization": f"token {emulator.token}"}, b"")
    assert status == 200
    assert 'page=3>; rel="next"' in headers["Link"] and 'page=5>; rel="last"' in headers["Link"]


def test_comments_ids_increase_and_labels_crud(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo("agentops-bot/demo")
    a = emulator.state.create_issue("agentops-bot/demo", "a")
    b = emulator.state.create_issue("agentops-bot/demo", "b")
    repo = emulator_github.get_repo("agentops-bot/demo")
    ids = [repo.get_issue(a).create_comment("1").id, repo.get_issue(b).create_comment("2").id,
           repo.get_issue(a).create_comment("3").id]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [c.body for c in repo.get_issue(a).get_comments()] == ["1", "3"]
    comment = repo.get_issue(a).get_comment(ids[0])
    comment.edit("edited")
    assert repo.get_issue(a).get_comment(ids[0]).body == "edited"
    comment.delete()
    assert [c.body for c in repo.get_issue(a).get_comments()] == ["3"]
    repo.create_label("agent-task", "00ff00", "work order")
    issue = repo.get_issue(a)
    issue.add_to_labels("agent-task", "priority:high")
    assert [lab.name for lab in repo.get_issue(a).labels] == ["agent-task", "priority:high"]
    issue.remove_from_labels("priority:high")
    assert [lab.name for lab in repo.get_issue(a).labels] == ["agent-task"]
    issue.add_to_assignees("agentops-bot")
    assert [u.login for u in repo.get_issue(a).assignees] == ["agentops-bot"]
    assert [i.number for i in repo.get_issues(assignee="agentops-bot")] == [a]
    repo.get_label("agent-task").edit("agent:task", "111111")
    assert [lab.name for lab in repo.get_issue(a).labels] == ["agent:task"]
    issue.edit(state="closed", state_reason="not_planned")
    assert repo.get_issue(a).state_reason == "not_planned"


def test_repo_lists_and_creation(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.add_org("acme", members=["agentops-bot"])
    created = emulator_github.get_organization("acme").create_repo("svc", private=True)
    assert created.full_name == "acme/svc" and created.private
    emulator_github.get_user().create_repo("mine", auto_init=True)
    assert emulator.state.repo("agentops-bot/mine").bare.resolve("refs/heads/main")
    assert [r.full_name for r in emulator_github.get_user().get_repos()] == ["acme/svc", "agentops-bot/mine"]
    assert [r.name for r in emulator_github.get_organization("acme").get_repos()] == ["svc"]
    assert [r.name for r in emulator_github.get_user("agentops-bot").get_repos()] == ["mine"]


def test_rate_limit_headers_304_and_exhaustion(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo("agentops-bot/demo")
    emulator.set_rate_limit(limit=100, remaining=10)
    repo = emulator_github.get_repo("agentops-bot/demo")
    assert emulator_github.get_rate_limit().resources.core.remaining == 9  # /rate_limit is free
    assert repo.update() is False  # 304: not modified...
    assert emulator_github.get_rate_limit().resources.core.remaining == 9  # ...and not charged
    assert emulator.total_requests(route="/repos/{owner}/{repo}") == 2
    assert {c["status"] for c in emulator.counts() if c["route"] == "/repos/{owner}/{repo}"} == {200, 304}
    emulator.set_rate_limit(limit=100, remaining=0, reset=4102444800)
    with pytest.raises(github.RateLimitExceededException) as exc:
        repo.get_issues()[0]
    assert exc.value.status == 403
    assert exc.value.headers["x-ratelimit-remaining"] == "0"
    assert exc.value.headers["x-ratelimit-reset"] == "4102444800"
    assert "API rate limit exceeded" in exc.value.data["message"]


def test_clock_override_since_filters_and_last_modified(emulator: Emulator, emulator_github: Any) -> None:
    import datetime as dt

    t = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]
    emulator.now = lambda: t[0]
    emulator.state.create_repo("agentops-bot/demo")
    old = emulator.state.create_issue("agentops-bot/demo", "old")
    t[0] = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    new = emulator.state.create_issue("agentops-bot/demo", "new")
    emulator.state.add_comment("agentops-bot/demo", old, "late comment")
    repo = emulator_github.get_repo("agentops-bot/demo")
    assert repo.get_issue(new).created_at == dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    since = dt.datetime(2026, 1, 3, tzinfo=dt.UTC)
    assert sorted(i.number for i in repo.get_issues(since=since)) == [old, new]  # the comment bumped "old"
    assert [c.body for c in repo.get_issue(old).get_comments(since=since)] == ["late comment"]
    assert list(repo.get_issue(old).get_comments(since=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))) == []
    issue = repo.get_issue(new)
    assert issue.last_modified == "Mon, 05 Jan 2026 00:00:00 GMT"
    auth = {"host": "h:1", "authorization": f"token {emulator.token}"}
    status, _, body = emulator.handle("GET", f"/repos/agentops-bot/demo/issues/{new}",  # type: ignore[misc]
                                      {**auth, "if-modified-since": "Mon, 05 Jan 2026 00:00:00 GMT"}, b"")
    assert status == 304 and body == b""
    status, _, _ = emulator.handle("GET", f"/repos/agentops-bot/demo/issues/{new}",  # type: ignore[misc]
                                   {**auth, "if-modified-since": "Sun, 04 Jan 2026 00:00:00 GMT"}, b"")
    assert status == 200
