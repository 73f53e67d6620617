"""The PyGithub adapter against the embedded emulator over loopback: every port method
round-trips, and the retry/idempotency policy holds under injected faults."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from agentops.errors import AuthMissing, ExitCode, Forbidden, GitHubError, NotFound, RateLimited, Unavailable
from agentops.github.adapter import connect
from agentops.github.models import Validators
from tests.fixtures.gitrepo import git

REPO = "agentops-bot/demo"


@pytest.fixture
def repo(emulator: Any) -> str:
    emulator.state.create_repo(REPO)
    return REPO


def push_branch(emulator: Any, tmp_path: Path, branch: str, files: dict[str, str]) -> str:
    work = tmp_path / f"clone-{branch}"
    bare = emulator.state.repo(REPO).bare_path
    git(tmp_path, "clone", "-q", str(bare), str(work))
    git(work, "checkout", "-q", "-b", branch)
    for name, text in files.items():
        (work / name).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"change on {branch}")
    git(work, "push", "-q", "origin", branch)
    return git(work, "rev-parse", "HEAD")


def posts(emulator: Any) -> int:
    return emulator.total_requests(method="POST")


# -- round trips ---------------------------------------------------------------------------------

def test_identity_repos_permissions_and_limits(gh: Any, emulator: Any, repo: str) -> None:
    me = gh.whoami()
    assert (me.login, me.kind) == ("agentops-bot", "token")
    info = gh.get_repo(repo)
    assert (info.full_name, info.default_branch, info.owner, info.name) == (REPO, "main", "agentops-bot", "demo")
    assert info.clone_url and info.updated_at is not None and info.updated_at.tzinfo is not None
    assert gh.last_rate_limit is not None and gh.last_rate_limit.limit == 5000

    made = gh.create_repo("second", description="x")
    assert made.full_name == "agentops-bot/second"
    assert {r.full_name for r in gh.list_repos("agentops-bot").items or ()} >= {REPO, "agentops-bot/second"}

    emulator.state.add_user("alice")
    emulator.state.set_permission(REPO, "alice", "write")
    assert gh.get_permission(repo, "agentops-bot") == "admin"
    assert gh.get_permission(repo, "alice") == "write"
    rl = gh.rate_limit()
    assert rl.limit == 5000 and 0 < rl.remaining <= 5000

    with pytest.raises(NotFound) as exc:
        gh.get_repo("agentops-bot/nope")
    assert "agentops-bot/nope" in str(exc.value)


def test_issue_round_trip(gh: Any, emulator: Any, repo: str) -> None:
    assert gh.ensure_label(repo, "agent-task", color="#0e8a16", description="a work order") is True
    assert gh.ensure_label(repo, "agent-task") is False
    assert "agent-task" in gh.list_labels(repo)

    issue = gh.create_issue(repo, "Fix it", "please", labels=["agent-task"], assignees=["agentops-bot"])
    assert (issue.repo, issue.title, issue.body, issue.state, issue.author) == (REPO, "Fix it", "please", "open",
                                                                               "agentops-bot")
    assert issue.labels == ("agent-task",) and issue.assignees == ("agentops-bot",)
    assert issue.created_at is not None and issue.created_at.tzinfo is not None and issue.key == f"{REPO}#1"

    gh.add_labels(repo, issue.number, ["agentops:claimed"])
    gh.remove_label(repo, issue.number, "agent-task")
    gh.remove_label(repo, issue.number, "never-there")  # not an error
    gh.remove_assignees(repo, issue.number, ["agentops-bot"])
    got = gh.get_issue(repo, issue.number)
    assert got.labels == ("agentops:claimed",) and got.assignees == ()
    gh.add_assignees(repo, issue.number, ["agentops-bot"])
    assert gh.get_issue(repo, issue.number).assignees == ("agentops-bot",)

    closed = gh.update_issue(repo, issue.number, title="Fixed", state="closed", state_reason="completed")
    assert (closed.title, closed.state) == ("Fixed", "closed") and closed.closed_at is not None
    assert [i.number for i in gh.list_issues(repo).items] == []
    assert [i.number for i in gh.list_issues(repo, state="closed").items] == [issue.number]
    relabelled = gh.update_issue(repo, issue.number, state="open", labels=["x", "y"])
    assert set(relabelled.labels) == {"x", "y"}
    assert [i.number for i in gh.list_issues(repo, labels=["x"]).items] == [issue.number]

    with pytest.raises(NotFound, match="#99"):
        gh.get_issue(repo, 99)


def test_comment_round_trip(gh: Any, repo: str) -> None:
    n = gh.create_issue(repo, "t", "b").number
    c = gh.create_comment(repo, n, "hello", marker="<!-- agentops:note k=1 -->")
    assert c.body == "hello\n\n<!-- agentops:note k=1 -->" and c.author == "agentops-bot" and c.id > 0
    d = gh.create_comment(repo, n, "second")
    assert d.id > c.id
    assert [x.id for x in gh.list_comments(repo, n)] == [c.id, d.id]
    edited = gh.edit_comment(repo, c.id, "changed")
    assert edited.body == "changed"
    gh.delete_comment(repo, d.id)
    gh.delete_comment(repo, d.id)  # already gone: not an error
    assert [x.body for x in gh.list_comments(repo, n)] == ["changed"]


def test_pull_request_round_trip(gh: Any, emulator: Any, repo: str, tmp_path: Path) -> None:
    sha = push_branch(emulator, tmp_path, "agentops/1-fix", {"fix.txt": "fixed\n"})
    pr = gh.create_pull(repo, title="Fix", body="Closes #1", head="agentops/1-fix", base="main")
    assert (pr.head_ref, pr.head_sha, pr.base_ref, pr.state, pr.merged) == ("agentops/1-fix", sha, "main", "open",
                                                                           False)
    again = gh.create_pull(repo, title="Fix", body="Closes #1", head="agentops/1-fix", base="main")
    assert again.number == pr.number
    assert [p.number for p in gh.list_pulls(repo).items] == [pr.number]
    assert [p.number for p in gh.list_pulls(repo, head="agentops-bot:agentops/1-fix").items] == [pr.number]
    assert gh.list_pulls(repo, head="agentops-bot:other").items == ()

    assert gh.update_pull(repo, pr.number, title="Fix 2").title == "Fix 2"
    review = gh.create_review(repo, pr.number, event="COMMENT", body="looks fine")
    assert review.state == "COMMENTED" and review.author == "agentops-bot"
    assert [r.id for r in gh.list_reviews(repo, pr.number)] == [review.id]
    emulator.state.add_review_comment(REPO, pr.number, "nit", path="fix.txt", line=1)
    rcs = gh.list_review_comments(repo, pr.number)
    assert [(c.body, c.path, c.line) for c in rcs] == [("nit", "fix.txt", 1)]
    emulator.state.add_user("bob")
    emulator.state.set_permission(REPO, "bob", "write")
    gh.request_reviewers(repo, pr.number, ["bob"])

    merge_sha = gh.merge_pull(repo, pr.number, method="squash", commit_title="Fix (#1)")
    merged = gh.get_pull(repo, pr.number)
    assert merged.merged and merged.merge_commit_sha == merge_sha and merged.state == "closed"


def test_self_approval_is_a_422(gh: Any, emulator: Any, repo: str, tmp_path: Path) -> None:
    push_branch(emulator, tmp_path, "b", {"b.txt": "b\n"})
    pr = gh.create_pull(repo, title="B", body="", head="b", base="main")
    before = posts(emulator)
    with pytest.raises(GitHubError) as exc:
        gh.create_review(repo, pr.number, event="APPROVE", body="ok")
    assert exc.value.status == 422 and exc.value.exit_code == ExitCode.FAILED
    assert posts(emulator) == before + 1


def test_statuses_checks_workflows_and_alerts(gh: Any, emulator: Any, repo: str) -> None:
    sha = emulator.state.repo(REPO).bare.resolve("refs/heads/main")
    assert gh.get_combined_status(repo, sha).state == "pending"
    gh.create_status(repo, sha, state="pending", context="agentops/test", description="running")
    gh.create_status(repo, sha, state="success", context="agentops/test", description="green",
                     target_url="https://example.test/r/1")
    combined = gh.get_combined_status(repo, sha)
    assert combined.state == "success" and [(s.context, s.state) for s in combined.statuses] == [
        ("agentops/test", "success")]

    emulator.state.add_check_run(REPO, sha, name="lint", conclusion="failure")
    runs = gh.list_check_runs(repo, sha)
    assert [(r.name, r.status, r.conclusion, r.head_sha) for r in runs] == [("lint", "completed", "failure", sha)]

    emulator.state.add_workflow_run(REPO, name="CI", head_branch="main", head_sha=sha)
    wr = gh.list_workflow_runs(repo, branch="main")
    assert wr.items is not None and [(w.name, w.head_sha, w.conclusion) for w in wr.items] == [("CI", sha, "success")]
    assert gh.list_workflow_runs(repo, branch="other").items == ()

    emulator.state.add_workflow(REPO, ".github/workflows/deploy.yml", name="Deploy")
    gh.dispatch_workflow(repo, "deploy.yml", ref="main", inputs={"env": "prod"})
    assert emulator.state.dispatches(REPO)[-1]["inputs"] == {"env": "prod"}

    emulator.state.add_dependabot_alert(REPO, severity="high", package="requests", summary="bad")
    alerts = gh.list_dependabot_alerts(repo)
    assert alerts.items is not None and [(a.severity, a.package, a.ecosystem) for a in alerts.items] == [
        ("high", "requests", "pip")]
    emulator.state.set_dependabot_enabled(REPO, False)
    with pytest.raises(Forbidden) as exc:
        gh.list_dependabot_alerts(repo)
    assert exc.value.exit_code == ExitCode.FAILED


# -- reads: pagination, conditional requests -----------------------------------------------------

def test_pagination_follows_link_headers(gh: Any, emulator: Any, repo: str) -> None:
    for i in range(230):
        emulator.state.create_issue(REPO, f"issue {i}")
    emulator.reset_counts()
    issues = gh.list_issues(repo)
    assert issues.items is not None and len(issues.items) == 230
    assert len({i.number for i in issues.items}) == 230
    assert emulator.total_requests(method="GET") == 3  # 100 per page


def test_conditional_read_304_costs_no_rate_limit(gh: Any, emulator: Any, repo: str) -> None:
    emulator.state.create_issue(REPO, "one")
    first = gh.list_issues(repo)
    assert first.items is not None and len(first.items) == 1 and first.etag
    remaining = gh.last_rate_limit.remaining
    again = gh.list_issues(repo, validators=Validators(etag=first.etag, last_modified=first.last_modified))
    assert again.not_modified and again.items is None and again.etag == first.etag
    assert gh.last_rate_limit.remaining == remaining
    emulator.state.create_issue(REPO, "two")
    changed = gh.list_issues(repo, validators=Validators(etag=first.etag))
    assert changed.items is not None and len(changed.items) == 2 and changed.etag != first.etag


# -- faults on reads ---------------------------------------------------------------------------

def test_5xx_on_read_is_retried(gh: Any, emulator: Any, repo: str, gh_sleeps: list[float]) -> None:
    n = gh.create_issue(repo, "t", "b").number
    emulator.faults.add(method="GET", path=rf"/issues/{n}$", status=502, count=1)
    emulator.faults.add(method="GET", path=rf"/issues/{n}$", status=503, count=1)
    assert gh.get_issue(repo, n).title == "t"
    assert gh_sleeps == [1.0, 2.0]


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limit_with_retry_after_is_waited_out(gh: Any, emulator: Any, repo: str, gh_sleeps: list[float],
                                                   status: int) -> None:
    emulator.faults.add(method="GET", path=r"/repos/agentops-bot/demo$", status=status, retry_after=7, count=1)
    assert gh.get_repo(repo).full_name == REPO
    assert gh_sleeps == [7.0]


def test_secondary_limit_without_retry_after_waits_a_minute(gh: Any, emulator: Any, repo: str,
                                                            gh_sleeps: list[float]) -> None:
    emulator.faults.add(method="GET", path=r"/repos/agentops-bot/demo$", status=403, count=1)
    assert gh.get_repo(repo).full_name == REPO
    assert gh_sleeps == [60.0]


def test_exhausted_rate_limit_with_far_reset_fails_fast(gh: Any, emulator: Any, repo: str,
                                                        gh_sleeps: list[float]) -> None:
    emulator.set_rate_limit(limit=5000, remaining=0, reset=time.time() + 3600)
    with pytest.raises(RateLimited) as exc:
        gh.get_repo(repo)
    assert exc.value.exit_code == ExitCode.UNAVAILABLE and gh_sleeps == []
    assert exc.value.reset_at is not None and exc.value.reset_at > time.time() + 3000


def test_dropped_connection_on_read_is_retried(gh: Any, emulator: Any, repo: str, gh_sleeps: list[float]) -> None:
    emulator.faults.add(method="GET", path=r"/repos/agentops-bot/demo$", drop=True, status=None, count=1)
    assert gh.get_repo(repo).full_name == REPO
    assert gh_sleeps == [1.0]


def test_persistent_outage_is_unavailable_exit_3(gh: Any, emulator: Any, repo: str, gh_sleeps: list[float]) -> None:
    emulator.faults.add(method="GET", path=r"/repos/agentops-bot/demo$", status=503, count=None)
    with pytest.raises(Unavailable) as exc:
        gh.get_repo(repo)
    assert exc.value.exit_code == ExitCode.UNAVAILABLE and not isinstance(exc.value, RateLimited)
    assert len(gh_sleeps) == 4


# -- creates are never duplicated ------------------------------------------------------------------

def test_comment_interrupted_after_server_acted_is_not_duplicated(gh: Any, emulator: Any, repo: str) -> None:
    n = gh.create_issue(repo, "t", "b").number
    marker = "<!-- agentops:claim agent=a worker=w1 -->"
    emulator.faults.add(method="POST", path=rf"/issues/{n}/comments$", status=502, after_action=True, count=1)
    c = gh.create_comment(repo, n, "claiming", marker=marker)
    comments = gh.list_comments(repo, n)
    assert [x.id for x in comments] == [c.id] and marker in comments[0].body


def test_comment_failed_before_acting_is_repeated_once(gh: Any, emulator: Any, repo: str) -> None:
    n = gh.create_issue(repo, "t", "b").number
    emulator.faults.add(method="POST", path=rf"/issues/{n}/comments$", status=502, count=1)
    gh.create_comment(repo, n, "x", marker="<!-- agentops:m k=2 -->")
    assert len(gh.list_comments(repo, n)) == 1


def test_issue_interrupted_after_server_acted_is_not_duplicated(gh: Any, emulator: Any, repo: str) -> None:
    emulator.state.create_issue(REPO, "older", "<!-- agentops:scout fp=other -->")
    marker = "<!-- agentops:scout fp=abc123 -->"
    emulator.faults.add(method="POST", path=r"/repos/agentops-bot/demo/issues$", status=502, after_action=True,
                        count=1)
    made = gh.create_issue(repo, "Finding", "details", labels=["agentops:scout"], marker=marker)
    all_issues = gh.list_issues(repo, state="all").items
    assert [i.number for i in all_issues if marker in i.body] == [made.number]
    assert len(all_issues) == 2


def test_create_without_marker_is_tried_once(gh: Any, emulator: Any, repo: str, gh_sleeps: list[float]) -> None:
    n = gh.create_issue(repo, "t", "b").number
    emulator.faults.add(method="POST", path=rf"/issues/{n}/comments$", status=502, after_action=True, count=1)
    before = posts(emulator)
    with pytest.raises(Unavailable):
        gh.create_comment(repo, n, "no marker")
    assert posts(emulator) == before + 1 and gh_sleeps == []  # PyGithub's POST retry is off too
    assert len(gh.list_comments(repo, n)) == 1


def test_pull_interrupted_after_server_acted_is_not_duplicated(gh: Any, emulator: Any, repo: str,
                                                               tmp_path: Path) -> None:
    push_branch(emulator, tmp_path, "feat", {"f.txt": "f\n"})
    emulator.faults.add(method="POST", path=r"/pulls$", status=502, after_action=True, count=1)
    pr = gh.create_pull(repo, title="F", body="", head="feat", base="main")
    assert [p.number for p in gh.list_pulls(repo, state="all").items] == [pr.number]


# -- credentials ------------------------------------------------------------------------------------

def test_unknown_token_is_exit_2_bad_credentials(emulator: Any, repo: str) -> None:
    bad = connect({"GITHUB_API_URL": emulator.url, "GH_TOKEN": "not-a-real-token"}, sleep=lambda s: None,
                  mutation_interval=0)
    with pytest.raises(AuthMissing) as exc:
        bad.get_repo(repo)
    assert exc.value.exit_code == ExitCode.BAD_INPUT and "bad credentials" in str(exc.value)
    assert exc.value.hint and "refused" in exc.value.hint  # not "set GH_TOKEN": it is set


def test_request_counts_stay_minimal(gh: Any, emulator: Any, repo: str) -> None:
    n = gh.create_issue(repo, "t", "b").number
    emulator.reset_counts()
    gh.create_comment(repo, n, "c", marker="<!-- agentops:x -->")
    assert emulator.total_requests() == 1
    gh.get_issue(repo, n)
    gh.add_labels(repo, n, ["a"])
    assert emulator.total_requests() == 3


def test_org_repositories(gh: Any, emulator: Any) -> None:
    emulator.state.add_org("acme", members=["agentops-bot"])
    emulator.state.create_repo("acme/other")
    assert gh.create_repo("tool", org="acme").full_name == "acme/tool"
    listed = gh.list_repos("acme")
    assert sorted(r.full_name for r in listed.items or ()) == ["acme/other", "acme/tool"]
    assert {r.owner_type for r in listed.items or ()} == {"Organization"}
    # Conditional, straight to the right endpoint: one 304, no primary rate limit.
    before = gh.rate_limit().remaining
    emulator.reset_counts()
    again = gh.list_repos("acme", owner_type="Organization",
                          validators=Validators(etag=listed.etag, last_modified=listed.last_modified))
    assert again.not_modified and emulator.total_requests() == 1
    assert gh.rate_limit().remaining == before
    emulator.state.create_repo("agentops-bot/solo")
    mine = gh.list_repos("agentops-bot", owner_type="User")
    assert mine.items and {r.owner_type for r in mine.items} == {"User"}


def test_mutations_are_spaced_but_reads_are_not(emulator: Any, repo: str) -> None:
    sleeps: list[float] = []
    port = connect({"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token}, sleep=sleeps.append,
                   mutation_interval=5.0)
    n = port.create_issue(repo, "t", "b").number
    port.get_issue(repo, n)
    port.list_comments(repo, n)
    assert sleeps == []
    port.add_labels(repo, n, ["a"])
    port.create_comment(repo, n, "c")
    # The recorder does not really sleep, so the second write's slot is two intervals out.
    assert len(sleeps) == 2 and 4.0 < sleeps[0] <= 5.0 and 9.0 < sleeps[1] <= 10.0


def test_actions_token_identity_needs_no_request(emulator: Any) -> None:
    port = connect({"GITHUB_API_URL": emulator.url, "GITHUB_TOKEN": emulator.token, "GITHUB_ACTIONS": "true"},
                   sleep=lambda s: None, mutation_interval=0)
    emulator.reset_counts()
    me = port.whoami()
    assert (me.login, me.kind) == ("github-actions[bot]", "github-actions") and emulator.total_requests() == 0


def test_gh_token_that_cannot_read_user_inside_actions(emulator: Any) -> None:
    port = connect({"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token, "GITHUB_ACTIONS": "true"},
                   sleep=lambda s: None, mutation_interval=0)
    emulator.faults.add(method="GET", path=r"^/user$", status=403, message="Resource not accessible by integration")
    assert port.whoami().kind == "github-actions"
