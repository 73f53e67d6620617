"""`agentops tasks`: sync open `agent-task` issues into state/orchestrator/task-queue.json,
evaluate each task (form problems, trust, secrets, dependencies, cycles, backoff) and, unless
`dry_run`, mirror the result on GitHub (`agentops:blocked` / `needs-human` labels and one
status comment per issue, updated in place by marker).

Requests when nothing changed: one conditional list of open tasks (304, free) and one
`since` list of tasks closed since the last sync. The task-queue document holds, besides
the task records keyed "owner/repo#N", one `sync:owner/repo` record (ETag, high-water mark)
and one `deps:closed` record (outside dependencies known to be closed, never asked again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentops.context import Context
from agentops.domain import queue as q
from agentops.domain.claims import (
    BLOCKED_LABEL,
    CLAIMED_LABEL,
    NEEDS_HUMAN_LABEL,
    STATUS_KIND,
    iso,
    trust,
)
from agentops.domain.markers import find_marker, make_marker
from agentops.domain.timeutil import parse_time as parse_iso
from agentops.domain.workorder import (
    DEFAULT_PRIORITY,
    PRIORITIES,
    TASK_LABEL,
    mentions_secrets,
    parse_work_order,
)
from agentops.errors import NotFound
from agentops.github.models import Issue, Validators
from agentops.state import docs

DEPS_KEY = "deps:closed"


def sync_key(repo: str) -> str:
    return f"sync:{repo}"


def is_task_key(key: str) -> bool:
    return "#" in key and not key.startswith(("sync:", "deps:"))


def split_key(key: str) -> tuple[str, int]:
    repo, _, num = key.rpartition("#")
    return repo, int(num)


def log_action(ctx: Context, *, agent: str | None, repo: str | None, issue: int | None, action: str,
               result: str, details: Mapping[str, Any] | None = None) -> None:
    ctx.store.append(docs.AGENT_ACTIONS, {
        "ts": iso(ctx.clock()), "agent": agent, "worker": ctx.worker_id, "repo": repo, "issue": issue,
        "action": action, "result": result, "details": dict(details or {}),
    })


# -- records ---------------------------------------------------------------------------------------
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
        "labels": sorted(issue.labels), "state": issue.state, "html_url": issue.html_url,
        "created_at": iso(issue.created_at) if issue.created_at else None,
        "issue_updated_at": iso(issue.updated_at) if issue.updated_at else None,
        "from_form": order.from_form, "agent": order.agent, "capabilities": list(order.capabilities),
        "spec": spec, "steps": list(order.steps[:200]), "acceptance": list(order.acceptance[:200]),
        "deadline": iso(order.deadline) if order.deadline else None,
        "dependencies": list(order.dependencies), "problems": [str(p) for p in order.problems],
        "secrets": mentions_secrets(f"{issue.title}\n{order.spec}"),
        "base_priority": base_priority,
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
                       capabilities=tuple(rec.get("capabilities") or ()))


def open_tasks(records: Mapping[str, Mapping[str, Any]], repos: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    wanted = {r.lower() for r in repos} if repos is not None else None
    return {k: dict(v) for k, v in records.items()
            if is_task_key(k) and v.get("state") == "open"
            and (wanted is None or str(v.get("repo", "")).lower() in wanted)}


# -- sync ------------------------------------------------------------------------------------------
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


# -- evaluation ------------------------------------------------------------------------------------
def external_states(ctx: Context, records: Mapping[str, Mapping[str, Any]], deps: Iterable[str]) -> dict[str, str]:
    """"open" | "closed" | "missing" for dependencies that are not open tasks. Closed ones are
    remembered in the `deps:closed` record: a closed issue is not asked about again."""
    cache = set((records.get(DEPS_KEY) or {}).get("closed") or ())
    out: dict[str, str] = {}
    newly_closed: list[str] = []
    for dep in sorted(set(deps)):
        rec = records.get(dep)
        if rec is not None and rec.get("state") == "closed":
            out[dep] = "closed"
            continue
        if dep in cache:
            out[dep] = "closed"
            continue
        repo, number = split_key(dep)
        try:
            issue = ctx.github.get_issue(repo, number)
        except NotFound:
            out[dep] = "missing"
            continue
        out[dep] = issue.state
        if issue.state == "closed":
            newly_closed.append(dep)
    if newly_closed:
        def remember(d: Any) -> None:
            cur = d.get(DEPS_KEY) or {"kind": "deps", "closed": []}
            cur["closed"] = sorted(set(cur.get("closed") or ()) | set(newly_closed))
            d.put(DEPS_KEY, cur)
        ctx.store.update(docs.TASK_QUEUE, remember)
    return out


def author_permission(ctx: Context, repo: str, author: str) -> str | None:
    try:
        return ctx.github.get_permission(repo, author)
    except NotFound:
        return "none"


def evaluate(ctx: Context, repos: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Recompute every open task's status in `repos`; returns the open task records."""
    now = ctx.clock()
    cfg = ctx.config.claims
    records = ctx.store.records(docs.TASK_QUEUE)
    tasks = open_tasks(records, repos)
    all_open = open_tasks(records)
    outside = {d for t in tasks.values() for d in t.get("dependencies") or () if d not in all_open}
    ext = external_states(ctx, records, outside)
    ready = q.readiness({k: queue_task(k, t) for k, t in all_open.items()}, ext)
    permissions: dict[tuple[str, str], str | None] = {}
    for key, t in tasks.items():
        labels = t.get("labels") or []
        perm = t.get("author_permission")
        assoc = str(t.get("author_association") or "NONE")
        decision = trust(author=t.get("author", ""), association=assoc, permission=perm, labels=labels,
                         approval_label=cfg.approval_label)
        if not decision.trusted and perm is None and t.get("author"):
            pk = (t["repo"], t["author"])
            if pk not in permissions:
                permissions[pk] = author_permission(ctx, t["repo"], t["author"])
            t["author_permission"] = perm = permissions[pk]
            decision = trust(author=t["author"], association=assoc, permission=perm, labels=labels,
                             approval_label=cfg.approval_label)
        if t.get("exhausted") and t.get("needs_human_labelled") and NEEDS_HUMAN_LABEL not in labels:
            # A person took needs-human off: they want the task tried again from scratch.
            t.update({"exhausted": False, "needs_human_labelled": False, "attempts": 0, "retry_at": None})
        r = ready[key]
        t["trusted"] = decision.trusted
        t["trust_reason"] = decision.reason
        t["blockers"] = list(r.blockers)
        t["cycle"] = list(r.cycle)
        t["status"], t["hold_reason"] = _status(t, r, decision.trusted, decision.reason, now, cfg.approval_label)
    changed = {k: t for k, t in tasks.items() if t != records.get(k)}
    if changed:
        def save(d: Any) -> None:
            for k, t in changed.items():
                d.put(k, t)
        ctx.store.update(docs.TASK_QUEUE, save)
    return tasks


