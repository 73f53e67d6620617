"""CLI start-up: `agentops --help` and `agentops status --json` versus a minimal two-command
Typer app's `--help`, measured side by side (interleaved) in one run; medians of N runs.

Goals (issue 2): --help within 1.2x, status --json within 1.5x of the minimal app.
Run: python -m benchmarks.startup [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL_APP = '''
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    """Say hello."""
    print(name)
@app.command()
def bye() -> None:
    """Say bye."""
if __name__ == "__main__":
    app()
'''


def _time(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(runs: int = 15) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "minimal_app.py"
        app.write_text(MINIMAL_APP)
        state = Path(tmp) / "state"
        env = {**os.environ, "AGENTOPS_STATE_DIR": str(state), "NO_COLOR": "1"}
        cases = {
            "minimal --help": [sys.executable, str(app), "--help"],
            "agentops --help": [sys.executable, "-m", "agentops", "--help"],
            "agentops status --json": [sys.executable, "-m", "agentops", "status", "--json"],
        }
        for argv in cases.values():  # warm the OS cache and .pyc files
            _time(argv, env, tmp)
        samples: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(runs):
            for name, argv in cases.items():  # interleaved so drift hits all cases alike
                samples[name].append(_time(argv, env, tmp))
    med = {k: statistics.median(v) for k, v in samples.items()}
    base = med["minimal --help"]
    return {
        "minimal_help_s": base,
        "agentops_help_s": med["agentops --help"],
        "agentops_status_s": med["agentops status --json"],
        "help_ratio": med["agentops --help"] / base,
        "status_ratio": med["agentops status --json"] / base,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    r = measure(a.runs)
    if a.json:
        print(json.dumps(r))
        return
    print(f"minimal typer --help     {r['minimal_help_s'] * 1000:7.1f} ms (median of {a.runs})")
    print(f"agentops --help          {r['agentops_help_s'] * 1000:7.1f} ms  ratio {r['help_ratio']:.2f}x (goal <= 1.2x)")
    print(f"agentops status --json   {r['agentops_status_s'] * 1000:7.1f} ms  ratio {r['status_ratio']:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
