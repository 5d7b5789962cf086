"""The script engine: routine + options -> a timeline of immutable cues. Pure.

Two steps, both free of I/O and clocks:

1. `compose` turns the routine into an ordered script of steps: say these words,
   ring this chime, stay silent this long. It decides *what* the listener hears.
2. `lay_out` gives every step an absolute start time, using the measured length of
   each phrase and chime. It decides *when*.

The timeline is what `--dry-run` prints, what the player keeps to and what export
renders, so the three can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from coach.errors import OptionError
from coach.routine import Exercise, Level, Phase, PhaseKind, Routine, Sides, Span

SIDES = ("left", "right")
COUNTDOWN_WORDS = ("three", "two", "one")
FAREWELL = "Stopping here. Well done."  # when the listener ends the session early
COUNTDOWN_MIN_HOLD = 5.0  # shorter holds are over before a countdown would help

# Chime sound names; the sounds themselves are sounds/<name>.wav.
SESSION_START = "session-start"
EXERCISE_START = "exercise-start"
HOLD_END = "hold-end"
TICK = "tick"
EXERCISE_END = "exercise-end"
SESSION_END = "session-end"
CHIMES = (SESSION_START, EXERCISE_START, HOLD_END, TICK, EXERCISE_END, SESSION_END)


class CueKind(StrEnum):
    SPEECH = "speech"
    CHIME = "chime"


class Countdown(StrEnum):
    """What marks the last three seconds of a long hold."""

    VOICE = "voice"
    TICK = "tick"
    OFF = "off"


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

    def __post_init__(self) -> None:
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
    countdown: bool = False  # a hold whose last seconds may be counted down


Step = Say | Ring | Silence


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

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class ExerciseSpan:
    """An exercise's stretch of the timeline (for grouping, chapters and `coach list`)."""

    number: int
    id: str
    name: str
    reps: int
    sides: Sides
    start: float
    end: float


@dataclass(frozen=True)
class Timeline:
    title: str
    cues: tuple[Cue, ...]
    exercises: tuple[ExerciseSpan, ...]
    total: float
    speech_timing: str  # "measured" (from the voice's own clips) or "estimated"

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
    return options.reps if options.reps is not None else int(exercise.reps.pick(options.level))


def phase_seconds(phase: Phase, options: SessionOptions) -> float:
    if phase.kind is PhaseKind.HOLD and options.hold is not None:
        return options.hold
    if phase.kind is PhaseKind.REST and options.rest is not None:
        return options.rest
    return phase.seconds.pick(options.level)


def describe_reps(exercise: Exercise, reps: int) -> str:
    """How many, as the listener hears it: "8 times", "8 on each side"."""
    if exercise.sides is Sides.NONE:
        return "once" if reps == 1 else f"{reps} times"
    return f"{reps} on each side"


def compose(routine: Routine, options: SessionOptions) -> tuple[Step, ...]:
    """The whole session as an ordered script, before any timing."""
    steps: list[Step] = [Ring(SESSION_START, Place(phase="intro"))]
    steps += [Say(line, Place(phase="intro")) for line in routine.intro]
    total = len(routine.exercises)
    for number, exercise in enumerate(routine.exercises, start=1):
        reps = reps_for(exercise, options)
        lead = "First" if number == 1 else "Next"
        steps.append(Say(f"{lead}: {exercise.name}, {describe_reps(exercise, reps)}.", Place(phase="next")))
        steps += _exercise_steps(exercise, number, total, reps, options)
    steps += [Say(line, Place(phase="closing")) for line in routine.closing]
    steps.append(Ring(SESSION_END, Place(phase="closing")))
    return tuple(steps)


