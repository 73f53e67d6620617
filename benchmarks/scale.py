"""Scale: the cost of a claim, a sync and a status stays flat as the queue and its history grow.

Prints, each measured side by side in this one run (ratios and request counts, never a best-of):

- GitHub requests per uncontended claim at 100 and at 5,000 open tasks (goal: <= 5 at both);
- requests for `tasks` after one new issue at 100 and at 5,000 open tasks (goal: <= 3);
- `agentops claim` (the whole CLI) with 50,000 stored tasks and a 700,000-event agent-actions log
  versus 100 tasks and an empty log: ratio of the median CPU times of the CLI process (goal <= 1.5x);
- `agentops status --json` (the whole CLI) with 50,000 stored tasks versus 100 (goal <= 2x);
- `tasks` CPU time (this thread; the emulator runs in its own threads) at 4,000 open tasks with
  10% blocked versus 400 (goal <= 12x: linear).

The emulator's clock moves one second per issue created and per command, as time passes between
real issues and commands (GitHub's timestamps have whole seconds, and `since=` is inclusive).
The stored history is what months of work leave: closed tasks finished over the past year. The
first `tasks` run of each side is the steady state's starting point (it archives what is past
retention) and is not timed.

    python -m benchmarks.scale [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentops.commands import claim as claim_cmd
from agentops.commands import tasks as tasks_cmd
from agentops.context import Context
from agentops.github.adapter import connect
from agentops.output import Output
from agentops.sandbox.server import Emulator
from agentops.settings import AgentConfig, ClaimsConfig, Config
from agentops.state import docs
from agentops.state.store import Store

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
OWNER = "agentops-bot"


def body(deps: str = "_No response_") -> str:
    return ("### Assigned Agent\n\nany\n\n### What should the agent do?\n\n- do it\n\n### Priority\n\nmedium\n\n"
            f"### Dependencies\n\n{deps}\n")


class Ticking:
    """The emulator's clock: one second later each time `tick` is called."""

    def __init__(self) -> None:
        self.now = T0

    def tick(self, seconds: float = 1.0) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def __call__(self) -> dt.datetime:
        return self.now


def make_emulator(tmp: Path) -> tuple[Emulator, Ticking]:
    emu = Emulator(data_dir=tmp / "emu").start()
    clock = Ticking()
    emu.state.now = clock
    return emu, clock


def add_issues(emu: Emulator, clock: Ticking, repo: str, n: int, *, blocked_every: int = 0) -> None:
    for i in range(n):
        clock.tick()
        deps = "#1" if blocked_every and i and i % blocked_every == 0 else "_No response_"
        emu.state.create_issue(repo, f"task {i}", body(deps), labels=("agent-task",))


def context(emu: Emulator, root: Path, worker: str, repo: str, clock: Ticking) -> Context:
    env = {"GITHUB_API_URL": emu.url, "GH_TOKEN": emu.token, "AGENTOPS_WORKER_ID": worker}
    cfg = Config(agents=tuple(AgentConfig(name=f"a{i}", max_concurrent=100000) for i in range(4)),
                 claims=ClaimsConfig(settle_seconds=0))
    return Context(env=env, cwd=root, output=Output(out=io.StringIO(), err=io.StringIO(), env=env),
                   config_override=cfg, github_override=connect(env, mutation_interval=0, sleep=lambda s: None),
                   store_override=Store(root / worker, writer=worker, clock=clock), sleep=lambda s: None,
                   repo_flag=repo, clock=clock)


# -- request counts ------------------------------------------------------------------------------
def request_counts(tmp: Path, sizes: tuple[int, ...], claims: int) -> None:
    emu, clock = make_emulator(tmp)
    try:
        for n in sizes:
            repo = f"{OWNER}/open{n}"
            emu.state.create_repo(repo)
            add_issues(emu, clock, repo, n)
            ctx = context(emu, tmp, f"w{n}", repo, clock)
            tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)  # the first sync of this clone: not counted
            per_claim = []
            for _ in range(claims):
                clock.tick()
                emu.reset_counts()
                got = claim_cmd.run(claim_cmd.ClaimOptions(agent="a1"), ctx)
                if got.claimed is None:
                    raise SystemExit(f"claim at {n} open tasks claimed nothing: {got.reason}")
                per_claim.append(emu.total_requests())
            print(f"requests per uncontended claim at {n:,} open tasks: mean {statistics.mean(per_claim):.1f}, "
                  f"max {max(per_claim)}  (goal <= 5)")
            clock.tick()
            emu.state.create_issue(repo, "one more", body(), labels=("agent-task",))
            clock.tick()
            emu.reset_counts()
            tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
            print(f"tasks after one new issue at {n:,} open tasks: {emu.total_requests()} requests  (goal <= 3)")
    finally:
        emu.stop()


