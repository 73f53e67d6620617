"""`agentops code`: turn a work order into a pull request through a coding-agent CLI.

Steps (branch, prompt, execute, commit, push, pr) are recorded in the task's progress record
as they finish; a re-run of an interrupted attempt resumes at the first unfinished one, so a
crash after the push and before the PR opens the PR without a second commit or push. A
finished or failed attempt makes the next run a new attempt on the same branch and worktree.

Remediation (`--pr N --address-review` / `--fix-ci`) runs the agent on an open PR's branch
with the review comments or failing checks as data, bounded to code.max_rounds rounds per PR,
after which the PR is labelled needs-human with one comment.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agentops import proc
from agentops.agents import BACKENDS, Resolved, resolve
from agentops.agents.base import Invocation, Progress
from agentops.agents.gates import command_prefix
from agentops.agents.pricing import Prices
from agentops.agents.runner import AgentRun, agent_env, run_agent
from agentops.context import Context
from agentops.domain.budget import charge, run_cap
from agentops.domain.bundle import CodeBundle, RoundBundle, parse_code_bundle, parse_round_bundle
from agentops.domain.closing import defuse
from agentops.domain.markers import make_marker
from agentops.domain.prompt import PrFacts, PromptInput, build_prompt, clean_untrusted, render_pr_body
from agentops.domain.secretscan import Hit, needles
from agentops.domain.workorder import parse_work_order
from agentops.errors import AgentOpsError, BadInput, Unavailable, WorkFailed
from agentops.git import GitFailed
from agentops.git import worktree as wt
from agentops.git.mirror import Mirror
from agentops.git.outgoing import PROTECTED_KIND, protected_changes, scan_outgoing
from agentops.github.models import Issue, PullRequest, RepoInfo
from agentops.github.trust import GitHubTrust
from agentops.orchestrator import workspace
from agentops.orchestrator.agents import OUTCOME_ACTIONS, record_outcome
from agentops.orchestrator.budget import agent_allowance, record_published_cost, spend
from agentops.orchestrator.ci_feedback import read_failure
from agentops.orchestrator.mergeability import settled_pull, unknown_message
from agentops.orchestrator.pr_record import end_round
from agentops.output import LiveLine, to_jsonable
from agentops.redact import Redactor
from agentops.settings import AgentConfig, Config, GateConfig
from agentops.state import docs

STEPS = ("branch", "prompt", "execute", "commit", "push", "pr")
NEEDS_HUMAN = "needs-human"
REVIEW_KIND = "review"  # the review agent's marker (commands/review.py), read here as feedback
_CLOSES_RE = re.compile(r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)\b")
_OK = ("pr-opened", "pr-updated", "skipped", "cleaned", "bundled")
BUNDLE_JSON = "bundle.json"
BUNDLE_GIT = "commits.bundle"
MAX_GIT_BUNDLE = 512 * 1024 * 1024


@dataclass(frozen=True)
class CodeOptions:
    issue: int | None = None
    agent: str | None = None
    repo: str | None = None
    backend: str | None = None
    pr: int | None = None
    address_review: bool = False
    fix_ci: bool = False
    resolve_conflicts: bool = False
    cleanup: bool = False
    timeout_s: float | None = None
    phase: str | None = None  # None: both phases, separated; "agent" | "publish" with bundle
    bundle: str | None = None


@dataclass(frozen=True)
class CodeResult:
    # pr-opened | pr-updated | failed | no-change | skipped | needs-human | cleaned
    status: str
    repo: str
    issue: int | None = None
    pr: int | None = None
    reason: str | None = None
    branch: str | None = None
    commit: str | None = None
    agent: str | None = None
    backend: str | None = None
    cost_usd: float | None = None
    turns: int | None = None
    transcript: str | None = None
    round: int | None = None
    resumed_from: str | None = None
    warnings: tuple[str, ...] = ()
    cleaned: tuple[str, ...] = ()
    summary: str | None = None  # the agent's own account of the run (redacted), when it gave one

    @property
    def ok(self) -> bool:
        return self.status in _OK

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = to_jsonable(self)
        data["ok"] = self.ok
        return data


def run(options: CodeOptions, ctx: Context) -> CodeResult:
    if options.phase not in (None, "agent", "publish"):
        raise BadInput(f"--phase {options.phase!r}: expected agent or publish")
    if (options.phase is None) != (options.bundle is None):
        raise BadInput("--phase and --bundle DIR go together")
    if options.phase is not None and options.cleanup:
        raise BadInput("--phase is for `code ISSUE` and `code --pr N` rounds, not --cleanup")
    if options.phase == "publish" and options.pr is None:
        return _publish_bundle(ctx, options)
    if options.cleanup:
        return _cleanup(ctx, options)
    kinds = [k for k, on in (("review", options.address_review), ("ci", options.fix_ci),
                             ("conflict", options.resolve_conflicts)) if on]
    if len(kinds) > 1:
        raise BadInput("--address-review, --fix-ci and --resolve-conflicts: choose one per run")
    if kinds:
        if options.pr is None:
            raise BadInput("--address-review/--fix-ci/--resolve-conflicts need --pr N")
        if options.phase == "agent":  # its state is not kept: the publish phase ends the round
            return _remediate(ctx, options, kinds[0])
        repo = options.repo or ctx.repo()
        try:
            return _remediate(ctx, options, kinds[0])
        finally:
            end_round(ctx, repo, options.pr, kinds[0])  # whatever the outcome: the stage moves on
    if options.pr is not None:
        raise BadInput("--pr N goes with --address-review, --fix-ci or --resolve-conflicts")
    if options.issue is None or options.issue < 1:
        raise BadInput("an issue number is required", hint="agentops code ISSUE")
    return _code_issue(ctx, options, options.issue)


# -- shared pieces ------------------------------------------------------------------------------
def _agent_config(config: Config, name: str | None, backend: str | None, assigned: str | None) -> AgentConfig:
    for candidate in (name, assigned if assigned and assigned != "any" else None):
        if not candidate:
            continue
        found = config.agent(candidate)
        if found is not None:
            return found
        if candidate in BACKENDS and candidate != "command":
            return AgentConfig(name=candidate, backend=candidate)  # type: ignore[arg-type]
        if candidate == name:
            known = ", ".join(a.name for a in config.agents) or "none configured"
            raise BadInput(f"unknown agent {candidate!r}", hint=f"agents in agentops.yaml: {known}")
    if config.agents:
        return config.agents[0]
    chosen = backend or "claude"
    return AgentConfig(name=chosen, backend=chosen)  # type: ignore[arg-type]


@dataclass
class _Session:
    """What one `code` invocation works with; built once, used by every step."""

    ctx: Context
    repo: str
    info: RepoInfo
    agent: AgentConfig
    resolved: Resolved | None  # None in the publish phase: it runs no agent
    backend_name: str
    redactor: Redactor
    token: str | None
    key: str  # progress record key
    rec: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    allowance: float | None = None  # what one agent run may spend (domain.budget.allowance)

    @property
    def doc(self) -> str:
        return docs.progress(self.repo)

    @property
    def backend(self) -> str:
        return self.backend_name

    def save(self) -> None:
        data = to_jsonable(self.rec)

        def merge(d: Any) -> None:
            d.put(self.key, {**(d.get(self.key) or {}), **data})

        self.ctx.store.update(self.doc, merge)

    def event(self, action: str, result: str, issue: int | None, **details: Any) -> None:
        self.ctx.store.append(docs.AGENT_ACTIONS, {
            "agent": self.agent.name, "worker": self.ctx.worker_id, "repo": self.repo, "issue": issue,
            "action": action, "result": result,
            "details": {k: (self.redactor.redact(v) if isinstance(v, str) else v) for k, v in details.items()},
        })
        if action in OUTCOME_ACTIONS:  # the summary a claim reads instead of this log
            record_outcome(self.ctx, self.agent.name, OUTCOME_ACTIONS[action])

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.ctx.output.warn(message)

    def now(self) -> str:
        return str(to_jsonable(self.ctx.clock()))


def _session(ctx: Context, repo: str, agent: AgentConfig, backend: str | None, key: str, *,
             publish_only: str | None = None) -> _Session:
    resolved = None if publish_only else resolve(agent, ctx.env, backend)
    info = ctx.github.get_repo(repo)
    token = ctx.github.git_token()  # GH_TOKEN/GITHUB_TOKEN, or a GitHub App's installation token
    red = Redactor(ctx.output.redactor.secrets)
    red.add_env(ctx.env)
    for name in ctx.config.code.secrets:
        value = ctx.env.get(name)
        if value:
            red.add(value)
            ctx.output.mask(value)
    red.add(token)
    s = _Session(ctx, repo, info, agent, resolved, publish_only or (resolved.backend.name if resolved else ""),
                 red, token, key)
    s.rec = dict(ctx.store.get(s.doc, key) or {})
    return s


def _local_repo(s: _Session) -> Path:
    return workspace.local_repo(s.ctx, s.repo, s.info, s.token)


_worktrees_root = workspace.worktrees_root
_transcripts = workspace.transcripts


def _rel(ctx: Context, path: Path) -> str:
    try:
        return path.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _conventions(ctx: Context, worktree: Path) -> tuple[tuple[str, str], ...]:
    found = []
    for name in ctx.config.code.conventions:
        p = worktree / name
        if p.is_file() and p.resolve().is_relative_to(worktree.resolve()):
            try:
                found.append((name, p.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                continue
    return tuple(found)


def _mirror(s: _Session) -> Mirror:
    return workspace.mirror(s.ctx, s.repo)


def _prepare_worktree(s: _Session, branch: str, path: Path) -> wt.Worktree:
    local = _local_repo(s)
    mirror = _mirror(s)
    mirror.fetch(s.info.clone_url, s.token, [s.info.default_branch, branch])
    base = wt.fetch_base(local, mirror.path, s.info.default_branch, branch)
    return wt.ensure_worktree(local, path, branch, s.info.default_branch, base)


def _execute(s: _Session, *, issue: int, branch: str, worktree: Path, start_sha: str, prompt_file: Path,
             run_name: str, kind: str, pr: int | None, timeout_s: float | None) -> tuple[AgentRun, str]:
    """Run the agent, isolated, from a clean `start_sha`; save the transcript; log the cost; apply the caps."""
    _untrusted_git(s, worktree, "reset", "--worktree", str(worktree), "--sha", start_sha)  # a crashed run's edits
    run_dir = _worktrees_root(s.ctx) / ".runs" / s.repo / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    gates = _gates(s, worktree)
    assert s.resolved is not None
    inv = Invocation(executable=s.resolved.executable, prompt_file=prompt_file, worktree=worktree, issue=issue,
                     repo=s.repo, branch=branch, run_dir=run_dir, gates=gates, max_budget_usd=s.allowance)
    env = agent_env(s.ctx.env, s.agent, s.resolved, s.ctx.config.code.secrets)
    line = LiveLine(s.ctx.output, f"{s.agent.name} ({s.backend})")
    try:
        result = run_agent(s.agent, s.resolved, inv, env=env, redactor=s.redactor, timeout_s=timeout_s,
                           prices=Prices(s.ctx.config.prices),
                           on_progress=lambda p: line.update(s.redactor.redact(_progress_text(p))),
                           writable=(wt.common_dir(worktree),), settings=s.ctx.env)
    finally:
        line.close()
    transcript = _transcripts(s.ctx, s.repo) / f"{run_name}.log"
    transcript.write_text(s.redactor.redact(result.transcript), encoding="utf-8")
    cap = run_cap(s.agent.max_cost_usd, s.ctx.config.budget.per_task_usd)
    partial = result.details.get("partial_cost_usd") or result.details.get("estimated_cost_usd")
    bill = charge(result.cost_usd, result.cost_source != "unknown",
                  partial if isinstance(partial, (int, float)) else None, cap, s.allowance)
    s.ctx.store.append(docs.COSTS, {
        "repo": s.repo, "issue": issue, "pr": pr, "agent": s.agent.name, "backend": s.backend, "kind": kind,
        "cost_usd": bill.cost_usd, "estimated": bill.estimated, "cost_source": result.cost_source,
        "turns": result.turns, "duration_s": round(result.duration_s, 3), "run": run_name,
    })
    if bill.estimated:
        s.warn(f"{s.agent.name}: cost unknown ({result.reason or 'no cost reported'}); charged "
               + (f"${bill.cost_usd:.2f} (estimated)" if bill.cost_usd is not None else "nothing: no budget or cap set"))
    result = replace(result, cost_usd=bill.cost_usd)
    reason = result.reason
    task_cap = s.ctx.config.budget.per_task_usd
    if reason is None and task_cap is not None and result.cost_usd is not None:
        total = spend(s.ctx, f"{s.repo}#{issue}").task_usd or 0.0
        if total > task_cap:
            reason = f"task spend ${total:.2f} is over the per-task cap of ${task_cap:.2f}"
    if reason is not None:
        _untrusted_git(s, worktree, "reset", "--worktree", str(worktree), "--sha", start_sha)
    return _with_reason(result, reason), _rel(s.ctx, transcript)


def _untrusted_git(s: _Session, worktree: Path, *args: str, writable: tuple[Path, ...] = ()) -> dict[str, Any]:
    """git on the agent's worktree, in the agent's sandbox with no credential (agentops.git.untrusted)."""
    root = proc.package_root()
    common = wt.common_dir(worktree)
    expected = wt.common_dir(_local_repo(s))
    if common.resolve() != expected.resolve():  # a pointer an agent rewrote in a run that was killed
        raise WorkFailed(f"{worktree}: its repository pointers name {common}, not {expected}; a person should look")
    argv = proc.untrusted_argv([sys.executable, "-m", "agentops.git.untrusted", *args],
                               writable=(worktree, common, *writable), readable=(root,), env=s.ctx.env,
                               protect=(common,))
    env = {**proc.scrub_env(s.ctx.env), "PYTHONPATH": str(root)}
    res = proc.run(argv, cwd=worktree, env=env, timeout=600, redactor=s.redactor)
    lines = [ln for ln in res.output.splitlines() if ln.startswith("{")]
    try:
        out: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except ValueError:
        out = {}
    if not res.ok or "error" in out or not out:
        raise GitFailed(f"git on the worktree failed: {out.get('error') or res.error or res.tail(5)}")
    return out


def _commit_and_bundle(s: _Session, worktree: Path, since: str, branch: str, message: str, out: Path,
                       trailer: str | None, merge: str | None = None) -> tuple[bool, str]:
    """(changed, head): one agentops commit of the agent's work and a bundle of it in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    msg = out / "commit-message.txt"
    msg.write_text(message, encoding="utf-8")
    args = ["commit", "--worktree", str(worktree), "--since", since, "--branch", branch, "--message-file", str(msg),
            "--bundle", str(out / BUNDLE_GIT), *(["--merge", merge] if merge else [])]
    found = _untrusted_git(s, worktree, *args, *(["--trailer", trailer] if trailer else []), writable=(out,))
    head = str(found.get("sha") or "")
    if not re.fullmatch(r"[0-9a-f]{40}", head):
        raise GitFailed("git on the worktree reported no commit")
    return bool(found.get("changed")), head


