"""The script engine: what is said, in what order, and when. Pure, so tested directly.

Speech lengths here come from `words_seconds`, a plain function of the text: the
engine takes lengths as input, and the real voice's lengths are tested in test_voice.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from coach.common.audio import chime_seconds
from coach.common.errors import OptionError
from coach.plan.phrases import ENGLISH_PHRASES
from coach.plan.routine import Level, load_builtin, parse_routine
from coach.plan.script import (
    CHIMES,
    Countdown,
    CueKind,
    SessionOptions,
    Timeline,
    build_timeline,
    spoken_phrases,
)
from coach.plan.selection import select_exercises

CHIME_SECONDS = chime_seconds(CHIMES)


def words_seconds(text: str) -> float:
    return 0.3 + 0.35 * len(text.split())


def plan(options: SessionOptions | None = None, only: tuple[str, ...] = ()) -> Timeline:
    routine = select_exercises(load_builtin(), only)
    return build_timeline(routine, options or SessionOptions(), words_seconds, CHIME_SECONDS)


def speech(timeline: Timeline) -> list[str]:
    return [cue.text for cue in timeline.cues if cue.kind is CueKind.SPEECH]


def test_same_input_same_timeline() -> None:
    assert plan() == plan()


def test_cues_are_immutable_and_in_time_order() -> None:
    timeline = plan()
    with pytest.raises(dataclasses.FrozenInstanceError):
        timeline.cues[0].start = 5  # type: ignore[misc]
    starts = [cue.start for cue in timeline.cues]
    assert starts == sorted(starts)
    assert timeline.cues[-1].end <= timeline.total


def test_speech_never_overlaps_speech() -> None:
    for countdown in Countdown:
        spoken = [cue for cue in plan(SessionOptions(countdown=countdown)).cues if cue.kind is CueKind.SPEECH]
        for before, after in itertools.pairwise(spoken):
            assert after.start >= before.end - 1e-9, (before, after)


def test_session_opens_with_the_seed_advice_and_chimes_mark_the_beats() -> None:
    timeline = plan()
    assert timeline.cues[0].kind is CueKind.CHIME and timeline.cues[0].text == "session-start"
    assert timeline.cues[-1].text == "session-end"
    opening = " ".join(speech(timeline)[:3])
    assert "Go easy" in opening and "without feeling discomfort or pain" in opening
    chimes = [cue.text for cue in timeline.cues if cue.kind is CueKind.CHIME]
    assert chimes.count("exercise-start") == chimes.count("exercise-end") == 4
    holds = sum(1 for cue in timeline.cues if cue.phase == "hold" and cue.kind is CueKind.SPEECH)
    assert chimes.count("hold-end") == holds


def test_reps_are_counted_and_sides_alternate_for_knee_rolls() -> None:
    timeline = plan(SessionOptions(level=Level.GENTLE), only=("knee-rolls",))
    counts = [cue.text for cue in timeline.cues if cue.phase == "count"]
    assert counts[:4] == [
        "Number 1 out of 8, to the left.",
        "Number 1 out of 8, to the right.",
        "Number 2 out of 8, to the left.",
        "Number 2 out of 8, to the right.",
    ]
    assert len(counts) == 16
    moves = [cue for cue in timeline.cues if cue.phase == "move"]
    assert [cue.side for cue in moves[:2]] == ["left", "right"]
    assert "to the left" in moves[0].text and "to the right" in moves[1].text
    assert "Next: Knee rolls, 8 on each side." not in speech(timeline)  # it is the first
    assert "First: Knee rolls, 8 on each side." in speech(timeline)


@pytest.mark.parametrize(
    ("language", "first", "second", "position"),
    [
        ("en", "Number 1 out of 8, to the left.", "Number 1 out of 8, to the right.", "Lie on your left side."),
        ("de", "Wiederholung 1 von 8, nach links.", "Wiederholung 1 von 8, nach rechts.", None),
        ("es", "Repetición 1 de 8, hacia la izquierda.", "Repetición 1 de 8, hacia la derecha.", None),
        ("fr", "Répétition 1 sur 8, vers la gauche.", "Répétition 1 sur 8, vers la droite.", None),
    ],
)
def test_the_rep_cue_names_the_direction_never_a_body_position(
    language: str, first: str, second: str, position: str | None
) -> None:
    """Knee rolls on your back: "on your left side" would tell you to turn over. A position,
    where an exercise needs one, is in its own words with {side}."""
    routine = load_builtin()
    knee = routine.exercises[1]
    lie = dataclasses.replace(knee.phases[0], say="Lie on your {side} side.")
    knee = dataclasses.replace(knee, phases=(lie, *knee.phases[1:]))
    timeline = build_timeline(
        dataclasses.replace(routine, language=language, exercises=(knee,)),
        SessionOptions(level=Level.GENTLE),
        words_seconds,
        CHIME_SECONDS,
    )
    counts = [cue.text for cue in timeline.cues if cue.phase == "count"]
    assert counts[:2] == [first, second]
    assert not any("side" in count or "Seite" in count or "lado" in count or "côté" in count for count in counts)
    if position is not None:
        assert next(cue.text for cue in timeline.cues if cue.phase == "move") == position


def test_one_second_is_said_in_the_singular() -> None:
    text = (
        'title = "One"\nrest_between_exercises = 1\n'
        '[[exercises]]\nid = "a"\nname = "Plank"\nseconds = 1\nsides = "each"\n'
        '[[exercises]]\nid = "b"\nname = "Hold"\nseconds = 1\n'
    )
    timeline = build_timeline(parse_routine(text, source="one.toml"), SessionOptions(), words_seconds, CHIME_SECONDS)
    said = speech(timeline)
    assert "Rest for 1 second." in said and "First: Plank, 1 second on each side." in said
    assert "Next: Hold, 1 second." in said and not any("1 seconds" in line for line in said)


def test_each_side_in_turn_switches_once() -> None:
    routine = load_builtin()
    knee = dataclasses.replace(routine.exercises[1], sides=type(routine.exercises[1].sides)("each"))
    timeline = build_timeline(
        dataclasses.replace(routine, exercises=(knee,)), SessionOptions(reps=2), words_seconds, CHIME_SECONDS
    )
    counts = [cue.text for cue in timeline.cues if cue.phase == "count"]
    assert counts == [
        "Number 1 out of 2, to the left.",
        "Number 2 out of 2, to the left.",
        "Number 1 out of 2, to the right.",
        "Number 2 out of 2, to the right.",
    ]
    assert speech(timeline).count("Switch sides.") == 1


@pytest.mark.parametrize(("level", "reps"), [(Level.GENTLE, 10), (Level.STANDARD, 12), (Level.FULL, 15)])
def test_level_picks_from_the_rep_range(level: Level, reps: int) -> None:
    timeline = plan(SessionOptions(level=level), only=("pelvic-tilts",))
    assert timeline.exercises[0].reps == reps
    assert speech(timeline).count(f"Number {reps} out of {reps}.") == 1


def test_hold_lasts_as_asked_after_its_words() -> None:
    for hold in (3.0, 8.0):
        timeline = plan(SessionOptions(hold=hold, countdown=Countdown.OFF), only=("back-extensions",))
        cues = timeline.cues
        for index, cue in enumerate(cues):
            if cue.phase == "hold" and cue.kind is CueKind.SPEECH:
                chime = cues[index + 1]
                assert chime.text == "hold-end"
                assert chime.start - cue.end == pytest.approx(hold)
                assert f"for {hold:g} seconds" in cue.text


def test_back_extension_hold_follows_the_level() -> None:
    gentle = plan(SessionOptions(level=Level.GENTLE), only=("back-extensions",))
    full = plan(SessionOptions(level=Level.FULL), only=("back-extensions",))
    assert "Breathe in, and hold your breath for 5 seconds." in speech(gentle)
    assert "Breathe in, and hold your breath for 10 seconds." in speech(full)


def test_countdown_voice_tick_and_off() -> None:
    voiced = plan(SessionOptions(countdown=Countdown.VOICE), only=("back-extensions",))
    counted = [cue for cue in voiced.cues if cue.phase == "countdown"]
    assert [cue.text for cue in counted[:3]] == list(ENGLISH_PHRASES.countdown)
    hold_end = next(cue for cue in voiced.cues if cue.text == "hold-end")
    assert [round(hold_end.start - cue.start, 6) for cue in counted[:3]] == [3, 2, 1]
    ticked = plan(SessionOptions(countdown=Countdown.TICK), only=("back-extensions",))
    assert {cue.text for cue in ticked.cues if cue.phase == "countdown"} == {"tick"}
    silent = plan(SessionOptions(countdown=Countdown.OFF), only=("back-extensions",))
    assert not [cue for cue in silent.cues if cue.phase == "countdown"]
    # The countdown lives inside the hold: the session is no longer for it.
    assert voiced.total == silent.total == ticked.total


def test_short_holds_are_not_counted_down() -> None:
    timeline = plan(SessionOptions(hold=4), only=("bottoms-to-heels",))
    assert not [cue for cue in timeline.cues if cue.phase == "countdown"]


def test_rest_changes_the_gap_between_reps_but_not_after_the_last() -> None:
    short = plan(SessionOptions(rest=0, reps=3), only=("pelvic-tilts",))
    long = plan(SessionOptions(rest=10, reps=3), only=("pelvic-tilts",))
    assert long.total - short.total == pytest.approx(20)  # two rests: none after rep 3


def test_every_phrase_to_render_is_listed() -> None:
    options = SessionOptions()
    listed = set(spoken_phrases(load_builtin(), options))
    assert set(speech(plan(options))) <= listed


def test_cue_places_name_exercise_rep_side_and_phase() -> None:
    timeline = plan(SessionOptions(reps=2), only=("knee-rolls",))
    hold = next(cue for cue in timeline.cues if cue.phase == "hold")
    assert (hold.exercise, hold.rep, hold.side) == ("knee-rolls", 1, "left")
    span = timeline.exercises[0]
    assert span.start == min(cue.start for cue in timeline.cues if cue.exercise == "knee-rolls")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reps": 0}, "--reps must be between 1 and 100"),
        ({"reps": 101}, "--reps"),
        ({"hold": 0}, "--hold must be between 1 and 120"),
        ({"rest": -1}, "--rest must be between 0 and 120"),
    ],
)
def test_impossible_numbers_are_refused(options: dict, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        SessionOptions(**options)
