"""Per-task stage and the pipeline's report figures, worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from agentops.domain.review_metrics import pipeline_metrics
from agentops.domain.stage import stage_of

PR: dict[str, Any] = {"number": 7, "head_sha": "b2"}


@pytest.mark.parametrize("task, pr, review_agent, want", [
    ({"status": "ready"}, None, True, "queued"),
    ({"status": "blocked"}, None, True, "blocked"),
    ({"status": "claimed"}, None, True, "authoring"),
    ({"status": "claimed"}, PR, True, "in review"),
    ({"status": "claimed"}, PR, False, "awaiting merge"),
    ({"status": "claimed"}, {**PR, "reviews": [{"sha": "b1", "verdict": "approve"}]}, True, "in review"),
    ({"status": "claimed"}, {**PR, "reviews": [{"sha": "b2", "verdict": "approve"}]}, True, "awaiting merge"),
    ({"status": "claimed"}, {**PR, "reviews": [{"sha": "b2", "verdict": "request_changes"}]}, True, "authoring"),
    ({"status": "claimed"}, {**PR, "rounds_log": [{"kind": "ci"}]}, True, "fixing CI"),
    ({"status": "claimed"}, {**PR, "rounds_log": [{"kind": "ci", "finished": True}], "mergeable": False}, True,
     "resolving conflicts"),
    ({"status": "claimed"}, {**PR, "rounds_log": [{"kind": "conflict"}]}, True, "resolving conflicts"),
    ({"status": "done", "completed": True}, {**PR, "merged": True}, True, "merged"),
    ({"status": "done", "completed": True}, None, True, "done"),
    ({"status": "needs-human"}, PR, True, "needs-human"),
    # As the real flow leaves them: the code run opened the PR, so the task is completed (status
    # done) while its PR is reviewed, fixed and merged.
    ({"status": "done", "completed": True, "state": "open"}, PR, True, "in review"),
    ({"status": "done", "completed": True, "state": "open"}, {**PR, "rounds_log": [{"kind": "ci", "at": "2026-12-01T10:00:00Z"}],
                                                              "round_ends": {"ci": "2026-12-01T09:00:00Z"}}, True,
     "fixing CI"),
    ({"status": "done", "completed": True, "state": "open"}, {**PR, "rounds_log": [{"kind": "ci", "at": "2026-12-01T10:00:00Z"}],
                                                              "round_ends": {"ci": "2026-12-01T10:05:00Z"}}, False,
     "awaiting merge"),
    ({"status": "done", "completed": True, "state": "open"}, {**PR, "needs_human": True}, True, "needs-human"),
    ({"status": "done", "completed": True, "state": "closed", "merged_pr": 7}, None, True, "merged"),
    ({"status": "ready", "attempts": 1}, PR, True, "queued"),  # its PR closed unmerged: back in the queue
    ({"status": "claimed", "labels": ["needs-human"]}, PR, True, "needs-human"),
])
def test_stage(task: dict[str, Any], pr: dict[str, Any] | None, review_agent: bool, want: str) -> None:
    assert stage_of(task, pr, review_agent=review_agent) == want


def test_pipeline_metrics_by_hand() -> None:
    records = [
        # Reviewed twice: changes requested first, then approved; one review round, one CI round.
        {"rounds_log": [{"kind": "review"}, {"kind": "ci"}],
         "reviews": [{"verdict": "request_changes"}, {"verdict": "approve"}]},
        # Approved first time; a human requested changes anyway (an override).
        {"reviews": [{"verdict": "approve"}], "overrides": [{"by": "maint", "what": "changes requested"}]},
        # Conflict round, then rounds ran out.
        {"rounds_log": [{"kind": "conflict"}, {"kind": "conflict"}, {"kind": "ci"}], "needs_human": True},
        {"number": 9},  # no pipeline activity: not counted
    ]
    m = pipeline_metrics(records)
    assert m.prs == 3
    assert m.rounds == {"review": 1, "ci": 2, "conflict": 2}
    assert m.rounds_per_pr == {"review": 0.33, "ci": 0.67, "conflict": 0.67}
    assert (m.reviewed, m.first_pass_approved, m.first_pass_approval_rate) == (2, 1, 0.5)
    assert (m.overrides, m.override_rate, m.needs_human) == (1, 0.5, 1)


def test_no_data_is_none_not_zero() -> None:
    m = pipeline_metrics([])
    assert m.first_pass_approval_rate is None and m.override_rate is None
    assert m.rounds_per_pr == {"review": None, "ci": None, "conflict": None}