def _gates(s: _Session, worktree: Path) -> tuple[GateConfig, ...]:
    """The gates `agentops test` will run on the PR (configured, else detected in the worktree)."""
    from agentops.commands.test import resolve_gates

    gates, _detected = resolve_gates(s.ctx.config, s.ctx.config.repository(s.repo), worktree, s.ctx.env)
    return gates


def _checks(s: _Session, worktree: Path) -> tuple[str, ...]:
    import shlex

    return tuple(dict.fromkeys(shlex.join(command_prefix(g.run)) for g in _gates(s, worktree) if g.run))


def _progress_text(p: Progress) -> str:
    cost = "" if p.cost_usd is None else f", ${p.cost_usd:.2f} so far"
    return f"turn {p.turns}{cost}" + (f", {p.tool}" if p.tool else "")


def _with_reason(r: AgentRun, reason: str | None) -> AgentRun:
    return replace(r, ok=reason is None, reason=reason)


def _title_line(title: str, fallback: str) -> str:
    """The first line of an issue title as cleaned for copying (zero-width characters and HTML comments
    removed, closing keywords defused); `fallback` when nothing visible is left (a title of only U+200B)."""
    lines = clean_untrusted(title, 200).splitlines()
    first = lines[0].strip() if lines else ""
    return defuse(first) if first else fallback


