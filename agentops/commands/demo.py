"""`agentops demo`: the whole loop on an embedded default, in a temporary folder.

A sample repository with a real bug is pushed to the embedded GitHub emulator (loopback, in
this process); an Agent Task issue is filed through the issue form; then the real commands run
against it, each through its `run(options, ctx)`: scout, tasks, claim, code (a `command` backend
running a scripted fix, not an AI), test, a merge through the API, deploy to a local HTTP
service with smoke checks, and report. Nothing is left running: the service's process group
and the emulator are stopped in a `finally`, on errors and on Ctrl-C/SIGTERM too.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentops import interrupts, proc
from agentops.context import Context
from agentops.demo import sample
from agentops.demo.form import render_submission
from agentops.errors import AgentOpsError, BadInput, WorkFailed
from agentops.output import to_jsonable

SCRIPTED_LABEL = "scripted fix (demo backend, not an AI)"
_ASSETS = ("scripted_fix.py", "service.py", "deploy_service.py", "run_tests.py")
_STRIPPED_ENV_PREFIXES = ("GITHUB_", "GH_", "AGENTOPS_", "GIT_")
_STEP_NAMES = ("setup", "issue", "scout", "tasks", "claim", "code", "test", "merge", "deploy", "report")


@dataclass(frozen=True)
class DemoOptions:
    keep: bool = False
    workdir: Path | None = None  # the demo makes its own folder inside this one (default: system temp)


@dataclass(frozen=True)
class DemoStep:
    name: str
    status: str  # ok | failed | skipped | not-run
    summary: str
    duration_s: float = 0.0
    figures: Mapping[str, Any] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")


@dataclass(frozen=True)
class Cleanup:
    service_stopped: bool
    emulator_stopped: bool
    folder_removed: bool
    left_running: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoResult:
    ok: bool
    folder: str
    kept: bool
    repo: str
    emulator_url: str
    service_url: str
    steps: tuple[DemoStep, ...]
    cleanup: Cleanup
    wall_s: float
    where_to_look: Mapping[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = to_jsonable(self)
        for step, raw in zip(self.steps, data["steps"], strict=True):
            raw["ok"] = step.ok
        data["exit_code"] = self.exit_code
        return data


class _StepFailed(Exception):
    def __init__(self, summary: str, figures: Mapping[str, Any] | None = None,
                 links: Mapping[str, str] | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.figures = dict(figures or {})
        self.links = dict(links or {})


@dataclass
class _Demo:
    """The demo's world while it runs; `close()` stops everything it started."""

    ctx: Context
    folder: Path
    port: int
    emulator: Any = None
    inner: Context | None = None
    repo: str = ""
    issue: int | None = None
    pr: int | None = None
    merge_sha: str | None = None
    look: dict[str, str] = field(default_factory=dict)

    @property
    def sample_dir(self) -> Path:
        return self.folder / "sample"

    @property
    def bin_dir(self) -> Path:
        return self.folder / "bin"

    @property
    def pidfile(self) -> Path:
        return self.folder / "service" / "service.pid"

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def c(self) -> Context:
        assert self.inner is not None, "setup has not run"
        return self.inner


# -- entry point -----------------------------------------------------------------------------------
def run(options: DemoOptions, ctx: Context) -> DemoResult:
    out = ctx.output
    t0 = time.monotonic()
    parent = options.workdir
    if parent is not None:
        _check_workdir(parent)
    try:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="agentops-demo-", dir=str(parent) if parent else None)).resolve()
    except OSError as exc:
        raise BadInput(f"--workdir {parent or tempfile.gettempdir()}: {exc.strerror or exc}",
                       hint="name a folder the demo may create its own folder in") from None
    demo = _Demo(ctx, folder, _free_port())
    steps: list[DemoStep] = []
    cleanup = Cleanup(False, False, False)
    # Ctrl-C and SIGTERM both stop the demo, raised between writes, never inside one (a signal
    # raised inside rich's print printed lines twice and lost "cleanup:"); the cleanup itself
    # runs to its end whatever arrives meanwhile, and says so once.
    with interrupts.raising():
        try:
            out.step(f"agentops demo in {folder}" + (" (kept afterwards: --keep)" if options.keep else
                                                       " (removed at the end; --keep keeps it)"))
            for name, fn in _plan():
                if steps and not steps[-1].ok:
                    steps.append(DemoStep(name, "not-run", "an earlier step failed"))
                    continue
                steps.append(_run_step(demo, len(steps) + 1, name, fn))
        finally:
            with interrupts.deferred():
                cleanup = _close(demo, keep=options.keep)
    ok = all(s.ok for s in steps) and not cleanup.left_running
    return DemoResult(ok=ok, folder=str(folder), kept=options.keep, repo=demo.repo,
                      emulator_url=demo.look.get("emulator", ""), service_url=demo.service_url, steps=tuple(steps),
                      cleanup=cleanup, wall_s=round(time.monotonic() - t0, 2), where_to_look=dict(demo.look))


