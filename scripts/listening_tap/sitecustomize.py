"""A tap on what coach's listening process is given, for scripts/replay_listening.py.

On PYTHONPATH, with COACH_LISTENING_RECORD naming a file, every Python process started so
(coach, and the listening process it spawns) records, in order, what its Hearing is given:
the vocabulary it listens for, each clip the coach played, each stop, and each microphone
block with the clock time it began and the clock when it was heard. A live run of
scripts/bench_echo.py --record is then replayed offline, as often as wanted, through the
listening code as it is now: two rules compared on the same sound, not on two draws of a
live run (whose spread, 22-30 of 40 over a television on one code, hides a change of a few).

The product never loads this: coach writes no audio anywhere (coach/inputs/listening/hearing.py).
"""

from __future__ import annotations

import os
import pickle
import threading
from typing import Any

RECORD = os.environ.get("COACH_LISTENING_RECORD")


def tap(path: str) -> None:
    from coach.inputs.listening import hearing

    lock = threading.Lock()
    opened: list[Any] = []

    def record(*event: Any) -> None:
        with lock:
            if not opened:  # only a process that hears opens the file: the listening one
                opened.append(open(path, "wb"))  # noqa: SIM115 (closed when the Hearing stops)
            pickle.dump(event, opened[0], protocol=pickle.HIGHEST_PROTOCOL)
            opened[0].flush()  # multiprocessing's child ends with os._exit: nothing is flushed for it

    listening = hearing.Hearing
    hear, played, stopped, stop = listening.hear, listening.played, listening.stopped, listening.stop

    def heard(self: hearing.Hearing, samples: Any, at: float) -> None:
        record("block", samples.copy(), at, self.clock())
        hear(self, samples, at)

    def sounded(self: hearing.Hearing, at: float, frames: bytes, words: str | None) -> None:
        record("played", at, frames, words)
        played(self, at, frames, words)

    def cut_off(self: hearing.Hearing, at: float) -> None:
        record("stopped", at)
        stopped(self, at)

    def stopping(self: hearing.Hearing) -> None:
        stop(self)
        with lock:
            for file in opened:
                file.close()

    def listening_for(self: hearing.Hearing, vocabulary: Any) -> None:
        record("vocabulary", vocabulary)
        self.__dict__["vocabulary"] = vocabulary

    hearing.Hearing.hear = heard  # type: ignore[method-assign]
    hearing.Hearing.played = sounded  # type: ignore[method-assign]
    hearing.Hearing.stopped = cut_off  # type: ignore[method-assign]
    hearing.Hearing.stop = stopping  # type: ignore[method-assign]
    hearing.Hearing.vocabulary = property(lambda self: self.__dict__["vocabulary"], listening_for)  # type: ignore[assignment]


if RECORD:
    tap(RECORD)
