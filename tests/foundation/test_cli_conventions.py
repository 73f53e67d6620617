"""The conventions gh, pipx and Actions users reach for: global flags anywhere, `--json FIELD,...`, one JSON
error document on stdout for every failure under --json, shell completion, help without fake value types,
`-R` in every form gh accepts."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentops.cli import _fields
from agentops.cli._argv import GlobalFlagError, split_globals
from agentops.cli._help import reflow
from agentops.context import parse_repo
from agentops.errors import BadInput


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "AGENTOPS_STATE_DIR": str(cwd / "state"), "COLUMNS": "100", **(env or {})}
    return subprocess.run([sys.executable, "-m", "agentops", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=120)


# -- global flags ---------------------------------------------------------------------------------------
def test_split_globals_lifts_flags_from_anywhere_up_to_double_dash() -> None:
    commands = {"status", "state"}
    rest, g = split_globals(["status", "-q", "--json", "tasks,agents"], commands)
    assert rest == ["status"] and g.quiet and g.json and g.fields == ("tasks", "agents")
    rest, g = split_globals(["--json", "status"], commands)
    assert rest == ["status"] and g.json and g.fields is None  # a command name is never a field list
    rest, g = split_globals(["state", "show", "--json", "orchestrator/task-queue"], commands)
    assert rest == ["state", "show", "orchestrator/task-queue"] and g.fields is None
    rest, g = split_globals(["--json=a,b", "status", "--", "-q", "--json"], commands)
    assert rest == ["status", "--", "-q", "--json"] and g.fields == ("a", "b") and not g.quiet
    with pytest.raises(GlobalFlagError):
        split_globals(["status", "-q", "--verbose"], commands)
    with pytest.raises(GlobalFlagError):
        split_globals(["status", "--json=a,,b"], commands)


def test_global_flags_before_or_after_the_subcommand(tmp_path: Path) -> None:
    before = run("-q", "--json", "status", cwd=tmp_path)
    after = run("status", "--json", "-q", cwd=tmp_path)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)
    assert before.stderr == after.stderr == ""  # -q: nothing but errors on stderr
    human = run("status", cwd=tmp_path)
    assert human.returncode == 0 and "state:" in human.stderr
    quiet = run("status", "-q", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_json_field_selection_and_unknown_field(tmp_path: Path) -> None:
    res = run("status", "--json", "task_counts,state_dir", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert set(json.loads(res.stdout)) == {"task_counts", "state_dir"}
    res = run("--json=tasks", "status", cwd=tmp_path)
    assert list(json.loads(res.stdout)) == ["tasks"]

    bad = run("status", "--json", "task_counts,nope", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    err = json.loads(bad.stdout)["error"]
    assert err["exit_code"] == 2 and "nope" in err["message"]
    assert {"tasks", "task_counts", "agents"} <= set(err["available_fields"])
    assert "available fields:" in bad.stderr and "task_counts" in bad.stderr


def test_unknown_field_is_refused_before_the_command_writes(tmp_path: Path) -> None:
    # init writes agentops.yaml and state/; with an unknown field nothing may be written.
    res = run("init", "--dry-run", "--json", "bogus_field", cwd=tmp_path)
    assert res.returncode == 2
    assert json.loads(res.stdout)["error"]["available_fields"]
    assert not (tmp_path / "agentops.yaml").exists() and not (tmp_path / "state").exists()


@pytest.mark.parametrize("args", [
    ("status", "--bogus", "--json"),          # unknown option
    ("--json", "stauts"),                      # unknown command (with a suggestion)
    ("--json", "claim", "x", "--agent", "a"),  # bad argument type
    ("state", "show", "--json"),               # missing argument
    ("status", "--json", "-q", "-v"),          # conflicting global flags
    ("status", "--json=,"),                    # malformed field list
])
def test_every_usage_error_under_json_prints_one_error_document(tmp_path: Path, args: tuple[str, ...]) -> None:
    res = run(*args, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    doc = json.loads(res.stdout)  # exactly one document: json.loads refuses trailing text
    assert doc["error"]["exit_code"] == 2 and doc["error"]["message"]
    assert "Traceback" not in res.stderr and res.stderr.strip()


def test_report_format_and_json_conflict_is_exit_2(tmp_path: Path) -> None:
    res = run("report", "--offline", "--format", "markdown", "--json", "-R", "acme/api", cwd=tmp_path)
    assert res.returncode == 2
    assert "--format" in json.loads(res.stdout)["error"]["message"]
    ok = run("report", "--offline", "--format", "json", "--json", "-R", "acme/api", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr


def test_fields_table_names_real_documents() -> None:
    for path, (spec, _extra) in _fields.FIELDS.items():
        assert path.split()[0] in __import__("agentops.cli", fromlist=["COMMANDS"]).COMMANDS, path
        if spec:
            module, _, cls = spec.partition(":")
            assert dataclasses.is_dataclass(getattr(importlib.import_module(module), cls)), spec
        assert _fields.known_fields(path)
    assert _fields.known_fields("no such command") is None


# -- help and completion ----------------------------------------------------------------------------------
def test_help_shows_no_fake_value_types_and_reflows_docstrings(tmp_path: Path) -> None:
    for args in (["--help"], ["tasks", "--help"], ["scout", "--help"], ["state", "show", "--help"],
                 ["deploy", "--help"]):
        res = run(*args, cwd=tmp_path, env={"COLUMNS": "200"})
        assert res.returncode == 0, res.stderr
        assert "<bool>" not in res.stdout and "<list[" not in res.stdout, (args, res.stdout)
        assert "<str>" not in re.sub(r"Arguments.*?╰", "", res.stdout, flags=re.S), (args, res.stdout)
    deploy = run("deploy", "--help", cwd=tmp_path, env={"COLUMNS": "200"}).stdout
    # The docstring's second paragraph is one line when the terminal is wide enough.
    assert re.search(r"1 when it was refused,\s*rolled back", deploy) and \
        not re.search(r"1 when it was refused,\s*\n", deploy)
    assert reflow("One\ntwo.\n\n- a\n- b\n") == "One two.\n\n- a\n- b"


def test_shell_completion_is_on(tmp_path: Path) -> None:
    res = run("--help", cwd=tmp_path)
    assert "--install-completion" in res.stdout
    script = run("--show-completion", "bash", cwd=tmp_path)
    assert script.returncode == 0 and "_agentops_completion" in script.stdout
    env = {"_AGENTOPS_COMPLETE": "complete_bash", "COMP_WORDS": "agentops sta", "COMP_CWORD": "1"}
    assert set(run(cwd=tmp_path, env=env).stdout.split()) == {"status", "state"}
    env = {"_AGENTOPS_COMPLETE": "complete_bash", "COMP_WORDS": "agentops tasks --dr", "COMP_CWORD": "2"}
    assert run(cwd=tmp_path, env=env).stdout.split() == ["--dry-run"]


def test_internal_error_is_one_line_and_traceback_only_with_verbose(tmp_path: Path) -> None:
    # A bug no command anticipates (here: status.run raising RuntimeError).
    probe = ("import sys\nimport agentops.cli as cli\n"
             "def boom():\n    raise RuntimeError('kaboom')\n"
             "import agentops.commands.status as s\ns.run = lambda *a, **k: boom()\n"
             "cli.main(sys.argv[1:])\n")
    for verbose in (False, True):
        args = ["status", "--json"] + (["-v"] if verbose else [])
        res = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=tmp_path,
                             timeout=60, env={**os.environ, "AGENTOPS_STATE_DIR": str(tmp_path)})
        assert res.returncode == 1
        assert json.loads(res.stdout)["error"]["type"] == "InternalError"
        assert "kaboom" in res.stderr
        assert ("Traceback" in res.stderr) is verbose


# -- -R forms ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["acme/api", "github.com/acme/api", "https://github.com/acme/api",
                                   "https://github.com/acme/api.git", "https://github.com/acme/api/pull/3",
                                   "git@github.com:acme/api.git", "ssh://git@github.com/acme/api", "acme/api.git"])
def test_repo_flag_accepts_gh_forms(value: str) -> None:
    assert parse_repo(value, api_url="https://api.github.com") == "acme/api"


def test_repo_flag_host_must_match_the_api() -> None:
    assert parse_repo("ghe.example.com/acme/api", api_url="https://ghe.example.com/api/v3") == "acme/api"
    with pytest.raises(BadInput) as exc:
        parse_repo("ghe.example.com/acme/api", api_url="https://api.github.com")
    assert "GITHUB_API_URL" in (exc.value.hint or "")
    for bad in ("acme", "a/b/c/d", "https://github.com/acme", "acme/api;rm -rf", "../../etc/passwd"):
        with pytest.raises(BadInput):
            parse_repo(bad, api_url="https://api.github.com")


def test_repo_url_against_the_emulator(tmp_path: Path, emulator: Any) -> None:
    emulator.state.create_repo("acme/dash")
    env = {"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token}
    for value in (f"{emulator.url}/acme/dash", f"{emulator.url.split('://')[1]}/acme/dash", "acme/dash"):
        res = run("tasks", "-R", value, "--json", "repos", cwd=tmp_path, env=env)
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout) == {"repos": ["acme/dash"]}
    res = run("tasks", "-R", "https://github.com/acme/dash", "--json", cwd=tmp_path, env=env)
    assert res.returncode == 2 and "GITHUB_API_URL" in json.loads(res.stdout)["error"]["hint"]
