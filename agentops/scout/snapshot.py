"""Compact, JSON-able views of what the scout reads from GitHub. They are stored in
scan-results.json beside each endpoint's validators, so a 304 reuses them and the checks
re-run on them with the current clock (stale and overdue findings age without a request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentops.domain import scout as S
from agentops.domain import timeutil
from agentops.domain import workorder as wo
from agentops.github.models import CheckRun, CommitStatus, DependabotAlert, Issue, PullRequest, WorkflowRun

ENDPOINTS: tuple[str, ...] = ("issues", "pulls", "runs", "statuses", "checks", "alerts")


def iso(t: dt.datetime | None) -> str | None:
    """Whole seconds, as GitHub sends them: a snapshot of an unchanged answer stays byte-identical."""
    return None if t is None else timeutil.iso(t, timespec="seconds")


def issue_item(i: Issue) -> dict[str, Any]:
    out: dict[str, Any] = {"n": i.number, "title": i.title, "labels": list(i.labels), "author": i.author,
                           "created": iso(i.created_at), "updated": iso(i.updated_at), "url": i.html_url}
    if i.is_pull_request:
        out["pr"] = True
        return out
    fp = S.marker_fp(i.body)
    if fp:
        out["fp"] = fp
        out["digest"] = S.body_digest(i.body)
    elif wo.TASK_LABEL in i.labels:
        order = wo.parse_work_order(i.body, repo=i.repo, number=i.number)
        out["deadline"] = iso(order.deadline)
    return out


def pull_item(p: PullRequest) -> dict[str, Any]:
    return {"n": p.number, "title": p.title, "author": p.author, "head_ref": p.head_ref, "head_sha": p.head_sha,
            "draft": p.draft, "labels": list(p.labels), "created": iso(p.created_at), "updated": iso(p.updated_at),
            "url": p.html_url, "closes": sorted(S.closing_refs(p.body)),
            "fps": sorted(S.fingerprints_in(p.body))}


def run_item(r: WorkflowRun) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "workflow_id": r.workflow_id, "branch": r.head_branch, "sha": r.head_sha,
            "status": r.status, "conclusion": r.conclusion, "created": iso(r.created_at), "url": r.html_url}


def status_item(s: CommitStatus) -> dict[str, Any]:
    return {"context": s.context, "state": s.state, "description": s.description, "url": s.target_url,
            "updated": iso(s.updated_at)}


def check_item(c: CheckRun) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "app": c.app_slug, "status": c.status, "conclusion": c.conclusion,
            "completed": iso(c.completed_at), "url": c.html_url}


def alert_item(a: DependabotAlert) -> dict[str, Any]:
    return {"n": a.number, "severity": a.severity, "package": a.package, "ecosystem": a.ecosystem,
            "summary": a.summary, "ghsa": a.ghsa_id, "url": a.html_url, "created": iso(a.created_at)}


@dataclass(frozen=True)
class RepoInputs:
    """Everything the checks see for one repository. An endpoint's items are None when it
    could not be read (its reason in `errors`)."""

    repo: str
    default_branch: str
    items: Mapping[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    test_results: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def get(self, endpoint: str) -> list[dict[str, Any]] | None:
        return self.items.get(endpoint)
