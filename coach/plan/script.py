"""The script engine: routine + options -> a timeline of immutable cues. Pure.

Two steps, both free of I/O and clocks:

1. `compose` turns the routine into an ordered script of steps: say these words,
   ring this chime, stay silent this long. It decides *what* the listener hears.
2. `lay_out` gives every step an absolute start time, using the measured length of
   each phrase and chime. It decides *when*.

The timeline is what `--dry-run` prints, what the player keeps to and what export
renders, so the three can never disagree.

Longer than 400 lines because the two steps share one vocabulary of steps and cues, and
every routine shape (reps, holds, sides, sets, timed work, self-paced reps, rounds) is
composed here: split, each half would need the other to be read.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

from coach.common.errors import OptionError
from coach.plan.phrases import ENGLISH_PHRASES, Phrases
from coach.plan.routine import Exercise, Level, Pace, Phase, PhaseKind, Routine, Sides, Span

SIDES = ("left", "right")
COUNTDOWN_MIN_HOLD = 5.0  # shorter holds are over before a countdown would help

# Chime sound names; the sounds themselves are sounds/<name>.wav.
SESSION_START = "session-start"
EXERCISE_START = "exercise-start"
HOLD_END = "hold-end"
TICK = "tick"
EXERCISE_END = "exercise-end"
SESSION_END = "session-end"
WORK_START = "work-start"
WORK_END = "work-end"
CHIMES = (SESSION_START, EXERCISE_START, HOLD_END, TICK, EXERCISE_END, SESSION_END, WORK_START, WORK_END)


class CueKind(StrEnum):
    SPEECH = "speech"
    CHIME = "chime"
    WAIT = "wait"  # self-paced reps: silent; the live player waits here for "done"


class Countdown(StrEnum):
    """What marks the last three seconds of a long hold."""

    VOICE = "voice"
    TICK = "tick"
    OFF = "off"


class DoneBy(StrEnum):
    """How the person ends a self-paced set, which the coach's words must say."""

    KEY = "key"  # "Press space when you are done."
    VOICE = "voice"  # --listen: "When you have finished, say done."
    TIME = "time"  # nobody can (an export, no terminal): its allowance ends it, and is said


@dataclass(frozen=True)
class SessionOptions:
    """Everything besides the routine that changes the plan."""

    level: Level = Level.STANDARD
    reps: int | None = None  # overrides the routine's range
    hold: float | None = None  # overrides every hold
    rest: float | None = None  # overrides every rest
    countdown: Countdown = Countdown.VOICE
    gap: float = 0.6  # silence after a phrase, so phrases do not run together
    settle: float = 4.0  # silence after the set-up, to get into position
    work: float | None = None  # overrides every timed exercise's seconds
    rounds: int | None = None  # overrides the routine's rounds
    done_by: DoneBy = DoneBy.KEY

    def __post_init__(self) -> None:
        if self.work is not None and not 1 <= self.work <= 3600:
            raise OptionError(f"--work must be between 1 and 3600 seconds (got {self.work:g})")
        if self.rounds is not None and not 1 <= self.rounds <= 20:
            raise OptionError(f"--rounds must be between 1 and 20 (got {self.rounds})")
        if self.reps is not None and not 1 <= self.reps <= 100:
            raise OptionError(f"--reps must be between 1 and 100 (got {self.reps})")
        if self.hold is not None and not 1 <= self.hold <= 120:
            raise OptionError(f"--hold must be between 1 and 120 seconds (got {self.hold:g})")
        if self.rest is not None and not 0 <= self.rest <= 120:
            raise OptionError(f"--rest must be between 0 and 120 seconds (got {self.rest:g})")


@dataclass(frozen=True)
class Place:
    """Where a step belongs, so a cue can be traced to its exercise, rep, side and phase."""

    exercise: str | None = None
    rep: int | None = None
    side: str | None = None
    phase: str | None = None
    set: int | None = None  # of an exercise with sets
    round: int | None = None  # of a routine with rounds


@dataclass(frozen=True)
class Say:
    text: str
    place: Place


@dataclass(frozen=True)
class Ring:
    sound: str
    place: Place


@dataclass(frozen=True)
class Silence:
    seconds: float
    place: Place
    countdown: tuple[str, ...] = ()  # the words that may count down its last seconds


@dataclass(frozen=True)
class Await:
    """Self-paced work: the listener says when it is done; `seconds` is what is allowed
    when nobody can (no keyboard: a piped run, an export)."""

    seconds: float
    place: Place


