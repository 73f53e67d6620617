"""`agentops review PR`: the review agent holds the gate.

A second agent (the pipeline's `review` agent, or `--agent`) reads the pull request's diff against
its task's spec and acceptance criteria, in a read-only look at the PR's head, under the same
isolation as a coding agent (no credential; its output is data). Its verdict (approve, or request
changes with file/line comments) is checked as hostile input and published as a real pull
request review, so it is an event like any human review: a request for changes starts one
remediation round by the author through the event router.

GitHub refuses an approval or a change request on one's own pull request, and agentops's identity
opened the PR; then the verdict is published as a COMMENT review that carries it in its marker
(`<!-- agentops:review pr=N sha=S verdict=V -->`), which the router reads as the verdict. One
review per head per agent: a replayed event finds the marker and does nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agentops.agents import resolve
from agentops.agents.base import Invocation
from agentops.agents.runner import agent_env, run_agent
from agentops.context import Context
from agentops.domain.bundle import ReviewBundle, parse_review_bundle
from agentops.domain.markers import make_marker
from agentops.domain.review import (
    VERDICT_FILE,
    Verdict,
    VerdictError,
    build_review_prompt,
    parse_verdict,
    review_body,
    verdict_from_output,
)
from agentops.domain.timeutil import iso
from agentops.domain.workorder import parse_work_order
from agentops.errors import AgentOpsError, BadInput, GitHubError
from agentops.git import worktree as wt
from agentops.github.models import PullRequest
from agentops.orchestrator import workspace
from agentops.orchestrator.budget import ensure_budget, record_published_cost
from agentops.orchestrator.lifecycle import task_of_pull
from agentops.orchestrator.pipeline import form_reviewer_of_pr
from agentops.output import to_jsonable
from agentops.redact import Redactor
from agentops.state import docs

REVIEW = "review"
BUNDLE_JSON = "bundle.json"
MAX_VERDICT_FILE = 256 * 1024


@dataclass(frozen=True)
class ReviewOptions:
    pr: int
    repo: str | None = None
    agent: str | None = None
    timeout_s: float | None = None
    phase: str | None = None  # None: both, in one process tree; "agent" | "publish" with bundle
    bundle: str | None = None


@dataclass(frozen=True)
class ReviewResult:
    status: str  # approved | changes-requested | skipped | failed | bundled (the agent phase's verdict)
    repo: str
    pr: int
    agent: str
    sha: str = ""
    issue: int | None = None
    review_id: int | None = None
    published_as: str | None = None  # APPROVE | REQUEST_CHANGES | COMMENT
    summary: str = ""
    comments: int = 0
    cost_usd: float | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status in ("approved", "changes-requested", "skipped", "bundled")

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "repo": self.repo, "pr": self.pr, "agent": self.agent, "sha": self.sha,
                "issue": self.issue, "review_id": self.review_id, "published_as": self.published_as,
                "summary": self.summary, "comments": self.comments, "cost_usd": self.cost_usd,
                "reason": self.reason, "warnings": list(self.warnings)}


def run(options: ReviewOptions, ctx: Context) -> ReviewResult:
    if options.phase not in (None, "agent", "publish"):
        raise BadInput(f"--phase {options.phase!r}: expected agent or publish")
    if (options.phase is None) != (options.bundle is None):
        raise BadInput("--phase and --bundle DIR go together")
    if options.phase == "publish":
        return _publish_bundle(options, ctx)
    repo = options.repo or ctx.repo()
    name = options.agent or form_reviewer_of_pr(ctx, repo, options.pr) or ctx.config.pipeline.review
    if not name:
        raise BadInput("no review agent: set pipeline.review in agentops.yaml or pass --agent")
    agent = ctx.config.agent(name)
    if agent is None:
        raise BadInput(f"--agent: no agent named {name!r} in agentops.yaml")
    resolved = resolve(agent, ctx.env)  # the CLI must exist before anything is read or spent
    pr = ctx.github.get_pull(repo, options.pr)
    if pr.state != "open":
        raise BadInput(f"pull request #{pr.number} in {repo} is {pr.state}")
    issue = task_of_pull(pr)
    base = ReviewResult(status="failed", repo=repo, pr=pr.number, agent=agent.name, sha=pr.head_sha, issue=issue)
    done = _already_reviewed(ctx, repo, pr, agent.name, base)
    if done is not None:
        return done
    ensure_budget(ctx, f"{repo}#{issue}" if issue else None)
    verdict, raw, cost, warnings = _run_review(ctx, repo, pr, issue, agent, resolved, options.timeout_s)
    if isinstance(verdict, str):
        _record(ctx, repo, pr, {"sha": pr.head_sha, "agent": agent.name, "verdict": None, "error": verdict})
        return replace(base, reason=verdict, cost_usd=cost, warnings=tuple(warnings))
    if options.phase == "agent":
        assert raw is not None and options.bundle is not None
        _write_bundle(Path(options.bundle), ReviewBundle(repo=repo, pr=pr.number, sha=pr.head_sha, agent=agent.name,
                                                         verdict=raw, cost_usd=cost))
        return replace(base, status="bundled", summary=verdict.summary, comments=len(verdict.comments),
                       cost_usd=cost, warnings=tuple(warnings))
    return _publish_verdict(ctx, pr, verdict, replace(base, cost_usd=cost, warnings=tuple(warnings)))


def _already_reviewed(ctx: Context, repo: str, pr: PullRequest, agent: str, base: ReviewResult) -> ReviewResult | None:
    """One review per head per agent: a replayed event finds agentops's own marker and does nothing."""
    for rev in ctx.github.list_reviews(repo, pr.number):
        if ctx.trust.marker(rev.body, rev.author, REVIEW, pr=pr.number, sha=pr.head_sha, agent=agent) is not None:
            return replace(base, status="skipped", reason=f"already reviewed {pr.head_sha[:12]} (review {rev.id})",
                           review_id=rev.id)
    return None


