"""Ctrl-C / SIGTERM raised at safe points (agentops.interrupts): a signal that lands inside a rich
print used to leave rich's buffer half-flushed, so the next print wrote the line again (or nothing
ever again: "cleanup:" lost). The signal is sent from inside the stream's write, so it arrives
mid-print every time, with no timing involved."""

from __future__ import annotations

import io
import os
import signal

import pytest

from agentops import interrupts
from agentops.output import Output


class _SignalsMidWrite(io.StringIO):
    """A stderr that sends `sig` to this process while rich writes a line containing `word`."""

    def __init__(self, word: str, sig: signal.Signals = signal.SIGTERM) -> None:
        super().__init__()
        self.word, self.sig, self.fired = word, sig, False

    def write(self, s: str) -> int:
        n = super().write(s)
        if self.word in s and not self.fired:
            self.fired = True
            os.kill(os.getpid(), self.sig)
        return n


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_print_is_raised_after_it_and_every_line_prints_once(sig: signal.Signals) -> None:
    stream = _SignalsMidWrite("second", sig)
    out = Output(err=stream, env={})
    with pytest.raises(KeyboardInterrupt), interrupts.raising():
        out.info("first")
        out.info("second")
        out.info("third")  # never reached: the signal is raised once "second" is written
    out.info("cleanup: done")
    assert stream.getvalue() == "first\nsecond\ncleanup: done\n"


def test_cleanup_runs_to_its_end_then_the_signal_is_raised() -> None:
    stream = _SignalsMidWrite("cleanup: 1")
    out = Output(err=stream, env={})
    with pytest.raises(KeyboardInterrupt), interrupts.raising(), interrupts.deferred():
        for i in range(1, 4):
            out.info(f"cleanup: {i}")
    assert stream.getvalue() == "cleanup: 1\ncleanup: 2\ncleanup: 3\n"


def test_an_exception_on_its_way_is_not_replaced_and_nothing_stays_pending() -> None:
    with pytest.raises(ValueError), interrupts.raising(), interrupts.shielded():
        os.kill(os.getpid(), signal.SIGTERM)
        raise ValueError("the real error")
    with interrupts.shielded():
        pass  # no stale signal raised here, long after


def test_handlers_are_restored() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with interrupts.raising():
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]
    assert {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} == before


def test_a_second_signal_cuts_a_write_that_never_ends_but_not_a_cleanup() -> None:
    # A write blocked for good (a full pipe nobody reads) must not make the process deaf.
    with pytest.raises(KeyboardInterrupt), interrupts.raising(), interrupts.shielded():
        os.kill(os.getpid(), signal.SIGTERM)  # noted: the write goes on
        os.kill(os.getpid(), signal.SIGTERM)  # insisted: raised at once
        raise AssertionError("not interrupted")
    done = []
    with pytest.raises(KeyboardInterrupt), interrupts.raising(), interrupts.deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        done.append("cleanup finished")
    assert done == ["cleanup finished"]