Step = Say | Ring | Silence | Await
SpanKey = tuple[int | None, str | None]  # (round, exercise id): an exercise once in the session


@dataclass(frozen=True)
class Cue:
    """One sound on the time line: absolute start in seconds from the session start."""

    start: float
    duration: float
    kind: CueKind
    text: str  # the words for speech, the sound name for a chime
    exercise: str | None = None
    rep: int | None = None
    side: str | None = None
    phase: str | None = None
    set: int | None = None
    round: int | None = None

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def exercise_key(self) -> SpanKey:
        """Which exercise, once in the session, the cue belongs to (ExerciseSpan.key): in a
        circuit, the same exercise in another round is another."""
        return self.round, self.exercise


@dataclass(frozen=True)
class ExerciseSpan:
    """An exercise's stretch of the timeline (for grouping, chapters and `coach list`)."""

    number: int
    id: str
    name: str
    reps: int  # 0 for a timed exercise
    sides: Sides
    start: float
    end: float
    seconds: float | None = None  # a timed exercise's work
    sets: int = 1
    pace: Pace = Pace.GUIDED
    round: int | None = None  # which round of a circuit

    @property
    def key(self) -> SpanKey:
        """An exercise once in the session: a circuit has each exercise once per round."""
        return (self.round, self.id)


@dataclass(frozen=True)
class Timeline:
    title: str
    cues: tuple[Cue, ...]
    exercises: tuple[ExerciseSpan, ...]
    total: float
    speech_timing: str  # "measured" (from the voice's own clips) or "estimated"
    words: Phrases = ENGLISH_PHRASES  # the coach's own words: the farewell, the check-in

    def phrases(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cue.text for cue in self.cues if cue.kind is CueKind.SPEECH))

    @property
    def complete(self) -> bool:
        """Always: see unfolding.UnfoldingTimeline for one that is still being laid out."""
        return True

    def known_total(self) -> float | None:
        return self.total


# --- what is said ----------------------------------------------------------------------


def reps_for(exercise: Exercise, options: SessionOptions) -> int:
    """Reps per set (0 for a timed exercise)."""
    if exercise.reps is None:
        return 0
    return options.reps if options.reps is not None else int(exercise.reps.pick(options.level))


def work_for(exercise: Exercise, options: SessionOptions) -> float | None:
    """A timed exercise's seconds per side and set; None for reps."""
    if exercise.seconds is None:
        return None
    return options.work if options.work is not None else exercise.seconds.pick(options.level)


def rounds_for(routine: Routine, options: SessionOptions) -> int:
    return options.rounds if options.rounds is not None else routine.rounds


def phase_seconds(phase: Phase, options: SessionOptions) -> float:
    if phase.kind is PhaseKind.HOLD and options.hold is not None:
        return options.hold
    if phase.kind is PhaseKind.REST and options.rest is not None:
        return options.rest
    return phase.seconds.pick(options.level)


def phrases_for(routine: Routine) -> Phrases:
    return Phrases.for_language(routine.language, dict(routine.phrases))


def describe_amount(exercise: Exercise, options: SessionOptions, words: Phrases = ENGLISH_PHRASES) -> str:
    """How much, as the listener hears it: "8 times", "8 on each side", "30 seconds", "10 times, 3 sets"."""
    seconds = work_for(exercise, options)
    if seconds is not None:
        key = "seconds" if exercise.sides is Sides.NONE else "seconds_each_side"
        amount = words.say(key, seconds=_number(seconds))
    elif exercise.sides is not Sides.NONE:
        amount = words.say("times_each_side", count=reps_for(exercise, options))
    else:
        amount = _times(reps_for(exercise, options), words)
    return words.say("with_sets", amount=amount, sets=exercise.sets) if exercise.sets > 1 else amount


def _times(reps: int, words: Phrases) -> str:
    """How many times, in the routine's language: "once", "8 times"."""
    return words.say("once") if reps == 1 else words.say("times", count=reps)


def _number(value: float) -> str:
    return Span(value, value).describe()


