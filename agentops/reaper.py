"""`python -m agentops.reaper -- ARGV...`: run ARGV and, when it ends, end every process it left
behind (daemons it double-forked included: this process is their subreaper), so no untrusted
process outlives its phase to watch what agentops does next. Exits with ARGV's status.

Before starting ARGV it gives up every capability for good (`drop_privileges`): without bubblewrap
this is what stops a root agent from reading agentops's memory and environment. Non-dumpable
(agentops.proc.shed_credentials) keeps other users' and same-user processes out of
/proc/PID/{environ,mem} and ptrace, but CAP_SYS_PTRACE overrides it, and root has that capability.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_VERSION_3 = 0x20080522
STATUS_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return 63


def drop_privileges() -> str | None:
    """Give up every capability for this process and all it starts: no_new_privs (no setuid or
    file-capability gain on exec), an empty bounding set (so even uid 0 gets no capability back
    on exec), no ambient, and empty effective/permitted/inheritable sets. Returns None when that
    holds afterwards, else why not (the caller refuses to start ARGV: fail closed)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        return f"no libc: {exc}"
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    # The bounding set first: dropping from it needs CAP_SETPCAP, which capset below takes away.
    for cap in range(_last_cap() + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EPERM without CAP_SETPCAP: checked below
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    libc.capset(ctypes.byref(header), data)
    return _check()


def status() -> dict[str, str]:
    """The capability lines of /proc/self/status (hex masks) and NoNewPrivs."""
    found: dict[str, str] = {}
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in STATUS_FIELDS:
                    found[key] = value.strip()
    except OSError:
        pass
    return found


def _check() -> str | None:
    got = status()
    held = [k for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb") if int(got.get(k, "0") or "0", 16)]
    if held:
        return "capabilities still held: " + ", ".join(f"{k}={got[k]}" for k in held)
    if got.get("NoNewPrivs") != "1":
        return "no_new_privs could not be set"
    return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry))
    return found


def _reap_all() -> None:
    """Kill and reap descendants until none is left (they may fork while we look)."""
    me = os.getpid()
    for _ in range(200):
        kids = _children(me)
        if not kids:
            return
        for kid in kids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(kid, signal.SIGKILL)
        for _kid in kids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(-1, 0)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m agentops.reaper -- ARGV...", file=sys.stderr)
        return 2
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    refused = drop_privileges()
    if refused is not None:
        print(f"agentops.reaper: refusing to start {argv[0]}: {refused}", file=sys.stderr)
        return 126
    try:
        child = subprocess.Popen(argv)  # noqa: S603 - argv list from agentops, never a shell
    except OSError as exc:
        print(f"{argv[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    def on_term(_sig: int, _frame: object) -> None:
        child.kill()
        _reap_all()
        sys.exit(143)

    signal.signal(signal.SIGTERM, on_term)
    code = child.wait()
    _reap_all()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
