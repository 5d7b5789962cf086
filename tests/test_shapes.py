"""Routines of every shape: timed work, self-paced reps, sets, rests, circuits, and the
coach's words in the routine's language. The loader, the pure engine, a property test
over random routines, and the example routines spoken end to end."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import sys
import time
from pathlib import Path

import pexpect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from coach.cli.main import app
from coach.common.audio import Clip, load_chime
from coach.common.errors import RoutineError
from coach.plan.phrases import BUILT_IN, ENGLISH, GERMAN, PLACEHOLDERS, Phrases
from coach.plan.routine import Pace, Sides, Span, load_routine, parse_routine
from coach.plan.script import (
    COUNTDOWN_MIN_HOLD,
    Await,
    Countdown,
    Cue,
    CueKind,
    DoneBy,
    Ring,
    Say,
    SessionOptions,
    Silence,
    Timeline,
    build_timeline,
    compose,
)
from coach.record.history import History
from coach.session.prepare import clip_source, plan
from coach.sound.player import NOTICE_BREATH, PAUSED, PLAYING, WAITING, Command, Played, Player
from coach.sound.speaker import SimpleaudioSink
from coach.voice.voices import Voice, VoiceSettings
from tests.conftest import ALSA_CAPTURE_CONF, FakeClock, read_captures, wait_until
from tests.test_live import run_on_a_fake_clock

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
runner = CliRunner()

TIMED = """title = "Timed"
rest_between_exercises = 6

[[exercises]]
id = "plank"
name = "Plank"
seconds = [10, 30]
sides = "each"
sets = 2
rest_between_sets = 8

