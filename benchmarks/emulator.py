"""Embedded GitHub emulator figures: sequential request rate through real PyGithub, the
cost of a 304 revalidation, emulator start-up, and whether parallel clients overlap under
injected latency (threaded server).

    python benchmarks/emulator.py [--requests 300] [--threads 8] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import github

from agentops.sandbox.server import Emulator


def client(emu: Emulator) -> github.Github:
    return github.Github(base_url=emu.url, auth=github.Auth.Token(emu.token), seconds_between_requests=None,
                         seconds_between_writes=None, retry=None)


def page_cost(emu: Emulator, runs: int = 40) -> None:
    """One 100-issue page of a repository with 5,000 issues versus one with 100: a page must not
    cost O(all issues). Interleaved, medians; the client is bare urllib so the server dominates."""
    import statistics
    import urllib.request

    emu.state.create_repo("agentops-bot/big")
    for n in range(5000):
        emu.state.create_issue("agentops-bot/big", f"issue {n}", labels=["agent-task"])
    times: dict[str, list[float]] = {"agentops-bot/bench": [], "agentops-bot/big": []}
    for _ in range(runs):
        for repo, samples in times.items():
            req = urllib.request.Request(f"{emu.url}/repos/{repo}/issues?state=open&per_page=100&sort=updated",
                                         headers={"Authorization": f"token {emu.token}"})
            t0 = time.perf_counter()
            with urllib.request.urlopen(req) as resp:
                got = len(resp.read())
            samples.append(time.perf_counter() - t0)
            if not got:
                raise SystemExit(f"empty page from {repo}")
    small, big = (statistics.median(times[r]) * 1000 for r in ("agentops-bot/bench", "agentops-bot/big"))
    print(f"one 100-issue page: {big:.1f} ms with 5,000 issues vs {small:.1f} ms with 100 "
          f"(medians of {runs}), ratio {big / small:.2f}x  (goal <= 2x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--latency", type=float, default=0.05)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        emu = Emulator(Path(tmp) / "emu").start()
        emu.state.create_repo("agentops-bot/bench")
        print(f"start + one repo (git init + initial commit): {(time.perf_counter() - t0) * 1000:.1f} ms")
        for n in range(100):
            emu.state.create_issue("agentops-bot/bench", f"issue {n}", labels=["agent-task"])
        gh = client(emu)
        repo = gh.get_repo("agentops-bot/bench")

        t0 = time.perf_counter()
        for _ in range(args.requests):
            repo.get_issue(50)
        dt = time.perf_counter() - t0
        print(f"GET issue: {args.requests / dt:.0f} req/s ({dt / args.requests * 1000:.2f} ms each)")
        page_cost(emu)

        t0 = time.perf_counter()
        pages = 0
        for _ in range(20):
            pages += sum(1 for _ in repo.get_issues(state="all"))
        dt = time.perf_counter() - t0
        print(f"list 100 issues (4 pages of 30): {dt / 20 * 1000:.1f} ms per full listing")

        issue = repo.get_issue(1)
        t0 = time.perf_counter()
        for _ in range(args.requests):
            issue.update()
        dt = time.perf_counter() - t0
        print(f"304 revalidation: {dt / args.requests * 1000:.2f} ms each; "
              f"rate remaining {gh.get_rate_limit().resources.core.remaining}/5000 (304s are free)")

        t0 = time.perf_counter()
        for n in range(50):
            repo.create_issue(f"new {n}")
        dt = time.perf_counter() - t0
        print(f"POST issue: {50 / dt:.0f} req/s")

        emu.latency = args.latency
        n = args.threads * 4
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(lambda i: client(emu).get_repo("agentops-bot/bench").id, range(n)))
        dt = time.perf_counter() - t0
        serial = n * args.latency
        print(f"{n} requests, {args.threads} threads, {args.latency * 1000:.0f} ms latency each: {dt:.2f} s "
              f"(serial would be >= {serial:.2f} s; overlap x{serial / dt:.1f})")
        emu.stop()


if __name__ == "__main__":
    main()
