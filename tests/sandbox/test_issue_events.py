"""Issue events (who labeled what) and closing keywords on merge, as GitHub serves and applies them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentops.sandbox.server import Emulator
from tests.fixtures.emulator import pygithub_client
from tests.sandbox.gitutil import clone, commit_and_push

REPO = "agentops-bot/demo"


def test_label_events_name_their_actor(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo(REPO)
    tok = emulator.state.add_user("triager")
    emulator.state.set_permission(REPO, "triager", "triage")
    n = emulator.state.create_issue(REPO, "t", "body", author="outsider", labels=())
    as_triager = pygithub_client(emulator, token=tok).get_repo(REPO).get_issue(n)
    as_triager.add_to_labels("agentops:approved")
    as_triager.remove_from_labels("agentops:approved")
    emulator_github.get_repo(REPO).get_issue(n).add_to_labels("agentops:approved", "bug")
    emulator.state.label_issue(REPO, n, ["bug"], actor="someone")  # already there: no event
    events = list(emulator_github.get_repo(REPO).get_issue(n).get_events())
    assert [(e.event, e.actor.login, e.label.name) for e in events] == [
        ("labeled", "triager", "agentops:approved"), ("unlabeled", "triager", "agentops:approved"),
        ("labeled", "agentops-bot", "agentops:approved"), ("labeled", "agentops-bot", "bug")]
    raw = events[0].raw_data
    assert set(raw) >= {"id", "node_id", "url", "actor", "event", "commit_id", "commit_url", "created_at", "label"}
    emulator_github.get_repo(REPO).get_issue(n).edit(state="closed")
    assert [e.event for e in emulator_github.get_repo(REPO).get_issue(n).get_events()][-1] == "closed"


def test_seeded_labels_are_applied_by_the_author(emulator: Emulator, gh: Any) -> None:
    emulator.state.create_repo(REPO)
    n = emulator.state.create_issue(REPO, "t", "b", author="maint", labels=("agent-task",))
    assert [(e.event, e.actor, e.label) for e in gh.list_issue_events(REPO, n)] == [("labeled", "maint", "agent-task")]


@pytest.mark.parametrize(("text", "closes"), [
    ("Fixes #{k}", True), ("fixes: #{k}", True), ("Resolved {repo}#{k}", True),
    ("closes http://emu/{repo}/issues/{k}", True), ("Fixes # {k}", False), ("see #{k}", False),
])
def test_merge_closes_issues_named_by_closing_keywords(emulator: Emulator, emulator_github: Any, tmp_path: Path,
                                                       text: str, closes: bool) -> None:
    repo = emulator.state.create_repo(REPO, files={"a.txt": "one\n"})
    k = emulator.state.create_issue(REPO, "victim", "b")
    work = clone(repo.clone_url, tmp_path / "work")
    commit_and_push(work, "feat", {"b.txt": "two\n"})
    pr = emulator_github.get_repo(REPO).create_pull(title="feat", body=text.format(k=k, repo=REPO), head="feat",
                                                    base="main")
    pr.merge()
    assert emulator.state.issue(repo, k).state == ("closed" if closes else "open")


def test_merge_closes_issues_named_in_merged_commit_messages(emulator: Emulator, emulator_github: Any,
                                                             tmp_path: Path) -> None:
    repo = emulator.state.create_repo(REPO, files={"a.txt": "one\n"})
    k = emulator.state.create_issue(REPO, "victim", "b")
    work = clone(repo.clone_url, tmp_path / "work")
    commit_and_push(work, "feat", {"b.txt": "two\n"}, message=f"change\n\nfixes #{k}")
    emulator_github.get_repo(REPO).create_pull(title="feat", body="", head="feat", base="main").merge()
    assert emulator.state.issue(repo, k).state == "closed"
