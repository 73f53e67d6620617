"""Any YAML text or structure -> a Config, or a ConfigError naming the file and a line or field."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from agentops.config import parse_config
from agentops.errors import ConfigError, ExitCode
from agentops.settings import Config

SOURCE = "agentops.yaml"
_KEYS = st.sampled_from(["version", "agents", "name", "backend", "command", "max_concurrent", "repositories",
                         "environments", "deploy", "budget", "monthly_usd", "claims", "lease_minutes", "scout",
                         "code", "secrets", "test", "gates", "report", "capabilities", "timeout_s", "prod", "x"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                     st.text(max_size=20), st.sampled_from(["claude", "command", "o/r", "1", "true", "~"]))
_TREES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.one_of(_KEYS, st.text(max_size=8)),
                                                                        inner, max_size=5)),
                      max_leaves=25)
_ROOTS = st.one_of(_TREES, st.dictionaries(_KEYS, _TREES, max_size=6),
                   st.fixed_dictionaries({"version": st.sampled_from([1, 2, "1"]),
                                          "agents": st.lists(st.dictionaries(_KEYS, _TREES, max_size=4),
                                                             max_size=3)}))


def _load(text: str) -> None:
    try:
        cfg = parse_config(text, SOURCE)
    except ConfigError as exc:
        assert exc.path == SOURCE
        assert exc.exit_code == ExitCode.BAD_INPUT
        assert exc.line is not None or exc.field is not None or "YAML" in exc.message, exc.message
        assert str(exc).startswith(SOURCE)
        if exc.line is not None:
            assert exc.line >= 1 and str(exc).startswith(f"{SOURCE}:{exc.line}")
    else:
        assert isinstance(cfg, Config)


@given(st.text(max_size=300))
def test_any_text_loads_or_names_the_culprit(text: str) -> None:
    _load(text)


@given(_ROOTS)
def test_any_structure_loads_or_names_the_culprit(tree: Any) -> None:
    _load(yaml.safe_dump(tree, allow_unicode=True))


@given(st.lists(st.sampled_from(["version: 1", "agents:", "  - name: a", "    backend: claude", "  - name: a",
                                 "    backend: command", "    command: [x]", "budget:", "  monthly_usd: -1",
                                 "  monthly_usd: lots", "environments:", "  prod:", "    deploy: []",
                                 "repositories:", "  - name: nope", "\tbad", "key: [unclosed", "&a x", "*b",
                                 "!!python/object:os.system x"]), max_size=14))
def test_line_soup_loads_or_names_the_culprit(lines: list[str]) -> None:
    _load("\n".join(lines) + "\n")
