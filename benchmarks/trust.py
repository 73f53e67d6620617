"""Print what one hostile issue costs in GitHub requests, counted by the embedded emulator: a
`tasks` run with an issue naming 2,000 outside dependencies (goal <= 10, whatever the count), and a
`tick` (which evaluates the queue more than once) over a task naming 50 missing dependencies
(goal: each asked once per run, so 50).

    python benchmarks/trust.py
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from agentops.commands import tasks as tasks_cmd
from agentops.commands import tick as tick_cmd
from agentops.context import Context
from agentops.github.adapter import connect
from agentops.output import Output
from agentops.sandbox.server import Emulator
from agentops.settings import ClaimsConfig, Config
from agentops.state.store import Store

REPO = "agentops-bot/bench"
ISSUE_ROUTE = "/repos/{owner}/{repo}/issues/{number}"


def body(deps: int) -> str:
    listed = "\n".join(f"- other/lib#{i}" for i in range(1, deps + 1))
    return f"### Assigned Agent\n\nany\n\n### What should the agent do?\n\n- do it\n\n### Dependencies\n\n{listed}\n"


def context(emu: Emulator, root: Path, worker: str) -> Context:
    env = {"GITHUB_API_URL": emu.url, "GH_TOKEN": emu.token, "AGENTOPS_WORKER_ID": worker}
    return Context(env=env, cwd=root, output=Output(out=io.StringIO(), err=io.StringIO(), env=env),
                   config_override=Config(claims=ClaimsConfig(settle_seconds=0)),
                   github_override=connect(env, mutation_interval=0, sleep=lambda s: None),
                   store_override=Store(root / worker, writer=worker), sleep=lambda s: None, repo_flag=REPO)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Emulator(data_dir=Path(tmp) / "emu") as emu:
        emu.state.create_repo(REPO)
        emu.state.create_issue(REPO, "hostile", body(2000), author="outsider", labels=("agent-task",))
        emu.reset_counts()
        tasks_cmd.run(tasks_cmd.TasksOptions(), context(emu, Path(tmp), "w1"))
        print(f"tasks run with a 2,000-dependency issue: {emu.total_requests()} requests  (goal <= 10)")

    with tempfile.TemporaryDirectory() as tmp, Emulator(data_dir=Path(tmp) / "emu") as emu:
        emu.state.create_repo(REPO)
        emu.state.create_issue(REPO, "waits", body(50), labels=("agent-task",))
        emu.reset_counts()
        tick_cmd.run(tick_cmd.TickOptions(), context(emu, Path(tmp), "w1"))
        print(f"tick over 50 missing dependencies: {emu.total_requests('GET', ISSUE_ROUTE)} issue look-ups  "
              "(goal 50: once per run)")


if __name__ == "__main__":
    main()