@lru_cache(maxsize=4)
def compose(routine: Routine, options: SessionOptions) -> tuple[Step, ...]:
    """The whole session as an ordered script, before any timing. Kept for the same routine
    and options (both frozen; the steps too): a dry-run asks three times, for the phrases to
    render, their lengths and the timeline (2.6 ms each for the built-in routine)."""
    words = phrases_for(routine)
    rounds = rounds_for(routine, options)
    steps: list[Step] = [Ring(SESSION_START, Place(phase="intro"))]
    steps += [Say(line, Place(phase="intro")) for line in routine.intro or (words.say("welcome"),)]
    total = len(routine.exercises)
    for round_number in range(1, rounds + 1):
        in_round = round_number if rounds > 1 else None
        if in_round is not None:
            steps.append(
                Say(words.say("round", number=round_number, total=rounds), Place(phase="round", round=in_round))
            )
        for number, exercise in enumerate(routine.exercises, start=1):
            lead = "first" if number == 1 and round_number == 1 else "next"
            amount = describe_amount(exercise, options, words)
            steps.append(Say(words.say(lead, name=exercise.name, amount=amount), Place(phase="next", round=in_round)))
            steps += _exercise_steps(exercise, number, total, options, words, in_round)
            if round_number == rounds and number == total:
                continue  # nothing to rest for: the session ends here
            rest = exercise.rest_after or routine.rest_between_exercises
            if number == total and routine.rest_between_rounds.high > 0:
                rest = routine.rest_between_rounds  # the circuit's own rest, not one more after it
            steps += _rest_steps(rest.pick(options.level), Place(phase="break", round=in_round), words)
    steps += [Say(line, Place(phase="closing")) for line in routine.closing]
    steps.append(Ring(SESSION_END, Place(phase="closing")))
    return tuple(steps)


def _rest_steps(seconds: float, place: Place, words: Phrases) -> list[Step]:
    """A rest that is announced and counted down like a hold; no rest says nothing."""
    if seconds <= 0:
        return []
    return [Say(words.say("rest", seconds=_number(seconds)), place), Silence(seconds, place, words.countdown)]


def _sides_in_turn(exercise: Exercise) -> tuple[str | None, ...]:
    return SIDES if exercise.sides is Sides.EACH else (None,)


def _exercise_steps(
    exercise: Exercise, number: int, total: int, options: SessionOptions, words: Phrases, in_round: int | None
) -> list[Step]:
    here = Place(exercise.id, round=in_round)
    steps: list[Step] = [
        Ring(EXERCISE_START, _at(here, phase="start")),
        Say(words.say("exercise", number=number, total=total, name=exercise.name), _at(here, phase="start")),
    ]
    steps += [Say(line, _at(here, phase="position")) for line in exercise.position]
    steps += [Say(line, _at(here, phase="tips")) for line in exercise.tips]
    steps.append(Silence(options.settle, _at(here, phase="settle")))
    for set_number in range(1, exercise.sets + 1):
        in_set = _at(here, set=set_number) if exercise.sets > 1 else here
        if exercise.sets > 1:
            steps.append(Say(words.say("set", number=set_number, total=exercise.sets), _at(in_set, phase="set")))
        if exercise.timed:
            steps += _timed_steps(exercise, options, words, in_set)
        elif exercise.pace is Pace.SELF:
            steps += _self_paced_steps(exercise, options, words, in_set)
        else:
            steps += _guided_steps(exercise, options, words, in_set)
        if set_number < exercise.sets:
            steps += _rest_steps(exercise.rest_between_sets.pick(options.level), _at(in_set, phase="set-rest"), words)
    steps.append(Ring(EXERCISE_END, _at(here, phase="end")))
    return steps


def _at(place: Place, **changes: Any) -> Place:
    return replace(place, **changes)


def _side_steps(words: Phrases, side: str | None, first: bool, place: Place) -> list[Step]:
    """ "Switch sides." between the two sides, and which side is next."""
    if side is None:
        return []
    steps: list[Step] = [] if first else [Say(words.say("switch_sides"), _at(place, phase="switch"))]
    return [*steps, Say(words.say("now_side", side=words.side(side)), _at(place, phase="switch"))]


def _timed_steps(exercise: Exercise, options: SessionOptions, words: Phrases, place: Place) -> list[Step]:
    seconds = work_for(exercise, options)
    assert seconds is not None
    steps: list[Step] = []
    for turn, side in enumerate(_sides_in_turn(exercise)):
        work = _at(place, side=side, phase="work")
        steps += _side_steps(words, side, turn == 0, work)
        steps += [Say(words.say("go"), work), Ring(WORK_START, work), Silence(seconds, work, words.countdown)]
        steps += [Say(words.say("stop"), work), Ring(WORK_END, work)]
    return steps


