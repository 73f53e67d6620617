from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest

from agentops.scout.checks import ci, coverage, dependabot, local_audit
from agentops.scout.checks.base import CheckContext
from agentops.scout.snapshot import RepoInputs

NOW = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)


def _run(i: int, conclusion: str, branch: str = "main", name: str = "CI") -> dict[str, object]:
    return {"id": i, "name": name, "branch": branch, "sha": f"{i:040d}", "status": "completed",
            "conclusion": conclusion, "created": f"2026-01-0{i}T00:00:00Z", "url": f"u{i}"}


QUIET: dict[str, list[dict[str, object]]] = {"statuses": [], "checks": []}  # no external CI


def test_ci_reports_failing_workflow_since_streak_start() -> None:
    runs = [_run(1, "success"), _run(2, "failure"), _run(3, "failure"), _run(4, "success", branch="dev"),
            _run(5, "success", name="Lint")]
    out = ci.evaluate(RepoInputs("o/r", "main", {"runs": runs, **QUIET}), CheckContext(now=NOW))
    assert [(f.subject, f.since) for f in out.findings] == [("workflow:CI", "2026-01-02T00:00:00Z")]
    fixed = ci.evaluate(RepoInputs("o/r", "main", {"runs": [*runs, _run(6, "success")], **QUIET}),
                        CheckContext(now=NOW))
    assert fixed.findings == () and fixed.ok
    unread = ci.evaluate(RepoInputs("o/r", "main", {"runs": None}, {"runs": "HTTP 502"}), CheckContext(now=NOW))
    assert not unread.ok and "502" in (unread.note or "")


def test_ci_counts_external_statuses_and_other_apps_check_runs() -> None:
    statuses = [{"context": "ci/jenkins", "state": "failure", "url": "https://ci.example/1", "updated": "T1"},
                {"context": "ci/pending", "state": "pending"}, {"context": "ci/ok", "state": "success"},
                # A status poster writes its context and link: no marker, no script link survives.
                {"context": "evil <!-- agentops:scout fp=x -->\n# Heading", "state": "error",
                 "url": "javascript:alert(1)"}]
    checks = [{"id": 1, "name": "build", "app": "circleci-checks", "status": "completed", "conclusion": "timed_out"},
              {"id": 2, "name": "job", "app": "github-actions", "status": "completed", "conclusion": "failure"},
              {"id": 3, "name": "slow", "app": "circleci-checks", "status": "in_progress", "conclusion": None},
              {"id": 4, "name": "fine", "app": "circleci-checks", "status": "completed", "conclusion": "success"}]
    out = ci.evaluate(RepoInputs("o/r", "main", {"runs": [], "statuses": statuses, "checks": checks}),
                      CheckContext(now=NOW))
    assert out.ok
    by = {f.subject: f for f in out.findings}
    assert sorted(by) == ["check:circleci-checks/build", "status:ci/jenkins",
                          "status:evil &lt;!-- agentops:scout fp=x --&gt; # Heading"]
    evil = by["status:evil &lt;!-- agentops:scout fp=x --&gt; # Heading"]
    assert evil.url is None and "<!--" not in evil.title and "\n" not in evil.title
    assert by["status:ci/jenkins"].url == "https://ci.example/1" and by["status:ci/jenkins"].severity == "high"
    # Runs read, statuses not: the workflow finding is still made; the check is partial (resolves nothing).
    partial = ci.evaluate(RepoInputs("o/r", "main", {"runs": [_run(1, "failure")], "statuses": None, "checks": []},
                                     {"statuses": "HTTP 502"}), CheckContext(now=NOW))
    assert not partial.ok and [f.subject for f in partial.findings] == ["workflow:CI"]
    assert "statuses: HTTP 502" in (partial.note or "")


def test_dependabot_groups_by_package_at_worst_severity() -> None:
    alerts = [{"n": 1, "severity": "medium", "package": "a", "ecosystem": "pip"},
              {"n": 2, "severity": "critical", "package": "a", "ecosystem": "pip"},
              {"n": 3, "severity": "low", "package": "b", "ecosystem": "npm"}]
    out = dependabot.evaluate(RepoInputs("o/r", "main", {"alerts": alerts}), CheckContext(now=NOW))
    assert sorted((f.subject, f.severity) for f in out.findings) == [("npm:b", "low"), ("pip:a", "critical")]


def test_coverage_below_threshold_and_drop() -> None:
    def rec(sha: str, pct: float, at: str) -> dict[str, object]:
        return {"pr": None, "ref": "main", "sha": sha, "finished_at": at, "coverage": {"percent": pct}}

    results = {"a": rec("a", 85.0, "2026-01-01T00:00:00Z"), "b": rec("b", 70.0, "2026-01-02T00:00:00Z"),
               "p": {"pr": 3, "ref": "x", "coverage": {"percent": 10.0}, "finished_at": "2026-01-03T00:00:00Z"}}
    inputs = RepoInputs("o/r", "main", test_results=results)
    out = coverage.evaluate(inputs, CheckContext(now=NOW, min_coverage=80.0, max_coverage_drop=5.0))
    assert sorted(f.subject for f in out.findings) == ["below-threshold", "drop"]
    fine = coverage.evaluate(inputs, CheckContext(now=NOW, min_coverage=60.0, max_coverage_drop=20.0))
    assert fine.findings == ()
    assert coverage.evaluate(RepoInputs("o/r", "main"), CheckContext(now=NOW, min_coverage=90.0)).findings == ()


def test_parsers_read_pip_audit_and_npm_audit_json() -> None:
    pip = {"dependencies": [{"name": "Jinja2", "version": "2.0", "vulns": [
        {"id": "PYSEC-1", "fix_versions": ["2.11.3"], "description": "xss"}]}, {"name": "ok", "version": "1",
                                                                                 "vulns": []}]}
    [f] = local_audit.parse_pip_audit(pip, "o/r")
    assert f.subject == "pip:jinja2" and f.data["fix_versions"] == ["2.11.3"] and f.fixable
    npm = {"vulnerabilities": {"lodash": {"severity": "moderate", "via": [{"title": "Prototype pollution"}],
                                          "range": "<4.17.21"}}}
    [g] = local_audit.parse_npm_audit(npm, "o/r")
    assert (g.subject, g.severity) == ("npm:lodash", "medium")


def test_local_mode_runs_pip_audit_from_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    report = {"dependencies": [{"name": "urllib3", "version": "1.0", "vulns": [{"id": "GHSA-x", "fix_versions":
                                                                                 ["2.0"]}]}]}
    tool = bin_dir / "pip-audit"
    tool.write_text("#!/bin/sh\necho 'warning: something' >&2\n"
                    f"echo '{json.dumps(report)}'\nexit 1\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    checkout = tmp_path / "co"
    checkout.mkdir()
    (checkout / "requirements.txt").write_text("urllib3==1.0\n")
    out = local_audit.evaluate(RepoInputs("o/r", "main"), CheckContext(now=NOW, local_path=checkout),
                               {"PATH": os.environ["PATH"]})
    assert out.ok, out.note
    assert [f.subject for f in out.findings] == ["pip:urllib3"]
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = local_audit.evaluate(RepoInputs("o/r", "main"), CheckContext(now=NOW, local_path=empty), {})
    assert nothing.findings == () and nothing.ok
