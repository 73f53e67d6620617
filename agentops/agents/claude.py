"""Claude Code in print mode, streaming:
`claude -p --output-format stream-json --verbose --max-turns N --max-budget-usd X
 --allowedTools RULE... --permission-mode M [--model M]`.

The prompt goes on stdin (an argv element is capped at 128 KiB on Linux). stream-json needs
--verbose in print mode (the CLI refuses it otherwise). One JSON object per line: a `system/init`
line, then `assistant` and `user` messages (tool calls, tool results, per-message token usage),
and at the end one `result` line: {"type": "result", "subtype", "is_error", "num_turns",
"total_cost_usd", "result"}. Print mode denies every tool not allowed by a rule, so without
--allowedTools the agent could not run the tests the prompt asks for.
"""

from __future__ import annotations

from typing import Any

from agentops.agents import gates as agent_gates
from agentops.agents.base import Invocation, Launch, Progress, Usage, as_float, as_int, json_object, short
from agentops.agents.pins import PINS
from agentops.agents.pricing import Prices
from agentops.settings import AgentConfig


def allowed_tools(agent: AgentConfig, inv: Invocation) -> tuple[str, ...]:
    if agent.allowed_tools is not None:
        return agent.allowed_tools
    return agent_gates.bash_rules(agent_gates.allowed_commands(inv.gates))


class ClaudeTracker:
    def __init__(self, prices: Prices) -> None:
        self.prices = prices
        self.model: str | None = None
        self.messages: dict[str, tuple[int, int, int]] = {}  # id -> (input incl. cached, cached, output)
        self.tool: str | None = None
        self.result: dict[str, Any] | None = None

    def feed(self, line: str) -> bool:
        obj = json_object(line)
        if obj is None:
            return False
        kind = obj.get("type")
        if kind == "system" and obj.get("subtype") == "init":
            self.model = str(obj.get("model") or "") or None
            return False
        if kind == "assistant":
            self._assistant(obj.get("message"))
            return True
        if kind == "result":
            self.result = obj
            return True
        return False

    def _assistant(self, message: object) -> None:
        if not isinstance(message, dict):
            return
        # One model turn may arrive as several lines (one per content block) sharing its id and usage.
        key = str(message.get("id") or f"#{len(self.messages)}")
        usage = message.get("usage")
        if isinstance(usage, dict):
            cached = as_int(usage.get("cache_read_input_tokens")) or 0
            fresh = sum(as_int(usage.get(k)) or 0 for k in ("input_tokens", "cache_creation_input_tokens"))
            self.messages[key] = (fresh + cached, cached, as_int(usage.get("output_tokens")) or 0)
        else:
            self.messages.setdefault(key, (0, 0, 0))
        for block in message.get("content") or ():
            if isinstance(block, dict) and block.get("type") == "tool_use":
                inp = block.get("input")
                what = (inp.get("command") or inp.get("file_path")) if isinstance(inp, dict) else None
                self.tool = short(f"{block.get('name')}: {what}" if what else str(block.get("name")))

    @property
    def turns(self) -> int:
        return len(self.messages)

    def tokens(self) -> dict[str, int]:
        values = list(self.messages.values())
        return {"input": sum(v[0] for v in values), "cached": sum(v[1] for v in values),
                "output": sum(v[2] for v in values)}

    def _estimate(self) -> float | None:
        t = self.tokens()
        return self.prices.cost(self.model, input_tokens=t["input"], output_tokens=t["output"],
                                cached_input_tokens=t["cached"])

    def progress(self) -> Progress:
        if self.result is not None:
            return Progress(turns=as_int(self.result.get("num_turns")) or self.turns,
                            cost_usd=as_float(self.result.get("total_cost_usd")), tool=None)
        return Progress(turns=self.turns, cost_usd=self._estimate(), tool=self.tool)

    def usage(self) -> Usage:
        details = {"model": self.model, "tokens": self.tokens()}
        result = self.result
        if result is None:
            # Killed or crashed before the final line: the turns are known, the dollars are not
            # (the token estimate is only as good as the price table, so it is kept apart).
            return Usage(turns=self.turns or None, error="claude printed no result JSON",
                         details={**details, "estimated_cost_usd": self._estimate()})
        subtype = str(result.get("subtype") or "")
        error = None
        if result.get("is_error") or (subtype and subtype != "success"):
            what = subtype if subtype and subtype != "success" else "an error"
            error = f"claude reported {what}: {short(str(result.get('result') or ''), 200)}".rstrip(": ")
        return Usage(cost_usd=as_float(result.get("total_cost_usd")), turns=as_int(result.get("num_turns")),
                     summary=str(result.get("result") or ""), error=error,
                     details={**details, "session_id": result.get("session_id"), "subtype": subtype})


class ClaudeBackend:
    name = "claude"
    default_executable = "claude"
    install_hint = f"npm install -g {PINS['claude'].spec}"
    default_env_allow: tuple[str, ...] = ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN")
    runs_tests = True
    reports_cost = "dollars"
    streams = True

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        argv = [inv.executable, "-p", "--output-format", "stream-json", "--verbose", "--max-turns", str(agent.max_turns)]
        if inv.max_budget_usd is not None:
            argv += ["--max-budget-usd", f"{inv.max_budget_usd:.2f}"]
        rules = allowed_tools(agent, inv)
        if rules:
            # Variadic option: ended by the next option, so it never swallows anything else.
            argv += ["--allowedTools", *rules]
        argv += ["--permission-mode", agent.permission_mode]
        if agent.model:
            argv += ["--model", agent.model]
        argv += list(agent.extra_args)
        return Launch(tuple(argv), stdin=inv.prompt_file.read_text(encoding="utf-8"))

    def tracker(self, agent: AgentConfig, prices: Prices) -> ClaudeTracker:
        return ClaudeTracker(prices)
