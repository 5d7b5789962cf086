"""Export: the session as one audio file, checked sample by sample, and its subtitles."""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.oggvorbis import OggVorbis
from typer.testing import CliRunner

from coach.cli.main import app
from coach.common.audio import RATE
from coach.plan.routine import parse_routine
from coach.plan.script import SessionOptions, Timeline
from coach.session.export import export_audio, sample_at
from coach.session.prepare import clip_source, plan
from coach.voice.voices import Voice, VoiceSettings

runner = CliRunner()


@pytest.fixture(scope="module")
def voice(private_speech_cache: Path) -> Voice:
    """eSpeak NG, a real engine that renders at once: here the scheduler and the sound path
    are the subject (Piper's own are test_voice's and test_engines')."""
    return Voice(VoiceSettings("gmw/en-us"))


# Two exercises (two chapters), holds long enough to be ticked, one of them sided: a
# minute and a half of sound, where two of the built-in exercises made four, each encoded
# and decoded.
ROUTINE = """
title = "Export test"

[[exercises]]
id = "back-extensions"
name = "Back extensions"
reps = 2

[[exercises.phases]]
kind = "hold"
say = "Lift, and hold."
seconds = 5

[[exercises]]
id = "knee-rolls"
name = "Knee rolls"
reps = 2
sides = "each"

[[exercises.phases]]
kind = "hold"
say = "Roll, and hold."
seconds = 5
"""


@pytest.fixture(scope="module")
def timeline(voice: Voice) -> Timeline:
    routine = parse_routine(ROUTINE, source="export-test.toml")
    return plan(routine, SessionOptions(countdown="tick"), voice, voice.settings)


def read_wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as source:
        assert (source.getnchannels(), source.getsampwidth(), source.getframerate()) == (1, 2, RATE)
        return np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")


def test_wav_is_the_timeline_to_the_sample(timeline: Timeline, voice: Voice, tmp_path: Path) -> None:
    out = tmp_path / "session.wav"
    export_audio(timeline, clip_source(voice), out)
    samples = read_wav_samples(out)
    assert len(samples) == sample_at(timeline.total)
    covered = np.zeros(len(samples), dtype=bool)
    clip_for = clip_source(voice)
    for cue in timeline.cues:
        clip = np.frombuffer(clip_for(cue).frames, dtype="<i2")
        start = sample_at(cue.start)
        placed = samples[start : start + len(clip)]
        # Speech never meets speech, and this plan puts no chime over a word either, so
        # every clip, spoken or chimed, stands alone at its start sample.
        assert np.array_equal(placed, clip), f"{cue.kind.value} {cue.text!r} not found whole at sample {start}"
        covered[start : start + len(clip)] = True
    assert not np.any(samples[~covered]), "sound where the timeline has silence"
    ticks = sum(1 for cue in timeline.cues if cue.text == "tick")
    holds = sum(1 for cue in timeline.cues if cue.text == "hold-end")
    assert ticks == 3 * holds == 3 * (2 + 2 * 2)  # back extensions: 2 holds; knee rolls: 2 per rep


def test_mp3_decodes_to_the_same_length_with_title_comment_and_chapters(
    timeline: Timeline, voice: Voice, tmp_path: Path
) -> None:
    out = tmp_path / "session.mp3"
    export_audio(timeline, clip_source(voice), out, comment="1. Back extensions; 2. Knee rolls")
    decoded, rate = soundfile.read(out, dtype="int16")
    assert rate == RATE
    assert abs(len(decoded) - sample_at(timeline.total)) <= 1152  # one MPEG frame
    tags = ID3(out)
    assert str(tags["TIT2"]) == timeline.title
    assert "Knee rolls" in str(tags.getall("COMM")[0])
    chapters = sorted(tags.getall("CHAP"), key=lambda chap: chap.start_time)
    assert [str(chap.sub_frames["TIT2"]) for chap in chapters] == ["Back extensions", "Knee rolls"]
    assert chapters[1].start_time == round(timeline.exercises[1].start * 1000)


@pytest.mark.parametrize(("suffix", "reader"), [(".flac", FLAC), (".ogg", OggVorbis)])
def test_flac_and_ogg_carry_chapters(
    suffix: str, reader: type, timeline: Timeline, voice: Voice, tmp_path: Path
) -> None:
    out = tmp_path / f"session{suffix}"
    export_audio(timeline, clip_source(voice), out)
    decoded, _rate = soundfile.read(out, dtype="int16")
    if suffix == ".flac":  # lossless: the very samples of the WAV
        wav = tmp_path / "session.wav"
        export_audio(timeline, clip_source(voice), wav)
        assert np.array_equal(decoded, read_wav_samples(wav))
    else:
        assert abs(len(decoded) - sample_at(timeline.total)) <= 1152
    tags = reader(out)
    assert tags["title"] == [timeline.title]
    assert tags["CHAPTER002NAME"] == ["Knee rolls"]


