
"""The gate runner against real processes: bad commands, hangs, floods, missing/bad reports."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from agentops import settings as C
from agentops.commands.test import TestOptions, run
from agentops.settings import Config, GateConfig
from agentops.state import docs
from tests.fixtures.github import make_test_context
from tests.fixtures.gitrepo import git

PY = sys.executable


def _ctx(tmp_path: Path, gates: tuple[GateConfig, ...], **test: object) -> object:
    cfg = Config(gates=gates, test=C.TestConfig(**test))  # type: ignore[arg-type]
    # gates run sandboxed: the flaky gate's counter outside the checkout must stay writable
    return make_test_context(tmp_path, None, config=cfg, repo="o/r", env={"AGENTOPS_SANDBOX_WRITABLE": str(tmp_path)})


def _project(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q")
    git(work, "commit", "-q", "--allow-empty", "-m", "start")  # `test` refuses a folder git does not track
    return work


def test_missing_hanging_and_flooding_gates_fail_and_the_others_still_run(tmp_path: Path) -> None:
    work = _project(tmp_path)
    flood = "import sys\nchunk = b'x' * (1 << 20) + b'\\n'\nfor _ in range(50):\n    sys.stdout.buffer.write(chunk)\nsys.exit(3)\n"
    gates = (
        GateConfig(name="missing", run=("definitely-not-a-real-tool-xyz", "--check")),
        GateConfig(name="hang", run=(PY, "-c", "import time; time.sleep(60)"), timeout_s=1),
        GateConfig(name="flood", run=(PY, "-c", flood)),
        GateConfig(name="ok", run=(PY, "-c", "print('fine')")),
        GateConfig(name="optional", run=(PY, "-c", "raise SystemExit(1)"), required=False),
    )
    ctx = _ctx(tmp_path, gates)
    # The hanging gate's "timed out" reason is the proof it was stopped, not a wall clock.
    result = run(TestOptions(path=str(work), report=False), ctx)  # type: ignore[arg-type]
    by = {g.name: g for g in result.gates}
    assert by["missing"].status == "failed" and "could not start" in by["missing"].reason
    assert "definitely-not-a-real-tool-xyz" in by["missing"].reason
    assert by["hang"].status == "failed" and by["hang"].reason == "timed out after 1 s"
    assert by["flood"].status == "failed" and by["flood"].exit_code == 3
    assert by["flood"].output_truncated_bytes > 49 * (1 << 20)
    assert len(by["flood"].output_tail) <= 4000 and "bytes of output omitted" in by["flood"].reason
    assert by["ok"].status == "passed" and by["ok"].output_tail == "fine"
    assert by["optional"].status == "failed" and not by["optional"].required
    assert not result.passed and result.exit_code == 1


def test_missing_stale_and_malformed_reports_are_no_report(tmp_path: Path) -> None:
    work = _project(tmp_path)
    (work / "stale.xml").write_text("<testsuites/>")
    old = time.time() - 3600
    import os

    os.utime(work / "stale.xml", (old, old))
    write = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
    gates = (
        GateConfig(name="no-junit", run=(PY, "-c", "pass"), junit=("reports/junit.xml",)),
        GateConfig(name="stale", run=(PY, "-c", "pass"), junit=("stale.xml",)),
        GateConfig(name="bad-junit", run=(PY, "-c", write, "{reports}/j.xml", "<testsuites><testcase"),
                   junit=("{reports}/j.xml",)),
        GateConfig(name="bomb", run=(PY, "-c", write, "{reports}/j.xml",
                                     '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">]><testsuites>&a;</testsuites>'),
                   junit=("{reports}/j.xml",)),
        GateConfig(name="no-cov", run=(PY, "-c", "pass"), coverage="coverage.xml"),
        GateConfig(name="bad-cov", run=(PY, "-c", write, "{reports}/coverage.json", "{oops"),
                   coverage="{reports}/coverage.json"),
        GateConfig(name="good", run=(PY, "-c", write, "{reports}/j.xml",
                                     '<testsuite><testcase classname="t" name="a"/></testsuite>'),
                   junit=("{reports}/*.xml",)),
    )
    result = run(TestOptions(path=str(work), report=False), _ctx(tmp_path, gates))  # type: ignore[arg-type]
    by = {g.name: g for g in result.gates}
    assert by["no-junit"].status == "no-report" and by["no-junit"].reason == "JUnit report reports/junit.xml not found"
    assert by["stale"].status == "no-report" and "not written by this run" in by["stale"].reason
    assert by["bad-junit"].status == "no-report" and "malformed XML" in by["bad-junit"].reason
    assert by["bomb"].status == "no-report" and "DOCTYPE" in by["bomb"].reason
    assert by["no-cov"].status == "no-report" and "coverage report coverage.xml not found" == by["no-cov"].reason
    assert by["bad-cov"].status == "no-report" and "malformed JSON" in by["bad-cov"].reason
    assert by["good"].status == "passed" and by["good"].junit is not None and by["good"].junit.tests == 1
    assert not result.passed


def test_flaky_whole_gate_rerun_is_reported_not_silently_green(tmp_path: Path) -> None:
    work = _project(tmp_path)
    counter = tmp_path / "count"
    script = ("import pathlib, sys\np = pathlib.Path(sys.argv[1])\nn = int(p.read_text()) if p.exists() else 0\n"
              "p.write_text(str(n + 1))\nsys.exit(1 if n == 0 else 0)\n")
    gates = (GateConfig(name="unit tests", run=(PY, "-c", script, str(counter))),
             GateConfig(name="lint", run=(PY, "-c", "raise SystemExit(2)"), required=False))
    ctx = _ctx(tmp_path, gates)
    result = run(TestOptions(path=str(work), report=False), ctx)  # type: ignore[arg-type]
    unit, lint = result.gates
    assert unit.status == "flaky" and unit.reruns == 1 and "passed on re-run" in unit.reason
    assert lint.status == "failed" and lint.reruns == 0  # a linter is not re-run
    assert result.flaky == ("unit tests",) and result.passed
    # recorded in state under the tested sha, with the history bound applied
    rec = ctx.store.get(docs.test_results("o/r"), result.sha)  # type: ignore[attr-defined]
    assert rec is not None and rec["flaky"] == ["unit tests"] and rec["gates"][0]["status"] == "flaky"
    events = list(ctx.store.read_log(docs.AGENT_ACTIONS))  # type: ignore[attr-defined]
    assert events[-1]["action"] == "test" and events[-1]["result"] == "pass"


def test_actions_summary_annotations_and_coverage_drop_against_base_record(tmp_path: Path) -> None:
    import subprocess

    from agentops.settings import ThresholdsConfig

    work = _project(tmp_path)
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "base"]):
        subprocess.run(["git", *args], cwd=work, check=True)
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", base], cwd=work, check=True)
    subprocess.run(["git", "checkout", "-q", "-b", "feature"], cwd=work, check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "change"], cwd=work, check=True)
    junit = ('<testsuite><testcase classname="tests.t" name="test_x"><failure message="assert 0">'
             "tests/t.py:9: AssertionError</failure></testcase></testsuite>")
    write = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2]); sys.exit(int(sys.argv[3]))"
    gates = (GateConfig(name="lint", run=(PY, "-c", write, "{reports}/j.xml", junit, "1"),
                        junit=("{reports}/j.xml",)),
             GateConfig(name="cov", run=(PY, "-c", write, "{reports}/c.info", "SF:a.py\nDA:1,1\nDA:2,0\nend_of_record\n",
                                         "0"), coverage="{reports}/c.info"))
    summary = tmp_path / "summary.md"
    cfg = Config(gates=gates, thresholds=ThresholdsConfig(max_coverage_drop=1.0),
                 repositories=(C.RepositoryConfig(name="o/r", default_branch="main"),))
    ctx = make_test_context(tmp_path, None, config=cfg, repo="o/r",
                            env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    ctx.store.put(docs.test_results("o/r"), base, {"pr": None, "ref": "main", "coverage": {"percent": 80.0}})
    result = run(TestOptions(path=str(work), report=False), ctx)
    assert result.base_sha == base and result.base_coverage == 80.0
    drop = next(c for c in result.thresholds if c.name == "coverage drop")
    assert not drop.ok and "50% vs base 80%" in drop.detail
    assert "## agentops test: ❌ failed" in summary.read_text()
    out = ctx.output.out.getvalue()  # type: ignore[attr-defined]
    assert "::error file=tests/t.py,line=9,title=lint%3A failure::tests.t::test_x: assert 0" in out
    assert "::error title=agentops test%3A threshold::threshold coverage drop" in out
