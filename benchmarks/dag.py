"""A DAG of work orders run to the end by events alone, as tests/events/test_dag_e2e.py does, at
size: N tasks in layers (each task depends on up to two tasks of the layer before), filed as
issues on the emulator, driven by the webhook events GitHub would send; every recorded
workflow_dispatch runs the code workflow's steps (claim, code with the command backend and real
git, release by the run's result); every PR is merged.

Prints GitHub requests per task (agentops's own: router, claim, code, release), dispatches per
task + attempt (goal exactly 1), claim races per task (goal <= 0.05) and ordering violations.

    python -m benchmarks.dag [--tasks 200] [--max-parallel 8]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentops.github.adapter import connect  # noqa: E402
from agentops.sandbox.server import Emulator  # noqa: E402
from tests.fixtures.dag_driver import DagDriver, dag_config, setup_repo, write_agent  # noqa: E402

REPO = "agentops-bot/dag"


def layered_deps(n: int, width: int, rng: random.Random) -> list[list[int]]:
    """Dependencies by index: task i depends on up to two tasks of the previous layer."""
    deps: list[list[int]] = []
    for i in range(n):
        layer = i // width
        if layer == 0:
            deps.append([])
            continue
        prev = list(range((layer - 1) * width, min(layer * width, n)))
        deps.append(sorted(rng.sample(prev, k=min(len(prev), rng.choice((1, 1, 2))))))
    return deps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--width", type=int, default=20, help="tasks per layer")
    ap.add_argument("--max-parallel", type=int, default=8)
    args = ap.parse_args(argv)
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp, Emulator(data_dir=Path(tmp) / "emu") as emu:
        root = Path(tmp)
        # The emulator's repositories are local bare repos: git may use the file transport here
        # (as tests/conftest.py allows it), with a throwaway identity; the real home is not used.
        gitconfig = root / "gitconfig"
        gitconfig.write_text("[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n"
                             "[user]\n\tname = bench\n\temail = bench@example.invalid\n", encoding="utf-8")
        os.environ.update({"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"})
        # 200 tasks need more than one token's hour of primary rate limit (5,000): the figure to
        # watch is requests per task; the limit is lifted so the run reaches the end.
        emu.set_rate_limit(1_000_000)
        setup_repo(emu, REPO)
        gh = connect({"GITHUB_API_URL": emu.url, "GH_TOKEN": emu.token}, mutation_interval=0, sleep=lambda s: None)
        cfg = dag_config(write_agent(root), max_parallel=args.max_parallel)
        drv = DagDriver(emu, gh, root, repo=REPO, config=cfg)
        t0 = time.perf_counter()
        before = emu.total_requests()
        numbers: list[int] = []
        for i, deps in enumerate(layered_deps(args.tasks, args.width, rng)):
            numbers.append(drv.file(f"task {i}", [numbers[d] for d in deps]))
        drv.pump()
        requests = emu.total_requests() - before
        secs = time.perf_counter() - t0
        counts = drv.dispatch_counts()
        code = Counter({k: v for k, v in counts.items() if k[1] == "code"})
        closed = drv.closed_events()
        n = args.tasks
        print(f"DAG of {n} tasks ({args.width} per layer, max_parallel {args.max_parallel}), "
              f"{drv.log.events} events, {drv.log.runs} runs, {secs:.1f} s")
        print(f"tasks closed exactly once: {sum(1 for c in closed.values() if c == 1)}/{n}")
        print(f"requests per task: {requests / n:.1f} (agentops's own: router, claim, code, release)")
        print(f"dispatches per task+attempt: max {max(code.values())}, mean {sum(code.values()) / len(code):.2f}")
        print(f"claim races per task: {drv.log.claim_races / n:.3f}")
        print(f"ordering violations: {len(drv.order_violations())}")
        top = sorted(((c["count"], c["method"], c["route"]) for c in emu.counts()), reverse=True)[:8]
        print("most requested: " + "; ".join(f"{m} {r} {cnt / n:.1f}/task" for cnt, m, r in top))
        ok = (all(c == 1 for c in closed.values()) and max(code.values()) == 1
              and drv.log.claim_races / n <= 0.05 and not drv.order_violations())
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
