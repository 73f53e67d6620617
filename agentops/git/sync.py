"""State travels between machines through git: commit `state/` only, push, and on a
rejected push fetch + merge (the `agentops` merge driver resolves state documents record
by record, `merge=union` keeps both sides of the JSONL logs) and push again, a bounded
number of times.
"""

from __future__ import annotations

import random
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentops.errors import BadInput, Unavailable, WorkFailed
from agentops.git import GitFailed, open_repo, run, try_run
from agentops.git.runner import GitAuth

DRIVER_NAME = "agentops"
DRIVER_LABEL = "agentops state record merge"
BOT_NAME = "agentops"
BOT_EMAIL = "agentops@users.noreply.github.com"


def attribute_lines(state_rel: str = "state") -> list[str]:
    """A merge rule for every state path, in order (a later line wins in .gitattributes): any
    other file (per-run transcripts, prompts) merges by union and so never conflicts; documents
    merge record by record and field by field; logs and archives are append-only lines."""
    rel = state_rel.strip("/") or "state"
    return [f"{rel}/** merge=union", f"{rel}/**/*.json merge={DRIVER_NAME}", f"{rel}/logs/*.jsonl merge=union",
            f"{rel}/archive/*.jsonl merge=union"]


def driver_command() -> str:
    """The merge driver command line (git runs it through sh, hence the quoting)."""
    exe = "agentops" if shutil.which("agentops") else f"{shlex.quote(sys.executable)} -m agentops"
    return f"{exe} state merge %O %A %B %P"


def register_merge_driver(repo_path: str | Path) -> str:
    """Define the `agentops` merge driver in the repository's local git config."""
    repo = open_repo(repo_path)
    command = driver_command()
    run(repo, "config", "--local", f"merge.{DRIVER_NAME}.name", DRIVER_LABEL)
    run(repo, "config", "--local", f"merge.{DRIVER_NAME}.driver", command)
    return command