def _check_workdir(parent: Path) -> None:
    """--workdir must be a folder, or one the demo can create: checked before anything is written."""
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        what = "is a file" if probe == parent else f"cannot be created: {probe} is not a folder"
        raise BadInput(f"--workdir {parent} {what}", hint="name a folder (it is created if missing)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise BadInput(f"--workdir {parent}: {probe} is not writable", hint="name a folder you can write to")


# -- steps ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Done:
    summary: str
    figures: Mapping[str, Any] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)
    status: str = "ok"


StepFn = Callable[[_Demo], _Done]

_TITLES = {
    "setup": "sample repository with a real bug, pushed to the embedded GitHub emulator",
    "issue": "file an Agent Task issue through the issue form",
    "scout": "scout the repository",
    "tasks": "sync the work orders (agentops tasks)",
    "claim": "claim the task (agentops claim)",
    "code": "code: branch, scripted fix, commit, push, pull request (agentops code)",
    "test": "test the pull request (agentops test)",
    "merge": "merge the pull request through the GitHub API",
    "deploy": "deploy to the local HTTP service with smoke checks (agentops deploy)",
    "report": "report DORA and agent metrics (agentops report)",
}


def _plan() -> list[tuple[str, StepFn]]:
    fns: dict[str, StepFn] = {"setup": _setup, "issue": _file_issue, "scout": _scout, "tasks": _tasks,
                              "claim": _claim, "code": _code, "test": _test, "merge": _merge, "deploy": _deploy,
                              "report": _report}
    return [(name, fns[name]) for name in _STEP_NAMES]


def _run_step(demo: _Demo, index: int, name: str, fn: StepFn) -> DemoStep:
    out = demo.ctx.output
    out.step(f"[{index}/{len(_STEP_NAMES)}] {_TITLES[name]}")
    t = time.monotonic()
    try:
        done = fn(demo)
    except _StepFailed as exc:
        out.error(f"{name}: {exc.summary}")
        return DemoStep(name, "failed", exc.summary, round(time.monotonic() - t, 3), exc.figures, exc.links)
    except AgentOpsError as exc:
        out.error(f"{name}: {exc.message}", hint=exc.hint)
        return DemoStep(name, "failed", exc.message, round(time.monotonic() - t, 3))
    except OSError as exc:
        out.error(f"{name}: {exc}")
        return DemoStep(name, "failed", str(exc), round(time.monotonic() - t, 3))
    took = round(time.monotonic() - t, 3)
    if done.status == "ok":
        out.success(f"{name}: {done.summary} ({took:.1f}s)")
    else:
        out.info(f"  {name} {done.status}: {done.summary}")
    for label, where in done.links.items():
        out.info(f"    {label}: {where}")
    return DemoStep(name, done.status, done.summary, took, dict(done.figures), dict(done.links))


