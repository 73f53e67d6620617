"""GitHub's native issue relations in the queue: "blocked by" dependencies and sub-issues.

- One dependency set. A task depends on what its form's Dependencies field lists and on what
  GitHub says blocks it (same repository or another). Each edge keeps its source: "form",
  "native" or "both"; an epic's implicit step order is "order". Where form and GitHub disagree
  the task carries a warning, never a failure.
- Reading is cheap: issue objects carry issue_dependencies_summary and sub_issues_summary, so the
  relation lists are asked for only when an issue's summary or update time changed since the
  last sync, and only when it has relations at all.
- Mirroring (when the pass may write): form edges GitHub lacks become native blocked-by
  relations where the token is permitted to add them. Idempotent; nothing is ever removed (a
  relation a person added stays); a refusal is remembered and reported, not retried every pass.
- Epics: a task whose issue has sub-issues is an epic. Its sub-issues are its steps, each its own
  task (labelled agent-task or not), run in sub-issue order unless the steps depend on one
  another (then by those dependencies). The epic itself is never dispatched; when every step is
  closed it is closed with a summary comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentops.context import Context
from agentops.domain.markers import make_marker
from agentops.errors import AgentOpsError, NotFound
from agentops.github.models import Issue
from agentops.state import docs

from .actions import log_action
from .records import split_key, task_from_issue
from .trust import read_comments

EPIC_SUMMARY_KIND = "epic-summary"
SOURCES = ("form", "native", "both", "order")


@dataclass(frozen=True)
class Native:
    """What GitHub says about one issue's relations, read this pass."""

    blocked_by: tuple[str, ...]
    steps: tuple[Issue, ...]  # sub-issues, in the parent's order
    sig: str


def signature(issue: Issue) -> str:
    """Changes whenever the issue's relations may have: its update time and relation summaries."""
    stamp = issue.updated_at.isoformat() if issue.updated_at else ""
    return (f"{stamp}|{issue.blocked_by_total}|{issue.blocked_by_open}|{issue.sub_issues_total}|"
            f"{issue.sub_issues_completed}")


def read_native(ctx: Context, issues: Iterable[Issue], records: Mapping[str, Mapping[str, Any]]) -> dict[str, Native]:
    """Relations of the issues whose signature moved (requests only for issues that have some),
    and of the sub-issues found on the way (an epic's steps, nested epics' steps)."""
    gh = ctx.github
    out: dict[str, Native] = {}
    todo = [i for i in issues if not i.is_pull_request]
    while todo:
        issue = todo.pop(0)
        sig = signature(issue)
        if issue.key in out or (records.get(issue.key) or {}).get("relations_sig") == sig:
            continue
        blocked = tuple(i.key for i in gh.list_blocked_by(issue.repo, issue.number)) if issue.blocked_by_total else ()
        steps = tuple(s for s in gh.list_sub_issues(issue.repo, issue.number) if not s.is_pull_request) \
            if issue.sub_issues_total else ()
        out[issue.key] = Native(blocked, steps, sig)
        todo.extend(steps)
    return out


def combine(rec: dict[str, Any]) -> None:
    """rec["dependencies"] = form + native + order edges, with each edge's source and the warnings."""
    form = list(rec.get("form_dependencies") or ())
    native = list(rec.get("native_blocked_by") or ())
    order = list(rec.get("order_dependencies") or ())
    refused: Mapping[str, str] = rec.get("mirror_refused") or {}
    deps = list(dict.fromkeys([*form, *native, *order]))
    sources = {d: "both" if d in form and d in native else "form" if d in form else
               "native" if d in native else "order" for d in deps}
    warnings = []
    for d in deps:
        if sources[d] == "form":
            why = f" (could not add it: {refused[d]})" if d in refused else ""
            warnings.append(f"{d}: listed in the form's Dependencies but not a blocked-by relation on GitHub{why}")
        elif sources[d] == "native":
            warnings.append(f"{d}: GitHub says this task is blocked by it; the form's Dependencies does not list it")
    rec["dependencies"] = deps
    rec["dependency_sources"] = sources
    rec["dependency_warnings"] = warnings


def from_issue(issue: Issue, old: Mapping[str, Any] | None, known_agents: Sequence[str],
               native: Native | None) -> dict[str, Any]:
    """The task record for an issue (records.task_from_issue) with its native relations merged in."""
    rec = task_from_issue(issue, old, known_agents)
    rec["form_dependencies"] = list(rec.get("dependencies") or ())  # task_from_issue reads them from the form
    rec["issue_id"] = issue.id
    rec["parent"] = issue.parent
    if native is not None:
        rec["native_blocked_by"] = list(native.blocked_by)
        rec["sub_issues"] = [s.key for s in native.steps]
        rec["relations_sig"] = native.sig
    combine(rec)
    return rec


def put_steps(d: Any, native: Mapping[str, Native], known_agents: Sequence[str]) -> set[str]:
    """Each sub-issue read this pass as its own task record (closed ones as done), under its
    epic; returns the epics whose steps were written (their order is settled next)."""
    epics: set[str] = set()
    for epic_key, rel in native.items():
        for step in rel.steps:
            old = d.get(step.key)
            rec = from_issue(step, old, known_agents, native.get(step.key))
            rec["epic"] = epic_key
            if step.state == "closed":
                rec["status"] = "done" if old is None or old.get("status") != "needs-human" else "needs-human"
                rec["claim"] = None
            d.put(step.key, rec)
        if rel.steps:
            epics.add(epic_key)
    # A step whose own relations changed may change its epic's order mode.
    epics.update(str(rec["epic"]) for key in native if (rec := d.get(key)) is not None and rec.get("epic"))
    return epics


