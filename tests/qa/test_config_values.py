"""agentops.yaml values that parse but cannot work are exit-2 errors at load, naming
file:line:field: a health-check URL or status typo used to pass until the smoke check after a
real deploy (and so rolled it back), and freeze/health errors carried no line. A one-string
command with arguments used to become a single program name (no shell is used)."""

from __future__ import annotations

import pytest

from agentops.config import parse_config
from agentops.errors import ConfigError, ExitCode

_ENV = "version: 1\nenvironments:\n  prod:\n    deploy: [./deploy.sh]\n"


@pytest.mark.parametrize(("extra", "line", "field", "words"), [
    ("    health_checks:\n      - url: notaurl\n", 6, "environments.prod.health_checks[0].url", "http(s)"),
    ("    health_checks:\n      - url: http://h/x\n        expect_status: 700\n", 7,
     "environments.prod.health_checks[0].expect_status", "at most 599"),
    ("    health_checks:\n      - url: http://h/x\n        retries: -1\n", 7,
     "environments.prod.health_checks[0].retries", "at least 0"),
    ("    freeze:\n      - {start: 'Fryday 16:00', end: 'Mon 08:00'}\n", 6, "environments.prod.freeze[0].start",
     "ISO-8601"),
])
def test_unusable_environment_values(extra: str, line: int, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_ENV + extra, "agentops.yaml")
    err = info.value
    assert err.exit_code == ExitCode.BAD_INPUT
    assert (err.line, err.field) == (line, field)
    assert words in err.message and err.message.startswith(f"agentops.yaml:{line}: {field}: ")


@pytest.mark.parametrize(("text", "line", "field"), [
    ("version: 1\nenvironments:\n  prod:\n    deploy: ./deploy.sh production\n", 4, "environments.prod.deploy"),
    ("version: 1\ngates:\n  - name: t\n    run: pytest -q\n", 4, "gates[0].run"),
    ("version: 1\nagents:\n  - name: a\n    backend: command\n    command: ./fix.sh {issue}\n", 5,
     "agents[0].command"),
])
def test_a_command_with_arguments_must_be_a_list(text: str, line: int, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "agentops.yaml")
    assert (info.value.line, info.value.field) == (line, field)
    assert "list of arguments" in info.value.message


def test_valid_values_still_load() -> None:
    cfg = parse_config(_ENV + "    rollback: ./rollback.sh\n    health_checks:\n      - url: https://svc/health\n"
                       "        expect_status: 204\n    freeze: [{start: 'Fri 16:00', end: 'Mon 08:00'}]\n")
    env = cfg.environments["prod"]
    assert env.rollback == ("./rollback.sh",) and env.health_checks[0].expect_status == 204