[[exercises]]
id = "squats"
name = "Squats"
reps = 5
pace = "self"
seconds_per_rep = 2
"""


@pytest.fixture(scope="module")
def voice(private_speech_cache: Path) -> Voice:
    """eSpeak NG, a real engine that renders at once: here the scheduler and the sound path
    are the subject (Piper's own are test_voice's and test_engines')."""
    return Voice(VoiceSettings("gmw/en-us"))


def fake_seconds(text: str) -> float:
    """Speech lengths for the pure engine: a fixed rate, so every time is known exactly."""
    return round(0.05 * len(text), 6)


CHIME_SECONDS = dict.fromkeys(
    ("session-start", "exercise-start", "hold-end", "tick", "exercise-end", "session-end", "work-start", "work-end"),
    0.5,
)


def timeline_of(text: str, options: SessionOptions | None = None) -> Timeline:
    routine = parse_routine(text, source="test.toml")
    return build_timeline(routine, options or SessionOptions(), fake_seconds, CHIME_SECONDS)


# --- the loader --------------------------------------------------------------------------


def test_new_keys_load_into_the_routine() -> None:
    routine = parse_routine(TIMED, source="t.toml")
    plank, squats = routine.exercises
    assert plank.seconds == Span(10, 30) and plank.reps is None and plank.timed
    assert (plank.sets, plank.rest_between_sets, plank.sides) == (2, Span(8, 8), Sides.EACH)
    assert (squats.pace, squats.seconds_per_rep, squats.phases) == (Pace.SELF, 2.0, ())
    assert routine.rest_between_exercises == Span(6, 6)
    assert (routine.rounds, routine.rest_between_rounds) == (1, Span(0, 0))


@pytest.mark.parametrize(
    ("change", "line", "field", "message"),
    [
        (("seconds = [10, 30]", "seconds = 0"), 7, "exercises[0].seconds", "at least 1"),
        (("seconds = [10, 30]", 'seconds = "long"'), 7, "exercises[0].seconds", "a number or a range"),
        (("seconds = [10, 30]", "seconds = [30, 10]"), 7, "exercises[0].seconds", "range goes down"),
        (("seconds = [10, 30]", "seconds = 10\nreps = 3"), 7, "exercises[0].seconds", "reps or seconds, not both"),
        (('sides = "each"', 'sides = "alternate"'), 8, "exercises[0].sides", '"none" or "each"'),
        (("sets = 2", "sets = 0"), 9, "exercises[0].sets", "between 1 and 20"),
        (("sets = 2", "sets = 2.5"), 9, "exercises[0].sets", "whole number"),
        (("rest_between_sets = 8", "rest_between_sets = -1"), 10, "exercises[0].rest_between_sets", "at least 0"),
        (("rest_between_sets = 8", "rest_between_sets = 9000"), 10, "exercises[0].rest_between_sets", "at most"),
        (('pace = "self"', 'pace = "fast"'), 16, "exercises[1].pace", "must be one of: guided, self"),
        (("seconds_per_rep = 2", "seconds_per_rep = 0"), 17, "exercises[1].seconds_per_rep", "between 1 and 60"),
        (('pace = "self"\n', ""), 16, "exercises[1].seconds_per_rep", 'pace = "self"'),
        (("rest_between_exercises = 6", "rest_between_exercises = true"), 2, "rest_between_exercises", "a number"),
        (("rest_between_exercises = 6", "rounds = 0"), 2, "rounds", "between 1 and 20"),
        (("rest_between_exercises = 6", "rounds = 3\nrest_between_round = 5"), 3, "rest_between_round", "unknown key"),
        (("sets = 2", "sets = 2\nrest_afterwards = 1"), 10, "exercises[0].rest_afterwards", "unknown key"),
        (("sets = 2", 'sets = 2\npace = "self"'), 10, "exercises[0].pace", "timed exercise"),
    ],
)
def test_mistakes_in_new_keys_name_the_line_and_field(
    change: tuple[str, str], line: int, field: str, message: str
) -> None:
    with pytest.raises(RoutineError) as caught:
        parse_routine(TIMED.replace(*change), source="t.toml")
    assert (caught.value.line, caught.value.field) == (line, field)
    assert message in str(caught.value)


def test_phases_belong_to_guided_reps_only() -> None:
    with_phases = TIMED.replace('pace = "self"\nseconds_per_rep = 2\n', "") + (
        '[[exercises.phases]]\nkind = "move"\nsay = "Up."\nseconds = 1\n'
    )
    assert parse_routine(with_phases, source="t.toml").exercises[1].phases  # guided reps: fine
    timed_with_phases = TIMED.replace(
        "rest_between_sets = 8\n", 'rest_between_sets = 8\n[[exercises.phases]]\nkind = "move"\nseconds = 1\n'
    )
    with pytest.raises(RoutineError, match=r"exercises\[0\].phases: a timed exercise has no phases"):
        parse_routine(timed_with_phases, source="t.toml")
    with pytest.raises(RoutineError, match=r"exercises\[1\]: missing required key 'phases'"):
        parse_routine(TIMED.replace('pace = "self"\nseconds_per_rep = 2\n', ""), source="t.toml")


@pytest.mark.parametrize(
    ("table", "line", "field", "message"),
    [
        ('[phrases]\ngo = "Begin {name}."', 5, "phrases.go", "unknown placeholder {name} (this phrase can use: none)"),
        ('[phrases]\nrep = "Rep {number} of {count}."', 5, "phrases.rep", "can use: {number}, {total}"),
        ('[phrases]\nhello = "Hi."', 5, "phrases.hello", "unknown key (known keys: checkin_after"),
        ('[phrases]\ngo = ""', 5, "phrases.go", "not empty"),
        ('[phrases]\ngo = "Go {."', 5, "phrases.go", "unmatched brace"),
        ("[phrases]\ngo = 3", 5, "phrases.go", "text in quotes"),
    ],
)
def test_phrase_overrides_are_checked_with_their_line(table: str, line: int, field: str, message: str) -> None:
    text = 'title = "P"\nlanguage = "en"\n\n' + table + '\n\n[[exercises]]\nid = "a"\nname = "A"\nseconds = 5\n'
    with pytest.raises(RoutineError) as caught:
        parse_routine(text, source="p.toml")
    assert (caught.value.line, caught.value.field) == (line, field), str(caught.value)
    assert message in str(caught.value)


def test_every_built_in_table_has_every_phrase_with_only_its_placeholders() -> None:
    for language, table in BUILT_IN.items():
        assert set(table) == set(PLACEHOLDERS), language
        for key, text in table.items():
            used = set(re.findall(r"\{(\w+)\}", text))
            assert used <= PLACEHOLDERS[key], (language, key)
            assert used == set(re.findall(r"\{(\w+)\}", ENGLISH[key])), (language, key)  # nothing dropped


# --- the engine --------------------------------------------------------------------------


def test_a_timed_exercise_with_sides_and_sets_has_exactly_these_cues() -> None:
    timeline = timeline_of(TIMED, SessionOptions(countdown=Countdown.VOICE, settle=2))
    plank = [(c.start, c.kind.value, c.text, c.side, c.set) for c in timeline.cues if c.exercise == "plank"]
    said = [text for _s, kind, text, _side, _set in plank if kind == "speech"]
    assert said == [
        "Exercise 1 out of 2: Plank.",
        "Set 1 out of 2.",
        "Now the left side.", "Ready, go.", "three", "two", "one", "Stop there.",
        "Switch sides.", "Now the right side.", "Ready, go.", "three", "two", "one", "Stop there.",
        "Rest for 8 seconds.", "three", "two", "one",
        "Set 2 out of 2.",
        "Now the left side.", "Ready, go.", "three", "two", "one", "Stop there.",
        "Switch sides.", "Now the right side.", "Ready, go.", "three", "two", "one", "Stop there.",
    ]  # fmt: skip
    # "Ready, go.", its chime, then exactly the standard level's 20 s of work before "Stop there."
    go = next(i for i, c in enumerate(plank) if c[2] == "Ready, go.")
    start_chime, stop = plank[go + 1], plank[go + 5]
    assert start_chime[1:3] == ("chime", "work-start")
    assert stop[2] == "Stop there." and stop[0] == pytest.approx(start_chime[0] + 0.5 + 20)
    assert plank[go + 2][0] == pytest.approx(stop[0] - 3)  # "three" three seconds before the end
    assert [c[4] for c in plank if c[2] == "Set 2 out of 2."] == [2]


def test_self_paced_reps_wait_their_allowance_and_rests_come_between_exercises() -> None:
    timeline = timeline_of(TIMED)
    cues = timeline.cues
    wait = next(c for c in cues if c.kind is CueKind.WAIT)
    assert (wait.duration, wait.exercise, wait.phase) == (10.0, "squats", "own-pace")  # 5 reps x 2 s
    assert "10 s without a keyboard" in wait.text
    before = cues[cues.index(wait) - 1]
    assert before.text == "5 times, at your own pace. Press space when you are done."
    assert before.end == pytest.approx(wait.start - 0.6)
    after = cues[cues.index(wait) + 1]
    assert (after.text, after.start) == ("hold-end", pytest.approx(wait.end))
    rest = next(c for c in cues if c.text == "Rest for 6 seconds.")
    following = [c.text for c in cues[cues.index(rest) :]][:5]
    assert following == ["Rest for 6 seconds.", "three", "two", "one", "Next: Squats, 5 times."]
    assert not any(c.text.startswith("Rest") for c in cues if c.start > wait.start)  # none after the last


def test_a_self_paced_set_says_how_it_is_ended() -> None:
    """ "Press space" to someone steering by voice, or listening to an export, asks for a
    key they cannot reach: the words follow how the session is steered."""

    def said(text: str, done_by: DoneBy) -> str:
        cues = timeline_of(text, SessionOptions(done_by=done_by)).cues
        return next(c.text for c in cues if c.phase == "own-pace" and c.kind is CueKind.SPEECH)

    assert {done_by: said(TIMED, done_by) for done_by in DoneBy} == {
        DoneBy.KEY: "5 times, at your own pace. Press space when you are done.",
        DoneBy.VOICE: "5 times, at your own pace. When you have finished, say done.",
        DoneBy.TIME: "5 times, at your own pace. You have 10 seconds.",
    }
    # The saying asked for is the first the listener knows, in the routine's language and words.
    german = 'language = "de"\n' + TIMED
    assert said(german, DoneBy.VOICE) == "5 Mal, in Ihrem eigenen Tempo. Wenn Sie fertig sind, sagen Sie fertig."
    own = TIMED + '[phrases]\nheard_done = "all done | finished"\n'
    assert said(own, DoneBy.VOICE).endswith("say all done.")
    one = TIMED.replace("reps = 5", "reps = 1").replace("seconds_per_rep = 2", "seconds_per_rep = 1")
    assert said(one, DoneBy.TIME) == "Once, at your own pace. You have 1 second."


def test_the_dry_run_says_what_a_session_started_the_same_way_would(tmp_path: Path) -> None:
    routine = tmp_path / "squats.toml"
    routine.write_text(TIMED)
    preview = ["--dry-run", "--routine", str(routine), "--voice", "gmw/en-us", "--only", "squats"]
    listening = runner.invoke(app, [*preview, "--listen"])
    assert "5 times, at your own pace. When you have finished, say done." in listening.stdout, listening.output
    piped = runner.invoke(app, preview)  # no terminal to press a key in: the allowance, said
    assert "5 times, at your own pace. You have 10 seconds." in piped.stdout, piped.output


def test_rounds_repeat_the_circuit_with_its_rest_and_option_overrides() -> None:
    circuit = TIMED.replace("rest_between_exercises = 6", "rounds = 2\nrest_between_rounds = 30")
    timeline = timeline_of(circuit, SessionOptions(work=5))
    said = [c.text for c in timeline.cues if c.kind is CueKind.SPEECH and c.phase in ("round", "next", "break")]
    assert said == [
        "Round 1 out of 2.", "First: Plank, 5 seconds on each side, 2 sets.", "Next: Squats, 5 times.",
        "Rest for 30 seconds.",
        "Round 2 out of 2.", "Next: Plank, 5 seconds on each side, 2 sets.", "Next: Squats, 5 times.",
    ]  # fmt: skip
    assert [(s.round, s.id) for s in timeline.exercises] == [(1, "plank"), (1, "squats"), (2, "plank"), (2, "squats")]
    assert all(c.round in (1, 2) for c in timeline.cues if c.exercise is not None)
    once = timeline_of(circuit, SessionOptions(rounds=1))
    assert not any(c.phase == "round" for c in once.cues) and len(once.exercises) == 2


def test_a_german_routine_hears_no_english_word_from_the_coach() -> None:
    routine = load_routine(EXAMPLES / "rueckenuebungen.toml")
    options = SessionOptions(countdown=Countdown.VOICE)
    spoken = [step.text for step in compose(routine, options) if isinstance(step, Say)]
    english_only = _words(ENGLISH.values()) - _words(GERMAN.values())
    heard = _words([*spoken, *Phrases.for_language("de").countdown])
    assert not heard & english_only, heard & english_only
    assert "Wiederholung 1 von 7, nach links." in spoken and "Als Nächstes: Becken kippen, 8 Mal, 2 Sätze." in spoken
    assert Phrases.for_language("de", dict(routine.phrases)).say("farewell") == (
        "Wir hören hier auf. Das haben Sie gut gemacht."
    )


def _words(texts: object) -> set[str]:
    return {word.lower() for text in texts for word in re.findall(r"[^\W\d_]+", str(text))}  # type: ignore[attr-defined]


# --- the property: any valid routine ------------------------------------------------------

seconds = st.integers(min_value=1, max_value=12).map(float)


@st.composite
def routines(draw: st.DrawFn) -> str:
    lines = ['title = "Random"']
    lines.append(f'language = "{draw(st.sampled_from(["en", "de", "es", "fr", "it"]))}"')
    if draw(st.booleans()):
        lines.append(f"rounds = {draw(st.integers(1, 3))}")
        lines.append(f"rest_between_rounds = {draw(seconds)}")
    if draw(st.booleans()):
        lines.append(f"rest_between_exercises = {draw(st.integers(0, 8))}")
    for number in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["timed", "self", "guided"]))
        sides = draw(st.sampled_from(["none", "each"] if shape == "timed" else ["none", "each", "alternate"]))
        lines += ["", "[[exercises]]", f'id = "e{number}"', f'name = "Exercise {number}"', f'sides = "{sides}"']
        lines.append(f"sets = {draw(st.integers(1, 3))}")
        if draw(st.booleans()):
            lines.append(f"rest_between_sets = {draw(st.integers(0, 9))}")
        if draw(st.booleans()):
            lines.append(f"rest_after = {draw(st.integers(0, 9))}")
        if shape == "timed":
            lines.append(f"seconds = {draw(st.integers(1, 20))}")
            continue
        lines.append(f"reps = {draw(st.integers(1, 4))}")
        if shape == "self":
            lines += ['pace = "self"', f"seconds_per_rep = {draw(st.integers(1, 5))}"]
            continue
        for kind in draw(st.lists(st.sampled_from(["move", "hold", "return", "rest"]), min_size=1, max_size=3)):
            say = "Hold {seconds} seconds on the {side} side." if sides != "none" else "Now {seconds}."
            lines += ["[[exercises.phases]]", f'kind = "{kind}"', f'say = "{say}"', f"seconds = {draw(seconds)}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(routines(), st.sampled_from(["voice", "tick", "off"]))
def test_any_routine_adds_up_never_overlaps_and_leaves_no_placeholder(text: str, countdown: str) -> None:
    routine = parse_routine(text, source="random.toml")
    options = SessionOptions(countdown=Countdown(countdown))
    timeline = build_timeline(routine, options, fake_seconds, CHIME_SECONDS)
    # The total is the sum of the parts, each counted once (a countdown lies inside its silence).
    steps = compose(routine, options)
    parts = 0.0
    for index, step in enumerate(steps):
        following = steps[index + 1] if index + 1 < len(steps) else None
        if isinstance(step, Say):
            parts += fake_seconds(step.text) + (0 if isinstance(following, Silence) else options.gap)
        elif isinstance(step, Ring):
            parts += CHIME_SECONDS[step.sound]
        elif isinstance(step, Silence | Await):
            parts += step.seconds
    assert timeline.total == pytest.approx(parts, abs=1e-5 * len(steps))
    # No cue starts before the one before it has ended.
    ordered: list[Cue] = sorted(timeline.cues, key=lambda cue: cue.start)
    for earlier, later in itertools.pairwise(ordered):
        assert later.start >= earlier.end - 2e-6, (earlier, later)
    assert timeline.cues[-1].end <= timeline.total + 1e-6
    for cue in timeline.cues:
        assert "{" not in cue.text and "}" not in cue.text, cue.text
    counted = [s for s in steps if isinstance(s, Silence) and s.countdown and s.seconds >= COUNTDOWN_MIN_HOLD]
    countdown_cues = [c for c in timeline.cues if (c.phase or "").endswith("countdown")]
    assert len(countdown_cues) == (0 if countdown == "off" else 3 * len(counted))


# --- the examples: written, checked, previewed and spoken ------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.toml")), ids=lambda path: path.stem)
def test_each_example_validates_and_lists(example: Path) -> None:
    checked = runner.invoke(app, ["validate", str(example)])
    assert checked.exit_code == 0 and ": OK: " in checked.stdout, checked.output
    listed = runner.invoke(app, ["list", "--routine", str(example)])
    assert listed.exit_code == 0, listed.output
    routine = load_routine(example)
    for exercise in routine.exercises:
        assert exercise.id in listed.stdout


def test_list_shows_rounds_sets_times_and_pace() -> None:
    circuit = runner.invoke(app, ["list", "--routine", str(EXAMPLES / "core-circuit.toml")]).stdout
    assert "A circuit, 2 rounds; per round:" in circuit
    assert "20 s on each side" in circuit and "30 s" in circuit
    strength = runner.invoke(app, ["list", "--routine", str(EXAMPLES / "strength-sets.toml")]).stdout
    assert "3 sets of 10 reps, at your own pace" in strength and "2 sets of 12 reps" in strength


@pytest.mark.parametrize(
    ("example", "short"),
    [
        # eSpeak NG, the routine language's voice here: the shapes are the subject, and Piper
        # took ~25 CPU-s of the test command rendering them (bench_intelligibility.py
        # --coach-words measures how Piper says the examples).
        ("core-circuit", ["--work", "5", "--rounds", "2", "--voice", "gmw/en-us"]),
        ("strength-sets", ["--reps", "1", "--hold", "1", "--voice", "gmw/en-us"]),
        ("physio-sheet", ["--reps", "1", "--work", "5", "--hold", "1", "--voice", "gmw/en-us"]),
        ("rueckenuebungen", ["--reps", "1", "--work", "5", "--hold", "1"]),
    ],
)
def test_each_example_is_spoken_end_to_end(
    example: str, short: list[str], capture: Path, tmp_path: Path, private_history: Path
) -> None:
    """Through the real voice, simpleaudio, the capture device and the history, on a fake clock."""
    plan, _printed = run_on_a_fake_clock(
        ["--routine", str(EXAMPLES / f"{example}.toml"), *short], capture, tmp_path, private_history
    )
    assert plan["cues"][-1]["text"] == "session-end"
    session = History(private_history).sessions()[0]
    assert session.status == "finished"
    routine = load_routine(EXAMPLES / f"{example}.toml")
    for exercise in routine.exercises:  # every set of every exercise was done
        assert session.sets_done.get(exercise.id) == exercise.sets * (plan_rounds(plan)), (exercise.id, session)
        if exercise.reps is not None:
            assert session.reps_done[exercise.id] == exercise.sets * plan_rounds(plan)  # --reps 1


def plan_rounds(plan: dict[str, object]) -> int:
    rounds = {exercise["round"] for exercise in plan["exercises"]}  # type: ignore[attr-defined, index]
    return max([1, *(r for r in rounds if r is not None)])


CORE_CIRCUIT_PACED = ["--work", "5", "--voice", "gmw/en-us"]  # eSpeak NG: the plan's shape is the subject


def test_a_dry_run_json_says_where_each_cue_belongs() -> None:
    result = runner.invoke(
        app, ["--dry-run", "--format", "json", "--routine", str(EXAMPLES / "core-circuit.toml"), *CORE_CIRCUIT_PACED]
    )
    data = json.loads(result.stdout)
    assert {e["round"] for e in data["exercises"]} == {1, 2}
    assert {e["seconds"] for e in data["exercises"] if e["id"] == "dead-bug"} == {5}
    assert any(c["round"] == 2 and c["phase"] == "work" for c in data["cues"])


# --- self-paced reps, live ---------------------------------------------------------------

SELF_PACED = """title = "Own pace"
intro = "Ready."

[[exercises]]
id = "squats"
name = "Squats"
reps = 2
pace = "self"
seconds_per_rep = 1
"""


def test_the_player_stays_on_a_wait_until_done_then_goes_on_from_there(voice: Voice, capture: Path) -> None:
    routine = parse_routine(SELF_PACED, source="own.toml")
    timeline = plan(routine, SessionOptions(settle=1), voice, voice.settings)
    wait = next(cue for cue in timeline.cues if cue.kind is CueKind.WAIT)
    done_at = wait.start + 30  # far past the 2 s allowed without a keyboard
    fake = FakeClock(press=[(done_at, Command.PAUSE)])  # space
    player = Player(timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait, await_listener=True)
    played = player.run()
    after = played[[p.cue for p in played].index(wait) + 1]
    assert after.cue.text == "hold-end" and after.error == pytest.approx(0)
    assert player.origin - fake.start == pytest.approx(done_at - wait.end)  # the plan goes on from "done"
    assert [s.command for s in player.steered] == [Command.DONE]
    assert fake.now - fake.start == pytest.approx(timeline.total + done_at - wait.end)
    assert len(read_captures(capture)) == len([c for c in timeline.cues if c.kind is not CueKind.WAIT])


def test_a_notice_on_a_self_paced_set_is_said_at_once_and_done_waits_for_it(voice: Voice) -> None:
    """The set is silent, so a notice (a television heard switched on) is said as it comes; "done"
    said over it ends the set, and what follows waits for the notice and a breath."""
    routine = parse_routine(SELF_PACED, source="own.toml")
    timeline = plan(routine, SessionOptions(settle=1), voice, voice.settings)
    wait = next(cue for cue in timeline.cues if cue.kind is CueKind.WAIT)
    notice = voice.clip("I can hear talking in the room.")
    noticed_at = wait.start + 10
    fake = FakeClock(press=[(noticed_at, Command.NOTICE), (noticed_at + 0.5, Command.DONE)])
    told: list[float] = []

    def notice_told() -> Clip:
        told.append(fake.now - fake.start)
        return notice

    player = Player(
        timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait, await_listener=True,
        notice=notice_told,
    )  # fmt: skip
    played = player.run()
    assert told == [pytest.approx(noticed_at)]
    after = played[[p.cue for p in played].index(wait) + 1]
    assert after.clock - fake.start == pytest.approx(noticed_at + notice.seconds + NOTICE_BREATH)
    assert [s.command for s in player.steered] == [Command.DONE]


def test_the_player_says_what_it_acts_on_as_that_changes(voice: Voice) -> None:
    """Playing, "resume" and "done" mean nothing; paused, only going on, ending or a pain word; on a self-paced
    set, "done" ends it. The session narrows what the listener listens for to these."""
    routine = parse_routine(SELF_PACED, source="own.toml")
    timeline = plan(routine, SessionOptions(settle=1), voice, voice.settings)
    wait = next(cue for cue in timeline.cues if cue.kind is CueKind.WAIT)
    fake = FakeClock(
        press=[(0.5, Command.HOLD), (5.0, Command.DONE), (10.0, Command.RESUME), (wait.start + 60, Command.DONE)]
    )
    told: list[tuple[float, frozenset[Command]]] = []
    player = Player(
        timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait, await_listener=True,
        on_meaningful=lambda meaningful: told.append((fake.now - fake.start, meaningful)),
    )  # fmt: skip
    player.run()
    assert [meaningful for _, meaningful in told] == [PLAYING, PAUSED, PLAYING, WAITING, PLAYING]
    assert [at for at, _ in told][:3] == [0.0, 0.5, 10.0]  # "done" at 5 s, paused, was as if unsaid
    assert Command.RESUME not in PLAYING and Command.DONE in WAITING and {
        Command.PAUSE, Command.RESUME, Command.QUIT, Command.PAIN
    } == PAUSED  # fmt: skip


@pytest.mark.slow(seconds=25)
def test_self_paced_reps_in_a_terminal_wait_for_a_key_and_are_recorded(
    tmp_path: Path, capture: Path, private_history: Path, voice: Voice
) -> None:
    routine = tmp_path / "own.toml"
    routine.write_text(SELF_PACED)
    log = tmp_path / "timing.jsonl"
    env = dict(os.environ, ALSA_CONFIG_PATH=str(ALSA_CAPTURE_CONF), COACH_AUDIO_CAPTURE=str(capture))
    command = shlex.join(
        [sys.executable, "-m", "coach", "--routine", str(routine), "--voice", "gmw/en-us", "--timing-log", str(log)]
    )
    child = pexpect.spawn(
        "/bin/bash", ["-c", f"{command}; echo EXIT=$?"], env=env, encoding="utf-8", timeout=60, dimensions=(30, 100)
    )
    wait_until(lambda: log.exists() and '"kind": "wait"' in log.read_text())
    chime = load_chime("hold-end").frames
    time.sleep(2.5)  # past the 2 s a keyboardless run allows: a terminal session keeps waiting
    assert chime not in read_captures(capture), "the wait ended without the listener"
    child.send(" ")
    wait_until(lambda: chime in read_captures(capture))
    child.expect("EXIT=0")
    session = History(private_history).sessions()[0]
    assert (session.status, session.reps_done, session.sets_done) == ("finished", {"squats": 2}, {"squats": 1})


CIRCUIT = """title = "Circuit"
rounds = 2

[[exercises]]
id = "march"
name = "March"
seconds = 6

[[exercises]]
id = "reach"
name = "Reach"
seconds = 6
"""


def test_in_a_circuit_next_and_back_stay_in_the_round(voice: Voice, capture: Path) -> None:
    routine = parse_routine(CIRCUIT, source="circuit.toml")
    timeline = plan(routine, SessionOptions(settle=1), voice, voice.settings)
    cues = timeline.cues
    first_work = next(c for c in cues if c.phase == "work" and c.round == 1)
    second_round_work = next(c for c in cues if c.phase == "work" and c.round == 2)
    reach = next(c for c in cues if c.exercise == "reach" and c.round == 1 and c.phase == "start")
    skipped = reach.start - (first_work.start + 1)  # n moves the session this far ahead
    fake = FakeClock(
        press=[(first_work.start + 1, Command.NEXT), (second_round_work.start + 1 - skipped, Command.BACK)]
    )
    player = Player(timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait)
    player.run()
    landed = [cues[s.resumed_at_index] for s in player.steered if s.resumed_at_index is not None]
    # n in round 1's march goes to round 1's reach; b in round 2 restarts round 2's march, not round 1's.
    assert [(c.round, c.exercise, c.phase) for c in landed] == [(1, "reach", "start"), (2, "march", "start")]


def test_the_export_keeps_the_dry_runs_time_with_self_paced_waits_silent(tmp_path: Path) -> None:
    import soundfile

    from coach.session.export import sample_at

    args = ["--routine", str(EXAMPLES / "strength-sets.toml"), "--reps", "1", "--only", "squats"]
    args += ["--voice", "gmw/en-us"]  # the file's timing is the subject
    out, srt = tmp_path / "strength.wav", tmp_path / "strength.srt"
    exported = runner.invoke(app, ["export", str(out), "--subtitles", str(srt), *args])
    assert exported.exit_code == 0, exported.output
    dry = json.loads(runner.invoke(app, ["--dry-run", "--format", "json", *args]).stdout)
    waits = [cue for cue in dry["cues"] if cue["kind"] == "wait"]
    assert [w["duration"] for w in waits] == [4.0, 4.0, 4.0]  # 3 sets x 1 rep x 4 s
    samples, _rate = soundfile.read(out, dtype="int16")
    assert len(samples) == sample_at(dry["total_seconds"])
    for wait in waits:  # nothing sounds while the listener works
        inside = samples[sample_at(wait["start"]) + 1 : sample_at(wait["start"] + wait["duration"]) - 1]
        assert not inside.any()
    assert "until you say you are done" not in srt.read_text()  # not spoken, so not a subtitle


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--work", "0"], "--work must be between 1 and 3600 seconds (got 0)"),
        (["--rounds", "0"], "--rounds must be between 1 and 20 (got 0)"),
        (["--rounds", "21"], "--rounds must be between 1 and 20 (got 21)"),
    ],
)
def test_impossible_work_or_rounds_are_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["--dry-run", "--routine", str(EXAMPLES / "core-circuit.toml"), *args])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"coach: error: {message}"


