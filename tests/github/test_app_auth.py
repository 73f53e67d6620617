"""GitHub App authentication end to end: connect() with the App variables against the
emulator, real port calls as the App's bot, clear errors for wrong set-ups, and the
installation token refreshed in the same process once it expires."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentops.errors import BadInput, ExitCode
from agentops.github.adapter import connect
from agentops.output import Output
from tests.fixtures.apps import AppClock, GithubApp

ACCESS_TOKENS = "/app/installations/{installation_id}/access_tokens"


def _env(emulator: Any, app: GithubApp, **extra: str) -> dict[str, str]:
    return {"GITHUB_API_URL": emulator.url, "AGENTOPS_APP_ID": str(app.app_id), **extra}


def _connect(env: dict[str, str], clock: AppClock, output: Output | None = None) -> Any:
    return connect(env, output=output, clock=clock.time, sleep=lambda s: None, mutation_interval=0)


def _output() -> Output:
    return Output(json_mode=True, out=io.StringIO(), err=io.StringIO(), env={})


def test_app_key_and_installation_id_do_real_work_as_the_bot(emulator: Any, github_app: GithubApp,
                                                             app_clock: AppClock) -> None:
    env = _env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=github_app.private_key,
               AGENTOPS_APP_INSTALLATION_ID=str(github_app.installation_id))
    gh = _connect(env, app_clock)
    assert emulator.total_requests() == 0  # connecting with a known installation costs nothing
    issue = gh.create_issue(github_app.repo, "App-made issue", "body", labels=["agent-task"])
    assert [i.title for i in gh.list_issues(github_app.repo).items or ()] == ["App-made issue"]
    assert issue.author == github_app.bot
    me = gh.whoami()
    assert (me.kind, me.login) == ("app", "agentops-ci[bot]")
    assert emulator.total_requests("POST", ACCESS_TOKENS) == 1  # one token, reused


def test_key_file_and_installation_found_from_github_repository(emulator: Any, github_app: GithubApp,
                                                                app_clock: AppClock, tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(github_app.private_key)
    env = _env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY_FILE=str(key_file), GITHUB_REPOSITORY=github_app.repo)
    gh = _connect(env, app_clock)
    assert emulator.total_requests("GET", "/repos/{owner}/{repo}/installation") == 1
    gh.create_issue(github_app.repo, "via key file", "")
    assert [i.author for i in gh.list_issues(github_app.repo).items or ()] == [github_app.bot]


def test_single_line_key_with_escaped_newlines_works(emulator: Any, github_app: GithubApp,
                                                     app_clock: AppClock) -> None:
    flat = github_app.private_key.strip().replace("\n", "\\n")
    gh = _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=flat, GITHUB_REPOSITORY=github_app.repo),
                  app_clock)
    assert gh.get_repo(github_app.repo).full_name == github_app.repo


def test_installation_token_is_masked(emulator: Any, github_app: GithubApp, app_clock: AppClock) -> None:
    out = _output()
    gh = _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=github_app.private_key,
                       GITHUB_REPOSITORY=github_app.repo), app_clock, out)
    gh.list_issues(github_app.repo)
    [token] = [t for t in emulator.state.apps.tokens]
    assert token.startswith("ghs_")
    assert token not in out.redactor.redact(f"leaked {token} here")
    out.emit({"token": token})
    assert token not in out.out.getvalue()  # type: ignore[attr-defined]


def test_token_refreshes_after_expiry_in_the_same_process(emulator: Any, github_app: GithubApp,
                                                          app_clock: AppClock) -> None:
    out = _output()
    gh = _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=github_app.private_key,
                       AGENTOPS_APP_INSTALLATION_ID=str(github_app.installation_id)), app_clock, out)
    gh.create_issue(github_app.repo, "before", "")
    [first] = list(emulator.state.apps.tokens)
    app_clock.advance(3601)  # the first token is now refused by the emulator
    gh.create_issue(github_app.repo, "after", "")
    assert emulator.total_requests("POST", ACCESS_TOKENS) == 2
    assert not any(c["status"] == 401 for c in emulator.counts())  # refreshed before use, not after a refusal
    second = next(t for t in emulator.state.apps.tokens if t != first)
    assert {i.title for i in gh.list_issues(github_app.repo).items or ()} == {"before", "after"}
    assert second not in out.redactor.redact(second)


def test_wrong_key_is_exit_2_naming_the_variable(emulator: Any, github_app: GithubApp, app_clock: AppClock,
                                                 other_key: str, tmp_path: Path) -> None:
    # Found at the installation look-up (GITHUB_REPOSITORY) ...
    with pytest.raises(BadInput) as err:
        _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=other_key, GITHUB_REPOSITORY=github_app.repo),
                 app_clock)
    assert err.value.exit_code == ExitCode.BAD_INPUT
    assert "AGENTOPS_APP_PRIVATE_KEY" in err.value.message and "JSON web token" in err.value.message
    # ... or at the first call, when the installation id is given.
    key_file = tmp_path / "wrong.pem"
    key_file.write_text(other_key)
    gh = _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY_FILE=str(key_file),
                       AGENTOPS_APP_INSTALLATION_ID=str(github_app.installation_id)), app_clock)
    with pytest.raises(BadInput, match=r"AGENTOPS_APP_PRIVATE_KEY_FILE .*wrong\.pem.*refused"):
        gh.list_issues(github_app.repo)


def test_unusable_key_text_is_exit_2_naming_the_variable(emulator: Any, github_app: GithubApp,
                                                         app_clock: AppClock) -> None:
    broken = "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n"
    with pytest.raises(BadInput, match="AGENTOPS_APP_PRIVATE_KEY: not a usable RSA private key"):
        _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=broken,
                      AGENTOPS_APP_INSTALLATION_ID="1"), app_clock)
    assert emulator.total_requests() == 0


def test_app_not_installed_on_the_repository(emulator: Any, github_app: GithubApp, app_clock: AppClock) -> None:
    emulator.state.create_repo("agentops-bot/elsewhere")
    with pytest.raises(BadInput, match=r"GITHUB_REPOSITORY: GitHub App 42 is not installed on agentops-bot/elsewhere"):
        _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=github_app.private_key,
                      GITHUB_REPOSITORY="agentops-bot/elsewhere"), app_clock)
    gh = _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=github_app.private_key,
                       AGENTOPS_APP_INSTALLATION_ID="999"), app_clock)
    with pytest.raises(BadInput, match="AGENTOPS_APP_INSTALLATION_ID: GitHub App 42 has no installation 999"):
        gh.list_issues(github_app.repo)


def test_app_token_cannot_reach_repos_outside_its_installation(emulator: Any, github_app: GithubApp,
                                                               app_clock: AppClock) -> None:
    from agentops.errors import NotFound

    emulator.state.create_repo("agentops-bot/private-other", private=True)
    gh = _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=github_app.private_key,
                       GITHUB_REPOSITORY=github_app.repo), app_clock)
    with pytest.raises(NotFound):
        gh.list_issues("agentops-bot/private-other")


def test_doctor_json_reports_the_app(emulator: Any, github_app: GithubApp, tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(github_app.private_key)
    env = {**os.environ, **_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY_FILE=str(key_file),
                                GITHUB_REPOSITORY=github_app.repo)}
    res = subprocess.run([sys.executable, "-m", "agentops", "doctor", "--json"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    checks = {c["name"]: c for c in json.loads(res.stdout)["checks"]}
    assert checks["token"]["status"] == "ok" and "GitHub App 42" in checks["token"]["detail"]
    assert checks["api"]["status"] == "ok", checks["api"]
    assert emulator.total_requests("POST", ACCESS_TOKENS) == 1
    for token in emulator.state.apps.tokens:
        assert token not in res.stdout + res.stderr


def test_doctor_json_names_the_missing_installation(emulator: Any, github_app: GithubApp, tmp_path: Path) -> None:
    emulator.state.create_repo("agentops-bot/elsewhere")
    env = {**os.environ, **_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=github_app.private_key,
                                GITHUB_REPOSITORY="agentops-bot/elsewhere")}
    res = subprocess.run([sys.executable, "-m", "agentops", "doctor", "--json"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    checks = {c["name"]: c for c in json.loads(res.stdout)["checks"]}
    assert checks["api"]["status"] == "fail"
    assert "not installed on agentops-bot/elsewhere" in checks["api"]["detail"]
    assert "Traceback" not in res.stderr


def test_git_token_is_a_current_installation_token(emulator: Any, github_app: GithubApp,
                                                   app_clock: AppClock) -> None:
    out = _output()
    gh = _connect(_env(emulator, github_app, AGENTOPS_APP_PRIVATE_KEY=github_app.private_key,
                       AGENTOPS_APP_INSTALLATION_ID=str(github_app.installation_id)), app_clock, out)
    first = gh.git_token()
    assert first is not None and first.startswith("ghs_") and first in emulator.state.apps.tokens
    assert gh.git_token() == first  # cached while valid
    app_clock.advance(3601)
    second = gh.git_token()
    assert second != first and second in emulator.state.apps.tokens
    assert second not in out.redactor.redact(second)  # masked as soon as it was fetched


def test_git_token_is_the_configured_token(emulator: Any) -> None:
    gh = connect({"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token}, sleep=lambda s: None,
                 mutation_interval=0)
    assert gh.git_token() == emulator.token
