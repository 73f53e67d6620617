"""The one subprocess runner: argv lists only (never a shell), a wall-clock timeout that
kills the whole process group, bounded memory for huge output, a scrubbed environment,
and redaction of secrets in what it hands back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentops.errors import BadInput
from agentops.redact import Redactor, is_secret_name

# Keep the head and the tail of the output: the head says what started, the tail why it ended.
DEFAULT_MAX_OUTPUT = 256 * 1024
_CHUNK = 64 * 1024

ALWAYS_SCRUBBED = ("GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN",
                   "AGENTOPS_APP_PRIVATE_KEY", "AGENTOPS_APP_PRIVATE_KEY_FILE", "ACTIONS_RUNTIME_TOKEN",
                   "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


@dataclass(frozen=True)
class ProcResult:
    argv: tuple[str, ...]
    returncode: int | None  # None when it never started or was killed on timeout
    output: str  # combined stdout+stderr, head and tail kept, redacted
    duration_s: float
    timed_out: bool = False
    truncated_bytes: int = 0
    error: str | None = None  # e.g. executable not found

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.error is None

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def scrub_env(env: Mapping[str, str], *, allow: Iterable[str] = (), drop_secrets: bool = True) -> dict[str, str]:
    """A copy of env without GitHub/deploy tokens and secret-looking variables, except those allowed."""
    allowed = set(allow)
    out: dict[str, str] = {}
    for k, v in env.items():
        if k in allowed:
            out[k] = v
        elif k in ALWAYS_SCRUBBED:
            continue
        elif drop_secrets and is_secret_name(k):
            continue
        else:
            out[k] = v
    return out


class _Collector:
    """Keeps the first and last `limit/2` bytes of a stream, counting what it dropped."""

    def __init__(self, limit: int) -> None:
        self.half = max(limit // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        if len(self.head) < self.half:
            take = self.half - len(self.head)
            self.head += data[:take]
            data = data[take:]
        if not data:
            return
        self.tail += data
        if len(self.tail) > self.half:
            cut = len(self.tail) - self.half
            self.dropped += cut
            del self.tail[:cut]

    def text(self) -> str:
        head = self.head.decode("utf-8", "replace")
        tail = self.tail.decode("utf-8", "replace")
        if self.dropped:
            return f"{head}\n... [{self.dropped} bytes of output omitted] ...\n{tail}"
        return head + tail


def run(argv: Sequence[str], *, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
        timeout: float | None = None, max_output: int = DEFAULT_MAX_OUTPUT, stdin: str | None = None,
        redactor: Redactor | None = None, on_output: Callable[[bytes], None] | None = None) -> ProcResult:
    """`on_output` sees every chunk as it arrives (live progress of a long run); it runs on the
    reader thread, and an exception in it is swallowed: the display must never lose the output."""
    if isinstance(argv, str) or not argv:
        raise BadInput("a command must be a non-empty list of arguments, not a shell string")
    args = tuple(str(a) for a in argv)
    red = redactor or Redactor()
    started = time.monotonic()
    try:
        proc = subprocess.Popen(  # noqa: S603 - argv list, never a shell
            args, cwd=str(cwd) if cwd else None, env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError, OSError) as exc:
        return ProcResult(args, None, "", time.monotonic() - started, error=f"{args[0]}: {exc.strerror or exc}")

    col = _Collector(max_output)

    def pump() -> None:
        assert proc.stdout is not None
        while True:
            chunk = proc.stdout.read1(_CHUNK) if hasattr(proc.stdout, "read1") else proc.stdout.read(_CHUNK)
            if not chunk:
                break
            col.feed(chunk)
            if on_output is not None:
                try:
                    on_output(chunk)
                except Exception:  # progress display only: the output itself is kept above
                    pass

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    if stdin is not None and proc.stdin is not None:
        try:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
    except BaseException:
        # Ctrl-C or a signal handler raising (the `work` loop): the child is in its own
        # session, so nothing else ends it; left running, it would keep editing a
        # worktree whose claim is being released.
        _kill_group(proc)
        raise
    reader.join(timeout=5)
    duration = time.monotonic() - started
    return ProcResult(args, None if timed_out else proc.returncode, red.redact(col.text()), duration,
                      timed_out=timed_out, truncated_bytes=col.dropped)


@dataclass(frozen=True)
class Captured:
    """stdout and stderr kept apart, as bytes (git output is parsed, not shown)."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    error: str | None = None


def capture(argv: Sequence[str], *, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
            timeout: float | None = None, stdin: bytes | None = None, max_output: int | None = None) -> Captured:
    """Run argv with stdout and stderr captured separately; a timeout ends the whole group.
    `max_output` bounds each stream (the head is kept): None keeps everything."""
    if isinstance(argv, str) or not argv:
        raise BadInput("a command must be a non-empty list of arguments, not a shell string")
    args = tuple(str(a) for a in argv)
    try:
        child = subprocess.Popen(  # noqa: S603 - argv list, never a shell
            args, cwd=str(cwd) if cwd else None, env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError, OSError) as exc:
        return Captured(args, None, b"", b"", error=f"{args[0]}: {exc.strerror or exc}")
    try:
        out, err = child.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        out, err = child.communicate()
        return Captured(args, None, _bound(out, max_output), _bound(err, max_output), timed_out=True)
    except BaseException:
        _kill_group(child)
        raise
    return Captured(args, child.returncode, _bound(out, max_output), _bound(err, max_output))


def _bound(data: bytes, limit: int | None) -> bytes:
    return data if limit is None or len(data) <= limit else data[:limit]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # The command may have spawned children (npm, pytest-xdist): end the whole group.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue
