"""`agentops report`: DORA, agent, delivery and cost metrics from the state logs and GitHub.

The logs are streamed once each. Pull-request facts (timestamps, first human review, approval)
are cached in the PULLS document (orchestrator/pulls) as records "pr:owner/repo#N"; a run lists the repository's
PRs conditionally (ETag) and asks for reviews only of agent PRs updated since they were cached.
`offline` uses the cache alone. The result is also written as METRICS record "latest".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentops.context import Context
from agentops.domain.agent_metrics import (
    AgentMetricsBuilder,
    PrFact,
    first_human_review,
    issue_from_branch,
    pr_fact_from_record,
)
from agentops.domain.backlog import TaskProgress
from agentops.domain.dora import Window, compute_dora, dora_trend, parse_since
from agentops.domain.dora_stream import DoraStream
from agentops.domain.markers import find_marker, make_marker
from agentops.domain.report_render import EnvironmentReport, FullReport, render_markdown
from agentops.domain.review_metrics import PipelineMetrics, pipeline_metrics
from agentops.domain.timeutil import iso
from agentops.errors import AuthMissing, BadInput, NotFound, Unavailable

REPORT_TITLE = "Agent Ops report"
REPORT_KIND = "report"
RUN_KIND = "report-run"
_MAX_BODY = 60_000  # GitHub rejects issue/comment bodies over 65,536 characters


@dataclass(frozen=True)
class ReportOptions:
    since: str | None = None
    environment: str | None = None
    repo: str | None = None  # limit the report to one repository (and publish there)
    offline: bool = False
    publish: bool = False
    weeks: int = 8
    save: bool = True


@dataclass(frozen=True)
class PrSync:
    repo: str
    status: str  # "synced" | "not-modified" | "skipped"
    listed: int = 0
    refreshed: int = 0
    reason: str = ""


@dataclass(frozen=True)
class PublishResult:
    repo: str
    issue: int
    issue_created: bool
    issue_url: str
    comment_id: int
    comment_created: bool


@dataclass(frozen=True)
class TaskTotals:
    """Tasks finished in the window, from the live queue and the archive (state/archive/)."""

    completed_in_window: int = 0
    from_archive: int = 0


@dataclass(frozen=True)
class ReportResult:
    report: FullReport
    markdown: str
    pr_sync: tuple[PrSync, ...]
    published: PublishResult | None = None
    tasks: TaskTotals = TaskTotals()


def task_totals(store: Any, window: Window, in_scope: Callable[[dict[str, Any]], bool]) -> TaskTotals:
    """Finished tasks last changed inside the window. Old ones live in the monthly archive, which
    is streamed from the window's first month on (earlier months are never opened)."""
    from agentops.orchestrator.records import is_task_key
    from agentops.state import docs
    from agentops.state.schema import format_ts

    start, end = format_ts(window.start), format_ts(window.end)

    def counts(key: str, data: Any, stamp: str) -> bool:
        return (is_task_key(key) and isinstance(data, dict) and start <= stamp < end and in_scope(data)
                and (data.get("completed") is True or data.get("status") == "done"))

    live = {k for k, r in store.load(docs.TASK_QUEUE).raw().items()
            if not r.get("deleted") and counts(k, r["data"], str(r["updated_at"]))}
    archived: set[str] = set()
    for line in store.iter_archive(docs.TASKS_ARCHIVE, from_month=start):
        key = str(line.get("key"))
        if key not in live and counts(key, line.get("data"), str(line.get("updated_at", ""))):
            archived.add(key)
    return TaskTotals(len(live) + len(archived), len(archived))


