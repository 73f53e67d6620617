"""Ctrl-C and SIGTERM raised at safe points, never in the middle of a write.

Python runs a signal handler in the main thread between two bytecodes, wherever it is. A
handler that raises there can land inside rich's Console.print, after the text was written
but before its thread-local buffer was cleared (the next print writes those lines again), or
between entering and leaving the buffer (its depth never returns to zero and nothing is
printed again: "cleanup:" lost). So `raising` installs handlers that only note the signal
while the main thread is inside `shielded()` (every write of agentops.output is) and raise
when that write is done; `deferred()` holds signals over a whole cleanup, which must run to
its end and print once. A second signal during a write is raised at once: a write blocked for
good (a full pipe nobody reads) must not make the process deaf to a repeated Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType

Make = Callable[[int], BaseException]


def _interrupt(_signum: int) -> BaseException:
    return KeyboardInterrupt()


class _State:
    def __init__(self) -> None:
        self.depth = 0  # shielded sections the main thread is in
        self.held = 0  # of them, deferred ones (a cleanup): even a second signal waits
        self.pending: BaseException | None = None  # a signal noted while shielded


_state = _State()


def _main() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_pending() -> None:
    exc, _state.pending = _state.pending, None
    if exc is not None:
        raise exc


def _in_exec(frame: FrameType | None) -> bool:
    """Interrupted in the top level of code run by exec() or eval() of a string (dataclasses and
    namedtuple build their methods that way, during an import): CPython marks a KeyboardInterrupt
    that leaves such code as unhandled for good, and the process then ends itself with SIGINT (-2)
    instead of our exit code, however the exception was caught. A signal there waits for the next
    safe point too. (Only the frame the signal landed in: those strings only define functions.)"""
    return frame is not None and frame.f_code.co_filename == "<string>" and frame.f_code.co_name == "<module>"


@contextmanager
def shielded(*, hold: bool = False) -> Iterator[None]:
    """A section a signal must not cut: a signal that arrives inside is raised at its end (only
    the main thread is ever interrupted, so other threads' sections are not counted)."""
    if not _main():
        yield
        return
    _state.depth += 1
    _state.held += hold
    try:
        yield
    finally:
        _state.depth -= 1
        _state.held -= hold
    # Reached only when the section ended normally: an exception already on its way is not replaced.
    if _state.depth == 0:
        _raise_pending()


def deferred() -> AbstractContextManager[None]:
    """A cleanup that must run to its end: every signal inside waits for it."""
    return shielded(hold=True)


@contextmanager
def raising(make: Make = _interrupt, signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
            ) -> Iterator[None]:
    """While inside, each of `signals` raises `make(signum)` in the main thread at a safe point.
    A signal noted but not yet raised when the block ends is raised then."""
    if not _main():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        exc = make(signum)
        first = _state.pending is None
        if _state.held or (_state.depth and first) or (first and _in_exec(frame)):
            if _state.pending is None:  # the first signal decides; a later one is the same request
                _state.pending = exc
            return
        _state.pending = None
        raise exc

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    except BaseException:
        _state.pending = None  # the block already ends with an exception: the signal asked no more
        raise
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    _raise_pending()