def is_live_step(d: Any, key: str, rec: Mapping[str, Any]) -> bool:
    """Whether `key` is a step of an epic that is still open (a task whatever its labels)."""
    epic = d.get(str(rec["epic"])) if rec.get("epic") else None
    return epic is not None and epic.get("state") == "open" and key in (epic.get("sub_issues") or ())


def order_steps(d: Any, epics: Iterable[str]) -> None:
    """Give the steps of `epics` their implicit order edges.

    Steps run in sub-issue order (each after the one before) unless a step depends on a sibling
    through its form or GitHub, in which case the steps' own dependencies decide."""
    for key in sorted(epics):
        rec = d.get(key)
        steps = list((rec or {}).get("sub_issues") or ())
        if rec is None or not steps:
            continue
        siblings = set(steps)
        step_recs = {s: d.get(s) for s in steps}
        explicit = any(dep in siblings for r in step_recs.values() if r is not None
                       for dep in [*(r.get("form_dependencies") or ()), *(r.get("native_blocked_by") or ())])
        for i, step in enumerate(steps):
            srec = step_recs[step]
            if srec is None:
                continue
            want = [] if explicit or i == 0 else [steps[i - 1]]
            if list(srec.get("order_dependencies") or ()) != want or srec.get("epic") != key:
                srec["order_dependencies"] = want
                srec["epic"] = key
                combine(srec)
                d.put(step, srec)


def epic_progress(tasks: Mapping[str, Mapping[str, Any]], records: Mapping[str, Mapping[str, Any]],
                  epic: Mapping[str, Any]) -> tuple[int, int]:
    """(closed steps, steps) of an epic, from the queue's records."""
    steps = list(epic.get("sub_issues") or ())
    done = sum(1 for s in steps if (tasks.get(s) or records.get(s) or {}).get("state") == "closed")
    return done, len(steps)


# -- writes (only when the pass may write to GitHub) ---------------------------------------------
def mirror_dependencies(ctx: Context, tasks: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Add the blocked-by relations GitHub lacks for trusted tasks' form dependencies."""
    records = ctx.store.records(docs.TASK_QUEUE)
    changed: dict[str, list[str]] = {}
    for key in sorted(tasks):
        t = tasks[key]
        if not t.get("trusted") or t.get("problems"):
            continue
        refused = dict(t.get("mirror_refused") or {})
        native = list(t.get("native_blocked_by") or ())
        todo = [d for d in t.get("form_dependencies") or () if d not in native and d not in refused]
        for dep in todo:
            outcome = _mirror_one(ctx, t, dep, records)
            if outcome is None:
                native.append(dep)
                changed.setdefault(key, []).append(f"blocked-by {dep}")
            else:
                refused[dep] = outcome
        if todo:
            t["native_blocked_by"] = native
            t["mirror_refused"] = refused
            combine(t)
            ctx.store.put(docs.TASK_QUEUE, key, t)
    return changed


def _mirror_one(ctx: Context, t: Mapping[str, Any], dep: str, records: Mapping[str, Mapping[str, Any]]) -> str | None:
    """None when GitHub now has the relation; else why it could not be added."""
    repo, number = t["repo"], t["number"]
    blocker_id = int((records.get(dep) or {}).get("issue_id") or 0)
    if not blocker_id and dep in ctx.trust.missing:  # the readiness check already found it missing this run
        return "no such issue (or not visible to this token)"
    try:
        if not blocker_id:
            blocker_id = ctx.github.get_issue(*split_key(dep)).id
        added = ctx.github.add_blocked_by(repo, number, blocker_id)
    except NotFound:
        ctx.trust.missing.add(dep)
        return "no such issue (or not visible to this token)"
    except AgentOpsError as exc:
        return str(exc).splitlines()[0][:200]
    log_action(ctx, agent=None, repo=repo, issue=number, action="dependency-mirrored",
               result="ok" if added else "already-there", details={"blocked_by": dep})
    return None


def close_finished_epics(ctx: Context, tasks: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Close each open epic whose steps are all closed, with one summary comment (by marker)."""
    records = ctx.store.records(docs.TASK_QUEUE)
    changed: dict[str, list[str]] = {}
    for key in sorted(tasks):
        epic = tasks[key]
        done, total = epic_progress(tasks, records, epic)
        if not total or done < total or epic.get("state") != "open" or not epic.get("trusted"):
            continue
        repo, number = epic["repo"], epic["number"]
        marker = make_marker(EPIC_SUMMARY_KIND, issue=number)
        if not any(ctx.trust.marker(c.body, c.author, EPIC_SUMMARY_KIND) for c in read_comments(ctx, repo, number)):
            lines = [f"All {total} steps of this epic are closed:", ""]
            for s in epic.get("sub_issues") or ():
                step = records.get(s) or {}
                srepo, snum = split_key(s)
                ref = f"#{snum}" if srepo.lower() == repo.lower() else s
                lines.append(f"- {ref} {step.get('title', '')}".rstrip())
            ctx.github.create_comment(repo, number, f"{marker}\n" + "\n".join(lines), marker=marker)
        ctx.github.update_issue(repo, number, state="closed", state_reason="completed")
        epic.update({"state": "closed", "status": "done", "hold_reason": None, "claim": None})
        ctx.store.put(docs.TASK_QUEUE, key, epic)
        log_action(ctx, agent=None, repo=repo, issue=number, action="epic-closed", result="ok",
                   details={"steps": list(epic.get("sub_issues") or ())})
        changed[key] = ["epic-closed"]
    return changed
