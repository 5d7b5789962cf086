"""What the coach is sounding, and when: what the listener holds what it hears against.

The sink tells it each clip as it plays (and when playing is cut short), so that the
listener can drop the coach's own words coming back through the microphone. Kept apart
from the listener, which loads numpy and the speech model: a session that does not
listen makes none of that wait before its first sound.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from coach.common.audio import Clip
from coach.inputs.listening.vocabulary import normalise
from coach.sound.player import Sink

ECHO_TAIL = 0.5  # seconds after a clip ends that its echo may still be heard


@dataclass(frozen=True)
class Sounding:
    start: float
    end: float
    words: str | None  # None: a chime


class CoachSpeech:
    """What the coach is sounding, and when: the reference the listener holds what it hears against."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._played: deque[Sounding] = deque(maxlen=64)
        self._lock = threading.Lock()

    def played(self, seconds: float, words: str | None) -> None:
        now = self.clock()
        with self._lock:
            self._played.append(Sounding(now, now + seconds, words))

    def stopped(self) -> None:
        """Everything was cut off now (a pause, a skip)."""
        now = self.clock()
        with self._lock:
            self._played = deque((Sounding(s.start, min(s.end, now), s.words) for s in self._played), maxlen=64)

    def during(self, start: float, end: float) -> tuple[str, bool]:
        """The words the coach was sounding at any time from `start` to `end`, echo included,
        and whether a chime was sounding then (whatever was heard may be made up from it)."""
        with self._lock:
            sounding = [s for s in self._played if s.start <= end and s.end + ECHO_TAIL >= start]
        return " ".join(s.words for s in sounding if s.words), any(s.words is None for s in sounding)


class SpeakingSink:
    """A sink that tells `CoachSpeech` what it plays: clip by clip, words where the clip is speech."""

    def __init__(self, sink: Sink, speech: CoachSpeech, words_of: Callable[[Clip], str | None]) -> None:
        self.sink = sink
        self.speech = speech
        self.words_of = words_of

    def open(self) -> None:
        self.sink.open()

    def play(self, clip: Clip) -> None:
        self.speech.played(clip.seconds, self.words_of(clip))
        self.sink.play(clip)

    def stop(self) -> None:
        self.speech.stopped()
        self.sink.stop()


def is_echo(heard: str, coach_said: str) -> bool:
    """Every word heard is one the coach was saying: its own voice, back through the microphone."""
    heard_words = normalise(heard).split()
    said = set(normalise(coach_said).split())
    return bool(heard_words) and all(word in said for word in heard_words)
