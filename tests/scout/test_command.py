from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from agentops.domain import scout as S
from agentops.settings import ScoutConfig
from agentops.state import docs
from tests.scout.helpers import all_issues, comment_count, context, open_issues, scan, seed_repo


def test_cold_then_warm_requests_and_one_issue_per_finding(emulator: Any, gh: Any, tmp_path: Path) -> None:
    seed_repo(emulator, "agentops-bot/a")
    seed_repo(emulator, "agentops-bot/b", failing_ci=False, alert=False)
    ctx = context(tmp_path, gh)
    emulator.reset_counts()
    first = scan(ctx, repos=("agentops-bot/a", "agentops-bot/b"))
    assert first.exit_code == 0
    checks = {f.check for f in first.findings}
    assert checks == {"ci", "dependabot"}
    assert len(open_issues(emulator, "agentops-bot/a")) == 2
    assert open_issues(emulator, "agentops-bot/b") == []
    reads = emulator.total_requests(method="GET")
    # Per repository: the repository, issues, runs, the branch's statuses and check runs, alerts;
    # one issues re-read after filing.
    assert reads <= 7 * 2, emulator.counts()
    # The ci issue is an agent-task work order with the marker.
    ci = next(i for i in open_issues(emulator, "agentops-bot/a") if "CI" in i.title)
    assert "agent-task" in ci.labels and S.SCOUT_LABEL in ci.labels
    assert "agentops:scout fp=ci-" in ci.body

    tracker = ctx.store.records(docs.ISSUE_TRACKER)
    assert {r["issue"] for r in tracker.values()} == {i.number for i in open_issues(emulator, "agentops-bot/a")}
    results = ctx.store.records(docs.SCAN_RESULTS)
    assert set(results["agentops-bot/a"]["findings"]) == {f.fingerprint for f in first.findings}
    assert results["agentops-bot/a"]["endpoints"]["issues"]["etag"]

    emulator.reset_counts()
    before = emulator.rate.remaining
    second = scan(ctx, repos=("agentops-bot/a", "agentops-bot/b"))
    assert second.issues == ()
    assert emulator.total_requests() <= 5 * 2
    assert all(c["status"] == 304 for c in emulator.counts()), emulator.counts()
    assert emulator.rate.remaining == before
    assert {f.fingerprint for f in second.findings} == {f.fingerprint for f in first.findings}


def test_rerun_with_faults_makes_no_duplicates_and_closes_once(emulator: Any, gh: Any, tmp_path: Path) -> None:
    seed_repo(emulator, "agentops-bot/a")
    seed_repo(emulator, "agentops-bot/b")
    ctx = context(tmp_path, gh)
    # The server creates, then answers 502; a secondary rate limit and a dropped read mid-scan.
    emulator.faults.add(method="POST", path=r"/issues$", status=502, count=1, after_action=True)
    emulator.faults.add(method="GET", path=r"/dependabot/alerts", status=429, count=1, retry_after=1)
    emulator.faults.add(method="GET", path=r"/actions/runs", drop=True, count=1)
    repos = ("agentops-bot/a", "agentops-bot/b")
    scan(ctx, repos=repos)
    counts = [len(all_issues(emulator, r)) for r in repos]
    comments = [comment_count(emulator, r) for r in repos]
    assert counts == [2, 2]
    for _ in range(2):
        emulator.faults.add(method="PATCH", path=r"/issues/\d+$", status=502, count=1)
        scan(ctx, repos=repos)
        assert [len(all_issues(emulator, r)) for r in repos] == counts
        assert [comment_count(emulator, r) for r in repos] == comments

    # Fix CI on a: its issue is closed once, with one comment, even when re-run.
    emulator.state.add_workflow_run("agentops-bot/a", name="CI", head_branch="main", head_sha="b" * 40,
                                    conclusion="success")
    emulator.faults.add(method="PATCH", path=r"/issues/\d+$", status=502, count=1, after_action=True)
    res = scan(ctx, repos=repos)
    assert [c.action for c in res.issues if c.action == "closed"] == ["closed"]
    for _ in range(2):
        again = scan(ctx, repos=repos)
        assert [c for c in again.issues if c.action == "closed"] == []
    closed = [i for i in all_issues(emulator, "agentops-bot/a") if i.state == "closed"]
    assert len(closed) == 1
    assert sum(S.RESOLVED_KIND in c.body for c in closed[0].comments) == 1
    assert len(open_issues(emulator, "agentops-bot/a")) == 1


