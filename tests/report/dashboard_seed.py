"""State for the dashboard tests: eight weeks of deploys, incidents, agent work, spend and flaky tests
ending now, a queue with a dependency chain and a cycle, and hostile text everywhere a person can type."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from agentops.state import docs
from agentops.state.store import Store

REPO = "acme/api"
HOSTILE_TITLE = '<script>alert("t")</script><img src=x onerror="alert(1)">"\'&amp; </style></svg>]]>'
HOSTILE_AGENT = '"><svg onload=alert(2)>'
HOSTILE_TEST = "tests/test_x.py::test_<b>bold</b>[\"a\" & 'b']"
CONFIG = "version: 1\nbudget:\n  monthly_usd: 40\nagents:\n  - name: claude-1\n  - name: codex-1\n"


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(root: Path, now: dt.datetime) -> Store:
    store = Store(root, writer="seed", clock=lambda: now)
    for week in range(8):
        base = now - dt.timedelta(days=7 * week, hours=1)
        for n in range(1 + week % 3):
            at = base - dt.timedelta(hours=6 * n)
            status = "rolled_back" if (week + n) % 3 == 1 else "succeeded"
            ident = f"d{week}-{n}"
            store.append(docs.DEPLOYMENTS, {
                "id": ident, "repo": REPO, "environment": "production", "sha": ident, "status": status,
                "commits": [{"sha": f"c{week}-{n}", "committed_at": _iso(at - dt.timedelta(hours=3 + 10 * week))}],
                "started_at": _iso(at), "finished_at": _iso(at), "incident": None, "dry_run": False})
            if status != "succeeded":
                opened = at + dt.timedelta(minutes=5)
                iid = f"{REPO}#{900 + week * 10 + n}"
                store.append(docs.INCIDENTS, {"id": iid, "event": "opened", "repo": REPO,
                                              "environment": "production", "deploy_id": ident, "severity": "high",
                                              "opened_at": _iso(opened), "resolved_at": None})
                if week > 1:
                    store.append(docs.INCIDENTS, {"id": iid, "event": "resolved", "repo": REPO,
                                                  "environment": "production", "deploy_id": ident,
                                                  "opened_at": _iso(opened),
                                                  "resolved_at": _iso(opened + dt.timedelta(hours=2))})
        for i, agent in enumerate(("claude-1", "codex-1", HOSTILE_AGENT)):
            issue = 100 + week * 3 + i
            t0 = base - dt.timedelta(hours=4 + i)
            _act(store, t0, agent, "claim", issue)
            _act(store, t0 + dt.timedelta(hours=2), agent, "task-completed" if (week + i) % 3 else "task-failed",
                 issue)
            store.append(docs.COSTS, {"ts": _iso(t0 + dt.timedelta(hours=1)), "repo": REPO, "issue": issue,
                                      "pr": None, "agent": agent, "backend": "claude", "kind": "code",
                                      "cost_usd": 1.5 + week * 0.25 + i, "turns": 3, "duration_s": 10.0})
    _queue(store, now)
    store.update(docs.AGENT_STATUS, lambda d: [d.put(a, {"agent": a, "last_seen": _iso(now), "worker": "w1"})
                                               for a in ("claude-1", "codex-1", HOSTILE_AGENT)])

    def results(d: Any) -> None:
        for i in range(5):
            d.put(f"run{i}", {"repo": REPO, "pr": 40 + i, "passed": True,
                              "finished_at": _iso(now - dt.timedelta(days=i)),
                              "flaky": [HOSTILE_TEST] + (["tests/test_net.py::test_retry"] if i % 2 else [])})
    store.update(docs.test_results(REPO), results)
    return store


def _act(store: Store, at: dt.datetime, agent: str, action: str, issue: int) -> None:
    store.append(docs.AGENT_ACTIONS, {"ts": _iso(at), "agent": agent, "worker": "w1", "repo": REPO, "issue": issue,
                                      "action": action, "result": "ok", "details": {}})


def _queue(store: Store, now: dt.datetime) -> None:
    def task(n: int, status: str, deps: tuple[int, ...] = (), title: str | None = None) -> dict[str, Any]:
        return {"kind": "task", "repo": REPO, "number": n, "title": title or f"Task number {n} with a longish title",
                "state": "open", "status": status, "priority": "high" if n % 2 else "medium",
                "agent": "claude-1" if n % 3 else "any", "dependencies": [f"{REPO}#{d}" for d in deps],
                "html_url": "javascript:alert(3)" if n == 3 else f"https://github.com/{REPO}/issues/{n}",
                "created_at": _iso(now)}

    tasks = {1: task(1, "ready"), 2: task(2, "blocked", (1,)), 3: task(3, "claimed", title=HOSTILE_TITLE),
             10: task(10, "blocked", (2, 3)), 11: task(11, "ready"), 12: task(12, "blocked", (13,)),
             13: task(13, "blocked", (12,)), 20: task(20, "needs_human", (10,))}
    store.update(docs.TASK_QUEUE, lambda d: [d.put(f"{REPO}#{n}", rec) for n, rec in tasks.items()])
