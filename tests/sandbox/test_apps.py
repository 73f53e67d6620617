"""The emulator's GitHub App routes on the wire: JWT checks, installations, access tokens,
and what an installation token may do (as the App's bot, for an hour)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests

from tests.fixtures.apps import AppClock, GithubApp

JWT_ERROR = "A JSON web token could not be decoded"


def _jwt(app: GithubApp, clock: AppClock, *, key: str | None = None, iat: int = -60, exp: int = 300,
         iss: Any = None) -> str:
    now = int(clock.time())
    payload = {"iat": now + iat, "exp": now + exp, "iss": str(app.app_id) if iss is None else iss}
    return jwt.encode(payload, key or app.private_key, algorithm="RS256")


def _call(emu: Any, method: str, path: str, auth: str, body: Any = None) -> requests.Response:
    return requests.request(method, emu.url + path, headers={"Authorization": auth}, json=body, timeout=10)


def _token(emu: Any, app: GithubApp, clock: AppClock, body: Any = None) -> dict[str, Any]:
    resp = _call(emu, "POST", f"/app/installations/{app.installation_id}/access_tokens",
                 f"Bearer {_jwt(app, clock)}", body or {})
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_app_and_installation_lookups(emulator: Any, github_app: GithubApp, app_clock: AppClock) -> None:
    from github import Auth, GithubIntegration

    emulator.state.create_repo("agentops-bot/other")
    gi = GithubIntegration(auth=Auth.AppAuth(github_app.app_id, github_app.private_key), base_url=emulator.url,
                           retry=None, seconds_between_requests=None, seconds_between_writes=None)
    app = gi.get_app()
    assert (app.id, app.slug, app.raw_data["owner"]["login"]) == (42, "agentops-ci", "agentops-bot")
    [inst] = list(gi.get_installations())
    assert inst.id == github_app.installation_id and inst.repository_selection == "selected"
    assert gi.get_repo_installation("agentops-bot", "app").id == inst.id
    assert gi.get_user_installation("agentops-bot").id == inst.id
    assert gi.get_app_installation(inst.id).id == inst.id
    from github.GithubException import UnknownObjectException

    with pytest.raises(UnknownObjectException):  # installed on the account, but not on this repo
        gi.get_repo_installation("agentops-bot", "other")
    with pytest.raises(UnknownObjectException):
        gi.get_repo_installation("nobody", "nothing")
    emulator.state.add_org("acme")
    with pytest.raises(UnknownObjectException):
        gi.get_org_installation("acme")
    org_inst = emulator.state.install_app(42, "acme")
    assert gi.get_org_installation("acme").id == org_inst


def test_access_token_shape_and_bot_identity(emulator: Any, github_app: GithubApp, app_clock: AppClock) -> None:
    data = _token(emulator, github_app, app_clock)
    assert re.fullmatch(r"ghs_[A-Za-z0-9]{36}", data["token"])  # the shape redactors look for
    expires = dt.datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00"))
    assert abs((expires - app_clock.now()).total_seconds() - 3600) < 2
    assert data["permissions"]["issues"] == "write" and data["repository_selection"] == "selected"
    assert [r["full_name"] for r in data["repositories"]] == [github_app.repo]
    auth = f"token {data['token']}"
    created = _call(emulator, "POST", f"/repos/{github_app.repo}/issues", auth, {"title": "from the app"})
    assert created.status_code == 201, created.text
    assert created.json()["user"]["login"] == "agentops-ci[bot]" and created.json()["user"]["type"] == "Bot"
    # Installation tokens cannot act as a user, nor use the JWT-only routes.
    assert _call(emulator, "GET", "/user", auth).status_code == 403
    resp = _call(emulator, "GET", "/app", auth)
    assert resp.status_code == 401 and resp.json()["message"] == JWT_ERROR
    assert _call(emulator, "GET", "/app", f"token {emulator.token}").status_code == 401


def test_token_narrowing_is_checked(emulator: Any, github_app: GithubApp, app_clock: AppClock) -> None:
    narrowed = _token(emulator, github_app, app_clock, {"permissions": {"issues": "read"}})
    assert narrowed["permissions"] == {"issues": "read"}
    path = f"/app/installations/{github_app.installation_id}/access_tokens"
    wider = _call(emulator, "POST", path, f"Bearer {_jwt(github_app, app_clock)}",
                  {"permissions": {"administration": "write"}})
    assert wider.status_code == 422 and "not granted" in wider.json()["message"]
    elsewhere = _call(emulator, "POST", path, f"Bearer {_jwt(github_app, app_clock)}", {"repositories": ["nope"]})
    assert elsewhere.status_code == 422
    missing = _call(emulator, "POST", "/app/installations/999/access_tokens", f"Bearer {_jwt(github_app, app_clock)}")
    assert missing.status_code == 404


@pytest.mark.parametrize(("case", "message"), [
    ("wrong-key", JWT_ERROR),
    ("unknown-app", JWT_ERROR),
    ("expired", "'Expiration time' claim ('exp') must be a numeric value"),
    ("too-long", "'Expiration time' claim ('exp') is too far in the future"),
    ("future-iat", "'Issued at' claim ('iat')"),
    ("garbage", JWT_ERROR),
])
def test_bad_jwts_are_401_like_github(emulator: Any, github_app: GithubApp, app_clock: AppClock, other_key: str,
                                      case: str, message: str) -> None:
    makers: dict[str, Callable[[], str]] = {
        "wrong-key": lambda: _jwt(github_app, app_clock, key=other_key),
        "unknown-app": lambda: _jwt(github_app, app_clock, iss="7"),
        "expired": lambda: _jwt(github_app, app_clock, iat=-700, exp=-100),
        "too-long": lambda: _jwt(github_app, app_clock, exp=3600),
        "future-iat": lambda: _jwt(github_app, app_clock, iat=120),
        "garbage": lambda: "eyJhbGciOi.eyJpc3MiOjQyfQ.c2ln",
    }
    token = makers[case]()
    resp = _call(emulator, "GET", "/app", f"Bearer {token}")
    assert resp.status_code == 401
    assert resp.json()["message"].startswith(message)


def test_jwt_time_is_judged_by_the_emulator_clock(emulator: Any, github_app: GithubApp,
                                                  app_clock: AppClock) -> None:
    token = _jwt(github_app, app_clock)
    assert _call(emulator, "GET", "/app", f"Bearer {token}").status_code == 200
    app_clock.advance(301)
    assert _call(emulator, "GET", "/app", f"Bearer {token}").status_code == 401


def test_jwt_is_refused_outside_app_routes(emulator: Any, github_app: GithubApp, app_clock: AppClock) -> None:
    resp = _call(emulator, "GET", f"/repos/{github_app.repo}/issues", f"Bearer {_jwt(github_app, app_clock)}")
    assert resp.status_code == 403 and resp.json()["message"] == "Resource not accessible by integration"
    assert _call(emulator, "GET", "/rate_limit", f"Bearer {_jwt(github_app, app_clock)}").status_code == 200


def test_installation_token_expires_after_an_hour(emulator: Any, github_app: GithubApp,
                                                  app_clock: AppClock) -> None:
    auth = f"token {_token(emulator, github_app, app_clock)['token']}"
    path = f"/repos/{github_app.repo}/issues"
    app_clock.advance(3599)
    assert _call(emulator, "GET", path, auth).status_code == 200
    app_clock.advance(2)
    resp = _call(emulator, "GET", path, auth)
    assert resp.status_code == 401 and resp.json()["message"] == "Bad credentials"


def test_installation_scope_and_permissions(emulator: Any, github_app: GithubApp, app_clock: AppClock,
                                            app_key: str) -> None:
    emulator.state.create_repo("agentops-bot/secret", private=True)
    emulator.state.create_repo("agentops-bot/open")
    auth = f"token {_token(emulator, github_app, app_clock)['token']}"
    assert _call(emulator, "GET", "/repos/agentops-bot/secret", auth).status_code == 404  # not installed there
    assert _call(emulator, "GET", "/repos/agentops-bot/open", auth).status_code == 200  # public: readable
    number = emulator.state.create_issue("agentops-bot/open", "someone's issue")
    assert _call(emulator, "POST", f"/repos/agentops-bot/open/issues/{number}/labels", auth,
                 {"labels": ["x"]}).status_code == 403
    # An App granted read-only access can read but not write.
    emulator.state.add_user("carol")
    emulator.state.create_repo("carol/notes", private=True)
    reader = emulator.state.add_app(7, app_key, slug="reader", permissions={"metadata": "read", "issues": "read"})
    inst = emulator.state.install_app(7, "carol")
    reader_app = GithubApp(7, reader.slug, "carol/notes", inst, app_key)
    rauth = f"token {_token(emulator, reader_app, app_clock)['token']}"
    assert _call(emulator, "GET", "/repos/carol/notes/issues", rauth).status_code == 200
    resp = _call(emulator, "POST", "/repos/carol/notes/labels", rauth, {"name": "bug"})
    assert resp.status_code == 403
    # Uninstalling revokes its tokens.
    emulator.state.apps.uninstall(inst)
    assert _call(emulator, "GET", "/repos/carol/notes/issues", rauth).status_code == 401
