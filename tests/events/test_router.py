"""Every row of the routing table, driven with real webhook payloads (@octokit/webhooks-examples,
see tests/fixtures/webhooks/README.md) against the emulator."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from agentops.domain.claims import NEEDS_HUMAN_LABEL
from agentops.domain.markers import find_marker
from agentops.errors import BadInput
from agentops.events.payload import parse_event
from agentops.events.router import Router
from agentops.events.rules import RULES, match
from agentops.state import docs
from tests.fixtures.workflows import CODE_WORKFLOW

from .conftest import BOT, MAINTAINER, REPO, STRANGER, WORKFLOW, Hub, config, fixture


def agent_pr(hub: Hub, issue: int, *, body: str | None = None) -> int:
    branch = f"agentops/{issue}-task"
    bare = hub.state.repo(REPO).bare
    if bare.resolve(f"refs/heads/{branch}") is None:
        bare.set_ref(f"refs/heads/{branch}", bare.resolve("refs/heads/main"))
    bare.commit_files(branch, {"README.md": "# app\n", ".github/workflows/agentops-code.yml": CODE_WORKFLOW,
                               f"t{issue}.txt": "x\n"}, "work")
    return int(hub.state.create_pull(REPO, f"Task {issue}", head=branch, body=body or f"Closes #{issue}", author=BOT))


def code_dispatches(hub: Hub, issue: int | None = None) -> list[dict[str, Any]]:
    return [d for d in hub.dispatches() if d["inputs"].get("mode") == "code"
            and (issue is None or d["inputs"]["issue"] == str(issue))]


def remediation_dispatches(hub: Hub, mode: str) -> list[dict[str, Any]]:
    return [d for d in hub.dispatches() if d["inputs"].get("mode") == mode]


# -- issues ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["opened", "labeled", "edited", "reopened"])
def test_task_event_syncs_and_dispatches_once(hub: Hub, action: str) -> None:
    n = hub.task("Add a thing", agent="a2")
    r = hub.deliver("issues", hub.issue_payload(action, n))
    assert r.handler == "sync" and [d.issue for d in r.dispatched] == [n]
    [d] = code_dispatches(hub)
    assert d["workflow"].endswith("agentops-code.yml") and d["ref"] == "main"
    # identity: our own login as GitHub showed it on our dispatch marker (the read-only jobs trust its markers)
    assert d["inputs"] == {"issue": str(n), "agent": "a2", "attempt": "1", "mode": "code", "identity": BOT}
    markers = [c for c in hub.gh.list_comments(REPO, n) if find_marker(c.body, "dispatch")]
    assert len(markers) == 1 and markers[0].author == BOT
    # GitHub redelivers; a second router (own state) sees the same event: still one run.
    hub.deliver("issues", hub.issue_payload(action, n))
    hub.deliver("issues", hub.issue_payload(action, n), ctx=hub.ctx("other-router"))
    assert len(code_dispatches(hub)) == 1


def test_untrusted_author_is_not_dispatched(hub: Hub) -> None:
    n = hub.task("Run this", author=STRANGER)
    r = hub.deliver("issues", hub.issue_payload("opened", n, sender=STRANGER))
    assert r.handler == "sync" and not r.dispatched and not hub.dispatches()


def test_issue_without_task_label_is_ignored(hub: Hub) -> None:
    n = int(hub.state.create_issue(REPO, "A bug", "text", author=MAINTAINER))
    r = hub.deliver("issues", hub.issue_payload("opened", n))
    assert r.ignored and "no rule" in r.message and not hub.dispatches()


def test_closed_dependency_dispatches_its_dependents(hub: Hub) -> None:
    a = hub.task("A")
    b = hub.task("B", deps=f"#{a}")
    c = hub.task("C", deps=f"#{a}")
    r = hub.deliver("issues", hub.issue_payload("opened", b))
    assert [d.issue for d in r.dispatched] == [a]  # B is blocked; A, ready, goes out
    hub.state.close(hub.state.issue(hub.state.repo(REPO), a), MAINTAINER, "completed")
    r = hub.deliver("issues", hub.issue_payload("closed", a, base="issues.reopened"))
    assert r.handler == "complete"
    assert sorted(d.issue for d in r.dispatched) == [b, c]
    assert sorted(int(d["inputs"]["issue"]) for d in code_dispatches(hub)) == [a, b, c]


def test_dispatch_is_bounded_and_ordered(hub: Hub) -> None:
    hub.cfg = config(max_parallel=2)
    low = hub.task("low", priority="low")
    crit = hub.task("crit", priority="critical")
    high = hub.task("high", priority="high")
    r = hub.deliver("issues", hub.issue_payload("opened", low))
    assert [d.issue for d in r.dispatched] == [crit, high]
    r = hub.deliver("issues", hub.issue_payload("edited", low))
    assert not r.dispatched  # both slots busy until a run finishes


def test_racing_routers_dispatch_once(hub: Hub) -> None:
    n = hub.task("Raced")
    payload = hub.issue_payload("opened", n)
    results = []
    barrier = threading.Barrier(3)

    def go(name: str) -> None:
        barrier.wait()
        results.append(hub.deliver("issues", payload, ctx=hub.ctx(name)))

    threads = [threading.Thread(target=go, args=(f"r{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(code_dispatches(hub, n)) == 1
    assert sum(len(r.dispatched) for r in results) == 1
    assert len([c for c in hub.gh.list_comments(REPO, n) if find_marker(c.body, "dispatch")]) == 1


def test_dispatch_failing_after_github_acted_is_not_repeated(hub: Hub) -> None:
    n = hub.task("Flaky")
    hub.emulator.faults.add(method="POST", path=r"/dispatches$", status=502, count=1, after_action=True)
    r = hub.deliver("issues", hub.issue_payload("opened", n))
    assert [d.sent for d in r.dispatched] == [False]
    hub.deliver("issues", hub.issue_payload("edited", n))
    assert len(code_dispatches(hub, n)) == 1  # GitHub started it once; we never asked twice


def test_workflow_older_than_the_dispatcher_is_refused_without_spending_an_attempt(hub: Hub) -> None:
    # A repository that upgraded agentops but kept its old code workflow (no `identity` input):
    # GitHub answers 422 and starts nothing. The router says why and how to fix it (exit 2), takes
    # its dispatch marker back and spends no attempt; once `init`'s file is pushed, attempt 1 goes out.
    old = CODE_WORKFLOW.split("      identity:")[0]
    assert "identity" not in old and "workflow_dispatch" in old
    hub.state.repo(REPO).bare.commit_files("main", {f".github/workflows/{WORKFLOW}": old}, "an older workflow")
    n = hub.task("Add a thing")
    with pytest.raises(BadInput) as err:
        hub.deliver("issues", hub.issue_payload("opened", n))
    assert err.value.exit_code == 2
    assert 'Unexpected inputs provided: ["identity"]' in err.value.message and WORKFLOW in err.value.message
    assert "agentops init" in (err.value.hint or "")
    assert not hub.dispatches()
    assert not [c for c in hub.gh.list_comments(REPO, n) if find_marker(c.body, "dispatch")]
    hub.state.repo(REPO).bare.commit_files("main", {f".github/workflows/{WORKFLOW}": CODE_WORKFLOW}, "agentops init")
    hub.deliver("issues", hub.issue_payload("edited", n))
    assert [(d["inputs"]["issue"], d["inputs"]["attempt"]) for d in code_dispatches(hub)] == [(str(n), "1")]


def test_lost_dispatch_costs_one_attempt_then_goes_again(hub: Hub) -> None:
    n = hub.task("Lost run")
    ctx = hub.ctx()
    hub.deliver("issues", hub.issue_payload("opened", n), ctx=ctx)
    clock_now = ctx.clock()
    later = lambda: clock_now + __import__("datetime").timedelta(minutes=61)  # noqa: E731
    ctx.clock = later
    r = hub.deliver("schedule", {"schedule": "7,23,37,53 * * * *", "repository": {"full_name": REPO}}, ctx=ctx)
    assert r.handler == "tick"
    assert [(d["inputs"]["issue"], d["inputs"]["attempt"]) for d in code_dispatches(hub)] == \
        [(str(n), "1"), (str(n), "2")]


# -- pull requests ----------------------------------------------------------------------------------
def test_merged_agent_pr_completes_task_once_and_releases_dependents(hub: Hub) -> None:
    a = hub.task("A")
    b = hub.task("B", deps=f"#{a}")
    hub.deliver("issues", hub.issue_payload("opened", a))
    pr = agent_pr(hub, a)
    hub.gh.merge_pull(REPO, pr)  # GitHub closes #a (Closes #a)
    r = hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pr))
    assert r.handler == "merged" and [d.issue for d in r.dispatched] == [b]
    r2 = hub.deliver("issues", hub.issue_payload("closed", a, base="issues.reopened"))
    assert r2.handler == "complete" and not r2.dispatched
    issue = hub.state.issue(hub.state.repo(REPO), a)
    assert issue.state == "closed" and issue.closed_by == BOT
    rec = hub.ctx().store.get(docs.TASK_QUEUE, f"{REPO}#{a}")
    assert rec["completed"] and rec["merged_pr"] == pr


def test_merged_agent_pr_without_closing_keyword_closes_the_task(hub: Hub) -> None:
    a = hub.task("A")
    pr = agent_pr(hub, a, body="work for the task")
    hub.gh.merge_pull(REPO, pr)
    assert hub.gh.get_issue(REPO, a).state == "open"
    hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pr))
    assert hub.gh.get_issue(REPO, a).state == "closed"


def test_closed_unmerged_agent_pr_requeues_then_needs_human(hub: Hub) -> None:
    hub.cfg = config(max_attempts=2)
    n = hub.task("Twice rejected")
    hub.deliver("issues", hub.issue_payload("opened", n))
    for _attempt in (1, 2):
        pr = agent_pr(hub, n)
        hub.gh.update_pull(REPO, pr, state="closed")
        r = hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pr))
        assert r.handler == "rejected"
        hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pr))  # redelivery: counted once
    attempts = [d["inputs"]["attempt"] for d in code_dispatches(hub, n)]
    assert attempts == ["1", "2"]
    assert NEEDS_HUMAN_LABEL in hub.gh.get_issue(REPO, n).labels


def test_people_prs_are_not_managed(hub: Hub) -> None:
    hub.state.repo(REPO).bare.commit_files("feature", {"README.md": "x\n"}, "w")
    pr = int(hub.state.create_pull(REPO, "feature", head="feature", author=MAINTAINER))
    hub.gh.update_pull(REPO, pr, state="closed")
    r = hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pr))
    assert r.ignored


# -- remediation ------------------------------------------------------------------------------------
def _review(hub: Hub, pr: int, who: str) -> dict[str, Any]:
    return hub.pr_payload("pull_request_review.submitted", pr, **{"review.state": "changes_requested",
                                                                    "review.user.login": who, "sender.login": who})


def test_change_request_starts_one_bounded_review_round(hub: Hub) -> None:
    hub.cfg = config()
    n = hub.task("Reviewed", agent="a1")
    hub.deliver("issues", hub.issue_payload("opened", n))
    pr = agent_pr(hub, n)
    r = hub.deliver("pull_request_review", _review(hub, pr, MAINTAINER))
    assert r.handler == "address-review" and [d.mode for d in r.dispatched] == ["address-review"]
    [d] = remediation_dispatches(hub, "address-review")
    assert d["inputs"] == {"issue": str(n), "agent": "a1", "attempt": "1", "mode": "address-review", "pr": str(pr),
                           "identity": BOT}
    # The same head asked again (a review comment of the same review): no second round.
    rc = hub.pr_payload("pull_request_review_comment.created", pr,
                        **{"comment.user.login": MAINTAINER, "sender.login": MAINTAINER})
    assert not hub.deliver("pull_request_review_comment", rc).dispatched
    # New heads: a round each, until code.max_rounds (3).
    for i in range(4):
        hub.state.repo(REPO).bare.commit_files(f"agentops/{n}-task", {"README.md": f"{i}\n"}, f"fix {i}")
        hub.deliver("pull_request_review", _review(hub, pr, MAINTAINER))
    assert len(remediation_dispatches(hub, "address-review")) == 3


def test_feedback_without_write_access_is_ignored(hub: Hub) -> None:
    n = hub.task("Reviewed")
    pr = agent_pr(hub, n)
    r = hub.deliver("pull_request_review", _review(hub, pr, STRANGER))
    assert r.ignored and "write access" in r.message
    c = hub.payload("issue_comment.created", {"issue.number": pr, "issue.pull_request": {"url": "x"},
                                              "comment.user.login": STRANGER, "comment.body": "please fix"})
    assert hub.deliver("issue_comment", c).ignored
    assert not remediation_dispatches(hub, "address-review")


def test_maintainer_comment_on_agent_pr_starts_review_round(hub: Hub) -> None:
    n = hub.task("Commented")
    pr = agent_pr(hub, n)
    c = hub.payload("issue_comment.created", {"issue.number": pr, "issue.pull_request": {"url": "x"},
                                              "comment.user.login": MAINTAINER, "sender.login": MAINTAINER,
                                              "comment.body": "Use a constant here."})
    r = hub.deliver("issue_comment", c)
    assert r.handler == "address-review" and len(remediation_dispatches(hub, "address-review")) == 1


def test_our_own_comments_are_not_feedback(hub: Hub) -> None:
    n = hub.task("Self")
    pr = agent_pr(hub, n)
    c = hub.payload("issue_comment.created", {"issue.number": pr, "issue.pull_request": {"url": "x"},
                                              "comment.user.login": BOT, "sender.login": BOT})
    assert hub.deliver("issue_comment", c).ignored


@pytest.mark.parametrize("event", ["check_suite", "check_run", "workflow_run"])
def test_ci_failure_on_agent_pr_head_starts_one_fix_round(hub: Hub, event: str) -> None:
    n = hub.task("CI")
    pr = agent_pr(hub, n)
    head = hub.gh.get_pull(REPO, pr)
    fixtures = {"check_suite": "check_suite.completed", "check_run": "check_run.completed",
                "workflow_run": "workflow_run.completed"}
    payloads = {
        name: hub.payload(fx, {f"{name}.conclusion": "failure", f"{name}.head_sha": head.head_sha,
                               f"{name}.pull_requests": [{"number": pr}]})
        for name, fx in fixtures.items()}
    r = hub.deliver(event, payloads[event])
    assert r.handler == "fix-ci" and [d.mode for d in r.dispatched] == ["fix-ci"]
    # The other two events GitHub sends for the same failure: no second round.
    for other, p in payloads.items():
        hub.deliver(other, p)
    assert len(remediation_dispatches(hub, "fix-ci")) == 1


def test_ci_failure_found_by_branch_when_pull_requests_is_empty(hub: Hub) -> None:
    n = hub.task("Fork-less CI")
    pr = agent_pr(hub, n)
    head = hub.gh.get_pull(REPO, pr)
    p = hub.payload("check_suite.completed", {"check_suite.conclusion": "failure", "check_suite.head_sha": head.head_sha,
                                              "check_suite.head_branch": head.head_ref, "check_suite.pull_requests": []})
    assert hub.deliver("check_suite", p).handler == "fix-ci"
    assert len(remediation_dispatches(hub, "fix-ci")) == 1


def test_ci_success_or_stale_head_is_ignored(hub: Hub) -> None:
    n = hub.task("CI ok")
    pr = agent_pr(hub, n)
    ok = hub.payload("check_suite.completed", {"check_suite.conclusion": "success",
                                               "check_suite.pull_requests": [{"number": pr}]})
    assert hub.deliver("check_suite", ok).ignored
    stale = hub.payload("check_suite.completed", {"check_suite.conclusion": "failure", "check_suite.head_sha": "0" * 40,
                                                  "check_suite.pull_requests": [{"number": pr}]})
    assert hub.deliver("check_suite", stale).ignored
    assert not hub.dispatches()


# -- /agentops commands -----------------------------------------------------------------------------
def _command(hub: Hub, number: int, text: str, who: str = MAINTAINER) -> dict[str, Any]:
    return hub.payload("issue_comment.created", {"issue.number": number, "comment.body": text,
                                                 "comment.user.login": who, "sender.login": who})


def test_retry_command_from_maintainer_dispatches_again(hub: Hub) -> None:
    hub.cfg = config(max_attempts=1)
    n = hub.task("Stuck")
    hub.deliver("issues", hub.issue_payload("opened", n))
    pr = agent_pr(hub, n)
    hub.gh.update_pull(REPO, pr, state="closed")
    hub.deliver("pull_request", hub.pr_payload("pull_request.closed", pr))
    assert NEEDS_HUMAN_LABEL in hub.gh.get_issue(REPO, n).labels and len(code_dispatches(hub)) == 1
    assert hub.deliver("issue_comment", _command(hub, n, "/agentops retry", who=STRANGER)).ignored
    r = hub.deliver("issue_comment", _command(hub, n, "/agentops retry"))
    assert r.handler == "command" and [d.issue for d in r.dispatched] == [n]
    assert NEEDS_HUMAN_LABEL not in hub.gh.get_issue(REPO, n).labels


def test_release_command_frees_a_claim(hub: Hub) -> None:
    from agentops.orchestrator.claims import claim_task

    n = hub.task("Held")
    worker = hub.ctx("worker")
    claim_task(worker, "a1", repo=REPO, issue=n)
    r = hub.deliver("issue_comment", _command(hub, n, "/agentops release"))
    assert r.handler == "command" and "released" in r.message
    assert "agentops:claimed" not in hub.gh.get_issue(REPO, n).labels


def test_approve_command_adds_the_approval_label(hub: Hub) -> None:
    n = hub.task("Needs approval", author=STRANGER)
    assert not hub.deliver("issues", hub.issue_payload("opened", n)).dispatched
    assert hub.deliver("issue_comment", _command(hub, n, "/agentops approve", who=STRANGER)).ignored
    r = hub.deliver("issue_comment", _command(hub, n, "/agentops approve"))
    assert r.handler == "command"
    assert "agentops:approved" in hub.gh.get_issue(REPO, n).labels


# -- schedule, unknown, malformed -------------------------------------------------------------------
def test_schedule_ticks_and_dispatches_ready_tasks_without_a_run(hub: Hub) -> None:
    n = hub.task("Filed while the router was down")
    r = hub.deliver("schedule", {"schedule": "7,23,37,53 * * * *"})
    assert r.handler == "tick" and [d.issue for d in r.dispatched] == [n]
    assert not hub.deliver("schedule", {"schedule": "7,23,37,53 * * * *"}).dispatched


@pytest.mark.parametrize("name", ["ping", "pull_request.opened", "issues.unlabeled"])
def test_events_without_a_rule_are_ignored(hub: Hub, name: str) -> None:
    event = name.split(".")[0]
    data = hub.payload(name, {})
    r = hub.deliver(event, data)
    assert r.ignored and r.message.startswith("ignored")


def test_every_rule_matches_its_real_payload() -> None:
    """Each row of the table matches the real example payload for its event (with the field the
    guard reads set as the row needs it), and nothing else in the table steals it."""
    samples = {
        "issues": ("issues.opened", {"label": {"name": "agent-task"}}),
        "pull_request": ("pull_request.closed", {}),
        "pull_request_review": ("pull_request_review.submitted", {}),
        "pull_request_review_comment": ("pull_request_review_comment.created", {}),
        "issue_comment": ("issue_comment.created", {}),
        "check_suite": ("check_suite.completed", {}),
        "check_run": ("check_run.completed", {}),
        "workflow_run": ("workflow_run.completed", {}),
    }
    for rule in RULES:
        if rule.event in ("schedule", "workflow_dispatch"):
            ev = parse_event(rule.event, '{"schedule": "7 * * * *"}')
            assert match(ev) is rule
            continue
        name, extra = samples[rule.event]
        data = {**fixture(name), **extra}
        data["action"] = rule.actions[0]
        if rule.guard == "merged":
            data["pull_request"] = {**data["pull_request"], "merged": True}
        if rule.guard in ("unmerged-agent-pr", "changes-requested", "review-comment", "agent-pr-head"):
            data["pull_request"] = {**data["pull_request"], "head": {**data["pull_request"]["head"],
                                                                     "ref": "agentops/1-x"}}
        if rule.guard == "changes-requested":
            data["review"] = {**data["review"], "state": "changes_requested"}
        if rule.guard == "command":
            data["comment"] = {**data["comment"], "body": "/agentops retry"}
        if rule.guard == "pr-comment":
            data["issue"] = {**data["issue"], "pull_request": {"url": "x"}}
        if rule.guard.endswith("-failed"):
            data[rule.event] = {**data[rule.event], "conclusion": "failure"}
        import json
        assert match(parse_event(rule.event, json.dumps(data))) is rule, rule


def test_malformed_payloads_are_bad_input(hub: Hub) -> None:
    from agentops.errors import BadInput

    router = Router(hub.ctx())
    for name, text in [("issues", "[1, 2]"), ("issues", "{not json"),
                       ("issues", '{"action": "opened", "issue": {"number": "7", "labels": [{"name": "agent-task"}]},'
                                  ' "repository": {"full_name": "octo/app"}}'),
                       ("pull_request", '{"action": "closed", "pull_request": {"merged": true, "head": {"ref": "agentops/1"}}}')]:
        with pytest.raises(BadInput):
            router.handle(parse_event(name, text))