def test_a_failed_export_leaves_no_file_and_keeps_the_old_one(timeline: Timeline, voice: Voice, tmp_path: Path) -> None:
    out = tmp_path / "session.wav"
    out.write_bytes(b"the user's own file")

    def interrupt(done: int, total: int) -> None:
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_audio(timeline, clip_source(voice), out, force=True, progress=interrupt)
    assert out.read_bytes() == b"the user's own file"
    assert [p.name for p in tmp_path.iterdir()] == ["session.wav"]


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    entries = []
    pattern = r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n(.+)"
    for block in text.strip().split("\n\n"):
        match = re.fullmatch(pattern, block)
        assert match, block
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(g) for g in match.groups()[1:9])
        entries.append((h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000, match[10]))
    return entries


@pytest.mark.slow(seconds=5)
def test_cli_export_mp3_with_subtitles_matches_the_dry_run(tmp_path: Path) -> None:
    """The issue's acceptance run: export knee-rolls and pelvic-tilts with SRT subtitles (one
    rep each, eSpeak NG: the file is the subject, and Piper took ~14 CPU-s to render it)."""
    selection = ["--only", "knee-rolls,pelvic-tilts", "--reps", "1", "--voice", "gmw/en-us"]
    out, srt = tmp_path / "back.mp3", tmp_path / "back.srt"
    result = runner.invoke(app, ["export", str(out), "--subtitles", str(srt), *selection])
    assert result.exit_code == 0, result.output
    dry = json.loads(runner.invoke(app, ["--dry-run", "--format", "json", *selection]).stdout)
    decoded, _rate = soundfile.read(out, dtype="int16")
    assert abs(len(decoded) - sample_at(dry["total_seconds"])) <= 1152
    spoken = [cue for cue in dry["cues"] if cue["kind"] == "speech"]
    entries = parse_srt(srt.read_text())
    assert [text for _s, _e, text in entries] == [cue["text"] for cue in spoken]
    for (start, end, _text), cue in zip(entries, spoken, strict=True):
        # Subtitles keep whole milliseconds: half of one either way, and a hair for float error.
        assert start == pytest.approx(cue["start"], abs=0.0005 + 1e-9)
        assert end == pytest.approx(cue["start"] + cue["duration"], abs=0.0005 + 1e-9)
    assert [str(chap.sub_frames["TIT2"]) for chap in ID3(out).getall("CHAP")] == ["Knee rolls", "Pelvic tilts"]


def test_cli_vtt_subtitles(tmp_path: Path) -> None:
    vtt = tmp_path / "s.vtt"
    selection = ["--only", "1", "--reps", "1", "--voice", "gmw/en-us"]  # eSpeak NG: renders at once
    result = runner.invoke(app, ["export", str(tmp_path / "s.wav"), "--subtitles", str(vtt), *selection])
    assert result.exit_code == 0, result.output
    text = vtt.read_text()
    assert text.startswith("WEBVTT\n\n1\n00:00:01.200 --> ")
    assert "Do not sit back on your heels if you have knee problems." in text


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d: ["export", str(d / "out.aiff")], "unknown audio format '.aiff'"),
        (lambda d: ["export", str(d / "missing" / "out.wav")], "does not exist"),
        (lambda d: ["export", str(d / "folder.wav")], "is a folder"),
        (lambda d: ["export", str(d / "o.wav"), "--subtitles", str(d / "s.txt")], "must end in .srt or .vtt"),
        (lambda d: ["export", str(d / "existing.wav")], "already exists; add --force"),
        (lambda d: ["export", str(d / "o.wav"), "--subtitles", str(d / "existing.srt")], "already exists"),
    ],
)
def test_bad_export_targets_are_one_line_and_touch_nothing(make_args, message: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "existing.wav").write_bytes(b"mine")
    (tmp_path / "existing.srt").write_text("mine")
    (tmp_path / "folder.wav").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, [*make_args(tmp_path), "--only", "1"])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "existing.wav").read_bytes() == b"mine"


def test_force_replaces_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "existing.wav"
    out.write_bytes(b"mine")
    result = runner.invoke(app, ["export", str(out), "--force", "--only", "1", "--reps", "1", "--voice", "gmw/en-us"])
    assert result.exit_code == 0, result.output
    assert len(read_wav_samples(out)) > RATE * 30


def test_overlapping_clips_are_summed_and_clipped() -> None:
    from coach.common.audio import Clip
    from coach.session.export import mixed_blocks

    loud = Clip(np.full(4, 30000, dtype="<i2").tobytes())
    soft = Clip(np.full(4, 1000, dtype="<i2").tobytes())
    data = b"".join(mixed_blocks([(0, soft), (2, soft), (4, loud), (6, loud)], total=12, block=5))
    mixed = np.frombuffer(data, dtype="<i2")
    assert mixed.tolist() == [1000, 1000, 2000, 2000, 31000, 31000, 32767, 32767, 30000, 30000, 0, 0]
