"""The one place HTTP happens for the GitHub port: PyGithub's Requester (auth, connection
pooling, GitHub's exception classes) driven directly, so every call sees its status and
headers (304s, rate-limit headers, Retry-After) and nothing is fetched twice.

Library exceptions stop here: each failed attempt becomes a `FailedAttempt`, and what
is not retried becomes an agentops error via `translate()`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agentops.errors import AgentOpsError, AuthMissing, Forbidden, GitHubError, NotFound
from agentops.github import convert
from agentops.github.models import RateLimit, Validators
from agentops.github.retry import FailedAttempt, Failure, Retrier, decide, give_up_error

_LINK_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')
WRITE_VERBS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def github_message(data: Any) -> str:
    """GitHub's error message plus the detail of its `errors` list (422s)."""
    if not isinstance(data, Mapping):
        return "" if data is None else str(data)[:300]
    msg = str(data.get("message") or "")
    details = []
    for err in data.get("errors") or ():
        if isinstance(err, Mapping):
            text = err.get("message") or " ".join(
                str(err[k]) for k in ("resource", "field", "code") if err.get(k))
            if text:
                details.append(str(text))
        elif err:
            details.append(str(err))
    if details:
        msg = f"{msg}: {'; '.join(details)}" if msg else "; ".join(details)
    return msg


def translate(failure: Failure, what: str) -> AgentOpsError:
    """A failure that is not (or no longer) retried, as an agentops error."""
    status = failure.status
    message = failure.message
    if status is None or 500 <= status <= 599:
        decision = decide(failure, 1, now=time.time())
        return give_up_error(failure, decision, what)
    if status == 401:
        return AuthMissing(f"GitHub rejected the credentials (401 bad credentials) during {what}",
                           hint="the token is set but refused: it may be revoked, expired, or for another GitHub "
                           "host than GITHUB_API_URL; replace GH_TOKEN (or GITHUB_TOKEN)")
    if status == 404:
        return NotFound(f"{what}: not found (or not visible to this token)")
    if status in (403, 429):
        decision = decide(failure, 1, now=time.time())
        if decision.retry:
            return give_up_error(failure, decision, what)
        return Forbidden(f"{what}: forbidden by GitHub: {message or 'HTTP 403'}", status=403,
                         hint="the token lacks a permission or the feature is disabled for this repository")
    return GitHubError(f"{what}: GitHub answered {status}: {message or 'no message'}", status=status)


def failure_from_exception(exc: BaseException) -> Failure | None:
    """A PyGithub/requests/socket exception as a Failure; None if it is none of those."""
    from github.GithubException import GithubException

    if isinstance(exc, GithubException):
        headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
        return Failure(status=exc.status, headers=headers, message=github_message(exc.data), data=exc.data)
    import requests

    if isinstance(exc, (requests.ConnectionError, requests.ConnectTimeout)):
        reason = _unreachable_reason(exc)
        if reason is not None:
            return Failure(status=None, message=reason, unreachable=True)
    if isinstance(exc, (requests.RequestException, OSError)):
        return Failure(status=None, message=f"{type(exc).__name__}: {exc}")
    return None


def _unreachable_reason(exc: BaseException) -> str | None:
    """'cannot connect to HOST:PORT (why)' when no connection was ever made; None otherwise
    (a reset or a dropped connection mid-answer is a blip worth the full retry budget)."""
    from urllib.parse import urlsplit

    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

    cause: object = exc.args[0] if exc.args else None
    cause = getattr(cause, "reason", cause)  # urllib3's MaxRetryError wraps the real one
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2, hence this order.
    if isinstance(cause, NameResolutionError):
        why = "the host name does not resolve"
    elif isinstance(cause, NewConnectionError):
        why = "connection refused" if "refused" in str(cause).lower() else "no connection could be made"
    elif isinstance(cause, ConnectTimeoutError):
        why = "connecting timed out"
    else:
        return None
    request = getattr(exc, "request", None)
    url = urlsplit(str(getattr(request, "url", "") or ""))
    # hostname/port only: a URL may carry user:password@, which must not reach a message.
    host = f"{url.hostname}:{url.port}" if url.port else (url.hostname or "")
    where = f"{url.scheme}://{host}" if host else "the GitHub API"
    return f"{where}: {why}"


def parse_links(header: str | None) -> dict[str, str]:
    if not header:
        return {}
    return {rel: url for url, rel in _LINK_RE.findall(header)}


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Page:
    items: list[Any] | None  # None: 304 Not Modified
    etag: str | None
    last_modified: str | None


