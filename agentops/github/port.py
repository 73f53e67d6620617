"""What the commands need from GitHub, as a Protocol. The PyGithub adapter (adapter.py)
implements it; tests run it against the embedded emulator (agentops/sandbox).

Conventions every implementation keeps:
- `repo` is always "owner/name".
- Reads and idempotent writes (PATCH/PUT/DELETE, label adds) are retried on 5xx and
  connection errors; rate limits are waited out within a bound, else RateLimited (exit 3).
- Creates (POST of an issue, comment, PR, review, status is idempotent) are never blindly
  repeated: with a `marker`, a failed create first looks for an object carrying that marker
  and returns it if the server had acted. Without a marker, a create is tried once.
- List methods return every page. `validators` makes the first request conditional:
  a 304 gives `Fetched(items=None)` and costs no primary rate limit.
- Errors are agentops errors: NotFound, Forbidden, GitHubError, Unavailable, RateLimited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol

from agentops.github.models import (
    Annotation,
    CheckRun,
    CombinedStatus,
    Comment,
    CommitStatus,
    DependabotAlert,
    Fetched,
    Identity,
    Issue,
    IssueEvent,
    Job,
    PullRequest,
    RateLimit,
    RepoInfo,
    Review,
    ReviewComment,
    Validators,
    WorkflowRun,
)


class GitHubPort(Protocol):
    # -- identity, repositories, limits -------------------------------------------
    def whoami(self) -> Identity: ...

    def learned_login(self, login: str) -> None:
        """GitHub named `login` as the author of an object this token just created."""

    def get_repo(self, repo: str) -> RepoInfo: ...

    def list_repos(self, owner: str, *, owner_type: str | None = None,
                   validators: Validators | None = None) -> Fetched[RepoInfo]:
        """All repositories of a user or organisation. `owner_type` ("Organization" | "User", as
        RepoInfo.owner_type reports it) picks the endpoint; None tries the org endpoint, then the user's."""
        ...

    def create_repo(self, name: str, *, org: str | None = None, private: bool = False,
                    description: str = "") -> RepoInfo: ...

    def get_permission(self, repo: str, user: str) -> str:
        """admin | maintain | write | triage | read | none"""
        ...

    def rate_limit(self) -> RateLimit: ...

    def git_token(self) -> str | None:
        """A token git can fetch and push with over HTTPS: the configured token, or a current
        installation token for a GitHub App (fetched or refreshed as needed)."""
        ...

    @property
    def last_rate_limit(self) -> RateLimit | None:
        """From the x-ratelimit-* headers of the latest response (no request)."""
        ...

    # -- issues --------------------------------------------------------------------
    def get_issue(self, repo: str, number: int) -> Issue: ...

    def list_issues(self, repo: str, *, state: str = "open", labels: Sequence[str] = (),
                    since: dt.datetime | None = None, assignee: str | None = None,
                    sort: str = "updated", direction: str = "desc",
                    validators: Validators | None = None, include_pulls: bool = False) -> Fetched[Issue]: ...

    def create_issue(self, repo: str, title: str, body: str, *, labels: Sequence[str] = (),
                     assignees: Sequence[str] = (), marker: str | None = None) -> Issue: ...

    def update_issue(self, repo: str, number: int, *, title: str | None = None, body: str | None = None,
                     state: str | None = None, state_reason: str | None = None,
                     labels: Sequence[str] | None = None) -> Issue: ...

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None: ...

    def remove_label(self, repo: str, number: int, label: str) -> None:
        """Removing a label that is not there is not an error."""
        ...

    def add_assignees(self, repo: str, number: int, assignees: Sequence[str]) -> None: ...

    def remove_assignees(self, repo: str, number: int, assignees: Sequence[str]) -> None: ...

    def list_labels(self, repo: str) -> list[str]: ...

    def list_secret_names(self, repo: str) -> list[str]:
        """Names of the repository's Actions secrets (GitHub never returns values). Forbidden unless the
        token may administer the repository or read its secrets."""
        ...

    def list_variable_names(self, repo: str) -> list[str]:
        """Names of the repository's Actions variables."""
        ...

    def list_environment_names(self, repo: str) -> list[str]:
        """Names of the repository's deployment environments (anyone who can read it may list them)."""
        ...

    def list_environment_secret_names(self, repo: str, environment: str) -> list[str]:
        """Names of one environment's secrets (values are never returned). NotFound: no such environment;
        Forbidden unless the token may read the repository's secrets."""
        ...

    def ensure_label(self, repo: str, name: str, *, color: str = "ededed", description: str = "") -> bool:
        """Create the label if missing. True when it was created."""
        ...

    def list_issue_events(self, repo: str, number: int) -> list[IssueEvent]:
        """Every event of an issue, oldest first (who labeled, unlabeled, closed, reopened it)."""
        ...

    # -- native relations: sub-issues and dependencies (issues named by their REST `id`) ------
    def list_sub_issues(self, repo: str, number: int) -> list[Issue]:
        """The sub-issues of an issue, in the parent's order (they may live in other repositories)."""
        ...

    def add_sub_issue(self, repo: str, number: int, sub_issue_id: int, *, replace_parent: bool = False) -> None: ...

    def remove_sub_issue(self, repo: str, number: int, sub_issue_id: int) -> None:
        """Removing a sub-issue that is not there is not an error."""
        ...

    def reprioritize_sub_issue(self, repo: str, number: int, sub_issue_id: int, *, after_id: int | None = None,
                               before_id: int | None = None) -> None: ...

    def list_blocked_by(self, repo: str, number: int) -> list[Issue]:
        """The issues this one is blocked by (any repository the token can see), open or closed."""
        ...

    def list_blocking(self, repo: str, number: int) -> list[Issue]: ...

    def add_blocked_by(self, repo: str, number: int, blocker_id: int) -> bool:
        """Record that issue `number` is blocked by issue `blocker_id`. False when it already was
        (so mirroring is idempotent); GitHubError (422) for a relation GitHub refuses."""
        ...

    def remove_blocked_by(self, repo: str, number: int, blocker_id: int) -> None:
        """Removing a dependency that is not there is not an error."""
        ...

    # -- comments --------------------------------------------------------------------
    def list_comments(self, repo: str, number: int, *, since: dt.datetime | None = None) -> list[Comment]: ...

    def create_comment(self, repo: str, number: int, body: str, *, marker: str | None = None) -> Comment: ...

    def edit_comment(self, repo: str, comment_id: int, body: str) -> Comment: ...

    def delete_comment(self, repo: str, comment_id: int) -> None:
        """Deleting a comment that is already gone is not an error."""
        ...

    # -- pull requests ------------------------------------------------------------------
    def get_pull(self, repo: str, number: int) -> PullRequest: ...

    def list_pulls(self, repo: str, *, state: str = "open", head: str | None = None, base: str | None = None,
                   sort: str = "updated", direction: str = "desc",
                   validators: Validators | None = None) -> Fetched[PullRequest]:
        """`head` is "owner:branch" as in the REST API."""
        ...

    def create_pull(self, repo: str, *, title: str, body: str, head: str, base: str,
                    draft: bool = False) -> PullRequest:
        """Idempotent by nature: an open PR for the same head is returned instead of a second one."""
        ...

    def update_pull(self, repo: str, number: int, *, title: str | None = None, body: str | None = None,
                    state: str | None = None) -> PullRequest: ...

    def merge_pull(self, repo: str, number: int, *, method: str = "merge",
                   commit_title: str | None = None) -> str:
        """Returns the merge commit sha."""
        ...

    def list_reviews(self, repo: str, number: int) -> list[Review]: ...

    def create_review(self, repo: str, number: int, *, event: str, body: str = "",
                      commit_id: str | None = None, comments: Sequence[Mapping[str, object]] = (),
                      marker: str | None = None) -> Review:
        """event: APPROVE | REQUEST_CHANGES | COMMENT. GitHub refuses self-approval with 422 (GitHubError)."""
        ...

    def list_review_comments(self, repo: str, number: int) -> list[ReviewComment]: ...

    def request_reviewers(self, repo: str, number: int, reviewers: Sequence[str]) -> None: ...

    # -- statuses, checks, workflows, alerts ---------------------------------------------
    def create_status(self, repo: str, sha: str, *, state: str, context: str, description: str = "",
                      target_url: str | None = None) -> None: ...

    def get_combined_status(self, repo: str, ref: str) -> CombinedStatus: ...

    def list_check_runs(self, repo: str, ref: str) -> list[CheckRun]: ...

    def fetch_commit_statuses(self, repo: str, ref: str, *,
                              validators: Validators | None = None) -> Fetched[CommitStatus]:
        """The latest status of each context on `ref` (the combined status), conditionally."""
        ...

    def fetch_check_runs(self, repo: str, ref: str, *, validators: Validators | None = None) -> Fetched[CheckRun]:
        """The latest check run of each name on `ref`, every app's, conditionally."""
        ...

    def list_workflow_runs(self, repo: str, *, branch: str | None = None, status: str | None = None,
                           event: str | None = None, per_page: int = 30, max_pages: int | None = 1,
                           validators: Validators | None = None,
                           head_sha: str | None = None) -> Fetched[WorkflowRun]: ...

    def dispatch_workflow(self, repo: str, workflow: str, *, ref: str,
                          inputs: Mapping[str, str] | None = None) -> None: ...

    def list_run_jobs(self, repo: str, run_id: int) -> list[Job]:
        """The jobs of a workflow run's latest attempt."""
        ...

    def job_log_tail(self, repo: str, job_id: int, *, max_bytes: int) -> str:
        """The last `max_bytes` of a job's log (GitHub answers 302 to a download URL; the
        download needs no token and is never sent one)."""
        ...

    def list_check_annotations(self, repo: str, check_run_id: int) -> list[Annotation]: ...

    def rerun_failed_jobs(self, repo: str, run_id: int) -> None:
        """Re-run a run's failed jobs (a new attempt). Tried once, never repeated."""
        ...

    def list_dependabot_alerts(self, repo: str, *, state: str = "open",
                               validators: Validators | None = None) -> Fetched[DependabotAlert]:
        """Forbidden when alerts are disabled or the token may not read them."""
        ...
