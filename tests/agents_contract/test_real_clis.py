"""Contract tests: every argv agentops builds, for every configuration shape, through the REAL
pinned CLIs (installed by .ci/run into .cache/agent-clis, or AGENTOPS_AGENT_CLIS), with no
credentials, an empty HOME and, where the kernel allows, no network (`unshare -rn`). Each CLI must
get past its argument parsing: it may fail on authentication or the network, never on an option.
A test below proves the check fails when a flag is renamed to one the CLI does not know.

A CLI that is not installed skips with the reason, except under AGENTOPS_REQUIRE_AGENT_CLIS=1
(.ci/run sets it), where it fails: CI must test what it promises.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from agentops.agents import BACKENDS
from agentops.agents.base import Invocation, parse
from agentops.agents.pins import PINS, version_text
from agentops.settings import AgentConfig, GateConfig

ROOT = Path(__file__).resolve().parents[2]
CLIS = Path(os.environ.get("AGENTOPS_AGENT_CLIS") or ROOT / ".cache" / "agent-clis")
REQUIRED = os.environ.get("AGENTOPS_REQUIRE_AGENT_CLIS") == "1"
LOCATIONS = {"claude": "npm/node_modules/.bin/claude", "codex": "npm/node_modules/.bin/codex",
             "gemini": "npm/node_modules/.bin/gemini", "aider": "aider/bin/aider"}
GATES = (GateConfig(name="tests", run=("python", "-m", "pytest", "-q", "--junitxml={reports}/junit.xml")),
         GateConfig(name="lint", run=("ruff", "check", ".")))
DEADLINE_S = 240.0  # a safety net for a hung CLI, not a timing assertion: the verdict comes from output

# What each CLI prints once it is past argument parsing (it tried to authenticate or connect),
# and what it prints when it refuses its arguments.
ACCEPTED: dict[str, Callable[[str], bool]] = {
    "claude": lambda line: line.startswith("{") and ('"type":"system"' in line or '"type":"result"' in line),
    "codex": lambda line: '"type":"thread.started"' in line,
    "gemini": lambda line: "Please set an Auth method" in line or '"type":"init"' in line,
    "aider": lambda line: any(s in line for s in ("Aider v", "OpenRouter", "AuthenticationError",
                                                  "expects these environment variables")),
}
REJECTED = ("unknown option", "unexpected argument", "Unknown argument", "Unknown arguments", "invalid value",
            "Invalid values", "error: unrecognized arguments", "aider: error:", "requires --verbose",
            "error: option", "error: missing required argument")

SHAPES: dict[str, list[AgentConfig]] = {
    "claude": [AgentConfig(name="c"),
               AgentConfig(name="c", model="sonnet", max_turns=7, permission_mode="dontAsk", max_cost_usd=2.0),
               AgentConfig(name="c", allowed_tools=("Bash(make check)", "Edit"), permission_mode="plan")],
    "codex": [AgentConfig(name="x", backend="codex"),
              AgentConfig(name="x", backend="codex", model="gpt-5.5", sandbox_mode="read-only"),
              AgentConfig(name="x", backend="codex", sandbox_mode="danger-full-access")],
    "gemini": [AgentConfig(name="g", backend="gemini"),
               AgentConfig(name="g", backend="gemini", model="gemini-2.5-pro", approval_mode="default"),
               AgentConfig(name="g", backend="gemini", approval_mode="yolo"),
               AgentConfig(name="g", backend="gemini", approval_mode="plan",
                           allowed_tools=("Bash(make check *)",))],
    "aider": [AgentConfig(name="a", backend="aider"),
              AgentConfig(name="a", backend="aider", model="gpt-4.1")],
}
CASES = [(b, i, with_gates) for b, shapes in SHAPES.items() for i in range(len(shapes)) for with_gates in (False, True)]


def _no_network_prefix() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        return [unshare, "-rn"]
    return []


NO_NET = _no_network_prefix()


def installed(backend: str) -> str:
    exe = CLIS / LOCATIONS[backend]
    if not exe.exists():
        why = (f"the real {backend} CLI is not installed at {exe}: .ci/run installs {PINS[backend].spec} "
               f"(or point AGENTOPS_AGENT_CLIS at a folder holding it)")
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)
    return str(exe)


def _env(home: Path, exe: str) -> dict[str, str]:
    node = shutil.which("node")
    path = os.pathsep.join(dict.fromkeys([str(Path(exe).parent), *([str(Path(node).parent)] if node else []),
                                          "/usr/local/bin", "/usr/bin", "/bin"]))
    return {"HOME": str(home), "PATH": path, "TERM": "dumb", "NO_COLOR": "1", "LANG": "C.UTF-8"}


@dataclasses.dataclass
class Verdict:
    accepted: bool
    rejected: str | None
    output: str
    returncode: int | None


def run_cli(backend: str, argv: tuple[str, ...], stdin: str | None, extra_env: dict[str, str], tmp: Path) -> Verdict:
    """Run until the CLI shows it is past parsing (then stop it) or exits."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env = {**_env(home, argv[0]), **extra_env}
    proc = subprocess.Popen([*NO_NET, *argv], cwd=tmp / "repo", env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            if ACCEPTED[backend](line) or any(r in line for r in REJECTED):
                done.set()
        done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if proc.stdin is not None:
        try:
            proc.stdin.write((stdin or "").encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
    done.wait(DEADLINE_S)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join(10)
    text = "\n".join(lines)
    rejected = next((r for r in REJECTED if r in text), None)
    return Verdict(any(ACCEPTED[backend](ln) for ln in lines) and rejected is None, rejected, text, proc.returncode)


def _launch(backend: str, agent: AgentConfig, exe: str, tmp: Path, with_gates: bool) -> tuple[
        tuple[str, ...], str | None, dict[str, str]]:
    repo = tmp / "repo"
    repo.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    run_dir = tmp / "run"
    run_dir.mkdir(exist_ok=True)
    prompt = tmp / "prompt.md"
    prompt.write_text("Add a file hello.txt containing hello.\n", encoding="utf-8")
    inv = Invocation(executable=exe, prompt_file=prompt, worktree=repo, issue=1, repo="acme/widgets",
                     branch="agentops/1-hello", run_dir=run_dir, gates=GATES if with_gates else (),
                     max_budget_usd=1.25 if with_gates else None)
    launch = BACKENDS[backend].launch(dataclasses.replace(agent, backend=backend), inv)  # type: ignore[arg-type]
    return launch.argv, launch.stdin, dict(launch.env)


@pytest.mark.parametrize(("backend", "shape", "with_gates"), CASES,
                         ids=[f"{b}-{i}-{'gates' if g else 'nogates'}" for b, i, g in CASES])
def test_real_cli_accepts_every_argv_agentops_builds(backend: str, shape: int, with_gates: bool,
                                                     tmp_path: Path) -> None:
    exe = installed(backend)
    argv, stdin, env = _launch(backend, SHAPES[backend][shape], exe, tmp_path, with_gates)
    v = run_cli(backend, argv, stdin, env, tmp_path)
    assert v.accepted, f"{backend} refused {argv[1:]} ({v.rejected or 'no sign it got past parsing'}):\n{v.output[-3000:]}"


@pytest.mark.parametrize("backend", sorted(SHAPES))
def test_a_flag_the_cli_does_not_know_fails_the_contract(backend: str, tmp_path: Path) -> None:
    exe = installed(backend)
    argv, stdin, env = _launch(backend, SHAPES[backend][-1], exe, tmp_path, True)
    i = next(i for i, a in enumerate(argv) if a.startswith("--") and i > 0)
    broken = (*argv[:i], argv[i] + "-renamed", *argv[i + 1:])
    v = run_cli(backend, broken, stdin, env, tmp_path)
    assert not v.accepted and v.rejected, v.output[-2000:]


@pytest.mark.parametrize("backend", sorted(LOCATIONS))
def test_installed_version_is_the_pin(backend: str) -> None:
    exe = installed(backend)
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120,
                         env=_env(Path(os.environ.get("TMPDIR", "/tmp")), exe)).stdout
    assert version_text(out) == PINS[backend].version, out


def test_claude_real_output_without_credentials_parses(tmp_path: Path) -> None:
    """Real stream-json captured live: init, one synthetic assistant message, the result line."""
    exe = installed("claude")
    argv, stdin, env = _launch("claude", SHAPES["claude"][0], exe, tmp_path, True)
    home = tmp_path / "home"
    home.mkdir()
    res = subprocess.run([*NO_NET, *argv], input=stdin, capture_output=True, text=True, cwd=tmp_path / "repo",
                         env=_env(home, exe), timeout=DEADLINE_S)
    usage = parse(BACKENDS["claude"], res.stdout, SHAPES["claude"][0])
    assert res.returncode != 0 and usage.error and usage.turns == 1, res.stdout[-2000:]
    assert usage.cost_usd == 0.0  # reported by the CLI itself: nothing was spent
