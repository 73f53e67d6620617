"""Flags, environment and outside failures, one input each: a documented exit code, a message naming the
input, no traceback, and no state written by a command that rejected its input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.badinput.harness import Outcome, files_under, run

REPO = "agentops-bot/app"


@pytest.fixture
def world(emulator: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    emulator.state.create_repo(REPO)
    (tmp_path / "agentops.yaml").write_text("version: 1\nagents:\n  - name: a1\nclaims:\n  settle_seconds: 0\n")
    env = {"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token, "GITHUB_REPOSITORY": REPO,
           "AGENTOPS_STATE_DIR": str(tmp_path / "state"), "AGENTOPS_MUTATION_INTERVAL": "0",
           "AGENTOPS_CONFIG": str(tmp_path / "agentops.yaml")}
    yield {"env": env, "cwd": tmp_path, "state": tmp_path / "state", "emulator": emulator}


def _run(world: dict[str, Any], *args: str, env: dict[str, str] | None = None) -> Outcome:
    full = {**world["env"], **(env or {})}
    if "test" in args:
        # `test` re-executes itself to shed credentials (agentops.proc.shed_credentials): in-process that
        # would replace the test runner, so it runs here without any, as the rejected inputs need none.
        full.pop("GH_TOKEN", None)
    return run(list(args), cwd=world["cwd"], env=full)


# (id, argv, words the message must contain). Each is rejected before anything is written.
REJECTED: list[tuple[str, list[str], str]] = [
    ("claim-issue-zero", ["claim", "0", "--agent", "a1"], "ISSUE: 0"),
    ("claim-issue-huge", ["claim", "99999999999", "--agent", "a1"], "ISSUE: 99999999999"),
    ("claim-agent-empty", ["claim", "--agent", ""], "--agent: ''"),
    ("claim-agent-blank", ["claim", "--agent", "  "], "--agent: '  '"),
    ("claim-agent-newline", ["claim", "--agent", "a1\nagent: forged"], "--agent: "),
    ("claim-agent-unknown", ["claim", "--agent", "zz"], "unknown agent 'zz'"),
    ("claim-issue-not-int", ["claim", "abc", "--agent", "a1"], "'issue'"),
    ("report-since-huge", ["report", "--offline", "--since", "99999999d"], "--since"),
    ("report-since-ancient", ["report", "--offline", "--since", "0001-01-01"], "--since"),
    ("report-since-future", ["report", "--offline", "--since", "9999-12-31"], "--since"),
    ("report-since-garbage", ["report", "--offline", "--since", "yesterday"], "--since"),
    ("report-since-zero", ["report", "--offline", "--since", "0d"], "--since"),
    ("report-weeks-zero", ["report", "--offline", "--weeks", "0"], "--weeks"),
    ("report-weeks-huge", ["report", "--offline", "--weeks", "100000"], "--weeks"),
    ("test-path-missing", ["test", "--path", "/nonexistent/agentops-test"], "/nonexistent/agentops-test"),
    ("scout-unknown-check", ["scout", "--check", "nosuch"], "nosuch"),
    ("scout-bad-fail-on", ["scout", "--fail-on", "apocalyptic"], "apocalyptic"),
    ("deploy-unknown-env", ["deploy", "--env", "nope", "--sha", "0" * 40], "nope"),
    ("repo-flag-garbage", ["tasks", "--repo", "not a repo"], "not a repo"),
    ("release-issue-zero", ["release", "0"], "0"),
]


@pytest.mark.parametrize(("args", "words"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED])
def test_rejected_flag_is_exit_2_and_writes_nothing(world: dict[str, Any], args: list[str], words: str) -> None:
    out = _run(world, *args)
    assert out.code == 2, out.text
    assert words in out.stderr, out.stderr
    assert files_under(world["state"]) == []


STATE_DIRS: list[tuple[str, str]] = [
    ("proc", "/proc/nope"),
    ("under-a-file", "/etc/hostname/state"),
    ("a-file", "/etc/hostname"),
]
STATE_COMMANDS = [["tasks"], ["plan"], ["claim", "--agent", "a1"], ["tick"], ["scout"], ["report", "--offline"],
                  ["status"], ["status", "--json"]]


@pytest.mark.parametrize("command", STATE_COMMANDS, ids=["-".join(c) for c in STATE_COMMANDS])
@pytest.mark.parametrize("state_dir", [s[1] for s in STATE_DIRS], ids=[s[0] for s in STATE_DIRS])
def test_impossible_state_dir_is_exit_2_naming_it(world: dict[str, Any], state_dir: str, command: list[str]) -> None:
    out = _run(world, *command, env={"AGENTOPS_STATE_DIR": state_dir})
    assert out.code == 2, out.text
    assert state_dir in out.stderr, out.stderr


def test_status_of_a_state_folder_not_created_yet_is_an_empty_queue(world: dict[str, Any], tmp_path: Path) -> None:
    # The fail-closed check above must not turn a fresh checkout (no state/ yet) into an error.
    fresh = tmp_path / "fresh" / "state"
    out = _run(world, "status", "--json", env={"AGENTOPS_STATE_DIR": str(fresh)})
    assert out.code == 0, out.text
    assert json.loads(out.stdout)["tasks"] == [] and not fresh.exists()


# -- scout: nothing read is never "0 findings" ----------------------------------------------------------
def test_scout_every_read_5xx_is_exit_3_naming_the_repo(world: dict[str, Any]) -> None:
    world["emulator"].faults.add(method=None, status=502, count=None, path=".*")
    out = _run(world, "scout", "--json", "--fail-on", "high")
    assert out.code == 3, out.text
    doc = json.loads(out.stdout)
    assert doc["unscanned"] == [REPO] and doc["repos"][0]["status"] == "error"
    assert f"not scanned: {REPO}" in out.stderr and "✓" not in out.stderr


def test_scout_dropped_connections_is_exit_3(world: dict[str, Any]) -> None:
    world["emulator"].faults.add(method=None, drop=True, status=None, count=None, path=".*")
    out = _run(world, "scout", "--json")
    assert out.code == 3, out.text
    assert json.loads(out.stdout)["unscanned"] == [REPO]


def test_scout_unreachable_api_is_exit_3(world: dict[str, Any]) -> None:
    out = _run(world, "scout", env={"GITHUB_API_URL": "http://127.0.0.1:9"})
    assert out.code == 3, out.text
    assert f"not scanned: {REPO}" in out.stderr


def test_scout_nonexistent_repo_is_exit_2(world: dict[str, Any]) -> None:
    out = _run(world, "scout", "--repo", "agentops-bot/nope", "--json")
    assert out.code == 2, out.text
    doc = json.loads(out.stdout)
    assert [(r["repo"], r["status"]) for r in doc["repos"]] == [("agentops-bot/nope", "not-found")]


def test_scout_partial_success_names_the_unscanned_repo(world: dict[str, Any]) -> None:
    world["emulator"].state.create_repo("agentops-bot/other")
    world["emulator"].faults.add(method=None, status=503, count=None, path="/repos/agentops-bot/other")
    out = _run(world, "scout", "--repo", REPO, "--repo", "agentops-bot/other", "--json")
    assert out.code == 3, out.text
    doc = json.loads(out.stdout)
    assert doc["unscanned"] == ["agentops-bot/other"]
    assert {r["repo"]: r["status"] for r in doc["repos"]}[REPO] == "ok"
    assert "1 of 2 repositories scanned" in out.stderr


def test_test_in_a_folder_git_does_not_track_is_exit_2(world: dict[str, Any], tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "test_x.py").write_text("def test_x():\n    assert True\n")
    out = _run(world, "test", "--path", str(plain), "--no-report")
    assert out.code == 2, out.text
    assert f"--path: {plain} is not a git repository" in out.stderr and "passed" not in out.stderr
    assert files_under(world["state"]) == []


def test_test_with_no_gate_configured_or_detected_is_exit_2(world: dict[str, Any], tmp_path: Path) -> None:
    from tests.fixtures.gitrepo import git

    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    git(empty, "commit", "-q", "--allow-empty", "-m", "nothing to test")
    out = _run(world, "test", "--path", str(empty), "--json")
    assert out.code == 2, out.text
    assert "no gate configured or detected" in out.stderr and json.loads(out.stdout)["error"]["exit_code"] == 2
    assert files_under(world["state"]) == []


def test_status_with_missing_config_is_exit_2(world: dict[str, Any]) -> None:
    out = _run(world, "-c", "/nonexistent.yaml", "status")
    assert out.code == 2 and "/nonexistent.yaml: config file not found" in out.stderr


def test_report_json_keeps_every_dora_key_with_no_data(world: dict[str, Any]) -> None:
    out = _run(world, "report", "--offline", "--json")
    assert out.code == 0, out.text
    envs = json.loads(out.stdout)["report"]["environments"]
    assert len(envs) == 1 and envs[0]["dora"]["environment"] is None
    current = envs[0]["dora"]["current"]
    for key in ("deployments", "deploys_per_day", "lead_time_median_h", "change_failure_rate",
                "time_to_restore_median_h", "frequency_band"):
        assert key in current and current[key] is None


# -- demo --workdir: a folder, or one the demo can create --------------------------------------------------
WORKDIRS: list[tuple[str, str, str]] = [
    ("a-file", "afile", "afile is a file"),
    ("under-a-file", "afile/sub", "afile is not a folder"),
    ("proc", "/proc/nope", "/proc/nope"),
]


@pytest.mark.parametrize(("workdir", "words"), [w[1:] for w in WORKDIRS], ids=[w[0] for w in WORKDIRS])
def test_demo_workdir_that_is_no_folder_is_exit_2_naming_it(world: dict[str, Any], workdir: str,
                                                            words: str) -> None:
    (world["cwd"] / "afile").write_text("mine\n")
    before = files_under(world["cwd"])
    out = _run(world, "demo", "--workdir", workdir)
    assert out.code == 2, out.text
    assert words in out.stderr, out.stderr
    assert files_under(world["cwd"]) == before and (world["cwd"] / "afile").read_text() == "mine\n"