def _publish_verdict(ctx: Context, pr: PullRequest, verdict: Verdict, base: ReviewResult) -> ReviewResult:
    repo, agent = base.repo, base.agent
    marker = make_marker(REVIEW, pr=pr.number, sha=pr.head_sha, agent=agent, verdict=verdict.verdict)
    review, event = _publish(ctx, repo, pr, verdict, marker, agent)
    _record(ctx, repo, pr, {"sha": pr.head_sha, "agent": agent, "verdict": verdict.verdict,
                            "review_id": review, "comments": len(verdict.comments)})
    ctx.store.append(docs.AGENT_ACTIONS, {
        "agent": agent, "worker": ctx.worker_id, "repo": repo, "issue": base.issue, "action": "review",
        "result": "ok", "details": {"pr": pr.number, "sha": pr.head_sha, "verdict": verdict.verdict,
                                    "review": review, "published_as": event}})
    return replace(base, status="approved" if verdict.approved else "changes-requested", review_id=review,
                   published_as=event, summary=verdict.summary, comments=len(verdict.comments))


def _write_bundle(folder: Path, facts: ReviewBundle) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"schema_version": 1, "kind": "review", **to_jsonable(facts)}
    (folder / BUNDLE_JSON).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _publish_bundle(options: ReviewOptions, ctx: Context) -> ReviewResult:
    """The publish phase: the verdict folder is hostile data (whoever wrote it ran an agent on the
    PR's code). It must be about this PR's current head, from a configured agent, and its verdict is
    parsed again against the diff this phase computes itself; nothing is executed."""
    from agentops.context import parse_repo

    meta = Path(str(options.bundle)) / BUNDLE_JSON
    if not meta.is_file() or meta.is_symlink():
        raise BadInput(f"{meta}: missing (or not a regular file)", hint="pass the folder `--phase agent` wrote")
    facts = parse_review_bundle(str(meta), meta.read_bytes())
    repo = parse_repo(options.repo) if options.repo else ctx.repo()
    if facts.repo.lower() != repo.lower() or facts.pr != options.pr:
        raise BadInput(f"{meta}: the verdict is for {facts.repo}#{facts.pr}, not {repo}#{options.pr}")
    agent = ctx.config.agent(facts.agent)
    if agent is None:
        raise BadInput(f"{meta}: field 'agent' names {facts.agent!r}, which is no agent in agentops.yaml")
    if options.agent and options.agent != agent.name:
        raise BadInput(f"{meta}: field 'agent' is {agent.name}, not {options.agent}")
    pr = ctx.github.get_pull(repo, facts.pr)
    if pr.state != "open":
        raise BadInput(f"pull request #{pr.number} in {repo} is {pr.state}")
    issue = task_of_pull(pr)
    base = ReviewResult(status="failed", repo=repo, pr=pr.number, agent=agent.name, sha=pr.head_sha, issue=issue,
                        cost_usd=facts.cost_usd)
    # The run's cost, once (an agent phase against this same state logged it already).
    record_published_cost(ctx, {"repo": repo, "issue": issue, "pr": pr.number, "agent": agent.name,
                                "backend": agent.backend, "kind": "review", "cost_usd": facts.cost_usd,
                                "run": f"pr{pr.number}-review-{facts.sha[:12]}"})
    if pr.head_sha != facts.sha:
        return replace(base, status="skipped", reason=f"the verdict is for {facts.sha[:12]}, but the PR's head is now "
                       f"{pr.head_sha[:12]}: a review of the new head is due instead")
    done = _already_reviewed(ctx, repo, pr, agent.name, base)
    if done is not None:
        return done
    diff = _pull_diff(ctx, repo, pr)
    if diff is None:
        return replace(base, reason=f"the PR's head moved while it was fetched (GitHub says {pr.head_sha[:12]})")
    try:
        verdict = parse_verdict(facts.verdict, diff)
    except VerdictError as exc:
        return replace(base, reason=f"review agent's verdict is unusable: {exc}")
    return _publish_verdict(ctx, pr, verdict, base)


