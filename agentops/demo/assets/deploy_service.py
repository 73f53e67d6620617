"""Deploy (or roll back) the demo service: one command for both, since a rollback is a deploy
of the earlier sha.

    python deploy_service.py --sha SHA --port P --releases DIR --pidfile FILE --log FILE

Run from the sample repository. Exports SHA with `git archive` into DIR/<sha>, stops the
service named by FILE (its whole process group), starts the new release detached (its own
session, output to the log, so the caller's pipes close when this script exits), waits until
it answers on 127.0.0.1:P, and records its pid in FILE.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVICE = Path(__file__).with_name("service.py")


def stop(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                pidfile.unlink(missing_ok=True)
                return
            time.sleep(0.05)
    pidfile.unlink(missing_ok=True)


def export(sha: str, dest: Path) -> None:
    if dest.exists():
        return
    res = subprocess.run(["git", "archive", "--format=tar", sha], capture_output=True, check=False)  # noqa: S603
    if res.returncode != 0:
        raise SystemExit(f"git archive {sha}: {res.stderr.decode(errors='replace').strip()}")
    tmp = dest.with_name(dest.name + ".tmp")
    with tarfile.open(fileobj=io.BytesIO(res.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):  # 3.12+ and recent 3.11 patch releases
            tar.extractall(tmp, filter="data")
        else:
            tar.extractall(tmp)
    tmp.rename(dest)


def wait_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    return False


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sha", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--releases", required=True)
    p.add_argument("--pidfile", required=True)
    p.add_argument("--log", required=True)
    args = p.parse_args(argv)
    releases = Path(args.releases)
    releases.mkdir(parents=True, exist_ok=True)
    release = releases / args.sha[:12]
    export(args.sha, release)
    pidfile = Path(args.pidfile)
    stop(pidfile)
    with open(args.log, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - argv list
            [sys.executable, str(SERVICE), "--port", str(args.port), "--app-dir", str(release),
             "--version", args.sha[:12]],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True,
        )
    try:
        pidfile.write_text(f"{proc.pid}\n")
        # The demo writes STOP before it reads the pidfile to clean up; whichever of us comes
        # second sees the other's file, so a service started during cleanup never outlives it.
        stopping = pidfile.with_name("STOP").exists()
    except OSError:  # the demo folder is being removed
        stopping = True
    if stopping:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        print("the demo is shutting down: not starting the service")
        return 1
    if not wait_up(args.port, proc):
        stop(pidfile)
        print(f"service did not come up on 127.0.0.1:{args.port}; see {args.log}")
        return 1
    print(f"deployed {args.sha[:12]}: service pid {proc.pid} on http://127.0.0.1:{args.port}/ "
          f"(release {release})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
