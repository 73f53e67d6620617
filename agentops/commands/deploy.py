"""`agentops deploy` and `agentops rollback`: pre-flight, ship, smoke, monitor, roll back,
open/update/resolve the incident issue, and record the outcome for DORA.

Flow of a deploy: resolve the sha -> pre-flight (freeze window, required checks green, no
open incident unless --force, environment lock) -> deploy command -> smoke checks -> monitor
window. Any failure once the command has started triggers the rollback (rollback argv, or the
deploy argv at the previous good sha) and the health checks again. Every real run appends one
`deployments` record; failures open or update one incident issue per environment (marker
`agentops:incident env=NAME`) and a later healthy deploy resolves it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentops import proc
from agentops.context import Context
from agentops.domain import deploy as dom
from agentops.domain.timeutil import iso
from agentops.errors import AgentOpsError, BadInput, ConfigError, GitHubError, LostRace, NotFound, WorkFailed
from agentops.http import HttpClient
from agentops.redact import Redactor
from agentops.settings import EnvironmentConfig, HealthCheckConfig

LEASES_DOC = "deploy/locks"
DEPLOYMENTS_LOG = "deployments"
INCIDENTS_LOG = "incidents"
OUTPUT_TAIL_LINES = 40
BODY_TAIL_CHARS = 2000


# -- values -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeployOptions:
    env: str
    sha: str | None = None
    force: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class RollbackOptions:
    env: str
    to: str | None = None


@dataclass(frozen=True)
class PreflightItem:
    name: str  # freeze | checks | incident | lock
    ok: bool
    detail: str


@dataclass(frozen=True)
class StepResult:
    name: str  # deploy | smoke | monitor | rollback | rollback-health
    ok: bool
    detail: str
    output: str = ""  # redacted tail
    duration_s: float = 0.0


@dataclass(frozen=True)
class Plan:
    deploy: tuple[str, ...]
    rollback: tuple[str, ...] | None  # None: nothing to roll back to
    rollback_note: str
    health_checks: tuple[str, ...]
    monitor: str


@dataclass(frozen=True)
class DeployResult:
    id: str | None
    kind: str  # deploy | rollback
    repo: str
    environment: str
    sha: str
    previous_sha: str | None
    status: str  # succeeded | rolled_back | failed | rollback_failed | planned | refused
    dry_run: bool
    plan: Plan
    preflight: tuple[PreflightItem, ...] = ()
    steps: tuple[StepResult, ...] = ()
    prs: tuple[int, ...] = ()
    commits: tuple[Mapping[str, str], ...] = ()
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    incident: int | None = None
    severity: str | None = None
    resolved_incidents: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        if self.dry_run:
            return 0 if all(p.ok for p in self.preflight) else 1
        return 0 if self.status == "succeeded" else 1


# -- entry points -------------------------------------------------------------------------------------
def run(options: DeployOptions, ctx: Context) -> DeployResult:
    env = _Env.load(ctx, options.env)
    sha = _resolve_sha(ctx, options.sha)
    history = _history(ctx, env.repo, env.name)
    running = _last_succeeded(history)
    # Redeploying what already runs: the rollback target is the good sha before it.
    previous = _last_succeeded(history, exclude=sha) if running == sha else running
    values = _values(ctx, env.name, sha, previous)
    plan = _plan(env, values)
    preflight = _preflight(ctx, env, sha, force=options.force, dry_run=options.dry_run)
    if options.dry_run:
        return DeployResult(None, "deploy", env.repo, env.name, sha, previous, "planned", True, plan,
                            tuple(preflight))
    refused = [p for p in preflight if not p.ok]
    if refused:
        raise WorkFailed("pre-flight refused the deploy: " + "; ".join(f"{p.name}: {p.detail}" for p in refused),
                         hint="use --force to deploy over an open incident" if any(
                             p.name == "incident" for p in refused) else None)
    deploy_id = _new_id(ctx, env.name, sha)
    with _EnvLock(ctx, env, deploy_id):
        return _Runner(ctx, env, deploy_id, plan).deploy(sha, previous, running)


def rollback(options: RollbackOptions, ctx: Context) -> DeployResult:
    env = _Env.load(ctx, options.env)
    history = _history(ctx, env.repo, env.name)
    current = _last_succeeded(history)
    if options.to:
        target = _resolve_sha(ctx, options.to)
    else:
        found = _last_succeeded(history, exclude=current) if current else None
        if found is None:
            raise BadInput(f"no earlier successful deploy of {env.name!r} to roll back to",
                           hint="pass --to SHA")
        target = found
    # The rollback argv's {previous_sha} is the sha we go back to; {sha} the one being replaced.
    values = _values(ctx, env.name, current or target, target)
    plan = _plan(env, values)
    if plan.rollback is None:
        raise BadInput(f"cannot roll back {env.name!r}: {plan.rollback_note}")
    deploy_id = _new_id(ctx, env.name, target)
    with _EnvLock(ctx, env, deploy_id):
        return _Runner(ctx, env, deploy_id, plan).manual_rollback(target, current)


# -- environment, sha, history --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Env:
    name: str
    cfg: EnvironmentConfig
    repo: str
    config_path: str
    redactor: Redactor

    @staticmethod
    def load(ctx: Context, name: str) -> _Env:
        config = ctx.config
        path = config.path or "agentops.yaml"
        cfg = config.environments.get(name)
        if cfg is None:
            known = ", ".join(sorted(config.environments)) or "none configured"
            raise ConfigError(path, f"no environment {name!r} (known: {known})", field="environments")
        where = f"environments.{name}"
        try:
            dom.check_freeze_windows(cfg.freeze, field=f"{where}.freeze")
            dom.check_health_config(cfg.health_checks, field=f"{where}.health_checks")
        except dom.PlanError as exc:
            raise ConfigError(path, exc.message, field=exc.field) from exc
        red = ctx.output.redactor
        red.add_env(ctx.env)  # secret-looking names, including any passed through env_allow
        for secret_name in config.code.secrets:
            red.add(ctx.env.get(secret_name))
        return _Env(name, cfg, ctx.repo(), path, red)

    def config_error(self, exc: dom.PlanError) -> ConfigError:
        return ConfigError(self.config_path, exc.message, field=f"environments.{self.name}.{exc.field}")


def _git_repo(ctx: Context) -> Any | None:
    from agentops import git

    try:
        return git.open_repo(ctx.root)
    except BadInput:
        return None


def _resolve_sha(ctx: Context, given: str | None) -> str:
    from agentops import git

    want = given or ctx.env.get("GITHUB_SHA") or None
    repo = _git_repo(ctx)
    if want is None:
        if repo is None:
            raise BadInput("no sha to deploy", hint="pass --sha, set GITHUB_SHA, or run inside the repository")
        want = "HEAD"
    if repo is not None:
        status, out, _err = git.try_run(repo, "rev-parse", "--verify", "--quiet", f"{want}^{{commit}}")
        if status == 0 and out:
            return out
    if want == "HEAD" or not re.fullmatch(r"[0-9a-fA-F]{7,40}", want):
        raise BadInput(f"--sha: {want!r} is not a commit here", hint="pass the full 40-character sha")
    return want.lower()


def _history(ctx: Context, repo: str, env: str) -> list[dict[str, Any]]:
    return [e for e in ctx.store.read_log(DEPLOYMENTS_LOG)
            if e.get("repo") == repo and e.get("environment") == env and not e.get("dry_run")]


def _last_succeeded(history: Sequence[Mapping[str, Any]], *, exclude: str | None = None) -> str | None:
    for e in reversed(history):
        if e.get("status") == "succeeded" and e.get("sha") and e.get("sha") != exclude:
            return str(e["sha"])
    return None


def _version(ctx: Context, sha: str) -> str:
    from agentops import git

    repo = _git_repo(ctx)
    if repo is not None:
        status, out, _ = git.try_run(repo, "describe", "--tags", "--always", sha)
        if status == 0 and out:
            return out
    return sha[:12]


def _values(ctx: Context, env: str, sha: str, previous: str | None) -> dict[str, str | None]:
    return {"sha": sha, "short_sha": sha[:12], "previous_sha": previous, "env": env, "version": _version(ctx, sha)}


def _new_id(ctx: Context, env: str, sha: str) -> str:
    stamp = ctx.clock().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{env}-{stamp}-{sha[:7]}-{uuid.uuid4().hex[:6]}"


# -- plan ---------------------------------------------------------------------------------------------------
def _plan(env: _Env, values: Mapping[str, str | None]) -> Plan:
    cfg = env.cfg
    try:
        deploy_argv = dom.expand(cfg.deploy, values, field="deploy")
    except dom.PlanError as exc:
        raise env.config_error(exc) from exc
    rollback_argv, note = _rollback_argv(env, values)
    checks = tuple(f"{c.method} {c.url} -> {c.expect_status}" for c in cfg.health_checks)
    m = cfg.monitor
    monitor = (f"{dom.monitor_polls(m.duration_s, m.interval_s)} polls every {m.interval_s:g}s over "
               f"{m.duration_s:g}s, up to {m.max_failures} failures allowed" if m.duration_s > 0 else "none")
    return Plan(deploy_argv, rollback_argv, note, checks, monitor)


def _rollback_argv(env: _Env, values: Mapping[str, str | None]) -> tuple[tuple[str, ...] | None, str]:
    cfg = env.cfg
    previous = values.get("previous_sha")
    if cfg.rollback:
        try:
            return dom.expand(cfg.rollback, values, field="rollback"), "rollback command"
        except dom.PlanError as exc:
            if previous is None and dom.uses_placeholder(cfg.rollback, "previous_sha"):
                return None, "no previous successful deploy to roll back to"
            raise env.config_error(exc) from exc
    if previous is None:
        return None, "no previous successful deploy to redeploy"
    redo = {**values, "sha": previous, "short_sha": previous[:12], "version": previous[:12]}
    try:
        return dom.expand(cfg.deploy, redo, field="deploy"), f"redeploy {previous[:12]}"
    except dom.PlanError as exc:
        raise env.config_error(exc) from exc


# -- pre-flight ------------------------------------------------------------------------------------------------
def _preflight(ctx: Context, env: _Env, sha: str, *, force: bool, dry_run: bool) -> list[PreflightItem]:
    items: list[PreflightItem] = []
    window = dom.active_freeze(env.cfg.freeze, ctx.clock())
    if window is not None:
        items.append(PreflightItem("freeze", False, f"freeze window {window.start} -> {window.end}"
                                   + (f" ({window.reason})" if window.reason else "")))
    else:
        items.append(PreflightItem("freeze", True, "no freeze window"))
    items.append(_checks_item(ctx, env, sha))
    items.append(_incident_item(ctx, env, force))
    if dry_run:
        holder = _lease_holder(ctx, env.name)
        items.append(PreflightItem("lock", holder is None,
                                   f"held by {holder}" if holder else "free"))
    return items


def _checks_item(ctx: Context, env: _Env, sha: str) -> PreflightItem:
    gh = ctx.github
    try:
        combined = gh.get_combined_status(env.repo, sha)
    except NotFound as exc:  # the emulator and some GitHub versions answer 404 for an unknown commit
        return PreflightItem("checks", False, f"{sha[:12]} is not on GitHub (push it first): {exc.message}")
    except GitHubError as exc:
        if exc.status == 422:  # GitHub: "No commit found for SHA"
            return PreflightItem("checks", False, f"{sha[:12]} is not on GitHub (push it first): {exc.message}")
        raise
    statuses: dict[str, str] = {}
    for s in combined.statuses:  # newest first, as GitHub lists them
        statuses.setdefault(s.context, s.state)
    runs: dict[str, tuple[int, str, str | None]] = {}
    for r in gh.list_check_runs(env.repo, sha):
        if r.name not in runs or r.id > runs[r.name][0]:
            runs[r.name] = (r.id, r.status, r.conclusion)
    required = env.cfg.required_checks
    if not statuses and not runs and not required:
        if required is None:  # fail closed: "0 checks green" would ship a commit nothing ever tested
            return PreflightItem("checks", False, f"no CI reported on {sha[:12]} (set `required_checks: []` on "
                                                  f"environment {env.name} to deploy without CI)")
        ctx.output.warn(f"no CI reported on {sha[:12]}; deploying anyway (environment {env.name} sets "
                        "required_checks: [])")
        return PreflightItem("checks", True, "no check reported (required_checks: [])")
    problems = dom.red_checks(required or (), statuses, {k: (v[1], v[2]) for k, v in runs.items()})
    if problems:
        return PreflightItem("checks", False, "not green: " + ", ".join(f"{p.name} ({p.state})" for p in problems))
    n = len(required or ()) or len(statuses) + len(runs)
    return PreflightItem("checks", True, f"{n} check(s) green")


def _open_incidents(ctx: Context, env: _Env) -> list[Any]:
    fetched = ctx.github.list_issues(env.repo, state="open", labels=[dom.INCIDENT_LABEL])
    # Only incidents agentops opened: an issue anyone else wrote with the marker neither blocks
    # deploys nor stands in for a real incident.
    return [i for i in (fetched.items or ()) if ctx.trust.marker(i.body, i.author, "incident", env=env.name)]


def _incident_item(ctx: Context, env: _Env, force: bool) -> PreflightItem:
    found = _open_incidents(ctx, env)
    if not found:
        return PreflightItem("incident", True, "no open incident")
    nums = ", ".join(f"#{i.number}" for i in found)
    if force:
        return PreflightItem("incident", True, f"open incident {nums} (--force)")
    return PreflightItem("incident", False, f"open incident {nums}")


def _lease_holder(ctx: Context, env: str) -> str | None:
    lease = ctx.store.get(LEASES_DOC, env)
    if not lease or _lease_expired(lease, ctx.clock()):
        return None
    return _describe_lease(lease)


def _lease_expired(lease: Mapping[str, Any], now: dt.datetime) -> bool:
    try:
        expires = dt.datetime.fromisoformat(str(lease.get("expires_at", "")).replace("Z", "+00:00"))
    except ValueError:
        return True
    return expires <= now


def _describe_lease(lease: Mapping[str, Any]) -> str:
    return f"{lease.get('holder', '?')} since {lease.get('since', '?')} (deploy {lease.get('deploy_id', '?')})"


# -- the environment lock ----------------------------------------------------------------------------------
class _EnvLock:
    """One deploy per environment: a non-blocking lock file on this machine, plus a lease
    record in state so a deploy on another machine (state shared through git) sees the holder."""

    def __init__(self, ctx: Context, env: _Env, deploy_id: str) -> None:
        self.ctx = ctx
        self.env = env
        self.deploy_id = deploy_id
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", env.name)
        # Beside the state it guards; dot-named so the store and git merges never see it.
        self.path = Path(ctx.store.root) / ".locks" / f"deploy-{safe}.lock"
        self._lock: Any = None
        m = env.cfg.monitor
        checks = sum((c.retries + 1) * (c.timeout_s + c.retry_delay_s) for c in env.cfg.health_checks)
        self.ttl_s = 2 * env.cfg.timeout_s + m.duration_s + 2 * checks + 600

    def __enter__(self) -> _EnvLock:
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path), thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            holder = _lease_holder(self.ctx, self.env.name) or "another process on this machine"
            raise LostRace(f"environment {self.env.name!r} is locked: held by {holder}",
                           hint="wait for that deploy to finish, then run again") from None
        self._lock = lock
        try:
            self._take_lease()
        except BaseException:
            lock.release()
            raise
        return self

    def _take_lease(self) -> None:
        now = self.ctx.clock()
        me = self.ctx.worker_id
        lease = {"holder": me, "since": iso(now), "deploy_id": self.deploy_id,
                 "expires_at": iso(now + dt.timedelta(seconds=self.ttl_s))}

        def take(d: Any) -> Mapping[str, Any] | None:
            held = d.get(self.env.name)
            if held and held.get("holder") != me and not _lease_expired(held, now):
                return dict(held)
            d.put(self.env.name, lease)
            return None

        held = self.ctx.store.update(LEASES_DOC, take)
        if held is not None:
            raise LostRace(f"environment {self.env.name!r} is locked: held by {_describe_lease(held)}",
                           hint="wait for that deploy to finish (or its lease to expire), then run again")

    def __exit__(self, *exc: object) -> None:
        me = self.ctx.worker_id

        def drop(d: Any) -> None:
            held = d.get(self.env.name)
            if held and held.get("holder") == me and held.get("deploy_id") == self.deploy_id:
                d.delete(self.env.name)

        try:
            self.ctx.store.update(LEASES_DOC, drop)
        finally:
            if self._lock is not None:
                self._lock.release()


# -- running -------------------------------------------------------------------------------------------------
@dataclass
class _Failure:
    step: str
    reason: str
    output: str


@dataclass
class _Runner:
    ctx: Context
    env: _Env
    deploy_id: str
    plan: Plan
    steps: list[StepResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    # -- deploy ---------------------------------------------------------------------
    def deploy(self, sha: str, previous: str | None, running: str | None) -> DeployResult:
        out = self.ctx.output
        started = self.ctx.clock()
        commits, prs = _shipped(self.ctx, sha, running)
        out.step(f"deploying {sha[:12]} to {self.env.name} ({self.deploy_id})")
        failure: _Failure | None = None
        started_cmd = False
        with HttpClient() as http:
            res = self._command("deploy", self.plan.deploy, sha, previous)
            started_cmd = res.error is None
            if not res.ok:
                failure = _Failure("deploy", _proc_reason(res), res.tail(OUTPUT_TAIL_LINES))
            else:
                failure = self._smoke(http, "smoke") or self._monitor(http)
            rollback_attempted = rollback_ok = False
            if failure is not None and started_cmd:
                rollback_attempted, rollback_ok = self._rollback(http, sha, previous)
        finished = self.ctx.clock()
        status = dom.classify(healthy=failure is None, rollback_attempted=rollback_attempted,
                              rollback_ok=rollback_ok)
        return self._finish("deploy", sha, previous, status, failure, started, finished, commits, prs)

    def manual_rollback(self, target: str, current: str | None) -> DeployResult:
        started = self.ctx.clock()
        self.ctx.output.step(f"rolling {self.env.name} back to {target[:12]} ({self.deploy_id})")
        assert self.plan.rollback is not None
        failure: _Failure | None = None
        with HttpClient() as http:
            res = self._command("rollback", self.plan.rollback, target, current)
            if not res.ok:
                failure = _Failure("rollback", _proc_reason(res), res.tail(OUTPUT_TAIL_LINES))
            else:
                failure = self._smoke(http, "rollback-health")
        finished = self.ctx.clock()
        status: dom.Status = "succeeded" if failure is None else "rollback_failed"
        commits = ({"sha": target, "committed_at": c} for c in [_committed_at(self.ctx, target)] if c)
        return self._finish("rollback", target, current, status, failure, started, finished, tuple(commits), ())

    # -- steps ----------------------------------------------------------------------
    def _command(self, name: str, argv: Sequence[str], sha: str, previous: str | None) -> proc.ProcResult:
        cfg = self.env.cfg
        env = proc.scrub_env(self.ctx.env, allow=cfg.env_allow)
        env.update({"AGENTOPS_ENV": self.env.name, "AGENTOPS_SHA": sha, "AGENTOPS_PREVIOUS_SHA": previous or "",
                    "AGENTOPS_DEPLOY_ID": self.deploy_id})
        cwd = Path(cfg.cwd) if cfg.cwd else self.ctx.root
        if not cwd.is_absolute():
            cwd = self.ctx.root / cwd
        self.ctx.output.info(f"$ {' '.join(argv)}")
        res = proc.run(argv, cwd=cwd, env=env, timeout=cfg.timeout_s, redactor=self.env.redactor)
        self.steps.append(StepResult(name, res.ok, "exit 0" if res.ok else _proc_reason(res),
                                     res.tail(OUTPUT_TAIL_LINES), round(res.duration_s, 3)))
        return res

    def _probe(self, http: HttpClient, check: HealthCheckConfig, *, retries: int) -> tuple[dom.HealthVerdict, str]:
        attempts = retries + 1
        verdict = dom.HealthVerdict(check.url, False, "not probed")
        body = ""
        for attempt in range(1, attempts + 1):
            r = http.request(check.method, check.url, timeout_s=check.timeout_s)
            verdict = dataclasses.replace(dom.evaluate_health(check, status=r.status, body=r.body, error=r.error),
                                          attempts=attempt)
            body = r.body
            if verdict.ok:
                break
            if attempt < attempts and check.retry_delay_s > 0:
                self.ctx.sleep(check.retry_delay_s)
        return verdict, self.env.redactor.redact(body[-BODY_TAIL_CHARS:])

    def _smoke(self, http: HttpClient, name: str) -> _Failure | None:
        checks = self.env.cfg.health_checks
        if not checks:
            self.steps.append(StepResult(name, True, "no health checks configured"))
            return None
        bad: list[str] = []
        outputs: list[str] = []
        for check in checks:
            verdict, body = self._probe(http, check, retries=check.retries)
            if not verdict.ok:
                bad.append(f"{check.method} {check.url}: {verdict.reason} (after {verdict.attempts} attempt(s))")
                if body:
                    outputs.append(f"--- {check.url}\n{body}")
        if bad:
            reason = self.env.redactor.redact("; ".join(bad))
            self.steps.append(StepResult(name, False, reason, "\n".join(outputs)))
            return _Failure(name, reason, "\n".join(outputs))
        self.steps.append(StepResult(name, True, f"{len(checks)} check(s) healthy"))
        return None

    def _monitor(self, http: HttpClient) -> _Failure | None:
        m = self.env.cfg.monitor
        polls = dom.monitor_polls(m.duration_s, m.interval_s)
        if polls == 0 or not self.env.cfg.health_checks:
            return None
        failures = 0
        reasons: list[str] = []
        outputs: list[str] = []
        with self.ctx.output.progress(f"monitoring {self.env.name}", total=polls) as tick:
            for n in range(1, polls + 1):
                self.ctx.sleep(m.interval_s)
                tick.advance(description=f"monitoring {self.env.name}: poll {n}/{polls}, {failures} unhealthy")
                bad = []
                for check in self.env.cfg.health_checks:
                    verdict, body = self._probe(http, check, retries=0)
                    if not verdict.ok:
                        bad.append(f"{check.method} {check.url}: {verdict.reason}")
                        if body:
                            outputs.append(f"--- poll {n} {check.url}\n{body}")
                if bad:
                    failures += 1
                    reasons += [b for b in bad if b not in reasons]
                    self.ctx.output.warn(f"monitor poll {n}/{polls} unhealthy ({failures}/{m.max_failures} allowed): "
                                         + "; ".join(bad))
                    if dom.monitor_failed(failures, m.max_failures):
                        reason = self.env.redactor.redact(
                            f"{failures} unhealthy poll(s) of {n} (max {m.max_failures}): " + "; ".join(reasons))
                        self.steps.append(StepResult("monitor", False, reason, "\n".join(outputs[-5:])))
                        return _Failure("monitor", reason, "\n".join(outputs[-5:]))
        self.steps.append(StepResult("monitor", True, f"{polls} poll(s), {failures} unhealthy "
                                     f"(max {m.max_failures})"))
        return None

    def _rollback(self, http: HttpClient, sha: str, previous: str | None) -> tuple[bool, bool]:
        """(attempted, restored)."""
        if self.plan.rollback is None:
            self.steps.append(StepResult("rollback", False, f"not attempted: {self.plan.rollback_note}"))
            return False, False
        self.ctx.output.step(f"rolling back {self.env.name} ({self.plan.rollback_note})")
        res = self._command("rollback", self.plan.rollback, sha, previous)
        if not res.ok:
            return True, False
        return True, self._smoke(http, "rollback-health") is None

    # -- outcome --------------------------------------------------------------------
    def _finish(self, kind: str, sha: str, previous: str | None, status: dom.Status, failure: _Failure | None,
                started: dt.datetime, finished: dt.datetime, commits: Sequence[Mapping[str, str]],
                prs: Sequence[int]) -> DeployResult:
        incident: int | None = None
        severity: str | None = None
        resolved: list[int] = []
        error: AgentOpsError | None = None
        try:
            if status == "succeeded":
                resolved = self._resolve_incidents(sha, finished)
            else:
                assert failure is not None
                incident, severity = self._raise_incident(sha, previous, status, failure, finished)
        except AgentOpsError as exc:
            # The deploy happened whatever GitHub says now: record it before reporting the error.
            error = exc
            self.warnings.append(f"incident issue not updated: {exc.message}")
        record = {
            "id": self.deploy_id, "kind": kind, "repo": self.env.repo, "environment": self.env.name,
            "sha": sha, "previous_sha": previous, "prs": list(prs), "commits": [dict(c) for c in commits],
            "started_at": iso(started), "finished_at": iso(finished), "status": status,
            "incident": incident, "dry_run": False,
        }
        self.ctx.store.append(DEPLOYMENTS_LOG, record)
        if error is not None:
            raise error
        return DeployResult(self.deploy_id, kind, self.env.repo, self.env.name, sha, previous, status, False,
                            self.plan, (), tuple(self.steps), tuple(prs), tuple(commits), started, finished,
                            incident, severity, tuple(resolved), tuple(self.warnings))

    def _raise_incident(self, sha: str, previous: str | None, status: dom.Status, failure: _Failure,
                        at: dt.datetime) -> tuple[int, str]:
        gh = self.ctx.github
        repo = self.env.repo
        severity = dom.severity_for(status)
        rb = [s for s in self.steps if s.name in ("rollback", "rollback-health")]
        if status == "failed":
            rb_line = f"Not rolled back: {self.plan.rollback_note}."
        else:
            rb_line = ("Rollback succeeded; health checks pass again." if status == "rolled_back" else
                       "**Rollback FAILED**: " + "; ".join(f"{s.name}: {s.detail}" for s in rb if not s.ok))
        red = self.env.redactor.redact
        facts = dom.IncidentFacts(
            repo=repo, environment=self.env.name, sha=sha, previous_sha=previous, deploy_id=self.deploy_id,
            status=status, severity=severity, failed_step=failure.step, failure=red(failure.reason),
            failure_output=red(_tail(failure.output)), rollback=rb_line,
            rollback_output=red(_tail("\n".join(s.output for s in rb if s.output))), at=at)
        existing = _open_incidents(self.ctx, self.env)
        for label, color in ((dom.INCIDENT_LABEL, "b60205"), (dom.SEVERITY_LABELS[severity], "d93f0b")):
            gh.ensure_label(repo, label, color=color)
        if existing:
            issue = min(existing, key=lambda i: i.number)
            if dom.SEVERITY_LABELS["critical"] in issue.labels:
                severity = "critical"
            facts = dataclasses.replace(facts, severity=severity)
            gh.update_issue(repo, issue.number, title=dom.incident_title(self.env.name, sha, severity),
                            body=dom.render_incident(facts))
            if dom.SEVERITY_LABELS[severity] not in issue.labels:
                gh.add_labels(repo, issue.number, [dom.SEVERITY_LABELS[severity]])
            comment = dom.render_update_comment(facts)
            gh.create_comment(repo, issue.number, comment, marker=comment.splitlines()[0])
            number = issue.number
            opened_at = issue.created_at or at
        else:
            created = gh.create_issue(repo, dom.incident_title(self.env.name, sha, severity),
                                      dom.render_incident(facts),
                                      labels=[dom.INCIDENT_LABEL, dom.SEVERITY_LABELS[severity]],
                                      marker=dom.incident_marker(self.env.name))
            number = created.number
            opened_at = at  # when the failure was seen, on the same clock as resolved_at
        self.ctx.output.warn(f"incident #{number} ({severity}) for {self.env.name}")
        iid = f"{repo}#{number}"
        already = any(e.get("id") == iid and e.get("event") == "opened"
                      for e in self.ctx.store.read_log(INCIDENTS_LOG))
        self.ctx.store.append(INCIDENTS_LOG, {
            "id": iid, "event": "updated" if already else "opened", "repo": repo, "environment": self.env.name,
            "issue": number, "sha": sha, "deploy_id": self.deploy_id, "severity": severity,
            "opened_at": _opened_at(self.ctx, iid) or iso(opened_at), "resolved_at": None})
        return number, severity

    def _resolve_incidents(self, sha: str, at: dt.datetime) -> list[int]:
        gh = self.ctx.github
        repo = self.env.repo
        resolved = []
        for issue in _open_incidents(self.ctx, self.env):
            iid = f"{repo}#{issue.number}"
            opened = _opened_at(self.ctx, iid) or (iso(issue.created_at) if issue.created_at else None)
            restore_s = None
            if opened:
                restore_s = (at - dt.datetime.fromisoformat(opened.replace("Z", "+00:00"))).total_seconds()
            body = dom.render_resolution(self.env.name, sha, self.deploy_id, at, restore_s)
            gh.create_comment(repo, issue.number, body, marker=body.splitlines()[0])
            gh.update_issue(repo, issue.number, state="closed", state_reason="completed")
            severity = "critical" if dom.SEVERITY_LABELS["critical"] in issue.labels else "high"
            self.ctx.store.append(INCIDENTS_LOG, {
                "id": iid, "event": "resolved", "repo": repo, "environment": self.env.name,
                "issue": issue.number, "sha": sha, "deploy_id": self.deploy_id, "severity": severity,
                "opened_at": opened, "resolved_at": iso(at), "restore_s": restore_s})
            self.ctx.output.success(f"resolved incident #{issue.number}"
                                    + (f" after {dom.format_duration(restore_s)}" if restore_s is not None else ""))
            resolved.append(issue.number)
        return resolved


def _opened_at(ctx: Context, iid: str) -> str | None:
    for e in ctx.store.read_log(INCIDENTS_LOG):
        if e.get("id") == iid and e.get("event") == "opened" and e.get("opened_at"):
            return str(e["opened_at"])
    return None


def _tail(text: str) -> str:
    lines = text.splitlines()[-OUTPUT_TAIL_LINES:]
    return "\n".join(lines)[-BODY_TAIL_CHARS * 2:]


def _proc_reason(res: proc.ProcResult) -> str:
    if res.error:
        return f"could not start: {res.error}"
    if res.timed_out:
        return f"timed out after {res.duration_s:.0f}s"
    return f"exit {res.returncode}"


# -- commits shipped ---------------------------------------------------------------------------------------
def _shipped(ctx: Context, sha: str, previous: str | None) -> tuple[tuple[dict[str, str], ...], tuple[int, ...]]:
    """Commits in previous..sha (just sha on a first deploy) and the PRs they merged."""
    from agentops import git

    repo = _git_repo(ctx)
    if repo is None:
        return (), ()
    fmt = "--format=%H%x1f%cI%x1f%s"
    status, out = 1, ""
    if previous:
        status, out, _ = git.try_run(repo, "log", fmt, f"{previous}..{sha}")
    if status != 0 or not previous:
        status, out, _ = git.try_run(repo, "log", "-1", fmt, sha)
    if status != 0:
        return (), ()
    rows = dom.parse_git_log(out)
    commits = tuple({"sha": s, "committed_at": when} for s, when, _subject in rows)
    return commits, tuple(dom.prs_from_subjects(subject for _s, _w, subject in rows))


def _committed_at(ctx: Context, sha: str) -> str | None:
    from agentops import git

    repo = _git_repo(ctx)
    if repo is None:
        return None
    status, out, _ = git.try_run(repo, "log", "-1", "--format=%H%x1f%cI%x1f%s", sha)
    rows = dom.parse_git_log(out) if status == 0 else []
    return rows[0][1] if rows else None

