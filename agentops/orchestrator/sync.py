"""Sync `agent-task` issues into the task queue, incrementally.

A full sync lists the open tasks (conditional on the ETag) and, from the second sync on, the
tasks closed since then. After that, each sync asks only for what changed: one `since=` list of
every issue updated since the high-water mark (open or closed, any label, so a closure and a
label taken off show up too), conditional on the ETag of the same query: a claim's own writes
cost the next sync one small page, not a re-list of every open task. A full sync still runs
every FULL_RESYNC (issues deleted or transferred leave no trace in a `since` list).

The task-queue document holds, besides the task records keyed "owner/repo#N", one
`sync:owner/repo` record (validators, high-water mark, last full sync) and one `deps:closed`
record (outside dependencies known to be closed, never asked again). Finished tasks older than
RETENTION move to the monthly archive (state/archive/tasks-YYYY-MM.jsonl), keeping the live
queue small whatever the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentops.context import Context
from agentops.domain.claims import iso
from agentops.domain.timeutil import parse_time as parse_iso
from agentops.domain.workorder import TASK_LABEL
from agentops.github.models import Fetched, Issue, Validators
from agentops.state import docs

from .records import is_task_key, sync_key
from .relations import Native, from_issue, is_live_step, order_steps, put_steps, read_native

FULL_RESYNC = dt.timedelta(hours=6)
RETENTION = dt.timedelta(days=7)  # `status` still lists a week of finished tasks; `report` reads the archive
FINISHED_STATES = ("closed", "gone")


@dataclass(frozen=True)
class SyncStats:
    repo: str
    not_modified: bool
    fetched: int
    closed: int
    keys: tuple[str, ...] = ()  # the tasks an incremental sync found changed (their records differ)


def _labelled(issue: Issue) -> bool:
    return any(lb.lower() == TASK_LABEL for lb in issue.labels)


def _closed_record(issue: Issue, old: dict[str, Any] | None, known_agents: Sequence[str],
                   native: Native | None) -> dict[str, Any]:
    rec = from_issue(issue, old, known_agents, native)
    rec["state"] = "closed"
    rec["status"] = "done" if old is None or old.get("status") != "needs-human" else "needs-human"
    rec["claim"] = None
    return rec


def _gone(d: Any, key: str) -> None:
    rec = d.get(key)
    if rec is not None and rec.get("state") == "open" and not is_live_step(d, key, rec):
        # (An open epic's step is a task whether labelled agent-task or not.)
        # Closed or no longer labelled: the dependency check asks GitHub if needed.
        rec["state"] = "gone"
        rec["claim"] = None
        d.put(key, rec)


def _later(hwm: dt.datetime | None, issue: Issue) -> dt.datetime | None:
    if issue.updated_at and (hwm is None or issue.updated_at > hwm):
        return issue.updated_at
    return hwm


def sync_repo(ctx: Context, repo: str, *, full: bool = False, prime: bool = True) -> SyncStats:
    """Bring the repository's tasks up to date. `prime`: after a full list, also ask the `since`
    query once so its ETag is known (the next sync of an unchanged queue is then a 304); a caller
    about to write to the queue itself passes False (the ETag would be stale at once)."""
    meta = ctx.store.get(docs.TASK_QUEUE, sync_key(repo)) or {}
    hwm = parse_iso(meta.get("hwm"))
    full_at = parse_iso(meta.get("full_at"))
    now = ctx.clock()
    if full or hwm is None or full_at is None or now - full_at >= FULL_RESYNC or now < full_at:
        stats = _full_sync(ctx, repo, meta, hwm, force=full)
        if prime and not stats.not_modified:
            # Prime the `since` query's ETag now, so the next sync of an unchanged queue is a free 304.
            _changed_since(ctx, repo)
    else:
        stats = _changed_since(ctx, repo)
    archive_finished(ctx)
    return stats


def _full_sync(ctx: Context, repo: str, meta: dict[str, Any], hwm: dt.datetime | None, *,
               force: bool) -> SyncStats:
    gh = ctx.github
    known_agents = [a.name for a in ctx.config.agents]
    closed: tuple[Issue, ...] = ()
    if hwm is not None and not force:
        # A closed task drops out of the open list without touching its first page (and so its
        # ETag) when it sat on a later page; ask for closures since the last sync explicitly.
        got = gh.list_issues(repo, state="closed", labels=[TASK_LABEL], since=hwm, sort="updated")
        closed = got.items or ()
    validators = None if force else Validators(etag=meta.get("etag"), last_modified=meta.get("last_modified"))
    if validators is not None and not (validators.etag or validators.last_modified):
        validators = None
    fetched = gh.list_issues(repo, state="open", labels=[TASK_LABEL], sort="updated", validators=validators)
    # Native relations (blocked-by, sub-issues) of the issues that came back, where they changed.
    native = read_native(ctx, [*closed, *(fetched.items or ())], ctx.store.records(docs.TASK_QUEUE))

    def apply(d: Any) -> None:
        new_hwm = hwm
        for issue in closed:
            d.put(issue.key, _closed_record(issue, d.get(issue.key), known_agents, native.get(issue.key)))
            new_hwm = _later(new_hwm, issue)
        if fetched.items is not None:
            seen = set()
            for issue in fetched.items:
                if issue.is_pull_request:
                    continue
                seen.add(issue.key)
                d.put(issue.key, from_issue(issue, d.get(issue.key), known_agents, native.get(issue.key)))
                new_hwm = _later(new_hwm, issue)
            order_steps(d, put_steps(d, native, known_agents))
            for key in d.keys():
                if is_task_key(key) and key not in seen and key.rpartition("#")[0].lower() == repo.lower():
                    _gone(d, key)
        new_meta = dict(meta)
        new_meta.update({"kind": "sync", "repo": repo, "hwm": iso(new_hwm) if new_hwm else None,
                         "full_at": iso(ctx.clock())})
        if fetched.items is not None:
            new_meta.update({"etag": fetched.etag, "last_modified": fetched.last_modified,
                             "synced_at": iso(ctx.clock())})
        d.put(sync_key(repo), new_meta)

    ctx.store.update(docs.TASK_QUEUE, apply)
    return SyncStats(repo, fetched.not_modified, len(fetched.items or ()), len(closed))


def _changed_since(ctx: Context, repo: str) -> SyncStats:
    known_agents = [a.name for a in ctx.config.agents]
    meta = ctx.store.get(docs.TASK_QUEUE, sync_key(repo)) or {}
    hwm = parse_iso(meta.get("hwm"))
    if hwm is None:  # nothing seen yet (no task at all): the full sync's conditional list is as cheap
        return SyncStats(repo, True, 0, 0)
    # An answer like the last one (nothing changed since; GitHub's list ETags are over the
    # body) comes back as a 304, which costs no rate limit.
    validators = Validators(etag=meta.get("since_etag")) if meta.get("since_etag") else None
    fetched: Fetched[Issue] = ctx.github.list_issues(repo, state="all", since=hwm, sort="updated",
                                                     validators=validators)
    records = ctx.store.records(docs.TASK_QUEUE)
    native = read_native(ctx, [i for i in fetched.items or () if _labelled(i) or i.key in records], records)
    closed = 0
    keys: list[str] = []

    def apply(d: Any) -> None:
        nonlocal closed
        new_hwm: dt.datetime | None = hwm
        for issue in fetched.items or ():
            if issue.is_pull_request:
                continue
            key = issue.key
            old = d.get(key)
            labelled = _labelled(issue) or (old is not None and is_live_step(d, key, old))
            if issue.state == "open" and labelled:
                d.put(key, from_issue(issue, old, known_agents, native.get(key)))
            elif issue.state == "closed" and (labelled or old is not None):
                if old is None or old.get("state") != "closed" or old.get("issue_updated_at") != (
                        iso(issue.updated_at) if issue.updated_at else None):
                    d.put(key, _closed_record(issue, old, known_agents, native.get(key)))
                    closed += 1
            elif old is not None:
                _gone(d, key)
            if d.get(key) != old:
                # `since` is inclusive: the issue at the high-water mark comes back unchanged each time.
                keys.append(key)
            new_hwm = _later(new_hwm, issue)
        order_steps(d, put_steps(d, native, known_agents))
        new_meta = dict(meta)
        new_meta.update({"kind": "sync", "repo": repo, "hwm": iso(new_hwm) if new_hwm else None,
                         "since_etag": fetched.etag})
        if fetched.items is not None:
            new_meta["synced_at"] = iso(ctx.clock())
        d.put(sync_key(repo), new_meta)

    ctx.store.update(docs.TASK_QUEUE, apply)
    return SyncStats(repo, fetched.not_modified, len(fetched.items or ()), closed, tuple(keys))


def archive_finished(ctx: Context) -> int:
    """Move tasks finished (closed, or no longer a task) more than RETENTION ago to the archive."""
    def finished(key: str, data: dict[str, Any]) -> bool:
        return is_task_key(key) and data.get("state") in FINISHED_STATES

    return ctx.store.archive(docs.TASK_QUEUE, docs.TASKS_ARCHIVE, before=ctx.clock() - RETENTION, done=finished)


def target_repos(ctx: Context, repos: Sequence[str]) -> tuple[str, ...]:
    from agentops.context import parse_repo

    if repos:
        return tuple(parse_repo(r) for r in repos)
    return (ctx.repo(),)

