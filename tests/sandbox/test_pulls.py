"""Pull requests against real bare repos, through the real PyGithub client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import github
import pytest

from agentops.sandbox.server import Emulator
from tests.fixtures.emulator import pygithub_client
from tests.sandbox.gitutil import clone, commit_and_push, git

REPO = "agentops-bot/demo"


@pytest.fixture
def work(emulator: Emulator, tmp_path: Path) -> Path:
    repo = emulator.state.create_repo(REPO, files={"a.txt": "one\n"})
    return clone(repo.clone_url, tmp_path / "work")


def test_create_pull_sets_head_and_pull_ref(emulator: Emulator, emulator_github: Any, work: Path,
                                            tmp_path: Path) -> None:
    sha = commit_and_push(work, "agentops/1-fix", {"b.txt": "two\n"})
    repo = emulator_github.get_repo(REPO)
    pr = repo.create_pull(title="Fix", body="Closes #1", head="agentops-bot:agentops/1-fix", base="main")
    assert pr.number == 1 and pr.head.sha == sha and pr.head.ref == "agentops/1-fix" and pr.base.ref == "main"
    assert pr.mergeable is True and pr.user.login == "agentops-bot"
    other = clone(repo.clone_url, tmp_path / "other")
    git("fetch", "-q", "origin", "pull/1/head", cwd=other)
    assert git("rev-parse", "FETCH_HEAD", cwd=other) == sha
    issues = list(repo.get_issues())
    assert [i.number for i in issues] == [1] and issues[0].pull_request is not None
    assert [c.sha for c in pr.get_commits()] == [sha]
    # a later push moves the head and refs/pull/1/head, as GitHub's synchronize does
    sha2 = commit_and_push(work, "agentops/1-fix", {"b.txt": "three\n"})
    assert repo.get_pull(1).head.sha == sha2
    assert emulator.state.repo(REPO).bare.resolve("refs/pull/1/head") == sha2
    assert [p.number for p in repo.get_pulls(head="agentops-bot:agentops/1-fix")] == [1]
    assert list(repo.get_pulls(head="agentops-bot:other")) == []


def test_pull_validation_errors(emulator: Emulator, emulator_github: Any, work: Path) -> None:
    repo = emulator_github.get_repo(REPO)
    with pytest.raises(github.GithubException) as exc:
        repo.create_pull(title="x", body="", head="missing", base="main")
    assert exc.value.status == 422
    git("push", "-q", "origin", "HEAD:refs/heads/same", cwd=work)
    with pytest.raises(github.GithubException) as exc:
        repo.create_pull(title="x", body="", head="same", base="main")
    assert exc.value.status == 422 and "No commits between main and same" in str(exc.value.data)
    commit_and_push(work, "feat", {"c.txt": "c\n"})
    repo.create_pull(title="first", body="", head="feat", base="main")
    with pytest.raises(github.GithubException) as exc:
        repo.create_pull(title="again", body="", head="agentops-bot:feat", base="main")
    assert exc.value.status == 422
    assert "A pull request already exists for agentops-bot:feat." in str(exc.value.data)


def test_merge_creates_merge_commit_and_closes_linked_issue(emulator: Emulator, emulator_github: Any,
                                                           work: Path) -> None:
    issue_no = emulator.state.create_issue(REPO, "bug")
    head = commit_and_push(work, "fix", {"b.txt": "b\n"})
    repo = emulator_github.get_repo(REPO)
    pr = repo.create_pull(title="Fix bug", body=f"Closes #{issue_no}", head="fix", base="main")
    bare = emulator.state.repo(REPO).bare
    old_main = bare.resolve("refs/heads/main")
    status = pr.merge(merge_method="merge")
    assert status.merged
    new_main = bare.resolve("refs/heads/main")
    assert new_main == status.sha
    info = bare.commit(status.sha)
    assert info is not None and info.parents == (old_main, head)
    merged = repo.get_pull(pr.number)
    assert merged.merged and merged.state == "closed" and merged.merge_commit_sha == status.sha
    assert merged.merged_by.login == "agentops-bot"
    assert repo.get_issue(issue_no).state == "closed"
    with pytest.raises(github.GithubException) as exc:
        merged.merge()
    assert exc.value.status == 405


def test_conflicting_pull_is_not_mergeable(emulator: Emulator, emulator_github: Any, work: Path) -> None:
    commit_and_push(work, "left", {"a.txt": "left\n"})
    git("reset", "-q", "--hard", "HEAD~1", cwd=work)
    commit_and_push(work, "main", {"a.txt": "right\n"})
    repo = emulator_github.get_repo(REPO)
    pr = repo.create_pull(title="conflict", body="", head="left", base="main")
    assert repo.get_pull(pr.number).mergeable is False
    with pytest.raises(github.GithubException) as exc:
        pr.merge()
    assert exc.value.status == 405 and "not mergeable" in str(exc.value.data)


def test_squash_merge_and_reviews(emulator: Emulator, emulator_github: Any, work: Path) -> None:
    commit_and_push(work, "feat", {"b.txt": "b\n"})
    repo = emulator_github.get_repo(REPO)
    pr = repo.create_pull(title="Feat", body="", head="feat", base="main")
    with pytest.raises(github.GithubException) as exc:
        pr.create_review(event="APPROVE")
    assert exc.value.status == 422 and "Can not approve your own pull request" in str(exc.value.data)
    tok = emulator.state.add_user("reviewer")
    emulator.state.set_permission(REPO, "reviewer", "write")
    pr.create_review_request(reviewers=["reviewer"])
    assert [u.login for u in repo.get_pull(pr.number).requested_reviewers] == ["reviewer"]
    as_reviewer = pygithub_client(emulator, token=tok).get_repo(REPO).get_pull(pr.number)
    review = as_reviewer.create_review(body="lgtm", event="APPROVE")
    assert review.state == "APPROVED" and review.commit_id == pr.head.sha
    assert [(r.user.login, r.state) for r in pr.get_reviews()] == [("reviewer", "APPROVED")]
    emulator.state.add_review_comment(REPO, pr.number, "nit: rename", author="reviewer", path="b.txt", line=1)
    assert [(c.path, c.body) for c in pr.get_review_comments()] == [("b.txt", "nit: rename")]
    status = pr.merge(merge_method="squash")
    info = emulator.state.repo(REPO).bare.commit(status.sha)
    assert info is not None and len(info.parents) == 1 and info.message.startswith("Feat (#1)")
