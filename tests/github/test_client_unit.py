"""Pieces of the adapter that need no server: links, spacing, messages, conversion, auth."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path

import pytest

from agentops.domain.timeutil import iso
from agentops.errors import AuthMissing, BadInput, ExitCode
from agentops.github import convert
from agentops.github.adapter import _with_marker, connect
from agentops.github.auth import resolve
from agentops.github.client import MutationSpacer, github_message, parse_links
from agentops.output import Output


def test_parse_links() -> None:
    header = ('<http://h/repos/o/r/issues?page=2&per_page=100>; rel="next", '
              '<http://h/repos/o/r/issues?page=5&per_page=100>; rel="last"')
    assert parse_links(header) == {"next": "http://h/repos/o/r/issues?page=2&per_page=100",
                                   "last": "http://h/repos/o/r/issues?page=5&per_page=100"}
    assert parse_links(None) == {}


def test_github_message_includes_validation_details() -> None:
    data = {"message": "Validation Failed",
            "errors": [{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for o:b."}]}
    assert github_message(data) == "Validation Failed: A pull request already exists for o:b."
    assert github_message({"message": "x", "errors": [{"resource": "Label", "code": "already_exists"}]}) == \
        "x: Label already_exists"


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0
        self.lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        with self.lock:
            self.sleeps.append(s)


def test_mutation_spacer_reserves_distinct_slots_across_threads() -> None:
    clock = FakeClock()
    spacer = MutationSpacer(1.0, sleep=clock.sleep, monotonic=clock.monotonic)
    threads = [threading.Thread(target=spacer.wait) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Time stands still, so 8 writers must be spread 0,1,...,7 s apart: one free slot, 7 waits.
    assert sorted(clock.sleeps) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


def test_mutation_spacer_zero_interval_never_sleeps() -> None:
    clock = FakeClock()
    spacer = MutationSpacer(0, sleep=clock.sleep, monotonic=clock.monotonic)
    for _ in range(5):
        spacer.wait()
    assert clock.sleeps == []


def test_parse_time_is_aware_utc() -> None:
    t = convert.parse_time("2024-05-01T12:00:00Z")
    assert t == dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC) and t.tzinfo is not None
    assert convert.parse_time("2024-05-01T14:00:00+02:00") == dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    assert convert.parse_time(None) is None and convert.parse_time("nope") is None
    assert iso(dt.datetime(2024, 5, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2))), timespec="seconds") == "2024-05-01T12:00:00Z"


def test_marker_is_appended_once() -> None:
    m = "<!-- agentops:claim agent=a -->"
    assert _with_marker("hello", m) == f"hello\n\n{m}"
    assert _with_marker(f"x {m} y", m) == f"x {m} y"
    assert _with_marker("hello", None) == "hello"


def test_no_credentials_is_exit_2_pointing_at_gh_token() -> None:
    with pytest.raises(AuthMissing) as exc:
        connect({"GITHUB_API_URL": "http://127.0.0.1:9"})
    assert exc.value.exit_code == ExitCode.BAD_INPUT
    assert "GH_TOKEN" in str(exc.value) and "GH_TOKEN" in (exc.value.hint or "")


def test_token_precedence_and_kind() -> None:
    assert resolve({"GH_TOKEN": "a" * 10, "GITHUB_TOKEN": "b" * 10}).source == "GH_TOKEN"
    c = resolve({"GITHUB_TOKEN": "b" * 10, "GITHUB_ACTIONS": "true"})
    assert (c.source, c.kind) == ("GITHUB_TOKEN", "github-actions")
    assert resolve({"GITHUB_TOKEN": "b" * 10}).kind == "token"


def test_app_configuration_errors_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(AuthMissing, match="AGENTOPS_APP_PRIVATE_KEY"):
        resolve({"AGENTOPS_APP_ID": "1"})
    with pytest.raises(BadInput, match="AGENTOPS_APP_PRIVATE_KEY_FILE"):
        resolve({"AGENTOPS_APP_ID": "1", "AGENTOPS_APP_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")})
    with pytest.raises(BadInput, match="AGENTOPS_APP_INSTALLATION_ID"):
        resolve({"AGENTOPS_APP_ID": "1", "AGENTOPS_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nx\n"
                 "-----END RSA PRIVATE KEY-----", "AGENTOPS_APP_INSTALLATION_ID": "abc"})


def test_app_with_installation_id_builds_refreshing_installation_auth(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "app.pem"
    path.write_text(pem)
    gh = connect({"GITHUB_API_URL": "http://127.0.0.1:9", "AGENTOPS_APP_ID": "42",
                  "AGENTOPS_APP_PRIVATE_KEY_FILE": str(path), "AGENTOPS_APP_INSTALLATION_ID": "7"})
    assert gh.kind == "app"
    from github import Auth

    assert isinstance(gh._creds.auth, Auth.AppInstallationAuth) and gh._creds.auth.installation_id == 7


def test_token_is_registered_for_masking() -> None:
    out = Output(out=io.StringIO(), err=io.StringIO(), env={})
    token = "ghp_" + "Z" * 36
    connect({"GH_TOKEN": token, "GITHUB_API_URL": "http://127.0.0.1:9"}, output=out)
    assert out.redactor.redact(f"token {token}") == "token [REDACTED]"
    assert token in out.redactor.secrets


def test_bad_settings_are_bad_input() -> None:
    with pytest.raises(BadInput, match="AGENTOPS_MUTATION_INTERVAL"):
        connect({"GH_TOKEN": "x" * 10, "AGENTOPS_MUTATION_INTERVAL": "soon"})
    with pytest.raises(BadInput, match="GITHUB_API_URL"):
        connect({"GH_TOKEN": "x" * 10, "GITHUB_API_URL": "ftp://x"})
