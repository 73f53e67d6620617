"""Aider in non-interactive message mode:
`aider --message-file F --yes-always --no-auto-commits ... --test-cmd CMD --auto-test --lint-cmd CMD`.

The gates become aider's own checks: every non-lint gate chained into one --test-cmd (with
--auto-test aider runs it after its edits and works on the failures), each lint gate a --lint-cmd.
Aider keeps chat/input history files in the cwd by default; they are pointed at the run folder so
they never end up in the pull request. Aider prints one "Tokens: ... Cost: $X message, $Y session."
line per LLM exchange; a run that prints none has an unknown cost (aider exits 0 even when the API
refuses its key, so "no cost line" is common and is charged as unknown, never as $0).
"""

from __future__ import annotations

import re

from agentops.agents import gates as agent_gates
from agentops.agents.base import Invocation, Launch, Progress, Usage
from agentops.agents.pins import PINS
from agentops.agents.pricing import Prices
from agentops.settings import AgentConfig

_COST_RE = re.compile(r"Cost:\s*\$([0-9]+(?:\.[0-9]+)?)\s*message,\s*\$([0-9]+(?:\.[0-9]+)?)\s*session")


class AiderTracker:
    def __init__(self) -> None:
        self.turns = 0
        self.session: float | None = None

    def feed(self, line: str) -> bool:
        m = _COST_RE.search(line)
        if m is None:
            return False
        self.turns += 1
        self.session = float(m[2])
        return True

    def progress(self) -> Progress:
        return Progress(turns=self.turns, cost_usd=self.session)

    def usage(self) -> Usage:
        return Usage(cost_usd=self.session, turns=self.turns or None)


class AiderBackend:
    name = "aider"
    default_executable = "aider"
    install_hint = f"python -m pip install {PINS['aider'].spec} (in a virtual environment of its own)"
    default_env_allow: tuple[str, ...] = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "DEEPSEEK_API_KEY",
                                          "OPENROUTER_API_KEY")
    runs_tests = True
    reports_cost = "dollars"
    streams = True

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        argv = [inv.executable, "--message-file", str(inv.prompt_file), "--yes-always", "--no-auto-commits",
                "--no-gitignore", "--no-pretty", "--no-stream", "--no-check-update", "--analytics-disable",
                "--chat-history-file", str(inv.run_dir / "aider.chat.history.md"),
                "--input-history-file", str(inv.run_dir / "aider.input.history")]
        test_cmd, lint_cmds = agent_gates.split_gates(inv.gates, str(inv.run_dir / "reports"))
        if test_cmd:
            argv += ["--test-cmd", test_cmd, "--auto-test"]
        for lint in lint_cmds:
            argv += ["--lint-cmd", lint]
        if lint_cmds:
            argv += ["--auto-lint"]
        if agent.model:
            argv += ["--model", agent.model]
        argv += list(agent.extra_args)
        return Launch(tuple(argv))

    def tracker(self, agent: AgentConfig, prices: Prices) -> AiderTracker:
        return AiderTracker()
