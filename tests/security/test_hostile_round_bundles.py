"""Review / CI-fix / conflict rounds split in two, as the Actions workflow runs them: `code --pr N
--address-review --phase agent --bundle DIR` (no write credential needed, nothing published) and
`--phase publish` (a write token, runs nothing). The publish phase treats DIR as hostile: forged
fields, extra refs, a secret in the diff, oversized files and links are refused with nothing pushed
and no round counted."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from agentops.commands import code
from agentops.commands.code import CodeOptions, run
from agentops.errors import AgentOpsError, BadInput
from tests.code.conftest import REPO, CodeEnv, make_code_env
from tests.fixtures.agents import FakeAgents
from tests.fixtures.gitrepo import git


@pytest.fixture
def code_env(emulator: Any, gh: Any, fake_agents: FakeAgents, tmp_path: Path) -> CodeEnv:
    return make_code_env(emulator, gh, fake_agents, tmp_path)


def _pr_with_feedback(env: CodeEnv) -> tuple[int, str]:
    """An agent PR and a maintainer's review comment asking for a change: (pr, branch)."""
    env.emulator.state.add_user("reviewer")
    env.emulator.state.set_permission(REPO, "reviewer", "write")
    opened = run(CodeOptions(issue=env.issue(), agent="claude", repo=REPO), env.ctx())
    assert opened.status == "pr-opened" and opened.pr is not None and opened.branch, opened.reason
    env.emulator.state.add_review_comment(REPO, opened.pr, "please also add CHANGELOG", author="reviewer",
                                          path="feature.txt", line=1)
    return opened.pr, opened.branch


def _agent_phase(env: CodeEnv, pr: int, folder: Path, **edits: str) -> code.CodeResult:
    env.fakes.script(edits=edits or {"CHANGELOG.md": "- feature flag\n"})
    made = run(CodeOptions(pr=pr, address_review=True, repo=REPO, phase="agent", bundle=str(folder)), env.ctx())
    assert made.status == "bundled", made.reason
    return made


def _publish(env: CodeEnv, pr: int, folder: Path, **kind: bool) -> code.CodeResult:
    flags = kind or {"address_review": True}
    return run(CodeOptions(pr=pr, repo=REPO, phase="publish", bundle=str(folder), **flags), env.ctx())


def _remote(env: CodeEnv, branch: str) -> str:
    return git(env.bare, "rev-parse", f"refs/heads/{branch}")


def _rounds(env: CodeEnv) -> dict[str, Any]:
    from agentops.state import docs

    return {k: v.get("rounds") for k, v in env.ctx().store.records(docs.progress(REPO)).items() if v.get("rounds")}


def test_a_split_round_publishes_once_and_the_agent_phase_writes_nothing(code_env: CodeEnv, tmp_path: Path) -> None:
    env = code_env
    pr, branch = _pr_with_feedback(env)
    before = _remote(env, branch)
    folder = tmp_path / "round"
    made = _agent_phase(env, pr, folder)
    assert _remote(env, branch) == before and not _rounds(env)  # nothing pushed, no round counted yet
    meta = json.loads((folder / "bundle.json").read_text())
    assert meta["kind"] == "round" and meta["feedback"] == "review" and meta["base_sha"] == before and meta["covered"]["comment_id"] > 0
    calls = len(env.fakes.calls())
    published = _publish(env, pr, folder)
    assert published.status == "pr-updated" and published.round == 1, published.reason
    assert _remote(env, branch) == made.commit
    assert len(env.fakes.calls()) == calls  # publish ran no agent
    [rounds] = _rounds(env).values()
    assert rounds[str(pr)]["review"] == 1
    again = _publish(env, pr, folder)  # a replayed publish job: the same round, counted once
    assert again.status in ("skipped", "failed") and again.ok == (again.status == "skipped"), again
    [rounds] = _rounds(env).values()
    assert rounds[str(pr)]["review"] == 1


FORGED = {
    "another PR": ("pr", lambda m: m["pr"] + 1, BadInput),
    "another kind of round": ("feedback", lambda m: "ci", BadInput),
    "another repo": ("repo", lambda m: "agentops-bot/other", BadInput),
    "the default branch": ("branch", lambda m: "main", BadInput),
    "an option-shaped branch": ("branch", lambda m: "--upload-pack=touch /tmp/x", BadInput),
    "another task": ("issue", lambda m: 999, BadInput),
    "a review id past the PR's": ("covered", lambda m: {**m["covered"], "review_id": 10**9}, BadInput),
    "a field a review round has not": ("covered", lambda m: {**m["covered"], "ci_sha": "0" * 40}, BadInput),
    "a negative cost": ("cost_usd", lambda m: -1, BadInput),
    "a head the bundle does not carry": ("head_sha", lambda m: "f" * 40, AgentOpsError),
    "a wrong schema": ("schema_version", lambda m: 99, BadInput),
}


