from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from agentops.commands import deploy as cmd
from agentops.domain.markers import find_marker
from agentops.errors import LostRace, WorkFailed
from agentops.settings import FreezeWindow, MonitorConfig
from tests.deploy.conftest import REPO, SECRET, World
from tests.fixtures.gitrepo import git

Health = Callable[..., Any]


def deploy(world: World, sha: str, **kw: Any) -> cmd.DeployResult:
    return cmd.run(cmd.DeployOptions(env="prod", sha=sha, **kw), world.ctx())


def test_healthy_deploy_succeeds_and_records_commits_and_prs(world: World, health: Health) -> None:
    route = health(200)
    first = deploy(world, world.shas[1])
    assert first.status == "succeeded" and first.exit_code == 0
    world.clock.advance(3600)
    result = deploy(world, world.shas[3])
    assert result.status == "succeeded" and result.exit_code == 0
    assert result.previous_sha == world.shas[1]
    # One smoke probe plus three monitor polls (30 s window / 10 s interval) per deploy.
    assert route.call_count == 8
    assert world.sleeps == [10.0, 10.0, 10.0] * 2
    assert [c["script"] for c in world.calls()] == ["deploy", "deploy"]
    assert world.calls()[1]["argv"] == [world.shas[3], "prod"]
    records = world.log("deployments")
    assert [r["status"] for r in records] == ["succeeded", "succeeded"]
    rec = records[1]
    assert rec["sha"] == world.shas[3] and rec["previous_sha"] == world.shas[1]
    assert rec["prs"] == [8, 9]
    assert [c["sha"] for c in rec["commits"]] == [world.shas[3], world.shas[2]]
    assert all(c["committed_at"].endswith("Z") for c in rec["commits"])
    assert rec["incident"] is None and rec["dry_run"] is False
    assert rec["started_at"] == "2024-06-12T13:00:00Z"
    assert records[0]["prs"] == [5] and len(records[0]["commits"]) == 1  # first deploy: just its commit
    assert world.issues() == [] and world.log("incidents") == []
    assert not (world.state / "deploy" / "locks.json").exists() or \
        json.loads((world.state / "deploy" / "locks.json").read_text())["records"]["prod"].get("deleted")


def test_smoke_failure_rolls_back_opens_one_incident_and_next_healthy_deploy_resolves(
        world: World, health: Health) -> None:
    health(200)
    deploy(world, world.shas[1])
    world.clock.advance(60)
    # Smoke: two failing attempts (retries=1); then the rollback's health check passes.
    route = health(500, 500, 200)
    bad = deploy(world, world.shas[3])
    assert bad.status == "rolled_back" and bad.exit_code == 1
    assert route.call_count == 3
    assert world.calls()[-1] == {"script": "rollback", "argv": [world.shas[1]], "env": "prod"}
    [issue] = world.issues()
    assert issue.state == "open" and "incident" in issue.labels and "priority:high" in issue.labels
    assert find_marker(issue.body, "incident", env="prod")
    assert "status 500, expected 200" in issue.body and "Rollback succeeded" in issue.body
    assert bad.incident == issue.number
    assert world.log("deployments")[-1]["incident"] == issue.number
    assert world.sleeps == [10.0] * 3 + [1.0]  # first deploy's monitor, then one retry delay

    # The same sha fails again: the same issue is updated, the incident still counted once.
    world.clock.advance(60)
    health(500, 500, 200)
    again = deploy(world, world.shas[3], force=True)  # --force: deploy over the open incident
    assert again.status == "rolled_back" and again.incident == issue.number
    assert len(world.issues()) == 1
    events = world.log("incidents")
    assert [e["event"] for e in events] == ["opened", "updated"]
    assert {e["id"] for e in events} == {f"{REPO}#{issue.number}"}
    assert any(find_marker(b, "incident-update") for b in world.comments(issue.number))

    # A later healthy deploy of the environment resolves it and records the time to restore.
    world.clock.advance(600)
    health(200)
    good = deploy(world, world.shas[2], force=True)
    assert good.status == "succeeded" and good.resolved_incidents == (issue.number,)
    [closed] = world.issues()
    assert closed.state == "closed"
    assert any(find_marker(b, "incident-resolved", env="prod") for b in world.comments(issue.number))
    resolved = world.log("incidents")[-1]
    assert resolved["event"] == "resolved" and resolved["resolved_at"] == "2024-06-12T12:12:00Z"
    assert resolved["opened_at"] == "2024-06-12T12:01:00Z" and resolved["restore_s"] == 660.0
    assert [e["event"] for e in world.log("incidents")].count("opened") == 1


def test_flapping_within_allowed_failures_succeeds(world: World, health: Health) -> None:
    health(200, 503, 200, 200)  # smoke ok, one bad poll out of three, max_failures=1
    result = deploy(world, world.shas[3])
    assert result.status == "succeeded"
    monitor = next(s for s in result.steps if s.name == "monitor")
    assert monitor.ok and "1 unhealthy" in monitor.detail
    assert [c["script"] for c in world.calls()] == ["deploy"]


