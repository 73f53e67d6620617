"""What happens to a task after its run: merged (done, issue closed once), closed without merge
(a failed attempt, or needs-human after claims.max_attempts), retried by a maintainer."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentops.context import Context
from agentops.domain.claims import NEEDS_HUMAN_LABEL, iso
from agentops.domain.closing import neutralise
from agentops.domain.markers import make_marker
from agentops.errors import NotFound
from agentops.github.models import PullRequest
from agentops.state import docs

from .actions import log_action

AGENT_BRANCH_RE = re.compile(r"^agentops/(\d+)(?:-|$)")


def task_number(head_ref: object) -> int | None:
    """The issue an agent branch `agentops/<issue>-<slug>` works on; None for any other branch
    (people's PRs are not agentops's to manage)."""
    m = AGENT_BRANCH_RE.match(head_ref) if isinstance(head_ref, str) else None
    return int(m.group(1)) if m else None


def task_of_pull(pr: PullRequest) -> int | None:
    return task_number(pr.head_ref)


def is_agent_branch(ref: str | None) -> bool:
    return bool(AGENT_BRANCH_RE.match(ref or ""))


def complete(ctx: Context, repo: str, number: int, *, pr: int | None = None, issue_closed: bool = False) -> bool:
    """The task is done: its issue closed (once: only when still open; GitHub already closed it
    when the PR said `Closes #N`) and the record final. True when this call changed something."""
    key = f"{repo}#{number}"
    rec = ctx.store.get(docs.TASK_QUEUE, key) or {}
    if rec.get("state") == "closed" and rec.get("completed"):
        return False
    closed_here = False
    if not issue_closed:
        try:
            issue = ctx.github.get_issue(repo, number)
        except NotFound:
            return False
        issue_closed = issue.state == "closed"
    if not issue_closed:
        ctx.github.update_issue(repo, number, state="closed", state_reason="completed")
        closed_here = True

    def upd(d: Any) -> None:
        cur = d.get(key) or {"repo": repo, "number": number, "kind": "task"}
        cur.update({"state": "closed", "status": "done", "completed": True, "claim": None,
                    "completed_at": iso(ctx.clock())})
        if pr is not None:
            cur["merged_pr"] = pr
        d.put(key, cur)
    ctx.store.update(docs.TASK_QUEUE, upd)
    log_action(ctx, agent=rec.get("agent"), repo=repo, issue=number, action="task-closed", result="ok",
               details={"pr": pr, "closed_by": "agentops" if closed_here else "github"})
    return True


def pull_closed_unmerged(ctx: Context, repo: str, number: int, pr: int) -> str | None:
    """The agent's PR was closed without merging: that attempt failed. The task goes back to the
    queue, or to needs-human once claims.max_attempts attempts failed. Counted once per PR.
    Returns the task's new status (None when nothing changed)."""
    key = f"{repo}#{number}"
    max_attempts = ctx.config.claims.max_attempts

    def upd(d: Any) -> str | None:
        rec: dict[str, Any] | None = d.get(key)
        if rec is None or rec.get("state") != "open" or pr in (rec.get("rejected_prs") or []):
            return None
        rec["rejected_prs"] = sorted({*(rec.get("rejected_prs") or []), pr})
        rec["attempts"] = int(rec.get("attempts") or 0) + 1
        rec["completed"] = False
        rec["last_failure_at"] = iso(ctx.clock())
        if rec.get("dispatch"):
            rec["dispatch"] = {**rec["dispatch"], "finished": True}
        rec["status"] = "needs-human" if rec["attempts"] >= max_attempts else "ready"
        if rec["attempts"] >= max_attempts:
            rec["exhausted"] = True
        d.put(key, rec)
        return str(rec["status"])

    status: str | None = ctx.store.update(docs.TASK_QUEUE, upd)
    if status is not None:
        log_action(ctx, agent=None, repo=repo, issue=number, action="pr-rejected", result="ok",
                   details={"pr": pr, "status": status})
    return status


