"""Run one coding agent in its worktree: scrubbed environment, wall-clock timeout, turn and
cost caps, and a redacted transcript. The caps are checked against what the CLI itself
reports, so a CLI that overruns its own --max-turns still counts as a failed run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agentops import proc
from agentops.agents import Resolved
from agentops.agents.base import Invocation, Usage
from agentops.redact import Redactor
from agentops.settings import AgentConfig

MAX_TRANSCRIPT = 2 * 1024 * 1024


@dataclass(frozen=True)
class AgentRun:
    ok: bool
    reason: str | None
    returncode: int | None
    timed_out: bool
    duration_s: float
    cost_usd: float | None
    turns: int | None
    summary: str
    transcript: str  # redacted
    argv: tuple[str, ...]


def agent_env(env: Mapping[str, str], agent: AgentConfig, resolved: Resolved,
              secret_names: Iterable[str] = ()) -> dict[str, str]:
    """The agent's environment: no GitHub/deploy tokens or secret-looking variables, except the
    backend's own credentials and what agents[].env_allow names explicitly."""
    explicit = set(agent.env_allow)
    allow = explicit | set(resolved.backend.default_env_allow)
    # Configured secrets go even when a backend default would let them through.
    allow -= set(secret_names) - explicit
    out = proc.scrub_env(env, allow=allow)
    out["GIT_TERMINAL_PROMPT"] = "0"
    return out


def run_agent(agent: AgentConfig, resolved: Resolved, inv: Invocation, *, env: Mapping[str, str],
              redactor: Redactor, timeout_s: float | None = None) -> AgentRun:
    launch = resolved.backend.launch(agent, inv)
    res = proc.run(launch.argv, cwd=inv.worktree, env=env, timeout=timeout_s or agent.timeout_s,
                   stdin=launch.stdin, redactor=redactor, max_output=MAX_TRANSCRIPT)
    usage = resolved.backend.parse(res.output) if res.error is None else Usage()
    reason = _failure(agent, res, usage, timeout_s or agent.timeout_s)
    transcript = redactor.redact(_transcript(launch.argv, res, usage, reason))
    return AgentRun(ok=reason is None, reason=reason, returncode=res.returncode, timed_out=res.timed_out,
                    duration_s=res.duration_s, cost_usd=usage.cost_usd, turns=usage.turns,
                    summary=redactor.redact(usage.summary), transcript=transcript, argv=launch.argv)


def _failure(agent: AgentConfig, res: proc.ProcResult, usage: Usage, timeout: float) -> str | None:
    if res.error:
        return f"agent could not start: {res.error}"
    if res.timed_out:
        return f"agent timed out after {timeout:g}s"
    if res.returncode != 0:
        return f"agent exited with status {res.returncode}"
    if usage.turns is not None and usage.turns > agent.max_turns:
        return f"agent used {usage.turns} turns, over the cap of {agent.max_turns}"
    if usage.cost_usd is not None and agent.max_cost_usd is not None and usage.cost_usd > agent.max_cost_usd:
        return f"agent cost ${usage.cost_usd:.2f}, over the per-run cap of ${agent.max_cost_usd:.2f}"
    if usage.error:
        return usage.error
    return None


def _transcript(argv: tuple[str, ...], res: proc.ProcResult, usage: Usage, reason: str | None) -> str:
    head = [
        f"$ {' '.join(argv)}",
        f"exit: {res.returncode}  timed_out: {res.timed_out}  duration_s: {res.duration_s:.1f}",
        f"turns: {usage.turns}  cost_usd: {usage.cost_usd}",
        f"result: {'ok' if reason is None else 'failed: ' + reason}",
        "-" * 60,
    ]
    return "\n".join(head) + "\n" + res.output + ("\n" if not res.output.endswith("\n") else "")
