from __future__ import annotations

import datetime as dt

import pytest

from agentops.domain import deploy as dom
from agentops.domain.markers import find_marker
from agentops.settings import FreezeWindow, HealthCheckConfig


def _utc(*a: int) -> dt.datetime:
    return dt.datetime(*a, tzinfo=dt.UTC)


# -- placeholders --------------------------------------------------------------------------------------
def test_expand_substitutes_known_placeholders_and_leaves_other_braces() -> None:
    argv = ["./deploy.sh", "--sha={sha}", "{previous_sha}", "{env}", "v={version}", '{"a": 1}']
    out = dom.expand(argv, {"sha": "abc", "previous_sha": "old", "env": "prod", "version": "v1"})
    assert out == ("./deploy.sh", "--sha=abc", "old", "prod", "v=v1", '{"a": 1}')


def test_expand_rejects_unknown_and_valueless_placeholders() -> None:
    with pytest.raises(dom.PlanError) as e:
        dom.expand(["x", "{shaa}"], {"sha": "a"}, field="deploy")
    assert e.value.field == "deploy[1]"
    with pytest.raises(dom.PlanError, match="previous_sha"):
        dom.expand(["{previous_sha}"], {"previous_sha": None}, field="rollback")
    assert dom.uses_placeholder(["a", "--to={previous_sha}"], "previous_sha")
    assert not dom.uses_placeholder(["a", "{sha}"], "previous_sha")


# -- freeze windows ---------------------------------------------------------------------------------------
def test_iso_freeze_window() -> None:
    w = FreezeWindow(start="2024-12-20T00:00:00Z", end="2025-01-02T00:00:00Z", reason="holidays")
    assert dom.active_freeze([w], _utc(2024, 12, 25, 12)) == w
    assert dom.active_freeze([w], _utc(2025, 1, 2, 0)) is None
    assert dom.active_freeze([w], _utc(2024, 12, 19, 23, 59)) is None


def test_weekly_window_wraps_the_weekend() -> None:
    w = FreezeWindow(start="Fri 16:00", end="Mon 08:00")
    # 2024-06-07 is a Friday.
    assert dom.active_freeze([w], _utc(2024, 6, 7, 15, 59)) is None
    assert dom.active_freeze([w], _utc(2024, 6, 7, 16, 0)) == w
    assert dom.active_freeze([w], _utc(2024, 6, 9, 12)) == w  # Sunday
    assert dom.active_freeze([w], _utc(2024, 6, 10, 7, 59)) == w  # Monday morning
    assert dom.active_freeze([w], _utc(2024, 6, 10, 8, 0)) is None
    assert dom.active_freeze([w], _utc(2024, 6, 12, 12)) is None  # Wednesday


def test_daily_window_and_full_day_names() -> None:
    nightly = FreezeWindow(start="22:00", end="06:00")
    assert dom.active_freeze([nightly], _utc(2024, 6, 12, 23)) == nightly
    assert dom.active_freeze([nightly], _utc(2024, 6, 12, 5, 59)) == nightly
    assert dom.active_freeze([nightly], _utc(2024, 6, 12, 12)) is None
    tue = FreezeWindow(start="Tuesday 10:00", end="tue 11:00")
    assert dom.active_freeze([tue], _utc(2024, 6, 11, 10, 30)) == tue


@pytest.mark.parametrize(("start", "end", "bad"), [
    ("Fri 16:00", "2024-01-01T00:00:00Z", "end"),
    ("Fry 16:00", "Mon 08:00", "start"),
    ("Fri 16:00", "08:00", "end"),
    ("2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z", "end"),
    ("25:00", "08:00", "start"),
])
def test_bad_freeze_windows_name_the_field(start: str, end: str, bad: str) -> None:
    with pytest.raises(dom.PlanError) as e:
        dom.check_freeze_windows([FreezeWindow(start=start, end=end)], field="environments.prod.freeze")
    assert e.value.field == f"environments.prod.freeze[0].{bad}"


# -- required checks ------------------------------------------------------------------------------------------
def test_red_checks_with_required_list() -> None:
    statuses = {"ci/lint": "success", "ci/old": "failure"}
    runs = {"tests": ("completed", "success"), "build": ("in_progress", None), "e2e": ("completed", "failure")}
    problems = dom.red_checks(["ci/lint", "tests", "build", "e2e", "absent"], statuses, runs)
    assert [(p.name, p.state) for p in problems] == [("build", "pending"), ("e2e", "failure"),
                                                     ("absent", "missing")]
    assert dom.red_checks(["ci/lint", "tests"], statuses, runs) == []  # ci/old is not required


def test_red_checks_without_required_list_needs_everything_green() -> None:
    assert dom.red_checks([], {}, {}) == []
    assert dom.red_checks([], {"a": "success"}, {"b": ("completed", "skipped")}) == []
    assert [p.name for p in dom.red_checks([], {"a": "pending"}, {"b": ("completed", "cancelled")})] == ["a", "b"]