def test_existing_issue_found_on_github_when_state_is_lost(emulator: Any, gh: Any, tmp_path: Path) -> None:
    seed_repo(emulator, "agentops-bot/a", alert=False)
    scan(context(tmp_path / "one", gh), repos=("agentops-bot/a",))
    assert len(open_issues(emulator, "agentops-bot/a")) == 1
    fresh = context(tmp_path / "two", gh)  # empty state dir
    res = scan(fresh, repos=("agentops-bot/a",))
    assert [c.action for c in res.issues] == []
    assert len(all_issues(emulator, "agentops-bot/a")) == 1


def test_open_pr_addressing_the_finding_suppresses_the_issue(emulator: Any, gh: Any, tmp_path: Path) -> None:
    seed_repo(emulator, "agentops-bot/a", alert=False)
    fp = S.fingerprint("agentops-bot/a", "ci", "workflow:CI")
    _make_branch(emulator, "agentops-bot/a", "fix-ci")
    emulator.state.create_pull("agentops-bot/a", "Fix CI", head="fix-ci", body=f"Fixes the scout finding {fp}")
    res = scan(context(tmp_path, gh), repos=("agentops-bot/a",))
    assert [c.action for c in res.issues] == ["suppressed"]
    assert open_issues(emulator, "agentops-bot/a") == []


def _make_branch(emu: Any, name: str, branch: str) -> None:
    bare = emu.state.repo(name).bare
    bare.commit_files(branch, {"README.md": "# a\n", "fix.txt": "fixed\n"}, "fix")


def test_unknown_repo_and_forbidden_endpoint_do_not_stop_the_others(emulator: Any, gh: Any,
                                                                    tmp_path: Path) -> None:
    seed_repo(emulator, "agentops-bot/a")
    seed_repo(emulator, "agentops-bot/b")
    emulator.state.set_dependabot_enabled("agentops-bot/b", False)
    res = scan(context(tmp_path, gh), repos=("agentops-bot/a", "agentops-bot/missing", "agentops-bot/b"))
    by = {r.repo: r for r in res.repos}
    assert by["agentops-bot/missing"].status == "not-found"
    assert by["agentops-bot/b"].status == "partial"
    assert "disabled" in (by["agentops-bot/b"].message or "")
    assert {f.check for f in by["agentops-bot/b"].findings} == {"ci"}
    assert {f.check for f in by["agentops-bot/a"].findings} == {"ci", "dependabot"}
    # The others were scanned, but a named repository that does not exist is bad input, never a green run.
    assert res.exit_code == 2 and res.unscanned == ("agentops-bot/missing",)


def test_forbidden_check_keeps_its_issue_open(emulator: Any, gh: Any, tmp_path: Path) -> None:
    seed_repo(emulator, "agentops-bot/a")
    ctx = context(tmp_path, gh)
    scan(ctx, repos=("agentops-bot/a",))
    emulator.state.set_dependabot_enabled("agentops-bot/a", False)
    res = scan(ctx, repos=("agentops-bot/a",))
    assert [c for c in res.issues if c.action == "closed"] == []
    assert len(open_issues(emulator, "agentops-bot/a")) == 2


def test_no_issues_fail_on_and_check_selection(emulator: Any, gh: Any, tmp_path: Path) -> None:
    seed_repo(emulator, "agentops-bot/a")
    ctx = context(tmp_path, gh)
    res = scan(ctx, repos=("agentops-bot/a",), issues=False, fail_on="high")
    assert res.exit_code == 1 and res.failing == 2
    assert all_issues(emulator, "agentops-bot/a") == []
    only = scan(ctx, repos=("agentops-bot/a",), issues=False, checks=("dependabot",), fail_on="critical")
    assert {f.check for f in only.findings} == {"dependabot"}
    assert only.exit_code == 0


def test_owner_skips_archived_and_forks(emulator: Any, gh: Any, tmp_path: Path) -> None:
    emulator.state.add_org("acme")
    emulator.state.create_repo("acme/live")
    emulator.state.create_repo("acme/old", archived=True)
    emulator.state.create_repo("acme/copy", fork=True)
    res = scan(context(tmp_path, gh), owners=("acme",), issues=False)
    assert [r.repo for r in res.repos] == ["acme/live"]
    wide = scan(context(tmp_path / "w", gh), owners=("acme",), issues=False, include_archived=True,
                include_forks=True)
    assert sorted(r.repo for r in wide.repos) == ["acme/copy", "acme/live", "acme/old"]


