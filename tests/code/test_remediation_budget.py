"""Review/CI fix rounds bounded then needs-human; the budget guard; cleanup of finished worktrees."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from agentops.commands.code import CodeOptions, CodeResult, run
from agentops.errors import WorkFailed
from agentops.orchestrator.budget import ensure_budget
from agentops.settings import BudgetConfig, CodeConfig
from agentops.state import docs
from tests.code.conftest import REPO, CodeEnv


def _open_pr(env: CodeEnv) -> tuple[int, CodeResult]:
    n = env.issue()
    result = run(CodeOptions(issue=n, agent="claude", repo=REPO), env.ctx())
    assert result.status == "pr-opened", result.reason
    return n, result


def test_review_rounds_stop_at_the_bound_then_needs_human(code_env: CodeEnv) -> None:
    code_env.emulator.state.add_user("reviewer")
    code_env.emulator.state.set_permission(REPO, "reviewer", "write")  # only maintainers steer the agent
    cfg = dataclasses.replace(code_env.config, code=CodeConfig(max_rounds=2, secrets=("CANARY_SECRET",)))
    n, opened = _open_pr(code_env)
    assert opened.pr is not None
    nothing = run(CodeOptions(pr=opened.pr, address_review=True, repo=REPO), code_env.ctx(cfg))
    assert nothing.status == "skipped" and nothing.ok
    for i in (1, 2):
        code_env.emulator.state.add_review_comment(REPO, opened.pr, f"please rename variable v{i}",
                                                   author="reviewer", path="feature.txt", line=1)
        code_env.fakes.script(edits={f"fix{i}.txt": "fixed\n"})
        r = run(CodeOptions(pr=opened.pr, address_review=True, repo=REPO), code_env.ctx(cfg))
        assert r.status == "pr-updated" and r.round == i, r.reason
        prompt = code_env.fakes.calls()[-1]["prompt"]
        assert f"please rename variable v{i}" in prompt and "@reviewer" in prompt
        if i == 2:
            assert "v1" not in prompt.split("AGENTOPS-DATA-BEGIN")[1]  # already handled in round 1
    assert len(code_env.commits(str(opened.branch))) == 3
    code_env.emulator.state.add_review_comment(REPO, opened.pr, "one more thing", author="reviewer")
    calls = len(code_env.fakes.calls())
    for _ in range(2):
        stop = run(CodeOptions(pr=opened.pr, address_review=True, repo=REPO), code_env.ctx(cfg))
        assert stop.status == "needs-human" and not stop.ok
    assert len(code_env.fakes.calls()) == calls  # no third agent run
    pr = code_env.gh.get_pull(REPO, opened.pr)
    assert "needs-human" in pr.labels
    notes = [c for c in code_env.gh.list_comments(REPO, opened.pr) if "agentops:needs-human" in c.body]
    assert len(notes) == 1
    costs = [c for c in code_env.ctx().store.read_log(docs.COSTS)]
    assert [c["kind"] for c in costs] == ["code", "review", "review"] and costs[1]["pr"] == opened.pr
    actions = [e for e in code_env.ctx().store.read_log(docs.AGENT_ACTIONS) if e["action"] == "remediation"]
    assert [(e["details"]["round"], e["details"]["kind"]) for e in actions] == [(1, "review"), (2, "review")]


def test_ci_rounds_feed_failing_checks_and_are_bounded(code_env: CodeEnv) -> None:
    cfg = dataclasses.replace(code_env.config, code=CodeConfig(max_rounds=1))
    _n, opened = _open_pr(code_env)
    assert opened.pr is not None and opened.commit is not None
    code_env.emulator.state.add_check_run(REPO, opened.commit, name="pytest", conclusion="failure",
                                          output={"title": "2 failed", "summary": "test_widget assert 1 == 2"})
    code_env.fakes.script(edits={"fix.txt": "fixed\n"})
    r = run(CodeOptions(pr=opened.pr, fix_ci=True, repo=REPO), code_env.ctx(cfg))
    assert r.status == "pr-updated" and r.round == 1
    assert "test_widget assert 1 == 2" in code_env.fakes.calls()[-1]["prompt"]
    assert r.commit is not None
    code_env.emulator.state.add_check_run(REPO, r.commit, name="pytest", conclusion="failure")
    stop = run(CodeOptions(pr=opened.pr, fix_ci=True, repo=REPO), code_env.ctx(cfg))
    assert stop.status == "needs-human" and len(code_env.fakes.calls()) == 2


def test_budget_exhausted_refuses_new_runs(code_env: CodeEnv) -> None:
    n = code_env.issue()
    cfg = dataclasses.replace(code_env.config, budget=BudgetConfig(monthly_usd=1.0))
    ctx = code_env.ctx(cfg)
    ensure_budget(ctx)  # nothing spent yet
    ctx.store.append(docs.COSTS, {"repo": REPO, "issue": 999, "pr": None, "agent": "claude", "backend": "claude",
                                  "kind": "code", "cost_usd": 1.0, "turns": 3, "duration_s": 1.0})
    with pytest.raises(WorkFailed) as refused:
        run(CodeOptions(issue=n, agent="claude", repo=REPO), ctx)
    assert refused.value.exit_code == 1 and "budget exhausted" in refused.value.message
    assert code_env.fakes.calls() == []
    per_task = dataclasses.replace(code_env.config, budget=BudgetConfig(per_task_usd=0.5))
    ensure_budget(code_env.ctx(per_task), f"{REPO}#{n}")
    with pytest.raises(WorkFailed):
        ensure_budget(code_env.ctx(per_task), f"{REPO}#999")


def test_run_over_the_per_task_cap_fails_without_a_pr(code_env: CodeEnv) -> None:
    n = code_env.issue()
    cfg = dataclasses.replace(code_env.config, budget=BudgetConfig(per_task_usd=0.2))
    r = run(CodeOptions(issue=n, agent="claude", repo=REPO), code_env.ctx(cfg))
    assert r.status == "failed" and "per-task cap" in (r.reason or "")
    assert code_env.remote_branches() == ["main"]
    with pytest.raises(WorkFailed):
        run(CodeOptions(issue=n, agent="claude", repo=REPO), code_env.ctx(cfg))


def test_cleanup_removes_worktrees_of_closed_prs_only(code_env: CodeEnv) -> None:
    _a, done = _open_pr(code_env)
    _b, live = _open_pr(code_env)
    ctx = code_env.ctx()
    recs = ctx.store.records(docs.progress(REPO))
    paths = {r["pr"]: Path(r["worktree"]) for r in recs.values()}
    assert done.pr is not None and live.pr is not None
    code_env.gh.update_pull(REPO, done.pr, state="closed")
    result = run(CodeOptions(cleanup=True, repo=REPO), ctx)
    assert result.status == "cleaned" and len(result.cleaned) == 1
    assert not paths[done.pr].exists() and paths[live.pr].exists()
    again = run(CodeOptions(cleanup=True, repo=REPO), code_env.ctx())
    assert again.cleaned == ()
