"""agentops' own retry policy for GitHub calls.

PyGithub's built-in retry repeats a POST after a 5xx (duplicate creates) and sleeps on
its own clock, so it is switched off and this module decides instead: `decide()` is a
pure function from one failed attempt to what to do next; `Retrier` runs a call under
that policy with tenacity, sleeping only through the injected `sleep`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from agentops.errors import AgentOpsError, RateLimited, Unavailable

T = TypeVar("T")

# Defaults from GitHub's guidance: wait Retry-After, else until the primary reset, else at
# least a minute for a secondary limit; then back off exponentially with a cap.
DEFAULT_ATTEMPTS = 5
DEFAULT_MAX_WAIT = 120.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
SECONDARY_WAIT = 60.0
# Nothing listening at the address, or the host name does not resolve: a wrong
# GITHUB_API_URL or no network far more often than a blip, so one retry, not four.
UNREACHABLE_ATTEMPTS = 2

_RATE_LIMIT_PREFIXES = ("api rate limit exceeded", "you have exceeded a secondary rate limit")
_RATE_LIMIT_SUFFIXES = ("please retry your request again later.", "please wait a few minutes before you try again.")


@dataclass(frozen=True)
class Failure:
    """One failed attempt: an HTTP error status, or `status=None` for a transport error
    (refused, reset, dropped connection, timeout)."""

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    message: str = ""
    data: object = None
    unreachable: bool = False  # transport error before any connection: refused, unresolvable, connect timeout

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers.items():
            if k.lower() == name:
                return str(v)
        return None

    @property
    def is_transport(self) -> bool:
        return self.status is None


class FailedAttempt(Exception):
    """Raised by the transport for one failed attempt; never leaves the github package."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message or f"HTTP {failure.status}")
        self.failure = failure


@dataclass(frozen=True)
class Decision:
    retry: bool
    wait: float = 0.0
    rate_limited: bool = False
    too_long: bool = False  # the wait exceeds max_wait: give up now instead of sleeping
    reset_at: float | None = None


def backoff(attempt: int, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Exponential backoff for the wait after attempt number `attempt` (1-based)."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)


def is_rate_limit_message(message: str) -> bool:
    m = message.strip().lower()
    return m.startswith(_RATE_LIMIT_PREFIXES) or m.endswith(_RATE_LIMIT_SUFFIXES)


def decide(failure: Failure, attempt: int, *, now: float, max_wait: float = DEFAULT_MAX_WAIT,
           base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP,
           secondary_wait: float = SECONDARY_WAIT) -> Decision:
    """What to do after failed attempt number `attempt` (1-based)."""
    status = failure.status
    retry_after = parse_retry_after(failure.header("retry-after"), now=now)

    if status is None or 500 <= status <= 599:
        wait = retry_after if retry_after is not None else backoff(attempt, base=base, cap=cap)
        return Decision(retry=True, wait=wait, too_long=wait > max_wait)

    if status not in (403, 429):
        return Decision(retry=False)

    remaining = failure.header("x-ratelimit-remaining")
    reset_header = failure.header("x-ratelimit-reset")
    reset_at: float | None = None
    if reset_header is not None:
        try:
            reset_at = float(reset_header)
        except ValueError:
            reset_at = None

    if retry_after is not None:
        wait = retry_after
    elif remaining is not None and remaining.strip() == "0" and reset_at is not None:
        # The reset is an epoch second; +1 s so we do not arrive a moment too early.
        wait = max(0.0, reset_at - now) + 1.0
    elif status == 429 or is_rate_limit_message(failure.message):
        wait = max(secondary_wait, backoff(attempt, base=base, cap=cap))
    else:
        return Decision(retry=False)  # an ordinary permission error
    return Decision(retry=True, wait=wait, rate_limited=True, too_long=wait > max_wait, reset_at=reset_at)


def _when(reset_at: float | None) -> str:
    if reset_at is None:
        return ""
    stamp = dt.datetime.fromtimestamp(reset_at, dt.UTC).isoformat().replace("+00:00", "Z")
    return f" (resets at {stamp})"


def give_up_error(failure: Failure, decision: Decision, what: str, *, attempts: int | None = None,
                  max_wait: float = DEFAULT_MAX_WAIT) -> AgentOpsError:
    """The exit-3 error for a retryable failure we stop retrying."""
    if decision.rate_limited:
        if decision.too_long:
            msg = (f"GitHub rate limit hit during {what}: it asks to wait {decision.wait:.0f}s, "
                   f"more than the {max_wait:.0f}s allowed{_when(decision.reset_at)}")
        else:
            msg = f"GitHub rate limit hit during {what}; still limited after {attempts} attempts{_when(decision.reset_at)}"
        return RateLimited(msg, reset_at=decision.reset_at)
    detail = failure.message or ("connection failed" if failure.is_transport else f"HTTP {failure.status}")
    tries = f" after {attempts} attempts" if attempts else ""
    if failure.unreachable:
        return Unavailable(f"cannot reach GitHub during {what}{tries}: {detail}",
                           hint="check GITHUB_API_URL (unset means https://api.github.com) and the network, "
                                "then run again")
    return Unavailable(f"GitHub unavailable during {what}{tries}: {detail}",
                       hint="GitHub or the network is having trouble; run again later")


class _Again(Exception):
    def __init__(self, failure: Failure, decision: Decision) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.decision = decision


@dataclass
class Retrier:
    """Runs a call under the policy. `translate` turns a non-retryable failure into an
    agentops error; exhausted retries become Unavailable or RateLimited (exit 3)."""

    sleep: Callable[[float], None]
    clock: Callable[[], float]
    translate: Callable[[Failure, str], AgentOpsError]
    max_wait: float = DEFAULT_MAX_WAIT
    attempts: int = DEFAULT_ATTEMPTS
    base: float = BACKOFF_BASE
    cap: float = BACKOFF_CAP
    secondary_wait: float = SECONDARY_WAIT

    def decide(self, failure: Failure, attempt: int) -> Decision:
        return decide(failure, attempt, now=self.clock(), max_wait=self.max_wait, base=self.base,
                      cap=self.cap, secondary_wait=self.secondary_wait)

    def check(self, failure: Failure, attempt: int, what: str) -> Decision:
        """Decide, raising right away when the failure must not (or need not) be retried."""
        decision = self.decide(failure, attempt)
        if not decision.retry:
            raise self.translate(failure, what)
        if decision.too_long:
            raise give_up_error(failure, decision, what, max_wait=self.max_wait)
        if failure.unreachable and attempt >= min(self.attempts, UNREACHABLE_ATTEMPTS):
            raise give_up_error(failure, decision, what, attempts=attempt, max_wait=self.max_wait)
        return decision

    def call(self, fn: Callable[[], T], what: str) -> T:
        from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

        attempt_no = 0

        def attempt() -> T:
            nonlocal attempt_no
            attempt_no += 1
            try:
                return fn()
            except FailedAttempt as exc:
                raise _Again(exc.failure, self.check(exc.failure, attempt_no, what)) from None

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return exc.decision.wait if isinstance(exc, _Again) else 0.0

        runner = Retrying(stop=stop_after_attempt(self.attempts), wait=wait,
                          retry=retry_if_exception_type(_Again), sleep=self.sleep, reraise=True)
        try:
            return runner(attempt)
        except _Again as last:
            raise give_up_error(last.failure, last.decision, what, attempts=self.attempts,
                                max_wait=self.max_wait) from None
