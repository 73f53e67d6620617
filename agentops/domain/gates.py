"""Quality gates, pure: default gates detected from a repository's files, a gate's outcome
from what its run produced, flaky classification, thresholds, the verdict, and the markdown
of the sticky PR comment. Running commands and reading files belong to commands/test.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentops.domain.coverage import CoverageSummary
from agentops.domain.junit import JUnitSummary, TestFailure
from agentops.settings import GateConfig, ThresholdsConfig

REPORTS = "{reports}"  # placeholder in gate argv and report paths: a fresh folder per run
PASSING = ("passed", "flaky")
_MAX_COMMENT = 60_000  # GitHub refuses comment bodies over 65,536 characters
_MAX_LISTED = 20
_NPM_DEFAULT_TEST = "no test specified"


# -- default gates ------------------------------------------------------------------------
def detect_gates(files: Mapping[str, str], *, python: str = "python", has_python_tests: bool = False
                 ) -> tuple[GateConfig, ...]:
    """Gates for a repository with none configured. `files` maps the root-level build files that
    exist (pyproject.toml, setup.cfg, tox.ini, pytest.ini, conftest.py, package.json, Cargo.toml)
    to their text."""
    gates: list[GateConfig] = []
    pyproject = files.get("pyproject.toml", "")
    uses_pytest = (
        "pytest.ini" in files or "conftest.py" in files or has_python_tests
        or "[tool.pytest" in pyproject or "[tool:pytest]" in files.get("setup.cfg", "")
        or "[pytest]" in files.get("tox.ini", "") or re.search(r"[\"']pytest\b", pyproject) is not None
    )
    if uses_pytest:
        junit = f"{REPORTS}/pytest-junit.xml"
        gates.append(GateConfig(name="pytest", run=(python, "-m", "pytest", "-q", f"--junitxml={junit}"),
                                junit=(junit,)))
    if "package.json" in files:
        try:
            pkg = json.loads(files["package.json"])
        except ValueError:
            pkg = {}
        scripts = pkg.get("scripts") if isinstance(pkg, dict) else None
        test_script = scripts.get("test") if isinstance(scripts, dict) else None
        if isinstance(test_script, str) and _NPM_DEFAULT_TEST not in test_script:
            gates.append(GateConfig(name="npm test", run=("npm", "test")))
    if "Cargo.toml" in files:
        gates.append(GateConfig(name="cargo test", run=("cargo", "test")))
    return tuple(gates)


def substitute(value: str, reports: str) -> str:
    return value.replace(REPORTS, reports)


def pytest_prefix(argv: Sequence[str]) -> tuple[str, ...] | None:
    """The argv that starts pytest (`pytest`, `python -m pytest`, `uv run pytest`...), or None."""
    for i, arg in enumerate(argv):
        base = arg.replace("\\", "/").rsplit("/", 1)[-1]
        if base in ("pytest", "py.test", "pytest.exe"):
            return tuple(argv[: i + 1])
    return None


def looks_like_tests(gate: GateConfig) -> bool:
    """Worth a re-run when it fails: a test runner, not a linter or type checker."""
    text = " ".join((gate.name, *gate.run)).lower()
    return bool(gate.junit) or re.search(r"\b(test|tests|pytest|jest|vitest|mocha|nextest)\b", text) is not None


# -- outcomes -------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateResult:
    name: str
    required: bool
    status: str  # passed | failed | flaky | no-report
    reason: str
    command: tuple[str, ...]
    exit_code: int | None
    duration_s: float
    output_tail: str = ""
    output_truncated_bytes: int = 0
    junit: JUnitSummary | None = None
    coverage: CoverageSummary | None = None
    report_problems: tuple[str, ...] = ()
    flaky: tuple[str, ...] = ()  # failed, then passed on re-run
    reruns: int = 0
    detected: bool = False  # a default gate, not from config

    @property
    def ok(self) -> bool:
        return self.status in PASSING


@dataclass(frozen=True)
class RunFacts:
    """What running a gate command produced."""

    exit_code: int | None
    timed_out: bool = False
    error: str | None = None
    timeout_s: float = 0


def gate_status(run: RunFacts, *, junit: JUnitSummary | None, problems: Sequence[str],
                rerun_passed: bool = False, flaky: Sequence[str] = ()) -> tuple[str, str]:
    """(status, reason) of one gate."""
    if run.error:
        return "failed", f"could not start: {run.error}"
    if run.timed_out:
        return "failed", f"timed out after {run.timeout_s:g} s"
    if run.exit_code != 0:
        if rerun_passed:
            n = len(flaky)
            what = f"{n} test{'s' if n != 1 else ''}" if n else "the gate"
            return "flaky", f"{what} failed, then passed on re-run"
        reason = f"exit code {run.exit_code}"
        if junit is not None and junit.failed_total:
            reason += f"; {_counts(junit)}"
        if problems:
            reason += f"; no report: {problems[0]}"
        return "failed", reason
    if problems:
        return "no-report", problems[0]
    if junit is not None and junit.failed_total:
        return "failed", f"exit code 0 but the report lists failures: {_counts(junit)}"
    return "passed", "ok"


def classify_rerun(first: JUnitSummary, rerun: JUnitSummary | None, rerun_ok: bool) -> tuple[str, ...]:
    """Ids of tests that failed first and passed when re-run."""
    failed_first = [f.id for f in first.failed]
    if rerun_ok:
        return tuple(failed_first)
    if rerun is None:
        return ()
    still = {f.id for f in rerun.failed}
    if rerun.failed_cases > len(rerun.failed):  # the detail list was capped: cannot tell who passed
        return ()
    return tuple(t for t in failed_first if t not in still)


# -- thresholds and verdict -------------------------------------------------------------------
@dataclass(frozen=True)
class ThresholdCheck:
    name: str
    ok: bool
    detail: str


def evaluate_thresholds(th: ThresholdsConfig, *, failures: int | None, coverage: CoverageSummary | None,
                        base_percent: float | None) -> tuple[ThresholdCheck, ...]:
    checks: list[ThresholdCheck] = []
    if failures is not None:
        checks.append(ThresholdCheck("max failures", failures <= th.max_failures,
                                     f"{failures} failing test(s), at most {th.max_failures} allowed"))
    current = coverage.percent if coverage is not None else None
    if th.min_coverage is not None:
        if current is None:
            checks.append(ThresholdCheck("min coverage", False,
                                         f"no coverage figure; at least {th.min_coverage:g}% required"))
        else:
            checks.append(ThresholdCheck("min coverage", current >= th.min_coverage,
                                         f"{current:g}%, at least {th.min_coverage:g}% required"))
    if th.max_coverage_drop is not None:
        if current is None or base_percent is None:
            checks.append(ThresholdCheck("coverage drop", True, "no base coverage recorded to compare with"))
        else:
            drop = round(base_percent - current, 2)
            checks.append(ThresholdCheck("coverage drop", drop <= th.max_coverage_drop,
                                         f"{current:g}% vs base {base_percent:g}% ({-drop:+g} points), "
                                         f"at most {th.max_coverage_drop:g} points drop allowed"))
    return tuple(checks)


def verdict(gates: Sequence[GateResult], checks: Sequence[ThresholdCheck]) -> bool:
    return all(g.ok for g in gates if g.required) and all(c.ok for c in checks)


def failing_tests(gates: Sequence[GateResult]) -> list[tuple[str, TestFailure]]:
    """(gate, failure) for every listed failure that did not pass on re-run."""
    out: list[tuple[str, TestFailure]] = []
    for g in gates:
        if g.junit is None:
            continue
        flaky = set(g.flaky)
        out.extend((g.name, f) for f in g.junit.failed if f.id not in flaky)
    return out


def unflaky_failures(gates: Sequence[GateResult]) -> int | None:
    """Failing results across gates (a failing subtest is one, as pytest counts them), flaky tests
    excluded with all their subtests; None when no gate had a test report."""
    total, seen = 0, False
    for g in gates:
        if g.junit is None:
            continue
        seen = True
        flaky = set(g.flaky)
        # A listed flaky test takes its failing subtests with it; an unlisted one (the list is
        # capped) counts as one.
        listed = {f.id: f.results for f in g.junit.failed}
        total += max(g.junit.failed_total - sum(listed.get(t, 1) for t in flaky), 0)
    return total if seen else None


# -- rendering ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportView:
    passed: bool
    sha: str | None
    gates: tuple[GateResult, ...]
    checks: tuple[ThresholdCheck, ...]
    coverage: CoverageSummary | None
    base_percent: float | None
    duration_s: float
    notes: tuple[str, ...] = ()


def _counts(j: JUnitSummary) -> str:
    """Results as pytest counts them: with subtests, pytest's "4 failed, 2 passed, 3 subtests passed"
    (JUnit tests="9") reads "5 passed, 4 failed (4 tests + 5 subtests)"."""
    parts = [f"{j.passed} passed"]
    if j.failures:
        parts.append(f"{j.failures} failed")
    if j.errors:
        parts.append(f"{j.errors} error{'s' if j.errors != 1 else ''}")
    if j.skipped:
        parts.append(f"{j.skipped} skipped")
    text = ", ".join(parts)
    return f"{text} ({j.tests} tests + {j.subtests} subtests)" if j.subtests else text


def _cell(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("|", "\\|").strip()


def _code(text: str) -> str:
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0) + 1
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{'`' * ticks}{pad}{text}{pad}{'`' * ticks}"


def _fence(text: str) -> str:
    ticks = max(3, max((len(m) for m in re.findall(r"`{3,}", text)), default=0) + 1)
    return f"{'`' * ticks}\n{text}\n{'`' * ticks}"


_ICON = {"passed": "✅", "flaky": "⚠️", "failed": "❌", "no-report": "❓"}


def status_description(view: ReportView) -> str:
    """At most 140 characters, as GitHub requires for a commit status."""
    total = len(view.gates)
    ok = sum(1 for g in view.gates if g.ok)
    parts = [f"{'passed' if view.passed else 'failed'}: {ok}/{total} gates"]
    tests = sum(g.junit.tests for g in view.gates if g.junit)
    if tests:
        parts.append(f"{tests} tests")
    subtests = sum(g.junit.subtests for g in view.gates if g.junit)
    if subtests:
        parts.append(f"{subtests} subtests")
    flaky = sum(len(g.flaky) or (1 if g.status == "flaky" else 0) for g in view.gates)
    if flaky:
        parts.append(f"{flaky} flaky")
    if view.coverage is not None and view.coverage.percent is not None:
        parts.append(f"coverage {view.coverage.percent:g}%")
    bad = [c.name for c in view.checks if not c.ok]
    if bad:
        parts.append("threshold: " + ", ".join(bad))
    text = ", ".join(parts)
    return text if len(text) <= 140 else text[:139] + "…"


def render_markdown(view: ReportView, *, marker: str = "", title: str = "agentops test") -> str:
    head = "✅ passed" if view.passed else "❌ failed"
    lines = [marker] if marker else []
    lines += [f"## {title}: {head}", ""]
    meta = [f"commit {_code(view.sha[:12])}" if view.sha else "working tree",
            f"{len(view.gates)} gate{'s' if len(view.gates) != 1 else ''}", f"{view.duration_s:.1f} s"]
    lines += [" · ".join(meta), ""]
    if view.gates:
        lines += ["| Gate | Required | Result | Tests | Duration | Details |", "|---|---|---|---|---|---|"]
        for g in view.gates:
            tests = _counts(g.junit) if g.junit is not None else "–"
            lines.append(f"| {_cell(g.name)} | {'yes' if g.required else 'no'} | {_ICON.get(g.status, '')} "
                         f"{g.status} | {tests} | {g.duration_s:.1f} s | {_cell(g.reason)[:300]} |")
        lines.append("")
    else:
        lines += ["No gates configured or detected.", ""]
    failures = failing_tests(view.gates)
    if failures:
        lines += [f"### Failures ({len(failures)})", ""]
        for _gate, f in failures[:_MAX_LISTED]:
            where = f" — {_code(f'{f.file}:{f.line}')}" if f.file and f.line else ""
            lines.append(f"- {_code(f.id)}{where}: {_cell(f.message)[:300]}")
        if len(failures) > _MAX_LISTED:
            lines.append(f"- … and {len(failures) - _MAX_LISTED} more")
        lines.append("")
    flaky = [(g.name, t) for g in view.gates for t in g.flaky]
    flaky_gates = [g.name for g in view.gates if g.status == "flaky" and not g.flaky]
    if flaky or flaky_gates:
        lines += ["### ⚠️ Flaky (failed, then passed on re-run)", ""]
        lines += [f"- {_code(t)} ({_cell(gate)})" for gate, t in flaky[:_MAX_LISTED]]
        lines += [f"- gate {_cell(name)}" for name in flaky_gates]
        lines.append("")
    if view.coverage is not None:
        lines += _coverage_lines(view.coverage, view.base_percent)
    if view.checks:
        lines += ["### Thresholds", ""]
        lines += [f"- {'✅' if c.ok else '❌'} {c.name}: {_cell(c.detail)}" for c in view.checks]
        lines.append("")
    for g in view.gates:
        if not g.ok and g.output_tail:
            lines += [f"<details><summary>Output of {_cell(g.name)} (tail)</summary>", "",
                      _fence(g.output_tail[-3000:]), "", "</details>", ""]
    lines += [f"> {_cell(n)}" for n in view.notes]
    text = "\n".join(lines).rstrip() + "\n"
    if len(text) > _MAX_COMMENT:
        text = text[: _MAX_COMMENT - 40].rsplit("\n", 1)[0] + "\n\n… (report truncated)\n"
    return text


def _coverage_lines(cov: CoverageSummary, base_percent: float | None) -> list[str]:
    total = f"{cov.percent:g}%" if cov.percent is not None else "n/a"
    parts = [f"total **{total}** ({cov.covered}/{cov.lines} lines)"]
    if cov.changed is not None:
        ch = cov.changed
        parts.append(f"changed lines {ch.percent:g}% ({ch.covered}/{ch.lines})" if ch.percent is not None
                     else "no measurable changed lines")
    if base_percent is not None and cov.percent is not None:
        parts.append(f"base {base_percent:g}% ({cov.percent - base_percent:+.2f})")
    out = ["### Coverage", "", " · ".join(parts), ""]
    lowest = sorted((f for f in cov.files if f.percent is not None and f.percent < 100),
                    key=lambda f: (f.percent or 0.0, f.path))[:5]
    if lowest:
        out += ["| Lowest files | Coverage | Lines |", "|---|---|---|"]
        out += [f"| {_code(f.path)} | {f.percent:g}% | {f.covered}/{f.lines} |" for f in lowest]
        out.append("")
    if cov.changed is not None and cov.changed.uncovered:
        shown = ", ".join(_code(u) for u in cov.changed.uncovered[:_MAX_LISTED])
        out += [f"Uncovered changed lines: {shown}", ""]
    return out