def test_warm_owner_scan_is_all_304_including_the_listing(emulator: Any, gh: Any, tmp_path: Path) -> None:
    emulator.state.add_org("acme", members=["agentops-bot"])
    seed_repo(emulator, "acme/a")
    seed_repo(emulator, "acme/b", failing_ci=False, alert=False)
    for r in ("acme/a", "acme/b"):
        emulator.state.set_permission(r, "agentops-bot", "admin")  # Dependabot alerts need admin
    ctx = context(tmp_path, gh)
    first = scan(ctx, owners=("acme",))
    assert sorted(r.repo for r in first.repos) == ["acme/a", "acme/b"] and first.issues
    assert ctx.store.get(docs.SCAN_RESULTS, "owner:acme")["owner_type"] == "Organization"
    scan(ctx, owners=("acme",))  # our new issues changed the listing (each repo's open-issue count)
    emulator.reset_counts()
    before = emulator.rate.remaining
    third = scan(ctx, owners=("acme",))
    assert sorted(r.repo for r in third.repos) == ["acme/a", "acme/b"]
    assert third.issues == ()
    assert all(c["status"] == 304 for c in emulator.counts()), emulator.counts()
    assert emulator.total_requests(route="/orgs/{org}/repos") == 1
    assert emulator.rate.remaining == before  # the listing too costs no primary rate limit
    # A new repository changes the listing: it is read again and scanned.
    seed_repo(emulator, "acme/c", failing_ci=False, alert=False)
    fourth = scan(ctx, owners=("acme",), issues=False)
    assert sorted(r.repo for r in fourth.repos) == ["acme/a", "acme/b", "acme/c"]


def test_issue_whose_labels_github_dropped_is_still_the_one_issue(emulator: Any, gh: Any, tmp_path: Path) -> None:
    # The bot is no member of acme: GitHub opens its issue on the public repository but drops the
    # labels it asks for, silently. That issue is still the one for its finding (no duplicate),
    # and the labels are not asked for again (no write every scan).
    emulator.state.add_org("acme")
    seed_repo(emulator, "acme/a")
    ctx = context(tmp_path, gh)
    first = scan(ctx, owners=("acme",))
    [filed] = open_issues(emulator, "acme/a")
    assert first.issues and S.SCOUT_LABEL not in filed.labels
    for _ in range(2):
        emulator.reset_counts()
        again = scan(ctx, owners=("acme",))
        assert again.issues == ()
        assert emulator.total_requests() == emulator.total_requests(method="GET"), emulator.counts()
    assert [i.number for i in open_issues(emulator, "acme/a")] == [filed.number]
    # With the state lost, authorship still identifies it.
    fresh = scan(context(tmp_path / "fresh", gh), owners=("acme",))
    assert [c.action for c in fresh.issues] in ([], ["updated"])
    assert [i.number for i in open_issues(emulator, "acme/a")] == [filed.number]


def test_rate_limit_floor_stops_saves_and_resumes(emulator: Any, gh: Any, tmp_path: Path) -> None:
    repos = tuple(f"agentops-bot/r{i}" for i in range(4))
    for r in repos:
        seed_repo(emulator, r, alert=False)
    ctx = context(tmp_path, gh, scout=ScoutConfig(min_rate_remaining=100, concurrency=1))
    emulator.set_rate_limit(limit=5000, remaining=110)
    res = scan(ctx, repos=repos, issues=False)
    assert res.exit_code == 3 and res.stopped
    done = [r.repo for r in res.repos if r.status == "ok"]
    deferred = [r.repo for r in res.repos if r.status == "deferred"]
    assert done and deferred
    emulator.set_rate_limit(limit=5000, remaining=5000)
    emulator.reset_counts()
    again = scan(ctx, repos=repos, issues=False)
    assert again.exit_code == 0
    by = {r.repo: r.status for r in again.repos}
    assert all(by[r] == "resumed" for r in done)
    assert all(by[r] == "ok" for r in deferred)
    assert len(again.findings) == 4
    cycle = ctx.store.get(docs.SCAN_RESULTS, "_cycle")
    assert cycle is not None and cycle["complete"] is True


def test_stale_and_overdue_findings_age_without_requests(emulator: Any, gh: Any, tmp_path: Path) -> None:
    emulator.state.create_repo("agentops-bot/a")
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    emulator.now = lambda: t0
    _make_branch(emulator, "agentops-bot/a", "feature")
    emulator.state.create_pull("agentops-bot/a", "Feature", head="feature")
    emulator.state.create_issue("agentops-bot/a", "Task", body="### What should the agent do?\n\n- x\n\n"
                                "### Deadline\n\n2026-01-05\n", labels=("agent-task",))
    early = context(tmp_path, gh, now=t0 + dt.timedelta(days=1))
    res = scan(early, repos=("agentops-bot/a",), issues=False, checks=("stale-prs", "overdue-tasks"))
    assert res.findings == ()
    late = context(tmp_path, gh, now=t0 + dt.timedelta(days=20))
    emulator.reset_counts()
    res = scan(late, repos=("agentops-bot/a",), issues=False, checks=("stale-prs", "overdue-tasks"))
    assert sorted(f.check for f in res.findings) == ["overdue-tasks", "stale-prs"]
    assert all(c["status"] == 304 for c in emulator.counts())
