"""The voice in front of the engines: its clip cache and measured timelines (eSpeak NG here; both in test_engines)."""

from __future__ import annotations

import wave
from array import array
from pathlib import Path

import pytest

from coach.common.audio import RATE, read_wav
from coach.common.errors import OptionError
from coach.plan.routine import load_builtin
from coach.plan.script import CueKind, SessionOptions
from coach.plan.selection import select_exercises
from coach.session.prepare import plan
from coach.voice.voices import Voice, VoiceSettings, estimate_seconds


@pytest.fixture(scope="module")
def voice(private_speech_cache: Path) -> Voice:
    """eSpeak NG, which the estimate is modelled on and which renders at once."""
    return Voice(VoiceSettings("gmw/en-us"))


def loudness(frames: bytes) -> float:
    samples = array("h", frames)
    return (sum(s * s for s in samples) / max(len(samples), 1)) ** 0.5


def test_a_phrase_becomes_a_wav_of_speech(voice: Voice) -> None:
    clip = voice.clip("Number 3 out of 10, on your left side.")
    with wave.open(str(voice.clip_path("Number 3 out of 10, on your left side.")), "rb") as written:
        assert (written.getnchannels(), written.getsampwidth(), written.getframerate()) == (1, 2, RATE)
    assert 0.8 < clip.seconds < 4
    assert loudness(clip.frames) > 300  # speech, not silence
    assert loudness(clip.frames[-int(0.05 * RATE) * 2 :]) < 50  # ends in eSpeak's own closing pause


def test_the_cache_is_used_and_keyed_by_voice_settings(voice: Voice, tmp_path: Path) -> None:
    text = "Keep your hips on the ground."
    voice.clip(text)
    path = voice.clip_path(text)
    stamp = path.stat().st_mtime_ns
    again = voice.clip(text)
    assert path.stat().st_mtime_ns == stamp  # read back, not rendered again
    assert again == read_wav(path)
    slower = Voice(VoiceSettings(voice.settings.voice, rate=100), cache_dir=voice.cache_dir)
    assert slower.clip_path(text) != path
    assert slower.clip(text).seconds > again.seconds * 1.3


def test_many_phrases_in_a_row_all_come_out_whole(tmp_path: Path) -> None:
    """eSpeak NG's busy thread used to make pyttsx3 cancel the next phrase: empty clips."""
    voice = Voice(VoiceSettings(voice="gmw/en"), cache_dir=tmp_path)
    texts = [f"Number {n} out of 20, on your {'left' if n % 2 else 'right'} side." for n in range(1, 21)]
    clips = voice.render_all(texts)
    assert len(clips) == 20
    for text, clip in clips.items():
        assert clip.seconds > 0.8, text
        assert loudness(clip.frames[-int(0.05 * RATE) * 2 :]) < 50, text


def test_voice_by_language_or_name() -> None:
    assert Voice(VoiceSettings(voice="gmw/en-us")).voice.id == "gmw/en-us"
    assert Voice(VoiceSettings(language="de")).voice.language.startswith("de")
    assert Voice(VoiceSettings(voice="English (America)")).voice.id == "gmw/en-us"


def test_measured_timeline_uses_the_clip_lengths(voice: Voice) -> None:
    routine = select_exercises(load_builtin(), ["pelvic-tilts"])
    options = SessionOptions(reps=2)
    timeline = plan(routine, options, voice, voice.settings)
    assert timeline.speech_timing == "measured"
    for cue in timeline.cues:
        if cue.kind is CueKind.SPEECH:
            assert cue.duration == pytest.approx(read_wav(voice.clip_path(cue.text)).seconds, abs=1e-6)
    estimated = plan(routine, options, None, voice.settings)
    assert estimated.speech_timing == "estimated"
    # The estimate stands in for the voice: within a quarter of the measured length.
    assert estimated.total == pytest.approx(timeline.total, rel=0.25)


def test_estimate_grows_with_words_and_shrinks_with_rate() -> None:
    assert estimate_seconds("one two three four", 160) > estimate_seconds("one two", 160)
    assert estimate_seconds("one two three four", 200) < estimate_seconds("one two three four", 120)


@pytest.mark.parametrize(("field", "value"), [("rate", 20), ("rate", 1000), ("volume", 0.0), ("volume", 1.5)])
def test_impossible_voice_numbers_are_refused(field: str, value: float) -> None:
    with pytest.raises(OptionError, match=f"--{field}"):
        VoiceSettings(**{field: value})  # type: ignore[arg-type]
