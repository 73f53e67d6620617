"""Deploy test world: a real git repo with merged-PR commits, real deploy/rollback scripts that
record their calls, the GitHub emulator, a store under tmp and an injected clock/sleep."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentops.context import Context
from agentops.output import Output
from agentops.settings import Config, EnvironmentConfig, HealthCheckConfig, MonitorConfig
from agentops.state.store import Store
from tests.fixtures.gitrepo import git

REPO = "agentops-bot/app"
HEALTH = "http://svc.test/health"
SECRET = "s3cr3t-deploy-value-42"

SCRIPT = """\
import json, os, pathlib, sys
here = pathlib.Path(__file__).parent
with open(here / "calls.jsonl", "a") as fh:
    fh.write(json.dumps({"script": pathlib.Path(__file__).stem, "argv": sys.argv[1:],
                         "env": os.environ.get("AGENTOPS_ENV")}) + "\\n")
print("running", pathlib.Path(__file__).stem, *sys.argv[1:])
print("token in use:", os.environ.get("DEPLOY_TOKEN", "<none>"))
if (here / ("fail_" + pathlib.Path(__file__).stem)).exists():
    print("something broke", file=sys.stderr)
    sys.exit(3)
"""


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2024, 6, 12, 12, 0, tzinfo=dt.UTC)  # a Wednesday

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class World:
    root: Path  # the application repository (work tree)
    scripts: Path
    state: Path
    gh: Any
    emulator: Any
    clock: Clock
    shas: list[str]
    sleeps: list[float] = field(default_factory=list)
    env_cfg: EnvironmentConfig | None = None
    stderr: io.StringIO = field(default_factory=io.StringIO)
    stdout: io.StringIO = field(default_factory=io.StringIO)

    def environment(self, **kw: Any) -> EnvironmentConfig:
        base: dict[str, Any] = dict(
            deploy=(sys.executable, str(self.scripts / "deploy.py"), "{sha}", "{env}"),
            rollback=(sys.executable, str(self.scripts / "rollback.py"), "{previous_sha}"),
            health_checks=(HealthCheckConfig(url=HEALTH, expect_status=200, retries=1, retry_delay_s=1.0,
                                             timeout_s=0.5),),
            monitor=MonitorConfig(duration_s=30, interval_s=10, max_failures=1),
            env_allow=("DEPLOY_TOKEN",),
            timeout_s=60,
        )
        base.update(kw)
        return EnvironmentConfig(**base)

    def ctx(self, env_cfg: EnvironmentConfig | None = None, *, json_mode: bool = False,
            worker: str = "worker-1") -> Context:
        cfg = Config(environments={"prod": env_cfg or self.env_cfg or self.environment()})
        out = Output(json_mode=json_mode, out=self.stdout, err=self.stderr, env={})
        return Context(env={"PATH": "/usr/bin:/bin", "DEPLOY_TOKEN": SECRET, "AGENTOPS_WORKER_ID": worker},
                       cwd=self.root, output=out, repo_flag=REPO, clock=self.clock, sleep=self.sleeps.append,
                       config_override=cfg, github_override=self.gh,
                       store_override=Store(self.state, writer=worker, clock=self.clock))

    def calls(self) -> list[dict[str, Any]]:
        p = self.scripts / "calls.jsonl"
        return [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []

    def fail(self, script: str, on: bool = True) -> None:
        flag = self.scripts / f"fail_{script}"
        if on:
            flag.write_text("1")
        else:
            flag.unlink(missing_ok=True)

    def log(self, name: str) -> list[dict[str, Any]]:
        p = self.state / "logs" / f"{name}.jsonl"
        return [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []

    def issues(self) -> list[Any]:
        return sorted(self.gh.list_issues(REPO, state="all").items or (), key=lambda i: i.number)

    def comments(self, number: int) -> list[str]:
        return [c.body for c in self.gh.list_comments(REPO, number)]

    def set_check(self, sha: str, name: str, conclusion: str | None, status: str = "completed") -> None:
        self.emulator.state.add_check_run(REPO, sha, name=name, status=status, conclusion=conclusion)


def _commit(root: Path, name: str, message: str) -> str:
    (root / name).write_text(message + "\n")
    git(root, "add", name)
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def world(tmp_path: Path, emulator: Any, gh: Any) -> Iterator[World]:
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shas = [_commit(root, "a.txt", "initial commit"),
            _commit(root, "b.txt", "Merge pull request #5 from agentops-bot/feature"),
            _commit(root, "c.txt", "Add health endpoint (#8)"),
            _commit(root, "d.txt", "Fix crash on start (#9)")]
    repo = emulator.state.create_repo(REPO)
    git(root, "push", "-q", "--force", str(repo.bare_path), "main:main")
    for sha in shas:  # CI ran on every commit (a sha no CI saw is refused by pre-flight)
        emulator.state.add_check_run(REPO, sha, name="ci", status="completed", conclusion="success")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("deploy", "rollback"):
        (scripts / f"{name}.py").write_text(SCRIPT)
    yield World(root, scripts, tmp_path / "state", gh, emulator, Clock(), shas)


@pytest.fixture
def health() -> Iterator[Callable[..., Any]]:
    """health(*answers): the health endpoint answers these in order (ints are status codes,
    exceptions are raised), repeating the last one forever."""
    import httpx
    import respx

    with respx.mock(assert_all_called=False) as router:
        def program(*answers: Any) -> Any:
            seq = list(answers)

            def respond(request: httpx.Request) -> httpx.Response:
                item = seq.pop(0) if len(seq) > 1 else seq[0]
                if isinstance(item, Exception):
                    raise item
                return httpx.Response(item, json={"status": "ok" if item == 200 else "down"})

            route = router.get(HEALTH).mock(side_effect=respond)
            route.reset()  # the same pattern returns the same route: count from this program on
            return route

        yield program