def _add_lines(path: Path, lines: list[str], *, ordered: bool = False) -> bool:
    """Add the missing `lines`; with `ordered`, our lines end the file in the given order
    (attribute precedence is by position), whatever order an older agentops left them in."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    have = [ln.strip() for ln in text.splitlines()]
    if ordered:
        if have[-len(lines):] == lines:
            return False
        keep = [ln for ln in text.splitlines() if ln.strip() not in lines]
        new = "\n".join([*keep, *lines]) + "\n"
    else:
        missing = [ln for ln in lines if ln not in have]
        if not missing:
            return False
        new = (text if not text or text.endswith("\n") else text + "\n") + "\n".join(missing) + "\n"
    from agentops.state.atomicio import atomic_write_bytes

    atomic_write_bytes(path, new.encode("utf-8"))
    return True


def ensure_gitattributes(repo_root: str | Path, state_rel: str = "state") -> bool:
    """Add the state merge attributes to `<repo_root>/.gitattributes`; True if it changed."""
    return _add_lines(Path(repo_root) / ".gitattributes", attribute_lines(state_rel), ordered=True)


def install_merge_driver(repo_path: str | Path, state_rel: str = "state") -> dict[str, Any]:
    repo = open_repo(repo_path)
    root = Path(repo.working_tree_dir)
    command = register_merge_driver(root)
    changed = ensure_gitattributes(root, state_rel)
    # Lock files and interrupted temp files are per machine; keep them out of `git status`.
    _add_lines(root / state_rel / ".gitignore", ["*.lock", "*.tmp"])
    return {"repo": str(root), "driver": command, "gitattributes": str(root / ".gitattributes"),
            "gitattributes_changed": changed}


@dataclass(frozen=True)
class SyncResult:
    repo: str
    remote: str
    branch: str
    committed: bool
    commit: str | None
    pushed: bool
    attempts: int
    merges: int
    head: str


def _identity(repo: Any) -> list[str]:
    """Commit as the bot unless the repository (or environment) already names someone."""
    import os

    status, email, _ = try_run(repo, "config", "user.email")
    if (status == 0 and email) or os.environ.get("GIT_AUTHOR_EMAIL") or os.environ.get("EMAIL"):
        return []
    return ["-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}"]


def state_rel(root: Path, state_dir: Path) -> str:
    try:
        rel = state_dir.resolve().relative_to(root.resolve())
    except ValueError:
        raise BadInput(f"{state_dir}: the state folder is not inside the git work tree {root}") from None
    text = rel.as_posix()
    if text in ("", "."):
        raise BadInput(f"{state_dir}: the state folder cannot be the repository root")
    return text


def _ensure_local_attributes(repo: Any, state_rel: str) -> None:
    """Merge attributes in $GIT_DIR/info/attributes, so the driver applies even before
    .gitattributes is committed (and without touching the work tree)."""
    git_dir = Path(run(repo, "rev-parse", "--absolute-git-dir"))
    (git_dir / "info").mkdir(parents=True, exist_ok=True)
    _add_lines(git_dir / "info" / "attributes", attribute_lines(state_rel), ordered=True)
    status, configured, _ = try_run(repo, "config", f"merge.{DRIVER_NAME}.driver")
    if status != 0 or not configured:
        register_merge_driver(repo.working_tree_dir)


def _merge_remote(repo: Any, ident: list[str], tracking: str, remote: str, branch: str) -> None:
    """Merge the remote branch without touching the user's index or unrelated files.

    `git merge` in the main work tree refuses to run with anything staged (and would put
    it into the merge commit if it did). So the merge happens in a throwaway worktree,
    and the main one then moves to the result the way `git checkout` would: a two-tree
    `read-tree -m -u` that carries local changes forward.
    """
    import shutil
    import tempfile

    old = run(repo, "rev-parse", "HEAD")
    tmp = Path(tempfile.mkdtemp(prefix="agentops-merge-"))
    wt = tmp / "wt"
    run(repo, "worktree", "add", "--detach", "--quiet", str(wt), old)
    try:
        side = open_repo(wt)
        status, out, err = try_run(side, *ident, "merge", "--no-edit", "-m",
                                   f"agentops: merge state from {remote}/{branch}", tracking)
        if status != 0:
            _, conflicted, _ = try_run(side, "diff", "--name-only", "--diff-filter=U")
            if conflicted:
                raise WorkFailed(f"merging {remote}/{branch} conflicted in: {', '.join(conflicted.split())}",
                                 hint="state documents merge automatically; these need a hand merge "
                                      "(a corrupt state file shows up here too)")
            raise WorkFailed(f"merging {remote}/{branch} failed: {_last_line(err or out, 'unknown error')}")
        merged = run(side, "rev-parse", "HEAD")
    finally:
        try_run(repo, "worktree", "remove", "--force", str(wt))
        shutil.rmtree(tmp, ignore_errors=True)
        try_run(repo, "worktree", "prune")
    try_run(repo, "update-index", "-q", "--refresh")
    status, out, err = try_run(repo, "read-tree", "-m", "-u", old, merged)
    if status != 0:
        raise WorkFailed(f"cannot bring in {remote}/{branch}: {_last_line(err or out, 'read-tree failed')}",
                         hint="local changes touch files the incoming commits change; commit or set them "
                              "aside, then sync again (the local state commit is kept)")
    run(repo, "update-ref", "-m", f"agentops: merge state from {remote}/{branch}", "HEAD", merged, old)


def _commit_state(repo: Any, ident: list[str], spec: list[str], message: str | None) -> str | None:
    run(repo, "add", "-A", "--", *spec)
    if try_run(repo, "diff", "--cached", "--quiet", "--", *spec)[0] != 1:
        return None
    # A pathspec commit takes only these paths, whatever else the user has staged.
    run(repo, *ident, "commit", "--no-verify", "-q", "-m", message or "agentops: update state", "--", *spec)
    return run(repo, "rev-parse", "HEAD")


def _last_line(text: str, default: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else default


def _backoff(attempt: int) -> float:
    # Small and jittered: two clones racing for the same remote should not retry in lockstep.
    return float(min(0.2 * 2 ** (attempt - 1), 3.0) + random.uniform(0, 0.2))


def _auth(repo: Any, remote: str, which: str | None,
          token_for: Callable[[str], str | None] | None) -> GitAuth | None:
    """The credential for `remote`'s push (`--push`) or fetch URL. `git remote get-url` applies
    `insteadOf`, so the URL checked is the one git will contact."""
    if token_for is None:
        return None
    status, out, _ = try_run(repo, "remote", "get-url", "--all", *([which] if which else []), remote)
    urls = [u.strip() for u in out.splitlines() if u.strip()] if status == 0 else []
    # A remote with several push URLs gets the one header for all of them: only when each one
    # is owed that same token.
    tokens = {token_for(u) for u in urls}
    token = tokens.pop() if len(tokens) == 1 else None
    return GitAuth(urls[0], token) if token else None


def sync_state(repo_path: str | Path, state_dir: str | Path, *, message: str | None = None,
               remote: str = "origin", branch: str | None = None, retries: int = 5,
               sleep: Callable[[float], None] | None = None, lock_timeout: float = 30.0,
               token_for: Callable[[str], str | None] | None = None) -> SyncResult:
    """Exit 3 (Unavailable) when the push keeps failing or the state stays locked by another
    agentops process for `lock_timeout` seconds: both are worth retrying later.

    `token_for(url)` gives the token for the remote's push or fetch URL, or None. It reaches git
    only through the runner's GitAuth, for that one push or fetch (https URLs only); a CI job
    checks out without a persisted credential, so without it the push has none."""
    import time

    if retries < 1:
        raise BadInput(f"--retries must be at least 1, got {retries}")
    pause = sleep or time.sleep
    repo = open_repo(repo_path)
    root = Path(repo.working_tree_dir)
    rel = state_rel(root, Path(state_dir) if Path(state_dir).is_absolute() else root / state_dir)
    if try_run(repo, "remote", "get-url", remote)[0] != 0:
        raise BadInput(f"git remote {remote!r} does not exist in {root}")
    if branch is None:
        status, current, _ = try_run(repo, "symbolic-ref", "--short", "HEAD")
        if status != 0 or not current:
            raise BadInput(f"{root}: HEAD is detached", hint="pass --branch BRANCH")
        branch = current
    ident = _identity(repo)
    _ensure_local_attributes(repo, rel)
    from agentops.state.store import Store

    store = Store(root / rel, writer="sync")
    # Lock files and interrupted temp files are process-local and never shared.
    spec = [rel, f":(exclude){rel}/*.lock", f":(exclude){rel}/*.tmp"]
    # The state locks are held while the state is committed and while merged files land in the
    # work tree: a writer in this clone waits instead of changing a file under git's feet.
    with store.locked_all(timeout=lock_timeout):
        # Never publish a corrupt or too-new file: every other clone would fail on it.
        store.check()
        commit = _commit_state(repo, ident, spec, message)
    changed = commit is not None

    tracking = f"refs/remotes/{remote}/{branch}"
    push_auth, fetch_auth = _auth(repo, remote, "--push", token_for), _auth(repo, remote, None, token_for)
    merges = 0
    last_error = ""
    for attempt in range(1, retries + 1):
        status, out, err = try_run(repo, "push", remote, f"HEAD:refs/heads/{branch}", auth=push_auth)
        if status == 0:
            return SyncResult(repo=str(root), remote=remote, branch=branch, committed=changed, commit=commit,
                              pushed=True, attempts=attempt, merges=merges, head=run(repo, "rev-parse", "HEAD"))
        last_error = _last_line(err or out, "push failed")
        if attempt == retries:
            break
        pause(_backoff(attempt))
        status, _, ferr = try_run(repo, "fetch", "--quiet", remote, f"+refs/heads/{branch}:{tracking}",
                                  auth=fetch_auth)
        if status != 0:
            last_error = _last_line(ferr, "fetch failed")
            continue
        ahead = run(repo, "rev-list", "--count", f"HEAD..{tracking}")
        if ahead != "0":
            with store.locked_all(timeout=lock_timeout):
                # What was written since the first commit goes in too, so the merge finds the
                # state files clean in the work tree.
                later = _commit_state(repo, ident, spec, message)
                commit = later or commit
                changed = changed or later is not None
                _merge_remote(repo, ident, tracking, remote, branch)
            merges += 1
    raise Unavailable(f"could not push state to {remote}/{branch} after {retries} attempts: {last_error}",
                      hint="the state commit is kept locally; run `agentops state sync` again later")


__all__ = ["GitFailed", "SyncResult", "attribute_lines", "driver_command", "ensure_gitattributes",
           "install_merge_driver", "register_merge_driver", "state_rel", "sync_state"]
