"""A round dispatched whose run never started (or was lost) does not hold the PR's stage for ever:
the scheduled tick marks it stale once the dispatch's lease plus the agent's timeout has passed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from agentops.domain.stage import running_rounds
from agentops.state import docs
from tests.events.conftest import MAINTAINER, REPO, Hub
from tests.events.test_router import agent_pr, remediation_dispatches

TICK = {"schedule": "7,23,37,53 * * * *", "repository": {"full_name": REPO}}


def _pr_record(hub: Hub, pr: int) -> dict[str, Any]:
    return hub.ctx().store.get(docs.progress(REPO), f"pr-{pr}") or {}


def test_a_round_whose_run_never_ended_expires_at_the_tick(hub: Hub) -> None:
    n = hub.task("Reviewed", agent="a1")
    hub.deliver("issues", hub.issue_payload("opened", n))
    pr = agent_pr(hub, n)
    review = hub.pr_payload("pull_request_review.submitted", pr, **{
        "review.state": "changes_requested", "review.user.login": MAINTAINER, "sender.login": MAINTAINER})
    hub.deliver("pull_request_review", review)
    assert [r["kind"] for r in running_rounds(_pr_record(hub, pr))] == ["review"]
    start = hub.ctx().clock()
    cfg = hub.cfg
    timeout = next(a.timeout_s for a in cfg.agents if a.name == "a1")
    lease = dt.timedelta(minutes=cfg.claims.lease_minutes)

    def at(delta: dt.timedelta) -> Any:
        return dataclasses.replace(hub.ctx(), clock=lambda: start + delta)

    # Within the lease plus the agent's timeout the run may still be queued or working: left alone.
    hub.deliver("schedule", TICK, at(lease + dt.timedelta(seconds=timeout - 60)))
    assert running_rounds(_pr_record(hub, pr))
    hub.deliver("schedule", TICK, at(lease + dt.timedelta(seconds=timeout + 60)))
    rec = _pr_record(hub, pr)
    assert running_rounds(rec) == [] and [e.get("stale") is not None for e in rec["rounds_log"]] == [True]
    # Still one round for that trigger (it was dispatched, and counts): a replay starts none.
    hub.deliver("pull_request_review", review, at(lease + dt.timedelta(seconds=timeout + 120)))
    assert len(remediation_dispatches(hub, "address-review")) == 1
