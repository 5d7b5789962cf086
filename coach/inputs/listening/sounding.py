"""What the coach is sounding, and when: what the listener holds what it hears against.

The sink tells the listener each clip as it plays (and when playing is cut short); the
listener sends it to its hearing process, where the echo canceller takes the sound back
out of the microphone and the echo guard drops any of the coach's own words left over.
Kept apart from the listener, which loads numpy and the speech model: a session that
does not listen makes none of that wait before its first sound.
"""

from __future__ import annotations

import difflib
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from coach.common.audio import Clip
from coach.inputs.listening.vocabulary import normalise
from coach.sound.player import Sink

ECHO_TAIL = 0.5  # seconds after a clip ends that its echo may still be heard
# Where the echo canceller subtracted the coach's voice, its echo went with it: what is left to
# allow for is where the clip was taken to be heard (the last clips' delay, each clip's own within
# 0.1 s of it). So a "resume" said as the coach's own "resume." ends, in answer to it, is the person's.
SUBTRACTED_TAIL = 0.15
# Where in a phrase each of its words sounds is taken from its letters, give or take this much:
# a phrase's pauses at its commas move a word by a few tenths of a second.
WORD_SLACK = 0.5


@dataclass(frozen=True)
class Sounding:
    start: float
    end: float  # where it ended, or was cut off
    words: str | None  # None: a chime
    length: float  # seconds of the whole phrase, however soon it was cut off

    def words_near(self, start: float, end: float) -> list[str]:
        """Its words that may have been sounding at some time from `start` to `end`, each placed
        along the phrase by its letters, give or take WORD_SLACK."""
        text = self.words or ""
        spread = self.length / max(len(text), 1)
        near = []
        for found in re.finditer(r"\S+", text):
            begins, ends = self.start + found.start() * spread, self.start + found.end() * spread
            if begins - WORD_SLACK <= min(end, self.end) and ends + WORD_SLACK >= start:
                near.append(found.group())
        return near


class CoachSpeech:
    """What the coach is sounding, and when: the reference the listener holds what it hears against."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._played: deque[Sounding] = deque(maxlen=64)
        self._lock = threading.Lock()

    def played(self, seconds: float, words: str | None, at: float | None = None) -> None:
        now = self.clock() if at is None else at
        with self._lock:
            self._played.append(Sounding(now, now + seconds, words, seconds))

    def stopped(self, at: float | None = None) -> None:
        """Everything was cut off now, or at `at` (a pause, a skip)."""
        now = self.clock() if at is None else at
        with self._lock:
            # A part of a clip that had not yet begun (the pain answer's last sentences) never sounds.
            self._played = deque(
                (Sounding(s.start, min(s.end, now), s.words, s.length) for s in self._played if s.start < now),
                maxlen=64,
            )

    def during(self, start: float, end: float, tail: float = ECHO_TAIL) -> tuple[str, bool]:
        """The words the coach was sounding at any time from `start` to `end`, its echo `tail`
        included, and whether a chime was sounding then (whatever was heard may be made up from it)."""
        sounding = self._sounding(start, end, tail)
        return " ".join(s.words for s in sounding if s.words), any(s.words is None for s in sounding)

    def words_near(self, start: float, end: float, tail: float = ECHO_TAIL) -> str:
        """Of those words, the ones that may have been sounding then: a person's "resume" said over
        the end of "Rest as long as you need." does not rhyme with its "rest", said two seconds before."""
        return " ".join(word for s in self._sounding(start, end, tail) for word in s.words_near(start - tail, end))

    def _sounding(self, start: float, end: float, tail: float) -> list[Sounding]:
        with self._lock:
            return [s for s in self._played if s.start <= end and s.end + tail >= start]


class Told(Protocol):
    """Who is told each clip the coach plays: the listener, which sends it on to its hearing."""

    def played(self, at: float, clip: Clip, words: str | None) -> None: ...

    def stopped(self, at: float) -> None: ...


class SpeakingSink:
    """A sink that tells the listener what it plays: phrase by phrase, words where it is speech.

    A clip made of phrases (the pain answer) is told as its phrases, each when it sounds."""

    def __init__(
        self,
        sink: Sink,
        told: Told,
        parts_of: Callable[[Clip], Sequence[tuple[Clip, str | None]]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink = sink
        self.told = told
        self.parts_of = parts_of
        self.clock = clock

    def open(self) -> None:
        self.sink.open()

    def play(self, clip: Clip) -> None:
        self.sink.play(clip)
        at = self.clock()
        for part, words in self.parts_of(clip):
            self.told.played(at, part, words)
            at += part.seconds

    def stop(self) -> None:
        self.sink.stop()
        self.told.stopped(self.clock())

    def close(self) -> None:
        self.sink.close()


def is_echo(heard: str, coach_said: str) -> bool:
    """Every word heard is one the coach was saying: its own voice, back through the microphone."""
    heard_words = normalise(heard).split()
    said = set(normalise(coach_said).split())
    return bool(heard_words) and all(word in said for word in heard_words)


def rhymes_with_echo(saying: str, coach_said: str) -> bool:
    """A one-word saying that sounds like a word the coach was saying: "again" in its "Let us
    begin.", "done" in "lie down". Over the coach's voice a recogniser hears its words so
    (difflib's ratio 0.6 or more, against its words of four letters or more: "three" is not
    "the"); a person's "again" said then is dropped with them. Not for numbers: the check-in
    listens for a correction while the coach says back the number it heard."""
    words = normalise(saying).split()
    if len(words) != 1:
        return False
    return any(
        len(word) >= 4 and difflib.SequenceMatcher(None, words[0], word).ratio() >= 0.6
        for word in normalise(coach_said).split()
    )
