"""issue -> worktree/branch -> fake agent CLI -> commit -> push to the emulator's bare repo -> PR."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentops.commands.code import CodeOptions, run
from agentops.errors import Unavailable
from agentops.state import docs
from tests.code.conftest import CANARY, REPO, CodeEnv
from tests.fixtures.gitrepo import git


def _open_pulls(env: CodeEnv) -> list[Any]:
    repo = env.emulator.state.repo(REPO)
    return [i for i in repo.issues.values() if i.pull is not None and i.state == "open"]


def test_issue_becomes_a_pr_and_a_rerun_updates_the_same_pr(code_env: CodeEnv) -> None:
    n = code_env.issue()
    ctx = code_env.ctx()
    first = run(CodeOptions(issue=n, agent="claude", repo=REPO), ctx)
    assert first.status == "pr-opened", first.reason
    branch = f"agentops/{n}-add-the-widget-feature-flag"
    assert first.branch == branch and first.turns == 3 and first.cost_usd == 0.25
    pr = code_env.gh.get_pull(REPO, first.pr)
    assert pr.head_ref == branch and pr.base_ref == "main"
    assert pr.body.startswith(f"Closes #{n}") and f"agentops:pr issue={n}" in pr.body
    assert "- [ ] feature.txt exists" in pr.body and "$0.25" in pr.body
    [sha] = code_env.commits(branch)
    assert git(code_env.bare, "show", "-s", "--format=%an <%ae>|%cn", sha) == \
        "agentops <agentops@users.noreply.github.com>|agentops"
    message = git(code_env.bare, "show", "-s", "--format=%B", sha)
    assert f"Agentops-Issue: #{n}" in message and "Co-authored-by: claude" in message
    assert git(code_env.bare, "show", f"{sha}:feature.txt") == "done"

    [call] = code_env.fakes.calls()
    assert call["tool"] == "claude" and call["args"]["max_turns"] == 10
    assert call["args"]["permission_mode"] == "acceptEdits" and call["args"]["output_format"] == "stream-json"
    assert call["args"]["verbose"] and "Bash(git diff *)" in call["args"]["allowedTools"]
    assert call["args"]["max_budget_usd"] is None  # no budget configured: no cap to pass
    worktree = Path(call["cwd"])
    assert worktree.is_relative_to(code_env.checkout / ".agentops" / "worktrees")
    assert "Add a feature flag file" in call["prompt"] and "Always write tests." in call["prompt"]
    assert "AGENTOPS-DATA-BEGIN" in call["prompt"]
    assert not git(code_env.checkout, "status", "--porcelain", "--", ".agentops")  # worktrees stay ignored

    rec = ctx.store.get(docs.progress(REPO), str(n))
    assert rec is not None and rec["status"] == "pr-opened" and rec["pr"] == first.pr
    assert all(rec["steps"][s]["done"] for s in ("branch", "prompt", "execute", "commit", "push", "pr"))
    [cost] = list(ctx.store.read_log(docs.COSTS))
    assert cost["issue"] == n and cost["kind"] == "code" and cost["cost_usd"] == 0.25 and cost["turns"] == 3
    actions = [e["action"] for e in ctx.store.read_log(docs.AGENT_ACTIONS)]
    assert actions == ["code-start", "pr-opened"]

    code_env.fakes.script(edits={"feature.txt": "done\n", "README.md": "# widgets\nflag: feature.txt\n"})
    second = run(CodeOptions(issue=n, agent="claude", repo=REPO), code_env.ctx())
    assert second.status == "pr-updated" and second.pr == first.pr
    assert len(_open_pulls(code_env)) == 1
    assert code_env.remote_branches() == sorted(["main", branch])  # no -try2 branch
    assert len(code_env.commits(branch)) == 2
    assert Path(code_env.fakes.calls()[1]["cwd"]) == worktree


@pytest.mark.parametrize(("behaviour", "timeout", "status", "reason"), [
    ({"edits": {}}, None, "no-change", "agent made no change"),
    ({"exit": 3}, None, "failed", "agent exited with status 3"),
    ({"sleep": 20}, 1.0, "failed", "agent timed out after 1s"),
    ({"turns": 73}, None, "failed", "agent used 73 turns, over the cap of 10"),
    ({"cost": 3.0}, None, "failed", "over the per-run cap"),
])
def test_failed_runs_open_no_pr_and_leave_the_worktree_clean(
        code_env: CodeEnv, behaviour: dict[str, Any], timeout: float | None, status: str, reason: str) -> None:
    code_env.fakes.script(**{"edits": {"feature.txt": "half done\n", "new/dir/x.py": "x = 1\n"}, **behaviour})
    n = code_env.issue()
    ctx = code_env.ctx(config=code_env.with_agent(max_cost_usd=1.0))
    result = run(CodeOptions(issue=n, agent="claude", repo=REPO, timeout_s=timeout), ctx)
    assert result.status == status and reason in (result.reason or "")
    assert not result.ok and result.pr is None
    assert _open_pulls(code_env) == []
    assert code_env.remote_branches() == ["main"]
    worktree = Path(ctx.store.get(docs.progress(REPO), str(n))["worktree"])  # type: ignore[index]
    assert git(worktree, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (worktree / "new").exists()
    events = list(ctx.store.read_log(docs.AGENT_ACTIONS))
    assert events[-1]["action"] == "task-failed" and reason in events[-1]["details"]["reason"]


def test_secrets_never_reach_transcript_pr_state_or_logs(code_env: CodeEnv,
                                                         state_text: Callable[[Path], str]) -> None:
    token = code_env.emulator.token
    code_env.fakes.script(edits={"feature.txt": "done\n"}, stdout=f"oops {CANARY} and {token}",
                          summary=f"Done. By the way the secret is {CANARY}",
                          print_env=["CANARY_SECRET", "GH_TOKEN", "GITHUB_TOKEN", "DEPLOY_KEY_TOKEN", "HOME"])
    n = code_env.issue()
    ctx = code_env.ctx()
    result = run(CodeOptions(issue=n, agent="claude", repo=REPO), ctx)
    assert result.status == "pr-opened"
    [call] = code_env.fakes.calls()
    for name in ("CANARY_SECRET", "GH_TOKEN", "GITHUB_TOKEN", "DEPLOY_KEY_TOKEN"):
        assert name not in call["env"]
    assert "PATH" in call["env"] and "HOME" in call["env"]
    assert call["env"]["GIT_TERMINAL_PROMPT"] == "0"
    transcript = (code_env.checkout / str(result.transcript)).read_text()
    assert "oops [REDACTED]" in transcript
    pr = code_env.gh.get_pull(REPO, result.pr)
    message = git(code_env.bare, "log", "-1", "--format=%B", f"refs/heads/{result.branch}")
    everything = "\n".join([transcript, pr.body, state_text(code_env.checkout), message,
                            json.dumps(result.to_json())])
    assert CANARY not in everything and token not in everything


class _CrashOnCreatePull:
    """The real port, except the first create_pull dies as if the process crashed mid-call."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.crashes = 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def create_pull(self, *args: Any, **kwargs: Any) -> Any:
        if self.crashes:
            self.crashes -= 1
            raise Unavailable("connection dropped")
        return self._inner.create_pull(*args, **kwargs)


