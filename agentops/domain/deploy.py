"""Deploy decisions without I/O: placeholder expansion, freeze windows, required-check and
health-check verdicts, the monitor rule, outcome classification, commit/PR extraction and
the incident issue text. The command (agentops/commands/deploy.py) feeds it facts and acts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agentops.domain.closing import neutralise
from agentops.domain.markers import make_marker
from agentops.domain.timeutil import iso, parse_time
from agentops.settings import FreezeWindow, HealthCheckConfig

Status = Literal["succeeded", "rolled_back", "failed", "rollback_failed"]
Severity = Literal["high", "critical"]

INCIDENT_LABEL = "incident"
SEVERITY_LABELS: Mapping[str, str] = {"high": "priority:high", "critical": "priority:critical"}
PLACEHOLDERS = ("sha", "short_sha", "previous_sha", "env", "version")
_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
GREEN_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})


class PlanError(ValueError):
    """A config value the deploy cannot use; `field` names where it sits in agentops.yaml."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# -- placeholders ------------------------------------------------------------------------------
def expand(argv: Sequence[str], values: Mapping[str, str | None], *, field: str = "deploy") -> tuple[str, ...]:
    """Substitute {sha} {short_sha} {previous_sha} {env} {version} in each argument.

    Braces that are not a lowercase identifier (JSON, shell-ish text) are left alone; an
    unknown identifier is an error because a typo must not ship a literal "{shaa}".
    A known placeholder without a value (no previous deploy yet) is an error too.
    """
    out = []
    for i, arg in enumerate(argv):
        def sub(m: re.Match[str], i: int = i) -> str:
            name = m.group(1)
            if name not in PLACEHOLDERS:
                raise PlanError(f"{field}[{i}]", f"unknown placeholder {{{name}}} (known: "
                                f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})")
            value = values.get(name)
            if value is None:
                raise PlanError(f"{field}[{i}]", f"{{{name}}} has no value")
            return value
        out.append(_PLACEHOLDER_RE.sub(sub, arg))
    return tuple(out)


def uses_placeholder(argv: Sequence[str], name: str) -> bool:
    return any(m.group(1) == name for a in argv for m in _PLACEHOLDER_RE.finditer(a))


# -- freeze windows ------------------------------------------------------------------------------
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKLY_RE = re.compile(r"^(?:(?P<day>[A-Za-z]{3,9})\s+)?(?P<h>\d{1,2}):(?P<m>\d{2})(?:\s*(?:UTC|Z))?$")
_WEEK_MIN = 7 * 24 * 60
_DAY_MIN = 24 * 60


@dataclass(frozen=True)
class _Recurring:
    start: int  # minute of the week (weekly) or of the day (daily)
    end: int
    period: int


def _parse_recurring(value: str) -> tuple[int | None, int] | None:
    m = _WEEKLY_RE.match(value.strip())
    if not m:
        return None
    hour, minute = int(m.group("h")), int(m.group("m"))
    if hour > 23 or minute > 59:
        return None
    day = m.group("day")
    if day is None:
        return None, hour * 60 + minute
    d = day.lower()
    idx = next((i for i, (short, full) in enumerate(zip(_DAYS, _FULL_DAYS, strict=True)) if d in (short, full)),
               None)
    if idx is None:
        return None
    return idx, idx * _DAY_MIN + hour * 60 + minute


def check_freeze_windows(windows: Sequence[FreezeWindow], *, field: str) -> None:
    """Raise PlanError for a window that is neither two ISO datetimes nor two [Day ]HH:MM times."""
    for i, w in enumerate(windows):
        _window_kind(w, f"{field}[{i}]")


def _window_kind(w: FreezeWindow, where: str) -> tuple[dt.datetime, dt.datetime] | _Recurring:
    s_iso, e_iso = parse_time(w.start), parse_time(w.end)
    if s_iso and e_iso:
        if e_iso <= s_iso:
            raise PlanError(f"{where}.end", "must be after start")
        return s_iso, e_iso
    s_rec, e_rec = _parse_recurring(w.start), _parse_recurring(w.end)
    if s_rec is None or e_rec is None or (s_iso or e_iso):
        bad = "start" if s_rec is None and s_iso is None else "end"
        raise PlanError(f"{where}.{bad}", "expected an ISO-8601 datetime or a UTC time like "
                        "'Fri 16:00' (weekly) / '22:00' (daily), the same form for start and end")
    if (s_rec[0] is None) != (e_rec[0] is None):
        raise PlanError(f"{where}.end", "start and end must both name a weekday or both omit it")
    period = _DAY_MIN if s_rec[0] is None else _WEEK_MIN
    if s_rec[1] == e_rec[1]:
        raise PlanError(f"{where}.end", "must differ from start")
    return _Recurring(s_rec[1], e_rec[1], period)


