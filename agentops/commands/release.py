"""`agentops release ISSUE [--reason]`: end a claim (agentops.orchestrator.release): a release
comment naming the claim, `agentops:claimed` off, and the outcome recorded."""

from __future__ import annotations

from dataclasses import dataclass

from agentops.context import Context
from agentops.orchestrator.lifecycle import finish_run, read_run_result
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
    result: str | None = None  # `agentops code --json` output of the run that held the claim


def run(options: ReleaseOptions, ctx: Context) -> ReleaseResult:
    repo = ctx.repo() if options.repo is None else options.repo
    if options.result is not None:
        # The run's outcome decides: completed, a failed attempt (no change included), abandoned...
        run_result = read_run_result(options.result)
        reason = finish_run(ctx, repo, options.issue, run_result.agent, run_result.status, pr=run_result.pr,
                            reason=run_result.reason, summary=run_result.summary)
        return ReleaseResult(repo, options.issue, True, reason, run_result.agent)
    with ctx.store.batch(docs.TASK_QUEUE):
        return release_claim(ctx, repo, options.issue, options.reason, detail=options.detail,
                             any_worker=options.any_worker or options.reason == "manual")