def _commit_message(title: str, summary: str, agent: AgentConfig, backend: str, issue: int | None,
                    pr: int | None = None) -> str:
    # Copied text: a closing keyword in a commit that lands on the default branch closes issues too.
    subject = _title_line(title, f"Issue #{issue}" if issue is not None else "agentops change")
    body = defuse(clean_untrusted(summary, 2000))
    trailers = [f"Co-authored-by: {agent.name} ({backend} agent) <agentops+{agent.name}@users.noreply.github.com>"]
    if issue is not None:
        trailers.append(f"Agentops-Issue: #{issue}")
    if pr is not None:
        trailers.append(f"Agentops-PR: #{pr}")
    return subject + ("\n\n" + body if body else "") + "\n\n" + "\n".join(trailers) + "\n"


def _push(s: _Session, mirror: Mirror, branch: str, sha: str) -> bool:
    """Push unless the remote already has `sha` (a resumed run pushes nothing twice). True if pushed."""
    url = s.info.clone_url
    if url.lower().startswith("https://"):
        if not s.token:
            s.warn("no GH_TOKEN/GITHUB_TOKEN for the push: relying on git's own credentials")
        elif not s.ctx.env.get("GH_TOKEN"):
            s.warn("pushing with GITHUB_TOKEN: GitHub starts no workflow runs for its pushes, so CI will not run "
                   "on this PR; set GH_TOKEN to a PAT or GitHub App token")
    if mirror.remote_head(url, s.token, branch) == sha:
        return False
    mirror.push(url, s.token, sha, branch)
    return True


def _fail(s: _Session, issue: int | None, status: str, reason: str, **extra: Any) -> CodeResult:
    s.rec.update(status=status, reason=reason, finished_at=s.now())
    s.save()
    s.event("task-failed", "failed", issue, reason=reason)
    return CodeResult(status=status, repo=s.repo, issue=issue, reason=reason, agent=s.agent.name,
                      backend=s.backend, warnings=tuple(s.warnings), **extra)


# -- code ISSUE --------------------------------------------------------------------------------
def _ensure_executable(ctx: Context, repo: str, issue: Issue, spec: str) -> None:
    """The same gate `claim` applies, for an issue run by hand: only work orders from authors with
    write access (or approved with the configured label) run, and none that asks for secrets."""
    from agentops.domain.approval import body_hash
    from agentops.domain.workorder import mentions_secrets
    from agentops.orchestrator.trust import TaskFacts, decide

    label = ctx.config.claims.approval_label
    # The queue's record keeps the approval agentops saw (and the body it covered); the author's
    # permission is asked afresh.
    rec = {k: v for k, v in (ctx.store.get(docs.TASK_QUEUE, f"{repo}#{issue.number}") or {}).items()
           if k != "author_permission"}
    facts = TaskFacts(repo, issue.number, issue.author, issue.author_association, tuple(issue.labels),
                      body_hash(issue.body))
    decision, _ = decide(ctx, facts, rec)
    if not decision.trusted:
        raise WorkFailed(f"{repo}#{issue.number} is not executed: {decision.reason}",
                         hint=f"a maintainer can apply the label {label!r} to approve it")
    if mentions_secrets(f"{issue.title}\n{spec}"):
        raise WorkFailed(f"{repo}#{issue.number} asks for secrets or credentials: held for a human",
                         hint="label it needs-human and handle it by hand")


