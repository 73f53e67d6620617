"""`agentops scout`: scan repositories for health problems and keep exactly one issue per
problem.

Phases: pick targets (resuming an interrupted cycle), read every repository in parallel
(conditional requests, capped threads, stop before the rate limit runs out), run the checks
on what was read, save scan-results.json, then make the issue changes one at a time (the
adapter spaces mutations) and record them in issue-tracker.json.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentops.context import Context, parse_repo
from agentops.domain import scout as S
from agentops.errors import AgentOpsError, BadInput, ExitCode, RateLimited
from agentops.github.models import RepoInfo
from agentops.github.port import GitHubPort
from agentops.scout import checks as C
from agentops.scout.checks import local_audit
from agentops.scout.fetch import RepoFetch, fetch_endpoint, fetch_repo
from agentops.scout.snapshot import ENDPOINTS, RepoInputs, iso

CYCLE_KEY = "_cycle"
LOCAL_OWNER = "local"


@dataclass(frozen=True)
class ScoutOptions:
    repos: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()  # empty: config.scout.checks (+ "local" with --local)
    local: str | None = None
    issues: bool = True
    fail_on: str | None = None
    include_archived: bool | None = None  # None: config.scout.include_archived
    include_forks: bool | None = None
    include_disabled: bool = False
    concurrency: int | None = None
    progress: bool = True


@dataclass(frozen=True)
class IssueChange:
    repo: str
    fingerprint: str
    action: str  # created | updated | commented | closed | suppressed | failed
    issue: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class RepoReport:
    repo: str
    status: str  # ok | partial | not-found | forbidden | error | deferred | resumed
    message: str | None = None
    endpoints: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    findings: tuple[S.Finding, ...] = ()


@dataclass(frozen=True)
class ScoutResult:
    repos: tuple[RepoReport, ...]
    findings: tuple[S.Finding, ...]
    issues: tuple[IssueChange, ...]
    checks: tuple[str, ...]
    cycle: str
    stopped: str | None  # why the scan stopped early (rate limit); resumable
    rate_remaining: int | None
    fail_on: str | None
    failing: int
    exit_code: int
    unscanned: tuple[str, ...] = ()  # repositories GitHub could not be read for (or that do not exist)


@dataclass
class _Target:
    repo: str
    info: RepoInfo | None = None
    local: Path | None = None
    github: bool = True


@dataclass
class _Scanned:
    target: _Target
    fetch: RepoFetch | None
    findings: dict[str, S.Finding] = field(default_factory=dict)
    evaluated: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


# -- options ----------------------------------------------------------------------------------
def _checks(ctx: Context, options: ScoutOptions) -> tuple[str, ...]:
    chosen = list(options.checks or ctx.config.scout.checks)
    if options.local and "local" not in chosen:
        chosen.append("local")
    for name in chosen:
        if name not in C.BY_NAME:
            raise BadInput(f"--check: unknown check {name!r} (known: {', '.join(C.NAMES)})")
    return tuple(dict.fromkeys(chosen))


def _targets(ctx: Context, options: ScoutOptions) -> list[_Target]:
    cfg = ctx.config.scout
    seen: dict[str, _Target] = {}
    for r in options.repos:
        name = parse_repo(r)
        seen.setdefault(name.lower(), _Target(name))
    archived = cfg.include_archived if options.include_archived is None else options.include_archived
    forks = cfg.include_forks if options.include_forks is None else options.include_forks
    for owner in options.owners:
        for info in _owner_repos(ctx, owner.strip()):
            if (info.archived and not archived) or (info.fork and not forks) or (info.disabled and not
                                                                                  options.include_disabled):
                continue
            seen.setdefault(info.full_name.lower(), _Target(info.full_name, info=info))
    if not seen and not options.owners:
        for rc in ctx.config.repositories:
            seen.setdefault(rc.name.lower(), _Target(rc.name, local=_configured_path(ctx, rc.path)))
    if not seen and not options.owners and not options.local:
        seen[ctx.repo().lower()] = _Target(ctx.repo())
    targets = list(seen.values())
    if options.local:
        path = Path(options.local)
        path = path if path.is_absolute() else ctx.cwd / path
        if len(targets) == 1:
            targets[0].local = path
        elif not targets:
            targets.append(_Target(f"{LOCAL_OWNER}/{path.resolve().name or 'checkout'}", local=path, github=False))
        else:
            raise BadInput("--local: give exactly one --repo to attribute the local findings to",
                           hint="or set `path:` on the repository in agentops.yaml and use --check local")
    return targets


_REPO_FIELDS = ("full_name", "default_branch", "clone_url", "html_url", "private", "archived", "fork", "disabled",
                "owner_type")


def _owner_repos(ctx: Context, owner: str) -> tuple[RepoInfo, ...]:
    """An owner's repositories. With a stored listing the request is conditional and goes straight
    to the org or user endpoint it was found at, so an unchanged owner costs no primary rate limit."""
    from agentops.github.models import Validators
    from agentops.state import docs

    key = f"owner:{owner.lower()}"  # no repository name has a colon: no clash with repo records
    prev = ctx.store.get(docs.SCAN_RESULTS, key) or {}
    stored = prev.get("repos")
    validators = (Validators(etag=prev.get("etag"), last_modified=prev.get("last_modified"))
                  if isinstance(stored, list) else None)
    got = ctx.github.list_repos(owner, owner_type=prev.get("owner_type"), validators=validators)
    if got.items is None and isinstance(stored, list):
        return tuple(RepoInfo(**{k: r[k] for k in _REPO_FIELDS if k in r}) for r in stored)
    items = got.items or ()
    ctx.store.put(docs.SCAN_RESULTS, key, {
        "owner_type": items[0].owner_type if items else prev.get("owner_type"),
        "etag": got.etag, "last_modified": got.last_modified,
        "repos": [{k: getattr(r, k) for k in _REPO_FIELDS} for r in items]})
    return items


def _configured_path(ctx: Context, path: str | None) -> Path | None:
    if not path:
        return None
    p = Path(path)
    return p if p.is_absolute() else ctx.root / p


def _cycle_id(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _targets_digest(targets: Sequence[_Target], checks: Sequence[str]) -> str:
    text = "\n".join(sorted(t.repo.lower() for t in targets)) + "\n--\n" + ",".join(sorted(checks))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- the run ------------------------------------------------------------------------------------
def run(options: ScoutOptions, ctx: Context) -> ScoutResult:
    cfg = ctx.config.scout
    if options.fail_on is not None:
        try:
            S.parse_severity(options.fail_on)
        except ValueError as exc:
            raise BadInput(f"--fail-on: {exc}") from None
    concurrency = options.concurrency if options.concurrency is not None else cfg.concurrency
    if concurrency < 1:
        raise BadInput(f"--concurrency: must be at least 1 (got {concurrency})")
    checks = _checks(ctx, options)
    targets = _targets(ctx, options)
    store = ctx.store
    from agentops.state import docs

    now = ctx.clock()
    stored = store.records(docs.SCAN_RESULTS)
    digest = _targets_digest(targets, checks)
    cycle = stored.get(CYCLE_KEY) or {}
    if cycle.get("complete") is False and cycle.get("targets") == digest:
        cycle_id, done = str(cycle.get("id")), set(cycle.get("done") or ())
    else:
        cycle_id, done = _cycle_id(now), set()

    needs = C.needs(checks) | ({"issues", "pulls"} if options.issues else set())
    gh_targets = [t for t in targets if t.github and t.repo.lower() not in done]
    stop: list[str] = []
    if gh_targets and _rate_low(ctx.github, cfg.min_rate_remaining):
        # A figure from before a reset is stale: GET /rate_limit costs no rate limit.
        ctx.github.rate_limit()
    fetched = _fetch_all(ctx, gh_targets, needs, stored, concurrency, cfg.min_rate_remaining, stop,
                         options.progress)

    scanned: list[_Scanned] = []
    reports: dict[str, RepoReport] = {}
    for t in targets:
        if t.repo.lower() in done:
            reports[t.repo] = _resumed(t.repo, stored.get(t.repo))
            continue
        if t.github and t.repo not in fetched:
            reports[t.repo] = RepoReport(t.repo, "deferred", stop[0] if stop else "not scanned")
            continue
        s = _evaluate(ctx, t, fetched.get(t.repo), checks, now)
        scanned.append(s)
    _save_scans(ctx, scanned, now, cycle_id)

    changes: list[IssueChange] = []
    synced: set[str] = set()
    if options.issues:
        tracker = store.records(docs.ISSUE_TRACKER)
        for s in scanned:
            if not s.target.github or s.fetch is None or s.fetch.fatal:
                synced.add(s.target.repo.lower())
                continue
            if not stop and _rate_low(ctx.github, cfg.min_rate_remaining):
                stop.append(_rate_message(ctx.github))
            if stop:
                break
            try:
                mutated = _sync_issues(ctx, s, tracker, now, cfg.comment_interval_hours, changes)
                if mutated and s.fetch is not None and "issues" in s.fetch.endpoints:
                    # Store the issues answer as it is after our own writes, so the next scan of an
                    # unchanged repository gets a 304 (free of primary rate limit). Workflow runs
                    # embed only the minimal repository (no counts), so our writes leave them as they were.
                    fetch_endpoint(ctx.github, s.fetch, "issues", s.fetch.endpoints.get("issues"))
            except RateLimited as exc:
                stop.append(exc.message)
                break
            synced.add(s.target.repo.lower())
    else:
        synced = {s.target.repo.lower() for s in scanned}

    for s in scanned:
        reports[s.target.repo] = _report(s)
    done |= synced
    complete = not stop and all(t.repo.lower() in done for t in targets)
    _save_scans(ctx, [s for s in scanned if s.target.repo.lower() in synced], now, cycle_id,
                cycle={"id": cycle_id, "targets": digest, "started_at": cycle.get("started_at") if
                       cycle.get("id") == cycle_id else iso(now), "complete": complete, "done": sorted(done)})

    findings = tuple(f for t in targets for f in reports[t.repo].findings)
    failing = len(S.at_or_above(findings, options.fail_on)) if options.fail_on else 0
    unscanned = tuple(t.repo for t in targets if reports[t.repo].status in _UNSCANNED)
    code = _exit_code(reports.values(), stopped=bool(stop), unscanned=bool(unscanned), failing=failing)
    rl = ctx.github.last_rate_limit if gh_targets else None
    store.append(docs.AGENT_ACTIONS, {
        "agent": "scout", "worker": ctx.worker_id, "repo": None, "issue": None, "action": "scout",
        "result": "stopped" if stop else "ok",
        "details": {"cycle": cycle_id, "repos": len(scanned), "findings": len(findings),
                    "issue_changes": len(changes)}})
    return ScoutResult(repos=tuple(reports[t.repo] for t in targets), findings=findings, issues=tuple(changes),
                       checks=checks, cycle=cycle_id, stopped=stop[0] if stop else None,
                       rate_remaining=rl.remaining if rl else None, fail_on=options.fail_on, failing=failing,
                       exit_code=int(code), unscanned=unscanned)


# A repository in one of these states was not scanned: its "0 findings" means nothing.
_UNSCANNED = frozenset({"not-found", "forbidden", "error"})


def _exit_code(reports: Iterable[RepoReport], *, stopped: bool, unscanned: bool, failing: int) -> ExitCode:
    """Fail closed: a repository that does not exist is bad input (2); one GitHub could not be read for, or a
    scan stopped early, is unavailable (3), never a green "0 findings"."""
    if any(r.status == "not-found" for r in reports):
        return ExitCode.BAD_INPUT
    if stopped or unscanned:
        return ExitCode.UNAVAILABLE
    return ExitCode.FAILED if failing else ExitCode.OK


# -- reading --------------------------------------------------------------------------------------
def _rate_low(gh: GitHubPort, floor: int) -> bool:
    rl = gh.last_rate_limit
    return rl is not None and rl.remaining < floor


def _rate_message(gh: GitHubPort) -> str:
    rl = gh.last_rate_limit
    left = rl.remaining if rl else "?"
    return f"stopped before exhausting the GitHub rate limit ({left} requests left); run again to resume"


def _fetch_all(ctx: Context, targets: Sequence[_Target], needs: set[str], stored: Mapping[str, Any],
               concurrency: int, floor: int, stop: list[str], progress: bool) -> dict[str, RepoFetch]:
    gh = ctx.github
    lock = threading.Lock()

    def one(t: _Target) -> RepoFetch | None:
        with lock:
            if stop:
                return None
            if _rate_low(gh, floor):
                stop.append(_rate_message(gh))
                return None
        try:
            return fetch_repo(gh, t.repo, needs=needs, previous=stored.get(t.repo),
                              default_branch=t.info.default_branch if t.info else None)
        except RateLimited as exc:
            with lock:
                if not stop:
                    stop.append(exc.message)
            return None

    out: dict[str, RepoFetch] = {}
    if not targets:
        return out
    with _progress(ctx, len(targets), progress) as advance, ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {pool.submit(one, t): t for t in targets}
        for fut in as_completed(futures):
            got = fut.result()
            if got is not None:
                out[futures[fut].repo] = got
            advance()
    return out


@contextmanager
def _progress(ctx: Context, total: int, enabled: bool) -> Iterator[Callable[[], None]]:
    out = ctx.output
    if not (enabled and out.is_tty and not out.quiet):
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("scouting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=out.console, transient=True) as bar:
        task = bar.add_task("repositories", total=total)
        yield lambda: bar.advance(task)


# -- checking ---------------------------------------------------------------------------------------
def _evaluate(ctx: Context, t: _Target, got: RepoFetch | None, checks: Sequence[str], now: dt.datetime) -> _Scanned:
    from agentops.state import docs

    s = _Scanned(t, got)
    if got is not None and got.fatal:
        return s
    branch = (got.default_branch if got else None) or "main"
    test_results = ctx.store.records(docs.test_results(t.repo)) if t.github and "coverage" in checks else {}
    inputs = RepoInputs(repo=t.repo, default_branch=branch,
                        items={name: got.items(name) for name in ENDPOINTS} if got else {},
                        errors=dict(got.errors) if got else {}, test_results=test_results)
    repo_cfg = ctx.config.repository(t.repo) if t.github else None
    thresholds = (repo_cfg.thresholds if repo_cfg and repo_cfg.thresholds else None) or ctx.config.thresholds
    cctx = C.CheckContext(now=now, stale_days=ctx.config.scout.stale_days,
                          min_coverage=ctx.config.scout.min_coverage if ctx.config.scout.min_coverage is not None
                          else thresholds.min_coverage,
                          max_coverage_drop=thresholds.max_coverage_drop, local_path=t.local)
    for name in checks:
        if name == "local":
            if t.local is None:
                continue
            outcome = local_audit.evaluate(inputs, cctx, ctx.env)
        elif not t.github:
            continue
        else:
            outcome = C.BY_NAME[name].evaluate(inputs, cctx)
        if outcome.note:
            s.notes.append(outcome.note)
        if outcome.ok:
            s.evaluated.add(name)
            for f in outcome.findings:
                s.findings[f.fingerprint] = f
        else:
            # Keep what this check found last time: a failed read resolves nothing. What the
            # reads that worked show is raised all the same (a partial read fails closed).
            prev = (ctx.store.get(docs.SCAN_RESULTS, t.repo) or {}).get("findings") or {}
            for fp, d in prev.items():
                if S.check_of(fp) == name:
                    s.findings[fp] = S.Finding.from_dict(d)
            for f in outcome.findings:
                s.findings[f.fingerprint] = f
    return s


def _report(s: _Scanned) -> RepoReport:
    got = s.fetch
    if got is not None and got.fatal:
        return RepoReport(s.target.repo, got.fatal_kind or "error", got.fatal, dict(got.status), tuple(s.notes))
    errors = dict(got.errors) if got else {}
    status = "partial" if errors else "ok"
    if errors and s.target.github and not s.evaluated:
        status = "error"  # every read failed after retries: nothing was checked
    message = "; ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or None
    findings = tuple(sorted(s.findings.values(), key=lambda f: (-S.severity_rank(f.severity), f.fingerprint)))
    return RepoReport(s.target.repo, status, message, dict(got.status) if got else {}, tuple(s.notes), findings)


def _resumed(repo: str, rec: Mapping[str, Any] | None) -> RepoReport:
    findings = tuple(S.Finding.from_dict(d) for _, d in sorted(((rec or {}).get("findings") or {}).items()))
    return RepoReport(repo, "resumed", "scanned earlier in this cycle", {}, (), findings)


def _save_scans(ctx: Context, scanned: Sequence[_Scanned], now: dt.datetime, cycle_id: str,
                cycle: dict[str, Any] | None = None) -> None:
    from agentops.state import docs

    def apply(d: Any) -> None:
        for s in scanned:
            got = s.fetch
            rec: dict[str, Any] = {
                "repo": s.target.repo, "scanned_at": iso(now), "cycle": cycle_id,
                "status": _report(s).status, "notes": list(s.notes), "checks": sorted(s.evaluated),
                "findings": {fp: f.to_dict() for fp, f in sorted(s.findings.items())},
            }
            if got is not None:
                rec.update({"default_branch": got.default_branch, "errors": dict(got.errors),
                            "endpoints": {k: v for k, v in sorted(got.endpoints.items())}})
                if got.fatal:
                    rec["error"] = got.fatal
                    rec.pop("default_branch", None)
            d.put(s.target.repo, rec)
        if cycle is not None:
            d.put(CYCLE_KEY, cycle)

    ctx.store.update(docs.SCAN_RESULTS, apply)


# -- issues ---------------------------------------------------------------------------------------
def _open_scout_issues(got: RepoFetch, known: set[int], wrote: Callable[[str], bool]) -> list[S.OpenScoutIssue]:
    out = []
    for i in got.items("issues") or []:
        if i.get("pr") or not i.get("fp"):
            continue
        labels = tuple(i.get("labels") or ())
        # Ours only: an issue the tracker says we filed, else one agentops's own login wrote (`wrote`
        # asks for the login only then: it may cost a request). A finding marker pasted into anyone
        # else's issue, labelled or not, never makes the scout adopt or close that issue.
        if int(i["n"]) in known or wrote(str(i.get("author") or "")):
            out.append(S.OpenScoutIssue(int(i["n"]), str(i["fp"]), str(i.get("title") or ""), labels,
                                        str(i.get("digest") or "")))
    return out


def _refused(asked: Sequence[str], got: Sequence[str]) -> list[str]:
    """Labels we asked for that the issue does not carry: GitHub drops them without an error."""
    return sorted(set(asked) - set(got))


def _pull_refs(ctx: Context, got: RepoFetch) -> list[S.PullRef]:
    """Open PRs that say they address a finding. Only agentops's own or a maintainer's count: a
    stranger's PR naming a fingerprint must not silence the scout."""
    out = []
    for p in got.items("pulls") or []:
        closes, fps = p.get("closes") or (), p.get("fps") or ()
        author = str(p.get("author") or "")
        if (closes or fps) and (ctx.trust.wrote(author) or ctx.trust.has_write(got.repo, author)):
            out.append(S.PullRef(int(p["n"]), frozenset(int(x) for x in closes), frozenset(str(x) for x in fps)))
    return out


