"""Which token `state sync` may hand git for a push or fetch of the operator's checkout.

In GitHub Actions the checkout holds no credential (persist-credentials: false) and the runner
drops every inherited GIT_CONFIG_*; the composite action passes its `push-token` input as
AGENTOPS_PUSH_TOKEN instead, and agentops hands it to git through GitAuth for one command.
A token goes only to the GitHub server itself, over https: a remote pointing anywhere else (a
mirror, another forge, a host an edited config names) gets nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

PUSH_TOKEN_VAR = "AGENTOPS_PUSH_TOKEN"
DEFAULT_SERVER = "https://github.com"


def _origin(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port or 443
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    return parts.hostname.lower(), port


def server_origin(env: Mapping[str, str]) -> tuple[str, int] | None:
    """(host, port) of the GitHub web/git server: GITHUB_SERVER_URL (set in Actions), else the
    host of GITHUB_API_URL (api.github.com means github.com; GHES serves both on one host)."""
    if env.get("GITHUB_SERVER_URL"):
        return _origin(env["GITHUB_SERVER_URL"])
    api = _origin(env.get("GITHUB_API_URL") or "")
    if api is None or api == ("api.github.com", 443):
        return _origin(DEFAULT_SERVER)
    return api


def token_for(env: Mapping[str, str], github_token: Callable[[], str | None]) -> Callable[[str], str | None]:
    """A `url -> token` for sync_state: AGENTOPS_PUSH_TOKEN, else the GitHub token agentops uses
    (`github_token`, asked only when needed), and only for an https URL on the GitHub server."""
    server = server_origin(env)

    def pick(url: str) -> str | None:
        if server is None or _origin(url) != server:
            return None
        return env.get(PUSH_TOKEN_VAR) or github_token()

    return pick
