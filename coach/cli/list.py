"""`coach list`: the routine's exercises, numbered, with their dose and time."""

from __future__ import annotations

import typer

from coach.cli.options import (
    HoldOption,
    LevelOption,
    RepsOption,
    RestOption,
    RoundsOption,
    RoutineOption,
    WorkOption,
    make_request,
)
from coach.plan import preview
from coach.plan.routine import Level
from coach.plan.script import Countdown
from coach.session.prepare import cached_plan, load_request_routine, voice_settings
from coach.voice.voices import DEFAULT_RATE


def list_exercises(
    routine: RoutineOption = None,
    level: LevelOption = Level.STANDARD,
    reps: RepsOption = None,
    hold: HoldOption = None,
    rest: RestOption = None,
    work: WorkOption = None,
    rounds: RoundsOption = None,
) -> None:
    """Show the routine's exercises: number, id, name, reps and estimated time."""
    request = make_request(
        routine, None, None, level, reps, hold, rest, Countdown.VOICE, None, DEFAULT_RATE, 1.0, work, rounds
    )
    loaded = load_request_routine(request)
    timeline, measured = cached_plan(loaded, request.options, voice_settings(request, loaded))
    typer.echo(f"{timeline.title} ({loaded.source})")
    circuit_rounds = max((span.round or 1 for span in timeline.exercises), default=1)
    if circuit_rounds > 1:
        typer.echo(f"A circuit, {circuit_rounds} rounds; per round:")
    for span in timeline.exercises:
        if (span.round or 1) > 1:
            continue  # every round is the same: the first one stands for them
        minutes = preview.clock(span.end - span.start)
        about = "" if measured else "~"
        typer.echo(f"{span.number:>3}  {span.id:<20} {span.name:<28} {preview.amount_text(span):<40} {about}{minutes}")
    if measured:  # every phrase's clip is in the cache: the time the dry-run and the session keep
        typer.echo(f"Total {preview.clock(timeline.total)}")
    else:
        typer.echo(f"Total ~{preview.clock(timeline.total)} (estimated; `coach --dry-run` times it with the voice)")