def _code_issue(ctx: Context, options: CodeOptions, number: int) -> CodeResult:
    repo = options.repo or ctx.repo()
    issue = ctx.github.get_issue(repo, number)
    if issue.is_pull_request:
        raise BadInput(f"#{number} in {repo} is a pull request", hint="use --pr N --address-review or --fix-ci")
    if issue.state != "open":
        raise BadInput(f"issue #{number} in {repo} is {issue.state}")
    order = parse_work_order(issue.body, repo=repo, number=number)
    _ensure_executable(ctx, repo, issue, order.spec)
    agent = _agent_config(ctx.config, options.agent, options.backend, order.agent)
    resolve(agent, ctx.env, options.backend)  # bad backend/executable: exit 2 before anything else
    allowed = agent_allowance(ctx, agent, f"{repo}#{number}")
    s = _session(ctx, repo, agent, options.backend, str(number))
    s.allowance = allowed
    steps: dict[str, Any] = dict(s.rec.get("steps") or {})
    resumed_from = None
    if s.rec.get("status") == "running" and steps:
        resumed_from = next((st for st in STEPS if not (steps.get(st) or {}).get("done")), None)
    if resumed_from is None:
        steps = {}
        s.rec["attempt"] = int(s.rec.get("attempt") or 0) + 1
    attempt = int(s.rec.get("attempt") or 1)
    branch = str(s.rec.get("branch") or wt.branch_name(number, issue.title))
    path = Path(str(s.rec.get("worktree") or _worktrees_root(ctx) / repo / str(number)))
    s.rec.update(issue=number, repo=repo, agent=agent.name, backend=s.backend, branch=branch, worktree=str(path),
                 status="running", reason=None, steps=steps, started_at=s.rec.get("started_at") or s.now())
    s.save()
    s.event("code-start", "ok", number, attempt=attempt, resumed_from=resumed_from, branch=branch)

    def done(step: str, **data: Any) -> None:
        steps[step] = {"done": True, "at": s.now(), **data}
        s.rec["steps"] = steps
        s.save()

    def is_done(step: str) -> bool:
        return bool((steps.get(step) or {}).get("done"))

    # branch
    if not is_done("branch"):
        _prepare_worktree(s, branch, path)
        done("branch", start_sha=wt.catch_up(path, branch))
    elif not path.exists():
        _prepare_worktree(s, branch, path)  # resumed elsewhere: the local branch still has the work
    start_sha = str(steps["branch"]["start_sha"])

    # prompt
    run_name = docs.run_file_stem(f"{number}-{attempt}", ctx.worker_id)
    prompt_path = _transcripts(ctx, repo) / f"{run_name}.prompt.md"
    if not is_done("prompt") or not prompt_path.exists():
        text = s.redactor.redact(build_prompt(PromptInput(
            repo=repo, issue=number, title=issue.title, body=order.spec or issue.body, acceptance=order.acceptance,
            conventions=_conventions(ctx, path), branch=branch, checks=_checks(s, path))))
        prompt_path.write_text(text, encoding="utf-8")
        done("prompt", file=_rel(ctx, prompt_path), sha256=hashlib.sha256(text.encode()).hexdigest())

    # execute
    if not is_done("execute"):
        result, transcript = _execute(s, issue=number, branch=branch, worktree=path, start_sha=start_sha,
                                      prompt_file=prompt_path, run_name=run_name, kind="code",
                                      pr=s.rec.get("pr"), timeout_s=options.timeout_s)
        s.rec["last_run"] = {"cost_usd": result.cost_usd, "turns": result.turns, "transcript": transcript}
        if not result.ok:
            assert result.reason is not None
            status = "no-change" if result.reason == "agent made no change" else "failed"
            if result.tampered:  # the agent reached for the human's git (agentops.git.guard): fail closed
                status = _label_needs_human(s, number)
            return _fail(s, number, status, result.reason, branch=branch, cost_usd=result.cost_usd,
                         turns=result.turns, transcript=transcript, summary=result.summary[:4000] or None)
        done("execute", summary=result.summary[:4000], cost_usd=result.cost_usd, turns=result.turns,
             transcript=transcript, run=run_name)
    ex = steps["execute"]

    # commit (in the sandbox) and bundle
    out = Path(options.bundle) if options.bundle else _worktrees_root(ctx) / ".bundles" / repo / run_name
    trailer = f"Agentops-Issue: #{number}"
    if not is_done("commit") or not (out / BUNDLE_GIT).exists():
        changed, sha = _commit_and_bundle(s, path, start_sha, branch, _commit_message(
            issue.title, str(ex.get("summary") or ""), agent, s.backend, number), out, trailer)
        if not changed:
            return _fail(s, number, "no-change", "agent made no change", branch=branch, transcript=ex.get("transcript"))
        done("commit", sha=sha)
    sha = str(steps["commit"]["sha"])
    facts = CodeBundle(repo=repo, issue=number, branch=branch, base_sha=start_sha, head_sha=sha, agent=agent.name,
                       backend=s.backend, summary=str(ex.get("summary") or "")[:8000], cost_usd=ex.get("cost_usd"),
                       turns=ex.get("turns"), attempt=attempt, run=str(ex.get("run") or run_name))
    if options.phase == "agent":
        _write_bundle(s, out, facts, ex.get("transcript"))
        s.rec.update(status="bundled", finished_at=s.now(), reason=None)
        s.save()
        s.event("bundled", "ok", number, branch=branch, commit=sha, bundle=str(out))
        return CodeResult(status="bundled", repo=repo, issue=number, branch=branch, commit=sha, agent=agent.name,
                          backend=s.backend, cost_usd=ex.get("cost_usd"), turns=ex.get("turns"),
                          transcript=ex.get("transcript"), resumed_from=resumed_from, warnings=tuple(s.warnings))
    return _publish(s, issue, order.acceptance, facts, out / BUNDLE_GIT, steps, done, resumed_from,
                    transcript=ex.get("transcript"))


def _write_bundle(s: _Session, out: Path, facts: CodeBundle, transcript: Any) -> None:
    _write_json(out, "code", facts, s.ctx.root / str(transcript) if transcript else None)


def _write_json(out: Path, kind: str, facts: CodeBundle | RoundBundle, transcript: Any) -> None:
    data = {"schema_version": 1, "kind": kind, **to_jsonable(facts)}
    if isinstance(facts, RoundBundle):
        data["covered"] = dict(facts.covered)
    (out / BUNDLE_JSON).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    src = Path(str(transcript)) if transcript else None
    if src is not None and src.is_file():
        shutil.copyfile(src, out / "transcript.log")


def _known_secrets(s: _Session) -> dict[str, str]:
    """Every secret value agentops knows of, by name: what the outgoing scan looks for."""
    env = s.ctx.env
    found = {k: v for k, v in env.items() if v and proc.is_credential(k)}
    deploy = [n for e in s.ctx.config.environments.values() for n in e.env_allow]
    for name in (*s.ctx.config.code.secrets, *deploy):
        if env.get(name):
            found[name] = env[name]
    if s.token:
        found["GitHub token"] = s.token
    return found


def _publish(s: _Session, issue: Issue, acceptance: tuple[str, ...], facts: CodeBundle, bundle_file: Path,
             steps: dict[str, Any], done: Any, resumed_from: str | None, *, transcript: Any = None) -> CodeResult:
    """Verify the bundle (data, never executed), scan what would be pushed, push, open or update the PR."""
    number, branch, sha = facts.issue, facts.branch, facts.head_sha
    if not (steps.get("push") or {}).get("done"):
        hits, pushed = _ship(s, branch, facts.base_sha, sha, bundle_file)
        if hits:
            return _refuse_secrets(s, facts.issue, branch, sha, hits)
        done("push", sha=sha, pushed=pushed)
    ex = {"summary": facts.summary, "cost_usd": facts.cost_usd, "turns": facts.turns, "transcript": transcript}
    pr, status = _open_or_update_pr(s, issue, branch, acceptance, ex, sha)
    done("pr", number=pr.number, status=status)
    s.rec.update(status=status, pr=pr.number, finished_at=s.now(), reason=None)
    s.save()
    s.event(status, "ok", number, pr=pr.number, branch=branch, commit=sha)
    return CodeResult(status=status, repo=s.repo, issue=number, pr=pr.number, branch=branch, commit=sha,
                      agent=s.agent.name, backend=s.backend, cost_usd=facts.cost_usd, turns=facts.turns,
                      transcript=transcript, resumed_from=resumed_from, warnings=tuple(s.warnings))


