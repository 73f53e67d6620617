"""The Agent Task issue form: its labels, its YAML, and the parser of submitted bodies.

GitHub renders a submitted form as `### <label>` sections (ids are not in the body), so the
labels below are the contract between `.github/ISSUE_TEMPLATE/agent-task.yml` and this parser.
The parser never guesses: every value it cannot read becomes a `Problem` naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

# -- the form contract -------------------------------------------------------------------------
LABEL_AGENT = "Assigned Agent"
LABEL_SPEC = "What should the agent do?"
LABEL_ACCEPTANCE = "Acceptance criteria"
LABEL_DEADLINE = "Deadline"
LABEL_DEPENDENCIES = "Dependencies"
LABEL_PRIORITY = "Priority"
LABEL_CAPABILITIES = "Required capabilities"
LABEL_KIND = "Kind"
# The task's own pipeline (issue 15): which configured agent reviews the PR, fixes its CI and
# resolves its conflicts, overriding agentops.yaml's `pipeline` for this task only. The author is
# the Assigned Agent. "default" (or no answer) keeps agentops.yaml's choice.
LABEL_REVIEW_AGENT = "Review agent"
LABEL_CI_FIX_AGENT = "CI fix agent"
LABEL_CONFLICTS_AGENT = "Conflicts agent"
PIPELINE_LABELS: dict[str, str] = {"review": LABEL_REVIEW_AGENT, "ci_fix": LABEL_CI_FIX_AGENT,
                                   "conflicts": LABEL_CONFLICTS_AGENT}
PIPELINE_DEFAULT = "default"
FORM_LABELS: tuple[str, ...] = (LABEL_AGENT, LABEL_SPEC, LABEL_ACCEPTANCE, LABEL_DEADLINE, LABEL_DEPENDENCIES,
                                LABEL_PRIORITY, LABEL_CAPABILITIES, LABEL_KIND, LABEL_REVIEW_AGENT,
                                LABEL_CI_FIX_AGENT, LABEL_CONFLICTS_AGENT)
# code: the task ends in a pull request. investigation: no code is expected; the run's report is
# the result, posted on the issue, which then closes.
KINDS: tuple[str, ...] = ("code", "investigation")
DEFAULT_KIND = "code"

TASK_LABEL = "agent-task"
ANY_AGENT = "any"
PRIORITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
DEFAULT_PRIORITY = "medium"
EXAMPLE_AGENTS: tuple[str, ...] = ("claude", "codex", "aider")
# GitHub refuses issue bodies above 65536 characters; agentops reads at most 64 KiB of UTF-8, so one
# issue costs bounded parsing whatever it is written in.
MAX_BODY_BYTES = 64 * 1024
# Each dependency outside the open task set may cost a look-up; an issue naming more is a form
# problem (and costs none), so one issue cannot spend the repository's rate limit.
MAX_DEPENDENCIES = 50

_NO_RESPONSE = {"_no response_", "no response", "none", "n/a", "na", "-", ""}
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_BULLET_RE = re.compile(r"^\s*(?:[-*+\u2022\u2023\u25e6\u2043]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
_CHECKBOX_RE = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+(.*)$")
_DEP_LOCAL_RE = re.compile(r"^#(\d+)$")
_DEP_REPO_RE = re.compile(r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#(\d+)$")
_DEP_URL_RE = re.compile(r"^https?://github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/(?:issues|pull)/(\d+)/?$")
_CAP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# A spec that asks to create, read, print or rotate secrets is held for a human (needs-human).
_SECRET_NOUN = (r"(?:secrets?|credentials?|api[ _-]?keys?|access[ _-]?keys?|private[ _-]?keys?|ssh[ _-]?keys?|"
                r"deploy[ _-]?keys?|signing[ _-]?keys?|passwords\b|passphrases?|"
                r"(?:auth|access|api|bearer|github|gh|oauth|personal[ _-]access|npm|pypi)[ _-]?tokens?|\bpats?\b|"
                r"\.env\b)")
_SECRET_VERB = (r"(?:creat\w*|generat\w*|read\w*|rotat\w*|regenerat\w*|revok\w*|print\w*|dump\w*|reveal\w*|"
                r"expos\w*|exfiltrat\w*|leak\w*|export\w*|send\w*|upload\w*|fetch\w*|retriev\w*|"
                r"cop(?:y|ies|ied)|echo\w*|output\w*|display\w*|decrypt\w*|extract\w*|steal\w*|mint\w*|"
                r"issu(?:e|es|ing)|renew\w*|replac\w*)")
_SECRET_RE = re.compile(rf"\b{_SECRET_VERB}\b(?:\W+\w+){{0,4}}?\W+{_SECRET_NOUN}|"
                        rf"\b{_SECRET_NOUN}(?:\W+\w+){{0,2}}?\W+(?:to\s+be\s+|be\s+|is\s+|are\s+)?"
                        rf"(?:rotat|regenerat|revok|reveal|print|dump|leak|exfiltrat)\w*", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    field: str  # the form label (or "body")
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class WorkOrder:
    """What an `agent-task` issue asks for. `problems` non-empty means the task is held."""

    from_form: bool
    agent: str  # a configured agent name, or "any"
    spec: str  # the text of "What should the agent do?" (or the whole body without the form)
    steps: tuple[str, ...]
    acceptance: tuple[str, ...]
    deadline: dt.datetime | None
    dependencies: tuple[str, ...]  # "owner/repo#N", deduplicated, in the order written
    priority: str | None  # None: not given in the form (labels or the default decide)
    capabilities: tuple[str, ...]
    problems: tuple[Problem, ...]
    kind: str = DEFAULT_KIND
    # (stage, agent) for the stages this task sets (review, ci_fix, conflicts); only configured
    # agent names ever get here.
    pipeline: tuple[tuple[str, str], ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems


# -- text hygiene ------------------------------------------------------------------------------
def clean_text(body: str | bytes | None) -> str:
    """Text that is safe to store and to print: valid UTF-8, LF line ends, no control characters."""
    if body is None:
        return ""
    if isinstance(body, bytes):
        text = body.decode("utf-8", errors="replace")
    else:
        text = body.encode("utf-8", errors="replace").decode("utf-8")  # lone surrogates become "?"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("", text)


def _norm_label(text: str) -> str:
    t = re.sub(r"[*_`]", "", text).strip().casefold()
    t = re.sub(r"\s+", " ", t)
    return t.rstrip(" :?.!")


_LABEL_INDEX = {_norm_label(label): label for label in FORM_LABELS}
_LABEL_INDEX.update({
    "agent": LABEL_AGENT, "assigned agents": LABEL_AGENT, "assignee agent": LABEL_AGENT,
    "what should the agent do": LABEL_SPEC, "task": LABEL_SPEC, "description": LABEL_SPEC,
    "acceptance criterion": LABEL_ACCEPTANCE, "acceptance": LABEL_ACCEPTANCE,
    "due": LABEL_DEADLINE, "due date": LABEL_DEADLINE,
    "depends on": LABEL_DEPENDENCIES, "dependencies (optional)": LABEL_DEPENDENCIES,
    "capabilities": LABEL_CAPABILITIES,
    "reviewer": LABEL_REVIEW_AGENT, "reviewer agent": LABEL_REVIEW_AGENT, "review agents": LABEL_REVIEW_AGENT,
    "ci fixer": LABEL_CI_FIX_AGENT, "ci-fix agent": LABEL_CI_FIX_AGENT, "ci fixer agent": LABEL_CI_FIX_AGENT,
    "conflict resolver": LABEL_CONFLICTS_AGENT, "conflict agent": LABEL_CONFLICTS_AGENT,
    "conflicts resolver": LABEL_CONFLICTS_AGENT,
})


def split_sections(text: str) -> tuple[str, dict[str, str]]:
    """(text before the first form heading, {form label: section text}).

    Headings that are not form labels (any level) stay inside the section they appear in, so a
    hand-added `### Notes` does not cut the spec short. A repeated label keeps its first section.
    """
    preamble: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] = preamble
    in_fence = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        m = None if in_fence else _HEADING_RE.match(line)
        label = _LABEL_INDEX.get(_norm_label(m.group(2))) if m else None
        if label is not None and label not in sections:
            current = sections.setdefault(label, [])
            continue
        current.append(line.rstrip())
    return "\n".join(preamble).strip(), {k: "\n".join(v).strip() for k, v in sections.items()}


def _first_line(value: str) -> str:
    """Single-line fields (inputs, dropdowns): text a person added below the answer is ignored."""
    return next((ln.strip() for ln in value.split("\n") if ln.strip()), "")


def _is_empty(value: str) -> bool:
    return value.strip().casefold() in _NO_RESPONSE


def bullet_items(text: str) -> tuple[str, ...]:
    """Bullets (`-`, `*`, `+`, `•`, `1.`, checkboxes) as items; indented lines continue the item
    above; plain lines outside any list are items of their own."""
    items: list[str] = []
    in_fence = False
    for raw in text.split("\n"):
        if raw.strip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or not raw.strip():
            continue
        m = _BULLET_RE.match(raw)
        if m:
            if m.group(1).strip():
                items.append(m.group(1).strip())
        elif items and raw[:1] in (" ", "\t"):
            items[-1] = f"{items[-1]} {raw.strip()}"
        else:
            items.append(raw.strip())
    return tuple(items)


def parse_deadline(value: str) -> tuple[dt.datetime | None, str | None]:
    """(deadline in UTC, problem). A bare date means the end of that day, UTC."""
    v = value.strip().strip("`").strip()
    if _is_empty(v):
        return None, None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        try:
            d = dt.date.fromisoformat(v)
        except ValueError as exc:
            return None, f"{v!r} is not a valid date ({exc})"
        return _in_range(dt.datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=dt.UTC), v)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?", v,
                        flags=re.IGNORECASE):
        return None, f"{_short(v)!r} is not an ISO-8601 date or date-time (e.g. 2026-03-31 or 2026-03-31T17:00Z), nor `none`"
    try:
        parsed = dt.datetime.fromisoformat(v.upper().replace(" ", "T") if v[-1:] in "zZ" else v.replace(" ", "T"))
    except ValueError as exc:
        return None, f"{_short(v)!r} is not a valid date-time ({exc})"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        utc = parsed.astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is past the last representable moment
        return None, f"{_short(v)!r} is out of range"
    return _in_range(utc, v)


def _in_range(deadline: dt.datetime, text: str) -> tuple[dt.datetime | None, str | None]:
    # Year 9999 leaves no room for the date arithmetic done on deadlines (overdue, escalation).
    if deadline.year >= 9999:
        return None, f"{_short(text)!r} is out of range (the year must be before 9999)"
    return deadline, None


def parse_dependency(token: str, repo: str) -> str | None:
    t = token.strip().strip("`").strip()
    for rx, has_repo in ((_DEP_LOCAL_RE, False), (_DEP_REPO_RE, True), (_DEP_URL_RE, True)):
        m = rx.match(t)
        if m:
            number = int(m.group(2) if has_repo else m.group(1))
            if number < 1:
                return None
            return f"{m.group(1) if has_repo else repo}#{number}"
    return None


def parse_dependencies(text: str, repo: str, number: int) -> tuple[tuple[str, ...], list[Problem]]:
    deps: list[str] = []
    problems: list[Problem] = []
    own = f"{repo}#{number}".casefold()
    seen: set[str] = set()
    for lineno, raw in enumerate(text.split("\n"), start=1):
        m = _BULLET_RE.match(raw)
        line = (m.group(1) if m else raw).strip()
        if _is_empty(line):
            continue
        for token in re.split(r"[,;]|\s+", line):
            if not token.strip():
                continue
            key = parse_dependency(token, repo)
            if key is None:
                problems.append(Problem(LABEL_DEPENDENCIES, f"line {lineno}: {_short(token)!r} is not "
                                        "#N, owner/repo#N or an issue URL"))
            elif key.casefold() == own:
                problems.append(Problem(LABEL_DEPENDENCIES, f"line {lineno}: {token.strip()} is this issue itself"))
            elif key.casefold() not in seen:
                seen.add(key.casefold())
                deps.append(key)
    if len(deps) > MAX_DEPENDENCIES:
        problems.append(Problem(LABEL_DEPENDENCIES, f"{len(deps)} dependencies; at most {MAX_DEPENDENCIES} per "
                                "task (split the work into several tasks, or use an epic)"))
        deps = []
    return tuple(deps), problems


def _short(text: str, limit: int = 60) -> str:
    t = text.strip()
    return t if len(t) <= limit else t[: limit - 1] + "…"


def parse_work_order(body: str | bytes | None, *, repo: str, number: int,
                     known_agents: Sequence[str] = ()) -> WorkOrder:
    """Parse an issue body. `known_agents` empty means any agent name is accepted."""
    text = clean_text(body)
    problems: list[Problem] = []
    size = len(text.encode("utf-8", "replace"))
    if size > MAX_BODY_BYTES:
        problems.append(Problem("body", f"{size} bytes; agentops reads work orders of at most {MAX_BODY_BYTES} "
                                "bytes (64 KiB): shorten it or split it into several tasks"))
        return WorkOrder(False, ANY_AGENT, "", (), (), None, (), None, (), tuple(problems))
    preamble, sections = split_sections(text)
    if not sections:
        spec = text.strip()
        if not spec:
            problems.append(Problem("body", "empty: the issue says nothing for the agent to do"))
        return WorkOrder(False, ANY_AGENT, spec, bullet_items(spec), (), None, (), None, (), tuple(problems))

    agent = _agent_answer(sections, LABEL_AGENT, ANY_AGENT, known_agents, problems, strict=False) or ANY_AGENT

    spec = sections.get(LABEL_SPEC, "")
    if _is_empty(spec):
        spec = ""
        if LABEL_SPEC in sections:
            problems.append(Problem(LABEL_SPEC, "empty: say what the agent should do"))
        elif preamble:
            spec = preamble  # a hand-written body with only some form sections
        else:
            problems.append(Problem(LABEL_SPEC, "missing section `### What should the agent do?`"))
    acceptance_text = sections.get(LABEL_ACCEPTANCE, "")
    acceptance = () if _is_empty(acceptance_text) else bullet_items(acceptance_text)

    deadline, deadline_problem = parse_deadline(_first_line(sections.get(LABEL_DEADLINE, "")))
    if deadline_problem:
        problems.append(Problem(LABEL_DEADLINE, deadline_problem))

    dependencies, dep_problems = parse_dependencies(sections.get(LABEL_DEPENDENCIES, ""), repo, number)
    problems.extend(dep_problems)

    priority: str | None = None
    raw_priority = _first_line(sections.get(LABEL_PRIORITY, "")).strip("`*_ ")
    if not _is_empty(raw_priority):
        p = raw_priority.casefold()
        p = p[len("priority:"):].strip() if p.startswith("priority:") else p
        if p in PRIORITIES:
            priority = p
        else:
            problems.append(Problem(LABEL_PRIORITY, f"{_short(raw_priority)!r} is not one of {', '.join(PRIORITIES)}"))

    caps: list[str] = []
    raw_caps = _first_line(sections.get(LABEL_CAPABILITIES, ""))
    if not _is_empty(raw_caps):
        for token in raw_caps.split(","):
            m = _BULLET_RE.match(token)
            cap = (m.group(1) if m else token).strip().strip("`").strip()
            if not cap or _is_empty(cap):
                continue
            if not _CAP_RE.match(cap):
                problems.append(Problem(LABEL_CAPABILITIES, f"{_short(cap)!r} is not a capability name"))
            elif cap.casefold() not in caps:
                caps.append(cap.casefold())

    kind = DEFAULT_KIND
    raw_kind = _first_line(sections.get(LABEL_KIND, "")).strip("`*_ ")
    if not _is_empty(raw_kind):
        if raw_kind.casefold() in KINDS:
            kind = raw_kind.casefold()
        else:
            problems.append(Problem(LABEL_KIND, f"{_short(raw_kind)!r} is not one of {', '.join(KINDS)}"))

    pipeline = _pipeline_answers(sections, agent, known_agents, problems)
    return WorkOrder(True, agent, spec, bullet_items(spec), acceptance, deadline, dependencies, priority,
                     tuple(caps), _bounded(problems), kind, pipeline)


_AGENT_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _agent_answer(sections: dict[str, str], label: str, wildcard: str, known_agents: Sequence[str],
                  problems: list[Problem], *, strict: bool) -> str | None:
    """One agent name from a single-line field: None for no answer (or the wildcard: "any",
    "default"). `strict`: the name must be a configured agent even when none is configured (a
    pipeline stage sends work to that agent; nothing may name one agentops.yaml does not have)."""
    raw = _first_line(sections.get(label, ""))
    if _is_empty(raw):
        return None
    name = raw.strip("`*_ ")
    if name.casefold() == wildcard:
        return None
    if "," in name or " " in name:
        problems.append(Problem(label, f"expected one agent name, got {_short(raw)!r}"))
    elif (known_agents or strict) and name not in known_agents:
        listed = ", ".join(known_agents) if known_agents else "none"
        problems.append(Problem(label, f"unknown agent {_short(name)!r} (configured: {listed}, or {wildcard})"))
    elif not _AGENT_NAME_RE.fullmatch(name):
        problems.append(Problem(label, f"{_short(name)!r} is not an agent name"))
    else:
        return name
    return None


def _pipeline_answers(sections: dict[str, str], author: str, known_agents: Sequence[str],
                      problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for stage, label in PIPELINE_LABELS.items():
        name = _agent_answer(sections, label, PIPELINE_DEFAULT, known_agents, problems, strict=True)
        if name is None:
            continue
        if stage == "review" and name == author:
            # The gate is held by a second agent, never by the one whose work it judges.
            problems.append(Problem(label, f"{name!r} is the Assigned Agent: a task's work is reviewed by "
                                    "another agent"))
            continue
        out.append((stage, name))
    return tuple(out)


MAX_PROBLEMS = 10


def _bounded(problems: list[Problem]) -> tuple[Problem, ...]:
    """At most MAX_PROBLEMS, then one line counting the rest: the status comment stays short
    however broken the form is."""
    if len(problems) <= MAX_PROBLEMS:
        return tuple(problems)
    rest = len(problems) - MAX_PROBLEMS + 1
    return (*problems[:MAX_PROBLEMS - 1], Problem("form", f"and {rest} more problems"))


def mentions_secrets(text: str) -> bool:
    """True when a spec asks to create, read, print or rotate secrets or credentials."""
    return bool(_SECRET_RE.search(text))


# -- the form itself -----------------------------------------------------------------------------
def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def render_agent_task_form(agent_names: Sequence[str]) -> str:
    """The `.github/ISSUE_TEMPLATE/agent-task.yml` text for these agents (plus "any" first)."""
    options: list[str] = [ANY_AGENT]
    for name in agent_names:
        # "None" is reserved by GitHub in dropdowns; duplicates are rejected.
        if name and name.casefold() != "none" and name not in options:
            options.append(name)
    opts = "\n".join(f"        - {_q(o)}" for o in options)
    prios = "\n".join(f"        - {_q(p)}" for p in PRIORITIES)
    kinds = "\n".join(f"        - {_q(k)}" for k in KINDS)
    stages = _stage_dropdowns(options[1:])
    return f"""# Generated by agentops (domain/workorder.py render_agent_task_form); `agentops init` rewrites
