"""Issue 15's proof, end to end with no command typed by hand: four agent tasks run through the
pipeline (author agent, review agent, CI, merges) driven only by the events GitHub would send,
each delivered twice. The driver plays GitHub and its Actions runners: it executes every
workflow_dispatch the router asks for (as the generated workflow would), runs CI on every new PR
head, and a maintainer merges what the review agent approved and CI passed.

- #add: the review agent requests changes (no test), the author adds one, the reviewer approves,
  a maintainer merges.
- #mul: CI fails with a real pytest failure; the CI-fix round gets the job's log tail, fixes it.
- #dup: conflicts with #add once #add merges; the conflicts agent merges the base in.
- #div: CI fails on every head; after code.max_rounds fix rounds it ends needs-human.
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agentops.commands import claim, code, release, review
from agentops.commands.on_event import OnEventOptions
from agentops.commands.on_event import run as on_event_run
from agentops.github.adapter import connect
from agentops.sandbox.jobs import add_job
from agentops.settings import AgentConfig, ClaimsConfig, CodeConfig, Config, DispatchConfig, PipelineConfig
from tests.events.conftest import fixture, form, put
from tests.fixtures.github import make_test_context
from tests.fixtures.gitrepo import git
from tests.fixtures.workflows import CODE_WORKFLOW
from tests.team.ci_logs import actions_log, real_pytest_failure
from tests.team.pipeline_agents import install

REPO = "octo/app"
BOT = "agentops-bot"
MAINT = "maint"
WORKFLOW = "agentops-code.yml"
NAMES = ("add", "mul", "dup", "div")


class Pipeline:
    def __init__(self, emulator: Any, gh: Any, tmp: Path) -> None:
        self.emu, self.gh, self.tmp = emulator, gh, tmp
        emulator.state.create_repo(REPO, files={"README.md": "# app\n", f".github/workflows/{WORKFLOW}": CODE_WORKFLOW})
        emulator.state.set_permission(REPO, BOT, "admin")
        # As GitHub: the first read of a PR after its base or head moved says mergeable null (still
        # computing); the conflict must be found anyway, never taken for "no conflicts".
        emulator.state.set_mergeable_lag(REPO, 1)
        token = emulator.state.add_user(MAINT)
        emulator.state.set_permission(REPO, MAINT, "write")
        self.maint = connect({"GITHUB_API_URL": emulator.url, "GH_TOKEN": token}, sleep=lambda s: None,
                             mutation_interval=0)
        author, reviewer = install(tmp / "agents")
        self.agents_dir = tmp / "agents"
        self.cfg = Config(
            agents=(AgentConfig(name="author", backend="command", command=(str(author), "{prompt_file}"),
                                max_concurrent=4, timeout_s=120),
                    AgentConfig(name="rev", backend="command", command=(str(reviewer), "{prompt_file}"),
                                max_concurrent=4, timeout_s=120)),
            pipeline=PipelineConfig(author="author", review="rev"),
            code=CodeConfig(max_rounds=2),
            claims=ClaimsConfig(settle_seconds=0),
            dispatch=DispatchConfig(max_parallel=4, workflow=WORKFLOW))
        self.checkout = tmp / "checkout"
        git(tmp, "clone", "-q", Path(emulator.state.repo(REPO).bare_path).as_uri(), str(self.checkout))
        self.env = {"GH_TOKEN": emulator.token, "PATH": os.environ["PATH"]}
        self.tasks: dict[str, int] = {}
        self.pulls: dict[str, int] = {}
        self.ci: dict[str, str] = {}  # head sha -> success | failure
        self.merged: list[str] = []
        self.seen_dispatches = 0
        self.runs = 0  # workflow runs executed (each gets its own artifact folder)
        self.pytest_log = real_pytest_failure(tmp / "failing-project")

    # -- GitHub's side ------------------------------------------------------------------------
    def ctx(self) -> Any:
        return make_test_context(self.checkout, self.gh, config=self.cfg, env=self.env, repo=REPO)

    def deliver(self, event: str, payload: dict[str, Any]) -> None:
        """Every event twice: GitHub redelivers, and the pipeline must not act twice."""
        for n in range(2):
            path = self.tmp / f"event-{event}-{self.seen_dispatches}-{n}-{os.urandom(4).hex()}.json"
            path.write_text(json.dumps(payload), encoding="utf-8")
            on_event_run(OnEventOptions(event, str(path)), self.ctx())

    def payload(self, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(fixture(name))
        put(data, "repository.full_name", REPO)
        for k, v in changes.items():
            put(data, k, v)
        return data

    def pr_event(self, action: str, pr: int) -> None:
        p = self.gh.get_pull(REPO, pr)
        name = "pull_request.opened" if action != "closed" else "pull_request.closed"
        self.deliver("pull_request", self.payload(name, {
            "action": action, "pull_request.number": pr, "pull_request.head.ref": p.head_ref,
            "pull_request.head.sha": p.head_sha, "pull_request.merged": p.merged, "pull_request.state": p.state,
            "pull_request.draft": False, "sender.login": MAINT if action == "closed" else BOT}))

    def file_tasks(self) -> None:
        for name in NAMES:
            n = int(self.emu.state.create_issue(REPO, f"[{name}] implement {name}", form(agent="author",
                                                spec=f"- implement [{name}]"), author=MAINT, labels=["agent-task"]))
            self.tasks[name] = n
            payload = self.payload("issues.opened", {"action": "opened", "issue.number": n, "issue.state": "open",
                                                     "sender.login": MAINT,
                                                     "issue.labels": [{"name": "agent-task"}]})
            self.deliver("issues", payload)

    def run_ci(self, name: str, pr: int) -> None:
        """The repository's CI on the PR's new head: #mul fails once, #div always."""
        p = self.gh.get_pull(REPO, pr)
        fails = name == "div" or (name == "mul" and not any(v == "failure" for k, v in self.ci.items()
                                                             if k.startswith("mul:")))
        self.ci[f"{name}:{p.head_sha}"] = "failure" if fails else "success"
        run = self.emu.state.add_workflow_run(REPO, name="CI", head_branch=p.head_ref, head_sha=p.head_sha,
                                              conclusion="failure" if fails else "success", event="pull_request")
        log = self.pytest_log if fails else actions_log(["1 passed"])
        add_job(self.emu.state, REPO, run, name="tests", conclusion="failure" if fails else "success", log=log)
        if fails:
            # GitHub tells one failure three ways (check run, check suite, workflow run), each
            # delivered twice here: one fix round in all.
            refs = [{"number": pr}]
            self.deliver("check_run", self.payload("check_run.completed", {
                "action": "completed", "check_run.id": 10 * run + 1, "check_run.head_sha": p.head_sha,
                "check_run.conclusion": "failure",
                "check_run.pull_requests": refs, "check_run.check_suite.head_branch": p.head_ref,
                "sender.login": MAINT}))
            self.deliver("check_suite", self.payload("check_suite.completed", {
                "action": "completed", "check_suite.id": 10 * run + 2, "check_suite.head_sha": p.head_sha,
                "check_suite.head_branch": p.head_ref,
                "check_suite.conclusion": "failure", "check_suite.pull_requests": refs, "sender.login": MAINT}))
            self.deliver("workflow_run", self.payload("workflow_run.completed", {
                "action": "completed", "workflow_run.id": run, "workflow_run.head_sha": p.head_sha,
                "workflow_run.head_branch": p.head_ref, "workflow_run.conclusion": "failure",
                "workflow_run.pull_requests": refs, "sender.login": MAINT}))

    def maybe_merge(self) -> None:
        """A maintainer merges a PR the review agent approved on its current head, with green CI;
        #dup only once #add is in (it must meet the conflict first)."""
        for name, pr in sorted(self.pulls.items()):
            if name in self.merged or name == "div":
                continue
            if name == "dup" and "add" not in self.merged:
                continue
            p = self.gh.get_pull(REPO, pr)
            if p.state != "open" or p.mergeable is False or self.ci.get(f"{name}:{p.head_sha}") != "success":
                continue
            if not any("verdict=approve" in r.body and f"sha={p.head_sha}" in r.body
                       for r in self.gh.list_reviews(REPO, pr)):
                continue
            self.maint.merge_pull(REPO, pr)
            self.merged.append(name)
            self.pr_event("closed", pr)

    # -- the Actions runner's side ---------------------------------------------------------------
    def execute(self, inputs: dict[str, Any]) -> None:
        mode, agent, issue = inputs["mode"], inputs["agent"], int(inputs["issue"])
        name = next(k for k, v in self.tasks.items() if v == issue)
        ctx = self.ctx()
        if mode == "code":
            got = claim.run(claim.ClaimOptions(agent=agent, issue=issue, repo=REPO), ctx)
            assert got.claimed is not None, got
            result = code.run(code.CodeOptions(issue=issue, agent=agent, repo=REPO), ctx)
            out = self.tmp / f"result-{issue}.json"
            out.write_text(json.dumps(result.to_json()), encoding="utf-8")
            release.run(release.ReleaseOptions(issue, repo=REPO, result=str(out)), ctx)
            assert result.status == "pr-opened", result
            assert result.pr is not None
            self.pulls[name] = result.pr
            self.run_ci(name, result.pr)
            self.pr_event("opened", result.pr)
            return
        pr = int(inputs["pr"])
        # Reviews and rounds run as the workflow runs them: a read-only agent job hands a folder to a
        # publish job (`--phase agent`, then `--phase publish`; the folder is all that crosses).
        self.runs += 1
        folder = self.tmp / f"artifact-{self.runs}"
        if mode == "review":
            made = review.run(review.ReviewOptions(pr=pr, repo=REPO, agent=agent, phase="agent", bundle=str(folder)),
                              ctx)
            assert made.ok, made
            r = made if made.status == "skipped" else review.run(
                review.ReviewOptions(pr=pr, repo=REPO, phase="publish", bundle=str(folder)), self.ctx())
            assert r.ok, r
            if r.review_id is not None and r.status != "skipped":
                rev = next(x for x in self.gh.list_reviews(REPO, pr) if x.id == r.review_id)
                self.deliver("pull_request_review", self.payload("pull_request_review.submitted", {
                    "action": "submitted", "review.id": rev.id, "review.state": rev.state.lower(),
                    "review.body": rev.body, "review.user.login": rev.author, "pull_request.number": pr,
                    "pull_request.head.ref": self.gh.get_pull(REPO, pr).head_ref, "sender.login": rev.author}))
            return
        flag = {"address-review": "address_review", "fix-ci": "fix_ci", "resolve-conflicts": "resolve_conflicts"}[mode]
        made = code.run(code.CodeOptions(pr=pr, agent=agent, repo=REPO, phase="agent", bundle=str(folder),
                                         **{flag: True}), ctx)
        assert made.status == "bundled", made
        result = code.run(code.CodeOptions(pr=pr, repo=REPO, phase="publish", bundle=str(folder), **{flag: True}),
                          self.ctx())
        assert result.status == "pr-updated", result
        self.run_ci(name, pr)
        self.pr_event("synchronize", pr)

    def pump(self) -> None:
        """Until GitHub and the runners have nothing left to do."""
        for _ in range(200):
            dispatches = self.emu.state.dispatches(REPO)
            if self.seen_dispatches < len(dispatches):
                self.seen_dispatches += 1
                self.execute(dict(dispatches[self.seen_dispatches - 1]["inputs"]))
                continue
            before = len(self.merged)
            self.maybe_merge()
            if len(self.merged) == before:
                return
        raise AssertionError("the pipeline did not settle")


