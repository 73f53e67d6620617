"""Gemini CLI, headless: `gemini --prompt TEXT --output-format stream-json --approval-mode MODE
--skip-trust --policy FILE [--model M]` with the task on stdin (the CLI appends --prompt to stdin).

The policy file (in the run folder) allows the repository's gate commands and git read commands
as `run_shell_command` prefixes, the gemini form of claude's Bash(...) rules; in headless mode
anything that would ask is denied. The turn cap goes in through a settings file
(GEMINI_CLI_SYSTEM_SETTINGS_PATH, model.maxSessionTurns; the CLI exits 53 past it).
stream-json events: init {model}, message {role, content}, tool_use {tool_name, parameters},
tool_result, error, and a final result {status, stats: {input_tokens, output_tokens, cached,
models: {name: {...}}}}. Gemini reports tokens, not dollars: cost is tokens times the price table.
"""

from __future__ import annotations

import json
from typing import Any

from agentops.agents import gates as agent_gates
from agentops.agents.base import Invocation, Launch, Progress, Usage, as_int, json_object, short
from agentops.agents.pins import PINS
from agentops.agents.pricing import Prices
from agentops.settings import AgentConfig

PROMPT_TAIL = "Carry out the task described above."


def policy_toml(commands: tuple[str, ...]) -> str:
    rules = []
    for c in commands:
        # JSON string syntax is valid TOML basic-string syntax for these values.
        rules.append(f'[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = {json.dumps(c)}\n'
                     f'decision = "allow"\npriority = 100\n')
    return "# written by agentops for one run\n" + "\n".join(rules)


class GeminiTracker:
    def __init__(self, model: str | None, prices: Prices) -> None:
        self.model = model
        self.prices = prices
        self.turns = 0
        self.tool: str | None = None
        self.last: str | None = None  # kind of the previous event, to count assistant turns
        self.text: list[str] = []
        self.result: dict[str, Any] | None = None

    def feed(self, line: str) -> bool:
        ev = json_object(line)
        kind = ev.get("type") if ev else None
        if ev is None or not isinstance(kind, str):
            return False
        previous, self.last = self.last, kind if kind != "message" else f"message:{ev.get('role')}"
        if kind == "init":
            self.model = self.model or (str(ev.get("model") or "") or None)
        elif kind == "message" and ev.get("role") == "assistant":
            if previous != "message:assistant":
                self.turns += 1
                self.text = []
            self.text.append(str(ev.get("content") or ""))
            return previous != "message:assistant"
        elif kind == "tool_use":
            params = ev.get("parameters")
            what = (params.get("command") or params.get("file_path")) if isinstance(params, dict) else None
            self.tool = short(f"{ev.get('tool_name')}: {what}" if what else str(ev.get("tool_name")))
            return True
        elif kind == "result":
            self.result = ev
            return True
        return False

    def _cost(self) -> float | None:
        stats = self.result.get("stats") if self.result else None
        models = stats.get("models") if isinstance(stats, dict) else None
        if not isinstance(models, dict) or not models:
            return None
        total = 0.0
        for name, m in models.items():
            if not isinstance(m, dict):
                return None
            c = self.prices.cost(str(name), input_tokens=as_int(m.get("input_tokens")) or 0,
                                 output_tokens=as_int(m.get("output_tokens")) or 0,
                                 cached_input_tokens=as_int(m.get("cached")) or 0)
            if c is None:
                return None  # one unpriced model makes the whole run's cost unknown
            total += c
        return round(total, 6)

    def progress(self) -> Progress:
        return Progress(turns=self.turns, cost_usd=self._cost(), tool=self.tool)

    def usage(self) -> Usage:
        summary = "".join(self.text).strip()
        if self.result is None:
            return Usage(turns=self.turns or None, summary=summary, error="gemini printed no result JSON")
        error = None
        if self.result.get("status") != "success":
            err = self.result.get("error")
            msg = err.get("message") if isinstance(err, dict) else None
            error = f"gemini reported {self.result.get('status') or 'no status'}" + (f": {short(str(msg), 200)}" if msg else "")
        cost = self._cost()
        return Usage(cost_usd=cost, turns=self.turns, summary=summary, error=error,
                     details={"model": self.model, "stats": self.result.get("stats")}, cost_from_tokens=cost is not None)


class GeminiBackend:
    name = "gemini"
    default_executable = "gemini"
    install_hint = f"npm install -g {PINS['gemini'].spec}"
    default_env_allow: tuple[str, ...] = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI",
                                          "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION")
    runs_tests = True
    reports_cost = "tokens"
    streams = True

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        if agent.allowed_tools is not None:
            commands = agent_gates.commands_from_rules(agent.allowed_tools)
        else:
            commands = agent_gates.allowed_commands(inv.gates)
        policy = inv.run_dir / "gemini-policy.toml"
        policy.write_text(policy_toml(commands), encoding="utf-8")
        settings = inv.run_dir / "gemini-settings.json"
        settings.write_text(json.dumps({"model": {"maxSessionTurns": agent.max_turns}}), encoding="utf-8")
        argv = [inv.executable, "--prompt", PROMPT_TAIL, "--output-format", "stream-json",
                "--approval-mode", agent.approval_mode, "--skip-trust", "--policy", str(policy)]
        if agent.model:
            argv += ["--model", agent.model]
        argv += list(agent.extra_args)
        return Launch(tuple(argv), stdin=inv.prompt_file.read_text(encoding="utf-8"),
                      env={"GEMINI_CLI_SYSTEM_SETTINGS_PATH": str(settings)})

    def tracker(self, agent: AgentConfig, prices: Prices) -> GeminiTracker:
        return GeminiTracker(agent.model, prices)
