"""Where a task stands in its pipeline, in the words a team uses: queued, authoring, in review,
fixing CI, resolving conflicts, awaiting merge, merged, needs-human, done. Pure: derived from the
task record and its PR record (`pr-N` in the repository's progress document), so `status`,
`report` and the epic view all say the same thing.

A PR record carries what the pipeline did: `rounds_log` (remediation rounds, each `finished`
once its agent run ended), `reviews` (the review agent's verdicts, each for a head sha),
`head_sha`, `merged`, `mergeable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STAGES = ("queued", "blocked", "authoring", "in review", "fixing CI", "resolving conflicts", "awaiting merge",
          "merged", "done", "needs-human")
_ROUND_STAGE = {"ci": "fixing CI", "conflict": "resolving conflicts", "review": "authoring"}


def stage_of(task: Mapping[str, Any], pr: Mapping[str, Any] | None, *, review_agent: bool) -> str:
    status = str(task.get("status") or "")
    if status == "needs-human" or "needs-human" in (task.get("labels") or ()):
        return "needs-human"
    if pr is not None and pr.get("merged"):
        return "merged"
    if task.get("completed") or status in ("done", "completed", "closed") or task.get("state") == "closed":
        return "done"
    if pr is None or not pr.get("number"):
        if status in ("claimed", "dispatched"):  # dispatched: the author's run was asked for
            return "authoring"
        return "blocked" if status == "blocked" else "queued"
    running = [r for r in pr.get("rounds_log") or () if isinstance(r, Mapping) and not r.get("finished")]
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


def latest_verdict(pr: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The review agent's verdict on the PR's current head (an older head's verdict is stale)."""
    head = pr.get("head_sha")
    found = [v for v in pr.get("reviews") or () if isinstance(v, Mapping) and (head is None or v.get("sha") == head)]
    return found[-1] if found else None
