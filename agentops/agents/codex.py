"""OpenAI Codex CLI: `codex exec --json --sandbox MODE --skip-git-repo-check --cd DIR [--model M] -`
(prompt on stdin, JSONL events on stdout).

`--full-auto` is gone from `codex exec` (it exits 2 on it); `--sandbox workspace-write` lets the
agent edit the worktree and run the tests inside codex's own sandbox. Events: thread.started,
turn.started, item.started/item.completed (agent_message, command_execution, file_change, ...),
turn.completed {usage: input_tokens, cached_input_tokens, output_tokens}, turn.failed, and error
(also sent for transient reconnects, so only an error the run never recovered from counts).
A turn is a `turn.completed`, not an item. Codex reports tokens, not dollars: the cost is the
tokens times the model's price (agentops.agents.pricing); an unpriced model leaves it unknown.
"""

from __future__ import annotations

from agentops.agents.base import Invocation, Launch, Progress, Usage, as_int, json_object, short
from agentops.agents.pins import PINS
from agentops.agents.pricing import Prices
from agentops.settings import AgentConfig


class CodexTracker:
    def __init__(self, model: str | None, prices: Prices) -> None:
        self.model = model
        self.prices = prices
        self.turns = 0
        self.tokens = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0}
        self.message = ""
        self.tool: str | None = None
        self.failed: str | None = None
        self.last_error: str | None = None
        self.saw_events = False

    def feed(self, line: str) -> bool:
        ev = json_object(line)
        kind = ev.get("type") if ev else None
        if ev is None or not isinstance(kind, str):
            return False
        self.saw_events = True
        item = ev.get("item")
        if kind in ("item.started", "item.completed") and isinstance(item, dict):
            return self._item(kind, item)
        if kind == "turn.completed":
            self.turns += 1
            self.last_error = None  # recovered
            usage = ev.get("usage")
            if isinstance(usage, dict):
                for k in self.tokens:
                    self.tokens[k] += as_int(usage.get(k)) or 0
            return True
        if kind == "turn.failed":
            err = ev.get("error")
            self.failed = str(err.get("message") if isinstance(err, dict) else err or "turn failed")
            return True
        if kind == "error":
            self.last_error = str(ev.get("message") or "error")
        return False

    def _item(self, kind: str, item: dict[str, object]) -> bool:
        itype = item.get("type")
        if itype == "command_execution" and kind == "item.started":
            self.tool = short(f"shell: {item.get('command')}")
            return True
        if itype == "file_change" and kind == "item.completed":
            self.tool = "edit"
            return True
        if itype == "agent_message" and kind == "item.completed":
            self.message = str(item.get("text") or "")
        return False

    def _cost(self) -> float | None:
        return self.prices.cost(self.model, input_tokens=self.tokens["input_tokens"],
                                output_tokens=self.tokens["output_tokens"],
                                cached_input_tokens=self.tokens["cached_input_tokens"])

    def progress(self) -> Progress:
        return Progress(turns=self.turns, cost_usd=self._cost(), tool=self.tool)

    def usage(self) -> Usage:
        if not self.saw_events:
            return Usage(error="codex printed no JSON events")
        error = None
        if self.failed:
            error = f"codex reported an error: {short(self.failed, 300)}"
        elif self.turns == 0 and self.last_error:
            error = f"codex reported an error: {short(self.last_error, 300)}"
        cost = self._cost() if self.turns else None
        return Usage(cost_usd=cost, turns=self.turns, summary=self.message, error=error,
                     details={**self.tokens, "model": self.model}, cost_from_tokens=cost is not None)


class CodexBackend:
    name = "codex"
    default_executable = "codex"
    install_hint = f"npm install -g {PINS['codex'].spec}"
    default_env_allow: tuple[str, ...] = ("OPENAI_API_KEY", "CODEX_API_KEY")
    runs_tests = True
    reports_cost = "tokens"
    streams = True

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        argv = [inv.executable, "exec", "--json", "--sandbox", agent.sandbox_mode, "--skip-git-repo-check",
                "--cd", str(inv.worktree)]
        if agent.model:
            argv += ["--model", agent.model]
        argv += [*agent.extra_args, "-"]
        return Launch(tuple(argv), stdin=inv.prompt_file.read_text(encoding="utf-8"))

    def tracker(self, agent: AgentConfig, prices: Prices) -> CodexTracker:
        return CodexTracker(agent.model, prices)
