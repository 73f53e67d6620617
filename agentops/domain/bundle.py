"""The bundle an unprivileged phase hands to the publish phase: `bundle.json` (plus, for `code` and
its rounds on a PR, a git bundle of the commits; for `review`, the review agent's verdict document). Whoever wrote it may have been hostile (the agent job, a PR's gates),
so it is parsed as untrusted data: every field typed and bounded; a problem is exit 2 naming the
file and field. Pure: the caller reads the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentops.errors import BadInput

SCHEMA_VERSION = 1
MAX_JSON_BYTES = 2 * 1024 * 1024
_SHA = re.compile(r"[0-9a-f]{40}")
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
_BRANCH = re.compile(r"agentops/(\d+)-[a-z0-9-]{1,40}")
# A pull request's head branch (a round works on any open PR agentops may revise): a plain git ref
# name, no `..`, no leading `-` or `/`, nothing git would read as an option or a revision range.
_HEAD_REF = re.compile(r"(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}(?<![/.])")
ROUND_KINDS = ("review", "ci", "conflict")
MAX_VERDICT = 256 * 1024


@dataclass(frozen=True)
class CodeBundle:
    repo: str
    issue: int
    branch: str
    base_sha: str
    head_sha: str
    agent: str
    backend: str
    summary: str
    cost_usd: float | None
    turns: int | None
    attempt: int
    run: str | None = None  # the agent run's id, as in the costs log: publish records its cost once


@dataclass(frozen=True)
class RoundBundle:
    """One review / CI-fix / conflict round's commit on a PR's branch, made by the agent phase."""

    repo: str
    pr: int
    feedback: str  # what the round answered: review | ci | conflict
    issue: int | None
    branch: str  # the PR's head branch
    base_sha: str  # the PR's head when the round started: what the round's commit builds on
    head_sha: str
    agent: str
    backend: str
    summary: str
    cost_usd: float | None
    turns: int | None
    # What the round's feedback covered, so the next round only sees what is new: review_id,
    # comment_id, pr_comment_id (review rounds), ci_sha (CI), conflict_base (the base merged in).
    covered: tuple[tuple[str, int | str], ...]
    run: str | None = None


@dataclass(frozen=True)
class ReviewBundle:
    """The review agent's verdict on one head of a PR, as the agent wrote it (re-checked at publish)."""

    repo: str
    pr: int
    sha: str
    agent: str
    verdict: str  # the verdict document (JSON text), parsed again against the diff publish computes
    cost_usd: float | None


@dataclass(frozen=True)
class TestBundle:
    __test__ = False

    repo: str
    pr: int
    sha: str
    passed: bool
    markdown: str
    description: str
    annotations: tuple[tuple[str, str, str | None, int | None, str | None], ...]  # level, message, file, line, title


class _Fields:
    def __init__(self, name: str, data: Mapping[str, Any]) -> None:
        self.name, self.data = name, data

    def bad(self, field: str, why: str) -> BadInput:
        return BadInput(f"{self.name}: field {field!r} {why}", hint="the bundle is refused; nothing was published")

    def text(self, field: str, limit: int, pattern: re.Pattern[str] | None = None, *, empty: bool = False) -> str:
        value = self.data.get(field)
        if not isinstance(value, str) or len(value) > limit or (not empty and not value):
            raise self.bad(field, f"must be a string of at most {limit} characters")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.bad(field, "has an invalid form")
        return value

    def optional_text(self, field: str, limit: int, pattern: re.Pattern[str]) -> str | None:
        return None if self.data.get(field) is None else self.text(field, limit, pattern)

    def integer(self, field: str, *, optional: bool = False) -> int | None:
        value = self.data.get(field)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
            raise self.bad(field, "must be a non-negative integer")
        return value

    def number(self, field: str) -> float | None:
        value = self.data.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
            raise self.bad(field, "must be a non-negative number or null")
        return float(value)


