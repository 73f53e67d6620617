"""Workers under different logins (the App's bot in Actions, a developer's token in a Codespace)
see each other's claims when `claims.identities` names them; without it, another login's claim
counts for nothing."""

from __future__ import annotations

import dataclasses

import pytest

from agentops.commands import claim as claim_cmd
from agentops.context import Context
from agentops.errors import LostRace
from agentops.settings import ClaimsConfig
from tests.fixtures.github import make_test_context
from tests.fixtures.trust import Arena, arena_config


def _as(arena: Arena, login: str, worker: str, identities: tuple[str, ...]) -> Context:
    cfg = dataclasses.replace(arena_config(), claims=ClaimsConfig(settle_seconds=0, identities=identities))
    gh = arena.gh if login == "agentops-bot" else arena.as_user(login)
    return make_test_context(arena.root / worker, gh, config=cfg, repo=arena.repo,
                             env={"AGENTOPS_WORKER_ID": worker}, clock=arena.clock)


def test_claims_of_a_configured_second_identity_count(arena: Arena) -> None:
    n = arena.task()
    both = ("agentops-bot", "maint")
    first = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), _as(arena, "maint", "codespace", both))
    assert first.claimed is not None
    with pytest.raises(LostRace):
        claim_cmd.run(claim_cmd.ClaimOptions(agent="a2", issue=n), _as(arena, "agentops-bot", "actions", both))


def test_without_it_another_login_is_a_stranger(arena: Arena) -> None:
    n = arena.task()
    other = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1", issue=n), _as(arena, "maint", "elsewhere", ()))
    assert other.claimed is not None
    got = claim_cmd.run(claim_cmd.ClaimOptions(agent="a2", issue=n), _as(arena, "agentops-bot", "actions", ()))
    assert got.claimed is not None and got.claimed.worker == "actions"
