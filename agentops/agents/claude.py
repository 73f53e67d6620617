"""Claude Code in print mode: `claude -p --output-format json --max-turns N --permission-mode M`.

The prompt goes on stdin (an argv element is capped at 128 KiB on Linux). The CLI ends with
one result object: {"type": "result", "subtype": "success"|"error_max_turns"|..., "is_error",
"num_turns", "total_cost_usd", "result"}.
"""

from __future__ import annotations

from agentops.agents.base import Invocation, Launch, Usage, as_float, as_int, json_objects
from agentops.settings import AgentConfig


class ClaudeBackend:
    name = "claude"
    default_executable = "claude"
    install_hint = "npm install -g @anthropic-ai/claude-code"
    default_env_allow: tuple[str, ...] = ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN")

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        argv = [inv.executable, "-p", "--output-format", "json", "--max-turns", str(agent.max_turns),
                "--permission-mode", agent.permission_mode]
        if agent.model:
            argv += ["--model", agent.model]
        argv += list(agent.extra_args)
        return Launch(tuple(argv), stdin=inv.prompt_file.read_text(encoding="utf-8"))

    def parse(self, output: str) -> Usage:
        result = None
        for obj in json_objects(output):
            if obj.get("type") == "result":
                result = obj
        if result is None:
            return Usage(error="claude printed no result JSON")
        subtype = str(result.get("subtype") or "")
        error = None
        if result.get("is_error") or (subtype and subtype != "success"):
            error = f"claude reported {subtype or 'an error'}"
        return Usage(cost_usd=as_float(result.get("total_cost_usd")), turns=as_int(result.get("num_turns")),
                     summary=str(result.get("result") or ""), error=error,
                     details={"session_id": result.get("session_id"), "subtype": subtype})
