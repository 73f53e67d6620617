"""Any executable, configured as an argv list with placeholders:
{prompt_file} {worktree} {issue} {repo} {branch}.

Placeholders are substituted per argument with plain string replacement (never str.format,
never a shell), so braces in values cannot expand into anything. If the command prints a
JSON line with total_cost_usd/cost_usd and num_turns/turns, those are used.
"""

from __future__ import annotations

from agentops.agents.base import Invocation, Launch, Progress, Usage, as_float, as_int, json_object
from agentops.agents.pricing import Prices
from agentops.settings import AgentConfig


class CommandTracker:
    def __init__(self) -> None:
        self.cost: float | None = None
        self.turns: int | None = None
        self.summary = ""

    def feed(self, line: str) -> bool:
        obj = json_object(line)
        if obj is None:
            return False
        c = as_float(obj.get("total_cost_usd", obj.get("cost_usd")))
        t = as_int(obj.get("num_turns", obj.get("turns")))
        self.cost = c if c is not None else self.cost
        self.turns = t if t is not None else self.turns
        if isinstance(obj.get("result"), str):
            self.summary = obj["result"]
        return c is not None or t is not None

    def progress(self) -> Progress:
        return Progress(turns=self.turns or 0, cost_usd=self.cost)

    def usage(self) -> Usage:
        return Usage(cost_usd=self.cost, turns=self.turns, summary=self.summary)


class CommandBackend:
    name = "command"
    default_executable = ""
    install_hint = "set agents[].command to an argv list whose first item is an installed executable"
    default_env_allow: tuple[str, ...] = ()
    runs_tests = False  # unknown: whatever the configured program does
    reports_cost = "optional"
    streams = False

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        values = {"{prompt_file}": str(inv.prompt_file), "{worktree}": str(inv.worktree),
                  "{issue}": str(inv.issue), "{repo}": inv.repo, "{branch}": inv.branch}
        argv = [inv.executable]
        for arg in [*agent.command[1:], *agent.extra_args]:
            for key, val in values.items():
                arg = arg.replace(key, val)
            argv.append(arg)
        return Launch(tuple(argv))

    def tracker(self, agent: AgentConfig, prices: Prices) -> CommandTracker:
        return CommandTracker()
