"""The pipeline's figures (domain.review_metrics) and the backlog's stages (domain.backlog) as the
report shows them: rows for the terminal and markdown, "no data" where nothing was recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agentops.domain.backlog import TaskProgress, stage_counts
from agentops.domain.review_metrics import KINDS, PipelineMetrics
from agentops.domain.stage import STAGES

NO_DATA = "no data"
MAX_BACKLOG_ROWS = 50  # tasks listed in markdown and on the terminal; --json keeps them all
_KIND_NAMES = {"review": "review", "ci": "CI", "conflict": "conflict"}
PIPELINE_HEADERS = ("Measure", "Value")
BACKLOG_HEADERS = ("Task", "Title", "Stage", "Agent", "PR", "Rounds")


def _pct(x: float | None) -> str:
    return NO_DATA if x is None else f"{x * 100:.1f}%"


def pipeline_rows(m: PipelineMetrics) -> list[list[str]]:
    rows = []
    for kind in KINDS:
        mean = m.rounds_per_pr.get(kind)
        rows.append([f"{_KIND_NAMES[kind]} rounds per PR (mean / total)",
                     NO_DATA if mean is None else f"{mean:.2f} / {m.rounds.get(kind, 0)}"])
    rows += [
        ["PRs with pipeline activity", str(m.prs)],
        ["Review agent first-pass approval",
         NO_DATA if m.first_pass_approval_rate is None else
         f"{_pct(m.first_pass_approval_rate)} ({m.first_pass_approved} of {m.reviewed} PRs)"],
        ["Human overrides of the review agent",
         NO_DATA if m.override_rate is None else f"{m.overrides} ({_pct(m.override_rate)} of reviewed PRs)"],
        ["PRs that ran out of rounds (needs human)", str(m.needs_human) if m.prs else NO_DATA],
    ]
    return rows


def stage_summary(rows: Sequence[TaskProgress]) -> str:
    """"authoring 2 · in review 1 · merged 3", in pipeline order; "no tasks" when empty."""
    return stage_line(stage_counts(rows))


def stage_line(counts: Mapping[str, int]) -> str:
    parts = [f"{s} {counts[s]}" for s in STAGES if counts.get(s)]
    parts += [f"{s} {n}" for s, n in sorted(counts.items()) if s not in STAGES]
    return " · ".join(parts) or "no tasks"


def backlog_rows(rows: Sequence[TaskProgress]) -> list[list[str]]:
    return [[t.key, t.title, t.stage, t.agent or "", f"#{t.pr}" if t.pr else "",
             f"{t.rounds}/{t.max_rounds}" if t.pr else ""] for t in rows[:MAX_BACKLOG_ROWS]]
