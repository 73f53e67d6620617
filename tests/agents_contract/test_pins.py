"""The pinned CLI versions live in agentops/agents/pins.py; everything that installs or checks a
CLI must agree with them: dev containers, workflows, .ci/run, doctor."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest

from agentops.agents import check_backends, version_warning
from agentops.agents.pins import PINS, main, npm_specs, version_text
from agentops.settings import AgentConfig, Config

ROOT = Path(__file__).resolve().parents[2]
INSTALLERS = ("devcontainers", ".devcontainer", "agentops/templates/devcontainers", ".github/workflows",
              "agentops/templates/workflows", ".ci", "action.yml")


def _installer_files() -> list[Path]:
    files: list[Path] = []
    for rel in INSTALLERS:
        p = ROOT / rel
        files += [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else []
    return files


def mentions(text: str) -> list[tuple[str, str]]:
    """(package, what follows it) for every install-like mention of a pinned package."""
    found = []
    for pin in PINS.values():
        name = re.escape(pin.package)
        for m in re.finditer(rf"(?<![\w@/-]){name}(?![\w/-])([@=]=?[\w.+-]*)?", text):
            found.append((pin.package, m[1] or ""))
    return found


def disagreements(text: str) -> list[str]:
    bad = []
    for package, suffix in mentions(text):
        pin = next(p for p in PINS.values() if p.package == package)
        expected = f"@{pin.version}" if pin.manager == "npm" else f"=={pin.version}"
        if suffix != expected:
            bad.append(f"{package}{suffix or ' (unpinned)'}: expected {pin.spec}")
    return bad


def test_every_installer_uses_the_pinned_versions() -> None:
    seen = set()
    for path in _installer_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not disagreements(text), (path, disagreements(text))
        seen |= {p for p, _ in mentions(text)}
    # The code-agent dev container installs every npm CLI; the workflow at least claude's.
    code_agent = (ROOT / "devcontainers/code-agent/devcontainer.json").read_text()
    assert all(spec in code_agent for spec in npm_specs())
    assert "@anthropic-ai/claude-code" in seen


def test_the_check_catches_a_drifted_or_unpinned_install_line() -> None:
    pin = PINS["codex"]
    assert disagreements(f"npm install -g {pin.spec}") == []
    assert disagreements("npm install -g @openai/codex@0.1.0")
    assert disagreements("npm install -g @openai/codex && echo done")
    assert disagreements("pip install aider-chat")
    assert disagreements(f"pip install aider-chat=={PINS['aider'].version}") == []


def test_pins_cli_prints_what_scripts_install(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["npm"]) == 0 and capsys.readouterr().out.split() == npm_specs()
    assert main(["spec", "aider"]) == 0 and capsys.readouterr().out.strip() == PINS["aider"].spec
    assert main(["nonsense"]) == 2


def test_versions_read_from_what_the_real_clis_print() -> None:
    assert version_text("2.1.332 (Claude Code)") == "2.1.332"
    assert version_text("codex-cli 0.171.0") == "0.171.0"
    assert version_text("aider 0.86.2") == "0.86.2"
    assert version_text("0.61.0") == "0.61.0"
    assert version_text("no version") is None


def _fake_cli(folder: Path, name: str, prints: str) -> None:
    exe = folder / name
    exe.write_text(f"#!{sys.executable}\nprint({prints!r})\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


def test_doctor_warns_outside_the_tested_range(tmp_path: Path) -> None:
    _fake_cli(tmp_path, "claude", f"{PINS['claude'].version} (Claude Code)")
    _fake_cli(tmp_path, "codex", "codex-cli 0.1.0")
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"}
    cfg = Config(agents=(AgentConfig(name="c", backend="claude"), AgentConfig(name="x", backend="codex")))
    ok, old = check_backends(cfg, env, versions=True)
    assert ok.version == PINS["claude"].version and ok.version_warning is None
    assert old.version == "0.1.0" and old.version_warning and "outside the tested range" in old.version_warning
    assert PINS["codex"].spec in old.version_warning
    assert version_warning("codex", None) and version_warning("command", "1.0.0") is None