def test_a_pause_in_a_rests_countdown_replays_the_whole_rest(voice: Voice, capture: Path) -> None:
    routine = parse_routine(CIRCUIT.replace("rounds = 2", "rest_between_exercises = 6"), source="rest.toml")
    timeline = plan(routine, SessionOptions(settle=1), voice, voice.settings)
    cues = timeline.cues
    two = next(c for c in cues if c.phase == "break-countdown" and c.text == "two")
    fake = FakeClock(press=[(two.start + 0.2, Command.PAUSE), (two.start + 5, Command.PAUSE)])
    player = Player(timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait)
    played = [p.cue for p in player.run()]
    resumed = cues[player.steered[0].resumed_at_index or 0]
    assert (resumed.text, resumed.phase) == ("Rest for 6 seconds.", "break")  # not just "one"
    assert played.count(resumed) == 2


def test_the_remote_names_the_round_and_gives_each_rounds_exercise_its_own_track(voice: Voice, capture: Path) -> None:
    from coach.session.live import remote_state

    routine = parse_routine(CIRCUIT, source="circuit.toml")
    timeline = plan(routine, SessionOptions(settle=1), voice, voice.settings)
    fake = FakeClock()
    player = Player(timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait)
    seen: dict[tuple[int | None, str | None], tuple[int, str]] = {}

    def on_cue(played: Played) -> None:
        if played.cue.phase == "work":
            state = remote_state(timeline, player)
            seen.setdefault((played.cue.round, played.cue.exercise), (state.track, state.title))

    player.run(on_cue)
    assert seen == {
        (1, "march"): (1, "Round 1: March"),
        (1, "reach"): (2, "Round 1: Reach"),
        (2, "march"): (3, "Round 2: March"),
        (2, "reach"): (4, "Round 2: Reach"),
    }


