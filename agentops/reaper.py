"""`python -m agentops.reaper -- ARGV...`: run ARGV and, when it ends, end every process it left
behind (daemons it double-forked included: this process is their subreaper), so no untrusted
process outlives its phase to watch what agentops does next. Exits with ARGV's status."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


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
