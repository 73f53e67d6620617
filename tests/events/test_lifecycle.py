"""After a run: no change is a failed attempt (never a completion); an investigation closes with
the agent's report; a dispatched run claims exactly its task for exactly its agent."""

from __future__ import annotations

import pytest

from agentops.domain.markers import find_marker
from agentops.errors import LostRace
from agentops.orchestrator.claims import claim_task
from agentops.orchestrator.lifecycle import finish_run
from agentops.state import docs

from .conftest import REPO, Hub, form


def test_no_change_is_a_failed_attempt_with_the_agents_summary(hub: Hub) -> None:
    n = hub.task("Nothing to do?")
    ctx = hub.ctx("worker")
    claim_task(ctx, "a1", repo=REPO, issue=n)
    out = finish_run(ctx, REPO, n, "a1", "no-change", reason="agent made no change",
                     summary="The flag already exists; I changed nothing.")
    assert out == "failed"
    rec = ctx.store.get(docs.TASK_QUEUE, f"{REPO}#{n}")
    assert rec["attempts"] == 1 and not rec.get("completed") and rec["status"] == "backoff"
    assert hub.gh.get_issue(REPO, n).state == "open"
    assert any("> The flag already exists" in c.body and "this attempt failed" in c.body
               for c in hub.gh.list_comments(REPO, n))


def test_investigation_closes_with_the_report(hub: Hub) -> None:
    n = hub.task("Why is CI slow?", body=form(spec="- find out why CI takes 40 minutes") + "\n### Kind\n\ninvestigation\n")
    ctx = hub.ctx("worker")
    claim_task(ctx, "a1", repo=REPO, issue=n)
    assert ctx.store.get(docs.TASK_QUEUE, f"{REPO}#{n}")["task_kind"] == "investigation"
    out = finish_run(ctx, REPO, n, "a1", "no-change", reason="agent made no change",
                     summary="The test job reinstalls every dependency; cache pip.")
    assert out == "completed"
    issue = hub.gh.get_issue(REPO, n)
    assert issue.state == "closed"
    [report] = [c for c in hub.gh.list_comments(REPO, n) if find_marker(c.body, "report")]
    assert "cache pip" in report.body


def test_unknown_kind_holds_the_task(hub: Hub) -> None:
    n = hub.task("Odd", body=form() + "\n### Kind\n\nmeeting\n")
    r = hub.deliver("issues", hub.issue_payload("opened", n))
    assert not r.dispatched
    assert hub.ctx().store.get(docs.TASK_QUEUE, f"{REPO}#{n}")["status"] == "invalid"


def test_dispatched_run_claims_only_for_its_agent(hub: Hub) -> None:
    n = hub.task("Routed")
    router = hub.ctx()
    [d] = hub.deliver("issues", hub.issue_payload("opened", n), ctx=router).dispatched
    other = "a2" if d.agent == "a1" else "a1"
    with pytest.raises(LostRace):
        claim_task(router, other, repo=REPO, issue=n)
    got = claim_task(router, d.agent, repo=REPO, issue=n)
    assert got.claimed is not None and got.claimed.agent == d.agent
    # Claimed: in flight, not dispatched again by the next event.
    assert not hub.deliver("issues", hub.issue_payload("edited", n), ctx=router).dispatched


def test_status_shows_leases_and_heartbeats(hub: Hub) -> None:
    from agentops.commands import status
    from agentops.orchestrator.claims import renew_lease

    n = hub.task("Leased")
    ctx = hub.ctx("worker")
    got = claim_task(ctx, "a1", repo=REPO, issue=n)
    assert got.claimed is not None
    renew_lease(ctx, REPO, n, agent="a1")
    r = status.run(status.StatusOptions(), ctx)
    [t] = [t for t in r.tasks if t["key"] == f"{REPO}#{n}"]
    assert t["status"] == "claimed" and t["agent"] == "a1" and t["lease_expires"] and t["worker"] == "worker"
    [a1] = [a for a in r.agents if a["name"] == "a1"]
    assert a1["active_tasks"] == 1 and a1["heartbeat"]


def test_release_by_the_runs_result_file(hub: Hub) -> None:
    """The publish job releases with the run's JSON: the outcome is decided in Python."""
    import json

    from agentops.commands import release

    ctx = hub.ctx("worker")
    done, nothing, died = hub.task("Done"), hub.task("Nothing"), hub.task("Died")
    for n in (done, nothing, died):
        claim_task(ctx, "a1", repo=REPO, issue=n)
    ok = hub.tmp / "ok.json"
    ok.write_text(json.dumps({"status": "pr-opened", "pr": 77, "agent": "a1"}), encoding="utf-8")
    same = hub.tmp / "same.json"
    same.write_text(json.dumps({"status": "no-change", "agent": "a1", "summary": "nothing needed"}), encoding="utf-8")
    outcomes = {n: release.run(release.ReleaseOptions(n, repo=REPO, result=str(path)), ctx).reason
                for n, path in ((done, ok), (nothing, same), (died, hub.tmp / "missing.json"))}
    assert outcomes == {done: "completed", nothing: "failed", died: "failed"}
    recs = ctx.store.records(docs.TASK_QUEUE)
    assert recs[f"{REPO}#{done}"]["completed"] and recs[f"{REPO}#{nothing}"]["attempts"] == 1
    assert recs[f"{REPO}#{died}"]["attempts"] == 1
