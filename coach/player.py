"""The scheduler: plays a timeline against one clock, cue by cue, on time.

Like CPython's sched and mido's player, every cue waits for its absolute deadline,
measured from a single session start, never for a chain of relative sleeps, so a late
cue plays at once and leaves the ones after it where they were: error never adds up
over a 30-minute session. Between cues the thread sleeps; nothing spins.

The clock, the sleep and the sink are injected, so tests can use a fake clock with the
real sound path, and the live run uses time.monotonic, time.sleep and simpleaudio.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from coach.audio import Clip
from coach.script import Cue, Timeline


class Sink(Protocol):
    """Where sound goes: starts a clip without waiting for it to finish."""

    def play(self, clip: Clip) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Played:
    """A cue as it happened: planned and actual start, both from the session start."""

    index: int
    cue: Cue
    planned: float
    actual: float

    @property
    def error(self) -> float:
        return self.actual - self.planned


class Player:
    """Plays one timeline once. `played` fills as it goes, so an interrupted run can
    still say where it stopped."""

    def __init__(
        self,
        timeline: Timeline,
        clip_for: Callable[[Cue], Clip],
        sink: Sink,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeline = timeline
        self.clip_for = clip_for
        self.sink = sink
        self.clock = clock
        self.sleep = sleep
        self.played: list[Played] = []
        self.started_at: float | None = None

    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else self.clock() - self.started_at

    def run(self, on_cue: Callable[[Played], None] | None = None) -> list[Played]:
        # Fetch every clip before the clock starts: playback never waits on anything.
        clips = [self.clip_for(cue) for cue in self.timeline.cues]
        self.started_at = start = self.clock()
        try:
            for index, (cue, clip) in enumerate(zip(self.timeline.cues, clips, strict=True)):
                self._wait_until(start + cue.start)
                actual = self.clock() - start
                self.sink.play(clip)
                played = Played(index, cue, cue.start, actual)
                self.played.append(played)
                if on_cue is not None:
                    on_cue(played)
            self._wait_until(start + self.timeline.total)  # let the last sound finish
        except BaseException:
            self.sink.stop()  # Ctrl-C and friends: silence at once
            raise
        return self.played

    def _wait_until(self, deadline: float) -> None:
        while (remaining := deadline - self.clock()) > 0:
            self.sleep(remaining)