def retry(ctx: Context, repo: str, number: int) -> bool:
    """A maintainer asked for another go: attempts, backoff and needs-human cleared."""
    key = f"{repo}#{number}"

    def upd(d: Any) -> bool:
        rec: dict[str, Any] | None = d.get(key)
        if rec is None:
            return False
        rec.update({"attempts": 0, "exhausted": False, "retry_at": None, "completed": False,
                    "needs_human_labelled": False})
        if rec.get("dispatch"):
            rec["dispatch"] = {**rec["dispatch"], "finished": True}
        rec["labels"] = sorted(set(rec.get("labels") or []) - {NEEDS_HUMAN_LABEL})
        d.put(key, rec)
        return True

    changed: bool = ctx.store.update(docs.TASK_QUEUE, upd)
    if changed:
        ctx.github.remove_label(repo, number, NEEDS_HUMAN_LABEL)
        log_action(ctx, agent=None, repo=repo, issue=number, action="retry", result="ok")
    return changed


REPORT_KIND = "report"


@dataclass(frozen=True)
class RunResult:
    """What a code run reported (its `agentops code --json` document), as far as the claim cares."""
    status: str
    agent: str | None = None
    pr: int | None = None
    reason: str | None = None
    summary: str | None = None


def read_run_result(path: str) -> RunResult:
    """A missing or unreadable result means the run died before reporting: a failed attempt."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return RunResult("failed", reason=f"the run left no readable result ({type(exc).__name__})")
    if not isinstance(data, dict) or not isinstance(data.get("status"), str):
        return RunResult("failed", reason="the run's result names no status")

    def text(key: str) -> str | None:
        v = data.get(key)
        return v if isinstance(v, str) else None
    pr = data.get("pr")
    return RunResult(data["status"], text("agent"), pr if isinstance(pr, int) and not isinstance(pr, bool) else None,
                     text("reason"), text("summary"))
MAX_SUMMARY = 4000


def finish_run(ctx: Context, repo: str, issue: int, agent: str | None, status: str, *, pr: int | None = None,
               reason: str | None = None, summary: str | None = None) -> str:
    """End a code run's claim by what the run did; returns the release reason.

    pr-opened / pr-updated: completed (the PR's merge completes the task). No change: for an
    investigation (form Kind) the agent's report is the result: posted on the issue, which closes;
    for code it is a failed attempt, with the agent's summary in the release comment, never a
    completion. skipped: abandoned (no attempt spent). needs-human: failed and not retried.
    """
    from .release import release_claim

    rec = ctx.store.get(docs.TASK_QUEUE, f"{repo}#{issue}") or {}
    said = neutralise((summary or "").strip()[:MAX_SUMMARY])  # the agent's words: no marker, nothing closed
    if status in ("pr-opened", "pr-updated"):
        release_claim(ctx, repo, issue, "completed", detail=f"Pull request #{pr}." if pr else "")
        outcome, why = "completed", status
    elif status == "no-change" and rec.get("task_kind") == "investigation":
        marker = make_marker(REPORT_KIND, issue=issue)
        ctx.github.create_comment(repo, issue, f"{marker}\n## Investigation report\n\n{said or '(the agent gave no report)'}",
                                  marker=marker)
        release_claim(ctx, repo, issue, "completed", detail="The report is above.")
        complete(ctx, repo, issue)
        outcome, why = "completed", "investigation-report"
    elif status == "skipped":
        release_claim(ctx, repo, issue, "abandoned", detail=reason or "")
        return "abandoned"
    else:
        detail = reason or status
        if status == "no-change":
            detail = "The agent made no change, so this attempt failed." + \
                (f" Its summary:\n\n{_quote(said)}" if said else "")
        release_claim(ctx, repo, issue, "failed", detail=detail)
        if status == "needs-human":
            _mark_exhausted(ctx, f"{repo}#{issue}")
        outcome, why = "failed", status
    log_action(ctx, agent=agent, repo=repo, issue=issue,
               action="task-completed" if outcome == "completed" else "task-failed",
               result="ok" if outcome == "completed" else "fail", details={"status": why, "pr": pr, "reason": reason})
    return outcome


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines())


def _mark_exhausted(ctx: Context, key: str) -> None:
    """The engine gave up (bounded fix loops): no retry; `tick` labels it needs-human."""
    def upd(d: Any) -> None:
        rec = d.get(key)
        if rec is not None:
            rec["exhausted"] = True
            d.put(key, rec)
    ctx.store.update(docs.TASK_QUEUE, upd)