def _status(t: Mapping[str, Any], r: q.Readiness, trusted: bool, trust_reason: str, now: dt.datetime,
            approval_label: str) -> tuple[str, str | None]:
    labels = t.get("labels") or []
    claim = t.get("claim")
    if CLAIMED_LABEL in labels or (claim and (parse_iso(claim.get("expires")) or now) > now):
        who = f"agent {claim.get('agent')}" if claim else "another worker"
        return "claimed", f"claimed by {who}"
    if t.get("completed"):
        return "done", "the agent finished; waiting for the pull request to be merged (release it to run again)"
    if t.get("problems"):
        return "invalid", "the work order has problems: " + "; ".join(t["problems"])
    if t.get("exhausted"):
        return "needs-human", f"failed {t.get('attempts', 0)} times; needs a human"
    if NEEDS_HUMAN_LABEL in labels and not t.get("secrets"):
        return "needs-human", "labelled needs-human"
    if t.get("secrets") and approval_label not in labels:
        return "needs-human", ("the spec asks to create, read or rotate secrets or credentials; held for manual "
                               f"review (a maintainer can add `{approval_label}` to release it)")
    if not trusted:
        return "untrusted", trust_reason
    if r.state == "cycle":
        return "cycle", "dependency cycle: " + " -> ".join((*r.cycle, r.cycle[0]))
    if r.state == "blocked":
        return "blocked", "waiting for " + ", ".join(r.blockers)
    retry = parse_iso(t.get("retry_at"))
    if retry is not None and retry > now:
        return "backoff", f"retry after {iso(retry)} (attempt {t.get('attempts', 0)})"
    return "ready", None


# -- mirror on GitHub ------------------------------------------------------------------------------
def status_note(t: Mapping[str, Any]) -> str | None:
    """The text of the one status comment this task should carry (None: none needed)."""
    status = t.get("status")
    if status == "blocked":
        return "Blocked: waiting for " + ", ".join(_ref(b, t["repo"]) for b in t.get("blockers") or []) + \
            ". agentops picks this task up once they are closed."
    if status == "cycle":
        cyc = list(t.get("cycle") or [])
        return "Held: dependency cycle " + " -> ".join(_ref(c, t["repo"]) for c in [*cyc, cyc[0]]) + \
            ". Remove one of these dependencies to release it."
    if status in ("untrusted", "invalid", "needs-human"):
        return f"Held ({status}): {t.get('hold_reason')}"
    return None


def _ref(key: str, repo: str) -> str:
    r, n = split_key(key)
    return f"#{n}" if r.lower() == repo.lower() else key


