"""interrupt_watch: a real SIGINT is recorded (and still raises); a raised KeyboardInterrupt is not."""

import os
import signal
import threading

import pytest

from skfmm.utils.signals import interrupt_watch


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own SIGINT handler, as in an interactive process (a process started by
    ``cmd &`` without job control inherits SIGINT ignored and gets no handler)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_real_sigint_is_recorded_and_still_raises():
    previous = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with interrupt_watch() as interrupted:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000_000):  # the handler runs between bytecodes
                pass
    assert interrupted == [signal.SIGINT]
    assert signal.getsignal(signal.SIGINT) is previous  # the handler is put back


def test_the_record_survives_code_that_catches_the_interrupt():
    with interrupt_watch() as interrupted:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000_000):
                pass
        except KeyboardInterrupt:
            pass  # as skorch's partial_fit does
    assert interrupted == [signal.SIGINT]


def test_a_keyboard_interrupt_raised_by_code_is_not_a_sigint():
    with pytest.raises(KeyboardInterrupt):
        with interrupt_watch() as interrupted:
            raise KeyboardInterrupt  # skorch's EarlyStopping stops a fit this way
    assert interrupted == []


def test_an_ignored_sigint_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupt_watch() as interrupted:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1_000_000):
                pass
        assert interrupted == []
    finally:
        signal.signal(signal.SIGINT, previous)


def test_outside_the_main_thread_the_block_runs_unwatched():
    out = {}

    def work():
        with interrupt_watch() as interrupted:
            out["handler"] = signal.getsignal(signal.SIGINT)
        out["interrupted"] = interrupted

    before = signal.getsignal(signal.SIGINT)
    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert out == {"handler": before, "interrupted": []}