def test_timeouts_and_connection_errors_count_as_failures(world: World, health: Health) -> None:
    health(200)
    deploy(world, world.shas[1])
    health(200, httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), 200)
    result = deploy(world, world.shas[3])
    assert result.status == "rolled_back"
    monitor = next(s for s in result.steps if s.name == "monitor")
    assert not monitor.ok and "timeout" in monitor.detail and "connection error" in monitor.detail
    assert world.calls()[-1]["script"] == "rollback"


def test_smoke_connection_error_without_previous_deploy_fails_without_rollback(
        world: World, health: Health) -> None:
    health(httpx.ConnectError("refused"))
    result = deploy(world, world.shas[3])
    assert result.status == "failed" and result.exit_code == 1
    assert [c["script"] for c in world.calls()] == ["deploy"]
    [issue] = world.issues()
    assert "Not rolled back" in issue.body and "connection error" in issue.body


def test_rollback_failure_is_critical(world: World, health: Health) -> None:
    health(200)
    deploy(world, world.shas[1])
    world.fail("deploy")
    world.fail("rollback")
    result = deploy(world, world.shas[3])
    assert result.status == "rollback_failed" and result.exit_code == 1 and result.severity == "critical"
    [issue] = world.issues()
    assert issue.title.startswith("[CRITICAL]") and "priority:critical" in issue.labels
    assert "Rollback FAILED" in issue.body and "exit 3" in issue.body
    assert world.log("deployments")[-1]["status"] == "rollback_failed"
    assert world.log("incidents")[-1]["severity"] == "critical"


def test_redeploys_previous_sha_when_no_rollback_command(world: World, health: Health) -> None:
    world.env_cfg = world.environment(rollback=())
    health(200)
    deploy(world, world.shas[1])
    world.fail("deploy")
    result = deploy(world, world.shas[3])
    # The redeploy uses the same (failing) script, so the rollback fails too.
    assert result.status == "rollback_failed"
    assert [c["argv"][0] for c in world.calls()] == [world.shas[1], world.shas[3], world.shas[1]]


def test_secret_in_deploy_output_is_redacted_everywhere(world: World, health: Health) -> None:
    world.fail("deploy")
    health(200)
    ctx = world.ctx(json_mode=True)
    result = cmd.run(cmd.DeployOptions(env="prod", sha=world.shas[3]), ctx)
    assert result.status == "failed"
    step = result.steps[0]
    assert "token in use: [REDACTED]" in step.output  # the script really printed it
    [issue] = world.issues()
    assert "[REDACTED]" in issue.body and SECRET not in issue.body
    for path in world.state.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text()
    ctx.output.emit(result)
    assert SECRET not in world.stdout.getvalue() + world.stderr.getvalue()


# -- pre-flight --------------------------------------------------------------------------------------------
def test_preflight_refuses_red_checks(world: World, health: Health) -> None:
    health(200)
    world.set_check(world.shas[3], "tests", "failure")
    world.set_check(world.shas[3], "lint", "success")
    with pytest.raises(WorkFailed, match=r"tests \(failure\)"):
        deploy(world, world.shas[3])
    world.env_cfg = world.environment(required_checks=("lint", "build"))
    with pytest.raises(WorkFailed, match=r"build \(missing\)"):
        deploy(world, world.shas[3])
    world.env_cfg = world.environment(required_checks=("lint",))
    assert deploy(world, world.shas[3]).status == "succeeded"
    assert [c["script"] for c in world.calls()] == ["deploy"]
    assert len(world.log("deployments")) == 1


def _untested_sha(world: World) -> str:
    """A commit on GitHub that no CI (statuses or check runs) ever reported on."""
    (world.root / "e.txt").write_text("untested\n")
    git(world.root, "add", "e.txt")
    git(world.root, "commit", "-q", "-m", "untested change")
    git(world.root, "push", "-q", str(world.emulator.state.repo(REPO).bare_path), "main:main")
    return git(world.root, "rev-parse", "HEAD")


def test_preflight_refuses_a_sha_no_ci_reported_on(world: World, health: Health) -> None:
    health(200)
    sha = _untested_sha(world)
    with pytest.raises(WorkFailed, match=r"no CI reported on .* \(set `required_checks: \[\]`"):
        deploy(world, sha)
    assert world.calls() == [] and world.log("deployments") == []


def test_explicit_empty_required_checks_deploys_untested_sha_with_a_warning(world: World, health: Health) -> None:
    health(200)
    sha = _untested_sha(world)
    world.env_cfg = world.environment(required_checks=())
    assert deploy(world, sha).status == "succeeded"
    assert "no CI reported on" in world.stderr.getvalue()


def test_preflight_refuses_a_sha_github_does_not_have(world: World, health: Health) -> None:
    health(200)
    with pytest.raises(WorkFailed, match=r"is not on GitHub \(push it first\)"):
        deploy(world, "0123456789abcdef0123456789abcdef01234567")
    assert world.calls() == [] and world.log("deployments") == []


