"""The one stream of commands the player waits on, with real threads, a real pipe and real signals."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import pytest

from coach.inputs.stream import CommandStream
from coach.sound.player import Command


class Stopped(Exception):
    pass


def test_a_stop_signal_taken_by_another_thread_still_ends_a_paused_wait() -> None:
    """The kernel may hand SIGTERM to any thread that does not block it, as the sound
    library's own threads do not. A paused session waits with no deadline: the signal must
    still reach the main thread's handler, not wait for the next command. (A CI run left a
    session paused after "ouch" running for a minute after SIGTERM.)"""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise Stopped

    previous = signal.signal(signal.SIGTERM, handler)
    stream = CommandStream()
    stream.open = True
    woken_by_the_fallback = threading.Event()

    def fallback() -> None:  # so a stream the signal never wakes fails the test, not hangs it
        woken_by_the_fallback.set()
        stream.put(Command.QUIT)

    def signalled_here() -> None:
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    timer = threading.Timer(10.0, fallback)
    other = threading.Timer(0.2, signalled_here)
    try:
        timer.start()
        other.start()
        with pytest.raises(Stopped):
            stream.wait(None)
        assert not woken_by_the_fallback.is_set(), "the signal was handled only when a command came"
    finally:
        timer.cancel()
        other.join()
        stream.close()
        signal.signal(signal.SIGTERM, previous)


def test_closing_the_stream_gives_back_the_signal_wakeup_it_found() -> None:
    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)
    stream = CommandStream()
    stream.close()
    assert signal.set_wakeup_fd(before) == before
