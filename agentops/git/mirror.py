"""The private mirror: a bare repository only agentops writes, where every credentialed git command
runs. The worktree an agent works in, and the repository it hangs off, may hold any config, hooks,
attributes or includes the agent planted; the token never meets them. The agent phase's commits
arrive here as a git bundle (data, checked object by object), are scanned, and are pushed from here.

Before each use agentops rewrites the mirror's config and removes its hooks and attributes, so even
a mirror someone tampered with between runs holds only what agentops wrote.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentops.git import GitFailed
from agentops.git.runner import GitAuth, GitResult, git

_CONFIG = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
# Objects from a bundle are untrusted: fsck them as they arrive.
_FSCK = (("transfer.fsckObjects", "true"), ("fetch.fsckObjects", "true"))


@dataclass(frozen=True)
class Mirror:
    path: Path

    def _git(self, args: Sequence[str], *, auth: GitAuth | None = None, check: bool = True,
             stdin: bytes | None = None) -> GitResult:
        res = git(args, cwd=self.path, auth=auth, config=_FSCK, stdin=stdin)
        if check and not res.ok:
            raise GitFailed(f"git {args[0]} failed in the publish mirror: {res.message()}")
        return res

    def ensure(self) -> Mirror:
        """Create the mirror if missing; reset its config, hooks and attributes to agentops's own."""
        if not (self.path / "objects").is_dir():
            self.path.mkdir(parents=True, exist_ok=True)
            res = git(["init", "--bare", "-q", str(self.path)], cwd=self.path)
            if not res.ok:
                raise GitFailed(f"cannot create the publish mirror {self.path}: {res.message()}")
        (self.path / "config").write_text(_CONFIG, encoding="utf-8")
        shutil.rmtree(self.path / "hooks", ignore_errors=True)
        # grafts and alternates would change which history and objects the scan and the push see
        for extra in ("info/attributes", "info/grafts", "objects/info/alternates", "objects/info/http-alternates",
                      "commondir", "gitdir"):
            (self.path / extra).unlink(missing_ok=True)
        shutil.rmtree(self.path / "refs" / "replace", ignore_errors=True)
        return self

    def fetch(self, url: str, token: str | None, branches: Sequence[str]) -> dict[str, str]:
        """Fetch `branches` from the remote into refs/remotes/origin/*; {branch: sha} for those found."""
        auth = GitAuth(url, token)
        found: dict[str, str] = {}
        for branch in branches:
            res = self._git(["fetch", "--no-tags", "--prune", url,
                             f"+refs/heads/{branch}:refs/remotes/origin/{branch}"], auth=auth, check=False)
            if res.ok:
                found[branch] = self.rev_parse(f"refs/remotes/origin/{branch}")
            elif branch == branches[0]:
                raise GitFailed(f"cannot fetch {branch}: {res.message()}")
            else:
                self._git(["update-ref", "-d", f"refs/remotes/origin/{branch}"], check=False)
        return found

    def fetch_ref(self, url: str, token: str | None, src: str, dst: str) -> str | None:
        """Fetch one ref read-only into `dst`: None when it worked, else git's message. Only the
        token agentops hands over authenticates it: git's own credential helpers are switched off,
        so no stored (possibly write) credential is ever asked for."""
        res = git(["fetch", "--no-tags", url, f"+{src}:{dst}"], cwd=self.path, auth=GitAuth(url, token),
                  config=(*_FSCK, ("credential.helper", "")))
        return None if res.ok else res.message()

    def rev_parse(self, ref: str) -> str:
        return self._git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]).stdout

    def diff(self, base_ref: str, head: str, *, max_bytes: int = 2 * 1024 * 1024) -> str:
        """The pull request's diff as GitHub shows it: `head` against its merge base with `base_ref`."""
        res = self._git(["diff", "--no-color", "--no-ext-diff", "--no-textconv", f"{base_ref}...{head}"])
        return res.stdout[:max_bytes]

    def has_commit(self, sha: str) -> bool:
        return self._git(["cat-file", "-e", f"{sha}^{{commit}}"], check=False).ok

    def import_bundle(self, bundle: Path, branch: str, head: str) -> None:
        """Fetch the bundle's one branch into refs/agentops/incoming/<branch>; it must point at `head`."""
        listed = self._git(["bundle", "list-heads", str(bundle)], check=False)
        if not listed.ok:
            raise GitFailed(f"{bundle.name}: not a readable git bundle: {listed.message()}")
        heads = [ln.split() for ln in listed.stdout.splitlines() if ln.strip()]
        if heads != [[head, f"refs/heads/{branch}"]]:
            raise GitFailed(f"{bundle.name}: must carry exactly refs/heads/{branch} at {head}")
        verified = self._git(["bundle", "verify", "-q", str(bundle)], check=False)
        if not verified.ok:
            raise GitFailed(f"{bundle.name}: {verified.message()}")
        self._git(["fetch", "--no-tags", str(bundle), f"+refs/heads/{branch}:refs/agentops/incoming/{branch}"])
        if self.rev_parse(f"refs/agentops/incoming/{branch}") != head:
            raise GitFailed(f"{bundle.name}: refs/heads/{branch} does not point at {head}")

    def take_from(self, source: Path, branch: str, head: str) -> None:
        """Fetch `branch` from a local repository (no credential on this command) and check it is `head`."""
        self._git(["fetch", "--no-tags", str(source), f"+refs/heads/{branch}:refs/agentops/incoming/{branch}"])
        if self.rev_parse(f"refs/agentops/incoming/{branch}") != head:
            raise GitFailed(f"{branch} in {source} is not at {head}")

    def outgoing(self, head: str) -> list[str]:
        """Commits reachable from `head` that the remote does not have (what a push would send)."""
        out = self._git(["rev-list", head, "--not", "--remotes=origin"]).stdout
        return out.split()

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self._git(["merge-base", "--is-ancestor", older, newer], check=False).returncode == 0

    def remote_head(self, url: str, token: str | None, branch: str) -> str | None:
        res = self._git(["ls-remote", url, f"refs/heads/{branch}"], auth=GitAuth(url, token), check=False)
        if not res.ok:
            raise GitFailed(f"cannot read {branch} from the remote: {res.message()}")
        return res.stdout.split()[0] if res.stdout else None

    def push(self, url: str, token: str | None, sha: str, branch: str) -> None:
        """Push `sha` to refs/heads/<branch>, fast-forward only (nobody's commits are lost)."""
        self._git(["push", "--porcelain", url, f"{sha}:refs/heads/{branch}"], auth=GitAuth(url, token))

    def cat_objects(self, specs: Sequence[str]) -> list[bytes]:
        """The raw content of each object named in `specs` (sha or rev:path)."""
        if not specs:
            return []
        res = self._git(["cat-file", "--batch"], stdin=("\n".join(specs) + "\n").encode())
        data, out, pos = res.raw, [], 0
        for _ in specs:
            nl = data.index(b"\n", pos)
            header = data[pos:nl].split()
            if len(header) < 3 or header[1] == b"missing":
                raise GitFailed(f"object missing in the publish mirror: {header[:1]!r}")
            size = int(header[2])
            out.append(data[nl + 1:nl + 1 + size])
            pos = nl + 1 + size + 1
        return out

    def changed_paths(self, commit: str) -> list[str]:
        """Every path a commit adds, modifies, deletes or retypes, against each parent (or none)."""
        res = self._git(["diff-tree", "-r", "-z", "--no-commit-id", "--root", "-m", "--no-renames", "--name-only",
                         commit])
        return sorted({p.decode("utf-8", "replace") for p in res.raw.split(b"\0") if p})

    def object_sizes(self, shas: Sequence[str]) -> list[int]:
        """The size in bytes of each object, without reading it."""
        if not shas:
            return []
        res = self._git(["cat-file", "--batch-check=%(objectsize)"], stdin=("\n".join(shas) + "\n").encode())
        sizes = res.stdout.split()
        if len(sizes) != len(shas) or not all(x.isdigit() for x in sizes):
            raise GitFailed("object missing in the publish mirror")
        return [int(x) for x in sizes]

    def changed_blobs(self, commit: str) -> list[tuple[str, str, str]]:
        """(path, blob sha, mode) of every file a commit adds or modifies, against each parent (or none)."""
        res = self._git(["diff-tree", "-r", "-z", "--no-commit-id", "--root", "-m", "--no-renames",
                         "--diff-filter=AMT", commit])
        fields = res.raw.split(b"\0")
        found: list[tuple[str, str, str]] = []
        i = 0
        while i + 1 < len(fields):
            meta, path = fields[i].decode(), fields[i + 1].decode("utf-8", "replace")
            parts = meta.split()
            if len(parts) >= 4 and parts[3] != "0" * len(parts[3]):
                found.append((path, parts[3], parts[1]))
            i += 2
        return found