def test_preflight_refuses_freeze_windows(world: World, health: Health) -> None:
    health(200)
    world.env_cfg = world.environment(freeze=(FreezeWindow(start="Wed 09:00", end="Wed 17:00", reason="demo"),))
    with pytest.raises(WorkFailed, match="freeze window Wed 09:00 -> Wed 17:00 \\(demo\\)"):
        deploy(world, world.shas[3])
    world.env_cfg = world.environment(freeze=(FreezeWindow(start="2024-06-12T00:00:00Z",
                                                           end="2024-06-13T00:00:00Z"),))
    with pytest.raises(WorkFailed, match="freeze"):
        deploy(world, world.shas[3])
    assert world.calls() == [] and world.log("deployments") == []


def test_preflight_refuses_open_incident_unless_forced(world: World, health: Health) -> None:
    health(200)
    world.fail("deploy")
    deploy(world, world.shas[3])
    world.fail("deploy", on=False)
    with pytest.raises(WorkFailed, match="open incident"):
        deploy(world, world.shas[3])
    assert deploy(world, world.shas[3], force=True).status == "succeeded"
    assert world.issues()[0].state == "closed"


def test_held_local_lock_exits_4(world: World, health: Health) -> None:
    from filelock import FileLock

    health(200)
    lock = FileLock(str(world.state / ".locks" / "deploy-prod.lock"), thread_local=False)
    (world.state / ".locks").mkdir(parents=True)
    with lock:
        with pytest.raises(LostRace, match="locked") as exc:
            deploy(world, world.shas[3])
    assert exc.value.exit_code == 4
    assert world.calls() == []
    assert deploy(world, world.shas[3]).status == "succeeded"  # released: free again


def test_lease_held_elsewhere_names_the_holder(world: World, health: Health) -> None:
    health(200)
    other = world.ctx(worker="codespace-alice")
    other.store.put(cmd.LEASES_DOC, "prod", {"holder": "codespace-alice", "since": "2024-06-12T11:59:00Z",
                                             "deploy_id": "prod-x", "expires_at": "2024-06-12T13:00:00Z"})
    with pytest.raises(LostRace, match="codespace-alice since 2024-06-12T11:59:00Z"):
        deploy(world, world.shas[3])
    world.clock.advance(2 * 3600)  # the lease expired: a crashed holder does not block forever
    assert deploy(world, world.shas[3]).status == "succeeded"


def test_dry_run_runs_nothing_and_writes_nothing(world: World, health: Health) -> None:
    route = health(200)
    world.set_check(world.shas[3], "tests", "failure")
    result = deploy(world, world.shas[3], dry_run=True)
    assert result.dry_run and result.status == "planned" and result.exit_code == 1
    assert result.plan.deploy[-2:] == (world.shas[3], "prod")
    assert result.plan.rollback is None and "no previous" in result.plan.rollback_note
    assert result.plan.monitor.startswith("3 polls")
    assert {p.name: p.ok for p in result.preflight} == {"freeze": True, "checks": False, "incident": True,
                                                        "lock": True}
    assert world.calls() == [] and route.call_count == 0
    assert not world.state.exists()


def test_manual_rollback_goes_to_previous_good_sha(world: World, health: Health) -> None:
    health(200)
    deploy(world, world.shas[1])
    deploy(world, world.shas[3])
    result = cmd.rollback(cmd.RollbackOptions(env="prod"), world.ctx())
    assert result.status == "succeeded" and result.kind == "rollback" and result.sha == world.shas[1]
    assert world.calls()[-1] == {"script": "rollback", "argv": [world.shas[1]], "env": "prod"}
    rec = world.log("deployments")[-1]
    assert rec["kind"] == "rollback" and rec["sha"] == world.shas[1] and rec["previous_sha"] == world.shas[3]
    # What runs now is shas[1], so the next deploy's previous_sha is shas[1].
    assert deploy(world, world.shas[2]).previous_sha == world.shas[1]


def test_monitor_max_failures_zero_fails_on_first_bad_poll(world: World, health: Health) -> None:
    world.env_cfg = world.environment(monitor=MonitorConfig(duration_s=30, interval_s=10, max_failures=0))
    health(200)
    deploy(world, world.shas[1])
    health(200, 503, 200)
    result = deploy(world, world.shas[3])
    assert result.status == "rolled_back"
    assert world.sleeps == [10.0] * 4  # stopped polling at the first bad poll


def test_human_and_json_rendering(world: World, health: Health) -> None:
    from agentops.cli.deploy import _render

    health(200)
    deploy(world, world.shas[1])
    world.fail("deploy")
    ctx = world.ctx()
    result = cmd.run(cmd.DeployOptions(env="prod", sha=world.shas[3]), ctx)
    assert _render(ctx, result) == 1
    text = world.stderr.getvalue()
    assert "rolled_back" in text and f"incident #{result.incident}" in text and "exit 3" in text
    jctx = world.ctx(json_mode=True)
    assert _render(jctx, result) == 1
    doc = json.loads(world.stdout.getvalue())
    assert doc["status"] == "rolled_back" and doc["exit_code"] == 1 and doc["incident"] == result.incident
    assert [s["name"] for s in doc["steps"]] == ["deploy", "rollback", "rollback-health"]
