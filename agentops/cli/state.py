"""`agentops state ...`: inspect, validate, merge and sync the state folder."""

from __future__ import annotations

import json as _json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from agentops.cli import JsonOpt, app, execute, make_context

state_app = typer.Typer(help="Inspect, validate, merge and sync the state/ folder.", no_args_is_help=True)
driver_app = typer.Typer(help="The git merge driver for state documents.", no_args_is_help=True)
state_app.add_typer(driver_app, name="merge-driver")
app.add_typer(state_app, name="state")


@state_app.command("show")
def show_cmd(
    doc: Annotated[str, typer.Argument(help="Document name, e.g. orchestrator/task-queue.")],
    all_records: Annotated[bool, typer.Option("--all", help="Include tombstones and record stamps.")] = False,
    json: JsonOpt = False,
) -> None:
    """Print the records of one state document."""
    ctx = make_context(json_mode=json)

    def body() -> dict[str, Any]:
        _known_or_present(ctx.store, doc)
        snap = ctx.store.load(doc)
        records: dict[str, Any] = snap.raw() if all_records else snap.live()
        return {"doc": doc, "path": str(ctx.store.path(doc)), "records": records}

    def render(res: dict[str, Any]) -> None:
        if json:
            ctx.output.emit(res)
        else:
            print(_json.dumps(res["records"], indent=2, sort_keys=True, ensure_ascii=False))

    execute(ctx, body, render)


def _known_or_present(store: Any, doc: str) -> None:
    """A typo used to print `{}`, as if the document were empty. A known document not written
    yet is still shown empty; any other absent name is bad input listing what exists."""
    import re

    from agentops.errors import BadInput
    from agentops.state import docs

    path: Path = store.path(doc)
    known = {docs.TASK_QUEUE, docs.AGENT_STATUS, docs.METRICS, docs.PULLS, docs.SCAN_RESULTS, docs.ISSUE_TRACKER}
    if path.exists() or doc in known or re.fullmatch(r"agents/[^/]+/[^/]+/(progress|test-results)", doc):
        return
    root: Path = store.root
    present = sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.json")) \
        if root.is_dir() else []
    if doc in docs.LOGS:
        hint = f"{doc} is a log: read {root / docs.LOG_DIR / (doc + '.jsonl')}"
    else:
        hint = "documents here: " + (", ".join(present) or "none yet")
    raise BadInput(f"no state document {doc!r} ({path})", hint=hint)


@state_app.command("check")
def check_cmd(json: JsonOpt = False) -> None:
    """Read every state file; exit 2 naming the first corrupt or too-new one."""
    ctx = make_context(json_mode=json)

    def render(files: list[dict[str, Any]]) -> None:
        if json:
            ctx.output.emit({"ok": True, "root": str(ctx.store.root), "files": files})
        else:
            ctx.output.success(f"{len(files)} state file(s) under {ctx.store.root} read cleanly")

    execute(ctx, ctx.store.check, render)


@state_app.command("merge")
def merge_cmd(
    base: Annotated[Path, typer.Argument(help="Common ancestor (git's %O).")],
    ours: Annotated[Path, typer.Argument(help="Our version (git's %A); the result is written here.")],
    theirs: Annotated[Path, typer.Argument(help="Their version (git's %B).")],
    path: Annotated[str | None, typer.Argument(help="The path in the repository (git's %P).")] = None,
    json: JsonOpt = False,
) -> None:
    """Git merge driver: merge a state document record by record into OURS."""
    ctx = make_context(json_mode=json)

    def body() -> Any:
        from agentops.state.mergefile import merge_files

        return merge_files(base, ours, theirs, path)

    def render(res: Any) -> None:
        if json:
            ctx.output.emit(asdict(res))

    execute(ctx, body, render)


def _git_token(ctx: Any) -> str | None:
    """The GitHub token agentops uses, or None when none is configured: the user's own git
    credentials (a helper, ssh) may still serve the push."""
    from agentops.errors import AgentOpsError

    try:
        token: str | None = ctx.github.git_token()
    except AgentOpsError:
        return None
    return token


@state_app.command("sync")
def sync_cmd(
    message: Annotated[str | None, typer.Option("--message", "-m", help="Commit message.")] = None,
    remote: Annotated[str, typer.Option("--remote", help="Remote to push to.")] = "origin",
    branch: Annotated[str | None, typer.Option("--branch", help="Remote branch (default: current).")] = None,
    retries: Annotated[int, typer.Option("--retries", help="Push attempts before giving up (exit 3).")] = 5,
    json: JsonOpt = False,
) -> None:
    """Commit state/ (only) and push, merging and retrying when the push is rejected."""
    ctx = make_context(json_mode=json)

    def body() -> Any:
        from agentops.git.pushauth import token_for
        from agentops.git.sync import sync_state

        return sync_state(ctx.root, ctx.state_dir, message=message, remote=remote, branch=branch,
                          retries=retries, sleep=ctx.sleep, token_for=token_for(ctx.env, lambda: _git_token(ctx)))

    def render(res: Any) -> None:
        if json:
            ctx.output.emit(asdict(res))
        else:
            what = f"committed {res.commit[:12]}" if res.commit else "nothing new to commit"
            ctx.output.success(f"state synced to {res.remote}/{res.branch}: {what}; "
                               f"{res.attempts} push attempt(s), {res.merges} merge(s)")

    execute(ctx, body, render)


@driver_app.command("install")
def driver_install_cmd(json: JsonOpt = False) -> None:
    """Register the merge driver in .git/config and add the state lines to .gitattributes."""
    ctx = make_context(json_mode=json)

    def body() -> dict[str, Any]:
        from agentops.git.sync import install_merge_driver, state_rel

        return install_merge_driver(ctx.root, state_rel(ctx.root, ctx.state_dir))

    def render(res: dict[str, Any]) -> None:
        if json:
            ctx.output.emit(res)
        else:
            ctx.output.success(f"merge driver registered: {res['driver']}")

    execute(ctx, body, render)
