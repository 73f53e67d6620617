"""Vulnerable dependencies from Dependabot alerts: one finding per (ecosystem, package),
at the severity of its worst open alert. Disabled or forbidden alerts are a note, not a
failure."""

from __future__ import annotations

from agentops.domain.scout import SEVERITIES, Finding, inline, severity_rank
from agentops.scout.checks.base import CheckContext, Outcome, missing
from agentops.scout.snapshot import RepoInputs

NAME = "dependabot"
NEEDS: tuple[str, ...] = ("alerts",)


def evaluate(inputs: RepoInputs, cctx: CheckContext) -> Outcome:
    alerts = inputs.get("alerts")
    if alerts is None:
        return missing(dict(inputs.errors), NEEDS, NAME)
    groups: dict[tuple[str, str], list[dict[str, object]]] = {}
    for a in alerts:
        groups.setdefault((str(a.get("ecosystem") or ""), str(a.get("package") or "")), []).append(a)
    findings = []
    for (eco, pkg), items in sorted(groups.items()):
        items.sort(key=lambda a: int(str(a.get("n") or 0)))
        worst = max((str(a.get("severity") or "low") for a in items), key=severity_rank)
        ids = ", ".join(inline(a.get("ghsa") or f"#{a.get('n')}", 40) for a in items)
        findings.append(Finding(
            repo=inputs.repo, check=NAME, subject=f"{eco}:{pkg}", severity=worst if worst in SEVERITIES else "medium",
            title=f"Vulnerable dependency {inline(pkg, 80)} ({inline(eco, 20)}): {len(items)} open alert(s)",
            details=tuple(f"{inline(a.get('severity'), 10)}: {inline(a.get('summary') or '', 160)} "
                          f"({inline(a.get('ghsa') or '', 40)})" for a in items),
            fixable=True,
            steps=(f"Upgrade {inline(pkg, 80)} ({inline(eco, 20)}) to a version without these advisories: {ids}",
                   "Update lock files and make the tests pass"),
            acceptance=(f"Dependabot reports no open alert for {inline(pkg, 80)}",),
            since=min((str(a.get("created") or "") for a in items), default=None) or None,
            url=str(items[0].get("url") or "") or None,
            data={"alerts": [a.get("n") for a in items]}))
    return Outcome(tuple(findings))
