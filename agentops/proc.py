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
                   "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                   # The composite action's push-token input, for `state sync` (agentops.git.pushauth).
                   "AGENTOPS_PUSH_TOKEN", "AGENTOPS_TOKEN")


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


def is_git_config_injection(name: str) -> bool:
    """GIT_CONFIG_COUNT/KEY_n/VALUE_n and GIT_CONFIG_PARAMETERS: git config handed through the
    environment, which is how a CI step hands git a token (an `http.extraheader`); whatever it
    holds, untrusted code must not inherit it."""
    if name == "GIT_CONFIG_PARAMETERS" or name == "GIT_CONFIG_COUNT":
        return True
    head, _, tail = name.rpartition("_")
    return head in ("GIT_CONFIG_KEY", "GIT_CONFIG_VALUE") and tail.isdigit()


def scrub_env(env: Mapping[str, str], *, allow: Iterable[str] = (), drop_secrets: bool = True) -> dict[str, str]:
    """A copy of env without GitHub/deploy tokens and secret-looking variables, except those allowed."""
    allowed = set(allow)
    out: dict[str, str] = {}
    for k, v in env.items():
        if k in allowed:
            out[k] = v
        elif k in ALWAYS_SCRUBBED or is_git_config_injection(k):
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


# -- credential-free spawning ------------------------------------------------------------------
# Untrusted code (a coding agent, a pull request's gates) runs with no credential within reach:
# none in its environment, none in the environ of any process it can see. Two layers:
# 1. `shed_credentials`: a command about to run untrusted code re-executes itself without the
#    credentials in its own exec-time environment (what /proc/PID/environ shows for the rest of
#    its life), taking them over a pipe instead, and marks itself non-dumpable (no /proc/PID/mem,
#    environ or ptrace for processes of the same user without CAP_SYS_PTRACE).
# 2. `untrusted_argv`: the untrusted command runs inside bubblewrap where it works (own PID
#    namespace, so no other process's /proc is visible; the home folder hidden; only the listed
#    folders writable; everything in the namespace dies with it), else under agentops.reaper,
#    which kills every process the command left behind, so nothing outlives it to watch a later
#    push's environment.
CREDENTIAL_FD_VAR = "AGENTOPS_CREDENTIAL_FD"
SANDBOX_VAR = "AGENTOPS_SANDBOX"  # auto (default) | bwrap (required) | process (never bwrap)
# Extra folders the operator lets untrusted code write (os.pathsep-separated), e.g. a tool's cache.
SANDBOX_WRITABLE_VAR = "AGENTOPS_SANDBOX_WRITABLE"
_HELD: dict[str, str] = {}


@dataclass(frozen=True)
class Isolation:
    kind: str  # "bwrap" | "process"
    detail: str


def is_credential(name: str) -> bool:
    # Of git's environment config only the values and GIT_CONFIG_PARAMETERS can carry a token; the
    # count and keys are not secret (and scrub_env keeps all of them from untrusted code anyway).
    git_value = name == "GIT_CONFIG_PARAMETERS" or name.startswith("GIT_CONFIG_VALUE_")
    return name in ALWAYS_SCRUBBED or is_secret_name(name) or git_value


def held_credentials() -> dict[str, str]:
    """Credentials this process took over from its pre-exec self (empty when it never shed any)."""
    return dict(_HELD)


def shed_credentials(environ: dict[str, str] | None = None, argv: Sequence[str] | None = None) -> None:
    """Make sure this process's exec-time environment holds no credential (see the note above).

    On the re-executed side, read the credentials from the inherited pipe into memory. Returns
    normally in both cases; on the first side it does not return at all (execve)."""
    import json
    import sys

    env = os.environ if environ is None else environ
    fd_text = env.pop(CREDENTIAL_FD_VAR, None)
    if fd_text is not None:
        try:
            with os.fdopen(int(fd_text), "rb") as fh:
                _HELD.update(json.loads(fh.read().decode() or "{}"))
        except (OSError, ValueError):
            pass
        _not_dumpable()
        return
    creds = {k: v for k, v in env.items() if is_credential(k)}
    if not creds:
        _not_dumpable()
        return
    payload = json.dumps(creds).encode()
    read_end, write_end = os.pipe()
    if len(payload) > 60_000:  # beyond a pipe's buffer: keep them rather than block on exec
        os.close(read_end)
        os.close(write_end)
        return
    os.write(write_end, payload)
    os.close(write_end)
    os.set_inheritable(read_end, True)
    clean = {k: v for k, v in env.items() if k not in creds}
    clean[CREDENTIAL_FD_VAR] = str(read_end)
    args = list(argv) if argv is not None else [sys.executable, *sys.orig_argv[1:]]
    os.execve(args[0], args, clean)


