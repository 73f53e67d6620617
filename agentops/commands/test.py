"""`agentops test`: run the quality gates on a PR's head (or the current checkout), parse their
reports, record the result in state and report it where people look (one sticky PR comment,
a commit status, the Actions step summary and annotations, optionally a review).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agentops import proc
from agentops.context import Context
from agentops.domain import gates as G
from agentops.domain.closing import defuse
from agentops.domain.coverage import CoverageSummary, detect_format, parse_coverage, parse_unified_diff
from agentops.domain.junit import JUnitSummary, ReportError, merge, parse_junit, pytest_node_id
from agentops.domain.markers import make_marker
from agentops.domain.timeutil import iso
from agentops.errors import BadInput, GitHubError, WorkFailed
from agentops.git import GitFailed
from agentops.git import checkout as co
from agentops.git.guard import Guard, worktree_pointers
from agentops.orchestrator import workspace
from agentops.settings import Config, GateConfig, RepositoryConfig, TestConfig

_DETECT_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "conftest.py", "package.json", "Cargo.toml")
_TAIL_LINES = 40
_TAIL_CHARS = 4000
_STALE_SLACK_S = 2.0  # file-system timestamp granularity


@dataclass(frozen=True)
class TestOptions:
    __test__ = False  # not a pytest test class

    pr: int | None = None
    repo: str | None = None
    path: str | None = None
    report: bool = True
    phase: str | None = None  # None: run and publish; "run" | "publish" with bundle
    bundle: str | None = None


@dataclass(frozen=True)
class ReportInfo:
    comment: str = "skipped"  # created | updated | unchanged | skipped
    comment_id: int | None = None
    status: str | None = None  # the commit status state posted
    review: str | None = None  # approved | changes-requested | already | refused | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestResult:
    __test__ = False

    repo: str | None
    pr: int | None
    sha: str | None
    ref: str | None
    base_sha: str | None
    passed: bool
    gates: tuple[G.GateResult, ...]
    thresholds: tuple[G.ThresholdCheck, ...]
    coverage: CoverageSummary | None
    base_coverage: float | None
    flaky: tuple[str, ...]
    started_at: str
    finished_at: str
    duration_s: float
    record_key: str | None
    report: ReportInfo
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


# -- entry point ----------------------------------------------------------------------------------
RESULTS_JSON = "results.json"


def run(options: TestOptions, ctx: Context) -> TestResult:
    if options.phase not in (None, "run", "publish"):
        raise BadInput(f"--phase {options.phase!r}: expected run or publish")
    if (options.phase is None) != (options.bundle is None):
        raise BadInput("--phase and --bundle DIR go together")
    if options.phase == "publish":
        return _publish_bundle(options, ctx)
    if options.phase == "run":
        if options.pr is None:
            raise BadInput("--phase run needs --pr N (the publish phase reports on that pull request)")
        options = replace(options, report=False)
    cfg = ctx.config
    repo = _resolve_repo(options, ctx)
    repo_cfg = cfg.repository(repo) if repo else None
    started = ctx.clock()
    t0 = time.monotonic()
    notes: list[str] = []
    if options.pr is not None:
        assert repo is not None
        pull = ctx.github.get_pull(repo, options.pr)
        # No local clone is used: its .git/config may hold a persisted credential (see co.pull_request).
        info = ctx.github.get_repo(repo)
        with co.pull_request(workspace.mirror(ctx, repo), info.clone_url, ctx.github.git_token(), options.pr,
                             head_ref=pull.head_ref, base_ref=pull.base_ref) as checkout:
            if pull.head_sha and checkout.sha != pull.head_sha:
                notes.append(f"tested {checkout.sha} (GitHub reported head {pull.head_sha}; a push may have raced)")
            gates, changed_note = _run_all(ctx, cfg, repo_cfg, checkout)
        base_branch: str | None = pull.base_ref
    else:
        base_branch = repo_cfg.default_branch if repo_cfg else None
        local = _local_path(options, ctx, repo_cfg)
        checkout = co.current(local, base_branch=base_branch)
        if checkout.sha is None:  # nothing to name the result by: never a green "all gates passed"
            raise BadInput(f"--path: {local} is not a git repository with a commit",
                           hint="run agentops test inside a checkout, or pass --path to one")
        base_branch = base_branch or _origin_head(checkout)
        gates, changed_note = _run_all(ctx, cfg, repo_cfg, checkout)
    if changed_note:
        notes.append(changed_note)

    coverage = next((g.coverage for g in gates if g.coverage is not None), None)
    key = _record_key(options.pr, checkout.sha)
    base_cov = _base_coverage(ctx, repo, checkout.base_sha, base_branch) if repo else None
    thresholds = (repo_cfg.thresholds if repo_cfg and repo_cfg.thresholds else None) or cfg.thresholds
    checks = G.evaluate_thresholds(thresholds, failures=G.unflaky_failures(gates), coverage=coverage,
                                   base_percent=base_cov)
    passed = G.verdict(gates, checks)
    flaky = tuple(t for g in gates for t in (g.flaky or ((g.name,) if g.status == "flaky" else ())))
    duration = round(time.monotonic() - t0, 3)
    finished = ctx.clock()
    view = G.ReportView(passed=passed, sha=checkout.sha, gates=gates, checks=checks, coverage=coverage,
                        base_percent=base_cov, duration_s=duration, notes=tuple(notes))

    _actions_output(ctx, view)
    if options.phase == "run" and repo and checkout.sha and options.pr is not None:
        _write_results(Path(str(options.bundle)), repo, options.pr, checkout.sha, view)
    report = ReportInfo()
    if options.report and repo and checkout.sha:
        report = _report(ctx, cfg.test, repo, options.pr, checkout.sha, view)
    elif options.report and not repo:
        notes.append("no repository known: nothing reported to GitHub and nothing recorded")

    result = TestResult(
        repo=repo, pr=options.pr, sha=checkout.sha, ref=checkout.ref, base_sha=checkout.base_sha, passed=passed,
        gates=gates, thresholds=checks, coverage=coverage, base_coverage=base_cov, flaky=flaky,
        started_at=iso(started), finished_at=iso(finished), duration_s=duration,
        record_key=key if repo else None, report=report, notes=tuple(notes),
    )
    if repo:
        _record(ctx, cfg.test, repo, key, result)
    return result


def _resolve_repo(options: TestOptions, ctx: Context) -> str | None:
    from agentops.context import parse_repo

    if options.repo:
        return parse_repo(options.repo)
    try:
        return ctx.repo()
    except BadInput:
        if options.pr is not None:
            raise
        return None


def _local_path(options: TestOptions, ctx: Context, repo_cfg: RepositoryConfig | None) -> Path:
    if options.path:
        p = Path(options.path)
        p = p if p.is_absolute() else ctx.cwd / p
    elif repo_cfg is not None and repo_cfg.path:
        p = Path(repo_cfg.path)
        p = p if p.is_absolute() else ctx.root / p
    else:
        p = ctx.root
    if not p.is_dir():
        raise BadInput(f"--path: {p} is not a directory")
    return p


def _origin_head(checkout: co.Checkout) -> str | None:
    head = Path(checkout.path)
    if checkout.sha is None:
        return None
    from agentops.git import open_repo, try_run

    code, out, _ = try_run(open_repo(head), "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    return out.split("/", 1)[1] if code == 0 and "/" in out else None


def _record_key(pr: int | None, sha: str | None) -> str:
    if pr is not None:
        return f"pr-{pr}@{sha or 'unknown'}"
    return sha or "local"


# -- gates --------------------------------------------------------------------------------------
def resolve_gates(cfg: Config, repo_cfg: RepositoryConfig | None, workdir: Path,
                  env: Mapping[str, str]) -> tuple[tuple[GateConfig, ...], bool]:
    """(gates, detected): per-repository gates override the top-level ones; with none, defaults."""
    if repo_cfg is not None and repo_cfg.gates:
        return repo_cfg.gates, False
    if cfg.gates:
        return cfg.gates, False
    files: dict[str, str] = {}
    for name in _DETECT_FILES:
        p = workdir / name
        if p.is_file():
            try:
                files[name] = p.read_text(encoding="utf-8", errors="replace")[:200_000]
            except OSError:
                files[name] = ""
    has_tests = any(_first(workdir.glob(pat)) for pat in ("tests/**/test_*.py", "test/**/test_*.py",
                                                          "tests/**/*_test.py", "test_*.py"))
    return G.detect_gates(files, python=_python_for(workdir, env), has_python_tests=has_tests), True


def _first(it: Any) -> bool:
    return next(iter(it), None) is not None


def _python_for(workdir: Path, env: Mapping[str, str]) -> str:
    """The project's own interpreter when it has a local venv, else the one on PATH."""
    for cand in (workdir / ".venv" / "bin" / "python", workdir / "venv" / "bin" / "python"):
        if cand.exists():
            return str(cand)
    path = env.get("PATH")
    return shutil.which("python3", path=path) or shutil.which("python", path=path) or sys.executable


def _run_all(ctx: Context, cfg: Config, repo_cfg: RepositoryConfig | None,
             checkout: co.Checkout) -> tuple[tuple[G.GateResult, ...], str | None]:
    base_env = proc.scrub_env(ctx.env)
    gates, detected = resolve_gates(cfg, repo_cfg, checkout.path, base_env)
    if not gates:  # zero gates run is not "all required gates passed"
        raise BadInput(f"no gate configured or detected for {checkout.path}",
                       hint="add `gates:` to agentops.yaml (or a test suite agentops detects, e.g. tests/test_*.py)")
    changed, note = _changed_lines(checkout)
    results = []
    # A checkout of the operator's (not a PR's throw-away one): what their own git runs or trusts
    # stays as it was (read-only in bwrap; compared, put back and refused afterwards in any mode).
    common, pointers = _shared_git(checkout)
    guard = Guard.take(common, ctx.env, pointers) if common else None
    try:
        with ctx.output.progress("running gates", total=len(gates)) as tick:
            for gate in gates:
                ctx.output.step(f"gate {gate.name}: {' '.join(gate.run)}")
                tick.advance(0, description=f"gate {gate.name}")
                env = {**base_env, **gate.env}
                results.append(_run_gate(ctx, cfg.test, gate, checkout.path, env, changed, detected))
                tick.advance()
    finally:
        tampered = guard.restore() if guard is not None else []
    if tampered:
        raise WorkFailed("a gate changed what your git would run or trust (put back; nothing reported): "
                         + "; ".join(tampered[:20]))
    return tuple(results), note


def _shared_git(checkout: co.Checkout) -> tuple[list[Path], list[Path]]:
    """(git dirs, worktree pointer files) of a checkout that outlives the run; none for a PR's."""
    if checkout.temporary or checkout.sha is None:
        return [], []
    from agentops.git.worktree import common_dir

    try:
        return [common_dir(checkout.path)], worktree_pointers(checkout.path)
    except GitFailed:
        return [], []


def _changed_lines(checkout: co.Checkout) -> tuple[dict[str, frozenset[int]] | None, str | None]:
    if not (checkout.base_sha and checkout.sha):
        return None, None
    try:
        return parse_unified_diff(co.diff_unified0(checkout.path, checkout.base_sha, checkout.sha)), None
    except GitFailed as exc:
        return None, f"changed-lines coverage unavailable: {exc.message}"


def _run_gate(ctx: Context, test_cfg: TestConfig, gate: GateConfig, workdir: Path, env: Mapping[str, str],
              changed: Mapping[str, frozenset[int]] | None, detected: bool) -> G.GateResult:
    if not gate.run:
        return G.GateResult(gate.name, gate.required, "failed", "empty command", (), None, 0.0, detected=detected)
    with tempfile.TemporaryDirectory(prefix="agentops-reports-") as reports:
        argv = tuple(G.substitute(a, reports) for a in gate.run)
        since = time.time() - _STALE_SLACK_S
        res = proc.run(_isolated(ctx, argv, workdir, reports), cwd=workdir, env=env, timeout=gate.timeout_s,
                       redactor=ctx.output.redactor)
        facts = G.RunFacts(res.returncode, res.timed_out, res.error, gate.timeout_s)
        problems: list[str] = []
        junit = None
        if gate.junit:
            junit, jproblems = _read_junit(gate.junit, workdir, reports, since)
            problems += jproblems
        coverage = None
        if gate.coverage:
            coverage, cproblem = _read_coverage(gate.coverage, workdir, reports, since, changed)
            if cproblem:
                problems.append(cproblem)
        duration = res.duration_s
        flaky: tuple[str, ...] = ()
        rerun_passed = False
        reruns = 0
        failed_normally = res.error is None and not res.timed_out and res.returncode not in (0, None)
        if failed_normally and test_cfg.flaky_reruns > 0 and G.looks_like_tests(gate):
            flaky, rerun_passed, reruns, extra = _rerun(ctx, test_cfg, argv, workdir, env, reports, junit,
                                                        gate.timeout_s)
            duration += extra
        status, reason = G.gate_status(facts, junit=junit, problems=problems, rerun_passed=rerun_passed,
                                       flaky=flaky)
        if res.truncated_bytes:
            reason += f" ({res.truncated_bytes} bytes of output omitted)"
        return G.GateResult(
            name=gate.name, required=gate.required, status=status, reason=reason, command=tuple(gate.run),
            exit_code=res.returncode, duration_s=round(duration, 3), output_tail=_tail(res.output),
            output_truncated_bytes=res.truncated_bytes, junit=junit, coverage=coverage,
            report_problems=tuple(problems), flaky=flaky, reruns=reruns, detected=detected,
        )


def _isolated(ctx: Context, argv: Sequence[str], workdir: Path, reports: str) -> list[str]:
    """A gate is the pull request's code: it runs in the sandbox (proc.untrusted_argv) with the
    checkout and its reports folder writable, and the repository's git dir readable."""
    git_dir = workdir / ".git"
    readable: list[Path] = []
    if git_dir.is_file():  # a linked worktree: its objects live in the main repository
        text = git_dir.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            readable.append(Path(text.split(":", 1)[1].strip()).parent.parent)
    # Files the configured gate command names by absolute path (a tools folder, a runner script
    # outside the checkout) are agentops's own config, not the PR's: visible, read-only.
    readable.extend(Path(a).parent for a in argv[1:] if a.startswith("/") and Path(a).is_file())
    # (a PR's throw-away checkout gets the same: harmless, and no second code path)
    common, pointers = _shared_git(co.Checkout(path=workdir, sha="", ref=None, base_sha=None))
    return proc.untrusted_argv(argv, writable=(workdir, Path(reports)), readable=readable, env=ctx.env,
                               protect=(*common, *pointers))


def _tail(output: str) -> str:
    text = "\n".join(output.splitlines()[-_TAIL_LINES:])
    return text[-_TAIL_CHARS:]


def _rerun(ctx: Context, test_cfg: TestConfig, argv: tuple[str, ...], workdir: Path, env: Mapping[str, str],
           reports: str, junit: JUnitSummary | None, timeout: float) -> tuple[tuple[str, ...], bool, int, float]:
    """Re-run failing tests once per configured re-run: pytest by node id, other runners whole.
    Returns (flaky test ids, everything passed on re-run, re-runs made, seconds spent)."""
    prefix = G.pytest_prefix(argv)
    node_ids: list[str] = []
    if prefix and junit is not None and junit.failed and junit.failed_cases == len(junit.failed):
        ids = [pytest_node_id(f.classname, f.name, lambda p: (workdir / p).is_file()) for f in junit.failed]
        node_ids = [i for i in ids if i is not None] if all(ids) else []
    spent = 0.0
    for attempt in range(1, test_cfg.flaky_reruns + 1):
        if node_ids and prefix:
            xml = os.path.join(reports, f"rerun-{attempt}.xml")
            ctx.output.step(f"re-running {len(node_ids)} failed test(s)")
            res = proc.run(_isolated(ctx, [*prefix, "-q", f"--junitxml={xml}", *node_ids], workdir, reports),
                           cwd=workdir, env=env,
                           timeout=timeout, redactor=ctx.output.redactor)
            spent += res.duration_s
            rerun_summary = None
            try:
                with open(xml, "rb") as fh:
                    rerun_summary = parse_junit(fh)
            except (OSError, ReportError):
                rerun_summary = None
            assert junit is not None
            flaky = G.classify_rerun(junit, rerun_summary, res.ok)
            if res.ok or flaky:
                return flaky, res.ok, attempt, spent
        else:
            ctx.output.step("re-running the failed gate")
            res = proc.run(_isolated(ctx, argv, workdir, reports), cwd=workdir, env=env, timeout=timeout,
                           redactor=ctx.output.redactor)
            spent += res.duration_s
            if res.ok:
                failed_ids = tuple(f.id for f in junit.failed) if junit is not None else ()
                return failed_ids, True, attempt, spent
    return (), False, test_cfg.flaky_reruns, spent


def _paths(pattern: str, workdir: Path, reports: str) -> list[str]:
    """Report files the pattern names, as real paths. The gate wrote them: a link to a file outside
    the checkout and the reports folder (a home folder the sandbox hid, another process's environ)
    would have agentops read it for the gate and post what it holds, so it does not count."""
    full = os.path.join(str(workdir), G.substitute(pattern, reports))
    roots = [os.path.realpath(workdir), os.path.realpath(reports)]
    found = []
    for path in sorted(glob.glob(full, recursive=True)):
        real = os.path.realpath(path)
        if os.path.isfile(real) and any(os.path.commonpath([real, r]) == r for r in roots):
            found.append(path)
    return found


def _read_junit(patterns: tuple[str, ...], workdir: Path, reports: str,
                since: float) -> tuple[JUnitSummary | None, list[str]]:
    summaries: list[JUnitSummary] = []
    problems: list[str] = []
    for pat in patterns:
        shown = pat.replace(G.REPORTS, "<reports>")
        found = _paths(pat, workdir, reports)
        if not found:
            problems.append(f"JUnit report {shown} not found")
            continue
        fresh = [p for p in found if _mtime(p) >= since]
        if not fresh:
            problems.append(f"JUnit report {shown} was not written by this run (stale file)")
            continue
        for path in fresh:
            try:
                with open(path, "rb") as fh:
                    summaries.append(parse_junit(fh))
            except ReportError as exc:
                problems.append(f"JUnit report {_rel(path, workdir, reports)}: {exc}")
            except OSError as exc:
                problems.append(f"JUnit report {_rel(path, workdir, reports)}: {exc.strerror or exc}")
    return (merge(summaries) if summaries else None), problems


def _read_coverage(pattern: str, workdir: Path, reports: str, since: float,
                   changed: Mapping[str, frozenset[int]] | None) -> tuple[CoverageSummary | None, str | None]:
    shown = pattern.replace(G.REPORTS, "<reports>")
    found = _paths(pattern, workdir, reports)
    if not found:
        return None, f"coverage report {shown} not found"
    path = found[0]
    if _mtime(path) < since:
        return None, f"coverage report {shown} was not written by this run (stale file)"
    try:
        with open(path, "rb") as fh:
            fmt = detect_format(path, fh.read(64))
            if fmt is None:
                return None, f"coverage report {shown}: unknown format"
            fh.seek(0)
            return parse_coverage(fh, fmt, changed), None
    except ReportError as exc:
        return None, f"coverage report {shown}: {exc}"
    except OSError as exc:
        return None, f"coverage report {shown}: {exc.strerror or exc}"


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _rel(path: str, workdir: Path, reports: str) -> str:
    for root, label in ((reports, "<reports>"), (str(workdir), "")):
        if path.startswith(root + os.sep):
            rest = path[len(root) + 1:]
            return f"{label}/{rest}" if label else rest
    return path


# -- state --------------------------------------------------------------------------------------
def _base_coverage(ctx: Context, repo: str | None, base_sha: str | None, base_branch: str | None) -> float | None:
    from agentops.state import docs

    if not repo or not (base_sha or base_branch):
        return None
    records = ctx.store.records(docs.test_results(repo))
    rec = records.get(base_sha) if base_sha else None
    if rec is None and base_branch:
        same = [r for r in records.values() if r.get("pr") is None and r.get("ref") == base_branch
                and isinstance(r.get("coverage"), dict)]
        rec = max(same, key=lambda r: str(r.get("finished_at", "")), default=None)
    cov = rec.get("coverage") if rec else None
    value = cov.get("percent") if isinstance(cov, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _summary_record(result: TestResult) -> dict[str, Any]:
    cov = result.coverage
    return {
        "repo": result.repo, "pr": result.pr, "sha": result.sha, "ref": result.ref, "base_sha": result.base_sha,
        "passed": result.passed, "started_at": result.started_at, "finished_at": result.finished_at,
        "duration_s": result.duration_s, "flaky": list(result.flaky),
        "gates": [{"name": g.name, "status": g.status, "required": g.required, "reason": g.reason,
                   "exit_code": g.exit_code, "duration_s": g.duration_s, "flaky": list(g.flaky),
                   "tests": g.junit.tests if g.junit else None, "subtests": g.junit.subtests if g.junit else None,
                   "failures": g.junit.failures if g.junit else None,
                   "errors": g.junit.errors if g.junit else None, "skipped": g.junit.skipped if g.junit else None}
                  for g in result.gates],
        "failures": [{"gate": gate, "id": f.id, "file": f.file, "line": f.line, "message": f.message[:300]}
                     for gate, f in G.failing_tests(result.gates)[:20]],
        "coverage": None if cov is None else {
            "percent": cov.percent, "lines": cov.lines, "covered": cov.covered,
            "changed_percent": cov.changed.percent if cov.changed else None},
        "base_coverage": result.base_coverage,
        "thresholds": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in result.thresholds],
        "comment_id": result.report.comment_id,
    }


def _record(ctx: Context, test_cfg: TestConfig, repo: str, key: str, result: TestResult) -> None:
    from agentops.state import docs

    record = _summary_record(result)
    group = _group(record)

    def apply(d: Any) -> None:
        d.put(key, record)
        # History is kept per PR (or per branch): runs of busy PRs never evict the base branch's
        # record that coverage-drop checks compare against.
        mine = [(str(r.get("finished_at", "")), k) for k, r in d.live().items() if _group(r) == group]
        mine.sort(reverse=True)
        for _ts, old in mine[max(test_cfg.history, 1):]:
            d.delete(old)

    ctx.store.update(docs.test_results(repo), apply)
    ctx.store.append(docs.AGENT_ACTIONS, {
        "agent": "test", "worker": ctx.worker_id, "repo": repo, "issue": None, "action": "test",
        "result": "pass" if result.passed else "fail",
        "details": {"pr": result.pr, "sha": result.sha, "key": key, "flaky": list(result.flaky)},
    })


def _group(record: Mapping[str, Any]) -> str:
    pr = record.get("pr")
    return f"pr-{pr}" if pr is not None else f"ref-{record.get('ref') or ''}"


# -- reporting ----------------------------------------------------------------------------------
Annotation = tuple[str, str, str | None, int | None, str | None]  # level, message, file, line, title


