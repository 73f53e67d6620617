"""The installed CLI as a subprocess: two concurrent deploys of one environment, and dry-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.deploy.conftest import REPO, World

# Holds the deploy (and so the environment lock) until the test says "release": an event, not a
# time a busy machine could overrun while the second deploy starts.
SLOW_DEPLOY = """\
import pathlib, sys, time
here = pathlib.Path(__file__).parent
(here / "started").write_text(sys.argv[1])
while not (here / "release").exists():
    time.sleep(0.02)
print("deployed", sys.argv[1])
"""


def _setup(world: World) -> None:
    (world.scripts / "slow_deploy.py").write_text(SLOW_DEPLOY)
    (world.root / "agentops.yaml").write_text(
        "environments:\n"
        "  prod:\n"
        f"    deploy: [{json.dumps(sys.executable)}, {json.dumps(str(world.scripts / 'slow_deploy.py'))}, '{{sha}}']\n"
        "    monitor: {duration_s: 0}\n"
    )


def _env(world: World, gh_env: dict[str, str], worker: str) -> dict[str, str]:
    env = {**os.environ, **gh_env, "AGENTOPS_STATE_DIR": str(world.state), "AGENTOPS_WORKER_ID": worker}
    return env


def _agentops(*args: str) -> list[str]:
    return [sys.executable, "-m", "agentops", *args]


def test_second_concurrent_deploy_exits_4_naming_the_holder(world: World, gh_env: dict[str, str]) -> None:
    _setup(world)
    sha = world.shas[3]
    argv = _agentops("deploy", "--env", "prod", "--sha", sha, "--repo", REPO, "--json")
    first = subprocess.Popen(argv, cwd=world.root, env=_env(world, gh_env, "runner-a"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not (world.scripts / "started").exists():  # the event: the first deploy holds the lock
            assert first.poll() is None, first.communicate()
            time.sleep(0.02)
        second = subprocess.run(argv, cwd=world.root, env=_env(world, gh_env, "runner-b"),
                                capture_output=True, text=True, timeout=600)
        assert second.returncode == 4, second.stderr
        err = json.loads(second.stdout)["error"]
        assert err["type"] == "LostRace" and "runner-a" in err["message"]
    finally:
        (world.scripts / "release").write_text("go")
        out, errtext = first.communicate(timeout=600)  # a guard against a hang, not a timing
    assert first.returncode == 0, errtext
    doc: dict[str, Any] = json.loads(out)
    assert doc["status"] == "succeeded" and doc["exit_code"] == 0
    records = [json.loads(line) for line in (world.state / "logs" / "deployments.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["succeeded"]


@pytest.mark.parametrize("json_mode", [True, False])
def test_cli_dry_run(world: World, gh_env: dict[str, str], json_mode: bool) -> None:
    _setup(world)
    args = ["deploy", "--env", "prod", "--sha", world.shas[3], "--repo", REPO, "--dry-run"]
    argv = _agentops(*args, *(["--json"] if json_mode else []))
    res = subprocess.run(argv, cwd=world.root, env=_env(world, gh_env, "runner-a"),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    if json_mode:
        doc = json.loads(res.stdout)
        assert doc["dry_run"] is True and doc["plan"]["deploy"][-1] == world.shas[3]
    else:
        assert res.stdout == "" and world.shas[3] in res.stderr and "pre-flight" in res.stderr
    assert not (world.scripts / "started").exists() and not world.state.exists()