def _ship(s: _Session, branch: str, base: str, head: str, bundle_file: Path) -> tuple[list[Hit], bool]:
    """(findings, pushed): the bundle enters the private mirror, what the remote lacks is checked
    (no file that runs with credentials changed, no secret in any form), and only a clean result is
    pushed."""
    mirror = _mirror(s)
    mirror.fetch(s.info.clone_url, s.token, [s.info.default_branch, branch])
    if not mirror.has_commit(base):
        raise WorkFailed(f"the bundle's base {base[:12]} is not on {s.repo}")
    mirror.import_bundle(bundle_file, branch, head)
    if not mirror.is_ancestor(base, head):
        raise BadInput(f"{bundle_file}: {head[:12]} does not descend from the base {base[:12]}")
    hits = protected_changes(mirror, head) + scan_outgoing(mirror, head, needles(_known_secrets(s)))
    return (hits, False) if hits else ([], _push(s, mirror, branch, head))


def _label_needs_human(s: _Session, number: int) -> str:
    try:
        s.ctx.github.add_labels(s.repo, number, [NEEDS_HUMAN])
    except AgentOpsError as exc:
        s.warn(f"could not label #{number} {NEEDS_HUMAN}: {exc}")
    return NEEDS_HUMAN


def _refuse_secrets(s: _Session, number: int, branch: str, sha: str, hits: list[Hit]) -> CodeResult:
    where = "; ".join(f"{h.where}: {h.kind}" for h in hits[:20])
    what = "secret scan" if all(h.kind != PROTECTED_KIND for h in hits) else "outgoing check"
    reason = s.redactor.redact(f"{what} refused the push ({len(hits)} finding(s)): {where}")
    try:
        s.ctx.github.add_labels(s.repo, number, [NEEDS_HUMAN])
    except AgentOpsError as exc:
        s.warn(f"could not label #{number} {NEEDS_HUMAN}: {exc}")
    return _fail(s, number, "needs-human", reason, branch=branch, commit=sha)


def _bundle_files(options: CodeOptions) -> tuple[Path, Path]:
    """The agent phase's two files in the bundle folder: regular files (no links), the git bundle
    within its size cap. Both publish phases read nothing else from the folder."""
    folder = Path(str(options.bundle))
    meta, commits = folder / BUNDLE_JSON, folder / BUNDLE_GIT
    for f in (meta, commits):
        if not f.is_file() or f.is_symlink():
            raise BadInput(f"{f}: missing (or not a regular file)", hint="pass the folder `--phase agent` wrote")
    if commits.stat().st_size > MAX_GIT_BUNDLE:
        raise BadInput(f"{commits}: larger than {MAX_GIT_BUNDLE} bytes")
    return meta, commits


def _publish_bundle(ctx: Context, options: CodeOptions) -> CodeResult:
    from agentops.context import parse_repo

    meta, commits = _bundle_files(options)
    facts = parse_code_bundle(str(meta), meta.read_bytes())
    if options.repo and parse_repo(options.repo).lower() != facts.repo.lower():
        raise BadInput(f"{meta}: field 'repo' is {facts.repo}, not {options.repo}")
    if options.issue is not None and options.issue != facts.issue:
        raise BadInput(f"{meta}: field 'issue' is {facts.issue}, not {options.issue}")
    issue = ctx.github.get_issue(facts.repo, facts.issue)
    if issue.is_pull_request or issue.state != "open":
        raise BadInput(f"#{facts.issue} in {facts.repo} is not an open issue")
    order = parse_work_order(issue.body, repo=facts.repo, number=facts.issue)
    _ensure_executable(ctx, facts.repo, issue, order.spec)
    agent = ctx.config.agent(facts.agent) or AgentConfig(name=facts.agent, backend="command")
    s = _session(ctx, facts.repo, agent, None, str(facts.issue), publish_only=facts.backend)
    steps: dict[str, Any] = {}

    def done(step: str, **data: Any) -> None:
        steps[step] = {"done": True, "at": s.now(), **data}
        s.rec["steps"] = {**dict(s.rec.get("steps") or {}), step: steps[step]}
        s.save()

    s.rec.update(issue=facts.issue, repo=facts.repo, agent=agent.name, backend=s.backend, branch=facts.branch,
                 status="running", reason=None)
    s.save()
    transcript = "transcript.log" if (meta.parent / "transcript.log").is_file() else None
    _record_cost(s, facts.issue, None, "code", facts.cost_usd, facts.turns, facts.run)
    return _publish(s, issue, order.acceptance, facts, commits, steps, done, None, transcript=transcript)


def _record_cost(s: _Session, issue: int | None, pr: int | None, kind: str, cost: float | None, turns: int | None,
                 run: str | None) -> None:
    """The agent run's cost from the bundle, into this phase's costs log (the budget reads it). The
    figure is as trustworthy as the job that ran the agent: bounded, not re-provable."""
    record_published_cost(s.ctx, {"repo": s.repo, "issue": issue, "pr": pr, "agent": s.agent.name,
                                  "backend": s.backend, "kind": kind, "cost_usd": cost, "turns": turns, "run": run})


def _find_pr(s: _Session, branch: str, issue: int) -> PullRequest | None:
    gh = s.ctx.github
    owner = s.repo.split("/", 1)[0]
    for pr in gh.list_pulls(s.repo, state="open", head=f"{owner}:{branch}").items or ():
        if pr.head_ref == branch:
            return pr
    for pr in gh.list_pulls(s.repo, state="open").items or ():
        # Only a PR agentops opened: a stranger's PR carrying our marker is never adopted.
        if s.ctx.trust.marker(pr.body, pr.author, "pr", issue=issue):
            return pr
    return None


def _open_or_update_pr(s: _Session, issue: Issue, branch: str, acceptance: tuple[str, ...],
                       ex: dict[str, Any], sha: str) -> tuple[PullRequest, str]:
    gh = s.ctx.github
    body = s.redactor.redact(render_pr_body(PrFacts(
        issue=issue.number, summary=str(ex.get("summary") or ""), acceptance=acceptance, agent=s.agent.name,
        backend=s.backend, turns=ex.get("turns"), cost_usd=ex.get("cost_usd"), commit=sha,
        transcript=str(ex.get("transcript") or "")), make_marker("pr", issue=issue.number)))
    title = _title_line(issue.title, f"Issue #{issue.number}")
    existing = _find_pr(s, branch, issue.number)
    if existing is not None:
        return gh.update_pull(s.repo, existing.number, body=body), "pr-updated"
    pr = gh.create_pull(s.repo, title=title, body=body, head=branch, base=s.info.default_branch,
                        draft=s.ctx.config.code.draft)
    reviewers = [r for r in s.ctx.config.code.reviewers if r.lower() != pr.author.lower()]
    if reviewers:
        try:
            gh.request_reviewers(s.repo, pr.number, reviewers)
        except AgentOpsError as exc:  # the PR exists; a refused reviewer request must not fail the task
            s.warn(f"could not request reviewers {', '.join(reviewers)}: {exc}")
    return pr, "pr-opened"


# -- remediation -------------------------------------------------------------------------------
def _issue_of(trust: GitHubTrust, pr: PullRequest) -> int | None:
    """The work order a pull request is for: its `pr` marker, honoured only on a PR agentops
    opened (anyone else's marker or `Closes #N` would pull another issue's text into the prompt)."""
    if not trust.wrote(pr.author):
        return None
    m = trust.marker(pr.body, pr.author, "pr")
    if m and (m.get("issue") or "").isdigit():
        return int(m.get("issue") or 0)
    found = _CLOSES_RE.search(pr.body or "")
    return int(found.group(1)) if found else None


