"""Repo scout, the pure part: findings and their fingerprints, severities, the issue each
finding owns (title, body with the Agent Task form sections, markers), and the decision of
what to do with that issue on each scan (create, update, comment, close, leave alone).

No I/O here: the command feeds in what GitHub and the state files said and carries out
the returned actions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentops.domain import workorder as wo
from agentops.domain.markers import find_marker, make_marker

SCOUT_LABEL = "agentops:scout"
MARKER_KIND = "scout"
UPDATE_KIND = "scout-update"
RESOLVED_KIND = "scout-resolved"
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
TITLE_PREFIX = "[scout] "
MAX_TEXT = 300

_CLOSES_RE = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b", re.IGNORECASE)
_FP_RE = re.compile(r"\b([a-z][a-z0-9-]*-[0-9a-f]{16})\b")


def severity_rank(severity: str) -> int:
    s = severity.lower()
    return SEVERITIES.index(s) if s in SEVERITIES else 0


def parse_severity(value: str) -> str:
    v = value.strip().lower()
    if v not in SEVERITIES:
        raise ValueError(f"{value!r} is not one of {', '.join(SEVERITIES)}")
    return v


def fingerprint(repo: str, check: str, subject: str) -> str:
    """Stable across runs and machines: the check name (so a reader knows which check owns
    it) plus a hash of (repo, check, subject). Repo names compare case-insensitively."""
    digest = hashlib.sha256(f"{repo.lower()}\n{check}\n{subject}".encode()).hexdigest()[:16]
    return f"{check}-{digest}"


def check_of(fp: str) -> str:
    return fp.rsplit("-", 1)[0]


def inline(text: object, limit: int = MAX_TEXT) -> str:
    """Outside text (workflow names, PR titles, package names) made safe for one line of
    Markdown: no newlines (so it cannot start a form heading), no HTML comments (so it
    cannot forge a marker), bounded length."""
    t = re.sub(r"\s+", " ", str(text)).strip()
    t = t.replace("<!--", "&lt;!--").replace("-->", "--&gt;")
    return t if len(t) <= limit else t[: limit - 1] + "…"


@dataclass(frozen=True)
class Finding:
    repo: str
    check: str
    subject: str  # what the finding is about within the check, e.g. "workflow:CI" or "pr-12"
    severity: str
    title: str
    details: tuple[str, ...] = ()  # Markdown lines for people
    fixable: bool = False  # an agent can fix it: the issue becomes an agent-task work order
    steps: tuple[str, ...] = ()  # for the agent (fixable only)
    acceptance: tuple[str, ...] = ()
    since: str | None = None  # ISO time the problem was first seen in the data
    url: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.repo, self.check, self.subject)

    def to_dict(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "repo": self.repo, "check": self.check, "subject": self.subject,
                "severity": self.severity, "title": self.title, "details": list(self.details),
                "fixable": self.fixable, "steps": list(self.steps), "acceptance": list(self.acceptance),
                "since": self.since, "url": self.url, "data": dict(self.data)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        return cls(repo=str(d["repo"]), check=str(d["check"]), subject=str(d["subject"]),
                   severity=str(d.get("severity", "low")), title=str(d.get("title", "")),
                   details=tuple(str(x) for x in d.get("details") or ()), fixable=bool(d.get("fixable")),
                   steps=tuple(str(x) for x in d.get("steps") or ()),
                   acceptance=tuple(str(x) for x in d.get("acceptance") or ()),
                   since=d.get("since"), url=d.get("url"), data=dict(d.get("data") or {}))


def at_or_above(findings: Iterable[Finding], severity: str) -> list[Finding]:
    floor = severity_rank(severity)
    return [f for f in findings if severity_rank(f.severity) >= floor]


# -- the issue a finding owns ---------------------------------------------------------------------
def marker(fp: str) -> str:
    return make_marker(MARKER_KIND, fp=fp)


def marker_fp(body: str | None) -> str | None:
    m = find_marker(body, MARKER_KIND)
    return m.get("fp") if m else None


def body_digest(body: str | None) -> str:
    return hashlib.sha256((body or "").strip().replace("\r\n", "\n").encode()).hexdigest()[:16]


def issue_title(f: Finding) -> str:
    return TITLE_PREFIX + inline(f.title, 200)


def issue_labels(f: Finding) -> tuple[str, ...]:
    labels = [SCOUT_LABEL]
    if f.fixable:
        labels += [wo.TASK_LABEL, f"priority:{_priority(f.severity)}"]
    return tuple(labels)


def _priority(severity: str) -> str:
    return severity if severity in wo.PRIORITIES else wo.DEFAULT_PRIORITY


def render_issue_body(f: Finding) -> str:
    """Details first (the form parser keeps text before the first form heading out of the
    spec), then, for fixable findings, the Agent Task form sections, then the marker."""
    lines = [f"**agentops scout** found a problem in `{f.repo}` (check `{f.check}`, severity **{f.severity}**).", ""]
    lines += [f"- {d}" for d in f.details] or ["- " + inline(f.title)]
    if f.since:
        lines.append(f"- Since: {f.since}")
    if f.url:
        lines.append(f"- Link: {f.url}")
    lines.append("")
    if f.fixable:
        steps = f.steps or (inline(f.title),)
        acceptance = f.acceptance or ("agentops scout no longer reports this finding",)
        sections = [
            (wo.LABEL_AGENT, wo.ANY_AGENT),
            (wo.LABEL_SPEC, "\n".join(f"- {s}" for s in steps)),
            (wo.LABEL_ACCEPTANCE, "\n".join(f"- {a}" for a in acceptance)),
            (wo.LABEL_DEADLINE, "none"),
            (wo.LABEL_DEPENDENCIES, "_No response_"),
            (wo.LABEL_PRIORITY, _priority(f.severity)),
            (wo.LABEL_CAPABILITIES, "_No response_"),
        ]
        for label, value in sections:
            lines += [f"### {label}", "", value, ""]
    else:
        lines += ["This needs a person; agentops will close this issue when the finding is gone.", ""]
    lines.append(marker(f.fingerprint))
    return "\n".join(lines)


def closing_refs(text: str | None) -> set[int]:
    return {int(n) for n in _CLOSES_RE.findall(text or "")}


def fingerprints_in(text: str | None) -> set[str]:
    return set(_FP_RE.findall(text or ""))


# -- what to do with the issues ---------------------------------------------------------------------
@dataclass(frozen=True)
class OpenScoutIssue:
    """An open issue on GitHub carrying a scout marker."""

    number: int
    fp: str
    title: str
    labels: tuple[str, ...]
    digest: str


@dataclass(frozen=True)
class PullRef:
    number: int
    closes: frozenset[int]
    fingerprints: frozenset[str]


@dataclass(frozen=True)
class Action:
    kind: str  # create | update | comment | close | suppress
    fp: str
    number: int | None = None
    title: str | None = None
    body: str | None = None
    labels: tuple[str, ...] = ()
    reason: str = ""
    pr: int | None = None


def update_marker(fp: str, digest: str) -> str:
    """One per change of the finding: a retried comment finds its own earlier attempt."""
    return make_marker(UPDATE_KIND, fp=fp, digest=digest)


def update_comment(f: Finding) -> str:
    digest = body_digest(render_issue_body(f))
    return (f"agentops scout: this finding changed (severity **{f.severity}**): {inline(f.title)}. "
            "The description above is up to date.\n\n" + update_marker(f.fingerprint, digest))


def resolved_marker(fp: str) -> str:
    return make_marker(RESOLVED_KIND, fp=fp)


def resolved_comment(fp: str) -> str:
    return ("agentops scout no longer finds this problem, so this issue is closed. "
            "It will open a new one if the problem comes back.\n\n" + resolved_marker(fp))


def duplicate_comment(fp: str, keep: int) -> str:
    return f"Duplicate of #{keep} (same scout finding).\n\n" + make_marker(RESOLVED_KIND, fp=fp, duplicate="1")


def _due(last: str | None, now: dt.datetime, interval_hours: float) -> bool:
    if not last:
        return True
    try:
        t = dt.datetime.fromisoformat(last.replace("Z", "+00:00"))
    except ValueError:
        return True
    return now - t >= dt.timedelta(hours=interval_hours)


def plan_issues(findings: Mapping[str, Finding], *, evaluated: set[str], open_issues: Sequence[OpenScoutIssue],
                tracker: Mapping[str, Mapping[str, Any]], pulls: Sequence[PullRef], now: dt.datetime,
                comment_interval_hours: float) -> list[Action]:
    """The actions for one repository. `evaluated`: checks that ran to completion this scan;
    issues of other checks are left alone (a 403 on one endpoint resolves nothing).
    `open_issues` is GitHub's list (the truth); `tracker` only remembers comment times and
    the issue numbers PRs may refer to."""
    actions: list[Action] = []
    by_fp: dict[str, OpenScoutIssue] = {}
    for issue in sorted(open_issues, key=lambda i: i.number):
        if issue.fp in by_fp:
            keep = by_fp[issue.fp].number
            actions.append(Action("close", issue.fp, number=issue.number, body=duplicate_comment(issue.fp, keep),
                                  reason=f"duplicate of #{keep}"))
        else:
            by_fp[issue.fp] = issue
    for fp in sorted(findings):
        f = findings[fp]
        title, body, labels = issue_title(f), render_issue_body(f), issue_labels(f)
        current = by_fp.get(fp)
        if current is None:
            pr = _addressed_by(fp, tracker.get(fp), pulls)
            if pr is not None:
                actions.append(Action("suppress", fp, pr=pr, reason=f"pull request #{pr} addresses it"))
            else:
                actions.append(Action("create", fp, title=title, body=body, labels=labels))
            continue
        changed = current.digest != body_digest(body) or current.title != title
        # Labels GitHub dropped before (a token below triage may not label) are not asked for
        # again: asking every scan would be a write every scan that changes nothing.
        refused = set((tracker.get(fp) or {}).get("labels_refused") or ())
        missing = [x for x in labels if x not in current.labels and x not in refused]
        if changed or missing:
            merged = tuple(dict.fromkeys((*current.labels, *labels)))
            actions.append(Action("update", fp, number=current.number, title=title, body=body, labels=merged,
                                  reason="finding changed" if changed else "labels"))
            if changed and _due((tracker.get(fp) or {}).get("last_comment_at"), now, comment_interval_hours):
                actions.append(Action("comment", fp, number=current.number, body=update_comment(f)))
    for fp, issue in sorted(by_fp.items()):
        if fp not in findings and check_of(fp) in evaluated:
            actions.append(Action("close", fp, number=issue.number, body=resolved_comment(fp),
                                  reason="finding gone"))
    return actions


def _addressed_by(fp: str, record: Mapping[str, Any] | None, pulls: Sequence[PullRef]) -> int | None:
    number = (record or {}).get("issue")
    for pr in sorted(pulls, key=lambda p: p.number):
        if fp in pr.fingerprints or (isinstance(number, int) and number in pr.closes):
            return pr.number
    return None
