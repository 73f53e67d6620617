"""How the agents' pipeline went, per PR: remediation rounds by kind (review, CI, conflict), the
review agent's first-pass approval rate, and how often a human overrode it. Pure: computed from
the PR records (`pr-N` in each repository's progress document).

- First pass: the review agent's first verdict on a PR. Its approval rate is approvals / PRs it
  reviewed. A rate with nothing to count is None ("no data"), never 0.
- Override: a human decided against the review agent's standing verdict: merged a PR the agent
  asked changes on, or requested changes on a head the agent approved (`overrides` in the record,
  written when the event is seen).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("review", "ci", "conflict")


@dataclass(frozen=True)
class PipelineMetrics:
    prs: int = 0  # PRs with any pipeline activity
    rounds: Mapping[str, int] = field(default_factory=dict)  # kind -> total rounds
    rounds_per_pr: Mapping[str, float | None] = field(default_factory=dict)  # kind -> mean over prs
    reviewed: int = 0
    first_pass_approved: int = 0
    first_pass_approval_rate: float | None = None
    overrides: int = 0
    override_rate: float | None = None
    needs_human: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"prs": self.prs, "rounds": dict(self.rounds), "rounds_per_pr": dict(self.rounds_per_pr),
                "reviewed": self.reviewed, "first_pass_approved": self.first_pass_approved,
                "first_pass_approval_rate": self.first_pass_approval_rate, "overrides": self.overrides,
                "override_rate": self.override_rate, "needs_human": self.needs_human}


def pipeline_metrics(records: Iterable[Mapping[str, Any]]) -> PipelineMetrics:
    prs = 0
    totals = dict.fromkeys(KINDS, 0)
    reviewed = approved = overrides = needs_human = 0
    for rec in records:
        rounds = [r for r in rec.get("rounds_log") or () if isinstance(r, Mapping)]
        reviews = [v for v in rec.get("reviews") or () if isinstance(v, Mapping)]
        if not rounds and not reviews:
            continue
        prs += 1
        for r in rounds:
            kind = str(r.get("kind"))
            if kind in totals:
                totals[kind] += 1
        if reviews:
            reviewed += 1
            approved += reviews[0].get("verdict") == "approve"
        overrides += len([o for o in rec.get("overrides") or () if isinstance(o, Mapping)])
        needs_human += bool(rec.get("needs_human"))
    return PipelineMetrics(
        prs=prs, rounds=totals,
        rounds_per_pr={k: (round(v / prs, 2) if prs else None) for k, v in totals.items()},
        reviewed=reviewed, first_pass_approved=approved,
        first_pass_approval_rate=round(approved / reviewed, 3) if reviewed else None,
        overrides=overrides, override_rate=round(overrides / reviewed, 3) if reviewed else None,
        needs_human=needs_human)