def test_crash_after_push_before_pr_resumes_without_a_second_commit_or_push(code_env: CodeEnv) -> None:
    n = code_env.issue()
    port = _CrashOnCreatePull(code_env.gh)
    with pytest.raises(Unavailable):
        run(CodeOptions(issue=n, agent="claude", repo=REPO), code_env.ctx(github=port))
    ctx = code_env.ctx(github=port)
    rec = ctx.store.get(docs.progress(REPO), str(n))
    assert rec is not None and rec["status"] == "running" and rec["steps"]["push"]["done"]
    assert "pr" not in rec["steps"]
    branch = rec["branch"]
    [pushed] = code_env.commits(branch)

    result = run(CodeOptions(issue=n, agent="claude", repo=REPO), ctx)
    assert result.status == "pr-opened" and result.resumed_from == "pr"
    assert code_env.commits(branch) == [pushed] and result.commit == pushed
    assert len(code_env.fakes.calls()) == 1  # the agent did not run again
    assert len(_open_pulls(code_env)) == 1
    assert [c for c in ctx.store.read_log(docs.COSTS)].__len__() == 1


def test_rerun_after_crash_before_push_pushes_the_recorded_commit(code_env: CodeEnv) -> None:
    n = code_env.issue()
    ctx = code_env.ctx()

    class CrashOnPush(Exception):
        pass

    import agentops.commands.code as code_mod

    real = code_mod._push

    def boom(*a: Any, **k: Any) -> bool:
        raise CrashOnPush()

    code_mod._push = boom  # type: ignore[assignment]
    try:
        with pytest.raises(CrashOnPush):
            run(CodeOptions(issue=n, agent="claude", repo=REPO), ctx)
    finally:
        code_mod._push = real  # type: ignore[assignment]
    assert code_env.remote_branches() == ["main"]
    result = run(CodeOptions(issue=n, agent="claude", repo=REPO), code_env.ctx())
    assert result.status == "pr-opened" and result.resumed_from == "push"
    assert len(code_env.fakes.calls()) == 1 and len(code_env.commits(str(result.branch))) == 1
