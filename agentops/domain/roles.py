"""The roles a machine can play (one dev container each) and the checks each cannot do without."""

from __future__ import annotations

ROLES = ("all", "orchestrator", "repo-scout", "code-agent", "test-agent", "deploy-agent")

REQUIRED_CHECKS: dict[str, frozenset[str]] = {
    "all": frozenset({"git", "config", "state", "token", "api", "agents"}),
    "orchestrator": frozenset({"git", "config", "state", "token", "api"}),
    "repo-scout": frozenset({"config", "state", "token", "api"}),
    "code-agent": frozenset({"git", "config", "state", "token", "api", "agents"}),
    "test-agent": frozenset({"git", "config", "state", "token", "api"}),
    "deploy-agent": frozenset({"git", "config", "state", "token", "api"}),
}
