"""State store throughput under contention: N writer processes each apply M read-modify-write
updates to ONE document (a shared counter plus one record per writer) and M log appends.

Prints updates/s, appends/s and lost updates (must be 0).

    python benchmarks/state_throughput.py [--procs 8] [--updates 100] [--dir PATH]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

DOC = "orchestrator/metrics"
LOG = "agent-actions"


def _bump(wid: str, i: int):  # type: ignore[no-untyped-def]
    def fn(d):  # type: ignore[no-untyped-def]
        c = d.get("counter") or {"n": 0}
        c["n"] += 1
        d.put("counter", c)
        d.put(wid, {"i": i})
    return fn


def _worker(root: str, wid: str, n: int, gate, out) -> None:  # type: ignore[no-untyped-def]
    from agentops.state.store import Store

    store = Store(root, writer=wid)
    gate.wait()
    lat: list[float] = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        store.update(DOC, _bump(wid, i))
        lat.append(time.perf_counter() - s)
    t1 = time.perf_counter()
    for i in range(n):
        store.append(LOG, {"worker": wid, "i": i})
    t2 = time.perf_counter()
    out.put((wid, t0, t1, t2, lat))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--updates", type=int, default=100)
    ap.add_argument("--dir", default=None, help="state folder (default: a temp folder on the same disk as /tmp)")
    args = ap.parse_args(argv)

    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = str(Path(tmp) / "state")
        gate = ctx.Barrier(args.procs)
        out = ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(root, f"w{k}", args.updates, gate, out))
                 for k in range(args.procs)]
        for p in procs:
            p.start()
        results = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
        from agentops.state.store import Store

        store = Store(root, writer="bench")
        records = store.records(DOC)
        events = sum(1 for _ in store.read_log(LOG))

    total = args.procs * args.updates
    upd_span = max(r[2] for r in results) - min(r[1] for r in results)
    app_span = max(r[3] for r in results) - min(r[2] for r in results)
    lat = sorted(x for r in results for x in r[4])
    lost_counter = total - int(records.get("counter", {}).get("n", 0))
    lost_records = sum(args.updates - 1 - int(records.get(f"w{k}", {}).get("i", -1)) for k in range(args.procs))
    lost_events = total - events
    print(f"writers: {args.procs} processes x {args.updates} updates of one document ({total} total)")
    print(f"updates/s: {total / upd_span:.1f}  (wall {upd_span:.2f}s)")
    print(f"update latency ms: median {statistics.median(lat) * 1000:.1f}, "
          f"p95 {lat[int(len(lat) * 0.95) - 1] * 1000:.1f}, max {lat[-1] * 1000:.1f}")
    print(f"appends/s: {total / app_span:.1f}  (wall {app_span:.2f}s)")
    print(f"lost updates: {lost_counter} (counter), {lost_records} (records), {lost_events} (log events)")
    return 0 if lost_counter == lost_records == lost_events == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