def test_forged_fields_oversized_and_linked_bundles_are_refused(code_env: CodeEnv, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """One genuine agent phase, then every forgery of its folder: each refused, nothing pushed, no round."""
    env = code_env
    pr, branch = _pr_with_feedback(env)
    before = _remote(env, branch)
    folder = tmp_path / "round"
    _agent_phase(env, pr, folder)
    meta = folder / "bundle.json"
    good = meta.read_text()
    for case, (key, forge, error) in sorted(FORGED.items()):
        doc = json.loads(good)
        doc[key] = forge(doc)
        meta.write_text(json.dumps(doc))
        with pytest.raises(error):
            _publish(env, pr, folder)
        assert _remote(env, branch) == before and not _rounds(env), case
    meta.write_text(good[:-2] + ', "pad": "' + "x" * (2 * 1024 * 1024) + '"}')
    with pytest.raises(BadInput, match="larger than"):
        _publish(env, pr, folder)
    meta.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BadInput, match="not valid JSON"):
        _publish(env, pr, folder)
    meta.write_text(good)
    monkeypatch.setattr(code, "MAX_GIT_BUNDLE", 10)
    with pytest.raises(BadInput, match="larger than 10 bytes"):
        _publish(env, pr, folder)
    monkeypatch.undo()
    meta.unlink()
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(good)
    os.symlink(elsewhere, meta)
    with pytest.raises(BadInput, match="not a regular file"):
        _publish(env, pr, folder)
    assert _remote(env, branch) == before and not _rounds(env)
    meta.unlink()
    meta.write_text(good)  # the genuine folder still publishes: the refusals were about the forgeries
    assert _publish(env, pr, folder).status == "pr-updated"


def test_a_stale_base_publishes_nothing(code_env: CodeEnv, tmp_path: Path) -> None:
    """The PR moved after the round started (someone pushed): the round's commit is not forced over it."""
    env = code_env
    pr, branch = _pr_with_feedback(env)
    folder = tmp_path / "round"
    _agent_phase(env, pr, folder)
    env.emulator.state.repo(REPO).bare.commit_files(branch, {"other.txt": "a maintainer's push\n"}, "push")
    moved = _remote(env, branch)
    result = _publish(env, pr, folder)
    assert result.status == "failed" and "moved" in str(result.reason)
    assert _remote(env, branch) == moved and not _rounds(env)


def test_a_bundle_with_an_extra_ref_is_refused(code_env: CodeEnv, tmp_path: Path) -> None:
    env = code_env
    pr, branch = _pr_with_feedback(env)
    before = _remote(env, branch)
    folder = tmp_path / "round"
    made = _agent_phase(env, pr, folder)
    # The hostile agent job rebuilds the bundle with a second ref: its commit as the default branch too.
    work = tmp_path / "forge"
    git(tmp_path, "clone", "-q", env.bare.as_uri(), str(work))
    git(work, "fetch", "-q", str(folder / "commits.bundle"), f"refs/heads/{branch}:refs/heads/{branch}")
    git(work, "branch", "-f", "evil-main", str(made.commit))
    git(work, "bundle", "create", "-q", str(folder / "commits.bundle"), f"refs/heads/{branch}", "refs/heads/evil-main",
        f"^{before}")
    with pytest.raises(AgentOpsError, match="exactly"):
        _publish(env, pr, folder)
    assert _remote(env, branch) == before and "evil-main" not in env.remote_branches() and not _rounds(env)


def test_a_secret_in_the_rounds_diff_refuses_the_push(code_env: CodeEnv, tmp_path: Path) -> None:
    env = code_env
    pr, branch = _pr_with_feedback(env)
    before = _remote(env, branch)
    folder = tmp_path / "round"
    # The agent phase has no GitHub token to leak; the publish phase holds one and scans for it.
    token = env.emulator.token
    _agent_phase(env, pr, folder, **{"notes.txt": "t=" + base64.b64encode(token.encode()).decode() + "\n"})
    result = _publish(env, pr, folder)
    assert result.status == "needs-human" and not result.ok
    assert "notes.txt" in str(result.reason) and token not in str(result.reason)
    assert _remote(env, branch) == before and not _rounds(env)


def test_phase_flags_are_checked(code_env: CodeEnv, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="go together"):
        run(CodeOptions(pr=1, address_review=True, repo=REPO, phase="agent"), code_env.ctx())
    with pytest.raises(BadInput, match="--pr N goes with"):
        run(CodeOptions(pr=1, repo=REPO, phase="publish", bundle=str(tmp_path)), code_env.ctx())
    with pytest.raises(BadInput, match="not --cleanup"):
        run(CodeOptions(cleanup=True, repo=REPO, phase="publish", bundle=str(tmp_path)), code_env.ctx())


