"""The loop runs itself: a DAG of work orders, nobody typing a command. A driver delivers the events
GitHub would send and runs each workflow_dispatch the emulator recorded; people merge, CI fails
on one PR, a reviewer requests changes on another, a third PR is closed without merging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentops.state import docs
from tests.fixtures.dag_driver import (
    CI_FAIL,
    REJECT_ONCE,
    REVIEW,
    DagDriver,
    dag_config,
    setup_repo,
    write_agent,
)

REPO = "octo/loop"


def test_a_dag_runs_to_the_end_driven_by_events_alone(emulator: Any, gh: Any, tmp_path: Path) -> None:
    setup_repo(emulator, REPO)
    cfg = dag_config(write_agent(tmp_path), max_parallel=3, max_rounds=2)
    drv = DagDriver(emulator, gh, tmp_path, repo=REPO, config=cfg)
    # Two chains, a diamond, a parallel pair.
    a = drv.file("chain 1: A", [])
    b = drv.file("chain 1: B", [a], policy=REVIEW)
    c = drv.file("chain 1: C", [b])
    d = drv.file("chain 2: D", [], policy=REJECT_ONCE)
    e = drv.file("chain 2: E", [d])
    f = drv.file("diamond: top", [], policy=CI_FAIL)
    g = drv.file("diamond: left", [f])
    h = drv.file("diamond: right", [f])
    i = drv.file("diamond: bottom", [g, h])
    j = drv.file("parallel: J", [])
    k = drv.file("parallel: K", [])
    tasks = [a, b, c, d, e, f, g, h, i, j, k]
    # Filing alone dispatched the ready roots, bounded by max_parallel.
    assert len(emulator.state.dispatches(REPO)) == 3
    drv.pump()

    # Every task closed, exactly once.
    assert drv.closed_events() == {n: 1 for n in tasks}
    assert all(gh.get_issue(REPO, n).state == "closed" for n in tasks)
    # Each task + attempt dispatched exactly once; only D needed a second attempt.
    counts = drv.dispatch_counts()
    code_runs = {key: c for key, c in counts.items() if key[1] == "code"}
    assert set(code_runs.values()) == {1}
    assert sorted((n, att) for n, _, att in code_runs) == sorted([(n, "1") for n in tasks] + [(d, "2")])
    # Remediation where it should be, stopped at the bound (code.max_rounds = 2).
    assert sum(c for (n, mode, _), c in counts.items() if mode == "fix-ci") == 2
    assert {n for (n, mode, _) in counts if mode == "fix-ci"} == {f}
    assert [n for (n, mode, _) in counts if mode == "address-review"] == [b]
    assert drv.log.remediation_runs == {"fix-ci": 2, "address-review": 1}
    # No dependent started before its dependencies completed; no claim race with dispatch.
    assert drv.order_violations() == []
    assert drv.log.claim_races == 0
    # The queue agrees: all done, and D's rejected PR counted as an attempt.
    recs = drv.ctx("check").store.records(docs.TASK_QUEUE)
    assert all(recs[f"{REPO}#{n}"]["state"] == "closed" for n in tasks)
    assert recs[f"{REPO}#{d}"]["attempts"] == 1
