"""Queue policy: cycles, readiness, ordering, waves, matching (pure)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from agentops.domain import queue as q

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def t(key: str, *deps: str, priority: str = "medium", deadline: dt.datetime | None = None, age: int = 0,
      agent: str = "any", caps: tuple[str, ...] = ()) -> q.QueueTask:
    return q.QueueTask(key, priority, deadline, T0 + dt.timedelta(days=age), tuple(deps), agent, caps)


def tasks(*items: q.QueueTask) -> dict[str, q.QueueTask]:
    return {x.key: x for x in items}


def test_three_cycle_is_named_and_dependents_blocked() -> None:
    ts = tasks(t("r#1", "r#2"), t("r#2", "r#3"), t("r#3", "r#1"), t("r#4", "r#1"), t("r#5"))
    assert q.find_cycles({k: v.dependencies for k, v in ts.items()}) == [("r#1", "r#2", "r#3")]
    ready = q.readiness(ts, {})
    assert {k: r.state for k, r in ready.items()} == {"r#1": "cycle", "r#2": "cycle", "r#3": "cycle",
                                                      "r#4": "blocked", "r#5": "ready"}
    assert ready["r#2"].cycle == ("r#1", "r#2", "r#3")
    waves, held = q.waves(ts, ready)
    assert waves == [["r#5"]] and held == ["r#1", "r#2", "r#3", "r#4"]


def test_self_loop_is_a_cycle() -> None:
    assert q.find_cycles({"a": ["a"], "b": []}) == [("a",)]


def test_outside_dependencies_block_until_closed() -> None:
    ts = tasks(t("r#1", "o/x#9"), t("r#2", "o/x#10"), t("r#3", "o/x#11"))
    ready = q.readiness(ts, {"o/x#9": "closed", "o/x#10": "open"})
    assert ready["r#1"].state == "ready"
    assert ready["r#2"] == q.Readiness("blocked", ("o/x#10",))
    assert ready["r#3"] == q.Readiness("blocked", ("o/x#11",))  # unknown/missing blocks


def test_order_priority_then_deadline_then_age() -> None:
    ts = tasks(t("r#1", priority="low", age=0), t("r#2", priority="high", age=5),
               t("r#3", priority="high", age=1), t("r#4", priority="high", age=9, deadline=T0),
               t("r#5", priority="critical", age=20))
    assert q.order(ts) == ["r#5", "r#4", "r#3", "r#2", "r#1"]


def test_blocker_inherits_urgency_of_what_waits_on_it() -> None:
    ts = tasks(t("r#1", priority="low", age=0), t("r#2", "r#1", priority="critical"), t("r#3", priority="high"))
    assert q.effective_priorities(ts)["r#1"] == "critical"
    assert q.order(ts)[:2] == ["r#1", "r#2"]
    assert q.order(ts, inherit=False)[0] == "r#2"


def test_waves_are_layers_of_the_dag() -> None:
    ts = tasks(t("r#1"), t("r#2"), t("r#3", "r#1"), t("r#4", "r#1", "r#2"), t("r#5", "r#3", "r#4"),
               t("r#6", "gone/x#1"))
    waves, held = q.waves(ts, q.readiness(ts, {}))
    assert [sorted(w) for w in waves] == [["r#1", "r#2", "r#6"], ["r#3", "r#4"], ["r#5"]]
    assert held == []


def test_deep_chain_needs_no_recursion() -> None:
    n = 5000
    ts = tasks(*(t(f"r#{i}", *( [f"r#{i-1}"] if i else [])) for i in range(n)))
    waves, _ = q.waves(ts, q.readiness(ts, {}))
    assert len(waves) == n
    ts["r#0"] = t("r#0", f"r#{n-1}")
    assert len(q.find_cycles({k: v.dependencies for k, v in ts.items()})[0]) == n


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.integers(1, 25), st.lists(st.integers(1, 25), max_size=3), min_size=1, max_size=25))
def test_waves_respect_every_edge(graph: dict[int, list[int]]) -> None:
    ts = {f"r#{k}": t(f"r#{k}", *(f"r#{d}" for d in v if d in graph)) for k, v in graph.items()}
    ready = q.readiness(ts, {})
    waves, held = q.waves(ts, ready)
    where = {k: i for i, w in enumerate(waves) for k in w}
    assert set(where) | set(held) == set(ts) and not set(where) & set(held)
    for k, task in ts.items():
        if k in where:
            assert all(where[d] < where[k] for d in task.dependencies)
        else:  # held: in a cycle or waiting on something held
            assert ready[k].state == "cycle" or any(d in held for d in task.dependencies)


def test_matching_capabilities_and_assignment() -> None:
    py = q.AgentProfile("py", ("python",), max_concurrent=2)
    js = q.AgentProfile("js", ("frontend",), max_concurrent=2)
    ordered = [t("r#1", caps=("python",)), t("r#2", agent="js"), t("r#3", caps=("frontend",)), t("r#4")]
    assert q.candidates_for(py, ordered) == ["r#1", "r#4"]
    assert q.candidates_for(js, ordered) == ["r#2", "r#3", "r#4"]  # its own task first
    full = q.AgentProfile("py", ("python",), max_concurrent=1, active=1)
    assert q.candidates_for(full, ordered) == []


def test_any_task_goes_to_least_loaded_capable_agent() -> None:
    busy = q.AgentProfile("busy", (), max_concurrent=4, active=3)
    idle = q.AgentProfile("idle", (), max_concurrent=4, active=0)
    ordered = [t("r#1"), t("r#2", agent="busy")]
    assert q.candidates_for(busy, ordered, [idle]) == ["r#2"]
    assert q.candidates_for(idle, ordered, [busy]) == ["r#1"]
    # An idle agent that is at capacity cannot take it, so the busy one may.
    assert q.candidates_for(busy, ordered, [q.AgentProfile("idle", (), 1, 1)]) == ["r#2", "r#1"]


def test_success_rate_breaks_load_ties() -> None:
    good = q.AgentProfile("good", (), 2, 0, success_rate=0.9)
    bad = q.AgentProfile("bad", (), 2, 0, success_rate=0.2)
    ordered = [t("r#1"), t("r#2")]
    assert q.assign(ordered, [bad, good]) == {"r#1": "good", "r#2": "bad"}
    assert q.candidates_for(bad, ordered, [good]) == []
    assert q.candidates_for(good, ordered, [bad]) == ["r#1", "r#2"]


def test_raise_priority() -> None:
    assert [q.raise_priority(p) for p in ("low", "medium", "high", "critical")] == ["medium", "high", "critical",
                                                                                   "critical"]


def test_spread_shuffles_only_the_equally_urgent_head() -> None:
    ts = tasks(*(t(f"r#{i}", age=i) for i in range(5)), t("r#9", priority="low"))
    keys = q.order(ts)
    orders = {tuple(q.spread(keys, ts, f"worker-{w}")) for w in range(40)}
    assert len({o[0] for o in orders}) == 5  # every medium task is somebody's first pick
    for got in orders:
        assert sorted(got[:5]) == sorted(keys[:5]) and got[5] == "r#9"
    assert q.spread(keys, ts, "worker-1") == q.spread(keys, ts, "worker-1")  # stable per worker
    assert q.spread(["r#1"], ts, "w") == ["r#1"]