def run(options: ReportOptions, ctx: Context) -> ReportResult:
    from agentops.state import docs

    now = ctx.clock()
    cfg = ctx.config
    try:
        window = parse_since(options.since, now=now, default_days=cfg.report.window_days)
    except ValueError as exc:
        raise BadInput(f"--since: {exc}") from None
    if options.weeks < 1 or options.weeks > 104:
        raise BadInput("--weeks: must be between 1 and 104")
    scope = options.repo.lower() if options.repo else None
    store = ctx.store

    def in_scope(e: dict[str, Any]) -> bool:
        return str(e.get("repo") or "").lower() == scope

    if scope is None:
        in_scope = _everything  # no per-event test on the hot path

    # DORA streams the logs and keeps only what the windows and trend weeks need (dora_stream).
    dora = DoraStream(window, options.weeks)
    for e in store.read_log(docs.INCIDENTS):
        if in_scope(e):
            dora.add_incident(e)
    for e in store.read_log(docs.DEPLOYMENTS):
        if in_scope(e):
            dora.add_deployment(e)
    if dora.needs_history:
        for e in store.read_log(docs.DEPLOYMENTS):
            if in_scope(e):
                dora.history(e)

    repos = _sync_repos(options, ctx)
    syncs: list[PrSync] = []
    if options.offline:
        syncs = [PrSync(r, "skipped", reason="offline") for r in repos]
    else:
        syncs = [_sync_prs(ctx, r, now) for r in repos]
    builder = AgentMetricsBuilder(window, weeks=options.weeks, budget_monthly_usd=cfg.budget.monthly_usd)
    # One pass over the PR cache (every PR ever): the builder keeps the facts the windows use.
    have_cache = False
    for k, v in store.scan(docs.PULLS):
        if k.startswith("sync:"):
            have_cache = True
        elif k.startswith("pr:") and (f := pr_fact_from_record(v)) is not None and (
                scope is None or f.repo.lower() == scope):
            have_cache = True
            builder.add_pr(f)
    synced_now = any(s.status in ("synced", "not-modified") for s in syncs)
    pr_source = "github" if synced_now else ("cache" if have_cache else "none")

    seen_repos: set[str] = set(repos)
    for e in store.read_log(docs.AGENT_ACTIONS):
        if in_scope(e):
            builder.add_action(e)
            r = e.get("repo")
            if isinstance(r, str):
                seen_repos.add(r)
    for e in store.read_log(docs.COSTS):
        if in_scope(e):
            builder.add_cost(e)
    with_outcome = not builder.has_test_events
    for r in sorted(seen_repos):
        try:
            name = docs.test_results(r)
        except BadInput:
            continue
        for rec in store.records(name).values():
            builder.add_test_result(rec, with_outcome=with_outcome)
    agents = builder.result(pr_facts_available=pr_source != "none")

    env_names = [options.environment or cfg.report.environment] if (
        options.environment or cfg.report.environment) else dora.environments()
    env_reports = tuple(EnvironmentReport(dora.report(env), dora.trend(env)) for env in env_names if env)
    pipeline, backlog, backlogs = _pipeline(ctx, scope)
    report = FullReport(generated_at=now, window_start=window.start, window_end=window.end,
                        window_days=round(window.days, 4), repos=(options.repo,) if options.repo else (),
                        environments=env_reports, agents=agents, pr_source=pr_source, pipeline=pipeline,
                        backlog=backlog, backlogs=backlogs)
    markdown = render_markdown(report)
    if options.save:
        from agentops.output import to_jsonable

        store.put(docs.METRICS, "latest", to_jsonable(report))
    published = _publish(ctx, options, markdown, now) if options.publish else None
    return ReportResult(report, markdown, tuple(syncs), published, task_totals(store, window, in_scope))


def json_document(result: ReportResult) -> Any:
    """`report --json`: a stable document. With no deployment or incident recorded there is no environment
    to report, and the DORA keys would be missing; one entry with `environment: null` and every metric null
    keeps each key present (the terminal and markdown forms keep saying "no data")."""
    from agentops.output import to_jsonable

    doc = to_jsonable(result)
    r = result.report
    if not r.environments:
        window = Window(r.window_start, r.window_end)
        weeks = len(r.agents.trend.week_starts) or 1
        empty = to_jsonable(EnvironmentReport(compute_dora([], {}, window, ""), dora_trend([], {}, r.window_end,
                                                                                           weeks, "")))
        empty["dora"]["environment"] = None
        doc["report"]["environments"] = [empty]
    return doc


def _everything(e: dict[str, Any]) -> bool:
    return True