def _pull_diff(ctx: Context, repo: str, pr: PullRequest) -> str | None:
    """The PR's diff from the private mirror (data; no checkout), None when the head moved."""
    info = ctx.github.get_repo(repo)
    mirror = workspace.mirror(ctx, repo)
    base_ref = pr.base_ref or info.default_branch
    found = mirror.fetch(info.clone_url, ctx.github.git_token(), [base_ref, pr.head_ref])
    if found.get(pr.head_ref) != pr.head_sha:
        return None
    return mirror.diff(f"refs/remotes/origin/{base_ref}", pr.head_sha)


def _run_review(ctx: Context, repo: str, pr: PullRequest, issue: int | None, agent: Any, resolved: Any,
                timeout_s: float | None) -> tuple[Verdict | str, str | None, float | None, list[str]]:
    """Check out the head read-only, run the agent, read its verdict (or why there is none)."""
    info = ctx.github.get_repo(repo)
    token = ctx.github.git_token()
    redactor = Redactor(ctx.output.redactor.secrets)
    redactor.add_env(ctx.env)
    redactor.add(token)
    mirror = workspace.mirror(ctx, repo)
    base_ref = pr.base_ref or info.default_branch
    found = mirror.fetch(info.clone_url, token, [base_ref, pr.head_ref])
    if found.get(pr.head_ref) != pr.head_sha:
        return f"the PR's head moved while it was fetched (GitHub says {pr.head_sha[:12]})", None, None, []
    diff = mirror.diff(f"refs/remotes/origin/{base_ref}", pr.head_sha)
    local = workspace.local_repo(ctx, repo, info, token)
    path = workspace.worktrees_root(ctx) / repo / f"pr-{pr.number}-review"
    wt.detached_worktree(local, path, mirror.path, f"refs/remotes/origin/{pr.head_ref}", pr.head_sha)
    title, body = pr.title, pr.body
    acceptance: tuple[str, ...] = ()
    if issue:
        task = ctx.github.get_issue(repo, issue)
        order = parse_work_order(task.body, repo=repo, number=issue)
        title, body, acceptance = task.title, order.spec or task.body, order.acceptance
    run_name = f"pr{pr.number}-review-{pr.head_sha[:12]}"  # also the run id publish logs its cost under
    folder = workspace.transcripts(ctx, repo)
    prompt = folder / f"{run_name}.prompt.md"
    prompt.write_text(redactor.redact(build_review_prompt(repo=repo, pr=pr.number, issue=issue, title=title,
                                                          body=body, acceptance=acceptance, diff=diff)),
                      encoding="utf-8")
    run_dir = workspace.worktrees_root(ctx) / ".runs" / repo / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    inv = Invocation(executable=resolved.executable, prompt_file=prompt, worktree=path, issue=issue or pr.number,
                     repo=repo, branch=pr.head_ref, run_dir=run_dir)
    env = agent_env(ctx.env, agent, resolved, ctx.config.code.secrets)
    result = run_agent(agent, resolved, inv, env=env, redactor=redactor, timeout_s=timeout_s)
    (folder / f"{run_name}.log").write_text(redactor.redact(result.transcript), encoding="utf-8")
    ctx.store.append(docs.COSTS, {"repo": repo, "issue": issue, "pr": pr.number, "agent": agent.name,
                                  "backend": resolved.backend.name, "kind": "review", "cost_usd": result.cost_usd,
                                  "turns": result.turns, "duration_s": round(result.duration_s, 3),
                                  "run": run_name})
    warnings: list[str] = []
    if wt.is_dirty(path):
        warnings.append("the review agent changed files in its read-only checkout; they were discarded")
    if not result.ok:
        return f"review agent failed: {result.reason}", None, result.cost_usd, warnings
    found_raw = _verdict_text(path)
    raw = (found_raw.decode("utf-8", errors="replace") if found_raw is not None else None) \
        or verdict_from_output(result.summary) or verdict_from_output(result.transcript)
    if raw is None:
        return f"review agent wrote no verdict ({VERDICT_FILE})", None, result.cost_usd, warnings
    try:
        return parse_verdict(raw, diff), raw, result.cost_usd, warnings
    except VerdictError as exc:
        return f"review agent's verdict is unusable: {exc}", None, result.cost_usd, warnings


