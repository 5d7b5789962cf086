"""Spoken commands from the microphone, onto the one command stream (`coach --listen`).

The listening runs in a process of its own (coach/inputs/listening/hearing.py), so that
the voice detector, the echo canceller and Whisper never hold up the player's deadlines.
This side starts that process, tells it each clip the coach plays (the far end its echo
canceller takes back out of the microphone: a sender thread ships it, so the player
never waits on the pipe), and hands each saying it hears to `deliver`, which puts it on
the command stream: the listener knows nothing of the player, and the keys and the
remote keep working beside it.

A microphone that is missing or goes quiet for good ends the listening, said once; the
session goes on. Audio is processed in memory and never written or sent anywhere.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from coach.common.audio import Clip
from coach.common.threads import worker
from coach.inputs.listening.canceller import EchoFigures
from coach.inputs.listening.recogniser import ListenUnavailable
from coach.inputs.listening.vocabulary import Saying, Vocabulary

LOAD_SECONDS = 120.0  # the model checked and loaded on a busy 2-core machine takes ~10 s


class Listener:
    """Hears the microphone, through a process of its own, while a session runs."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        deliver: Callable[[Saying], bool],
        on_trouble: Callable[[str], None],
        on_rejected: Callable[[str], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.deliver = deliver  # True when the saying was taken (the session was listening for it)
        self.on_trouble = on_trouble  # said once: why listening stopped
        self.on_rejected = on_rejected  # what was heard and not acted on, and other notes (--verbose)
        self.on_warning = on_warning or on_trouble  # listening goes on, less well (no canceller)
        self.echo = EchoFigures()  # at the end, from the listening process
        self.room_talking = False  # the room talked (a television) as it was heard before the first cue
        self.on_room_talking: Callable[[], None] | None = None  # and since: told once, as it is heard
        self._connection: Connection | None = None
        self._process: Any = None
        self._outgoing: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._started: queue.Queue[str | None] = queue.Queue()
        self._loaded = threading.Event()
        self._failure: str | None = None
        self._ended = threading.Event()
        self._stopping = False
        self._trouble_told = False

    def load(self) -> None:
        """The listening process, with its model and voice detector checked and loaded,
        before the session's first sound."""
        context = multiprocessing.get_context("spawn")  # nothing of this process's threads is forked
        ours, theirs = context.Pipe()
        from coach.inputs.listening.hearing import serve

        self._process = context.Process(target=serve, args=(theirs, self.vocabulary), name="coach-hear", daemon=True)
        with _one_blas_thread():
            self._process.start()
        # It ignores Ctrl-C and SIGTERM, so multiprocessing's own exit, which ends a daemon child
        # with SIGTERM and waits for it, would wait forever on a coach stopped before stop() ran
        # (Ctrl-C while the model loads). Registered after that exit, this runs before it.
        atexit.register(self._end_unstopped)
        theirs.close()
        self._connection = ours
        worker(self._receive, "coach-listen-receive").start()
        worker(self._send, "coach-listen-send").start()
        deadline = time.monotonic() + LOAD_SECONDS
        while not self._loaded.is_set() and not self._ended.is_set() and time.monotonic() < deadline:
            self._loaded.wait(0.1)  # in slices, so Ctrl-C still ends the wait
        if not self._loaded.is_set():
            self.stop()
            raise ListenUnavailable(self._failure or self._why_not_loaded())

    def _why_not_loaded(self) -> str:
        """The listening process ended, or never said it had loaded, and gave no reason."""
        code = self._process.exitcode if self._process is not None else None
        if code is None:
            return f"the listening process did not load within {LOAD_SECONDS:.0f} s; run without --listen"
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        # A sound library that aborts (PortAudio, with ALSA set up wrongly) takes the process with it.
        return (
            f"the listening process ended while loading ({how}); "
            "check the microphone (arecord -l), or run without --listen"
        )

    def start(self) -> bool:
        """Open the microphone and listen, once the room has been heard a moment without the
        coach (1-3 s; `room_talking` says what it was); False (told once) when there is none to open."""
        self._outgoing.put(("start",))
        try:
            why = self._started.get(timeout=30)
        except queue.Empty:
            why = "the microphone did not open"
        if why is not None:
            self._trouble(f"coach: {why}; the session goes on without listening")
            return False
        return True

    def listen_for(self, vocabulary: Vocabulary) -> None:
        """From now on, these sayings (the numbers, for the check-in; the commands again after)."""
        self.vocabulary = vocabulary
        self._outgoing.put(("vocabulary", vocabulary))

    def played(self, at: float, clip: Clip, words: str | None) -> None:
        """The coach started sounding `clip` at clock time `at`: the canceller's far end."""
        self._outgoing.put(("played", at, clip.frames, words))

    def stopped(self, at: float) -> None:
        self._outgoing.put(("stopped", at))

    def stop(self) -> None:
        """End the listening process, taking its last word: the echo it cancelled."""
        self._stopping = True
        self._outgoing.put(("stop",))
        self._outgoing.put(None)
        if self._process is not None:
            self._ended.wait(5)
            self._process.join(2)
            self._end_unstopped()
        atexit.unregister(self._end_unstopped)

    def _end_unstopped(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(2)

    def _send(self) -> None:
        assert self._connection is not None
        while (message := self._outgoing.get()) is not None:
            try:
                self._connection.send(message)
            except (OSError, ValueError):
                return

    def _receive(self) -> None:
        assert self._connection is not None
        try:
            while True:
                message = self._connection.recv()
                self._dispatch(message)
        except (EOFError, OSError):
            pass
        finally:
            self._ended.set()
            self._started.put("the listening process ended")
            if self._loaded.is_set() and not self._stopping:
                self._trouble("coach: listening failed (its process ended); the session goes on without listening")

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "heard":
            saying: Saying = message[1]
            if not self.deliver(saying):
                self._tell(self.on_rejected, f"coach: heard {saying.words!r}: nothing to do now")
        elif kind in ("rejected", "note"):  # --verbose: what was not acted on, and why; what the listening found
            self._tell(self.on_rejected, message[1])
        elif kind == "warning":
            self._tell(self.on_warning, message[1])
        elif kind == "trouble":
            self._trouble(message[1])
        elif kind == "room":
            self.room_talking = True
            if self.on_room_talking is not None:
                self.on_room_talking()
        elif kind == "started":
            self._started.put(message[1])
        elif kind == "loaded":
            self._loaded.set()
        elif kind == "failed":
            self._failure = message[1]
        elif kind == "echo":
            self.echo = EchoFigures(*message[1:])

    def _trouble(self, line: str) -> None:
        if not self._trouble_told and not self._stopping:
            self._trouble_told = True
            self._tell(self.on_trouble, line)

    @staticmethod
    def _tell(to: Callable[[str], None] | None, line: str) -> None:
        if to is not None:
            with contextlib.suppress(Exception):
                to(line)


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """The listening process's numpy on one thread: the echo canceller's small matrices (a
    512 x 192 fit every 32 ms) took 5.9 s of CPU over 49 s of a recorded session on
    OpenBLAS's two threads, which spin while they wait, and 2.7 s on one, in the same time.
    Set for the child alone, whose numpy reads it when it loads; a user's own setting stands."""
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        yield
    finally:
        if before is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