def _setup(demo: _Demo) -> _Done:
    from agentops.github.adapter import connect
    from agentops.sandbox.server import Emulator

    ctx = demo.ctx
    src = demo.sample_dir
    for rel, text in sample.FILES.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git(src, "init", "--quiet", "--initial-branch=main")
    for key, value in (("user.name", "agentops demo"), ("user.email", "demo@agentops.invalid"),
                       ("commit.gpgsign", "false"), ("core.hooksPath", os.devnull)):
        _git(src, "config", key, value)
    _git(src, "add", "--all")
    _git(src, "commit", "--quiet", "-m", "calc: statistics helpers with tests")
    demo.bin_dir.mkdir(parents=True, exist_ok=True)
    assets = importlib.import_module("agentops.demo.assets")
    from importlib.resources import files

    for name in _ASSETS:
        (demo.bin_dir / name).write_text(files(assets).joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")

    emu = Emulator(data_dir=demo.folder / "github")
    emu.start()
    demo.emulator = emu
    ctx.output.mask(emu.token)
    demo.look["emulator"] = emu.url
    env = _inner_env(emu.url, emu.token)
    gh = connect(env, output=ctx.output, sleep=ctx.sleep, mutation_interval=0)
    info = gh.create_repo(sample.REPO_NAME, description="agentops demo: a statistics package with a bug")
    demo.repo = info.full_name
    env["GITHUB_REPOSITORY"] = info.full_name
    _git(src, "remote", "add", "origin", info.clone_url)
    _git(src, "push", "--quiet", "--set-upstream", "origin", "main")
    # What GitHub Actions would have reported for that push: the tests workflow failed on main.
    emu.state.add_workflow_run(info.full_name, name="tests", head_branch="main",
                               head_sha=_git(src, "rev-parse", "HEAD"), conclusion="failure")
    gate, gate_note = _gate(demo)
    config_path = src / "agentops.yaml"
    config_path.write_text(_config_yaml(demo, gate), encoding="utf-8")
    demo.inner = Context(env=env, cwd=src, output=ctx.output, config_path=str(config_path), clock=ctx.clock,
                         sleep=ctx.sleep, github_override=gh)
    demo.c.config  # noqa: B018 - load and validate now, so a bad config fails this step
    baseline = _baseline(demo, gate)
    demo.look.update({"folder": str(demo.folder), "sample repository": str(src), "config": str(config_path),
                      "state": str(demo.c.state_dir)})
    return _Done(f"{info.full_name} pushed ({len(sample.FILES)} files); on main {baseline}, and an emulated "
                 f"Actions run `tests` failed there; test gate: {gate_note}",
                 {"repo": info.full_name, "files": len(sample.FILES), "baseline": baseline, "gate": gate_note,
                  "emulator": emu.url},
                 {"repository": info.html_url or f"{emu.url}/repos/{info.full_name}", "clone": info.clone_url,
                  "config": str(config_path)})


def _file_issue(demo: _Demo) -> _Done:
    from agentops.domain.workorder import parse_work_order, render_agent_task_form

    form = render_agent_task_form([sample.AGENT_NAME])
    prefix, body, labels = render_submission(form, sample.TASK_ANSWERS)
    order = parse_work_order(body, repo=demo.repo, number=0, known_agents=[sample.AGENT_NAME])
    if order.problems:
        raise _StepFailed("the rendered form does not parse: " + "; ".join(map(str, order.problems)))
    issue = demo.c.github.create_issue(demo.repo, prefix + sample.TASK_TITLE, body, labels=labels)
    demo.issue = issue.number
    (demo.folder / "issue-form.yml").write_text(form, encoding="utf-8")
    return _Done(f"#{issue.number} {issue.title!r} for agent {order.agent} ({order.priority} priority, "
                 f"{len(order.steps)} steps)",
                 {"issue": issue.number, "agent": order.agent, "priority": order.priority, "labels": labels,
                  "steps": list(order.steps)},
                 {"issue": issue.html_url, "api": _api(demo, f"issues/{issue.number}"),
                  "form": str(demo.folder / "issue-form.yml")})


def _scout(demo: _Demo) -> _Done:
    from agentops.commands import scout

    res = scout.run(scout.ScoutOptions(repos=(demo.repo,), progress=False), demo.c)
    bad = [r for r in res.repos if r.status not in ("ok", "partial")]
    changes = [c for c in res.issues if c.issue is not None]
    figures: dict[str, Any] = {
        "checks": list(res.checks), "findings": len(res.findings),
        "by_check": {name: sum(1 for f in res.findings if f.check == name) for name in res.checks},
        "severities": sorted({f.severity for f in res.findings}),
        "titles": [f.title for f in res.findings],
        "issues": [{"issue": c.issue, "action": c.action, "fingerprint": c.fingerprint} for c in changes],
    }
    if bad or res.stopped:
        raise _StepFailed("scan incomplete: " + "; ".join(
            [f"{r.repo}: {r.status} {r.message or ''}".strip() for r in bad] + ([res.stopped] if res.stopped else [])),
            figures)
    links = {f"scout issue #{c.issue} ({c.action})": _api(demo, f"issues/{c.issue}") for c in changes}
    links["scan results"] = str(demo.c.state_dir / "repo-scout" / "scan-results.json")
    found = "; ".join(f"{f.severity}: {f.title}" for f in res.findings) or "nothing to report"
    return _Done(f"{len(res.findings)} finding(s) from {len(res.checks)} checks ({found}); "
                 f"{len(changes)} scout issue(s) filed or updated", figures, links)


def _tasks(demo: _Demo) -> _Done:
    from agentops.commands import tasks

    res = tasks.run(tasks.TasksOptions(repos=(demo.repo,)), demo.c)
    key = f"{demo.repo}#{demo.issue}"
    row = next((r for r in res.tasks if r.key == key), None)
    figures = {"counts": res.counts, "tasks": [to_jsonable(r) for r in res.tasks]}
    if row is None or row.status != "ready":
        raise _StepFailed(f"{key} is not ready: {row.status if row else 'not in the queue'}"
                          + (f" ({row.reason})" if row and row.reason else ""), figures)
    return _Done(f"{len(res.tasks)} task(s) in the queue; {key} is ready ({row.priority}, agent {row.agent})",
                 figures, {"task queue": str(demo.c.state_dir / "orchestrator" / "task-queue.json")})


def _claim(demo: _Demo) -> _Done:
    from agentops.commands import claim

    assert demo.issue is not None
    res = claim.run(claim.ClaimOptions(agent=sample.AGENT_NAME, issue=demo.issue, repo=demo.repo), demo.c)
    if res.claimed is None:
        raise _StepFailed(f"no claim: {res.reason}")
    cl = res.claimed
    return _Done(f"{cl.agent} holds #{cl.issue} (claim comment {cl.comment_id}, lease until {cl.expires})",
                 {"agent": cl.agent, "worker": cl.worker, "comment_id": cl.comment_id, "expires": cl.expires},
                 {"claim comment": _api(demo, f"issues/{cl.issue}/comments"),
                  "agent actions": str(demo.c.state_dir / "logs" / "agent-actions.jsonl")})


def _code(demo: _Demo) -> _Done:
    from agentops.commands import code
    from agentops.orchestrator.actions import log_action
    from agentops.orchestrator.release import release_claim

    assert demo.issue is not None
    c = demo.c
    demo.ctx.output.info(f"  agent {sample.AGENT_NAME}: {SCRIPTED_LABEL}")
    res = code.run(code.CodeOptions(issue=demo.issue, agent=sample.AGENT_NAME, repo=demo.repo), c)
    figures = {"status": res.status, "branch": res.branch, "commit": res.commit, "pr": res.pr,
               "backend": res.backend, "agent_kind": SCRIPTED_LABEL, "cost_usd": res.cost_usd, "turns": res.turns}
    if res.status not in ("pr-opened", "pr-updated") or res.pr is None:
        release_claim(c, demo.repo, demo.issue, "failed", detail=res.reason or res.status)
        log_action(c, agent=sample.AGENT_NAME, repo=demo.repo, issue=demo.issue, action="task-failed",
                   result="fail", details={"reason": res.reason, "status": res.status})
        raise _StepFailed(f"code {res.status}: {res.reason}", figures)
    demo.pr = res.pr
    # What `agentops work` does after its engine opened the PR: release as completed, log the outcome.
    release_claim(c, demo.repo, demo.issue, "completed", detail=f"Pull request #{res.pr}.")
    log_action(c, agent=sample.AGENT_NAME, repo=demo.repo, issue=demo.issue, action="task-completed",
               result="ok", details={"status": res.status, "pr": res.pr})
    pull = c.github.get_pull(demo.repo, res.pr)
    links = {"pull request": pull.html_url or _api(demo, f"pulls/{res.pr}"), "api": _api(demo, f"pulls/{res.pr}")}
    if res.transcript:
        links["transcript"] = str(c.root / res.transcript) if not Path(res.transcript).is_absolute() \
            else res.transcript
    return _Done(f"PR #{res.pr} {pull.title!r} from {res.branch} ({(res.commit or '')[:12]}), "
                 f"body says Closes #{demo.issue}: {SCRIPTED_LABEL}", figures, links)


def _test(demo: _Demo) -> _Done:
    from agentops.commands import test

    assert demo.pr is not None
    res = test.run(test.TestOptions(pr=demo.pr, repo=demo.repo), demo.c)
    junit = [g.junit for g in res.gates if g.junit is not None]
    figures: dict[str, Any] = {
        "passed": res.passed, "sha": res.sha,
        "gates": {g.name: g.status for g in res.gates},
        "tests": sum(j.tests for j in junit), "failures": sum(j.failures + j.errors for j in junit),
        "coverage_percent": res.coverage.percent if res.coverage else None,
        "comment": res.report.comment, "commit_status": res.report.status,
    }
    links = {"sticky comment": _api(demo, f"issues/{demo.pr}/comments"),
             "commit status": _api(demo, f"commits/{res.sha}/status"),
             "test results": str(demo.c.state_dir / "agents" / demo.repo / "test-results.json")}
    if not res.passed:
        raise _StepFailed("gates red: " + ", ".join(f"{g.name} {g.status}: {g.reason}" for g in res.gates),
                          figures, links)
    cov = f", coverage {res.coverage.percent:.0f}%" if res.coverage and res.coverage.percent is not None else ""
    return _Done(f"gates green on {res.sha and res.sha[:12]}: {figures['tests']} tests, "
                 f"{figures['failures']} failures{cov}; sticky comment {res.report.comment}, "
                 f"status {res.report.status}", figures, links)


def _merge(demo: _Demo) -> _Done:
    assert demo.pr is not None and demo.issue is not None
    gh = demo.c.github
    sha = gh.merge_pull(demo.repo, demo.pr, method="merge")
    pull = gh.get_pull(demo.repo, demo.pr)
    issue = gh.get_issue(demo.repo, demo.issue)
    if not pull.merged:
        raise _StepFailed(f"PR #{demo.pr} is not merged after the merge call")
    demo.merge_sha = sha
    _git(demo.sample_dir, "pull", "--quiet", "--ff-only", "origin", "main")
    # The emulated Actions run for the push to main: green now that the fix is in.
    demo.emulator.state.add_workflow_run(demo.repo, name="tests", head_branch="main", head_sha=sha,
                                         conclusion="success")
    # ...and its job's check run on the merge commit, as GitHub shows it: deploy pre-flight refuses a sha no
    # CI reported on.
    demo.emulator.state.add_check_run(demo.repo, sha, name="tests", status="completed", conclusion="success")
    return _Done(f"PR #{demo.pr} merged as {sha[:12]}; issue #{demo.issue} is {issue.state}",
                 {"merged": pull.merged, "merge_sha": sha, "issue_state": issue.state},
                 {"pull request": pull.html_url or _api(demo, f"pulls/{demo.pr}")})


def _deploy(demo: _Demo) -> _Done:
    from agentops.commands import deploy

    assert demo.merge_sha is not None
    res = deploy.run(deploy.DeployOptions(env=sample.ENVIRONMENT, sha=demo.merge_sha), demo.c)
    figures: dict[str, Any] = {"id": res.id, "status": res.status, "sha": res.sha, "prs": list(res.prs),
                               "steps": {s.name: ("ok" if s.ok else s.detail) for s in res.steps},
                               "service": demo.service_url}
    links = {"service": f"{demo.service_url}/health", "deployments": str(demo.c.state_dir / "logs" /
                                                                         "deployments.jsonl")}
    if res.status != "succeeded":
        raise _StepFailed(f"deploy {res.status}: " + "; ".join(s.detail for s in res.steps if not s.ok),
                          figures, links)
    answer = _http_json(f"{demo.service_url}/mean?values=1,2,3")
    figures["service_mean_1_2_3"] = answer.get("mean")
    figures["service_pid"] = _service_pid(demo)
    return _Done(f"{res.id} succeeded ({', '.join(s.name for s in res.steps)}); "
                 f"{demo.service_url}/mean?values=1,2,3 -> {answer.get('mean')}", figures, links)


def _report(demo: _Demo) -> _Done:
    from agentops.commands import report

    res = report.run(report.ReportOptions(repo=demo.repo, weeks=1), demo.c)
    path = demo.folder / "report.md"
    path.write_text(res.markdown, encoding="utf-8")
    env = next((e for e in res.report.environments if e.dora.environment == sample.ENVIRONMENT), None)
    cur = env.dora.current if env else None
    agents = res.report.agents.agents
    figures: dict[str, Any] = {
        "deployments": cur.deployments if cur else 0,
        "lead_time_median_h": cur.lead_time_median_h if cur else None,
        "change_failure_rate": cur.change_failure_rate if cur else None,
        "time_to_restore_median_h": cur.time_to_restore_median_h if cur else None,
        "tasks_completed": agents.completed, "prs_opened": agents.prs_opened, "prs_merged": agents.prs_merged,
        "autonomous_completion_rate": agents.autonomous_completion_rate,
        "spend_usd": res.report.agents.cost.spend_usd,
    }
    lead = f"{cur.lead_time_median_h * 60:.1f} min" if cur and cur.lead_time_median_h is not None else "n/a"
    cfr = f"{cur.change_failure_rate:.0%}" if cur and cur.change_failure_rate is not None else "n/a"
    return _Done(f"{figures['deployments']} deployment(s), lead time {lead}, change failure rate {cfr}; "
                 f"{agents.completed} task(s) completed, {agents.prs_merged} PR(s) merged",
                 figures, {"report": str(path), "metrics": str(demo.c.state_dir / "orchestrator" / "metrics.json")})


# -- pieces ----------------------------------------------------------------------------------------------
def _inner_env(url: str, token: str) -> dict[str, str]:
    """The demo's own environment: nothing of the user's GitHub, agentops or git-dir settings leaks in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_STRIPPED_ENV_PREFIXES) or k in ("GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL")}
    env.update({"GITHUB_API_URL": url, "GH_TOKEN": token, "AGENTOPS_WORKER_ID": "demo-worker",
                "AGENTOPS_MUTATION_INTERVAL": "0"})
    return env


def _git(cwd: Path, *args: str) -> str:
    from agentops.git.runner import git

    res = git(args, cwd=cwd, timeout=60)
    if not res.ok:
        raise WorkFailed(f"git {' '.join(args[:2])} failed: {res.message()}")
    return res.stdout


def _gate(demo: _Demo) -> tuple[dict[str, Any], str]:
    """pytest with JUnit (+ coverage when pytest-cov is there), else the stdlib runner with JUnit."""
    py = sys.executable
    probe = proc.run([py, "-c", "import importlib.util as u; print(u.find_spec('pytest') is not None, "
                                "u.find_spec('pytest_cov') is not None)"], cwd=demo.folder, timeout=30)
    has_pytest, has_cov = (probe.output.split() + ["False", "False"])[:2] if probe.ok else ("False", "False")
    if has_pytest == "True":
        run = [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml={reports}/junit.xml"]
        gate: dict[str, Any] = {"name": "tests", "run": run, "junit": ["{reports}/junit.xml"], "timeout_s": 120}
        if has_cov == "True":
            run += ["--cov=calc", "--cov-report=xml:{reports}/coverage.xml"]
            gate["coverage"] = "{reports}/coverage.xml"
            return gate, "pytest with JUnit and coverage"
        return gate, "pytest with JUnit (pytest-cov not installed: no coverage)"
    run = [py, str(demo.bin_dir / "run_tests.py"), "--junit", "{reports}/junit.xml"]
    return ({"name": "tests", "run": run, "junit": ["{reports}/junit.xml"], "timeout_s": 120},
            "unittest with JUnit (pytest not installed)")


def _config_yaml(demo: _Demo, gate: Mapping[str, Any]) -> str:
    import yaml

    py = sys.executable
    deploy_argv = [py, str(demo.bin_dir / "deploy_service.py"), "--sha", "{sha}", "--port", str(demo.port),
                   "--releases", str(demo.folder / "service" / "releases"), "--pidfile", str(demo.pidfile),
                   "--log", str(demo.folder / "service" / "service.log")]
    rollback_argv = [("{previous_sha}" if a == "{sha}" else a) for a in deploy_argv]
    data = {
        "version": 1,
        "agents": [{"name": sample.AGENT_NAME, "backend": "command", "capabilities": ["python"], "timeout_s": 120,
                    "command": [py, str(demo.bin_dir / "scripted_fix.py"), "{worktree}", "{prompt_file}"]}],
        "repositories": [{"name": demo.repo, "gates": [dict(gate)]}],
        "claims": {"settle_seconds": 0},
        "test": {"flaky_reruns": 0},
        "environments": {sample.ENVIRONMENT: {
            "deploy": deploy_argv, "rollback": rollback_argv, "timeout_s": 60,
            "health_checks": [{"url": f"{demo.service_url}/health", "expect_json": {"status": "ok"},
                               "timeout_s": 2, "retries": 10, "retry_delay_s": 0.2}],
            "monitor": {"duration_s": 1.0, "interval_s": 0.5, "max_failures": 0},
        }},
        "report": {"window_days": 7, "environment": sample.ENVIRONMENT},
    }
    head = ("# Written by `agentops demo`. The agent is a scripted fix (demo backend, not an AI);\n"
            "# the environment is a local HTTP service on 127.0.0.1.\n")
    return head + yaml.safe_dump(data, sort_keys=False, width=200)


def _baseline(demo: _Demo, gate: Mapping[str, Any]) -> str:
    """Run the gate on the unfixed main branch: the bug must be real."""
    from agentops.domain.junit import ReportError, parse_junit

    with tempfile.TemporaryDirectory(prefix="agentops-demo-baseline-") as reports:
        argv = [str(a).replace("{reports}", reports) for a in gate["run"]]
        res = proc.run(argv, cwd=demo.sample_dir, env=proc.scrub_env(demo.c.env), timeout=120)
        try:
            with open(os.path.join(reports, "junit.xml"), "rb") as fh:
                summary = parse_junit(fh)
        except (OSError, ReportError):
            summary = None
    if res.ok:
        raise _StepFailed("the sample's tests pass before the fix: the demo has no bug to fix")
    if summary is None:
        return "the tests fail (no JUnit report)"
    return f"{summary.failed_total} of {summary.tests} tests fail (the bug is real)"


def _api(demo: _Demo, path: str) -> str:
    return f"{demo.look.get('emulator', '')}/repos/{demo.repo}/{path}"


def _http_json(url: str) -> dict[str, Any]:
    import json
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as r:
        data = json.loads(r.read().decode())
    return data if isinstance(data, dict) else {}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _service_pid(demo: _Demo) -> int | None:
    try:
        return int(demo.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_service(demo: _Demo) -> bool:
    """Stop the service's whole process group (it runs in its own session). True when it is gone."""
    with contextlib.suppress(OSError):
        demo.pidfile.parent.mkdir(parents=True, exist_ok=True)
        demo.pidfile.with_name("STOP").write_text("the demo is shutting down\n")
    pid = _service_pid(demo)
    if pid is not None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
            deadline = time.monotonic() + 3
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _pid_alive(pid):
                break
        with contextlib.suppress(OSError):
            demo.pidfile.unlink()
    return not (pid is not None and _pid_alive(pid)) and not _port_open(demo.port)


def _close(demo: _Demo, *, keep: bool) -> Cleanup:
    out = demo.ctx.output
    left: list[str] = []
    service_stopped = _stop_service(demo)
    if not service_stopped:
        left.append(f"service on 127.0.0.1:{demo.port}")
    emulator_stopped = True
    if demo.emulator is not None:
        try:
            demo.emulator.stop()
        except Exception as exc:  # a failed stop must not hide the demo's own outcome
            emulator_stopped = False
            left.append(f"emulator ({exc})")
    removed = False
    if not keep:
        shutil.rmtree(demo.folder, ignore_errors=True)
        removed = not demo.folder.exists()
        if not removed:
            out.warn(f"could not remove {demo.folder}")
    for what in left:
        out.warn(f"still running: {what}")
    out.info(f"cleanup: service stopped, emulator stopped, {'folder removed' if removed else 'folder kept: '}"
             + ("" if removed else str(demo.folder)))
    return Cleanup(service_stopped, emulator_stopped, removed, tuple(left))
