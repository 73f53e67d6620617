"""What an agent must not change in the repository its worktree shares with a human.

An agent's worktree is a linked worktree of the operator's clone: its objects and refs live in the
clone's common `.git`, which the agent must be able to write. The same folder holds what the
human's own plain `git` runs or trusts in their checkout: `config` (core.hooksPath, core.fsmonitor,
include/includeIf, filter drivers, aliases), `hooks/`, `info/attributes`, and the main worktree's
own state (`HEAD`, `index`, `MERGE_HEAD` ...: a staged file or a pending merge the human would
commit without noticing). Git's user-wide config files are just as live.

So, by construction where bubblewrap runs (`sandbox_binds`: those paths are bound read-only over
the writable common dir), and after every agent run in any mode (`Guard`, for what makes the human's
git run code: config, hooks, attributes, git's user-wide files): a snapshot taken before the agent
started is compared with what is there afterwards, every difference is put back, and the differences
are reported (the caller fails closed: needs-human). The main worktree's state (HEAD, index) is not
compared afterwards: the human may be committing in their checkout while the agent works, and a
revert would undo their work; it is protected only where bubblewrap runs.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentops.git.runner import git

# In the common git dir: what configures or runs code in the human's git (read-only in the sandbox
# and compared afterwards) ...
# refs/replace and alternates change what objects the human's git reads (a checkout would write an
# agent's replacement file content into their work tree); info/ holds grafts and attributes.
GUARDED_FILES = ("config", "config.worktree", "objects/info/alternates")
GUARDED_DIRS = ("hooks", "info", "refs/replace")
# ... and the main worktree's own state (read-only in the sandbox only, see above).
STATE_FILES = ("HEAD", "index")
MAX_FILE = 256 * 1024 * 1024  # an index this large is not copied: it is compared by size and time

_Entry = tuple[str, bytes, int]  # (kind "file" | "link" | "dir" | "big", content or target, mode)


def is_git_dir(path: Path) -> bool:
    """A repository's (common) git dir: where objects, refs and config live."""
    return (path / "objects").is_dir() and (path / "HEAD").is_file() and (path / "config").is_file()


def user_config_files(env: Mapping[str, str]) -> list[Path]:
    """Git's own user-wide and system files: a process-mode agent runs as the same user and could
    write them (in bubblewrap the home folder is a private tmpfs and / is read-only)."""
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    found = [home / ".gitconfig", xdg / "git" / "config", xdg / "git" / "attributes", Path("/etc/gitconfig")]
    if env.get("GIT_CONFIG_GLOBAL"):
        found.append(Path(env["GIT_CONFIG_GLOBAL"]))
    return list(dict.fromkeys(found))


def worktree_pointers(worktree: Path) -> list[Path]:
    """The files that say which repository a linked worktree belongs to: its `.git` file and, in its
    admin folder, `commondir` and `gitdir`. Rewritten by an agent, agentops's own git work on the
    worktree afterwards (run with that repository writable) would land in another clone on the
    machine; so they are read-only in the sandbox and compared afterwards like the config. Read
    before the agent runs, while they are still agentops's."""
    dot_git = worktree / ".git"
    found = [dot_git]
    try:
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip() if dot_git.is_file() else ""
    except OSError:
        text = ""
    if text.startswith("gitdir:"):
        admin = Path(text.split(":", 1)[1].strip())
        admin = admin if admin.is_absolute() else (worktree / admin)
        found += [admin / "commondir", admin / "gitdir"]
    return found


def file_binds(files: Sequence[Path]) -> list[str]:
    """bwrap arguments binding existing regular files read-only."""
    args: list[str] = []
    for f in files:
        if f.is_file() and not f.is_symlink():
            args += ["--ro-bind", str(f), str(f)]
    return args


def sandbox_binds(common: Path) -> list[str]:
    """bwrap arguments binding the guarded paths of `common` read-only (after its writable bind).
    Only existing paths can be bound; the guarded folders are created empty first so the agent
    cannot create them, and a guarded file that does not exist yet is caught by `Guard`."""
    args: list[str] = []
    _ensure_dirs(common)
    for name in (*GUARDED_FILES, *GUARDED_DIRS, *STATE_FILES):
        p = common / name
        if p.exists() and not p.is_symlink():
            args += ["--ro-bind", str(p), str(p)]
    return args


