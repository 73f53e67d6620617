"""Crash-safe file writes: a reader (or a process restarted after SIGKILL or power loss)
sees either the old bytes or the new bytes, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from agentops.state.lock import unwritable

# State files are shared through git; owner-only modes from mkstemp would surprise nobody
# there, but they would surprise a second local user running the agent.
_FILE_MODE = 0o644


def fsync_dir(folder: Path) -> None:
    """Persist a rename: without it the new directory entry can vanish on power loss."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some platforms/filesystems cannot open directories; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Temp file in the same folder (same filesystem, so the rename is atomic), fsync, replace."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise unwritable(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)


def append_line(path: Path, line: bytes) -> None:
    """One write() of a whole line with O_APPEND, then fsync; callers hold the file's lock."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, _FILE_MODE)
    except OSError as exc:
        raise unwritable(path, exc) from None
    try:
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _temps_of(path: Path) -> list[Path]:
    try:
        return list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return []


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def remove_orphan_temps(path: Path) -> int:
    """Remove temp files that an atomic write of `path` left behind when it was killed
    (SIGKILL, power loss) between creating and renaming them. Call with `path`'s lock held:
    only the lock holder writes a temp file, so every one found then is an orphan."""
    removed = 0
    for tmp in _temps_of(path):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
            removed += 1
    return removed


def sweep_orphan_temps(root: Path, min_age_s: float = 600.0) -> list[Path]:
    """Remove atomic-write temp files under `root` older than `min_age_s` (a live write
    holds its temp file for milliseconds). For commands that hold no particular lock."""
    import time

    if not root.is_dir():
        return []
    cutoff = time.time() - min_age_s
    out = []
    for tmp in root.rglob(".*.tmp"):
        try:
            if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                out.append(tmp)
        except FileNotFoundError:
            continue
    return sorted(out)
