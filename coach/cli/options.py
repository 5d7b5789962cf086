"""What the commands share: their options, and a request made of them.

`coach`, `coach export` and `coach list` take the same routine and pacing options; each
option is declared once here.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from coach.cli.progress_bar import progress_bar
from coach.common.errors import NoVoiceEngine
from coach.plan.routine import Level, Routine
from coach.plan.script import Countdown, DoneBy, SessionOptions, Timeline
from coach.session.prepare import Request, phrases_to_render, plan, voice_settings
from coach.voice.voices import Voice, VoiceSettings


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


RoutineOption = Annotated[
    Path | None,
    typer.Option("--routine", help="A routine file (TOML) instead of the built-in lower-back routine."),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only", metavar="IDS", help="Just these exercises, in this order: ids, names or numbers, comma-separated."
    ),
]
SkipOption = Annotated[list[str] | None, typer.Option("--skip", metavar="IDS", help="Leave out these exercises.")]
LevelOption = Annotated[
    Level, typer.Option("--level", help="Low, middle or top of each rep and hold range.", case_sensitive=False)
]
RepsOption = Annotated[int | None, typer.Option("--reps", help="Reps for every exercise (per side where sided).")]
HoldOption = Annotated[float | None, typer.Option("--hold", help="Seconds for every hold.")]
RestOption = Annotated[float | None, typer.Option("--rest", help="Seconds of rest between reps.")]
WorkOption = Annotated[float | None, typer.Option("--work", help="Seconds for every timed exercise (per side).")]
RoundsOption = Annotated[int | None, typer.Option("--rounds", help="How many times to go through a circuit.")]
RateOption = Annotated[int, typer.Option("--rate", help="Speaking rate in words per minute.")]
VoiceOption = Annotated[
    str | None,
    typer.Option("--voice", help="A Piper voice name or .onnx model path, an eSpeak NG voice, or a language."),
]
VolumeOption = Annotated[float, typer.Option("--volume", help="Speech volume, more than 0 up to 1.")]
CountdownOption = Annotated[
    Countdown,
    typer.Option("--countdown", help="Count down the end of long holds: voice, tick or off.", case_sensitive=False),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Dry-run output.", case_sensitive=False)]


def make_request(
    routine: Path | None,
    only: list[str] | None,
    skip: list[str] | None,
    level: Level,
    reps: int | None,
    hold: float | None,
    rest: float | None,
    countdown: Countdown,
    voice: str | None,
    rate: int,
    volume: float,
    work: float | None = None,
    rounds: int | None = None,
    done_by: DoneBy = DoneBy.KEY,
) -> Request:
    options = SessionOptions(
        level=level, reps=reps, hold=hold, rest=rest, countdown=countdown, work=work, rounds=rounds, done_by=done_by
    )
    return Request(routine, tuple(only or ()), tuple(skip or ()), options, voice, rate, volume)


def voice_or_none(settings: VoiceSettings) -> Voice | None:
    try:
        return Voice(settings)
    except NoVoiceEngine:
        return None


def clearer_voice_hint(voice: Voice, asked_for: str | None) -> str | None:
    """Where the routine's language fell back to eSpeak NG, the command that adds a Piper voice."""
    if asked_for is not None or voice.voice.neural:
        return None
    from coach.plan.phrases import base_language
    from coach.voice.catalogue import SUGGESTED
    from coach.voice.engines import engine

    if engine("piper") is None:
        return "a clearer voice: pip install 'coach[piper]'"

    suggestion = SUGGESTED.get(base_language(voice.settings.language))
    if suggestion is None:
        return "a clearer voice: `coach voices --available` lists Piper's"
    return f"a clearer voice: `coach voices add {suggestion}`"


def plan_with_progress(
    routine: Routine, request: Request, voice: Voice | None, load_clips: bool = True
) -> tuple[Timeline, str | None]:
    settings = voice_settings(request, routine)
    if voice is None:
        return plan(routine, request.options, None, settings), None
    label = voice.label
    hint = clearer_voice_hint(voice, request.voice)
    if hint:
        label += f"; {hint}"
    if len(phrases_to_render(voice, routine, request.options)) < 20:
        return plan(routine, request.options, voice, settings, load_clips=load_clips), label
    with progress_bar("Preparing the voice") as report:
        return plan(routine, request.options, voice, settings, report, load_clips), label
