"""Sync open `agent-task` issues into the task queue.

Requests when nothing changed: one conditional list of open tasks (304, free) and one
`since` list of tasks closed since the last sync. The task-queue document holds, besides
the task records keyed "owner/repo#N", one `sync:owner/repo` record (ETag, high-water mark)
and one `deps:closed` record (outside dependencies known to be closed, never asked again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentops.context import Context
from agentops.domain.claims import iso
from agentops.domain.timeutil import parse_time as parse_iso
from agentops.domain.workorder import TASK_LABEL
from agentops.github.models import Issue, Validators
from agentops.state import docs

from .records import is_task_key, sync_key, task_from_issue


@dataclass(frozen=True)
class SyncStats:
    repo: str
    not_modified: bool
    fetched: int
    closed: int


def sync_repo(ctx: Context, repo: str, *, full: bool = False) -> SyncStats:
    gh = ctx.github
    meta = ctx.store.get(docs.TASK_QUEUE, sync_key(repo)) or {}
    known_agents = [a.name for a in ctx.config.agents]
    hwm = parse_iso(meta.get("hwm"))
    closed: tuple[Issue, ...] = ()
    if hwm is not None and not full:
        # A closed task drops out of the open list without touching its first page (and so its
        # ETag) when it sat on a later page; ask for closures since the last sync explicitly.
        got = gh.list_issues(repo, state="closed", labels=[TASK_LABEL], since=hwm, sort="updated")
        closed = got.items or ()
    validators = None if full else Validators(etag=meta.get("etag"), last_modified=meta.get("last_modified"))
    if validators is not None and not (validators.etag or validators.last_modified):
        validators = None
    fetched = gh.list_issues(repo, state="open", labels=[TASK_LABEL], sort="updated", validators=validators)

    def apply(d: Any) -> None:
        new_hwm = hwm
        for issue in closed:
            key = issue.key
            old = d.get(key)
            rec = task_from_issue(issue, old, known_agents)
            rec["state"] = "closed"
            rec["status"] = "done" if old is None or old.get("status") != "needs-human" else "needs-human"
            rec["claim"] = None
            d.put(key, rec)
            if issue.updated_at and (new_hwm is None or issue.updated_at > new_hwm):
                new_hwm = issue.updated_at
        if fetched.items is not None:
            seen = set()
            for issue in fetched.items:
                if issue.is_pull_request:
                    continue
                seen.add(issue.key)
                d.put(issue.key, task_from_issue(issue, d.get(issue.key), known_agents))
                if issue.updated_at and (new_hwm is None or issue.updated_at > new_hwm):
                    new_hwm = issue.updated_at
            for key, rec in d.live().items():
                if is_task_key(key) and rec.get("repo", "").lower() == repo.lower() and rec.get("state") == "open" \
                        and key not in seen:
                    # Closed or no longer labelled: the dependency check asks GitHub if needed.
                    rec["state"] = "gone"
                    rec["claim"] = None
                    d.put(key, rec)
        new_meta = dict(meta)
        new_meta.update({"kind": "sync", "repo": repo, "hwm": iso(new_hwm) if new_hwm else None})
        if fetched.items is not None:
            new_meta.update({"etag": fetched.etag, "last_modified": fetched.last_modified,
                             "synced_at": iso(ctx.clock())})
        d.put(sync_key(repo), new_meta)

    ctx.store.update(docs.TASK_QUEUE, apply)
    return SyncStats(repo, fetched.not_modified, len(fetched.items or ()), len(closed))


def target_repos(ctx: Context, repos: Sequence[str]) -> tuple[str, ...]:
    from agentops.context import parse_repo

    if repos:
        return tuple(parse_repo(r) for r in repos)
    return (ctx.repo(),)

