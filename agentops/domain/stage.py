"""Where a task stands in its pipeline, in the words a team uses: queued, authoring, in review,
fixing CI, resolving conflicts, awaiting merge, merged, needs-human, done. Pure: derived from the
task record and its PR record (`pr-N` in the repository's progress document), so `status`,
`report` and the epic view all say the same thing.

A PR record carries what the pipeline did: `rounds_log` (remediation rounds, each `finished`
once its agent run ended), `reviews` (the review agent's verdicts, each for a head sha),
`round_ends` (per kind, when the last round of that kind ended), `head_sha`, `merged`, `mergeable`,
`needs_human` (its rounds ran out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentops.domain.timeutil import parse_time

STAGES = ("queued", "blocked", "authoring", "in review", "fixing CI", "resolving conflicts", "awaiting merge",
          "merged", "done", "needs-human")
_ROUND_STAGE = {"ci": "fixing CI", "conflict": "resolving conflicts", "review": "authoring"}


def stage_of(task: Mapping[str, Any], pr: Mapping[str, Any] | None, *, review_agent: bool) -> str:
    status = str(task.get("status") or "")
    if status == "needs-human" or "needs-human" in (task.get("labels") or ()):
        return "needs-human"
    merged_pr = task.get("merged_pr")
    if (pr is not None and pr.get("merged")) or (isinstance(merged_pr, int) and not isinstance(merged_pr, bool)):
        return "merged"
    if pr is not None and pr.get("number") and pr.get("needs_human"):
        return "needs-human"  # the router handed the PR to a person once its rounds ran out
    if status == "closed" or task.get("state") == "closed":
        return "done"
    # A task whose code run opened its PR is `completed` (status done) while the PR is reviewed,
    # fixed and merged: the PR says where it stands. Back in the queue (its PR closed unmerged), it
    # is queued again, whatever the old PR was.
    requeued = not task.get("completed") and status in ("ready", "blocked", "backoff", "untrusted", "invalid")
    if pr is None or not pr.get("number") or requeued:
        if task.get("completed") or status in ("done", "completed"):
            return "done"  # finished without a PR (an investigation's report)
        if status in ("claimed", "dispatched"):  # dispatched: the author's run was asked for
            return "authoring"
        return "blocked" if status == "blocked" else "queued"
    running = running_rounds(pr)
    if running:
        return _ROUND_STAGE.get(str(running[-1].get("kind")), "authoring")
    if pr.get("mergeable") is False:
        return "resolving conflicts"
    verdict = latest_verdict(pr)
    if review_agent and verdict is None:
        return "in review"
    if verdict is not None and verdict.get("verdict") == "request_changes":
        return "authoring"
    return "awaiting merge"


def running_rounds(pr: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Logged rounds not finished: no `finished` flag, and dispatched after the last round of
    their kind ended (`round_ends`, written by the round's own run)."""
    raw = pr.get("round_ends")
    ends: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    out = []
    for r in pr.get("rounds_log") or ():
        if not isinstance(r, Mapping) or r.get("finished"):
            continue
        at, ended = parse_time(r.get("at")), parse_time(ends.get(str(r.get("kind"))))
        if at is not None and ended is not None and ended >= at:
            continue
        out.append(r)
    return out


def latest_verdict(pr: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The review agent's verdict on the PR's current head (an older head's verdict is stale)."""
    head = pr.get("head_sha")
    found = [v for v in pr.get("reviews") or () if isinstance(v, Mapping) and (head is None or v.get("sha") == head)]
    return found[-1] if found else None
