"""`agentops work --agent NAME`: the worker loop of a Codespace or runner.

claim -> code (the `code` command's engine, with a heartbeat thread renewing the lease) ->
release, until the queue has nothing for this agent or `max_tasks` is reached. SIGTERM and
SIGINT release the current claim (reason `signal`) before the loop exits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from agentops import interrupts
from agentops.context import Context
from agentops.errors import AgentOpsError, LostRace, WorkFailed
from agentops.orchestrator.actions import log_action
from agentops.orchestrator.claims import Claimed, claim_task, renew_lease
from agentops.orchestrator.lifecycle import finish_run
from agentops.orchestrator.release import release_claim


class EngineResult(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def pr(self) -> int | None: ...

    @property
    def reason(self) -> str | None: ...


Engine = Callable[[int, str, str, Context], EngineResult]


def code_engine(issue: int, agent: str, repo: str, ctx: Context) -> EngineResult:
    from agentops.commands.code import CodeOptions
    from agentops.commands.code import run as code_run

    result: EngineResult = code_run(CodeOptions(issue=issue, agent=agent, repo=repo), ctx)
    return result


@dataclass(frozen=True)
class WorkOptions:
    agent: str
    repo: str | None = None
    max_tasks: int | None = None
    heartbeat_s: float | None = None  # default: a third of the lease


@dataclass(frozen=True)
class TaskOutcome:
    key: str
    status: str  # the engine's status, or "interrupted" / "error"
    pr: int | None
    reason: str | None
    released: str  # release reason


@dataclass(frozen=True)
class WorkResult:
    agent: str
    outcomes: tuple[TaskOutcome, ...]
    stopped: str  # "queue-empty" | "max-tasks" | "signal"
    signal: int | None = None


class _Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals() -> Iterator[None]:
    """SIGTERM/SIGINT become _Interrupted in the main thread (elsewhere they cannot be set), raised
    between two writes, never inside one (agentops.interrupts)."""
    with interrupts.raising(_Interrupted):
        yield


class Heartbeat:
    """Renews the lease every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, ctx: Context, repo: str, issue: int, agent: str, interval: float) -> None:
        self.ctx, self.repo, self.issue, self.agent, self.interval = ctx, repo, issue, agent, interval
        self._stop = threading.Event()
        self.beats = 0
        self.lost: str | None = None
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{issue}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                renew_lease(self.ctx, self.repo, self.issue, agent=self.agent)
                self.beats += 1
            except LostRace as exc:
                self.lost = exc.message
                return
            except AgentOpsError as exc:  # GitHub down for a while: the next beat tries again
                self.ctx.output.warn(f"heartbeat for #{self.issue} failed: {exc.message}")


def run(options: WorkOptions, ctx: Context, engine: Engine | None = None) -> WorkResult:
    run_engine = engine or code_engine
    repo = ctx.repo() if options.repo is None else options.repo
    if engine is None:
        _check_agent_installed(ctx, options.agent)
    interval = options.heartbeat_s or max(1.0, ctx.config.claims.lease_minutes * 60 / 3)
    outcomes: list[TaskOutcome] = []
    current: Claimed | None = None
    with _signals():
        try:
            while options.max_tasks is None or len(outcomes) < options.max_tasks:
                got = claim_task(ctx, options.agent, repo=repo)
                if got.claimed is None:
                    return WorkResult(options.agent, tuple(outcomes), "queue-empty")
                current = got.claimed
                ctx.output.step(f"working on {current.key}: {current.title}")
                log_action(ctx, agent=options.agent, repo=repo, issue=current.issue, action="code-start",
                              result="ok")
                outcomes.append(_work_one(ctx, run_engine, current, options.agent, interval))
                current = None
            return WorkResult(options.agent, tuple(outcomes), "max-tasks")
        except _Interrupted as stop:
            if current is not None:
                release_claim(ctx, current.repo, current.issue, "signal",
                              detail=f"The worker stopped (signal {stop.signum}).")
                outcomes.append(TaskOutcome(current.key, "interrupted", None, f"signal {stop.signum}", "signal"))
            return WorkResult(options.agent, tuple(outcomes), "signal", stop.signum)


def _check_agent_installed(ctx: Context, name: str) -> None:
    """Before claiming (a public claim comment, one of the task's attempts): the agent's CLI must be there,
    as `code` checks before it starts. BadInput (exit 2) naming the executable otherwise."""
    from agentops.agents import BACKENDS, resolve
    from agentops.settings import AgentConfig

    agent = ctx.config.agent(name)
    if agent is None and name in BACKENDS and name != "command":
        agent = AgentConfig(name=name, backend=name)  # type: ignore[arg-type]
    if agent is not None:
        resolve(agent, ctx.env)


def _work_one(ctx: Context, engine: Engine, claimed: Claimed, agent: str, interval: float) -> TaskOutcome:
    try:
        with Heartbeat(ctx, claimed.repo, claimed.issue, agent, interval):
            result = engine(claimed.issue, agent, claimed.repo, ctx)
    except ImportError as exc:
        release_claim(ctx, claimed.repo, claimed.issue, "abandoned", detail="The code engine is not installed.")
        raise WorkFailed(f"claimed {claimed.key}, but the code engine is not available ({exc}); released it") \
            from None
    except _Interrupted:
        raise  # run() releases the claim with reason `signal`
    except Exception as exc:  # any other failure of one task releases its claim; the loop goes on
        msg = exc.message if isinstance(exc, AgentOpsError) else f"{type(exc).__name__}: {exc}"
        release_claim(ctx, claimed.repo, claimed.issue, "failed", detail=msg)
        _outcome_log(ctx, agent, claimed, "task-failed", {"reason": msg})
        return TaskOutcome(claimed.key, "error", None, msg, "failed")
    released = finish_run(ctx, claimed.repo, claimed.issue, agent, result.status, pr=result.pr, reason=result.reason,
                          summary=getattr(result, "summary", None))
    return TaskOutcome(claimed.key, result.status, result.pr, result.reason, released)


def _outcome_log(ctx: Context, agent: str, claimed: Claimed, action: str, details: dict[str, Any]) -> None:
    log_action(ctx, agent=agent, repo=claimed.repo, issue=claimed.issue, action=action,
                  result="ok" if action == "task-completed" else "fail", details=details)
