"""The spend guard: `ensure_budget(ctx, task_key)` before any new claim, and
`agent_allowance(ctx, agent, task_key)` before an agent starts.

Spend is what the `costs` log says. A run whose cost is unknown is logged at its cap (marked
`estimated`), so unreported spend still counts against the budget (domain.budget.charge).
"""

from __future__ import annotations

from agentops.context import Context
from agentops.domain.budget import Spend, allowance, compute, month_start, run_cap
from agentops.errors import WorkFailed
from agentops.settings import AgentConfig
from agentops.state import docs


def spend(ctx: Context, task_key: str | None = None) -> Spend:
    cfg = ctx.config.budget
    now = ctx.clock()
    # A task's total spans months, so the whole log is read when a task is named.
    since = None if task_key else month_start(now)
    events = ctx.store.read_log(docs.COSTS, since=since)
    return compute(events, now, monthly_limit=cfg.monthly_usd, per_task_limit=cfg.per_task_usd, task_key=task_key)


def ensure_budget(ctx: Context, task_key: str | None = None) -> Spend:
    """Raise WorkFailed (exit 1) when the monthly budget or the task's cap is spent."""
    cfg = ctx.config.budget
    if cfg.monthly_usd is None and (cfg.per_task_usd is None or task_key is None):
        return compute((), ctx.clock(), monthly_limit=None, per_task_limit=cfg.per_task_usd)
    current = spend(ctx, task_key)
    why = current.refusal()
    if why:
        raise WorkFailed(why, hint="raise budget.monthly_usd / budget.per_task_usd in agentops.yaml, "
                         "or wait for the next month; no new work was started")
    return current


def agent_allowance(ctx: Context, agent: AgentConfig, task_key: str | None) -> float | None:
    """What the agent's next run may spend: min(run cap, task remaining, month remaining), None when
    no limit applies. Raises WorkFailed (exit 1, nothing started) when the budget is spent or the
    month no longer holds the agent's whole run cap."""
    current = ensure_budget(ctx, task_key)
    cfg = ctx.config.budget
    allowed, why = allowance(current, run_cap(agent.max_cost_usd, cfg.per_task_usd))
    if why:
        raise WorkFailed(why, hint="raise budget.monthly_usd in agentops.yaml, lower agents[].max_cost_usd, "
                         "or wait for the next month; no agent was started")
    return allowed


def record_published_cost(ctx: Context, entry: dict[str, object]) -> bool:
    """Log an agent run's cost as its publish phase learnt it from the bundle (in Actions the agent
    job's state is thrown away, so this is the only record the budget sees). Once per run id: an
    agent phase that ran against the same state already logged it. True when logged."""
    run = entry.get("run")
    if isinstance(run, str) and any(e.get("run") == run and e.get("agent") == entry.get("agent")
                                    for e in ctx.store.read_log(docs.COSTS, since=month_start(ctx.clock()))):
        return False
    ctx.store.append(docs.COSTS, {**entry, "via": "publish"})
    return True
