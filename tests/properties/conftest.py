"""One deterministic hypothesis profile for the bad-input campaign: derandomized (the same
examples on every run and machine), bounded, and without a deadline (CI machines stall)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "agentops-properties",
    derandomize=True,
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("agentops-properties")
