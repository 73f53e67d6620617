"""Run one coding agent in its worktree: scrubbed environment, wall-clock timeout, turn and
cost caps, and a redacted transcript. The caps are checked against what the CLI itself
reports, so a CLI that overruns its own --max-turns still counts as a failed run.

The output is read line by line as it arrives (the backend's Tracker), so progress shows while
the agent works and a run killed at its timeout still reports the turns it used; its cost is
then unknown (the last turn is unreported), which the budget charges as the run's cap.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentops import proc
from agentops.agents import Resolved
from agentops.agents.base import Invocation, Progress, Tracker, Usage
from agentops.agents.pricing import Prices
from agentops.errors import AgentOpsError
from agentops.git.guard import Guard, is_git_dir, worktree_pointers
from agentops.git.worktree import BOT_EMAIL, BOT_NAME, common_dir
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
    # "reported": dollars from the CLI; "tokens": tokens x price table; "unknown": neither, or the
    # run did not finish (killed, crashed), so what it printed is not the whole bill.
    cost_source: str = "unknown"
    details: Mapping[str, Any] = field(default_factory=dict)
    # What the agent changed of what a human's git runs (agentops.git.guard), put back: fail closed.
    tampered: tuple[str, ...] = ()


class _Lines:
    """Splits the byte stream into lines for the tracker; calls `on_progress` when it changed."""

    MAX_LINE = 4 * 1024 * 1024  # a longer line is cut (a JSON event that large is not parsed)

    def __init__(self, tracker: Tracker, on_progress: Callable[[Progress], None] | None) -> None:
        self.tracker = tracker
        self.on_progress = on_progress
        self.buf = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.buf += chunk
        while (nl := self.buf.find(b"\n")) >= 0:
            line = bytes(self.buf[:nl])
            del self.buf[: nl + 1]
            self._line(line)
        if len(self.buf) > self.MAX_LINE:
            del self.buf[:]

    def close(self) -> None:
        if self.buf:
            self._line(bytes(self.buf))
            del self.buf[:]

    def _line(self, raw: bytes) -> None:
        if self.tracker.feed(raw.decode("utf-8", "replace")) and self.on_progress is not None:
            self.on_progress(self.tracker.progress())


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
    # git refuses a merge (even --no-commit) without an identity; the agent's own git work is
    # done as agentops (which folds it into its own commit anyway). An identity is not a credential.
    for role in ("AUTHOR", "COMMITTER"):
        out.setdefault(f"GIT_{role}_NAME", BOT_NAME)
        out.setdefault(f"GIT_{role}_EMAIL", BOT_EMAIL)
    return out


def run_agent(agent: AgentConfig, resolved: Resolved, inv: Invocation, *, env: Mapping[str, str],
              redactor: Redactor, timeout_s: float | None = None, prices: Prices | None = None,
              on_progress: Callable[[Progress], None] | None = None, writable: Sequence[Path] = (),
              settings: Mapping[str, str] | None = None) -> AgentRun:
    """Run the agent isolated (proc.untrusted_argv): its worktree, its run folder and `writable`
    writable; its executable and prompt readable. `settings` is agentops's own environment (sandbox
    options), never handed to the agent."""
    launch = resolved.backend.launch(agent, inv)
    tracker = resolved.backend.tracker(agent, prices or Prices())
    lines = _Lines(tracker, on_progress)
    exe = Path(shutil.which(launch.argv[0], path=env.get("PATH")) or launch.argv[0])
    # Files the configured command names (a script, a config) stay readable; the operator chose them.
    named = [Path(a) if Path(a).is_dir() else Path(a).parent for a in launch.argv[1:]
             if a.startswith("/") and Path(a).exists()]
    shared = _git_dirs(inv.worktree, writable)
    pointers = worktree_pointers(inv.worktree)
    argv = proc.untrusted_argv(launch.argv, writable=(inv.worktree, inv.run_dir, *writable),
                               readable=(exe.parent, exe.resolve().parent, inv.prompt_file.parent, *named),
                               env=settings, protect=(*shared, *pointers))
    guard = Guard.take(shared, settings if settings is not None else os.environ, pointers)
    try:
        res = proc.run(argv, cwd=inv.worktree, env={**env, **launch.env}, timeout=timeout_s or agent.timeout_s,
                       stdin=launch.stdin, redactor=redactor, max_output=MAX_TRANSCRIPT, on_output=lines.feed)
    finally:
        tampered = tuple(guard.restore())  # before anything else runs git there
    lines.close()
    usage = tracker.usage() if res.error is None else Usage()
    reason = _failure(agent, res, usage, timeout_s or agent.timeout_s)
    if tampered:
        reason = ("the agent changed what a human's git would run or trust (put back; a person should look): "
                  + "; ".join(tampered[:20]))
    finished = res.error is None and not res.timed_out
    source = "unknown"
    if finished and usage.cost_usd is not None:
        source = "tokens" if usage.cost_from_tokens else "reported"
    transcript = redactor.redact(_transcript(launch.argv, res, usage, reason))
    return AgentRun(ok=reason is None, reason=reason, returncode=res.returncode, timed_out=res.timed_out,
                    duration_s=res.duration_s, cost_usd=usage.cost_usd if source != "unknown" else None,
                    turns=usage.turns, summary=redactor.redact(usage.summary), transcript=transcript,
                    argv=launch.argv, cost_source=source,
                    details={**usage.details, "partial_cost_usd": usage.cost_usd} if source == "unknown"
                    else dict(usage.details), tampered=tampered)


def _git_dirs(worktree: Path, writable: Sequence[Path]) -> list[Path]:
    """The git dir the worktree shares with its main checkout, and any writable git dir."""
    found = [p for p in writable if is_git_dir(p)]
    if (worktree / ".git").exists():
        try:
            found.append(common_dir(worktree))
        except AgentOpsError:
            pass  # not a repository: nothing shared to guard
    return found


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
