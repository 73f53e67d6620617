"""Default-branch CI: the latest completed run of each workflow on the default branch;
a failing one is a finding, with the time its current streak of failures began."""

from __future__ import annotations

from agentops.domain.scout import Finding, inline
from agentops.scout.checks.base import FAILING, CheckContext, Outcome, missing
from agentops.scout.snapshot import RepoInputs

NAME = "ci"
NEEDS: tuple[str, ...] = ("runs",)


def evaluate(inputs: RepoInputs, cctx: CheckContext) -> Outcome:
    runs = inputs.get("runs")
    if runs is None:
        return missing(dict(inputs.errors), NEEDS, NAME)
    branch = inputs.default_branch
    by_workflow: dict[str, list[dict[str, object]]] = {}
    for r in runs:
        if r.get("branch") != branch or r.get("status") != "completed":
            continue
        by_workflow.setdefault(str(r.get("name") or r.get("workflow_id")), []).append(r)
    findings = []
    for name, rs in sorted(by_workflow.items()):
        rs.sort(key=lambda r: (str(r.get("created") or ""), int(str(r.get("id") or 0))), reverse=True)
        latest = rs[0]
        if latest.get("conclusion") not in FAILING:
            continue
        streak = []
        for r in rs:
            if r.get("conclusion") not in FAILING:
                break
            streak.append(r)
        first = streak[-1]
        findings.append(Finding(
            repo=inputs.repo, check=NAME, subject=f"workflow:{name}", severity="high",
            title=f"CI workflow {inline(name, 80)} fails on {inline(branch, 80)}",
            details=(f"Workflow `{inline(name, 80)}` concluded `{latest.get('conclusion')}` on `{inline(branch, 80)}`.",
                     f"Failing runs in a row (in the latest runs read): {len(streak)}"),
            fixable=True,
            steps=(f"Find why workflow {inline(name, 80)} fails on {inline(branch, 80)} (see the linked run)",
                   "Fix the cause in the code or the workflow, without disabling the checks"),
            acceptance=(f"Workflow {inline(name, 80)} passes on {inline(branch, 80)}",),
            since=str(first.get("created") or "") or None, url=str(latest.get("url") or "") or None,
            data={"workflow": name, "first_failed_run": first.get("id")}))
    return Outcome(tuple(findings))
