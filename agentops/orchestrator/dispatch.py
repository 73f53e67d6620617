"""Fan ready tasks out to workflow runs: one `workflow_dispatch` run per task + attempt.

A dispatch is recorded before the run is asked for, as a marker comment on the task's issue
(`<!-- agentops:dispatch issue=N attempt=K agent=A token=T -->`, authored by our identity) and
in the task record. Two routers racing on one task both post their marker, list the issue's
dispatch markers, and only the lowest comment id asks GitHub for the run; the other deletes its
marker. A request that fails after GitHub acted is never repeated: the marker stays, and if no
claim follows within one lease, `expire_dispatches` counts the attempt as failed and the next
attempt is dispatched. So one task + attempt starts at most one run, and a lost run costs one
attempt, never a duplicate.

Order: lowest wave first (depth in the dependency DAG, closed tasks included), then the queue's
own order (priority, deadline, age). Parallelism: at most `dispatch.max_parallel` tasks per
repository are claimed or dispatched-but-not-claimed at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agentops.context import Context
from agentops.domain import queue as q
from agentops.domain.claims import iso
from agentops.domain.markers import make_marker
from agentops.domain.timeutil import parse_time as parse_iso
from agentops.domain.workorder import ANY_AGENT
from agentops.errors import AgentOpsError, BadInput, GitHubError, NotFound, RateLimited, Unavailable
from agentops.github.trust import is_login
from agentops.state import docs

from .actions import log_action
from .agents import agent_profiles
from .backlog import backlog_scope
from .records import is_task_key, queue_task

DISPATCH_KIND = "dispatch"
CODE_MODE = "code"


@dataclass(frozen=True)
class Dispatched:
    key: str
    issue: int
    attempt: int
    agent: str
    mode: str = CODE_MODE
    pr: int | None = None
    sent: bool = True  # False: GitHub's answer was lost; the run may or may not exist


@dataclass(frozen=True)
class DispatchReport:
    dispatched: tuple[Dispatched, ...] = ()
    skipped: tuple[str, ...] = ()  # ready, but another router won the race or no agent has room
    in_flight: int = 0
    slots: int = 0


def current_attempt(t: Mapping[str, Any]) -> int:
    """The attempt the next run of this task is: failed attempts so far + 1."""
    return int(t.get("attempts") or 0) + 1


def pending(t: Mapping[str, Any]) -> bool:
    """Dispatched for its current attempt and not yet finished (claimed or waiting to be).
    Every release marks the dispatch finished, so the next one is a new run."""
    d = t.get("dispatch")
    return isinstance(d, Mapping) and not d.get("finished") and int(d.get("attempt") or 0) == current_attempt(t) \
        and not t.get("completed") and t.get("state") == "open"


def next_seq(t: Mapping[str, Any]) -> int:
    return int((t.get("dispatch") or {}).get("seq") or 0) + 1


def in_flight(tasks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return sorted(k for k, t in tasks.items() if t.get("status") == "claimed" or pending(t))


def depths(records: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """Each task's wave: 0 without task dependencies, else 1 + the deepest dependency's wave
    (closed tasks included, so a task keeps its wave while its dependencies finish)."""
    graph = {k: [d for d in (r.get("dependencies") or ()) if d in records]
             for k, r in records.items() if is_task_key(k)}
    out: dict[str, int] = {}
    for root in graph:
        stack: list[tuple[str, int]] = [(root, 0)]
        visiting: set[str] = set()
        while stack:
            node, i = stack.pop()
            if node in out:
                continue
            deps = graph.get(node, [])
            if i < len(deps):
                stack.append((node, i + 1))
                dep = deps[i]
                if dep not in out and dep not in visiting:
                    visiting.add(node)
                    stack.append((dep, 0))
                continue
            out[node] = 1 + max((out.get(d, 0) for d in deps), default=-1)
            visiting.discard(node)
    return out


def dispatch_order(tasks: Mapping[str, Mapping[str, Any]], records: Mapping[str, Mapping[str, Any]]) -> list[str]:
    qt = {k: queue_task(k, t) for k, t in tasks.items()}
    rank = {k: i for i, k in enumerate(q.order(qt))}
    wave = depths(records)
    return sorted(tasks, key=lambda k: (wave.get(k, 0), rank[k]))


def dispatch_ready(ctx: Context, repo: str, tasks: Mapping[str, Mapping[str, Any]], *,
                   only: Collection[str] | None = None) -> DispatchReport:
    """Dispatch the ready tasks of `repo` (as evaluated) up to the free parallelism; with `only`,
    just those of them (every task in flight still counts against the parallelism). Without
    `only`, the repository's active backlog (`agentops play`) decides which tasks may start."""
    cfg = ctx.config.dispatch
    if only is None:
        only = backlog_scope(ctx, repo, ctx.store.records(docs.TASK_QUEUE))
    mine = {k: t for k, t in tasks.items() if str(t.get("repo", "")).lower() == repo.lower()}
    busy = in_flight(mine)
    slots = cfg.max_parallel - len(busy)
    ready = {k: t for k, t in mine.items() if t.get("status") == "ready" and not pending(t)
             and (only is None or k in only)}
    if slots <= 0 or not ready:
        return DispatchReport((), tuple(sorted(ready)), len(busy), max(0, slots))
    records = ctx.store.records(docs.TASK_QUEUE)
    ordered = dispatch_order(ready, records)
    profiles = agent_profiles(ctx, records)
    # Dispatched but unclaimed runs are load too: count them before routing.
    for t in mine.values():
        agent = (t.get("dispatch") or {}).get("agent")
        if pending(t) and t.get("status") != "claimed" and agent in profiles:
            p = profiles[agent]
            profiles[agent] = q.AgentProfile(p.name, p.capabilities, p.max_concurrent, p.active + 1, p.success_rate)
    choice = route(ctx, [queue_task(k, ready[k]) for k in ordered], profiles)
    done: list[Dispatched] = []
    skipped: list[str] = []
    ref: str | None = None
    for key in ordered:
        agent = choice.get(key)
        if slots <= 0 or agent is None:
            skipped.append(key)
            continue
        if ref is None:
            ref = cfg.ref or ctx.github.get_repo(repo).default_branch
        got = dispatch_one(ctx, repo, key, ready[key], agent, ref=ref)
        if got is None:
            skipped.append(key)
            continue
        done.append(got)
        slots -= 1
    return DispatchReport(tuple(done), tuple(skipped), len(busy), max(0, slots))


