"""Cross-process lock on one state file (`<file>.lock`, flock-based via filelock)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentops.errors import LostRace, StateError

DEFAULT_TIMEOUT = 30.0
# filelock polls a non-blocking flock; the default 50 ms poll caps a contended document at
# a few updates per second per waiter, far below what the disk allows.
_POLL = 0.002


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


STATE_DIR_HINT = "point AGENTOPS_STATE_DIR (or run from a checkout whose state/ folder is) somewhere writable"


def unwritable(path: Path, exc: OSError) -> StateError:
    """A state folder that cannot be created or written (read-only, /proc, a file in the way, full disk)."""
    return StateError(str(path), f"cannot write state: {exc.strerror or exc}", hint=STATE_DIR_HINT)


@contextmanager
def locked(path: Path, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the lock of `path` for the block; LostRace (exit 4) naming the lock file on timeout."""
    from filelock import FileLock, Timeout

    holder = lock_path(path)
    # thread_local=False: one lock object per call, so threads of one process exclude each
    # other through the kernel exactly like separate processes do.
    lock = FileLock(str(holder), timeout=timeout, thread_local=False, poll_interval=_POLL)
    try:
        holder.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise LostRace(f"{holder}: another process held this lock for more than {timeout:g}s",
                       hint="another agentops process is writing this state file; retry when it is done, "
                            "or remove the lock file if no agentops process is running") from None
    except OSError as exc:  # after Timeout, which is an OSError (TimeoutError) too
        raise unwritable(holder, exc) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def locked_many(paths: list[Path], timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the locks of all `paths` (taken in sorted order, so two holders never deadlock).
    Unavailable (exit 3, retryable) when one stays held for `timeout` seconds."""
    from contextlib import ExitStack

    from agentops.errors import Unavailable

    with ExitStack() as stack:
        for path in sorted(set(paths)):
            try:
                stack.enter_context(locked(path, timeout))
            except LostRace:
                raise Unavailable(f"{lock_path(path)}: another agentops process kept this state file locked "
                                  f"for more than {timeout:g}s",
                                  hint="retry when it is done (state sync is safe to repeat)") from None
        yield
