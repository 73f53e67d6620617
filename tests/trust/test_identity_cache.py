"""agentops's own login is asked once (GET /user), then remembered in the process and in a cache
file keyed by a hash of the API URL and the token: a worker's repeated `claim` commands judge
claim comments without spending a request each. A cache entry anyone else could have written is
never believed (it decides whose claim comments count)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentops.commands import claim as claim_cmd
from agentops.context import Context
from agentops.errors import LostRace
from agentops.github import identity_cache
from agentops.github.adapter import connect
from agentops.settings import AgentConfig, ClaimsConfig, Config
from tests.fixtures.github import make_test_context

REPO = "octo/app"
USER = ("GET", "/user")
BODY = ("### Assigned Agent\n\nany\n\n### What should the agent do?\n\n- do it\n\n### Priority\n\nmedium\n\n"
        "### Dependencies\n\n_No response_\n")


@pytest.fixture(autouse=True)
def _fresh_process() -> Iterator[None]:
    identity_cache.clear_memo()
    yield
    identity_cache.clear_memo()


def env_for(emulator: Any, cache: Path, token: str | None = None) -> dict[str, str]:
    return {"GITHUB_API_URL": emulator.url, "GH_TOKEN": token or emulator.token, "AGENTOPS_CACHE_DIR": str(cache)}


def command(emulator: Any, root: Path, worker: str, env: dict[str, str]) -> Context:
    """One `agentops` command: its own adapter (as a new CLI invocation builds)."""
    cfg = Config(agents=tuple(AgentConfig(name=f"a{i}", max_concurrent=50) for i in range(1, 4)),
                 claims=ClaimsConfig(settle_seconds=0))
    gh = connect(env, mutation_interval=0, sleep=lambda s: None)
    return make_test_context(root / worker, gh, config=cfg, repo=REPO, env={**env, "AGENTOPS_WORKER_ID": worker})


def entry(cache: Path, emulator: Any, token: str | None = None) -> Path:
    return cache / "identity" / f"{identity_cache.fingerprint(emulator.url, token or emulator.token)}.json"


@pytest.fixture
def repo(emulator: Any) -> str:
    emulator.state.create_repo(REPO)
    emulator.state.set_permission(REPO, "agentops-bot", "admin")
    return REPO


def test_a_worker_asks_for_its_login_once_across_claims(emulator: Any, repo: str, tmp_path: Path) -> None:
    """Each claim after a rival's claim reads that claim comment and must know who it is: the
    first command learns the login, every later one (same process or not) asks nothing."""
    for i in range(6):
        emulator.state.create_issue(REPO, f"t{i}", BODY, labels=("agent-task",))
    env = env_for(emulator, tmp_path / "cache")
    emulator.reset_counts()
    for _ in range(3):
        got = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), command(emulator, tmp_path, "w1", env))
        assert got.claimed is not None
        # A second worker asks for the same task: it reads the claim comment, and judging it needs
        # agentops's login.
        with pytest.raises(LostRace):
            claim_cmd.run(claim_cmd.ClaimOptions(agent="a2", issue=got.claimed.issue),
                          command(emulator, tmp_path, "w2", env))
    assert emulator.total_requests(*USER) <= 1, emulator.counts()
    identity_cache.clear_memo()  # a new process: the cache file answers
    ctx = command(emulator, tmp_path, "w3", env)
    emulator.reset_counts()
    assert ctx.trust.me().wrote("agentops-bot")
    assert emulator.total_requests(*USER) == 0, emulator.counts()


def test_the_file_never_holds_the_token(emulator: Any, tmp_path: Path) -> None:
    env = env_for(emulator, tmp_path / "cache")
    assert connect(env).whoami().login == "agentops-bot"
    path = entry(tmp_path / "cache", emulator)
    text = path.read_text()
    assert emulator.token not in text and json.loads(text)["login"] == "agentops-bot"
    assert path.stat().st_mode & 0o077 == 0


def test_another_token_never_reads_the_entry(emulator: Any, tmp_path: Path) -> None:
    other = emulator.state.add_user("maint")
    cache = tmp_path / "cache"
    assert connect(env_for(emulator, cache)).whoami().login == "agentops-bot"
    emulator.reset_counts()
    assert connect(env_for(emulator, cache, other)).whoami().login == "maint"
    assert emulator.total_requests(*USER) == 1


def _plant(path: Path, login: str, *, mode: int = 0o600, **extra: Any) -> None:
    import time

    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"login": login, "kind": "token", "scopes": [], "at": int(time.time()), **extra}
    path.write_text(json.dumps(doc))
    path.chmod(mode)


@pytest.mark.parametrize("how", ["world-writable", "group-writable", "symlink", "bad-login", "expired",
                                 "not-json", "app-kind", "huge"])
def test_a_planted_entry_is_not_believed(emulator: Any, tmp_path: Path, how: str) -> None:
    """A hostile local user (or a stale file) names `mallory` as agentops: that would make her
    claim comments count as ours. The entry is ignored and GitHub is asked."""
    cache = tmp_path / "cache"
    path = entry(cache, emulator)
    if how == "world-writable":
        _plant(path, "mallory", mode=0o666)
    elif how == "group-writable":
        _plant(path, "mallory", mode=0o620)
    elif how == "symlink":
        elsewhere = tmp_path / "elsewhere.json"
        _plant(elsewhere, "mallory")
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(elsewhere, path)
    elif how == "bad-login":
        _plant(path, "mallory<!-- agentops")
    elif how == "expired":
        _plant(path, "mallory", at=1)
    elif how == "not-json":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{mallory")
        path.chmod(0o600)
    elif how == "app-kind":
        _plant(path, "mallory", kind="app")
    elif how == "huge":
        _plant(path, "mallory", pad="x" * 10000)
    emulator.reset_counts()
    assert connect(env_for(emulator, cache)).whoami().login == "agentops-bot"
    assert emulator.total_requests(*USER) == 1


def test_a_well_formed_entry_of_ours_is_used(emulator: Any, tmp_path: Path) -> None:
    """The counterpart of the planted-entry cases: the same file, written safely, is believed."""
    cache = tmp_path / "cache"
    _plant(entry(cache, emulator), "agentops-bot")
    emulator.reset_counts()
    assert connect(env_for(emulator, cache)).whoami().login == "agentops-bot"
    assert emulator.total_requests(*USER) == 0


def test_the_author_of_our_own_comment_replaces_a_stale_login(emulator: Any, repo: str, tmp_path: Path) -> None:
    """The account was renamed after the entry was written: the first claim comment agentops
    creates names the real login, which wins (in this run and in the file), so our own claim
    still counts and the task is claimed."""
    n = emulator.state.create_issue(REPO, "t", BODY, labels=("agent-task",))
    cache = tmp_path / "cache"
    _plant(entry(cache, emulator), "old-name")
    got = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), command(emulator, tmp_path, "w1",
                                                                             env_for(emulator, cache)))
    assert got.claimed is not None
    assert json.loads(entry(cache, emulator).read_text())["login"] == "agentops-bot"


def test_no_cache_folder_remembers_in_the_process_only(emulator: Any) -> None:
    env = {"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token}
    emulator.reset_counts()
    for _ in range(3):
        assert connect(env).whoami().login == "agentops-bot"
    assert emulator.total_requests(*USER) == 1