# -- health checks -------------------------------------------------------------------------------------------
def test_evaluate_health_status_json_regex_and_errors() -> None:
    c = HealthCheckConfig(url="http://x/h", expect_json={"status": "ok", "db.replicas.0.up": True},
                          body_regex=r"version=\d+")
    good = '{"status": "ok", "db": {"replicas": [{"up": true}]}, "v": "version=3"}'
    assert dom.evaluate_health(c, status=200, body=good, error=None).ok
    assert "status 503" in dom.evaluate_health(c, status=503, body=good, error=None).reason
    assert "missing" in dom.evaluate_health(c, status=200, body='{"status": "ok"}', error=None).reason
    bad_val = good.replace('"up": true', '"up": false')
    assert "db.replicas.0.up" in dom.evaluate_health(c, status=200, body=bad_val, error=None).reason
    assert "not JSON" in dom.evaluate_health(c, status=200, body="<html>", error=None).reason
    no_ver = good.replace("version=3", "v3")
    assert "does not match" in dom.evaluate_health(c, status=200, body=no_ver, error=None).reason
    t = dom.evaluate_health(c, status=None, body="", error="timeout after 5s")
    assert not t.ok and t.reason == "timeout after 5s"


def test_json_field_paths() -> None:
    data = {"a": [{"b": 1}, {"b": 2}], "c": {"d": None}}
    assert dom.json_field(data, "a.1.b") == 2
    assert dom.json_field(data, "a.-1.b") == 2
    assert dom.json_field(data, "c.d") is None
    assert dom.json_field(data, "a.5.b") is dom._MISSING
    assert dom.json_field(data, "c.d.e") is dom._MISSING


def test_health_config_validation() -> None:
    with pytest.raises(dom.PlanError) as e:
        dom.check_health_config([HealthCheckConfig(url="u"), HealthCheckConfig(url="u", body_regex="(")],
                                field="environments.p.health_checks")
    assert e.value.field == "environments.p.health_checks[1].body_regex"


# -- monitor / outcome ------------------------------------------------------------------------------------------
def test_monitor_polls_and_verdict() -> None:
    assert dom.monitor_polls(0, 15) == 0
    assert dom.monitor_polls(300, 15) == 20
    assert dom.monitor_polls(10, 15) == 1
    assert dom.monitor_polls(10, 0) == 1
    assert not dom.monitor_failed(1, 1)
    assert dom.monitor_failed(2, 1)


def test_classify_and_severity() -> None:
    assert dom.classify(healthy=True, rollback_attempted=False, rollback_ok=False) == "succeeded"
    assert dom.classify(healthy=False, rollback_attempted=True, rollback_ok=True) == "rolled_back"
    assert dom.classify(healthy=False, rollback_attempted=True, rollback_ok=False) == "rollback_failed"
    assert dom.classify(healthy=False, rollback_attempted=False, rollback_ok=False) == "failed"
    assert dom.severity_for("rollback_failed") == "critical"
    assert dom.severity_for("rolled_back") == "high"
    assert dom.worst("high", "critical") == "critical"


# -- commits -----------------------------------------------------------------------------------------------------
def test_prs_from_subjects() -> None:
    subjects = ["Merge pull request #12 from o/feature", "Add thing (#7)", "fix: typo", "Revert (#7)",
                "Mention #99 in passing", "Merge pull request #3 from o/x"]
    assert dom.prs_from_subjects(subjects) == [3, 7, 12]


def test_parse_git_log_converts_dates_to_utc_z() -> None:
    text = "abc\x1f2024-06-01T12:00:00+02:00\x1fMerge pull request #4 from o/b\nbroken line\n"
    assert dom.parse_git_log(text) == [("abc", "2024-06-01T10:00:00Z", "Merge pull request #4 from o/b")]


# -- incident text ------------------------------------------------------------------------------------------------
def _facts(**kw: object) -> dom.IncidentFacts:
    base: dict[str, object] = dict(repo="o/r", environment="prod", sha="a" * 40, previous_sha="b" * 40,
                                   deploy_id="prod-1", status="rolled_back", severity="high", failed_step="smoke",
                                   failure="GET http://x/h: status 500", failure_output="boom ``` fence",
                                   rollback="Rollback succeeded.", rollback_output="", at=_utc(2024, 6, 1))
    base.update(kw)
    return dom.IncidentFacts(**base)  # type: ignore[arg-type]


def test_render_incident_has_marker_and_safe_fence() -> None:
    body = dom.render_incident(_facts())
    assert find_marker(body, "incident", env="prod") is not None
    assert find_marker(body, "incident", env="staging") is None
    assert "````text\nboom ``` fence\n````" in body
    assert "status 500" in body and "Rollback succeeded." in body and "2024-06-01T00:00:00Z" in body
    assert dom.incident_title("prod", "a" * 40, "critical").startswith("[CRITICAL] ")
    assert not dom.incident_title("prod", "a" * 40, "high").startswith("[")
    assert find_marker(dom.render_update_comment(_facts()), "incident-update", deploy="prod-1")
    res = dom.render_resolution("prod", "c" * 40, "prod-2", _utc(2024, 6, 1, 1), 3725)
    assert find_marker(res, "incident-resolved", env="prod") and "1h 02m" in res