def _ensure_dirs(common: Path) -> None:
    for name in GUARDED_DIRS:
        try:
            (common / name).mkdir(exist_ok=True)
        except OSError:
            pass  # a file in the way: bound as it is, or reported by Guard


def _read(path: Path) -> _Entry | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.fsencode(os.readlink(path)), 0)
    if stat.S_ISDIR(st.st_mode):
        return ("dir", b"", stat.S_IMODE(st.st_mode))
    if st.st_size > MAX_FILE:
        return ("big", f"{st.st_size}:{st.st_mtime_ns}".encode(), stat.S_IMODE(st.st_mode))
    try:
        return ("file", path.read_bytes(), stat.S_IMODE(st.st_mode))
    except OSError:
        return None


def _walk(top: Path) -> Iterator[Path]:
    yield top
    if top.is_dir() and not top.is_symlink():
        for root, dirs, files in os.walk(top, followlinks=False):
            for name in (*dirs, *files):
                yield Path(root) / name


@dataclass
class Guard:
    """A snapshot of the guarded paths of some git dirs (and git's user-wide files)."""

    roots: Sequence[Path]
    extra_files: Sequence[Path] = ()
    entries: dict[Path, _Entry | None] = field(default_factory=dict)
    replace_refs: dict[Path, set[str]] = field(default_factory=dict)

    @classmethod
    def take(cls, git_dirs: Sequence[Path], env: Mapping[str, str], files: Sequence[Path] = ()) -> Guard:
        guard = cls([p.resolve() for p in dict.fromkeys(git_dirs)], [*user_config_files(env), *files])
        for root in guard.roots:  # as sandbox_binds makes them, before or after: never a difference
            _ensure_dirs(root)
        for path in guard._paths():
            guard.entries[path] = _read(path)
        for root in guard.roots:
            guard.replace_refs[root] = _replace_refs(root)
        return guard

    def _paths(self) -> list[Path]:
        found: list[Path] = list(self.extra_files)
        for root in self.roots:
            found += [root / name for name in GUARDED_FILES]
            for name in GUARDED_DIRS:
                found += list(_walk(root / name))
        return found

    def restore(self) -> list[str]:
        """Put back every difference; what was different ("hooks/pre-commit added", ...)."""
        changed: list[str] = []
        now = {p: _read(p) for p in self._paths()}
        # Gone first, deepest first: a file the agent added, a folder it turned into a link.
        for path in sorted(now, key=lambda p: len(p.parts), reverse=True):
            before = self.entries.get(path)
            after = now[path]
            if after is not None and (before is None or before[0] != after[0]):
                changed.append(f"{self._name(path)} {'added' if before is None else 'replaced'}")
                _remove(path)
        for path, before in sorted(self.entries.items(), key=lambda kv: len(kv[0].parts)):
            after = _read(path)
            if before == after or before is None or (before[0] == "big" and after is not None and after[0] == "big"):
                continue
            if not any(c.startswith(self._name(path) + " ") for c in changed):
                changed.append(f"{self._name(path)} {'removed' if after is None else 'changed'}")
            _put(path, before)
        for root, before_refs in self.replace_refs.items():  # packed ones too, not only refs/replace/*
            for ref in sorted(_replace_refs(root) - before_refs):
                changed.append(f"{root.name}: {ref} added")
                git(["update-ref", "-d", ref], cwd=root)
        return changed

    def _name(self, path: Path) -> str:
        for root in self.roots:
            if path.is_relative_to(root):
                return f"{root.name}/{path.relative_to(root)}" if path != root else str(root)
        return str(path)


def _replace_refs(root: Path) -> set[str]:
    res = git(["for-each-ref", "--format=%(refname)", "refs/replace/"], cwd=root)
    return set(res.stdout.split()) if res.ok else set()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _put(path: Path, entry: _Entry) -> None:
    kind, data, mode = entry
    if kind == "big":
        return  # not copied; reported as changed above
    if path.is_symlink() or (path.exists() and (kind == "dir") != path.is_dir()):
        _remove(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "dir":
        path.mkdir(exist_ok=True)
        path.chmod(mode)
    elif kind == "link":
        os.symlink(os.fsdecode(data), path)
    else:
        tmp = path.with_name(path.name + ".agentops-restore")
        tmp.write_bytes(data)
        tmp.chmod(mode)
        os.replace(tmp, path)
