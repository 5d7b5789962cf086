"""The scheduler, with a fake clock and the real sound path (simpleaudio into the capture device)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.audio import load_chime
from coach.player import Player
from coach.routine import load_builtin
from coach.script import CueKind, SessionOptions, Timeline
from coach.selection import select_exercises
from coach.session import clip_source, plan
from coach.speaker import SimpleaudioSink
from coach.voice import Voice
from tests.conftest import read_captures


class FakeClock:
    """Time that moves only when slept through, by the sleep asked plus `oversleep`."""

    def __init__(self, oversleep: float = 0.0) -> None:
        self.now = 1000.0
        self.oversleep = oversleep
        self.sleeps: list[float] = []
        self.stall_at: dict[int, float] = {}  # sleep number -> extra seconds lost there

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds + self.oversleep + self.stall_at.get(len(self.sleeps), 0.0)
        self.sleeps.append(seconds)


@pytest.fixture(scope="module")
def short_timeline(voice: Voice) -> Timeline:
    routine = select_exercises(load_builtin(), ["back-extensions"])
    return plan(routine, SessionOptions(reps=2, hold=5), voice, voice.settings)


def test_every_cue_is_played_in_order_and_captured_whole(short_timeline: Timeline, voice: Voice, capture: Path) -> None:
    fake = FakeClock()
    player = Player(short_timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.sleep)
    played = player.run()
    assert [p.cue for p in played] == list(short_timeline.cues)
    captured = read_captures(capture)
    expected = [clip_source(voice)(cue).frames for cue in short_timeline.cues]
    assert len(captured) == len(expected)
    for index, (got, want) in enumerate(zip(captured, expected, strict=True)):
        assert got == want, f"cue {index} ({short_timeline.cues[index].text!r}) was not played as rendered"
    chime_count = sum(1 for cue in short_timeline.cues if cue.kind is CueKind.CHIME)
    assert sum(1 for data in captured if data == load_chime("hold-end").frames) == 2
    assert chime_count >= 4


def test_deadlines_are_absolute_so_oversleeping_never_adds_up(short_timeline: Timeline, voice: Voice) -> None:
    fake = FakeClock(oversleep=0.004)
    player = Player(short_timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.sleep)
    played = player.run()
    errors = [p.error for p in played[1:]]
    assert max(errors) == pytest.approx(0.004)  # each cue late by one oversleep, never more
    assert played[-1].error == pytest.approx(played[1].error)
    assert fake.now - 1000.0 == pytest.approx(short_timeline.total + 0.004)


def test_a_late_cue_plays_at_once_and_does_not_shift_the_rest(short_timeline: Timeline, voice: Voice) -> None:
    fake = FakeClock()
    fake.stall_at = {5: 2.5}  # the machine stalls for 2.5 s during the 6th wait
    player = Player(short_timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.sleep)
    played = player.run()
    late = [p for p in played if p.error > 1e-9]
    assert late, "the stall made no cue late"
    first_late = late[0]
    assert first_late.error <= 2.5 + 1e-9
    after = played[first_late.index + 1 :]
    recovered = [p for p in after if p.cue.start >= first_late.actual]
    assert recovered and all(p.error == pytest.approx(0.0, abs=1e-9) for p in recovered)


def test_the_player_sleeps_between_cues_rather_than_polling(short_timeline: Timeline, voice: Voice) -> None:
    fake = FakeClock()
    Player(short_timeline, clip_source(voice), SimpleaudioSink(), fake.clock, fake.sleep).run()
    # One sleep per wait with an exact clock: as many sleeps as gaps, not thousands of polls.
    assert len(fake.sleeps) <= len(short_timeline.cues) + 1


def test_interrupt_stops_the_sound_and_keeps_what_was_played(short_timeline: Timeline, voice: Voice) -> None:
    fake = FakeClock()
    calls = 0

    def sleep(seconds: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt
        fake.sleep(seconds)

    stopped = []

    class WatchedSink(SimpleaudioSink):
        def stop(self) -> None:
            stopped.append(True)
            super().stop()

    player = Player(short_timeline, clip_source(voice), WatchedSink(), fake.clock, sleep)
    with pytest.raises(KeyboardInterrupt):
        player.run()
    assert stopped == [True]
    assert 1 <= len(player.played) < len(short_timeline.cues)
