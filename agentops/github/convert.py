"""GitHub REST JSON (as PyGithub's requester returns it) to the frozen port models.

Everything is read from the payload already in hand: no attribute access that could cost
another request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentops.domain.timeutil import parse_time
from agentops.github.models import (
    Annotation,
    CheckRun,
    CombinedStatus,
    Comment,
    CommitStatus,
    DependabotAlert,
    Issue,
    IssueEvent,
    Job,
    PullRequest,
    RateLimit,
    RepoInfo,
    Review,
    ReviewComment,
    WorkflowRun,
)

Json = Mapping[str, Any]


def _str(data: Json, key: str, default: str = "") -> str:
    v = data.get(key)
    return default if v is None else str(v)


def _login(user: Any) -> str:
    if isinstance(user, Mapping):
        return str(user.get("login") or "")
    return ""


def _labels(data: Json) -> tuple[str, ...]:
    out = []
    for lab in data.get("labels") or ():
        if isinstance(lab, Mapping):
            out.append(str(lab.get("name", "")))
        elif isinstance(lab, str):
            out.append(lab)
    return tuple(out)


def repo_from_url(url: str) -> str:
    """"owner/name" from an API URL like .../repos/owner/name/issues/3."""
    parts = url.split("/repos/", 1)
    if len(parts) != 2:
        return ""
    segs = parts[1].split("/")
    return "/".join(segs[:2]) if len(segs) >= 2 else ""


def repo_info(data: Json) -> RepoInfo:
    return RepoInfo(
        full_name=_str(data, "full_name"),
        default_branch=_str(data, "default_branch", "main"),
        clone_url=_str(data, "clone_url"),
        html_url=_str(data, "html_url"),
        private=bool(data.get("private")),
        archived=bool(data.get("archived")),
        fork=bool(data.get("fork")),
        disabled=bool(data.get("disabled")),
        pushed_at=parse_time(data.get("pushed_at")),
        updated_at=parse_time(data.get("updated_at")),
        owner_type=str((data.get("owner") or {}).get("type") or "User"),
    )


def issue(data: Json, repo: str | None = None) -> Issue:
    return Issue(
        repo=repo or repo_from_url(_str(data, "url")) or repo_from_url(_str(data, "repository_url") + "/"),
        number=int(data["number"]),
        title=_str(data, "title"),
        body=_str(data, "body"),
        state=_str(data, "state", "open"),
        author=_login(data.get("user")),
        author_association=_str(data, "author_association", "NONE"),
        labels=_labels(data),
        assignees=tuple(_login(a) for a in data.get("assignees") or ()),
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
        closed_at=parse_time(data.get("closed_at")),
        html_url=_str(data, "html_url"),
        is_pull_request="pull_request" in data and data.get("pull_request") is not None,
        comments=int(data.get("comments") or 0),
        id=int(data.get("id") or 0),
        parent=issue_key_from_url(_str(data, "parent_issue_url")),
        sub_issues_total=_count(data, "sub_issues_summary", "total"),
        sub_issues_completed=_count(data, "sub_issues_summary", "completed"),
        blocked_by_total=_count(data, "issue_dependencies_summary", "total_blocked_by"),
        blocked_by_open=_count(data, "issue_dependencies_summary", "blocked_by"),
        milestone=_milestone(data.get("milestone")),
    )


def issue_key_from_url(url: str) -> str | None:
    """"owner/name#N" from an issue's API URL (.../repos/owner/name/issues/N), else None."""
    repo = repo_from_url(url)
    tail = url.rstrip("/").rsplit("/issues/", 1)
    if not repo or len(tail) != 2 or not tail[1].isdigit():
        return None
    return f"{repo}#{int(tail[1])}"


