"""Repo scout figures against the embedded emulator (request counts come from the emulator).

Prints: requests per repository for a cold scan (reads and writes) and a warm scan of the
unchanged repositories, primary rate-limit points used by the warm scan, and the wall time
of a 200-repository scan with 50 ms emulator latency, parallel (scout.concurrency) vs
sequential (concurrency 1), measured in this one run.

    python benchmarks/scout.py [--repos 200] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentops.commands.scout import ScoutOptions, run
from agentops.context import Context
from agentops.github.adapter import connect
from agentops.output import Output
from agentops.sandbox.server import Emulator
from agentops.settings import Config
from agentops.state.store import Store


def _ctx(emu: Emulator, state: Path) -> Context:
    gh = connect({"GITHUB_API_URL": emu.url, "GH_TOKEN": emu.token}, sleep=lambda s: None, mutation_interval=0)
    out = Output(out=io.StringIO(), err=io.StringIO(), env={})
    return Context(env={}, cwd=state, output=out, config_override=Config(), github_override=gh,
                   store_override=Store(state, writer="bench"), sleep=lambda s: None)


def _seed(emu: Emulator, names: list[str]) -> None:
    for i, name in enumerate(names):
        emu.state.create_repo(name)
        emu.state.add_workflow_run(name, name="CI", head_branch="main", head_sha="a" * 40,
                                   conclusion="failure" if i % 4 == 0 else "success")
        if i % 5 == 0:
            emu.state.add_dependabot_alert(name, severity="high", package="requests")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--small", type=int, default=20, help="repositories for the request-count runs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        emu = Emulator(data_dir=root / "emu").start()
        try:
            names = [f"agentops-bot/bench-{i:03d}" for i in range(max(args.repos, args.small))]
            _seed(emu, names)
            small = tuple(names[: args.small])

            ctx = _ctx(emu, root / "state-counts")
            emu.reset_counts()
            res = run(ScoutOptions(repos=small, progress=False), ctx)
            reads, writes = emu.total_requests("GET"), emu.total_requests() - emu.total_requests("GET")
            print(f"cold scan, {len(small)} repos, {len(res.findings)} findings, {len(res.issues)} issue writes:")
            print(f"  reads per repo          {reads / len(small):.2f}")
            print(f"  writes per repo         {writes / len(small):.2f}  (issue creations)")
            print(f"  requests per repo       {(reads + writes) / len(small):.2f}  (goal <= 6)")
            emu.reset_counts()
            res_nw = run(ScoutOptions(repos=small, progress=False, issues=False),
                         _ctx(emu, root / "state-noissues"))
            print(f"  reads per repo, --no-issues {emu.total_requests() / len(small):.2f}")
            _ = res_nw
            for label in ("warm scan (2nd run)", "warm scan (3rd run)"):
                emu.reset_counts()
                before = emu.rate.remaining
                res = run(ScoutOptions(repos=small, progress=False), ctx)
                statuses = sorted({c["status"] for c in emu.counts()})
                print(f"{label}: requests per repo {emu.total_requests() / len(small):.2f}, "
                      f"statuses {statuses}, primary points used {before - emu.rate.remaining}, "
                      f"issue writes {len(res.issues)}")

            emu.latency = args.latency
            many = tuple(names[: args.repos])
            timings = {}
            for label, conc in (("parallel", None), ("sequential", 1)):
                c = _ctx(emu, root / f"state-{label}")
                emu.reset_counts()
                t0 = time.perf_counter()
                run(ScoutOptions(repos=many, progress=False, issues=False, concurrency=conc), c)
                timings[label] = time.perf_counter() - t0
                print(f"{args.repos} repos cold --no-issues, latency {args.latency * 1000:.0f} ms, {label}: "
                      f"{timings[label]:.2f} s ({emu.total_requests()} requests)")
            print(f"parallel / sequential = {timings['parallel'] / timings['sequential']:.3f} (goal <= 0.15)")
        finally:
            emu.stop()


if __name__ == "__main__":
    main()