@pytest.mark.e2e
def test_a_team_of_agents_takes_four_tasks_through_review_ci_and_conflicts(emulator: Any, gh: Any,
                                                                           tmp_path: Path) -> None:
    p = Pipeline(emulator, gh, tmp_path)
    p.file_tasks()
    p.pump()

    dispatched = Counter((int(d["inputs"]["issue"]), d["inputs"]["mode"]) for d in emulator.state.dispatches(REPO))
    t = p.tasks
    assert dispatched == Counter({
        (t["add"], "code"): 1, (t["add"], "review"): 2, (t["add"], "address-review"): 1,
        (t["mul"], "code"): 1, (t["mul"], "review"): 2, (t["mul"], "fix-ci"): 1,
        (t["dup"], "code"): 1, (t["dup"], "review"): 2, (t["dup"], "resolve-conflicts"): 1,
        (t["div"], "code"): 1, (t["div"], "review"): 3, (t["div"], "fix-ci"): 2,
    }), dispatched  # each trigger arrived twice; each round happened once

    assert sorted(p.merged) == ["add", "dup", "mul"]
    for name in ("add", "mul", "dup"):
        issue = gh.get_issue(REPO, t[name])
        assert issue.state == "closed"
        closes = [e for e in gh.list_issue_events(REPO, t[name]) if e.event == "closed"]
        assert len(closes) == 1, name

    # The author got the reviewer's words, and the CI fixer got the real pytest failure.
    prompts = [f.read_text() for f in sorted((p.checkout / "state").rglob("*.prompt.md"))
               if "-review-" not in f.name]
    assert any("address the reviewers' comments" in x and "add a test for add()" in x for x in prompts)
    ci_prompts = [x for x in prompts if "fixing failing CI" in x]
    assert ci_prompts and all("assert -1 == 3" in x and "def test_add" in x for x in ci_prompts)
    # The conflict was resolved by a real merge commit: #dup's branch contains main's #add.
    dup = gh.get_pull(REPO, p.pulls["dup"])
    assert dup.merged

    # #div: rounds spent, handed to a human with what was tried, once.
    div = gh.get_pull(REPO, p.pulls["div"])
    assert div.state == "open" and "needs-human" in div.labels
    notes = [c.body for c in gh.list_comments(REPO, div.number) if "remediation rounds on this pull request" in c.body]
    assert len(notes) == 1 and notes[0].count("- round ") == 2

    # report's pipeline figures from the same records.
    from agentops.domain.review_metrics import pipeline_metrics
    from agentops.state import docs
    records = p.ctx().store.records(docs.progress(REPO))
    m = pipeline_metrics([r for k, r in records.items() if k.startswith("pr-")])
    assert m.reviewed == 4 and m.first_pass_approved == 3 and m.needs_human == 1
    # Rounds per PR by kind, each with what triggered it (once per trigger however often it came).
    assert dict(m.rounds) == {"review": 1, "ci": 3, "conflict": 1}
    logged = [e for k, r in records.items() if k.startswith("pr-") for e in r.get("rounds_log") or ()]
    triggers = [str(e["trigger"]) for e in logged]
    assert len(set(triggers)) == len(triggers) == 5
    assert sorted(t.split(":")[0] for t in triggers) == ["base", "check_run", "check_run", "check_run", "review"]
    assert m.overrides == 0 and m.override_rate == 0.0  # the maintainer merged only what the reviewer approved
    # Every view's stage: three merged, #div handed to a human; no round left running.
    from agentops.orchestrator.backlog import backlog_rows
    queue = {k: v for k, v in p.ctx().store.records(docs.TASK_QUEUE).items() if k.startswith(f"{REPO}#")}
    stages = {row.number: row.stage for row in backlog_rows(p.ctx(), queue)}
    assert stages == {t["add"]: "merged", t["mul"]: "merged", t["dup"]: "merged", t["div"]: "needs-human"}, stages