def _count(data: Json, summary: str, field: str) -> int:
    block = data.get(summary)
    value = block.get(field) if isinstance(block, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _milestone(data: object) -> str | None:
    title = data.get("title") if isinstance(data, dict) else None
    return title if isinstance(title, str) else None


def comment(data: Json) -> Comment:
    return Comment(
        id=int(data["id"]),
        body=_str(data, "body"),
        author=_login(data.get("user")),
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
        html_url=_str(data, "html_url"),
    )


def issue_event(data: Json) -> IssueEvent:
    label = data.get("label")
    return IssueEvent(
        id=int(data["id"]),
        event=_str(data, "event"),
        actor=_login(data.get("actor")),
        created_at=parse_time(data.get("created_at")),
        label=str(label.get("name") or "") if isinstance(label, dict) else None,
    )


def pull(data: Json, repo: str | None = None) -> PullRequest:
    head = data.get("head") or {}
    base = data.get("base") or {}
    return PullRequest(
        repo=repo or repo_from_url(_str(data, "url")),
        number=int(data["number"]),
        title=_str(data, "title"),
        body=_str(data, "body"),
        state=_str(data, "state", "open"),
        head_ref=_str(head, "ref"),
        head_sha=_str(head, "sha"),
        base_ref=_str(base, "ref"),
        author=_login(data.get("user")),
        merged=bool(data.get("merged")) or data.get("merged_at") is not None,
        merged_at=parse_time(data.get("merged_at")),
        merge_commit_sha=data.get("merge_commit_sha") or None,
        draft=bool(data.get("draft")),
        labels=_labels(data),
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
        closed_at=parse_time(data.get("closed_at")),
        html_url=_str(data, "html_url"),
        base_sha=_str(base, "sha"),
        mergeable=data["mergeable"] if isinstance(data.get("mergeable"), bool) else None,
    )


def review(data: Json) -> Review:
    return Review(
        id=int(data["id"]),
        author=_login(data.get("user")),
        state=_str(data, "state"),
        body=_str(data, "body"),
        submitted_at=parse_time(data.get("submitted_at")),
        commit_id=data.get("commit_id") or None,
    )


def review_comment(data: Json) -> ReviewComment:
    line = data.get("line")
    if line is None:
        line = data.get("original_line")
    reply = data.get("in_reply_to_id")
    return ReviewComment(
        id=int(data["id"]),
        author=_login(data.get("user")),
        body=_str(data, "body"),
        path=_str(data, "path"),
        line=int(line) if line is not None else None,
        created_at=parse_time(data.get("created_at")),
        in_reply_to_id=int(reply) if reply is not None else None,
    )


def commit_status(data: Json) -> CommitStatus:
    return CommitStatus(
        context=_str(data, "context", "default"),
        state=_str(data, "state"),
        description=_str(data, "description"),
        target_url=data.get("target_url") or None,
        updated_at=parse_time(data.get("updated_at")),
    )


def combined_status(data: Json, ref: str) -> CombinedStatus:
    return CombinedStatus(
        sha=_str(data, "sha", ref),
        state=_str(data, "state", "pending"),
        statuses=tuple(commit_status(s) for s in data.get("statuses") or ()),
    )


def check_run(data: Json) -> CheckRun:
    output = data.get("output") or {}
    return CheckRun(
        id=int(data["id"]),
        name=_str(data, "name"),
        status=_str(data, "status"),
        conclusion=data.get("conclusion") or None,
        head_sha=_str(data, "head_sha"),
        html_url=_str(data, "html_url"),
        output_title=_str(output, "title"),
        output_summary=_str(output, "summary"),
        started_at=parse_time(data.get("started_at")),
        completed_at=parse_time(data.get("completed_at")),
        output_text=_str(output, "text"),
        app_slug=_str(data["app"], "slug") if isinstance(data.get("app"), Mapping) else "",
    )


def job(data: Json) -> Job:
    return Job(id=int(data["id"]), run_id=int(data.get("run_id") or 0), name=_str(data, "name"),
               status=_str(data, "status"), conclusion=data.get("conclusion") or None,
               head_sha=_str(data, "head_sha"), html_url=_str(data, "html_url"))


def annotation(data: Json) -> Annotation:
    return Annotation(path=_str(data, "path"), start_line=int(data.get("start_line") or 0),
                      end_line=int(data.get("end_line") or data.get("start_line") or 0),
                      level=_str(data, "annotation_level"), title=_str(data, "title"),
                      message=_str(data, "message"))


def workflow_run(data: Json) -> WorkflowRun:
    wid = data.get("workflow_id")
    return WorkflowRun(
        id=int(data["id"]),
        name=_str(data, "name") or _str(data, "display_title"),
        head_branch=_str(data, "head_branch"),
        head_sha=_str(data, "head_sha"),
        status=_str(data, "status"),
        conclusion=data.get("conclusion") or None,
        event=_str(data, "event"),
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
        html_url=_str(data, "html_url"),
        workflow_id=int(wid) if wid is not None else None,
    )


def dependabot_alert(data: Json) -> DependabotAlert:
    advisory = data.get("security_advisory") or {}
    vuln = data.get("security_vulnerability") or {}
    dep = data.get("dependency") or {}
    package = vuln.get("package") or dep.get("package") or {}
    severity = vuln.get("severity") or advisory.get("severity") or "low"
    return DependabotAlert(
        number=int(data["number"]),
        state=_str(data, "state"),
        severity=str(severity).lower(),
        package=_str(package, "name"),
        ecosystem=_str(package, "ecosystem"),
        summary=_str(advisory, "summary"),
        ghsa_id=_str(advisory, "ghsa_id"),
        html_url=_str(data, "html_url"),
        created_at=parse_time(data.get("created_at")),
    )


def rate_limit_from_headers(headers: Mapping[str, Any]) -> RateLimit | None:
    low = {str(k).lower(): v for k, v in headers.items()}
    if "x-ratelimit-remaining" not in low or "x-ratelimit-limit" not in low:
        return None
    try:
        return RateLimit(
            limit=int(float(low["x-ratelimit-limit"])),
            remaining=int(float(low["x-ratelimit-remaining"])),
            reset=float(low.get("x-ratelimit-reset") or 0),
            used=int(float(low.get("x-ratelimit-used") or 0)),
            resource=str(low.get("x-ratelimit-resource") or "core"),
        )
    except (TypeError, ValueError):
        return None


def rate_limit_from_body(data: Json) -> RateLimit:
    core = (data.get("resources") or {}).get("core") or data.get("rate") or {}
    return RateLimit(
        limit=int(core.get("limit") or 0),
        remaining=int(core.get("remaining") or 0),
        reset=float(core.get("reset") or 0),
        used=int(core.get("used") or 0),
        resource="core",
    )
