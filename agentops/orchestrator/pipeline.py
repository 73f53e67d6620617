"""Which agent holds each stage of one task's pipeline: the task's own choice from its form, else
agentops.yaml's `pipeline`, else the author (review: no agent).

Only trusted text counts. The form's choice is copied to `trusted_pipeline` when readiness judges
the body trusted (an author with write access, or a maintainer's approval of exactly this text);
a later edit that is not trusted again leaves the copy as it was, so nobody steers the rounds of
an approved task by editing its body. A name that has since left agentops.yaml is not used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentops.context import Context

STAGES = ("review", "ci_fix", "conflicts")


def trusted_choice(rec: Mapping[str, Any], stage: str) -> str | None:
    chosen = (rec.get("trusted_pipeline") or {}).get(stage)
    return chosen if isinstance(chosen, str) and chosen else None


def stage_agent(ctx: Context, rec: Mapping[str, Any], stage: str, author: str) -> str | None:
    """The agent for `stage` (review | ci_fix | conflicts) of the task `rec` that `author` wrote."""
    chosen = trusted_choice(rec, stage)
    if chosen is not None and ctx.config.agent(chosen) is not None:
        return chosen
    return ctx.config.pipeline.agent_for(stage, author)


def has_review_agent(ctx: Context, rec: Mapping[str, Any]) -> bool:
    return bool(ctx.config.pipeline.review) or trusted_choice(rec, "review") is not None


def form_reviewer_of_pr(ctx: Context, repo: str, pr: int) -> str | None:
    """The review agent the trusted form of the task behind PR `pr` chose, from the local state
    only (the task's progress record names its PR): `review PR` without --agent honours it."""
    from agentops.state import docs

    for key, rec in ctx.store.records(docs.progress(repo)).items():
        if key.isdigit() and rec.get("pr") == pr:
            task = ctx.store.get(docs.TASK_QUEUE, f"{repo}#{key}") or {}
            chosen = trusted_choice(task, "review")
            if chosen is not None and ctx.config.agent(chosen) is not None:
                return chosen
    return None
