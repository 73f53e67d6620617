"""Any executable, configured as an argv list with placeholders:
{prompt_file} {worktree} {issue} {repo} {branch}.

Placeholders are substituted per argument with plain string replacement (never str.format,
never a shell), so braces in values cannot expand into anything. If the command prints a
JSON line with total_cost_usd/cost_usd and num_turns/turns, those are used.
"""

from __future__ import annotations

from agentops.agents.base import Invocation, Launch, Usage, as_float, as_int, json_objects
from agentops.settings import AgentConfig


class CommandBackend:
    name = "command"
    default_executable = ""
    install_hint = "set agents[].command to an argv list whose first item is an installed executable"
    default_env_allow: tuple[str, ...] = ()

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        values = {"{prompt_file}": str(inv.prompt_file), "{worktree}": str(inv.worktree),
                  "{issue}": str(inv.issue), "{repo}": inv.repo, "{branch}": inv.branch}
        argv = [inv.executable]
        for arg in [*agent.command[1:], *agent.extra_args]:
            for key, val in values.items():
                arg = arg.replace(key, val)
            argv.append(arg)
        return Launch(tuple(argv))

    def parse(self, output: str) -> Usage:
        cost: float | None = None
        turns: int | None = None
        summary = ""
        for obj in json_objects(output):
            c = as_float(obj.get("total_cost_usd", obj.get("cost_usd")))
            t = as_int(obj.get("num_turns", obj.get("turns")))
            cost = c if c is not None else cost
            turns = t if t is not None else turns
            if isinstance(obj.get("result"), str):
                summary = obj["result"]
        return Usage(cost_usd=cost, turns=turns, summary=summary)
