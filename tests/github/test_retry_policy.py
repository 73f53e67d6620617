"""The retry policy as a pure function of one failed attempt, and the Retrier running it."""

from __future__ import annotations

import pytest

from agentops.errors import ExitCode, Forbidden, NotFound, RateLimited, Unavailable
from agentops.github.client import translate
from agentops.github.retry import (
    FailedAttempt,
    Failure,
    Retrier,
    backoff,
    decide,
    is_rate_limit_message,
    parse_retry_after,
)

NOW = 1_700_000_000.0


def test_server_errors_and_transport_errors_back_off_exponentially() -> None:
    for status in (500, 502, 503, 504, None):
        waits = [decide(Failure(status), n, now=NOW).wait for n in (1, 2, 3, 4)]
        assert waits == [1.0, 2.0, 4.0, 8.0]
        assert decide(Failure(status), 1, now=NOW).retry
        assert not decide(Failure(status), 1, now=NOW).rate_limited
    assert backoff(20) == 30.0  # capped


def test_retry_after_is_honoured_first() -> None:
    d = decide(Failure(429, {"Retry-After": "7", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW + 50)}),
               1, now=NOW)
    assert (d.retry, d.wait, d.rate_limited, d.too_long) == (True, 7.0, True, False)
    d = decide(Failure(403, {"retry-after": "3"}), 1, now=NOW)
    assert (d.retry, d.wait, d.rate_limited) == (True, 3.0, True)
    d = decide(Failure(503, {"retry-after": "5"}), 1, now=NOW)
    assert d.wait == 5.0 and not d.rate_limited


def test_retry_after_as_http_date() -> None:
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now=NOW) == pytest.approx(10.0)
    assert parse_retry_after("garbage", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


def test_primary_limit_waits_until_reset_plus_one() -> None:
    d = decide(Failure(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
                       "API rate limit exceeded for user"), 1, now=NOW)
    assert (d.retry, d.wait, d.rate_limited, d.too_long, d.reset_at) == (True, 31.0, True, False, NOW + 30)


def test_wait_beyond_max_wait_gives_up_at_once() -> None:
    d = decide(Failure(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW + 3600)}), 1,
               now=NOW, max_wait=120)
    assert d.too_long and d.rate_limited
    d = decide(Failure(429, {"retry-after": "121"}), 1, now=NOW, max_wait=120)
    assert d.too_long


def test_secondary_limit_without_retry_after_waits_at_least_a_minute() -> None:
    msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    assert is_rate_limit_message(msg)
    d = decide(Failure(403, {}, msg), 1, now=NOW)
    assert d.rate_limited and d.wait == 60.0
    d = decide(Failure(429, {}), 1, now=NOW)
    assert d.rate_limited and d.wait == 60.0
    assert decide(Failure(429, {}), 1, now=NOW, max_wait=30).too_long


def test_plain_403_and_other_4xx_are_not_retried() -> None:
    assert not decide(Failure(403, {"x-ratelimit-remaining": "4999"}, "Resource not accessible"), 1, now=NOW).retry
    for status in (400, 401, 404, 409, 410, 422):
        assert not decide(Failure(status), 1, now=NOW).retry


def test_translate_maps_statuses_to_agentops_errors() -> None:
    assert isinstance(translate(Failure(404), "issue o/r#1"), NotFound)
    assert "issue o/r#1" in str(translate(Failure(404), "issue o/r#1"))
    e401 = translate(Failure(401, {}, "Bad credentials"), "x")
    assert e401.exit_code == ExitCode.BAD_INPUT and "bad credentials" in str(e401)
    f = translate(Failure(403, {}, "Resource not accessible by integration"), "x")
    assert isinstance(f, Forbidden) and f.status == 403
    g = translate(Failure(422, {}, "Validation Failed: already exists"), "x")
    assert g.exit_code == ExitCode.FAILED and getattr(g, "status", None) == 422 and "already exists" in str(g)
    assert isinstance(translate(Failure(502), "x"), Unavailable)
    assert isinstance(translate(Failure(403, {"retry-after": "9"}), "x"), RateLimited)


class Flaky:
    def __init__(self, failures: list[Failure], result: str = "ok") -> None:
        self.failures = list(failures)
        self.calls = 0
        self.result = result

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise FailedAttempt(self.failures.pop(0))
        return self.result


def make_retrier(sleeps: list[float], **kw: float) -> Retrier:
    return Retrier(sleep=sleeps.append, clock=lambda: NOW, translate=translate, **kw)  # type: ignore[arg-type]


def test_retrier_retries_then_succeeds_sleeping_through_injected_sleep() -> None:
    sleeps: list[float] = []
    fn = Flaky([Failure(502), Failure(None, message="reset"), Failure(429, {"retry-after": "4"})])
    assert make_retrier(sleeps).call(fn, "read") == "ok"
    assert fn.calls == 4 and sleeps == [1.0, 2.0, 4.0]


def test_retrier_exhausted_raises_unavailable_exit_3() -> None:
    sleeps: list[float] = []
    fn = Flaky([Failure(503)] * 10)
    with pytest.raises(Unavailable) as exc:
        make_retrier(sleeps).call(fn, "list issues")
    assert exc.value.exit_code == ExitCode.UNAVAILABLE and not isinstance(exc.value, RateLimited)
    assert fn.calls == 5 and len(sleeps) == 4 and "list issues" in str(exc.value)


def test_retrier_rate_limit_too_long_raises_without_sleeping() -> None:
    sleeps: list[float] = []
    fn = Flaky([Failure(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW + 3600)})])
    with pytest.raises(RateLimited) as exc:
        make_retrier(sleeps).call(fn, "read")
    assert sleeps == [] and fn.calls == 1 and exc.value.exit_code == 3 and exc.value.reset_at == NOW + 3600


def test_retrier_persisting_rate_limit_ends_as_rate_limited() -> None:
    sleeps: list[float] = []
    fn = Flaky([Failure(429, {"retry-after": "1"})] * 10)
    with pytest.raises(RateLimited):
        make_retrier(sleeps, attempts=3).call(fn, "read")
    assert sleeps == [1.0, 1.0]


def test_retrier_does_not_retry_permanent_errors() -> None:
    sleeps: list[float] = []
    fn = Flaky([Failure(404)])
    with pytest.raises(NotFound):
        make_retrier(sleeps).call(fn, "issue o/r#9")
    assert fn.calls == 1 and sleeps == []