def route(ctx: Context, ordered: Sequence[q.QueueTask], profiles: Mapping[str, q.AgentProfile]) -> dict[str, str | None]:
    """Each task's agent, by the one routing decision (domain.queue.best_agent). Without agents
    in agentops.yaml only tasks naming an agent can be routed."""
    if not ctx.config.agents:
        return {t.key: (t.agent if t.agent != ANY_AGENT else None) for t in ordered}
    author, reviewer = ctx.config.pipeline.author, ctx.config.pipeline.review
    if reviewer is not None and reviewer != author and len(profiles) > 1:
        # Quality gates are held by a second agent: an `any` task never goes to its reviewer (a
        # one-agent setup, or one where people chose the same agent for both, is left as set).
        ordered = [replace(t, avoid=(*t.avoid, reviewer)) if t.agent == ANY_AGENT and reviewer not in t.avoid else t
                   for t in ordered]
    if author is not None and author in profiles:
        # The pipeline names the authoring agent: an `any` task goes to it (unless it reviews that task).
        ordered = [replace(t, agent=author) if t.agent == ANY_AGENT and author not in t.avoid else t for t in ordered]
    return q.assign(ordered, list(profiles.values()))


def _markers(ctx: Context, repo: str, number: int, run_key: str) -> list[tuple[int, dict[str, str]]]:
    """Our identity's dispatch markers for this run key (anyone else's are ignored), oldest first."""
    out = []
    for c in ctx.github.list_comments(repo, number):
        m = ctx.trust.marker(c.body, c.author, DISPATCH_KIND)
        if m is None:
            continue
        if m.get("key") == run_key:
            out.append((c.id, dict(m.fields)))
    return sorted(out, key=lambda x: x[0])