def test_only_and_skip_choose_within_each_round() -> None:
    circuit = str(EXAMPLES / "core-circuit.toml")
    dry_run = ["--dry-run", "--format", "json", "--routine", circuit, "--voice", "gmw/en-us"]  # the choice matters
    only = json.loads(runner.invoke(app, [*dry_run, "--only", "3,1"]).stdout)
    assert [(e["round"], e["id"]) for e in only["exercises"]] == [
        (1, "bird-dog"), (1, "dead-bug"), (2, "bird-dog"), (2, "dead-bug"),
    ]  # fmt: skip
    skip = json.loads(runner.invoke(app, [*dry_run, "--skip", "side-plank"]).stdout)
    assert [(e["round"], e["id"]) for e in skip["exercises"]] == [
        (1, "dead-bug"), (1, "bird-dog"), (2, "dead-bug"), (2, "bird-dog"),
    ]  # fmt: skip


def test_an_exported_circuit_has_a_chapter_per_round_and_exercise(tmp_path: Path) -> None:
    from mutagen.flac import FLAC

    out = tmp_path / "circuit.flac"
    args = ["--routine", str(EXAMPLES / "core-circuit.toml"), "--work", "3", "--only", "1,3", "--voice", "gmw/en-us"]
    result = runner.invoke(app, ["export", str(out), *args])
    assert result.exit_code == 0, result.output
    tags = FLAC(out)
    names = [tags[f"CHAPTER{n:03d}NAME"][0] for n in range(1, 5)]
    assert names == ["Round 1: Dead bug", "Round 1: Bird dog", "Round 2: Dead bug", "Round 2: Bird dog"]
    assert tags["comment"] == ["1. Dead bug (3 s); 2. Bird dog (3 s)"]
