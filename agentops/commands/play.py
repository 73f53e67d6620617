"""`agentops play`: press play on a backlog.

The backlog is every task of a repository, or those carrying `--label` (all of them, when
repeated) and/or in `--milestone`, plus the open tasks they depend on. One pass: sync the queue,
mirror it on GitHub, dispatch the backlog's ready tasks up to `dispatch.max_parallel` (the
orchestrator's dispatch: lowest wave, then highest priority; one run per task + attempt, so a
second `play` dispatches nothing new), and report each task's pipeline stage, agent, PR and
rounds used. The selection is recorded as the repository's active backlog
(domain.backlog_scope): from then on the event router, the scheduled tick and `work` start only
its tasks (tasks filed later that match it included) until `play --stop`, which returns the
repository to dispatching every ready task. `status` and `report` show the active backlog.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agentops.context import Context
from agentops.domain.backlog import TaskProgress, stage_counts
from agentops.domain.backlog_scope import ActiveBacklog, Selection, scope_keys
from agentops.domain.taskkey import natural_key
from agentops.errors import BadInput
from agentops.orchestrator.backlog import backlog_rows, start_backlog, stop_backlog
from agentops.orchestrator.dispatch import dispatch_ready
from agentops.orchestrator.readiness import evaluate
from agentops.orchestrator.records import is_task_key
from agentops.orchestrator.refresh import refresh
from agentops.state import docs


@dataclass(frozen=True)
class PlayOptions:
    repo: str | None = None
    labels: tuple[str, ...] = ()
    milestone: str | None = None
    stop: bool = False


@dataclass(frozen=True)
class PlayDispatch:
    key: str
    issue: int
    attempt: int
    agent: str
    sent: bool  # False: GitHub's answer was lost; the run may exist (never asked for twice)


@dataclass(frozen=True)
class PlayResult:
    repo: str
    labels: tuple[str, ...]
    milestone: str | None
    max_parallel: int
    in_flight: int  # backlog-wide runs claimed or dispatched before this pass
    dispatched: tuple[PlayDispatch, ...]
    waiting: tuple[str, ...]  # ready, not dispatched: no free slot, no agent with room, or a lost race
    tasks: tuple[TaskProgress, ...]
    stages: dict[str, int] = field(default_factory=dict)
    backlog: ActiveBacklog | None = None  # the backlog now active (None after --stop)
    replaced: ActiveBacklog | None = None  # the one it replaced, or the one --stop ended
    stopped: bool = False


def run(options: PlayOptions, ctx: Context) -> PlayResult:
    labels = _check_labels(options.labels)
    milestone = _check_milestone(options.milestone)
    repo = options.repo or ctx.repo()
    if options.stop:
        if labels or milestone:
            raise BadInput("--stop ends the repository's backlog: it takes no --label or --milestone")
        ended = stop_backlog(ctx, repo)
        return PlayResult(repo=repo, labels=(), milestone=None, max_parallel=ctx.config.dispatch.max_parallel,
                          in_flight=0, dispatched=(), waiting=(), tasks=(), replaced=ended, stopped=True)
    with ctx.store.batch(docs.TASK_QUEUE):
        evaluated, _stats, changes = refresh(ctx, [repo], write=True)
    if changes:
        evaluated = evaluate(ctx, [repo])
    known = {k: t for k, t in ctx.store.records(docs.TASK_QUEUE).items()
             if is_task_key(k) and str(t.get("repo") or k.rpartition("#")[0]).lower() == repo.lower()}
    known.update(evaluated)
    selection = Selection(labels, milestone)
    chosen = scope_keys(known, selection)
    if (labels or milestone) and not chosen:
        raise BadInput(f"{_what(labels, milestone)} matches no task of {repo}",
                       hint="`agentops tasks` lists the tasks; labels and milestones are matched by name")
    active, replaced = start_backlog(ctx, repo, selection)
    report = dispatch_ready(ctx, repo, evaluated, only=chosen)
    records = ctx.store.records(docs.TASK_QUEUE)
    backlog = {k: records.get(k) or known[k] for k in sorted(chosen, key=natural_key)}
    rows = tuple(backlog_rows(ctx, backlog))
    return PlayResult(repo=repo, labels=labels, milestone=milestone, max_parallel=ctx.config.dispatch.max_parallel,
                      in_flight=report.in_flight,
                      dispatched=tuple(PlayDispatch(d.key, d.issue, d.attempt, d.agent, d.sent)
                                       for d in report.dispatched),
                      waiting=tuple(k for k in report.skipped if k in chosen), tasks=rows,
                      stages=stage_counts(rows), backlog=active, replaced=replaced)


def _what(labels: tuple[str, ...], milestone: str | None) -> str:
    parts = [f"--label {lb!r}" for lb in labels] + ([f"--milestone {milestone!r}"] if milestone else [])
    return " and ".join(parts)


def _check_labels(labels: tuple[str, ...]) -> tuple[str, ...]:
    for lb in labels:
        # GitHub label names: 1 to 50 characters, no line breaks.
        if not lb.strip() or len(lb) > 50 or any(c in lb for c in "\r\n"):
            raise BadInput(f"--label: {lb!r} is not a label name (1 to 50 characters, one line)")
    return tuple(dict.fromkeys(lb.strip() for lb in labels))


def _check_milestone(milestone: str | None) -> str | None:
    if milestone is None:
        return None
    if not milestone.strip() or len(milestone) > 255 or any(c in milestone for c in "\r\n"):
        raise BadInput(f"--milestone: {milestone!r} is not a milestone title (1 to 255 characters, one line)")
    return milestone.strip()
