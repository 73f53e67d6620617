"""Benchmark: `agentops report` over 100,000 log events and 10,000 cached PRs, and its peak
memory over 1,000,000 events.

Goals: under 1.5 s wall time (in-process) at 100k events; at most 100 MiB peak RSS of the whole
CLI (`agentops report --offline --json`, interpreter and imports included) at 1M events.
Prints the figures (no asserts).

    python -m benchmarks.report [--events 100000] [--prs 10000] [--million 1000000]

The state is generated first (not timed), 90 days of history ending today (UTC midnight), so
the CLI on the real clock reports over it: the default 30-day window, its previous window and
8 trend weeks. The in-process report runs in a fresh child process; the whole CLI runs as a
user runs it, its peak RSS read with getrusage(RUSAGE_CHILDREN) in a wrapper process of its own.
A tracemalloc child measures the peak of Python allocations (slower, so not used for the time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

NOW = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
SPAN_DAYS = 90


def _iso(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def generate(root: Path, events: int, prs: int) -> None:
    from agentops.state import docs
    from agentops.state.store import Store

    rnd = random.Random(7)
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    n_deploy, n_incident, n_cost = events // 10, events // 20, events * 15 // 100
    n_action = events - n_deploy - n_incident - n_cost
    start = NOW - dt.timedelta(days=SPAN_DAYS)
    agents = ["claude", "codex", "aider", "local"]

    def at(i: int, n: int) -> dt.datetime:
        return start + dt.timedelta(seconds=SPAN_DAYS * 86400 * i / n)

    with open(logs / "deployments.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n_deploy):
            t = at(i, n_deploy)
            commits = [{"sha": f"c{i}-{k}", "committed_at": _iso(t - dt.timedelta(hours=rnd.uniform(0.5, 72)))}
                       for k in range(rnd.randint(0, 4))]
            status = rnd.choices(["succeeded", "rolled_back", "failed"], [90, 7, 3])[0]
            fh.write(json.dumps({"id": f"d{i}", "repo": f"o/r{i % 5}", "environment": rnd.choice(["production", "staging"]),
                                 "sha": f"s{i}", "previous_sha": f"s{i - 1}", "prs": [i % prs], "commits": commits,
                                 "started_at": _iso(t - dt.timedelta(minutes=5)), "finished_at": _iso(t),
                                 "status": status, "incident": None, "dry_run": i % 50 == 0, "ts": _iso(t)}) + "\n")
    with open(logs / "incidents.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n_incident):
            t = at(i, n_incident)
            # Three events per incident: opened, updated, resolved. (The repository once came from
            # i % 5, which gave each event its own incident: two thirds of them never resolved.)
            ident = f"o/r{i // 3 % 5}#{i // 3}"
            ev = ["opened", "updated", "resolved"][i % 3]
            fh.write(json.dumps({"id": ident, "event": ev, "repo": f"o/r{i // 3 % 5}", "environment": "production",
                                 "issue": i // 3, "sha": None, "deploy_id": f"d{i * 2}", "severity": "high",
                                 "opened_at": _iso(t), "resolved_at": _iso(t + dt.timedelta(hours=2)) if ev == "resolved"
                                 else None, "ts": _iso(t)}) + "\n")
    actions = ["claim", "pr-opened", "remediation", "test", "task-completed", "release", "needs-human", "task-failed"]
    with open(logs / "agent-actions.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n_action):
            t = at(i, n_action)
            a = actions[i % len(actions)]
            issue = i // len(actions)
            fh.write(json.dumps({"ts": _iso(t), "agent": agents[issue % 4], "worker": "w", "repo": f"o/r{issue % 5}",
                                 "issue": issue, "action": a, "result": "pass" if a == "test" else "ok",
                                 "details": {"pr": issue % prs, "round": 1, "reason": "completed"}}) + "\n")
    with open(logs / "costs.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n_cost):
            t = at(i, n_cost)
            fh.write(json.dumps({"ts": _iso(t), "repo": f"o/r{i % 5}", "issue": i, "pr": i % prs, "agent": agents[i % 4],
                                 "backend": "claude", "kind": "code", "cost_usd": round(rnd.uniform(0.1, 3), 3),
                                 "turns": 5, "duration_s": 30.0}) + "\n")
    store = Store(root, writer="bench", clock=lambda: NOW)

    def fill(d: object) -> None:
        for n in range(prs):
            created = at(n, prs)
            merged = created + dt.timedelta(hours=rnd.uniform(1, 48)) if n % 4 else None
            d.put(f"pr:o/r{n % 5}#{n}", {  # type: ignore[attr-defined]
                "repo": f"o/r{n % 5}", "number": n, "issue": n, "author": "agentops-bot",
                "created_at": _iso(created), "merged_at": _iso(merged) if merged else None,
                "closed_at": _iso(merged) if merged else None, "updated_at": _iso(created),
                "first_human_review_at": _iso(created + dt.timedelta(hours=1)), "approved": bool(n % 4)})

    store.update(docs.PULLS, fill)


_CHILD = r"""
import datetime as dt, io, json, resource, sys, time, tracemalloc
from pathlib import Path
trace = sys.argv[2] == "trace"
if trace:
    tracemalloc.start()
