"""Ctrl-C / SIGTERM raised at safe points (agentops.interrupts): a signal that lands inside a rich
print used to leave rich's buffer half-flushed, so the next print wrote the line again (or nothing
ever again: "cleanup:" lost). The signal is sent from inside the stream's write, so it arrives
mid-print every time, with no timing involved."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from agentops import interrupts
from agentops.cli import execute
from agentops.context import Context
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


class _Ended(Exception):
    """What the process would have done with the signal outside a safe section: SIGTERM's default
    action ends it on the spot (exit -15, no "interrupted", no cleanup)."""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_a_command_prints_its_result_stops_it_at_a_safe_point(sig: signal.Signals,
                                                                             tmp_path: Path) -> None:
    # A full run of the suite caught it: the demo's SIGTERM landed after its own safe section ended,
    # while it printed its summary table, and the process died with -15 instead of exit 130.
    def outside(_signum: int, _frame: object) -> None:
        raise _Ended

    previous = signal.signal(sig, outside)
    try:
        stream = _SignalsMidWrite("row 2", sig)
        ctx = Context(env={}, cwd=tmp_path, output=Output(err=stream, env={}))

        def render(_: None) -> None:
            for i in range(1, 4):
                ctx.output.info(f"row {i}")

        with pytest.raises(typer.Exit) as exited:
            execute(ctx, lambda: None, render)
        assert exited.value.exit_code == 130
        assert stream.getvalue() == "row 1\nrow 2\nerror: interrupted\n"
        assert signal.getsignal(sig) is outside  # the command's handlers are gone once it returns
    finally:
        signal.signal(sig, previous)


def test_a_signal_inside_exec_string_code_waits_and_the_exit_code_survives(tmp_path: Path) -> None:
    # Found by the demo interrupt test under load: SIGTERM landed while a lazy import built a
    # dataclass (exec of a string); the KeyboardInterrupt left that exec, CPython marked it unhandled,
    # and the process ended with -2 after printing "error: interrupted" and choosing exit 130. The
    # signal is sent from inside the exec'd code itself, so it lands there every time.
    script = tmp_path / "prog.py"
    script.write_text(
        "import sys\n"
        "from agentops import interrupts\n"
        "from agentops.output import Output\n"
        "out = Output(env={})\n"
        "try:\n"
        "    with interrupts.raising():\n"
        "        exec('import os, signal\\nos.kill(os.getpid(), signal.SIGTERM)\\nx = [i for i in range(3)]\\n', {})\n"
        "        out.info('after exec')\n"
        "        out.info('never')\n"
        "except KeyboardInterrupt:\n"
        "    out.info('interrupted')\n"
        "    sys.exit(130)\n")
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 130, (res.returncode, res.stderr)
    assert res.stderr.splitlines() == ["after exec", "interrupted"], res.stderr
