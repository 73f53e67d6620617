"""The demo's coding "agent": a scripted, deterministic fix. Not an AI.

Run by the `command` backend as `python scripted_fix.py WORKTREE PROMPT_FILE`. It reads the
prompt only to show that it received the work order, applies one known edit to the sample
project, and prints a JSON line the backend reads (turns, cost, a one-line summary).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LABEL = "scripted fix (demo backend, not an AI)"
TARGET = Path("calc") / "stats.py"
BUGGY = "return sum(values) / (len(values) + 1)"
FIXED = "return sum(values) / len(values)"


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: scripted_fix.py WORKTREE [PROMPT_FILE]\n")
        return 2
    worktree = Path(argv[1])
    if len(argv) > 2:
        prompt = Path(argv[2]).read_text(encoding="utf-8", errors="replace")
        first = next((line for line in prompt.splitlines() if line.strip()), "")
        print(f"{LABEL}: received a prompt of {len(prompt)} characters ({first[:80]!r})")
    path = worktree / TARGET
    text = path.read_text(encoding="utf-8")
    if BUGGY not in text:
        if FIXED in text:
            print(f"{LABEL}: {TARGET.as_posix()} is already fixed")
            print(json.dumps({"result": f"{LABEL}: nothing to change", "num_turns": 1, "total_cost_usd": 0.0}))
            return 0
        sys.stderr.write(f"{LABEL}: the known bug is not in {TARGET.as_posix()}; refusing to guess\n")
        return 1
    path.write_text(text.replace(BUGGY, FIXED), encoding="utf-8")
    print(f"{LABEL}: {TARGET.as_posix()}: `{BUGGY}` -> `{FIXED}`")
    summary = f"{LABEL}: divide by len(values) in calc.stats.mean (off-by-one in the denominator)"
    print(json.dumps({"result": summary, "num_turns": 1, "total_cost_usd": 0.0}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
