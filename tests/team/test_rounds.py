"""Remediation rounds: one per trigger however often the event arrives, bounded per PR, agreed
through GitHub so two routers on two machines agree; a pasted marker never counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentops.domain.markers import make_marker
from agentops.orchestrator import rounds
from agentops.sandbox.server import Emulator
from tests.fixtures.github import make_test_context

REPO = "acme/app"


def _pr(emu: Emulator) -> int:
    emu.state.create_repo(REPO)
    me = emu.state.user_for_token(emu.token) or ""
    emu.state.set_permission(REPO, me, "admin")
    emu.state.repo(REPO).bare.commit_files("agentops/1-fix", {"x.py": "1"}, "agent change")
    return emu.state.create_pull(REPO, "Fix", head="agentops/1-fix", author=me)


def test_one_round_per_trigger_and_the_bound_holds(emulator: Emulator, gh: Any, tmp_path: Path) -> None:
    pr = _pr(emulator)
    ctx = make_test_context(tmp_path, gh)
    first = rounds.begin(ctx, REPO, pr, "review", "review:11", limit=2)
    again = rounds.begin(ctx, REPO, pr, "review", "review:11", limit=2)
    assert first.started and first.n == 1
    assert again.status == "duplicate"
    second = rounds.begin(ctx, REPO, pr, "ci", "run:5:1", limit=2)
    third = rounds.begin(ctx, REPO, pr, "conflict", "conflict:abc", limit=2)
    assert second.started and second.n == 2
    assert third.status == "exhausted" and [r.trigger for r in third.rounds] == ["review:11", "run:5:1"]
    assert rounds.summary(third.rounds) == ("round 1: address review feedback (review:11); "
                                            "round 2: fix failing CI (run:5:1)")
    # The state mirror for status/report.
    from agentops.state import docs
    log = ctx.store.get(docs.progress(REPO), f"pr-{pr}") or {}
    assert [(e["kind"], e["trigger"]) for e in log["rounds_log"]] == [("review", "review:11"), ("ci", "run:5:1")]


def test_a_router_that_posted_second_for_the_same_trigger_withdraws(emulator: Emulator, gh: Any,
                                                                      tmp_path: Path) -> None:
    pr = _pr(emulator)
    ctx = make_test_context(tmp_path, gh)
    # Another runner's round for the same trigger is already on the PR (lower comment id).
    other = make_marker(rounds.ROUND, pr=pr, of="ci", trigger="run:9:1", n=1, token="other")
    gh.create_comment(REPO, pr, "agentops round 1 of 3\n\n" + other, marker=other)
    ticket = rounds.begin(ctx, REPO, pr, "ci", "run:9:1", limit=3)
    assert ticket.status == "duplicate"
    bodies = [c.body for c in gh.list_comments(REPO, pr)]
    assert len([b for b in bodies if "agentops:round" in b]) == 1


def test_a_pasted_round_marker_from_a_reader_neither_spends_nor_blocks_rounds(emulator: Emulator, gh: Any,
                                                                             tmp_path: Path) -> None:
    pr = _pr(emulator)
    emulator.state.add_user("mallory")
    emulator.state.set_permission(REPO, "mallory", "read")
    for i in range(5):
        forged = make_marker(rounds.ROUND, pr=pr, of="review", trigger=f"review:{i}", n=i + 1, token="f")
        emulator.state.add_comment(REPO, pr, "looks like agentops " + forged, author="mallory")
    forged = make_marker(rounds.ROUND, pr=pr, of="ci", trigger="run:1:1", n=1, token="f")
    emulator.state.add_comment(REPO, pr, forged, author="mallory")
    ctx = make_test_context(tmp_path, gh)
    ticket = rounds.begin(ctx, REPO, pr, "ci", "run:1:1", limit=1)
    assert ticket.started and ticket.n == 1


def test_pipeline_names_configured_agents_and_defaults_to_the_author() -> None:
    import pytest

    from agentops.config import parse_config
    from agentops.errors import ConfigError

    cfg = parse_config("version: 1\nagents:\n  - {name: a, backend: claude}\n  - {name: b, backend: codex}\n"
                       "pipeline: {review: b, conflicts: b}\n")
    p = cfg.pipeline
    assert (p.agent_for("author", "a"), p.agent_for("review", "a"), p.agent_for("ci_fix", "a"),
            p.agent_for("conflicts", "a")) == ("a", "b", "a", "b")
    assert parse_config("version: 1\n").pipeline.agent_for("review", "a") is None  # today's behaviour
    with pytest.raises(ConfigError) as err:
        parse_config("version: 1\nagents:\n  - {name: a, backend: claude}\npipeline:\n  ci_fix: ghost\n")
    assert "agentops.yaml:5" in str(err.value) and "pipeline.ci_fix" in str(err.value)
