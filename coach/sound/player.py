"""The scheduler: plays a timeline against one clock, cue by cue, on time.

Like CPython's sched and mido's player, every cue waits for its absolute deadline,
measured from a single origin, never for a chain of relative sleeps, so a late cue
plays at once and leaves the ones after it where they were: error never adds up over
a 30-minute session. Between cues the thread waits (for the deadline, or for a key);
nothing spins.

Self-paced reps are a silent WAIT cue. With `await_listener` (someone at a keyboard)
the player stays there until they say they are done (space or `n`), then moves the
origin so the plan goes on from that moment; without, the wait is the plan's allowance.

A plan still being laid out (a cold cache) may publish a cue after it was due: the
player then moves the origin to now, so the plan waits for those words instead of
playing them late (and squeezing what follows).

Steering moves the origin, never the cues: a pause shifts every later deadline by the
paused time (and replays the interrupted phase), a skip jumps to another cue and
re-anchors the origin there. The timeline itself stays the plan the dry-run showed.
Where the session is in it (`position`, what the panel, the remote and "ended at" show)
stays put while paused, and once it has ended early.

What the player acts on depends on its state: while it plays, "resume" and "done" mean
nothing; on a self-paced set, "done" ends it; paused, only going on or ending counts. It says
so to `on_meaningful` as that changes, so the listener can listen for those sayings alone.

An input may also have something to tell the person (`notice`: the listener hears a television
switched on mid-session). It is said once the coach's own sound has ended, never over it and
never while paused, and like a repeat it moves the origin: what comes next waits for it.

The clock, the wait and the sink are injected, so tests can use a fake clock with the
real sound path; the live run uses time.monotonic, the keyboard and simpleaudio.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from coach.common.audio import Clip
from coach.plan.script import Cue, CueKind, Timeline
from coach.plan.unfolding import UnfoldingTimeline

# What a player plays: a finished plan, or one still being laid out ahead of the playhead.
Plan = Timeline | UnfoldingTimeline


class Sink(Protocol):
    """Where sound goes: starts a clip without waiting for it to finish."""

    def open(self) -> None: ...  # ready to sound at once: called before the clock starts

    def play(self, clip: Clip) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...  # done with sound: returns once nothing it started still holds on


REPEAT_BREATH = 0.5  # seconds of quiet after a repeated instruction
# A pain word heard this soon after the answer to one ended may be the answer's own "stop" (in
# "say stop the session") come back through the microphone: its echo arrives up to 0.3 s late,
# and the listener decides 0.2-0.5 s after a word ends. The answer is not said again for it.
ANSWER_HEARD_BACK = 2.0
NOTICE_BREATH = 0.8  # seconds of quiet after a notice, before the plan goes on


class Command(StrEnum):
    """What the listener can ask for while the session runs."""

    PAUSE = "pause"  # pauses, or resumes when paused (space, a play/pause button)
    HOLD = "hold"  # pauses; said twice it stays paused (a spoken "pause" never resumes)
    RESUME = "resume"  # resumes when paused; nothing otherwise (a spoken "go on")
    NEXT = "next"  # skip to the next exercise
    BACK = "back"  # restart the current exercise
    REPEAT = "repeat"  # say the last instruction again
    QUIT = "quit"  # end politely
    DONE = "done"  # self-paced reps finished (recorded when space or n ends a wait); nothing elsewhere
    PAIN = "pain"  # "ouch", "it hurts": pauses at once, and the coach says how to go on or end (paused: again)
    NOTICE = "notice"  # not the person's: an input has something to tell them (the `notice` clip), once free


# What the player acts on in each of its states; anything else it takes as unsaid.
PLAYING = frozenset(Command) - {Command.RESUME, Command.DONE}
WAITING = frozenset(Command) - {Command.RESUME}  # on a self-paced set, for "done"
PAUSED = frozenset({Command.PAUSE, Command.RESUME, Command.QUIT, Command.PAIN})


# Waits until the deadline (None: until a command) and returns a command that arrived
# first, or None when the deadline came. time.sleep is the simplest one.
Wait = Callable[[float | None], Command | None]


def sleeping_wait(clock: Callable[[], float] = time.monotonic) -> Wait:
    """No keyboard: just sleep until the deadline."""

    def wait(deadline: float | None) -> Command | None:
        if deadline is None:
            raise RuntimeError("nothing can resume a session without a keyboard")
        while (remaining := deadline - clock()) > 0:
            time.sleep(remaining)
        return None

    return wait


@dataclass(frozen=True)
class Played:
    """A cue as it happened: planned and actual start, both from the current origin, and the
    clock at its start, which a later move of the origin (a pause, a late layout) leaves as it was."""

    index: int
    cue: Cue
    planned: float
    actual: float
    clock: float

    @property
    def error(self) -> float:
        return self.actual - self.planned


@dataclass(frozen=True)
class Steered:
    """A command as it happened, and where it sent the session."""

    command: Command
    at: float  # seconds since the session started, wall time
    resumed_at_index: int | None


class Player:
    """Plays one timeline once. `played` fills as it goes, so an interrupted run can
    still say where it stopped."""

    def __init__(
        self,
        timeline: Plan,
        clip_for: Callable[[Cue], Clip],
        sink: Sink,
        clock: Callable[[], float] = time.monotonic,
        wait: Wait | None = None,
        farewell: Callable[[], Sequence[Cue]] = tuple,
        await_listener: bool = False,
        pain_answer: Callable[[], Clip | None] = lambda: None,
        on_meaningful: Callable[[frozenset[Command]], None] | None = None,
        notice: Callable[[], Clip | None] = lambda: None,
    ) -> None:
        self.timeline = timeline
        self.clip_for = clip_for
        self.sink = sink
        self.clock = clock
        self.wait = wait or sleeping_wait(clock)
        self.farewell = farewell  # what `quit` plays: closing words and chime, fetched when asked
        self.await_listener = await_listener  # self-paced waits last until the listener is done
        self.pain_answer = pain_answer  # what the coach says when a pain word pauses it
        self.notice = notice  # what it says for Command.NOTICE
        self.notice_pending = False  # a notice waits for the coach's own sound to end
        self.sounding_until = 0.0  # the clock time the last clip it started ends (or it was stopped)
        self.notice_until = 0.0  # and the last notice
        # Told what the player acts on, as that changes (PLAYING, WAITING, PAUSED): the listener
        # then listens for those sayings alone, never the player itself.
        self.on_meaningful = on_meaningful
        self.meaningful = frozenset(Command)  # what it acts on now: all, until it runs
        self.played: list[Played] = []
        self.steered: list[Steered] = []
        self.started_at: float | None = None
        self.origin = 0.0  # the clock time of timeline time 0, moved by pauses and skips
        self.paused = False
        self.held_at = 0.0  # where in the timeline it paused or ended early: it stays there
        self.quit = False
        self.ended = False  # played to its end, or its farewell said: nothing more to steer

    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else self.clock() - self.started_at

    def position(self) -> float:
        """Where in the timeline the session is now. Paused, it stays where it paused: the
        plan waits, and what is left of it does not run down; ended early, where it ended,
        the farewell and any pause before it not counted."""
        if self.paused or self.quit:
            return self.held_at
        return 0.0 if self.started_at is None else self.clock() - self.origin

    def run(self, on_cue: Callable[[Played], None] | None = None) -> list[Played]:
        cues = self.timeline.cues
        # Clips come from memory: the plan was laid out from them (or, unfolding, is laid
        # out from them ahead of the playhead), so fetching one never waits on synthesis.
        published = getattr(cues, "published", None)  # a plan still being laid out says what is ready
        self.started_at = self.origin = self.clock()
        self._heed(PLAYING)
        index = 0
        try:
            while True:
                still_laying_out = published is not None and not published(index)
                cue = cue_at(cues, index)
                if cue is not None and still_laying_out and (now := self.clock()) > self.origin + cue.start:
                    # Laid out (its words rendered) only after it was due: the whole plan
                    # waits for it, rather than play it late and everything after it early.
                    # A finished plan never moves: a stall of this thread is not a late layout.
                    self.origin = now - cue.start
                due = cue.start if cue is not None else self.timeline.total
                deadline = self.origin + due
                if self.notice_pending:  # told as soon as the coach's own sound ends, if that is sooner
                    deadline = min(deadline, self.sounding_until)
                command = self.wait(deadline)
                if command is None and self.notice_pending and self.clock() >= self.sounding_until:
                    self._tell_notice(self.origin + due)
                    continue
                if command is None:
                    if cue is None:
                        break  # the last sound has had its time
                    # A wait (self-paced reps) is silent: it is played, with nothing to hear.
                    clip = self.clip_for(cue) if cue.kind is not CueKind.WAIT else None
                    now = self.clock()
                    played = Played(index, cue, cue.start, now - self.origin, now)
                    if clip is not None:
                        self._play(clip)
                    self.played.append(played)
                    if on_cue is not None:
                        on_cue(played)
                    index += 1
                    if cue.kind is not CueKind.WAIT or not self.await_listener:
                        continue
                    self._heed(WAITING)
                    command = self._until_done(cue, index)
                    self._heed(PLAYING)
                    if command is None:
                        continue
                index = self._steer(command, index)
                if self.quit:
                    self._say_farewell([(cue, self.clip_for(cue)) for cue in self.farewell()], on_cue)
                    break
        except BaseException:
            self.sink.stop()  # Ctrl-C and friends: silence at once
            raise
        self.ended = True
        return self.played

    def _play(self, clip: Clip) -> None:
        self.sink.play(clip)
        self.sounding_until = self.clock() + clip.seconds

    def _silence(self) -> None:
        self.sink.stop()
        self.sounding_until = self.clock()
        self.notice_until = min(self.notice_until, self.sounding_until)

    def _tell_notice(self, due: float | None) -> None:
        """Say the notice now (the coach's sound has ended): what was due at clock time `due`
        (None: nothing, a self-paced set) waits until it and a breath are over."""
        self.notice_pending = False
        clip = self.notice()
        if clip is None:
            return
        self._play(clip)
        self.notice_until = self.sounding_until
        if due is not None:
            self.origin += max(0.0, self.sounding_until + NOTICE_BREATH - due)

    def _heed(self, meaningful: frozenset[Command]) -> None:
        if meaningful != self.meaningful:
            self.meaningful = meaningful
            if self.on_meaningful is not None:
                self.on_meaningful(meaningful)

    def _until_done(self, wait: Cue, index: int) -> Command | None:
        """Stay on a self-paced wait until space or `n` says done (None: go on from now), or
        return another command for _steer; a repeat is answered and the wait goes on."""
        while True:
            command = self.wait(self.sounding_until if self.notice_pending else None)
            if command is None:  # the coach's sound has ended: a self-paced set is silent, said now
                self._tell_notice(None)
                continue
            if command is Command.NOTICE:
                self.notice_pending = True
                continue
            if command is Command.PAIN:
                return command  # a pain word pauses here too, and says so
            if command in (Command.PAUSE, Command.NEXT, Command.DONE):
                now = self.clock()
                # What comes next waits for a notice still being said, and a breath.
                after = self.notice_until + NOTICE_BREATH if self.notice_until > now else now
                self.origin = after - wait.end
                self.steered.append(Steered(Command.DONE, now - (self.started_at or now), index))
                return None
            if command is Command.REPEAT:
                self._say_again(index)
                continue
            if command is Command.RESUME:
                continue  # nothing is paused: the wait goes on
            return command

    def _answer_pain(self) -> float | None:
        """Say the answer to a pain word, if there is one: when it will have ended."""
        answer_clip = self.pain_answer()
        if answer_clip is None:
            return None
        self._play(answer_clip)
        return self.sounding_until

    def _say_again(self, index: int) -> Cue | None:
        """The last instruction before cue `index`, spoken again at once (None: there is none)."""
        last = last_speech(self.timeline.cues, index)
        if last is None:
            return None
        self._silence()
        self._play(self.clip_for(self.timeline.cues[last]))
        return self.timeline.cues[last]

    def _steer(self, command: Command, index: int) -> int:
        cues = self.timeline.cues
        now = self.clock()
        resume = index
        if command in (Command.RESUME, Command.DONE):
            return index  # nothing to resume, no self-paced set to end: as if unsaid
        if command is Command.NOTICE:
            self.notice_pending = True  # said when the coach's sound ends (the run loop)
            return index
        if command in (Command.PAUSE, Command.HOLD, Command.PAIN):
            self._silence()
            answer_ends = self._answer_pain() if command is Command.PAIN else None
            self.held_at = now - self.origin
            self.paused = True
            self._heed(PAUSED)
            # Paused, only going on or ending mean anything, and a pain word: someone who paused,
            # then says "it hurts" or "stop", is told again how to rest, go on or end. A notice
            # waits until the session goes on: paused, the coach says nothing it was not asked.
            while (answer := self.wait(None)) not in PAUSED or answer is Command.PAIN:
                if answer is Command.NOTICE:
                    self.notice_pending = True
                if answer is Command.PAIN and (answer_ends is None or self.clock() >= answer_ends + ANSWER_HEARD_BACK):
                    answer_ends = self._answer_pain()
            self.paused = False
            self._heed(PLAYING)
            if answer_ends is not None and self.clock() < answer_ends:
                # "Go on" said over the answer: it is cut off, not left talking over the phase
                # said again (or the farewell), and the listener is told it stopped.
                self._silence()
            if answer is Command.QUIT:
                self.notice_pending = False  # the farewell is all that is said now
                self.quit = True
            else:
                resume = phase_start(cues, index - 1) if index > 0 else 0
                resumed = cue_at(cues, resume)
                self.origin = self.clock() - resumed.start if resumed is not None else self.origin
        elif command is Command.QUIT:
            self._silence()
            self.notice_pending = False  # the farewell is all that is said now
            self.held_at = now - self.origin
            self.quit = True
        elif command in (Command.NEXT, Command.BACK):
            target = next_exercise_start(cues, index) if command is Command.NEXT else exercise_start(cues, index)
            if target is not None:
                self._silence()
                resume = target
                landing = cue_at(cues, target)
                self.origin = now - (landing.start if landing is not None else self.timeline.total)
        elif command is Command.REPEAT:
            repeated = self._say_again(index)
            if repeated is not None:
                # What comes next waits until the repeated words and a breath are over.
                upcoming = cue_at(cues, index)
                due = self.origin + (upcoming.start if upcoming is not None else self.timeline.total)
                self.origin += max(0.0, now + repeated.duration + REPEAT_BREATH - due)
        self.steered.append(Steered(command, now - (self.started_at or now), None if self.quit else resume))
        return resume

    def _say_farewell(self, farewell: list[tuple[Cue, Clip]], on_cue: Callable[[Played], None] | None) -> None:
        """The polite end after `quit`: each closing cue after the one before, then its time."""
        start = self.clock()
        offset = 0.0
        for cue, clip in farewell:
            self._sleep_until(start + offset)
            now = self.clock()
            played = Played(-1, cue, offset, now - start, now)
            self._play(clip)
            self.played.append(played)
            if on_cue is not None:
                on_cue(played)
            offset += cue.duration
        self._sleep_until(start + offset)

    def _sleep_until(self, deadline: float) -> None:
        while self.clock() < deadline:
            self.wait(deadline)  # keys pressed now are ignored


def cue_at(cues: Sequence[Cue], index: int) -> Cue | None:
    """The cue at index, or None past the last (an unfolding plan may make this wait)."""
    try:
        return cues[index]
    except IndexError:
        return None


def phase_group(cue: Cue) -> tuple[object, ...]:
    """The phase a cue is part of. A hold's countdown and its end chime belong to the hold:
    pausing there replays it whole."""
    return cue.round, cue.exercise, cue.set, cue.rep, cue.side, counted_phase(cue.phase)


def counted_phase(phase: str | None) -> str | None:
    """The phase a countdown belongs to: "countdown" counts a hold, "work-countdown" work."""
    if phase == "countdown":
        return "hold"
    return phase.removesuffix("-countdown") if phase is not None else None


def phase_start(cues: Sequence[Cue], index: int) -> int:
    """The first cue of the phase that cue `index` belongs to."""
    start = index
    while start > 0 and phase_group(cues[start - 1]) == phase_group(cues[index]):
        start -= 1
    return start


def exercise_start(cues: Sequence[Cue], index: int) -> int | None:
    """The first cue of the exercise the session is in (None between exercises)."""
    current = cues[index - 1].exercise_key if index > 0 else None
    if current is None or current[1] is None:
        return None
    return next(i for i, cue in enumerate(cues) if cue.exercise_key == current)


def next_exercise_start(cues: Sequence[Cue], index: int) -> int | None:
    """The first cue of the next exercise, or of the closing words after the last one."""
    current = cues[index - 1].exercise_key if index > 0 else None
    i = index
    while (cue := cue_at(cues, i)) is not None:
        if (cue.exercise is not None and cue.exercise_key != current) or cue.phase == "closing":
            return i
        i += 1
    return None


def last_speech(cues: Sequence[Cue], index: int) -> int | None:
    for i in range(index - 1, -1, -1):
        if cues[i].kind.value == "speech" and counted_phase(cues[i].phase) == cues[i].phase:
            return i
    return None