def _self_paced_steps(exercise: Exercise, options: SessionOptions, words: Phrases, place: Place) -> list[Step]:
    reps = reps_for(exercise, options)
    steps: list[Step] = []
    for turn, side in enumerate(_sides_in_turn(exercise)):
        own = _at(place, side=side, phase="own-pace")
        steps += _side_steps(words, side, turn == 0, own)
        if exercise.sides is Sides.ALTERNATE:
            amount, count = words.say("times_each_side", count=reps), 2 * reps
        else:
            amount, count = _times(reps, words), reps
        allowance = count * exercise.seconds_per_rep
        said = _own_pace(words, options.done_by, amount, allowance)
        steps += [Say(said, own), Await(allowance, own)]
        steps.append(Ring(HOLD_END, own))
    return steps


def _own_pace(words: Phrases, done_by: DoneBy, amount: str, allowance: float) -> str:
    if done_by is DoneBy.VOICE:
        return words.say("own_pace_said", amount=amount, done=words.first_saying("heard_done"))
    if done_by is DoneBy.TIME:
        return words.say("own_pace_timed", amount=amount, seconds=_number(allowance))
    return words.say("own_pace", amount=amount)


def _guided_steps(exercise: Exercise, options: SessionOptions, words: Phrases, place: Place) -> list[Step]:
    reps = reps_for(exercise, options)
    rounds: list[tuple[int, str | None]]
    if exercise.sides is Sides.NONE:
        rounds = [(rep, None) for rep in range(1, reps + 1)]
    elif exercise.sides is Sides.ALTERNATE:
        rounds = [(rep, side) for rep in range(1, reps + 1) for side in SIDES]
    else:
        rounds = [(rep, side) for side in SIDES for rep in range(1, reps + 1)]
    steps: list[Step] = []
    for index, (rep, side) in enumerate(rounds):
        last = index == len(rounds) - 1
        here = _at(place, rep=rep, side=side)
        if exercise.sides is Sides.EACH and rep == 1:
            steps += _side_steps(words, side, side == SIDES[0], here)
        if side is None:
            count = words.say("rep", number=rep, total=reps)
        else:
            count = words.say(
                "rep_side", number=rep, total=reps, side=words.side(side), direction=words.direction(side)
            )
        steps.append(Say(count, _at(here, phase="count")))
        for phase in exercise.phases:
            if last and phase.kind is PhaseKind.REST:
                continue  # nothing to rest for: the exercise ends here
            steps += _phase_steps(phase, _at(here, phase=phase.kind.value), options, words)
    return steps


def _phase_steps(phase: Phase, place: Place, options: SessionOptions, words: Phrases) -> list[Step]:
    seconds = phase_seconds(phase, options)
    steps: list[Step] = []
    if phase.say:
        side = words.side(place.side) if place.side else ""
        steps.append(Say(phase.say.replace("{side}", side).replace("{seconds}", _number(seconds)), place))
    if seconds > 0:
        steps.append(Silence(seconds, place, words.countdown if phase.kind is PhaseKind.HOLD else ()))
    if phase.kind is PhaseKind.HOLD:
        steps.append(Ring(HOLD_END, place))
    return steps


def spoken_phrases(routine: Routine, options: SessionOptions) -> tuple[str, ...]:
    """Every distinct phrase the session may speak, in first-use order (to render them):
    the plan's, and the farewell a listener hears on ending early, so a warm cache
    means a live session synthesises nothing."""
    words = phrases_for(routine)
    phrases = [step.text for step in compose(routine, options) if isinstance(step, Say)]
    if options.countdown is Countdown.VOICE:
        phrases += words.countdown
    phrases.append(words.say("farewell"))
    return tuple(dict.fromkeys(phrases))


# --- when it is said -------------------------------------------------------------------


def lay_out(
    title: str,
    exercises: tuple[Exercise, ...],
    steps: tuple[Step, ...],
    options: SessionOptions,
    speech_seconds: Callable[[str], float],
    chime_seconds: Mapping[str, float],
    speech_timing: str,
    words: Phrases = ENGLISH_PHRASES,
) -> Timeline:
    """Give every step an absolute start time; speech never overlaps speech."""
    cues: list[Cue] = []
    layout = unfold(steps, options, speech_seconds, chime_seconds)
    while True:
        try:
            cues.append(next(layout))
        except StopIteration as finished:
            total, spans = finished.value
            break
    return finish_timeline(title, exercises, options, tuple(cues), total, spans, speech_timing, words)


