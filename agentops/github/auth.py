"""Which credentials to use, from the environment: GH_TOKEN, then GITHUB_TOKEN, then a
GitHub App (AGENTOPS_APP_ID + AGENTOPS_APP_PRIVATE_KEY or AGENTOPS_APP_PRIVATE_KEY_FILE,
installation from AGENTOPS_APP_INSTALLATION_ID or the installation on GITHUB_REPOSITORY).

An App installation token comes from PyGithub's AppInstallationAuth, which refreshes it
shortly before it expires, so long `work` loops never run on a stale token. Both the
App's JWT and that expiry check read the injected clock (the one `connect` was given),
and a refusal of the App's own credentials becomes an error naming the variable to fix.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from github import Auth
from github.GithubException import GithubException
from github.InstallationAuthorization import InstallationAuthorization

from agentops.errors import AgentOpsError, AuthMissing, BadInput

# Refresh an installation token this long before GitHub says it expires.
REFRESH_MARGIN = 60.0


@dataclass(frozen=True)
class Credentials:
    auth: Any  # a github.Auth.Auth
    kind: str  # "token" | "github-actions" | "app"
    source: str  # the environment variable the credentials came from
    token: str | None = None  # static token (masked); an App's token is masked when fetched
    app_auth: Any = None  # AppJwtAuth, for /app look-ups


class AppJwtAuth(Auth.AppAuth):
    """PyGithub's App (JWT) auth, with the JWT's times taken from `clock` and the
    variables it came from kept for error messages."""

    def __init__(self, app_id: str, private_key: str, *, key_source: str,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(int(app_id) if app_id.isdigit() else app_id, private_key)
        self.key_source = key_source
        self._clock = clock

    def create_jwt(self, expiration: int | None = None) -> str:
        now = int(self._clock())
        payload = {"iat": now + self._jwt_issued_at,
                   "exp": now + (expiration if expiration is not None else self._jwt_expiry),
                   "iss": self._app_id}
        assert self._sign_func is not None
        signed = self._sign_func(payload)
        return signed.decode("utf-8") if isinstance(signed, bytes) else signed

    def refused(self, exc: GithubException, during: str) -> AgentOpsError | None:
        """GitHub's 401 to this App's JWT, as an error naming the variables to check."""
        if exc.status != 401:
            return None
        from agentops.github.client import github_message

        return BadInput(f"AGENTOPS_APP_ID={self.app_id} / {self.key_source}: GitHub refused the App's JSON web "
                        f"token during {during}: {github_message(exc.data) or 'HTTP 401'}",
                        hint="check that the private key belongs to this App and that this machine's clock is right")


class InstallationAuth(Auth.AppInstallationAuth):
    """PyGithub's installation auth (it fetches and caches the token), refreshing by
    `clock`; `on_token` sees each new token (to mask it) before it is used."""

    def __init__(self, app_auth: AppJwtAuth, installation_id: int, *, source: str,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(app_auth, installation_id)
        self.jwt_auth = app_auth
        self.source = source
        self.on_token: Callable[[str], None] | None = None
        self._clock = clock
        self._current: InstallationAuthorization | None = None

    @property
    def _is_expired(self) -> bool:
        current = self._current
        if current is None:
            return True
        return current.expires_at.timestamp() - REFRESH_MARGIN <= self._clock()

    def _get_installation_authorization(self) -> InstallationAuthorization:
        during = f"the installation token request for installation {self.installation_id}"
        try:
            authz = super()._get_installation_authorization()
        except GithubException as exc:
            error = self.jwt_auth.refused(exc, during)
            if error is None and exc.status == 404:
                error = BadInput(f"{self.source}: GitHub App {self.app_id} has no installation "
                                 f"{self.installation_id}", hint="was the App uninstalled? Check the App's settings")
            if error is not None:
                raise error from None
            raise
        self._current = authz
        if self.on_token is not None:
            self.on_token(authz.token)
        return authz


def _app_private_key(env: Mapping[str, str]) -> tuple[str, str]:
    """(PEM text, where it came from)."""
    key = env.get("AGENTOPS_APP_PRIVATE_KEY", "").strip()
    if key:
        # Secrets pasted into a single-line variable often carry literal "\n".
        text = key.replace("\\n", "\n") if "\\n" in key and "\n" not in key else key
        return text, "AGENTOPS_APP_PRIVATE_KEY"
    path = env.get("AGENTOPS_APP_PRIVATE_KEY_FILE", "").strip()
    if not path:
        raise AuthMissing("AGENTOPS_APP_ID is set but neither AGENTOPS_APP_PRIVATE_KEY nor "
                          "AGENTOPS_APP_PRIVATE_KEY_FILE is")
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"AGENTOPS_APP_PRIVATE_KEY_FILE: cannot read {path}: {exc.strerror or exc}") from None
    if "PRIVATE KEY" not in text:
        raise BadInput(f"AGENTOPS_APP_PRIVATE_KEY_FILE: {path} is not a PEM private key")
    return text, f"AGENTOPS_APP_PRIVATE_KEY_FILE ({path})"


def _check_signs(app_auth: AppJwtAuth) -> None:
    """Sign one JWT now, so a key that cannot sign fails here, naming its variable."""
    from jwt.exceptions import PyJWTError

    try:
        app_auth.create_jwt()
    except (ValueError, TypeError, NotImplementedError, PyJWTError) as exc:
        raise BadInput(f"{app_auth.key_source}: not a usable RSA private key for a GitHub App "
                       f"({type(exc).__name__}: {exc})") from None


def resolve(env: Mapping[str, str], *, find_installation: Callable[[AppJwtAuth, str], int] | None = None,
            clock: Callable[[], float] = time.time) -> Credentials:
    """Credentials from `env`. `find_installation(app_auth, "owner/name")` looks up the
    App's installation on a repository when no installation id is configured."""
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        token = env.get(name, "").strip()
        if token:
            in_actions = env.get("GITHUB_ACTIONS") == "true"
            kind = "github-actions" if name == "GITHUB_TOKEN" and in_actions else "token"
            return Credentials(auth=Auth.Token(token), kind=kind, source=name, token=token)

    app_id = env.get("AGENTOPS_APP_ID", "").strip()
    if app_id:
        key, key_source = _app_private_key(env)
        raw_inst = env.get("AGENTOPS_APP_INSTALLATION_ID", "").strip()
        if raw_inst and not raw_inst.isdigit():
            raise BadInput(f"AGENTOPS_APP_INSTALLATION_ID: {raw_inst!r} is not a number")
        try:
            app_auth = AppJwtAuth(app_id, key, key_source=key_source, clock=clock)
        except (AssertionError, ValueError) as exc:
            raise BadInput(f"AGENTOPS_APP_ID / private key: not usable for a GitHub App: {exc}") from None
        _check_signs(app_auth)
        if raw_inst:
            installation, source = int(raw_inst), "AGENTOPS_APP_INSTALLATION_ID"
        else:
            repo = env.get("GITHUB_REPOSITORY", "").strip()
            if not repo or find_installation is None:
                raise BadInput("AGENTOPS_APP_INSTALLATION_ID is not set and GITHUB_REPOSITORY does not name "
                               "a repository to find the App's installation on")
            installation, source = find_installation(app_auth, repo), f"GITHUB_REPOSITORY ({repo})"
        auth = InstallationAuth(app_auth, installation, source=source, clock=clock)
        return Credentials(auth=auth, kind="app", source="AGENTOPS_APP_ID", app_auth=app_auth)

    raise AuthMissing("no GitHub credentials: GH_TOKEN is not set (nor GITHUB_TOKEN or a GitHub App)")
