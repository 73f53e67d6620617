"""Plain values returned by the GitHub port. No PyGithub object ever leaves the adapter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RepoInfo:
    full_name: str
    default_branch: str
    clone_url: str
    html_url: str = ""
    private: bool = False
    archived: bool = False
    fork: bool = False
    disabled: bool = False
    pushed_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    owner_type: str = "User"  # "User" | "Organization"

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]


@dataclass(frozen=True)
class Issue:
    repo: str
    number: int
    title: str
    body: str
    state: str  # "open" | "closed"
    author: str
    author_association: str = "NONE"
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    html_url: str = ""
    is_pull_request: bool = False
    comments: int = 0
    # Native relations (GitHub's sub-issues and issue dependencies). `id` is the REST id those
    # endpoints take; `parent` is the parent issue's key when this is a sub-issue.
    id: int = 0
    parent: str | None = None
    sub_issues_total: int = 0
    sub_issues_completed: int = 0
    blocked_by_total: int = 0
    blocked_by_open: int = 0
    milestone: str | None = None  # its title

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    html_url: str = ""


@dataclass(frozen=True)
class IssueEvent:
    """One entry of an issue's events (labeled, unlabeled, closed, reopened, ...)."""

    id: int
    event: str
    actor: str
    created_at: dt.datetime | None = None
    label: str | None = None


@dataclass(frozen=True)
class PullRequest:
    repo: str
    number: int
    title: str
    body: str
    state: str  # "open" | "closed"
    head_ref: str
    head_sha: str
    base_ref: str
    author: str
    merged: bool = False
    merged_at: dt.datetime | None = None
    merge_commit_sha: str | None = None
    draft: bool = False
    labels: tuple[str, ...] = ()
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    html_url: str = ""
    base_sha: str = ""
    # GitHub computes it in the background: None until it knows (and in list responses, always).
    mergeable: bool | None = None


@dataclass(frozen=True)
class Review:
    id: int
    author: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    body: str = ""
    submitted_at: dt.datetime | None = None
    commit_id: str | None = None


@dataclass(frozen=True)
class ReviewComment:
    id: int
    author: str
    body: str
    path: str = ""
    line: int | None = None
    created_at: dt.datetime | None = None
    in_reply_to_id: int | None = None


@dataclass(frozen=True)
class CommitStatus:
    context: str
    state: str  # error | failure | pending | success
    description: str = ""
    target_url: str | None = None
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class CombinedStatus:
    sha: str
    state: str  # failure | pending | success (GitHub reports "pending" when there are none)
    statuses: tuple[CommitStatus, ...] = ()


@dataclass(frozen=True)
class CheckRun:
    id: int
    name: str
    status: str  # queued | in_progress | completed
    conclusion: str | None  # success | failure | neutral | cancelled | skipped | timed_out | action_required
    head_sha: str = ""
    html_url: str = ""
    output_title: str = ""
    output_summary: str = ""
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    output_text: str = ""
    app_slug: str = ""  # the GitHub App that reported it ("github-actions" for workflow jobs)


@dataclass(frozen=True)
class WorkflowRun:
    id: int
    name: str
    head_branch: str
    head_sha: str
    status: str
    conclusion: str | None
    event: str = ""
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    html_url: str = ""
    workflow_id: int | None = None


@dataclass(frozen=True)
class Job:
    """One job of a workflow run; `id` is also its check run's id."""
    id: int
    run_id: int
    name: str
    status: str
    conclusion: str | None
    head_sha: str = ""
    html_url: str = ""


@dataclass(frozen=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    level: str  # notice | warning | failure
    title: str
    message: str


@dataclass(frozen=True)
class DependabotAlert:
    number: int
    state: str
    severity: str  # low | medium | high | critical
    package: str
    ecosystem: str
    summary: str = ""
    ghsa_id: str = ""
    html_url: str = ""
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: float  # epoch seconds
    used: int = 0
    resource: str = "core"


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """Result of a conditional read. `items is None` means 304 Not Modified: reuse the cache."""

    items: tuple[T, ...] | None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.items is None


@dataclass(frozen=True)
class Validators:
    """HTTP validators stored from a previous read (state/repo-scout/scan-results.json keeps them)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Identity:
    login: str
    kind: str  # "token" | "app" | "github-actions"
    scopes: tuple[str, ...] = field(default=())