from agentops.commands.report import ReportOptions, run
from agentops.settings import Config, BudgetConfig
from agentops.context import Context
from agentops.output import Output
from agentops.state.store import Store
now = dt.datetime.fromisoformat(sys.argv[3])
store = Store(Path(sys.argv[1]), writer="bench", clock=lambda: now)
ctx = Context(env={}, cwd=Path(sys.argv[1]), output=Output(out=io.StringIO(), err=io.StringIO(), env={}),
              clock=lambda: now, config_override=Config(budget=BudgetConfig(monthly_usd=500.0)), store_override=store)
from agentops.state import docs
f0, fc0 = time.perf_counter(), time.process_time()
floor_events = sum(1 for log in docs.LOGS for _ in store.read_log(log))
store.records(docs.PULLS)
floor, floor_cpu = time.perf_counter() - f0, time.process_time() - fc0
t0, c0 = time.perf_counter(), time.process_time()
res = run(ReportOptions(since="30d", offline=True), ctx)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak_py = tracemalloc.get_traced_memory()[1] if trace else None
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
envs = [(e.dora.environment, e.dora.current.deployments) for e in res.report.environments]
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "floor_s": floor, "floor_cpu_s": floor_cpu, "peak_rss_mib": rss_kib / 1024, "peak_python_mib": (peak_py or 0) / 2**20,
                  "environments": envs, "markdown_chars": len(res.markdown)}))
"""


def measure(root: Path, mode: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(root), mode, NOW.isoformat()],
                         check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# A wrapper whose only child is the CLI: its RUSAGE_CHILDREN peak is the CLI's own peak RSS.
_WRAP = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def whole_cli(root: Path) -> tuple[float, float]:
    """`agentops report` as a user runs it (interpreter start-up and imports included):
    (wall seconds, peak RSS MiB)."""
    import os

    env = {**os.environ, "AGENTOPS_STATE_DIR": str(root)}  # no agentops.yaml: the default configuration
    res = subprocess.run([sys.executable, "-c", _WRAP, sys.executable, "-m", "agentops", "report", "--offline",
                          "--since", "30d", "--json"], cwd=root, env=env, check=True, capture_output=True, text=True)
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    return float(doc["wall_s"]), float(doc["peak_rss_mib"])


def main() -> None:
    import statistics

    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--prs", type=int, default=10_000)
    ap.add_argument("--million", type=int, default=1_000_000, help="events for the peak-memory row")
    ap.add_argument("--quick", action="store_true", help="one timed run, no tracemalloc run")
    args = ap.parse_args()
    runs = 1 if args.quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "state"
        generate(root, args.events, args.prs)
        sizes = {p.name: p.stat().st_size for p in sorted(root.rglob("*.json*"))}
        timed = [measure(root, "time") for _ in range(runs)]
        traced = None if args.quick else measure(root, "trace")
        cli = [whole_cli(root) for _ in range(runs)]
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "state"
        generate(big, args.million, args.prs)
        cli_million = whole_cli(big)

    def med(key: str) -> float:
        return statistics.median(float(r[key]) for r in timed)  # type: ignore[arg-type]

    print(f"report benchmark: {args.events:,} log events, {args.prs:,} cached PRs, 90 days to {NOW:%Y-%m-%d}")
    print(f"  state files: {', '.join(f'{k} {v / 2**20:.1f} MiB' for k, v in sizes.items())}")
    walls = ", ".join(f"{float(r['wall_s']):.3f}" for r in timed)  # type: ignore[arg-type]
    print(f"  wall time   : {med('wall_s'):.3f} s (in-process, median of {runs}; runs: {walls})   goal < 1.5 s")
    print(f"  CPU time    : {med('cpu_s'):.3f} s (median; less sensitive to a busy machine)")
    print(f"  whole CLI   : {statistics.median(w for w, _ in cli):.3f} s wall (agentops report --offline --since 30d "
          f"--json, median of {runs})")
    print(f"  store floor : {med('floor_s'):.3f} s wall, {med('floor_cpu_s'):.3f} s CPU just to read "
          f"the four logs and the PR cache through the Store API")
    print(f"  peak RSS    : {max(r for _, r in cli):.1f} MiB (whole CLI, interpreter and imports included; "
          f"in-process child {max(float(r['peak_rss_mib']) for r in timed):.1f} MiB)")  # type: ignore[arg-type]
    if traced is not None:
        print(f"  peak Python allocations (tracemalloc): {float(traced['peak_python_mib']):.1f} MiB")  # type: ignore[arg-type]
    print(f"  environments: {timed[0]['environments']}, markdown {timed[0]['markdown_chars']} chars")
    label = "1M" if args.million == 1_000_000 else f"{args.million:,}"
    print(f"report over {args.million:,} events (whole CLI): wall {cli_million[0]:.2f} s, "
          f"{label} events: peak RSS {cli_million[1]:.1f} MiB  (goal <= 100 MiB)")

if __name__ == "__main__":
    main()
