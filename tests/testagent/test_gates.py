from __future__ import annotations

from agentops.domain import gates as G
from agentops.domain.coverage import ChangedCoverage, CoverageSummary, FileCoverage
from agentops.domain.junit import JUnitSummary, TestFailure
from agentops.domain.markers import find_marker, make_marker
from agentops.settings import ThresholdsConfig


def _fail(i: str, file: str | None = "tests/t.py", line: int | None = 3) -> TestFailure:
    return TestFailure(id=i, classname="tests.t", name=i, kind="failure", message=f"boom | {i}", file=file, line=line)


def test_detect_gates_from_repo_files() -> None:
    assert G.detect_gates({}) == ()
    py = G.detect_gates({"pyproject.toml": "[tool.pytest.ini_options]\n"}, python="/venv/python")
    assert [g.name for g in py] == ["pytest"]
    assert py[0].run[:3] == ("/venv/python", "-m", "pytest") and py[0].junit == ("{reports}/pytest-junit.xml",)
    assert G.detect_gates({}, has_python_tests=True)[0].name == "pytest"
    npm = G.detect_gates({"package.json": '{"scripts": {"test": "jest"}}'})
    assert [g.run for g in npm] == [("npm", "test")]
    assert G.detect_gates({"package.json": '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}'}) == ()
    assert G.detect_gates({"package.json": "{broken"}) == ()
    assert [g.name for g in G.detect_gates({"Cargo.toml": "[package]", "conftest.py": ""})] == ["pytest", "cargo test"]


def test_pytest_prefix_and_test_gate_detection() -> None:
    assert G.pytest_prefix(["python", "-m", "pytest", "-q"]) == ("python", "-m", "pytest")
    assert G.pytest_prefix(["/v/bin/pytest", "x"]) == ("/v/bin/pytest",)
    assert G.pytest_prefix(["npm", "test"]) is None
    from agentops.settings import GateConfig

    assert G.looks_like_tests(GateConfig(name="unit", run=("npm", "test")))
    assert not G.looks_like_tests(GateConfig(name="lint", run=("ruff", "check")))


def test_gate_status_cases() -> None:
    junit = JUnitSummary(tests=3, failures=1, failed=(_fail("a"),))
    assert G.gate_status(G.RunFacts(None, error="nope: No such file"), junit=None, problems=[]) == \
        ("failed", "could not start: nope: No such file")
    assert G.gate_status(G.RunFacts(None, timed_out=True, timeout_s=2), junit=None, problems=[])[1] == "timed out after 2 s"
    status, reason = G.gate_status(G.RunFacts(1), junit=junit, problems=[])
    assert status == "failed" and "exit code 1" in reason and "1 failed" in reason
    assert G.gate_status(G.RunFacts(1), junit=junit, problems=[], rerun_passed=True, flaky=("a",))[0] == "flaky"
    assert G.gate_status(G.RunFacts(0), junit=None, problems=["JUnit report x not found"]) == \
        ("no-report", "JUnit report x not found")
    assert G.gate_status(G.RunFacts(0), junit=junit, problems=[])[0] == "failed"
    assert G.gate_status(G.RunFacts(0), junit=JUnitSummary(tests=2), problems=[]) == ("passed", "ok")


def test_classify_rerun() -> None:
    first = JUnitSummary(tests=3, failures=2, failed=(_fail("a"), _fail("b")))
    assert G.classify_rerun(first, None, True) == ("a", "b")
    again = JUnitSummary(tests=2, failures=1, failed=(_fail("b"),))
    assert G.classify_rerun(first, again, False) == ("a",)
    assert G.classify_rerun(first, None, False) == ()


def _cov(pct: float | None) -> CoverageSummary:
    return CoverageSummary("cobertura", 100, int(pct or 0), pct, (FileCoverage("pkg/a.py", 10, 5, 50.0),),
                           ChangedCoverage(4, 3, 75.0, ("pkg/a.py:9",)))


