"""Task records in state/orchestrator/task-queue.json: keys, the record built from an issue,
and the view the pure queue logic (domain.queue) works on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentops.domain import queue as q
from agentops.domain.approval import body_hash
from agentops.domain.claims import iso
from agentops.domain.markers import find_markers
from agentops.domain.timeutil import parse_time as parse_iso
from agentops.domain.workorder import (
    DEFAULT_PRIORITY,
    PRIORITIES,
    mentions_secrets,
    parse_work_order,
)
from agentops.github.models import Issue

DEPS_KEY = "deps:closed"


def sync_key(repo: str) -> str:
    return f"sync:{repo}"


def is_task_key(key: str) -> bool:
    return "#" in key and not key.startswith(("sync:", "deps:"))


def split_key(key: str) -> tuple[str, int]:
    repo, _, num = key.rpartition("#")
    return repo, int(num)


def task_from_issue(issue: Issue, old: Mapping[str, Any] | None, known_agents: Sequence[str]) -> dict[str, Any]:
    """The task record for an issue; keeps what agentops itself tracks (claim, attempts...)."""
    order = parse_work_order(issue.body, repo=issue.repo, number=issue.number, known_agents=known_agents)
    label_priority = next((lb.split(":", 1)[1] for lb in issue.labels
                           if lb.startswith("priority:") and lb.split(":", 1)[1] in PRIORITIES), None)
    base_priority = order.priority or label_priority or DEFAULT_PRIORITY
    rec: dict[str, Any] = dict(old or {})
    spec = order.spec if len(order.spec) <= 20000 else order.spec[:20000]
    rec.update({
        "kind": "task", "repo": issue.repo, "number": issue.number, "title": issue.title,
        "author": issue.author, "author_association": issue.author_association,
        "labels": sorted(issue.labels), "milestone": issue.milestone, "state": issue.state,
        "html_url": issue.html_url,
        "created_at": iso(issue.created_at) if issue.created_at else None,
        "issue_updated_at": iso(issue.updated_at) if issue.updated_at else None,
        # Comments on a ready task are often a rival's claim in flight: `claim` tries those last.
        "comments": issue.comments,
        "from_form": order.from_form, "agent": order.agent, "capabilities": list(order.capabilities),
        "spec": spec, "steps": list(order.steps[:200]), "acceptance": list(order.acceptance[:200]),
        "deadline": iso(order.deadline) if order.deadline else None,
        "dependencies": list(order.dependencies), "problems": [str(p) for p in order.problems],
        "secrets": mentions_secrets(f"{issue.title}\n{order.spec}"),
        "base_priority": base_priority, "task_kind": order.kind,
        # The form's per-task pipeline; honoured only as the trusted text had it (orchestrator.pipeline).
        "pipeline": dict(order.pipeline),
        # The approval covers this exact text; markers in it are judged by who wrote the issue.
        "body_hash": body_hash(issue.body),
        "body_markers": sorted({m.kind for m in find_markers(issue.body)})[:20],
    })
    if old is not None and old.get("state") in ("closed", "gone") and issue.state == "open":
        # Reopened: whatever was done did not settle it, so it is work again.
        rec.update({"completed": False, "status": "ready"})
    # An escalation raised the priority; a new form priority starts from itself again.
    if old is None or old.get("base_priority") != base_priority:
        rec["priority"] = base_priority
    rec.setdefault("priority", base_priority)
    rec.setdefault("attempts", 0)
    rec.setdefault("status", "ready")
    rec.setdefault("claim", None)
    return rec


def queue_task(key: str, rec: Mapping[str, Any]) -> q.QueueTask:
    return q.QueueTask(key=key, priority=str(rec.get("priority") or DEFAULT_PRIORITY),
                       deadline=parse_iso(rec.get("deadline")), created_at=parse_iso(rec.get("created_at")),
                       dependencies=tuple(rec.get("dependencies") or ()), agent=str(rec.get("agent") or "any"),
                       capabilities=tuple(rec.get("capabilities") or ()), avoid=_reviewer(rec))


def _reviewer(rec: Mapping[str, Any]) -> tuple[str, ...]:
    """The review agent the task's trusted form chose: it never authors that task."""
    chosen = (rec.get("trusted_pipeline") or {}).get("review") if isinstance(rec.get("trusted_pipeline"), Mapping) \
        else None
    return (chosen,) if isinstance(chosen, str) and chosen else ()


def open_tasks(records: Mapping[str, Mapping[str, Any]], repos: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    wanted = {r.lower() for r in repos} if repos is not None else None
    return {k: dict(v) for k, v in records.items()
            if is_task_key(k) and v.get("state") == "open"
            and (wanted is None or str(v.get("repo", "")).lower() in wanted)}

