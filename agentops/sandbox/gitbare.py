"""The real git repositories behind emulated GitHub repos: one bare repo per repo.

Plumbing only (no work tree), so a merge or an initial commit never touches a checkout
that a client might be pushing to. Every call goes through agentops.proc (argv lists).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agentops import proc

_IDENTITY = {
    "GIT_AUTHOR_NAME": "agentops-emulator", "GIT_AUTHOR_EMAIL": "emulator@agentops.invalid",
    "GIT_COMMITTER_NAME": "agentops-emulator", "GIT_COMMITTER_EMAIL": "emulator@agentops.invalid",
}


class GitError(Exception):
    pass


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: str
    committer_name: str
    committer_email: str
    committer_date: str
    message: str


class BareRepo:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()

    def _env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        for k, v in _IDENTITY.items():
            env.setdefault(k, v)
        env.pop("GIT_DIR", None)
        env.pop("GIT_WORK_TREE", None)
        env.update(extra or {})
        return env

    def run(self, *args: str, check: bool = True, extra_env: dict[str, str] | None = None) -> tuple[int, str]:
        res = proc.run(["git", "--git-dir", str(self.path), *args], env=self._env(extra_env), timeout=60)
        code = res.returncode if res.returncode is not None else -1
        if check and code != 0:
            raise GitError(f"git {' '.join(args)}: {res.output.strip() or res.error}")
        return code, res.output.strip()

    def init(self, default_branch: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        res = proc.run(["git", "init", "--bare", "-q", "-b", default_branch, str(self.path)], env=self._env(),
                       timeout=60)
        if not res.ok:
            raise GitError(f"git init --bare {self.path}: {res.output.strip() or res.error}")

    def commit_files(self, branch: str, files: dict[str, str], message: str) -> str:
        """Commit `files` as the whole tree on `branch` (parent: its current tip, if any)."""
        with tempfile.TemporaryDirectory(prefix="emu-tree-") as tmp:
            root = Path(tmp)
            for rel, text in files.items():
                target = root / "wt" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            (root / "wt").mkdir(exist_ok=True)
            env = {"GIT_INDEX_FILE": str(root / "index")}
            self.run("--work-tree", str(root / "wt"), "add", "-A", ".", extra_env=env)
            _, tree = self.run("write-tree", extra_env=env)
        parent = self.resolve(f"refs/heads/{branch}")
        args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
        _, sha = self.run(*args)
        self.run("update-ref", f"refs/heads/{branch}", sha)
        return sha

    def resolve(self, ref: str) -> str | None:
        code, out = self.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        return out.splitlines()[0] if code == 0 and out else None

    def resolve_ref(self, ref: str) -> str | None:
        """A sha, full sha, or branch/tag name -> commit sha."""
        if not ref or ref.startswith("-"):
            return None
        for cand in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
            sha = self.resolve(cand)
            if sha:
                return sha
        return None

    def set_ref(self, ref: str, sha: str) -> None:
        self.run("update-ref", ref, sha)

    def is_ancestor(self, a: str, b: str) -> bool:
        code, _ = self.run("merge-base", "--is-ancestor", a, b, check=False)
        return code == 0

    def merge_base(self, a: str, b: str) -> str | None:
        code, out = self.run("merge-base", a, b, check=False)
        return out if code == 0 and out else None

    def merge_tree(self, base: str, head: str) -> str | None:
        """The merged tree id, or None when the merge conflicts."""
        code, out = self.run("merge-tree", "--write-tree", "--no-messages", base, head, check=False)
        if code != 0 or not out:
            return None
        return out.splitlines()[0]

    def commit_tree(self, tree: str, parents: list[str], message: str) -> str:
        args = ["commit-tree", tree, "-m", message]
        for p in parents:
            args += ["-p", p]
        return self.run(*args)[1]

    def tree_of(self, sha: str) -> str:
        return self.run("rev-parse", f"{sha}^{{tree}}")[1]

    def commits_between(self, base: str, head: str) -> list[CommitInfo]:
        _, out = self.run("log", "--reverse", "--format=" + _LOG_FORMAT, f"{base}..{head}")
        return _parse_log(out)

    def commit(self, sha: str) -> CommitInfo | None:
        code, out = self.run("log", "-1", "--format=" + _LOG_FORMAT, sha, check=False)
        infos = _parse_log(out) if code == 0 else []
        return infos[0] if infos else None

    def file_at(self, sha: str, path: str) -> str | None:
        """A file's text at a commit; None when the commit has no such file."""
        code, out = self.run("cat-file", "blob", f"{sha}:{path}", check=False)
        return out if code == 0 else None

    def list_files(self, sha: str, folder: str) -> list[str]:
        code, out = self.run("ls-tree", "--name-only", f"{sha}:{folder}", check=False)
        return out.splitlines() if code == 0 and out else []

    def refs_mtime(self) -> float | None:
        """Newest modification time of the branch refs: when someone last pushed."""
        newest: float | None = None
        for p in [self.path / "packed-refs", *(self.path / "refs" / "heads").rglob("*")]:
            try:
                m = p.stat().st_mtime
            except OSError:
                continue
            newest = m if newest is None else max(newest, m)
        return newest


_LOG_FORMAT = "%x1e%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B"


def _parse_log(out: str) -> list[CommitInfo]:
    infos = []
    for rec in out.split("\x1e"):
        parts = rec.split("\x1f")
        if len(parts) != 10:
            continue
        sha, tree, parents, an, ae, ad, cn, ce, cd, msg = parts
        infos.append(CommitInfo(sha.strip(), tree, tuple(parents.split()), an, ae, ad, cn, ce, cd, msg.strip()))
    return infos
