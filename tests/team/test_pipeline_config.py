"""`pipeline:` names configured agents; unset stages keep the single-agent behaviour."""

from __future__ import annotations


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
