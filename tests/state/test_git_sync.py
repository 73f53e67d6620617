"""State across clones: the real git merge driver, and `state sync` racing on one remote."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentops.cli import app
from agentops.errors import ExitCode, StateError, Unavailable
from agentops.git.sync import attribute_lines, install_merge_driver, sync_state
from agentops.state import docs
from agentops.state.store import Store
from tests.fixtures.gitrepo import git


def at(second: int) -> Callable[[], dt.datetime]:
    return lambda: dt.datetime(2025, 3, 1, 12, 0, second, tzinfo=dt.UTC)


def store(repo: Path, writer: str, second: int) -> Store:
    return Store(repo / "state", writer=writer, clock=at(second))


def no_sleep(_s: float) -> None:
    pass


def remote_state(clone: Callable[..., Path]) -> Store:
    return Store(clone(name="reader") / "state", writer="reader")


@pytest.fixture
def pair(clone: Callable[..., Path]) -> tuple[Path, Path]:
    """Two clones that share a state document and the committed .gitattributes."""
    a, b = clone(name="a"), clone(name="b")
    install_merge_driver(a)
    s = store(a, "a", 1)
    for key in ("t1", "t2", "t3"):
        s.put(docs.TASK_QUEUE, key, {"status": "queued"})
    s.append(docs.AGENT_ACTIONS, {"action": "scout"})
    git(a, "add", ".gitattributes", "state/.gitignore")
    git(a, "commit", "-q", "-m", "agentops merge attributes")
    sync_state(a, a / "state", sleep=no_sleep)
    git(b, "pull", "-q", "--no-rebase")
    install_merge_driver(b)
    return a, b


def test_install_is_idempotent(clone: Callable[..., Path]) -> None:
    repo = clone()
    first = install_merge_driver(repo)
    second = install_merge_driver(repo)
    assert first["gitattributes_changed"] and not second["gitattributes_changed"]
    text = (repo / ".gitattributes").read_text()
    for line in attribute_lines():
        assert text.count(line) == 1
    assert git(repo, "config", "merge.agentops.driver").endswith("state merge %O %A %B %P")
    assert (repo / "state" / ".gitignore").read_text() == "*.lock\n*.tmp\n"


def test_merge_driver_merges_same_and_different_records(pair: tuple[Path, Path]) -> None:
    a, b = pair
    sa = store(a, "a", 10)
    sa.put(docs.TASK_QUEUE, "t1", {"status": "claimed", "by": "a"})
    store(a, "a", 11).delete(docs.TASK_QUEUE, "t2")
    sa.append(docs.AGENT_ACTIONS, {"action": "claim", "by": "a"})
    git(a, "commit", "-q", "-am", "a's changes")
    git(a, "push", "-q", "origin", "main")

    sb = store(b, "b", 12)
    sb.put(docs.TASK_QUEUE, "t1", {"status": "claimed", "by": "b"})  # later than a's edit: wins
    store(b, "b", 5).put(docs.TASK_QUEUE, "t2", {"status": "edited-before-delete"})  # older than a's delete
    sb.put(docs.TASK_QUEUE, "t3", {"status": "done"})
    sb.put(docs.TASK_QUEUE, "t4", {"status": "new"})
    sb.append(docs.AGENT_ACTIONS, {"action": "claim", "by": "b"})
    git(b, "add", "state")
    git(b, "commit", "-q", "-m", "b's changes")
    git(b, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")  # the driver resolves the document

    text = (b / "state" / "orchestrator" / "task-queue.json").read_text()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    assert git(b, "status", "--porcelain", "--untracked-files=no") == ""
    merged = Store(b / "state", writer="check")
    assert merged.records(docs.TASK_QUEUE) == {"t1": {"status": "claimed", "by": "b"}, "t3": {"status": "done"},
                                               "t4": {"status": "new"}}
    raw = json.loads(text)["records"]
    assert raw["t2"]["deleted"] is True and raw["t2"]["writer"] == "a"
    assert sorted(e.get("by", "-") for e in merged.read_log(docs.AGENT_ACTIONS)) == ["-", "a", "b"]

    # an edit newer than the delete resurrects the record through the next merge
    store(a, "a", 30).put(docs.TASK_QUEUE, "t2", {"status": "requeued"})
    git(a, "commit", "-q", "-am", "requeue")
    git(a, "pull", "-q", "--no-rebase", "--no-edit", str(b), "main")
    assert Store(a / "state", writer="c").get(docs.TASK_QUEUE, "t2") == {"status": "requeued"}
    assert Store(a / "state", writer="c").get(docs.TASK_QUEUE, "t1") == {"status": "claimed", "by": "b"}


def test_corrupt_side_makes_git_report_a_conflict_not_lose_data(pair: tuple[Path, Path]) -> None:
    a, b = pair
    store(a, "a", 10).put(docs.TASK_QUEUE, "t1", {"v": "a"})
    git(a, "commit", "-q", "-am", "a")
    git(a, "push", "-q", "origin", "main")
    path = b / "state" / "orchestrator" / "task-queue.json"
    path.write_text(path.read_text()[:40])
    git(b, "commit", "-q", "-am", "truncated by accident")
    res = subprocess.run(["git", "pull", "--no-rebase", "--no-edit", "origin", "main"], cwd=b,
                         capture_output=True, text=True)
    assert res.returncode != 0
    assert "task-queue.json" in git(b, "diff", "--name-only", "--diff-filter=U")


def test_sync_commits_only_state_and_merges_a_rejected_push(pair: tuple[Path, Path],
                                                            clone: Callable[..., Path]) -> None:
    a, b = pair
    store(a, "a", 20).put(docs.TASK_QUEUE, "t1", {"status": "a-was-here"})
    first = sync_state(a, a / "state", message="a: state", sleep=no_sleep)
    assert first.committed and first.pushed and first.attempts == 1 and first.merges == 0

    (b / "README.md").write_text("local edit, not for the state commit\n")
    (b / "scratch.txt").write_text("untracked\n")
    (b / "staged.txt").write_text("staged but unrelated\n")
    git(b, "add", "staged.txt")
    store(b, "b", 21).put(docs.TASK_QUEUE, "t9", {"status": "b-was-here"})
    sleeps: list[float] = []
    second = sync_state(b, b / "state", sleep=sleeps.append)
    assert second.pushed and second.attempts == 2 and second.merges == 1 and len(sleeps) == 1

    reader = clone(name="reader")
    recs = Store(reader / "state", writer="r").records(docs.TASK_QUEUE)
    assert recs["t1"] == {"status": "a-was-here"} and recs["t9"] == {"status": "b-was-here"}
    assert (reader / "README.md").read_text() == "# test repository\n"
    assert not (reader / "scratch.txt").exists() and not (reader / "staged.txt").exists()
    assert not list((reader / "state").rglob("*.lock"))
    # b's unrelated work is still there, uncommitted
    assert "README.md" in git(b, "diff", "--name-only")
    assert git(b, "diff", "--cached", "--name-only") == "staged.txt"
    assert (b / "scratch.txt").exists()
    assert git(reader, "log", "-1", "--format=%s", second.commit or "") == "agentops: update state"

    again = sync_state(b, b / "state", sleep=no_sleep)
    assert not again.committed and again.commit is None and again.pushed and again.attempts == 1


def test_sync_uses_the_bot_identity_when_none_is_configured(clone: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = clone()
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "--unset", "user.email")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    store(repo, "w", 1).put(docs.METRICS, "m", {"v": 1})
    res = sync_state(repo, repo / "state", sleep=no_sleep)
    assert git(repo, "log", "-1", "--format=%an <%ae>", res.commit or "") == \
        "agentops <agentops@users.noreply.github.com>"


def test_sync_refuses_to_publish_a_corrupt_state_file(clone: Callable[..., Path]) -> None:
    repo = clone()
    store(repo, "w", 1).put(docs.METRICS, "m", {"v": 1})
    bad = repo / "state" / "orchestrator" / "metrics.json"
    bad.write_text('{"schema_version": 1, "kind"')
    with pytest.raises(StateError) as err:
        sync_state(repo, repo / "state", sleep=no_sleep)
    assert str(bad) in str(err.value) and err.value.exit_code == ExitCode.BAD_INPUT
    assert git(repo, "log", "--format=%s") == "initial commit"
    assert bad.read_text() == '{"schema_version": 1, "kind"'


def test_sync_gives_up_after_bounded_retries(clone: Callable[..., Path], git_remote: Path) -> None:
    hook = git_remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'rejected by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    repo = clone()
    store(repo, "w", 1).put(docs.METRICS, "m", {"v": 1})
    sleeps: list[float] = []
    with pytest.raises(Unavailable) as err:
        sync_state(repo, repo / "state", retries=3, sleep=sleeps.append)
    assert err.value.exit_code == ExitCode.UNAVAILABLE
    assert len(sleeps) == 2 and all(0 < s < 2 for s in sleeps)
    assert "after 3 attempts" in str(err.value)
    assert git(repo, "log", "-1", "--format=%s") == "agentops: update state"  # kept locally


def test_two_clones_racing_state_sync_both_land(pair: tuple[Path, Path], clone: Callable[..., Path]) -> None:
    a, b = pair
    store(a, "a", 40).put(docs.TASK_QUEUE, "from-a", {"v": 1})
    store(a, "a", 40).append(docs.COSTS, {"who": "a"})
    store(b, "b", 41).put(docs.TASK_QUEUE, "from-b", {"v": 2})
    store(b, "b", 41).append(docs.COSTS, {"who": "b"})
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "agentops", "state", "sync", "--json", "--retries", "8"],
                              cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for repo in (a, b)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert all(r["pushed"] and r["committed"] for r in results)
    reader = remote_state(clone)
    recs = reader.records(docs.TASK_QUEUE)
    assert recs["from-a"] == {"v": 1} and recs["from-b"] == {"v": 2}
    assert sorted(e["who"] for e in reader.read_log(docs.COSTS)) == ["a", "b"]
    text = (reader.root / "orchestrator" / "task-queue.json").read_text()
    assert "<<<<<<<" not in text


def test_cli_install_and_sync_exit_3(clone: Callable[..., Path], git_remote: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = clone()
    monkeypatch.chdir(repo)
    runner = CliRunner()
    res = runner.invoke(app, ["state", "merge-driver", "install", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["gitattributes_changed"] is True
    hook = git_remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    store(repo, "w", 1).put(docs.METRICS, "m", {"v": 1})
    res = runner.invoke(app, ["state", "sync", "--retries", "1", "--json"])
    assert res.exit_code == 3
    assert json.loads(res.stdout)["error"]["exit_code"] == 3
    # only state/ was committed: .gitattributes from the install is still an uncommitted change
    assert git(repo, "status", "--porcelain", "--", ".gitattributes") == "?? .gitattributes"
