"""Coverage below the threshold, or dropping, on the default branch, from the test agent's
records in state (agents/<repo>/test-results.json). No records: nothing to say."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentops.domain.scout import Finding, inline
from agentops.scout.checks.base import CheckContext, Outcome
from agentops.scout.snapshot import RepoInputs

NAME = "coverage"
NEEDS: tuple[str, ...] = ()


def _percent(rec: Mapping[str, Any]) -> float | None:
    cov = rec.get("coverage")
    value = cov.get("percent") if isinstance(cov, Mapping) else None
    return float(value) if isinstance(value, (int, float)) else None


def evaluate(inputs: RepoInputs, cctx: CheckContext) -> Outcome:
    branch = inputs.default_branch
    runs = [r for r in inputs.test_results.values()
            if r.get("pr") is None and r.get("ref") == branch and _percent(r) is not None]
    runs.sort(key=lambda r: str(r.get("finished_at") or ""), reverse=True)
    if not runs:
        return Outcome()
    latest = runs[0]
    pct = _percent(latest)
    assert pct is not None
    sha = str(latest.get("sha") or "")[:12]
    findings = []
    if cctx.min_coverage is not None and pct < cctx.min_coverage:
        findings.append(Finding(
            repo=inputs.repo, check=NAME, subject="below-threshold", severity="medium",
            title=f"Coverage {pct:.1f}% is below {cctx.min_coverage:.1f}% on {inline(branch, 80)}",
            details=(f"Latest test run on `{inline(branch, 80)}` ({sha}): {pct:.2f}% line coverage; "
                     f"the minimum is {cctx.min_coverage:.2f}%.",),
            fixable=True,
            steps=(f"Add tests for the least covered code until line coverage on {inline(branch, 80)} "
                   f"reaches {cctx.min_coverage:.1f}%",),
            acceptance=(f"Line coverage is at least {cctx.min_coverage:.1f}%",),
            data={"percent": round(pct, 1), "min": cctx.min_coverage}))
    if cctx.max_coverage_drop is not None and len(runs) > 1:
        previous = _percent(runs[1])
        if previous is not None and previous - pct > cctx.max_coverage_drop:
            findings.append(Finding(
                repo=inputs.repo, check=NAME, subject="drop", severity="medium",
                title=f"Coverage dropped from {previous:.1f}% to {pct:.1f}% on {inline(branch, 80)}",
                details=(f"Coverage fell {previous - pct:.2f} points (allowed: {cctx.max_coverage_drop:.2f}) "
                         f"at {sha}.",),
                fixable=True,
                steps=(f"Add tests for the code changed at {sha} so coverage returns to {previous:.1f}%",),
                acceptance=(f"Line coverage is back to at least {previous - cctx.max_coverage_drop:.1f}%",),
                since=str(latest.get("finished_at") or "") or None,
                data={"percent": round(pct, 1), "previous": round(previous, 1)}))
    return Outcome(tuple(findings))