def _exercise_steps(exercise: Exercise, number: int, total: int, reps: int, options: SessionOptions) -> list[Step]:
    steps: list[Step] = [
        Ring(EXERCISE_START, Place(exercise.id, phase="start")),
        # "out of", not "of": a listener (and a recogniser) hears "4 of 4" as "404".
        Say(f"Exercise {number} out of {total}: {exercise.name}.", Place(exercise.id, phase="start")),
    ]
    steps += [Say(line, Place(exercise.id, phase="position")) for line in exercise.position]
    steps += [Say(line, Place(exercise.id, phase="tips")) for line in exercise.tips]
    steps.append(Silence(options.settle, Place(exercise.id, phase="settle")))

    rounds: list[tuple[int, str | None]]
    if exercise.sides is Sides.NONE:
        rounds = [(rep, None) for rep in range(1, reps + 1)]
    elif exercise.sides is Sides.ALTERNATE:
        rounds = [(rep, side) for rep in range(1, reps + 1) for side in SIDES]
    else:
        rounds = [(rep, side) for side in SIDES for rep in range(1, reps + 1)]

    for index, (rep, side) in enumerate(rounds):
        last = index == len(rounds) - 1
        if exercise.sides is Sides.EACH and rep == 1:
            if side != SIDES[0]:
                steps.append(Say("Switch sides.", Place(exercise.id, rep, side, "switch")))
            steps.append(Say(f"Now the {side} side.", Place(exercise.id, rep, side, "switch")))
        # "Number 3 out of 9, on your left side.": "Rep 3 of 3" was heard as "Rat 303", "left
        # side" as "let's side", and "rep" is gym jargon (scripts/bench_intelligibility.py).
        count = f"Number {rep} out of {reps}" + (f", on your {side} side." if side else ".")
        steps.append(Say(count, Place(exercise.id, rep, side, "count")))
        for phase in exercise.phases:
            if last and phase.kind is PhaseKind.REST:
                continue  # nothing to rest for: the exercise ends here
            steps += _phase_steps(phase, Place(exercise.id, rep, side, phase.kind.value), options)
    steps.append(Ring(EXERCISE_END, Place(exercise.id, phase="end")))
    return steps


def _phase_steps(phase: Phase, place: Place, options: SessionOptions) -> list[Step]:
    seconds = phase_seconds(phase, options)
    steps: list[Step] = []
    if phase.say:
        words = phase.say.replace("{side}", place.side or "").replace("{seconds}", Span(seconds, seconds).describe())
        steps.append(Say(words, place))
    if seconds > 0:
        steps.append(Silence(seconds, place, countdown=phase.kind is PhaseKind.HOLD))
    if phase.kind is PhaseKind.HOLD:
        steps.append(Ring(HOLD_END, place))
    return steps


def spoken_phrases(routine: Routine, options: SessionOptions) -> tuple[str, ...]:
    """Every distinct phrase the session may speak, in first-use order (to render them):
    the plan's, and the farewell a listener hears on ending early, so a warm cache
    means a live session synthesises nothing."""
    phrases = [step.text for step in compose(routine, options) if isinstance(step, Say)]
    if options.countdown is Countdown.VOICE:
        phrases += COUNTDOWN_WORDS
    phrases.append(FAREWELL)
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
    return finish_timeline(title, exercises, options, tuple(cues), total, spans, speech_timing)


def unfold(
    steps: tuple[Step, ...],
    options: SessionOptions,
    speech_seconds: Callable[[str], float],
    chime_seconds: Mapping[str, float],
) -> Generator[Cue, None, tuple[float, dict[str, list[float]]]]:
    """The cues one by one, in order: each needs only the lengths of the phrases before it.

    So a live session can start speaking while later phrases are still being rendered.
    Returns the total and each exercise's [start, end] when every cue is out.
    """
    now = 0.0
    spans: dict[str, list[float]] = {}
    pending: list[Cue] = []

    def add(kind: CueKind, text: str, duration: float, place: Place, at: float) -> Cue:
        cue = Cue(round(at, 6), round(duration, 6), kind, text, place.exercise, place.rep, place.side, place.phase)
        pending.append(cue)
        if place.exercise is not None:
            span = spans.setdefault(place.exercise, [cue.start, cue.end])
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
        else:
            counted_until = now
            if step.countdown and step.seconds >= COUNTDOWN_MIN_HOLD:
                counted_until = _count_down(step, now, options, speech_seconds, chime_seconds, add)
            now = max(now + step.seconds, counted_until)
            if step.place.exercise is not None:
                spans.setdefault(step.place.exercise, [now, now])[1] = now
        yield from pending
        pending.clear()
    return round(now, 6), spans


def finish_timeline(
    title: str,
    exercises: tuple[Exercise, ...],
    options: SessionOptions,
    cues: tuple[Cue, ...],
    total: float,
    spans: Mapping[str, list[float]],
    speech_timing: str,
) -> Timeline:
    numbered = []
    for number, exercise in enumerate(exercises, start=1):
        start, end = spans.get(exercise.id, [0.0, 0.0])
        reps = reps_for(exercise, options)
        numbered.append(ExerciseSpan(number, exercise.id, exercise.name, reps, exercise.sides, start, round(end, 6)))
    return Timeline(title, cues, tuple(numbered), total, speech_timing)


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
    if options.countdown is Countdown.OFF:
        return hold_start
    hold_end = hold_start + hold.seconds
    place = Place(hold.place.exercise, hold.place.rep, hold.place.side, "countdown")
    free_from = hold_start
    for offset, word in zip((3, 2, 1), COUNTDOWN_WORDS, strict=True):
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
    return lay_out(routine.title, routine.exercises, steps, options, speech_seconds, chime_seconds, speech_timing)
