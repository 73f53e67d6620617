"""Readiness: recompute each open task's status (form problems, trust, secrets, dependencies,
cycles, backoff) from the synced records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentops.context import Context
from agentops.domain import queue as q
from agentops.domain.claims import CLAIMED_LABEL, NEEDS_HUMAN_LABEL, iso
from agentops.domain.timeutil import parse_time as parse_iso
from agentops.errors import NotFound
from agentops.state import docs

from .dispatch import pending
from .records import DEPS_KEY, open_tasks, queue_task, split_key
from .relations import epic_progress
from .trust import body_forgeries, decide, facts_of, merged_forgeries


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
        if dep in ctx.trust.missing:
            out[dep] = "missing"  # asked once this run already
            continue
        repo, number = split_key(dep)
        try:
            issue = ctx.github.get_issue(repo, number)
        except NotFound:
            ctx.trust.missing.add(dep)
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


def evaluate(ctx: Context, repos: Sequence[str], *, write: bool = True) -> dict[str, dict[str, Any]]:
    """Recompute every open task's status in `repos`; returns the open task records. `write`
    False: nothing is written on GitHub (a first-seen approval is not recorded there).

    Trust comes first: a task with form problems or from an untrusted author costs no
    dependency look-ups (and an invalid one no permission look-up either)."""
    now = ctx.clock()
    cfg = ctx.config.claims
    records = ctx.store.records(docs.TASK_QUEUE)
    tasks = open_tasks(records, repos)
    all_open = open_tasks(records)
    for t in tasks.values():
        _judge(ctx, t, write=write)
    outside = {d for t in tasks.values() if t["trusted"] and not t.get("problems")
               for d in t.get("dependencies") or () if d not in all_open}
    ext = external_states(ctx, records, outside)
    ready = q.readiness({k: queue_task(k, t) for k, t in all_open.items()}, ext)
    for key, t in tasks.items():
        labels = t.get("labels") or []
        if t.get("exhausted") and t.get("needs_human_labelled") and NEEDS_HUMAN_LABEL not in labels:
            # A person took needs-human off: they want the task tried again from scratch.
            t.update({"exhausted": False, "needs_human_labelled": False, "attempts": 0, "retry_at": None})
        r = ready[key]
        t["blockers"] = list(r.blockers)
        t["cycle"] = list(r.cycle)
        t["status"], t["hold_reason"] = _status(t, r, bool(t["trusted"]), str(t["trust_reason"]), now,
                                                cfg.approval_label)
        if t.get("sub_issues") and t["status"] in ("ready", "blocked", "backoff"):
            # An epic is never dispatched itself: its steps are the work.
            done, total = epic_progress(tasks, records, t)
            t["status"], t["hold_reason"] = "epic", f"epic: {done} of {total} steps closed"
    changed = {k: t for k, t in tasks.items() if t != records.get(k)}
    if changed:
        def save(d: Any) -> None:
            for k, t in changed.items():
                d.put(k, t)
        ctx.store.update(docs.TASK_QUEUE, save)
    return tasks


def _judge(ctx: Context, t: dict[str, Any], *, write: bool) -> None:
    forged = body_forgeries(ctx, t)
    if forged:
        t["forged_markers"] = merged_forgeries(t.get("forged_markers"), forged)
    if t.get("problems"):
        t["trusted"], t["trust_reason"] = False, "not checked: the work order has problems"
        return
    decision, keep = decide(ctx, facts_of(t), t, write=write)
    t.update(keep)
    t["trusted"], t["trust_reason"] = decision.trusted, decision.reason
    if decision.trusted:
        # The only place the form's pipeline becomes one the rounds follow (orchestrator.pipeline).
        t["trusted_pipeline"] = dict(t.get("pipeline") or {})


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
    if t.get("secrets") and not t.get("approved"):
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
    if pending(t):
        d = t["dispatch"]
        return "dispatched", f"attempt {d.get('attempt')} dispatched to agent {d.get('agent')}; waiting for its run"
    return "ready", None

