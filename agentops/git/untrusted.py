"""`python -m agentops.git.untrusted`: the git work done on an agent's worktree after the agent ran,
run in the agent's own sandbox (agentops.proc.untrusted_argv), because the worktree's config and
attributes are the agent's: `git add` may run a filter it planted, and nothing that runs may be
near a credential or outlive the sandbox.

    commit --worktree W --since SHA --branch B --message-file F --bundle OUT [--trailer T] [--merge BASE]
        one commit of everything changed since SHA (unless already made), then a git bundle of
        refs/heads/B with SHA as its prerequisite; prints {"changed": bool, "sha": ...}. With
        --merge, the merge of BASE the agent resolved is committed as a merge commit instead.
    reset --worktree W --sha SHA
        drop every edit and commit since SHA
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agentops.errors import AgentOpsError
from agentops.git import worktree as wt
from agentops.git.runner import git


def _commit(a: argparse.Namespace) -> dict[str, object]:
    path = Path(a.worktree)
    head = wt.head(path)
    if not wt.changed_since(path, a.since):
        return {"changed": False, "sha": head}
    message = Path(a.message_file).read_text(encoding="utf-8")
    if a.merge:  # a conflict round: a real merge commit of the base, only when nothing is left unresolved
        left = wt.unresolved(path)
        if left:
            raise AgentOpsError(f"conflicts left unresolved in {', '.join(left[:10])}")
        head = wt.commit_merge(path, a.since, a.merge, message)
    elif wt.is_dirty(path) or head == a.since or not (a.trailer and wt.has_trailer(path, a.trailer)):
        head = wt.commit_all(path, a.since, message)
    res = git(["bundle", "create", "-q", str(Path(a.bundle).resolve()), f"refs/heads/{a.branch}", f"^{a.since}"],
              cwd=path)
    if not res.ok:
        raise AgentOpsError(f"git bundle failed: {res.message()}")
    return {"changed": True, "sha": head}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="agentops.git.untrusted")
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("commit")
    for flag in ("--worktree", "--since", "--branch", "--message-file", "--bundle"):
        c.add_argument(flag, required=True)
    c.add_argument("--trailer")
    c.add_argument("--merge", help="base sha merged in: commit a merge, refuse unresolved conflicts")
    r = sub.add_parser("reset")
    r.add_argument("--worktree", required=True)
    r.add_argument("--sha", required=True)
    a = parser.parse_args(argv)
    try:
        if a.cmd == "commit":
            out = _commit(a)
        else:
            wt.reset_clean(Path(a.worktree), a.sha)
            out = {"reset": a.sha}
    except (AgentOpsError, OSError) as exc:
        print(json.dumps({"error": str(exc)}))
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
