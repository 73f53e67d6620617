"""`agentops sandbox serve`: run the emulator in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import ipaddress
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from agentops.errors import BadInput


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 0
    seed: Path | None = None
    data_dir: Path | None = None
    token: str | None = None
    allow_remote: bool = False


@dataclass(frozen=True)
class Started:
    url: str
    token: str
    user: str
    data_dir: str
    seeded_tokens: dict[str, str]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(options: ServeOptions, on_ready: Callable[[Started], None],
          stop: threading.Event | None = None) -> None:
    """Start, report via `on_ready`, block until a signal (or `stop`), then shut down cleanly."""
    if not is_loopback(options.host) and not options.allow_remote:
        raise BadInput(f"--host {options.host}: not a loopback address",
                       hint="the emulator has no real security (anyone holding the printed token can write to "
                            "every repo, and /_emulator/ admin routes need no token); pass --allow-remote to "
                            "expose it anyway")
    if options.port < 0 or options.port > 65535:
        raise BadInput(f"--port {options.port}: must be 0-65535 (0 picks a free port)")
    from agentops.sandbox.seed import SeedError, apply_seed, load_seed_file
    from agentops.sandbox.server import Emulator

    temp = None if options.data_dir else Path(tempfile.mkdtemp(prefix="agentops-sandbox-"))
    data_dir = options.data_dir or temp
    assert data_dir is not None
    stop = stop or threading.Event()
    try:
        emu = Emulator(data_dir, host=options.host, port=options.port, token=options.token)
        seeded: dict[str, str] = {}
        if options.seed is not None:
            try:
                seeded = apply_seed(emu.state, load_seed_file(options.seed))
            except OSError as exc:
                raise BadInput(f"--seed {options.seed}: {exc.strerror or exc}") from exc
            except SeedError as exc:
                raise BadInput(f"--seed {options.seed}: {exc}") from exc
        try:
            emu.start()
        except OSError as exc:
            raise BadInput(f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}") from exc

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            on_ready(Started(emu.url, emu.token, emu.user, str(data_dir), seeded))
            while not stop.wait(0.5):
                pass
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
            emu.stop()
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