def _not_dumpable() -> None:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


_ISOLATION: list[Isolation] = []


def isolation(env: Mapping[str, str] | None = None) -> Isolation:
    """Which sandbox untrusted code gets here (probed once per process)."""
    import shutil

    mode = (env if env is not None else os.environ).get(SANDBOX_VAR, "auto").strip().lower() or "auto"
    if mode not in ("auto", "bwrap", "process"):
        raise BadInput(f"{SANDBOX_VAR}={mode!r}: expected auto, bwrap or process")
    if mode == "process":
        return Isolation("process", f"{SANDBOX_VAR}=process: credential-free environment, leftovers reaped")
    if not _ISOLATION:
        exe = shutil.which("bwrap")
        if exe is None:
            _ISOLATION.append(Isolation("process", "bwrap not found: credential-free environment, "
                                        "leftover processes reaped (apt-get install bubblewrap for a sandbox)"))
        else:
            probe = run([exe, *_BWRAP_BASE, "--", "true"], timeout=30)
            _ISOLATION.append(Isolation("bwrap", f"{exe}: own PID namespace, home hidden, worktree writable")
                              if probe.ok else
                              Isolation("process", f"bwrap cannot start here ({probe.tail(1) or probe.error}): "
                                        "credential-free environment, leftover processes reaped"))
    found = _ISOLATION[0]
    if mode == "bwrap" and found.kind != "bwrap":
        raise BadInput(f"{SANDBOX_VAR}=bwrap but {found.detail}")
    return found