def _verdict_text(worktree: Path) -> bytes | None:
    """The verdict file, read without following a link the agent may have planted out of its folder."""
    p = worktree / VERDICT_FILE
    try:
        if p.is_symlink() or not p.is_file() or not p.resolve().is_relative_to(worktree.resolve()):
            return None
        with p.open("rb") as fh:
            return fh.read(MAX_VERDICT_FILE + 1)
    except OSError:
        return None


def _publish(ctx: Context, repo: str, pr: PullRequest, v: Verdict, marker: str, agent: str) -> tuple[int, str]:
    body = review_body(v, agent=agent, marker=marker)
    comments = [{"path": c.path, "line": c.line, "side": "RIGHT", "body": c.body} for c in v.comments]
    try:
        review = ctx.github.create_review(repo, pr.number, event=v.event, body=body, commit_id=pr.head_sha,
                                          comments=comments, marker=marker)
        return review.id, v.event
    except GitHubError as exc:
        if "your own pull request" not in str(exc):
            raise
    # Our identity opened the PR: GitHub allows it only a COMMENT review; the marker carries the verdict.
    review = ctx.github.create_review(repo, pr.number, event="COMMENT", body=body, commit_id=pr.head_sha,
                                      comments=comments, marker=marker)
    return review.id, "COMMENT"


def _record(ctx: Context, repo: str, pr: PullRequest, entry: dict[str, Any]) -> None:
    key = f"pr-{pr.number}"
    entry = {**entry, "at": iso(ctx.clock())}

    def apply(d: Any) -> None:
        rec = dict(d.get(key) or {})
        rec.update(pr=pr.number, head_sha=pr.head_sha, reviews=[*(rec.get("reviews") or []), entry])
        d.put(key, rec)

    try:
        ctx.store.update(docs.progress(repo), apply)
    except AgentOpsError as exc:  # the review is on GitHub; a state write failure must not hide it
        ctx.output.warn(f"could not record the review in state: {exc}")
