"""Four clones of one repository share a GitHub queue (the emulator) and a bare origin. In rounds,
each clone runs `tasks`, claims as its own agent (max_concurrent 1), does the state writes of
`code` (progress record, per-run transcript, log events), releases, and runs `state sync`. Each
clone's `tasks` runs right after the previous clone's claim, so neighbouring clones write the
same task records between two syncs (one the claim fields, the other the synced issue fields).

At the end every clone holds the same state, byte for byte; no record, field, log line or
transcript is lost; no merge conflicted; no task was claimed twice, and no agent ever held two.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentops.commands import claim as claim_cmd
from agentops.commands import release as release_cmd
from agentops.commands import tasks as tasks_cmd
from agentops.context import Context
from agentops.domain.claims import live_claims
from agentops.domain.markers import Authors
from agentops.git.sync import install_merge_driver, sync_state
from agentops.output import Output
from agentops.settings import AgentConfig, ClaimsConfig, Config
from agentops.state import docs
from agentops.state.store import Store
from tests.fixtures.gitrepo import git

REPO = "octo/app"
CLONES = ("c1", "c2", "c3", "c4")
TASKS = 10
ROUNDS = 4


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        # Every step of every clone happens a little later (well within the 30-minute lease).
        self.now += dt.timedelta(milliseconds=10)
        return self.now


def body() -> str:
    return ("### Assigned Agent\n\nany\n\n### What should the agent do?\n\n- do it\n\n### Priority\n\nmedium\n\n"
            "### Dependencies\n\n_No response_\n")


def make_context(root: Path, name: str, gh: Any, clock: Clock) -> Context:
    agents = tuple(AgentConfig(name=f"agent-{c}", max_concurrent=1) for c in CLONES)
    env = {"GITHUB_REPOSITORY": REPO, "AGENTOPS_WORKER_ID": f"worker-{name}"}
    return Context(env=env, cwd=root, output=Output(out=io.StringIO(), err=io.StringIO(), env=env), clock=clock,
                   sleep=lambda s: None, repo_flag=REPO,
                   config_override=Config(agents=agents, claims=ClaimsConfig(settle_seconds=0)),
                   github_override=gh, store_override=Store(root / "state", writer=f"worker-{name}", clock=clock))


def no_sleep(_s: float) -> None:
    pass


def do_code(ctx: Context, name: str, number: int) -> None:
    """The state `code` writes for one run: its progress record, a transcript, a cost, a log event."""
    run = docs.run_file_stem(f"{number}-1", ctx.worker_id)
    folder = ctx.state_dir / "agents" / REPO / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run}.log").write_text(f"{name} worked on #{number}\n", encoding="utf-8")
    ctx.store.put(docs.progress(REPO), f"{REPO}#{number}",
                  {"steps": {"branch": {"ok": True}, "pr": {"number": 1000 + number}}, "by": name})
    ctx.store.append(docs.COSTS, {"repo": REPO, "issue": number, "agent": f"agent-{name}", "cost_usd": 0.5})
    ctx.store.append(docs.AGENT_ACTIONS, {"agent": f"agent-{name}", "repo": REPO, "issue": number,
                                          "action": "task-completed", "result": "ok"})


def state_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith((".lock", ".tmp"))}


def test_four_clones_converge_without_losing_anything(emulator: Any, gh: Any, clone: Callable[..., Path]) -> None:
    emulator.state.create_repo(REPO)
    emulator.state.set_permission(REPO, "agentops-bot", "admin")
    for i in range(TASKS):
        emulator.state.create_issue(REPO, f"task {i}", body(), labels=("agent-task",))
    roots = {name: clone(name=name) for name in CLONES}
    install_merge_driver(roots["c1"])
    git(roots["c1"], "add", ".gitattributes", "state/.gitignore")
    git(roots["c1"], "commit", "-q", "-m", "agentops merge attributes")
    git(roots["c1"], "push", "-q", "origin", "main")
    for name in CLONES[1:]:
        git(roots[name], "pull", "-q", "--no-rebase")
        install_merge_driver(roots[name])
    clock = Clock()
    ctxs = {name: make_context(roots[name], name, gh, clock) for name in CLONES}

    holding: dict[str, int | None] = dict.fromkeys(CLONES)
    completed: dict[int, str] = {}
    claimed_by: dict[int, list[str]] = {}
    for _round in range(ROUNDS):
        for name in CLONES:
            ctx = ctxs[name]
            tasks_cmd.run(tasks_cmd.TasksOptions(), ctx)
            held = holding[name]
            if held is not None:
                # max_concurrent 1: while the claim is in its records (merged from wherever), no second task.
                again = claim_cmd.run(claim_cmd.ClaimOptions(agent=f"agent-{name}"), ctx)
                assert again.claimed is None and "max_concurrent 1" in str(again.reason), (name, again)
                do_code(ctx, name, held)
                released = release_cmd.run(release_cmd.ReleaseOptions(issue=held, reason="completed"), ctx)
                assert released.released
                completed[held] = name
                holding[name] = None
            got = claim_cmd.run(claim_cmd.ClaimOptions(agent=f"agent-{name}"), ctx)
            if got.claimed is not None:
                number = got.claimed.issue
                claimed_by.setdefault(number, []).append(name)
                holding[name] = number
                comments = [(c.id, c.body, c.author) for c in gh.list_comments(REPO, number)]
                live = live_claims(comments, clock.now, Authors.of(["agentops-bot"]))
                assert [c.worker for c in live] == [f"worker-{name}"]  # exactly one live claim: ours
        for name in CLONES:  # end of the round: every clone publishes (merging what the others pushed)
            sync_state(roots[name], roots[name] / "state", sleep=no_sleep, retries=8)

    for _ in range(2):  # two passes: everyone has everyone's last commits
        for name in CLONES:
            sync_state(roots[name], roots[name] / "state", sleep=no_sleep, retries=8)
            git(roots[name], "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")

    # Identical everywhere, and no conflict left behind.
    trees = {name: state_files(roots[name] / "state") for name in CLONES}
    assert all(tree == trees["c1"] for tree in trees.values())
    for name in CLONES:
        assert git(roots[name], "status", "--porcelain", "--untracked-files=no") == ""
        assert all(b"<<<<<<<" not in data for data in trees[name].values())

    # No task claimed twice; every agent held at most one task at a time (checked as we went).
    assert all(len(v) == 1 for v in claimed_by.values()), claimed_by
    assert len(completed) >= 8

    final = Store(roots["c1"] / "state", writer="check")
    queue = final.records(docs.TASK_QUEUE)
    progress = final.records(docs.progress(REPO))
    for number, name in completed.items():
        rec = queue[f"{REPO}#{number}"]
        assert rec["completed"] is True and rec["status"] == "done" and rec["claim"] is None, rec
        assert progress[f"{REPO}#{number}"]["by"] == name
        run = docs.run_file_stem(f"{number}-1", f"worker-{name}")
        assert (roots["c1"] / "state" / "agents" / REPO / "transcripts" / f"{run}.log").is_file()
    for name, number in holding.items():
        if number is not None:  # still held: the claim fields survived every other clone's sync
            claim = queue[f"{REPO}#{number}"]["claim"]
            assert claim is not None and claim["agent"] == f"agent-{name}", (name, queue[f"{REPO}#{number}"])
    # Every clone's log events and costs are there, once each.
    costs = list(final.read_log(docs.COSTS))
    assert sorted(e["issue"] for e in costs) == sorted(completed)
    done_events = [e for e in final.read_log(docs.AGENT_ACTIONS) if e.get("action") == "task-completed"]
    assert sorted(e["issue"] for e in done_events) == sorted(completed)