def _task_of(ctx: Context, repo: str, pr: PullRequest) -> int | None:
    """The work order of a PR: its marker on a PR agentops opened, else agentops's own progress record
    for that PR and branch. The record matters in Actions: the read-only jobs read GitHub as
    github-actions[bot], not as AGENTOPS_TOKEN's login, so they cannot tell agentops's PR marker from a
    forged one; state/ on the default branch is written only by agentops and maintainers."""
    number = _issue_of(ctx.trust, pr)
    if number is not None:
        return number
    for key, rec in ctx.store.records(docs.progress(repo)).items():
        if key.isdigit() and rec.get("pr") == pr.number and rec.get("branch") == pr.head_ref:
            return int(key)
    return None


def _feedback(s: _Session, pr: PullRequest, kind: str, seen: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The text to feed the agent ('' when there is nothing to do) and what it covers, so the
    next round only sees what is new (ids grow monotonically; REST has no 'resolved' flag)."""
    gh = s.ctx.github
    parts: list[str] = []
    if kind == "ci":
        # The failing jobs' log tails, other apps' check output, statuses and annotations, redacted.
        return read_failure(gh, s.repo, pr.head_sha, s.redactor).text, {"ci_sha": pr.head_sha}
    if kind == "conflict":
        if pr.mergeable is None:
            # Null is "not worked out yet", never "no conflicts" (settled_pull already waited).
            raise Unavailable(unknown_message(pr), hint="nothing was changed and no round was counted; run it again "
                              "in a minute")
        if pr.mergeable is not False:
            return "", {}
        return (f"GitHub reports that branch {pr.head_ref} has merge conflicts with {pr.base_ref} "
                f"(at {pr.base_sha[:12]})."), {"conflict_base": pr.base_sha}
    last_review = int(seen.get("review_id") or 0)
    last_comment = int(seen.get("comment_id") or 0)
    last_pr_comment = int(seen.get("pr_comment_id") or 0)
    covered = {"review_id": last_review, "comment_id": last_comment, "pr_comment_id": last_pr_comment}
    trust = s.ctx.trust
    fresh = [r for r in gh.list_reviews(s.repo, pr.number) if r.id > last_review and r.body.strip()]
    # agentops's own review agent asks for changes in a COMMENT review carrying its marker (GitHub
    # refuses a change request on one's own PR); its line comments are ours too.
    own = [r for r in fresh if trust.marker(r.body, r.author, REVIEW_KIND, verdict="request_changes")]
    # Only maintainers steer the agent: review text from anyone else is ignored (and logged).
    reviews, ignored_reviews = trust.maintainers_only(
        s.repo, [r for r in fresh if r.state == "CHANGES_REQUESTED"], lambda r: r.author)
    for rev in [*own, *reviews]:
        parts.append(f"### Review by @{rev.author} (changes requested)\n{rev.body}")
        covered["review_id"] = max(covered["review_id"], rev.id)
    new_comments = [c for c in gh.list_review_comments(s.repo, pr.number) if c.id > last_comment]
    comments, ignored_comments = trust.maintainers_only(s.repo, new_comments, lambda c: c.author)
    if own:
        comments = sorted([*comments, *(c for c in new_comments if trust.wrote(c.author))], key=lambda c: c.id)
    for c in comments:
        where = f"{c.path}:{c.line}" if c.path and c.line else (c.path or "general")
        parts.append(f"### Comment by @{c.author} on {where}\n{c.body}")
        covered["comment_id"] = max(covered["comment_id"], c.id)
    talk, ignored_talk = trust.maintainers_only(s.repo, [
        c for c in gh.list_comments(s.repo, pr.number) if c.id > last_pr_comment and c.body.strip()],
        lambda c: c.author)
    for pc in talk:
        parts.append(f"### Pull request comment by @{pc.author}\n{pc.body}")
        covered["pr_comment_id"] = max(covered["pr_comment_id"], pc.id)
    ignored = sorted({r.author for r in ignored_reviews} | {c.author for c in ignored_comments}
                     | {c.author for c in ignored_talk})
    if ignored:
        s.warn(f"ignored review text on PR #{pr.number} from users without write access: "
               + ", ".join(f"@{a}" for a in ignored))
        s.event("steering-ignored", "ignored", _issue_of(s.ctx.trust, pr), pr=pr.number, authors=ignored,
                reviews=[r.id for r in ignored_reviews], review_comments=[c.id for c in ignored_comments],
                comments=[c.id for c in ignored_talk])
    return "\n\n".join(parts), covered


def _remediate(ctx: Context, options: CodeOptions, kind: str) -> CodeResult:
    if options.phase == "publish":
        return _publish_round(ctx, options, kind)
    repo = options.repo or ctx.repo()
    assert options.pr is not None
    pr = settled_pull(ctx, repo, options.pr) if kind == "conflict" else ctx.github.get_pull(repo, options.pr)
    if pr.state != "open":
        raise BadInput(f"pull request #{pr.number} in {repo} is {pr.state}")
    if not (ctx.trust.wrote(pr.author) or ctx.trust.has_write(repo, pr.author)):
        raise WorkFailed(f"pull request #{pr.number} in {repo} is by @{pr.author}, who has no write access: agentops "
                         "revises only its own pull requests and maintainers'")
    number = _task_of(ctx, repo, pr)
    agent = _agent_config(ctx.config, options.agent, options.backend, None)
    resolve(agent, ctx.env, options.backend)
    s = _session(ctx, repo, agent, options.backend, str(number) if number else f"pr-{pr.number}")
    rounds_all: dict[str, Any] = dict(s.rec.get("rounds") or {})
    rounds: dict[str, Any] = dict(rounds_all.get(str(pr.number)) or {})
    used = int(rounds.get("review") or 0) + int(rounds.get("ci") or 0) + int(rounds.get("conflict") or 0)
    limit = ctx.config.code.max_rounds
    base: dict[str, Any] = dict(repo=repo, issue=number, pr=pr.number, branch=pr.head_ref, agent=agent.name, backend=s.backend)
    if used >= limit:
        reason = f"{used} remediation rounds used on PR #{pr.number} (limit {limit})"
        if options.phase == "agent":  # no write token here: the router labels the PR when it asks again
            s.warn(f"{reason}: nothing to do")
        else:
            _needs_human(s, pr, number, reason)
        return CodeResult(status="needs-human", reason=reason, round=used, warnings=tuple(s.warnings), **base)
    s.allowance = agent_allowance(ctx, agent, f"{repo}#{number}" if number else None)
    feedback, covered = _feedback(s, pr, kind, rounds)
    if not feedback:
        what = {"ci": "no failing checks", "conflict": "no merge conflicts"}.get(kind, "no new review comments")
        return CodeResult(status="skipped", reason=f"{what} on PR #{pr.number}", warnings=tuple(s.warnings), **base)
    if kind == "ci" and rounds.get("ci_sha") == pr.head_sha:
        return CodeResult(status="skipped", reason=f"a fix for these failures on {pr.head_sha[:12]} was already "
                          "attempted; waiting for CI to run again", warnings=tuple(s.warnings), **base)
    if kind == "conflict" and rounds.get("conflict_base") == pr.base_sha:
        return CodeResult(status="skipped", reason=f"a merge with {pr.base_ref} at {pr.base_sha[:12]} was already "
                          "attempted", warnings=tuple(s.warnings), **base)
    round_no = used + 1
    if options.phase is None:
        # The round counts before the agent runs: a crash mid-round must not buy an extra one. (A
        # split round is counted by its publish phase, the one whose state is kept; the router
        # bounds dispatched rounds either way.)
        rounds.update({kind: int(rounds.get(kind) or 0) + 1, **covered})
        rounds_all[str(pr.number)] = rounds
        s.rec["rounds"] = rounds_all
        s.save()

    # The task's own worktree when the PR is on its branch; otherwise one for the PR itself.
    path = _worktrees_root(ctx) / repo / f"pr-{pr.number}"
    if s.rec.get("branch") == pr.head_ref and s.rec.get("worktree"):
        path = Path(str(s.rec["worktree"]))
    _prepare_worktree(s, pr.head_ref, path)
    start_sha = wt.catch_up(path, pr.head_ref)
    run_name = docs.run_file_stem(f"{number or 'pr'}-pr{pr.number}-{kind}{round_no}", ctx.worker_id)
    title = pr.title
    if number:
        issue = ctx.github.get_issue(repo, number)
        order = parse_work_order(issue.body, repo=repo, number=number)
        inp = PromptInput(repo=repo, issue=number, title=issue.title, body=order.spec or issue.body,
                          acceptance=order.acceptance, conventions=_conventions(ctx, path), branch=pr.head_ref,
                          feedback_kind=kind, feedback=feedback, checks=_checks(s, path), base=pr.base_ref)
        title = issue.title
    else:
        inp = PromptInput(repo=repo, issue=pr.number, title=pr.title, body=pr.body, branch=pr.head_ref,
                          conventions=_conventions(ctx, path), feedback_kind=kind, feedback=feedback,
                          checks=_checks(s, path), base=pr.base_ref)
    prompt_path = _transcripts(ctx, repo) / f"{run_name}.prompt.md"
    prompt_path.write_text(s.redactor.redact(build_prompt(inp)), encoding="utf-8")
    result, transcript = _execute(s, issue=number or pr.number, branch=pr.head_ref, worktree=path,
                                  start_sha=start_sha, prompt_file=prompt_path, run_name=run_name, kind=kind,
                                  pr=pr.number, timeout_s=options.timeout_s)
    base.update(cost_usd=result.cost_usd, turns=result.turns, transcript=transcript, round=round_no)
    if not result.ok:
        s.event("remediation", "failed", number, pr=pr.number, round=round_no, kind=kind, reason=result.reason)
        status = "no-change" if result.reason == "agent made no change" else "failed"
        if result.tampered:  # agentops.git.guard: fail closed
            assert result.reason is not None
            _needs_human(s, pr, number, result.reason)
            status = NEEDS_HUMAN
        return CodeResult(status=status, reason=result.reason, warnings=tuple(s.warnings), **base)
    what = {"review": "Address review comments on", "ci": "Address failing checks on",
            "conflict": f"Merge {pr.base_ref} into"}[kind]
    out = Path(options.bundle) if options.bundle else _worktrees_root(ctx) / ".bundles" / repo / run_name
    merge = _mirror(s).rev_parse(f"refs/remotes/origin/{pr.base_ref}") if kind == "conflict" else None
    try:
        changed, sha_new = _commit_and_bundle(s, path, start_sha, pr.head_ref, _commit_message(
            f"{what} #{pr.number}: {title}", result.summary, agent, s.backend, number, pr.number), out, None, merge)
    except AgentOpsError as exc:
        if kind != "conflict":
            raise
        # A half-resolved merge is never pushed: the round failed, the worktree goes back.
        s.event("remediation", "failed", number, pr=pr.number, round=round_no, kind=kind, reason=exc.message)
        _untrusted_git(s, path, "reset", "--worktree", str(path), "--sha", start_sha)
        return CodeResult(status="failed", reason=exc.message, warnings=tuple(s.warnings), **base)
    if not changed:
        return CodeResult(status="no-change", reason="agent made no change", warnings=tuple(s.warnings), **base)
    if options.phase == "agent":
        facts = RoundBundle(repo=repo, pr=pr.number, feedback=kind, issue=number, branch=pr.head_ref, base_sha=start_sha,
                            head_sha=sha_new, agent=agent.name, backend=s.backend, summary=result.summary[:8000],
                            cost_usd=result.cost_usd, turns=result.turns, covered=tuple(sorted(covered.items())),
                            run=run_name)
        _write_json(out, "round", facts, ctx.root / transcript if transcript else None)
        s.event("bundled", "ok", number, pr=pr.number, round=round_no, kind=kind, commit=sha_new, bundle=str(out))
        return CodeResult(status="bundled", commit=sha_new, warnings=tuple(s.warnings), **base)
    hits, _pushed = _ship(s, pr.head_ref, start_sha, sha_new, out / BUNDLE_GIT)
    if hits:
        refused = _refuse_secrets(s, number or pr.number, pr.head_ref, sha_new, hits)
        return CodeResult(status="needs-human", reason=refused.reason, warnings=tuple(s.warnings), **base)
    s.event("remediation", "ok", number, pr=pr.number, round=round_no, kind=kind, commit=sha_new)
    return CodeResult(status="pr-updated", commit=sha_new, warnings=tuple(s.warnings), **base)


def _publish_round(ctx: Context, options: CodeOptions, kind: str) -> CodeResult:
    """The publish phase of a round: the bundle folder is hostile data. Its facts must match the
    pull request as GitHub shows it now and the round the workflow asked for; the commits must carry
    exactly the PR's branch, build on its current head and pass the secret scan; only then are they
    pushed and the round recorded. Nothing from the repository or the bundle is executed."""
    from agentops.context import parse_repo

    meta, commits = _bundle_files(options)
    facts = parse_round_bundle(str(meta), meta.read_bytes())
    repo = parse_repo(options.repo) if options.repo else ctx.repo()
    for field_name, got, want in (("repo", facts.repo.lower(), repo.lower()), ("pr", facts.pr, options.pr),
                                  ("feedback", facts.feedback, kind)):
        if got != want:
            raise BadInput(f"{meta}: field {field_name!r} is {got}, not {want} (the round this run was asked for)")
    pr = ctx.github.get_pull(repo, facts.pr)
    if pr.state != "open":
        raise BadInput(f"pull request #{pr.number} in {repo} is {pr.state}")
    if not (ctx.trust.wrote(pr.author) or ctx.trust.has_write(repo, pr.author)):
        raise WorkFailed(f"pull request #{pr.number} in {repo} is by @{pr.author}, who has no write access: agentops "
                         "revises only its own pull requests and maintainers'")
    if facts.branch != pr.head_ref:
        raise BadInput(f"{meta}: field 'branch' is {facts.branch}, but PR #{pr.number}'s branch is {pr.head_ref}")
    number = _task_of(ctx, repo, pr)
    if facts.issue is not None and facts.issue != number:
        raise BadInput(f"{meta}: field 'issue' is {facts.issue}, but PR #{pr.number} is for "
                       + (f"#{number}" if number else "no task"))
    agent = ctx.config.agent(facts.agent) or AgentConfig(name=facts.agent, backend="command")
    s = _session(ctx, repo, agent, None, str(number) if number else f"pr-{pr.number}", publish_only=facts.backend)
    base: dict[str, Any] = dict(repo=repo, issue=number, pr=pr.number, branch=pr.head_ref, agent=agent.name,
                                backend=s.backend, cost_usd=facts.cost_usd, turns=facts.turns)
    _record_cost(s, number, pr.number, kind, facts.cost_usd, facts.turns, facts.run)
    if pr.head_sha != facts.base_sha:
        # The branch moved since the round started: its commit would not fast-forward, and the
        # feedback it answered may be stale. The next event starts a fresh round.
        return CodeResult(status="failed", reason=f"PR #{pr.number}'s head moved from {facts.base_sha[:12]} to "
                          f"{pr.head_sha[:12]} while the round ran; nothing was pushed", warnings=tuple(s.warnings), **base)
    rounds_all: dict[str, Any] = dict(s.rec.get("rounds") or {})
    rounds: dict[str, Any] = dict(rounds_all.get(str(pr.number)) or {})
    used = sum(int(rounds.get(k) or 0) for k in ("review", "ci", "conflict"))
    limit = ctx.config.code.max_rounds
    if used >= limit:
        reason = f"{used} remediation rounds used on PR #{pr.number} (limit {limit})"
        _needs_human(s, pr, number, reason)
        return CodeResult(status="needs-human", reason=reason, round=used, warnings=tuple(s.warnings), **base)
    covered = _checked_coverage(s, pr, facts, rounds, str(meta))
    if isinstance(covered, str):
        return CodeResult(status="skipped", reason=covered, warnings=tuple(s.warnings), **base)
    hits, _pushed = _ship(s, pr.head_ref, facts.base_sha, facts.head_sha, commits)
    if hits:
        refused = _refuse_secrets(s, number or pr.number, pr.head_ref, facts.head_sha, hits)
        return CodeResult(status="needs-human", reason=refused.reason, warnings=tuple(s.warnings), **base)
    round_no = used + 1
    rounds.update({kind: int(rounds.get(kind) or 0) + 1, **covered})
    rounds_all[str(pr.number)] = rounds
    s.rec["rounds"] = rounds_all
    s.save()
    s.event("remediation", "ok", number, pr=pr.number, round=round_no, kind=kind, commit=facts.head_sha,
            cost_usd=facts.cost_usd)
    return CodeResult(status="pr-updated", commit=facts.head_sha, round=round_no, warnings=tuple(s.warnings), **base)


def _checked_coverage(s: _Session, pr: PullRequest, facts: RoundBundle, rounds: dict[str, Any],
                      name: str) -> dict[str, Any] | str:
    """What the round says its feedback covered, checked against GitHub and the rounds already
    recorded (a str: why there is nothing to publish). A forged id past anything on the PR would
    silence later feedback; a forged sha would mark another head's failures as fixed."""
    covered = dict(facts.covered)
    if facts.feedback == "ci":
        if covered["ci_sha"] != facts.base_sha:
            raise BadInput(f"{name}: field 'covered.ci_sha' must be the head the round started from")
        if rounds.get("ci_sha") == facts.base_sha:
            return f"a fix for the failures on {facts.base_sha[:12]} was already published"
        return covered
    if facts.feedback == "conflict":
        mirror = _mirror(s)
        mirror.fetch(s.info.clone_url, s.token, [pr.base_ref])
        merged = str(covered["conflict_base"])
        if not mirror.has_commit(merged) or not mirror.is_ancestor(merged, f"refs/remotes/origin/{pr.base_ref}"):
            raise BadInput(f"{name}: field 'covered.conflict_base' is not a commit of {pr.base_ref}")
        if rounds.get("conflict_base") == merged:
            return f"a merge with {pr.base_ref} at {merged[:12]} was already published"
        return covered
    gh = s.ctx.github
    newest = {"review_id": max((r.id for r in gh.list_reviews(s.repo, pr.number)), default=0),
              "comment_id": max((c.id for c in gh.list_review_comments(s.repo, pr.number)), default=0),
              "pr_comment_id": max((c.id for c in gh.list_comments(s.repo, pr.number)), default=0)}
    for key, value in covered.items():
        if int(value) > newest[key]:
            raise BadInput(f"{name}: field 'covered.{key}' is {value}, past anything on PR #{pr.number}")
    if all(int(covered[k]) <= int(rounds.get(k) or 0) for k in newest):
        return f"the review feedback this round answered (up to {covered}) was already answered"
    return {k: max(int(covered[k]), int(rounds.get(k) or 0)) for k in newest}


def _needs_human(s: _Session, pr: PullRequest, issue: int | None, reason: str) -> None:
    gh = s.ctx.github
    if NEEDS_HUMAN not in pr.labels:
        gh.add_labels(s.repo, pr.number, [NEEDS_HUMAN])
    if not any(s.ctx.trust.marker(c.body, c.author, NEEDS_HUMAN, pr=pr.number)
               for c in gh.list_comments(s.repo, pr.number)):
        marker = make_marker(NEEDS_HUMAN, pr=pr.number)
        gh.create_comment(s.repo, pr.number, f"agentops stopped fixing this pull request automatically: {reason}. "
                          "A human needs to take it from here.\n\n" + marker, marker=marker)
        s.event("needs-human", "ok", issue, pr=pr.number, reason=reason)


# -- cleanup ----------------------------------------------------------------------------------
def _cleanup(ctx: Context, options: CodeOptions) -> CodeResult:
    repo = options.repo or ctx.repo()
    gh = ctx.github
    doc = docs.progress(repo)
    tasks = ctx.store.records(docs.TASK_QUEUE)
    removed: list[str] = []
    for key, rec in sorted(ctx.store.records(doc).items()):
        path_s = rec.get("worktree")
        if not path_s or rec.get("worktree_removed"):
            continue
        finished = str((tasks.get(f"{repo}#{key}") or {}).get("status") or "") in ("done", "completed", "closed")
        pr_no = rec.get("pr")
        if not finished and isinstance(pr_no, int):
            finished = gh.get_pull(repo, pr_no).state == "closed"
        if not finished and key.isdigit() and not isinstance(pr_no, int):
            finished = gh.get_issue(repo, int(key)).state == "closed"
        if not finished:
            continue
        path = Path(str(path_s))
        local = wt.worktree_root(path) if path.exists() else ctx.root
        wt.remove_worktree(local, path, str(rec.get("branch") or "") or None)
        removed.append(_rel(ctx, path))

        def mark(d: Any, k: str = key) -> None:
            d.put(k, {**(d.get(k) or {}), "worktree_removed": True, "cleaned_at": str(to_jsonable(ctx.clock()))})

        ctx.store.update(doc, mark)
    return CodeResult(status="cleaned", repo=repo, cleaned=tuple(removed))
