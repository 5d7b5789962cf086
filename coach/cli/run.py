"""`coach` (and `coach run`): the session, live or as a dry-run."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coach.cli.options import (
    CountdownOption,
    FormatOption,
    HoldOption,
    LevelOption,
    OnlyOption,
    OutputFormat,
    RateOption,
    RepsOption,
    RestOption,
    RoundsOption,
    RoutineOption,
    SkipOption,
    VoiceOption,
    VolumeOption,
    WorkOption,
    clearer_voice_hint,
    make_request,
    plan_with_progress,
    voice_or_none,
)
from coach.plan import preview
from coach.plan.routine import Level
from coach.plan.script import Countdown, DoneBy
from coach.session.prepare import Request, load_request_routine, phrases_to_render, plan, unfolding_plan, voice_settings
from coach.voice.voices import DEFAULT_RATE, Voice

if TYPE_CHECKING:
    from coach.sound.player import Plan


def _print_version(value: bool) -> None:
    if value:
        from coach.cli.version import version_line

        typer.echo(version_line())
        raise typer.Exit()


def run(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and the extras installed."
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the timeline instead of playing it.")] = False,
    output_format: FormatOption = OutputFormat.TEXT,
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
    timing_log: Annotated[
        Path | None, typer.Option("--timing-log", help="Write each cue's planned and actual start as JSON lines.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No panel and no cue lines while the session runs.")] = False,
    checkin: Annotated[
        bool,
        typer.Option("--checkin", help="Ask for your pain, 0 to 10, before and after (a key, or aloud with --listen)."),
    ] = False,
    no_remote: Annotated[
        bool, typer.Option("--no-remote", help="Do not offer steering by earbuds, media keys or playerctl (MPRIS).")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Say more, e.g. why there is no remote control.")] = False,
    listen: Annotated[
        bool,
        typer.Option(
            "--listen",
            help="Obey spoken commands: pause, go on, next, back, again, done, stop the session; "
            '"ouch" or "it hurts" pauses at once (offline).',
        ),
    ] = False,
) -> None:
    """Run the routine (the same as `coach run`)."""
    if ctx.invoked_subcommand is not None:
        return
    done_by = _done_by(listen)
    request = make_request(
        routine, only, skip, level, reps, hold, rest, countdown, voice, rate, volume, work, rounds, done_by
    )
    if dry_run:
        _dry_run(request, output_format)
        return
    _live(request, timing_log, quiet, checkin, remote=not no_remote, verbose=verbose, listen=listen)


def _done_by(listen: bool) -> DoneBy:
    """How a self-paced set will be ended in a session started so, which its words say:
    spoken, a key from this terminal, or, with neither, its allowance (as in a dry-run of it)."""
    from coach.inputs.keys import Keyboard

    if listen:
        return DoneBy.VOICE
    return DoneBy.KEY if Keyboard.available() else DoneBy.TIME


def _live(
    request: Request,
    timing_log: Path | None,
    quiet: bool,
    checkin: bool,
    remote: bool = True,
    verbose: bool = False,
    listen: bool = False,
) -> None:
    from coach.plan.unfolding import UnfoldingTimeline
    from coach.session.live import LiveSession, open_timing_log
    from coach.sound.speaker import SimpleaudioSink

    routine = load_request_routine(request)
    # A log that cannot be written is said at once, before a voice loads (2 s of Piper).
    with open_timing_log(timing_log) or contextlib.nullcontext() as log:
        voice = Voice(voice_settings(request, routine))  # no engine: one line saying what to install
        if verbose and (hint := clearer_voice_hint(voice, request.voice)):
            typer.echo(f"coach: {voice.label}; {hint}", err=True)
        sink = SimpleaudioSink()
        try:
            timeline: Plan
            # Start speaking while the rest renders. An empty cache is seen at once; asking it
            # phrase by phrase would hash Piper's model before the first sound.
            if voice.holds_no_clips() or phrases_to_render(voice, routine, request.options):
                timeline = unfolding_plan(routine, request.options, voice, voice_settings(request, routine))
            else:
                timeline = plan(routine, request.options, voice, voice_settings(request, routine))
        except KeyboardInterrupt:
            typer.echo("coach: stopped before the session started", err=True)
            raise typer.Exit(130) from None
        session = LiveSession(
            timeline,
            voice,
            sink,
            routine.source.removeprefix("built-in:"),
            timing_log=log,
            quiet=quiet,
            checkin=checkin,
            remote=remote,
            verbose=verbose,
            listen=listen,
            language=routine.language,
            out=typer.echo,
            err=lambda line: typer.echo(line, err=True),
        )
        try:
            code = session.run()
        finally:
            if isinstance(timeline, UnfoldingTimeline):
                timeline.close()
        if code:
            raise typer.Exit(code)


def _dry_run(request: Request, output_format: OutputFormat) -> None:
    routine = load_request_routine(request)
    voice = voice_or_none(voice_settings(request, routine))
    timeline, label = plan_with_progress(routine, request, voice, load_clips=False)  # to read, not to play
    if output_format is OutputFormat.JSON:
        typer.echo(preview.render_json(timeline, label, routine.schedule), nl=False)
    else:
        typer.echo(preview.render_text(timeline, label, routine.schedule), nl=False)
