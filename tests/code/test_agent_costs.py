"""Issue 16 through the whole `code` path with fake CLIs: every backend end to end, the gates
handed to each CLI, the budget passed down and enforced before start, and cost that fails
closed (unknown cost is charged the run's cap and marked estimated)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest

from agentops.commands.code import CodeOptions, run
from agentops.domain.agent_metrics import compute_agent_report
from agentops.domain.dora import Window
from agentops.domain.timeutil import parse_time
from agentops.errors import WorkFailed
from agentops.output import LiveLine, Output
from agentops.settings import AgentConfig, BudgetConfig, GateConfig
from agentops.state import docs
from tests.code.conftest import REPO, CodeEnv

GATES = (GateConfig(name="tests", run=("python", "-m", "pytest", "-q", "--junitxml={reports}/junit.xml")),
         GateConfig(name="lint", run=("ruff", "check", ".")))
BACKEND_AGENTS = {
    "claude": AgentConfig(name="claude", backend="claude", max_turns=10, timeout_s=30),
    "codex": AgentConfig(name="codex", backend="codex", max_turns=10, timeout_s=30, model="gpt-5.5"),
    "aider": AgentConfig(name="aider", backend="aider", max_turns=10, timeout_s=30),
    "gemini": AgentConfig(name="gemini", backend="gemini", max_turns=10, timeout_s=30, model="gemini-2.5-pro"),
    "command": AgentConfig(name="command", backend="command", max_turns=10, timeout_s=30, command=(
        "fake-agent", "--prompt-file", "{prompt_file}", "--worktree", "{worktree}", "--issue", "{issue}")),
}


def _config(code_env: CodeEnv, agent: AgentConfig, **budget: float) -> object:
    return dataclasses.replace(code_env.config, agents=(agent,), gates=GATES, budget=BudgetConfig(**budget))


@pytest.mark.parametrize("backend", sorted(BACKEND_AGENTS))
def test_every_backend_runs_the_full_code_path(backend: str, code_env: CodeEnv) -> None:
    n = code_env.issue()
    agent = BACKEND_AGENTS[backend]
    ctx = code_env.ctx(_config(code_env, agent, monthly_usd=100.0))  # type: ignore[arg-type]
    r = run(CodeOptions(issue=n, agent=agent.name, repo=REPO), ctx)
    assert r.status == "pr-opened", r.reason
    assert r.backend == backend and r.turns and r.cost_usd is not None and r.cost_usd > 0
    [cost] = list(ctx.store.read_log(docs.COSTS))
    assert cost["estimated"] is False and cost["cost_source"] in ("reported", "tokens")
    [call] = code_env.fakes.calls()
    args = call["args"]
    assert "python -m pytest" in call["prompt"]  # the agent is told which checks the PR must pass
    if backend == "claude":
        assert "Bash(python -m pytest *)" in args["allowedTools"] and "Bash(ruff check . *)" in args["allowedTools"]
        assert args["max_budget_usd"] == 100.0
    elif backend == "codex":
        assert args["sandbox"] == "workspace-write"
    elif backend == "aider":
        assert args["auto_test"] and args["test_cmd"].startswith("python -m pytest -q --junitxml=")
        assert args["lint_cmd"] == ["ruff check ."]
    elif backend == "gemini":
        [policy] = args["policy"]
        text = open(policy, encoding="utf-8").read()
        assert 'commandPrefix = "python -m pytest"' in text and 'commandPrefix = "git diff"' in text


@pytest.mark.parametrize(("behaviour", "why"), [({"no_result": True}, "no cost report"),
                                                ({"sleep": 30}, "killed at its timeout")])
@pytest.mark.parametrize("backend", ["claude", "codex", "aider", "gemini"])
def test_unknown_cost_is_charged_the_run_cap_and_marked_estimated(backend: str, behaviour: dict[str, object],
                                                                  why: str, code_env: CodeEnv) -> None:
    n = code_env.issue()
    agent = dataclasses.replace(BACKEND_AGENTS[backend], max_cost_usd=2.5, timeout_s=3)
    code_env.fakes.script(edits={"feature.txt": "done\n"}, **behaviour)
    ctx = code_env.ctx(_config(code_env, agent, monthly_usd=50.0))  # type: ignore[arg-type]
    r = run(CodeOptions(issue=n, agent=agent.name, repo=REPO), ctx)
    [cost] = list(ctx.store.read_log(docs.COSTS))
    assert cost["estimated"] is True and cost["cost_usd"] == 2.5, (why, cost, r.reason)
    assert r.cost_usd == 2.5
    ts = parse_time(cost["ts"])
    assert ts is not None
    report = compute_agent_report(Window(ts - dt.timedelta(days=1), ts + dt.timedelta(seconds=1)), costs=[cost])
    assert report.cost.estimated_spend_usd == 2.5 and report.cost.reported_spend_usd == 0.0


def test_no_agent_starts_when_the_month_holds_less_than_its_run_cap(code_env: CodeEnv) -> None:
    n = code_env.issue()
    agent = dataclasses.replace(BACKEND_AGENTS["claude"], max_cost_usd=3.0)
    ctx = code_env.ctx(_config(code_env, agent, monthly_usd=10.0))  # type: ignore[arg-type]
    ctx.store.append(docs.COSTS, {"repo": REPO, "issue": 999, "pr": None, "agent": "claude", "backend": "claude",
                                  "kind": "code", "cost_usd": 7.5, "turns": 3, "duration_s": 1.0})
    with pytest.raises(WorkFailed) as refused:
        run(CodeOptions(issue=n, agent="claude", repo=REPO), ctx)
    assert "less than the run cap of $3.00" in refused.value.message and refused.value.exit_code == 1
    assert code_env.fakes.calls() == []


def test_claude_gets_the_smallest_of_run_cap_task_and_month_remaining(code_env: CodeEnv) -> None:
    n = code_env.issue()
    agent = dataclasses.replace(BACKEND_AGENTS["claude"], max_cost_usd=4.0)
    ctx = code_env.ctx(_config(code_env, agent, monthly_usd=20.0, per_task_usd=5.0))  # type: ignore[arg-type]
    ctx.store.append(docs.COSTS, {"repo": REPO, "issue": n, "pr": None, "agent": "claude", "backend": "claude",
                                  "kind": "code", "cost_usd": 2.25, "turns": 3, "duration_s": 1.0})
    run(CodeOptions(issue=n, agent="claude", repo=REPO), ctx)
    [call] = code_env.fakes.calls()
    assert call["args"]["max_budget_usd"] == 2.75  # task: 5.00 - 2.25 < run cap 4.00 < month 17.75


def test_explicit_allowed_tools_replace_the_default(code_env: CodeEnv) -> None:
    n = code_env.issue()
    agent = dataclasses.replace(BACKEND_AGENTS["claude"], allowed_tools=("Bash(make check)",))
    run(CodeOptions(issue=n, agent="claude", repo=REPO), code_env.ctx(_config(code_env, agent)))  # type: ignore[arg-type]
    [call] = code_env.fakes.calls()
    assert call["args"]["allowedTools"] == ["Bash(make check)"]


def test_progress_is_plain_lines_off_a_terminal() -> None:
    err = io.StringIO()
    line = LiveLine(Output(err=err), "claude (claude)")
    line.update("turn 1")
    line.update("turn 1")  # unchanged: not printed twice
    line.update("turn 2, $0.10 so far, Bash: pytest -q")
    line.close()
    assert err.getvalue().splitlines() == ["claude (claude): turn 1",
                                           "claude (claude): turn 2, $0.10 so far, Bash: pytest -q"]
