"""`report` end to end over a real state store: logs streamed, PR cache, metrics.json written,
`--publish` keeps one issue and one comment per day (GitHub emulator)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

from agentops.commands.report import REPORT_TITLE, ReportOptions, run
from agentops.context import Context
from agentops.domain.markers import find_marker
from agentops.errors import BadInput
from agentops.output import Output
from agentops.settings import BudgetConfig, Config
from agentops.state import docs
from agentops.state.store import Store
from tests.report import test_agent_metrics as am
from tests.report import test_dora as td

NOW = td.NOW
CONFIG = Config(budget=BudgetConfig(monthly_usd=10.0))


def seeded_store(root: Path, clock: Any = lambda: NOW) -> Store:
    store = Store(root, writer="seed", clock=clock)
    for e in td.DEPLOYS:
        store.append(docs.DEPLOYMENTS, e)
    for e in td.INCIDENTS:
        store.append(docs.INCIDENTS, e)
    for e in am.ACTIONS:
        store.append(docs.AGENT_ACTIONS, e)
    for e in am.COSTS:
        store.append(docs.COSTS, e)
    store.update(docs.test_results("o/r"), lambda d: [d.put(f"r{i}", r) for i, r in enumerate(am.TEST_RESULTS)])
    store.update(docs.PULLS, lambda d: [d.put(p.key, p.to_record()) for p in am.PRS])
    return store


def context(tmp_path: Path, store: Store, *, gh: Any = None, clock: Any = lambda: NOW,
            config: Config = CONFIG) -> Context:
    out = Output(out=io.StringIO(), err=io.StringIO(), env={})
    return Context(env={}, cwd=tmp_path, output=out, clock=clock, sleep=lambda s: None, config_override=config,
                   github_override=gh, store_override=store)


def test_offline_report_from_state(tmp_path: Path) -> None:
    store = seeded_store(tmp_path / "state")
    ctx = context(tmp_path, store)
    res = run(ReportOptions(since="7d", repo="o/r", offline=True), ctx)
    r = res.report
    assert [e.dora.environment for e in r.environments] == ["production", "staging"]
    prod = r.environments[0].dora.current
    # the same hand-computed figures as tests/report/test_dora.py, now read back from the logs
    assert prod.deployments == 6 and prod.lead_time_median_h == pytest.approx(4.0)
    assert prod.change_failure_rate == pytest.approx(1 / 3) and prod.time_to_restore_median_h == pytest.approx(1.25)
    assert r.environments[0].dora.open_incidents == ("o/r#12",)
    # and the agent figures of tests/report/test_agent_metrics.py
    assert r.agents.agents.pr_merge_rate == pytest.approx(2 / 3)
    assert r.agents.cost.cost_per_merged_pr_usd == pytest.approx(1.75)
    assert r.agents.cost.budget_used == pytest.approx(0.675)
    assert r.agents.delivery.coverage_latest == pytest.approx(82.5)
    assert r.pr_source == "cache"
    assert [s.status for s in res.pr_sync] == ["skipped"]
    latest = store.get(docs.METRICS, "latest")
    assert latest is not None
    assert latest["environments"][0]["dora"]["current"]["deployments"] == 6
    assert latest["agents"]["agents"]["time_to_first_review_median_h"] == pytest.approx(3.0)
    assert latest["window_end"] == "2024-05-15T00:00:00Z"


def test_env_filter_and_other_repo_scope(tmp_path: Path) -> None:
    store = seeded_store(tmp_path / "state")
    res = run(ReportOptions(since="7d", environment="staging", repo="o/r", offline=True), context(tmp_path, store))
    assert [e.dora.environment for e in res.report.environments] == ["staging"]
    other = run(ReportOptions(since="7d", environment="production", repo="x/y", offline=True),
                context(tmp_path, store))
    cur = other.report.environments[0].dora.current
    assert cur.deployments is None and cur.change_failure_rate is None  # nothing for x/y: no data
    assert other.report.agents.cost.spend_usd is None


def test_empty_state_says_no_data(tmp_path: Path) -> None:
    res = run(ReportOptions(offline=True, repo="o/r"), context(tmp_path, Store(tmp_path / "s", writer="t")))
    assert res.report.environments == ()
    assert res.report.pr_source == "none"
    assert res.report.agents.agents.prs_merged is None
    assert "no data" in res.markdown


def test_bad_since_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="--since"):
        run(ReportOptions(since="lastweek", offline=True), context(tmp_path, Store(tmp_path / "s", writer="t")))


def test_publish_twice_updates_the_same_issue_and_comment(tmp_path: Path, emulator: Any, gh: Any) -> None:
    emulator.state.create_repo("agentops-bot/demo")
    store = seeded_store(tmp_path / "state")
    clock = {"now": NOW}
    ctx = context(tmp_path, store, gh=gh, clock=lambda: clock["now"])
    opts = ReportOptions(since="7d", repo="agentops-bot/demo", publish=True)
    first = run(opts, ctx).published
    assert first is not None and first.issue_created and first.comment_created
    clock["now"] = NOW + dt.timedelta(hours=3)  # same day: the same comment is edited
    second = run(opts, ctx).published
    assert second is not None and not second.issue_created and not second.comment_created
    assert (second.issue, second.comment_id) == (first.issue, first.comment_id)
    # forget the remembered issue number: the marker still finds the issue
    store.delete(docs.METRICS, "publish:agentops-bot/demo")
    clock["now"] = NOW + dt.timedelta(days=1)  # a new day: a new dated comment on the same issue
    third = run(opts, ctx).published
    assert third is not None and third.issue == first.issue and third.comment_created

    issues = [i for i in gh.list_issues("agentops-bot/demo", state="all").items if find_marker(i.body, "report")]
    assert len(issues) == 1 and issues[0].title == REPORT_TITLE
    comments = gh.list_comments("agentops-bot/demo", first.issue)
    dates = sorted(m.get("date") for c in comments if (m := find_marker(c.body, "report-run")))
    assert dates == ["2024-05-15", "2024-05-16"]
    assert "### DORA" in issues[0].body


def test_publish_reopens_a_closed_report_issue(tmp_path: Path, emulator: Any, gh: Any) -> None:
    emulator.state.create_repo("agentops-bot/demo")
    store = seeded_store(tmp_path / "state")
    ctx = context(tmp_path, store, gh=gh)
    opts = ReportOptions(since="7d", repo="agentops-bot/demo", publish=True)
    first = run(opts, ctx).published
    assert first is not None
    gh.update_issue("agentops-bot/demo", first.issue, state="closed")
    again = run(dataclasses.replace(opts), ctx).published
    assert again is not None and again.issue == first.issue
    assert gh.get_issue("agentops-bot/demo", first.issue).state == "open"


def _branch(emulator: Any, repo: str, branch: str, files: dict[str, str]) -> None:
    import subprocess

    bare = emulator.state.repo(repo).bare_path
    subprocess.run(["git", "--git-dir", str(bare), "branch", branch, "main"], check=True,
                   capture_output=True)
    emulator.state.repo(repo).bare.commit_files(branch, {"README.md": "# demo\n", **files}, f"work on {branch}")


def test_pr_sync_caches_agent_prs_and_asks_again_only_when_changed(tmp_path: Path, emulator: Any, gh: Any) -> None:
    from agentops.github.adapter import connect

    repo = "agentops-bot/demo"
    emulator.state.create_repo(repo)
    _branch(emulator, repo, "agentops/7-fix-typo", {"a.txt": "a\n"})
    _branch(emulator, repo, "feature/human", {"b.txt": "b\n"})
    agent_pr = emulator.state.create_pull(repo, "Fix typo", head="agentops/7-fix-typo", body="Closes #7")
    emulator.state.create_pull(repo, "Human change", head="feature/human")
    alice = emulator.state.add_user("alice")
    emulator.state.set_permission(repo, "alice", "write")
    alice_gh = connect({"GITHUB_API_URL": emulator.url, "GH_TOKEN": alice}, sleep=lambda s: None,
                       mutation_interval=0)
    alice_gh.create_review(repo, agent_pr, event="APPROVE", body="looks good")
    gh.merge_pull(repo, agent_pr)

    store = Store(tmp_path / "state", writer="t")
    ctx = context(tmp_path, store, gh=gh, clock=lambda: dt.datetime.now(dt.UTC))
    res = run(ReportOptions(since="7d", repo=repo), ctx)
    assert [(s.status, s.listed, s.refreshed) for s in res.pr_sync] == [("synced", 2, 1)]
    rec = store.get(docs.PULLS, f"pr:{repo}#{agent_pr}")
    assert rec is not None and rec["issue"] == 7 and rec["approved"] is True
    assert rec["merged_at"] is not None and rec["first_human_review_at"] is not None
    assert not [k for k in store.records(docs.PULLS) if k.startswith("pr:") and k != f"pr:{repo}#{agent_pr}"]
    assert res.report.pr_source == "github"
    assert res.report.agents.agents.prs_merged == 1 and res.report.agents.agents.pr_approval_rate == 1.0

    def review_requests() -> int:
        return sum(c["count"] for c in emulator.counts() if c["method"] == "GET" and "reviews" in c["route"])

    before = review_requests()
    again = run(ReportOptions(since="7d", repo=repo), ctx)
    assert again.pr_sync[0].status in ("not-modified", "synced") and again.pr_sync[0].refreshed == 0
    assert review_requests() == before  # nothing changed: no review listing

    offline = run(ReportOptions(since="7d", repo=repo, offline=True), ctx)
    assert offline.report.pr_source == "cache" and offline.report.agents.agents.prs_merged == 1