# the agent list from agentops.yaml. Field labels are what the parser reads: keep them.
name: Agent Task
description: A work order for an agentops coding agent.
title: "[Agent Task]: "
labels: [{_q(TASK_LABEL)}]
body:
  - type: markdown
    attributes:
      value: |
        Describe one unit of work. An agent claims it when its dependencies are closed.
        Tasks from authors without write access wait for a maintainer's approval label.
  - type: dropdown
    id: agent
    attributes:
      label: {_q(LABEL_AGENT)}
      description: Which configured agent should do this ("any" lets agentops choose).
      options:
{opts}
      default: 0
    validations:
      required: true
  - type: textarea
    id: spec
    attributes:
      label: {_q(LABEL_SPEC)}
      description: One bullet per step.
      placeholder: |
        - Add a --dry-run flag to `deploy`
        - Document it in README.md
    validations:
      required: true
  - type: textarea
    id: acceptance
    attributes:
      label: {_q(LABEL_ACCEPTANCE)}
      description: How a reviewer knows it is done (one per line).
      placeholder: |
        - `deploy --dry-run` changes nothing and exits 0
    validations:
      required: false
  - type: input
    id: deadline
    attributes:
      label: {_q(LABEL_DEADLINE)}
      description: ISO-8601 date or date-time (UTC unless an offset is given), or `none`.
      placeholder: "2026-03-31 or 2026-03-31T17:00Z or none"
    validations:
      required: false
  - type: textarea
    id: dependencies
    attributes:
      label: {_q(LABEL_DEPENDENCIES)}
      description: Issues that must be closed first, `#12` or `owner/repo#34`, one per line or comma-separated.
      placeholder: "#12, octo/lib#34"
    validations:
      required: false
  - type: dropdown
    id: priority
    attributes:
      label: {_q(LABEL_PRIORITY)}
      options:
{prios}
      default: 2
    validations:
      required: true
  - type: input
    id: capabilities
    attributes:
      label: {_q(LABEL_CAPABILITIES)}
      description: Optional, comma-separated (e.g. python, frontend); matched against the agents' capabilities.
    validations:
      required: false
  - type: dropdown
    id: kind
    attributes:
      label: {_q(LABEL_KIND)}
      description: code ends in a pull request; investigation ends with the agent's report on this issue.
      options:
{kinds}
      default: 0
    validations:
      required: false
{stages}"""


_STAGE_FIELDS = (("review-agent", LABEL_REVIEW_AGENT, "reviews this task's pull request", "pipeline.review"),
                 ("ci-fix-agent", LABEL_CI_FIX_AGENT, "fixes failing CI on this task's pull request", "pipeline.ci_fix"),
                 ("conflicts-agent", LABEL_CONFLICTS_AGENT, "resolves merge conflicts on this task's pull request",
                  "pipeline.conflicts"))


def _stage_dropdowns(agent_names: Sequence[str]) -> str:
    """The per-task pipeline dropdowns: "default" first (agentops.yaml's choice), then the agents.
    An agent named "default" cannot be picked per task (the word keeps agentops.yaml's choice)."""
    opts = "\n".join(f"        - {_q(o)}" for o in
                     [PIPELINE_DEFAULT, *(o for o in agent_names if o.casefold() != PIPELINE_DEFAULT)])
    return "".join(f"""  - type: dropdown
    id: {field_id}
    attributes:
      label: {_q(label)}
      description: Which agent {what} ("default" keeps agentops.yaml's {setting}).
      options:
{opts}
      default: 0
    validations:
      required: false
""" for field_id, label, what, setting in _STAGE_FIELDS)