def unfold(
    steps: tuple[Step, ...],
    options: SessionOptions,
    speech_seconds: Callable[[str], float],
    chime_seconds: Mapping[str, float],
) -> Generator[Cue, None, tuple[float, dict[SpanKey, list[float]]]]:
    """The cues one by one, in order: each needs only the lengths of the phrases before it.

    So a live session can start speaking while later phrases are still being rendered.
    Returns the total and each exercise's [start, end] when every cue is out.
    """
    now = 0.0
    spans: dict[SpanKey, list[float]] = {}
    pending: list[Cue] = []

    def add(kind: CueKind, text: str, duration: float, place: Place, at: float) -> Cue:
        start, length = round(at, 6), round(duration, 6)
        cue = Cue(start, length, kind, text, place.exercise, place.rep, place.side, place.phase, place.set, place.round)
        pending.append(cue)
        if place.exercise is not None:
            span = spans.setdefault(cue.exercise_key, [cue.start, cue.end])
            span[1] = max(span[1], cue.end)
        return cue

    for index, step in enumerate(steps):
        following = steps[index + 1] if index + 1 < len(steps) else None
        if isinstance(step, Say):
            cue = add(CueKind.SPEECH, step.text, speech_seconds(step.text), step.place, now)
            # A following silence is the pause itself: a hold starts when its words end.
            now = cue.end if isinstance(following, Silence) else cue.end + options.gap
        elif isinstance(step, Ring):
            now = add(CueKind.CHIME, step.sound, chime_seconds[step.sound], step.place, now).end
        elif isinstance(step, Await):
            allowed = f"until you say you are done ({_number(step.seconds)} s without a keyboard)"
            now = add(CueKind.WAIT, allowed, step.seconds, step.place, now).end
        else:
            counted_until = now
            if step.countdown and step.seconds >= COUNTDOWN_MIN_HOLD:
                counted_until = _count_down(step, now, options, speech_seconds, chime_seconds, add)
            now = max(now + step.seconds, counted_until)
            if step.place.exercise is not None:
                spans.setdefault((step.place.round, step.place.exercise), [now, now])[1] = now
        yield from pending
        pending.clear()
    return round(now, 6), spans


def finish_timeline(
    title: str,
    exercises: tuple[Exercise, ...],
    options: SessionOptions,
    cues: tuple[Cue, ...],
    total: float,
    spans: Mapping[SpanKey, list[float]],
    speech_timing: str,
    words: Phrases = ENGLISH_PHRASES,
) -> Timeline:
    numbered = []
    by_id = {exercise.id: (number, exercise) for number, exercise in enumerate(exercises, start=1)}
    rounds = sorted({in_round for in_round, _id in spans}, key=lambda r: r or 0) or [None]
    for in_round in rounds:
        for number, exercise in by_id.values():
            start, end = spans.get((in_round, exercise.id), [0.0, 0.0])
            numbered.append(
                ExerciseSpan(
                    number,
                    exercise.id,
                    exercise.name,
                    reps_for(exercise, options),
                    exercise.sides,
                    start,
                    round(end, 6),
                    work_for(exercise, options),
                    exercise.sets,
                    exercise.pace,
                    in_round,
                )
            )
    return Timeline(title, cues, tuple(numbered), total, speech_timing, words)


def _count_down(
    hold: Silence,
    hold_start: float,
    options: SessionOptions,
    speech_seconds: Callable[[str], float],
    chime_seconds: Mapping[str, float],
    add: Callable[[CueKind, str, float, Place, float], Cue],
) -> float:
    """The last three seconds of a hold, spoken or ticked, inside the hold itself.

    Returns when the last count ends, so nothing after the hold can overlap it.
    """
    if options.countdown is Countdown.OFF or not hold.countdown:
        return hold_start
    hold_end = hold_start + hold.seconds
    # A hold's count is "countdown" (as it always was); work's and rests' say what they count.
    counted = hold.place.phase
    place = replace(hold.place, phase="countdown" if counted == "hold" else f"{counted}-countdown")
    free_from = hold_start
    for offset, word in zip((3, 2, 1), hold.countdown, strict=True):
        at = max(hold_end - offset, free_from)
        if options.countdown is Countdown.VOICE:
            cue = add(CueKind.SPEECH, word, speech_seconds(word), place, at)
        else:
            cue = add(CueKind.CHIME, TICK, chime_seconds[TICK], place, at)
        free_from = cue.end
    return free_from


def build_timeline(
    routine: Routine,
    options: SessionOptions,
    speech_seconds: Callable[[str], float],
    chime_seconds: Mapping[str, float],
    speech_timing: str = "measured",
) -> Timeline:
    """The plan: same routine, options and durations always give the same timeline."""
    steps = compose(routine, options)
    words = phrases_for(routine)
    return lay_out(
        routine.title, routine.exercises, steps, options, speech_seconds, chime_seconds, speech_timing, words
    )
