"""Do what a routed event means, through agentops.orchestrator. Each handler is idempotent: GitHub
delivers some events twice and several events for one fact (a failed check arrives as
check_run, check_suite and workflow_run), and every one of them may be replayed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentops.context import Context
from agentops.domain.claims import NEEDS_HUMAN_LABEL
from agentops.domain.markers import make_marker
from agentops.errors import NotFound
from agentops.github.models import PullRequest
from agentops.orchestrator import lifecycle
from agentops.orchestrator.actions import log_action
from agentops.orchestrator.ci_feedback import is_flaky, known_flaky, read_failure
from agentops.orchestrator.dispatch import Dispatched, dispatch_one, dispatch_ready, expire_dispatches
from agentops.orchestrator.mergeability import settled_pull, unknown_message
from agentops.orchestrator.mirror import reflect
from agentops.orchestrator.pipeline import stage_agent, trusted_choice
from agentops.orchestrator.pr_record import (
    agent_verdict,
    clear_mergeable_unknown,
    log_round,
    note_mergeable_unknown,
    note_override,
    unknown_mergeability,
)
from agentops.orchestrator.readiness import evaluate
from agentops.orchestrator.release import release_claim
from agentops.orchestrator.sync import sync_repo, target_repos
from agentops.state import docs

from .payload import Event
from .rules import REVIEW_MARKER, Rule, command_of, match, review_verdict_asks_changes

REMEDIATION_MODES = ("address-review", "fix-ci", "resolve-conflicts")
REVIEW_MODE = "review"  # the review agent's pass over a PR head: dispatched like a round, never counted as one
# Events our own identity causes (labels, status and dispatch comments) are not news to us.
_SELF_IGNORED = frozenset({"issue_comment", "pull_request_review", "pull_request_review_comment"})
_SELF_IGNORED_ISSUE_ACTIONS = frozenset({"labeled", "unlabeled", "edited"})


@dataclass(frozen=True)
class RouteResult:
    event: str
    action: str | None
    handler: str | None  # None: ignored
    message: str
    repo: str | None = None
    dispatched: tuple[Dispatched, ...] = ()
    changes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ignored(self) -> bool:
        return self.handler is None


TickFn = Callable[[Sequence[str]], object]


class Router:
    """`tick` runs the periodic pass (the tick command's engine) for the given repositories."""

    def __init__(self, ctx: Context, tick: TickFn | None = None) -> None:
        self.ctx = ctx
        self.tick = tick

    def handle(self, ev: Event) -> RouteResult:
        rule = match(ev)
        if rule is None:
            what = f"{ev.name}.{ev.action}" if ev.action else ev.name
            return RouteResult(ev.name, ev.action, None, f"ignored: no rule for {what}")
        if self._from_self(ev):
            return self._ignored(ev, f"ignored: {ev.name} caused by agentops itself ({ev.sender})")
        handler: Callable[[Event, Rule], RouteResult] = getattr(self, "_" + rule.handler.replace("-", "_"))
        result = handler(ev, rule)
        log_action(self.ctx, agent=None, repo=result.repo, issue=None, action="event",
                   result="ignored" if result.ignored else "ok",
                   details={"event": ev.name, "action": ev.action, "handler": rule.handler, "message": result.message,
                            "dispatched": [d.key for d in result.dispatched]})
        return result

    # -- helpers ----------------------------------------------------------------------------------
    def _from_self(self, ev: Event) -> bool:
        if ev.name not in _SELF_IGNORED and not (ev.name == "issues" and ev.action in _SELF_IGNORED_ISSUE_ACTIONS):
            return False
        if ev.name == "pull_request_review" and review_verdict_asks_changes(ev.get("review.body", required=False)):
            return False  # the review agent speaks as agentops: its verdict is news (checked in the handler)
        return bool(ev.sender) and self.ctx.trust.wrote(ev.sender)

    def _ignored(self, ev: Event, message: str, repo: str | None = None) -> RouteResult:
        return RouteResult(ev.name, ev.action, None, message, repo)

    def _settle(self, ev: Event, rule: Rule, repo: str, message: str) -> RouteResult:
        """Sync, re-evaluate, mirror labels/status comments, dispatch what is ready."""
        sync_repo(self.ctx, repo)
        tasks = evaluate(self.ctx, [repo])
        changes: dict[str, list[str]] = {}
        for key in sorted(tasks):
            done = reflect(self.ctx, key, tasks[key])
            if done:
                changes[key] = done
        report = dispatch_ready(self.ctx, repo, evaluate(self.ctx, [repo]) if changes else tasks)
        extra = f"; dispatched {', '.join(d.key for d in report.dispatched)}" if report.dispatched else ""
        return RouteResult(ev.name, ev.action, rule.handler, message + extra, repo, report.dispatched, changes)

    def _has_write(self, repo: str, login: str) -> bool:
        """A person with write access (only maintainers steer an agent); never our own identity."""
        return bool(login) and not self.ctx.trust.wrote(login) and self.ctx.trust.has_write(repo, login)

    # -- handlers ---------------------------------------------------------------------------------
    def _sync(self, ev: Event, rule: Rule) -> RouteResult:
        number: int = ev.get("issue.number", int)
        return self._settle(ev, rule, ev.repo, f"synced #{number}")

    def _complete(self, ev: Event, rule: Rule) -> RouteResult:
        repo = ev.repo
        number: int = ev.get("issue.number", int)
        lifecycle.complete(self.ctx, repo, number, issue_closed=True)
        return self._settle(ev, rule, repo, f"#{number} closed: task complete")

    def _merged(self, ev: Event, rule: Rule) -> RouteResult:
        repo = ev.repo
        pr: int = ev.get("pull_request.number", int)
        task = lifecycle.task_number(ev.get("pull_request.head.ref"))
        if task is None:
            return self._conflicts(ev, rule, repo, self._settle(ev, rule, repo, f"PR #{pr} merged (not an agent PR)"))
        lifecycle.complete(self.ctx, repo, task, pr=pr)
        self._override_on_merge(ev, repo, pr)
        settled = self._settle(ev, rule, repo, f"PR #{pr} merged: task #{task} complete")
        return self._conflicts(ev, rule, repo, settled)

    def _conflicts(self, ev: Event, rule: Rule, repo: str, settled: RouteResult) -> RouteResult:
        """After the base moved: every open agent PR that no longer merges gets one round of the
        pipeline's conflicts agent (one per PR head, bounded like every round)."""
        found = self.ctx.github.list_pulls(repo, state="open")
        extra: list[Dispatched] = []
        notes: list[str] = []
        for listed in found.items or ():
            if lifecycle.task_of_pull(listed) is None:
                continue
            # mergeable is only worked out on a single PR's read, and null until GitHub is done.
            try:
                pr = settled_pull(self.ctx, repo, listed.number)
            except NotFound:
                continue
            got = self._conflict_round(ev, rule, repo, pr)
            if got is not None:
                extra.extend(got.dispatched)
                notes.append(got.message)
        if not notes:
            return settled
        return RouteResult(settled.event, settled.action, settled.handler, "; ".join([settled.message, *notes]),
                           repo, settled.dispatched + tuple(extra), settled.changes)

    def _conflict_round(self, ev: Event, rule: Rule, repo: str, pr: PullRequest) -> RouteResult | None:
        """One conflicts round for a settled PR that does not merge; None when there is nothing to
        say. A PR GitHub still has not worked out is recorded on its `pr-N` record, so the
        scheduled tick looks again (no push or merge may come for days)."""
        if pr.mergeable is None and pr.state == "open":
            note_mergeable_unknown(self.ctx, repo, pr.number, base=pr.base_sha, head=pr.head_sha)
            log_action(self.ctx, agent=None, repo=repo, issue=lifecycle.task_of_pull(pr), action="mergeable-unknown",
                       result="ignored", details={"pr": pr.number, "base": pr.base_sha, "head": pr.head_sha})
            return RouteResult(ev.name, ev.action, rule.handler, unknown_message(pr)
                               + " (no conflict round yet; the next tick, push or merge looks again)", repo)
        clear_mergeable_unknown(self.ctx, repo, pr.number)
        if pr.mergeable is not False:
            return None
        # One round per PR head: the base moving again before the round ran changes nothing, the
        # agent merges whatever the base is when it runs. The key is the head, so a replayed event
        # or tick never starts a second round for the same head (and base).
        return self._remediate(ev, rule, repo, pr, "resolve-conflicts", trigger=f"base:{pr.base_sha}")

    def _recheck_unknown(self, ev: Event, rule: Rule, repo: str) -> list[RouteResult]:
        """The tick's second look at PRs whose `mergeable` was still null after the router's reads."""
        out = []
        for number in unknown_mergeability(self.ctx, repo):
            try:
                pr = settled_pull(self.ctx, repo, number)
            except NotFound:
                clear_mergeable_unknown(self.ctx, repo, number)
                continue
            if pr.state != "open" or pr.merged or lifecycle.task_of_pull(pr) is None:
                clear_mergeable_unknown(self.ctx, repo, number)
                continue
            got = self._conflict_round(ev, rule, repo, pr)
            if got is not None:
                out.append(got)
        return out

    def _override_on_merge(self, ev: Event, repo: str, pr: int) -> None:
        """A person merged a head the review agent asked changes on: an override of its verdict."""
        sha = ev.get("pull_request.head.sha", required=False)
        by = ev.get("pull_request.merged_by.login", required=False) or ev.sender or ""
        if isinstance(sha, str) and agent_verdict(self.ctx, repo, pr, sha) == "request_changes":
            note_override(self.ctx, repo, pr, kind="merged-over-changes", event=f"merged:{sha}", by=str(by), sha=sha)

    def _rejected(self, ev: Event, rule: Rule) -> RouteResult:
        repo = ev.repo
        pr: int = ev.get("pull_request.number", int)
        task = lifecycle.task_number(ev.get("pull_request.head.ref"))
        assert task is not None  # the rule's guard checked the branch
        sync_repo(self.ctx, repo)
        status = lifecycle.pull_closed_unmerged(self.ctx, repo, task, pr)
        what = f"attempt counted, task #{task} {status}" if status else f"task #{task} unchanged"
        return self._settle(ev, rule, repo, f"PR #{pr} closed without merge: {what}")

    def _address_review(self, ev: Event, rule: Rule) -> RouteResult:
        repo = ev.repo
        if ev.name == "issue_comment":
            who: str = ev.get("comment.user.login")
            pr = self._pull(repo, ev.get("issue.number", int))
        else:
            who = ev.get("review.user.login" if ev.name == "pull_request_review" else "comment.user.login")
            pr = self._pull(repo, ev.get("pull_request.number", int))
        if pr is None or lifecycle.task_of_pull(pr) is None:
            return self._ignored(ev, "ignored: not an agent pull request", repo)
        if ev.name == "pull_request_review" and self._review_agent_verdict(ev, who):
            trigger = f"review:{ev.get('review.id', int)}"
        elif not self._has_write(repo, who):
            return self._ignored(ev, f"ignored: {who} has no write access; only maintainers steer an agent", repo)
        else:
            trigger = f"{ev.name}:{ev.get('review.id' if ev.name == 'pull_request_review' else 'comment.id', int)}"
            if ev.name == "pull_request_review":
                # A maintainer asked changes on a head the review agent approved: an override.
                sha = ev.get("review.commit_id", required=False) or pr.head_sha
                if agent_verdict(self.ctx, repo, pr.number, str(sha)) == "approve":
                    note_override(self.ctx, repo, pr.number, kind="changes-over-approval", event=trigger, by=who,
                                  sha=str(sha))
        return self._remediate(ev, rule, repo, pr, "address-review", trigger=trigger)

    def _review_agent_verdict(self, ev: Event, who: str) -> bool:
        """A change request from the review agent: our identity wrote the review and its marker says so."""
        body = ev.get("review.body", required=False)
        return isinstance(body, str) and self.ctx.trust.marker(body, who, REVIEW_MARKER,
                                                               verdict="request_changes") is not None

    def _review(self, ev: Event, rule: Rule) -> RouteResult:
        repo = ev.repo
        if not self.ctx.config.pipeline.review and not self._task_sets_reviewer(ev):
            return self._ignored(ev, "ignored: no review agent (pipeline.review is not set, nor the task's "
                                 "Review agent)", repo)
        pr = self._pull(repo, ev.get("pull_request.number", int))
        if pr is None or pr.state != "open" or lifecycle.task_of_pull(pr) is None:
            return self._ignored(ev, "ignored: not an open agent pull request", repo)
        task = lifecycle.task_of_pull(pr)
        key = f"{repo}#{task}"
        rec = self._task_record(repo, key)
        if rec is None:
            return self._ignored(ev, f"ignored: #{task} is not a known agent task", repo)
        reviewer = stage_agent(self.ctx, rec, "review", self._author_of(rec))
        if not reviewer:
            return self._ignored(ev, f"ignored: no review agent for #{task} (neither pipeline.review nor its "
                                 "form's Review agent)", repo)
        if f"{REVIEW_MODE}:{pr.head_sha}" in (rec.get("rounds") or {}):
            return RouteResult(ev.name, ev.action, rule.handler,
                               f"PR #{pr.number}: the review of {pr.head_sha[:12]} was already dispatched", repo)
        got = dispatch_one(self.ctx, repo, key, rec, reviewer, ref=self._ref(repo), mode=REVIEW_MODE, pr=pr.number,
                           round_key=pr.head_sha, trigger=f"head:{pr.head_sha}")
        if got is None:
            return RouteResult(ev.name, ev.action, rule.handler,
                               f"PR #{pr.number}: the review was dispatched by another router", repo)
        return RouteResult(ev.name, ev.action, rule.handler,
                           f"PR #{pr.number}: review of {pr.head_sha[:12]} dispatched to {reviewer}", repo, (got,))

    def _hand_to_human(self, repo: str, pr: PullRequest, task: int, tried: Sequence[Mapping[str, Any]], mode: str,
                       limit: int) -> None:
        """Rounds spent: the PR gets the needs-human label and one comment saying what was tried
        (found again by its marker, so a replayed event adds nothing)."""
        if NEEDS_HUMAN_LABEL not in pr.labels:
            self.ctx.github.add_labels(repo, pr.number, [NEEDS_HUMAN_LABEL])
        marker = make_marker(NEEDS_HUMAN_LABEL, pr=pr.number)
        comments = self.ctx.github.list_comments(repo, pr.number)
        if not any(self.ctx.trust.marker(c.body, c.author, NEEDS_HUMAN_LABEL, pr=pr.number) for c in comments):
            lines = [f"- round {i}: {r.get('mode')} by `{r.get('agent')}` (trigger `{r.get('trigger') or r.get('key')}`)"
                     for i, r in enumerate(sorted(tried, key=lambda r: str(r.get("at") or "")), 1)]
            body = (f"agentops stopped: all {limit} remediation rounds on this pull request are used, and a {mode} "
                    "round was asked for again. A human needs to take it from here. What was tried:\n\n"
                    + "\n".join(lines) + f"\n\n{marker}")
            self.ctx.github.create_comment(repo, pr.number, body, marker=marker)

            def upd(doc: Any) -> None:  # for report: PRs the pipeline handed to a human
                rec = dict(doc.get(f"pr-{pr.number}") or {})
                rec.update(pr=pr.number, needs_human=True)
                doc.put(f"pr-{pr.number}", rec)

            self.ctx.store.update(docs.progress(repo), upd)
            log_action(self.ctx, agent=None, repo=repo, issue=task, action="rounds-exhausted", result="ok",
                       details={"pr": pr.number, "mode": mode, "rounds": len(tried)})

    def _task_sets_reviewer(self, ev: Event) -> bool:
        """The task of this PR's branch chose a review agent in its form (read locally: no request)."""
        task = lifecycle.task_number(ev.get("pull_request.head.ref", required=False))
        rec = self.ctx.store.get(docs.TASK_QUEUE, f"{ev.repo}#{task}") if task is not None else None
        return rec is not None and trusted_choice(rec, "review") is not None

    def _author_of(self, rec: Mapping[str, Any]) -> str:
        """The agent that wrote the task's PR: the one its code run went to."""
        agent = str((rec.get("dispatch") or {}).get("agent") or rec.get("agent") or "")
        if not agent or agent == "any":
            agent = next((a.name for a in self.ctx.config.agents), "")
        return agent

    def _task_record(self, repo: str, key: str) -> dict[str, Any] | None:
        rec = self.ctx.store.get(docs.TASK_QUEUE, key)
        if rec is None:
            sync_repo(self.ctx, repo)
            rec = self.ctx.store.get(docs.TASK_QUEUE, key)
        return rec

    def _ref(self, repo: str) -> str:
        return self.ctx.config.dispatch.ref or self.ctx.github.get_repo(repo).default_branch

    def _fix_ci(self, ev: Event, rule: Rule) -> RouteResult:
        repo = ev.repo
        root = ev.name
        sha: str = ev.get(f"{root}.head_sha")
        branch = ev.get(f"{root}.head_branch", required=False) or \
            ev.get("check_run.check_suite.head_branch", required=False)
        numbers: list[int] = [p["number"] for p in ev.get(f"{root}.pull_requests", list, required=False) or []
                              if isinstance(p, Mapping) and isinstance(p.get("number"), int)]
        if not numbers and lifecycle.is_agent_branch(branch):
            owner = repo.split("/")[0]
            found = self.ctx.github.list_pulls(repo, state="open", head=f"{owner}:{branch}")
            numbers = [p.number for p in found.items or ()]
        for n in numbers:
            pr = self._pull(repo, n)
            if pr is not None and lifecycle.task_of_pull(pr) is not None and pr.head_sha == sha:
                rerun = self._rerun_if_flaky(repo, pr)
                if rerun:
                    return RouteResult(ev.name, ev.action, rule.handler, f"PR #{pr.number}: {rerun}", repo)
                run_id = ev.get(f"{root}.id", int, required=False)
                return self._remediate(ev, rule, repo, pr, "fix-ci", trigger=f"{root}:{run_id}")
        return self._ignored(ev, f"ignored: the failure on {sha[:12]} is not on an open agent PR's head", repo)

    def _rerun_if_flaky(self, repo: str, pr: PullRequest) -> str | None:
        """A failure made only of tests the test agent has seen flake: re-run its failed jobs once
        (recorded per workflow run) instead of spending a fix round on it."""
        failure = read_failure(self.ctx.github, repo, pr.head_sha, self.ctx.output.redactor)
        flaky = known_flaky(self.ctx.store.records(docs.test_results(repo)))
        if not is_flaky(failure, flaky):
            return None
        key = f"{repo}#{lifecycle.task_of_pull(pr)}"
        done = set((self.ctx.store.get(docs.TASK_QUEUE, key) or {}).get("reruns") or ())
        todo = [r for r in failure.run_ids if str(r) not in done]
        if not todo:
            return None  # re-run once already and it failed again: a real failure, worth a fix
        for run_id in todo:
            self.ctx.github.rerun_failed_jobs(repo, run_id)

        def upd(doc: Any) -> None:
            rec = doc.get(key)
            if rec is not None:
                rec["reruns"] = sorted({*done, *(str(r) for r in todo)})
                doc.put(key, rec)

        self.ctx.store.update(docs.TASK_QUEUE, upd)
        log_action(self.ctx, agent=None, repo=repo, issue=lifecycle.task_of_pull(pr), action="flaky-rerun",
                   result="ok", details={"pr": pr.number, "runs": todo, "tests": list(failure.failing_tests)})
        return f"only known-flaky tests failed ({', '.join(failure.failing_tests)}): re-ran run(s) " \
               + ", ".join(str(r) for r in todo)

    def _remediate(self, ev: Event, rule: Rule, repo: str, pr: PullRequest, mode: str, *,
                   trigger: str | None = None, round_key: str | None = None) -> RouteResult:
        if pr.state != "open":
            return self._ignored(ev, f"ignored: PR #{pr.number} is {pr.state}", repo)
        task = lifecycle.task_of_pull(pr)
        assert task is not None
        key = f"{repo}#{task}"
        rec = self._task_record(repo, key)
        if rec is None:
            return self._ignored(ev, f"ignored: #{task} is not a known agent task", repo)
        rounds = rec.get("rounds") or {}
        round_key = round_key or pr.head_sha
        if f"{mode}:{round_key}" in rounds:
            return RouteResult(ev.name, ev.action, rule.handler,
                               f"PR #{pr.number}: a {mode} round for {round_key[:12]} was already dispatched", repo)
        used = sum(1 for r in rounds.values() if r.get("pr") == pr.number and r.get("mode") != REVIEW_MODE)
        limit = self.ctx.config.code.max_rounds
        if used >= limit:
            self._hand_to_human(repo, pr, task, [r for r in rounds.values() if r.get("pr") == pr.number
                                                 and r.get("mode") != REVIEW_MODE], mode, limit)
            return RouteResult(ev.name, ev.action, rule.handler,
                               f"PR #{pr.number}: {used} of {limit} rounds used; no more (needs a human)", repo)
        agent = self._author_of(rec)
        stage = {"fix-ci": "ci_fix", "resolve-conflicts": "conflicts"}.get(mode)
        if agent and stage:
            agent = stage_agent(self.ctx, rec, stage, agent) or agent
        if not agent:
            return self._ignored(ev, f"ignored: no agent to send PR #{pr.number} to", repo)
        got = dispatch_one(self.ctx, repo, key, rec, agent, ref=self._ref(repo), mode=mode, pr=pr.number,
                           round_key=round_key, trigger=trigger)
        if got is None:
            return RouteResult(ev.name, ev.action, rule.handler,
                               f"PR #{pr.number}: the {mode} round was dispatched by another router", repo)
        log_round(self.ctx, repo, pr.number, mode=mode, key=f"{mode}:{round_key}", trigger=trigger, agent=agent)
        return RouteResult(ev.name, ev.action, rule.handler,
                           f"PR #{pr.number}: {mode} round {used + 1} of {limit} dispatched to {agent}", repo, (got,))

    def _command(self, ev: Event, rule: Rule) -> RouteResult:
        repo = ev.repo
        who: str = ev.get("comment.user.login")
        verb = command_of(ev.get("comment.body"))
        number: int = ev.get("issue.number", int)
        if not self._has_write(repo, who):
            return self._ignored(ev, f"ignored: /agentops {verb} from {who}, who has no write access", repo)
        if isinstance((ev.get("issue", dict, required=False) or {}).get("pull_request"), Mapping):
            pr = self._pull(repo, number)
            task = lifecycle.task_of_pull(pr) if pr is not None else None
            if task is None:
                return self._ignored(ev, f"ignored: /agentops {verb} on a PR that is not an agent PR", repo)
            number = task
        log_action(self.ctx, agent=None, repo=repo, issue=number, action=f"command-{verb}", result="ok",
                   details={"by": who})
        if verb == "release":
            r = release_claim(self.ctx, repo, number, "manual", any_worker=True, detail=f"Released by @{who}.")
            return self._settle(ev, rule, repo, f"#{number} released by {who}" if r.released
                                else f"#{number}: nothing to release")
        if verb == "approve":
            self.ctx.github.add_labels(repo, number, [self.ctx.config.claims.approval_label])
            return self._settle(ev, rule, repo, f"#{number} approved by {who}")
        sync_repo(self.ctx, repo)
        lifecycle.retry(self.ctx, repo, number)
        return self._settle(ev, rule, repo, f"#{number}: retry asked by {who}")

    def _tick(self, ev: Event, rule: Rule) -> RouteResult:
        repos = target_repos(self.ctx, ())
        if self.tick is not None:
            self.tick(repos)
        dispatched: list[Dispatched] = []
        notes: list[str] = []
        for repo in repos:
            expired = expire_dispatches(self.ctx, evaluate(self.ctx, [repo]))
            tasks = evaluate(self.ctx, [repo])
            if expired:
                for key in expired:
                    reflect(self.ctx, key, tasks[key])
            dispatched.extend(dispatch_ready(self.ctx, repo, tasks).dispatched)
            for got in self._recheck_unknown(ev, rule, repo):
                dispatched.extend(got.dispatched)
                notes.append(got.message)
        msg = "; ".join(["tick", *notes] + ([f"dispatched {', '.join(d.key for d in dispatched)}"] if dispatched else []))
        return RouteResult(ev.name, ev.action, rule.handler, msg, ",".join(repos), tuple(dispatched))

    def _pull(self, repo: str, number: int) -> PullRequest | None:
        try:
            return self.ctx.github.get_pull(repo, number)
        except NotFound:
            return None


def to_json(r: RouteResult) -> dict[str, Any]:
    return {"event": r.event, "action": r.action, "handler": r.handler, "ignored": r.ignored, "message": r.message,
            "repo": r.repo, "dispatched": [{"task": d.key, "issue": d.issue, "attempt": d.attempt, "agent": d.agent,
                                            "mode": d.mode, "pr": d.pr, "sent": d.sent} for d in r.dispatched],
            "changes": r.changes}
