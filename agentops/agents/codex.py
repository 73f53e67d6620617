"""OpenAI Codex CLI: `codex exec --json --full-auto -` (prompt on stdin, JSONL events on stdout).

Codex reports tokens, not dollars, so cost stays unknown; every completed item (a command,
a file change, a message) counts as one turn so the turn cap still bounds the run.
"""

from __future__ import annotations

from agentops.agents.base import Invocation, Launch, Usage, as_int, json_objects
from agentops.settings import AgentConfig


class CodexBackend:
    name = "codex"
    default_executable = "codex"
    install_hint = "npm install -g @openai/codex"
    default_env_allow: tuple[str, ...] = ("OPENAI_API_KEY", "CODEX_API_KEY")

    def launch(self, agent: AgentConfig, inv: Invocation) -> Launch:
        argv = [inv.executable, "exec", "--json", "--full-auto", "--skip-git-repo-check", "--cd", str(inv.worktree)]
        if agent.model:
            argv += ["--model", agent.model]
        argv += [*agent.extra_args, "-"]
        return Launch(tuple(argv), stdin=inv.prompt_file.read_text(encoding="utf-8"))

    def parse(self, output: str) -> Usage:
        turns = 0
        saw_any = False
        message = ""
        error = None
        tokens = {"input_tokens": 0, "output_tokens": 0}
        for ev in json_objects(output):
            kind = ev.get("type")
            saw_any = saw_any or isinstance(kind, str)
            if kind == "item.completed":
                turns += 1
                item = ev.get("item") or {}
                if isinstance(item, dict) and item.get("type") == "agent_message":
                    message = str(item.get("text") or "")
            elif kind == "turn.completed":
                usage = ev.get("usage") or {}
                if isinstance(usage, dict):
                    for k in tokens:
                        tokens[k] += as_int(usage.get(k)) or 0
            elif kind in ("turn.failed", "error"):
                err = ev.get("error") if kind == "turn.failed" else ev
                msg = err.get("message") if isinstance(err, dict) else None
                error = f"codex reported an error: {msg or kind}"
        if not saw_any:
            return Usage(error="codex printed no JSON events")
        return Usage(cost_usd=None, turns=turns, summary=message, error=error, details=tokens)
