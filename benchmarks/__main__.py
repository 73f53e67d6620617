"""`python -m benchmarks [--quick]`: run every benchmark script and print one table of
figure, measured value, goal, met? (NO when a goal is missed). A figure a script did not print
is an error (its row says so, and the run exits 1), never a silently missing row.

Each script runs in its own interpreter (a clean heap and import cache, as a user's run) and
prints its figures; this runner reads them from that output, repeats each script (3 runs, 1
with --quick) and reports the median of every figure. Ratios come from scripts that time both
sides in the same run (startup: agentops versus a minimal Typer app, interleaved).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
NUM = r"([0-9][0-9,]*\.?[0-9]*)"


@dataclass(frozen=True)
class Figure:
    label: str
    pattern: str  # regex with one group: the number
    goal: str
    ok: Callable[[float], bool] | None
    unit: str = ""
    scale: float = 1.0


@dataclass(frozen=True)
class Script:
    name: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    figures: tuple[Figure, ...]
    # Scripts that take their own medians side by side (or count requests) run once.
    runs: int | None = None


SCRIPTS: tuple[Script, ...] = (
    Script("startup", ("--runs", "15"), ("--runs", "5"), (
        Figure("CLI start-up: agentops --help / minimal Typer", rf"agentops --help .*ratio {NUM}x", "<= 1.2x",
               lambda v: v <= 1.2, "x"),
        Figure("CLI start-up: agentops status --json / minimal Typer", rf"agentops status --json .*ratio {NUM}x",
               "<= 1.5x", lambda v: v <= 1.5, "x"),
    )),
    Script("startup_pyz", ("--runs", "15"), ("--runs", "5"), (
        Figure("CLI start-up, PYTHONDONTWRITEBYTECODE=1: installed agentops --help",
               rf"installed agentops --help .* {NUM} ms", "-", None, " ms"),
        Figure("CLI start-up, PYTHONDONTWRITEBYTECODE=1: single file (.pyz) --help",
               rf"single file agentops.pyz --help .* {NUM} ms", "-", None, " ms"),
        Figure("single file / installed start-up (PYTHONDONTWRITEBYTECODE=1)",
               rf"single file agentops.pyz --help .*ratio {NUM}x", "<= 1.5x", lambda v: v <= 1.5, "x"),
    )),
    Script("claims", (), (), (
        Figure("requests per uncontended claim (incl. sync)", rf"uncontended claim .*mean {NUM}", "<= 5",
               lambda v: v <= 5),
        Figure("requests for a lost explicit claim", rf"lost explicit claim: {NUM}", "-", None),
        Figure("tasks sync of 500 unchanged issues: requests", rf"unchanged {NUM} requests", "<= 6",
               lambda v: v <= 6),
        Figure("claim contention, 16 workers x 40 tasks: double claims", rf"double claims {NUM}", "0",
               lambda v: v == 0),
        Figure("claim contention: tasks claimed", rf"tasks claimed {NUM}/40", "40", lambda v: v == 40),
        Figure("claim contention: requests per claimed task", rf"requests per claimed task {NUM}", "<= 8",
               lambda v: v <= 8),
        Figure("claim contention: claim comments per task", rf"claim comments per task {NUM}", "<= 1.5",
               lambda v: v <= 1.5),
    ), runs=1),
    Script("trust", (), (), (
        Figure("`tasks` with one 2,000-dependency issue: requests", rf"2,000-dependency issue: {NUM} requests",
               "<= 10", lambda v: v <= 10),
        Figure("`tick` over 50 missing dependencies: issue look-ups", rf"50 missing dependencies: {NUM} issue",
               "<= 50", lambda v: v <= 50),
    ), runs=1),
    Script("scale", (), ("--quick",), (
        Figure("requests per uncontended claim at 100 open tasks", rf"uncontended claim at 100 open .*mean {NUM}",
               "<= 5", lambda v: v <= 5),
        Figure("requests per uncontended claim at 5,000 open tasks",
               rf"uncontended claim at 5,000 open .*mean {NUM}", "<= 5", lambda v: v <= 5),
        Figure("`tasks` after one new issue at 5,000 open tasks: requests",
               rf"after one new issue at 5,000 open tasks: {NUM} requests", "<= 3", lambda v: v <= 3),
        Figure("one claim (CLI CPU), 50,000 stored tasks + 700k-event log vs 100 + empty",
               rf"^one claim .*ratio {NUM}x", "<= 1.5x", lambda v: v <= 1.5, "x"),
        Figure("status --json (CLI CPU), 50,000 stored tasks vs 100", rf"^status --json .*ratio {NUM}x", "<= 2x",
               lambda v: v <= 2, "x"),
        Figure("`tasks` CPU, 4,000 tasks with 10% blocked vs 400", rf"^tasks CPU .*ratio {NUM}x", "<= 12x",
               lambda v: v <= 12, "x"),
    ), runs=1),
    Script("scout", (), ("--repos", "50"), (
        Figure("scout requests per repository, cold (issues filed)", rf"^  requests per repo\s+{NUM}", "<= 6",
               lambda v: v <= 6),
        Figure("scout requests per repository, warm (unchanged)", rf"warm scan \(2nd run\): requests per repo {NUM}",
               "<= 3", lambda v: v <= 3),
        Figure("scout primary rate-limit points, warm", rf"warm scan \(2nd run\):.*primary points used {NUM}", "0",
               lambda v: v == 0),
        Figure("scout wall time parallel / sequential (50 ms latency)", rf"parallel / sequential = {NUM}",
               "<= 0.15", lambda v: v <= 0.15, "x"),
    )),
    Script("state_throughput", ("--procs", "8", "--updates", "100"), ("--procs", "8", "--updates", "25"), (
        Figure("state store: updates/s, 8 concurrent writers", rf"^updates/s: {NUM}", "-", None, "/s"),
        Figure("state store: appends/s, 8 concurrent writers", rf"^appends/s: {NUM}", "-", None, "/s"),
        Figure("state store: lost updates", rf"lost updates: {NUM} \(counter\)", "0", lambda v: v == 0),
    )),
    Script("report", ("--events", "100000", "--prs", "10000"), ("--events", "100000", "--prs", "10000", "--quick"), (
        Figure("report over 100k events (in-process): wall time", rf"wall time\s*: {NUM} s", "< 1.5 s",
               lambda v: v < 1.5, " s"),
        Figure("agentops report over 100k events (whole CLI): wall time", rf"whole CLI\s*: {NUM} s", "-", None,
               " s"),
        Figure("agentops report over 100k events (whole CLI): peak RSS", rf"peak RSS\s*: {NUM} MiB", "-", None,
               " MiB"),
        Figure("agentops report over 1M events (whole CLI): peak RSS", rf"1M events: peak RSS {NUM} MiB",
               "<= 100 MiB", lambda v: v <= 100, " MiB"),
    ), runs=1),
    Script("parse_reports", (), (), (
        Figure("JUnit + coverage XML parse time", rf"together: {NUM} s", "< 2 s", lambda v: v < 2, " s"),
        Figure("JUnit + coverage parse: peak Python memory", rf"peak traced Python memory {NUM} MiB", "< 200 MiB",
               lambda v: v < 200, " MiB"),
    )),
    Script("queue_order", (), (), (
        Figure("queue ordering of 10,000 tasks (median)", rf"ordering .*median {NUM} ms", "< 200 ms",
               lambda v: v < 200, " ms"),
    )),
    Script("github_port", ("--issues", "250", "--repeat", "50"), ("--issues", "100", "--repeat", "10"), (
        Figure("conditional re-sync of open issues: requests", rf"conditional re-sync of \d+ issues: {NUM}", "-",
               None),
        Figure("get_issue over loopback (median)", rf"get_issue over loopback: median {NUM} ms", "-", None, " ms"),
    )),
    Script("dag", ("--tasks", "200"), ("--tasks", "40"), (
        Figure("DAG by events: requests per task", rf"requests per task: {NUM}", "-", None),
        Figure("DAG by events: dispatches per task+attempt (max)", rf"dispatches per task\+attempt: max {NUM}", "1",
               lambda v: v == 1),
        Figure("DAG by events: claim races per task", rf"claim races per task: {NUM}", "<= 0.05",
               lambda v: v <= 0.05),
        Figure("DAG by events: dependents started early", rf"ordering violations: {NUM}", "0", lambda v: v == 0),
    )),
    Script("emulator", (), (), (
        Figure("emulator: GET issue throughput", rf"GET issue: {NUM} req/s", "-", None, " req/s"),
        Figure("emulator: one 100-issue page, 5,000 issues vs 100", rf"100-issue page: .*ratio {NUM}x", "<= 2x",
               lambda v: v <= 2, "x"),
    )),
)


def run_script(script: Script, quick: bool) -> tuple[str, float, int]:
    argv = [sys.executable, "-m", f"benchmarks.{script.name}", *(script.quick if quick else script.full)]
    t0 = time.perf_counter()
    res = subprocess.run(argv, cwd=HERE.parent, capture_output=True, text=True, timeout=900, check=False)
    return res.stdout + ("\n" + res.stderr if res.returncode else ""), time.perf_counter() - t0, res.returncode


def extract(figure: Figure, text: str) -> float | None:
    m = re.search(figure.pattern, text, re.MULTILINE)
    if not m:
        return None
    try:
        return float(m.group(1).replace(",", "")) * figure.scale
    except ValueError:
        return None


def fmt(value: float, unit: str) -> str:
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}{unit}"
    return f"{value:.3g}{unit}" if abs(value) < 10 else f"{value:,.1f}{unit}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description="Run every benchmark; print one table.")
    ap.add_argument("--quick", action="store_true", help="smaller inputs, one run per script")
    ap.add_argument("--runs", type=int, default=None,
                    help="runs of every script (median and range; default 3, quick 1, and 1 for scripts that "
                         "measure side by side themselves)")
    ap.add_argument("--only", action="append", default=[], help="run only these scripts (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print each script's own output")
    args = ap.parse_args(argv)
    runs = args.runs or (1 if args.quick else 3)

    rows: list[tuple[str, str, str, str]] = []
    failed = 0
    for script in SCRIPTS:
        if args.only and script.name not in args.only:
            continue
        if not (HERE / f"{script.name}.py").exists():
            rows += [(f.label, "ERROR: script missing", f.goal, "NO") for f in script.figures]
            failed += 1
            continue
        samples: dict[str, list[float]] = {f.label: [] for f in script.figures}
        # An explicit --runs repeats every script (ranges over runs), even those that take their
        # own medians side by side and otherwise run once.
        for _ in range(args.runs or script.runs or runs):
            out, secs, rc = run_script(script, args.quick)
            print(f"[{script.name}] exit {rc} in {secs:.1f} s", file=sys.stderr)
            if args.verbose or rc:
                print(out, file=sys.stderr)
            failed += rc != 0
            for f in script.figures:
                v = extract(f, out)
                if v is not None:
                    samples[f.label].append(v)
        for f in script.figures:
            vals = samples[f.label]
            if not vals:
                # A figure that cannot be computed is an error, never a silently missing row.
                rows.append((f.label, "ERROR: not printed", f.goal, "NO"))
                failed += 1
                continue
            med = statistics.median(vals)
            spread = f" ({fmt(min(vals), '')}-{fmt(max(vals), '')})" if len(vals) > 1 else ""
            met = "-" if f.ok is None else ("yes" if f.ok(med) else "NO")
            rows.append((f.label, fmt(med, f.unit) + spread, f.goal, met))

    head = ("figure", "measured" + (f" (median of {runs})" if runs > 1 else ""), "goal", "met?")
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(4)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    mode = "--quick" if args.quick else "full"
    print(f"\n{mode} run, {runs} run(s) per script, Python {sys.version.split()[0]}; reproduce: "
          f"python -m benchmarks{' --quick' if args.quick else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
