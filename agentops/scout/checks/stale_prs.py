"""Pull requests with no activity for `stale_days`, and agent PRs (branches `agentops/...`)
stuck on failing checks: their head commit's latest run of some workflow failed and the PR
has not moved for a day."""

from __future__ import annotations

import datetime as dt

from agentops.domain.scout import Finding, inline
from agentops.domain.timeutil import parse_time
from agentops.scout.checks.base import FAILING, CheckContext, Outcome, missing
from agentops.scout.snapshot import RepoInputs

NAME = "stale-prs"
NEEDS: tuple[str, ...] = ("pulls", "runs")
AGENT_BRANCH_PREFIX = "agentops/"
STUCK_AFTER = dt.timedelta(hours=24)


def evaluate(inputs: RepoInputs, cctx: CheckContext) -> Outcome:
    pulls = inputs.get("pulls")
    if pulls is None:
        return missing(dict(inputs.errors), ("pulls",), NAME)
    runs = inputs.get("runs") or []
    findings = []
    for pr in sorted(pulls, key=lambda p: int(str(p.get("n") or 0))):
        n = int(str(pr.get("n")))
        updated = parse_time(pr.get("updated")) or parse_time(pr.get("created"))
        idle = cctx.now - updated if updated else dt.timedelta(0)
        title = inline(pr.get("title") or "", 120)
        if idle >= dt.timedelta(days=cctx.stale_days):
            findings.append(Finding(
                repo=inputs.repo, check=NAME, subject=f"pr-{n}", severity="low",
                title=f"Pull request #{n} has had no activity for over {cctx.stale_days} days",
                details=(f"#{n} {title} (by @{inline(pr.get('author') or '', 40)}) was last updated "
                         f"{pr.get('updated')}; stale after {cctx.stale_days} days.",),
                since=str(pr.get("updated") or "") or None, url=str(pr.get("url") or "") or None,
                data={"pr": n}))
        if str(pr.get("head_ref") or "").startswith(AGENT_BRANCH_PREFIX):
            failing = _failing_workflows(runs, str(pr.get("head_sha") or ""))
            if failing and idle >= STUCK_AFTER:
                names = ", ".join(inline(f, 60) for f in failing)
                findings.append(Finding(
                    repo=inputs.repo, check=NAME, subject=f"pr-{n}-failing", severity="medium",
                    title=f"Agent pull request #{n} is stuck on failing checks",
                    details=(f"#{n} {title}: failing on its head commit: {names}.",
                             f"No activity since {pr.get('updated')}."),
                    url=str(pr.get("url") or "") or None, data={"pr": n, "failing": failing}))
    return Outcome(tuple(findings))


def _failing_workflows(runs: list[dict[str, object]], sha: str) -> list[str]:
    if not sha:
        return []
    latest: dict[str, dict[str, object]] = {}
    for r in runs:
        if r.get("sha") != sha or r.get("status") != "completed":
            continue
        name = str(r.get("name") or r.get("workflow_id"))
        key = (str(r.get("created") or ""), int(str(r.get("id") or 0)))
        cur = latest.get(name)
        if cur is None or key > (str(cur.get("created") or ""), int(str(cur.get("id") or 0))):
            latest[name] = r
    return sorted(n for n, r in latest.items() if r.get("conclusion") in FAILING)
