"""A timeline laid out while it plays, so a cold cache does not delay the first sound.

A neural voice takes about 15 s to render every phrase of the built-in routine. The
plan is the same pure layout the dry-run prints (script.unfold), run on a worker
thread: each phrase is rendered (into the cache) when the layout reaches it, in
timeline order, and each cue is published as soon as its start is known. The player
reads cues by index and waits only if it ever catches up with the worker, which
renders many times faster than the session plays.

Because every clip lands in the cache, the finished plan is the one the dry-run and
the export lay out from that cache: to the microsecond, not an estimate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import overload

from coach.common.threads import worker
from coach.plan.routine import Routine
from coach.plan.script import (
    Cue,
    ExerciseSpan,
    SessionOptions,
    Timeline,
    build_timeline,
    compose,
    finish_timeline,
    phrases_for,
    unfold,
)

# Plan laid out before the clock starts: none. The first cue is the session-start chime,
# which needs no voice, so it sounds at once while the first phrases render; the worker
# renders some twenty times faster than the session plays, and should the first words
# still be late, the player moves the whole plan back rather than play them late.
LEAD_SECONDS = 0.0


class GrowingCues(Sequence[Cue]):
    """The cues published so far; reading past them waits for the worker (or its end)."""

    def __init__(self) -> None:
        self._cues: list[Cue] = []
        self._changed = threading.Condition()
        self._finished = False
        self.error: BaseException | None = None

    def append(self, cue: Cue) -> None:
        with self._changed:
            self._cues.append(cue)
            self._changed.notify_all()

    def finish(self, error: BaseException | None = None) -> None:
        with self._changed:
            self._finished = True
            self.error = error
            self._changed.notify_all()

    def published(self, index: int) -> bool:
        """Whether cue `index` is laid out (or the layout has ended): reading it will not wait."""
        with self._changed:
            return self._finished or index < len(self._cues)

    def wait_for(self, ready: Callable[[list[Cue]], bool]) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._finished or ready(self._cues))
            self._raise_if_failed(len(self._cues))

    def _raise_if_failed(self, wanted: int) -> None:
        if self.error is not None and wanted >= len(self._cues):
            raise self.error

    @overload
    def __getitem__(self, index: int) -> Cue: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Cue]: ...

    def __getitem__(self, index: int | slice) -> Cue | Sequence[Cue]:
        if isinstance(index, slice) or index < 0:
            self.wait_for(lambda cues: False)  # the whole list
            return self._cues[index]
        self.wait_for(lambda cues: len(cues) > index)
        return self._cues[index]  # IndexError past the end, as a tuple would

    def __len__(self) -> int:
        self.wait_for(lambda cues: False)
        return len(self._cues)

    def __iter__(self) -> Iterator[Cue]:
        index = 0
        while True:
            try:
                yield self[index]
            except IndexError:
                return
            index += 1

    @property
    def finished(self) -> bool:
        return self._finished


class UnfoldingTimeline:
    """Stands in for a Timeline while the worker lays it out; `timeline()` is the finished one."""

    speech_timing = "measured"

    def __init__(
        self,
        routine: Routine,
        options: SessionOptions,
        speech_seconds: Callable[[str], float],
        chime_seconds: Mapping[str, float],
        estimate: Callable[[str], float],
    ) -> None:
        self.title = routine.title
        self.words = phrases_for(routine)
        self.cues = GrowingCues()
        self._routine = routine
        self._options = options
        self._speech_seconds = speech_seconds
        self._chime_seconds = chime_seconds
        self._finished: Timeline | None = None
        # Ids, names, reps and sides for the panel and the record until the real spans exist.
        self._outline = build_timeline(routine, options, estimate, chime_seconds, "estimated")
        self._stopping = threading.Event()
        self._worker = worker(self._lay_out, "coach-layout")

    def start(self, lead: float = LEAD_SECONDS) -> UnfoldingTimeline:
        """Start the worker; return once its first cue, and `lead` seconds of plan, are ready."""
        self._worker.start()
        try:
            self.cues.wait_for(lambda cues: bool(cues) and cues[-1].end >= min(lead, self._outline.total))
        except BaseException:  # Ctrl-C while the first phrases render, or a render failed
            self.close()
            raise
        return self

    def _lay_out(self) -> None:
        try:
            steps = compose(self._routine, self._options)
            layout = unfold(steps, self._options, self._speech_seconds, self._chime_seconds)
            cues: list[Cue] = []
            while True:
                try:
                    cue = next(layout)
                except StopIteration as done:
                    total, spans = done.value
                    break
                cues.append(cue)
                self.cues.append(cue)
                if self._stopping.is_set():
                    raise EOFError("the session ended before its plan was laid out")
            self._finished = finish_timeline(
                self.title, self._routine.exercises, self._options, tuple(cues), total, spans, "measured", self.words
            )
            self.cues.finish()
        except BaseException as error:  # the player raises it when it reaches the missing cue
            self.cues.finish(error)

    def close(self) -> None:
        """Stop rendering ahead and wait for the phrase in hand: a process must not exit
        while onnxruntime is mid-synthesis on another thread (it aborts)."""
        self._stopping.set()
        if self._worker.is_alive():
            self._worker.join()

    @property
    def complete(self) -> bool:
        return self._finished is not None

    def timeline(self) -> Timeline:
        """The finished plan (waits for the worker)."""
        self.cues.wait_for(lambda cues: False)
        assert self._finished is not None
        return self._finished

    @property
    def total(self) -> float:
        return self.timeline().total

    @property
    def exercises(self) -> tuple[ExerciseSpan, ...]:
        return self._finished.exercises if self._finished is not None else self._outline.exercises

    def known_total(self) -> float | None:
        return self._finished.total if self._finished is not None else None
