"""`agentops claim [ISSUE] --agent NAME`: take one task with the comment-lease protocol
(agentops.orchestrator.claims). A lost race on a named ISSUE exits 4; without one the best
ready task this agent can take is tried, then the next."""

from __future__ import annotations

from dataclasses import dataclass

from agentops.context import Context
from agentops.orchestrator.claims import ClaimResult, claim_task
from agentops.state import docs

__all__ = ["ClaimOptions", "ClaimResult", "run"]


@dataclass(frozen=True)
class ClaimOptions:
    agent: str
    issue: int | None = None
    repo: str | None = None
    sync: bool = True


def run(options: ClaimOptions, ctx: Context) -> ClaimResult:
    repo = ctx.repo() if options.repo is None else options.repo
    with ctx.store.batch(docs.TASK_QUEUE):  # one write of the queue per claim
        return claim_task(ctx, options.agent, repo=repo, issue=options.issue, sync=options.sync)