def confinement(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """What untrusted code gets here, measured by starting a probe the way an agent is started:
    its capability sets and no_new_privs as the probe saw them from inside, and whether it ran in
    its own PID namespace. For `doctor` (and its --json)."""
    import json
    import sys

    iso = isolation(env)
    probe = ("import json, os, sys\n"
             "sys.path.insert(0, sys.argv[1])\n"
             "import reaper\n"
             "print(json.dumps({'status': reaper.status(), 'pid': os.getpid()}))\n")
    here = str(Path(__file__).resolve().parent)
    argv = untrusted_argv([sys.executable, "-c", probe, here], writable=(), readable=(Path(here),), env=env)
    res = run(argv, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, timeout=60)
    seen: dict[str, object] = {}
    for line in res.output.splitlines():
        if line.startswith("{"):
            try:
                seen = json.loads(line)
            except ValueError:
                seen = {}
    status = seen.get("status") if isinstance(seen.get("status"), dict) else {}
    assert isinstance(status, dict)

    def empty(*keys: str) -> bool:
        return bool(status) and all(str(status.get(k, "")) and int(str(status[k]), 16) == 0 for k in keys)

    # bwrap keeps the bounding set but locks root out of regaining anything on exec (securebits);
    # agentops.reaper empties the bounding set too. What counts is nothing held now.
    dropped = empty("CapInh", "CapPrm", "CapEff", "CapAmb")
    return {
        "kind": iso.kind,
        "detail": iso.detail,
        "probe_ran": res.ok and bool(status),
        "pid_namespace": iso.kind == "bwrap" and seen.get("pid") in (1, 2),
        "home_hidden": iso.kind == "bwrap",
        "capabilities_dropped": dropped,
        "bounding_set_empty": empty("CapBnd"),
        "no_new_privs": status.get("NoNewPrivs") == "1",
        "credentials_shed": True,  # proc.shed_credentials: re-exec without them, non-dumpable
        "leftovers_reaped": True,  # bwrap --die-with-parent, or agentops.reaper as subreaper
        # agentops.git.guard: the shared git dir's config/hooks/attributes read-only in bwrap, and in
        # every mode compared after each agent run, put back, the task stopped as needs-human
        "shared_git_dir": "read-only and checked" if iso.kind == "bwrap" else "checked and put back",
    }


def package_root() -> Path:
    """The folder holding the agentops package (for PYTHONPATH of our own helper processes)."""
    return Path(__file__).resolve().parent.parent


def _interpreter_dirs(exe: str) -> list[Path]:
    import shutil

    found = shutil.which(exe)
    if not found:
        return []
    real = Path(found).resolve()
    dirs = [real.parent.parent]
    try:
        with open(real, "rb") as fh:
            first = fh.readline(300)
    except OSError:
        return dirs
    if first.startswith(b"#!"):
        words = first[2:].decode("utf-8", "replace").split()
        if words:
            interp = Path(words[0])
            dirs += [interp.parent.parent, interp.resolve().parent.parent]
    return dirs


_BWRAP_BASE = ("--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--new-session",
               "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc")


def untrusted_argv(argv: Sequence[str], *, writable: Sequence[Path], readable: Sequence[Path] = (),
                   env: Mapping[str, str] | None = None, protect: Sequence[Path] = ()) -> list[str]:
    """argv wrapped so that it runs isolated (see the note above). `protect`: git dirs shared with
    a human whose config, hooks and attributes stay read-only even inside a writable folder, and
    files (a worktree's repository pointers) that stay read-only."""
    import shutil
    import sys

    settings = env if env is not None else os.environ
    if "/" not in argv[0] and shutil.which(argv[0], path=settings.get("PATH") or os.environ.get("PATH")) is None:
        return list(argv)  # a bare name on no PATH cannot start: let the runner report that plainly
    iso = isolation(env)
    if iso.kind == "process":
        # by file, not `-m`: the reaper is stdlib-only, and this works from a single-file build too
        reaper = Path(__file__).resolve().with_name("reaper.py")
        return [sys.executable, str(reaper), "--", *argv]
    import shutil

    home = os.environ.get("HOME") or "/root"
    wrapped = [shutil.which("bwrap") or "bwrap", *_BWRAP_BASE, "--cap-drop", "ALL"]
    hidden = [h for h in dict.fromkeys(("/tmp", home, "/root", "/home")) if Path(h).is_dir()]
    for h in hidden:
        wrapped += ["--tmpfs", h]
    # The interpreters the command needs stay visible even when they live under a hidden home
    # (pyenv, nvm): ours, and the one a script's #! line names.
    runtimes = [Path(sys.prefix), Path(sys.base_prefix), *_interpreter_dirs(argv[0])]
    for p in dict.fromkeys(str(Path(r).resolve()) for r in [*runtimes, *readable]):
        # never re-expose a hidden folder by binding one of its ancestors
        if Path(p).exists() and not any(Path(h).resolve().is_relative_to(p) for h in hidden):
            wrapped += ["--ro-bind", p, p]
    extra = [Path(x) for x in (env if env is not None else os.environ).get(SANDBOX_WRITABLE_VAR, "").split(os.pathsep) if x]
    from agentops.git.guard import file_binds, is_git_dir, sandbox_binds

    rw = [p for p in dict.fromkeys(str(Path(w).resolve()) for w in [*writable, *extra]) if Path(p).exists()]
    for p in rw:
        wrapped += ["--bind", p, p]
    # A repository's git dir shared with a human: writable objects and refs, but never what their
    # own git runs or trusts (agentops.git.guard). Bound last: later mounts win over earlier ones.
    for g in dict.fromkeys([*(Path(p).resolve() for p in protect), *(Path(p) for p in rw if is_git_dir(Path(p)))]):
        if is_git_dir(g):
            wrapped += sandbox_binds(g)
        elif g.is_file():  # a worktree's .git file and its admin pointers
            wrapped += file_binds([g])
    return [*wrapped, "--", *argv]