def active_freeze(windows: Sequence[FreezeWindow], now: dt.datetime) -> FreezeWindow | None:
    """The first window containing `now` (UTC). Recurring windows may wrap midnight / the week."""
    now = now.astimezone(dt.UTC)
    for i, w in enumerate(windows):
        kind = _window_kind(w, f"freeze[{i}]")
        if isinstance(kind, tuple):
            if kind[0] <= now < kind[1]:
                return w
            continue
        minute = now.hour * 60 + now.minute
        if kind.period == _WEEK_MIN:
            minute += now.weekday() * _DAY_MIN
        if kind.start < kind.end:
            inside = kind.start <= minute < kind.end
        else:
            inside = minute >= kind.start or minute < kind.end
        if inside:
            return w
    return None


# -- required checks ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckProblem:
    name: str
    state: str  # failure | pending | missing | <conclusion>


def red_checks(required: Sequence[str], statuses: Mapping[str, str],
               check_runs: Mapping[str, tuple[str, str | None]]) -> list[CheckProblem]:
    """What stops a sha from shipping.

    statuses: context -> state (latest per context); check_runs: name -> (status, conclusion),
    latest run per name. With `required` given, each must exist and be green; without, every
    reported status/check must be green (none at all is fine: nothing is required).
    """
    def verdict(name: str) -> str | None:
        if name in check_runs:
            status, conclusion = check_runs[name]
            if status != "completed":
                return "pending"
            return None if conclusion in GREEN_CONCLUSIONS else (conclusion or "failure")
        if name in statuses:
            state = statuses[name]
            return None if state == "success" else state
        return "missing"

    names = list(required) if required else sorted(set(statuses) | set(check_runs))
    problems = []
    for name in names:
        v = verdict(name)
        if v is not None:
            problems.append(CheckProblem(name, v))
    return problems


# -- health checks -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HealthVerdict:
    url: str
    ok: bool
    reason: str  # "ok" or why it failed
    status: int | None = None
    attempts: int = 1


_MISSING = object()


def json_field(data: Any, path: str) -> Any:
    """`a.b.0.c` into nested dicts/lists; _MISSING when any step is absent."""
    cur = data
    for part in path.split("."):
        if isinstance(cur, Mapping):
            if part not in cur:
                return _MISSING
            cur = cur[part]
        elif isinstance(cur, list) and re.fullmatch(r"-?\d+", part):
            idx = int(part)
            if not -len(cur) <= idx < len(cur):
                return _MISSING
            cur = cur[idx]
        else:
            return _MISSING
    return cur


def evaluate_health(check: HealthCheckConfig, *, status: int | None, body: str,
                    error: str | None) -> HealthVerdict:
    """One probe against the check's expectations. Transport errors (timeouts, refused
    connections) are failures like any wrong answer."""
    if error is not None:
        return HealthVerdict(check.url, False, error, status)
    if status != check.expect_status:
        return HealthVerdict(check.url, False, f"status {status}, expected {check.expect_status}", status)
    if check.expect_json:
        try:
            data = json.loads(body)
        except ValueError:
            return HealthVerdict(check.url, False, "body is not JSON", status)
        for path, expected in check.expect_json.items():
            got = json_field(data, path)
            if got is _MISSING:
                return HealthVerdict(check.url, False, f"JSON field {path!r} missing", status)
            if got != expected:
                return HealthVerdict(check.url, False, f"JSON field {path!r} is {got!r}, expected {expected!r}",
                                     status)
    if check.body_regex is not None and not re.search(check.body_regex, body):
        return HealthVerdict(check.url, False, f"body does not match /{check.body_regex}/", status)
    return HealthVerdict(check.url, True, "ok", status)


def check_health_config(checks: Sequence[HealthCheckConfig], *, field: str) -> None:
    for i, c in enumerate(checks):
        if c.body_regex is not None:
            try:
                re.compile(c.body_regex)
            except re.error as exc:
                raise PlanError(f"{field}[{i}].body_regex", f"invalid regex: {exc}") from exc
        if c.retries < 0:
            raise PlanError(f"{field}[{i}].retries", "must be 0 or more")
        if c.timeout_s <= 0:
            raise PlanError(f"{field}[{i}].timeout_s", "must be positive")


# -- monitor window --------------------------------------------------------------------------------------
def monitor_polls(duration_s: float, interval_s: float) -> int:
    """How many polls fit the window. Counted, not timed, so a fixed test clock cannot loop forever."""
    if duration_s <= 0:
        return 0
    if interval_s <= 0:
        return 1
    return max(1, int(duration_s // interval_s))


def monitor_failed(failures: int, max_failures: int) -> bool:
    return failures > max_failures


# -- outcome -------------------------------------------------------------------------------------------------
def classify(*, healthy: bool, rollback_attempted: bool, rollback_ok: bool) -> Status:
    """succeeded: shipped and healthy. rolled_back: bad, but the rollback restored health.
    rollback_failed: bad and the rollback (or health after it) failed. failed: bad and
    there was nothing to roll back to (first deploy without a rollback command)."""
    if healthy:
        return "succeeded"
    if not rollback_attempted:
        return "failed"
    return "rolled_back" if rollback_ok else "rollback_failed"


def severity_for(status: Status) -> Severity:
    return "critical" if status == "rollback_failed" else "high"


def worst(a: Severity, b: Severity) -> Severity:
    return "critical" if "critical" in (a, b) else "high"


# -- commits and pull requests -------------------------------------------------------------------------
_MERGE_RE = re.compile(r"^Merge pull request #(\d+)\b")
_SQUASH_RE = re.compile(r"\(#(\d+)\)\s*$")


def prs_from_subjects(subjects: Iterable[str]) -> list[int]:
    """PR numbers from merge ("Merge pull request #N from ...") and squash ("title (#N)") subjects."""
    found: list[int] = []
    for s in subjects:
        m = _MERGE_RE.match(s) or _SQUASH_RE.search(s)
        if m and int(m.group(1)) not in found:
            found.append(int(m.group(1)))
    return sorted(found)


def parse_git_log(text: str) -> list[tuple[str, str, str]]:
    """Lines "sha\\x1fcommitter-date-ISO\\x1fsubject" -> (sha, committed_at UTC ISO Z, subject)."""
    out = []
    for line in text.splitlines():
        parts = line.split("\x1f", 2)
        if len(parts) != 3:
            continue
        when = parse_time(parts[1])
        out.append((parts[0], iso(when) if when else parts[1], parts[2]))
    return out


# -- incidents ----------------------------------------------------------------------------------------------
def incident_marker(env: str) -> str:
    return make_marker("incident", env=env)


def incident_title(env: str, sha: str, severity: Severity) -> str:
    prefix = "[CRITICAL] " if severity == "critical" else ""
    return f"{prefix}Deploy incident: {env} at {sha[:12]}"


@dataclass(frozen=True)
class IncidentFacts:
    repo: str
    environment: str
    sha: str
    previous_sha: str | None
    deploy_id: str
    status: Status
    severity: Severity
    failed_step: str
    failure: str  # the failing check's reason
    failure_output: str  # already redacted tail
    rollback: str  # one-line rollback result
    rollback_output: str  # already redacted tail
    at: dt.datetime


def _fence(text: str) -> str:
    text = neutralise(text)  # deploy output is copied text: no marker or closing keyword rides in
    longest = max((len(m.group(0)) for m in re.finditer(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}text\n{text.rstrip()}\n{ticks}"


def render_incident(f: IncidentFacts) -> str:
    lines = [
        incident_marker(f.environment),
        f"## Deploy incident in `{f.environment}`",
        "",
        "| | |",
        "|---|---|",
        f"| Severity | **{f.severity}** |",
        f"| Status | `{f.status}` |",
        f"| Environment | `{f.environment}` |",
        f"| Commit | `{f.sha}` |",
        f"| Previous commit | `{f.previous_sha or 'none'}` |",
        f"| Deploy | `{f.deploy_id}` |",
        f"| At | {iso(f.at)} |",
        "",
        f"### What failed: {f.failed_step}",
        "",
        f.failure,
        "",
    ]
    if f.failure_output.strip():
        lines += [_fence(f.failure_output), ""]
    lines += ["### Rollback", "", f.rollback, ""]
    if f.rollback_output.strip():
        lines += [_fence(f.rollback_output), ""]
    lines += ["This issue is resolved automatically by the next healthy deploy of this environment."]
    return "\n".join(lines) + "\n"


def render_update_comment(f: IncidentFacts) -> str:
    return "\n".join([
        make_marker("incident-update", env=f.environment, deploy=f.deploy_id),
        f"Another deploy of `{f.environment}` failed: `{f.sha[:12]}` ended `{f.status}` "
        f"(severity {f.severity}) in step {f.failed_step}: {f.failure}",
        "",
        f"Rollback: {f.rollback}",
    ]) + "\n"


def render_resolution(env: str, sha: str, deploy_id: str, at: dt.datetime, restore_s: float | None) -> str:
    took = f" Time to restore: {format_duration(restore_s)}." if restore_s is not None else ""
    return "\n".join([
        make_marker("incident-resolved", env=env, deploy=deploy_id),
        f"Resolved: `{env}` is healthy again at `{sha[:12]}` (deploy `{deploy_id}`, {iso(at)}).{took}",
    ]) + "\n"


def format_duration(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h {m:02d}m"
    if m:
        return f"{m}m {sec:02d}s"
    return f"{sec}s"
