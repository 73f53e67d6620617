"""What every check module provides, and what it gets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from agentops.domain.scout import Finding


@dataclass(frozen=True)
class CheckContext:
    now: dt.datetime
    stale_days: int = 14
    min_coverage: float | None = None
    max_coverage_drop: float | None = None
    local_path: Path | None = None


@dataclass(frozen=True)
class Outcome:
    """`ok=False`: the check could not run, or only in part (its earlier findings are kept, none
    resolved; the findings it could still make are added)."""

    findings: tuple[Finding, ...] = ()
    ok: bool = True
    note: str | None = None


def missing(inputs_errors: dict[str, str], endpoints: tuple[str, ...], check: str) -> Outcome:
    reasons = "; ".join(f"{e}: {inputs_errors[e]}" for e in endpoints if e in inputs_errors) or "no data"
    return Outcome(ok=False, note=f"{check}: skipped ({reasons})")


FAILING = frozenset({"failure", "timed_out", "startup_failure", "action_required"})