def _annotations(view: G.ReportView) -> list[Annotation]:
    found: list[Annotation] = []
    for gate, f in G.failing_tests(view.gates):
        found.append(("error", f"{f.id}: {f.message}", f.file, f.line, f"{gate}: {f.kind}"))
    for g in view.gates:
        if not g.ok and not (g.junit and g.junit.failed):
            found.append(("error", f"gate {g.name} {g.status}: {g.reason}", None, None, f"agentops test: {g.name}"))
        for t in g.flaky:
            found.append(("warning", f"flaky test {t}: failed, then passed on re-run", None, None, f"{g.name}: flaky"))
    for c in view.checks:
        if not c.ok:
            found.append(("error", f"threshold {c.name}: {c.detail}", None, None, "agentops test: threshold"))
    return found


def _actions_output(ctx: Context, view: G.ReportView) -> None:
    out = ctx.output
    if not out.in_actions:
        return
    out.summary(G.render_markdown(view))
    for level, message, file, line, title in _annotations(view):
        out.annotation(level, message, file=file, line=line, title=title)


# -- phases ---------------------------------------------------------------------------------------
def _write_results(folder: Path, repo: str, pr: int, sha: str, view: G.ReportView) -> None:
    """The run phase's output: what the publish phase posts, and nothing it would execute."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    data = {"schema_version": 1, "kind": "test", "repo": repo, "pr": pr, "sha": sha, "passed": view.passed,
            "markdown": G.render_markdown(view)[:60_000], "description": G.status_description(view)[:140],
            "annotations": [{"level": lv, "message": m[:4000], "file": f, "line": ln, "title": t}
                            for lv, m, f, ln, t in _annotations(view)[:200]]}
    (folder / RESULTS_JSON).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


_MARKER_RE = re.compile(r"<!--\s*agentops:.*?-->", re.S)


def _publish_bundle(options: TestOptions, ctx: Context) -> TestResult:
    """Post what a run phase found: sticky comment, commit status, annotations. Runs nothing from the
    PR. The results are untrusted data: bounded fields, markers stripped, closing keywords defused,
    and they must be about the pull request's current head."""
    from agentops.context import parse_repo
    from agentops.domain.bundle import parse_test_bundle

    meta = Path(str(options.bundle)) / RESULTS_JSON
    if not meta.is_file() or meta.is_symlink():
        raise BadInput(f"{meta}: missing (or not a regular file)", hint="pass the folder `--phase run` wrote")
    found = parse_test_bundle(str(meta), meta.read_bytes())
    if options.repo and parse_repo(options.repo).lower() != found.repo.lower():
        raise BadInput(f"{meta}: field 'repo' is {found.repo}, not {options.repo}")
    if options.pr is not None and options.pr != found.pr:
        raise BadInput(f"{meta}: field 'pr' is {found.pr}, not {options.pr}")
    pull = ctx.github.get_pull(found.repo, found.pr)
    if pull.head_sha != found.sha:
        raise WorkFailed(f"{meta}: results are for {found.sha[:12]}, but PR #{found.pr} is now at "
                         f"{pull.head_sha[:12]}; nothing posted", hint="run the tests on the new head")
    marker = make_marker("test-report", pr=found.pr)
    body = defuse(_MARKER_RE.sub("", found.markdown)).rstrip() + "\n\n" + marker
    comment, comment_id, notes = _sticky_comment(ctx, found.repo, found.pr, marker, body)
    state = "success" if found.passed else "failure"
    ctx.github.create_status(found.repo, found.sha, state=state, context=ctx.config.test.status_context,
                             description=found.description[:140])
    if ctx.output.in_actions:
        for level, message, file, line, title in found.annotations:
            ctx.output.annotation(level, message, file=file, line=line, title=title)
    now = iso(ctx.clock())
    return TestResult(repo=found.repo, pr=found.pr, sha=found.sha, ref=pull.head_ref, base_sha=None,
                      passed=found.passed, gates=(), thresholds=(), coverage=None, base_coverage=None, flaky=(),
                      started_at=now, finished_at=now, duration_s=0.0, record_key=None,
                      report=ReportInfo(comment=comment, comment_id=comment_id, status=state, notes=tuple(notes)),
                      notes=("published from a run-phase bundle",))