# -- stored history: whole-CLI claim and status ---------------------------------------------------
def task_record(repo: str, n: int, *, closed: bool) -> dict[str, Any]:
    """A record shaped like the ones `tasks` writes (about 1.2 KiB each)."""
    return {"kind": "task", "repo": repo, "number": n, "title": f"Refactor module {n} and add its tests",
            "author": OWNER, "author_association": "OWNER", "labels": ["agent-task"],
            "state": "closed" if closed else "open", "html_url": f"https://github.com/{repo}/issues/{n}",
            "created_at": "2025-03-01T00:00:00Z", "issue_updated_at": "2025-03-02T00:00:00Z",
            "from_form": True, "agent": "any", "capabilities": [],
            "spec": "- refactor the module\n- keep the public API\n- add tests for every branch\n" * 4,
            "steps": [], "acceptance": ["tests pass", "coverage does not drop"], "deadline": None,
            "dependencies": [], "problems": [], "secrets": False, "base_priority": "medium",
            "priority": "medium", "attempts": 1, "status": "done" if closed else "ready", "claim": None,
            "completed": closed, "trusted": True, "trust_reason": "author is OWNER", "blockers": [], "cycle": [],
            "hold_reason": None}


def seed_history(state: Path, repo: str, stored: int, events: int) -> None:
    """`stored` - 100 closed tasks finished over the past year, and an agent-actions log."""
    year = dt.timedelta(days=365)
    old = stored - 100
    end = dt.datetime.now(dt.UTC)  # the CLI runs on the real clock: the past year is the real one
    stamps = iter(end - year + year * i / max(old, 1) for i in range(old))
    store = Store(state, writer="history", clock=lambda: next(stamps))
    store.update(docs.TASK_QUEUE, lambda d: [d.put(f"{repo}#{100000 + i}", task_record(repo, 100000 + i, closed=True))
                                             for i in range(old)])
    logs = state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    actions = ("claim", "pr-opened", "test", "task-completed", "release", "task-failed")
    with open(logs / "agent-actions.jsonl", "w", encoding="utf-8") as fh:
        for i in range(events):
            ts = (end - year + year * i / max(events, 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            fh.write(json.dumps({"ts": ts, "agent": f"a{i % 4}", "worker": "w", "repo": repo, "issue": i // 6,
                                 "action": actions[i % 6], "result": "ok", "details": {"pr": i // 6}},
                                separators=(",", ":")) + "\n")


def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[float, dict[str, Any]]:
    """Run the whole CLI; returns its CPU time (user + system: on a busy machine wall time is
    mostly other people's work) and its JSON document."""
    c0 = _children_cpu()
    res = subprocess.run([sys.executable, "-m", "agentops", *args, "--json"], cwd=cwd, env=env,
                         capture_output=True, text=True, check=False)
    cpu = _children_cpu() - c0
    if res.returncode != 0:
        raise SystemExit(f"agentops {' '.join(args)} exited {res.returncode}: {res.stderr[-2000:]}")
    doc: dict[str, Any] = json.loads(res.stdout)
    return cpu, doc


def stored_history(tmp: Path, stored: int, events: int, runs: int) -> None:
    emu, clock = make_emulator(tmp)
    try:
        config = tmp / "agentops.yaml"
        config.write_text("version: 1\nagents:\n  - name: a1\n    max_concurrent: 1000\n"
                          "claims:\n  settle_seconds: 0\n", encoding="utf-8")
        sides: dict[str, dict[str, str]] = {}
        for name, n_stored, n_events in (("small", 100, 0), ("big", stored, events)):
            repo = f"{OWNER}/{name}"
            emu.state.create_repo(repo)
            add_issues(emu, clock, repo, 100)
            state = tmp / f"state-{name}"
            if n_stored > 100:
                seed_history(state, repo, n_stored, n_events)
            env = {**os.environ, "GITHUB_API_URL": emu.url, "GH_TOKEN": emu.token, "GITHUB_REPOSITORY": repo,
                   "AGENTOPS_WORKER_ID": f"bench-{name}", "AGENTOPS_STATE_DIR": str(state),
                   "AGENTOPS_CONFIG": str(config), "AGENTOPS_MUTATION_INTERVAL": "0"}
            sides[name] = env
        queue = {name: Path(env["AGENTOPS_STATE_DIR"]) / "orchestrator" / "task-queue.json"
                 for name, env in sides.items()}
        before = queue["big"].stat().st_size
        for env in sides.values():
            clock.tick()
            cli(env, tmp, "tasks")  # steady state: the first sync (archives what is past retention)
        print(f"stored tasks {stored:,} ({before / 2**20:.1f} MiB queue before archiving; live queue now "
              f"{queue['big'].stat().st_size / 2**20:.2f} MiB), agent-actions log {events:,} events")
        walls: dict[tuple[str, str], list[float]] = {}
        for _ in range(runs):
            for name, env in sides.items():  # interleaved, so load on the machine hits both sides alike
                clock.tick(60)
                wall, doc = cli(env, tmp, "claim", "--agent", "a1")
                if not doc.get("claimed"):
                    raise SystemExit(f"claim on the {name} side claimed nothing: {doc}")
                walls.setdefault(("claim", name), []).append(wall)
                wall, doc = cli(env, tmp, "status")
                walls.setdefault(("status", name), []).append(wall)
        med = {k: statistics.median(v) for k, v in walls.items()}
        print(f"one claim (whole CLI, CPU), {stored:,} stored tasks + {events:,}-event log vs 100 tasks + empty log: "
              f"{med[('claim', 'big')]:.3f} s vs {med[('claim', 'small')]:.3f} s (medians of {runs}), "
              f"ratio {med[('claim', 'big')] / med[('claim', 'small')]:.2f}x  (goal <= 1.5x)")
        print(f"status --json (whole CLI, CPU), {stored:,} stored tasks vs 100: {med[('status', 'big')]:.3f} s vs "
              f"{med[('status', 'small')]:.3f} s (medians of {runs}), "
              f"ratio {med[('status', 'big')] / med[('status', 'small')]:.2f}x  (goal <= 2x)")
    finally:
        emu.stop()


# -- tasks CPU: linear in the queue -------------------------------------------------------------
def tasks_cpu(tmp: Path, small: int, big: int) -> None:
    emu, clock = make_emulator(tmp)
    try:
        cpu: dict[int, float] = {}
        for n in (small, big):
            repo = f"{OWNER}/cpu{n}"
            emu.state.create_repo(repo)
            add_issues(emu, clock, repo, n, blocked_every=10)
            ctx = context(emu, tmp, f"cpu{n}", repo, clock)
            clock.tick()
            c0 = time.thread_time()
            res = tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
            cpu[n] = time.thread_time() - c0
            blocked = res.counts.get("blocked", 0)
            if blocked < n // 10 - 1:
                raise SystemExit(f"expected ~{n // 10} blocked tasks at {n}, got {res.counts}")
            print(f"tasks at {n:,} open tasks ({blocked} blocked, labelled and commented): {cpu[n]:.2f} s CPU")
        print(f"tasks CPU at {big:,} tasks with 10% blocked vs {small:,}: ratio {cpu[big] / cpu[small]:.1f}x  "
              f"(goal <= {big // small * 1.2:g}x: linear)")
    finally:
        emu.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a 70,000-event log and fewer repeats")
    ap.add_argument("--only", choices=("requests", "history", "cpu"), action="append", default=[])
    args = ap.parse_args(argv)
    parts: dict[str, Callable[[Path], None]] = {
        "requests": lambda tmp: request_counts(tmp, (100, 5000), claims=3 if args.quick else 5),
        "history": lambda tmp: stored_history(tmp, 50000, 70000 if args.quick else 700000,
                                              runs=3 if args.quick else 5),
        "cpu": lambda tmp: tasks_cpu(tmp, 400, 4000),
    }
    for name, part in parts.items():
        if args.only and name not in args.only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            part(Path(tmp))


if __name__ == "__main__":
    main()
