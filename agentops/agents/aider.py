"""Aider in non-interactive message mode: `aider --message-file F --yes-always --no-auto-commits`.

Aider keeps chat/input history files in the cwd by default; they are pointed at the run
folder so they can never end up in the pull request. Aider prints one
"Tokens: ... Cost: $X message, $Y session." line per LLM exchange.
"""

from __future__ import annotations

import re

from agentops.agents.base import Invocation, Launch, Usage
from agentops.settings import AgentConfig

_COST_RE = re.compile(r"Cost:\s*\$([0-9]+(?:\.[0-9]+)?)\s*message,\s*\$([0-9]+(?:\.[0-9]+)?)\s*session")


class AiderBackend:
    name = "aider"
    default_executable = "aider"
    install_hint = "python -m pip install aider-install && aider-install"
    default_env_allow: tuple[str, ...] = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "DEEPSEEK_API_KEY",
                         "OPENROUTER_API_KEY")

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        argv = [inv.executable, "--message-file", str(inv.prompt_file), "--yes-always", "--no-auto-commits",
                "--no-gitignore", "--no-pretty", "--no-stream", "--no-check-update", "--analytics-disable",
                "--chat-history-file", str(inv.run_dir / "aider.chat.history.md"),
                "--input-history-file", str(inv.run_dir / "aider.input.history")]
        if agent.model:
            argv += ["--model", agent.model]
        argv += list(agent.extra_args)
        return Launch(tuple(argv))

    def parse(self, output: str) -> Usage:
        matches = _COST_RE.findall(output)
        if not matches:
            return Usage(cost_usd=None, turns=None)
        return Usage(cost_usd=float(matches[-1][1]), turns=len(matches))