def _sync_issues(ctx: Context, s: _Scanned, tracker: dict[str, dict[str, Any]], now: dt.datetime,
                 interval: float, changes: list[IssueChange]) -> bool:
    """Carry out the plan for one repository. True when anything was written to GitHub."""
    got = s.fetch
    assert got is not None
    repo = s.target.repo
    if "issues" not in got.endpoints:
        s.notes.append("issues: not readable, so no issue was filed or closed")
        return False
    mine = {fp: r for fp, r in tracker.items() if str(r.get("repo", "")).lower() == repo.lower()}
    actions = S.plan_issues(s.findings, evaluated=s.evaluated, open_issues=_open_scout_issues(got, {int(r['issue']) for r in mine.values() if isinstance(r.get('issue'), int)},
                                                       ctx.trust.wrote), tracker=mine,
                            pulls=_pull_refs(ctx, got), now=now, comment_interval_hours=interval)
    gh = ctx.github
    stamp = iso(now)
    wrote = False  # any write changes the issues answer, so its ETag must be refreshed
    touched: dict[str, dict[str, Any]] = {}
    for a in actions:
        f = s.findings.get(a.fp)
        rec = dict(touched.get(a.fp) or tracker.get(a.fp) or {})
        base = {"repo": repo, "check": S.check_of(a.fp)}
        if f is not None:
            base.update({"subject": f.subject, "severity": f.severity, "title": f.title})
        try:
            if a.kind == "create":
                assert a.title is not None and a.body is not None
                issue = gh.create_issue(repo, a.title, a.body, labels=a.labels, marker=S.marker(a.fp))
                wrote = True
                rec = {**base, "issue": issue.number, "status": "open", "created_at": stamp, "last_comment_at": None,
                       "digest": S.body_digest(a.body), "labels_refused": _refused(a.labels, issue.labels)}
                changes.append(IssueChange(repo, a.fp, "created", issue.number))
            elif a.kind == "update":
                assert a.number is not None
                updated = gh.update_issue(repo, a.number, title=a.title, body=a.body, labels=a.labels)
                wrote = True
                rec = {**rec, **base, "issue": a.number, "status": "open", "digest": S.body_digest(a.body),
                       "labels_refused": _refused(a.labels, updated.labels)}
                changes.append(IssueChange(repo, a.fp, "updated", a.number, a.reason))
            elif a.kind == "comment":
                assert a.number is not None and a.body is not None and f is not None
                gh.create_comment(repo, a.number, a.body,
                                  marker=S.update_marker(a.fp, S.body_digest(S.render_issue_body(f))))
                wrote = True
                rec = {**rec, **base, "issue": a.number, "last_comment_at": stamp}
                changes.append(IssueChange(repo, a.fp, "commented", a.number, "finding changed"))
            elif a.kind == "close":
                assert a.number is not None and a.body is not None
                wrote = True
                duplicate = a.reason.startswith("duplicate")
                if duplicate or rec.get("resolved_issue") != a.number:
                    marker = S.resolved_marker(a.fp) if not duplicate else None
                    gh.create_comment(repo, a.number, a.body, marker=marker)
                    if not duplicate:
                        rec = {**rec, **base, "resolved_issue": a.number}
                        tracker[a.fp] = rec  # remembered before closing: a retry never comments twice
                gh.update_issue(repo, a.number, state="closed",
                                state_reason="not_planned" if duplicate else "completed")
                if not duplicate:
                    rec = {**rec, **base, "issue": a.number, "status": "closed", "closed_at": stamp}
                changes.append(IssueChange(repo, a.fp, "closed", a.number, a.reason))
            elif a.kind == "suppress":
                rec = {**rec, **base, "status": "suppressed", "pr": a.pr}
                changes.append(IssueChange(repo, a.fp, "suppressed", rec.get("issue"), a.reason))
        except RateLimited:
            _save_tracker(ctx, touched)
            raise
        except AgentOpsError as exc:
            s.notes.append(f"issue {a.kind} for {a.fp} failed: {exc.message}")
            changes.append(IssueChange(repo, a.fp, "failed", a.number, f"{a.kind}: {exc.message}"))
            if rec:
                touched[a.fp] = rec
                tracker[a.fp] = rec
            continue
        touched[a.fp] = rec
        tracker[a.fp] = rec
    _save_tracker(ctx, touched)
    return wrote


def _save_tracker(ctx: Context, touched: Mapping[str, dict[str, Any]]) -> None:
    from agentops.state import docs

    if not touched:
        return

    def apply(d: Any) -> None:
        for fp, rec in touched.items():
            d.put(fp, rec)

    ctx.store.update(docs.ISSUE_TRACKER, apply)
