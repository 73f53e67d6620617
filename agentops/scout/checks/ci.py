"""Default-branch CI, as GitHub's branch view shows it: the latest completed run of each
workflow, the latest commit status of each context and the latest check run of each name
from any other app (an external CI) on the default branch. A failing one is a finding; a
workflow's carries the time its current streak of failures began.

GitHub Actions reports each job as a check run too; those are its workflows' runs, already
read with their history, so only other apps' check runs are read here.
"""

from __future__ import annotations

from typing import Any

from agentops.domain.scout import Finding, inline
from agentops.scout.checks.base import FAILING, CheckContext, Outcome
from agentops.scout.snapshot import RepoInputs

NAME = "ci"
NEEDS: tuple[str, ...] = ("runs", "statuses", "checks")

ACTIONS_APP = "github-actions"
FAILING_STATUS = frozenset({"failure", "error"})


def evaluate(inputs: RepoInputs, cctx: CheckContext) -> Outcome:
    branch = inputs.default_branch
    findings: list[Finding] = []
    unread = [e for e in NEEDS if inputs.get(e) is None]
    runs, statuses, checks = inputs.get("runs"), inputs.get("statuses"), inputs.get("checks")
    if runs is not None:
        findings += _workflows(inputs.repo, branch, runs)
    if statuses is not None:
        findings += _statuses(inputs.repo, branch, statuses)
    if checks is not None:
        findings += _checks(inputs.repo, branch, checks)
    if unread:
        # What could be read still raises its findings; nothing is resolved on a partial read.
        reasons = "; ".join(f"{e}: {inputs.errors.get(e, 'no data')}" for e in unread)
        return Outcome(tuple(findings), ok=False, note=f"{NAME}: partly skipped ({reasons})")
    return Outcome(tuple(findings))


def _workflows(repo: str, branch: str, runs: list[dict[str, Any]]) -> list[Finding]:
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
            repo=repo, check=NAME, subject=f"workflow:{name}", severity="high",
            title=f"CI workflow {inline(name, 80)} fails on {inline(branch, 80)}",
            details=(f"Workflow `{inline(name, 80)}` concluded `{latest.get('conclusion')}` on `{inline(branch, 80)}`.",
                     f"Failing runs in a row (in the latest runs read): {len(streak)}"),
            fixable=True,
            steps=(f"Find why workflow {inline(name, 80)} fails on {inline(branch, 80)} (see the linked run)",
                   "Fix the cause in the code or the workflow, without disabling the checks"),
            acceptance=(f"Workflow {inline(name, 80)} passes on {inline(branch, 80)}",),
            since=str(first.get("created") or "") or None, url=str(latest.get("url") or "") or None,
            data={"workflow": name, "first_failed_run": first.get("id")}))
    return findings


def _link(url: object) -> str | None:
    """A status's target_url is whatever its poster wrote: only a plain web address is linked."""
    text = str(url or "")
    return inline(text, 300) if text.startswith(("https://", "http://")) and " " not in text else None


def _statuses(repo: str, branch: str, statuses: list[dict[str, Any]]) -> list[Finding]:
    findings = []
    for s in sorted(statuses, key=lambda s: str(s.get("context") or "")):
        state = s.get("state")
        if state not in FAILING_STATUS:
            continue
        context = inline(s.get("context") or "default", 80)
        findings.append(Finding(
            repo=repo, check=NAME, subject=f"status:{context}", severity="high",
            title=f"CI status {context} fails on {inline(branch, 80)}",
            details=(f"Commit status `{context}` is `{state}` on `{inline(branch, 80)}`"
                     + (f": {inline(s.get('description'), 200)}" if s.get("description") else "."),),
            fixable=True,
            steps=(f"Find why {context} reports {state} on {inline(branch, 80)} (see the linked report)",
                   "Fix the cause in the code or the CI configuration, without disabling the check"),
            acceptance=(f"Status {context} is success on {inline(branch, 80)}",),
            since=str(s.get("updated") or "") or None, url=_link(s.get("url")),
            data={"context": context, "state": state}))
    return findings


def _checks(repo: str, branch: str, checks: list[dict[str, Any]]) -> list[Finding]:
    findings = []
    for c in sorted(checks, key=lambda c: (str(c.get("app") or ""), str(c.get("name") or ""))):
        app = str(c.get("app") or "")
        if app == ACTIONS_APP or c.get("status") != "completed" or c.get("conclusion") not in FAILING:
            continue
        name, who = inline(c.get("name") or "check", 80), inline(app or "an app", 60)
        findings.append(Finding(
            repo=repo, check=NAME, subject=f"check:{who}/{name}", severity="high",
            title=f"CI check {name} fails on {inline(branch, 80)}",
            details=(f"Check run `{name}` (app `{who}`) concluded `{c.get('conclusion')}` on `{inline(branch, 80)}`.",),
            fixable=True,
            steps=(f"Find why check {name} fails on {inline(branch, 80)} (see the linked check run)",
                   "Fix the cause in the code or the CI configuration, without disabling the check"),
            acceptance=(f"Check {name} passes on {inline(branch, 80)}",),
            since=str(c.get("completed") or "") or None, url=_link(c.get("url")),
            data={"check": name, "app": who, "conclusion": c.get("conclusion")}))
    return findings