def _load(name: str, raw: bytes, kind: str) -> _Fields:
    if len(raw) > MAX_JSON_BYTES:
        raise BadInput(f"{name}: larger than {MAX_JSON_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadInput(f"{name}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput(f"{name}: expected a JSON object")
    f = _Fields(name, data)
    if data.get("schema_version") != SCHEMA_VERSION:
        raise f.bad("schema_version", f"must be {SCHEMA_VERSION}")
    if data.get("kind") != kind:
        raise f.bad("kind", f"must be {kind!r}")
    return f


def parse_code_bundle(name: str, raw: bytes) -> CodeBundle:
    f = _load(name, raw, "code")
    issue = f.integer("issue") or 0
    branch = f.text("branch", 60, _BRANCH)
    m = _BRANCH.fullmatch(branch)
    if issue < 1 or m is None or int(m.group(1)) != issue:
        raise f.bad("branch", f"must be agentops/{issue}-<slug> for issue {issue}")
    return CodeBundle(
        repo=f.text("repo", 140, _REPO), issue=issue, branch=branch, base_sha=f.text("base_sha", 40, _SHA),
        head_sha=f.text("head_sha", 40, _SHA), agent=f.text("agent", 64, _NAME), backend=f.text("backend", 64, _NAME),
        summary=f.text("summary", 8000, empty=True), cost_usd=f.number("cost_usd"), turns=f.integer("turns", optional=True),
        attempt=f.integer("attempt") or 1, run=f.optional_text("run", 200, _RUN),
    )


def parse_test_bundle(name: str, raw: bytes) -> TestBundle:
    f = _load(name, raw, "test")
    passed = f.data.get("passed")
    if not isinstance(passed, bool):
        raise f.bad("passed", "must be true or false")
    notes = f.data.get("annotations")
    if not isinstance(notes, list) or len(notes) > 200:
        raise f.bad("annotations", "must be a list of at most 200 items")
    annotations = []
    for i, item in enumerate(notes):
        g = _Fields(f"{name} annotations[{i}]", item if isinstance(item, dict) else {})
        level = g.text("level", 10)
        if level not in ("error", "warning", "notice"):
            raise g.bad("level", "must be error, warning or notice")
        annotations.append((level, g.text("message", 4000), g.data.get("file") if isinstance(g.data.get("file"), str) else None,
                            g.integer("line", optional=True), g.data.get("title") if isinstance(g.data.get("title"), str) else None))
    pr = f.integer("pr") or 0
    if pr < 1:
        raise f.bad("pr", "must be a pull request number")
    return TestBundle(repo=f.text("repo", 140, _REPO), pr=pr, sha=f.text("sha", 40, _SHA), passed=passed,
                      markdown=f.text("markdown", 60_000), description=f.text("description", 140, empty=True),
                      annotations=tuple(annotations))


_COVERED_IDS = ("review_id", "comment_id", "pr_comment_id")


def parse_round_bundle(name: str, raw: bytes) -> RoundBundle:
    f = _load(name, raw, "round")
    kind = f.text("feedback", 10)
    if kind not in ROUND_KINDS:
        raise f.bad("feedback", f"must be one of {', '.join(ROUND_KINDS)}")
    pr = f.integer("pr") or 0
    if pr < 1:
        raise f.bad("pr", "must be a pull request number")
    issue = f.integer("issue", optional=True)
    covered = f.data.get("covered")
    if not isinstance(covered, dict):
        raise f.bad("covered", "must be an object")
    g = _Fields(f"{name} covered", covered)
    allowed = {"review": _COVERED_IDS, "ci": ("ci_sha",), "conflict": ("conflict_base",)}[kind]
    extra = sorted(set(covered) - set(allowed))
    if extra:
        raise g.bad(extra[0], f"is not something a {kind} round covers")
    values: list[tuple[str, int | str]] = []
    for key in allowed:
        if kind == "review":
            values.append((key, g.integer(key) or 0))
        else:
            values.append((key, g.text(key, 40, _SHA)))
    return RoundBundle(
        repo=f.text("repo", 140, _REPO), pr=pr, feedback=kind, issue=issue or None, branch=f.text("branch", 200, _HEAD_REF),
        base_sha=f.text("base_sha", 40, _SHA), head_sha=f.text("head_sha", 40, _SHA), agent=f.text("agent", 64, _NAME),
        backend=f.text("backend", 64, _NAME), summary=f.text("summary", 8000, empty=True),
        cost_usd=f.number("cost_usd"), turns=f.integer("turns", optional=True), covered=tuple(values),
        run=f.optional_text("run", 200, _RUN),
    )


def parse_review_bundle(name: str, raw: bytes) -> ReviewBundle:
    f = _load(name, raw, "review")
    pr = f.integer("pr") or 0
    if pr < 1:
        raise f.bad("pr", "must be a pull request number")
    return ReviewBundle(repo=f.text("repo", 140, _REPO), pr=pr, sha=f.text("sha", 40, _SHA),
                        agent=f.text("agent", 64, _NAME), verdict=f.text("verdict", MAX_VERDICT),
                        cost_usd=f.number("cost_usd"))
