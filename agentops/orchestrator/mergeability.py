"""Whether a pull request merges cleanly, as GitHub says once it has worked it out.

GitHub computes `mergeable` in a background job that the first read after the base or the head
moved starts; until it is done the answer is null ("After giving the job time to complete,
resubmit the request", REST docs for "Get a pull request"). Null is not "no conflicts": a caller
that must know re-reads a bounded number of times, then treats the answer as unknown (a
conflict round refuses to run, retryable; the router names the PR instead of skipping it as
clean). The waits come from the context's sleep, so tests never sleep.
"""

from __future__ import annotations

from agentops.context import Context
from agentops.github.models import PullRequest

# 4 reads, 1 + 2 + 4 = 7 seconds of waiting at most: GitHub's job usually takes about a second.
MERGEABLE_READS = 4
FIRST_WAIT_S = 1.0


def settled_pull(ctx: Context, repo: str, number: int, *, reads: int = MERGEABLE_READS) -> PullRequest:
    """The pull request, re-read (waiting 1, 2, 4 ... seconds) while it is open and GitHub has
    not worked out `mergeable` yet. Its `mergeable` may still be None after `reads` reads."""
    pr = ctx.github.get_pull(repo, number)
    wait = FIRST_WAIT_S
    for _ in range(max(0, reads - 1)):
        if pr.mergeable is not None or pr.state != "open" or pr.merged:
            return pr
        ctx.sleep(wait)
        wait *= 2
        pr = ctx.github.get_pull(repo, number)
    return pr


def unknown_message(pr: PullRequest, reads: int = MERGEABLE_READS) -> str:
    return (f"GitHub has not worked out whether pull request #{pr.number} ({pr.head_ref} into {pr.base_ref}) "
            f"merges cleanly: `mergeable` was still null after {reads} reads")
