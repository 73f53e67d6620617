"""The emulator's records: plain mutable dataclasses guarded by the State lock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentops.sandbox.gitbare import BareRepo

PERMISSIONS = ("none", "read", "triage", "write", "maintain", "admin")
WRITE_LEVELS = ("write", "maintain", "admin")


def rank(permission: str) -> int:
    return PERMISSIONS.index(permission)


@dataclass
class User:
    id: int
    login: str
    type: str = "User"  # or "Organization"
    site_admin: bool = False
    token: str | None = None
    created_at: dt.datetime | None = None


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Comment:
    id: int
    issue_number: int
    author: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class IssueEvent:
    """One entry of GET /repos/{owner}/{repo}/issues/{number}/events (labeled, unlabeled, closed,
    reopened): who did what, when; approval checks read the `labeled` actor from here."""

    id: int
    event: str
    actor: str
    created_at: dt.datetime
    label: str | None = None
    state_reason: str | None = None


@dataclass
class Review:
    id: int
    author: str
    body: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | PENDING | DISMISSED
    commit_id: str
    submitted_at: dt.datetime | None


@dataclass
class ReviewComment:
    id: int
    author: str
    body: str
    path: str
    line: int | None
    commit_id: str
    review_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    in_reply_to_id: int | None = None


@dataclass
class PullData:
    head_ref: str
    base_ref: str
    head_sha: str
    base_sha: str
    draft: bool = False
    merged: bool = False
    merged_at: dt.datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    maintainer_can_modify: bool = False
    requested_reviewers: list[str] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    review_comments: list[ReviewComment] = field(default_factory=list)
    # GitHub works out `mergeable` in a background job started by the first read after the base
    # or head moved, answering null until it is done: the (base, head) last worked out, and how
    # many more single-PR reads answer null for it (Repo.mergeable_lag).
    mergeable_for: tuple[str, str] | None = None
    mergeable_unknown_reads: int = 0


@dataclass
class Issue:
    id: int
    number: int
    title: str
    body: str | None
    author: str
    created_at: dt.datetime
    updated_at: dt.datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)  # label names, in the order added
    assignees: list[str] = field(default_factory=list)
    locked: bool = False
    milestone: str | None = None  # the milestone's title (numbered per repository in Repo.milestones)
    comments: list[Comment] = field(default_factory=list)
    pull: PullData | None = None
    events: list[IssueEvent] = field(default_factory=list)
    # Native relations, by issue id (ids are global, so a relation may cross repositories).
    parent_id: int | None = None
    sub_issue_ids: list[int] = field(default_factory=list)  # in the parent's priority order
    blocked_by_ids: list[int] = field(default_factory=list)
    blocking_ids: list[int] = field(default_factory=list)


@dataclass
class Status:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: dt.datetime


@dataclass
class CheckRun:
    id: int
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    started_at: dt.datetime
    completed_at: dt.datetime | None
    details_url: str | None = None
    external_id: str | None = None
    output: dict[str, Any] = field(default_factory=dict)
    app_id: int | None = None  # the GitHub App that created it; None: GitHub Actions


@dataclass
class Workflow:
    id: int
    name: str
    path: str
    state: str = "active"
    created_at: dt.datetime | None = None


@dataclass
class WorkflowRun:
    id: int
    workflow_id: int
    name: str
    head_branch: str
    head_sha: str
    event: str
    status: str
    conclusion: str | None
    run_number: int
    actor: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class Job:
    """A workflow run's job. Its id is also its check run's id, as on GitHub."""
    id: int
    run_id: int
    name: str
    status: str
    conclusion: str | None
    head_sha: str
    head_branch: str
    started_at: dt.datetime
    completed_at: dt.datetime | None
    log: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)
    run_attempt: int = 1


@dataclass
class ActionsSetting:
    """A repository's Actions secret (its value is never served) or variable."""

    name: str
    value: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class Environment:
    """A deployment environment: its own Actions secrets, reachable only by jobs that name it."""

    id: int
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    secrets: dict[str, ActionsSetting] = field(default_factory=dict)  # key: upper-cased name


@dataclass
class Dispatch:
    workflow_id: int
    workflow_path: str
    ref: str
    inputs: dict[str, Any]
    actor: str
    at: dt.datetime


@dataclass
class Alert:
    number: int
    state: str
    severity: str
    package: str
    ecosystem: str
    summary: str
    manifest_path: str
    ghsa_id: str
    cve_id: str | None
    vulnerable_version_range: str
    first_patched_version: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    bare: BareRepo
    created_at: dt.datetime
    updated_at: dt.datetime
    pushed_at: dt.datetime
    default_branch: str = "main"
    private: bool = False
    fork: bool = False
    archived: bool = False
    disabled: bool = False
    description: str | None = None
    permissions: dict[str, str] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)  # key: lower-cased name
    issues: dict[int, Issue] = field(default_factory=dict)
    next_number: int = 1
    statuses: list[Status] = field(default_factory=list)
    check_runs: list[CheckRun] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    workflow_runs: list[WorkflowRun] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    reruns: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # check run id -> annotations
    dispatches: list[Dispatch] = field(default_factory=list)
    milestones: dict[str, int] = field(default_factory=dict)  # title -> number
    actions_secrets: dict[str, ActionsSetting] = field(default_factory=dict)  # key: upper-cased name
    actions_variables: dict[str, ActionsSetting] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)  # key: lower-cased name
    dependabot_enabled: bool = True
    alerts: list[Alert] = field(default_factory=list)
    mergeable_lag: int = 0  # single-PR reads that answer `mergeable: null` after the base or head moves

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def bare_path(self) -> Path:
        return self.bare.path

    @property
    def clone_url(self) -> str:
        return self.bare.url
