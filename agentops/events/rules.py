"""The routing table: which GitHub event does what. Data, printed by `agentops on-event --rules`
and tested row by row with real webhook payloads (tests/fixtures/webhooks).

A row matches on the event name, its `action` and a guard that reads only the payload; the
first matching row wins. What needs GitHub to decide (does the commenter have write access, is
the task ready and trusted, how many rounds were spent) is the handler's job (router.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from agentops.domain.markers import find_marker
from agentops.domain.workorder import TASK_LABEL

from .payload import Event

FAILED_CONCLUSIONS = frozenset({"failure", "timed_out"})
COMMAND_PREFIX = "/agentops"
COMMANDS = ("retry", "release", "approve")
REVIEW_MARKER = "review"  # agentops review's marker (agentops.commands.review.REVIEW)


@dataclass(frozen=True)
class Rule:
    event: str
    actions: tuple[str, ...]  # empty: any action (or none, as for `schedule`)
    guard: str  # a key of GUARDS
    handler: str  # what router.py does
    does: str  # one line for people

    def matches(self, ev: Event) -> bool:
        return ev.name == self.event and (not self.actions or ev.action in self.actions) and GUARDS[self.guard][0](ev)


def _is_task(ev: Event) -> bool:
    return TASK_LABEL in ev.labels("issue.labels") or ev.get("label.name", required=False) == TASK_LABEL


def _agent_ref(ref: object) -> bool:
    return isinstance(ref, str) and ref.startswith("agentops/")


def _merged(ev: Event) -> bool:
    return ev.get("pull_request.merged", bool, required=False) is True


def _unmerged_agent_pr(ev: Event) -> bool:
    return not _merged(ev) and _agent_ref(ev.get("pull_request.head.ref", required=False))


def _changes_requested(ev: Event) -> bool:
    state = ev.get("review.state", required=False)
    if not isinstance(state, str) or not _agent_ref(ev.get("pull_request.head.ref", required=False)):
        return False
    # The review agent's verdict on agentops's own PR arrives as a COMMENT review (GitHub refuses a
    # change request on one's own PR) carrying it in its marker; the handler checks who wrote it.
    return state.lower() == "changes_requested" or (state.lower() == "commented" and review_verdict_asks_changes(
        ev.get("review.body", required=False)))


def review_verdict_asks_changes(body: object) -> bool:
    return isinstance(body, str) and find_marker(body, REVIEW_MARKER, verdict="request_changes") is not None


def _agent_pr_head(ev: Event) -> bool:
    return _agent_ref(ev.get("pull_request.head.ref", required=False)) \
        and ev.get("pull_request.draft", bool, required=False) is not True


def _review_comment(ev: Event) -> bool:
    return _agent_ref(ev.get("pull_request.head.ref", required=False))


def command_of(body: object) -> str | None:
    """`/agentops retry` (first line, first word after the prefix) -> "retry"; None otherwise."""
    if not isinstance(body, str):
        return None
    words = body.strip().split("\n", 1)[0].split()
    if len(words) >= 2 and words[0] == COMMAND_PREFIX and words[1] in COMMANDS:
        return words[1]
    return None


def _command(ev: Event) -> bool:
    return command_of(ev.get("comment.body", required=False)) is not None


def _pr_comment(ev: Event) -> bool:
    issue = ev.get("issue", dict, required=False) or {}
    return isinstance(issue.get("pull_request"), Mapping)


def _failed(field: str) -> Callable[[Event], bool]:
    def guard(ev: Event) -> bool:
        return ev.get(f"{field}.conclusion", required=False) in FAILED_CONCLUSIONS
    return guard


def _always(ev: Event) -> bool:
    return True


# name -> (predicate, how the table says it)
GUARDS: dict[str, tuple[Callable[[Event], bool], str]] = {
    "task": (_is_task, f"the issue is labelled `{TASK_LABEL}`"),
    "merged": (_merged, "merged"),
    "unmerged-agent-pr": (_unmerged_agent_pr, "not merged, head branch agentops/*"),
    "changes-requested": (_changes_requested, "changes requested on an agent PR (a person, or the review agent)"),
    "agent-pr-head": (_agent_pr_head, "an agent PR (not a draft) with a new head"),
    "review-comment": (_review_comment, "on an agent PR"),
    "command": (_command, f"body starts `{COMMAND_PREFIX} " + "|".join(COMMANDS) + "`"),
    "pr-comment": (_pr_comment, "on a pull request"),
    "check-suite-failed": (_failed("check_suite"), "conclusion failure | timed_out"),
    "check-run-failed": (_failed("check_run"), "conclusion failure | timed_out"),
    "workflow-run-failed": (_failed("workflow_run"), "conclusion failure | timed_out"),
    "always": (_always, ""),
}

RULES: tuple[Rule, ...] = (
    Rule("issues", ("opened", "labeled", "unlabeled", "edited", "reopened"), "task", "sync",
         "sync the task; if ready and trusted, dispatch it to its agent"),
    Rule("issues", ("closed",), "task", "complete",
         "complete the task; dispatch every dependent that became ready"),
    Rule("pull_request", ("closed",), "merged", "merged",
         "complete the agent PR's task (its issue closed once); dispatch dependents that became ready; "
         "each open agent PR that no longer merges gets one resolve-conflicts round (bounded)"),
    Rule("pull_request", ("opened", "synchronize", "reopened", "ready_for_review"), "agent-pr-head", "review",
         "with pipeline.review (or the task form's Review agent) set: one review by the review agent per PR head (not a remediation round)"),
    Rule("pull_request", ("closed",), "unmerged-agent-pr", "rejected",
         "attempt counted; the task back in the queue (dispatched again), needs-human after max_attempts"),
    Rule("pull_request_review", ("submitted",), "changes-requested", "address-review",
         "from a user with write access: one --address-review round per PR head (bounded by code.max_rounds)"),
    Rule("pull_request_review_comment", ("created",), "review-comment", "address-review",
         "from a user with write access: one --address-review round per PR head (bounded)"),
    Rule("issue_comment", ("created",), "command", "command",
         "from a maintainer: retry (clear attempts, dispatch), release (free the claim), approve (approval label)"),
    Rule("issue_comment", ("created",), "pr-comment", "address-review",
         "on an agent PR, from a user with write access: one --address-review round per PR head (bounded)"),
    Rule("check_suite", ("completed",), "check-suite-failed", "fix-ci",
         "on an agent PR's head: one --fix-ci round per head (bounded by code.max_rounds), by pipeline.ci_fix; "
         "a failure of known-flaky tests only is re-run once instead"),
    Rule("check_run", ("completed",), "check-run-failed", "fix-ci",
         "on an agent PR's head: one --fix-ci round per head (bounded)"),
    Rule("workflow_run", ("completed",), "workflow-run-failed", "fix-ci",
         "on an agent PR's head: one --fix-ci round per head (bounded)"),
    Rule("schedule", (), "always", "tick",
         "tick (expire leases and lost dispatches, re-queue, escalate), then dispatch ready tasks without a run, "
         "and read again the agent PRs whose `mergeable` was still null (a conflicts round if it is now `false`)"),
    Rule("workflow_dispatch", (), "always", "tick",
         "run by hand: the same as schedule"),
)


def match(ev: Event) -> Rule | None:
    return next((r for r in RULES if r.matches(ev)), None)


def table() -> list[tuple[str, str, str, str]]:
    """(event, actions, when, does) rows, for --rules and the README."""
    return [(r.event, ", ".join(r.actions) or "-", GUARDS[r.guard][1] or "-", r.does) for r in RULES]


EVENTS = frozenset(r.event for r in RULES)
