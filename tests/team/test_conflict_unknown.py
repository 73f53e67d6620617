"""After a merge the router looks for agent PRs that stopped merging. GitHub answers
`mergeable: null` while it works that out: the router re-reads (bounded), and a PR still unknown
is named as unknown, never passed over as clean."""

from __future__ import annotations

import dataclasses

from tests.events.conftest import REPO, WORKFLOW, Hub
from tests.events.test_router import agent_pr, remediation_dispatches


def _conflicting_prs(hub: Hub) -> tuple[int, int]:
    a, b = hub.task("A"), hub.task("B")
    pa, pb = agent_pr(hub, a), agent_pr(hub, b)
    bare = hub.state.repo(REPO).bare
    # Both change README.md differently: once #pa lands, #pb conflicts.
    for n, text in ((a, "# app A\n"), (b, "# app B\n")):  # commit_files writes the whole tree
        bare.commit_files(f"agentops/{n}-task", {"README.md": text, f".github/workflows/{WORKFLOW}": "on: {}\n",
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
