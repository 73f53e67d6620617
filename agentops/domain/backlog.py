"""Each task's place in its pipeline as `play`, `status`, `report` and `plan` show it: the stage
(domain.stage), the agent on it, its pull request and the remediation rounds that PR used.

Pure: computed from the task record (task queue) and the repository's progress records (the
task's own record, keyed by its issue number, names its PR; `pr-N` holds what the pipeline did
on PR N), so every view says the same thing about a task.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agentops.domain.stage import stage_of

# The review agent's pass over a head is dispatched like a round but never counted as one
# (events.router.REVIEW_MODE; the domain cannot import the router).
_REVIEW_MODE = "review"


@dataclass(frozen=True)
class TaskProgress:
    key: str
    number: int | None
    title: str
    status: str
    stage: str
    agent: str | None
    pr: int | None
    rounds: int  # remediation rounds used on the PR (review, CI, conflicts)
    max_rounds: int

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "number": self.number, "title": self.title, "status": self.status,
                "stage": self.stage, "agent": self.agent, "pr": self.pr, "rounds": self.rounds,
                "max_rounds": self.max_rounds}


def pr_number(task: Mapping[str, Any], progress: Mapping[str, Mapping[str, Any]]) -> int | None:
    """The task's pull request: the merged one, else the one its code run opened, else the one
    its latest remediation round worked on."""
    merged = task.get("merged_pr")
    if isinstance(merged, int) and _is_number(merged):
        return merged
    own = progress.get(str(task.get("number"))) if task.get("number") is not None else None
    if isinstance(own, Mapping) and _is_number(own.get("pr")):
        return int(own["pr"])
    rounds = [r for r in (task.get("rounds") or {}).values() if isinstance(r, Mapping) and _is_number(r.get("pr"))]
    return int(rounds[-1]["pr"]) if rounds else None


def pr_record(pr: int | None, progress: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """The view stage_of reads: the `pr-N` record with its number (an opened PR with no pipeline
    record yet is still a PR)."""
    if pr is None:
        return None
    rec = progress.get(f"pr-{pr}")
    return {**(rec if isinstance(rec, Mapping) else {}), "number": pr}


def rounds_used(task: Mapping[str, Any], pr: int | None) -> int:
    """Remediation rounds dispatched on the PR (the bound `code.max_rounds` counts these)."""
    if pr is None:
        return 0
    return sum(1 for r in (task.get("rounds") or {}).values()
               if isinstance(r, Mapping) and r.get("pr") == pr and r.get("mode") != _REVIEW_MODE)


def agent_of(task: Mapping[str, Any]) -> str | None:
    """Who is on the task: the claim's agent, else the pending dispatched run's, else the assigned one."""
    claim, sent = task.get("claim"), task.get("dispatch")
    if isinstance(claim, Mapping) and claim.get("agent"):
        return str(claim["agent"])
    if isinstance(sent, Mapping) and sent.get("agent") and not sent.get("finished"):
        return str(sent["agent"])
    agent = task.get("claimed_by") or task.get("agent")
    return str(agent) if agent and agent != "any" else None


def task_progress(key: str, task: Mapping[str, Any], progress: Mapping[str, Mapping[str, Any]], *,
                  review_agent: bool, max_rounds: int) -> TaskProgress:
    pr = pr_number(task, progress)
    number = task.get("number")
    if not _is_number(number):
        tail = key.rpartition("#")[2]
        number = int(tail) if tail.isdigit() else None
    return TaskProgress(key=key, number=number, title=str(task.get("title") or ""),
                        status=str(task.get("status") or "unknown"),
                        stage=stage_of(task, pr_record(pr, progress), review_agent=review_agent),
                        agent=agent_of(task), pr=pr, rounds=rounds_used(task, pr), max_rounds=max_rounds)


def stage_counts(rows: Iterable[TaskProgress]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r.stage] = out.get(r.stage, 0) + 1
    return out


def _is_number(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