def _report(ctx: Context, test_cfg: TestConfig, repo: str, pr: int | None, sha: str,
            view: G.ReportView) -> ReportInfo:
    gh = ctx.github
    notes: list[str] = []
    comment, comment_id = "skipped", None
    if pr is not None:
        marker = make_marker("test-report", pr=pr)
        # Gate output is copied text: its closing keywords are defused.
        comment, comment_id, extra = _sticky_comment(ctx, repo, pr, marker,
                                                     defuse(G.render_markdown(view, marker=marker)))
        notes += extra
    state: str | None = "success" if view.passed else "failure"
    try:
        gh.create_status(repo, sha, state=state or "", context=test_cfg.status_context,
                         description=G.status_description(view))
    except GitHubError as exc:
        # Testing a local commit before pushing it is ordinary use: GitHub has no such
        # commit (422), and that must not turn the gates' verdict into an error.
        if pr is not None or exc.status != 422:
            raise
        state = None
        notes.append(f"commit {sha[:12]} is not on GitHub yet (push it to post the "
                     f"{test_cfg.status_context} status); nothing posted")
    review = None
    if pr is not None:
        review, note = _review(ctx, test_cfg, repo, pr, sha, view)
        if note:
            notes.append(note)
    return ReportInfo(comment=comment, comment_id=comment_id, status=state, review=review, notes=tuple(notes))


def _sticky_comment(ctx: Context, repo: str, pr: int, marker: str,
                    body: str) -> tuple[str, int, list[str]]:
    gh = ctx.github
    # Only our own report comment is updated: one anyone else wrote with the marker is left alone.
    mine = sorted((c for c in gh.list_comments(repo, pr) if ctx.trust.marker(c.body, c.author, "test-report", pr=pr)),
                  key=lambda c: c.id)
    if not mine:
        created = gh.create_comment(repo, pr, body, marker=marker)
        return "created", created.id, []
    keep, extras = mine[0], mine[1:]
    notes = []
    for dup in extras:  # a concurrent run raced us to create one: keep the oldest
        gh.delete_comment(repo, dup.id)
        notes.append(f"removed duplicate test-report comment {dup.id}")
    if keep.body.strip() == body.strip():
        return "unchanged", keep.id, notes
    gh.edit_comment(repo, keep.id, body)
    return "updated", keep.id, notes


def _review(ctx: Context, test_cfg: TestConfig, repo: str, pr: int, sha: str,
            view: G.ReportView) -> tuple[str | None, str | None]:
    if view.passed and test_cfg.approve:
        event, done = "APPROVE", "approved"
    elif not view.passed and test_cfg.request_changes:
        event, done = "REQUEST_CHANGES", "changes-requested"
    else:
        return None, None
    gh = ctx.github
    rmarker = make_marker("test-review", pr=pr, sha=sha, event=event.lower())
    if any(ctx.trust.marker(r.body, r.author, "test-review", pr=pr, sha=sha, event=event.lower())
           for r in gh.list_reviews(repo, pr)):
        return "already", None
    if event == "APPROVE":
        text = "All required quality gates passed."
    else:
        lines = ["Quality gates failed:"]
        lines += [f"- gate {g.name}: {g.status} ({g.reason})" for g in view.gates if g.required and not g.ok]
        lines += [f"- {f.id}" + (f" ({f.file}:{f.line})" if f.file and f.line else "") + f": {f.message[:200]}"
                  for _gate, f in G.failing_tests(view.gates)[:20]]
        lines += [f"- threshold {c.name}: {c.detail}" for c in view.checks if not c.ok]
        text = "\n".join(lines)
    try:
        gh.create_review(repo, pr, event=event, body=f"{rmarker}\n{defuse(text)}", commit_id=sha)
    except GitHubError as exc:
        if exc.status in (403, 422):
            return "refused", (f"GitHub refused the {event} review ({exc.status}: {exc.message}); "
                               f"the commit status {test_cfg.status_context} carries the verdict")
        raise
    return done, None
