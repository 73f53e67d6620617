"""Each backend against a fake CLI that parses the real tool's flags strictly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentops.agents import BACKENDS, Resolved, check_backends, resolve
from agentops.agents.base import Invocation
from agentops.agents.pins import PINS
from agentops.agents.runner import agent_env, run_agent
from agentops.commands.code import CodeOptions, run
from agentops.errors import BadInput
from agentops.redact import Redactor
from agentops.settings import AgentConfig, Config
from tests.code.conftest import REPO, CodeEnv
from tests.fixtures.agents import FakeAgents

AGENTS = {
    "claude": AgentConfig(name="c", backend="claude", max_turns=5, model="sonnet"),
    "codex": AgentConfig(name="x", backend="codex", max_turns=5, model="gpt-5.5"),
    "aider": AgentConfig(name="a", backend="aider", max_turns=5),
    "gemini": AgentConfig(name="g", backend="gemini", max_turns=5, model="gemini-2.5-pro"),
    "command": AgentConfig(name="k", backend="command", max_turns=5,
                           command=("fake-agent", "--prompt-file", "{prompt_file}", "--worktree", "{worktree}",
                                    "--issue", "{issue}")),
}


@pytest.mark.parametrize("backend", sorted(AGENTS))
def test_backend_runs_its_cli_and_reads_cost_and_turns(backend: str, fake_agents: FakeAgents,
                                                       tmp_path: Path) -> None:
    fake_agents.script(edits={"out.txt": "hi\n"}, turns=4, cost=0.8)
    work, run_dir = tmp_path / "wt", tmp_path / "run"
    work.mkdir()
    run_dir.mkdir()
    prompt = tmp_path / "prompt.md"
    prompt.write_text("Do the thing for {issue} $(rm -rf /)")
    agent = AGENTS[backend]
    env = fake_agents.env(dict(os.environ))
    resolved = resolve(agent, env)
    inv = Invocation(executable=resolved.executable, prompt_file=prompt, worktree=work, issue=9, repo=REPO,
                     branch="agentops/9-x", run_dir=run_dir)
    result = run_agent(agent, resolved, inv, env=agent_env(env, agent, resolved), redactor=Redactor())
    assert result.ok, (result.reason, result.transcript)
    assert (work / "out.txt").read_text() == "hi\n"
    [call] = fake_agents.calls()
    assert call["tool"] == (resolved.executable.rsplit("/", 1)[-1])
    # passed verbatim, never expanded (gemini appends its --prompt text to stdin)
    assert call["prompt"].startswith("Do the thing for {issue} $(rm -rf /)")
    assert result.turns == 4
    # codex and gemini report tokens: 100k in (40k cached) + 10k out per turn, times the price table
    expected_cost = {"codex": 4 * (0.3 + 0.02 + 0.3), "gemini": 0.075 + 0.005 + 0.1}.get(backend, 0.8)
    assert result.cost_usd == pytest.approx(expected_cost)
    assert result.cost_source == ("tokens" if backend in ("codex", "gemini") else "reported")
    if backend == "aider":
        assert not any(p.name.startswith(".aider") for p in work.iterdir())  # history kept out of the PR
        assert (run_dir / "aider.chat.history.md").exists()


def test_unknown_backend_and_missing_executable_exit_2_with_install_hint(code_env: CodeEnv) -> None:
    n = code_env.issue()
    with pytest.raises(BadInput) as bad:
        run(CodeOptions(issue=n, agent="claude", repo=REPO, backend="gpt-pilot"), code_env.ctx())
    assert bad.value.exit_code == 2 and "unknown agent backend" in bad.value.message
    code_env.fakes.remove("claude")
    with pytest.raises(BadInput) as missing:
        run(CodeOptions(issue=n, agent="claude", repo=REPO), code_env.ctx())
    assert missing.value.hint and "npm install -g @anthropic-ai/claude-code" in missing.value.hint
    assert code_env.fakes.calls() == []


def test_check_backends_lists_every_agent_for_doctor(fake_agents: FakeAgents) -> None:
    fake_agents.remove("codex")
    cfg = Config(agents=(AGENTS["claude"], AGENTS["codex"], AGENTS["command"]))
    rows = check_backends(cfg, fake_agents.env(dict(os.environ)))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("c", "claude", "claude", True), ("x", "codex", "codex", False), ("k", "command", "fake-agent", True)]
    assert rows[1][4] == "npm install -g @openai/codex@" + PINS["codex"].version


def test_agent_env_drops_tokens_unless_allowed() -> None:
    agent = AgentConfig(name="c", backend="claude", env_allow=("DEPLOY_TOKEN",))
    env = {"PATH": "/bin", "GH_TOKEN": "x" * 10, "GITHUB_TOKEN": "y" * 10, "DEPLOY_TOKEN": "z" * 10,
           "OTHER_SECRET": "s" * 10, "ANTHROPIC_API_KEY": "k" * 10, "MY_CONF": "v"}
    claude = Resolved(BACKENDS["claude"], "/bin/claude")
    # A configured secret stays out even though the backend would pass it by default.
    out = agent_env(env, agent, claude, secret_names=("ANTHROPIC_API_KEY",))
    identity = {f"GIT_{r}_{k}" for r in ("AUTHOR", "COMMITTER") for k in ("NAME", "EMAIL")}
    assert set(out) == {"PATH", "DEPLOY_TOKEN", "MY_CONF", "GIT_TERMINAL_PROMPT", *identity}
    out2 = agent_env(env, agent, claude)
    assert "ANTHROPIC_API_KEY" in out2 and "GH_TOKEN" not in out2
