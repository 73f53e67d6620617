"""A create whose answer was lost looks for its marker before repeating; it adopts only an object
agentops's own login wrote, never one a stranger planted with the same marker."""

from __future__ import annotations

from typing import Any

from agentops.github.adapter import connect

REPO = "agentops-bot/demo"


def test_a_planted_marker_is_not_taken_for_our_lost_comment(gh: Any, emulator: Any) -> None:
    emulator.state.create_repo(REPO)
    n = gh.create_issue(REPO, "t", "b").number
    marker = "<!-- agentops:release claim=1 token=abc -->"
    mallory = connect({"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.state.add_user("mallory")},
                      sleep=lambda s: None, mutation_interval=0)
    planted = mallory.create_comment(REPO, n, f"{marker}\nnot really")
    emulator.faults.add(method="POST", path=rf"/issues/{n}/comments$", status=502, after_action=True, count=1)
    ours = gh.create_comment(REPO, n, "released", marker=marker)
    assert ours.id != planted.id and ours.author == "agentops-bot"
    assert [c.author for c in gh.list_comments(REPO, n)] == ["mallory", "agentops-bot"]  # no duplicate of ours


def test_a_planted_marker_is_not_taken_for_our_lost_issue(gh: Any, emulator: Any) -> None:
    emulator.state.create_repo(REPO)
    marker = "<!-- agentops:scout fp=abc123 -->"
    planted = emulator.state.create_issue(REPO, "Finding", f"{marker}\nfake", author="mallory")
    emulator.faults.add(method="POST", path=r"/repos/agentops-bot/demo/issues$", status=502, after_action=True,
                        count=1)
    made = gh.create_issue(REPO, "Finding", "details", marker=marker)
    assert made.number != planted and made.author == "agentops-bot"
    assert len(gh.list_issues(REPO, state="all").items) == 2
