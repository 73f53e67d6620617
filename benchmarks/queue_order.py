"""Print the time to evaluate and order 10,000 tasks with dependencies (readiness, cycles,
priority inheritance, ordering, waves).

    python benchmarks/queue_order.py
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from agentops.domain import queue as q
from agentops.domain.workorder import PRIORITIES


def make(n: int, seed: int = 7) -> dict[str, q.QueueTask]:
    rnd = random.Random(seed)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    tasks = {}
    for i in range(n):
        # Dependencies point at earlier tasks (a DAG), plus a few outside ones; ~1.5 edges per task.
        deps = tuple(f"o/r#{rnd.randrange(i)}" for _ in range(rnd.choice((0, 1, 2, 3)))) if i else ()
        if rnd.random() < 0.02:
            deps += (f"o/other#{rnd.randrange(1000)}",)
        deadline = t0 + dt.timedelta(days=rnd.randrange(90)) if rnd.random() < 0.3 else None
        tasks[f"o/r#{i}"] = q.QueueTask(f"o/r#{i}", rnd.choice(PRIORITIES), deadline,
                                        t0 + dt.timedelta(minutes=i), deps)
    # Three small cycles, as people make them.
    for a, b, c in ((100, 200, 300), (5000, 5001, 5002), (9997, 9998, 9999)):
        for x, y in ((a, b), (b, c), (c, a)):
            t = tasks[f"o/r#{x}"]
            tasks[t.key] = q.QueueTask(t.key, t.priority, t.deadline, t.created_at, (*t.dependencies, f"o/r#{y}"))
    return tasks


def main() -> None:
    tasks = make(10_000)
    outside = {d: "closed" for t in tasks.values() for d in t.dependencies if d not in tasks}
    times = {"readiness+cycles": [], "order": [], "waves": [], "total": []}
    for _ in range(5):
        a = time.perf_counter()
        ready = q.readiness(tasks, outside)
        b = time.perf_counter()
        order = q.order(tasks)
        c = time.perf_counter()
        waves, held = q.waves(tasks, ready)
        d = time.perf_counter()
        times["readiness+cycles"].append(b - a)
        times["order"].append(c - b)
        times["waves"].append(d - c)
        times["total"].append(d - a)
    edges = sum(len(t.dependencies) for t in tasks.values())
    print(f"10,000 tasks, {edges} dependency edges, {len(waves)} waves, {len(held)} held, "
          f"{sum(1 for r in ready.values() if r.state == 'ready')} ready, first {order[0]}")
    for name, vals in times.items():
        print(f"  {name:17s} median {statistics.median(vals) * 1000:7.1f} ms")
    print(f"ordering (priority inheritance + sort): median {statistics.median(times['order']) * 1000:.1f} ms "
          "(goal < 200 ms)")


if __name__ == "__main__":
    main()