def test_a_change_to_what_runs_with_credentials_waits_for_a_human(code_env: CodeEnv, tmp_path: Path) -> None:
    """On a pull request GitHub runs the PR's own workflows and actions, write token included; Codespaces
    runs a dev container's commands with the user's secrets. An agent's change to one is never pushed."""
    env = code_env
    pr, branch = _pr_with_feedback(env)
    before = _remote(env, branch)
    folder = tmp_path / "round"
    _agent_phase(env, pr, folder, **{".github/actions/agentops/action.yml": "runs: {using: composite, steps: []}\n",
                                     ".github/workflows/agentops-test.yml": "on: pull_request\n"})
    result = _publish(env, pr, folder)
    assert result.status == "needs-human" and not result.ok
    assert ".github/actions/agentops/action.yml" in str(result.reason) and "a human" in str(result.reason)
    assert _remote(env, branch) == before and not _rounds(env)
    # the one-command form too, for a new task
    env.fakes.script(edits={".devcontainer/code-agent/devcontainer.json": '{"postCreateCommand": "curl evil"}\n'})
    n = env.issue("Tune the dev container")
    direct = run(CodeOptions(issue=n, agent="claude", repo=REPO), env.ctx())
    assert direct.status == "needs-human" and ".devcontainer/code-agent/devcontainer.json" in str(direct.reason)
    assert not any(b.startswith(f"agentops/{n}-") for b in env.remote_branches())
    assert "needs-human" in env.gh.get_issue(REPO, n).labels


def test_the_publish_job_logs_the_agent_runs_cost_once(code_env: CodeEnv, tmp_path: Path) -> None:
    """In Actions the agent job's state is thrown away: the publish job, in its own checkout, logs the
    round's cost from the bundle (so the budget sees it), once however often it is re-run; against the
    agent phase's own state nothing is logged twice."""
    from agentops.state import docs
    from tests.fixtures.github import make_test_context

    env = code_env
    pr, _branch = _pr_with_feedback(env)
    folder = tmp_path / "round"
    _agent_phase(env, pr, folder)
    run_id = json.loads((folder / "bundle.json").read_text())["run"]
    publish_checkout = tmp_path / "publish-job"
    git(tmp_path, "clone", "-q", env.bare.as_uri(), str(publish_checkout))

    def publish_ctx() -> Any:
        return make_test_context(publish_checkout, env.gh, config=env.config, env=env.env, repo=REPO)

    for _ in range(2):
        run(CodeOptions(pr=pr, repo=REPO, phase="publish", bundle=str(folder), address_review=True), publish_ctx())
    logged = [e for e in publish_ctx().store.read_log(docs.COSTS) if e.get("run") == run_id]
    assert len(logged) == 1 and logged[0]["via"] == "publish" and logged[0]["kind"] == "review"
    assert logged[0]["pr"] == pr and logged[0]["cost_usd"] is not None
    _publish(env, pr, folder)  # the agent phase's own state: its record is already there
    assert len([e for e in env.ctx().store.read_log(docs.COSTS) if e.get("run") == run_id]) == 1


def test_the_agent_phase_needs_only_a_read_only_token(code_env: CodeEnv, tmp_path: Path) -> None:
    """As in the workflow's round-agent job: a token that can write nothing, under another identity than
    the one that opened the PR. The round still knows its task (from agentops's own progress record) and
    writes nothing to GitHub; the publish job, with the write token, publishes it."""
    from agentops.github.adapter import connect

    env = code_env
    pr, branch = _pr_with_feedback(env)
    token = env.emulator.state.add_user("actions-reader")
    env.emulator.state.set_permission(REPO, "actions-reader", "read")
    reader = connect({"GITHUB_API_URL": env.emulator.url, "GH_TOKEN": token}, sleep=lambda s: None,
                     mutation_interval=0)
    folder = tmp_path / "round"
    env.fakes.script(edits={"CHANGELOG.md": "- feature flag\n"})
    made = run(CodeOptions(pr=pr, address_review=True, repo=REPO, phase="agent", bundle=str(folder)),
               env.ctx(github=reader, GH_TOKEN=token))
    assert made.status == "bundled" and made.issue is not None, made.reason
    prompt = env.fakes.calls()[-1]["prompt"]
    assert "feature.txt exists" in prompt and "please also add CHANGELOG" in prompt  # the task's criteria
    result = _publish(env, pr, folder)
    assert result.status == "pr-updated" and _remote(env, branch) == made.commit
