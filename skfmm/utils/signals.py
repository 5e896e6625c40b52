"""Signals: telling an interrupt (Ctrl-C) from a ``KeyboardInterrupt`` raised by code."""

import contextlib
import signal
import threading

__all__ = ["interrupt_watch"]


@contextlib.contextmanager
def interrupt_watch():
    """Record a SIGINT (Ctrl-C) received in the block: yields a list, non-empty after one.

    Python's handler still raises ``KeyboardInterrupt``; the record survives code that
    catches it (skorch's ``partial_fit`` does, to return a partly trained net). A
    ``KeyboardInterrupt`` raised by code, as skorch's ``EarlyStopping`` raises one to stop
    a finished fit, is not a SIGINT and is not recorded. Only the main thread can install
    signal handlers; elsewhere the block runs unwatched (Ctrl-C reaches the main thread).

    Examples
    --------
    >>> from skfmm.utils.signals import interrupt_watch
    >>> with interrupt_watch() as interrupted:
    ...     pass
    >>> interrupted
    []
    """
    seen = []
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        # Recorded only when the interrupt is raised (an ignoring handler stays ignoring).
        try:
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            seen.append(signum)
            raise

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # pragma: no cover - not the main interpreter
        yield seen
        return
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)
