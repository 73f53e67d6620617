"""A task's own pipeline from its form (Review agent, CI fix agent, Conflicts agent): the router
sends each stage to the agent the trusted text chose; a form naming an agent that agentops.yaml
does not have is held as a form problem; an untrusted edit after a maintainer's approval changes
nothing."""

from __future__ import annotations

from agentops.settings import PipelineConfig
from agentops.state import docs
from tests.events.conftest import MAINTAINER, REPO, STRANGER, Hub, config, form
from tests.events.test_router import agent_pr, code_dispatches, remediation_dispatches


def _body(**stages: str) -> str:
    labels = {"review": "Review agent", "ci_fix": "CI fix agent", "conflicts": "Conflicts agent"}
    return form(agent="a1") + "".join(f"\n### {labels[k]}\n\n{v}\n" for k, v in stages.items())


def _ci_failure(hub: Hub, pr: int) -> None:
    head = hub.gh.get_pull(REPO, pr)
    hub.deliver("check_suite", hub.payload("check_suite.completed", {
        "check_suite.conclusion": "failure", "check_suite.head_sha": head.head_sha,
        "check_suite.pull_requests": [{"number": pr}]}))


def _opened(hub: Hub, pr: int) -> None:
    hub.deliver("pull_request", hub.pr_payload("pull_request.opened", pr, **{"action": "opened",
                                                                             "pull_request.draft": False}))


def test_the_forms_agents_review_and_fix_ci_for_that_task_only(hub: Hub) -> None:
    hub.cfg = config(agents=3, pipeline=PipelineConfig(author="a1", review="a2"))
    n = hub.task("Own pipeline", body=_body(review="a3", ci_fix="a3"))
    other = hub.task("Default pipeline")
    hub.deliver("issues", hub.issue_payload("opened", n))
    pr, pr_other = agent_pr(hub, n), agent_pr(hub, other)
    for p in (pr, pr_other):
        _opened(hub, p)
        _ci_failure(hub, p)
    by_pr = {(d["inputs"]["pr"], d["inputs"]["mode"]): d["inputs"]["agent"] for d in hub.dispatches()
             if d["inputs"]["mode"] != "code"}
    assert by_pr == {(str(pr), "review"): "a3", (str(pr), "fix-ci"): "a3",
                     (str(pr_other), "review"): "a2", (str(pr_other), "fix-ci"): "a1"}


def test_a_review_agent_chosen_in_the_form_reviews_even_without_pipeline_review(hub: Hub) -> None:
    hub.cfg = config()
    n = hub.task("Reviewed by a2", body=_body(review="a2"))
    other = hub.task("Nobody reviews")
    hub.deliver("issues", hub.issue_payload("opened", n))
    pr, pr_other = agent_pr(hub, n), agent_pr(hub, other)
    _opened(hub, pr)
    _opened(hub, pr_other)
    assert [(d["inputs"]["pr"], d["inputs"]["agent"]) for d in remediation_dispatches(hub, "review")] == [(str(pr), "a2")]


def test_an_unknown_agent_in_the_form_holds_the_task_as_a_form_problem(hub: Hub) -> None:
    n = hub.task("Rogue reviewer", body=_body(review="rogue-bot"))
    r = hub.deliver("issues", hub.issue_payload("opened", n))
    assert not r.dispatched and not code_dispatches(hub)
    rec = hub.ctx().store.get(docs.TASK_QUEUE, f"{REPO}#{n}")
    assert rec["status"] == "invalid" and any("Review agent: unknown agent 'rogue-bot'" in p for p in rec["problems"])
    assert not rec.get("trusted_pipeline")


def test_an_untrusted_edit_after_approval_does_not_steer_the_rounds(hub: Hub) -> None:
    """A stranger's task, approved by a maintainer with CI fix agent a2; the stranger then edits the
    body to send CI fixes to a1. The task is held again, and the round still goes to a2."""
    hub.cfg = config(agents=3)
    n = hub.task("Outsider's task", author=STRANGER, body=_body(ci_fix="a2"))
    hub.state.label_issue(REPO, n, ["agentops:approved"], actor=MAINTAINER)
    r = hub.deliver("issues", hub.issue_payload("labeled", n))
    assert [d.issue for d in r.dispatched] == [n]
    pr = agent_pr(hub, n)
    hub.state.edit_issue_body(REPO, n, _body(ci_fix="a3"))
    hub.deliver("issues", hub.issue_payload("edited", n, sender=STRANGER))
    rec = hub.ctx().store.get(docs.TASK_QUEUE, f"{REPO}#{n}")
    assert rec["pipeline"] == {"ci_fix": "a3"} and rec["trusted_pipeline"] == {"ci_fix": "a2"}
    assert not rec["trusted"]
    _ci_failure(hub, pr)
    assert [d["inputs"]["agent"] for d in remediation_dispatches(hub, "fix-ci")] == ["a2"]


def test_an_any_task_is_never_authored_by_its_own_reviewer(hub: Hub) -> None:
    """a1 stands first (ties go to the agent listed first); the task's form makes a1 its reviewer,
    so its author is a2. A task without that choice still goes to a1."""
    hub.cfg = config()
    n = hub.task("Any author", body=form(agent="any") + "\n### Review agent\n\na1\n")
    r = hub.deliver("issues", hub.issue_payload("opened", n))
    assert [(d.issue, d.agent) for d in r.dispatched] == [(n, "a2")]
    m = hub.task("Plain")
    r2 = hub.deliver("issues", hub.issue_payload("opened", m))
    assert [(d.issue, d.agent) for d in r2.dispatched] == [(m, "a1")]


def test_the_configured_reviewer_does_not_author_any_tasks_either(hub: Hub) -> None:
    hub.cfg = config(pipeline=PipelineConfig(review="a1"))
    n = hub.task("Any author")
    r = hub.deliver("issues", hub.issue_payload("opened", n))
    assert [(d.issue, d.agent) for d in r.dispatched] == [(n, "a2")]
