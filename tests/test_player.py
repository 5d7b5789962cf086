"""The scheduler, with a fake clock and the real sound path (simpleaudio into the capture device)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from coach.common.audio import Clip, load_chime
from coach.inputs.listening.sounding import SpeakingSink
from coach.plan.preview import clock
from coach.plan.routine import load_builtin
from coach.plan.script import CueKind, SessionOptions, Timeline
from coach.plan.selection import select_exercises
from coach.session.prepare import clip_source, plan
from coach.sound.player import ANSWER_HEARD_BACK, NOTICE_BREATH, Command, Player
from coach.sound.speaker import SimpleaudioSink
from coach.voice.voices import Voice, VoiceSettings
from tests.conftest import FakeClock, read_captures, settled_captures, wait_until


@pytest.fixture(scope="module")
def voice(private_speech_cache: Path) -> Voice:
    """eSpeak NG, a real engine that renders at once: here the scheduler and the sound path
    are the subject (Piper's own are test_voice's and test_engines')."""
    return Voice(VoiceSettings("gmw/en-us"))


@pytest.fixture(scope="module")
def short_timeline(voice: Voice) -> Timeline:
    routine = select_exercises(load_builtin(), ["back-extensions"])
    return plan(routine, SessionOptions(reps=2, hold=5), voice, voice.settings)


def test_every_cue_is_played_in_order_and_captured_whole(short_timeline: Timeline, voice: Voice, capture: Path) -> None:
    fake = FakeClock()
    player = Player(short_timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait)
    played = player.run()
    assert [p.cue for p in played] == list(short_timeline.cues)
    expected = [clip_source(voice)(cue).frames for cue in short_timeline.cues]
    captured = settled_captures(capture, expected)
    assert len(captured) == len(expected)
    for index, (got, want) in enumerate(zip(captured, expected, strict=True)):
        assert got == want, f"cue {index} ({short_timeline.cues[index].text!r}) was not played as rendered"
    chime_count = sum(1 for cue in short_timeline.cues if cue.kind is CueKind.CHIME)
    assert sum(1 for data in captured if data == load_chime("hold-end").frames) == 2
    assert chime_count >= 4


@pytest.mark.slow(seconds=1)
def test_deadlines_are_absolute_so_oversleeping_never_adds_up(short_timeline: Timeline, voice: Voice) -> None:
    fake = FakeClock(oversleep=0.004)
    player = Player(short_timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait)
    played = player.run()
    errors = [p.error for p in played[1:]]
    assert max(errors) == pytest.approx(0.004)  # each cue late by one oversleep, never more
    assert played[-1].error == pytest.approx(played[1].error)
    assert fake.now - 1000.0 == pytest.approx(short_timeline.total + 0.004)


def test_a_late_cue_plays_at_once_and_does_not_shift_the_rest(short_timeline: Timeline, voice: Voice) -> None:
    fake = FakeClock()
    fake.stall_at = {5: 2.5}  # the machine stalls for 2.5 s in the 6th wait
    player = Player(short_timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait)
    played = player.run()
    late = [p for p in played if p.error > 1e-9]
    assert late, "the stall made no cue late"
    first_late = late[0]
    assert first_late.error <= 2.5 + 1e-9
    after = played[first_late.index + 1 :]
    recovered = [p for p in after if p.cue.start >= first_late.actual]
    assert recovered and all(p.error == pytest.approx(0.0, abs=1e-9) for p in recovered)


class LaidOutLate:
    """A plan whose cue `late` is published `seconds` after it was asked for, as a cold
    cache's layout is while the first words render."""

    def __init__(self, timeline: Timeline, fake: FakeClock, late: int, seconds: float) -> None:
        self.title, self.total, self.exercises = timeline.title, timeline.total, timeline.exercises
        self._cues, self._fake, self._late, self._seconds = timeline.cues, fake, late, seconds

    @property
    def cues(self) -> LaidOutLate:
        return self

    def __getitem__(self, index: int) -> object:
        if index == self._late and self._seconds:
            self._fake.now += self._seconds
            self._seconds = 0.0
        return self._cues[index]

    def __len__(self) -> int:
        return len(self._cues)

    def published(self, index: int) -> bool:
        return index != self._late or not self._seconds


def test_words_laid_out_late_move_the_whole_plan_instead_of_playing_late(
    short_timeline: Timeline, voice: Voice
) -> None:
    fake = FakeClock()
    plan = LaidOutLate(short_timeline, fake, late=1, seconds=short_timeline.cues[1].start + 0.8)
    player = Player(plan, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait)  # type: ignore[arg-type]
    at: list[float] = []
    played = player.run(on_cue=lambda _played: at.append(fake.now - fake.start))
    assert [p.cue for p in played] == list(short_timeline.cues)
    assert all(p.error == pytest.approx(0.0) for p in played)  # every cue on the moved plan's time
    assert at[1] == pytest.approx(short_timeline.cues[1].start + 0.8)  # waited for, not played late
    for when, cue in zip(at[2:], played[2:], strict=True):  # what follows keeps its spacing
        assert when - at[1] == pytest.approx(cue.cue.start - played[1].cue.start)


def test_the_player_sleeps_between_cues_rather_than_polling(short_timeline: Timeline, voice: Voice) -> None:
    fake = FakeClock()
    Player(short_timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait).run()
    # One wait per cue with an exact clock (and one for the end), not thousands of polls.
    assert len(fake.waits) == len(short_timeline.cues) + 1


def test_interrupt_stops_the_sound_and_keeps_what_was_played(short_timeline: Timeline, voice: Voice) -> None:
    fake = FakeClock()
    calls = 0

    def wait(deadline: float | None) -> Command | None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt
        return fake.wait(deadline)

    stopped = []

    class WatchedSink(SimpleaudioSink):
        def stop(self) -> None:
            stopped.append(True)
            super().stop()

    player = Player(short_timeline, clip_source(voice), WatchedSink(), fake.clock, wait)
    with pytest.raises(KeyboardInterrupt):
        player.run()
    assert stopped == [True]
    assert 1 <= len(player.played) < len(short_timeline.cues)


# --- steering: pause, skip, back, repeat, quit, with the fake clock ----------------------


@pytest.fixture(scope="module")
def two_exercises(voice: Voice) -> Timeline:
    routine = select_exercises(load_builtin(), ["back-extensions", "pelvic-tilts"])
    return plan(routine, SessionOptions(reps=2, hold=6), voice, voice.settings)


def farewell_cues(voice: Voice) -> list:
    from coach.plan.script import Cue, CueKind

    words = "Stopping here. Well done."
    return [
        Cue(0.0, voice.clip(words).seconds, CueKind.SPEECH, words, phase="farewell"),
        Cue(0.0, load_chime("session-end").seconds, CueKind.CHIME, "session-end", phase="farewell"),
    ]


def steer(timeline: Timeline, voice: Voice, press: list, oversleep: float = 0.0) -> tuple[Player, FakeClock]:
    fake = FakeClock(oversleep=oversleep, press=press)
    farewell = lambda: farewell_cues(voice)  # noqa: E731
    player = Player(timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait, farewell)
    player.run()
    return player, fake


def first(timeline: Timeline, **where: object) -> float:
    return next(c.start for c in timeline.cues if all(getattr(c, k) == v for k, v in where.items()))


def test_pause_shifts_everything_and_replays_the_interrupted_hold(two_exercises: Timeline, voice: Voice) -> None:
    hold_words = first(two_exercises, exercise="back-extensions", rep=1, phase="hold")
    paused_at = hold_words + 2.0  # two seconds into the hold
    player, fake = steer(two_exercises, voice, [(paused_at, Command.PAUSE), (paused_at + 100, Command.PAUSE)])
    texts = [(p.cue.exercise, p.cue.rep, p.cue.phase, p.cue.text) for p in player.played]
    hold = ("back-extensions", 1, "hold", next(c.text for c in two_exercises.cues if c.start == hold_words))
    assert texts.count(hold) == 2  # the hold restarts whole, with its words
    assert len(player.played) == len(two_exercises.cues) + 1
    assert all(p.error == pytest.approx(0.0, abs=1e-9) for p in player.played)  # on time after the pause
    # Wall time: the plan, plus the pause, plus the part of the hold heard twice.
    assert fake.now - fake.start == pytest.approx(two_exercises.total + 100 + 2.0)


@pytest.mark.parametrize("paused_first", [True, False], ids=["paused, then ended", "ended"])
def test_paused_or_ended_early_the_session_stays_where_it_stopped(
    two_exercises: Timeline, voice: Voice, paused_first: bool
) -> None:
    """What the panel, the remote and "ended at" show: paused, what is left of the plan does
    not run down; ended early, the pause and the farewell are not counted in."""
    stopped_at = first(two_exercises, exercise="back-extensions", rep=1, phase="hold") + 2.0
    press = [(stopped_at, Command.PAUSE), (stopped_at + 100, Command.QUIT)] if paused_first else []
    fake = FakeClock(press=press or [(stopped_at, Command.QUIT)])
    while_paused: list[float] = []

    def wait(deadline: float | None) -> Command | None:
        command = fake.wait(deadline)
        if player.paused:
            while_paused.append(player.position())
        return command

    player = Player(
        two_exercises, clip_source(voice), SimpleaudioSink(), fake.clock, wait, lambda: farewell_cues(voice)
    )
    player.run()
    assert player.quit and fake.now - fake.start > stopped_at + (100 if paused_first else 0)
    assert while_paused == ([pytest.approx(stopped_at)] if paused_first else [])
    assert player.position() == pytest.approx(stopped_at)


def test_the_panel_says_what_can_be_said_now_and_paused_what_is_left_stays(
    two_exercises: Timeline, voice: Voice
) -> None:
    """Paused by "ouch", the panel shows the coach's answer and tells how to go on or end, and
    the time left waits too."""
    from rich.console import Console

    from coach.session.panel import Listening, render

    stopped_at = first(two_exercises, exercise="back-extensions", rep=1, phase="hold") + 2.0
    fake = FakeClock(press=[(stopped_at, Command.PAIN), (stopped_at + 100, Command.RESUME)])
    shown: dict[bool, str] = {}
    answer = "I have paused. When you are ready, say continue."
    answered: list[tuple[str, float]] = []  # as the live session keeps it: the words, and when

    def answer_pain() -> Clip:
        answered.append((answer, fake.now))
        return voice.clip(answer)

    def wait(deadline: float | None) -> Command | None:
        command = fake.wait(deadline)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(render(player, Listening(), answered[-1] if answered else None))
        text = console.export_text().translate({ord(line): " " for line in "│╭╮╰╯─"})  # the box, not its words
        shown.setdefault(player.paused, " ".join(text.split()))
        return command

    player = Player(two_exercises, clip_source(voice), SimpleaudioSink(), fake.clock, wait, pain_answer=answer_pain)
    player.run()
    assert "Listening say pause, next, back, again, stop the session, stop Session" in shown[False]
    assert f"Said {answer} Listening say continue, stop the session Session" in shown[True]
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(render(player, Listening()))  # the last frame, left on the screen once it has ended
    last = console.export_text()
    assert "Done" in last and "Listening" not in last and "q quit" not in last
    left = clock(two_exercises.total - stopped_at)
    assert f"elapsed {left} left" in shown[True] and "PAUSED" in shown[True]


def test_a_pain_word_pauses_at_once_and_the_coach_says_how_to_go_on(
    two_exercises: Timeline, voice: Voice, capture: Path
) -> None:
    """ "Ouch" mid-hold: the sound stops, the answer is played whole, and nothing more until "go on"."""
    answer = voice.clip("I have paused. Rest as long as you need. When you are ready, say go on.")
    hold_words = first(two_exercises, exercise="back-extensions", rep=1, phase="hold")
    fake = FakeClock(press=[(hold_words + 2.0, Command.PAIN), (hold_words + 60, Command.RESUME)])
    player = Player(
        two_exercises, clip_source(voice), SimpleaudioSink(), fake.clock, fake.wait, pain_answer=lambda: answer
    )
    player.run()
    indexes = [p.index for p in player.played]
    paused = next(n for n in range(1, len(indexes)) if indexes[n] <= indexes[n - 1])  # then the phase again
    expected = [clip_source(voice)(p.cue).frames for p in player.played[:paused]] + [answer.frames]
    # On the fake clock the clips overlap and the pause cuts off those still sounding; what
    # follows them, whole, is the answer, and then the interrupted phase again.
    wait_until(
        lambda: len(read_captures(capture)) > paused and len(read_captures(capture)[paused]) == len(expected[-1])
    )
    assert read_captures(capture)[paused] == answer.frames
    assert [s.command for s in player.steered] == [Command.PAIN]
    # Paused from 2 s into the hold until "go on" at 60 s, then the hold again from its start.
    assert fake.now - fake.start == pytest.approx(two_exercises.total + 60)


class ToldInOrder:
    """The listener's side of SpeakingSink: the words it was told the coach played, and its stops."""

    STOPPED = "(stopped)"

    def __init__(self) -> None:
        self.told: list[str | None] = []
        self.at: list[float] = []  # the clock time of each

    def played(self, at: float, clip: Clip, words: str | None) -> None:
        self.told.append(words)
        self.at.append(at)

    def stopped(self, at: float) -> None:
        self.told.append(self.STOPPED)
        self.at.append(at)


@pytest.mark.parametrize(("go_on_after", "cut_off"), [(1.0, True), (60.0, False)])
def test_go_on_said_over_the_answer_to_a_pain_word_cuts_the_answer_off(
    two_exercises: Timeline, voice: Voice, go_on_after: float, cut_off: bool
) -> None:
    """ "Ouch", then "go on" a second into the answer: left playing, the rest of the answer
    talked over the hold said again, and the listener, never told, held the microphone
    against words no longer sounding. Said after the answer has ended, there is nothing to cut."""
    parts = ["I have paused.", "When you are ready, say go on."]
    answer = voice.joined(parts)
    hold_words = first(two_exercises, exercise="back-extensions", rep=1, phase="hold")
    fake = FakeClock(press=[(hold_words + 2.0, Command.PAIN), (hold_words + 2.0 + go_on_after, Command.RESUME)])
    told = ToldInOrder()
    sink = SpeakingSink(SimpleaudioSink(), told, voice.parts_of, fake.clock)
    player = Player(two_exercises, clip_source(voice), sink, fake.clock, fake.wait, pain_answer=lambda: answer)
    player.run()
    said = told.told.index(parts[0])
    assert told.told[said - 1] == ToldInOrder.STOPPED  # the pain word cut off the hold's words
    assert told.told[said : said + len(parts)] == parts
    after = told.told[said + len(parts)]
    assert (after == ToldInOrder.STOPPED) is cut_off
    assert told.told.count(ToldInOrder.STOPPED) == (2 if cut_off else 1)


def test_a_pain_word_to_a_paused_coach_is_answered_but_not_over_its_answer(
    two_exercises: Timeline, voice: Voice
) -> None:
    """Paused by "wait", then "it hurts": the coach says how to rest, go on or end. Heard again
    within ANSWER_HEARD_BACK of that answer's end (the answer's own "stop" coming back through
    the microphone, or the person saying it twice), it is not said again; later, it is."""
    parts = ["I have paused.", "To end, say stop the session."]
    answer = voice.joined(parts)
    paused_at = first(two_exercises, exercise="back-extensions", rep=1, phase="hold") + 2.0
    first_answer = paused_at + 3.0
    press = [
        (paused_at, Command.HOLD),
        (first_answer, Command.PAIN),
        (first_answer + answer.seconds + ANSWER_HEARD_BACK - 0.5, Command.PAIN),
        (paused_at + 30, Command.PAIN),
        (paused_at + 60, Command.RESUME),
    ]
    fake = FakeClock(press=press)
    told = ToldInOrder()
    sink = SpeakingSink(SimpleaudioSink(), told, voice.parts_of, fake.clock)
    player = Player(two_exercises, clip_source(voice), sink, fake.clock, fake.wait, pain_answer=lambda: answer)
    player.run()
    assert told.told.count(parts[0]) == 2 and told.told.count(parts[1]) == 2
    assert [s.command for s in player.steered] == [Command.HOLD]  # one pause, answered twice
    assert fake.now - fake.start == pytest.approx(two_exercises.total + 60 + 2.0)


ROOM_NOTICE = "I can hear talking in the room. Over it, I may not hear you."


def test_a_notice_waits_for_the_coachs_words_to_end_and_what_follows_waits_for_it(
    two_exercises: Timeline, voice: Voice
) -> None:
    """A television heard switched on mid-sentence: the person is told once the sentence has
    ended, never over it, and the next cue waits for the notice and a breath."""
    notice = voice.clip(ROOM_NOTICE)
    move = next(c for c in two_exercises.cues if c.phase == "move")
    after = next(c for c in two_exercises.cues if c.start > move.start)
    fake = FakeClock(press=[(move.start + 0.3, Command.NOTICE)])
    told = ToldInOrder()
    sink = SpeakingSink(SimpleaudioSink(), told, voice.parts_of, fake.clock)
    player = Player(two_exercises, clip_source(voice), sink, fake.clock, fake.wait, notice=lambda: notice)
    player.run()
    said = told.told.index(ROOM_NOTICE)
    assert told.told[said - 1] == move.text and ToldInOrder.STOPPED not in told.told  # nothing cut off
    assert told.told[said + 1] == after.text and told.told.count(ROOM_NOTICE) == 1
    clip_ends = fake.start + move.start + clip_source(voice)(move).seconds
    assert told.at[said] == pytest.approx(clip_ends)
    assert told.at[said + 1] == pytest.approx(max(fake.start + after.start, clip_ends + notice.seconds + NOTICE_BREATH))
    assert player.steered == []  # not the person's command
    assert all(p.error == pytest.approx(0.0, abs=1e-9) for p in player.played)


def test_a_notice_to_a_paused_coach_is_said_once_it_goes_on(two_exercises: Timeline, voice: Voice) -> None:
    """Paused, the coach says nothing it was not asked: the notice comes after "go on", before
    the interrupted phase is said again; a notice to a coach told to stop is never said."""
    notice = voice.clip(ROOM_NOTICE)
    paused_at = first(two_exercises, exercise="back-extensions", rep=1, phase="hold") + 2.0
    for going_on, said in ((Command.RESUME, 1), (Command.QUIT, 0)):
        press = [(paused_at, Command.HOLD), (paused_at + 5, Command.NOTICE), (paused_at + 30, going_on)]
        fake = FakeClock(press=press)
        told = ToldInOrder()
        sink = SpeakingSink(SimpleaudioSink(), told, voice.parts_of, fake.clock)
        player = Player(two_exercises, clip_source(voice), sink, fake.clock, fake.wait, notice=lambda: notice)
        player.run()
        assert told.told.count(ROOM_NOTICE) == said
        if said:
            at = told.told.index(ROOM_NOTICE)
            assert told.at[at] == pytest.approx(fake.start + paused_at + 30)  # at "go on", not before
            hold = next(c.text for c in two_exercises.cues if c.phase == "hold" and c.exercise == "back-extensions")
            assert hold in told.told[at + 1 :]


def test_next_skips_the_rest_of_the_exercise(two_exercises: Timeline, voice: Voice) -> None:
    rep_two = first(two_exercises, exercise="back-extensions", rep=2, phase="count")
    player, _fake = steer(two_exercises, voice, [(rep_two + 1.0, Command.NEXT)])
    played = [p.cue for p in player.played]
    assert not [c for c in played if c.exercise == "back-extensions" and c.rep == 2 and c.phase == "hold"]
    assert [c.text for c in played if c.phase == "end"] == ["exercise-end"]  # only pelvic tilts' end
    tilts = [c for c in played if c.exercise == "pelvic-tilts"]
    assert tilts == [c for c in two_exercises.cues if c.exercise == "pelvic-tilts"]
    assert played[-1].text == "session-end"


def test_back_restarts_the_exercise_and_q_ends_politely(two_exercises: Timeline, voice: Voice) -> None:
    tilt_rep2 = first(two_exercises, exercise="pelvic-tilts", rep=2, phase="count")
    start_of_tilts = first(two_exercises, exercise="pelvic-tilts")
    press = [(tilt_rep2 + 0.5, Command.BACK), (tilt_rep2 + 0.5 + (tilt_rep2 - start_of_tilts) + 0.5, Command.QUIT)]
    player, _fake = steer(two_exercises, voice, press)
    starts = [p for p in player.played if p.cue.text == "exercise-start" and p.cue.exercise == "pelvic-tilts"]
    assert len(starts) == 2
    assert [p.cue.phase for p in player.played[-2:]] == ["farewell", "farewell"]
    assert player.played[-1].cue.text == "session-end"
    assert [s.command for s in player.steered] == [Command.BACK, Command.QUIT]


def test_repeat_says_the_last_instruction_again_and_waits_for_it(two_exercises: Timeline, voice: Voice) -> None:
    move = next(c for c in two_exercises.cues if c.phase == "move")
    press_at = move.end + 0.2
    player, fake = steer(two_exercises, voice, [(press_at, Command.REPEAT)])
    after = next(p for p in player.played if p.cue.start > move.start)
    assert after.error == pytest.approx(0.0, abs=1e-9)  # on time, measured from the moved origin
    # The next cue waited until the repeated words and a breath were over:
    assert fake.now - fake.start == pytest.approx(
        two_exercises.total + (press_at + move.duration + 0.5 - after.cue.start)
    )


def test_many_pauses_and_skips_keep_every_deadline(two_exercises: Timeline, voice: Voice) -> None:
    press = []
    for n in range(1, 7):  # a 3 s pause every 18 s, then a skip
        press += [(n * 18.0, Command.PAUSE), (n * 18.0 + 3, Command.PAUSE)]
    press.append((115.0, Command.NEXT))
    player, _fake = steer(two_exercises, voice, press, oversleep=0.002)
    errors = [p.error for p in player.played[1:]]
    assert max(errors) == pytest.approx(0.002) and min(errors) >= 0  # never drifting, never early
    assert [s.command for s in player.steered] == [Command.PAUSE] * 6 + [Command.NEXT]
