"""GitHub port request efficiency against the embedded emulator.

Prints, per operation, the HTTP requests the agentops adapter makes versus PyGithub used
the usual way (eager objects: get_repo -> get_issue -> create_comment), the requests a
conditional re-sync costs (304, no primary rate limit), and the mean wall time per
adapter call over loopback.

    python benchmarks/github_port.py [--issues 250] [--repeat 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

REPO = "agentops-bot/bench"


def _count(emu: Any, fn: Callable[[], object]) -> int:
    emu.reset_counts()
    fn()
    return int(emu.total_requests())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--issues", type=int, default=250)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args(argv)

    import github

    from agentops.github.adapter import connect
    from agentops.github.models import Validators
    from agentops.sandbox.server import Emulator

    with tempfile.TemporaryDirectory() as tmp:
        emu = Emulator(data_dir=tmp)
        emu.start()
        try:
            emu.state.create_repo(REPO)
            for i in range(args.issues):
                emu.state.create_issue(REPO, f"issue {i}", labels=("agent-task",))
            port = connect({"GITHUB_API_URL": emu.url, "GH_TOKEN": emu.token}, mutation_interval=0)
            raw = github.Github(base_url=emu.url, auth=github.Auth.Token(emu.token), retry=None,
                                seconds_between_requests=None, seconds_between_writes=None)

            rows = [
                ("create_comment", _count(emu, lambda: port.create_comment(REPO, 1, "hi", marker="<!-- agentops:b -->")),
                 _count(emu, lambda: raw.get_repo(REPO).get_issue(1).create_comment("hi"))),
                ("get_issue", _count(emu, lambda: port.get_issue(REPO, 1)),
                 _count(emu, lambda: raw.get_repo(REPO).get_issue(1))),
                ("add_labels", _count(emu, lambda: port.add_labels(REPO, 1, ["x"])),
                 _count(emu, lambda: raw.get_repo(REPO).get_issue(1).add_to_labels("x"))),
                (f"list {args.issues} issues", _count(emu, lambda: port.list_issues(REPO)),
                 _count(emu, lambda: list(raw.get_repo(REPO).get_issues(state="open")))),
            ]
            print(f"{'operation':<24}{'adapter':>9}{'PyGithub eager':>16}")
            for name, mine, theirs in rows:
                print(f"{name:<24}{mine:>9}{theirs:>16}")

            first = port.list_issues(REPO)
            before = port.last_rate_limit
            n304 = _count(emu, lambda: port.list_issues(REPO, validators=Validators(etag=first.etag)))
            after = port.last_rate_limit
            spent = (before.remaining - after.remaining) if before and after else -1
            print(f"conditional re-sync of {args.issues} issues: {n304} request(s), "
                  f"{spent} primary rate limit spent")

            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                port.get_issue(REPO, 1)
                times.append(time.perf_counter() - t0)
            print(f"get_issue over loopback: median {statistics.median(times) * 1000:.2f} ms "
                  f"(n={args.repeat})")
        finally:
            emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