def _pipeline(ctx: Context, scope: str | None) -> tuple[PipelineMetrics, tuple[TaskProgress, ...],
                                                       tuple[dict[str, Any], ...]]:
    """The pipeline figures over every PR record in scope, each queued task's stage, and each
    active backlog's progress."""
    from agentops.domain.backlog_scope import BACKLOG_PREFIX
    from agentops.domain.taskkey import natural_key
    from agentops.orchestrator.backlog import backlog_rows, backlog_views, progress_of
    from agentops.state import docs

    store = ctx.store
    queue = {k: v for k, v in sorted(store.records(docs.TASK_QUEUE).items(), key=lambda kv: natural_key(kv[0]))
             if "#" in k and not k.startswith(("sync:", "deps:"))
             and (scope is None or k.rpartition("#")[0].lower() == scope)}
    repos = sorted({f"{p.parent.parent.name}/{p.parent.name}" for p in store.root.glob("agents/*/*/progress.json")}
                   | {k.rpartition("#")[0] for k in queue})
    progress = progress_of(ctx, [r for r in repos if scope is None or r.lower() == scope])
    records = [rec for recs in progress.values() for k, rec in sorted(recs.items()) if k.startswith("pr-")]
    rows = tuple(backlog_rows(ctx, queue))
    views = backlog_views(ctx, {k: v for k, v in store.records(docs.TASK_QUEUE).items()
                                if not k.startswith(BACKLOG_PREFIX) or scope is None
                                or k[len(BACKLOG_PREFIX):] == scope}, rows)
    return pipeline_metrics(records), rows, tuple(v.to_json() for v in views)


# --------------------------------------------------------------------------------------------
# GitHub: PR facts
# --------------------------------------------------------------------------------------------
def _sync_repos(options: ReportOptions, ctx: Context) -> list[str]:
    if options.repo:
        return [options.repo]
    configured = [r.name for r in ctx.config.repositories]
    if configured:
        return configured
    try:
        return [ctx.repo()]
    except BadInput:
        return []


def is_agent_pr(head_ref: str, body: str | None) -> bool:
    return issue_from_branch(head_ref) is not None or find_marker(body, "pr") is not None


def _sync_prs(ctx: Context, repo: str, now: dt.datetime) -> PrSync:
    from agentops.github.models import Validators
    from agentops.state import docs

    store = ctx.store
    meta = store.get(docs.PULLS, f"sync:{repo}")
    validators = Validators(etag=meta.get("etag"), last_modified=meta.get("last_modified")) if meta else None
    try:
        gh = ctx.github
        fetched = gh.list_pulls(repo, state="all", sort="updated", direction="desc", validators=validators)
        if fetched.items is None:
            return PrSync(repo, "not-modified")
        prefix = f"pr:{repo}#"
        cached = {k: v for k, v in store.records(docs.PULLS).items() if k.startswith(prefix)}
        fresh: dict[str, dict[str, Any]] = {}
        for pr in fetched.items:
            # An agent PR is one agentops opened: a branch name or a marker anyone can copy is not enough.
            if not is_agent_pr(pr.head_ref, pr.body) or not ctx.trust.wrote(pr.author):
                continue
            key = f"{prefix}{pr.number}"
            old = cached.get(key)
            stamp = iso(pr.updated_at) if pr.updated_at else None
            if old is not None and stamp is not None and old.get("updated_at") == stamp:
                continue  # unchanged since cached: no review request
            reviews = gh.list_reviews(repo, pr.number)
            first, approved = first_human_review(pr.author, ((r.author, r.state, r.submitted_at) for r in reviews))
            marker = ctx.trust.marker(pr.body, pr.author, "pr")
            issue = issue_from_branch(pr.head_ref)
            if issue is None and marker is not None and (marker.get("issue") or "").isdigit():
                issue = int(marker.get("issue") or 0)
            fresh[key] = PrFact(repo=repo, number=pr.number, issue=issue, author=pr.author,
                                created_at=pr.created_at, merged_at=pr.merged_at if pr.merged else None,
                                closed_at=pr.closed_at, updated_at=pr.updated_at,
                                first_human_review_at=first, approved=approved).to_record()
    except (Unavailable, AuthMissing, NotFound) as exc:
        ctx.output.warn(f"pull requests of {repo}: {exc.message}; using the cached PR data")
        return PrSync(repo, "skipped", reason=exc.message)

    def apply(doc: Any) -> None:
        for k, v in fresh.items():
            doc.put(k, v)
        doc.put(f"sync:{repo}", {"etag": fetched.etag, "last_modified": fetched.last_modified,
                                 "synced_at": iso(now)})

    store.update(docs.PULLS, apply)
    return PrSync(repo, "synced", listed=len(fetched.items), refreshed=len(fresh))


