"""After a merge the router looks for agent PRs that stopped merging. GitHub answers
`mergeable: null` while it works that out: the router re-reads (bounded), and a PR still unknown
is named as unknown, never passed over as clean."""

from __future__ import annotations

import dataclasses

from agentops.orchestrator.pr_record import unknown_mergeability
from tests.events.conftest import REPO, WORKFLOW, Hub
from tests.events.test_router import agent_pr, remediation_dispatches
from tests.fixtures.workflows import CODE_WORKFLOW


def _conflicting_prs(hub: Hub) -> tuple[int, int]:
    a, b = hub.task("A"), hub.task("B")
    pa, pb = agent_pr(hub, a), agent_pr(hub, b)
    bare = hub.state.repo(REPO).bare
    # Both change README.md differently: once #pa lands, #pb conflicts.
    for n, text in ((a, "# app A\n"), (b, "# app B\n")):  # commit_files writes the whole tree
        bare.commit_files(f"agentops/{n}-task", {"README.md": text, f".github/workflows/{WORKFLOW}": CODE_WORKFLOW,
                                                 f"t{n}.txt": "x\n"}, "readme")
    return pa, pb


def test_conflict_known_after_a_few_reads_gets_one_round(hub: Hub) -> None:
    pa, pb = _conflicting_prs(hub)
    hub.gh.merge_pull(REPO, pa)
    hub.state.set_mergeable_lag(REPO, 2)
    waits: list[float] = []
    ctx = dataclasses.replace(hub.ctx(), sleep=waits.append)
    r = hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pa), ctx)
    assert [d.pr for d in r.dispatched if d.mode == "resolve-conflicts"] == [pb], r.message
    assert waits and len(remediation_dispatches(hub, "resolve-conflicts")) == 1


def test_mergeable_still_null_is_reported_unknown_not_clean(hub: Hub) -> None:
    pa, pb = _conflicting_prs(hub)
    hub.gh.merge_pull(REPO, pa)
    hub.state.set_mergeable_lag(REPO, 100)
    ctx = dataclasses.replace(hub.ctx(), sleep=lambda s: None)
    r = hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pa), ctx)
    assert not remediation_dispatches(hub, "resolve-conflicts")
    assert f"pull request #{pb}" in r.message and "still null" in r.message, r.message


TICK = {"schedule": "7,23,37,53 * * * *", "repository": {"full_name": REPO}}


def test_tick_looks_again_at_a_pr_still_unknown_and_starts_one_round(hub: Hub) -> None:
    """No push or merge may come for days after GitHub answered null: the scheduled tick re-reads
    the PRs recorded unknown, and a replayed tick starts no second round for the same head/base."""
    pa, pb = _conflicting_prs(hub)
    hub.gh.merge_pull(REPO, pa)
    hub.state.set_mergeable_lag(REPO, 100)
    ctx = dataclasses.replace(hub.ctx(), sleep=lambda s: None)
    hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pa), ctx)
    assert not remediation_dispatches(hub, "resolve-conflicts")
    still = hub.deliver("schedule", TICK, ctx)  # GitHub is still busy: still unknown, nothing dispatched
    assert not remediation_dispatches(hub, "resolve-conflicts") and "still null" in still.message, still.message
    hub.state.set_mergeable_lag(REPO, 0)  # GitHub has worked it out by the next tick
    r = hub.deliver("schedule", TICK, ctx)
    assert [d.pr for d in r.dispatched if d.mode == "resolve-conflicts"] == [pb], r.message
    for again in (ctx, dataclasses.replace(hub.ctx("other"), sleep=lambda s: None)):  # replayed, and a second router
        assert not [d for d in hub.deliver("schedule", TICK, again).dispatched if d.mode == "resolve-conflicts"]
    [d] = remediation_dispatches(hub, "resolve-conflicts")
    assert d["inputs"]["pr"] == str(pb)


def test_tick_forgets_a_pr_once_github_answers(hub: Hub) -> None:
    pa, pb = _conflicting_prs(hub)
    hub.gh.merge_pull(REPO, pa)
    hub.state.set_mergeable_lag(REPO, 100)
    ctx = dataclasses.replace(hub.ctx(), sleep=lambda s: None)
    hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pa), ctx)
    assert unknown_mergeability(ctx, REPO) == [pb]
    hub.gh.update_pull(REPO, pb, state="closed")
    hub.deliver("schedule", TICK, ctx)
    assert unknown_mergeability(ctx, REPO) == [] and not remediation_dispatches(hub, "resolve-conflicts")
