"""Single-file start-up: `python3 agentops.pyz --help` next to the installed `agentops --help`, both with
PYTHONDONTWRITEBYTECODE=1 (containers often set it, and then nothing compiled at run time is kept),
interleaved in one run; medians of N runs after a first run that extracts the file.

Goal (issue 20): the single file within 1.5x of the installed command. Building the file takes
about a minute (scripts/build_pyz.sh; pip resolves from PyPI); --pyz uses a prebuilt one.
Run: python -m benchmarks.startup_pyz [--runs 15] [--pyz dist/agentops.pyz]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _time(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(runs: int, pyz: Path | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        if pyz is None:
            pyz = Path(tmp) / "agentops.pyz"
            subprocess.run(["bash", str(ROOT / "scripts" / "build_pyz.sh"), str(pyz)], cwd=ROOT, check=True,
                           env={**os.environ, "PYTHON": sys.executable}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=900)
        installed = shutil.which("agentops", path=str(Path(sys.executable).parent)) or shutil.which("agentops")
        if installed is None:
            raise SystemExit("no installed agentops command next to this interpreter")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SHIV_ROOT": str(Path(tmp) / "shiv"),
               "NO_COLOR": "1", "AGENTOPS_STATE_DIR": str(Path(tmp) / "state")}
        cases = {"pyz": [sys.executable, str(pyz), "--help"], "installed": [installed, "--help"]}
        for argv in cases.values():  # the pyz's first run extracts (and compiles) itself
            _time(argv, env, tmp)
        samples: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(runs):
            for name, argv in cases.items():  # interleaved so machine noise hits both alike
                samples[name].append(_time(argv, env, tmp))
    med = {k: statistics.median(v) for k, v in samples.items()}
    return {"pyz_s": med["pyz"], "installed_s": med["installed"], "ratio": med["pyz"] / med["installed"]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--pyz", type=Path, default=None, help="a prebuilt agentops.pyz (default: build one)")
    a = p.parse_args()
    r = measure(a.runs, a.pyz)
    print(f"installed agentops --help (PYTHONDONTWRITEBYTECODE=1)   {r['installed_s'] * 1000:7.1f} ms "
          f"(median of {a.runs})")
    print(f"single file agentops.pyz --help (PYTHONDONTWRITEBYTECODE=1) {r['pyz_s'] * 1000:7.1f} ms  "
          f"ratio {r['ratio']:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
