"""`coach export`: the session as one audio file, and its words as subtitles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coach.cli.options import (
    CountdownOption,
    HoldOption,
    LevelOption,
    OnlyOption,
    RateOption,
    RepsOption,
    RestOption,
    RoundsOption,
    RoutineOption,
    SkipOption,
    VoiceOption,
    VolumeOption,
    WorkOption,
    make_request,
    plan_with_progress,
)
from coach.cli.progress_bar import progress_bar
from coach.common.paths import write_atomically
from coach.plan import preview
from coach.plan.routine import Level
from coach.plan.script import Countdown, DoneBy
from coach.session.prepare import clip_source, load_request_routine, voice_settings
from coach.voice.voices import DEFAULT_RATE, Voice


def export(
    out: Annotated[Path, typer.Argument(help="The audio file to write: .wav, .mp3, .ogg or .flac.")],
    subtitles: Annotated[
        Path | None, typer.Option("--subtitles", help="Also write the spoken words as .srt or .vtt subtitles.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files that already exist.")] = False,
    routine: RoutineOption = None,
    only: OnlyOption = None,
    skip: SkipOption = None,
    level: LevelOption = Level.STANDARD,
    reps: RepsOption = None,
    hold: HoldOption = None,
    rest: RestOption = None,
    work: WorkOption = None,
    rounds: RoundsOption = None,
    countdown: CountdownOption = Countdown.VOICE,
    voice: VoiceOption = None,
    rate: RateOption = DEFAULT_RATE,
    volume: VolumeOption = 1.0,
) -> None:
    """Write the session as one audio file (and subtitles), exactly as `coach` would play it."""
    from coach.session.export import audio_format, check_writable, exercises_comment, export_audio
    from coach.session.subtitles import render_subtitles, subtitle_format

    request = make_request(
        routine, only, skip, level, reps, hold, rest, countdown, voice, rate, volume, work, rounds, DoneBy.TIME
    )
    audio_format(out)
    check_writable(out, force)
    subtitle_suffix = None
    if subtitles is not None:
        subtitle_suffix = subtitle_format(subtitles)
        check_writable(subtitles, force, "--subtitles")
    loaded = load_request_routine(request)
    speaker = Voice(voice_settings(request, loaded))  # export needs the real voice
    timeline, _label = plan_with_progress(loaded, request, speaker)
    with progress_bar("Exporting") as report:
        samples = export_audio(
            timeline, clip_source(speaker), out, force=force, comment=exercises_comment(timeline), progress=report
        )
    if subtitles is not None and subtitle_suffix is not None:
        write_atomically(subtitles, render_subtitles(timeline, subtitle_suffix).encode("utf-8"))
    typer.echo(
        f"{out}: {preview.clock(samples / 22050)}, {len(timeline.exercises)} exercises, {len(timeline.cues)} cues"
    )
    if subtitles is not None:
        typer.echo(f"{subtitles}: {sum(1 for c in timeline.cues if c.kind.value == 'speech')} subtitles")