def dispatch_one(ctx: Context, repo: str, key: str, t: Mapping[str, Any], agent: str, *, ref: str,
                 mode: str = CODE_MODE, pr: int | None = None, round_key: str | None = None,
                 trigger: str | None = None) -> Dispatched | None:
    """Record, win the race, ask for the run. None when this run was already dispatched (by us
    earlier, or by a router that raced us). A code run's key is its dispatch sequence number; a
    remediation round's key is given by the caller (the PR head it answers)."""
    number = int(t["number"])
    attempt = current_attempt(t)
    seq = next_seq(t)
    run_key = f"{mode}:{seq}" if round_key is None else f"{mode}:{round_key}"
    token = uuid.uuid4().hex[:16]
    fields: dict[str, object] = {"issue": number, "attempt": attempt, "agent": agent, "mode": mode, "key": run_key,
                                 "token": token, "worker": ctx.worker_id}
    if pr is not None:
        fields["pr"] = pr
    marker = make_marker(DISPATCH_KIND, **fields)
    what = f"a {mode} round on #{pr}" if mode != CODE_MODE and pr else f"attempt {attempt}"
    created = ctx.github.create_comment(repo, number, f"{marker}\nDispatched {what} to agent `{agent}`.",
                                        marker=marker)
    ctx.trust.learn_self(created.author)
    live = _markers(ctx, repo, number, run_key)
    if not any(cid == created.id for cid, _ in live):
        live = sorted([*live, (created.id, {k: str(v) for k, v in fields.items()})], key=lambda x: x[0])
    first_id, first = live[0]
    for cid, m in live:
        if m.get("token") == token and cid != first_id:
            _withdraw(ctx, repo, cid)
    if first.get("token") != token:
        _record(ctx, key, {"attempt": attempt, "seq": seq, "key": run_key, "agent": first.get("agent"), "mode": mode,
                           "comment": first_id, "at": iso(ctx.clock()), "pr": pr})
        log_action(ctx, agent=agent, repo=repo, issue=number, action="dispatch", result="lost",
                   details={"attempt": attempt, "mode": mode, "winner": first_id})
        return None
    inputs = {"issue": str(number), "agent": agent, "attempt": str(attempt), "mode": mode}
    if pr is not None:
        inputs["pr"] = str(pr)
    if is_login(created.author):
        # Our login as GitHub just showed it on our own marker: the run's read-only jobs read GitHub
        # as github-actions[bot] and trust this login's markers (only markers) as agentops's.
        inputs["identity"] = created.author
    sent = True
    try:
        ctx.github.dispatch_workflow(repo, ctx.config.dispatch.workflow, ref=ref, inputs=inputs)
    except RateLimited:
        # Refused before acting: take the record back so the next event dispatches this run.
        _withdraw(ctx, repo, first_id)
        raise
    except (NotFound, GitHubError, Unavailable) as exc:
        if _refused(exc):
            # A 4xx answer is GitHub refusing to start the run, and it refuses every task alike (no
            # such workflow, no workflow_dispatch trigger, an input the file does not declare: a
            # workflow older than this agentops; a token without actions: write). Take the marker
            # back, so no attempt is spent on a run that never started, and stop with the cause
            # instead of failing every task in turn.
            _withdraw(ctx, repo, first_id)
            raise _refusal(ctx, exc, key, repo, ref, inputs) from None
        # GitHub may have started the run before the answer was lost: never ask twice. If no
        # claim shows up within a lease, expire_dispatches counts the attempt as failed.
        sent = False
        ctx.output.warn(f"dispatch of {key} attempt {attempt}: {exc.message} (not repeated)")
    _record(ctx, key, {"attempt": attempt, "seq": seq, "key": run_key, "agent": agent, "mode": mode,
                       "comment": first_id, "at": iso(ctx.clock()), "pr": pr, "sent": sent, "trigger": trigger})
    log_action(ctx, agent=agent, repo=repo, issue=number, action="dispatch", result="ok" if sent else "uncertain",
               details={"attempt": attempt, "mode": mode, "pr": pr, "comment": first_id})
    return Dispatched(key, number, attempt, agent, mode, pr, sent)


def _refused(exc: AgentOpsError) -> bool:
    """GitHub answered 4xx: it did not start the run (5xx or no answer: it may have)."""
    if isinstance(exc, NotFound):
        return True
    status = exc.status if isinstance(exc, GitHubError) else None
    return status is not None and 400 <= status < 500 and status != 429


def _refusal(ctx: Context, exc: AgentOpsError, key: str, repo: str, ref: str, inputs: Mapping[str, str]) -> BadInput:
    workflow = ctx.config.dispatch.workflow
    if isinstance(exc, GitHubError) and exc.status == 403:
        hint = "the token that dispatches needs `actions: write` on the repository"
    else:
        hint = (f"{workflow} on {ref} must be the one `agentops init` writes for this version, declaring the "
                f"inputs the dispatcher sends ({', '.join(sorted(inputs))}): run `agentops init`, then commit "
                "and push .github/workflows (`agentops init --check` compares them)")
    return BadInput(f"dispatch of {key}: GitHub refused to start {workflow} on {repo}@{ref}: {exc.message}",
                    hint=hint)


def _withdraw(ctx: Context, repo: str, comment_id: int) -> None:
    try:
        ctx.github.delete_comment(repo, comment_id)
    except (GitHubError, NotFound):
        pass  # a duplicate of our own winning marker: it names the same attempt, so it is harmless


def _record(ctx: Context, key: str, d: dict[str, Any]) -> None:
    def upd(doc: Any) -> None:
        rec = doc.get(key)
        if rec is None:
            return
        if d.get("mode", CODE_MODE) == CODE_MODE:
            rec["dispatch"] = d
            if rec.get("status") == "ready":
                rec["status"] = "dispatched"
        else:
            rounds = dict(rec.get("rounds") or {})
            rounds[str(d["key"])] = d
            rec["rounds"] = rounds
        doc.put(key, rec)
    ctx.store.update(docs.TASK_QUEUE, upd)


def expire_dispatches(ctx: Context, tasks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Dispatches whose run never claimed the task within one lease: the attempt failed (the run
    was lost, or never started because GitHub's answer was lost). Returns the keys re-queued."""
    from .release import record_release

    horizon = ctx.clock() - dt.timedelta(minutes=ctx.config.claims.lease_minutes)
    out = []
    for key, t in sorted(tasks.items()):
        d = t.get("dispatch") or {}
        at = parse_iso(d.get("at"))
        if not pending(t) or t.get("status") == "claimed" or t.get("claim") or at is None or at > horizon:
            continue
        record_release(ctx, key, "lease-expired", agent=d.get("agent"))
        log_action(ctx, agent=d.get("agent"), repo=t.get("repo"), issue=t.get("number"), action="dispatch-expired",
                   result="ok", details={"attempt": d.get("attempt")})
        out.append(key)
    return out
