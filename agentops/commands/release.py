"""`agentops release ISSUE [--reason]`: end a claim (agentops.orchestrator.release): a release
comment naming the claim, `agentops:claimed` off, and the outcome recorded."""

from __future__ import annotations

from dataclasses import dataclass

from agentops.context import Context
from agentops.orchestrator.release import ReleaseResult, release_claim
from agentops.state import docs

__all__ = ["ReleaseOptions", "ReleaseResult", "run"]


@dataclass(frozen=True)
class ReleaseOptions:
    issue: int
    reason: str = "manual"
    repo: str | None = None
    detail: str = ""
    any_worker: bool = False  # release whoever holds it (a person cleaning up), not only this worker


def run(options: ReleaseOptions, ctx: Context) -> ReleaseResult:
    repo = ctx.repo() if options.repo is None else options.repo
    with ctx.store.batch(docs.TASK_QUEUE):
        return release_claim(ctx, repo, options.issue, options.reason, detail=options.detail,
                             any_worker=options.any_worker or options.reason == "manual")