# --------------------------------------------------------------------------------------------
# GitHub: the report issue and the dated comment
# --------------------------------------------------------------------------------------------
def _clip(text: str) -> str:
    if len(text) <= _MAX_BODY:
        return text
    return text[:_MAX_BODY] + "\n\n_(truncated: the full report is in state/orchestrator/metrics.json)_\n"


def _publish(ctx: Context, options: ReportOptions, markdown: str, now: dt.datetime) -> PublishResult:
    from agentops.state import docs

    repo = options.repo or ctx.repo()
    gh = ctx.github
    store = ctx.store
    marker = make_marker(REPORT_KIND, repo=repo)
    body = _clip(f"{marker}\n{markdown}")

    issue = None
    remembered = store.get(docs.METRICS, f"publish:{repo}")
    if remembered and isinstance(remembered.get("issue"), int):
        try:
            candidate = gh.get_issue(repo, remembered["issue"])
        except NotFound:
            candidate = None
        if candidate is not None and ctx.trust.marker(candidate.body, candidate.author, REPORT_KIND):
            issue = candidate
    if issue is None:
        # Only an issue agentops wrote is the report issue: a copied marker is not adopted.
        listed = gh.list_issues(repo, state="all", sort="created", direction="asc").items or ()
        issue = next((i for i in listed if ctx.trust.marker(i.body, i.author, REPORT_KIND)), None)
    created = issue is None
    if issue is None:
        issue = gh.create_issue(repo, REPORT_TITLE, body, marker=marker)
    else:
        issue = gh.update_issue(repo, issue.number, title=REPORT_TITLE, body=body,
                                state="open" if issue.state != "open" else None)

    day = now.astimezone(dt.UTC).date().isoformat()
    run_marker = make_marker(RUN_KIND, date=day)
    comment_body = _clip(f"{run_marker}\n{markdown.replace('## ' + REPORT_TITLE, '## Report of ' + day, 1)}")
    existing = next((c for c in gh.list_comments(repo, issue.number)
                     if ctx.trust.marker(c.body, c.author, RUN_KIND, date=day)), None)
    if existing is not None:
        comment = gh.edit_comment(repo, existing.id, comment_body)
    else:
        comment = gh.create_comment(repo, issue.number, comment_body, marker=run_marker)
    store.put(docs.METRICS, f"publish:{repo}", {"issue": issue.number, "published_at": iso(now)})
    return PublishResult(repo=repo, issue=issue.number, issue_created=created, issue_url=issue.html_url,
                         comment_id=comment.id, comment_created=existing is None)


# --------------------------------------------------------------------------------------------
# The dashboard page (`--format html`)
# --------------------------------------------------------------------------------------------
def dashboard_html(ctx: Context, report: FullReport) -> str:
    """The report plus the live state (queue, DAG, agents, open incidents, flaky tests) as one page."""
    from agentops.domain.dashboard import build
    from agentops.domain.dashboard_html import render_html
    from agentops.domain.dora import fold_incidents
    from agentops.state import docs

    store = ctx.store
    scope = report.repos[0].lower() if report.repos else None
    queue = {k: v for k, v in store.records(docs.TASK_QUEUE).items()
             if scope is None or k.lower().startswith(scope + "#")}
    incidents = fold_incidents(e for e in store.read_log(docs.INCIDENTS)
                               if scope is None or str(e.get("repo") or "").lower() == scope)
    results: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(store.root.glob("agents/*/*/test-results.json")):
        repo = f"{path.parent.parent.name}/{path.parent.name}"
        if scope is None or repo.lower() == scope:
            results += [(repo, rec) for rec in store.records(docs.test_results(repo)).values()]
    page = build(report, queue, store.records(docs.AGENT_STATUS), incidents, results)
    return render_html(page)
