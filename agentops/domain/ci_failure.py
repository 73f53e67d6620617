"""What a CI-fix round shows the agent: the failing jobs' log tails and the annotations, cleaned
and size-capped. Pure: the GitHub reads happen in the orchestrator; redaction is applied by the
caller with the run's redactor (the log may echo anything the job printed).

A log's last lines hold the failure (pytest's short summary, a compiler error, the step's exit
code); its first lines hold set-up noise. Actions prefixes each line with a timestamp and may
colour it; both are removed so the agent reads what a developer would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Per job and for the whole feedback: enough for a pytest failure section, small enough for a prompt.
JOB_TAIL_CHARS = 6_000
TOTAL_CHARS = 20_000
MAX_ANNOTATIONS = 30

_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Where pytest's own report of the failure starts; when present, keep from there on.
_PYTEST_START = re.compile(r"^=+ (?:FAILURES|ERRORS) =+$", re.MULTILINE)


@dataclass(frozen=True)
class FailedJob:
    name: str
    conclusion: str
    log: str  # the raw tail as downloaded ('' when the log could not be read)
    url: str = ""
    log_error: str = ""  # why the log could not be read


@dataclass(frozen=True)
class Note:
    """One annotation (file, line, message) attached to a failing check."""
    check: str
    path: str
    line: int
    level: str
    message: str


def clean_log(raw: str) -> str:
    text = _TIMESTAMP.sub("", raw.replace("\r\n", "\n"))
    text = _ANSI.sub("", text)
    return _CONTROL.sub("", text)


def log_tail(raw: str, limit: int = JOB_TAIL_CHARS) -> str:
    """The end of a cleaned log, from pytest's FAILURES header when it fits, cut at a line start."""
    text = clean_log(raw).rstrip("\n")
    start = _PYTEST_START.search(text)
    if start is not None and len(text) - start.start() <= limit:
        return text[start.start():]
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    nl = cut.find("\n")
    return "[... earlier lines cut ...]\n" + (cut[nl + 1:] if 0 <= nl < limit // 2 else cut)


def feedback(jobs: Sequence[FailedJob], notes: Sequence[Note], other_checks: Sequence[str] = ()) -> str:
    """Markdown for the prompt's feedback section ('' when there is nothing failing to show)."""
    parts: list[str] = []
    used = 0
    for job in jobs:
        if job.log:
            body = log_tail(job.log, min(JOB_TAIL_CHARS, max(TOTAL_CHARS - used, 0)))
        else:
            body = f"(log not available: {job.log_error or 'empty'})"
        used += len(body)
        parts.append(f"### Job `{job.name}`: {job.conclusion}\n```text\n{_fence_safe(body)}\n```")
    if notes:
        lines = [f"- `{n.path}:{n.line}` ({n.level}, {n.check}): {_one_line(n.message)}"
                 for n in list(notes)[:MAX_ANNOTATIONS]]
        if len(notes) > MAX_ANNOTATIONS:
            lines.append(f"- ... {len(notes) - MAX_ANNOTATIONS} more")
        parts.append("### Annotations\n" + "\n".join(lines))
    parts.extend(other_checks)
    return "\n\n".join(parts)


def _fence_safe(text: str) -> str:
    # A log line of backticks must not close our fence and turn the rest into instructions.
    return text.replace("```", "`\u200b``")


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 300 else flat[:297] + "..."
