"""Which credentials to use, from the environment: GH_TOKEN, then GITHUB_TOKEN, then a
GitHub App (AGENTOPS_APP_ID + AGENTOPS_APP_PRIVATE_KEY or AGENTOPS_APP_PRIVATE_KEY_FILE,
installation from AGENTOPS_APP_INSTALLATION_ID or the installation on GITHUB_REPOSITORY).

An App installation token comes from PyGithub's AppInstallationAuth, which refreshes it
shortly before it expires, so long `work` loops never run on a stale token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentops.errors import AuthMissing, BadInput


@dataclass(frozen=True)
class Credentials:
    auth: Any  # a github.Auth.Auth
    kind: str  # "token" | "github-actions" | "app"
    source: str  # the environment variable the credentials came from
    token: str | None = None  # static token (masked); an App's token is masked when fetched
    app_auth: Any = None  # github.Auth.AppAuth, for /app look-ups


def _app_private_key(env: Mapping[str, str]) -> str:
    key = env.get("AGENTOPS_APP_PRIVATE_KEY", "").strip()
    if key:
        # Secrets pasted into a single-line variable often carry literal "\n".
        return key.replace("\\n", "\n") if "\\n" in key and "\n" not in key else key
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
    return text


def resolve(env: Mapping[str, str], *,
            find_installation: Callable[[Any, str], int] | None = None) -> Credentials:
    """Credentials from `env`. `find_installation(app_auth, "owner/name")` looks up the
    App's installation on a repository when no installation id is configured."""
    from github import Auth

    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        token = env.get(name, "").strip()
        if token:
            in_actions = env.get("GITHUB_ACTIONS") == "true"
            kind = "github-actions" if name == "GITHUB_TOKEN" and in_actions else "token"
            return Credentials(auth=Auth.Token(token), kind=kind, source=name, token=token)

    app_id = env.get("AGENTOPS_APP_ID", "").strip()
    if app_id:
        key = _app_private_key(env)
        try:
            app_auth = Auth.AppAuth(int(app_id) if app_id.isdigit() else app_id, key)
        except (AssertionError, ValueError) as exc:
            raise BadInput(f"AGENTOPS_APP_ID / private key: not usable for a GitHub App: {exc}") from None
        raw_inst = env.get("AGENTOPS_APP_INSTALLATION_ID", "").strip()
        if raw_inst:
            if not raw_inst.isdigit():
                raise BadInput(f"AGENTOPS_APP_INSTALLATION_ID: {raw_inst!r} is not a number")
            installation = int(raw_inst)
        else:
            repo = env.get("GITHUB_REPOSITORY", "").strip()
            if not repo or find_installation is None:
                raise BadInput("AGENTOPS_APP_INSTALLATION_ID is not set and GITHUB_REPOSITORY does not name "
                               "a repository to find the App's installation on")
            installation = find_installation(app_auth, repo)
        return Credentials(auth=app_auth.get_installation_auth(installation), kind="app",
                           source="AGENTOPS_APP_ID", app_auth=app_auth)

    raise AuthMissing("no GitHub credentials: GH_TOKEN is not set (nor GITHUB_TOKEN or a GitHub App)")