def reflect(ctx: Context, key: str, t: dict[str, Any]) -> list[str]:
    """Bring the issue's managed labels and status comment in line with `t`; returns what changed."""
    gh = ctx.github
    repo, number = t["repo"], t["number"]
    labels = set(t.get("labels") or [])
    changes: list[str] = []
    want_blocked = t.get("status") in ("blocked", "cycle")
    if want_blocked and BLOCKED_LABEL not in labels:
        gh.add_labels(repo, number, [BLOCKED_LABEL])
        labels.add(BLOCKED_LABEL)
        changes.append("blocked")
        log_action(ctx, agent=None, repo=repo, issue=number, action="blocked", result="ok",
                   details={"blockers": t.get("blockers") or [], "cycle": t.get("cycle") or []})
    elif not want_blocked and BLOCKED_LABEL in labels:
        gh.remove_label(repo, number, BLOCKED_LABEL)
        labels.discard(BLOCKED_LABEL)
        changes.append("unblocked")
        log_action(ctx, agent=None, repo=repo, issue=number, action="unblocked", result="ok")
    if t.get("status") == "needs-human" and NEEDS_HUMAN_LABEL not in labels:
        gh.add_labels(repo, number, [NEEDS_HUMAN_LABEL])
        labels.add(NEEDS_HUMAN_LABEL)
        t["needs_human_labelled"] = True
        changes.append("needs-human")
        log_action(ctx, agent=None, repo=repo, issue=number, action="needs-human", result="ok",
                   details={"reason": t.get("hold_reason")})
    note = status_note(t)
    if note is None and t.get("status_note_hash"):
        note = "Ready: nothing holds this task any more."
    if note is not None:
        digest = hashlib.sha256(note.encode()).hexdigest()[:16]
        if digest != t.get("status_note_hash"):
            marker = make_marker(STATUS_KIND, issue=number)
            body = f"{marker}\n{note}"
            cid = t.get("status_comment_id")
            if cid is None:
                cid = next((c.id for c in gh.list_comments(repo, number) if find_marker(c.body, STATUS_KIND)), None)
            if cid is None:
                cid = gh.create_comment(repo, number, body, marker=marker).id
            else:
                try:
                    gh.edit_comment(repo, cid, body)
                except NotFound:
                    cid = gh.create_comment(repo, number, body, marker=marker).id
            t["status_comment_id"] = cid
            t["status_note_hash"] = digest
            changes.append("status-comment")
            if t.get("status") in ("untrusted", "needs-human", "invalid", "cycle"):
                log_action(ctx, agent=None, repo=repo, issue=number, action="held", result=str(t.get("status")),
                           details={"reason": t.get("hold_reason")})
    t["labels"] = sorted(labels)
    if changes:
        ctx.store.put(docs.TASK_QUEUE, key, t)
    return changes


# -- the command -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TasksOptions:
    repos: tuple[str, ...] = ()  # empty: ctx.repo()
    full: bool = False
    dry_run: bool = False  # no GitHub writes (labels, comments)
    sync: bool = True


@dataclass(frozen=True)
class TaskRow:
    key: str
    title: str
    status: str
    priority: str
    agent: str
    deadline: str | None
    blockers: tuple[str, ...]
    reason: str | None


@dataclass(frozen=True)
class TasksResult:
    repos: tuple[str, ...]
    tasks: tuple[TaskRow, ...]
    counts: dict[str, int]
    cycles: tuple[tuple[str, ...], ...]
    synced: tuple[SyncStats, ...] = ()
    changes: dict[str, list[str]] = field(default_factory=dict)


def target_repos(ctx: Context, repos: Sequence[str]) -> tuple[str, ...]:
    from agentops.context import parse_repo

    if repos:
        return tuple(parse_repo(r) for r in repos)
    return (ctx.repo(),)


def refresh(ctx: Context, repos: Sequence[str], *, full: bool = False, sync: bool = True,
            write: bool = False) -> tuple[dict[str, dict[str, Any]], tuple[SyncStats, ...], dict[str, list[str]]]:
    stats = tuple(sync_repo(ctx, r, full=full) for r in repos) if sync else ()
    tasks = evaluate(ctx, repos)
    changes: dict[str, list[str]] = {}
    if write:
        for key in sorted(tasks):
            done = reflect(ctx, key, tasks[key])
            if done:
                changes[key] = done
    return tasks, stats, changes


def ordered_rows(tasks: Mapping[str, Mapping[str, Any]]) -> list[TaskRow]:
    qt = {k: queue_task(k, t) for k, t in tasks.items()}
    rows = []
    for k in q.order(qt):
        t = tasks[k]
        rows.append(TaskRow(k, str(t.get("title", "")), str(t.get("status")), str(t.get("priority")),
                            str(t.get("agent")), t.get("deadline"), tuple(t.get("blockers") or ()),
                            t.get("hold_reason")))
    return rows


def run(options: TasksOptions, ctx: Context) -> TasksResult:
    repos = target_repos(ctx, options.repos)
    tasks, stats, changes = refresh(ctx, repos, full=options.full, sync=options.sync, write=not options.dry_run)
    rows = ordered_rows(tasks)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    cycles = tuple(sorted({tuple(t["cycle"]) for t in tasks.values() if t.get("cycle")}))
    return TasksResult(repos, tuple(rows), counts, cycles, stats, changes)