class MutationSpacer:
    """At least `interval` seconds between the starts of two writes, across threads.
    Each writer reserves its slot under the lock, then sleeps outside it."""

    def __init__(self, interval: float, *, sleep: Callable[[float], None],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.interval = max(0.0, interval)
        self._sleep = sleep
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = self._monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


class RestClient:
    def __init__(self, requester: Any, *, retrier: Retrier, spacer: MutationSpacer,
                 on_request: Callable[[], None] | None = None, per_page: int = 100) -> None:
        self._requester = requester
        self.retrier = retrier
        self.spacer = spacer
        self.per_page = per_page
        self._on_request = on_request
        self._rate_lock = threading.Lock()
        self._last_rate_limit: RateLimit | None = None

    @property
    def last_rate_limit(self) -> RateLimit | None:
        return self._last_rate_limit

    # -- one attempt -----------------------------------------------------------------
    def once(self, verb: str, url: str, *, params: Mapping[str, Any] | None = None, body: Any = None,
             headers: Mapping[str, str] | None = None) -> Response:
        """Exactly one HTTP request. Raises FailedAttempt for an error status or transport error."""
        if verb in WRITE_VERBS:
            self.spacer.wait()
        try:
            status, resp_headers, text = self._requester.requestJson(
                verb, url, dict(params) if params else None, dict(headers) if headers else None, body)
        except Exception as exc:
            failure = failure_from_exception(exc)
            if failure is None:
                raise
            raise FailedAttempt(failure) from None
        finally:
            if self._on_request is not None:
                self._on_request()
        low = {str(k).lower(): str(v) for k, v in resp_headers.items()}
        self._track(low)
        data = _json(text)
        if status >= 400:
            raise FailedAttempt(Failure(status=status, headers=low, message=github_message(data), data=data))
        return Response(status=status, headers=low, data=data)

    def _track(self, headers: Mapping[str, str]) -> None:
        rl = convert.rate_limit_from_headers(headers)
        if rl is not None:
            with self._rate_lock:
                self._last_rate_limit = rl

    # -- policies --------------------------------------------------------------------
    def call(self, verb: str, url: str, what: str, *, params: Mapping[str, Any] | None = None,
             body: Any = None, headers: Mapping[str, str] | None = None, retry: bool = True) -> Response:
        """A read or idempotent write, retried under the policy (or tried once with retry=False)."""
        if not retry:
            try:
                return self.once(verb, url, params=params, body=body, headers=headers)
            except FailedAttempt as exc:
                raise translate(exc.failure, what) from None
        return self.retrier.call(lambda: self.once(verb, url, params=params, body=body, headers=headers), what)

    def pages(self, url: str, what: str, *, params: Mapping[str, Any] | None = None,
              key: str | None = None, validators: Validators | None = None,
              max_pages: int | None = None, per_page: int | None = None) -> Page:
        """Every page of a list (following Link rel=next); the first request conditional."""
        items: list[Any] = []
        etag = last_modified = None
        for n, resp in enumerate(self._iter_pages(url, what, params=params, validators=validators,
                                                  per_page=per_page, max_pages=max_pages)):
            if n == 0:
                etag = resp.header("etag")
                last_modified = resp.header("last-modified")
                if resp.status == 304:
                    return Page(items=None, etag=etag or (validators.etag if validators else None),
                                last_modified=last_modified or (validators.last_modified if validators else None))
            data = resp.data
            if key is not None and isinstance(data, Mapping):
                data = data.get(key) or []
            if isinstance(data, list):
                items.extend(data)
        return Page(items=items, etag=etag, last_modified=last_modified)

    def _iter_pages(self, url: str, what: str, *, params: Mapping[str, Any] | None,
                    validators: Validators | None, per_page: int | None,
                    max_pages: int | None) -> Iterator[Response]:
        query: dict[str, Any] = {k: v for k, v in (params or {}).items() if v is not None}
        query.setdefault("per_page", per_page or self.per_page)
        cond: dict[str, str] = {}
        if validators is not None:
            if validators.etag:
                cond["If-None-Match"] = validators.etag
            if validators.last_modified:
                cond["If-Modified-Since"] = validators.last_modified
        next_url: str | None = url
        first = True
        count = 0
        while next_url is not None:
            resp = self.call("GET", next_url, what, params=query if first else None,
                             headers=cond if first and cond else None)
            count += 1
            yield resp
            if resp.status == 304:
                return
            first = False
            next_url = parse_links(resp.header("link")).get("next")
            if max_pages is not None and count >= max_pages:
                return


def _json(text: Any) -> Any:
    import json

    if text is None or text == "":
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return {"message": str(text)[:300]}