def test_thresholds_and_verdict() -> None:
    th = ThresholdsConfig(min_coverage=80, max_coverage_drop=1.0, max_failures=0)
    checks = G.evaluate_thresholds(th, failures=0, coverage=_cov(79.0), base_percent=81.0)
    assert [(c.name, c.ok) for c in checks] == [("max failures", True), ("min coverage", False), ("coverage drop", False)]
    checks = G.evaluate_thresholds(th, failures=None, coverage=_cov(85.0), base_percent=None)
    assert all(c.ok for c in checks) and [c.name for c in checks] == ["min coverage", "coverage drop"]
    assert not G.evaluate_thresholds(th, failures=None, coverage=None, base_percent=None)[0].ok
    ok = G.GateResult("a", True, "passed", "ok", ("x",), 0, 0.1)
    flaky = G.GateResult("b", True, "flaky", "1 test", ("x",), 1, 0.1, flaky=("t",))
    bad_optional = G.GateResult("c", False, "failed", "exit 1", ("x",), 1, 0.1)
    bad = G.GateResult("d", True, "no-report", "missing", ("x",), 0, 0.1)
    assert G.verdict([ok, flaky, bad_optional], [])
    assert not G.verdict([ok, bad], [])
    assert not G.verdict([ok], [G.ThresholdCheck("min coverage", False, "")])


def test_failures_exclude_flaky_tests() -> None:
    junit = JUnitSummary(tests=3, failures=2, failed=(_fail("a"), _fail("b")))
    g = G.GateResult("pytest", True, "failed", "exit 1", ("pytest",), 1, 1.0, junit=junit, flaky=("a",))
    assert [f.id for _gate, f in G.failing_tests([g])] == ["b"]
    assert G.unflaky_failures([g]) == 1
    assert G.unflaky_failures([G.GateResult("lint", True, "passed", "ok", ("x",), 0, 0.1)]) is None


def test_failing_subtests_count_and_leave_with_their_flaky_test() -> None:
    # "a" failed with two failing subtests (3 results, as pytest counts them), "b" plainly.
    a = TestFailure(id="a", classname="tests.t", name="a", kind="failure", message="x", results=3)
    junit = JUnitSummary(tests=4, subtests=5, failures=4, failed_subtests=2, failed=(a, _fail("b")))
    g = G.GateResult("pytest", True, "failed", "exit 1", ("pytest",), 1, 1.0, junit=junit)
    assert G.unflaky_failures([g]) == 4
    assert G.unflaky_failures([G.GateResult("pytest", True, "failed", "exit 1", ("pytest",), 1, 1.0, junit=junit,
                                            flaky=("a",))]) == 1
    assert "5 passed, 4 failed (4 tests + 5 subtests)" in G.render_markdown(
        G.ReportView(passed=False, sha=None, gates=(g,), checks=(), coverage=None, base_percent=None, duration_s=1))
    assert "4 tests, 5 subtests" in G.status_description(
        G.ReportView(passed=False, sha=None, gates=(g,), checks=(), coverage=None, base_percent=None, duration_s=1))


def test_markdown_report_has_marker_table_failures_flaky_and_coverage() -> None:
    junit = JUnitSummary(tests=3, failures=2, failed=(_fail("a"), _fail("b", file=None, line=None)))
    g1 = G.GateResult("pytest", True, "failed", "exit code 1", ("pytest",), 1, 1.25, output_tail="```\nlog",
                      junit=junit, flaky=("a",), coverage=_cov(70.0))
    g2 = G.GateResult("lint|x", False, "passed", "ok", ("ruff",), 0, 0.5)
    view = G.ReportView(passed=False, sha="0123456789abcdef", gates=(g1, g2), coverage=_cov(70.0), base_percent=72.5,
                        checks=(G.ThresholdCheck("min coverage", False, "70%, at least 80% required"),), duration_s=2.0)
    marker = make_marker("test-report", pr=7)
    md = G.render_markdown(view, marker=marker)
    assert find_marker(md, "test-report", pr=7) is not None
    assert "❌ failed" in md and "`0123456789ab`" in md
    assert "| lint\\|x | no | ✅ passed |" in md
    assert "### Failures (1)" in md and "`b`" in md and "boom \\| b" in md
    assert "Flaky" in md and "`a` (pytest)" in md
    assert "total **70%**" in md and "changed lines 75% (3/4)" in md and "base 72.5% (-2.50)" in md
    assert "❌ min coverage" in md and "````\n```\nlog\n````" in md
    desc = G.status_description(view)
    assert desc.startswith("failed: 2/2 gates") or desc.startswith("failed: 1/2 gates")
    assert len(desc) <= 140 and "1 flaky" in desc and "threshold: min coverage" in desc
    huge = G.GateResult("x", True, "failed", "r" * 100, ("x",), 1, 0.0, output_tail="y" * 3000)
    big = G.render_markdown(G.ReportView(False, None, (huge,) * 40, (), None, None, 1.0))
    assert len(big) <= 60_000 and "report truncated" in big
