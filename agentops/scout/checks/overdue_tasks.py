"""Open `agent-task` issues past their Deadline with no open pull request that closes them."""

from __future__ import annotations

from agentops.domain import workorder as wo
from agentops.domain.scout import Finding, inline
from agentops.domain.timeutil import parse_time
from agentops.scout.checks.base import CheckContext, Outcome, missing
from agentops.scout.snapshot import RepoInputs

NAME = "overdue-tasks"
NEEDS: tuple[str, ...] = ("issues", "pulls")


def evaluate(inputs: RepoInputs, cctx: CheckContext) -> Outcome:
    issues = inputs.get("issues")
    if issues is None:
        return missing(dict(inputs.errors), ("issues",), NAME)
    in_progress: set[int] = set()
    for pr in inputs.get("pulls") or []:
        in_progress.update(int(x) for x in pr.get("closes") or ())
    findings = []
    for issue in sorted(issues, key=lambda i: int(str(i.get("n") or 0))):
        if issue.get("pr") or wo.TASK_LABEL not in (issue.get("labels") or ()) or issue.get("fp"):
            continue
        deadline = parse_time(issue.get("deadline"))
        n = int(str(issue.get("n")))
        if deadline is None or deadline > cctx.now or n in in_progress:
            continue
        findings.append(Finding(
            repo=inputs.repo, check=NAME, subject=f"issue-{n}", severity="medium",
            title=f"Agent task #{n} is past its deadline with no pull request",
            details=(f"#{n} {inline(issue.get('title') or '', 120)}: deadline {issue.get('deadline')} "
                     "passed and no open pull request closes it.",),
            since=str(issue.get("deadline")), url=str(issue.get("url") or "") or None, data={"issue": n}))
    return Outcome(tuple(findings))
