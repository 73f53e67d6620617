"""GitHub Apps in the emulator: registered Apps (each with its RSA public key),
installations on accounts, App JWTs verified like GitHub does (RS256, against the
emulator's clock) and installation access tokens that authenticate as the App's bot
user `<slug>[bot]` for an hour.

The `cryptography` package (present as PyGithub's pyjwt[crypto] dependency) is imported
only when an App is registered or a JWT is checked, so the rest of the emulator stays
standard library only.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import ApiError
from agentops.sandbox.model import Repo, User

if TYPE_CHECKING:
    from agentops.sandbox.state import State

TOKEN_LIFETIME = dt.timedelta(hours=1)
JWT_MAX_LIFETIME = 600  # GitHub: "exp" no more than 10 minutes into the future
DEFAULT_PERMISSIONS = {"metadata": "read", "contents": "write", "issues": "write", "pull_requests": "write",
                       "checks": "read", "statuses": "read", "actions": "read"}
_WRITE_RESOURCES = ("contents", "issues", "pull_requests", "checks", "statuses", "actions")
_ACCESS = ("read", "write", "admin")

# Routes that take only an App JWT, and the ones an installation token may not use.
JWT_ROUTES = frozenset({
    "/app", "/app/installations", "/app/installations/{installation_id}",
    "/app/installations/{installation_id}/access_tokens", "/repos/{owner}/{repo}/installation",
    "/orgs/{org}/installation", "/users/{user}/installation",
})
EITHER_ROUTES = frozenset({"/rate_limit"})
USER_ONLY_ROUTES = frozenset({"/user", "/user/repos"})
_UNMATCHED = "(unmatched)"  # server.UNMATCHED: a JWT on an unknown path still gets its 404

UNDECODABLE = "A JSON web token could not be decoded"
EXPIRED = ("'Expiration time' claim ('exp') must be a numeric value representing the future time at which "
           "the assertion expires")
TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
FUTURE_IAT = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
NOT_INTEGRATION = "Resource not accessible by integration"


@dataclass
class App:
    id: int
    slug: str
    name: str
    owner: str
    client_id: str
    public_key: Any  # cryptography RSAPublicKey
    permissions: dict[str, str]
    events: list[str]
    created_at: dt.datetime

    @property
    def bot_login(self) -> str:
        return f"{self.slug}[bot]"


@dataclass
class Installation:
    id: int
    app_id: int
    account: str
    repository_selection: str  # "all" | "selected"
    repos: set[str]  # lower-cased full names, for "selected"
    permissions: dict[str, str]
    created_at: dt.datetime

    def covers(self, repo: Repo) -> bool:
        if repo.owner.lower() != self.account.lower():
            return False
        return self.repository_selection == "all" or repo.full_name.lower() in self.repos


@dataclass
class AccessToken:
    token: str
    installation_id: int
    login: str
    expires_at: dt.datetime
    permissions: dict[str, str]
    repositories: list[str] | None = None


@dataclass
class Apps:
    state: State
    apps: dict[int, App] = field(default_factory=dict)
    installations: dict[int, Installation] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)

    # -- set-up (tests and seeds) -------------------------------------------------------
    def add(self, app_id: int, key: str | bytes, *, slug: str | None = None, name: str | None = None,
            owner: str | None = None, permissions: dict[str, str] | None = None,
            events: list[str] | None = None) -> App:
        """Register an App; `key` is its PEM public key (or the private key, whose public half is kept)."""
        with self.state.lock:
            if app_id in self.apps:
                raise ValueError(f"App {app_id} already exists")
            slug = slug or f"app-{app_id}"
            if not all(c in string.ascii_lowercase + string.digits + "-" for c in slug):
                raise ValueError(f"bad App slug {slug!r}")
            perms = dict(permissions if permissions is not None else DEFAULT_PERMISSIONS)
            _check_permissions(perms)
            app = App(app_id, slug, name or slug, owner or "agentops-bot", f"Iv1.{secrets.token_hex(8)}",
                      _public_key(key), perms, list(events or ("issues", "pull_request")), self.state.clock())
            self.apps[app_id] = app
            self.state.user(app.owner)
            # The bot user exists as soon as the App does; its login is not a valid user name.
            self.state.users[app.bot_login.lower()] = User(self.state.next_id("user"), app.bot_login, type="Bot",
                                                           created_at=app.created_at)
            return app

    def install(self, app_id: int, account: str, *, repos: list[str] | None = None,
                permissions: dict[str, str] | None = None) -> int:
        """Install an App on a user or org; `repos` ("owner/name") selects repositories, None means all."""
        with self.state.lock:
            app = self.apps.get(app_id)
            if app is None:
                raise KeyError(f"no App {app_id}")
            owner = self.state.user(account).login
            if any(i.app_id == app_id and i.account.lower() == owner.lower() for i in self.installations.values()):
                raise ValueError(f"App {app_id} is already installed on {owner}")
            selected: set[str] = set()
            for full_name in repos or ():
                repo = self.state.repo(full_name)
                if repo.owner.lower() != owner.lower():
                    raise ValueError(f"{full_name} does not belong to {owner}")
                selected.add(repo.full_name.lower())
            perms = dict(permissions if permissions is not None else app.permissions)
            _check_permissions(perms)
            inst = Installation(self.state.next_id("installation"), app_id, owner,
                                "all" if repos is None else "selected", selected, perms, self.state.clock())
            self.installations[inst.id] = inst
            return inst.id

    def uninstall(self, installation_id: int) -> None:
        with self.state.lock:
            self.installations.pop(installation_id, None)
            for tok in [t for t, a in self.tokens.items() if a.installation_id == installation_id]:
                del self.tokens[tok]

    # -- who is asking ----------------------------------------------------------------
    def by_bot(self, login: str) -> App | None:
        with self.state.lock:
            return next((a for a in self.apps.values() if a.bot_login.lower() == login.lower()), None)

    def authenticate(self, token: str, template: str) -> str | None:
        """The login a credential acts as on `template` (an App JWT acts as the App's bot on
        the App routes only); None for an unknown or expired token. Raises 401/403 as GitHub."""
        if _looks_like_jwt(token):
            app = self.verify_jwt(token)
            if template not in JWT_ROUTES and template not in EITHER_ROUTES and template != _UNMATCHED:
                raise ApiError(403, NOT_INTEGRATION)
            return app.bot_login
        if template in JWT_ROUTES:
            raise ApiError(401, UNDECODABLE)
        with self.state.lock:
            issued = self.tokens.get(token)
            if issued is not None:
                if self.state.clock() >= issued.expires_at or issued.installation_id not in self.installations:
                    return None  # GitHub answers an expired installation token with "Bad credentials"
                if template in USER_ONLY_ROUTES:
                    raise ApiError(403, NOT_INTEGRATION)
                return issued.login
        return self.state.user_for_token(token)

    def verify_jwt(self, token: str) -> App:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        head_b64, claims_b64, sig_b64 = token.split(".")
        try:
            header = json.loads(_unb64(head_b64))
            claims = json.loads(_unb64(claims_b64))
            signature = _unb64(sig_b64)
        except (ValueError, binascii.Error, RecursionError):
            raise ApiError(401, UNDECODABLE) from None
        if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
            raise ApiError(401, UNDECODABLE)
        app = self._issuer(claims.get("iss"))
        try:
            app.public_key.verify(signature, f"{head_b64}.{claims_b64}".encode(), padding.PKCS1v15(),
                                  hashes.SHA256())
        except InvalidSignature:
            raise ApiError(401, UNDECODABLE) from None
        iat, exp = claims.get("iat"), claims.get("exp")
        now = self.state.clock().timestamp()
        if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= now:
            raise ApiError(401, EXPIRED)
        if not isinstance(iat, int) or isinstance(iat, bool) or iat > now:
            raise ApiError(401, FUTURE_IAT)
        if exp - now > JWT_MAX_LIFETIME:
            raise ApiError(401, TOO_FAR)
        return app

    def _issuer(self, iss: Any) -> App:
        with self.state.lock:
            for app in self.apps.values():
                if str(iss) in (str(app.id), app.client_id):
                    return app
        raise ApiError(401, UNDECODABLE)

    # -- installations and tokens -----------------------------------------------------
    def installations_of(self, app: App) -> list[Installation]:
        with self.state.lock:
            return sorted((i for i in self.installations.values() if i.app_id == app.id), key=lambda i: i.id)

    def installation_on(self, app: App, account: str) -> Installation | None:
        return next((i for i in self.installations_of(app) if i.account.lower() == account.lower()), None)

    def issue_token(self, app: App, inst: Installation, *, permissions: dict[str, str] | None = None,
                    repositories: list[str] | None = None) -> AccessToken:
        """A new installation token, narrowed to `permissions` / `repositories` when asked (never widened)."""
        with self.state.lock:
            granted = dict(inst.permissions)
            if permissions:
                for resource, level in permissions.items():
                    have = granted.get(resource)
                    if level not in _ACCESS or have is None or _ACCESS.index(level) > _ACCESS.index(have):
                        raise ApiError(422, "The permissions requested are not granted to this installation.")
                granted = dict(permissions)
            names: list[str] | None = None
            if repositories is not None:
                names = []
                for name in repositories:
                    repo = self.state.repos.get(f"{inst.account}/{name}".lower())
                    if repo is None or not inst.covers(repo):
                        raise ApiError(422, "There is at least one repository that does not exist or is not "
                                            "accessible to the parent installation.")
                    names.append(repo.full_name)
            elif inst.repository_selection == "selected":
                names = sorted(self.state.repos[r].full_name for r in inst.repos if r in self.state.repos)
            token = AccessToken(f"ghs_{_random_alnum(36)}", inst.id, app.bot_login,
                                self.state.clock().replace(microsecond=0) + TOKEN_LIFETIME, granted, names)
            self.tokens[token.token] = token
            return token

    def permission(self, repo: Repo, bot_login: str) -> str:
        """The bot's access to `repo`: its installation's grant where installed, else what anyone has."""
        app = self.by_bot(bot_login)
        with self.state.lock:
            for inst in self.installations.values():
                if app is not None and inst.app_id == app.id and inst.covers(repo):
                    return _level(inst.permissions)
        return "none" if repo.private else "read"


def _level(permissions: dict[str, str]) -> str:
    if permissions.get("administration") in ("write", "admin"):
        return "admin"
    if any(permissions.get(r) in ("write", "admin") for r in _WRITE_RESOURCES):
        return "write"
    return "read"


def _check_permissions(permissions: dict[str, str]) -> None:
    for resource, level in permissions.items():
        if level not in _ACCESS:
            raise ValueError(f"permission {resource}: {level!r} is not one of {_ACCESS}")


def _random_alnum(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _looks_like_jwt(token: str) -> bool:
    return token.startswith("eyJ") and token.count(".") == 2


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _public_key(key: str | bytes) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    data = key.encode() if isinstance(key, str) else key
    if b"PRIVATE KEY" in data:
        loaded: Any = serialization.load_pem_private_key(data, password=None).public_key()
    else:
        loaded = serialization.load_pem_public_key(data)
    if not isinstance(loaded, rsa.RSAPublicKey):
        raise ValueError("a GitHub App key must be an RSA key")
    return loaded
